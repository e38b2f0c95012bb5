/*
 * web_opts.h - the options of the web server shared by `segwatch serve`
 * and `segwatch run --listen`: address, bearer token file, TLS, threads,
 * connection limit; and opening the server before privileges are dropped.
 */
#ifndef SEGWATCH_CLI_WEB_OPTS_H
#define SEGWATCH_CLI_WEB_OPTS_H

#include <getopt.h>
#include <stdbool.h>

#include "segwatch/web.h"

enum web_opt_id {
	WEB_OPT_LISTEN = 2000,
	WEB_OPT_TOKEN,
	WEB_OPT_CERT,
	WEB_OPT_KEY,
	WEB_OPT_THREADS,
	WEB_OPT_MAXCONN,
	WEB_OPT_TIMEOUT,
};

#define WEB_LONG_OPTS                                                  \
	{"listen", required_argument, NULL, WEB_OPT_LISTEN},           \
	{"api-token-file", required_argument, NULL, WEB_OPT_TOKEN},    \
	{"tls-cert", required_argument, NULL, WEB_OPT_CERT},           \
	{"tls-key", required_argument, NULL, WEB_OPT_KEY},             \
	{"threads", required_argument, NULL, WEB_OPT_THREADS},         \
	{"max-connections", required_argument, NULL, WEB_OPT_MAXCONN}, \
	{"connection-timeout", required_argument, NULL, WEB_OPT_TIMEOUT}

#define WEB_HELP                                                                    \
	"  -l, --listen ADDR:PORT     numeric address and port (default "              \
	SW_WEB_LISTEN_DEFAULT ");\n"                                                   \
	"                             [::1]:8080 for IPv6; port 0 picks a free port\n" \
	"      --api-token-file FILE  the bearer token (the file's first line, at least\n" \
	"                             16 characters): every /api request then needs\n" \
	"                             'Authorization: Bearer TOKEN'. Without it, reads\n" \
	"                             are open and triage writes are refused (401)\n"   \
	"      --tls-cert FILE        serve HTTPS with this PEM certificate chain\n"    \
	"      --tls-key FILE         and this PEM private key\n"                      \
	"      --threads N            HTTP worker threads (default 2, at most 64)\n"    \
	"      --max-connections N    concurrent connections (default 256)\n"       \
	"      --connection-timeout S an idle connection is closed after S seconds,\n" \
	"                             and a request head must arrive within S\n"     \
	"                             seconds (slow clients; default 30)\n"

#define WEB_TOKEN_LINE_MAX 4096

struct web_opts {
	struct sw_web_config web;
	const char *token_file;
	bool listen_given;          /* --listen (or another web option) given */
	char token[WEB_TOKEN_LINE_MAX];
};

void web_opts_init(struct web_opts *o);

/* Handles opt if it is a web option: 1 handled, 0 not a web option, -1
 * bad value (message printed, prefixed by cmd). */
int web_opts_handle(struct web_opts *o, const char *cmd, int opt, const char *arg);

/* Checks the combination (TLS needs both files); false after a message. */
bool web_opts_valid(const struct web_opts *o, const char *cmd);

/* Reads the token file when one was given; false after a message. */
bool web_opts_read_token(struct web_opts *o, const char *cmd);

/* Opens the server on db (binds, opens the database; no thread yet), or
 * NULL after a message. */
struct sw_web *web_opts_open(struct web_opts *o, const char *cmd, const char *db);

/* Forgets the token. */
void web_opts_clear(struct web_opts *o);

#endif
