/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fsinfo - the filesystem type and mount flags of a mapped file, for the
 * alerts, learnt from the mount tables (mountinfo) rather than from statfs(),
 * which FUSE, NFS and the like answer by asking their server: one that does
 * not answer would hold the reader thread.
 */
#ifndef MMT_FSINFO_H
#define MMT_FSINFO_H

#include <stdint.h>
#include <sys/types.h>
#include <linux/magic.h>

/* Not in every linux/magic.h. */
#ifndef RAMFS_MAGIC
#define RAMFS_MAGIC	0x858458f6
#endif
#ifndef HUGETLBFS_MAGIC
#define HUGETLBFS_MAGIC	0x958458f6
#endif

/**
 * mmt_fsinfo_get() - the filesystem of a mapped file
 * @pid: the process that mapped it: its mount namespace is looked at when
 *	this one's does not hold the mount
 * @fd: the file (an O_PATH descriptor is enough): used only when @mnt_id is
 *	0 (a kernel before 5.8), for a statfs() as before
 * @mnt_id: the mount it was mapped from (mmt_file_stat_cached())
 * @dev: its st_dev
 * @fs_type: set to the statfs() f_type it has (TMPFS_MAGIC, RAMFS_MAGIC,
 *	HUGETLBFS_MAGIC), or 0 for any other type: the alerts ask no more
 * @fs_flags: set to the ST_RDONLY, ST_NOSUID, ST_NODEV and ST_NOEXEC of the mount
 *
 * A mount found in no table (the kernel's internal one of memfds and shared
 * anonymous memory, or one detached since) is the internal tmpfs or
 * hugetlbfs if @dev is theirs, else of type 0 with no flags. Answers are
 * kept for a second (a remount with noexec may be seen that late).
 * Return: 0, or -errno (of the statfs() before 5.8).
 */
int mmt_fsinfo_get(pid_t pid, int fd, uint64_t mnt_id, uint64_t dev, uint64_t *fs_type,
		   uint64_t *fs_flags);

/**
 * mmt_fsinfo_shm_dev() - the device of the kernel's internal shmem mount
 *
 * It holds memfds and the shared anonymous memory of MAP_SHARED|MAP_ANONYMOUS
 * or of a shared mapping of /dev/zero: a memfd of our own says which it is.
 * Return: the device, or 0 if no memfd can be made.
 */
dev_t mmt_fsinfo_shm_dev(void);

#endif /* MMT_FSINFO_H */
