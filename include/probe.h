/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Kernel-side setup: tracefs mount, the tool's own instance, the events of
 * the chosen backend, pid scoping, and the removal of all of it.
 */
#ifndef MMT_PROBE_H
#define MMT_PROBE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "event.h"

struct tracefs_instance;
struct mmt_probe;

/* Instance names are MMT_INSTANCE_PREFIX + pid; lock files live in MMT_LOCK_DIR. */
#define MMT_INSTANCE_PREFIX	"mmaptrace-"
#define MMT_LOCK_DIR		"/run/mmaptrace"
/* Kernel buffer for all CPUs together unless --buffer-size says otherwise. */
#define MMT_BUFFER_BUDGET_KB	(32 * 1024)

enum mmt_backend {
	MMT_BACKEND_AUTO = 0,
	MMT_BACKEND_KPROBE,
	MMT_BACKEND_TRACEPOINT,
};

struct mmt_probe_opts {
	enum mmt_backend backend;
	bool follow;		/* -f: the kernel adds children to the pid filter */
	bool all;		/* -a: no pid filter */
	bool quiet;		/* -q: no notice of the kprobe layout used */
	bool mprotect;		/* also the mprotect events (mprotect_exec) */
	unsigned int buffer_kb;	/* per-CPU buffer size; 0: MMT_BUFFER_BUDGET_KB / CPUs */
	const char *const *comms;	/* --comm: only these task names (kernel filter) */
	size_t ncomms;
};

/* An event the instance delivers, and what it means for the pairing. */
struct mmt_probe_event {
	const char *system;
	const char *name;
	enum mmt_event_role role;
	const char *filter;	/* written to the event's filter in the instance, or NULL */
};

/**
 * mmt_probe_mount() - make sure tracefs is mounted at /sys/kernel/tracing
 * @mounted: set to true if this call mounted it (so the caller unmounts it)
 *
 * Must run before any libtracefs call, which caches the tracing directory.
 * Return: 0, or -errno (-ENODEV: the kernel has no tracefs).
 */
int mmt_probe_mount(bool *mounted);

/**
 * mmt_probe_unmount() - unmount tracefs if mmt_probe_mount() mounted it
 * @mounted: the value mmt_probe_mount() returned in its argument
 *
 * Leaves it mounted when another user still has it busy.
 */
void mmt_probe_unmount(bool mounted);

/**
 * mmt_probe_sweep_stale() - remove instances (and probes) left by crashed runs
 *
 * A run is stale when nobody holds the flock on its lock file. Live runs and
 * other tools' instances are never touched.
 * Return: the number of stale runs removed, or -errno.
 */
int mmt_probe_sweep_stale(void);

/**
 * mmt_probe_open() - create the instance and configure it, events still off
 * @opts: backend and scoping
 *
 * Takes the lock file first, so a concurrent sweep never removes this run.
 * On failure nothing is left behind; a message has been printed.
 * Return: the probe, to be released with mmt_probe_close(); NULL + errno.
 */
struct mmt_probe *mmt_probe_open(const struct mmt_probe_opts *opts);

/**
 * mmt_probe_add_pid() - trace this thread (before or after mmt_probe_enable())
 * @probe: the probe
 * @tid: thread id, as set_event_pid takes it
 * Return: 0 or -errno (-ESRCH: no such thread).
 */
int mmt_probe_add_pid(struct mmt_probe *probe, pid_t tid);

/**
 * mmt_probe_enable() - switch the backend's events on in the instance
 * @probe: the probe
 * Return: 0 or -errno.
 */
int mmt_probe_enable(struct mmt_probe *probe);

/**
 * mmt_probe_stop_entries() - switch off the call entries only, so that the
 * calls under way still record their returns before mmt_probe_disable()
 */
void mmt_probe_stop_entries(struct mmt_probe *probe);

/**
 * mmt_probe_disable() - switch the events off (the buffers stay readable)
 * @probe: the probe
 */
void mmt_probe_disable(struct mmt_probe *probe);

/**
 * mmt_probe_pids_left() - how many threads the kernel's pid filter still holds
 * @probe: the probe (with follow set: the kernel drops exiting threads)
 * Return: the count, or -errno.
 */
int mmt_probe_pids_left(struct mmt_probe *probe);

/**
 * mmt_probe_close() - disable, remove the instance and the lock; NULL is fine
 * @probe: the probe
 */
void mmt_probe_close(struct mmt_probe *probe);

/* Accessors. The instance and the event table belong to the probe. */
struct tracefs_instance *mmt_probe_instance(const struct mmt_probe *probe);
const struct mmt_probe_event *mmt_probe_events(const struct mmt_probe *probe, size_t *n);
const char *mmt_probe_backend_name(const struct mmt_probe *probe);

/**
 * mmt_probe_describe() - say on standard error which backend is in use and,
 *	for the tracepoint backend, why and what it does not see (not with -q)
 * @kernel_records: the perf source runs beside it
 */
void mmt_probe_describe(const struct mmt_probe *probe, bool kernel_records);

/**
 * mmt_probe_tracks_creds() - whether the calls that change a task's real ids are traced
 * @probe: the probe
 *
 * Return: true if every change of a traced task's ids reaches the ring as a
 * MMT_ROLE_TASK_CREDS event: on the kprobe backend, commit_creds's, with the
 * new ids (MMT_HAVE_IDS); on the tracepoint backend, on a kernel with those
 * syscall events, each successful set*uid()/set*gid() call (not the 32-bit
 * ones, which syscall tracepoints do not see), after which /proc says which.
 */
bool mmt_probe_tracks_creds(const struct mmt_probe *probe);

/**
 * mmt_probe_mprotect_prev() - whether mprotect events carry the previous protection
 * @probe: the probe
 * Return: true with the mprotect_fixup kprobe (the kernel's vma flags), false
 * with the syscall tracepoints (mmt_event.prev_prot unset).
 */
bool mmt_probe_mprotect_prev(const struct mmt_probe *probe);

/**
 * mmt_probe_missed() - probe hits the kernel could not record (kprobe backend)
 * @probe: the probe, still open
 * @entry: missed do_mmap entries, or NULL
 * @ret: missed do_mmap returns (kretprobe out of instances), or NULL
 * Return: 0, -EOPNOTSUPP for the tracepoint backend, or -errno.
 */
int mmt_probe_missed(const struct mmt_probe *probe, uint64_t *entry, uint64_t *ret);

/**
 * mmt_probe_entries_counted() - whether mmt_probe_missed()'s @entry is a count
 *	(false on a kprobe backend before Linux 5.14: see mmt_kprobe_entries_counted())
 */
bool mmt_probe_entries_counted(const struct mmt_probe *probe);

/**
 * mmt_probe_print_kprobes() - print the kprobe definitions a run would write
 * @out: one kprobe_events line each (the group and event names carry this
 *	process's pid; a run uses its own)
 *
 * Reads BTF only: nothing is mounted, created or written in tracefs. Says on
 * stderr which offsets are used and where they came from.
 * Return: 0, or -errno (printed).
 */
int mmt_probe_print_kprobes(FILE *out);

#endif /* MMT_PROBE_H */
