// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The line buffer shared by both formats. A record is appended whole; the
 * buffer is written when it passes FLUSH_AT or when the reader has drained
 * a batch, so a burst of events costs one write(2), not one per line. The
 * format is a table (src/emit-local.h) picked at open; the formatters only
 * append to the line and never call back here.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "emit-local.h"
#include "hashcache.h"
#include "task.h"

#define FLUSH_AT	(64 * 1024)

/* A record held back because an mmap_exec record before it (or itself) awaits hashes. */
struct pending {
	void *part;			/* mmap_exec: the formatter's, finished with the hashes */
	char *text;			/* a whole line */
	size_t len;
	bool lost;			/* a "lost" or "stats" line, not a record */
	size_t cost;			/* bytes it holds, roughly, for the memory bound */
	struct mmt_hash_job *job;	/* NULL: no hash, error says why */
	char error[MMT_HASH_ERROR_MAX];
};

static const struct mmt_formatter *const formatters[] = {
	[MMT_FORMAT_JSON] = &mmt_formatter_json,
	[MMT_FORMAT_TEXT] = &mmt_formatter_text,
};

struct mmt_emit {
	struct pending *q;		/* ring of MMT_EMIT_MAX_PENDING */
	size_t qhead, qlen;
	uint64_t skipped;
	size_t pending_bytes;		/* sum of the waiting records' cost */
	const struct mmt_formatter *fmt;	/* chosen at open, never looked at again */
	void *state;		/* the formatter's */
	int fd;
	bool regular;		/* a regular file: can be cut back after ENOSPC */
	struct mmt_line line;
	uint64_t records;
	int err;		/* sticky: once a write failed, nothing more is written */
};

static bool is_regular(int fd)
{
	struct stat st;

	return fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
}

struct mmt_emit *mmt_emit_open(int fd, const struct mmt_emit_opts *opts)
{
	struct mmt_emit *e;

	if ((size_t)opts->format >= sizeof(formatters) / sizeof(*formatters)) {
		errno = EINVAL;
		return NULL;
	}
	e = calloc(1, sizeof(*e));
	if (!e)
		return NULL;
	e->fmt = formatters[opts->format];
	e->state = e->fmt->open(opts);
	if (!e->state) {
		free(e);
		return NULL;
	}
	e->fd = fd;
	e->regular = is_regular(fd);
	return e;
}

int mmt_emit_set_fd(struct mmt_emit *e, int fd)
{
	int r = mmt_emit_flush(e);

	e->fd = fd;
	e->regular = is_regular(fd);
	e->err = 0;
	e->line.len = 0;
	return r;
}

/* Bytes of @buf up to and including its last newline within @n. */
static size_t whole_lines(const char *buf, size_t n)
{
	while (n && buf[n - 1] != '\n')
		n--;
	return n;
}

int mmt_emit_flush(struct mmt_emit *e)
{
	struct mmt_line *l = &e->line;
	size_t done = 0;
	off_t start = -1;

	if (e->err)
		return e->err;
	/*
	 * Where this write starts: the end, for an O_APPEND file (-A, or after
	 * SIGHUP) as for one written from the start; never the offset of an
	 * O_APPEND fd, which stays 0 and would cut the whole file.
	 */
	if (e->regular)
		start = lseek(e->fd, 0, SEEK_END);
	while (done < l->len) {
		ssize_t n = write(e->fd, l->buf + done, l->len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			e->err = n < 0 ? -errno : -ENOSPC;
			/* Cut a regular file back to its last whole line. */
			if (start >= 0) {
				off_t keep = start + (off_t)whole_lines(l->buf, done);

				if (ftruncate(e->fd, keep) == 0)
					lseek(e->fd, keep, SEEK_SET);
			}
			l->len = 0;
			return e->err;
		}
		done += (size_t)n;
	}
	l->len = 0;
	return 0;
}

/* Undo a half-built line, so an error mid-format never reaches the output. */
static int finish_line(struct mmt_emit *e, size_t mark, int r, bool record)
{
	if (r < 0) {
		e->line.len = mark;
		return r;
	}
	e->records += record;
	return e->line.len >= FLUSH_AT ? mmt_emit_flush(e) : 0;
}

/* Moves what was appended since @mark out of the line buffer. */
static char *capture(struct mmt_emit *e, size_t mark, size_t *len)
{
	struct mmt_line *l = &e->line;
	char *t = malloc(l->len - mark + 1);

	if (!t)
		return NULL;
	*len = l->len - mark;
	memcpy(t, l->buf + mark, *len);
	t[*len] = '\0';
	l->len = mark;
	return t;
}

static void pending_release(struct mmt_emit *e, struct pending *p)
{
	e->fmt->exec_free(p->part);
	free(p->text);
	if (p->job)
		mmt_hash_job_put(p->job);
	memset(p, 0, sizeof(*p));
}

/*
 * What a waiting mmap_exec record holds, roughly: its json-c tree with the
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

/* Writes the oldest waiting record; @force: without hashes if they are not done. */
static int finish_head(struct mmt_emit *e, bool force)
{
	struct pending *p = &e->q[e->qhead];
	const struct mmt_hashes *h = NULL;
	char error[MMT_HASH_ERROR_MAX + 64];
	size_t mark = e->line.len;
	bool record = !p->lost;
	int r = 0;

	snprintf(error, sizeof(error), "%s", p->error);
	if (p->job && mmt_hash_job_done(p->job)) {
		h = mmt_hash_job_result(p->job);
	} else if (p->job && force) {
		snprintf(error, sizeof(error), "hash skipped: %d records were waiting for "
			 "hashes (the bound)", MMT_EMIT_MAX_PENDING);
		e->skipped++;
	} else if (p->job) {
		return -EAGAIN;
	}
	if (p->part)
		r = e->fmt->exec_finish(e->state, &e->line, p->part, h, error);
	else if (p->text)
		r = mmt_line_append(&e->line, p->text, p->len);
	e->pending_bytes -= p->cost;
	pending_release(e, p);
	e->qhead = (e->qhead + 1) % MMT_EMIT_MAX_PENDING;
	e->qlen--;
	return finish_line(e, mark, r, record);
}

int mmt_emit_pump(struct mmt_emit *e, bool all)
{
	int r = 0;

	while (e->qlen && !r) {
		struct pending *p = &e->q[e->qhead];

		if (p->job && !mmt_hash_job_done(p->job)) {
			if (!all)
				return 0;
			mmt_hash_job_wait(p->job);
		}
		r = finish_head(e, false);
	}
	return r;
}

static struct pending *push(struct mmt_emit *e, int *err)
{
	struct pending *p;

	*err = 0;
	if (!e->q) {
		e->q = calloc(MMT_EMIT_MAX_PENDING, sizeof(*e->q));
		if (!e->q) {
			*err = -ENOMEM;
			return NULL;
		}
	}
	/* Full: the oldest go out now, without their hashes if need be. */
	while (e->qlen && (e->qlen == MMT_EMIT_MAX_PENDING ||
			   e->pending_bytes > MMT_EMIT_MAX_PENDING_BYTES)) {
		*err = finish_head(e, true);
		if (*err < 0)
			return NULL;
	}
	p = &e->q[(e->qhead + e->qlen) % MMT_EMIT_MAX_PENDING];
	e->qlen++;
	return p;
}

/*
 * Queues the whole line formatted since @mark. It leaves the line buffer
 * before the queue makes room: the oldest records written then go after
 * what is already buffered, so a line still there would come out before
 * them, and a flush on the way would leave @mark past the buffer's end.
 */
static int hold_line(struct mmt_emit *e, size_t mark, bool lost)
{
	struct pending *p;
	size_t len;
	char *text;
	int r;

	text = capture(e, mark, &len);
	if (!text) {
		e->line.len = mark;
		return -ENOMEM;
	}
	p = push(e, &r);
	if (!p) {
		free(text);
		return r;
	}
	p->text = text;
	p->len = len;
	p->lost = lost;
	return 0;
}

static int queue_exec(struct mmt_emit *e, const struct mmt_record *rec)
{
	struct mmt_exec_info *x = rec->exec;
	struct pending *p;
	int r;

	p = push(e, &r);
	if (!p) {
		if (x->job)
			mmt_hash_job_put(x->job);
		x->job = NULL;
		return r;
	}
	p->job = x->job;
	x->job = NULL;
	snprintf(p->error, sizeof(p->error), "%s", x->hash_error ? x->hash_error : "");
	p->part = e->fmt->exec_start(e->state, rec);
	if (!p->part) {
		/* Out of memory: give the slot back; the caller stops with the error. */
		r = errno ? -errno : -ENOMEM;
		pending_release(e, p);
		e->qlen--;
		return r;
	}
	e->pending_bytes += p->cost = exec_cost(rec);
	return mmt_emit_pump(e, false);
}

int mmt_emit_record(struct mmt_emit *e, const struct mmt_record *rec)
{
	size_t mark = e->line.len;
	int r;

	if (e->err) {
		if (rec->exec && rec->exec->job)
			mmt_hash_job_put(rec->exec->job);
		return e->err;
	}
	if (rec->exec)
		return queue_exec(e, rec);
	r = e->fmt->record(e->state, &e->line, rec);
	if (!e->qlen || r < 0)
		return finish_line(e, mark, r, true);
	/* Records behind a waiting mmap_exec wait too: output stays in event order. */
	return hold_line(e, mark, false);
}

size_t mmt_emit_pending(const struct mmt_emit *e)
{
	return e->qlen;
}

uint64_t mmt_emit_skipped(const struct mmt_emit *e)
{
	return e->skipped;
}

/*
 * A line that is not a record (lost, stats), formatted since @mark with
 * result @r: behind waiting records it waits too, so lines stay in order.
 */
static int notice_line(struct mmt_emit *e, size_t mark, int r)
{
	if (r < 0) {
		e->line.len = mark;
		return r;
	}
	if (e->qlen)
		return hold_line(e, mark, true);
	return e->line.len >= FLUSH_AT ? mmt_emit_flush(e) : 0;
}

int mmt_emit_lost(struct mmt_emit *e, uint64_t lost, int cpu, enum mmt_lost_cause cause,
		  uint64_t utc_ns)
{
	size_t mark = e->line.len;

	if (e->err)
		return e->err;
	return notice_line(e, mark, e->fmt->lost(e->state, &e->line, lost, cpu, cause, utc_ns));
}

int mmt_emit_stats(struct mmt_emit *e, const struct mmt_stats *s)
{
	size_t mark = e->line.len;

	if (e->err)
		return e->err;
	return notice_line(e, mark, e->fmt->stats(e->state, &e->line, s));
}

uint64_t mmt_emit_records(const struct mmt_emit *e)
{
	return e->records;
}

int mmt_emit_close(struct mmt_emit *e)
{
	int r;

	if (!e)
		return 0;
	r = mmt_emit_pump(e, true);
	if (!r)
		r = mmt_emit_flush(e);
	while (e->qlen) {
		pending_release(e, &e->q[e->qhead]);
		e->qhead = (e->qhead + 1) % MMT_EMIT_MAX_PENDING;
		e->qlen--;
	}
	free(e->q);
	e->fmt->close(e->state);
	mmt_line_release(&e->line);
	free(e);
	return r;
}
