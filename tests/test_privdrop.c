/*
 * test_privdrop.c - dropping root (common/privdrop.c): user lookup, the
 * state query, and, as root, a forked child that drops and reports what
 * the kernel says through a pipe. The root-only tests are skipped when
 * not running as root.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "segwatch/privdrop.h"

/* What the child saw after its sw_privdrop() call. */
struct report {
	enum sw_status status;
	char msg[SW_ERR_MSG_MAX];
	enum sw_status state_status;
	struct sw_privstate st;
	int setuid0, setgid0, seteuid0;   /* 0 when regaining root worked */
	int raw_socket;                   /* socket(AF_PACKET, SOCK_RAW) result */
	int reopen_errno;                 /* reopening a root-only file */
	int read_early_fd;                /* bytes read from the fd opened before */
};

/* The actions of one child: before and after the drop. */
struct child_plan {
	const char *user;
	const char *root_file;            /* opened before the drop, reopened after */
	uid_t pre_uid;                    /* != 0: become this uid before (not root) */
};

static void child_run(const struct child_plan *p, int wfd)
{
	struct report r;
	struct sw_err err;
	int early = -1;

	memset(&r, 0, sizeof(r));
	if (p->root_file != NULL)
		early = open(p->root_file, O_RDONLY);
	if (p->pre_uid != 0 && setresuid(p->pre_uid, p->pre_uid, p->pre_uid) != 0)
		_exit(3);
	sw_err_clear(&err);
	r.status = sw_privdrop(p->user, &err);
	snprintf(r.msg, sizeof(r.msg), "%s", err.msg);
	r.state_status = sw_privdrop_state(&r.st, NULL);
	r.setuid0 = setuid(0);
	r.setgid0 = setgid(0);
	r.seteuid0 = seteuid(0);
	r.raw_socket = socket(AF_PACKET, SOCK_RAW, 0);
	if (p->root_file != NULL) {
		char buf[16];
		int fd = open(p->root_file, O_RDONLY);
		r.reopen_errno = fd < 0 ? errno : 0;
		r.read_early_fd = early < 0 ? -1 : (int)read(early, buf, sizeof(buf));
	}
	if (write(wfd, &r, sizeof(r)) != (ssize_t)sizeof(r))
		_exit(4);
	_exit(0);
}

/* Forks a child that follows *p and returns its report. */
static void in_child(const struct child_plan *p, struct report *r)
{
	int fds[2];
	pid_t pid;
	int wst;

	assert_int_equal(pipe(fds), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(fds[0]);
		child_run(p, fds[1]);
	}
	close(fds[1]);
	assert_int_equal(read(fds[0], r, sizeof(*r)), (ssize_t)sizeof(*r));
	close(fds[0]);
	assert_int_equal(waitpid(pid, &wst, 0), pid);
	assert_true(WIFEXITED(wst) && WEXITSTATUS(wst) == 0);
}

static void need_root(void)
{
	if (geteuid() != 0)
		skip();
}

/* ---- lookup ---- */

static void test_lookup_table(void **state)
{
	static const struct {
		const char *user;
		enum sw_status st;
	} cases[] = {
		{"root", SW_OK},
		{"nobody", SW_OK},
		{"segwatch-no-such-user", SW_ERR_NOTFOUND},
		{"", SW_ERR_NOTFOUND},
	};
	(void)state;
	for (size_t i = 0; i < SW_ARRAY_SIZE(cases); i++) {
		struct sw_err err;
		uid_t uid = 12345;
		gid_t gid = 12345;
		sw_err_clear(&err);
		enum sw_status st = sw_privdrop_lookup(cases[i].user, &uid, &gid, &err);
		assert_int_equal(st, cases[i].st);
		if (st != SW_OK) {
			assert_non_null(strstr(err.msg, "no such user"));
			continue;
		}
		/* the plain, non-reentrant lookup is the oracle */
		struct passwd *pw = getpwnam(cases[i].user);
		assert_non_null(pw);
		assert_int_equal(uid, pw->pw_uid);
		assert_int_equal(gid, pw->pw_gid);
	}
}

/* ---- state of this process ---- */

static void test_state_matches_kernel(void **state)
{
	struct sw_privstate st;
	uid_t r, e, s;
	gid_t rg, eg, sg;

	(void)state;
	assert_int_equal(sw_privdrop_state(&st, NULL), SW_OK);
	assert_int_equal(getresuid(&r, &e, &s), 0);
	assert_int_equal(getresgid(&rg, &eg, &sg), 0);
	assert_int_equal(st.uid[0], r);
	assert_int_equal(st.uid[1], e);
	assert_int_equal(st.uid[2], s);
	assert_int_equal(st.gid[0], rg);
	assert_int_equal(st.gid[1], eg);
	assert_int_equal(st.gid[2], sg);
	assert_int_equal(st.n_groups, getgroups(0, NULL));
	/* effective is always within permitted, ambient within both */
	assert_int_equal(st.cap_eff & ~st.cap_prm, 0);
	assert_int_equal(st.cap_amb & ~(st.cap_prm & st.cap_inh), 0);
	if (geteuid() == 0)
		assert_true(st.cap_eff != 0); /* root here holds capabilities */
}

/* ---- dropping ---- */

static void test_not_root_is_refused(void **state)
{
	struct child_plan p = {"nobody", NULL, 0};
	struct report r;
	struct passwd *pw = getpwnam("nobody");

	(void)state;
	assert_non_null(pw);
	if (geteuid() == 0)
		p.pre_uid = pw->pw_uid; /* become unprivileged first, then ask */
	in_child(&p, &r);
	assert_int_equal(r.status, SW_ERR_PERM);
	assert_non_null(strstr(r.msg, "needs root"));
}

static void test_drop_to_nobody(void **state)
{
	struct child_plan p = {"nobody", NULL, 0};
	struct sw_privstate before;
	struct report r;
	struct passwd *pw;

	(void)state;
	need_root();
	pw = getpwnam("nobody");
	assert_non_null(pw);
	assert_int_equal(sw_privdrop_state(&before, NULL), SW_OK);
	in_child(&p, &r);
	assert_int_equal(r.status, SW_OK);
	assert_int_equal(r.state_status, SW_OK);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(r.st.uid[i], pw->pw_uid);
		assert_int_equal(r.st.gid[i], pw->pw_gid);
	}
	assert_int_equal(r.st.n_groups, 0);
	assert_int_equal(r.st.cap_eff, 0);
	assert_int_equal(r.st.cap_prm, 0);
	assert_int_equal(r.st.cap_inh, 0);
	assert_int_equal(r.st.cap_amb, 0);
	/* CAP_SETPCAP (bit 8) lets the bounding set be emptied */
	if (before.cap_eff & (1ull << 8))
		assert_int_equal(r.st.cap_bnd, 0);
	assert_true(r.st.no_new_privs);
	assert_int_equal(r.setuid0, -1);
	assert_int_equal(r.setgid0, -1);
	assert_int_equal(r.seteuid0, -1);
	assert_int_equal(r.raw_socket, -1); /* CAP_NET_RAW is gone */
}

/* What is opened before the drop stays usable; a new open is refused. */
static void test_fd_opened_before_survives(void **state)
{
	char path[] = "/tmp/segwatch-privdrop-XXXXXX";
	struct child_plan p = {"nobody", path, 0};
	struct report r;
	int fd;

	(void)state;
	need_root();
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "secret", 6), 6);
	assert_int_equal(fchmod(fd, 0600), 0);
	close(fd);
	in_child(&p, &r);
	unlink(path);
	assert_int_equal(r.status, SW_OK);
	assert_int_equal(r.read_early_fd, 6);
	assert_int_equal(r.reopen_errno, EACCES);
}

static void test_refusals_as_root(void **state)
{
	static const struct {
		const char *user;
		enum sw_status st;
		const char *msg;
	} cases[] = {
		{"root", SW_ERR_INVALID, "has uid 0"},
		{"segwatch-no-such-user", SW_ERR_NOTFOUND, "no such user"},
	};
	(void)state;
	need_root();
	for (size_t i = 0; i < SW_ARRAY_SIZE(cases); i++) {
		struct child_plan p = {cases[i].user, NULL, 0};
		struct report r;
		in_child(&p, &r);
		assert_int_equal(r.status, cases[i].st);
		assert_non_null(strstr(r.msg, cases[i].msg));
		/* refused before any change: still root */
		assert_int_equal(r.st.uid[1], 0);
		assert_int_equal(r.setuid0, 0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lookup_table),
		cmocka_unit_test(test_state_matches_kernel),
		cmocka_unit_test(test_not_root_is_refused),
		cmocka_unit_test(test_drop_to_nobody),
		cmocka_unit_test(test_fd_opened_before_survives),
		cmocka_unit_test(test_refusals_as_root),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
