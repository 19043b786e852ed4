// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The record assembly's order and bounds, through the real emitter (text
 * lines into a memfd) with hash jobs this program finishes when it likes:
 * lines of a process behind its waiting exec record wait too, another
 * process's do not, lost and stats lines wait for all; a full queue writes its
 * oldest without hashes first, before any line that came after; the byte
 * bound; the end waits for every job; each job is released once; after a
 * write error nothing is queued. Every line carries its event's sequence
 * number (the tid; a lost line's count; a stats line's events), so order
 * is checked by reading them back. Prints one "ok:"/"FAIL:" line per
 * check; exit 1 if any failed.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "assemble.h"
#include "hashcache.h"
#include "host.h"
#include "task.h"

/* Hash jobs that are done when the test says so (hashcache.c is not linked). */
struct mmt_hash_job {
	bool done;
	int puts;
	struct mmt_hashes h;
};

bool mmt_hash_job_done(const struct mmt_hash_job *job)
{
	return job->done;
}

void mmt_hash_job_wait(struct mmt_hash_job *job)
{
	job->done = true;
}

/* Set: waiting with a deadline never sees a job done (its file did not answer). */
static bool hung;

bool mmt_hash_job_wait_until(struct mmt_hash_job *job, uint64_t deadline)
{
	(void)deadline;
	if (!hung)
		job->done = true;
	return job->done;
}

const struct mmt_hashes *mmt_hash_job_result(const struct mmt_hash_job *job)
{
	return job->done ? &job->h : NULL;
}

void mmt_hash_job_put(struct mmt_hash_job *job)
{
	if (job)
		job->puts++;
}

#define NJOBS	(MMT_ASSEMBLE_MAX_PENDING + 64)

static struct mmt_hash_job jobs[NJOBS];
static int fails;
static int out_fd;
static struct mmt_emit *e;
static struct mmt_assemble *a;
static const struct mmt_host host = { .name = "h", .uuid = "u" };
static struct mmt_task big_task;

static void check(const char *what, long want, long got)
{
	if (want == got) {
		printf("ok: %s = %ld\n", what, got);
	} else {
		printf("FAIL: %s: expected %ld, got %ld\n", what, want, got);
		fails++;
	}
}

/* The process of the records put: one, unless a check says otherwise. */
static pid_t proc = 1;

static int put_record(int seq, struct mmt_hash_job *job, const struct mmt_task *task)
{
	struct mmt_mapping m = { .enter = { .len = 4096, .flags = MAP_PRIVATE | MAP_ANONYMOUS },
				 .ret = 0x10000 };
	struct mmt_exec_info x = { .host = &host, .task = task, .job = job };
	struct mmt_map_info mi = { .path = (char *)"/lib/x.so", .fd = -1 };
	struct mmt_record rec = {
		.event = job ? "mmap_exec" : "do_mmap", .backend = "tracepoint",
		.utc_ns = 1000000000ULL * (unsigned int)seq, .pid = proc, .tid = seq,
		.comm = "t", .map = &m, .file = &mi, .error = "", .prev_prot = -1,
		.exec = job ? &x : NULL,
	};
	int r = mmt_assemble_record(a, &rec);

	if (x.job)
		check("the job is taken", 0, 1);
	return r;
}

static int put_exec(int seq, bool done)
{
	jobs[seq].done = done;
	jobs[seq].h.have_hashes = true;
	memset(jobs[seq].h.sha256, 'a', 64);
	return put_record(seq, &jobs[seq], NULL);
}

/* The sequence numbers of the lines written since the last call, in order. */
static int read_lines(int *seq, int max)
{
	static off_t done;
	static char buf[1 << 22];
	char *p, *nl;
	ssize_t n;
	int k = 0;

	if (mmt_emit_flush(e) < 0)
		return -1;
	n = pread(out_fd, buf, sizeof(buf) - 1, done);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	done += n;
	for (p = buf; (nl = strchr(p, '\n')) && k < max; p = nl + 1) {
		const char *pid, *lost, *stats;

		*nl = '\0';
		pid = strstr(p, "[pid ");
		lost = strstr(p, " lost ");
		stats = strstr(p, "stats: ");
		if (stats)
			seq[k++] = atoi(stats + 7);
		else if (lost)
			seq[k++] = atoi(lost + 6);
		else if (pid)
			seq[k++] = atoi(pid + 5);
		else
			seq[k++] = -1;
	}
	return k;
}

static bool in_order(const int *seq, int n, int first)
{
	int i;

	for (i = 0; i < n; i++)
		if (seq[i] != first + i)
			return false;
	return true;
}

static void lines_are(const char *what, int first, int n)
{
	static int seq[NJOBS + 64];
	int k = read_lines(seq, NJOBS + 64);

	check(what, n, k);
	if (k == n && n) {
		printf("%s: %s %d..%d in event order\n", in_order(seq, n, first) ? "ok" : "FAIL",
		       what, first, first + n - 1);
		fails += !in_order(seq, n, first);
	}
}

/* The lines written since the last read are @want, in that order. */
static void seq_are(const char *what, const int *want, int n)
{
	static int seq[NJOBS + 64];
	int k = read_lines(seq, NJOBS + 64), i;
	bool same = k == n;

	for (i = 0; same && i < n; i++)
		same = seq[i] == want[i];
	printf("%s: %s\n", same ? "ok" : "FAIL", what);
	fails += !same;
}

/* Everything written to @fd, NUL-terminated; NULL on error. */
static char *slurp(int fd)
{
	static char buf[1 << 20];
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);

	if (n < 0)
		return NULL;
	buf[n] = '\0';
	return buf;
}

/* One JSON exec record, seq @i of the refill test, its job done. */
static int put_json(int i, const struct mmt_task *tasks)
{
	static char magic[] = "ELF \xff\xfe 64-bit";

	memset(&jobs[i], 0, sizeof(jobs[i]));
	jobs[i].done = true;
	jobs[i].h.have_hashes = true;
	memset(jobs[i].h.sha256, 'a', 64);
	/* A type text that is not UTF-8 now and then: its _hex key comes and goes. */
	jobs[i].h.magic = jobs[i].h.magic_top = i % 3 == 2 ? magic : "ELF";
	return put_record(i, &jobs[i], i % 5 == 4 ? NULL : &tasks[i % 4]);
}

/*
 * The JSON formatter refills the trees of records it wrote (emit_json.c's
 * pools): every line must be the bytes a fresh emitter writes for the same
 * record, key order included, also when a name that is not UTF-8 (its
 * "_hex" key) comes and goes.
 */
static void json_refill(void)
{
	struct mmt_emit_opts jo = { .format = MMT_FORMAT_JSON };
	/*
	 * Command lines long, empty, long: json-c 0.16 leaks a string set to ""
	 * and then to a longer one (LeakSanitizer tells, in the sanitizer build).
	 */
	static char longer[] = "/usr/bin/a-command-line-longer-than-json-c-keeps-inline --with-args";
	struct mmt_task tasks[4] = {
		{ .pid = 7, .tgid = 7, .comm = "good", .guuid = "g", .mnt_ns = 5,
		  .cmdline = longer, .cmdline_len = sizeof(longer) - 1 },
		{ .pid = 8, .tgid = 7, .comm = "bad\xff", .guuid = "g", .cmdline = (char *)"" },
		{ .pid = 9, .tgid = 9, .comm = "also good", .guuid = "h", .mnt_ns = 6,
		  .cmdline = longer, .cmdline_len = sizeof(longer) - 1 },
		{ .pid = 10, .tgid = 10, .comm = "x\xfe\xff", .guuid = "i", .cmdline = (char *)"" },
	};
	struct mmt_emit *saved_e = e;
	struct mmt_assemble *saved_a = a;
	int saved_fd = out_fd, pooled_fd, i, same = 0;
	char *pooled, *line, *nl, *fresh;
	const int n = 40;

	pooled_fd = memfd_create("unit-assemble-json", 0);
	e = pooled_fd < 0 ? NULL : mmt_emit_open(pooled_fd, &jo);
	a = e ? mmt_assemble_open(e, NULL) : NULL;
	for (i = 1; a && i <= n; i++)
		put_json(i, tasks);
	if (!a || mmt_assemble_close(a) < 0 || mmt_emit_close(e) < 0 ||
	    !(pooled = slurp(pooled_fd)) || !(pooled = strdup(pooled))) {
		check("json refill: the pooled run", 0, 1);
		goto out;
	}
	for (i = 1, line = pooled; i <= n && (nl = strchr(line, '\n')); i++, line = nl + 1) {
		*nl = '\0';
		out_fd = memfd_create("unit-assemble-fresh", 0);
		e = out_fd < 0 ? NULL : mmt_emit_open(out_fd, &jo);
		a = e ? mmt_assemble_open(e, NULL) : NULL;
		if (a && put_json(i, tasks) == 0 && mmt_assemble_close(a) == 0 &&
		    mmt_emit_close(e) == 0 && (fresh = slurp(out_fd)) &&
		    !strncmp(fresh, line, strlen(line)) && fresh[strlen(line)] == '\n')
			same++;
		else
			printf("differs: line %d: %s\n", i, line);
		close(out_fd);
	}
	check("json refill: lines that are a fresh build's bytes", n, same);
	free(pooled);
out:
	close(pooled_fd);
	e = saved_e;
	a = saved_a;
	out_fd = saved_fd;
}

/*
 * Integers as json-c would print them ("%" PRId64 / PRIu64), though
 * emit_json.c writes the digits itself: the extremes, zero, negatives.
 */
static void json_integers(void)
{
	struct mmt_emit_opts jo = { .format = MMT_FORMAT_JSON };
	struct mmt_mapping m = { .enter = { .addr = UINT64_MAX, .len = 0, .pgoff = 1,
					    .flags = MAP_PRIVATE | MAP_ANONYMOUS },
				 .ret = INT64_MIN };
	struct mmt_map_info mi = { .fd = -1 };
	struct mmt_record rec = {
		.event = "do_mmap", .backend = "tracepoint", .utc_ns = 0, .pid = -5, .tid = 2147483647,
		.comm = "t", .map = &m, .file = &mi, .error = "", .prev_prot = -1,
	};
	struct mmt_emit *je;
	struct mmt_assemble *ja = NULL;
	int fd = memfd_create("unit-assemble-int", 0), ok = 0;
	const char *want[] = { "\"timestamp\":0,", "\"pid\":-5,", "\"tid\":2147483647,",
			       "\"len\":0,", "\"pgoff\":1,",
			       "\"return_value\":-9223372036854775808,",
			       "\"addr\":9223372036854775808," };
	char *out;
	size_t i;

	je = fd < 0 ? NULL : mmt_emit_open(fd, &jo);
	ja = je ? mmt_assemble_open(je, NULL) : NULL;
	if (!ja || mmt_assemble_record(ja, &rec) < 0)
		goto out;
	/* INT64_MIN is no -errno: a mapping at that address, as the kernel would return it. */
	m.ret = -1;
	m.enter.addr = 18446744073709551615ULL;
	if (mmt_assemble_record(ja, &rec) < 0 || mmt_assemble_close(ja) < 0)
		goto out;
	ja = NULL;
	if (mmt_emit_close(je) < 0 || !(out = slurp(fd)))
		goto out;
	je = NULL;
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		if (!strstr(out, want[i]))
			printf("missing: %s\n", want[i]);
		ok += strstr(out, want[i]) != NULL;
	}
	ok += strstr(out, "\"addr\":18446744073709551615,") != NULL;
	ok += strstr(out, "\"return_value\":-1,") != NULL;
out:
	if (ja)
		mmt_assemble_close(ja);
	if (je)
		mmt_emit_close(je);
	check("json integers: as json-c prints them", 9, ok);
	if (fd >= 0)
		close(fd);
}

int main(void)
{
	struct mmt_emit_opts opts = { .format = MMT_FORMAT_TEXT };
	struct mmt_stats s = { 0 };
	int i, n, seq = 1, bounded, full, base;
	bool once = true;
	char *cmd;

	out_fd = memfd_create("unit-assemble", 0);
	e = out_fd < 0 ? NULL : mmt_emit_open(out_fd, &opts);
	a = e ? mmt_assemble_open(e, NULL) : NULL;
	if (!a)
		return 99;

	check("a record with nothing waiting goes straight out", 0, put_record(seq++, NULL, NULL));
	check("nothing pending", 0, (long)mmt_assemble_pending(a));
	lines_are("straight out", 1, 1);

	/* 2 waits for its hashes; 3, lost 4, stats 5 and 6 (done) wait behind it. */
	put_exec(seq++, false);
	put_record(seq++, NULL, NULL);
	mmt_assemble_lost(a, (uint64_t)seq++, 0, MMT_LOST_RING, 1);
	s.events = (uint64_t)seq++;
	mmt_assemble_stats(a, &s);
	put_exec(seq++, true);
	check("the lines behind a waiting exec record wait", 5, (long)mmt_assemble_pending(a));
	check("pump: the head is not done", 0, mmt_assemble_pump(a, false));
	lines_are("behind a waiting one", 0, 0);
	check("records counted when written, not when queued", 1, (long)mmt_emit_records(e));
	jobs[2].done = true;
	check("pump after the head is done", 0, mmt_assemble_pump(a, false));
	check("nothing pending", 0, (long)mmt_assemble_pending(a));
	lines_are("once the head is done", 2, 5);
	check("records: lost and stats lines are not", 4, (long)mmt_emit_records(e));

	/*
	 * Each process's order, not one order: with B (process 1) waiting, B+1
	 * of process 2 goes out; B+2 of process 1 waits behind B; B+3, of
	 * process 2 again and done, goes out; a lost line (B+4) waits for all,
	 * and B+5 (process 2) behind it. Then B is done: the rest, in order.
	 */
	base = seq;
	put_exec(base, false);
	proc = 2;
	put_record(base + 1, NULL, NULL);
	proc = 1;
	put_record(base + 2, NULL, NULL);
	proc = 2;
	put_exec(base + 3, true);
	seq_are("another process's lines do not wait", (const int[]){ base + 1, base + 3 }, 2);
	mmt_assemble_lost(a, (uint64_t)base + 4, 0, MMT_LOST_RING, 1);
	put_record(base + 5, NULL, NULL);
	proc = 1;
	check("waiting: B, B+2, the lost line, B+5", 4, (long)mmt_assemble_pending(a));
	jobs[base].done = true;
	check("pump after B is done", 0, mmt_assemble_pump(a, false));
	check("nothing pending", 0, (long)mmt_assemble_pending(a));
	seq_are("then B, B+2, B+4, B+5", (const int[]){ base, base + 2, base + 4, base + 5 }, 4);
	seq = base + 6;

	/*
	 * The count bound: MAX exec records that never finish fill the queue;
	 * each line after that writes the oldest without hashes, and a do_mmap
	 * or lost line arriving then waits behind what is left, after the
	 * oldest that went.
	 */
	full = seq;
	for (i = 0; i < MMT_ASSEMBLE_MAX_PENDING; i++)
		put_exec(seq++, false);
	check("the queue is full", MMT_ASSEMBLE_MAX_PENDING, (long)mmt_assemble_pending(a));
	lines_are("nothing written while the queue fills", 0, 0);
	put_record(seq++, NULL, NULL);
	mmt_assemble_lost(a, (uint64_t)seq++, 0, MMT_LOST_RING, 1);
	put_exec(seq++, true);
	check("still at the bound", MMT_ASSEMBLE_MAX_PENDING, (long)mmt_assemble_pending(a));
	check("skipped: the 3 oldest", 3, (long)mmt_assemble_skipped(a));
	lines_are("past the bound, the oldest go out", full, 3);
	for (i = full; i < full + 3; i++)
		check("its job released once", 1, jobs[i].puts);

	/* The end waits for every job: all the rest, in order. */
	check("close", 0, mmt_assemble_close(a));
	a = NULL;
	lines_are("at the end, every line waited for", full + 3, seq - full - 3);
	for (i = 1; i < seq; i++)
		once &= jobs[i].puts == (jobs[i].h.have_hashes ? 1 : 0);
	check("every job released exactly once", 1, once);

	/* The byte bound: records with 1 MiB command lines, about 3 MiB each. */
	cmd = calloc(1, 1 << 20);
	a = cmd ? mmt_assemble_open(e, NULL) : NULL;
	if (!a)
		return 99;
	big_task.cmdline = cmd;
	big_task.cmdline_len = 1 << 20;
	memset(jobs, 0, sizeof(jobs));
	for (i = 1; i <= 64; i++)
		put_record(i, &jobs[i], &big_task);
	bounded = (int)mmt_assemble_pending(a);
	check("the byte bound holds fewer than the count bound",
	      1, bounded > 1 && bounded < 64 && (size_t)bounded * (3 << 20) <=
	      MMT_ASSEMBLE_MAX_PENDING_BYTES + (4 << 20));
	check("skipped: what the byte bound wrote", 64 - bounded, (long)mmt_assemble_skipped(a));
	check("close", 0, mmt_assemble_close(a));
	lines_are("byte bound: every line, in order", 1, 64);
	free(cmd);

	/*
	 * Time bounds the wait, not a job: past the maximum wait (0 s here) the
	 * head goes out at the next pump; at the end, what is not done in time.
	 */
	a = mmt_assemble_open(e, NULL);
	if (!a)
		return 99;
	memset(jobs, 0, sizeof(jobs));
	mmt_assemble_set_max_wait(a, 0);
	put_exec(1, false);
	check("late: written at the pump after it", 0, (long)mmt_assemble_pending(a));
	check("late: counted", 1, (long)mmt_assemble_late(a));
	check("late: not counted as the queue's bound", 0, (long)mmt_assemble_skipped(a));
	mmt_assemble_set_max_wait(a, 3600);
	hung = true;
	put_exec(2, false);
	put_record(3, NULL, NULL);
	check("end: waiting", 2, (long)mmt_assemble_pending(a));
	check("end: close", 0, mmt_assemble_close(a));
	hung = false;
	lines_are("time bound: every line, in order", 1, 3);
	check("end: its job released once", 1, jobs[2].puts);

	/* After a write error: nothing more is queued; the job is released. */
	mmt_emit_close(e);
	close(out_fd);
	out_fd = open("/dev/full", O_WRONLY | O_CLOEXEC);
	e = out_fd < 0 ? NULL : mmt_emit_open(out_fd, &opts);
	a = e ? mmt_assemble_open(e, NULL) : NULL;
	if (!a)
		return 99;
	memset(jobs, 0, sizeof(jobs));
	put_record(1, NULL, NULL);
	check("the write fails", -ENOSPC, mmt_emit_flush(e));
	check("a record after it: the error", -ENOSPC, put_exec(2, false));
	check("its job released", 1, jobs[2].puts);
	check("nothing queued", 0, (long)mmt_assemble_pending(a));
	n = mmt_assemble_lost(a, 3, 0, MMT_LOST_RING, 1);
	check("a lost line after it: the error", -ENOSPC, n);
	check("close", 0, mmt_assemble_close(a));
	check("emitter close: the error", -ENOSPC, mmt_emit_close(e));
	close(out_fd);
	json_refill();
	json_integers();
	return fails ? 1 : 0;
}
