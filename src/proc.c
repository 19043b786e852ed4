// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The maps line gives the VMA's bounds; map_files/START-END, a magic link,
 * then names and stats the very file object the kernel mapped, where the
 * path in maps is only text (and, for a file renamed over, the wrong file).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "proc.h"

struct vma {
	uint64_t start, end, ino;
	unsigned int major, minor;
};

/* Returns 0 with @v set, -ENOENT when no VMA holds @addr, -errno when unreadable. */
static int find_vma(pid_t tid, uint64_t addr, struct vma *v)
{
	char path[64], line[512];
	int r = -ENOENT;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/maps", (int)tid);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		unsigned long long start, end, off, ino;
		unsigned int maj, min;
		size_t n = strlen(line);
		int c;

		/* Only the head of a line matters: skip the rest of a long path. */
		if (n && line[n - 1] != '\n')
			while ((c = getc(f)) != EOF && c != '\n')
				;
		if (sscanf(line, "%llx-%llx %*4s %llx %x:%x %llu", &start, &end, &off, &maj, &min,
			   &ino) != 6)
			continue;
		if (addr >= start && addr < end) {
			v->start = start;
			v->end = end;
			v->ino = ino;
			v->major = maj;
			v->minor = min;
			r = 0;
			break;
		}
	}
	fclose(f);
	return r;
}

static char *readlink_alloc(const char *link)
{
	char buf[PATH_MAX + 32];
	ssize_t n = readlink(link, buf, sizeof(buf) - 1);

	if (n < 0)
		return NULL;
	buf[n] = '\0';
	return strdup(buf);
}

static void set_id(struct mmt_map_info *mi, const struct stat *st)
{
	mi->have_id = true;
	mi->dev = st->st_dev;
	mi->ino = st->st_ino;
	mi->ctime_sec = st->st_ctim.tv_sec;
	mi->ctime_nsec = st->st_ctim.tv_nsec;
}

/* Open flags of @fd, but only while @fd still is the mapped file. */
static void fd_flags(pid_t tid, int64_t fd, struct mmt_map_info *mi)
{
	char path[64], line[128];
	struct stat st;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/fd/%" PRId64, (int)tid, fd);
	if (stat(path, &st) < 0 || st.st_dev != mi->dev || st.st_ino != mi->ino)
		return;
	snprintf(path, sizeof(path), "/proc/%d/fdinfo/%" PRId64, (int)tid, fd);
	f = fopen(path, "re");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		unsigned int flags;

		if (sscanf(line, "flags: %o", &flags) == 1) {
			mi->f_flags = flags;
			mi->have_fflags = true;
			break;
		}
	}
	fclose(f);
}

static int resolve_by_fd(pid_t tid, int64_t fd, struct mmt_map_info *mi, int vma_err)
{
	char link[64];
	struct stat st;

	snprintf(link, sizeof(link), "/proc/%d/fd/%" PRId64, (int)tid, fd);
	mi->path = readlink_alloc(link);
	if (!mi->path || stat(link, &st) < 0) {
		snprintf(mi->error, sizeof(mi->error),
			 vma_err == -ENOENT ? "mapping gone and fd %" PRId64 " closed before it could be resolved"
					    : "process gone before its mapping could be resolved (fd %" PRId64 ")",
			 fd);
		free(mi->path);
		mi->path = NULL;
		return -ENOENT;
	}
	set_id(mi, &st);
	snprintf(mi->error, sizeof(mi->error),
		 "mapping gone before it could be resolved: file taken from fd %" PRId64
		 ", which may have been reused", fd);
	fd_flags(tid, fd, mi);
	return 0;
}

int mmt_proc_resolve(pid_t tid, uint64_t addr, int64_t fd, struct mmt_map_info *mi)
{
	char link[96];
	struct stat st;
	struct vma v = { 0 };
	int r;

	memset(mi, 0, sizeof(*mi));
	r = find_vma(tid, addr, &v);
	if (r < 0) {
		if (fd >= 0)
			return resolve_by_fd(tid, fd, mi, r);
		snprintf(mi->error, sizeof(mi->error), r == -ENOENT ?
			 "mapping gone before it could be resolved" :
			 "process gone before its mapping could be resolved");
		return r;
	}
	if (!v.ino && !v.major && !v.minor) {
		mi->anon = true;
		return 0;
	}
	snprintf(link, sizeof(link), "/proc/%d/map_files/%" PRIx64 "-%" PRIx64, (int)tid,
		 v.start, v.end);
	mi->path = readlink_alloc(link);
	if (!mi->path || stat(link, &st) < 0) {
		snprintf(mi->error, sizeof(mi->error), "cannot follow %s: %s", link,
			 strerror(errno));
		return 0;
	}
	set_id(mi, &st);
	if (fd >= 0)
		fd_flags(tid, fd, mi);
	return 0;
}

void mmt_proc_map_info_release(struct mmt_map_info *mi)
{
	free(mi->path);
	mi->path = NULL;
}

int mmt_proc_thread(pid_t tid, pid_t *tgid, char comm[16])
{
	char path[64], buf[512];
	const char *open_paren, *close_paren;
	ssize_t n;
	size_t len;
	int fd, r = 0;
	FILE *f;

	*tgid = 0;
	comm[0] = '\0';
	/* stat, not status: status escapes the name, stat has the raw bytes. */
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)tid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	r = n < 0 ? -errno : 0;
	close(fd);
	if (r < 0)
		return r;
	buf[n] = '\0';
	open_paren = strchr(buf, '(');
	close_paren = strrchr(buf, ')');
	if (open_paren && close_paren > open_paren) {
		len = (size_t)(close_paren - open_paren - 1);
		if (len > 15)
			len = 15;
		memcpy(comm, open_paren + 1, len);
		comm[len] = '\0';
	}
	snprintf(path, sizeof(path), "/proc/%d/status", (int)tid);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgets(buf, sizeof(buf), f))
		if (sscanf(buf, "Tgid: %d", tgid) == 1)
			break;
	fclose(f);
	return 0;
}
