/*
 * main.c - the segwatch binary: installs the signal handlers and
 * dispatches to a subcommand (see commands.h).
 */
#include <malloc.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "commands.h"

#ifndef SEGWATCH_VERSION
#define SEGWATCH_VERSION "0.1.0"
#endif

#define MALLOC_TOP_PAD (16 << 20)

volatile sig_atomic_t segwatch_stop;

static const char main_usage[] =
	"Usage: segwatch COMMAND [options]\n"
	"Network-flow monitor and segmentation-policy violation detector.\n\n"
	"Commands:\n"
	"  flows     assemble flows from captures or interfaces (JSON Lines / CSV)\n"
	"  policy    inventories and policies: connlist, explain, lint, suggest\n"
	"  check     audit captures against policies: violations (exit 1 if any)\n"
	"  run       monitor: judge flows live, store violations, flows, baselines\n"
	"            and anomalies in SQLite; optionally serve the dashboard\n"
	"  serve     the dashboard, JSON API and /metrics over a database\n"
	"  baseline  learn, show, reset the baseline; list and accept anomalies\n"
	"  version   print the version\n\n"
	"Run 'segwatch COMMAND --help' for the options of a command.\n";

struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
	bool captures;           /* builds a flow table (heaps grow big) */
};

static const struct command commands[] = {
	{"flows", cmd_flows, true},
	{"policy", cmd_policy, false},
	{"check", cmd_check, true},
	{"run", cmd_run, true},
	{"serve", cmd_serve, false},
	{"baseline", cmd_baseline, true},
};

void cli_wait_for_stop(void)
{
	struct timespec ts = {0, 200 * 1000000L};

	while (!segwatch_stop)
		nanosleep(&ts, NULL);
}

static void on_signal(int sig)
{
	(void)sig;
	segwatch_stop = 1;
}

static void install_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

int main(int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		fputs(main_usage, argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	if (strcmp(argv[1], "version") == 0 || strcmp(argv[1], "--version") == 0) {
		printf("segwatch %s\n", SEGWATCH_VERSION);
		return 0;
	}
	install_signals();
	/* SQLite's memory statistics take one global mutex on every
	 * allocation, which the web server's threads contend on; nothing
	 * reads them. Must precede SQLite's first use. */
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(argv[1], commands[i].name) != 0)
			continue;
		/* glibc grows a heap by what each allocation needs: the flow
		 * table and SQLite's page cache (one allocation per page) grew
		 * by thousands of brk and mprotect calls (flows and run ~7 %
		 * slower). Growing by 16 MiB costs address space; a heap keeps
		 * up to that much of what is freed at its top. */
		if (commands[i].captures)
			mallopt(M_TOP_PAD, MALLOC_TOP_PAD);
		return commands[i].fn(argc - 1, argv + 1);
	}
	fprintf(stderr, "segwatch: unknown command '%s'\n%s", argv[1], main_usage);
	return 2;
}
