/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * /proc resolution of a mapping: which file backs it, and the thread's
 * process id and name. Everything here is read after the event, so a
 * process that is already gone yields an error string, never a guess.
 */
#ifndef MMT_PROC_H
#define MMT_PROC_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* A file's identity as the kernel saw it at the mapping (kprobe backend). */
struct mmt_file_id {
	uint64_t dev, ino;
};

struct mmt_map_info {
	char *path;		/* raw bytes as the kernel prints them; NULL: anonymous or unknown */
	bool anon;		/* the VMA has no file */
	bool have_id;		/* dev, ino, ctime are known */
	uint64_t dev, ino;
	int64_t ctime_sec, ctime_nsec;
	bool have_fflags;
	uint32_t f_flags;	/* the open file's flags, from fdinfo */
	char error[160];	/* "" or what could not be resolved */
};

/**
 * mmt_proc_resolve() - find the file behind a mapping just made
 * @tid: the thread that mapped
 * @tgid: its process, or 0 if unknown; used when the thread itself is gone
 * @addr: the address mmap returned
 * @ts: the return's time (CLOCK_MONOTONIC ns): a maps snapshot older than
 *	that cannot show the mapping
 * @fd: the fd argument, or -1
 * @want: the mapped file's identity if the backend knows it, else NULL
 * @mi: result; release with mmt_proc_map_info_release()
 *
 * Looks the address up in /proc/TID/maps and follows
 * /proc/TID/map_files/START-END (the object really mapped, even if it was
 * renamed or deleted since). When the mapping is already gone it falls back
 * to /proc/TID/fd/FD, but only if @want shows that fd still is the mapped
 * file; @mi->error says what happened.
 * Return: 0 if something was resolved, -errno if nothing could be.
 */
int mmt_proc_resolve(pid_t tid, pid_t tgid, uint64_t addr, uint64_t ts, int64_t fd,
		     const struct mmt_file_id *want, struct mmt_map_info *mi);

/** mmt_proc_map_info_release() - free what mmt_proc_resolve() allocated. */
void mmt_proc_map_info_release(struct mmt_map_info *mi);

/**
 * mmt_proc_thread() - the process id and name of a thread
 * @tid: thread id
 * @tgid: set to the thread group id, or 0 if unknown
 * @comm: 16 bytes, set to the thread's name (raw bytes), or "" if unknown
 * Return: 0, or -errno (-ENOENT: the thread is gone).
 */
int mmt_proc_thread(pid_t tid, pid_t *tgid, char comm[16]);

#endif /* MMT_PROC_H */
