// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * unit-hash.c - drive the hasher on files and print what it found, for unit-hash.test.
 *
 * Usage: unit-hash [-c ENTRIES] [-q MAX_QUEUED] [-l LIMIT] [-j WORKERS] [-W] ARG...
 *        unit-hash -b FILE...
 *
 * Each ARG is handled in order:
 *   PATH   open and submit it; its line is printed at the next barrier
 *   =      barrier: wait until every submitted job is done and print their lines
 *   !PATH  barrier, then flip the first byte of PATH in place (same size, new ctime)
 * The end is a barrier too, followed by a "stats ..." line.  Lines are tab separated:
 *   path sha256 md5 sha1 sha512 size magic    or, when something is missing,
 *   path sha256 md5 sha1 sha512 size error: text
 * with "-" for a missing hash or size.  -W waits with mmt_hash_job_wait() instead of
 * poll()ing the notify fd.  -b calls mmt_hash_fd() directly and reports CPU time and MiB/s
 * on stderr.
 *
 * Exit status: 0 when every line was printed (file errors are output, not failures),
 * 1 on a usage or framework failure.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "hashcache.h"
#include "inspect.h"

struct pending {
	const char *path;
	struct mmt_hash_job *job;	/* NULL when open() failed */
	int open_errno;
};

static struct pending *pending;
static size_t npending;
static bool use_wait;

static int print_line(const char *path, const struct mmt_hashes *r)
{
	char size[32] = "-";
	int n;

	if (r->size >= 0)
		snprintf(size, sizeof(size), "%jd", (intmax_t)r->size);
	if (r->error[0] || !r->magic)
		n = printf("%s\t%s\t%s\t%s\t%s\t%s\terror: %s\n", path,
			   r->have_hashes ? r->sha256 : "-", r->have_hashes ? r->md5 : "-",
			   r->have_hashes ? r->sha1 : "-", r->have_hashes ? r->sha512 : "-",
			   size, r->error[0] ? r->error : "no magic");
	else
		n = printf("%s\t%s\t%s\t%s\t%s\t%s\t%s\n", path, r->sha256, r->md5, r->sha1,
			   r->sha512, size, r->magic);
	return n < 0 ? -EIO : 0;
}

static bool all_done(void)
{
	size_t i;

	for (i = 0; i < npending; i++) {
		if (pending[i].job && !mmt_hash_job_done(pending[i].job))
			return false;
	}
	return true;
}

static int barrier(struct mmt_hasher *h)
{
	struct pollfd pfd = { .fd = mmt_hasher_notify_fd(h), .events = POLLIN };
	size_t i;
	int r;

	if (use_wait) {
		for (i = 0; i < npending; i++) {
			if (pending[i].job)
				mmt_hash_job_wait(pending[i].job);
		}
	}
	/* Checked before each poll: jobs answered at submit time never signal the fd. */
	while (!all_done()) {
		r = poll(&pfd, 1, 60 * 1000);
		if (r < 0 && errno != EINTR)
			return -errno;
		if (r == 0) {
			fprintf(stderr, "unit-hash: jobs not done after 60 s\n");
			return -ETIMEDOUT;
		}
		r = mmt_hasher_notify_clear(h);
		if (r < 0)
			return r;
	}

	for (i = 0; i < npending; i++) {
		if (pending[i].job) {
			r = print_line(pending[i].path, mmt_hash_job_result(pending[i].job));
			mmt_hash_job_put(pending[i].job);
		} else {
			r = printf("%s\t-\t-\t-\t-\t-\terror: open: %s\n", pending[i].path,
				   strerror(pending[i].open_errno)) < 0 ? -EIO : 0;
		}
		if (r < 0)
			return r;
	}
	npending = 0;
	return 0;
}

static int submit(struct mmt_hasher *h, const char *path, size_t max)
{
	struct pending *p;
	int fd;

	if (npending == max) {
		fprintf(stderr, "unit-hash: too many files between barriers\n");
		return -E2BIG;
	}
	p = &pending[npending++];
	p->path = path;
	p->job = NULL;
	/* O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer. */
	fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		p->open_errno = errno;
		return 0;
	}
	p->job = mmt_hasher_submit(h, fd, 0);
	if (!p->job)
		return -errno;
	return 0;
}

static int flip_first_byte(const char *path)
{
	unsigned char c;
	int fd, r = 0;

	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (pread(fd, &c, 1, 0) != 1) {
		r = -EIO;
		goto out_close;
	}
	c ^= 0xff;
	if (pwrite(fd, &c, 1, 0) != 1)
		r = -EIO;
out_close:
	if (close(fd) < 0 && !r)
		r = -errno;
	return r;
}

static double cpu_seconds(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru) < 0)
		return 0;
	return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
	       (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static double wall_seconds(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) < 0)
		return 0;
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int bench(int argc, char **argv)
{
	struct mmt_hashes r;
	double cpu, wall;
	int i, fd, ret;

	for (i = 0; i < argc; i++) {
		fd = open(argv[i], O_RDONLY | O_NONBLOCK | O_CLOEXEC);
		if (fd < 0) {
			perror(argv[i]);
			return 1;
		}
		cpu = cpu_seconds();
		wall = wall_seconds();
		ret = mmt_hash_fd(fd, MMT_HASH_NO_LIMIT, &r);
		cpu = cpu_seconds() - cpu;
		wall = wall_seconds() - wall;
		if (close(fd) < 0 || ret < 0) {
			fprintf(stderr, "%s: %s\n", argv[i], r.error);
			return 1;
		}
		r.magic = "(not computed by mmt_hash_fd)";
		if (print_line(argv[i], &r) < 0)
			return 1;
		fprintf(stderr, "mmt_hash_fd %s: %.3f s CPU, %.3f s wall, %.1f MiB/s CPU\n",
			argv[i], cpu, wall, r.size / 1048576.0 / (cpu > 0 ? cpu : 1e-9));
	}
	return fflush(stdout) == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
	size_t cache_entries = 4096, max_queued = 64;
	off_t limit = MMT_HASH_NO_LIMIT;
	unsigned int workers = 1;
	struct mmt_hash_stats st;
	struct mmt_hasher *h;
	int opt, i, r = 0;

	/* The hasher runs this binary again as its confined inspector. */
	if (mmt_inspector_called(argc, argv))
		return mmt_inspector_main();

	while ((opt = getopt(argc, argv, "bc:q:l:j:W")) != -1) {
		switch (opt) {
		case 'b':
			return bench(argc - optind, argv + optind);
		case 'c':
			cache_entries = strtoul(optarg, NULL, 0);
			break;
		case 'q':
			max_queued = strtoul(optarg, NULL, 0);
			break;
		case 'l':
			limit = strtoll(optarg, NULL, 0);
			break;
		case 'j':
			workers = strtoul(optarg, NULL, 0);
			break;
		case 'W':
			use_wait = true;
			break;
		default:
			return 1;
		}
	}

	pending = calloc(argc, sizeof(*pending));
	if (!pending)
		return 1;
	h = mmt_hasher_new_workers(cache_entries, max_queued, limit, workers);
	if (!h) {
		perror("mmt_hasher_new");
		return 1;
	}

	for (i = optind; i < argc && !r; i++) {
		if (!strcmp(argv[i], "=")) {
			r = barrier(h);
		} else if (argv[i][0] == '!') {
			r = barrier(h);
			if (!r)
				r = flip_first_byte(argv[i] + 1);
		} else {
			r = submit(h, argv[i], argc);
		}
	}
	if (!r)
		r = barrier(h);
	if (!r) {
		mmt_hasher_stats(h, &st);
		if (printf("stats hits=%" PRIu64 " misses=%" PRIu64 " evictions=%" PRIu64
			   " coalesced=%" PRIu64 " skipped=%" PRIu64 " hashed_files=%" PRIu64
			   " hashed_bytes=%" PRIu64 "\n", st.hits, st.misses, st.evictions,
			   st.coalesced, st.skipped, st.hashed_files, st.hashed_bytes) < 0)
			r = -EIO;
	}
	if (r)
		fprintf(stderr, "unit-hash: %s\n", strerror(-r));

	/* Jobs still pending after a failure are released by the hasher, then here. */
	mmt_hasher_free(h);
	for (i = 0; (size_t)i < npending; i++)
		mmt_hash_job_put(pending[i].job);
	free(pending);
	if (fflush(stdout) != 0)
		return 1;
	return r ? 1 : 0;
}
