// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * magic.c - libmagic wrapper: the description `file -b` gives for a mapped file.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MMT_MAGIC_WANT_LIBMAGIC
#include "magic.h"

struct mmt_magic {
	magic_t cookie;
};

struct mmt_magic *mmt_magic_open(void)
{
	struct mmt_magic *m;
	int err;

	m = calloc(1, sizeof(*m));
	if (!m)
		return NULL;

	/*
	 * MAGIC_NONE is what file(1) passes without options.  Flags such as
	 * MAGIC_NO_CHECK_COMPRESS would save little (compressed files are only opened up
	 * with -z) and every extra flag is a chance to differ from `file -b`.
	 */
	m->cookie = magic_open(MAGIC_NONE);
	if (!m->cookie) {
		err = errno ? errno : ENOMEM;
		goto out_free;
	}

	if (magic_load(m->cookie, NULL) < 0) {
		err = magic_errno(m->cookie);
		if (err <= 0)
			err = EINVAL;
		goto out_close;
	}
	return m;

out_close:
	magic_close(m->cookie);
out_free:
	free(m);
	errno = err;
	return NULL;
}

void mmt_magic_close(struct mmt_magic *m)
{
	if (!m)
		return;
	magic_close(m->cookie);
	free(m);
}

char *mmt_magic_fd(struct mmt_magic *m, int fd)
{
	const char *desc;
	char *copy;
	int err;

	/*
	 * libmagic 5.44 read()s from the current offset (and restores it afterwards), so an
	 * fd someone has already read would be described by its tail, not its header.
	 */
	if (lseek(fd, 0, SEEK_SET) < 0)
		return NULL;

	desc = magic_descriptor(m->cookie, fd);
	if (!desc) {
		err = magic_errno(m->cookie);
		errno = err > 0 ? err : EIO;
		return NULL;
	}

	/* desc lives in the handle's buffer and is overwritten by the next call. */
	copy = strdup(desc);
	if (!copy)
		return NULL;
	return copy;
}

const char *mmt_magic_error(struct mmt_magic *m)
{
	return magic_error(m->cookie);
}
