// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The line buffer shared by both formats. A record is appended whole; the
 * buffer is written when it passes FLUSH_AT or when the reader has drained
 * a batch, so a burst of events costs one write(2), not one per line.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "emit.h"

#define FLUSH_AT	(64 * 1024)

struct mmt_emit {
	int fd;
	enum mmt_format format;
	bool regular;		/* a regular file: can be cut back after ENOSPC */
	char *buf;
	size_t len, cap;
	uint64_t records;
	int err;		/* sticky: once a write failed, nothing more is written */
};

struct mmt_emit *mmt_emit_open(int fd, enum mmt_format format)
{
	struct mmt_emit *e = calloc(1, sizeof(*e));
	struct stat st;

	if (!e)
		return NULL;
	e->fd = fd;
	e->format = format;
	e->regular = fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
	return e;
}

int mmt_emit_append(struct mmt_emit *e, const char *s, size_t n)
{
	if (e->len + n + 1 > e->cap) {
		size_t cap = e->cap ? e->cap : 4096;
		char *b;

		while (cap < e->len + n + 1)
			cap *= 2;
		b = realloc(e->buf, cap);
		if (!b)
			return -ENOMEM;
		e->buf = b;
		e->cap = cap;
	}
	memcpy(e->buf + e->len, s, n);
	e->len += n;
	return 0;
}

int mmt_emit_printf(struct mmt_emit *e, const char *fmt, ...)
{
	char small[256], *big;
	va_list ap;
	int n, r;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0)
		return -EINVAL;
	if ((size_t)n < sizeof(small))
		return mmt_emit_append(e, small, (size_t)n);
	big = malloc((size_t)n + 1);
	if (!big)
		return -ENOMEM;
	va_start(ap, fmt);
	vsnprintf(big, (size_t)n + 1, fmt, ap);
	va_end(ap);
	r = mmt_emit_append(e, big, (size_t)n);
	free(big);
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
	size_t done = 0;
	off_t start = -1;

	if (e->err)
		return e->err;
	if (e->regular)
		start = lseek(e->fd, 0, SEEK_CUR);
	while (done < e->len) {
		ssize_t n = write(e->fd, e->buf + done, e->len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			e->err = n < 0 ? -errno : -ENOSPC;
			/* Cut a regular file back to its last whole line. */
			if (start >= 0) {
				off_t keep = start + (off_t)whole_lines(e->buf, done);

				if (ftruncate(e->fd, keep) == 0)
					lseek(e->fd, keep, SEEK_SET);
			}
			e->len = 0;
			return e->err;
		}
		done += (size_t)n;
	}
	e->len = 0;
	return 0;
}

/* Undo a half-built line, so an error mid-format never reaches the output. */
static int finish_line(struct mmt_emit *e, size_t mark, int r)
{
	if (r < 0) {
		e->len = mark;
		return r;
	}
	e->records++;
	return e->len >= FLUSH_AT ? mmt_emit_flush(e) : 0;
}

int mmt_emit_record(struct mmt_emit *e, const struct mmt_record *rec)
{
	size_t mark = e->len;
	int r;

	if (e->err)
		return e->err;
	r = e->format == MMT_FORMAT_JSON ? mmt_emit_json_record(e, rec)
					 : mmt_emit_text_record(e, rec);
	return finish_line(e, mark, r);
}

int mmt_emit_lost(struct mmt_emit *e, uint64_t lost, int cpu, uint64_t utc_ns)
{
	size_t mark = e->len;
	int r;

	if (e->err)
		return e->err;
	r = e->format == MMT_FORMAT_JSON ? mmt_emit_json_lost(e, lost, cpu, utc_ns)
					 : mmt_emit_text_lost(e, lost, cpu, utc_ns);
	if (r < 0) {
		e->len = mark;
		return r;
	}
	return e->len >= FLUSH_AT ? mmt_emit_flush(e) : 0;
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
	free(e->buf);
	free(e);
	return r;
}

void mmt_format_utc(char *buf, size_t size, uint64_t utc_ns)
{
	time_t sec = (time_t)(utc_ns / 1000000000ULL);
	struct tm tm;
	char date[32];

	if (!gmtime_r(&sec, &tm) || !strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm))
		snprintf(date, sizeof(date), "1970-01-01T00:00:00");
	snprintf(buf, size, "%s.%09lluZ", date, (unsigned long long)(utc_ns % 1000000000ULL));
}
