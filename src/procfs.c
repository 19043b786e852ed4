// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Every /proc file the tool reads, opened, read and parsed in one place: a
 * name with ") (" in it, a seq_file handed over in several reads, a task that
 * goes between the open and the read are handled once, here.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "procfs.h"

/* /proc/PID/stat is ~300 bytes; a kworker's comm can reach 64 bytes in it */
#define STAT_BUF_SIZE		1024
/* Tgid, Uid and Gid are in the first ~10 lines of status; the rest is not needed */
#define STATUS_BUF_SIZE		2048
/* d_path() fails past a page, so an exe link is shorter than this */
#define LINK_MAX_SIZE		(64 * 1024)
#define BOOT_ID_PATH		"/proc/sys/kernel/random/boot_id"

/*
 * Every open, stat, readlink or statfs of a /proc path, by kind: the cost
 * the traced processes pay (a maps read or a map_files lookup takes their
 * mmap lock) and what the kernel's own records are meant to make rare.
 * Relaxed atomics: a count, not a synchronisation.
 */
static uint64_t reads[MMT_PROCFS_NKINDS];

static const char *const kind_names[MMT_PROCFS_NKINDS] = {
	[MMT_PROCFS_STAT] = "stat",
	[MMT_PROCFS_STATUS] = "status",
	[MMT_PROCFS_CMDLINE] = "cmdline",
	[MMT_PROCFS_EXE] = "exe",
	[MMT_PROCFS_NS] = "ns",
	[MMT_PROCFS_CGROUP] = "cgroup",
	[MMT_PROCFS_FD] = "fd",
	[MMT_PROCFS_TASK] = "task",
	[MMT_PROCFS_MAPS] = "maps",
	[MMT_PROCFS_MAP_FILES] = "map_files",
	[MMT_PROCFS_MOUNTINFO] = "mountinfo",
	[MMT_PROCFS_SELF] = "self",
};

static void count(enum mmt_procfs_kind k)
{
	__atomic_fetch_add(&reads[k], 1, __ATOMIC_RELAXED);
}

uint64_t mmt_procfs_reads(struct mmt_procfs_reads *out)
{
	uint64_t total = 0;
	int k;

	for (k = 0; k < MMT_PROCFS_NKINDS; k++) {
		uint64_t v = __atomic_load_n(&reads[k], __ATOMIC_RELAXED);

		if (out)
			out->n[k] = v;
		if (k != MMT_PROCFS_SELF)
			total += v;
	}
	return total;
}

const char *mmt_procfs_kind_name(enum mmt_procfs_kind k)
{
	return k < MMT_PROCFS_NKINDS ? kind_names[k] : "?";
}

/*
 * Opens a /proc file for reading. O_NONBLOCK: an unprivileged process may
 * hold a write lease on its own /proc/self files (measured: cmdline, maps,
 * stat, status, environ); a plain open then waits the lease-break time
 * (/proc/sys/fs/lease-break-time, 45 s), a non-blocking one fails at once
 * with EWOULDBLOCK. Return: a descriptor, or -1 with errno.
 */
static int open_proc(const char *path)
{
	return open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
}

/* open_proc() as a stdio stream: NULL with errno. */
static FILE *fopen_proc(const char *path)
{
	int fd = open_proc(path), err;
	FILE *f;

	if (fd < 0)
		return NULL;
	f = fdopen(fd, "r");
	if (!f) {
		err = errno;
		close(fd);
		errno = err;
	}
	return f;
}

/*
 * Read up to size - 1 bytes of a /proc file and NUL-terminate. A seq_file may hand
 * its contents over in several reads, so read until EOF or the buffer is full.
 * Return: length, or -errno.
 */
static ssize_t read_small(const char *path, char *buf, size_t size)
{
	size_t len = 0;
	ssize_t n;
	int fd, err;

	fd = open_proc(path);
	if (fd < 0)
		return -errno;
	while (len < size - 1) {
		n = read(fd, buf + len, size - 1 - len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			err = -errno;
			close(fd);
			return err;
		}
		if (n == 0)
			break;
		len += n;
	}
	buf[len] = '\0';
	close(fd);
	return len;
}

/* Return: 0 with *out (to be freed), or -errno */
static int read_link(const char *path, char **out)
{
	size_t size = 256;
	char *buf, *tmp;
	ssize_t n;

	buf = malloc(size);
	if (!buf)
		return -ENOMEM;
	for (;;) {
		n = readlink(path, buf, size);
		if (n < 0) {
			int err = -errno;

			free(buf);
			return err;
		}
		/* readlink() truncates silently: only a short result is known complete */
		if ((size_t)n < size)
			break;
		if (size >= LINK_MAX_SIZE) {
			free(buf);
			return -ENAMETOOLONG;
		}
		size *= 2;
		tmp = realloc(buf, size);
		if (!tmp) {
			free(buf);
			return -ENOMEM;
		}
		buf = tmp;
	}
	buf[n] = '\0';
	*out = buf;
	return 0;
}

/*
 * comm is printed raw between '(' and ')' and may itself contain ") (", so the
 * fields after it start at the LAST ')' of the line.
 */
static int parse_stat(const char *buf, size_t len, struct mmt_procfs_stat *st)
{
	const char *lp, *rp;
	size_t clen;
	int n;

	lp = memchr(buf, '(', len);
	rp = memrchr(buf, ')', len);
	if (!lp || !rp || rp < lp)
		return -EPROTO;
	clen = rp - lp - 1;
	if (clen > MMT_PROCFS_COMM_LEN - 1)
		clen = MMT_PROCFS_COMM_LEN - 1;
	memcpy(st->comm, lp + 1, clen);
	st->comm[clen] = '\0';

	/* fields 3 (state), 4 (ppid), 9 (flags), 22 (starttime); see proc_pid_stat(5) */
	n = sscanf(rp + 1, " %c %d %*d %*d %*d %*d %u %*u %*u %*u %*u %*u %*u"
		   " %*d %*d %*d %*d %*d %*d %llu",
		   &st->state, &st->ppid, &st->flags, &st->start_time);
	if (n != 4)
		return -EPROTO;
	return 0;
}

int mmt_procfs_stat(pid_t pid, struct mmt_procfs_stat *st)
{
	char path[64], buf[STAT_BUF_SIZE];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	count(MMT_PROCFS_STAT);
	n = read_small(path, buf, sizeof(buf));
	if (n < 0)
		return (int)n;
	/* A task's stat is never empty: a read of nothing is one reaped under us. */
	if (n == 0)
		return -ESRCH;
	return parse_stat(buf, (size_t)n, st);
}

uint64_t mmt_procfs_start_mono(unsigned long long ticks)
{
	struct timespec boot, now;

	clock_gettime(CLOCK_BOOTTIME, &boot);
	clock_gettime(CLOCK_MONOTONIC, &now);
	return ticks * (1000000000ULL / (uint64_t)sysconf(_SC_CLK_TCK)) -
	       (((uint64_t)boot.tv_sec - (uint64_t)now.tv_sec) * 1000000000ULL +
		(uint64_t)boot.tv_nsec - (uint64_t)now.tv_nsec);
}

/* status, unlike stat, escapes comm ("Name:"), so it can be read line by line */
int mmt_procfs_status(pid_t pid, struct mmt_procfs_status *st)
{
	char path[64], buf[STATUS_BUF_SIZE];
	const char *line, *next;
	ssize_t n;

	memset(st, 0, sizeof(*st));
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	count(MMT_PROCFS_STATUS);
	n = read_small(path, buf, sizeof(buf));
	if (n < 0)
		return (int)n;
	for (line = buf; line; line = next) {
		unsigned int a, b;
		int v;

		next = strchr(line, '\n');
		if (next)
			next++;
		if (sscanf(line, "Tgid: %d", &v) == 1) {
			st->tgid = v;
			st->have_tgid = true;
		} else if (sscanf(line, "Uid: %u %u", &a, &b) == 2) {
			st->uid = a;
			st->euid = b;
			st->have_uid = true;
		} else if (sscanf(line, "Gid: %u %u", &a, &b) == 2) {
			st->gid = a;
			st->egid = b;
			st->have_gid = true;
			break;	/* the last line wanted */
		}
	}
	return st->have_tgid && st->have_uid && st->have_gid ? 0 : -EPROTO;
}

int mmt_procfs_cmdline(pid_t pid, size_t cap, char **out, size_t *len, bool *truncated)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
	count(MMT_PROCFS_CMDLINE);
	return mmt_read_file(path, cap, out, len, truncated);
}

int mmt_procfs_exe(pid_t pid, char **path, bool *deleted)
{
	char link[64];
	struct stat st;
	int r;

	snprintf(link, sizeof(link), "/proc/%d/exe", (int)pid);
	if (deleted) {
		count(MMT_PROCFS_EXE);
		r = mmt_file_stat_cached(AT_FDCWD, link, &st, NULL);
		if (r < 0)
			return r;
		*deleted = st.st_nlink == 0;
	}
	if (path) {
		count(MMT_PROCFS_EXE);
		r = read_link(link, path);
		if (r < 0)
			return r;
	}
	return 0;
}

int mmt_procfs_cgroup(pid_t pid, char **out)
{
	char path[64];
	size_t len;
	bool cut;

	snprintf(path, sizeof(path), "/proc/%d/cgroup", (int)pid);
	count(MMT_PROCFS_CGROUP);
	return mmt_read_file(path, 64 * 1024, out, &len, &cut);
}

int mmt_procfs_mnt_ns(pid_t pid, unsigned long long *ino)
{
	char path[64];
	struct stat st;

	snprintf(path, sizeof(path), "/proc/%d/ns/mnt", (int)pid);
	count(MMT_PROCFS_NS);
	if (stat(path, &st) < 0)
		return -errno;
	*ino = st.st_ino;
	return 0;
}

int mmt_procfs_fd_flags(pid_t pid, int64_t fd, const struct mmt_file_id *want,
			unsigned int *flags)
{
	char path[64], line[128];
	struct stat st;
	int r = -ENOENT;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/fd/%" PRId64, (int)pid, fd);
	count(MMT_PROCFS_FD);
	/* What the kernel holds: the fd's file may be on a filesystem that does not answer. */
	r = mmt_file_stat_cached(AT_FDCWD, path, &st, NULL);
	if (r < 0)
		return r;
	r = -ENOENT;
	if (st.st_dev != want->dev || st.st_ino != want->ino)
		return -ESTALE;
	snprintf(path, sizeof(path), "/proc/%d/fdinfo/%" PRId64, (int)pid, fd);
	count(MMT_PROCFS_FD);
	f = fopen_proc(path);
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "flags: %o", flags) == 1) {
			r = 0;
			break;
		}
	}
	fclose(f);
	return r;
}

int mmt_procfs_threads(pid_t pid, pid_t **tids, size_t *n)
{
	size_t used = 0, cap = 0;
	pid_t *v = NULL, *nv;
	struct dirent *de;
	char path[64];
	int r = 0;
	DIR *dir;

	if (pid)
		snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	else
		snprintf(path, sizeof(path), "/proc/self/task");
	count(MMT_PROCFS_TASK);
	dir = opendir(path);
	if (!dir)
		return -errno;
	for (;;) {
		errno = 0;
		de = readdir(dir);
		if (!de) {
			r = -errno;
			break;
		}
		if (de->d_name[0] == '.')
			continue;
		if (used == cap) {
			cap = cap ? cap * 2 : 16;
			nv = realloc(v, cap * sizeof(*v));
			if (!nv) {
				r = -ENOMEM;
				break;
			}
			v = nv;
		}
		v[used++] = (pid_t)atoi(de->d_name);
	}
	closedir(dir);
	if (r < 0) {
		free(v);
		return r;
	}
	*tids = v;
	*n = used;
	return 0;
}

/* "start-end perms offset maj:min inode ..." -> @v; false for a malformed line. */
static bool parse_maps_line(char *line, struct mmt_procfs_vma *v)
{
	char *p = line;

	v->start = strtoull(p, &p, 16);
	if (*p++ != '-')
		return false;
	v->end = strtoull(p, &p, 16);
	if (strlen(p) < 5)
		return false;
	v->prot = (p[1] == 'r' ? PROT_READ : 0) | (p[2] == 'w' ? PROT_WRITE : 0) |
		  (p[3] == 'x' ? PROT_EXEC : 0);
	p = strchr(p + 1, ' ');			/* perms */
	if (!p)
		return false;
	v->pgoff = strtoull(p + 1, &p, 16) / (uint64_t)sysconf(_SC_PAGESIZE);
	v->major = (unsigned int)strtoul(p + 1, &p, 16);
	if (*p++ != ':')
		return false;
	v->minor = (unsigned int)strtoul(p, &p, 16);
	v->ino = strtoull(p + 1, &p, 10);
	return true;
}

int mmt_procfs_maps(pid_t pid, int (*fn)(const struct mmt_procfs_vma *v, void *ctx),
		    void *ctx)
{
	char path[64], *line = NULL;
	struct mmt_procfs_vma v;
	size_t size = 0;
	int r = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	count(MMT_PROCFS_MAPS);
	f = fopen_proc(path);
	if (!f)
		return -errno;
	while (!r && getline(&line, &size, f) > 0)
		if (parse_maps_line(line, &v))
			r = fn(&v, ctx);
	free(line);
	fclose(f);
	return r;
}

void mmt_procfs_map_file_name(pid_t pid, uint64_t start, uint64_t end, char *buf,
			      size_t size)
{
	snprintf(buf, size, "/proc/%d/map_files/%" PRIx64 "-%" PRIx64, (int)pid, start, end);
}

int mmt_procfs_map_file(pid_t pid, uint64_t start, uint64_t end, char **path,
			struct stat *st, int *fd, uint64_t *mnt_id)
{
	char link[MMT_PROCFS_MAP_FILE_NAME_MAX];
	int r;

	*path = NULL;
	*fd = -1;
	mmt_procfs_map_file_name(pid, start, end, link, sizeof(link));
	count(MMT_PROCFS_MAP_FILES);
	r = read_link(link, path);
	/* A name past PATH_MAX cannot be read, but the link still leads to the file. */
	if (r < 0 && r != -ENAMETOOLONG)
		return r;
	/*
	 * O_PATH: the open neither calls the filesystem's open nor breaks a
	 * lease, and the magic link jumps to the mapped file's dentry without
	 * a lookup; its stat comes from what the kernel holds.
	 */
	count(MMT_PROCFS_MAP_FILES);
	*fd = open(link, O_PATH | O_CLOEXEC);
	if (*fd < 0) {
		r = -errno;
	} else {
		r = mmt_file_stat_cached(*fd, NULL, st, mnt_id);
		if (r < 0) {
			close(*fd);
			*fd = -1;
		}
	}
	if (r < 0) {
		free(*path);
		*path = NULL;
	}
	return r;
}

/* The ST_* flags of a mount's own options ("rw,nosuid,nodev,noexec,relatime"). */
static uint64_t mount_flags(char *opts)
{
	static const struct {
		const char *name;
		uint64_t flag;
	} known[] = {
		{ "ro", ST_RDONLY }, { "nosuid", ST_NOSUID }, { "nodev", ST_NODEV },
		{ "noexec", ST_NOEXEC },
	};
	uint64_t flags = 0;
	char *save, *o;
	size_t i;

	for (o = strtok_r(opts, ",", &save); o; o = strtok_r(NULL, ",", &save))
		for (i = 0; i < sizeof(known) / sizeof(known[0]); i++)
			if (!strcmp(o, known[i].name))
				flags |= known[i].flag;
	return flags;
}

/*
 * "36 35 98:0 /mnt1 /mnt/parent rw,noatime master:1 - ext3 /dev/root rw": the
 * optional fields end at " - ". Return: 0, or -EPROTO for a line not so made.
 */
static int parse_mount(char *line, struct mmt_procfs_mount *m)
{
	unsigned int major, minor;
	unsigned long long id;
	char opts[256], *sep;

	memset(m, 0, sizeof(*m));
	if (sscanf(line, "%llu %*u %u:%u %*s %*s %255s", &id, &major, &minor, opts) != 4)
		return -EPROTO;
	sep = strstr(line, " - ");
	if (!sep || sscanf(sep + 3, "%31s", m->fstype) != 1)
		return -EPROTO;
	m->id = id;
	m->dev = makedev(major, minor);
	m->flags = mount_flags(opts);
	return 0;
}

int mmt_procfs_mounts(pid_t pid, int (*cb)(const struct mmt_procfs_mount *m, void *ctx),
		      void *ctx)
{
	struct mmt_procfs_mount m;
	char path[64], *line = NULL;
	size_t cap = 0;
	int r = 0;
	FILE *f;

	if (pid > 0) {
		snprintf(path, sizeof(path), "/proc/%d/mountinfo", (int)pid);
		count(MMT_PROCFS_MOUNTINFO);
	} else {
		snprintf(path, sizeof(path), "/proc/self/mountinfo");
		count(MMT_PROCFS_SELF);
	}
	f = fopen_proc(path);
	if (!f)
		return -errno;
	while (getline(&line, &cap, f) > 0) {
		if (parse_mount(line, &m) < 0)
			continue;
		r = cb(&m, ctx);
		if (r < 0)
			break;
	}
	if (!r && ferror(f))
		r = -EIO;
	free(line);
	fclose(f);
	return r;
}

int mmt_procfs_boot_id(uint64_t *hi, uint64_t *lo)
{
	uint64_t v[2] = { 0, 0 };
	int digits = 0;
	char buf[64];
	ssize_t n;

	count(MMT_PROCFS_SELF);
	n = read_small(BOOT_ID_PATH, buf, sizeof(buf));
	if (n < 0)
		return (int)n;
	for (char *p = buf; *p && digits < 32; p++) {
		int d;

		if (*p >= '0' && *p <= '9')
			d = *p - '0';
		else if (*p >= 'a' && *p <= 'f')
			d = *p - 'a' + 10;
		else
			continue;
		v[digits / 16] = v[digits / 16] << 4 | d;
		digits++;
	}
	if (digits != 32)
		return -EPROTO;
	*hi = v[0];
	*lo = v[1];
	return 0;
}

uint64_t mmt_procfs_self_rss_kb(void)
{
	unsigned long long size, resident = 0;
	FILE *f;

	count(MMT_PROCFS_SELF);
	f = fopen("/proc/self/statm", "re");
	if (!f)
		return 0;
	if (fscanf(f, "%llu %llu", &size, &resident) != 2)
		resident = 0;
	fclose(f);
	return resident * (uint64_t)sysconf(_SC_PAGESIZE) / 1024;
}
