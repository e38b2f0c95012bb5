/*
 * cmd_serve.c - `segwatch serve`: the web API, event stream, metrics and
 * dashboard over an existing database (written by `segwatch run` in
 * another process, or archived), until SIGINT/SIGTERM. Binds and opens
 * everything first, then drops root, then starts serving.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "capture_opts.h"
#include "commands.h"
#include "segwatch/privdrop.h"
#include "segwatch/textparse.h"
#include "segwatch/web.h"
#include "web_opts.h"

static const char serve_usage[] =
	"Usage: segwatch serve --db FILE [--listen ADDR:PORT] [--api-token-file FILE]\n"
	"                      [--tls-cert FILE --tls-key FILE] [--user NAME]\n"
	"Serves the database FILE (written by `segwatch run`, here or archived):\n"
	"the JSON API under /api/v1/, the event stream /api/v1/stream, /metrics\n"
	"(Prometheus), /healthz and the dashboard at /.\n\n"
	"      --db FILE              the database (must exist)\n"
	WEB_HELP
	"  -u, --user NAME            started as root: the user to run as once the\n"
	"                             socket and the database are open (default nobody)\n"
	"  -q, --quiet                no start-up line\n"
	"  -h, --help                 this text\n"
	"Exit status: 0 stopped by SIGINT/SIGTERM, 1 a runtime failure, 2 bad usage\n"
	"or bad input (no database, a bad token file, an address in use).\n";

enum { OPT_DB = 256 };

struct serve_cli {
	struct web_opts w;
	const char *db;
	const char *user;
	bool quiet;
};

/* One option; -1 to go on, or an exit status. */
static int handle_opt(struct serve_cli *c, int opt, const char *arg)
{
	int r = web_opts_handle(&c->w, "serve", opt == 'l' ? WEB_OPT_LISTEN : opt, arg);

	if (r != 0)
		return r > 0 ? -1 : 2;
	switch (opt) {
	case OPT_DB: c->db = arg; return -1;
	case 'u': c->user = arg; return -1;
	case 'q': c->quiet = true; return -1;
	case 'h': fputs(serve_usage, stdout); return 0;
	}
	fputs("Try 'segwatch serve --help'.\n", stderr);
	return 2;
}

/* The user to drop to must exist before anything is opened (as root). */
static bool user_known(const char *user)
{
	struct sw_err err;
	uid_t uid;
	gid_t gid;

	if (geteuid() != 0)
		return true;
	sw_err_clear(&err);
	if (sw_privdrop_lookup(user, &uid, &gid, &err) != SW_OK) {
		fprintf(stderr, "segwatch serve: --user: %s\n", err.msg);
		return false;
	}
	return true;
}

static int check_args(const struct serve_cli *c, int argc, char **argv)
{
	if (optind < argc) {
		fprintf(stderr, "segwatch serve: unexpected argument '%s'\n", argv[optind]);
		return 2;
	}
	if (c->db == NULL) {
		fputs("segwatch serve: no database: give --db FILE\n"
		      "Try 'segwatch serve --help'.\n", stderr);
		return 2;
	}
	if (!web_opts_valid(&c->w, "serve"))
		return 2;
	if (c->user != NULL && geteuid() != 0) {
		fputs("segwatch serve: --user needs root\n", stderr);
		return 2;
	}
	return user_known(c->user ? c->user : SW_PRIVDROP_DEFAULT_USER) ? -1 : 2;
}

static int parse_args(struct serve_cli *c, int argc, char **argv)
{
	static const struct option longopts[] = {
		{"db", required_argument, NULL, OPT_DB},
		WEB_LONG_OPTS,
		{"user", required_argument, NULL, 'u'},
		{"quiet", no_argument, NULL, 'q'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int opt;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "l:u:qh", longopts, NULL)) != -1) {
		int r = handle_opt(c, opt, optarg);
		if (r >= 0)
			return r;
	}
	return check_args(c, argc, argv);
}

static int drop_privileges(const struct serve_cli *c)
{
	struct capture_opts o;

	capture_opts_init(&o);
	o.user = c->user;
	return capture_opts_drop_privileges(&o) == SW_OK ? 0 : 1;
}

static int serve(struct serve_cli *c)
{
	struct sw_web *w = web_opts_open(&c->w, "serve", c->db);
	struct sw_err err;

	if (w == NULL)
		return 2;
	if (drop_privileges(c) != 0) {
		sw_web_stop(w);
		return 1;
	}
	if (sw_web_run(w, &err) != SW_OK) {
		fprintf(stderr, "segwatch serve: %s\n", err.msg);
		sw_web_stop(w);
		return 1;
	}
	if (!c->quiet)
		fprintf(stderr, "segwatch: serving %s on %s://%s (port %u)\n", c->db,
		        c->w.web.tls_cert_file ? "https" : "http",
		        c->w.web.listen ? c->w.web.listen : SW_WEB_LISTEN_DEFAULT, sw_web_port(w));
	cli_wait_for_stop();
	sw_web_stop(w);
	return 0;
}

int cmd_serve(int argc, char **argv)
{
	struct serve_cli c;
	int rc;

	memset(&c, 0, sizeof(c));
	web_opts_init(&c.w);
	rc = parse_args(&c, argc, argv);
	if (rc < 0 && !web_opts_read_token(&c.w, "serve"))
		rc = 2;
	if (rc < 0)
		rc = serve(&c);
	web_opts_clear(&c.w);
	return rc;
}
