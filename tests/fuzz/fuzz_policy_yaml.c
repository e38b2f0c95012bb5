/*
 * fuzz_policy_yaml.c - libFuzzer target for the policy and inventory
 * loaders (YAML/JSON through analyzer/yamldoc.c) and, when both load, the
 * matcher compiled from them.
 *
 * Input: a policy file and an inventory file separated by a line
 * "#--inventory--"; without that line the whole input is given to both
 * loaders. The loaders take a path, so each part is written to a memfd and
 * loaded as /proc/self/fd/N. An input whose policy part mentions
 * "services" is also loaded as a docker-compose file.
 *
 * When both load, a matcher is compiled and judges every pair of a few
 * addresses (each endpoint's first address and some externals) for TCP,
 * UDP and ICMP; sw_matcher_explain(), computed from the policies directly,
 * must give the same verdict and reason as the compiled fast path.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "segwatch/inventory.h"
#include "segwatch/match.h"
#include "segwatch/netpol.h"
#include "segwatch/yamldoc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Inputs beyond this add nothing but time (the loaders' own cap is far
 * higher and tested elsewhere). */
#define FUZZ_YAML_MAX (64 * 1024)
#define FUZZ_MAX_ADDRS 12
#define FUZZ_PATH_MAX 64

static const char separator[] = "\n#--inventory--\n";

#define CHECK(cond)                                                        \
	do {                                                               \
		if (!(cond)) {                                             \
			fprintf(stderr, "%s:%d: invariant failed: %s\n",   \
			        __FILE__, __LINE__, #cond);                \
			abort();                                           \
		}                                                          \
	} while (0)

/* A memfd holding text, its path in path. Returns the fd or -1. */
static int memfile(const char *name, const uint8_t *text, size_t len,
                   char path[FUZZ_PATH_MAX])
{
	int fd = memfd_create(name, MFD_CLOEXEC);
	if (fd < 0)
		return -1;
	size_t off = 0;
	while (off < len) {
		ssize_t w = write(fd, text + off, len - off);
		if (w <= 0) {
			close(fd);
			return -1;
		}
		off += (size_t)w;
	}
	snprintf(path, FUZZ_PATH_MAX, "/proc/self/fd/%d", fd);
	return fd;
}

/* Formats every warning, as the CLI does. */
static void on_warning(void *ctx, const struct sw_err *w)
{
	char buf[SW_ERR_MSG_MAX + SW_ERR_FILE_MAX + 32];
	size_t *n = ctx;

	CHECK(w != NULL);
	sw_err_format(w, buf, sizeof(buf));
	CHECK(strlen(buf) < sizeof(buf));
	(*n)++;
}

/* After a failed load the message must be a terminated string. */
static void check_err(const struct sw_err *err)
{
	CHECK(memchr(err->msg, '\0', sizeof(err->msg)) != NULL);
	CHECK(memchr(err->file, '\0', sizeof(err->file)) != NULL);
	CHECK(err->status < 0);
}

static size_t pick_addrs(const struct sw_inventory *inv, struct sw_addr *a)
{
	static const char *const external[] = { "10.0.0.1", "8.8.8.8", "fd00::1", "::" };
	size_t n = 0;

	for (size_t i = 0; i < SW_ARRAY_SIZE(external); i++)
		if (sw_addr_parse(external[i], &a[n]) == SW_OK)
			n++;
	for (size_t i = 0; i < sw_inventory_n_endpoints(inv) && n < FUZZ_MAX_ADDRS; i++) {
		const struct sw_endpoint *ep = sw_inventory_endpoint(inv, i);
		if (ep->n_prefixes > 0)
			sw_prefix_first(&ep->prefixes[0], &a[n++]);
	}
	return n;
}

static void judge_all(const struct sw_inventory *inv, const struct sw_policy_set *set)
{
	static const struct { uint8_t proto; uint16_t port; } probes[] = {
		{ SW_PROTO_TCP, 80 }, { SW_PROTO_UDP, 53 }, { SW_PROTO_ICMP, 0 },
	};
	struct sw_addr a[FUZZ_MAX_ADDRS];
	struct sw_err err;

	struct sw_matcher *m = sw_matcher_new(inv, set, &err);
	if (m == NULL) {
		check_err(&err);
		return;
	}
	size_t n = pick_addrs(inv, a);
	for (size_t i = 0; i < n; i++) {
		for (size_t j = 0; j < n; j++) {
			for (size_t k = 0; k < SW_ARRAY_SIZE(probes); k++) {
				struct sw_judgement jg;
				struct sw_explanation *ex = NULL;
				sw_matcher_judge(m, &a[i], &a[j], probes[k].proto,
				                 probes[k].port, &jg);
				CHECK(jg.verdict == SW_VERDICT_ALLOWED ||
				      jg.verdict == SW_VERDICT_DENIED);
				CHECK((unsigned)jg.reason < SW_REASON_COUNT);
				if (sw_matcher_explain(m, &a[i], &a[j], probes[k].proto,
				                       probes[k].port, &ex) != SW_OK)
					continue;
				CHECK(ex->j.verdict == jg.verdict);
				CHECK(ex->j.reason == jg.reason);
				CHECK(ex->j.src_ep == jg.src_ep && ex->j.dst_ep == jg.dst_ep);
				free(sw_explanation_text(ex));
				sw_explanation_free(ex);
			}
		}
	}
	sw_matcher_free(m);
}

static void load_compose(const char *path)
{
	struct sw_policy_set *set = sw_policy_set_new();
	struct sw_inventory *inv = sw_inventory_new();
	struct sw_err err;
	size_t warnings = 0;

	if (set != NULL && inv != NULL) {
		if (sw_policy_set_load_compose(set, inv, path, on_warning, &warnings,
		                               &err) == SW_OK)
			judge_all(inv, set);
		else
			check_err(&err);
	}
	sw_inventory_free(inv);
	sw_policy_set_free(set);
}

static void fuzz_loaders(const char *pol_path, const char *inv_path, bool compose)
{
	struct sw_policy_set *set = sw_policy_set_new();
	struct sw_inventory *inv = sw_inventory_new();
	struct sw_err err;
	size_t warnings = 0;

	if (set == NULL || inv == NULL)
		goto out;
	bool pol_ok = sw_policy_set_load_file(set, pol_path, on_warning, &warnings, &err) == SW_OK;
	if (!pol_ok) {
		check_err(&err);
		CHECK(sw_policy_set_count(set) == 0); /* nothing of the file kept */
	}
	bool inv_ok = sw_inventory_load_file(inv, inv_path, on_warning, &warnings, &err) == SW_OK;
	if (!inv_ok) {
		check_err(&err);
		CHECK(sw_inventory_n_endpoints(inv) == 0);
	}
	if (pol_ok && inv_ok)
		judge_all(inv, set);
	if (compose)
		load_compose(pol_path);
out:
	sw_inventory_free(inv);
	sw_policy_set_free(set);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char pol_path[FUZZ_PATH_MAX], inv_path[FUZZ_PATH_MAX];

	if (size > FUZZ_YAML_MAX)
		return 0;
	const uint8_t *cut = memmem(data, size, separator, sizeof(separator) - 1);
	size_t pol_len = cut != NULL ? (size_t)(cut - data) : size;
	const uint8_t *inv_text = cut != NULL ? cut + sizeof(separator) - 1 : data;
	size_t inv_len = cut != NULL ? size - pol_len - (sizeof(separator) - 1) : size;
	bool compose = memmem(data, pol_len, "services", 8) != NULL;

	int pfd = memfile("policy.yaml", data, pol_len, pol_path);
	int ifd = memfile("inventory.yaml", inv_text, inv_len, inv_path);
	if (pfd >= 0 && ifd >= 0)
		fuzz_loaders(pol_path, inv_path, compose);
	if (pfd >= 0)
		close(pfd);
	if (ifd >= 0)
		close(ifd);
	return 0;
}
