// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * confine.c - privilege separation's other half: after this, a bug in a
 * parser (libmagic, the ELF note reader) that a hostile file triggers can
 * read the descriptors the process has and write to its socket, nothing
 * else. libseccomp builds the filter: it knows each architecture's
 * system call numbers and writes the architecture check a hand-made BPF
 * program would have to get right itself.
 */
#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <linux/securebits.h>
#include <seccomp.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "confine.h"

/* Descriptors: the socket, the standard streams, the file of one request, and room. */
#define CONFINED_FDS	16
/* Address space, where no sanitizer needs terabytes of it for its shadow. */
#define CONFINED_AS	((rlim_t)1 << 30)

/* What the inspector's loop, glibc, libcrypto and libmagic call on a descriptor they have. */
static const char *const allowed[] = {
	"read", "pread64", "readv", "write", "writev", "lseek", "fstat", "newfstatat",
	"fadvise64", "fcntl", "close", "recvmsg", "sendmsg", "sendto",
	"brk", "munmap", "mremap", "madvise",
	"futex", "sched_yield", "clock_gettime", "gettimeofday", "getrandom",
	"getpid", "gettid", "rt_sigreturn", "rt_sigprocmask", "restart_syscall",
	"exit", "exit_group",
};

static int fail(char *why, size_t size, int err, const char *what)
{
	snprintf(why, size, "%s: %s", what, strerror(-err));
	return err;
}

/* Capabilities: none in any set, and no way to get them back. */
static int drop_caps(char *why, size_t size)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];
	int cap;

	if (setgroups(0, NULL) < 0 && errno != EPERM)
		return fail(why, size, -errno, "setgroups");
	/* Without CAP_SETPCAP (not root) there is nothing in the bounding set to use anyway. */
	for (cap = 0; prctl(PR_CAPBSET_READ, cap, 0, 0, 0) >= 0; cap++) {
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EPERM)
			return fail(why, size, -errno, "PR_CAPBSET_DROP");
	}
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
		return fail(why, size, -errno, "PR_CAP_AMBIENT_CLEAR_ALL");
	if (prctl(PR_SET_SECUREBITS, SECBIT_NOROOT | SECBIT_NOROOT_LOCKED |
		  SECBIT_NO_SETUID_FIXUP | SECBIT_NO_SETUID_FIXUP_LOCKED |
		  SECBIT_KEEP_CAPS_LOCKED | SECBIT_NO_CAP_AMBIENT_RAISE |
		  SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED, 0, 0, 0) < 0 && errno != EPERM)
		return fail(why, size, -errno, "PR_SET_SECUREBITS");
	memset(data, 0, sizeof(data));
	if (syscall(SYS_capset, &hdr, data) < 0)
		return fail(why, size, -errno, "capset");
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return fail(why, size, -errno, "PR_SET_NO_NEW_PRIVS");
	/* A core dump would hold what the process read; it is not traceable by others either. */
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		return fail(why, size, -errno, "PR_SET_DUMPABLE");
	return 0;
}

static int set_limit(int resource, rlim_t value)
{
	struct rlimit rl = { .rlim_cur = value, .rlim_max = value };

	return setrlimit(resource, &rl) < 0 ? -errno : 0;
}

static int set_limits(char *why, size_t size)
{
	int r;

	r = set_limit(RLIMIT_NOFILE, CONFINED_FDS);
	if (!r)
		r = set_limit(RLIMIT_FSIZE, 0);
	if (!r)
		r = set_limit(RLIMIT_CORE, 0);
#ifndef __SANITIZE_ADDRESS__
	if (!r)
		r = set_limit(RLIMIT_AS, CONFINED_AS);
#endif
	return r < 0 ? fail(why, size, r, "setrlimit") : 0;
}

/* Memory may be mapped and protected, never executable: no code is made at run time. */
static int allow_memory(scmp_filter_ctx ctx)
{
	int r;

	r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mmap), 1,
			     SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
	if (!r)
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mprotect), 1,
				     SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
	return r;
}

static int filter(char *why, size_t size)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_KILL_PROCESS);
	size_t i;
	int nr, r = 0;

	if (!ctx)
		return fail(why, size, -ENOMEM, "seccomp_init");
	for (i = 0; i < sizeof(allowed) / sizeof(allowed[0]) && !r; i++) {
		/* A call this architecture does not have is not needed on it. */
		nr = seccomp_syscall_resolve_name(allowed[i]);
		if (nr != __NR_SCMP_ERROR && nr >= 0)
			r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0);
	}
	if (!r)
		r = allow_memory(ctx);
	if (!r)
		r = seccomp_load(ctx);
	seccomp_release(ctx);
	return r < 0 ? fail(why, size, r, "seccomp") : 0;
}

int mmt_confine(char *why, size_t size)
{
	int r;

	why[0] = '\0';
	r = drop_caps(why, size);
	if (!r)
		r = set_limits(why, size);
	if (!r)
		r = filter(why, size);
	return r;
}
