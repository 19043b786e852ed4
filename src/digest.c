// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * digest.c - md5, sha1, sha256 and sha512 of a file in one pass of pread(),
 * whole or not at all: a file that is too large, shrinks, grows or is
 * rewritten while read gets an error and no digests.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "digest.h"
#include "fileio.h"

/*
 * 256 KiB keeps the buffer in L2 while four digests walk it, and is large enough that the
 * per-call overhead of pread() and EVP_DigestUpdate() is lost in the noise.
 */
#define READ_CHUNK	(256 * 1024)

enum { MD_MD5, MD_SHA1, MD_SHA256, MD_SHA512, MD_COUNT };

static const char *const md_names[MD_COUNT] = { "MD5", "SHA1", "SHA256", "SHA512" };

struct mmt_digests {
	EVP_MD *md[MD_COUNT];
	EVP_MD_CTX *ctx[MD_COUNT];
	unsigned char *buf;
};

void mmt_hashes_error(struct mmt_hashes *out, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	/* A cut message is still useful, so truncation is not an error here. */
	if (vsnprintf(out->error, sizeof(out->error), fmt, ap) < 0)
		strcpy(out->error, "error text unavailable");
	va_end(ap);
}

void mmt_hashes_reset(struct mmt_hashes *out)
{
	memset(out, 0, sizeof(*out));
	out->size = -1;
}

const char *mmt_file_type_name(mode_t mode)
{
	switch (mode & S_IFMT) {
	case S_IFIFO:
		return "fifo";
	case S_IFCHR:
		return "character device";
	case S_IFBLK:
		return "block device";
	case S_IFSOCK:
		return "socket";
	case S_IFDIR:
		return "directory";
	case S_IFLNK:
		return "symbolic link";
	default:
		return "unknown type";
	}
}


void mmt_digests_free(struct mmt_digests *d)
{
	int i;

	if (!d)
		return;
	for (i = 0; i < MD_COUNT; i++) {
		EVP_MD_CTX_free(d->ctx[i]);
		EVP_MD_free(d->md[i]);
		d->ctx[i] = NULL;
		d->md[i] = NULL;
	}
	free(d->buf);
	free(d);
}

struct mmt_digests *mmt_digests_new(void)
{
	struct mmt_digests *d = calloc(1, sizeof(*d));
	int i, err = ENOMEM;

	if (!d)
		return NULL;
	for (i = 0; i < MD_COUNT; i++) {
		d->md[i] = EVP_MD_fetch(NULL, md_names[i], NULL);
		if (!d->md[i]) {
			/* No provider offers it (FIPS-only configurations lack MD5). */
			err = ENOSYS;
			goto out_free;
		}
		d->ctx[i] = EVP_MD_CTX_new();
		if (!d->ctx[i])
			goto out_free;
	}
	d->buf = malloc(READ_CHUNK);
	if (!d->buf)
		goto out_free;
	return d;

out_free:
	mmt_digests_free(d);
	errno = err;
	return NULL;
}

static void to_hex(char *dst, const unsigned char *src, unsigned int len)
{
	static const char digits[] = "0123456789abcdef";
	unsigned int i;

	for (i = 0; i < len; i++) {
		dst[2 * i] = digits[src[i] >> 4];
		dst[2 * i + 1] = digits[src[i] & 0xf];
	}
	dst[2 * len] = '\0';
}

int mmt_digests_file(struct mmt_digests *d, int fd, off_t limit, struct mmt_hashes *out,
		     struct stat *st, bool *stable, uint64_t *nread)
{
	char *hex[MD_COUNT] = { out->md5, out->sha1, out->sha256, out->sha512 };
	unsigned char md[MD_COUNT][EVP_MAX_MD_SIZE];
	unsigned int mdlen[MD_COUNT];
	struct mmt_file_id before, after;
	struct stat st_after;
	off_t pos = 0;
	ssize_t n;
	int i, err;

	mmt_hashes_reset(out);
	*stable = false;

	if (fstat(fd, st) < 0) {
		err = errno;
		mmt_hashes_error(out, "fstat: %s", strerror(err));
		return -err;
	}
	out->size = st->st_size;

	/* Decided before any read: a read on a FIFO or tty would block the worker forever. */
	if (!S_ISREG(st->st_mode)) {
		mmt_hashes_error(out, "not a regular file (%s)", mmt_file_type_name(st->st_mode));
		return 0;
	}
	if (limit >= 0 && st->st_size > limit) {
		mmt_hashes_error(out, "file too large to hash (%jd bytes > limit %jd)",
			  (intmax_t)st->st_size, (intmax_t)limit);
		*stable = true;
		return 0;
	}

	for (i = 0; i < MD_COUNT; i++) {
		if (!EVP_DigestInit_ex2(d->ctx[i], d->md[i], NULL))
			goto out_crypto;
	}

	/* Only doubles readahead; hashing is correct without it, so failure is ignored. */
	(void)posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);

	while (pos < st->st_size) {
		size_t want = READ_CHUNK;

		if ((off_t)want > st->st_size - pos)
			want = st->st_size - pos;
		n = pread(fd, d->buf, want, pos);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			mmt_hashes_error(out, "read at %jd: %s", (intmax_t)pos, strerror(errno));
			return 0;
		}
		if (n == 0) {
			mmt_hashes_error(out, "file shrank while hashing (%jd of %jd bytes read)",
				  (intmax_t)pos, (intmax_t)st->st_size);
			return 0;
		}
		*nread += n;
		for (i = 0; i < MD_COUNT; i++) {
			if (!EVP_DigestUpdate(d->ctx[i], d->buf, n))
				goto out_crypto;
		}
		pos += n;
	}

	/* Growth or a rewrite of the same length shows only here, not as a short read. */
	if (fstat(fd, &st_after) < 0) {
		mmt_hashes_error(out, "fstat: %s", strerror(errno));
		return 0;
	}
	mmt_file_id_from_stat(&before, st);
	mmt_file_id_from_stat(&after, &st_after);
	if (!mmt_file_id_equal(&before, &after)) {
		mmt_hashes_error(out, "file changed while hashing");
		return 0;
	}

	for (i = 0; i < MD_COUNT; i++) {
		if (!EVP_DigestFinal_ex(d->ctx[i], md[i], &mdlen[i]))
			goto out_crypto;
	}
	for (i = 0; i < MD_COUNT; i++)
		to_hex(hex[i], md[i], mdlen[i]);
	out->have_hashes = true;
	*stable = true;
	return 0;

out_crypto:
	mmt_hashes_error(out, "libcrypto digest failed");
	return -EIO;
}

int mmt_hash_fd(int fd, off_t limit, struct mmt_hashes *out)
{
	struct mmt_digests *d = mmt_digests_new();
	struct stat st;
	uint64_t nread = 0;
	bool stable;
	int r;

	if (!d) {
		r = -errno;
		mmt_hashes_reset(out);
		mmt_hashes_error(out, "libcrypto setup: %s", strerror(-r));
		return r;
	}
	r = mmt_digests_file(d, fd, limit, out, &st, &stable, &nread);
	mmt_digests_free(d);
	return r;
}
