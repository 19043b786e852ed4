/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Details of the process that made a mapping, read from /proc: what Kunai puts in
 * info.task, info.parent_task, data.ancestors, data.command_line and data.exe.path.
 *
 * The thread table (thread.h) reads a process once, at its first event, and keeps it,
 * so that a process which is gone by the time its later events are handled is still
 * described.
 */
#ifndef MMT_TASK_H
#define MMT_TASK_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* Longest command line kept, in bytes; the rest is dropped and cmdline_truncated set */
#define MMT_TASK_CMDLINE_MAX	(128 * 1024)
/* Most ancestors walked; a longer chain is cut at the oldest end and noted in error */
#define MMT_TASK_ANCESTORS_MAX	64
/* TASK_COMM_LEN: 15 bytes and the NUL */
#define MMT_TASK_COMM_LEN	16
/* "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" and the NUL */
#define MMT_TASK_GUUID_LEN	37
/* PF_KTHREAD in mmt_task.flags */
#define MMT_TASK_PF_KTHREAD	0x00200000u

/**
 * struct mmt_task - one thread and its process, as /proc showed them
 * @pid: thread id (Kunai's task.pid is the kernel's pid, i.e. the thread id)
 * @tgid: thread group id, i.e. the process id
 * @ppid: tgid of the parent process (real_parent)
 * @comm: thread name, raw bytes as the kernel has them (may hold spaces, parentheses,
 *	control bytes, invalid UTF-8), NUL-terminated, cut to 15 bytes
 * @uid: real user id, from the thread's status
 * @gid: real group id, likewise
 * @user: name of @uid in this host's user database; NULL if it has none
 * @group: name of @gid likewise; NULL if it has none
 * @start_time: the thread's start, in clock ticks since boot (stat field 22)
 * @tg_start_time: the process's (thread group leader's) start, same unit; equals
 *	@start_time when @pid == @tgid
 * @guuid: the process's id as a lower-case UUID string, the same for all its threads and
 *	stable for its whole life, laid out as Kunai's: @tg_start_time in ns (8 bytes,
 *	little-endian), 32 bits of the boot id, @tgid (4 bytes, little-endian)
 * @mnt_ns: inode number of the thread's mount namespace; 0 if unknown
 * @container: @mnt_ns is known and not the tool's own: the task is in a container,
 *	as Kunai decides it (info.host.container)
 * @container_type: "docker" or "lxc" as its cgroup path names it (Kunai's rule:
 *	a last component "docker-*", a second "lxc.payload.*"), else NULL (the
 *	ancestors may still say: mmt_task_container_type())
 * @flags: the thread's PF_* flags (stat field 9)
 * @zombie: the thread was a zombie (state Z or X) when read
 * @exe: the process's executable, raw bytes of the /proc/PID/exe link (may end in
 *	" (deleted)"); NULL for kernel threads, zombies and when unreadable
 * @cmdline: the process's arguments, raw bytes, separated by one space each, trailing
 *	separators trimmed, NUL-terminated; "" when the process has none (kernel threads,
 *	zombies); NULL if unreadable. May contain any byte but NUL.
 * @cmdline_len: strlen(@cmdline), 0 if NULL
 * @cmdline_truncated: the command line was longer than %MMT_TASK_CMDLINE_MAX
 * @ancestors: executables of the ancestors, oldest first, joined by '|', not including
 *	this process; "" for a process whose parent is 0. A kernel thread appears as its
 *	comm in brackets ("[kthreadd]"), an ancestor whose exe cannot be read as "?".
 *	NULL only if no ancestor could be read at all.
 * @error: NULL, or what could not be read, e.g. "exe: Permission denied (EACCES)";
 *	several such notes are joined by "; "
 *
 * All pointers are owned by the struct and freed by mmt_task_release().
 */
struct mmt_task {
	pid_t pid;
	pid_t tgid;
	pid_t ppid;
	char comm[MMT_TASK_COMM_LEN];
	uid_t uid;
	gid_t gid;
	char *user;
	char *group;
	unsigned long long start_time;
	unsigned long long tg_start_time;
	char guuid[MMT_TASK_GUUID_LEN];
	unsigned long long mnt_ns;
	bool container;
	const char *container_type;
	unsigned int flags;
	bool zombie;
	char *exe;
	char *cmdline;
	size_t cmdline_len;
	bool cmdline_truncated;
	char *ancestors;
	char *error;
};

/* Reading one thread */

struct mmt_task_reader;

/**
 * mmt_task_reader_new() - what reading tasks keeps from one read to the next
 *
 * The boot id (read once, here) and the user and group names already looked up
 * (NSS may go to the network: LDAP, sssd). Not thread-safe: use it from one thread.
 *
 * Return: the reader, to be freed with mmt_task_reader_free(); NULL with errno set
 * (ENOMEM) on failure.
 */
struct mmt_task_reader *mmt_task_reader_new(void);

/**
 * mmt_task_reader_free() - free a reader
 * @r: the reader, or NULL
 */
void mmt_task_reader_free(struct mmt_task_reader *r);

/**
 * mmt_task_read() - read a thread and its process from /proc
 * @r: a reader, or NULL to read the boot id afresh and look names up uncached
 *	(then the call is safe from several threads at once)
 * @tid: thread id; need not be a process id (/proc/TID works for threads too)
 * @t: filled in; its previous contents are ignored (not freed)
 *
 * Everything comes from /proc/@tid, whose exe and cmdline are those of the whole
 * process (and outlive an exited leader thread); only the guuid's start time comes
 * from /proc/TGID.
 *
 * Return: 0 if at least pid, tgid, ppid, comm, ids, start time and flags were read
 * (what else is missing is described in @t->error); -ENOENT or -ESRCH if the thread
 * is gone (then @t->error says so); -ENOMEM; -EPROTO if /proc/@tid/stat or status
 * could not be parsed, or another -errno of reading them. In every case @t must be released with
 * mmt_task_release().
 */
int mmt_task_read(struct mmt_task_reader *r, pid_t tid, struct mmt_task *t);

/**
 * struct mmt_task_facts - what the kernel's events said of a task that /proc no longer shows
 * @pid: thread id
 * @tgid: its process
 * @ppid: the process's parent (its creator's process at fork, or /proc's while it lived)
 * @comm: its name (from fork, an exec's COMM record or a rename); NULL if unknown
 * @have_ids: @uid and @gid are its real ids for certain: read from /proc, said by
 *	commit_creds, or its creator's at fork with no change since (changes are traced)
 * @uid: real user id
 * @gid: real group id
 * @start_time: the thread's start, in clock ticks since boot as stat's field 22
 * @tg_start_time: its process's, likewise
 * @exe: the file the kernel's ELF loader mapped first at the process's exec (its
 *	/proc/PID/exe), or its creator's at fork; NULL if unknown. Borrowed.
 * @ancestors: as struct mmt_task's, built from the parent's; NULL if unknown. Borrowed.
 * @ancestors_cut: @ancestors was cut at %MMT_TASK_ANCESTORS_MAX
 * @ancestors_error: what @ancestors lacks ("ancestors: ..." notes, "; "-joined),
 *	or NULL. Borrowed.
 * @mnt_ns: its mount namespace's inode, or 0 if unknown
 */
struct mmt_task_facts {
	pid_t pid, tgid, ppid;
	const char *comm;
	bool have_ids;
	uid_t uid;
	gid_t gid;
	unsigned long long start_time, tg_start_time;
	const char *exe;
	const char *ancestors;
	bool ancestors_cut;
	const char *ancestors_error;
	unsigned long long mnt_ns;
};

/**
 * mmt_task_compose() - describe a task from the kernel's events alone
 * @r: a reader (its boot id and name cache), or NULL
 * @f: the facts
 * @t: filled in; its previous contents are ignored (not freed)
 *
 * For a task gone before /proc could be read: what no event carries (command
 * line, PF_* flags, namespaces) is left unknown, and so is what @f lacks, and
 * @t->error names each part. A task that made a call was running, so it is no
 * zombie. The guuid is made as mmt_task_read() makes it.
 * Return: 0, or -ENOMEM (then @t must still be released).
 */
int mmt_task_compose(struct mmt_task_reader *r, const struct mmt_task_facts *f,
		     struct mmt_task *t);

/**
 * mmt_task_set_start() - give a task read from /proc its process start from events
 * @r: a reader, or NULL
 * @t: a task
 * @tg_start_time: its process's start, ticks since boot, as the fork event said
 *
 * So that the guuid of a process seen at its fork does not depend on whether a
 * record was made while it lived or after: both come from the fork's time.
 */
void mmt_task_set_start(struct mmt_task_reader *r, struct mmt_task *t,
			unsigned long long tg_start_time);

/**
 * mmt_task_read_self() - mmt_task_read() but for the ancestors (t->ancestors NULL)
 *
 * For a caller that has the parent's details at hand: the ancestors are the
 * parent's and the parent (mmt_task_set_ancestors()), not a walk of /proc
 * that reads two files per ancestor. Return: as mmt_task_read().
 */
int mmt_task_read_self(struct mmt_task_reader *r, pid_t tid, struct mmt_task *t);

/**
 * mmt_task_read_ancestors() - walk /proc's ppid links for @t's ancestors, as
 *	mmt_task_read() does (t->ancestors and t->error)
 * Return: 0 or -ENOMEM.
 */
int mmt_task_read_ancestors(struct mmt_task *t);

/**
 * mmt_task_set_ancestors() - give @t ancestors found otherwise
 * @t: a task, its ancestors NULL
 * @ancestors: copied; NULL leaves them unknown
 * @cut: they were cut at %MMT_TASK_ANCESTORS_MAX (noted in t->error)
 * @error: "ancestors: ..." notes to add to t->error, or NULL
 * Return: 0 or -ENOMEM.
 */
int mmt_task_set_ancestors(struct mmt_task *t, const char *ancestors, bool cut,
			   const char *error);

/**
 * mmt_task_container_type() - the kind of container @t is in, as Kunai names it
 * @t: a task with @t->container set
 *
 * Its cgroup's say first; then its ancestors, by the exe of a runtime among
 * them (/usr/bin/firejail, /usr/bin/containerd-shim-runc-v2, /usr/bin/podman).
 * Return: "docker", "lxc", "firejail", "podman", or NULL if neither tells.
 */
const char *mmt_task_container_type(const struct mmt_task *t);

/**
 * mmt_task_release() - free what mmt_task_read() allocated
 * @t: a task filled in by mmt_task_read(), or zeroed; may be NULL
 *
 * Leaves @t zeroed, so releasing twice is harmless.
 */
void mmt_task_release(struct mmt_task *t);

#endif /* MMT_TASK_H */
