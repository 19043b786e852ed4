/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The decoded kernel event and the paired mapping record.
 *
 * Every backend names its fields the same way (the tracepoint's "off" and
 * the kprobe's "pgoff" both end up in pgoff), so the reader, the pairing and
 * the output never know which backend produced an event.
 */
#ifndef MMT_EVENT_H
#define MMT_EVENT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/types.h>

/* What an event is for the pairing; set by the probe module per event id. */
enum mmt_event_role {
	MMT_ROLE_NONE = 0,
	MMT_ROLE_MMAP_ENTER,	/* sys_enter_mmap or do_mmap kprobe */
	MMT_ROLE_MMAP_EXIT,	/* sys_exit_mmap or do_mmap kretprobe */
	MMT_ROLE_TASK_EXIT,	/* sched_process_exit: forget the thread */
	MMT_ROLE_TASK_EXEC,	/* sched_process_exec: the thread's name and image changed */
	MMT_ROLE_TASK_NEW,	/* task_newtask: a thread or process was created */
	MMT_ROLE_TASK_RENAME,	/* task_rename: prctl(PR_SET_NAME) or a write to comm */
	MMT_ROLE_MPROT_ENTER,	/* sys_enter_(pkey_)mprotect or mprotect_fixup kprobe */
	MMT_ROLE_MPROT_EXIT,	/* sys_exit_(pkey_)mprotect or mprotect_fixup kretprobe */
	MMT_ROLE_KMAP,		/* perf's PERF_RECORD_MMAP2: the kernel's own record of a new
				   mapping, made inside the call (or the ELF loader, or an
				   mprotect that made a range executable) */
	MMT_ROLE_TASK_COMM,	/* perf's PERF_RECORD_COMM of an exec: the new image's name */
	MMT_ROLE_TASK_CREDS,	/* a set*uid()/set*gid() call succeeded: the ids changed (with
				   MMT_HAVE_IDS, commit_creds: to uid, euid and gid) */
	MMT_ROLE_TASK_NS,	/* an unshare()/setns() call succeeded: its namespaces changed */
};

/* Bits of mmt_event.have: which optional fields the backend delivered. */
enum {
	MMT_HAVE_FD		= 1u << 0,
	MMT_HAVE_FILE		= 1u << 1,	/* kernel struct file pointer */
	MMT_HAVE_INO		= 1u << 2,
	MMT_HAVE_DEV		= 1u << 3,
	MMT_HAVE_CTIME		= 1u << 4,
	MMT_HAVE_FFLAGS		= 1u << 5,
	MMT_HAVE_VM_FLAGS	= 1u << 6,
	MMT_HAVE_COMM		= 1u << 7,
	MMT_HAVE_PREV_PROT	= 1u << 8,	/* mprotect_fixup: the VMA's protection before */
	MMT_HAVE_PATH		= 1u << 9,	/* KMAP: the kernel's d_path of the file */
	MMT_HAVE_INO_GEN	= 1u << 10,	/* KMAP: the inode's generation */
	MMT_HAVE_IDS		= 1u << 11,	/* TASK_CREDS: uid, euid and gid */
};

/* One decoded event, as the ring reader hands it on (entry or return). */
struct mmt_event {
	uint64_t ts;		/* trace clock (mono) in ns */
	int cpu;
	enum mmt_event_role role;
	pid_t tid;		/* common_pid */
	unsigned int have;	/* MMT_HAVE_* */
	/* entry fields; for an mprotect: addr, len, prot (and prev_prot) */
	uint64_t addr, len, prot, flags, pgoff, prev_prot;
	int64_t fd;
	uint64_t file, ino, ctime_sec, ctime_nsec, vm_flags;
	uint64_t dev;		/* user-space dev_t encoding, as stat's st_dev */
	uint32_t f_flags;
	/* return field */
	int64_t ret;
	/* task events */
	pid_t child;		/* task_newtask: the new task's id */
	uint64_t clone_flags;
	char comm[16];		/* task_newtask: the new task's name; task_rename, TASK_COMM:
				   the new name */
	uint32_t uid, euid, gid;	/* TASK_CREDS with MMT_HAVE_IDS: the thread's ids from
					   now on (real user, effective user, real group) */
	/* KMAP: the process, the file's name (owned by the source's queue), its generation */
	pid_t tgid;
	const char *path;
	uint64_t ino_gen;
};

/*
 * A paired mapping: the entry's arguments plus the return and its time; or,
 * with enter.role MMT_ROLE_MPROT_ENTER, a paired mprotect (ret 0 or -errno).
 */
struct mmt_mapping {
	struct mmt_event enter;
	uint64_t ts_exit;
	int64_t ret;		/* address or -errno */
	pid_t tid;
	bool kernel_made;	/* no traced call: made of the kernel's record alone */
	bool have_kmap;		/* kmap is the kernel's record of this call's mapping */
	struct mmt_event kmap;	/* its path is the mapping's: mmt_mapping_release() */
};

/** mmt_mapping_release() - free what the mapping owns (the kernel's path). */
static inline void mmt_mapping_release(struct mmt_mapping *m)
{
	free((char *)m->kmap.path);
	m->kmap.path = NULL;
	m->have_kmap = false;
}

/* Largest errno the kernel returns in place of an address (MAX_ERRNO). */
#define MMT_MAX_ERRNO	4095

/** mmt_mapping_failed() - true if the mmap returned -errno, not an address. */
static inline bool mmt_mapping_failed(const struct mmt_mapping *m)
{
	return m->ret < 0 && m->ret >= -MMT_MAX_ERRNO;
}

#endif /* MMT_EVENT_H */
