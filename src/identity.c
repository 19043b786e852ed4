// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A file found again by the kernel's path and checked by its identity.
 * The path is the mapping task's view (its root, its mounts); whatever it
 * leads to here is used only when the device and inode are the kernel's,
 * which holds across mount namespaces, bind mounts and renames of the
 * directories above it.
 *
 * Nothing here asks a filesystem anything: the walk takes only what the
 * kernel's dentry cache holds (RESOLVE_CACHED: a FUSE or NFS entry to be
 * revalidated, which a hung server would never answer, fails instead), the
 * open is O_PATH (no open call of the filesystem, no lease break) and the
 * stat is the cached one. The hasher opens the file for reading.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/openat2.h>

#include "fsinfo.h"
#include "identity.h"

/*
 * An O_PATH open of @path from the dentry cache alone. Kernels before 5.12
 * (no RESOLVE_CACHED) walk as open() does, so there a hung filesystem on
 * the path still holds the caller. Return: the fd, or -1 with errno
 * (EAGAIN: some part of the path is not cached).
 */
static bool no_cached;

static int open_cached(const char *path)
{
	struct open_how how = {
		.flags = O_PATH | O_CLOEXEC,
		.resolve = RESOLVE_CACHED,
	};
	int fd;

	if (!no_cached) {
		fd = (int)syscall(SYS_openat2, AT_FDCWD, path, &how, sizeof(how));
		if (fd >= 0 || (errno != ENOSYS && errno != EINVAL))
			return fd;
		no_cached = true;
	}
	return open(path, O_PATH | O_CLOEXEC);
}

bool mmt_identity_cached(void)
{
	static bool asked;
	int fd;

	if (!asked) {
		asked = true;
		fd = open_cached("/");
		if (fd >= 0)
			close(fd);
	}
	return !no_cached;
}

bool mmt_identity_is(const char *path, uint64_t dev, uint64_t ino)
{
	struct stat st;
	bool same;
	int fd;

	if (!path || path[0] != '/')
		return false;
	fd = open_cached(path);
	if (fd < 0)
		return false;
	same = mmt_file_stat_cached(fd, NULL, &st, NULL) == 0 && (uint64_t)st.st_dev == dev &&
	       (uint64_t)st.st_ino == ino;
	close(fd);
	return same;
}

int mmt_identity_open(const char *path, uint64_t dev, uint64_t ino, bool open_it, bool fs,
		      struct mmt_map_info *mi)
{
	uint64_t mnt_id;
	struct stat st;
	int fd, r;

	if (!path || path[0] != '/') {
		snprintf(mi->open_error, sizeof(mi->open_error),
			 "the kernel gave no path to open the mapped file by");
		return -ENOENT;
	}
	fd = open_cached(path);
	if (fd < 0 && errno == EAGAIN) {
		snprintf(mi->open_error, sizeof(mi->open_error),
			 "process gone; its path is not in the kernel's cache (its filesystem "
			 "was not asked): not opened");
		return -EAGAIN;
	}
	if (fd < 0) {
		r = errno;
		snprintf(mi->open_error, sizeof(mi->open_error),
			 "process gone; cannot open the mapped file by its path: %s", strerror(r));
		return -r;
	}
	r = mmt_file_stat_cached(fd, NULL, &st, &mnt_id);
	/* Nothing but a regular file is opened: a device's open may act on it. */
	if (r == 0 && !S_ISREG(st.st_mode)) {
		close(fd);
		snprintf(mi->open_error, sizeof(mi->open_error), "not a regular file: not hashed");
		return -EINVAL;
	}
	if (r < 0 || (uint64_t)st.st_dev != dev || (uint64_t)st.st_ino != ino) {
		close(fd);
		snprintf(mi->open_error, sizeof(mi->open_error),
			 "process gone; the mapped file was replaced or removed since");
		return -ESTALE;
	}
	mi->have_id = true;
	mi->dev = st.st_dev;
	mi->ino = st.st_ino;
	mi->ctime_sec = st.st_ctim.tv_sec;
	mi->ctime_nsec = st.st_ctim.tv_nsec;
	/* The kernel's path is the mapping task's view: no pid to look its mounts up by. */
	if (fs && mmt_fsinfo_get(0, fd, mnt_id, st.st_dev, &mi->fs_type, &mi->fs_flags) == 0) {
		mi->nlink = st.st_nlink;
		mi->have_fs = true;
	}
	if (open_it)
		mi->fd = fd;
	else
		close(fd);
	return 0;
}
