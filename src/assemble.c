// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The queue of lines waiting for hashes: a ring of held lines (emit.h),
 * written in order as soon as the oldest one's hash job is done.
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
	struct mmt_emit_held *held;
	size_t cost;			/* bytes it holds, roughly, for the memory bound */
	struct mmt_hash_job *job;	/* NULL: no hash, error says why */
	uint64_t since;			/* CLOCK_MONOTONIC ns when it was queued */
	char error[MMT_HASH_ERROR_MAX];
};

struct mmt_assemble {
	struct mmt_emit *out;
	struct mmt_emit *side;		/* lost and stats lines; NULL: @out */
	struct pending *q;		/* ring of MMT_ASSEMBLE_MAX_PENDING, made on first use */
	size_t qhead, qlen;
	size_t pending_bytes;		/* sum of the waiting records' cost */
	uint64_t skipped;
	uint64_t late;			/* written without hashes: not done in time */
	uint64_t max_wait_ns;		/* the longest a record waits for its hashes */
	uint64_t end_wait_ns;		/* the longest wait at the end, over all */
	uint64_t end_by;		/* at the end: when waiting stops; 0 before */
	bool (*cut)(void *arg);		/* at the end: true to stop waiting now */
	void *cut_arg;
};

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

/* Writes the oldest waiting line; @force: without hashes if they are not done. */
static int finish_head(struct mmt_assemble *a, enum force force)
{
	struct pending *p = &a->q[a->qhead];
	const struct mmt_hashes *h = NULL;
	char error[MMT_HASH_ERROR_MAX + 64];
	int r;

	snprintf(error, sizeof(error), "%s", p->error);
	if (p->job && mmt_hash_job_done(p->job)) {
		h = mmt_hash_job_result(p->job);
	} else if (p->job && force == FORCE_FULL) {
		snprintf(error, sizeof(error), "hash skipped: %d records were waiting for "
			 "hashes (the bound)", MMT_ASSEMBLE_MAX_PENDING);
		a->skipped++;
	} else if (p->job && force == FORCE_LATE) {
		snprintf(error, sizeof(error), "hash: not done within %llu s: written without it",
			 (unsigned long long)(a->max_wait_ns / 1000000000ULL));
		a->late++;
	} else if (p->job && force == FORCE_END) {
		snprintf(error, sizeof(error), "hash: not done when the run ended");
		a->late++;
	} else if (p->job) {
		return -EAGAIN;
	}
	r = mmt_emit_held_write(a->out, p->held, h, error);
	p->held = NULL;
	a->pending_bytes -= p->cost;
	pending_release(a, p);
	a->qhead = (a->qhead + 1) % MMT_ASSEMBLE_MAX_PENDING;
	a->qlen--;
	return r;
}

int mmt_assemble_pump(struct mmt_assemble *a, bool all)
{
	uint64_t now = mmt_mono_ns();
	enum force force;
	int r = 0;

	/* One budget for the whole end: a hung filesystem must not hold the exit. */
	if (all && !a->end_by)
		a->end_by = now + a->end_wait_ns;
	while (a->qlen && !r) {
		struct pending *p = &a->q[a->qhead];

		force = NO_FORCE;
		if (p->job && !mmt_hash_job_done(p->job)) {
			if (all && !end_wait(a, p->job))
				force = FORCE_END;
			else if (!all && now - p->since < a->max_wait_ns)
				return 0;
			else if (!all)
				force = FORCE_LATE;
		}
		r = finish_head(a, force);
	}
	return r;
}

/* A slot at the tail; the oldest lines go out first if the queue is full. */
static struct pending *push(struct mmt_assemble *a, int *err)
{
	struct pending *p;

	*err = 0;
	if (!a->q) {
		a->q = calloc(MMT_ASSEMBLE_MAX_PENDING, sizeof(*a->q));
		if (!a->q) {
			*err = -ENOMEM;
			return NULL;
		}
	}
	/* Full: the oldest go out now, without their hashes if need be. */
	while (a->qlen && (a->qlen == MMT_ASSEMBLE_MAX_PENDING ||
			   a->pending_bytes > MMT_ASSEMBLE_MAX_PENDING_BYTES)) {
		*err = finish_head(a, FORCE_FULL);
		if (*err < 0)
			return NULL;
	}
	p = &a->q[(a->qhead + a->qlen) % MMT_ASSEMBLE_MAX_PENDING];
	a->qlen++;
	return p;
}

/* Queues a line that has no hashes to wait for, behind those that do. */
static int hold(struct mmt_assemble *a, struct mmt_emit_held *held)
{
	struct pending *p;
	int r;

	p = push(a, &r);
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

	p = push(a, &r);
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
		pending_release(a, p);
		a->qlen--;
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
	if (!a->qlen)
		return mmt_emit_record(a->out, rec, NULL);
	/* Records behind a waiting exec record wait too: output stays in event order. */
	r = mmt_emit_record(a->out, rec, &held);
	return r < 0 ? r : hold(a, held);
}

int mmt_assemble_lost(struct mmt_assemble *a, uint64_t lost, int cpu, enum mmt_lost_cause cause,
		      uint64_t utc_ns)
{
	struct mmt_emit_held *held;
	int r;

	/* A stream of their own keeps no order with the records: written now. */
	if (a->side)
		return mmt_emit_lost(a->side, lost, cpu, cause, utc_ns, NULL);
	if (!a->qlen)
		return mmt_emit_lost(a->out, lost, cpu, cause, utc_ns, NULL);
	r = mmt_emit_lost(a->out, lost, cpu, cause, utc_ns, &held);
	return r < 0 ? r : hold(a, held);
}

int mmt_assemble_stats(struct mmt_assemble *a, const struct mmt_stats *s)
{
	struct mmt_emit_held *held;
	int r;

	if (a->side)
		return mmt_emit_stats(a->side, s, NULL);
	if (!a->qlen)
		return mmt_emit_stats(a->out, s, NULL);
	r = mmt_emit_stats(a->out, s, &held);
	return r < 0 ? r : hold(a, held);
}

size_t mmt_assemble_pending(const struct mmt_assemble *a)
{
	return a->qlen;
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
	free(a->q);
	free(a);
	return r;
}
