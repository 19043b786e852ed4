// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The output stage: the line buffer shared by both formats, whole-line
 * writes, and the formatter table (src/emit-local.h) picked at open. A
 * record is appended whole; the buffer is written when it passes FLUSH_AT
 * or when the reader has drained a batch, so a burst of events costs one
 * write(2), not one per line. To a log sink (logsink.h) each line goes as
 * a message of its own instead, with the record's main fields beside it. The formatters only append to the line and
 * never call back here; the record assembly (assemble.c) decides when a
 * held line is written.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "emit-local.h"
#include "hashcache.h"
#include "logsink.h"

#define FLUSH_AT	(64 * 1024)

/* A line formatted now and written later (see mmt_emit_held_write()). */
struct mmt_emit_held {
	void *part;		/* an exec record's formatter part; NULL: @text is the line */
	bool record;		/* counts in mmt_emit_records(); not a lost or stats line */
	struct mmt_log_fields fields;	/* to a log sink: comm and path point into @strings */
	char *strings;
	size_t len;
	char text[];
};

static const struct mmt_formatter *const formatters[] = {
	[MMT_FORMAT_JSON] = &mmt_formatter_json,
	[MMT_FORMAT_TEXT] = &mmt_formatter_text,
	[MMT_FORMAT_TRACEE] = &mmt_formatter_tracee,
};

struct mmt_emit {
	const struct mmt_formatter *fmt;	/* chosen at open, never looked at again */
	void *state;		/* the formatter's */
	int fd;
	struct mmt_logsink *sink;	/* not NULL: lines go there as messages, not to @fd */
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

struct mmt_emit *mmt_emit_open_sink(struct mmt_logsink *sink, const struct mmt_emit_opts *opts)
{
	struct mmt_emit *e = mmt_emit_open(-1, opts);

	if (e)
		e->sink = sink;
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

int mmt_emit_error(const struct mmt_emit *e)
{
	return e->err;
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
	if (e->sink) {
		e->err = mmt_logsink_flush(e->sink, 0);
		return e->err;
	}
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

/* A log sink's copy of @f for a line held: its strings in one block. */
static int keep_fields(struct mmt_emit_held *h, const struct mmt_log_fields *f)
{
	size_t nc = f->comm ? strlen(f->comm) + 1 : 0, np = f->path ? strlen(f->path) + 1 : 0;

	h->fields = *f;
	h->strings = NULL;
	if (!nc && !np)
		return 0;
	h->strings = malloc(nc + np);
	if (!h->strings)
		return -ENOMEM;
	if (nc)
		h->fields.comm = memcpy(h->strings, f->comm, nc);
	if (np)
		h->fields.path = memcpy(h->strings + nc, f->path, np);
	return 0;
}

/* The line since @mark as one message, without its newline; dropped from the buffer. */
static int send_line(struct mmt_emit *e, size_t mark, const struct mmt_log_fields *f)
{
	struct mmt_line *l = &e->line;
	size_t n = l->len - mark;
	int r;

	if (n && l->buf[mark + n - 1] == '\n')
		n--;
	/* A format with no such line (Tracee's lost and stats): no message. */
	if (!n)
		return 0;
	r = mmt_logsink_send(e->sink, f, l->buf + mark, n);
	l->len = mark;
	return r;
}

/*
 * Ends the line formatted since @mark with result @r: an error undoes it,
 * so a half-built line never reaches the output; else it stays in the
 * buffer (@held NULL) or moves out of it into *@held. @f is what a log
 * sink is told beside the line.
 */
static int end_line(struct mmt_emit *e, size_t mark, int r, bool record,
		    const struct mmt_log_fields *f, struct mmt_emit_held **held)
{
	struct mmt_line *l = &e->line;
	struct mmt_emit_held *h;

	if (r < 0) {
		l->len = mark;
		return r;
	}
	if (held) {
		h = malloc(sizeof(*h) + l->len - mark);
		if (h)
			h->strings = NULL;
		if (!h || (e->sink && keep_fields(h, f) < 0)) {
			free(h);
			l->len = mark;
			return -ENOMEM;
		}
		h->part = NULL;
		h->record = record;
		h->len = l->len - mark;
		memcpy(h->text, l->buf + mark, h->len);
		l->len = mark;
		*held = h;
		return 0;
	}
	e->records += record;
	if (e->sink)
		return send_line(e, mark, f);
	return l->len >= FLUSH_AT ? mmt_emit_flush(e) : 0;
}

/* What a log sink is told of @rec. */
static void record_fields(const struct mmt_record *rec, struct mmt_log_fields *f)
{
	*f = (struct mmt_log_fields){
		.event = rec->event, .utc_ns = rec->utc_ns, .pid = rec->pid, .tid = rec->tid,
		.comm = rec->comm, .path = rec->file ? rec->file->path : NULL,
		.alerts = rec->alerts, .cpu = -1,
	};
}

int mmt_emit_record(struct mmt_emit *e, const struct mmt_record *rec,
		    struct mmt_emit_held **held)
{
	size_t mark = e->line.len;
	struct mmt_log_fields f;
	struct mmt_emit_held *h;
	int r;

	if (e->err)
		return e->err;
	record_fields(rec, &f);
	if (!rec->exec)
		return end_line(e, mark, e->fmt->record(e->state, &e->line, rec), true, &f, held);
	if (!held)
		return -EINVAL;
	h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	if (e->sink && keep_fields(h, &f) < 0) {
		free(h);
		return -ENOMEM;
	}
	h->part = e->fmt->exec_start(e->state, rec);
	if (!h->part) {
		r = errno ? -errno : -ENOMEM;
		free(h->strings);
		free(h);
		return r;
	}
	h->record = true;
	*held = h;
	return 0;
}

int mmt_emit_held_write(struct mmt_emit *e, struct mmt_emit_held *h,
			const struct mmt_hashes *hashes, const char *error)
{
	size_t mark = e->line.len;
	struct mmt_log_fields f = h->fields;
	int r;

	if (h->part)
		r = e->fmt->exec_finish(e->state, &e->line, h->part, hashes, error);
	else
		r = mmt_line_append(&e->line, h->text, h->len);
	if (h->part && hashes && hashes->have_hashes)
		f.sha256 = hashes->sha256;
	/* Ended before @h goes: @f points into it. */
	r = end_line(e, mark, r, h->record, &f, NULL);
	mmt_emit_held_free(e, h);
	return r;
}

void mmt_emit_held_free(struct mmt_emit *e, struct mmt_emit_held *h)
{
	if (!h)
		return;
	e->fmt->exec_free(e->state, h->part);
	free(h->strings);
	free(h);
}

int mmt_emit_lost(struct mmt_emit *e, uint64_t lost, int cpu, enum mmt_lost_cause cause,
		  uint64_t utc_ns, struct mmt_emit_held **held)
{
	struct mmt_log_fields f = {
		.event = "lost", .utc_ns = utc_ns, .lost = lost, .cpu = cpu,
		.cause = mmt_lost_cause_name(cause),
	};
	size_t mark = e->line.len;

	if (e->err)
		return e->err;
	return end_line(e, mark, e->fmt->lost(e->state, &e->line, lost, cpu, cause, utc_ns),
			false, &f, held);
}

int mmt_emit_stats(struct mmt_emit *e, const struct mmt_stats *s, struct mmt_emit_held **held)
{
	struct mmt_log_fields f = { .event = "stats", .utc_ns = s->utc_ns, .cpu = -1 };
	size_t mark = e->line.len;

	if (e->err)
		return e->err;
	return end_line(e, mark, e->fmt->stats(e->state, &e->line, s), false, &f, held);
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
	r = mmt_emit_flush(e);
	e->fmt->close(e->state);
	mmt_line_release(&e->line);
	free(e);
	return r;
}
