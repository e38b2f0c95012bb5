/*
 * privdrop.h - dropping root for good once every privileged resource
 * (capture handles, NFLOG sockets, the listen socket) is open.
 *
 * After sw_privdrop() the process runs as the named user and its primary
 * group, with no supplementary groups, no capabilities in any set
 * (effective, permitted, inheritable, ambient; the bounding set too when
 * CAP_SETPCAP allows), PR_SET_NO_NEW_PRIVS set, and no way back to root.
 * Every step is verified; any doubt is an error, and the caller must then
 * stop (fail closed) rather than go on with privileges.
 */
#ifndef SEGWATCH_PRIVDROP_H
#define SEGWATCH_PRIVDROP_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "segwatch/error.h"

/* The user privileges are dropped to when none is named. */
#define SW_PRIVDROP_DEFAULT_USER "nobody"

/* Looks user (borrowed) up in the password database (getpwnam_r) and
 * stores its uid and primary gid. Returns SW_OK, SW_ERR_NOTFOUND for an
 * unknown user, SW_ERR_NOMEM or SW_ERR_IO when the lookup itself fails. */
enum sw_status sw_privdrop_lookup(const char *user, uid_t *uid, gid_t *gid,
                                  struct sw_err *err) SW_WUR;

/* Drops from root to user (borrowed), which must not be uid 0, in this
 * order: ambient set cleared, bounding set emptied (skipped without
 * CAP_SETPCAP), supplementary groups cleared (setgroups), setresgid,
 * setresuid, every capability set emptied (capset), PR_SET_NO_NEW_PRIVS;
 * then verifies the result with getresuid/getresgid, getgroups, capget
 * and /proc/self/status, and that setuid(0) and setgid(0) now fail.
 * Returns SW_OK; SW_ERR_NOTFOUND for an unknown user, SW_ERR_INVALID for
 * a uid-0 user, SW_ERR_PERM when not running as root, SW_ERR_IO when a
 * step or the verification failed. On error the process may be half
 * dropped: the caller must exit. Call it before starting any thread:
 * capset and prctl change the calling thread only. */
enum sw_status sw_privdrop(const char *user, struct sw_err *err) SW_WUR;

/* The privileges of the calling process, as the kernel reports them. */
struct sw_privstate {
	uid_t uid[3];       /* real, effective, saved */
	gid_t gid[3];       /* real, effective, saved */
	int n_groups;       /* supplementary groups (getgroups) */
	uint64_t cap_eff, cap_prm, cap_inh, cap_amb, cap_bnd;
	bool no_new_privs;
};

/* Fills *st from getresuid, getresgid, getgroups and /proc/self/status.
 * Returns SW_OK, or SW_ERR_IO when one of them cannot be read. */
enum sw_status sw_privdrop_state(struct sw_privstate *st, struct sw_err *err) SW_WUR;

#endif
