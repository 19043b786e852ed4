// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A small cache of mounts by id, filled from /proc/self/mountinfo, then the
 * mapping process's own (a container's mounts are in its namespace only).
 * mountinfo is what the kernel holds: reading it asks no filesystem.
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "clock.h"
#include "fsinfo.h"
#include "procfs.h"

#define SLOTS		64
#define FRESH_NS	1000000000ULL

struct slot {
	uint64_t id, dev;
	uint64_t fs_type, fs_flags;
	uint64_t taken;		/* CLOCK_MONOTONIC ns; 0: empty */
};

static struct slot slots[SLOTS];

/* The types the alerts tell apart, by mountinfo's name; devtmpfs is shmem too. */
static uint64_t type_of(const char *name)
{
	if (!strcmp(name, "tmpfs") || !strcmp(name, "devtmpfs"))
		return TMPFS_MAGIC;
	if (!strcmp(name, "ramfs"))
		return RAMFS_MAGIC;
	if (!strcmp(name, "hugetlbfs"))
		return HUGETLBFS_MAGIC;
	return 0;
}

struct search {
	uint64_t id, dev;
	bool found;
	struct slot *out;
};

static int match(const struct mmt_procfs_mount *m, void *ctx)
{
	struct search *s = ctx;

	if (m->id != s->id || m->dev != s->dev)
		return 0;
	s->found = true;
	s->out->fs_type = type_of(m->fstype);
	s->out->fs_flags = m->flags;
	return -1;	/* stop: found */
}

static dev_t memfd_dev(unsigned int flags)
{
	struct stat st;
	dev_t dev = 0;
	int fd;

	fd = memfd_create("mmaptrace-shm", MFD_CLOEXEC | flags);
	if (fd < 0)
		return 0;
	if (fstat(fd, &st) == 0)
		dev = st.st_dev;
	close(fd);
	return dev;
}

dev_t mmt_fsinfo_shm_dev(void)
{
	static dev_t dev;
	static bool known;

	if (!known) {
		known = true;
		dev = memfd_dev(0);
	}
	return dev;
}

/* The internal hugetlbfs mount of the default huge page size, 0 if none. */
static dev_t huge_dev(void)
{
	static dev_t dev;
	static bool known;

	if (!known) {
		known = true;
		dev = memfd_dev(MFD_HUGETLB);
	}
	return dev;
}

static void learn(pid_t pid, struct slot *e)
{
	struct search s = { .id = e->id, .dev = e->dev, .out = e };

	(void)mmt_procfs_mounts(0, match, &s);
	if (!s.found && pid > 0)
		(void)mmt_procfs_mounts(pid, match, &s);
	if (s.found)
		return;
	e->fs_flags = 0;
	if (e->dev && e->dev == mmt_fsinfo_shm_dev())
		e->fs_type = TMPFS_MAGIC;
	else if (e->dev && e->dev == huge_dev())
		e->fs_type = HUGETLBFS_MAGIC;
	else
		e->fs_type = 0;
}

int mmt_fsinfo_get(pid_t pid, int fd, uint64_t mnt_id, uint64_t dev, uint64_t *fs_type,
		   uint64_t *fs_flags)
{
	uint64_t now = mmt_mono_ns();
	struct slot *e, *oldest = &slots[0];
	struct statfs sfs;
	int i;

	if (!mnt_id) {
		/* No mount id before Linux 5.8: a statfs(), which a hung server holds. */
		if (fstatfs(fd, &sfs) < 0)
			return -errno;
		*fs_type = (uint64_t)sfs.f_type;
		*fs_flags = (uint64_t)sfs.f_flags;
		return 0;
	}
	for (i = 0; i < SLOTS; i++) {
		e = &slots[i];
		if (e->taken && e->id == mnt_id && e->dev == dev && now - e->taken < FRESH_NS)
			goto out;
		if (e->taken < oldest->taken)
			oldest = e;
	}
	e = oldest;
	e->id = mnt_id;
	e->dev = dev;
	e->taken = now;
	learn(pid, e);
out:
	*fs_type = e->fs_type;
	*fs_flags = e->fs_flags;
	return 0;
}
