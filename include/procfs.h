/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * procfs - the only code that reads /proc: each file is opened, read and
 * parsed here, once, for every module that needs a fact from it.
 *
 * Everything is read by path each time (no pidfds): a thread that is not a
 * group leader is not listed in /proc but /proc/TID still resolves, which is
 * what the callers need. A task that is gone reads as -ENOENT (at the open)
 * or -ESRCH (it went between the open and the read).
 */
#ifndef MMT_PROCFS_H
#define MMT_PROCFS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/types.h>

#include "fileio.h"

/* TASK_COMM_LEN: 15 bytes and the NUL */
#define MMT_PROCFS_COMM_LEN	16

/* What was read */

/* The kinds of /proc access counted by mmt_procfs_reads(). */
enum mmt_procfs_kind {
	MMT_PROCFS_STAT,	/* /proc/PID/stat */
	MMT_PROCFS_STATUS,	/* /proc/PID/status */
	MMT_PROCFS_CMDLINE,	/* /proc/PID/cmdline */
	MMT_PROCFS_EXE,		/* /proc/PID/exe: a stat or a readlink */
	MMT_PROCFS_NS,		/* /proc/PID/ns/mnt */
	MMT_PROCFS_CGROUP,	/* /proc/PID/cgroup */
	MMT_PROCFS_FD,		/* /proc/PID/fd/N and fdinfo/N */
	MMT_PROCFS_TASK,	/* /proc/PID/task, listed */
	MMT_PROCFS_MAPS,	/* /proc/PID/maps, read whole */
	MMT_PROCFS_MAP_FILES,	/* /proc/PID/map_files/A-B: readlink, O_PATH open */
	MMT_PROCFS_MOUNTINFO,	/* /proc/PID/mountinfo */
	MMT_PROCFS_SELF,	/* the tool's own: /proc/self/statm, boot_id */
	MMT_PROCFS_NKINDS
};

/* The counts by kind, indexed by enum mmt_procfs_kind. */
struct mmt_procfs_reads {
	uint64_t n[MMT_PROCFS_NKINDS];
};

/**
 * mmt_procfs_reads() - the /proc accesses made so far (open, stat, readlink,
 * statfs: one each), by kind
 * @out: filled, or NULL
 * Return: the total of the traced processes' files (all kinds but
 *	MMT_PROCFS_SELF): the figure a per-mapping cost is made of.
 */
uint64_t mmt_procfs_reads(struct mmt_procfs_reads *out);

/** mmt_procfs_kind_name() - "stat", "maps", ...: a static string. */
const char *mmt_procfs_kind_name(enum mmt_procfs_kind k);

/* One task */

/**
 * struct mmt_procfs_stat - what anyone needs of /proc/PID/stat
 * @comm: field 2, the thread's name: raw bytes as the kernel has them (spaces,
 *	parentheses, control bytes, invalid UTF-8), cut to 15, NUL-terminated
 * @state: field 3 (R, S, D, Z, X...)
 * @ppid: field 4, the parent process's id
 * @flags: field 9, the PF_* flags
 * @start_time: field 22, the task's start in clock ticks of CLOCK_BOOTTIME
 *
 * There is no tgid in stat: mmt_procfs_status() has it.
 */
struct mmt_procfs_stat {
	char comm[MMT_PROCFS_COMM_LEN];
	char state;
	pid_t ppid;
	unsigned int flags;
	unsigned long long start_time;
};

/**
 * mmt_procfs_stat() - read and parse /proc/@pid/stat
 * @pid: a process or thread id
 * @st: set on success
 *
 * Stat, not status, for the name: status escapes it, stat has the raw bytes.
 * Return: 0; -ENOENT or -ESRCH if the task is gone (an empty read counts as
 * gone); -EPROTO if the line does not parse; another -errno of the read.
 */
int mmt_procfs_stat(pid_t pid, struct mmt_procfs_stat *st);

/**
 * mmt_procfs_start_mono() - a start time of mmt_procfs_stat() on CLOCK_MONOTONIC
 * @ticks: struct mmt_procfs_stat.start_time
 * Return: nanoseconds on CLOCK_MONOTONIC, the trace clock: the time since boot
 * less the time spent suspended (which CLOCK_MONOTONIC does not count).
 */
uint64_t mmt_procfs_start_mono(unsigned long long ticks);

/**
 * struct mmt_procfs_status - what anyone needs of /proc/PID/status
 * @tgid: "Tgid:", the thread group (process) id; valid if @have_tgid
 * @uid: "Uid:" real user id; @uid and @euid valid if @have_uid
 * @euid: effective user id
 * @gid: "Gid:" real group id; @gid and @egid valid if @have_gid
 * @egid: effective group id
 * @have_tgid: the Tgid line was read
 * @have_uid: the Uid line was read
 * @have_gid: the Gid line was read
 *
 * No "Name:": it is escaped there; struct mmt_procfs_stat has the raw name.
 */
struct mmt_procfs_status {
	pid_t tgid;
	uid_t uid, euid;
	gid_t gid, egid;
	bool have_tgid, have_uid, have_gid;
};

/**
 * mmt_procfs_status() - read and parse /proc/@pid/status
 * @pid: a process or thread id
 * @st: set; on -EPROTO the lines found are still set (see the have_ fields)
 * Return: 0 if Tgid, Uid and Gid were all found; -EPROTO if one was not;
 * -ENOENT or -ESRCH if the task is gone; another -errno of the read.
 */
int mmt_procfs_status(pid_t pid, struct mmt_procfs_status *st);

/**
 * mmt_procfs_cmdline() - the raw /proc/@pid/cmdline
 * @pid: a process or thread id (a thread's shows its process's arguments)
 * @cap: most bytes kept
 * @out: set to the arguments as the kernel has them, each ended by a NUL, plus
 *	a terminating NUL; the caller frees it with free()
 * @len: set to the bytes read, the terminating NUL not counted
 * @truncated: set to whether the command line had more than @cap bytes
 * Return: 0, or -errno (as mmt_read_file()).
 */
int mmt_procfs_cmdline(pid_t pid, size_t cap, char **out, size_t *len, bool *truncated);

/**
 * mmt_procfs_exe() - the executable of the process of task @pid
 * @pid: a process or thread id (a thread's exe is its process's, and outlives
 *	a leader thread that exited)
 * @path: if not NULL, set to the raw bytes of the /proc/@pid/exe link (it may
 *	end in " (deleted)"); the caller frees it with free()
 * @deleted: if not NULL, set to whether the file is deleted: its link count
 *	is 0 (the " (deleted)" of a name could be part of the real name), as the
 *	kernel holds it (mmt_file_stat_cached(): its filesystem is not asked)
 *
 * Kernel threads have no exe, and zombies have lost theirs (-ENOENT).
 * Return: 0, or -errno (-ENAMETOOLONG past 64 KiB, -ENOMEM); on error
 * nothing is set.
 */
int mmt_procfs_exe(pid_t pid, char **path, bool *deleted);

/**
 * mmt_procfs_mnt_ns() - the mount namespace of task @pid
 * @pid: a process or thread id
 * @ino: set to the inode number of /proc/@pid/ns/mnt
 * Return: 0, or -errno (a zombie has dropped its namespaces).
 */
int mmt_procfs_mnt_ns(pid_t pid, unsigned long long *ino);

/**
 * mmt_procfs_cgroup() - the raw /proc/@pid/cgroup ("ID:CONTROLLERS:PATH" lines)
 * @pid: a process or thread id
 * @out: set to the text, NUL-terminated, to be freed; cut at 64 KiB
 * Return: 0, or -errno (-ENOENT or -ESRCH: gone).
 */
int mmt_procfs_cgroup(pid_t pid, char **out);

/**
 * mmt_procfs_fd_flags() - the open flags of a file descriptor of @pid
 * @pid: the process
 * @fd: its file descriptor
 * @want: the file @fd must still be (dev and ino are compared); else nothing
 *	is read, since the fd may have been closed and reused since
 * @flags: set to the "flags:" of /proc/@pid/fdinfo/@fd (O_* bits)
 * Return: 0; -ESTALE if @fd is another file now; -ENOENT if fdinfo has no
 * flags; another -errno of the stat or the read.
 */
int mmt_procfs_fd_flags(pid_t pid, int64_t fd, const struct mmt_file_id *want,
			unsigned int *flags);

/**
 * mmt_procfs_threads() - the threads of a process, from /proc/PID/task
 * @pid: the process; 0 for this one (/proc/self, right in any pid namespace)
 * @tids: set to an array of thread ids, in the directory's order; the caller
 *	frees it with free()
 * @n: set to its length
 * Return: 0, or -errno: that of opening the directory (-ENOENT: no such
 * process), -ENOMEM, or that of reading it.
 */
int mmt_procfs_threads(pid_t pid, pid_t **tids, size_t *n);

/* A process's mappings */

/**
 * struct mmt_procfs_vma - one line of /proc/PID/maps
 * @start: first address
 * @end: the address after the last
 * @pgoff: the file offset of @start, in pages
 * @ino: the file's inode; 0 (with @major and @minor) for an anonymous VMA
 * @major: major device number of the file's filesystem
 * @minor: its minor
 * @prot: PROT_* bits, from the perms column
 */
struct mmt_procfs_vma {
	uint64_t start, end;
	uint64_t pgoff;
	uint64_t ino;
	unsigned int major, minor;
	unsigned int prot;
};

/**
 * mmt_procfs_maps() - read /proc/@pid/maps, one callback per VMA
 * @pid: a process or thread id
 * @fn: called with each well-formed line, in address order; a non-zero return
 *	stops the read and is returned
 * @ctx: passed to @fn
 *
 * A read that fails halfway ends the list (a process exiting under the read
 * shows fewer VMAs, as one exiting just before it would).
 * Return: 0, -errno of the open, or what @fn returned.
 */
int mmt_procfs_maps(pid_t pid, int (*fn)(const struct mmt_procfs_vma *v, void *ctx),
		    void *ctx);

/*
 * The object a VMA maps, through the magic link /proc/PID/map_files/START-END:
 * the very file the kernel mapped (renamed or deleted since, or on a mount in
 * another namespace), where the path in maps is only text.
 */

/* Room for "/proc/PID/map_files/START-END" and the NUL */
#define MMT_PROCFS_MAP_FILE_NAME_MAX	96

/**
 * mmt_procfs_map_file_name() - the name of a VMA's link, for messages
 * @pid: the process
 * @start: the VMA's first address
 * @end: the address after its last
 * @buf: set to "/proc/PID/map_files/START-END"
 * @size: of @buf, best %MMT_PROCFS_MAP_FILE_NAME_MAX
 */
void mmt_procfs_map_file_name(pid_t pid, uint64_t start, uint64_t end, char *buf,
			      size_t size);

/**
 * mmt_procfs_map_file() - the name, the stat and a handle of the object a VMA maps
 * @pid: the process
 * @start: the VMA's first address
 * @end: the address after its last
 * @path: set to the link's target, raw bytes; the caller frees it with free();
 *	NULL (and the rest still set) when the name is longer than PATH_MAX, which
 *	no readlink can return but the link still leads to the file
 * @st: set to the object's stat, as the kernel holds it (mmt_file_stat_cached())
 * @fd: set to an O_PATH descriptor of the object, the caller's to close (a
 *	worker reopens it to read it; it holds no lease and reads nothing)
 * @mnt_id: set to the id of the mount it was mapped from, 0 if unknown
 *
 * All three come from the link (its target, then an O_PATH open through it),
 * so a file renamed over the mapped one is not taken for it. Nothing here
 * asks the file's filesystem anything: a FUSE or NFS server that does not
 * answer cannot hold the caller.
 * Return: 0, or -errno (-ENOENT: no VMA has these bounds now; -ESRCH: the
 * process is gone); on error @path is NULL and @fd is -1.
 */
int mmt_procfs_map_file(pid_t pid, uint64_t start, uint64_t end, char **path,
			struct stat *st, int *fd, uint64_t *mnt_id);

/**
 * struct mmt_procfs_mount - one line of /proc/PID/mountinfo, the fields used
 * @id: the mount id (statx()'s stx_mnt_id)
 * @dev: the device of its filesystem (st_dev of its files)
 * @fstype: the filesystem type ("ext4", "tmpfs", "fuse.sshfs"), cut to fit
 * @flags: ST_RDONLY, ST_NOSUID, ST_NODEV, ST_NOEXEC of the mount's options
 */
struct mmt_procfs_mount {
	uint64_t id;
	uint64_t dev;
	char fstype[32];
	uint64_t flags;
};

/**
 * mmt_procfs_mounts() - the mounts of a mount namespace, one callback each
 * @pid: a process of that namespace; 0 for this process's own
 * @cb: called per mount, in the order of mountinfo; a negative return stops
 * @ctx: passed to @cb
 *
 * Reading mountinfo asks no filesystem anything (the kernel prints what it
 * holds), so a hung one cannot hold the caller.
 * Return: 0, the negative return of @cb, or -errno.
 */
int mmt_procfs_mounts(pid_t pid, int (*cb)(const struct mmt_procfs_mount *m, void *ctx),
		      void *ctx);

/* The host and this process */

/**
 * mmt_procfs_boot_id() - this boot's id, from /proc/sys/kernel/random/boot_id
 * @hi: set to its first 64 bits
 * @lo: set to the last 64
 * Return: 0, or -errno (-EPROTO if it does not hold 32 hex digits).
 */
int mmt_procfs_boot_id(uint64_t *hi, uint64_t *lo);

/**
 * mmt_procfs_self_rss_kb() - this process's resident set now, from /proc/self/statm
 * Return: KiB; 0 if unreadable.
 */
uint64_t mmt_procfs_self_rss_kb(void);

#endif /* MMT_PROCFS_H */
