// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The alerts are decided from facts the kernel gives about the object that
 * is mapped (link count, filesystem type and mount flags, through
 * /proc/PID/map_files), never from the text of its path alone: a file may be
 * named "memfd:x" or "x (deleted)" on purpose.
 */
#include <string.h>
#include <sys/mman.h>
#include <sys/statvfs.h>

#include "alert.h"
#include "fsinfo.h"
#include "procfs.h"

static const char *const names[] = {
	"write_exec", "anon_exec", "memfd_exec", "deleted_exec", "tmpfs_exec", "noexec_exec",
	"exe_deleted",
};

const char *mmt_alert_name(unsigned int bit)
{
	unsigned int i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (bit == 1u << i)
			return names[i];
	return NULL;
}

unsigned int mmt_alert_parse(const char *name)
{
	unsigned int i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(name, names[i]))
			return 1u << i;
	return 0;
}

static bool starts_with(const char *s, const char *prefix)
{
	return s && !strncmp(s, prefix, strlen(prefix));
}

/* shmem objects with no name: MAP_SHARED|MAP_ANONYMOUS memory and SysV segments. */
static bool shmem_anon(const struct mmt_map_info *mi)
{
	return mi->path && mi->fs_type == TMPFS_MAGIC && mi->nlink == 0 &&
	       (!strcmp(mi->path, "/dev/zero (deleted)") || starts_with(mi->path, "/SYSV"));
}

/* memfd_create() files live on the kernel's internal tmpfs (or hugetlbfs), unlinked. */
static bool memfd(const struct mmt_map_info *mi)
{
	return mi->path && (mi->fs_type == TMPFS_MAGIC || mi->fs_type == HUGETLBFS_MAGIC) &&
	       mi->nlink == 0 && starts_with(mi->path, "/memfd:");
}

unsigned int mmt_alert_memory(uint64_t prot, bool anon, const struct mmt_map_info *mi)
{
	unsigned int a = 0;

	if (!(prot & PROT_EXEC))
		return 0;
	if (prot & PROT_WRITE)
		a |= MMT_ALERT_WRITE_EXEC;
	if (!anon && mi && mi->have_fs && shmem_anon(mi))
		anon = true;
	if (anon)
		return a | MMT_ALERT_ANON_EXEC;
	/* A file known by its identity alone (a path past PATH_MAX) still has its alerts. */
	if (!mi || !mi->have_fs || (!mi->path && !mi->have_id))
		return a;
	if (memfd(mi))
		return a | MMT_ALERT_MEMFD_EXEC;
	if (mi->nlink == 0)
		a |= MMT_ALERT_DELETED_EXEC;
	if (mi->fs_type == TMPFS_MAGIC || mi->fs_type == RAMFS_MAGIC)
		a |= MMT_ALERT_TMPFS_EXEC;
	/* The kernel refuses PROT_EXEC there: seen only after a remount with noexec. */
	if (mi->fs_flags & ST_NOEXEC)
		a |= MMT_ALERT_NOEXEC_EXEC;
	return a;
}

bool mmt_alert_exe_deleted(pid_t pid)
{
	bool deleted;

	return mmt_procfs_exe(pid, NULL, &deleted) == 0 && deleted;
}
