/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The buffer an output line is built in, and the pieces of text both
 * formats share. The formatters append to a line; the emitter owns it and
 * writes only whole lines.
 */
#ifndef MMT_LINE_H
#define MMT_LINE_H

#include <stddef.h>
#include <stdint.h>

/**
 * struct mmt_line - bytes being built, grown as needed
 * @buf: the bytes, not NUL-terminated; NULL until the first append
 * @len: bytes used; setting it back to an earlier length drops what followed
 * @cap: bytes allocated
 *
 * Zero-initialised it is empty; its owner frees it with mmt_line_release().
 */
struct mmt_line {
	char *buf;
	size_t len, cap;
};

/**
 * mmt_line_append() - append @n bytes of @s
 * Return: 0 or -ENOMEM (@l is unchanged then).
 */
int mmt_line_append(struct mmt_line *l, const char *s, size_t n);

/**
 * mmt_line_printf() - append what printf(3) makes of @fmt
 * Return: 0, -ENOMEM or -EINVAL (a format vsnprintf rejects); @l is unchanged on error.
 */
int mmt_line_printf(struct mmt_line *l, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/** mmt_line_release() - free the bytes; @l is empty (and reusable) after. */
void mmt_line_release(struct mmt_line *l);

/**
 * mmt_line_utc() - RFC 3339 UTC with nanoseconds ("2026-11-25T08:00:00.123456789Z")
 * @buf: at least 40 bytes
 *
 * Not thread-safe: it keeps the last second's text (one gmtime per second).
 */
void mmt_line_utc(char *buf, size_t size, uint64_t utc_ns);

#endif /* MMT_LINE_H */
