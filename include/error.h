/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Diagnostics on stderr, prefixed with the program name (strace's error_msg). */
#ifndef MMT_ERROR_H
#define MMT_ERROR_H

/**
 * mmt_error() - print "mmaptrace: MESSAGE" on stderr
 * @fmt: printf format
 */
void mmt_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/**
 * mmt_perror() - print "mmaptrace: MESSAGE: strerror(-err)" on stderr
 * @err: a negative errno
 * @fmt: printf format
 * Return: @err, so callers can "return mmt_perror(r, ...)".
 */
int mmt_perror(int err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif /* MMT_ERROR_H */
