/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Stats: what a run counted, said three ways: "lost" records when the
 * kernel drops events, a "stats" record every --stats-interval, and the
 * summary on standard error at the end. Every count is read from the stage
 * that keeps it; this module only gathers and reports.
 */
#ifndef MMT_STATS_H
#define MMT_STATS_H

#include <stdbool.h>
#include <stdint.h>

struct mmt_assemble;
struct mmt_emit;
struct mmt_enrich;
struct mmt_logsink;
struct mmt_perf;
struct mmt_probe;
struct mmt_ring;
struct mmt_stats_run;

/* Where the counts come from; none is owned by the stats. */
struct mmt_stats_sources {
	struct mmt_ring *ring;
	struct mmt_probe *probe;
	struct mmt_perf *perf;		/* NULL: no perf source */
	struct mmt_enrich *enrich;
	struct mmt_emit *emit;		/* the records written */
	struct mmt_assemble *assemble;	/* where lost and stats records go; what waits */
	struct mmt_logsink *sink;	/* the -o log sink, whose drops are losses; NULL: none */
	int64_t mono_to_utc;		/* add to CLOCK_MONOTONIC ns for UTC ns */
	uint64_t interval_ns;		/* --stats-interval; 0: no stats records */
};

/**
 * mmt_stats_open() - the stats of a run over @src (copied)
 * Return: freed by mmt_stats_close(); NULL + errno.
 */
struct mmt_stats_run *mmt_stats_open(const struct mmt_stats_sources *src);

/** mmt_stats_close() - NULL is fine. */
void mmt_stats_close(struct mmt_stats_run *s);

/** mmt_stats_start() - tracing starts now: elapsed time and intervals count from here. */
void mmt_stats_start(struct mmt_stats_run *s);

/**
 * mmt_stats_lost() - "lost" records for what the kernel dropped since the last call
 * @force: look now; else at most every 100 ms (the counters are tracefs reads)
 *
 * Ring-buffer losses per CPU, and on the kprobe backend the hits the kernel
 * could not record (kprobe and kretprobe misses); records a log sink
 * dropped (a collector that does not keep up).
 * Return: 0 or -errno (an output error).
 */
int mmt_stats_lost(struct mmt_stats_run *s, bool force);

/**
 * mmt_stats_tick() - a "stats" record if --stats-interval has passed
 * @final: the end of the run: one last record whatever the time
 * Return: 0 or -errno (an output error).
 */
int mmt_stats_tick(struct mmt_stats_run *s, bool final);

/** mmt_stats_summary() - the end-of-run summary on standard error. */
void mmt_stats_summary(struct mmt_stats_run *s);

#endif /* MMT_STATS_H */
