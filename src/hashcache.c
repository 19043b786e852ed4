// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * hashcache.c - one-pass md5/sha1/sha256/sha512 of mapped files, with their libmagic type,
 * hashed by worker threads and cached by file identity so the ring-buffer reader never
 * waits on a file.
 *
 * Each worker thread hands its files to processes of its own (inspect.h): a privileged
 * opener and a confined inspector that reads and types them. A file whose filesystem does
 * not answer (a hung FUSE server, a stuck NFS mount) holds that process in the kernel,
 * where no signal ends the wait.  The thread waits for the answer until the deadline
 * only, then the process is killed and left behind (it is not a thread of ours, so it
 * keeps no exit of ours waiting) and a fresh one is made at the next file.
 *
 * Locks: h->lock guards the queue, the jobs' followers and the hasher counters;
 * cache.lock guards the cache.  No code path holds both.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "error.h"
#include "fileio.h"
#include "hashcache.h"
#include "inspect.h"

/* An immutable result shared by the cache and the jobs that were given it. */
struct result {
	atomic_uint refs;
	struct mmt_hashes h;
	char magic[];
};

struct cache_entry {
	/* The file and its version: any write or truncate changes size, mtime or ctime. */
	struct mmt_file_id id;
	struct result *res;
	struct cache_entry *hnext;
	struct cache_entry *prev;	/* LRU list, most recent first */
	struct cache_entry *next;
};

struct cache {
	pthread_mutex_t lock;
	size_t max;
	size_t count;
	size_t nbuckets;		/* power of two */
	struct cache_entry **buckets;
	struct cache_entry lru;		/* list head; lru.next is the most recent */
	uint64_t hits;
	uint64_t misses;
	uint64_t evictions;
};

struct mmt_hash_job {
	atomic_uint refs;		/* caller's, plus the hasher's while not done */
	atomic_bool done;
	struct mmt_hasher *h;
	int fd;
	struct mmt_file_id id;
	struct result *res;		/* NULL when the answer is only an error */
	struct mmt_hashes local;	/* that error answer */
	const struct mmt_hashes *out;
	unsigned int lane;		/* its user's (struct lane) */
	uint64_t since;			/* CLOCK_MONOTONIC ns when it was queued */
	struct mmt_hash_job *next;	/* queue, or the leader's follower list */
	struct mmt_hash_job *followers;	/* same file, submitted while this one was pending */
};

struct worker {
	struct mmt_hasher *h;
	pthread_t thread;
	bool started;
	struct mmt_inspector *in;	/* its opener and inspector processes */
	struct mmt_hash_job *current;	/* guarded by h->lock, for coalescing */
};

/*
 * One user's files (by the real uid of the process that mapped them): read
 * one at a time, so that one user's slow or hung files hold one worker at
 * most, and at most MMT_HASH_MAX_PER_USER of them wait.
 */
struct lane {
	uid_t uid;
	bool used;
	unsigned int queued;		/* waiting, followers included */
	unsigned int running;		/* being read: 0 or 1 */
	unsigned int stuck;		/* files given up at the deadline; kept while > 0 */
};

/*
 * A queued job this old is read next, whatever its size: long past the
 * time its record waits (it went out without the hashes), but the cache
 * then has them for its next mapping.
 */
#define AGE_NS	30000000000ULL

/* Users with a lane of their own; the others share the last one. */
#define LANES	64

/* A filesystem that left files unanswered, by st_dev. */
struct stuck_dev {
	uint64_t dev;
	unsigned int files;
};

struct mmt_hasher {
	pthread_mutex_t lock;
	pthread_cond_t work_cond;	/* a job was queued, or stopping */
	pthread_cond_t done_cond;	/* some job became done */
	struct cache cache;
	struct mmt_hash_job *head;
	struct mmt_hash_job *tail;
	size_t queued;			/* waiting jobs, followers included */
	size_t max_queued;
	off_t size_limit;
	bool stopping;
	int stop_fd;			/* eventfd, readable once stopping */
	int notify_fd;
	unsigned int nworkers;
	struct worker *workers;
	struct lane lanes[LANES];	/* guarded by lock */
	uint64_t skipped_user;		/* refused: their user's lane was full */
	uint64_t deadline_ns;
	unsigned int stuck;		/* processes left behind at a deadline */
	struct stuck_dev stuck_devs[MMT_HASH_MAX_STUCK];
	uint64_t abandoned;
	uint64_t coalesced;
	uint64_t skipped;
	uint64_t hashed_files;
	uint64_t hashed_bytes;
};

static bool timespec_before(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec < b->tv_sec || (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

/* Results */

/* A description's length as kept: bounded even for one built from hostile input. */
static size_t magic_len(const char *magic)
{
	size_t len = magic ? strlen(magic) : 0;

	return len > MMT_HASH_MAGIC_MAX - 1 ? MMT_HASH_MAGIC_MAX - 1 : len;
}

/* @magic and @top are copied, one after the other, into the result. */
static struct result *result_new(const struct mmt_hashes *h, const char *magic, const char *top)
{
	size_t len = magic_len(magic), tlen = magic_len(top);
	struct result *res;

	res = malloc(sizeof(*res) + len + 1 + tlen + 1);
	if (!res)
		return NULL;
	atomic_init(&res->refs, 1);
	res->h = *h;
	memcpy(res->magic, magic ? magic : "", len);
	res->magic[len] = '\0';
	memcpy(res->magic + len + 1, top ? top : "", tlen);
	res->magic[len + 1 + tlen] = '\0';
	res->h.magic = magic ? res->magic : NULL;
	res->h.magic_top = top ? res->magic + len + 1 : NULL;
	return res;
}

static struct result *result_get(struct result *res)
{
	atomic_fetch_add_explicit(&res->refs, 1, memory_order_relaxed);
	return res;
}

static void result_put(struct result *res)
{
	if (res && atomic_fetch_sub_explicit(&res->refs, 1, memory_order_acq_rel) == 1)
		free(res);
}

/* Cache */

static size_t file_id_bucket(const struct cache *c, const struct mmt_file_id *id)
{
	uint64_t x = (uint64_t)id->ino * 0x9e3779b97f4a7c15ULL ^ (uint64_t)id->dev;

	/*
	 * Only dev and ino are hashed so every version of a file shares a bucket, which lets
	 * cache_store() drop versions a rewrite made stale.
	 */
	x ^= x >> 31;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 29;
	return x & (c->nbuckets - 1);
}

static int cache_init(struct cache *c, size_t max)
{
	int r;

	memset(c, 0, sizeof(*c));
	c->max = max;
	c->lru.next = c->lru.prev = &c->lru;
	c->nbuckets = 1;
	while (c->nbuckets < max && c->nbuckets < (SIZE_MAX >> 2))
		c->nbuckets <<= 1;
	c->buckets = calloc(c->nbuckets, sizeof(*c->buckets));
	if (!c->buckets)
		return -ENOMEM;
	r = pthread_mutex_init(&c->lock, NULL);
	if (r) {
		free(c->buckets);
		return -r;
	}
	return 0;
}

static void lru_unlink(struct cache_entry *e)
{
	e->prev->next = e->next;
	e->next->prev = e->prev;
}

static void lru_push_front(struct cache *c, struct cache_entry *e)
{
	e->next = c->lru.next;
	e->prev = &c->lru;
	c->lru.next->prev = e;
	c->lru.next = e;
}

static void cache_remove(struct cache *c, struct cache_entry *e)
{
	struct cache_entry **pp = &c->buckets[file_id_bucket(c, &e->id)];

	while (*pp != e)
		pp = &(*pp)->hnext;
	*pp = e->hnext;
	lru_unlink(e);
	result_put(e->res);
	free(e);
	c->count--;
}

static void cache_destroy(struct cache *c)
{
	while (c->lru.next != &c->lru)
		cache_remove(c, c->lru.next);
	free(c->buckets);
	/* Destroying an unlocked, initialized mutex cannot fail. */
	(void)pthread_mutex_destroy(&c->lock);
}

/* Return: a reference the caller must result_put(), or NULL on a miss. */
static struct result *cache_lookup(struct cache *c, const struct mmt_file_id *id)
{
	struct result *res = NULL;
	struct cache_entry *e;

	pthread_mutex_lock(&c->lock);
	for (e = c->buckets[file_id_bucket(c, id)]; e; e = e->hnext) {
		if (mmt_file_id_equal(&e->id, id)) {
			lru_unlink(e);
			lru_push_front(c, e);
			res = result_get(e->res);
			break;
		}
	}
	if (res)
		c->hits++;
	else
		c->misses++;
	pthread_mutex_unlock(&c->lock);
	return res;
}

/* Takes a new reference on @res.  Failing to cache only costs a rehash, so it is silent. */
static void cache_store(struct cache *c, const struct mmt_file_id *id, struct result *res)
{
	struct cache_entry *e, *next;

	if (!c->max)
		return;

	pthread_mutex_lock(&c->lock);
	for (e = c->buckets[file_id_bucket(c, id)]; e; e = next) {
		next = e->hnext;
		if (!mmt_file_id_same(&e->id, id))
			continue;
		/* Same file, another version: it was modified, the old result can never hit. */
		cache_remove(c, e);
	}
	if (c->count >= c->max) {
		cache_remove(c, c->lru.prev);
		c->evictions++;
	}
	e = malloc(sizeof(*e));
	if (e) {
		e->id = *id;
		e->res = result_get(res);
		e->hnext = c->buckets[file_id_bucket(c, id)];
		c->buckets[file_id_bucket(c, id)] = e;
		lru_push_front(c, e);
		c->count++;
	}
	pthread_mutex_unlock(&c->lock);
}

/* Jobs */

static void job_free(struct mmt_hash_job *job)
{
	result_put(job->res);
	if (job->fd >= 0)
		close(job->fd);
	free(job);
}

void mmt_hash_job_put(struct mmt_hash_job *job)
{
	if (job && atomic_fetch_sub_explicit(&job->refs, 1, memory_order_acq_rel) == 1)
		job_free(job);
}

bool mmt_hash_job_done(const struct mmt_hash_job *job)
{
	return atomic_load_explicit(&job->done, memory_order_acquire);
}

const struct mmt_hashes *mmt_hash_job_result(const struct mmt_hash_job *job)
{
	return mmt_hash_job_done(job) ? job->out : NULL;
}

void mmt_hash_job_wait(struct mmt_hash_job *job)
{
	struct mmt_hasher *h = job->h;

	if (mmt_hash_job_done(job))
		return;
	pthread_mutex_lock(&h->lock);
	while (!mmt_hash_job_done(job))
		pthread_cond_wait(&h->done_cond, &h->lock);
	pthread_mutex_unlock(&h->lock);
}

bool mmt_hash_job_wait_until(struct mmt_hash_job *job, uint64_t deadline)
{
	struct mmt_hasher *h = job->h;
	struct timespec ts = {
		.tv_sec = (time_t)(deadline / 1000000000ULL),
		.tv_nsec = (long)(deadline % 1000000000ULL),
	};

	if (mmt_hash_job_done(job))
		return true;
	pthread_mutex_lock(&h->lock);
	while (!mmt_hash_job_done(job) &&
	       pthread_cond_timedwait(&h->done_cond, &h->lock, &ts) != ETIMEDOUT)
		;
	pthread_mutex_unlock(&h->lock);
	return mmt_hash_job_done(job);
}

/* Closes the fd now: jobs hold theirs only until the worker or submit is through with it. */
static void job_close_fd(struct mmt_hash_job *job)
{
	if (job->fd >= 0) {
		/* Read-only fd: close() has no buffered data to lose, so its error is moot. */
		(void)close(job->fd);
		job->fd = -1;
	}
}

/*
 * Give @job either @res (a reference is taken) or, when @res is NULL, a copy of @err.
 * Called with h->lock held for queued jobs, so waiters cannot miss the wakeup.
 */
static void job_finish(struct mmt_hash_job *job, struct result *res, const struct mmt_hashes *err)
{
	job_close_fd(job);
	if (res) {
		job->res = result_get(res);
		job->out = &res->h;
	} else {
		job->local = *err;
		job->local.magic = NULL;
		job->local.magic_top = NULL;
		job->out = &job->local;
	}
	atomic_store_explicit(&job->done, true, memory_order_release);
}

/* A quarter of the queue: one user's flood leaves room for three others at least. */
static size_t per_user_max(const struct mmt_hasher *h)
{
	return h->max_queued > 4 ? h->max_queued / 4 : 1;
}

/* With h->lock held: @uid's lane, made if need be; the shared last one when all are taken. */
static unsigned int lane_of(struct mmt_hasher *h, uid_t uid)
{
	unsigned int i, free_lane = LANES - 1;
	bool found_free = false;

	for (i = 0; i < LANES - 1; i++) {
		if (h->lanes[i].used && h->lanes[i].uid == uid)
			return i;
		if (!found_free && !h->lanes[i].used) {
			free_lane = i;
			found_free = true;
		}
	}
	if (found_free) {
		h->lanes[free_lane] = (struct lane){ .uid = uid, .used = true };
	}
	return free_lane;
}

/* With h->lock held: a lane with nothing waiting or running is given back. */
static void lane_release(struct mmt_hasher *h, unsigned int lane)
{
	struct lane *l = &h->lanes[lane];

	if (lane < LANES - 1 && !l->queued && !l->running && !l->stuck)
		l->used = false;
}

/* With h->lock held: finish a dequeued leader and its followers, drop the hasher's refs. */
static void job_complete_locked(struct mmt_hasher *h, struct mmt_hash_job *job,
				struct result *res, const struct mmt_hashes *err)
{
	struct mmt_hash_job *f, *next;

	for (f = job->followers; f; f = next) {
		next = f->next;
		job_finish(f, res, err);
		h->queued--;
		h->lanes[f->lane].queued--;
		lane_release(h, f->lane);
		mmt_hash_job_put(f);
	}
	job->followers = NULL;
	job_finish(job, res, err);
	mmt_hash_job_put(job);
}

/* With h->lock held. */
static struct mmt_hash_job *find_pending(struct mmt_hasher *h, const struct mmt_file_id *id)
{
	struct mmt_hash_job *job;
	unsigned int i;

	for (i = 0; i < h->nworkers; i++) {
		job = h->workers[i].current;
		if (job && mmt_file_id_equal(&job->id, id))
			return job;
	}
	/* Linear, but bounded by max_queued and only on a cache miss. */
	for (job = h->head; job; job = job->next) {
		if (mmt_file_id_equal(&job->id, id))
			return job;
	}
	return NULL;
}

struct mmt_hash_job *mmt_hasher_submit(struct mmt_hasher *h, int fd, uid_t owner)
{
	struct mmt_hash_job *job, *leader;
	struct result *res;
	int unused_fd = -1, r;
	struct stat st;

	job = calloc(1, sizeof(*job));
	if (!job) {
		(void)close(fd);
		errno = ENOMEM;
		return NULL;
	}
	atomic_init(&job->refs, 1);
	atomic_init(&job->done, false);
	job->h = h;
	job->fd = fd;
	mmt_hashes_reset(&job->local);
	job->out = &job->local;

	/* Not fstat(): a FUSE or NFS server that does not answer would hold the caller. */
	r = mmt_file_stat_cached(fd, NULL, &st, NULL);
	if (r < 0) {
		mmt_hashes_error(&job->local, "fstat: %s", strerror(-r));
		goto out_done;
	}
	job->local.size = st.st_size;
	if (!S_ISREG(st.st_mode)) {
		mmt_hashes_error(&job->local, "not a regular file (%s)", mmt_file_type_name(st.st_mode));
		goto out_done;
	}

	mmt_file_id_from_stat(&job->id, &st);
	res = cache_lookup(&h->cache, &job->id);
	if (res) {
		/* The lookup's reference becomes the job's. */
		job->res = res;
		job->out = &res->h;
		goto out_done;
	}

	pthread_mutex_lock(&h->lock);
	job->lane = lane_of(h, owner);
	if (h->stopping || h->queued >= h->max_queued ||
	    h->lanes[job->lane].queued >= per_user_max(h)) {
		if (h->stopping)
			mmt_hashes_error(&job->local, "hasher stopped");
		else if (h->queued >= h->max_queued)
			mmt_hashes_error(&job->local, "hash queue full (%zu jobs): skipped", h->max_queued);
		else
			mmt_hashes_error(&job->local, "hash queue full for uid %u (%zu jobs): skipped",
					 (unsigned int)owner, per_user_max(h));
		h->skipped++;
		h->skipped_user += !h->stopping && h->queued < h->max_queued;
		lane_release(h, job->lane);
		pthread_mutex_unlock(&h->lock);
		goto out_done;
	}
	atomic_store_explicit(&job->refs, 2, memory_order_relaxed);
	h->queued++;
	h->lanes[job->lane].queued++;
	job->since = mmt_mono_ns();
	leader = find_pending(h, &job->id);
	if (leader) {
		/*
		 * A follower never reads its fd: the leader has the file open.  Taken out
		 * before the job is published, as the worker closes follower fds it sees.
		 */
		unused_fd = job->fd;
		job->fd = -1;
		job->next = leader->followers;
		leader->followers = job;
		h->coalesced++;
	} else {
		if (h->tail)
			h->tail->next = job;
		else
			h->head = job;
		h->tail = job;
		/* Every worker: the one woken might find only jobs of a busy lane. */
		pthread_cond_broadcast(&h->work_cond);
	}
	pthread_mutex_unlock(&h->lock);

	if (unused_fd >= 0)
		(void)close(unused_fd);
	return job;

out_done:
	job_close_fd(job);
	atomic_store_explicit(&job->done, true, memory_order_release);
	return job;
}

/* Workers */

/* Makes the eventfd @fd readable. */
static void post(int fd)
{
	uint64_t one = 1;

	/*
	 * Only fails with EAGAIN when the counter is at its maximum, and then the fd is
	 * readable already, which is all the reader needs.
	 */
	if (write(fd, &one, sizeof(one)) < 0)
		return;
}

static void notify(struct mmt_hasher *h)
{
	post(h->notify_fd);
}

/* With h->lock held: the entry of @dev, made if there is room. */
static struct stuck_dev *stuck_dev(struct mmt_hasher *h, uint64_t dev, bool make)
{
	unsigned int i;

	for (i = 0; i < MMT_HASH_MAX_STUCK; i++) {
		if (h->stuck_devs[i].files && h->stuck_devs[i].dev == dev)
			return &h->stuck_devs[i];
	}
	for (i = 0; make && i < MMT_HASH_MAX_STUCK; i++) {
		if (!h->stuck_devs[i].files) {
			h->stuck_devs[i].dev = dev;
			return &h->stuck_devs[i];
		}
	}
	return NULL;
}

/* Whether files of @dev are no longer hashed (@out->error says why). */
static bool refused(struct mmt_hasher *h, const struct mmt_hash_job *job,
		    struct mmt_hashes *out)
{
	const struct lane *l = &h->lanes[job->lane];
	struct stuck_dev *sd;
	bool no = false;

	pthread_mutex_lock(&h->lock);
	if (h->stuck >= MMT_HASH_MAX_STUCK) {
		mmt_hashes_error(out, "hash: %u files did not answer: hashing stopped", h->stuck);
		no = true;
	} else if ((sd = stuck_dev(h, job->id.dev, false)) && sd->files >= MMT_HASH_STUCK_PER_DEV) {
		mmt_hashes_error(out, "hash: its filesystem left %u files unanswered: not hashed",
			  sd->files);
		no = true;
	} else if (l->stuck >= MMT_HASH_STUCK_PER_USER) {
		mmt_hashes_error(out, "hash: %u files of uid %u did not answer: its files are "
				 "not hashed", l->stuck, (unsigned int)l->uid);
		no = true;
	}
	pthread_mutex_unlock(&h->lock);
	return no;
}

/*
 * A job past its deadline: its process is left behind, counted against its
 * filesystem and its user (who may have made that filesystem: FUSE in a
 * user namespace, one mount after another).
 */
static void abandon(struct worker *w, const struct mmt_hash_job *job)
{
	struct mmt_hasher *h = w->h;
	uint64_t dev = job->id.dev;
	struct stuck_dev *sd;
	unsigned int n = 0, total, by_user;
	uid_t uid;

	pthread_mutex_lock(&h->lock);
	h->abandoned++;
	total = ++h->stuck;
	sd = stuck_dev(h, dev, true);
	if (sd)
		n = ++sd->files;
	by_user = ++h->lanes[job->lane].stuck;
	uid = h->lanes[job->lane].uid;
	pthread_mutex_unlock(&h->lock);
	if (n == MMT_HASH_STUCK_PER_DEV)
		mmt_error("the filesystem of device %u:%u did not answer for %u files within "
			  "%llu s: its files are no longer hashed", major(dev), minor(dev), n,
			  (unsigned long long)(h->deadline_ns / 1000000000ULL));
	if (by_user == MMT_HASH_STUCK_PER_USER)
		mmt_error("%u files mapped by uid %u did not answer within %llu s: that user's "
			  "files are no longer hashed", by_user, (unsigned int)uid,
			  (unsigned long long)(h->deadline_ns / 1000000000ULL));
	if (total == MMT_HASH_MAX_STUCK)
		mmt_error("%u files did not answer within %llu s: hashing stopped", total,
			  (unsigned long long)(h->deadline_ns / 1000000000ULL));
}

/*
 * Has the worker's processes open, hash and type @job's file, waiting for
 * them until the deadline. Return: 0 with @a filled, or -1 with @out->error set.
 */
static int ask(struct worker *w, struct mmt_hash_job *job, struct mmt_inspect_answer *a,
	       struct mmt_hashes *out)
{
	struct mmt_hasher *h = w->h;
	char why[MMT_HASH_ERROR_MAX];
	int r;

	r = mmt_inspector_ask(w->in, job->fd, h->size_limit, h->deadline_ns, h->stop_fd, a, why,
			      sizeof(why));
	if (r == -ETIMEDOUT) {
		abandon(w, job);
		mmt_hashes_error(out, "hash: file did not answer within %llu s",
				 (unsigned long long)(h->deadline_ns / 1000000000ULL));
	} else if (r == -ETIME) {
		mmt_hashes_error(out, "hash: not done within %llu s (still reading: a large file, "
				 "or a busy host)",
				 (unsigned long long)(h->deadline_ns / 1000000000ULL));
	} else if (r == -ECANCELED) {
		mmt_hashes_error(out, "hasher stopped");
	} else if (r < 0) {
		mmt_hashes_error(out, "%s", why);
	}
	return r < 0 ? -1 : 0;
}

/* Hash and type one file, outside any lock. */
static struct result *worker_process(struct worker *w, struct mmt_hash_job *job,
				     struct mmt_hashes *out, struct mmt_file_id *id,
				     bool *cacheable, uint64_t *nread)
{
	static __thread struct mmt_inspect_answer a;
	struct timespec start;
	struct result *res;

	*cacheable = false;
	mmt_hashes_reset(out);
	if (refused(w->h, job, out))
		return NULL;
	/*
	 * Timestamps come from the coarse clock, so a write in the same tick as an earlier
	 * one can leave mtime and ctime unchanged.  A result is cached only when the file's
	 * ctime is older than the start of the read: any later write then gets a newer ctime
	 * and misses (git's "racy git" problem, solved the same way).
	 */
	if (clock_gettime(CLOCK_REALTIME_COARSE, &start) < 0)
		start.tv_sec = start.tv_nsec = 0;

	if (ask(w, job, &a, out) < 0)
		return NULL;
	*out = a.h;
	*nread = a.nread;
	if (!a.have_st)
		return NULL;

	res = result_new(out, a.have_magic ? a.magic : NULL, a.have_top ? a.top : NULL);
	if (!res) {
		mmt_hashes_error(out, "out of memory");
		return NULL;
	}
	/* The worker's own fstat: the file may have changed since submit. */
	mmt_file_id_from_stat(id, &a.st);
	*cacheable = a.stable && a.have_magic && a.have_top &&
		     timespec_before(&a.st.st_ctim, &start);
	return res;
}

/*
 * With h->lock held: the next job whose user has none being read, taken off
 * the queue; NULL if there is none. The smallest file first, so that a
 * flood of large files (sparse ones cost nothing to make) does not hold a
 * small one back; but one that waited AGE_NS goes first, so that none
 * starves.
 */
static struct mmt_hash_job *take_job(struct mmt_hasher *h)
{
	struct mmt_hash_job *job, *prev, *best = NULL, *best_prev = NULL;
	uint64_t now = mmt_mono_ns();

	for (prev = NULL, job = h->head; job; prev = job, job = job->next) {
		if (h->lanes[job->lane].running)
			continue;
		if (now - job->since >= AGE_NS) {
			best = job;
			best_prev = prev;
			break;
		}
		if (!best || job->local.size < best->local.size) {
			best = job;
			best_prev = prev;
		}
	}
	if (!best)
		return NULL;
	if (best_prev)
		best_prev->next = best->next;
	else
		h->head = best->next;
	if (h->tail == best)
		h->tail = best_prev;
	best->next = NULL;
	h->queued--;
	h->lanes[best->lane].queued--;
	h->lanes[best->lane].running++;
	return best;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct mmt_hasher *h = w->h;
	struct mmt_hash_job *job = NULL;
	char why[MMT_HASH_ERROR_MAX];
	struct mmt_file_id id;
	struct mmt_hashes out;
	struct result *res;
	uint64_t nread;
	bool cacheable;

	/* Its inspector now, so that the first file does not wait for it to start. */
	(void)mmt_inspector_start(w->in, h->stop_fd, why, sizeof(why));
	pthread_mutex_lock(&h->lock);
	for (;;) {
		while (!h->stopping && !(job = take_job(h)))
			pthread_cond_wait(&h->work_cond, &h->lock);
		if (h->stopping)
			break;
		w->current = job;
		pthread_mutex_unlock(&h->lock);

		nread = 0;
		res = worker_process(w, job, &out, &id, &cacheable, &nread);
		job_close_fd(job);
		if (res && cacheable)
			cache_store(&h->cache, &id, res);

		pthread_mutex_lock(&h->lock);
		w->current = NULL;
		/* Files read: one refused (too large, not regular) is no hash done. */
		h->hashed_files += nread > 0;
		h->hashed_bytes += nread;
		h->lanes[job->lane].running--;
		lane_release(h, job->lane);
		job_complete_locked(h, job, res, &out);
		pthread_cond_broadcast(&h->done_cond);
		/* Its lane is free again: a worker may be waiting for a job of it. */
		pthread_cond_broadcast(&h->work_cond);
		pthread_mutex_unlock(&h->lock);

		result_put(res);
		notify(h);
		pthread_mutex_lock(&h->lock);
	}
	pthread_mutex_unlock(&h->lock);
	return NULL;
}

/* Hasher */

static void stop_workers(struct mmt_hasher *h)
{
	unsigned int i;

	pthread_mutex_lock(&h->lock);
	h->stopping = true;
	pthread_cond_broadcast(&h->work_cond);
	pthread_mutex_unlock(&h->lock);
	/* Wakes a worker waiting for its process. */
	post(h->stop_fd);

	for (i = 0; i < h->nworkers; i++) {
		if (h->workers[i].started) {
			/* Joining our own, joinable, live threads cannot fail. */
			(void)pthread_join(h->workers[i].thread, NULL);
			h->workers[i].started = false;
		}
	}
}

static void free_workers(struct mmt_hasher *h)
{
	unsigned int i;

	for (i = 0; i < h->nworkers; i++)
		mmt_inspector_free(h->workers[i].in);
	free(h->workers);
}

/* Start threads with every signal blocked, so the owner's handlers run in its own thread. */
static int start_workers(struct mmt_hasher *h)
{
	sigset_t all, old;
	unsigned int i;
	int r;

	sigfillset(&all);
	r = pthread_sigmask(SIG_SETMASK, &all, &old);
	if (r)
		return -r;
	for (i = 0; i < h->nworkers; i++) {
		r = pthread_create(&h->workers[i].thread, NULL, worker_main, &h->workers[i]);
		if (r)
			break;
		h->workers[i].started = true;
	}
	/* Restoring a mask we just read back cannot fail. */
	(void)pthread_sigmask(SIG_SETMASK, &old, NULL);
	return -r;
}

/* On CLOCK_MONOTONIC, the clock of mmt_hash_job_wait_until()'s deadline. */
static int done_cond_init(pthread_cond_t *c)
{
	pthread_condattr_t attr;
	int r;

	r = pthread_condattr_init(&attr);
	if (r)
		return -r;
	r = pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	if (!r)
		r = pthread_cond_init(c, &attr);
	(void)pthread_condattr_destroy(&attr);
	return -r;
}

struct mmt_hasher *mmt_hasher_new(size_t cache_entries, size_t max_queued, off_t size_limit)
{
	return mmt_hasher_new_workers(cache_entries, max_queued, size_limit, MMT_HASH_WORKERS);
}

struct mmt_hasher *mmt_hasher_new_workers(size_t cache_entries, size_t max_queued,
					  off_t size_limit, unsigned int workers)
{
	struct mmt_hasher *h;
	unsigned int i;
	int r;

	if (!max_queued || !workers) {
		errno = EINVAL;
		return NULL;
	}
	h = calloc(1, sizeof(*h));
	if (!h)
		return NULL;
	h->max_queued = max_queued;
	h->size_limit = size_limit;
	h->nworkers = workers;
	h->deadline_ns = (uint64_t)MMT_HASH_DEADLINE_S * 1000000000ULL;

	r = -pthread_mutex_init(&h->lock, NULL);
	if (r)
		goto out_free;
	r = -pthread_cond_init(&h->work_cond, NULL);
	if (r)
		goto out_lock;
	r = done_cond_init(&h->done_cond);
	if (r)
		goto out_work_cond;
	r = cache_init(&h->cache, cache_entries);
	if (r)
		goto out_done_cond;
	h->notify_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (h->notify_fd < 0) {
		r = -errno;
		goto out_cache;
	}
	h->stop_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (h->stop_fd < 0) {
		r = -errno;
		goto out_notify;
	}

	h->workers = calloc(workers, sizeof(*h->workers));
	if (!h->workers) {
		r = -ENOMEM;
		goto out_stop_fd;
	}
	for (i = 0; i < workers; i++) {
		h->workers[i].h = h;
		h->workers[i].in = mmt_inspector_new();
		if (!h->workers[i].in) {
			r = -errno;
			goto out_workers;
		}
	}

	r = start_workers(h);
	if (r)
		goto out_stop;
	return h;

out_stop:
	stop_workers(h);
out_workers:
	free_workers(h);
out_stop_fd:
	(void)close(h->stop_fd);
out_notify:
	(void)close(h->notify_fd);
out_cache:
	cache_destroy(&h->cache);
out_done_cond:
	(void)pthread_cond_destroy(&h->done_cond);
out_work_cond:
	(void)pthread_cond_destroy(&h->work_cond);
out_lock:
	(void)pthread_mutex_destroy(&h->lock);
out_free:
	free(h);
	errno = -r;
	return NULL;
}

void mmt_hasher_free(struct mmt_hasher *h)
{
	struct mmt_hash_job *job;
	struct mmt_hashes err;

	if (!h)
		return;
	stop_workers(h);

	mmt_hashes_reset(&err);
	mmt_hashes_error(&err, "hasher stopped");
	/* The workers are gone, but waiters in other threads may still hold the lock. */
	pthread_mutex_lock(&h->lock);
	while ((job = h->head)) {
		h->head = job->next;
		job->next = NULL;
		h->queued--;
		h->lanes[job->lane].queued--;
		job_complete_locked(h, job, NULL, &err);
	}
	h->tail = NULL;
	pthread_cond_broadcast(&h->done_cond);
	pthread_mutex_unlock(&h->lock);

	free_workers(h);
	(void)close(h->stop_fd);
	(void)close(h->notify_fd);
	cache_destroy(&h->cache);
	(void)pthread_cond_destroy(&h->done_cond);
	(void)pthread_cond_destroy(&h->work_cond);
	(void)pthread_mutex_destroy(&h->lock);
	free(h);
}

void mmt_hasher_stats(const struct mmt_hasher *h, struct mmt_hash_stats *stats)
{
	/* The locks change, the counters they guard do not: const to the caller. */
	struct mmt_hasher *mh = (struct mmt_hasher *)h;

	pthread_mutex_lock(&mh->cache.lock);
	stats->hits = mh->cache.hits;
	stats->misses = mh->cache.misses;
	stats->evictions = mh->cache.evictions;
	pthread_mutex_unlock(&mh->cache.lock);

	pthread_mutex_lock(&mh->lock);
	stats->coalesced = mh->coalesced;
	stats->skipped = mh->skipped;
	stats->hashed_files = mh->hashed_files;
	stats->hashed_bytes = mh->hashed_bytes;
	stats->abandoned = mh->abandoned;
	stats->skipped_user = mh->skipped_user;
	pthread_mutex_unlock(&mh->lock);
}

void mmt_hasher_set_deadline(struct mmt_hasher *h, unsigned int seconds)
{
	pthread_mutex_lock(&h->lock);
	h->deadline_ns = (uint64_t)(seconds ? seconds : 1) * 1000000000ULL;
	pthread_mutex_unlock(&h->lock);
}

int mmt_hasher_notify_fd(const struct mmt_hasher *h)
{
	return h->notify_fd;
}

int mmt_hasher_notify_clear(struct mmt_hasher *h)
{
	uint64_t count;

	if (read(h->notify_fd, &count, sizeof(count)) < 0 && errno != EAGAIN)
		return -errno;
	return 0;
}
