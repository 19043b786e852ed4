// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The queue of lines waiting for hashes: a ring of held lines (emit.h).
 * Each process's lines keep their order: a line goes out once its hash
 * job is done (or given up) and no earlier line of its process waits.
 * Lines of no process (lost, stats) keep the order of every line.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "assemble.h"
#include "clock.h"
#include "hashcache.h"
#include "task.h"

/* A line held back because an exec record before it (or itself) awaits hashes. */
struct pending {
	struct mmt_emit_held *held;	/* NULL: written already (a hole in the ring) */
	pid_t pid;			/* its process; 0: none, it waits for every line */
	size_t cost;			/* bytes it holds, roughly, for the memory bound */
	struct mmt_hash_job *job;	/* NULL: no hash, error says why */
	uint64_t since;			/* CLOCK_MONOTONIC ns when it was queued */
	char error[MMT_HASH_ERROR_MAX];
};

struct mmt_assemble {
	struct mmt_emit *out;
	struct mmt_emit *side;		/* lost and stats lines; NULL: @out */
	struct pending *q;		/* ring of MMT_ASSEMBLE_MAX_PENDING, made on first use */
	size_t qhead, qlen;		/* the ring's span, holes included */
	size_t live;			/* lines not written yet */
	size_t barriers;		/* of them, lines of no process */
	struct pid_count *pids;		/* PID_SLOTS: live lines per process */
	unsigned int gen;		/* the scan's mark (pid_count.held_gen) */
	size_t pending_bytes;		/* sum of the waiting records' cost */
	uint64_t skipped;
	uint64_t late;			/* written without hashes: not done in time */
	uint64_t max_wait_ns;		/* the longest a record waits for its hashes */
	uint64_t end_wait_ns;		/* the longest wait at the end, over all */
	uint64_t end_by;		/* at the end: when waiting stops; 0 before */
	bool (*cut)(void *arg);		/* at the end: true to stop waiting now */
	void *cut_arg;
};

/* Live lines of one process, in an open-addressing table. */
struct pid_count {
	pid_t pid;			/* 0: a free slot */
	unsigned int n;
	unsigned int held_gen;		/* == gen: a line of it stays, this scan */
};

/* At most half full: there are never more live lines than slots / 2. */
#define PID_SLOTS	(2 * MMT_ASSEMBLE_MAX_PENDING)

/* How often the end's wait asks whether to stop waiting. */
#define CUT_POLL_NS	100000000ULL

struct mmt_assemble *mmt_assemble_open(struct mmt_emit *out, struct mmt_emit *side)
{
	struct mmt_assemble *a = calloc(1, sizeof(*a));

	if (a) {
		a->out = out;
		a->side = side;
		a->max_wait_ns = (uint64_t)MMT_ASSEMBLE_MAX_WAIT_S * 1000000000ULL;
		a->end_wait_ns = (uint64_t)MMT_ASSEMBLE_END_WAIT_MS * 1000000ULL;
	}
	return a;
}

void mmt_assemble_set_end(struct mmt_assemble *a, unsigned int ms, bool (*cut)(void *arg),
			  void *arg)
{
	a->end_wait_ns = (uint64_t)ms * 1000000ULL;
	a->cut = cut;
	a->cut_arg = arg;
}

static size_t pid_slot(const struct mmt_assemble *a, pid_t pid)
{
	size_t i = ((uint32_t)pid * 2654435761U) & (PID_SLOTS - 1);

	while (a->pids[i].pid && a->pids[i].pid != pid)
		i = (i + 1) & (PID_SLOTS - 1);
	return i;
}

/* Whether a line of @pid (0: of no process) must wait behind the queue. */
static bool must_wait(const struct mmt_assemble *a, pid_t pid)
{
	if (!a->live)
		return false;
	return !pid || a->barriers || a->pids[pid_slot(a, pid)].pid;
}

static void pid_add(struct mmt_assemble *a, pid_t pid)
{
	struct pid_count *c;

	a->live++;
	if (!pid) {
		a->barriers++;
		return;
	}
	c = &a->pids[pid_slot(a, pid)];
	if (!c->pid)
		*c = (struct pid_count){ .pid = pid };
	c->n++;
}

/* Deletion without tombstones: the entries after the hole move up into it. */
static void pid_del(struct mmt_assemble *a, pid_t pid)
{
	size_t i, j, home;

	a->live--;
	if (!pid) {
		a->barriers--;
		return;
	}
	i = pid_slot(a, pid);
	if (--a->pids[i].n)
		return;
	a->pids[i].pid = 0;
	for (j = (i + 1) & (PID_SLOTS - 1); a->pids[j].pid; j = (j + 1) & (PID_SLOTS - 1)) {
		home = ((uint32_t)a->pids[j].pid * 2654435761U) & (PID_SLOTS - 1);
		/* Moves up only if its home is not between the hole and it. */
		if ((j > i && (home <= i || home > j)) || (j < i && home <= i && home > j)) {
			a->pids[i] = a->pids[j];
			a->pids[j].pid = 0;
			i = j;
		}
	}
}

/* At the end: whether @job is done before the end's deadline, or a cut. */
static bool end_wait(struct mmt_assemble *a, struct mmt_hash_job *job)
{
	uint64_t now, until;

	for (;;) {
		now = mmt_mono_ns();
		if (now >= a->end_by)
			return mmt_hash_job_done(job);
		until = a->cut && a->end_by - now > CUT_POLL_NS ? now + CUT_POLL_NS : a->end_by;
		if (mmt_hash_job_wait_until(job, until))
			return true;
		if (a->cut && a->cut(a->cut_arg)) {
			a->end_by = now;
			return mmt_hash_job_done(job);
		}
	}
}

void mmt_assemble_set_max_wait(struct mmt_assemble *a, unsigned int seconds)
{
	a->max_wait_ns = (uint64_t)seconds * 1000000000ULL;
}

static void pending_release(struct mmt_assemble *a, struct pending *p)
{
	mmt_emit_held_free(a->out, p->held);
	if (p->job)
		mmt_hash_job_put(p->job);
	memset(p, 0, sizeof(*p));
}

/*
 * What a waiting exec record holds, roughly: its json-c tree with the
 * command line, ancestors and path, each possibly with a hex copy.
 */
static size_t exec_cost(const struct mmt_record *rec)
{
	const struct mmt_task *t = rec->exec->task;
	size_t n = 4096;

	if (t)
		n += 3 * (t->cmdline_len + (t->ancestors ? strlen(t->ancestors) : 0));
	if (rec->file && rec->file->path)
		n += 3 * strlen(rec->file->path);
	return n;
}

/* Why the oldest waiting line goes out without its hashes. */
enum force {
	NO_FORCE,
	FORCE_FULL,		/* the queue is at its bound */
	FORCE_LATE,		/* it waited max_wait_ns */
	FORCE_END,		/* the run ends */
};

/* Writes @held, with @job's hashes; @force: without them if they are not done. */
static int write_line(struct mmt_assemble *a, struct mmt_emit_held *held,
		      struct mmt_hash_job *job, const char *job_error, enum force force)
{
	const struct mmt_hashes *h = NULL;
	char error[MMT_HASH_ERROR_MAX + 64];

	snprintf(error, sizeof(error), "%s", job_error);
	if (job && mmt_hash_job_done(job)) {
		h = mmt_hash_job_result(job);
	} else if (job && force == FORCE_FULL) {
		snprintf(error, sizeof(error), "hash skipped: %d records were waiting for "
			 "hashes (the bound)", MMT_ASSEMBLE_MAX_PENDING);
		a->skipped++;
	} else if (job && force == FORCE_LATE) {
		snprintf(error, sizeof(error), "hash: not done within %llu s: written without it",
			 (unsigned long long)(a->max_wait_ns / 1000000000ULL));
		a->late++;
	} else if (job && force == FORCE_END) {
		snprintf(error, sizeof(error), "hash: not done when the run ended");
		a->late++;
	} else if (job) {
		return -EAGAIN;
	}
	return mmt_emit_held_write(a->out, held, h, error);
}

/* Writes the waiting line @p, leaves a hole, and drops the holes at the head. */
static int finish(struct mmt_assemble *a, struct pending *p, enum force force)
{
	int r = write_line(a, p->held, p->job, p->error, force);

	if (r == -EAGAIN)
		return r;
	p->held = NULL;
	a->pending_bytes -= p->cost;
	pid_del(a, p->pid);
	pending_release(a, p);
	while (a->qlen && !a->q[a->qhead].held) {
		a->qhead = (a->qhead + 1) % MMT_ASSEMBLE_MAX_PENDING;
		a->qlen--;
	}
	return r;
}

/*
 * One pass over the queue: every line that is done (or waited too long)
 * and has no earlier line of its process waiting goes out.
 */
static int scan(struct mmt_assemble *a, uint64_t now)
{
	size_t i, n = a->qlen, head = a->qhead;
	bool stays_any = false;
	struct pid_count *c;
	struct pending *p;
	int r;

	if (!++a->gen)
		a->gen = 1;
	for (i = 0; i < n && a->live; i++) {
		p = &a->q[(head + i) % MMT_ASSEMBLE_MAX_PENDING];
		if (!p->held)
			continue;
		c = p->pid ? &a->pids[pid_slot(a, p->pid)] : NULL;
		if (c ? c->held_gen != a->gen : !stays_any) {
			if (!p->job || mmt_hash_job_done(p->job))
				r = finish(a, p, NO_FORCE);
			else if (now - p->since >= a->max_wait_ns)
				r = finish(a, p, FORCE_LATE);
			else
				r = -EAGAIN;
			if (r != -EAGAIN) {
				if (r < 0)
					return r;
				continue;
			}
		}
		/* It stays: the later lines of its process stay too. */
		stays_any = true;
		if (!c)
			break;		/* a line of no process: everything after it waits */
		c->held_gen = a->gen;
	}
	return 0;
}

int mmt_assemble_pump(struct mmt_assemble *a, bool all)
{
	uint64_t now = mmt_mono_ns();
	enum force force;
	int r;

	/* One budget for the whole end: a hung filesystem must not hold the exit. */
	if (all && !a->end_by)
		a->end_by = now + a->end_wait_ns;
	r = a->live ? scan(a, now) : 0;
	/* The end: the oldest line, waited for; then what that freed. */
	while (all && a->live && !r) {
		struct pending *p = &a->q[a->qhead];

		force = NO_FORCE;
		if (p->job && !mmt_hash_job_done(p->job) && !end_wait(a, p->job))
			force = FORCE_END;
		r = finish(a, p, force);
		if (!r && a->live)
			r = scan(a, mmt_mono_ns());
	}
	return r;
}

/* A slot at the tail for a line of @pid; the oldest lines go out first if the queue is full. */
static struct pending *push(struct mmt_assemble *a, pid_t pid, int *err)
{
	struct pending *p;

	*err = 0;
	if (!a->q) {
		a->q = calloc(MMT_ASSEMBLE_MAX_PENDING, sizeof(*a->q));
		a->pids = a->q ? calloc(PID_SLOTS, sizeof(*a->pids)) : NULL;
		if (!a->pids) {
			free(a->q);
			a->q = NULL;
			*err = -ENOMEM;
			return NULL;
		}
	}
	/* Full: the oldest go out now, without their hashes if need be. */
	while (a->live && (a->qlen == MMT_ASSEMBLE_MAX_PENDING ||
			   a->pending_bytes > MMT_ASSEMBLE_MAX_PENDING_BYTES)) {
		*err = finish(a, &a->q[a->qhead], FORCE_FULL);
		if (*err < 0)
			return NULL;
	}
	p = &a->q[(a->qhead + a->qlen) % MMT_ASSEMBLE_MAX_PENDING];
	a->qlen++;
	p->pid = pid;
	pid_add(a, pid);
	return p;
}

/* Gives back the slot push() just made (nothing was put in it). */
static void unpush(struct mmt_assemble *a, struct pending *p)
{
	pid_del(a, p->pid);
	pending_release(a, p);
	a->qlen--;
}

/* Queues a line that has no hashes to wait for, behind the earlier lines of @pid. */
static int hold(struct mmt_assemble *a, struct mmt_emit_held *held, pid_t pid)
{
	struct pending *p;
	int r;

	p = push(a, pid, &r);
	if (!p) {
		mmt_emit_held_free(a->out, held);
		return r;
	}
	p->held = held;
	return 0;
}

static int queue_exec(struct mmt_assemble *a, const struct mmt_record *rec)
{
	struct mmt_exec_info *x = rec->exec;
	struct pending *p;
	int r;

	p = push(a, rec->pid, &r);
	if (!p) {
		if (x->job)
			mmt_hash_job_put(x->job);
		x->job = NULL;
		return r;
	}
	p->job = x->job;
	p->since = mmt_mono_ns();
	x->job = NULL;
	snprintf(p->error, sizeof(p->error), "%s", x->hash_error ? x->hash_error : "");
	r = mmt_emit_record(a->out, rec, &p->held);
	if (r < 0) {
		/* Out of memory: give the slot back; the caller stops with the error. */
		unpush(a, p);
		return r;
	}
	a->pending_bytes += p->cost = exec_cost(rec);
	return mmt_assemble_pump(a, false);
}

int mmt_assemble_record(struct mmt_assemble *a, const struct mmt_record *rec)
{
	struct mmt_emit_held *held;
	int r = mmt_emit_error(a->out);

	if (r) {
		if (rec->exec && rec->exec->job) {
			mmt_hash_job_put(rec->exec->job);
			rec->exec->job = NULL;
		}
		return r;
	}
	if (rec->exec)
		return queue_exec(a, rec);
	if (!must_wait(a, rec->pid))
		return mmt_emit_record(a->out, rec, NULL);
	/* Behind a waiting line of its process: each process's lines keep their order. */
	r = mmt_emit_record(a->out, rec, &held);
	return r < 0 ? r : hold(a, held, rec->pid);
}

int mmt_assemble_lost(struct mmt_assemble *a, uint64_t lost, int cpu, enum mmt_lost_cause cause,
		      uint64_t utc_ns)
{
	struct mmt_emit_held *held;
	int r;

	/* A stream of their own keeps no order with the records: written now. */
	if (a->side)
		return mmt_emit_lost(a->side, lost, cpu, cause, utc_ns, NULL);
	if (!must_wait(a, 0))
		return mmt_emit_lost(a->out, lost, cpu, cause, utc_ns, NULL);
	r = mmt_emit_lost(a->out, lost, cpu, cause, utc_ns, &held);
	return r < 0 ? r : hold(a, held, 0);
}

int mmt_assemble_stats(struct mmt_assemble *a, const struct mmt_stats *s)
{
	struct mmt_emit_held *held;
	int r;

	if (a->side)
		return mmt_emit_stats(a->side, s, NULL);
	if (!must_wait(a, 0))
		return mmt_emit_stats(a->out, s, NULL);
	r = mmt_emit_stats(a->out, s, &held);
	return r < 0 ? r : hold(a, held, 0);
}

size_t mmt_assemble_pending(const struct mmt_assemble *a)
{
	return a->live;
}

uint64_t mmt_assemble_skipped(const struct mmt_assemble *a)
{
	return a->skipped;
}

uint64_t mmt_assemble_late(const struct mmt_assemble *a)
{
	return a->late;
}

int mmt_assemble_close(struct mmt_assemble *a)
{
	int r;

	if (!a)
		return 0;
	r = mmt_assemble_pump(a, true);
	while (a->qlen) {
		pending_release(a, &a->q[a->qhead]);
		a->qhead = (a->qhead + 1) % MMT_ASSEMBLE_MAX_PENDING;
		a->qlen--;
	}
	free(a->pids);
	free(a->q);
	free(a);
	return r;
}
