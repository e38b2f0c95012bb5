/*
 * privdrop.c - dropping root to an unprivileged user with no capabilities
 * left, and checking that it holds (see include/segwatch/privdrop.h).
 * No libcap: capset/capget through syscall(2), the rest through prctl(2).
 */
#include "segwatch/privdrop.h"

#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

/* getpwnam_r buffer: start here, double on ERANGE up to the cap. */
#define PW_BUF_START 4096
#define PW_BUF_MAX (1u << 20)
/* /proc/self/status is a few kilobytes. */
#define STATUS_BUF 8192

enum sw_status sw_privdrop_lookup(const char *user, uid_t *uid, gid_t *gid, struct sw_err *err)
{
	size_t len = PW_BUF_START;
	struct passwd pw, *found = NULL;
	char *buf = NULL;
	int e;

	do {
		char *nb = realloc(buf, len);
		if (nb == NULL) {
			free(buf);
			return sw_err_set(err, SW_ERR_NOMEM, NULL, 0, 0, "out of memory");
		}
		buf = nb;
		e = getpwnam_r(user, &pw, buf, len, &found);
		len *= 2;
	} while (e == ERANGE && len <= PW_BUF_MAX);
	if (found != NULL) {
		*uid = pw.pw_uid;
		*gid = pw.pw_gid;
	}
	free(buf);
	if (found != NULL)
		return SW_OK;
	/* getpwnam_r reports "no such user" as 0, ENOENT, ESRCH, EBADF or EPERM */
	if (e == 0 || e == ENOENT || e == ESRCH || e == EBADF || e == EPERM)
		return sw_err_set(err, SW_ERR_NOTFOUND, NULL, 0, 0, "no such user '%s'", user);
	return sw_err_set(err, SW_ERR_IO, NULL, 0, 0, "cannot look up user '%s': %s", user,
	                  strerror(e));
}

/* Reads the effective, permitted and inheritable sets of this process. */
static int caps_get(uint64_t *eff, uint64_t *prm, uint64_t *inh)
{
	struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
	struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3];

	memset(d, 0, sizeof(d));
	if (syscall(SYS_capget, &hdr, d) != 0)
		return -1;
	*eff = d[0].effective | (uint64_t)d[1].effective << 32;
	*prm = d[0].permitted | (uint64_t)d[1].permitted << 32;
	*inh = d[0].inheritable | (uint64_t)d[1].inheritable << 32;
	return 0;
}

/* Empties the effective, permitted and inheritable sets (always allowed). */
static int caps_clear(void)
{
	struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
	struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3];

	memset(d, 0, sizeof(d));
	return syscall(SYS_capset, &hdr, d) == 0 ? 0 : -1;
}

/* Drops every capability from the bounding set. Without CAP_SETPCAP (a
 * container that withholds it) the set cannot shrink; that is tolerated:
 * with NO_NEW_PRIVS and empty permitted and inheritable sets, nothing in
 * the bounding set can be gained again. */
static enum sw_status drop_bounding(struct sw_err *err)
{
	for (int cap = 0; cap < 64; cap++) {
		if (prctl(PR_CAPBSET_READ, (unsigned long)cap, 0, 0, 0) < 0)
			break; /* EINVAL: beyond the kernel's last capability */
		if (prctl(PR_CAPBSET_DROP, (unsigned long)cap, 0, 0, 0) == 0)
			continue;
		if (errno == EPERM)
			return SW_OK;
		return sw_err_set(err, SW_ERR_IO, NULL, 0, 0,
		                  "cannot drop capability %d from the bounding set: %s", cap,
		                  strerror(errno));
	}
	return SW_OK;
}

static enum sw_status fail(struct sw_err *err, const char *step)
{
	return sw_err_set(err, SW_ERR_IO, NULL, 0, 0, "dropping privileges: %s failed: %s", step,
	                  strerror(errno));
}

/* The irreversible part: groups, gid, uid, then every capability set. */
static enum sw_status change_ids(uid_t uid, gid_t gid, struct sw_err *err)
{
	if (prctl(PR_SET_KEEPCAPS, 0L, 0L, 0L, 0L) != 0)
		return fail(err, "PR_SET_KEEPCAPS");
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0L, 0L, 0L) != 0 && errno != EINVAL)
		return fail(err, "PR_CAP_AMBIENT_CLEAR_ALL");
	enum sw_status st = drop_bounding(err);
	if (st != SW_OK)
		return st;
	if (setgroups(0, NULL) != 0)
		return fail(err, "setgroups");
	if (setresgid(gid, gid, gid) != 0)
		return fail(err, "setresgid");
	if (setresuid(uid, uid, uid) != 0)
		return fail(err, "setresuid");
	/* the kernel already cleared them on the uid change unless securebits
	 * say otherwise; clear them regardless */
	if (caps_clear() != 0)
		return fail(err, "capset");
	if (prctl(PR_SET_NO_NEW_PRIVS, 1L, 0L, 0L, 0L) != 0)
		return fail(err, "PR_SET_NO_NEW_PRIVS");
	return SW_OK;
}

/* Checks what change_ids() promised; any doubt is an error. */
static enum sw_status verify(uid_t uid, gid_t gid, struct sw_err *err)
{
	struct sw_privstate st;
	uint64_t eff, prm, inh;

	if (sw_privdrop_state(&st, err) != SW_OK)
		return SW_ERR_IO;
	for (int i = 0; i < 3; i++)
		if (st.uid[i] != uid || st.gid[i] != gid)
			return sw_err_set(err, SW_ERR_IO, NULL, 0, 0,
			                  "dropping privileges: ids are %u/%u, expected %u/%u",
			                  (unsigned)st.uid[i], (unsigned)st.gid[i], (unsigned)uid,
			                  (unsigned)gid);
	if (st.n_groups != 0)
		return sw_err_set(err, SW_ERR_IO, NULL, 0, 0,
		                  "dropping privileges: %d supplementary groups remain", st.n_groups);
	if (caps_get(&eff, &prm, &inh) != 0)
		return fail(err, "capget");
	if (eff | prm | inh | st.cap_eff | st.cap_prm | st.cap_inh | st.cap_amb)
		return sw_err_set(err, SW_ERR_IO, NULL, 0, 0,
		                  "dropping privileges: capabilities remain (effective %llx, "
		                  "permitted %llx, inheritable %llx, ambient %llx)",
		                  (unsigned long long)st.cap_eff, (unsigned long long)st.cap_prm,
		                  (unsigned long long)st.cap_inh, (unsigned long long)st.cap_amb);
	if (!st.no_new_privs)
		return sw_err_set(err, SW_ERR_IO, NULL, 0, 0,
		                  "dropping privileges: no_new_privs is not set");
	if (setuid(0) == 0 || setgid(0) == 0 || seteuid(0) == 0)
		return sw_err_set(err, SW_ERR_IO, NULL, 0, 0,
		                  "dropping privileges: root could be regained");
	return SW_OK;
}

enum sw_status sw_privdrop(const char *user, struct sw_err *err)
{
	uid_t uid;
	gid_t gid;
	enum sw_status st;

	if (geteuid() != 0)
		return sw_err_set(err, SW_ERR_PERM, NULL, 0, 0, "dropping privileges needs root");
	st = sw_privdrop_lookup(user, &uid, &gid, err);
	if (st != SW_OK)
		return st;
	if (uid == 0)
		return sw_err_set(err, SW_ERR_INVALID, NULL, 0, 0,
		                  "user '%s' has uid 0: there is nothing to drop to", user);
	st = change_ids(uid, gid, err);
	return st != SW_OK ? st : verify(uid, gid, err);
}

/* ---- reading the state back ---------------------------------------------- */

/* 16 hex digits or fewer, up to the end of the line. */
static int parse_hex(const char *p, uint64_t *out)
{
	uint64_t v = 0;
	int n = 0;

	for (; *p != '\n' && *p != '\0'; p++, n++) {
		int d;
		if (*p >= '0' && *p <= '9')
			d = *p - '0';
		else if (*p >= 'a' && *p <= 'f')
			d = *p - 'a' + 10;
		else
			return -1;
		if (n == 16)
			return -1;
		v = v << 4 | (uint64_t)d;
	}
	*out = v;
	return n > 0 ? 0 : -1;
}

/* The value after "Name:\t" in the status text, as hex; -1 if absent. */
static int status_field(const char *text, const char *name, uint64_t *out)
{
	size_t nl = strlen(name);
	const char *p = text;

	while (strncmp(p, name, nl) != 0 || p[nl] != ':') {
		p = strchr(p, '\n');
		if (p == NULL)
			return -1;
		p++;
	}
	p += nl + 1;
	while (*p == '\t' || *p == ' ')
		p++;
	return parse_hex(p, out);
}

static enum sw_status read_status(char *buf, size_t len, struct sw_err *err)
{
	FILE *f = fopen("/proc/self/status", "r");
	size_t n;

	if (f == NULL)
		return sw_err_set(err, SW_ERR_IO, "/proc/self/status", 0, 0, "cannot open: %s",
		                  strerror(errno));
	n = fread(buf, 1, len - 1, f);
	buf[n] = '\0';
	if (ferror(f) || n == 0) {
		fclose(f);
		return sw_err_set(err, SW_ERR_IO, "/proc/self/status", 0, 0, "cannot read");
	}
	fclose(f);
	return SW_OK;
}

enum sw_status sw_privdrop_state(struct sw_privstate *st, struct sw_err *err)
{
	char text[STATUS_BUF];
	uint64_t nnp = 0;

	memset(st, 0, sizeof(*st));
	if (getresuid(&st->uid[0], &st->uid[1], &st->uid[2]) != 0 ||
	    getresgid(&st->gid[0], &st->gid[1], &st->gid[2]) != 0)
		return fail(err, "getresuid/getresgid");
	st->n_groups = getgroups(0, NULL);
	if (st->n_groups < 0)
		return fail(err, "getgroups");
	if (read_status(text, sizeof(text), err) != SW_OK)
		return SW_ERR_IO;
	if (status_field(text, "CapEff", &st->cap_eff) != 0 ||
	    status_field(text, "CapPrm", &st->cap_prm) != 0 ||
	    status_field(text, "CapInh", &st->cap_inh) != 0 ||
	    status_field(text, "CapAmb", &st->cap_amb) != 0 ||
	    status_field(text, "CapBnd", &st->cap_bnd) != 0 ||
	    status_field(text, "NoNewPrivs", &nnp) != 0)
		return sw_err_set(err, SW_ERR_IO, "/proc/self/status", 0, 0,
		                  "capability or NoNewPrivs lines missing or malformed");
	st->no_new_privs = nnp != 0;
	return SW_OK;
}
