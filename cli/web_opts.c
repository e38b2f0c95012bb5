/*
 * web_opts.c - the web server's command-line options, shared by `segwatch
 * serve` and `segwatch run --listen` (see web_opts.h).
 */
#include "web_opts.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "capture_opts.h"
#include "segwatch/textparse.h"

void web_opts_init(struct web_opts *o)
{
	memset(o, 0, sizeof(*o));
}

static int bad_number(const char *cmd, const char *opt, const char *arg, unsigned max)
{
	fprintf(stderr, "segwatch %s: --%s: expected a number from 1 to %u, got '%s'\n", cmd, opt,
	        max, arg);
	return -1;
}

int web_opts_handle(struct web_opts *o, const char *cmd, int opt, const char *arg)
{
	uint64_t v;

	switch (opt) {
	case WEB_OPT_LISTEN: o->web.listen = arg; break;
	case WEB_OPT_TOKEN: o->token_file = arg; break;
	case WEB_OPT_CERT: o->web.tls_cert_file = arg; break;
	case WEB_OPT_KEY: o->web.tls_key_file = arg; break;
	case WEB_OPT_THREADS:
		if (sw_parse_u64(arg, strlen(arg), 1, SW_WEB_THREADS_MAX, &v) != SW_OK)
			return bad_number(cmd, "threads", arg, SW_WEB_THREADS_MAX);
		o->web.threads = (unsigned)v;
		break;
	case WEB_OPT_TIMEOUT:
		if (sw_parse_u64(arg, strlen(arg), 1, 3600, &v) != SW_OK)
			return bad_number(cmd, "connection-timeout", arg, 3600);
		o->web.connection_timeout_s = (unsigned)v;
		break;
	case WEB_OPT_MAXCONN:
		if (sw_parse_u64(arg, strlen(arg), 1, 65536, &v) != SW_OK)
			return bad_number(cmd, "max-connections", arg, 65536);
		o->web.max_connections = (unsigned)v;
		break;
	default:
		return 0;
	}
	o->listen_given = true;
	return 1;
}

bool web_opts_valid(const struct web_opts *o, const char *cmd)
{
	if ((o->web.tls_cert_file == NULL) != (o->web.tls_key_file == NULL)) {
		fprintf(stderr, "segwatch %s: TLS needs both --tls-cert and --tls-key\n", cmd);
		return false;
	}
	return true;
}

bool web_opts_read_token(struct web_opts *o, const char *cmd)
{
	const char *f = o->token_file;
	struct stat sb;
	ssize_t n;
	size_t len;
	int fd;

	if (f == NULL)
		return true;
	fd = open(f, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &sb) != 0) {
		fprintf(stderr, "segwatch %s: --api-token-file: cannot read %s: %s\n", cmd, f,
		        strerror(errno));
		if (fd >= 0)
			close(fd);
		return false;
	}
	if (sb.st_mode & S_IROTH)
		fprintf(stderr, "segwatch: warning: %s: the API token file is readable by every "
		        "user: chmod o-r it\n", f);
	n = read(fd, o->token, sizeof(o->token) - 1);
	close(fd);
	len = n > 0 ? (size_t)n : 0;
	o->token[len] = '\0';
	o->token[strcspn(o->token, "\r\n")] = '\0';
	len = strlen(o->token);
	if (len < SW_WEB_TOKEN_MIN || len >= sizeof(o->token) - 1) {
		fprintf(stderr, "segwatch %s: --api-token-file: %s: expected a first line of %d "
		        "to %zu characters\n", cmd, f, SW_WEB_TOKEN_MIN, sizeof(o->token) - 2);
		return false;
	}
	o->web.token = o->token;
	return true;
}

struct sw_web *web_opts_open(struct web_opts *o, const char *cmd, const char *db)
{
	char buf[SW_ERR_MSG_MAX + SW_ERR_FILE_MAX + 32];
	struct sw_err err;
	struct sw_web *w;

	sw_err_clear(&err);
	o->web.db_path = db;
	o->web.log = cli_warn;
	w = sw_web_open(&o->web, &err);
	if (w == NULL)
		fprintf(stderr, "segwatch %s: %s\n", cmd, sw_err_format(&err, buf, sizeof(buf)));
	return w;
}

void web_opts_clear(struct web_opts *o)
{
	explicit_bzero(o->token, sizeof(o->token));
}
