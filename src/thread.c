// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#include "procfs.h"
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

_Static_assert(sizeof(((struct mmt_thread *)0)->comm) == MMT_PROCFS_COMM_LEN,
	       "a thread's comm is stat's");

/* Read /proc; what the task events taught stays when /proc has nothing. */
static void probe_proc(struct mmt_thread *t, pid_t tid)
{
	struct mmt_procfs_status ss;
	struct mmt_procfs_stat st;
	int r;

	t->probed = true;
	t->err = mmt_procfs_stat(tid, &st);
	if (t->err < 0)
		return;
	/* A status without one of its lines still says what it has. */
	r = mmt_procfs_status(tid, &ss);
	if (r < 0 && r != -EPROTO) {
		t->err = r;
		return;
	}
	if (ss.have_tgid && ss.tgid)
		t->tgid = ss.tgid;
	if (ss.have_uid) {
		t->uid = ss.uid;
		t->euid = ss.euid;
		t->have_uid = true;
	}
	if (st.comm[0]) {
		memcpy(t->comm, st.comm, sizeof(t->comm));
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
