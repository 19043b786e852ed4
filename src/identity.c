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
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "identity.h"

int mmt_identity_open(const char *path, uint64_t dev, uint64_t ino, bool open_it, bool fs,
		      struct mmt_map_info *mi)
{
	int flags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK, fd, err;
	struct statfs sfs;
	struct stat st;

	if (!path || path[0] != '/') {
		snprintf(mi->open_error, sizeof(mi->open_error),
			 "the kernel gave no path to open the mapped file by");
		return -ENOENT;
	}
	/* Nothing but a regular file is opened: a device's open may act on it. */
	if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
		snprintf(mi->open_error, sizeof(mi->open_error), "not a regular file: not hashed");
		return -EINVAL;
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
	mi->have_id = true;
	mi->dev = st.st_dev;
	mi->ino = st.st_ino;
	mi->ctime_sec = st.st_ctim.tv_sec;
	mi->ctime_nsec = st.st_ctim.tv_nsec;
	if (fs && fstatfs(fd, &sfs) == 0) {
		mi->nlink = st.st_nlink;
		mi->fs_type = (uint64_t)sfs.f_type;
		mi->fs_flags = (uint64_t)sfs.f_flags;
		mi->have_fs = true;
	}
	if (open_it)
		mi->fd = fd;
	else
		close(fd);
	return 0;
}
