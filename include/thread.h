/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Who a thread is: its process (tgid) and name. Learnt from the kernel's
 * task events as they stream by (task_newtask says whether a new task is a
 * thread of its creator), and from /proc while the thread lives; so a
 * thread that exited before the reader got to it still has its process.
 */
#ifndef MMT_THREAD_H
#define MMT_THREAD_H

#include <stdbool.h>
#include <sys/types.h>

#include "event.h"

struct mmt_threads;

struct mmt_thread {
	pid_t tgid;		/* 0: unknown */
	char comm[16];		/* raw bytes; valid if have_comm */
	bool have_comm;
	bool probed;		/* /proc was read since the last exec */
	bool have_uid;		/* uid, euid were read from /proc */
	uid_t uid, euid;
	int err;		/* -errno of the last /proc read (-ENOENT: gone) */
};

/** mmt_threads_new() - empty table. Return: NULL + errno on failure. */
struct mmt_threads *mmt_threads_new(void);

/** mmt_threads_free() - NULL is fine. */
void mmt_threads_free(struct mmt_threads *th);

/**
 * mmt_threads_get() - what is known of @tid, reading /proc on first use
 * Return: the entry (valid until the next call); NULL only on ENOMEM.
 */
const struct mmt_thread *mmt_threads_get(struct mmt_threads *th, pid_t tid);

/**
 * mmt_threads_event() - learn from a task event (new task, exec, exit)
 * Return: 0 or -ENOMEM.
 */
int mmt_threads_event(struct mmt_threads *th, const struct mmt_event *ev);

/**
 * mmt_threads_sweep() - forget threads long gone (their exit events were lost)
 * Return: entries removed.
 */
size_t mmt_threads_sweep(struct mmt_threads *th);

/** mmt_threads_count() - threads the table holds. */
size_t mmt_threads_count(const struct mmt_threads *th);

#endif /* MMT_THREAD_H */
