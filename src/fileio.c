// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * One reader of whole files for the BTF blob (megabytes, from sysfs) and
 * /proc files of unknown length (a command line), and the file identity the
 * mapping checks and the hash cache share.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "fileio.h"

/* A command line is usually shorter; the BTF blob doubles its way up from here. */
#define READ_FIRST	4096

void mmt_file_id_from_stat(struct mmt_file_id *id, const struct stat *st)
{
	memset(id, 0, sizeof(*id));
	id->dev = st->st_dev;
	id->ino = st->st_ino;
	id->size = st->st_size;
	id->mtime = st->st_mtim;
	id->ctime = st->st_ctim;
}

int mmt_file_stat_cached(int dirfd, const char *path, struct stat *st, uint64_t *mnt_id)
{
	int flags = AT_STATX_DONT_SYNC | (path ? 0 : AT_EMPTY_PATH);
	struct statx sx;

	if (mnt_id)
		*mnt_id = 0;
	/* Linux 6.11 and later fill in only the timestamps asked for. */
	if (statx(dirfd, path ? path : "", flags, STATX_BASIC_STATS, &sx) < 0) {
		if (errno != ENOSYS)
			return -errno;
		if (path ? stat(path, st) : fstat(dirfd, st))
			return -errno;
		return 0;
	}
	if (!(sx.stx_mask & STATX_INO))
		return -EACCES;
	memset(st, 0, sizeof(*st));
	st->st_dev = makedev(sx.stx_dev_major, sx.stx_dev_minor);
	st->st_ino = sx.stx_ino;
	st->st_mode = sx.stx_mode;
	st->st_nlink = sx.stx_nlink;
	st->st_uid = sx.stx_uid;
	st->st_gid = sx.stx_gid;
	st->st_rdev = makedev(sx.stx_rdev_major, sx.stx_rdev_minor);
	st->st_size = (off_t)sx.stx_size;
	st->st_blksize = sx.stx_blksize;
	st->st_blocks = (blkcnt_t)sx.stx_blocks;
	st->st_atim = (struct timespec){ sx.stx_atime.tv_sec, sx.stx_atime.tv_nsec };
	st->st_mtim = (struct timespec){ sx.stx_mtime.tv_sec, sx.stx_mtime.tv_nsec };
	st->st_ctim = (struct timespec){ sx.stx_ctime.tv_sec, sx.stx_ctime.tv_nsec };
	if (mnt_id && (sx.stx_mask & STATX_MNT_ID))
		*mnt_id = sx.stx_mnt_id;
	return 0;
}

bool mmt_file_id_same(const struct mmt_file_id *a, const struct mmt_file_id *b)
{
	return a->dev == b->dev && a->ino == b->ino;
}

static bool timespec_equal(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec == b->tv_sec && a->tv_nsec == b->tv_nsec;
}

bool mmt_file_id_equal(const struct mmt_file_id *a, const struct mmt_file_id *b)
{
	return mmt_file_id_same(a, b) && a->size == b->size &&
	       timespec_equal(&a->mtime, &b->mtime) && timespec_equal(&a->ctime, &b->ctime);
}

int mmt_read_file(const char *path, size_t cap, char **out, size_t *len, bool *truncated)
{
	size_t size = READ_FIRST, used = 0;
	bool cut = false;
	char *buf, *tmp;
	struct stat st;
	ssize_t n;
	int fd, err;

	/* So that cap + 1, the buffer for cap bytes and the NUL, cannot wrap. */
	if (cap > SIZE_MAX / 2)
		cap = SIZE_MAX / 2;
	if (size > cap + 1)
		size = cap + 1;
	/* O_NONBLOCK: a process may hold a lease on its /proc/self/cmdline (procfs.c). */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	/*
	 * A size the file states is a first guess only (sysfs's is right, /proc's
	 * is 0): room for one byte more, so that EOF shows without growing. The
	 * 5 MiB BTF blob took 4.6 ms a read grown from 4 KiB, 2.3 ms sized so.
	 */
	if (fstat(fd, &st) == 0 && st.st_size > 0 && (uint64_t)st.st_size < cap &&
	    (size_t)st.st_size + 2 > size)
		size = (size_t)st.st_size + 2;
	buf = malloc(size);
	if (!buf) {
		err = -ENOMEM;
		goto out_close_fd;
	}
	for (;;) {
		if (used == size - 1) {
			if (used >= cap) {
				char c;

				/* One byte more tells a full buffer from a cut one. */
				n = read(fd, &c, 1);
				if (n < 0 && errno == EINTR)
					continue;
				if (n < 0) {
					err = -errno;
					goto out_free_buf;
				}
				cut = n > 0;
				break;
			}
			size = size > (cap + 1) / 2 ? cap + 1 : size * 2;
			tmp = realloc(buf, size);
			if (!tmp) {
				err = -ENOMEM;
				goto out_free_buf;
			}
			buf = tmp;
		}
		n = read(fd, buf + used, size - 1 - used);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			err = -errno;
			goto out_free_buf;
		}
		if (n == 0)
			break;
		used += (size_t)n;
	}
	buf[used] = '\0';
	close(fd);
	*out = buf;
	*len = used;
	if (truncated)
		*truncated = cut;
	return 0;

out_free_buf:
	free(buf);
out_close_fd:
	close(fd);
	return err;
}
