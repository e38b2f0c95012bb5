/*
 * commands.h - the subcommands of the segwatch binary. Each takes the
 * arguments after its name (argv[0] is the subcommand's name) and returns
 * the process exit status: 0 success, 1 a runtime failure (or, for
 * auditing commands, findings), 2 bad usage or bad input.
 */
#ifndef SEGWATCH_CLI_COMMANDS_H
#define SEGWATCH_CLI_COMMANDS_H

#include <signal.h>

/* Set by main()'s SIGINT/SIGTERM handler; long-running commands stop
 * cleanly (flushing every flow) when it becomes non-zero. */
extern volatile sig_atomic_t segwatch_stop;

/* Sleeps until segwatch_stop is set (serving commands with nothing else
 * to do on the main thread). */
void cli_wait_for_stop(void);

int cmd_flows(int argc, char **argv);
int cmd_policy(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_baseline(int argc, char **argv);
/* `baseline learn`: `run --learn all` (cmd_run.c). */
int cmd_baseline_learn(int argc, char **argv);

#endif
