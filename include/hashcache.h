/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * hashcache.h - md5/sha1/sha256/sha512 and libmagic type of mapped files, computed off the
 * ring-buffer reader thread and cached by file identity.
 */
#ifndef MMT_HASHCACHE_H
#define MMT_HASHCACHE_H

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>
#include <sys/types.h>

#include "digest.h"

/* Background hasher with cache */

/* Worker threads of mmt_hasher_new(): one user's hung file leaves another user a worker. */
#define MMT_HASH_WORKERS	2

/* Seconds a worker waits for one file before it gives the file up (mmt_hasher_set_deadline()). */
#define MMT_HASH_DEADLINE_S	5

/* Files given up on one filesystem (st_dev) after which its files are no longer hashed. */
#define MMT_HASH_STUCK_PER_DEV	2

/* Files of one user (by the mapping process's uid) given up, after which that user's are not hashed. */
#define MMT_HASH_STUCK_PER_USER	2

/* Worker processes left behind, in all, after which nothing is hashed any more. */
#define MMT_HASH_MAX_STUCK	8

/**
 * struct mmt_hasher - worker thread(s), bounded job queue and result cache (opaque).
 *
 * Results are cached by (st_dev, st_ino, st_size, st_mtim, st_ctim), so a file modified
 * in place is hashed again.  The cache holds at most the number of entries given to
 * mmt_hasher_new(), evicting the least recently used.  On x86-64 an entry costs about 570
 * bytes (an 88-byte index node, a 432-byte result, up to 16 bytes of bucket table, malloc
 * headers) plus its magic text: typically 100-250 bytes, never over MMT_HASH_MAGIC_MAX, so
 * at most about 1.6 KiB per entry (4096 entries: about 3 MiB, at most 6.5 MiB).  Each job
 * costs about 550 bytes; at most max_queued plus one per worker are held by the hasher.
 *
 * Each worker thread has a process of its own (forked from it, holding none of the
 * caller's descriptors) open, read and type the files.  A file that gives no answer
 * within the deadline (its filesystem hung: a FUSE server or an NFS server that does not
 * answer, where no signal ends the wait) is given up: its job is done with the error
 * "hash: file did not answer within N s", the process is killed and left behind (it is
 * not a thread of the caller's, so it holds up no exit) and a fresh one takes its place.
 * After MMT_HASH_STUCK_PER_DEV such files on one filesystem, its files are answered at
 * once, unhashed; after MMT_HASH_MAX_STUCK in all, every file is; each time stderr says so.
 */
struct mmt_hasher;

/**
 * struct mmt_hash_job - one submitted file (opaque); see mmt_hasher_submit().
 */
struct mmt_hash_job;

/**
 * struct mmt_hash_stats - counters since mmt_hasher_new().
 * @hits: submits answered from the cache.
 * @misses: submits that had to be hashed (queued, coalesced or skipped).
 * @evictions: cache entries dropped to stay within the entry limit.
 * @coalesced: submits that waited for a job already queued for the same file.
 * @skipped: submits refused because the queue was full.
 * @hashed_files: files read by a worker.
 * @hashed_bytes: bytes read by the workers.
 * @abandoned: files given up at the deadline (their worker process left behind).
 * @skipped_user: of @skipped, those refused because their user's share was full.
 */
struct mmt_hash_stats {
	uint64_t hits;
	uint64_t misses;
	uint64_t evictions;
	uint64_t coalesced;
	uint64_t skipped;
	uint64_t hashed_files;
	uint64_t hashed_bytes;
	uint64_t abandoned;
	uint64_t skipped_user;
};

/**
 * mmt_hasher_new() - start a hasher with MMT_HASH_WORKERS worker threads.
 * @cache_entries: most results kept; 0 disables the cache.
 * @max_queued: most jobs waiting for a worker, coalesced ones included, not counting the
 *	one a worker is hashing; at least 1.
 * @size_limit: largest file to hash, or MMT_HASH_NO_LIMIT; larger files still get a type.
 *
 * Return: a hasher to release with mmt_hasher_free(), or NULL with errno set (EINVAL,
 * ENOMEM, the error of eventfd(), pthread_create() or mmt_magic_open()).
 */
struct mmt_hasher *mmt_hasher_new(size_t cache_entries, size_t max_queued, off_t size_limit);

/**
 * mmt_hasher_new_workers() - mmt_hasher_new() with @workers threads.
 * @cache_entries: as for mmt_hasher_new().
 * @max_queued: as for mmt_hasher_new().
 * @size_limit: as for mmt_hasher_new().
 * @workers: number of threads, at least 1; each has its own libmagic handle and buffer.
 *
 * Return: as for mmt_hasher_new().
 */
struct mmt_hasher *mmt_hasher_new_workers(size_t cache_entries, size_t max_queued,
					  off_t size_limit, unsigned int workers);

/**
 * mmt_hasher_free() - stop the workers and release the hasher.
 * @h: the hasher; NULL is ignored.
 *
 * Waits for files being hashed right now, then completes every job still queued with the
 * error "hasher stopped" and closes its fd.  Jobs the caller holds stay valid (and done)
 * until mmt_hash_job_put(); no other thread may use @h during or after this call.
 */
void mmt_hasher_free(struct mmt_hasher *h);

/**
 * mmt_hasher_submit() - ask for the hashes and type of the file open on @fd.
 * @h: the hasher.
 * @fd: a file opened for reading, or an O_PATH descriptor (the worker's process then
 *	opens it for reading, O_NONBLOCK: a lease is an error, not a wait); the hasher owns
 *	it from now on, whatever the outcome, and closes it.  Open FIFOs with O_NONBLOCK or
 *	the open itself may block.
 *
 * Never blocks and never reads the file in the calling thread: it stats @fd from what
 * the kernel holds (mmt_file_stat_cached(): its filesystem is not asked), and answers
 * at once (the returned job is already done) for a cache hit, a file that is not
 * regular, or a full queue ("hash queue full (N jobs): skipped").  Otherwise the job is
 * queued, or attached to a queued job for the same file, and a worker completes it later
 * and signals mmt_hasher_notify_fd().
 *
 * @owner: the real uid of the process that mapped it (or (uid_t)-1 if unknown): one
 *	user's files are read one at a time, so that one user's slow or hung files hold
 *	one worker at most, and at most a quarter of the queue waits for one user ("hash
 *	queue full for uid N (M jobs): skipped").
 *
 * Return: a job to release with mmt_hash_job_put(), or NULL with errno ENOMEM (@fd is
 * closed then too).
 */
struct mmt_hash_job *mmt_hasher_submit(struct mmt_hasher *h, int fd, uid_t owner);

/**
 * mmt_hash_job_done() - whether a job has its result; never blocks.
 * @job: a job from mmt_hasher_submit().
 *
 * Return: true once mmt_hash_job_result() may be called.
 */
bool mmt_hash_job_done(const struct mmt_hash_job *job);

/**
 * mmt_hash_job_wait() - block until a job is done.
 * @job: a job from mmt_hasher_submit(); its hasher must not be freed concurrently.
 */
void mmt_hash_job_wait(struct mmt_hash_job *job);

/**
 * mmt_hash_job_wait_until() - block until a job is done, or until @deadline.
 * @job: as for mmt_hash_job_wait().
 * @deadline: CLOCK_MONOTONIC ns (mmt_mono_ns()).
 *
 * Return: whether @job is done.
 */
bool mmt_hash_job_wait_until(struct mmt_hash_job *job, uint64_t deadline);

/**
 * mmt_hash_job_result() - the result of a done job.
 * @job: a job for which mmt_hash_job_done() returned true.
 *
 * Return: the result, owned by @job and valid until mmt_hash_job_put(); NULL if the job
 * is not done yet.
 */
const struct mmt_hashes *mmt_hash_job_result(const struct mmt_hash_job *job);

/**
 * mmt_hash_job_put() - release a job, done or not.
 * @job: a job from mmt_hasher_submit(); NULL is ignored.
 *
 * A job released before it is done is still hashed, and its result cached.  Does not use
 * the hasher, so done jobs may be released after mmt_hasher_free().
 */
void mmt_hash_job_put(struct mmt_hash_job *job);

/**
 * mmt_hasher_stats() - copy the counters.
 * @h: the hasher.
 * @stats: filled with the current values; the cache counters and the others are read
 *	under different locks, so they may be a job apart.
 */
void mmt_hasher_stats(const struct mmt_hasher *h, struct mmt_hash_stats *stats);

/**
 * mmt_hasher_set_deadline() - how long a worker waits for one file.
 * @h: the hasher.
 * @seconds: the deadline, from the file handed to the worker's process to its answer;
 *	MMT_HASH_DEADLINE_S until set; 0 is taken as 1.
 */
void mmt_hasher_set_deadline(struct mmt_hasher *h, unsigned int seconds);

/**
 * mmt_hasher_notify_fd() - fd that becomes readable when a worker completes jobs.
 * @h: the hasher.
 *
 * An eventfd, non-blocking, owned by @h: poll() it with the ring buffers, then call
 * mmt_hasher_notify_clear() and check pending jobs with mmt_hash_job_done().  Jobs done at
 * submit time do not signal it.
 *
 * Return: the fd; never fails.
 */
int mmt_hasher_notify_fd(const struct mmt_hasher *h);

/**
 * mmt_hasher_notify_clear() - make mmt_hasher_notify_fd() unreadable again.
 * @h: the hasher.
 *
 * Return: 0, also when nothing was signalled; -errno if reading the eventfd failed.
 */
int mmt_hasher_notify_clear(struct mmt_hasher *h);

#endif /* MMT_HASHCACHE_H */
