/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * digest.h - md5, sha1, sha256 and sha512 of a file in one read pass, and
 * the record of a file's digests and type that every stage after it shares.
 */
#ifndef MMT_DIGEST_H
#define MMT_DIGEST_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "elfnote.h"

/* Results */

/* Pass as a size limit to hash files of any size. */
#define MMT_HASH_NO_LIMIT	((off_t)-1)

/* Room for error texts, including the NUL; longer texts are cut. */
#define MMT_HASH_ERROR_MAX	128

/* Longest libmagic description kept, including the NUL; longer ones are cut. */
#define MMT_HASH_MAGIC_MAX	1024

/**
 * struct mmt_hashes - digests and type of one file, as one record reports them.
 * @have_hashes: true when all four digests are of the whole file; the hex fields are
 *	empty strings otherwise.
 * @size: st_size when the file was hashed, or -1 if it could not be fstat()ed.
 * @md5: lower-case hex, NUL terminated.
 * @sha1: lower-case hex, NUL terminated.
 * @sha256: lower-case hex, NUL terminated.
 * @sha512: lower-case hex, NUL terminated.
 * @magic: libmagic description (the text of `file -b`), or NULL when not determined.
 *	Owned by the structure that holds this one; never free it.
 * @magic_top: the top-level description (mmt_magic_fd_top(): `file -b -e elf`), what
 *	Kunai writes; NULL when not determined. Owned as @magic.
 * @error: why hashes or magic are missing, e.g. "not a regular file (fifo)"; an empty
 *	string when @have_hashes is true and @magic is set.
 */
struct mmt_hashes {
	bool have_hashes;
	off_t size;
	char md5[33];
	char sha1[41];
	char sha256[65];
	char sha512[129];
	const char *magic;
	const char *magic_top;
	char build_id[MMT_BUILD_ID_HEX];	/* the ELF file's GNU build-id in hex, or "" */
	char error[MMT_HASH_ERROR_MAX];
};

/**
 * mmt_hash_fd() - hash a file with md5, sha1, sha256 and sha512 in one read pass.
 * @fd: an open file; read only with pread(), so its offset is unchanged; not closed.
 * @limit: largest st_size to hash, or MMT_HASH_NO_LIMIT.
 * @out: filled in every case; @out->magic is always NULL (see mmt_magic_fd()).
 *
 * Checks the type with fstat() before reading anything, so a FIFO, socket or device is
 * reported ("not a regular file (fifo)") without blocking on it.  A file that is larger
 * than @limit, shrinks or changes while being read, or fails to read gets an @out->error
 * and no digests: digests are only ever of the whole file.
 *
 * Return: 0 when @out describes the file (check @out->have_hashes); -errno when the call
 * itself failed (-EBADF for a bad @fd, -ENOMEM, -ENOSYS if libcrypto lacks a digest, -EIO
 * if a digest call failed), with @out->error also set.
 */
int mmt_hash_fd(int fd, off_t limit, struct mmt_hashes *out);

/* Digests reused from file to file */

/**
 * struct mmt_digests - fetched digests, their contexts and a read buffer (opaque)
 *
 * Fetched once: with EVP_md5() and friends, OpenSSL 3 does an implicit fetch
 * (a locked method-store lookup) on every EVP_DigestInit_ex(). One thread at
 * a time.
 */
struct mmt_digests;

/**
 * mmt_digests_new() - digests for mmt_digests_file()
 * Return: to be freed with mmt_digests_free(); NULL + errno (ENOMEM, or
 *	ENOSYS when no provider offers a digest: FIPS-only configurations lack MD5).
 */
struct mmt_digests *mmt_digests_new(void);

/** mmt_digests_free() - NULL is fine */
void mmt_digests_free(struct mmt_digests *d);

/**
 * mmt_digests_file() - mmt_hash_fd() with digests made beforehand
 * @st: the fstat() before reading, when the return is 0
 * @stable: set when @out is a property of @st's identity alone (hashed, or
 *	too large), so it may be cached; transient failures are not
 * @nread: incremented by the bytes read
 * Return: as mmt_hash_fd().
 */
int mmt_digests_file(struct mmt_digests *d, int fd, off_t limit, struct mmt_hashes *out,
		     struct stat *st, bool *stable, uint64_t *nread);

/** mmt_hashes_reset() - no digests, no type, no error, size -1 */
void mmt_hashes_reset(struct mmt_hashes *out);

/** mmt_hashes_error() - set @out->error (cut to fit) */
void mmt_hashes_error(struct mmt_hashes *out, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/** mmt_file_type_name() - "fifo", "directory"... for a mode that is not a regular file */
const char *mmt_file_type_name(mode_t mode);

#endif
