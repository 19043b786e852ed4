// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * One entry per thread id holds both what a thread is (from events and a
 * cheap /proc read) and, for the most recently used, its process's details:
 * so an exit, an exec or a rename is told to one place, and a thread's id
 * is looked up once for both. The two have their own lifetimes: an identity
 * lives as long as the thread, details as long as they are among the
 * max_tasks most recently used; an entry goes when it holds neither.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "procfs.h"
#include "thread.h"
#include "tidmap.h"

_Static_assert(sizeof(((struct mmt_thread *)0)->comm) == MMT_PROCFS_COMM_LEN,
	       "a thread's comm is stat's");

/* Buckets at first; the table doubles past one entry per bucket. */
#define FIRST_BUCKETS	256

/*
 * Small, with the details apart: most entries are threads whose details are
 * never asked for (a lookup per record walks these).
 */
struct entry {
	pid_t tid;
	bool have_id;			/* a thread with events: counted and swept */
	bool gone_once;			/* found gone by the last sweep */
	struct entry *hnext;		/* the bucket's chain */
	struct mmt_thread id;
	char *exe;			/* its process's image, as the kernel mapped it, or NULL */
	struct mmt_task *task;		/* its details, or NULL; if set, on the LRU list */
	bool parent_ok;			/* its details' parent was found, with parent_start */
	unsigned long long parent_start;
	struct entry *prev, *next;	/* the LRU list, most recently used first */
};

struct mmt_threads {
	struct mmt_task_reader *reader;
	struct entry **buckets;
	size_t mask;			/* bucket count - 1, a power of two */
	size_t entries;
	size_t ids;			/* entries with have_id */
	size_t tasks, max_tasks;	/* entries with details, and their bound */
	struct entry *head, *tail;
	bool creds;			/* set*id() calls are traced */
	int64_t boot_off;		/* CLOCK_BOOTTIME - CLOCK_MONOTONIC, in ns */
	unsigned long long tick_ns;	/* ns per clock tick (stat's unit) */
	int depth;			/* details being composed, nested (parents) */
};

/* Most parents composed from events within one request: the ancestors' bound. */
#define COMPOSE_DEPTH	MMT_TASK_ANCESTORS_MAX

/*
 * An event's time (the "mono" trace clock) as stat's start time: ticks of
 * CLOCK_BOOTTIME. The kernel stamps a task's start a few microseconds
 * before its task_newtask event, so the two part only across a tick's edge.
 */
static unsigned long long mono_to_ticks(const struct mmt_threads *th, uint64_t ts)
{
	return (unsigned long long)(((int64_t)ts + th->boot_off) / (int64_t)th->tick_ns);
}

static int64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	if (clock_gettime(id, &ts) < 0)
		return 0;
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static size_t bucket_of(size_t mask, pid_t tid)
{
	/* pids are dense and sequential: spread them before masking */
	return (size_t)(((uint32_t)tid * 0x9e3779b1u) >> 8) & mask;
}

struct mmt_threads *mmt_threads_new(size_t max_tasks)
{
	struct mmt_threads *th = calloc(1, sizeof(*th));

	if (!th)
		return NULL;
	th->buckets = calloc(FIRST_BUCKETS, sizeof(*th->buckets));
	th->reader = mmt_task_reader_new();
	if (!th->buckets || !th->reader) {
		mmt_threads_free(th);
		errno = ENOMEM;
		return NULL;
	}
	th->mask = FIRST_BUCKETS - 1;
	th->max_tasks = max_tasks < 2 ? 2 : max_tasks;
	th->boot_off = clock_ns(CLOCK_BOOTTIME) - clock_ns(CLOCK_MONOTONIC);
	th->tick_ns = 1000000000ULL / (unsigned long long)sysconf(_SC_CLK_TCK);
	return th;
}

void mmt_threads_free(struct mmt_threads *th)
{
	struct entry *e, *next;
	size_t i;

	if (!th)
		return;
	for (i = 0; th->buckets && i <= th->mask; i++) {
		for (e = th->buckets[i]; e; e = next) {
			next = e->hnext;
			mmt_task_release(e->task);
			free(e->task);
			free(e->exe);
			free(e);
		}
	}
	free(th->buckets);
	mmt_task_reader_free(th->reader);
	free(th);
}

/* The table */

static struct entry *find(const struct mmt_threads *th, pid_t tid)
{
	struct entry *e;

	for (e = th->buckets[bucket_of(th->mask, tid)]; e; e = e->hnext)
		if (e->tid == tid)
			return e;
	return NULL;
}

/* Twice the buckets; if that cannot be had, the chains just grow longer. */
static void grow(struct mmt_threads *th)
{
	size_t i, mask = th->mask * 2 + 1;
	struct entry **b, *e, *next;

	b = calloc(mask + 1, sizeof(*b));
	if (!b)
		return;
	for (i = 0; i <= th->mask; i++) {
		for (e = th->buckets[i]; e; e = next) {
			next = e->hnext;
			e->hnext = b[bucket_of(mask, e->tid)];
			b[bucket_of(mask, e->tid)] = e;
		}
	}
	free(th->buckets);
	th->buckets = b;
	th->mask = mask;
}

/* The entry of @tid, made empty if there is none. Return: NULL on ENOMEM. */
static struct entry *find_or_add(struct mmt_threads *th, pid_t tid)
{
	struct entry *e = find(th, tid);
	size_t b;

	if (e)
		return e;
	e = calloc(1, sizeof(*e));
	if (!e)
		return NULL;
	e->tid = tid;
	if (++th->entries > th->mask + 1 && th->mask < SIZE_MAX / 4)
		grow(th);
	b = bucket_of(th->mask, tid);
	e->hnext = th->buckets[b];
	th->buckets[b] = e;
	return e;
}

/* Frees @e once it holds neither an identity nor details. */
static void release_if_empty(struct mmt_threads *th, struct entry *e)
{
	struct entry **pp;

	if (e->have_id || e->task)
		return;
	for (pp = &th->buckets[bucket_of(th->mask, e->tid)]; *pp != e; pp = &(*pp)->hnext)
		;
	*pp = e->hnext;
	th->entries--;
	free(e->exe);
	free(e);
}

/* Identities */

/* The identity of @tid, made empty (nothing known) if there is none. */
static struct entry *id_get(struct mmt_threads *th, pid_t tid)
{
	struct entry *e = find_or_add(th, tid);

	if (e && !e->have_id) {
		memset(&e->id, 0, sizeof(e->id));
		e->have_id = true;
		e->gone_once = false;
		th->ids++;
	}
	return e;
}

static void id_drop(struct mmt_threads *th, struct entry *e)
{
	if (!e->have_id)
		return;
	e->have_id = false;
	free(e->exe);
	e->exe = NULL;
	th->ids--;
}

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
	if (ss.have_gid)
		t->gid = ss.gid;
	t->have_ids = ss.have_uid && ss.have_gid;
	if (st.comm[0]) {
		memcpy(t->comm, st.comm, sizeof(t->comm));
		t->have_comm = true;
	}
	t->ppid = st.ppid;
	t->have_ppid = true;
	/* A leader's start is its process's; a thread's process start is its leader's. */
	if (!t->born && ss.have_tgid && ss.tgid == tid) {
		t->start = t->tg_start = st.start_time;
		t->have_start = true;
	}
}

const struct mmt_thread *mmt_threads_get(struct mmt_threads *th, pid_t tid)
{
	struct entry *e = id_get(th, tid);

	if (!e)
		return NULL;
	if (!e->id.probed)
		probe_proc(&e->id, tid);
	return &e->id;
}

/* Details */

static void lru_unlink(struct mmt_threads *th, struct entry *e)
{
	if (e->prev)
		e->prev->next = e->next;
	else
		th->head = e->next;
	if (e->next)
		e->next->prev = e->prev;
	else
		th->tail = e->prev;
	e->prev = e->next = NULL;
}

static void lru_push_front(struct mmt_threads *th, struct entry *e)
{
	e->prev = NULL;
	e->next = th->head;
	if (th->head)
		th->head->prev = e;
	else
		th->tail = e;
	th->head = e;
}

static void lru_touch(struct mmt_threads *th, struct entry *e)
{
	lru_unlink(th, e);
	lru_push_front(th, e);
}

static void task_drop(struct mmt_threads *th, struct entry *e)
{
	if (!e->task)
		return;
	lru_unlink(th, e);
	mmt_task_release(e->task);
	free(e->task);
	e->task = NULL;
	e->parent_ok = false;
	th->tasks--;
}

static int compose(struct mmt_threads *th, const struct entry *e, struct mmt_task *t);
static int ancestors_of(struct mmt_threads *th, const struct mmt_task *child, char **ancestors,
			bool *cut, char **error);

/*
 * The ancestors of a task read from /proc: its parent's and its parent, when
 * the table has the parent's details already (a record's parent_task reads
 * them: the second child of a process costs no walk); else the walk of
 * /proc's ppid links, which reads two files per ancestor.
 */
static int own_ancestors(struct mmt_threads *th, struct mmt_task *t)
{
	const struct entry *pe = find(th, t->ppid);
	char *anc = NULL, *err = NULL;
	bool cut = false;
	int r = 0;

	if (t->ppid == 0)
		return mmt_task_set_ancestors(t, "", false, NULL);
	if (pe && pe->task)
		r = ancestors_of(th, t, &anc, &cut, &err);
	if (r == 0 && anc)
		r = mmt_task_set_ancestors(t, anc, cut, err);
	else if (r == 0)
		r = mmt_task_read_ancestors(t);
	free(anc);
	free(err);
	return r;
}

/* Whether the events said enough of @e to describe it without /proc. */
static bool composable(const struct entry *e)
{
	return e && e->have_id && e->id.tgid && e->id.have_ppid && e->id.have_start;
}

/* Reads the details of @tid into its entry. Return: the entry, or NULL with *err. */
static struct entry *task_insert(struct mmt_threads *th, pid_t tid, int *err)
{
	struct mmt_task *t = calloc(1, sizeof(*t));
	struct entry *e;
	int r;

	if (!t) {
		*err = -ENOMEM;
		return NULL;
	}
	r = mmt_task_read_self(th->reader, tid, t);
	e = find(th, tid);
	/*
	 * Gone, or going: a zombie, or a task whose mm went while it was read,
	 * has lost its exe and command line; the events have not.
	 */
	if ((r == -ENOENT || r == -ESRCH ||
	     (r == 0 && !t->exe && !(t->flags & MMT_TASK_PF_KTHREAD))) &&
	    composable(e) && th->depth < COMPOSE_DEPTH) {
		mmt_task_release(t);
		r = compose(th, e, t);
	} else if (r == 0) {
		if (composable(e) && e->id.born && t->tgid == e->id.tgid)
			mmt_task_set_start(th->reader, t, e->id.tg_start);
		if (e && e->have_id && t->mnt_ns) {
			e->id.mnt_ns = t->mnt_ns;
			e->id.have_mnt_ns = true;
		}
		r = own_ancestors(th, t);
	} else if (r == -ENOENT || r == -ESRCH) {
		/* gone, and nothing known of it: the walk says what /proc has of its parents */
		int w = mmt_task_read_ancestors(t);

		r = w < 0 ? w : r;
	}
	if (r < 0)
		goto out_free_task;
	e = find_or_add(th, tid);
	if (!e) {
		r = -ENOMEM;
		goto out_free_task;
	}
	task_drop(th, e);
	e->task = t;
	lru_push_front(th, e);
	/* the tail is never e itself, nor the entry touched just before, as max >= 2 */
	if (++th->tasks > th->max_tasks) {
		struct entry *old = th->tail;

		task_drop(th, old);
		release_if_empty(th, old);
	}
	return e;

out_free_task:
	mmt_task_release(t);
	free(t);
	*err = r;
	return NULL;
}

/*
 * The details kept for @tid, checked against the thread now behind its id.
 * Return: the entry, or NULL if none are kept or its id was reused (then dropped).
 */
static struct entry *task_current(struct mmt_threads *th, pid_t tid)
{
	struct mmt_procfs_stat sf;
	struct entry *e;

	e = find(th, tid);
	if (!e || !e->task)
		return NULL;
	/*
	 * Followed by its events: an id is reused only after an exit event,
	 * which dropped the details, or a new task's, which does too.
	 */
	if (e->have_id)
		return e;
	/* gone (or unreadable): the details we have are the last ones there will be */
	if (mmt_procfs_stat(tid, &sf) < 0 || sf.start_time == e->task->start_time)
		return e;
	task_drop(th, e);
	release_if_empty(th, e);
	return NULL;
}

const struct mmt_task *mmt_threads_task(struct mmt_threads *th, pid_t tid)
{
	struct entry *e;
	int err;

	e = task_current(th, tid);
	if (e) {
		lru_touch(th, e);
		return e->task;
	}
	e = task_insert(th, tid, &err);
	if (!e) {
		errno = -err;
		return NULL;
	}
	return e->task;
}

const struct mmt_task *mmt_threads_parent(struct mmt_threads *th, const struct mmt_task *t)
{
	/* a parent starts before its child; ppid is a tgid, so compare process starts */
	unsigned long long child_start = t->tg_start_time;
	struct mmt_procfs_stat sf;
	struct entry *e, *ce;
	bool newer = false;
	pid_t ppid = t->ppid;
	int err;

	if (ppid <= 0) {
		errno = ENOENT;
		return NULL;
	}
	/* make t most recent, so that reading the parent cannot evict it */
	ce = find(th, t->pid);
	if (ce && ce->task != t)
		ce = NULL;
	if (ce)
		lru_touch(th, ce);
	/* Found before, and still the same process's details: no /proc read per record. */
	e = find(th, ppid);
	if (ce && ce->parent_ok && e && e->task && e->task->start_time == ce->parent_start) {
		lru_touch(th, e);
		return e->task;
	}

	/*
	 * Unlike mmt_threads_task(), a changed start time does not always mean the
	 * details kept are stale: if the process now at ppid started after the child,
	 * the parent exited and its id was reused, and the details kept, if they
	 * started before the child, are the parent we want.
	 */
	if (e && !e->task)
		e = NULL;
	/* Details of a process followed by its events are its own (see task_current()). */
	if (!(e && e->have_id) && mmt_procfs_stat(ppid, &sf) == 0) {
		newer = sf.start_time > child_start;
		if (e && sf.start_time != e->task->start_time && !newer) {
			task_drop(th, e);
			release_if_empty(th, e);
			e = NULL;
		}
	}
	if (e) {
		lru_touch(th, e);
	} else {
		if (newer) {
			errno = ESRCH;
			return NULL;
		}
		e = task_insert(th, ppid, &err);
		if (!e) {
			errno = -err;
			return NULL;
		}
	}
	if (e->task->start_time > child_start) {
		errno = ESRCH;
		return NULL;
	}
	/* The child's details may have been evicted by reading the parent's. */
	if (ce && ce->task == t) {
		ce->parent_ok = true;
		ce->parent_start = e->task->start_time;
	}
	return e->task;
}

/*
 * A parent's ancestors and its own exe: the child's ancestors, oldest first,
 * as read_ancestors() in task.c writes them from /proc.
 */
static char *ancestors_from(const struct mmt_task *parent, bool *cut)
{
	const char *above = parent->ancestors, *p;
	const char *self = parent->exe ? parent->exe : "?";
	char kthread[MMT_TASK_COMM_LEN + 2];
	int n = 1;
	char *s;

	if (parent->flags & MMT_TASK_PF_KTHREAD) {
		snprintf(kthread, sizeof(kthread), "[%s]", parent->comm);
		self = kthread;
	}
	for (p = above; *p; p++)
		n += *p == '|';
	*cut = *above && n + 1 > MMT_TASK_ANCESTORS_MAX;
	if (*cut)
		above = strchr(above, '|') + 1;
	if (asprintf(&s, "%s%s%s", above, *above ? "|" : "", self) < 0)
		return NULL;
	return s;
}

/*
 * What a child's ancestors lack: its parent's own "ancestors: " notes, and
 * the parent's exe if it could not be read. Return: NULL if nothing (or ENOMEM).
 */
static char *ancestors_error_from(const struct mmt_task *parent)
{
	const char *p = parent->error, *end;
	char *out = NULL, *tmp;
	int r;

	for (; p && *p; p = *end ? end + 2 : end) {
		end = strstr(p, "; ");
		if (!end)
			end = p + strlen(p);
		if (strncmp(p, "ancestors: ", 11))
			continue;
		r = asprintf(&tmp, "%s%s%.*s", out ? out : "", out ? "; " : "", (int)(end - p), p);
		free(out);
		out = r < 0 ? NULL : tmp;
		if (!out)
			return NULL;
	}
	if (!parent->exe && !(parent->flags & MMT_TASK_PF_KTHREAD)) {
		/* The parent's own "exe: why" note, as the walk would say it. */
		const char *why = parent->error ? strstr(parent->error, "exe: ") : NULL;
		int len = 0;

		if (why && (why == parent->error || why[-1] == ' ')) {
			why += 5;
			end = strstr(why, "; ");
			len = end ? (int)(end - why) : (int)strlen(why);
		}
		r = why ? asprintf(&tmp, "%s%sancestors: exe of pid %d: %.*s", out ? out : "",
				   out ? "; " : "", (int)parent->pid, len, why)
			: asprintf(&tmp, "%s%sancestors: exe of pid %d unknown", out ? out : "",
				   out ? "; " : "", (int)parent->pid);
		free(out);
		out = r < 0 ? NULL : tmp;
	}
	return out;
}

/*
 * The ancestors of @child (its ppid and tg_start_time are used) from its
 * parent's details in the table. Return: 0 with *@ancestors (NULL: the parent
 * could not be had, or knows none of its own), or -ENOMEM.
 */
static int ancestors_of(struct mmt_threads *th, const struct mmt_task *child, char **ancestors,
			bool *cut, char **error)
{
	const struct mmt_task *parent;

	*ancestors = *error = NULL;
	*cut = false;
	if (th->depth >= COMPOSE_DEPTH)
		return 0;
	th->depth++;
	parent = mmt_threads_parent(th, child);
	th->depth--;
	if (!parent)
		return errno == ENOMEM ? -ENOMEM : 0;
	if (!parent->ancestors)
		return 0;
	*ancestors = ancestors_from(parent, cut);
	if (!*ancestors)
		return -ENOMEM;
	*error = ancestors_error_from(parent);
	return 0;
}

/* Details of the gone thread @e from its events, with its parent's from the table. */
static int compose(struct mmt_threads *th, const struct entry *e, struct mmt_task *t)
{
	const struct mmt_thread *id = &e->id;
	struct mmt_task_facts f = {
		.pid = e->tid, .tgid = id->tgid, .ppid = id->ppid,
		.comm = id->have_comm ? id->comm : NULL,
		.have_ids = id->have_ids, .uid = id->uid, .gid = id->gid,
		.start_time = id->start, .tg_start_time = id->tg_start,
		.exe = e->exe,
		.mnt_ns = id->have_mnt_ns ? id->mnt_ns : 0,
	};
	struct mmt_task child = { .pid = e->tid, .ppid = id->ppid, .tg_start_time = id->tg_start };
	char *ancestors = NULL, *anc_err = NULL;
	int r;

	/* pid 1 and kthreadd have no parent: nothing above them, as in /proc's walk */
	if (id->ppid == 0) {
		f.ancestors = "";
	} else {
		r = ancestors_of(th, &child, &ancestors, &f.ancestors_cut, &anc_err);
		if (r < 0)
			return r;
		f.ancestors = ancestors;
		f.ancestors_error = anc_err;
	}
	r = mmt_task_compose(th->reader, &f, t);
	free(ancestors);
	free(anc_err);
	return r;
}

/* Events, forget, sweep */

void mmt_threads_track_creds(struct mmt_threads *th, bool on)
{
	th->creds = on;
}

int mmt_threads_set_exe(struct mmt_threads *th, pid_t tid, const char *path)
{
	struct entry *e = find(th, tid);
	char *copy = NULL;

	if (!e || !e->have_id)
		return 0;
	if (path && !(copy = strdup(path)))
		return -ENOMEM;
	free(e->exe);
	e->exe = copy;
	return 0;
}

/*
 * A new task: its creator's process, or its own; its creator's user, exe and
 * (for a process) the creator's process as parent, unless CLONE_PARENT made
 * it a sibling. All of that the kernel copies at fork, so the child is known
 * without /proc, and stays known when it is gone before the reader gets to it.
 */
static int task_new(struct mmt_threads *th, const struct mmt_event *ev)
{
	const struct mmt_thread *cp;
	struct mmt_thread creator;
	struct entry *ce, *e;
	bool thread = ev->clone_flags & CLONE_THREAD;
	char *exe = NULL;

	/*
	 * A child has its creator's credentials until it execs a setuid
	 * file or calls setuid(): so a child gone before /proc could be
	 * read still has a user for --uid.
	 */
	cp = mmt_threads_get(th, ev->tid);
	if (!cp)
		return -ENOMEM;
	creator = *cp;
	ce = find(th, ev->tid);
	if (ce->exe || (ce->task && ce->task->exe)) {
		exe = strdup(ce->exe ? ce->exe : ce->task->exe);
		if (!exe)
			return -ENOMEM;
	}
	e = id_get(th, ev->child);
	if (!e) {
		free(exe);
		return -ENOMEM;
	}
	/* Whatever was kept for this id was another task's. */
	task_drop(th, e);
	free(e->exe);
	e->exe = exe;
	memset(&e->id, 0, sizeof(e->id));
	e->id.born = true;
	e->id.tgid = thread ? creator.tgid : ev->child;
	e->id.have_uid = creator.have_uid;
	e->id.uid = creator.uid;
	e->id.euid = creator.euid;
	e->id.gid = creator.gid;
	e->id.have_ids = creator.have_ids && th->creds;
	/* What /proc would show is all copied: no need to read it. */
	e->id.probed = creator.probed && creator.have_uid && e->id.tgid;
	e->id.err = creator.err;
	if (thread || (ev->clone_flags & CLONE_PARENT)) {
		e->id.ppid = creator.ppid;
		e->id.have_ppid = creator.have_ppid;
	} else {
		e->id.ppid = creator.tgid;
		e->id.have_ppid = creator.tgid != 0;
	}
	/* CLONE_NEWNS: a mount namespace of its own, which only /proc can name. */
	e->id.have_mnt_ns = creator.have_mnt_ns && !(ev->clone_flags & CLONE_NEWNS);
	e->id.mnt_ns = creator.mnt_ns;
	e->id.start = mono_to_ticks(th, ev->ts);
	e->id.tg_start = thread ? creator.tg_start : e->id.start;
	e->id.have_start = !thread || creator.have_start;
	if (ev->have & MMT_HAVE_COMM) {
		memcpy(e->id.comm, ev->comm, sizeof(e->id.comm));
		e->id.have_comm = true;
	}
	return 0;
}

/*
 * commit_creds's ids, for the thread that committed them (credentials are
 * per thread: glibc's setuid() has each thread make the call). They are the
 * kernel's own, so /proc need not be read for them, and a thread never seen
 * before is known from them; the details, made with the old ids, go.
 */
static int creds_set(struct mmt_threads *th, const struct mmt_event *ev)
{
	struct entry *e = id_get(th, ev->tid);

	if (!e)
		return -ENOMEM;
	e->id.uid = ev->uid;
	e->id.euid = ev->euid;
	e->id.gid = ev->gid;
	e->id.have_uid = true;
	e->id.have_ids = true;
	task_drop(th, e);
	return 0;
}

int mmt_threads_event(struct mmt_threads *th, const struct mmt_event *ev)
{
	struct entry *e;

	switch (ev->role) {
	case MMT_ROLE_TASK_NEW:
		return task_new(th, ev);
	case MMT_ROLE_TASK_RENAME:
		/* The event's pid is the renamed task (another task may write its comm). */
		e = find(th, ev->child ? ev->child : ev->tid);
		if (!e)
			return 0;
		if (e->have_id && (ev->have & MMT_HAVE_COMM)) {
			memcpy(e->id.comm, ev->comm, sizeof(e->id.comm));
			e->id.have_comm = true;
		}
		/* The details name the task: read them again at the next record. */
		task_drop(th, e);
		release_if_empty(th, e);
		return 0;
	case MMT_ROLE_TASK_COMM:
		/* An exec's new name, from the kernel: before the exec event itself. */
		e = find(th, ev->tid);
		if (e && e->have_id) {
			memcpy(e->id.comm, ev->comm, sizeof(e->id.comm));
			e->id.have_comm = true;
		}
		return 0;
	case MMT_ROLE_TASK_CREDS:
		if (ev->have & MMT_HAVE_IDS)
			return creds_set(th, ev);
		/* New ids: only /proc says which now. */
		e = find(th, ev->tid);
		if (!e)
			return 0;
		if (e->have_id) {
			e->id.have_ids = false;
			e->id.probed = false;
		}
		task_drop(th, e);
		release_if_empty(th, e);
		return 0;
	case MMT_ROLE_TASK_NS:
		/* Other namespaces: the details say the old ones. */
		e = find(th, ev->tid);
		if (!e)
			return 0;
		e->id.have_mnt_ns = false;
		task_drop(th, e);
		release_if_empty(th, e);
		return 0;
	case MMT_ROLE_TASK_EXEC:
		/*
		 * A new exe (mmt_threads_set_exe() says which) and command line; a
		 * setuid file may change the effective ids. The parent, start and
		 * real ids stay. A thread that execs becomes its leader.
		 */
		e = find(th, ev->tid);
		if (!e)
			return 0;
		if (e->have_id)
			e->id.probed = false;
		free(e->exe);
		e->exe = NULL;
		task_drop(th, e);
		release_if_empty(th, e);
		return 0;
	case MMT_ROLE_TASK_EXIT:
		mmt_threads_forget(th, ev->tid);
		return 0;
	default:
		return 0;
	}
}

void mmt_threads_forget(struct mmt_threads *th, pid_t tid)
{
	struct entry *e = find(th, tid);

	if (!e)
		return;
	id_drop(th, e);
	task_drop(th, e);
	release_if_empty(th, e);
}

size_t mmt_threads_sweep(struct mmt_threads *th)
{
	struct entry **pp, *e;
	size_t i, removed = 0;

	for (i = 0; i <= th->mask; i++) {
		pp = &th->buckets[i];
		while ((e = *pp)) {
			if (e->have_id) {
				if (!mmt_tid_gone(e->tid)) {
					e->gone_once = false;
				} else if (!e->gone_once) {
					e->gone_once = true;
				} else {
					id_drop(th, e);
					removed++;
				}
			}
			if (!e->have_id && !e->task) {
				*pp = e->hnext;
				th->entries--;
				free(e);
				continue;
			}
			pp = &e->hnext;
		}
	}
	return removed;
}

size_t mmt_threads_count(const struct mmt_threads *th)
{
	return th->ids;
}
