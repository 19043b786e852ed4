// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The maps line gives the VMA's bounds; map_files/START-END, a magic link,
 * then names and stats the very file object the kernel mapped, where the
 * path in maps is only text (and, for a file renamed over, the wrong file).
 * Every read goes through procfs.c; what is decided here is which VMA is the
 * mapping an event describes, and when a snapshot of maps may answer.
 */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clock.h"
#include "fsinfo.h"
#include "mapfile.h"
#include "procfs.h"

/* A VMA of a snapshot, and how far the mapping it is part of goes. */
struct vma {
	struct mmt_procfs_vma m;
	uint64_t run_end;	/* end of the run of VMAs from here that map the same
				   file at contiguous offsets (splits of one mapping) */
};

static bool same_file_next(const struct mmt_procfs_vma *a, const struct mmt_procfs_vma *b,
			   uint64_t page)
{
	return b->start == a->end && b->ino == a->ino && b->major == a->major &&
	       b->minor == a->minor && b->pgoff == a->pgoff + (a->end - a->start) / page;
}

/*
 * Snapshots of /proc/PID/maps, one per recent process. Reading maps costs
 * the kernel a walk of every VMA, so a burst of mappings by one process
 * must not read it once per mapping (1600 mappings of a 1600-VMA process
 * took seconds). A snapshot taken at time T shows every mapping made
 * before T, so it answers for events older than T; a younger event, or an
 * address the snapshot lacks, takes a new one.
 */
#define SNAPSHOTS	8

struct maps_snapshot {
	pid_t pid;
	uint64_t start_mono;	/* the process's start, on the trace clock */
	uint64_t taken;		/* CLOCK_MONOTONIC ns, before the read began */
	unsigned long last_use;
	struct mmt_procfs_vma *v;	/* sorted by start, as the kernel prints them */
	size_t n, cap;
};

static struct maps_snapshot snapshots[SNAPSHOTS];
static unsigned long use_clock;

static int snapshot_add(const struct mmt_procfs_vma *v, void *ctx)
{
	struct maps_snapshot *s = ctx;

	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 256;
		struct mmt_procfs_vma *nv = realloc(s->v, cap * sizeof(*nv));

		if (!nv)
			return -ENOMEM;
		s->v = nv;
		s->cap = cap;
	}
	s->v[s->n++] = *v;
	return 0;
}

/*
 * When the task now at @pid started: @raw as stat has it (clock ticks), @mono
 * on the trace clock. Return: 0 or -errno (-ESRCH: gone).
 */
static int start_time(pid_t pid, uint64_t *mono, unsigned long long *raw)
{
	struct mmt_procfs_stat st;
	int r = mmt_procfs_stat(pid, &st);

	if (r < 0)
		return r == -ENOENT ? -ESRCH : r;
	*raw = st.start_time;
	*mono = mmt_procfs_start_mono(st.start_time);
	return 0;
}

static int snapshot_read(struct maps_snapshot *s, pid_t pid)
{
	unsigned long long ticks, again;
	uint64_t mono;
	int r;

	s->pid = pid;
	s->n = 0;
	s->taken = mmt_mono_ns();
	r = start_time(pid, &s->start_mono, &ticks);
	/*
	 * Gone now, so gone for every event before now: the slot stays, empty,
	 * and find_vma() answers -ESRCH for those without reading /proc again
	 * (an exec storm's child is gone before most of its mappings are read).
	 */
	if (r == -ESRCH) {
		s->start_mono = 0;
		return r;
	}
	if (r < 0) {
		s->pid = 0;
		return r;
	}
	r = mmt_procfs_maps(pid, snapshot_add, s);
	if (r == -ENOENT) {
		s->n = 0;
		return -ESRCH;
	}
	/* The pid was reused while maps was read: these maps are nobody's we know. */
	if (!r && (start_time(pid, &mono, &again) < 0 || again != ticks))
		r = -ESRCH;
	if (r < 0)
		s->pid = 0;
	return r;
}

static bool snapshot_find(const struct maps_snapshot *s, uint64_t addr, struct vma *out)
{
	size_t lo = 0, hi = s->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (addr < s->v[mid].start) {
			hi = mid;
		} else if (addr >= s->v[mid].end) {
			lo = mid + 1;
		} else {
			uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);
			size_t i = mid;

			out->m = s->v[mid];
			while (i + 1 < s->n && same_file_next(&s->v[i], &s->v[i + 1], page))
				i++;
			out->run_end = s->v[i].end;
			return true;
		}
	}
	return false;
}

static struct maps_snapshot *snapshot_slot(pid_t pid)
{
	struct maps_snapshot *lru = &snapshots[0];
	int i;

	for (i = 0; i < SNAPSHOTS; i++) {
		if (snapshots[i].pid == pid)
			return &snapshots[i];
		if (snapshots[i].last_use < lru->last_use)
			lru = &snapshots[i];
	}
	lru->pid = 0;
	return lru;
}

static void snapshot_drop(pid_t pid)
{
	int i;

	for (i = 0; i < SNAPSHOTS; i++)
		if (snapshots[i].pid == pid)
			snapshots[i].pid = 0;
}

/*
 * The VMA of @pid holding @addr, as of after @ts. Returns 0 with @v set,
 * -ENOENT when no VMA holds @addr, -ESRCH when the task is gone (or has no
 * mm left: an exiting thread's maps reads empty), -errno when unreadable.
 */
static int find_vma(pid_t pid, uint64_t addr, uint64_t ts, struct vma *v)
{
	struct maps_snapshot *s = snapshot_slot(pid);
	int r;

	s->last_use = ++use_clock;
	if (!(s->pid == pid && s->taken > ts)) {
		r = snapshot_read(s, pid);
		if (r < 0)
			return r;
	}
	/*
	 * A process that started after the event is another one with the
	 * same pid (the one we want exited and was reaped): not its maps.
	 * starttime has clock-tick resolution: allow one tick.
	 */
	if (s->start_mono > ts + 1000000000ULL / (uint64_t)sysconf(_SC_CLK_TCK))
		return -ESRCH;
	if (!s->n)
		return -ESRCH;
	/*
	 * Not in a snapshot younger than the event: the mapping was gone when
	 * the snapshot was taken, and reading maps again cannot bring it back.
	 * (So a storm of short-lived mappings costs one read of maps per
	 * drain, not one per mapping: the read takes the process's mmap_lock,
	 * which the storm itself contends for.)
	 */
	return snapshot_find(s, addr, v) ? 0 : -ENOENT;
}

static void set_id(struct mmt_map_info *mi, const struct stat *st)
{
	mi->have_id = true;
	mi->dev = st->st_dev;
	mi->ino = st->st_ino;
	mi->ctime_sec = st->st_ctim.tv_sec;
	mi->ctime_nsec = st->st_ctim.tv_nsec;
}

/*
 * The open flags of the last fds asked, each as fdinfo showed them at
 * @taken, for the events older than that: read again for each of a
 * storm's mappings of one fd they would say the same, later still.
 */
#define FLAG_SLOTS	16

static struct {
	pid_t pid;
	int64_t fd;
	uint64_t dev, ino;
	uint64_t taken;		/* CLOCK_MONOTONIC ns, before the read began */
	bool ok;		/* fdinfo showed this file there */
	uint32_t flags;
} flag_slots[FLAG_SLOTS];

int mmt_mapfile_fd_flags(pid_t pid, int64_t fd, uint64_t ts, struct mmt_map_info *mi)
{
	struct mmt_file_id want = { .dev = mi->dev, .ino = mi->ino };
	unsigned int i = ((unsigned int)pid * 31u + (unsigned int)fd) % FLAG_SLOTS;
	int r;

	if (!(flag_slots[i].pid == pid && flag_slots[i].fd == fd && flag_slots[i].dev == mi->dev &&
	      flag_slots[i].ino == mi->ino && flag_slots[i].taken > ts)) {
		flag_slots[i].taken = mmt_mono_ns();
		r = mmt_procfs_fd_flags(pid, fd, &want, &flag_slots[i].flags);
		flag_slots[i].pid = pid;
		flag_slots[i].fd = fd;
		flag_slots[i].dev = mi->dev;
		flag_slots[i].ino = mi->ino;
		flag_slots[i].ok = r == 0;
	}
	if (!flag_slots[i].ok)
		return -ENOENT;
	mi->f_flags = flag_slots[i].flags;
	mi->have_fflags = true;
	return 0;
}

static void set_gone(struct mmt_map_info *mi, int err)
{
	switch (err) {
	case -ENOENT:
		snprintf(mi->error, sizeof(mi->error), "mapping gone before it could be resolved");
		break;
	case -ESRCH:
		snprintf(mi->error, sizeof(mi->error),
			 "process gone before its mapping could be resolved");
		break;
	default:
		snprintf(mi->error, sizeof(mi->error), "cannot read the process's maps: %s",
			 strerror(-err));
	}
}

/* A VMA without a file: anonymous memory, a heap, a stack. */
static bool is_anon(const struct vma *v)
{
	return !v->m.ino && !v->m.major && !v->m.minor;
}

/*
 * Whether @v can be the mapping @q describes, not a later one at the same
 * place: the file offset at the address must be the one mapped, and the
 * same file must go on, at contiguous offsets, over the whole length (an
 * mprotect() split keeps that; a smaller mapping put there since does not:
 * a thread's 1-page mapping where ld.so had mapped ld.so.cache).
 */
static bool vma_matches(const struct vma *v, const struct mmt_map_query *q)
{
	uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);
	uint64_t end = q->addr + ((q->len + page - 1) & ~(page - 1));

	if (is_anon(v))
		return true;	/* nothing to compare */
	return v->m.pgoff + (q->addr - v->m.start) / page == q->pgoff && v->run_end >= end;
}

static const char *file_type(mode_t mode)
{
	switch (mode & S_IFMT) {
	case S_IFCHR: return "character device";
	case S_IFBLK: return "block device";
	case S_IFIFO: return "fifo";
	case S_IFSOCK: return "socket";
	case S_IFDIR: return "directory";
	}
	return "special file";
}

/*
 * Shared anonymous memory: "dev/zero" is the kernel's name for all of it
 * (shmem_zero_setup()), and no one else can make a file of that name on
 * that mount (a memfd's name starts "memfd:"). It holds no file content,
 * only what the process wrote, and hashing it cost a second of CPU per
 * 256 MiB mapped with one call.
 */
static bool shared_anon(const struct stat *st, const char *path)
{
	return path && st->st_nlink == 0 && mmt_fsinfo_shm_dev() &&
	       st->st_dev == mmt_fsinfo_shm_dev() &&
	       !strcmp(path, "/dev/zero (deleted)");
}

/*
 * Hands the object over for hashing (@fd, an O_PATH descriptor: the worker
 * opens it for reading, where a filesystem that does not answer holds only
 * the worker): only a regular file (opening a device can have effects: a tape
 * rewinds). @fd is taken in every case.
 */
static void open_mapped(int fd, const struct stat *st, struct mmt_map_info *mi)
{
	if (!S_ISREG(st->st_mode)) {
		snprintf(mi->open_error, sizeof(mi->open_error), "not a regular file (%s): not hashed",
			 file_type(st->st_mode));
		close(fd);
		return;
	}
	if (shared_anon(st, mi->path)) {
		snprintf(mi->open_error, sizeof(mi->open_error),
			 "shared anonymous memory: not hashed");
		close(fd);
		return;
	}
	mi->fd = fd;
}

/* The link count and the filesystem of the object (see mmt_fsinfo_get()). */
static void fs_info(pid_t pid, int fd, uint64_t mnt_id, const struct stat *st,
		    struct mmt_map_info *mi)
{
	if (mmt_fsinfo_get(pid, fd, mnt_id, st->st_dev, &mi->fs_type, &mi->fs_flags) < 0)
		return;
	mi->nlink = st->st_nlink;
	mi->have_fs = true;
}

/* Names and stats the mapped object through map_files: 0, or -errno of the link. */
static int follow_map_file(pid_t pid, const struct vma *v, const struct mmt_map_query *q,
			   struct mmt_map_info *mi)
{
	char link[MMT_PROCFS_MAP_FILE_NAME_MAX];
	uint64_t mnt_id;
	struct stat st;
	int r, fd;

	r = mmt_procfs_map_file(pid, v->m.start, v->m.end, &mi->path, &st, &fd, &mnt_id);
	if (r < 0) {
		mmt_procfs_map_file_name(pid, v->m.start, v->m.end, link, sizeof(link));
		snprintf(mi->error, sizeof(mi->error), "cannot follow %s: %s", link,
			 strerror(-r));
		return r;
	}
	set_id(mi, &st);
	/* Identified, opened and hashed all the same: only the name is missing. */
	if (!mi->path)
		snprintf(mi->error, sizeof(mi->error),
			 "the mapped file's path is longer than PATH_MAX (%d bytes): not named",
			 PATH_MAX);
	if (q->fs)
		fs_info(pid, fd, mnt_id, &st, mi);
	if (q->open)
		open_mapped(fd, &st, mi);
	else
		close(fd);
	return 0;
}

/*
 * Maps belong to the process: ask the group leader first, so one snapshot
 * serves all its threads, even those that have exited; then the thread (a
 * leader that called pthread_exit() has no mm left).
 */
static int locate(const struct mmt_map_query *q, bool fresh, pid_t *pid, struct vma *v)
{
	int r;

	*pid = q->tgid > 0 ? q->tgid : q->tid;
	if (fresh)
		snapshot_drop(*pid);
	r = find_vma(*pid, q->addr, q->ts, v);
	if (r < 0 && *pid != q->tid) {
		*pid = q->tid;
		if (fresh)
			snapshot_drop(*pid);
		r = find_vma(*pid, q->addr, q->ts, v);
	}
	return r;
}

static int set_replaced(struct mmt_map_info *mi)
{
	free(mi->path);
	mi->path = NULL;
	mi->have_id = false;
	if (mi->fd >= 0)
		close(mi->fd);
	mi->fd = -1;
	snprintf(mi->error, sizeof(mi->error),
		 "mapping replaced or changed before it could be resolved");
	return -ENOENT;
}

/*
 * The snapshot may be older than the link just followed: a range mapped
 * again since, with the same bounds and another file, would pass the offset
 * check with the old line's offset and be named after the new file. So the
 * link's inode must be the line's; if it is not, the checks use the maps as
 * they are now (where a filesystem reports other inode numbers in maps than
 * stat, as overlayfs may, that only costs a fresh read).
 */
static int check_link_fresh(const struct mmt_map_query *q, struct vma *v,
			    struct mmt_map_info *mi)
{
	struct vma now;
	pid_t pid;

	if (!v->m.ino || mi->ino == v->m.ino)
		return 0;
	if (locate(q, true, &pid, &now) < 0 || now.m.start != v->m.start ||
	    now.m.end != v->m.end)
		return set_replaced(mi);
	*v = now;
	return 0;
}

int mmt_mapfile_resolve(const struct mmt_map_query *q, struct mmt_map_info *mi)
{
	struct mmt_file_id got;
	struct vma v = { 0 };
	pid_t pid;
	int r;

	memset(mi, 0, sizeof(*mi));
	mi->fd = -1;
	r = locate(q, false, &pid, &v);
	if (r < 0) {
		set_gone(mi, r);
		return r;
	}
	/* An mprotect()ed range may be anonymous memory: that is the answer. */
	if (q->range && is_anon(&v)) {
		mi->anon = true;
		return 0;
	}
	/* Only file mappings are looked up: an anonymous VMA there came later. */
	if (is_anon(&v)) {
		snprintf(mi->error, sizeof(mi->error),
			 "mapping replaced or changed before it could be resolved");
		return -ENOENT;
	}
	r = follow_map_file(pid, &v, q, mi);
	/* The leader became a zombie since the snapshot: its threads still map. */
	if (r == -ESRCH && pid != q->tid) {
		mi->error[0] = '\0';
		pid = q->tid;
		r = follow_map_file(pid, &v, q, mi);
	}
	if (r == -ENOENT) {
		/* The VMA was split or merged since the snapshot: bounds moved. */
		r = locate(q, true, &pid, &v);
		if (r < 0) {
			set_gone(mi, r);
			return r;
		}
		mi->error[0] = '\0';
		if (q->range && is_anon(&v)) {
			mi->anon = true;
			return 0;
		}
		r = follow_map_file(pid, &v, q, mi);
	}
	if (r < 0)
		return r;
	r = check_link_fresh(q, &v, mi);
	if (r < 0)
		return r;
	/*
	 * Another mapping at the same address since the event? Its file offset
	 * gives it away; with the kprobe backend, so does the kernel's inode.
	 */
	got = (struct mmt_file_id){ .dev = mi->dev, .ino = mi->ino };
	if ((!q->range && !vma_matches(&v, q)) || (q->want && !mmt_file_id_same(q->want, &got)))
		return set_replaced(mi);
	if (q->fd >= 0)
		(void)mmt_mapfile_fd_flags(q->tgid > 0 ? q->tgid : q->tid, q->fd, q->ts, mi);
	return 0;
}

int mmt_mapfile_prot_before(pid_t pid, uint64_t addr, uint64_t ts, unsigned int *prot)
{
	struct vma v;
	int i;

	for (i = 0; i < SNAPSHOTS; i++) {
		if (snapshots[i].pid != pid || snapshots[i].taken >= ts)
			continue;
		if (!snapshot_find(&snapshots[i], addr, &v))
			return -ENOENT;
		*prot = v.m.prot;
		return 0;
	}
	return -ENOENT;
}

void mmt_mapfile_forget(pid_t pid)
{
	snapshot_drop(pid);
}

void mmt_mapfile_release(struct mmt_map_info *mi)
{
	free(mi->path);
	mi->path = NULL;
	if (mi->fd >= 0)
		close(mi->fd);
	mi->fd = -1;
}
