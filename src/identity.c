// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A file found again by the kernel's path and checked by its identity.
 * The path is the mapping task's view (its root, its mounts); whatever it
 * leads to here is used only when the device and inode are the kernel's,
 * which holds across mount namespaces, bind mounts and renames of the
 * directories above it. O_NONBLOCK: a file lease answers EWOULDBLOCK
 * instead of holding the reader for the lease-break time.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <time.h>
#include <unistd.h>

#include "identity.h"

/*
 * The filesystem of files found recently, by inode and change time: a
 * do_mmap record of a file the kernel named then costs one stat(2), not an
 * open, fstat, fstatfs and close (an mmap storm made five calls a mapping).
 * The filesystem type is the inode's superblock's for its whole life; the
 * mount flags are kept FS_TTL_S at most, so a remount shows within that.
 * The link count comes from the stat at hand, never from here. For the
 * reader thread only.
 */
#define FS_SLOTS	64
#define FS_TTL_S	1

struct fs_slot {
	uint64_t dev, ino;
	int64_t ctime_sec, ctime_nsec;
	uint64_t fs_type, fs_flags;
	time_t when;
	bool valid;
};

static struct fs_slot fs_cache[FS_SLOTS];

static time_t now_s(void)
{
	struct timespec ts;

	return clock_gettime(CLOCK_MONOTONIC_COARSE, &ts) < 0 ? 0 : ts.tv_sec;
}

static struct fs_slot *fs_slot_of(const struct stat *st)
{
	return &fs_cache[(st->st_ino ^ st->st_dev * 0x9e3779b1u) % FS_SLOTS];
}

/* The cached filesystem of @st's inode, into @mi. Return: whether it was there. */
static bool fs_cached(const struct stat *st, struct mmt_map_info *mi)
{
	const struct fs_slot *c = fs_slot_of(st);

	if (!c->valid || c->dev != (uint64_t)st->st_dev || c->ino != (uint64_t)st->st_ino ||
	    c->ctime_sec != st->st_ctim.tv_sec || c->ctime_nsec != st->st_ctim.tv_nsec ||
	    now_s() - c->when > FS_TTL_S)
		return false;
	mi->nlink = st->st_nlink;
	mi->fs_type = c->fs_type;
	mi->fs_flags = c->fs_flags;
	mi->have_fs = true;
	return true;
}

static void fs_remember(const struct stat *st, const struct statfs *sfs)
{
	*fs_slot_of(st) = (struct fs_slot){
		.dev = st->st_dev, .ino = st->st_ino,
		.ctime_sec = st->st_ctim.tv_sec, .ctime_nsec = st->st_ctim.tv_nsec,
		.fs_type = (uint64_t)sfs->f_type, .fs_flags = (uint64_t)sfs->f_flags,
		.when = now_s(), .valid = true,
	};
}

static void set_identity(const struct stat *st, struct mmt_map_info *mi)
{
	mi->have_id = true;
	mi->dev = st->st_dev;
	mi->ino = st->st_ino;
	mi->ctime_sec = st->st_ctim.tv_sec;
	mi->ctime_nsec = st->st_ctim.tv_nsec;
}

int mmt_identity_open(const char *path, uint64_t dev, uint64_t ino, bool open_it, bool fs,
		      struct mmt_map_info *mi)
{
	int flags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK, fd, err;
	struct statfs sfs;
	struct stat st;
	bool stated;

	if (!path || path[0] != '/') {
		snprintf(mi->open_error, sizeof(mi->open_error),
			 "the kernel gave no path to open the mapped file by");
		return -ENOENT;
	}
	/* Nothing but a regular file is opened: a device's open may act on it. */
	stated = stat(path, &st) == 0;
	if (stated && !S_ISREG(st.st_mode)) {
		snprintf(mi->open_error, sizeof(mi->open_error), "not a regular file: not hashed");
		return -EINVAL;
	}
	/* Not to be read, and its filesystem known: the stat said all. */
	if (stated && !open_it && (uint64_t)st.st_dev == dev && (uint64_t)st.st_ino == ino &&
	    (!fs || fs_cached(&st, mi))) {
		set_identity(&st, mi);
		return 0;
	}
	/* O_NOATIME: reading for a hash is not an access the owner made. */
	fd = open(path, flags | O_NOATIME);
	if (fd < 0 && errno == EPERM)
		fd = open(path, flags);
	/* Not "process gone": a lease on its /proc/self/maps also sends it here. */
	if (fd < 0 && errno == EWOULDBLOCK) {
		snprintf(mi->open_error, sizeof(mi->open_error),
			 "a lease is held on the mapped file: not opened, not hashed");
		return -EWOULDBLOCK;
	}
	if (fd < 0) {
		err = errno;
		snprintf(mi->open_error, sizeof(mi->open_error),
			 "process gone; cannot open the mapped file by its path: %s", strerror(err));
		return -err;
	}
	if (fstat(fd, &st) < 0 || (uint64_t)st.st_dev != dev || (uint64_t)st.st_ino != ino) {
		close(fd);
		snprintf(mi->open_error, sizeof(mi->open_error),
			 "process gone; the mapped file was replaced or removed since");
		return -ESTALE;
	}
	set_identity(&st, mi);
	if (fs && fstatfs(fd, &sfs) == 0) {
		mi->nlink = st.st_nlink;
		mi->fs_type = (uint64_t)sfs.f_type;
		mi->fs_flags = (uint64_t)sfs.f_flags;
		mi->have_fs = true;
		fs_remember(&st, &sfs);
	}
	if (open_it)
		mi->fd = fd;
	else
		close(fd);
	return 0;
}
