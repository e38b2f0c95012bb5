/*
 * policy_inputs.c - loading inventories, compose files and policies for
 * the CLI (see policy_inputs.h).
 */
#include "policy_inputs.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "segwatch/textparse.h"
#include "segwatch/violations.h"

static int list_add(struct policy_files *l, const char *path)
{
	const char **nv = realloc(l->v, (l->n + 1) * sizeof(*nv));

	if (nv == NULL) {
		fputs("segwatch: out of memory\n", stderr);
		return -1;
	}
	nv[l->n++] = path;
	l->v = nv;
	return 0;
}

int policy_files_take(struct policy_files *l, const char *first, bool greedy, int argc,
                      char **argv)
{
	if (list_add(l, first) != 0)
		return -1;
	while (greedy && optind < argc && argv[optind][0] != '-')
		if (list_add(l, argv[optind++]) != 0)
			return -1;
	return 0;
}

void policy_files_free(struct policy_files *l)
{
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

static void print_warning(void *ctx, const struct sw_err *w)
{
	const bool *quiet = ctx;
	char buf[SW_ERR_MSG_MAX + SW_ERR_FILE_MAX + 32];

	if (!*quiet)
		fprintf(stderr, "segwatch: warning: %s\n", sw_err_format(w, buf, sizeof(buf)));
}

static enum sw_status load_error(const struct sw_err *err)
{
	char buf[SW_ERR_MSG_MAX + SW_ERR_FILE_MAX + 32];

	fprintf(stderr, "segwatch: %s\n", sw_err_format(err, buf, sizeof(buf)));
	return err->status != SW_OK ? err->status : SW_ERR_INVALID;
}

enum sw_status policy_inputs_load(struct policy_inputs *in, const struct policy_files *inv,
                                  const struct policy_files *compose,
                                  const struct policy_files *pol, bool quiet)
{
	struct sw_err err;

	sw_err_clear(&err);
	in->inv = sw_inventory_new();
	in->set = sw_policy_set_new();
	if (in->inv == NULL || in->set == NULL) {
		fputs("segwatch: out of memory\n", stderr);
		return SW_ERR_NOMEM;
	}
	for (size_t i = 0; i < inv->n; i++)
		if (sw_inventory_load_file(in->inv, inv->v[i], print_warning, &quiet, &err) != SW_OK)
			return load_error(&err);
	for (size_t i = 0; i < compose->n; i++)
		if (sw_policy_set_load_compose(in->set, in->inv, compose->v[i], print_warning, &quiet,
		                               &err) != SW_OK)
			return load_error(&err);
	for (size_t i = 0; i < pol->n; i++)
		if (sw_policy_set_load_file(in->set, pol->v[i], print_warning, &quiet, &err) != SW_OK)
			return load_error(&err);
	in->m = sw_matcher_new(in->inv, in->set, &err);
	if (in->m == NULL)
		return load_error(&err);
	return SW_OK;
}

void policy_inputs_free(struct policy_inputs *in)
{
	sw_matcher_free(in->m);
	sw_policy_set_free(in->set);
	sw_inventory_free(in->inv);
	in->m = NULL;
	in->set = NULL;
	in->inv = NULL;
}

bool policy_inputs_given(const char *cmd, const struct policy_files *pol,
                         const struct policy_files *compose)
{
	if (pol->n + compose->n != 0)
		return true;
	fprintf(stderr, "segwatch %s: no policy: give --policy FILE or --compose FILE\n"
	        "Try 'segwatch %s --help'.\n", cmd, cmd);
	return false;
}

int policy_parse_max_violations(const char *cmd, const char *arg, size_t *out)
{
	uint64_t v;

	if (sw_parse_u64(arg, strlen(arg), 1, SW_VIOLATIONS_LIMIT, &v) != SW_OK) {
		fprintf(stderr, "segwatch %s: --max-violations: expected a number from 1 to %u, "
		        "got '%s'\n", cmd, SW_VIOLATIONS_LIMIT, arg);
		return 2;
	}
	*out = (size_t)v;
	return 0;
}
