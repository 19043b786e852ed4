/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The -o file, opened so that its name cannot lead a root process to
 * someone else's file: created 0600 without following a symlink, an
 * existing one checked before a byte of it changes.
 */
#ifndef MMT_OUTFILE_H
#define MMT_OUTFILE_H

#include <stdbool.h>
#include <stddef.h>

/* Room for mmt_outfile_open()'s reason of a refusal. */
#define MMT_OUTFILE_WHY	160

/* How mmt_outfile_open() treats an existing file. */
enum {
	MMT_OUTFILE_APPEND	= 1 << 0,	/* append to it; else truncate it */
	MMT_OUTFILE_ANY_OWNER	= 1 << 1,	/* --output-any-owner: skip the owner checks */
};

/**
 * mmt_outfile_open() - open @path for the records
 * @path: the -o name
 * @flags: MMT_OUTFILE_*
 * @created: set to true when this call created the file (the caller may
 *	remove it again), false otherwise
 * @why: where a refusal's reason goes, a sentence for "refusing FILE: ..."
 *	(empty for other errors, whose errno says it all)
 * @size: the size of @why
 *
 * A new file is created with mode 0600 (less the umask): the records hold
 * every user's command lines. A symbolic link is refused, and so is an
 * existing file that does not belong to the effective user or that has
 * more than one name (a hard link), unless MMT_OUTFILE_ANY_OWNER is set;
 * a refused file is neither truncated nor written. /dev/stdout,
 * /dev/stderr, /dev/fd/N and /proc/self/fd/N name a descriptor already
 * open: it is duplicated as it is. Prints nothing.
 * Return: a descriptor the caller closes, or -errno (-ELOOP or -EPERM for a
 * refusal, with @why filled in).
 */
int mmt_outfile_open(const char *path, unsigned int flags, bool *created, char *why,
		     size_t size);

#endif /* MMT_OUTFILE_H */
