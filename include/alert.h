/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Alerts: what makes an executable mapping, or an mprotect() that makes
 * memory executable, look like the work of a loader that hides its code
 * (Tracee's mem_prot_alert, Kunai's advice to watch mprotect): memory that
 * is writable and executable at once, anonymous memory made executable,
 * code run from a memfd, a deleted file, a tmpfs or a noexec mount, or by a
 * process whose executable is deleted.
 */
#ifndef MMT_ALERT_H
#define MMT_ALERT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "mapfile.h"

/* One bit per alert, in the order records list them. */
enum {
	MMT_ALERT_WRITE_EXEC	= 1u << 0,	/* writable and executable at once */
	MMT_ALERT_ANON_EXEC	= 1u << 1,	/* anonymous memory made executable */
	MMT_ALERT_MEMFD_EXEC	= 1u << 2,	/* an executable memfd mapping */
	MMT_ALERT_DELETED_EXEC	= 1u << 3,	/* an executable mapping of a deleted file */
	MMT_ALERT_TMPFS_EXEC	= 1u << 4,	/* ... of a file on a tmpfs or ramfs */
	MMT_ALERT_NOEXEC_EXEC	= 1u << 5,	/* ... of a file on a noexec mount */
	MMT_ALERT_EXE_DELETED	= 1u << 6,	/* executable memory in a process whose exe is deleted */
	MMT_ALERT_ALL		= (1u << 7) - 1,
};

/**
 * mmt_alert_name() - the name records and -e use for one alert
 * @bit: one MMT_ALERT_* bit
 * Return: a string literal, e.g. "write_exec"; NULL for anything else.
 */
const char *mmt_alert_name(unsigned int bit);

/**
 * mmt_alert_parse() - the bit of an alert name
 * @name: e.g. "memfd_exec"
 * Return: its MMT_ALERT_* bit, or 0 if @name is no alert.
 */
unsigned int mmt_alert_parse(const char *name);

/**
 * mmt_alert_memory() - the alerts of executable memory, from what backs it
 * @prot: the PROT_* bits the memory has now (nothing without PROT_EXEC)
 * @anon: the memory is anonymous (MAP_ANONYMOUS, or a VMA without a file)
 * @mi: the file behind it, resolved with query.fs; NULL or without have_fs
 *	when it is not known (then only what @prot and @anon say is used)
 *
 * Shared anonymous memory and System V shared memory are files of the kernel's
 * internal tmpfs ("/dev/zero (deleted)", "/SYSV..."): they count as anonymous,
 * not as deleted files on a tmpfs. A memfd is only memfd_exec.
 * Return: MMT_ALERT_* bits, without MMT_ALERT_EXE_DELETED.
 */
unsigned int mmt_alert_memory(uint64_t prot, bool anon, const struct mmt_map_info *mi);

/**
 * mmt_alert_exe_deleted() - whether the executable of process @pid is deleted
 * @pid: the process (thread group id)
 *
 * Looks at /proc/PID/exe when called: its link count is 0 once the file is
 * deleted (the " (deleted)" of its name could be part of a real name).
 * Return: true if deleted; false if not, or if it cannot be told (process gone).
 */
bool mmt_alert_exe_deleted(pid_t pid);

#endif /* MMT_ALERT_H */
