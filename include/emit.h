/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Output: one record per line, JSON (json-c) or strace-like text. Lines are
 * built whole in memory and written with write(2) only as whole lines, so a
 * kill or a full disk never leaves half a record behind. The last stage:
 * the record assembly (assemble.h) hands it lines; it calls no stage back.
 */
#ifndef MMT_EMIT_H
#define MMT_EMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "event.h"
#include "mapfile.h"

struct mmt_emit;
struct mmt_emit_held;
struct mmt_hash_job;
struct mmt_hashes;
struct mmt_host;
struct mmt_logsink;
struct mmt_task;

enum mmt_format {
	MMT_FORMAT_JSON = 0,
	MMT_FORMAT_TEXT,
	MMT_FORMAT_TRACEE,		/* Tracee's envelope; do_mmap records only */
};

/* Text-form timestamps, as strace's -t, -tt, -ttt. */
enum mmt_time_format {
	MMT_TIME_NONE = 0,		/* do_mmap lines bare; others RFC 3339 UTC */
	MMT_TIME_SEC,			/* -t: local HH:MM:SS */
	MMT_TIME_USEC,			/* -tt: local HH:MM:SS.uuuuuu */
	MMT_TIME_EPOCH,			/* -ttt: seconds.uuuuuu since the epoch */
};

/* info.event.source unless --source says otherwise */
#define MMT_EMIT_SOURCE	"mmaptrace"

/* How lines look. Only the format and source matter to JSON, which is never cut. */
struct mmt_emit_opts {
	enum mmt_format format;
	const char *source;		/* info.event.source; NULL: MMT_EMIT_SOURCE. Copied */
	enum mmt_time_format time;	/* text: -t, -tt, -ttt */
	bool fd_paths;			/* text: -y, "3</path>" where the fd is known */
	size_t string_limit;		/* text: -s, bytes of a string shown; 0: all */
};

/* The periodic "stats" record and the summary on standard error. */
struct mmt_stats {
	uint64_t utc_ns;		/* when taken */
	uint64_t elapsed_ns;		/* since tracing started */
	uint64_t events;		/* read from the ring buffers */
	uint64_t mappings;		/* entries paired with their returns */
	uint64_t records;		/* lines written (records, not lost/stats) */
	uint64_t filtered;		/* mappings dropped by --comm/--uid/--exclude-path */
	uint64_t lost;			/* ring-buffer events the kernel dropped */
	uint64_t missed;		/* kprobe + kretprobe misses (kprobe backend) */
	uint64_t unpaired;		/* entries or returns without the other half */
	uint64_t corrupt;		/* sub-buffers skipped by the sanity checks */
	uint64_t pending;		/* records waiting for hashes */
	uint64_t threads;		/* threads the reader keeps state for */
	uint64_t hash_hits, hash_misses, hashed_files, hashed_bytes, hash_skipped;
	uint64_t proc_reads;		/* files of the traced processes opened in /proc */
	uint64_t rss_kb;		/* resident set now */
	uint64_t max_rss_kb;		/* its peak */
	uint64_t cpu_user_us, cpu_system_us;	/* this process's CPU time */
};

/* What an mmap_exec record says beyond the mapping (Kunai's sections). */
struct mmt_exec_info {
	const struct mmt_host *host;
	const struct mmt_task *task;	/* NULL: /proc could not describe it */
	const struct mmt_task *parent;	/* NULL: unknown */
	const char *task_error;		/* NULL or why task details are missing */
	char uuid[37];			/* this record's id */
	uint64_t batch;			/* the reader's drain count */
	struct mmt_hash_job *job;	/* the assembly takes it (assemble.h); NULL: no hash */
	const char *hash_error;		/* with no job: why */
};

/* Everything one output line says about a mapping (or an mprotect). */
struct mmt_record {
	const char *event;		/* "do_mmap", "mmap_exec" or "mprotect_exec" */
	const char *backend;		/* "tracepoint" or "kprobe" */
	uint64_t utc_ns;		/* event time, ns since the epoch (UTC) */
	pid_t pid;			/* thread group id; 0: unknown (JSON null) */
	pid_t tid;
	const char *comm;		/* NULL: unknown */
	const struct mmt_mapping *map;
	const struct mmt_map_info *file;
	const char *error;		/* NULL or why something is missing */
	struct mmt_exec_info *exec;	/* mmap_exec and mprotect_exec only, else NULL */
	unsigned int alerts;		/* MMT_ALERT_* bits (alert.h) */
	/* mprotect_exec: map->enter has addr, len, prot; map->ret is 0 */
	int64_t prev_prot;		/* PROT_* before the call; -1: unknown */
};

/* What lost events: a full ring buffer, or a kprobe the kernel could not run. */
enum mmt_lost_cause {
	MMT_LOST_RING = 0,		/* per-CPU buffer full (@cpu says which) */
	MMT_LOST_KPROBE,		/* do_mmap entries missed */
	MMT_LOST_KRETPROBE,		/* do_mmap returns missed (out of instances) */
	MMT_LOST_PERF,			/* the kernel's mapping records: a perf ring full (@cpu) */
	MMT_LOST_LOG,			/* records the log sink could not send (logsink.h) */
};

/* The emitter: where lines go */

/**
 * mmt_emit_open() - an emitter on @fd
 * @fd: where lines go; the emitter does not close it
 * @opts: format and text options (copied); the format is chosen here, once
 * Return: the emitter, freed by mmt_emit_close(); NULL + errno (EINVAL: no such format).
 */
struct mmt_emit *mmt_emit_open(int fd, const struct mmt_emit_opts *opts);

/**
 * mmt_emit_open_sink() - an emitter whose lines go to a log sink, one message each
 * @sink: the journal or a syslog collector (logsink.h); not owned: closed
 *	by the caller after mmt_emit_close()
 * @opts: as for mmt_emit_open(); the line is the message
 *
 * Records, lost and stats lines all go there, each with the fields of
 * struct mmt_log_fields; nothing is buffered in the emitter (the sink may
 * queue), and mmt_emit_flush() flushes the sink without waiting.
 * Return: the emitter, freed by mmt_emit_close(); NULL + errno.
 */
struct mmt_emit *mmt_emit_open_sink(struct mmt_logsink *sink, const struct mmt_emit_opts *opts);

/**
 * mmt_emit_set_fd() - write to @fd from now on (SIGHUP: a rotated log)
 *
 * The whole lines buffered so far are written to the old fd first; lines
 * written after (records that were waiting for hashes too) go to the new
 * one. A write error on the old fd is forgotten: the new file starts
 * clean. The caller closes the old fd.
 * Return: 0, or the -errno of writing the old fd's last lines.
 */
int mmt_emit_set_fd(struct mmt_emit *e, int fd);

/**
 * mmt_emit_flush() - write the buffered whole lines
 *
 * On a regular file that fills up, the file is cut back to the end of the
 * last whole line.
 * Return: 0 or -errno (-EPIPE: the reader went away; -ENOSPC: disk full).
 */
int mmt_emit_flush(struct mmt_emit *e);

/**
 * mmt_emit_error() - the error that stopped the output
 * Return: 0, or the -errno of the write that failed: nothing is written
 * after it (until mmt_emit_set_fd()).
 */
int mmt_emit_error(const struct mmt_emit *e);

/** mmt_emit_records() - record lines written (or buffered) so far; not lost or stats lines. */
uint64_t mmt_emit_records(const struct mmt_emit *e);

/**
 * mmt_emit_close() - flush and free; NULL is fine
 *
 * Held lines not written yet are the holder's to free first.
 * Return: 0 or the -errno of the last flush.
 */
int mmt_emit_close(struct mmt_emit *e);

/*
 * Lines. Each is formatted whole when called: buffered at once (@held
 * NULL), or held (in *@held) to be written later, in the order the holder
 * chooses, by mmt_emit_held_write(). The record assembly holds what waits
 * for hashes and what comes after it (assemble.h).
 */

/**
 * mmt_emit_record() - format one record
 * @r: the record; with @r->exec (mmap_exec, mprotect_exec) it must be
 *	held: the line is finished with the hashes. @r->exec->job is not
 *	touched. Nothing of @r is kept.
 * @held: NULL: buffer the line now; else set to the held line, to pass to
 *	mmt_emit_held_write() or mmt_emit_held_free()
 * Return: 0 or -errno (-ENOMEM; a write error from an implied flush; the
 * sticky error of mmt_emit_error(); -EINVAL: an exec record not held).
 */
int mmt_emit_record(struct mmt_emit *e, const struct mmt_record *r,
		    struct mmt_emit_held **held);

/**
 * mmt_emit_lost() - say that the kernel dropped @lost events
 * @cpu: the CPU (MMT_LOST_RING), else -1
 * @held: as for mmt_emit_record()
 * Return: 0 or -errno.
 */
int mmt_emit_lost(struct mmt_emit *e, uint64_t lost, int cpu, enum mmt_lost_cause cause,
		  uint64_t utc_ns, struct mmt_emit_held **held);

/**
 * mmt_emit_stats() - a "stats" line
 * @held: as for mmt_emit_record()
 * Return: 0 or -errno.
 */
int mmt_emit_stats(struct mmt_emit *e, const struct mmt_stats *s, struct mmt_emit_held **held);

/**
 * mmt_emit_held_write() - buffer a held line, and free it
 * @held: from this emitter; freed in every case
 * @h: an exec record's hashes; NULL: none (its fields say "?")
 * @error: NULL or "", else why the hashes are missing (replaces @h's error)
 *
 * @h and @error matter only to an exec record.
 * Return: 0 or -errno (-ENOMEM: nothing of the line is written; a write
 * error from an implied flush).
 */
int mmt_emit_held_write(struct mmt_emit *e, struct mmt_emit_held *held,
			const struct mmt_hashes *h, const char *error);

/** mmt_emit_held_free() - drop a held line unwritten; NULL is fine. */
void mmt_emit_held_free(struct mmt_emit *e, struct mmt_emit_held *held);

#endif /* MMT_EMIT_H */
