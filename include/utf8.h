/* SPDX-License-Identifier: GPL-2.0-or-later */
/* UTF-8 validation for output: paths and command lines are bytes, JSON is text. */
#ifndef MMT_UTF8_H
#define MMT_UTF8_H

#include <stdbool.h>
#include <stddef.h>

/**
 * mmt_utf8_valid_len() - length of the valid UTF-8 sequence at @s
 * @s: bytes
 * @n: bytes available
 * Return: 1-4 for a valid character (overlongs, surrogates and code points
 * above U+10FFFF are invalid), 0 if the byte at @s starts no valid one.
 */
size_t mmt_utf8_valid_len(const unsigned char *s, size_t n);

/** mmt_utf8_valid() - true if all @n bytes are UTF-8 with no NUL. */
bool mmt_utf8_valid(const char *s, size_t n);

/**
 * mmt_utf8_sanitize() - copy @s with each invalid byte replaced by U+FFFD
 * @s: bytes
 * @n: their count
 * @lossy: set to true if anything was replaced
 * Return: a NUL-terminated malloc'd string (caller frees), NULL + errno.
 * NUL bytes inside @s are kept out: they become U+FFFD too.
 */
char *mmt_utf8_sanitize(const char *s, size_t n, bool *lossy);

#endif /* MMT_UTF8_H */
