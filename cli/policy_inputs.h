/*
 * policy_inputs.h - what the policy-aware commands (policy, check) share:
 * the inventory, docker-compose and NetworkPolicy files named on the
 * command line, loaded in a fixed order and compiled into one matcher.
 */
#ifndef SEGWATCH_CLI_POLICY_INPUTS_H
#define SEGWATCH_CLI_POLICY_INPUTS_H

#include <stdbool.h>
#include <stddef.h>

#include "segwatch/error.h"
#include "segwatch/inventory.h"
#include "segwatch/match.h"
#include "segwatch/netpol.h"

/* File names from argv (borrowed); the array is freed with
 * policy_files_free. */
struct policy_files {
	const char **v;
	size_t n;
};

/* Adds first and, when greedy, the arguments that follow it up to the next
 * one starting with '-' (argv[optind...], advancing getopt's optind), so
 * `--policy a.yaml b.yaml` names two files. Returns 0, or -1 when out of
 * memory (message printed). */
int policy_files_take(struct policy_files *l, const char *first, bool greedy, int argc,
                      char **argv);

void policy_files_free(struct policy_files *l);

/* What is loaded; owned, freed with policy_inputs_free. */
struct policy_inputs {
	struct sw_inventory *inv;
	struct sw_policy_set *set;
	struct sw_matcher *m;
};

/* Loads inventories first, then compose files (which add endpoints), then
 * policies, and compiles. Warnings go to stderr unless quiet; an error is
 * printed as "segwatch: file:line:col: message". Returns SW_OK or the
 * error's status (SW_ERR_NOMEM when out of memory; otherwise bad input).
 * On failure what was loaded stays in *in for policy_inputs_free. */
enum sw_status policy_inputs_load(struct policy_inputs *in, const struct policy_files *inv,
                                  const struct policy_files *compose,
                                  const struct policy_files *pol, bool quiet) SW_WUR;

/* Frees everything; the struct is left empty. */
void policy_inputs_free(struct policy_inputs *in);

/* For commands that judge flows (cmd names them in messages): true when
 * at least one policy or compose file was given, else false after a
 * message. */
bool policy_inputs_given(const char *cmd, const struct policy_files *pol,
                         const struct policy_files *compose);

/* --max-violations N: 0 with *out set, or 2 after a message. */
int policy_parse_max_violations(const char *cmd, const char *arg, size_t *out);

#endif
