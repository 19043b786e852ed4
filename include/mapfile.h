/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * mapfile - find the file a mapping maps: the VMA an event made, in a
 * snapshot of /proc/PID/maps, and the object behind it, through
 * /proc/PID/map_files (all read by procfs.c). Everything here is read after
 * the event, so a process that is already gone yields an error string,
 * never a guess.
 */
#ifndef MMT_MAPFILE_H
#define MMT_MAPFILE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "fileio.h"

struct mmt_map_info {
	char *path;		/* raw bytes as the kernel prints them; NULL: anonymous or unknown */
	bool anon;		/* the VMA has no file */
	bool have_id;		/* dev, ino, ctime are known */
	uint64_t dev, ino;
	int64_t ctime_sec, ctime_nsec;
	bool have_fflags;
	uint32_t f_flags;	/* the open file's flags, from fdinfo */
	bool have_fs;		/* with query.fs: nlink, fs_type, fs_flags are known */
	uint64_t nlink;		/* the file's link count: 0 for a deleted file or a memfd */
	uint64_t fs_type;	/* statfs f_type of its filesystem (TMPFS_MAGIC...) */
	uint64_t fs_flags;	/* statfs f_flags of its mount (ST_NOEXEC...) */
	char error[160];	/* "" or what could not be resolved */
	int fd;			/* with query.open: the mapped object, an O_PATH descriptor
				   the hasher opens for reading; else -1 */
	char open_error[128];	/* with query.open and no fd: why not */
};

/* What is known of a mapping from the events, to find it in /proc. */
struct mmt_map_query {
	pid_t tid;		/* the thread that mapped */
	pid_t tgid;		/* its process, or 0 if unknown (used when the thread is gone) */
	uint64_t addr;		/* the address mmap returned */
	uint64_t len;		/* its length in bytes */
	uint64_t pgoff;		/* the file offset it mapped, in pages */
	uint64_t ts;		/* the return's time (CLOCK_MONOTONIC ns) */
	int64_t fd;		/* the fd argument, or -1: for the open flags */
	const struct mmt_file_id *want;	/* the kernel's dev and ino of the file, or NULL */
	bool open;		/* also open the mapped object for reading (hashing) */
	bool fs;		/* also learn the file's link count and filesystem (alerts) */
	bool range;		/* an mprotect()ed range, not a mapping just made: any file
				   offset fits, and an anonymous VMA is an answer (mi->anon) */
};

/**
 * mmt_mapfile_resolve() - find the file behind a mapping just made
 * @q: the mapping
 * @mi: result; release with mmt_mapfile_release()
 *
 * Looks the address up in /proc/PID/maps (a snapshot younger than @q->ts)
 * and follows /proc/PID/map_files/START-END: the object really mapped, even
 * if it was renamed or deleted since. A VMA whose file offset does not fit
 * @q or does not span its length, or whose inode differs from @q->want, is a
 * later mapping at the same place and is not reported as this one. The fd is never used to name the
 * file: once the mapping is gone nothing shows the fd still holds the same
 * file (ld.so closes fd 3 after mapping ld.so.cache; the next open gets 3).
 * @mi->error says what could not be resolved.
 * Return: 0 if resolved (or anonymous), -errno if not.
 */
int mmt_mapfile_resolve(const struct mmt_map_query *q, struct mmt_map_info *mi);

/**
 * mmt_mapfile_fd_flags() - the open flags of the fd a mapping was made from
 * @pid: the process that mapped
 * @fd: the fd argument of the call
 * @ts: the call's time (CLOCK_MONOTONIC ns): an answer read after it serves
 * @mi: its dev and ino say which file @fd must hold; f_flags and have_fflags are set
 *
 * From /proc/PID/fdinfo, only while @fd still is that file; what a read
 * younger than @ts showed for the same fd and file answers without reading
 * again (a storm of mappings of one fd costs one read per drain, not one
 * per mapping).
 * Return: 0, or -ENOENT if @fd is not (or no longer) that file or unreadable.
 */
int mmt_mapfile_fd_flags(pid_t pid, int64_t fd, uint64_t ts, struct mmt_map_info *mi);

/**
 * mmt_mapfile_prot_before() - the protection of an address in a snapshot older than @ts
 * @pid: the process
 * @addr: the address
 * @ts: CLOCK_MONOTONIC ns: only a snapshot of /proc/PID/maps taken before this counts
 * @prot: set to the PROT_* bits the VMA had then
 *
 * Reads nothing: only a snapshot that mmt_mapfile_resolve() already took answers.
 * Return: 0, or -ENOENT if no such snapshot holds @addr.
 */
int mmt_mapfile_prot_before(pid_t pid, uint64_t addr, uint64_t ts, unsigned int *prot);

/**
 * mmt_mapfile_forget() - drop the maps snapshot of @pid (it called execve: a new address space)
 * @pid: the process
 */
void mmt_mapfile_forget(pid_t pid);

/** mmt_mapfile_release() - free what mmt_mapfile_resolve() allocated; closes fd if >= 0. */
void mmt_mapfile_release(struct mmt_map_info *mi);

#endif /* MMT_MAPFILE_H */
