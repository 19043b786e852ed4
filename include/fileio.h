/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Files in general: reading one whole. */
#ifndef MMT_FILEIO_H
#define MMT_FILEIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/**
 * mmt_read_file() - read a whole file of unknown size
 * @path: the file
 * @cap: most bytes kept; SIZE_MAX for no limit
 * @out: set to the contents, NUL-terminated (the file may hold NULs too); the
 *	caller frees it with free()
 * @len: set to the bytes read, the terminating NUL not counted
 * @truncated: set to whether the file had more than @cap bytes; may be NULL
 *
 * Reads to EOF, never trusting st_size: /proc files say 0 and sysfs's may be
 * a guess. A read interrupted by a signal is retried.
 * Return: 0, or -errno (-ENOMEM); on error @out and @len are untouched.
 */
int mmt_read_file(const char *path, size_t cap, char **out, size_t *len, bool *truncated);

#endif /* MMT_FILEIO_H */
