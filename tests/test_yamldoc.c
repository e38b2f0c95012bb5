/*
 * test_yamldoc.c - the YAML/JSON document loader: tree shape, positions,
 * scalar styles and kinds, multi-document files, JSON, limits against
 * hostile input, merge keys, and the typed getters' error messages.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "segwatch/yamldoc.h"

static struct sw_ydoc *load(const char *text)
{
	struct sw_ydoc *doc = NULL;
	struct sw_err err;
	char buf[700];

	sw_err_clear(&err);
	if (sw_ydoc_load_mem("t.yaml", text, strlen(text), NULL, &doc, &err) != SW_OK)
		fail_msg("load failed: %s", sw_err_format(&err, buf, sizeof(buf)));
	return doc;
}

/* Loads text that must fail; returns the formatted error. */
static const char *load_fail(const char *text, const struct sw_ylimits *lim,
                             enum sw_status want, char *buf, size_t len)
{
	struct sw_ydoc *doc = NULL;
	struct sw_err err;
	enum sw_status st;

	sw_err_clear(&err);
	st = sw_ydoc_load_mem("t.yaml", text, strlen(text), lim, &doc, &err);
	if (st == SW_OK) {
		sw_ydoc_free(doc);
		fail_msg("expected failure for: %.60s", text);
	}
	assert_null(doc);
	assert_int_equal(st, want);
	return sw_err_format(&err, buf, len);
}

static void test_tree_and_positions(void **state)
{
	struct sw_ydoc *doc = load("kind: Pod\n"
	                           "metadata:\n"
	                           "  name: web\n"
	                           "  labels: {app: web, tier: \"front\"}\n"
	                           "ports:\n"
	                           "- 80\n"
	                           "-   \"8080\"\n");
	const struct sw_ynode *root, *md, *labels, *ports, *n;

	(void)state;
	assert_int_equal(doc->n_docs, 1);
	root = doc->docs[0];
	assert_true(sw_ynode_is_map(root));
	assert_int_equal(root->n, 3);
	n = sw_ymap_get(root, "kind");
	assert_string_equal(n->str, "Pod");
	assert_int_equal(n->line, 1);
	assert_int_equal(n->column, 7);
	md = sw_ymap_get(root, "metadata");
	assert_int_equal(md->line, 3); /* a block map starts at its first key */
	assert_int_equal(md->column, 3);
	labels = sw_ymap_get(md, "labels");
	assert_int_equal(labels->n, 2);
	assert_string_equal(sw_ymap_key(labels, 1)->str, "tier");
	n = sw_ymap_value(labels, 1);
	assert_string_equal(n->str, "front");
	assert_int_equal(n->style, SW_YS_DOUBLE);
	assert_int_equal(n->line, 4);
	assert_int_equal(n->column, 28);
	ports = sw_ymap_get(root, "ports");
	assert_true(sw_ynode_is_seq(ports));
	assert_int_equal(ports->n, 2);
	assert_int_equal(sw_yseq_item(ports, 0)->kind, SW_YK_INT);
	assert_int_equal(sw_yseq_item(ports, 0)->style, SW_YS_PLAIN);
	assert_int_equal(sw_yseq_item(ports, 1)->kind, SW_YK_STR); /* quoted "8080" */
	assert_int_equal(sw_yseq_item(ports, 1)->line, 7);
	assert_int_equal(sw_yseq_item(ports, 1)->column, 5);
	assert_null(sw_ymap_get(root, "absent"));
	assert_null(sw_ymap_get(ports, "kind")); /* not a map */
	sw_ydoc_free(doc);
	sw_ydoc_free(NULL);
}

struct kind_case {
	const char *text;
	enum sw_ykind kind;
};

static void test_scalar_kinds(void **state)
{
	static const struct kind_case cases[] = {
		{"80", SW_YK_INT},      {"-3", SW_YK_INT},      {"0x1F", SW_YK_INT},
		{"1.5", SW_YK_FLOAT},   {"1e3", SW_YK_FLOAT},   {".inf", SW_YK_FLOAT},
		{"true", SW_YK_BOOL},   {"yes", SW_YK_BOOL},    {"Off", SW_YK_BOOL},
		{"null", SW_YK_NULL},   {"~", SW_YK_NULL},      {"", SW_YK_NULL},
		{"http", SW_YK_STR},    {"\"80\"", SW_YK_STR},  {"'true'", SW_YK_STR},
		{"!!str 80", SW_YK_STR}, {"!!int \"80\"", SW_YK_INT},
		{"10.0.0.0/8", SW_YK_STR}, {"1.2.3", SW_YK_STR}, {"80-90", SW_YK_STR},
		{"|\n  block\n", SW_YK_STR},
	};

	(void)state;
	for (size_t i = 0; i < SW_ARRAY_SIZE(cases); i++) {
		char text[64];
		struct sw_ydoc *doc;
		const struct sw_ynode *v;
		snprintf(text, sizeof(text), "v: %s", cases[i].text);
		doc = load(text);
		v = sw_ymap_get(doc->docs[0], "v");
		assert_non_null(v);
		if (v->kind != cases[i].kind)
			fail_msg("%s: kind %d, expected %d", cases[i].text, v->kind, cases[i].kind);
		assert_int_equal(sw_ynode_is_null(v), cases[i].kind == SW_YK_NULL);
		sw_ydoc_free(doc);
	}
}

static void test_multi_document(void **state)
{
	struct sw_ydoc *doc = load("# leading comment\n"
	                           "a: 1\n"
	                           "---\n"
	                           "---\n"
	                           "- x\n"
	                           "...\n"
	                           "--- plain\n");

	(void)state;
	assert_int_equal(doc->n_docs, 4);
	assert_true(sw_ynode_is_map(doc->docs[0]));
	assert_true(sw_ynode_is_null(doc->docs[1])); /* the empty document */
	assert_true(sw_ynode_is_seq(doc->docs[2]));
	assert_int_equal(doc->docs[2]->line, 5);
	assert_string_equal(doc->docs[3]->str, "plain");
	assert_false(doc->json);
	sw_ydoc_free(doc);

	doc = load("# only a comment\n");
	assert_int_equal(doc->n_docs, 0);
	sw_ydoc_free(doc);
}

static void test_json(void **state)
{
	/* kubectl-style JSON with tabs for indentation, escapes and a
	 * colon without a following space */
	struct sw_ydoc *doc = load("\t{\n"
	                           "\t\"apiVersion\": \"v1\",\n"
	                           "\t\"items\":[{\"port\":80,\"name\":\"a\\tb\\/c\\u00e9\\\"\"}],\n"
	                           "\t\"empty\": {}, \"none\": null, \"t\": true\n"
	                           "}\n");
	const struct sw_ynode *root, *item;

	(void)state;
	assert_true(doc->json);
	root = doc->docs[0];
	assert_true(sw_ynode_is_map(root));
	assert_string_equal(sw_ymap_get(root, "apiVersion")->str, "v1");
	item = sw_yseq_item(sw_ymap_get(root, "items"), 0);
	assert_int_equal(sw_ymap_get(item, "port")->kind, SW_YK_INT);
	assert_string_equal(sw_ymap_get(item, "name")->str, "a\tb/c\xc3\xa9\"");
	assert_int_equal(sw_ymap_get(item, "name")->line, 3);
	assert_true(sw_ynode_is_map(sw_ymap_get(root, "empty")));
	assert_int_equal(sw_ymap_get(root, "empty")->n, 0);
	assert_true(sw_ynode_is_null(sw_ymap_get(root, "none")));
	assert_int_equal(sw_ymap_get(root, "t")->kind, SW_YK_BOOL);
	sw_ydoc_free(doc);
}

struct fail_case {
	const char *text;
	enum sw_status status;
	const char *want; /* expected prefix of "file:line:col: message" */
};

static void test_errors_with_positions(void **state)
{
	static const struct fail_case cases[] = {
		{"a: b\n  c: d\n", SW_ERR_PARSE, "t.yaml:2:4: invalid YAML: mapping values are not allowed"},
		{"key: [1, 2\nnext: 3\n", SW_ERR_PARSE, "t.yaml:2:5: invalid YAML: did not find expected ',' or ']'"},
		{"a: 1\nb: 2\na: 3\n", SW_ERR_PARSE, "t.yaml:3:1: duplicate key \"a\" in a map (first at line 1)"},
		{"x: *nowhere\n", SW_ERR_PARSE, "t.yaml:1:4: alias *nowhere refers to no anchor"},
		{"a: &r [1, *r]\n", SW_ERR_PARSE, "t.yaml:1:11: alias *r refers to no anchor"},
		{"{\"a\": 1, \"a\": 2}", SW_ERR_PARSE, "t.yaml:1:10: duplicate key \"a\""},
		{"- \"unterminated\n", SW_ERR_PARSE, "t.yaml:2:1: invalid YAML: found unexpected end of stream"},
		{"a:\n\t- b\n", SW_ERR_PARSE, "t.yaml:2:1: invalid YAML: found character that cannot start any token"},
		{"<<: 3\n", SW_ERR_PARSE, "t.yaml:1:5: expected a map or a sequence of maps after the merge key <<"},
	};
	char buf[700];

	(void)state;
	for (size_t i = 0; i < SW_ARRAY_SIZE(cases); i++) {
		const char *got = load_fail(cases[i].text, NULL, cases[i].status, buf, sizeof(buf));
		if (strncmp(got, cases[i].want, strlen(cases[i].want)) != 0)
			fail_msg("case %zu:\n got  %s\n want %s", i, got, cases[i].want);
	}
}

static void test_duplicate_in_large_map(void **state)
{
	char text[4096];
	size_t o = 0;
	char buf[700];

	(void)state;
	for (int i = 0; i < 50; i++)
		o += (size_t)snprintf(text + o, sizeof(text) - o, "k%d: %d\n", i, i);
	snprintf(text + o, sizeof(text) - o, "k7: again\n");
	assert_string_equal(load_fail(text, NULL, SW_ERR_PARSE, buf, sizeof(buf)),
	                    "t.yaml:51:1: duplicate key \"k7\" in a map (first at line 8)");
}

static void test_hostile_depth(void **state)
{
	size_t n = 200000;
	char *text = malloc(n + 1);
	char buf[700];

	(void)state;
	assert_non_null(text);
	memset(text, '[', n);
	text[n] = '\0';
	assert_string_equal(load_fail(text, NULL, SW_ERR_LIMIT, buf, sizeof(buf)),
	                    "t.yaml:1:65: nesting deeper than 64 levels");
	/* block style nesting is caught the same way */
	{
		size_t o = 0;
		for (int d = 0; d < 100 && o + 200 < n; d++) {
			for (int s = 0; s < d; s++)
				text[o++] = ' ';
			o += (size_t)snprintf(text + o, n - o, "k:\n");
		}
		text[o] = '\0';
		load_fail(text, NULL, SW_ERR_LIMIT, buf, sizeof(buf));
		assert_non_null(strstr(buf, "nesting deeper than 64 levels"));
	}
	free(text);
}

static void test_hostile_alias_bomb(void **state)
{
	static const char bomb[] =
		"a: &a [x, x, x, x, x, x, x, x, x, x]\n"
		"b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
		"c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
		"d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
		"e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\n"
		"f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\n"
		"g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f, *f]\n"
		"h: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g, *g]\n"
		"i: &i [*h, *h, *h, *h, *h, *h, *h, *h, *h, *h]\n";
	char buf[700];

	(void)state;
	load_fail(bomb, NULL, SW_ERR_LIMIT, buf, sizeof(buf));
	assert_non_null(strstr(buf, "alias bomb"));
	assert_non_null(strstr(buf, "t.yaml:7:")); /* stops early, at g */
}

static void test_limits(void **state)
{
	struct sw_ylimits lim;
	char buf[700];
	struct sw_ydoc *doc = NULL;
	struct sw_err err;

	(void)state;
	sw_ylimits_default(&lim);
	assert_int_equal(lim.max_bytes, 16u * 1024 * 1024);
	lim.max_bytes = 10;
	load_fail("a: 123456789\n", &lim, SW_ERR_LIMIT, buf, sizeof(buf));
	assert_non_null(strstr(buf, "file too large"));
	sw_ylimits_default(&lim);
	lim.max_nodes = 10;
	load_fail("[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]", &lim, SW_ERR_LIMIT, buf, sizeof(buf));
	assert_non_null(strstr(buf, "more than 10 nodes"));
	/* a small alias fan-out within budget is fine and shares the node */
	assert_int_equal(sw_ydoc_load_mem("t", "a: &x {k: v}\nb: *x\n", 19, NULL, &doc, &err), SW_OK);
	assert_ptr_equal(sw_ymap_get(doc->docs[0], "a"), sw_ymap_get(doc->docs[0], "b"));
	sw_ydoc_free(doc);
}

static void test_file_io(void **state)
{
	char path[] = "/tmp/test_yamldoc_XXXXXX";
	int fd = mkstemp(path);
	struct sw_ydoc *doc = NULL;
	struct sw_err err;
	static const char body[] = "a: 1\n";

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(write(fd, body, sizeof(body) - 1), (ssize_t)(sizeof(body) - 1));
	close(fd);
	assert_int_equal(sw_ydoc_load_file(path, NULL, &doc, &err), SW_OK);
	assert_string_equal(doc->file, path);
	assert_int_equal(doc->n_docs, 1);
	sw_ydoc_free(doc);
	unlink(path);
	assert_int_equal(sw_ydoc_load_file(path, NULL, &doc, &err), SW_ERR_IO);
	assert_string_equal(err.file, path);
}

static void test_merge_keys(void **state)
{
	struct sw_ydoc *doc = load("base: &base {a: 1, b: 2}\n"
	                           "more: &more {c: 3, a: 9}\n"
	                           "x:\n"
	                           "  <<: [*base, *more]\n"
	                           "  b: override\n");
	const struct sw_ynode *x;

	(void)state;
	x = sw_ymap_get(doc->docs[0], "x");
	assert_int_equal(x->n, 3);
	assert_string_equal(sw_ymap_get(x, "b")->str, "override"); /* explicit wins */
	assert_string_equal(sw_ymap_get(x, "a")->str, "1");        /* first source wins */
	assert_string_equal(sw_ymap_get(x, "c")->str, "3");
	assert_null(sw_ymap_get(x, "<<"));
	sw_ydoc_free(doc);
}

static void test_hash_covers_object_text(void **state)
{
	static const char text[] = "---\nname: caf\xc3\xa9\nv: 1\n---\nname: b\n";
	struct sw_ydoc *doc = load(text);
	struct sw_ydoc *doc2;
	char h1[17], h2[17], h3[17];
	const struct sw_ynode *first = doc->docs[0];

	(void)state;
	/* the first document's text, bytes included, ends after "v: 1\n" */
	assert_int_equal(first->start, 4);
	assert_int_equal(doc->text[first->end - 1], '\n');
	assert_int_equal(sw_ymap_get(doc->docs[1], "name")->start,
	                 (uint32_t)(strstr(text, "b\n") - text));
	sw_ynode_hash(doc, first, h1);
	sw_ynode_hash(doc, doc->docs[1], h2);
	assert_int_equal(strlen(h1), 16);
	assert_string_not_equal(h1, h2);
	/* the same object text elsewhere hashes the same */
	doc2 = load("# other file\nname: caf\xc3\xa9\nv: 1\n");
	sw_ynode_hash(doc2, doc2->docs[0], h3);
	assert_string_equal(h1, h3);
	sw_ydoc_free(doc2);
	sw_ydoc_free(doc);
}

struct getter_case {
	const char *value;
	const char *want; /* NULL: success */
};

static void test_typed_getters(void **state)
{
	static const struct getter_case ports[] = {
		{"80", NULL},
		{"http-x", "t.yaml:12:9: expected an integer port (1-65535), got \"http-x\""},
		{"\"80\"", "t.yaml:12:9: expected an integer port (1-65535), got \"80\""},
		{"70000", "t.yaml:12:9: expected an integer port (1-65535), got 70000"},
		{"0", "t.yaml:12:9: expected an integer port (1-65535), got 0"},
		{"-1", "t.yaml:12:9: expected an integer port (1-65535), got -1"},
		{"[80]", "t.yaml:12:9: expected an integer port (1-65535), got a sequence"},
		{"", "t.yaml:12:8: expected an integer port (1-65535), got null"},
	};
	char text[128], buf[700];
	struct sw_err err;

	(void)state;
	for (size_t i = 0; i < SW_ARRAY_SIZE(ports); i++) {
		struct sw_ydoc *doc;
		uint64_t v = 0;
		enum sw_status st;
		snprintf(text, sizeof(text), "%s\n  port: %s\n", "a: 1\nb: 2\nc: 3\nd: 4\ne: 5\nf: 6\ng: 7\nh: 8\ni: 9\nj: 10\nx:", ports[i].value);
		doc = load(text);
		st = sw_yget_uint(doc, sw_ymap_get(sw_ymap_get(doc->docs[0], "x"), "port"), 1, 65535,
		                  "an integer port (1-65535)", &v, &err);
		if (ports[i].want == NULL) {
			assert_int_equal(st, SW_OK);
			assert_int_equal(v, 80);
		} else {
			assert_int_equal(st, SW_ERR_PARSE);
			assert_string_equal(sw_err_format(&err, buf, sizeof(buf)), ports[i].want);
			assert_int_equal(v, 0);
		}
		sw_ydoc_free(doc);
	}
}

static void test_str_and_bool_getters(void **state)
{
	struct sw_ydoc *doc = load("s: hello\nn: 80\nq: \"80\"\nb: yes\nz: ~\nm: {}\n");
	const struct sw_ynode *r = doc->docs[0];
	const char *s = NULL;
	bool b = false;
	struct sw_err err;

	(void)state;
	assert_int_equal(sw_yget_str(doc, sw_ymap_get(r, "s"), true, "a name", &s, &err), SW_OK);
	assert_string_equal(s, "hello");
	assert_int_equal(sw_yget_str(doc, sw_ymap_get(r, "n"), false, "a name", &s, &err), SW_OK);
	assert_string_equal(s, "80");
	assert_int_equal(sw_yget_str(doc, sw_ymap_get(r, "n"), true, "a string label value", &s, &err),
	                 SW_ERR_PARSE);
	assert_string_equal(err.msg, "expected a string label value, got 80");
	assert_int_equal(sw_yget_str(doc, sw_ymap_get(r, "q"), true, "a name", &s, &err), SW_OK);
	assert_int_equal(sw_yget_str(doc, sw_ymap_get(r, "z"), false, "a name", &s, &err), SW_ERR_PARSE);
	assert_int_equal(sw_yget_str(doc, sw_ymap_get(r, "m"), false, "a name", &s, &err), SW_ERR_PARSE);
	assert_string_equal(err.msg, "expected a name, got a map");
	assert_int_equal(sw_yget_str(doc, NULL, false, "a name", &s, &err), SW_ERR_PARSE);
	assert_int_equal(sw_yget_bool(doc, sw_ymap_get(r, "b"), "a boolean", &b, &err), SW_OK);
	assert_true(b);
	assert_int_equal(sw_yget_bool(doc, sw_ymap_get(r, "q"), "a boolean", &b, &err), SW_ERR_PARSE);
	assert_int_equal(sw_yexpect_map(doc, sw_ymap_get(r, "m"), "a map", &err), SW_OK);
	assert_int_equal(sw_yexpect_seq(doc, sw_ymap_get(r, "m"), "a list of ports", &err),
	                 SW_ERR_PARSE);
	assert_string_equal(err.msg, "expected a list of ports, got a map");
	assert_int_equal(err.line, 6);
	sw_ydoc_free(doc);
}

struct warn_log {
	int n;
	char last[700];
};

static void collect(void *ctx, const struct sw_err *w)
{
	struct warn_log *log = ctx;

	log->n++;
	sw_err_format(w, log->last, sizeof(log->last));
}

static void test_unknown_fields(void **state)
{
	static const char *const known[] = {"name", "labels", NULL};
	struct sw_ydoc *doc = load("name: a\nlabels: {}\n  # c\nlables: {x: y}\n");
	struct warn_log log = {0, ""};

	(void)state;
	sw_ywarn_unknown(doc, doc->docs[0], known, "a namespace", collect, &log);
	assert_int_equal(log.n, 1);
	assert_string_equal(log.last, "t.yaml:4:1: unknown field \"lables\" in a namespace (ignored)");
	sw_ywarn_unknown(doc, doc->docs[0], known, "x", NULL, NULL); /* no callback: no-op */
	sw_ydoc_free(doc);
}


static void test_field_getters(void **state)
{
	struct sw_ydoc *doc = load("a: 1\nport:\n  name: http\n  number: 8080\n");
	const struct sw_ynode *port = sw_ymap_get(doc->docs[0], "port");
	const char *s = NULL;
	uint64_t v = 0;
	struct sw_err err;
	char buf[700];

	(void)state;
	assert_int_equal(sw_yget_field_str(doc, port, "name", true, "a port name", &s, &err), SW_OK);
	assert_string_equal(s, "http");
	assert_int_equal(sw_yget_field_uint(doc, port, "number", 1, 65535, "a port", &v, &err), SW_OK);
	assert_int_equal(v, 8080);
	/* absent: the error points at the map that lacks the field */
	assert_int_equal(sw_yget_field_uint(doc, port, "protocol", 1, 2, "a protocol number", &v, &err),
	                 SW_ERR_PARSE);
	assert_string_equal(sw_err_format(&err, buf, sizeof(buf)),
	                    "t.yaml:3:3: missing field \"protocol\" (expected a protocol number)");
	/* on a non-map: "expected ..., got ..." at the node */
	assert_int_equal(sw_yget_field_str(doc, sw_ymap_get(doc->docs[0], "a"), "x", false, "a map",
	                                   &s, &err), SW_ERR_PARSE);
	assert_string_equal(err.msg, "expected a map with field \"x\", got 1");
	sw_ydoc_free(doc);
}

static void test_describe(void **state)
{
	struct sw_ydoc *doc = load("a: \"line\\nbreak \\\"q\\\"\"\nb: "
	                           "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n");
	char buf[128];

	(void)state;
	assert_string_equal(sw_ydescribe(sw_ymap_get(doc->docs[0], "a"), buf, sizeof(buf)),
	                    "\"line\\x0abreak \\\"q\\\"\"");
	sw_ydescribe(sw_ymap_get(doc->docs[0], "b"), buf, sizeof(buf));
	assert_int_equal(strlen(buf), 40 + 2 + 3);
	assert_string_equal(sw_ydescribe(NULL, buf, sizeof(buf)), "null");
	sw_ydoc_free(doc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tree_and_positions),
		cmocka_unit_test(test_scalar_kinds),
		cmocka_unit_test(test_multi_document),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_errors_with_positions),
		cmocka_unit_test(test_duplicate_in_large_map),
		cmocka_unit_test(test_hostile_depth),
		cmocka_unit_test(test_hostile_alias_bomb),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_file_io),
		cmocka_unit_test(test_merge_keys),
		cmocka_unit_test(test_hash_covers_object_text),
		cmocka_unit_test(test_typed_getters),
		cmocka_unit_test(test_str_and_bool_getters),
		cmocka_unit_test(test_unknown_fields),
		cmocka_unit_test(test_field_getters),
		cmocka_unit_test(test_describe),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
