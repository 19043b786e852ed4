// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * magic.c - libmagic wrapper: the descriptions `file -b` and `file -b -e elf` give
 * for a mapped file.
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

/*
 * What libmagic may do for one file, set rather than left to the library's
 * defaults: the file is any user's, parsed inside a root process. Tighter
 * than libmagic 5.44's where the work grows with what the file claims (a
 * crafted 2 MiB ELF of 32767 note sections: 0.47 s with the defaults,
 * 0.02 s with these); on 3000 system binaries and libraries the text is
 * file -b's for all but one, which already hit the default note limit.
 * The man page lists them, as file(1)'s -P names them.
 */
static const struct {
	int param;
	size_t value;		/* libmagic 5.44's default after it; file -P name */
} limits[] = {
	{ MAGIC_PARAM_INDIR_MAX, 15 },		/* 50; indir */
	{ MAGIC_PARAM_NAME_MAX, 30 },		/* 50; name */
	{ MAGIC_PARAM_ELF_PHNUM_MAX, 128 },	/* 2048; elf_phnum */
	{ MAGIC_PARAM_ELF_SHNUM_MAX, 1024 },	/* 32768; elf_shnum */
	{ MAGIC_PARAM_ELF_NOTES_MAX, 64 },	/* 256; elf_notes */
	{ MAGIC_PARAM_REGEX_MAX, 8192 },	/* 8192; regex */
	{ MAGIC_PARAM_BYTES_MAX, 1 << 20 },	/* 7 MiB; bytes */
	{ MAGIC_PARAM_ENCODING_MAX, 64 << 10 },	/* 64 KiB; encoding */
};

/* Return: 0, or the errno of the first limit libmagic refused. */
static int set_limits(magic_t cookie)
{
	size_t i;

	for (i = 0; i < sizeof(limits) / sizeof(limits[0]); i++)
		if (magic_setparam(cookie, limits[i].param, &limits[i].value) < 0)
			return errno ? errno : EINVAL;
	return 0;
}

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

	err = set_limits(m->cookie);
	if (err)
		goto out_close;
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

/* The description of @fd with @flags on the handle, then its own flags back. */
static char *describe(struct mmt_magic *m, int fd, int flags)
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
	if (flags != MAGIC_NONE && magic_setflags(m->cookie, flags) < 0) {
		errno = EINVAL;
		return NULL;
	}
	desc = magic_descriptor(m->cookie, fd);
	err = desc ? 0 : magic_errno(m->cookie);
	/* desc lives in the handle's buffer and is overwritten by the next call. */
	copy = desc ? strdup(desc) : NULL;
	if (flags != MAGIC_NONE && magic_setflags(m->cookie, MAGIC_NONE) < 0 && copy) {
		/* The handle would describe every later file wrongly: fail now. */
		free(copy);
		errno = EINVAL;
		return NULL;
	}
	if (!desc)
		errno = err > 0 ? err : EIO;
	return copy;
}

char *mmt_magic_fd(struct mmt_magic *m, int fd)
{
	return describe(m, fd, MAGIC_NONE);
}

char *mmt_magic_fd_top(struct mmt_magic *m, int fd)
{
	/*
	 * What follows "version 1 (SYSV)" in an ELF's full text (linking,
	 * interpreter, BuildID, stripped) is written by libmagic's own ELF
	 * reader, not by the magic database; without it the text is the
	 * database's alone, which is what a magic-database reader such as
	 * Kunai's writes.
	 */
	return describe(m, fd, MAGIC_NO_CHECK_ELF);
}

const char *mmt_magic_error(struct mmt_magic *m)
{
	return magic_error(m->cookie);
}
