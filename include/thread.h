/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The thread table: what is known of each thread, in one entry per thread id,
 * with one forget for a thread, one sweep and one count.
 *
 * Who a thread is (struct mmt_thread: its process, name and user) is learnt
 * from the kernel's task events as they stream by (task_newtask says whether
 * a new task is a thread of its creator) and from /proc while the thread
 * lives; so a thread that exited before the reader got to it still has its
 * process. It is kept for every thread that had an event, until its exit
 * event or, that event lost, until a sweep finds it gone; and it is cheap, so
 * --comm and --uid decide from it before anything costly is read.
 *
 * What Kunai says of the thread's process (struct mmt_task: exe, command
 * line, parent, ancestors, names, guuid) takes a dozen reads of /proc, so it
 * is read at the first record that needs it, and kept until the thread exits,
 * execs or is renamed: for the most recently used threads only (and the
 * parents looked up for them, which need not have events of their own), and
 * checked against a reuse of the id by the thread's start time.
 */
#ifndef MMT_THREAD_H
#define MMT_THREAD_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "event.h"
#include "task.h"

struct mmt_threads;

/*
 * Who a thread is: from its events and /proc status and stat. What the
 * events say is kept when /proc has nothing, so that a process gone before
 * the reader got to it is still described (mmt_threads_task()).
 */
struct mmt_thread {
	pid_t tgid;		/* 0: unknown */
	char comm[16];		/* raw bytes; valid if have_comm */
	bool have_comm;
	bool probed;		/* /proc was read (or its creator's copied) since the last exec */
	bool have_uid;		/* uid, euid were read from /proc (or copied at fork, or
				   said by commit_creds) */
	uid_t uid, euid;	/* uid is the real one */
	int err;		/* -errno of the last /proc read (-ENOENT: gone) */
	bool born;		/* its creation was seen: start times are the fork's */
	pid_t ppid;		/* its process's parent; valid if have_ppid */
	bool have_ppid;
	bool have_start;	/* start and tg_start are known */
	unsigned long long start, tg_start;	/* the thread's and its process's start,
						   in clock ticks since boot (stat's unit) */
	bool have_ids;		/* uid and gid are its real ids for certain (see
				   mmt_threads_track_creds()) */
	gid_t gid;		/* real group id */
	bool have_mnt_ns;	/* mnt_ns is its mount namespace for certain: read from
				   /proc, or its creator's (no CLONE_NEWNS) with no
				   unshare()/setns() since */
	unsigned long long mnt_ns;
};

/**
 * mmt_threads_new() - an empty table
 * @max_tasks: most threads whose details (struct mmt_task) are kept; the least
 *	recently used are dropped past that. Values below 2 are taken as 2, so
 *	that a thread's details and its parent's fit together. Identities are
 *	not bounded by it: they are kept for the threads that live.
 *
 * The table is not thread-safe: use it from one thread.
 * Return: the table, to be freed with mmt_threads_free(); NULL with errno set
 * (ENOMEM) on failure.
 */
struct mmt_threads *mmt_threads_new(size_t max_tasks);

/**
 * mmt_threads_free() - free a table and everything in it
 * @th: the table, or NULL
 *
 * Pointers returned from it are invalid afterwards.
 */
void mmt_threads_free(struct mmt_threads *th);

/**
 * mmt_threads_track_creds() - say whether the calls that change real ids are traced
 * @th: the table
 * @on: every change of a task's ids reaches mmt_threads_event() as a
 *	%MMT_ROLE_TASK_CREDS event (mmt_probe_tracks_creds())
 *
 * Only then is a child's user and group, copied from its creator at fork,
 * still its own when it is gone; otherwise only /proc says them. Off at first.
 * An event with %MMT_HAVE_IDS sets the thread's ids whether or not this is on.
 */
void mmt_threads_track_creds(struct mmt_threads *th, bool on);

/**
 * mmt_threads_set_exe() - the image a thread's process now runs, as the kernel mapped it
 * @th: the table
 * @tid: a thread that just exec'd
 * @path: the path of the file the kernel's ELF loader mapped first (what
 *	/proc/PID/exe shows), or NULL if the kernel's records did not say
 *
 * Kept for the process's life and copied to the processes it forks.
 * Return: 0, or -ENOMEM.
 */
int mmt_threads_set_exe(struct mmt_threads *th, pid_t tid, const char *path);

/**
 * mmt_threads_get() - who @tid is, reading /proc at its first use (and after an exec)
 * @th: the table
 * @tid: thread id
 *
 * What the task events taught stays when /proc has nothing (the thread is gone).
 * Return: the entry, owned by the table, valid until the next
 * mmt_threads_event(), mmt_threads_forget(), mmt_threads_sweep() or
 * mmt_threads_free() (reading details does not move it); NULL only on ENOMEM.
 */
const struct mmt_thread *mmt_threads_get(struct mmt_threads *th, pid_t tid);

/**
 * mmt_threads_task() - the details of @tid's process, read at its first request
 * @th: the table
 * @tid: thread id
 *
 * On a hit the thread's start time is re-read from /proc/@tid/stat: if it differs,
 * the id was reused by a new thread and the details are read again. If the thread
 * is gone, the details kept are returned as they are, since the event being
 * handled came from it. An exec or a rename (mmt_threads_event()) and an exit drop
 * them, so they are read again at the next request.
 *
 * A thread gone before /proc could be read is described from what its events
 * said (mmt_task_compose()): its process, parent, name, ids, start, exe and
 * ancestors, with what no event carries named in its error.
 *
 * Return: the details, owned by the table and valid until the next call of
 * mmt_threads_task(), mmt_threads_event(), mmt_threads_forget() or
 * mmt_threads_free() (mmt_threads_parent() keeps them valid, see there); NULL with
 * errno set if the thread is neither known nor readable (ENOENT or ESRCH: gone;
 * ENOMEM).
 */
const struct mmt_task *mmt_threads_task(struct mmt_threads *th, pid_t tid);

/**
 * mmt_threads_parent() - the details of a task's parent process (Kunai's parent_task)
 * @th: the table
 * @t: a task, from this table or from mmt_task_read()
 *
 * Looks up @t->ppid as mmt_threads_task() does. A process that started after @t
 * cannot be its parent: then the parent exited and its id was reused, and there is
 * no answer. If @t is from @th it stays valid across this call.
 *
 * Return: the parent's details, owned by the table, valid as for
 * mmt_threads_task(); NULL with errno set: ENOENT if @t->ppid is 0 (pid 1,
 * kthreadd) or the parent is gone and was never read, ESRCH if the id now belongs
 * to another process, ENOMEM.
 */
const struct mmt_task *mmt_threads_parent(struct mmt_threads *th, const struct mmt_task *t);

/**
 * mmt_threads_event() - learn from a task event
 * @th: the table
 * @ev: any event; only the task events change anything
 *
 * A new task gets its creator's process (a thread) or its own, and its
 * creator's user; a creds event with %MMT_HAVE_IDS gives its thread those
 * ids (one without, a set*id() call's, has /proc read again); a rename changes the name and drops the details (they are read
 * again, with the new name, at the next record); an exec drops the details (a new
 * exe and command line) and has /proc read again at the next mmt_threads_get();
 * an exit forgets the thread (mmt_threads_forget()).
 * Return: 0 or -ENOMEM.
 */
int mmt_threads_event(struct mmt_threads *th, const struct mmt_event *ev);

/**
 * mmt_threads_forget() - drop all that is known of a thread
 * @th: the table
 * @tid: thread id; nothing happens if it is not known
 *
 * Pointers to its entry and its details become invalid.
 */
void mmt_threads_forget(struct mmt_threads *th, pid_t tid);

/**
 * mmt_threads_sweep() - forget threads long gone (their exit events were lost)
 * @th: the table
 *
 * A thread's identity goes when it is found gone at two sweeps in a row: a
 * thread that died just now may still have events in the ring buffers, and
 * its entry is what they need. Details stay until they are the least recently
 * used (a parent's may be asked for long after its exit).
 * Return: identities removed.
 */
size_t mmt_threads_sweep(struct mmt_threads *th);

/** mmt_threads_count() - threads whose identity the table holds. */
size_t mmt_threads_count(const struct mmt_threads *th);

#endif /* MMT_THREAD_H */
