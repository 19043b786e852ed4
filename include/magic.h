/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * magic.h - file type descriptions from libmagic, the text `file -b` prints.
 */
#ifndef MMT_MAGIC_H
#define MMT_MAGIC_H

/*
 * This header shares its name with libmagic's <magic.h>, and include/ comes first on the
 * include path, so <magic.h> finds this file.  src/magic.c defines MMT_MAGIC_WANT_LIBMAGIC
 * to pull in the real one from the next directory on the path; nobody else sees libmagic.
 */
#ifdef MMT_MAGIC_WANT_LIBMAGIC
#include_next <magic.h>
#endif

/* Handle */

/**
 * struct mmt_magic - one loaded libmagic database (opaque).
 *
 * A handle is not thread safe: libmagic keeps per-handle result buffers and error state.
 * Use one handle per thread, or serialize calls on a shared handle.
 */
struct mmt_magic;

/**
 * mmt_magic_open() - open libmagic and load its default database.
 *
 * Uses the same flags and database as `file -b` with no options, so descriptions match,
 * with libmagic's parse limits set (magic_setparam()): the text is that of `file -b -P
 * indir=15 -P name=30 -P elf_phnum=128 -P elf_shnum=1024 -P elf_notes=64 -P regex=8192
 * -P bytes=1048576 -P encoding=65536`, which differs from `file -b` only for a file past
 * one of them.
 *
 * Return: a handle the caller must release with mmt_magic_close(), or NULL with errno set
 * (ENOMEM, or the errno libmagic reported while setting a limit or loading the database;
 * EINVAL if it gave none).
 */
struct mmt_magic *mmt_magic_open(void);

/**
 * mmt_magic_close() - release a handle from mmt_magic_open().
 * @m: the handle; NULL is ignored.
 */
void mmt_magic_close(struct mmt_magic *m);

/* Descriptions */

/**
 * mmt_magic_fd() - describe the file open on @fd.
 * @m: handle from mmt_magic_open(); not used concurrently by another thread.
 * @fd: an open, readable, seekable file; not closed.
 *
 * libmagic reads from the fd's current offset, so this seeks @fd to 0 first, and libmagic
 * seeks it back afterwards.  Callers that share the open file description with another
 * reader must therefore read it with pread(), never read().  Never pass a FIFO, socket or
 * tty: libmagic would block reading it.
 *
 * Return: a malloc'd description the caller must free(), e.g. "ELF 64-bit LSB pie
 * executable, ...", or NULL with errno set (ESPIPE if @fd cannot seek, ENOMEM, or the
 * errno libmagic gave; EIO if it gave none); mmt_magic_error() then says why.
 */
char *mmt_magic_fd(struct mmt_magic *m, int fd);

/**
 * mmt_magic_error() - text of the last libmagic failure on @m.
 * @m: handle from mmt_magic_open().
 *
 * Return: a string owned by @m, valid until the next call on @m, or NULL if libmagic
 * recorded no error.
 */
const char *mmt_magic_error(struct mmt_magic *m);

/**
 * mmt_magic_fd_top() - the top-level description of the file open on @fd.
 * @m: as for mmt_magic_fd().
 * @fd: as for mmt_magic_fd().
 *
 * The text of `file -b -e elf`: the magic database's description without what
 * libmagic's built-in ELF reader adds ("dynamically linked", BuildID, "stripped"), e.g.
 * "ELF 64-bit LSB shared object, x86-64, version 1 (SYSV)" - what Kunai writes in
 * data.mapped.magic. For other files it is usually mmt_magic_fd()'s text.
 *
 * Return: as for mmt_magic_fd().
 */
char *mmt_magic_fd_top(struct mmt_magic *m, int fd);

#endif /* MMT_MAGIC_H */
