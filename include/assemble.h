/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Record assembly: between enrichment and the output. An mmap_exec or
 * mprotect_exec record waits here until its file is hashed, and the later
 * lines of its process wait too, so that each process's lines keep the
 * order of its calls; a lost or stats line keeps the order of every line. The queue is
 * bounded; finished lines go to the emitter (emit.h), which never calls
 * back here.
 */
#ifndef MMT_ASSEMBLE_H
#define MMT_ASSEMBLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "emit.h"
#include "hashcache.h"

struct mmt_assemble;

/* Bounds on records waiting for their hashes (and the lines behind them). */
#define MMT_ASSEMBLE_MAX_PENDING	4096
#define MMT_ASSEMBLE_MAX_PENDING_BYTES	((size_t)64 << 20)

/*
 * The longest a record waits for its hashes (mmt_assemble_set_max_wait()): one
 * second past the hasher's deadline, so the hasher's own error is what shows.
 */
#define MMT_ASSEMBLE_MAX_WAIT_S		(MMT_HASH_DEADLINE_S + 1)

/*
 * At the end of a run that a signal ended, the longest all the last records
 * wait for their hashes together: who stops a run wants it to stop. A run
 * that ended by itself (CMD exited) waits as long as a record may wait.
 */
#define MMT_ASSEMBLE_END_WAIT_MS	500

/**
 * mmt_assemble_open() - an empty queue in front of @out
 * @out: the emitter finished lines go to; it must outlive the assembly
 * @side: where lost and stats lines go, at once (they wait for no hash);
 *	NULL: into @out, in event order with the records. Not owned; it
 *	must outlive the assembly too
 * Return: the assembly, freed by mmt_assemble_close(); NULL + errno.
 */
struct mmt_assemble *mmt_assemble_open(struct mmt_emit *out, struct mmt_emit *side);

/**
 * mmt_assemble_record() - one record from enrichment, in event order
 *
 * An exec record (@r->exec) waits for its hash job, and so does every
 * later line of its process (@r->pid; 0, unknown: every later line). The queue holds at most MMT_ASSEMBLE_MAX_PENDING lines
 * and about MMT_ASSEMBLE_MAX_PENDING_BYTES of them: past that the oldest
 * is written without its hashes, its error saying why. So is a record
 * that waited longer than the maximum wait (at the next
 * mmt_assemble_pump()): time bounds the order window, not a hash job.
 * @r: the record; nothing of it is kept but @r->exec->job, which is taken
 *	in every case (released here, at once on error): NULL after the call
 * Return: 0 or -errno (-ENOMEM; a write error from the emitter).
 */
int mmt_assemble_record(struct mmt_assemble *a, const struct mmt_record *r);

/**
 * mmt_assemble_lost() - a lost line (mmt_emit_lost()), behind the waiting records
 * Return: 0 or -errno.
 */
int mmt_assemble_lost(struct mmt_assemble *a, uint64_t lost, int cpu, enum mmt_lost_cause cause,
		      uint64_t utc_ns);

/**
 * mmt_assemble_stats() - a stats line (mmt_emit_stats()), behind the waiting records
 * Return: 0 or -errno.
 */
int mmt_assemble_stats(struct mmt_assemble *a, const struct mmt_stats *s);

/**
 * mmt_assemble_set_max_wait() - how long a record may wait for its hashes
 * @seconds: MMT_ASSEMBLE_MAX_WAIT_S until set
 */
void mmt_assemble_set_max_wait(struct mmt_assemble *a, unsigned int seconds);

/**
 * mmt_assemble_set_end() - how the end of the run waits for the last hashes
 * @ms: the longest wait, from the first mmt_assemble_pump() with @all, over
 *	all the records; MMT_ASSEMBLE_END_WAIT_MS until set
 * @cut: asked about every 100 ms while waiting; true: stop waiting now
 *	(a second signal). NULL: never
 * @arg: for @cut
 */
void mmt_assemble_set_end(struct mmt_assemble *a, unsigned int ms, bool (*cut)(void *arg),
			  void *arg);

/**
 * mmt_assemble_pump() - write the waiting lines whose hashes are done
 * @all: wait for every job (at the end of a run), but no longer than
 *	mmt_assemble_set_end() allows; the records whose hashes are not done
 *	by then are written without them ("hash: not done when the run ended")
 *
 * Without @all, the oldest records that waited longer than the maximum
 * wait are written without their hashes, their error saying so.
 * Return: 0 or -errno.
 */
int mmt_assemble_pump(struct mmt_assemble *a, bool all);

/** mmt_assemble_pending() - lines waiting for hashes (or behind one). */
size_t mmt_assemble_pending(const struct mmt_assemble *a);

/** mmt_assemble_skipped() - records written without hashes because the queue was full. */
uint64_t mmt_assemble_skipped(const struct mmt_assemble *a);

/**
 * mmt_assemble_late() - records written without hashes because they were not done in
 * time (the maximum wait, or the end of the run)
 */
uint64_t mmt_assemble_late(const struct mmt_assemble *a);

/**
 * mmt_assemble_close() - write what waits (mmt_assemble_pump() with @all), and free
 *
 * The emitter is not flushed nor closed: mmt_emit_close() comes after.
 * NULL is fine.
 * Return: 0 or the -errno of writing the last lines (the rest is dropped then).
 */
int mmt_assemble_close(struct mmt_assemble *a);

#endif /* MMT_ASSEMBLE_H */
