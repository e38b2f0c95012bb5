/*
 * config_file.c - `--config FILE`: a YAML mapping whose keys are a
 * command's long option names, turned into command-line arguments that go
 * before the real ones (so the command line adds to lists and overrides
 * single values). A key that names no option, or a value of the wrong
 * shape, is an error with file:line:column.
 *
 *   interface: eth1            ->  --interface=eth1
 *   policy: [a.yaml, b.yaml]   ->  --policy=a.yaml --policy=b.yaml
 *   no-flows: true             ->  --no-flows      (false: nothing)
 */
#include "config_file.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture_opts.h"
#include "segwatch/grow.h"
#include "segwatch/yamldoc.h"

struct arg_list {
	char **v;
	size_t n, cap;
};

static bool push_arg(struct arg_list *l, const char *name, const char *value)
{
	size_t len = strlen(name) + (value ? strlen(value) + 1 : 0) + 3;
	char *a;

	if (!sw_grow((void **)&l->v, &l->cap, l->n + 2, sizeof(*l->v)))
		return false;
	a = malloc(len);
	if (a == NULL)
		return false;
	if (value != NULL)
		snprintf(a, len, "--%s=%s", name, value);
	else
		snprintf(a, len, "--%s", name);
	l->v[l->n++] = a;
	l->v[l->n] = NULL;
	return true;
}

static const struct option *find_option(const struct option *opts, const char *name)
{
	for (; opts->name != NULL; opts++)
		if (strcmp(opts->name, name) == 0)
			return opts;
	return NULL;
}

/* One scalar value of option o. */
static enum sw_status add_value(struct arg_list *l, const struct sw_ydoc *doc,
                                const struct option *o, const struct sw_ynode *v,
                                struct sw_err *err)
{
	const char *text;
	bool on;

	if (o->has_arg == no_argument) {
		if (sw_yget_bool(doc, v, o->name, &on, err) != SW_OK)
			return err->status;
		if (on && !push_arg(l, o->name, NULL))
			return sw_err_set(err, SW_ERR_NOMEM, doc->file, 0, 0, "out of memory");
		return SW_OK;
	}
	if (sw_yget_str(doc, v, false, o->name, &text, err) != SW_OK)
		return err->status;
	if (!push_arg(l, o->name, text))
		return sw_err_set(err, SW_ERR_NOMEM, doc->file, 0, 0, "out of memory");
	return SW_OK;
}

static enum sw_status add_setting(struct arg_list *l, const struct sw_ydoc *doc,
                                  const struct option *opts, const struct sw_ynode *key,
                                  const struct sw_ynode *val, struct sw_err *err)
{
	const struct option *o = find_option(opts, key->str);
	enum sw_status st = SW_OK;

	if (o == NULL || strcmp(key->str, "config") == 0 || strcmp(key->str, "help") == 0)
		return sw_yerror(doc, key, err, SW_ERR_PARSE,
		                 "unknown setting \"%s\" (expected a long option of the "
		                 "command, without the dashes)", key->str);
	if (!sw_ynode_is_seq(val))
		return add_value(l, doc, o, val, err);
	if (o->has_arg == no_argument)
		return sw_yerror(doc, val, err, SW_ERR_PARSE, "\"%s\" takes true or false, "
		                 "not a list", key->str);
	for (size_t i = 0; st == SW_OK && i < val->n; i++)
		st = add_value(l, doc, o, sw_yseq_item(val, i), err);
	return st;
}

static enum sw_status settings_of(struct arg_list *l, const struct sw_ydoc *doc,
                                  const struct option *opts, struct sw_err *err)
{
	const struct sw_ynode *root;
	enum sw_status st = SW_OK;

	if (doc->n_docs != 1)
		return sw_err_set(err, SW_ERR_PARSE, doc->file, 0, 0,
		                  "expected one YAML document (a mapping of settings)");
	root = doc->docs[0];
	if (sw_yexpect_map(doc, root, "a mapping of settings (option: value)", err) != SW_OK)
		return err->status;
	for (size_t i = 0; st == SW_OK && i < root->n; i++)
		st = add_setting(l, doc, opts, sw_ymap_key(root, i), sw_ymap_value(root, i), err);
	return st;
}

int config_file_args(const char *path, const struct option *opts, char ***args, int *n)
{
	struct arg_list l = {NULL, 0, 0};
	struct sw_ylimits lim;
	struct sw_ydoc *doc = NULL;
	struct sw_err err;
	enum sw_status st;

	sw_err_clear(&err);
	sw_ylimits_default(&lim);
	st = sw_ydoc_load_file(path, &lim, &doc, &err);
	if (st == SW_OK)
		st = settings_of(&l, doc, opts, &err);
	sw_ydoc_free(doc);
	if (st != SW_OK) {
		cli_print_err(&err);
		config_file_args_free(l.v, (int)l.n);
		return -1;
	}
	*args = l.v;
	*n = (int)l.n;
	return 0;
}

void config_file_args_free(char **args, int n)
{
	for (int i = 0; i < n; i++)
		free(args[i]);
	free(args);
}

/* Finds --config FILE / --config=FILE in argv (before option parsing). */
const char *config_file_find(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			return NULL;
		if (strcmp(argv[i], "--config") == 0)
			return i + 1 < argc ? argv[i + 1] : NULL;
		if (strncmp(argv[i], "--config=", 9) == 0)
			return argv[i] + 9;
	}
	return NULL;
}
