/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Files in general: reading one whole, and telling one file (and one version
 * of its content) from another.
 */
#ifndef MMT_FILEIO_H
#define MMT_FILEIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include <sys/stat.h>

/**
 * struct mmt_file_id - which file, and which version of its content
 * @dev: device of its filesystem (st_dev)
 * @ino: its inode number: @dev and @ino name the object, whatever its name
 * @size: st_size: with @mtime and @ctime, the version of its content (any
 *	write or truncate changes one of them); 0 when only the object is known,
 *	as in the kernel's identity of a mapped file
 * @mtime: st_mtim
 * @ctime: st_ctim
 *
 * Where a file comes from (a mapping checked against the kernel's inode)
 * only @dev and @ino are compared, with mmt_file_id_same(); where its
 * content counts (a cached hash), all of them, with mmt_file_id_equal().
 */
struct mmt_file_id {
	uint64_t dev, ino;
	int64_t size;
	struct timespec mtime;
	struct timespec ctime;
};

/**
 * mmt_file_id_from_stat() - the identity and version of the file @st describes
 * @id: set; zeroed first, so padding never tells two equal identities apart
 * @st: from stat() or fstat()
 */
void mmt_file_id_from_stat(struct mmt_file_id *id, const struct stat *st);

/**
 * mmt_file_id_same() - whether @a and @b name the same object
 * Return: true if dev and ino are equal, whatever the versions.
 */
bool mmt_file_id_same(const struct mmt_file_id *a, const struct mmt_file_id *b);

/**
 * mmt_file_id_equal() - whether @a and @b are the same version of the same object
 * Return: true if every field is equal.
 */
bool mmt_file_id_equal(const struct mmt_file_id *a, const struct mmt_file_id *b);

/**
 * mmt_file_stat_cached() - stat a file without asking its filesystem
 * @dirfd: an open file (O_PATH is enough) when @path is NULL, else AT_FDCWD or
 *	the directory @path is relative to
 * @path: NULL, or a path (followed if it is a link)
 * @st: set to what the kernel holds in memory about the file
 * @mnt_id: if not NULL, set to the id of the mount it is on (the first field
 *	of /proc/PID/mountinfo), or 0 when the kernel does not say (before 5.8)
 *
 * statx() with AT_STATX_DONT_SYNC: FUSE, NFS and the other
 * filesystems that ask a server answer from their attribute cache instead,
 * and a server that never answers cannot hold the caller; a local filesystem
 * answers what stat() does. Before Linux 4.11 (no statx), a plain fstat()
 * or stat().
 * Return: 0, or -errno (-EACCES: the filesystem said nothing of the file,
 * as FUSE does for a process the mount does not allow).
 */
int mmt_file_stat_cached(int dirfd, const char *path, struct stat *st, uint64_t *mnt_id);

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
 * a guess. A read interrupted by a signal is retried. Opened O_NONBLOCK: a
 * lease on the file gives -EWOULDBLOCK at once, not a wait for its break.
 * Return: 0, or -errno (-ENOMEM); on error @out and @len are untouched.
 */
int mmt_read_file(const char *path, size_t cap, char **out, size_t *len, bool *truncated);

#endif /* MMT_FILEIO_H */
