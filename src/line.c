// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "line.h"

int mmt_line_append(struct mmt_line *l, const char *s, size_t n)
{
	if (l->len + n + 1 > l->cap) {
		size_t cap = l->cap ? l->cap : 4096;
		char *b;

		while (cap < l->len + n + 1)
			cap *= 2;
		b = realloc(l->buf, cap);
		if (!b)
			return -ENOMEM;
		l->buf = b;
		l->cap = cap;
	}
	memcpy(l->buf + l->len, s, n);
	l->len += n;
	return 0;
}

int mmt_line_printf(struct mmt_line *l, const char *fmt, ...)
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
		return mmt_line_append(l, small, (size_t)n);
	big = malloc((size_t)n + 1);
	if (!big)
		return -ENOMEM;
	va_start(ap, fmt);
	vsnprintf(big, (size_t)n + 1, fmt, ap);
	va_end(ap);
	r = mmt_line_append(l, big, (size_t)n);
	free(big);
	return r;
}

void mmt_line_release(struct mmt_line *l)
{
	free(l->buf);
	l->buf = NULL;
	l->len = l->cap = 0;
}

void mmt_line_utc(char *buf, size_t size, uint64_t utc_ns)
{
	/* One gmtime+strftime per second, not per record. */
	static time_t cached_sec = -1;
	static char date[32];
	time_t sec = (time_t)(utc_ns / 1000000000ULL);
	struct tm tm;

	if (sec != cached_sec) {
		if (!gmtime_r(&sec, &tm) || !strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm))
			snprintf(date, sizeof(date), "1970-01-01T00:00:00");
		cached_sec = sec;
	}
	snprintf(buf, size, "%s.%09lluZ", date, (unsigned long long)(utc_ns % 1000000000ULL));
}
