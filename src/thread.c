// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#include "proc.h"
#include "thread.h"
#include "tidmap.h"

struct mmt_threads {
	struct mmt_tidmap *map;
};

struct mmt_threads *mmt_threads_new(void)
{
	struct mmt_threads *th = calloc(1, sizeof(*th));

	if (!th)
		return NULL;
	th->map = mmt_tidmap_new(sizeof(struct mmt_thread));
	if (!th->map) {
		free(th);
		return NULL;
	}
	return th;
}

void mmt_threads_free(struct mmt_threads *th)
{
	if (!th)
		return;
	mmt_tidmap_free(th->map);
	free(th);
}

/* Read /proc; what the task events taught stays when /proc has nothing. */
static void probe_proc(struct mmt_thread *t, pid_t tid)
{
	struct mmt_proc_ids ids;
	char comm[16];
	pid_t tgid;

	t->probed = true;
	t->err = mmt_proc_thread(tid, &tgid, comm, &ids);
	if (t->err < 0)
		return;
	if (tgid)
		t->tgid = tgid;
	if (ids.have_uid) {
		t->uid = ids.uid;
		t->euid = ids.euid;
		t->have_uid = true;
	}
	if (comm[0]) {
		memcpy(t->comm, comm, sizeof(comm));
		t->have_comm = true;
	}
}

const struct mmt_thread *mmt_threads_get(struct mmt_threads *th, pid_t tid)
{
	struct mmt_thread *t = mmt_tidmap_put(th->map, tid, NULL);

	if (t && !t->probed)
		probe_proc(t, tid);
	return t;
}

int mmt_threads_event(struct mmt_threads *th, const struct mmt_event *ev)
{
	const struct mmt_thread *creator;
	struct mmt_thread *t, ids;
	pid_t tgid;

	switch (ev->role) {
	case MMT_ROLE_TASK_NEW:
		/*
		 * A child has its creator's credentials until it execs a setuid
		 * file or calls setuid(): so a child gone before /proc could be
		 * read still has a user for --uid.
		 */
		creator = mmt_threads_get(th, ev->tid);
		if (!creator)
			return -ENOMEM;
		tgid = (ev->clone_flags & CLONE_THREAD) ? creator->tgid : ev->child;
		ids = *creator;
		t = mmt_tidmap_put(th->map, ev->child, NULL);
		if (!t)
			return -ENOMEM;
		memset(t, 0, sizeof(*t));
		t->tgid = tgid;
		t->have_uid = ids.have_uid;
		t->uid = ids.uid;
		t->euid = ids.euid;
		if (ev->have & MMT_HAVE_COMM) {
			memcpy(t->comm, ev->comm, sizeof(t->comm));
			t->have_comm = true;
		}
		return 0;
	case MMT_ROLE_TASK_RENAME:
		/* The event's pid is the renamed task (another task may write its comm). */
		t = mmt_tidmap_get(th->map, ev->child ? ev->child : ev->tid);
		if (t && (ev->have & MMT_HAVE_COMM)) {
			memcpy(t->comm, ev->comm, sizeof(t->comm));
			t->have_comm = true;
		}
		return 0;
	case MMT_ROLE_TASK_EXEC:
		/* A new name; and a thread that execs becomes its group leader. */
		t = mmt_tidmap_get(th->map, ev->tid);
		if (t)
			t->probed = false;
		return 0;
	case MMT_ROLE_TASK_EXIT:
		mmt_tidmap_del(th->map, ev->tid);
		return 0;
	default:
		return 0;
	}
}

size_t mmt_threads_sweep(struct mmt_threads *th)
{
	return mmt_tidmap_sweep(th->map, mmt_tid_gone);
}

size_t mmt_threads_count(const struct mmt_threads *th)
{
	return mmt_tidmap_count(th->map);
}
