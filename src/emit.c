// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The output stage: the line buffer shared by both formats, whole-line
 * writes, and the formatter table (src/emit-local.h) picked at open. A
 * record is appended whole; the buffer is written when it passes FLUSH_AT
 * or when the reader has drained a batch, so a burst of events costs one
 * write(2), not one per line. The formatters only append to the line and
 * never call back here; the record assembly (assemble.c) decides when a
 * held line is written.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "emit-local.h"

#define FLUSH_AT	(64 * 1024)

/* A line formatted now and written later (see mmt_emit_held_write()). */
struct mmt_emit_held {
	void *part;		/* an exec record's formatter part; NULL: @text is the line */
	bool record;		/* counts in mmt_emit_records(); not a lost or stats line */
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

/*
 * Ends the line formatted since @mark with result @r: an error undoes it,
 * so a half-built line never reaches the output; else it stays in the
 * buffer (@held NULL) or moves out of it into *@held.
 */
static int end_line(struct mmt_emit *e, size_t mark, int r, bool record,
		    struct mmt_emit_held **held)
{
	struct mmt_line *l = &e->line;
	struct mmt_emit_held *h;

	if (r < 0) {
		l->len = mark;
		return r;
	}
	if (held) {
		h = malloc(sizeof(*h) + l->len - mark);
		if (!h) {
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
	return l->len >= FLUSH_AT ? mmt_emit_flush(e) : 0;
}

int mmt_emit_record(struct mmt_emit *e, const struct mmt_record *rec,
		    struct mmt_emit_held **held)
{
	size_t mark = e->line.len;
	struct mmt_emit_held *h;
	int r;

	if (e->err)
		return e->err;
	if (!rec->exec)
		return end_line(e, mark, e->fmt->record(e->state, &e->line, rec), true, held);
	if (!held)
		return -EINVAL;
	h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	h->part = e->fmt->exec_start(e->state, rec);
	if (!h->part) {
		r = errno ? -errno : -ENOMEM;
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
	bool record = h->record;
	int r;

	if (h->part)
		r = e->fmt->exec_finish(e->state, &e->line, h->part, hashes, error);
	else
		r = mmt_line_append(&e->line, h->text, h->len);
	mmt_emit_held_free(e, h);
	return end_line(e, mark, r, record, NULL);
}

void mmt_emit_held_free(struct mmt_emit *e, struct mmt_emit_held *h)
{
	if (!h)
		return;
	e->fmt->exec_free(e->state, h->part);
	free(h);
}

int mmt_emit_lost(struct mmt_emit *e, uint64_t lost, int cpu, enum mmt_lost_cause cause,
		  uint64_t utc_ns, struct mmt_emit_held **held)
{
	size_t mark = e->line.len;

	if (e->err)
		return e->err;
	return end_line(e, mark, e->fmt->lost(e->state, &e->line, lost, cpu, cause, utc_ns),
			false, held);
}

int mmt_emit_stats(struct mmt_emit *e, const struct mmt_stats *s, struct mmt_emit_held **held)
{
	size_t mark = e->line.len;

	if (e->err)
		return e->err;
	return end_line(e, mark, e->fmt->stats(e->state, &e->line, s), false, held);
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
