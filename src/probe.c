// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Kernel-side setup. Everything the tool changes lives in an instance of its
 * own, "mmaptrace-PID", whose lifetime is tied to a flock on
 * /run/mmaptrace/mmaptrace-PID.lock: the kernel drops the lock when the
 * process dies however it dies, so the next run can tell a crashed run's
 * instance from a live one and remove only the former.
 *
 * The kprobe backend adds a do_mmap kprobe and kretprobe in the group
 * "mmaptrace_PID" (kprobe.c), an mprotect_fixup pair and a commit_creds
 * kprobe, enabled only in the instance. The same lock
 * tells whose they are; they go after the instance, because the kernel will
 * not delete a probe that is still enabled somewhere.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <tracefs.h>

#include "error.h"
#include "kprobe.h"
#include "probe.h"
#include "procfs.h"

#define TRACEFS_DIR	"/sys/kernel/tracing"
#define TRACEFS_MAGIC_NR 0x74726163

struct mmt_probe {
	struct tracefs_instance *inst;
	char name[64];
	char lock_path[128];
	int lock_fd;
	enum mmt_backend backend;
	size_t nevents;
	bool enabled;
	struct mmt_kprobe *kprobe;	/* kprobe backend: the probes we created */
	struct mmt_probe_event ev[20];	/* the events of the backend in use */
	bool creds;			/* the credential calls are traced */
	char comm_filter[4096];		/* --comm as a filter, or "" */
	bool quiet;
	enum mmt_backend requested;	/* --backend: auto, or the one asked for */
};

/* The syscall-tracepoint backend: what every kernel with ftrace syscalls has. */
static const struct mmt_probe_event tracepoint_events[] = {
	{ "syscalls", "sys_enter_mmap", MMT_ROLE_MMAP_ENTER },
	{ "syscalls", "sys_exit_mmap", MMT_ROLE_MMAP_EXIT },
	{ "sched", "sched_process_exit", MMT_ROLE_TASK_EXIT },
	{ "sched", "sched_process_exec", MMT_ROLE_TASK_EXEC },
	{ "task", "task_newtask", MMT_ROLE_TASK_NEW },
	{ "task", "task_rename", MMT_ROLE_TASK_RENAME },
};

/*
 * mprotect through its system calls, for the tracepoint backend and for a
 * kernel whose layout lacks mprotect_fixup. Unfiltered: the previous
 * protection is worked out from the calls seen (protmap.c), which must see
 * the calls that take PROT_EXEC away as well as those that give it.
 */
static const struct mmt_probe_event mprotect_tracepoints[] = {
	{ "syscalls", "sys_enter_mprotect", MMT_ROLE_MPROT_ENTER },
	{ "syscalls", "sys_exit_mprotect", MMT_ROLE_MPROT_EXIT },
};

/* pkey_mprotect() is on x86 since 4.9, on arm64 only since 6.12 */
static const struct mmt_probe_event pkey_tracepoints[] = {
	{ "syscalls", "sys_enter_pkey_mprotect", MMT_ROLE_MPROT_ENTER },
	{ "syscalls", "sys_exit_pkey_mprotect", MMT_ROLE_MPROT_EXIT },
};

/*
 * The calls that change a task's real ids, on their return and only when
 * they succeeded: a child has its creator's ids from fork on (exec keeps
 * the real ones), so with these the thread table knows the ids of a
 * process gone before /proc could show them. Only where the syscall
 * tracepoints are on anyway (the tracepoint backend): there they cost one
 * bit test per call; on the kprobe backend they would turn on the slow
 * syscall path for every task, so there the commit_creds kprobe says the
 * new ids themselves (and sees the 32-bit calls, which these do not).
 */
static const struct mmt_probe_event cred_tracepoints[] = {
	{ "syscalls", "sys_exit_setuid", MMT_ROLE_TASK_CREDS, "ret == 0" },
	{ "syscalls", "sys_exit_setreuid", MMT_ROLE_TASK_CREDS, "ret == 0" },
	{ "syscalls", "sys_exit_setresuid", MMT_ROLE_TASK_CREDS, "ret == 0" },
	{ "syscalls", "sys_exit_setgid", MMT_ROLE_TASK_CREDS, "ret == 0" },
	{ "syscalls", "sys_exit_setregid", MMT_ROLE_TASK_CREDS, "ret == 0" },
	{ "syscalls", "sys_exit_setresgid", MMT_ROLE_TASK_CREDS, "ret == 0" },
};

/*
 * The calls that move a task to other namespaces: what /proc said of its mount
 * namespace (Kunai's namespaces and container) is then read again.
 */
static const struct mmt_probe_event ns_tracepoints[] = {
	{ "syscalls", "sys_exit_unshare", MMT_ROLE_TASK_NS, "ret == 0" },
	{ "syscalls", "sys_exit_setns", MMT_ROLE_TASK_NS, "ret == 0" },
};

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

/* All of @e's events exist in @inst (a kernel may lack some syscalls). */
static bool events_exist(struct tracefs_instance *inst, const struct mmt_probe_event *e, size_t n)
{
	char path[256];
	size_t i;

	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "events/%s/%s/enable", e[i].system, e[i].name);
		if (!tracefs_file_exists(inst, path))
			return false;
	}
	return true;
}

/* Appends @n events to the probe's table (sized for the largest backend). */
static void add_events(struct mmt_probe *p, const struct mmt_probe_event *e, size_t n)
{
	size_t i;

	for (i = 0; i < n && p->nevents < ARRAY_SIZE(p->ev); i++)
		p->ev[p->nevents++] = e[i];
}

/*
 * The mprotect tracepoints, and pkey_mprotect's where the kernel has the call:
 * a kernel without it (arm64 before 6.12) has no such events, and nothing to
 * miss.
 */
static void add_mprotect_tracepoints(struct mmt_probe *p)
{
	add_events(p, mprotect_tracepoints, ARRAY_SIZE(mprotect_tracepoints));
	if (events_exist(p->inst, pkey_tracepoints, ARRAY_SIZE(pkey_tracepoints)))
		add_events(p, pkey_tracepoints, ARRAY_SIZE(pkey_tracepoints));
}

static bool is_tracefs(const char *path)
{
	struct statfs sfs;

	return statfs(path, &sfs) == 0 && sfs.f_type == TRACEFS_MAGIC_NR;
}

int mmt_probe_mount(bool *mounted)
{
	*mounted = false;
	if (is_tracefs(TRACEFS_DIR))
		return 0;
	if (access(TRACEFS_DIR, F_OK) < 0)
		return mmt_perror(-ENODEV, "%s does not exist (kernel without tracefs?)",
				  TRACEFS_DIR);
	if (mount("nodev", TRACEFS_DIR, "tracefs", 0, NULL) < 0)
		return mmt_perror(-errno, "cannot mount tracefs on %s", TRACEFS_DIR);
	*mounted = true;
	return 0;
}

void mmt_probe_unmount(bool mounted)
{
	/* EBUSY means another tracer uses it now: leaving it mounted is right. */
	if (mounted && umount(TRACEFS_DIR) < 0 && errno != EBUSY)
		mmt_perror(-errno, "cannot unmount %s", TRACEFS_DIR);
}

/* Returns the lock fd with the lock held, or -errno. */
static int lock_take(const char *path)
{
	int fd;

	if (mkdir(MMT_LOCK_DIR, 0700) < 0 && errno != EEXIST)
		return -errno;
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

/*
 * A stale run: its lock file can be locked by us (its owner is dead), or it
 * has no lock file and its pid is not a live mmaptrace. The lock stays held
 * in *@lock_fd (or -1: no lock file) until the caller has removed what the
 * run left, so that two runs starting at once do not both remove it.
 */
static bool run_is_stale(long pid, const char *lock_path, int *lock_fd)
{
	int fd = open(lock_path, O_RDWR | O_CLOEXEC);
	struct mmt_procfs_stat st;
	int r;

	*lock_fd = -1;
	if (fd >= 0) {
		if (flock(fd, LOCK_EX | LOCK_NB) == 0) {
			*lock_fd = fd;
			return true;
		}
		close(fd);
		return false;
	}
	if (pid <= 0 || pid > INT_MAX)
		return false;
	r = mmt_procfs_stat((pid_t)pid, &st);
	if (r < 0)
		return r == -ENOENT || r == -ESRCH;
	return strncmp(st.comm, "mmaptrace", 9) != 0;
}

/* The lock of a stale run, once what it left is removed. */
static void release_stale(const char *lock_path, int lock_fd)
{
	unlink(lock_path);
	if (lock_fd >= 0)
		close(lock_fd);
}

static int remove_instance(const char *name)
{
	struct tracefs_instance *inst = tracefs_instance_alloc(NULL, name);
	int r;

	if (!inst)
		return -errno;
	/* Events off first: an instance with enabled events may refuse rmdir. */
	tracefs_instance_file_write(inst, "events/enable", "0");
	r = tracefs_instance_destroy(inst) < 0 ? -errno : 0;
	tracefs_instance_free(inst);
	return r;
}

/* Kprobe groups of crashed runs; a run may have died before making its instance. */
static int sweep_kprobes(void)
{
	char lock_path[300], **groups, **g;
	int removed = 0, r, lock_fd;
	long pid;

	r = mmt_kprobe_list_groups(MMT_GROUP_PREFIX, &groups);
	if (r < 0) {
		mmt_perror(r, "cannot read kprobe_events");
		return 0;
	}
	for (g = groups; *g; g++) {
		pid = strtol(*g + strlen(MMT_GROUP_PREFIX), NULL, 10);
		snprintf(lock_path, sizeof(lock_path), MMT_LOCK_DIR "/" MMT_INSTANCE_PREFIX "%ld.lock",
			 pid);
		if (pid <= 0 || !run_is_stale(pid, lock_path, &lock_fd))
			continue;
		r = mmt_kprobe_remove_group(*g);
		if (r < 0) {
			if (lock_fd >= 0)
				close(lock_fd);
			continue;
		}
		release_stale(lock_path, lock_fd);
		mmt_error("removed %d kprobe(s) of group %s left by an earlier run that did not "
			  "exit cleanly", r, *g);
		removed++;
	}
	mmt_kprobe_groups_free(groups);
	return removed;
}

int mmt_probe_sweep_stale(void)
{
	char lock_path[300];
	struct dirent *de;
	int removed = 0, lock_fd, r;
	DIR *dir;

	dir = opendir(TRACEFS_DIR "/instances");
	if (!dir)
		return -errno;
	while ((de = readdir(dir))) {
		if (strncmp(de->d_name, MMT_INSTANCE_PREFIX, strlen(MMT_INSTANCE_PREFIX)))
			continue;
		snprintf(lock_path, sizeof(lock_path), MMT_LOCK_DIR "/%s.lock", de->d_name);
		if (!run_is_stale(strtol(de->d_name + strlen(MMT_INSTANCE_PREFIX), NULL, 10),
				  lock_path, &lock_fd))
			continue;
		r = remove_instance(de->d_name);
		/* ENOENT: another run starting at this moment removed it first. */
		if (r < 0) {
			if (lock_fd >= 0)
				close(lock_fd);
			if (r != -ENOENT)
				mmt_perror(r, "cannot remove stale instance %s", de->d_name);
			continue;
		}
		release_stale(lock_path, lock_fd);
		mmt_error("removed instance %s left by an earlier run that did not exit cleanly",
			  de->d_name);
		removed++;
	}
	closedir(dir);
	/* After the instances: a probe still enabled in one cannot be deleted. */
	if (mmt_kprobe_available())
		removed += sweep_kprobes();
	return removed;
}

static int write_file(struct tracefs_instance *inst, const char *file, const char *val)
{
	if (tracefs_instance_file_write(inst, file, val) < 0) {
		int err = errno ? -errno : -EIO;

		return mmt_perror(err, "cannot write '%s' to %s", val, file);
	}
	return 0;
}

/*
 * The default per-CPU buffer: MMT_BUFFER_BUDGET_KB shared by the CPUs, never
 * less than the kernel's own default. A burst of mappings (an exec storm,
 * a JIT warming up) outruns the reader for a while; the kernel's 1.4 MiB
 * per CPU held 40 ms of the bench's mmap storm and lost half of it, where
 * 16 MiB on a 2-CPU host hold the whole burst. Return: KiB, 0 to keep it.
 */
static unsigned int default_buffer_kb(struct tracefs_instance *inst)
{
	long long now = 0;
	long cpus = sysconf(_SC_NPROCESSORS_CONF);
	unsigned int kb;

	if (cpus < 1)
		return 0;
	kb = (unsigned int)(MMT_BUFFER_BUDGET_KB / cpus);
	if (tracefs_instance_file_read_number(inst, "buffer_size_kb", &now) == 0 &&
	    kb <= (unsigned long long)now)
		return 0;
	return kb;
}

/*
 * Every thread of this process (the reader, the hashing worker): their own
 * mappings would feed back into the trace, and a hashing worker that maps
 * memory per file would make events of its own without end.
 */
static int notrace_self(struct mmt_probe *p)
{
	pid_t *tids;
	char buf[32];
	size_t i, n;
	int r;

	r = mmt_procfs_threads(0, &tids, &n);
	if (r < 0)
		return mmt_perror(r, "cannot list /proc/self/task");
	for (i = 0; !r && i < n; i++) {
		snprintf(buf, sizeof(buf), "%d ", (int)tids[i]);
		if (tracefs_instance_file_append(p->inst, "set_event_notrace_pid", buf) < 0)
			r = mmt_perror(errno ? -errno : -EIO, "cannot add %d to "
				       "set_event_notrace_pid", (int)tids[i]);
	}
	free(tids);
	return r;
}

/* Appends ' || COMM == "NAME"' for each name; false if a name cannot be quoted. */
static bool comm_filter(const struct mmt_probe_opts *opts, char *buf, size_t size)
{
	size_t i, len = 0;
	int n;

	for (i = 0; i < opts->ncomms; i++) {
		/* The filter parser has no escapes: such a name is matched in user space only. */
		if (strpbrk(opts->comms[i], "\"\\"))
			return false;
		n = snprintf(buf + len, size - len, "%sCOMM == \"%s\"", i ? " || " : "",
			     opts->comms[i]);
		if (n < 0 || (size_t)n >= size - len)
			return false;
		len += (size_t)n;
	}
	return true;
}

static bool is_call_event(const struct mmt_probe_event *e)
{
	return e->role == MMT_ROLE_MMAP_ENTER || e->role == MMT_ROLE_MMAP_EXIT ||
	       e->role == MMT_ROLE_MPROT_ENTER || e->role == MMT_ROLE_MPROT_EXIT;
}

/*
 * The filter of event @e: its own (the mprotect probe's), and --comm on the
 * mmap and mprotect events, so that other tasks' calls never reach the
 * buffers (the task events stay unfiltered: they keep the thread table whole).
 */
static const char *event_filter(const struct mmt_probe *p, const struct mmt_probe_event *e,
				char *buf, size_t size)
{
	if (!p->comm_filter[0] || !is_call_event(e))
		return e->filter;
	if (!e->filter)
		return p->comm_filter;
	snprintf(buf, size, "(%s) && (%s)", e->filter, p->comm_filter);
	return buf;
}

/* Writes @e's filter; a --comm the kernel refuses is matched in main.c instead. */
static int set_filter(struct mmt_probe *p, const struct mmt_probe_event *e)
{
	char path[256], buf[sizeof(p->comm_filter) + 512];
	const char *f = event_filter(p, e, buf, sizeof(buf));

	if (!f)
		return 0;
	snprintf(path, sizeof(path), "events/%s/%s/filter", e->system, e->name);
	/* Bytes written, or -1. */
	if (tracefs_instance_file_write(p->inst, path, f) >= 0)
		return 0;
	if (f != e->filter && p->comm_filter[0]) {
		if (!p->quiet)
			mmt_error("--comm: the kernel did not take the filter; names are "
				  "matched in user space");
		p->comm_filter[0] = '\0';
		return set_filter(p, e);
	}
	return mmt_perror(errno ? -errno : -EINVAL, "cannot set the filter '%s' of event %s/%s",
			  f, e->system, e->name);
}

static int configure(struct mmt_probe *p, const struct mmt_probe_opts *opts)
{
	unsigned int kb;
	char buf[32];
	int r;

	/* mono is CLOCK_MONOTONIC: user space can read it to merge CPUs and date events. */
	r = write_file(p->inst, "trace_clock", "mono");
	if (r < 0)
		return r;
	/*
	 * Wake the reader at the first event, not at half full (the default):
	 * the tracepoint backend resolves files through /proc, which is only
	 * possible while the process still lives.
	 */
	r = write_file(p->inst, "buffer_percent", "0");
	if (r < 0)
		return r;
	kb = opts->buffer_kb ? opts->buffer_kb : default_buffer_kb(p->inst);
	if (kb) {
		snprintf(buf, sizeof(buf), "%u", kb);
		r = write_file(p->inst, "buffer_size_kb", buf);
		if (r < 0)
			return r;
	}
	/*
	 * With -a, event-fork keeps the tool's own children untraced too (the
	 * hasher's opener and inspector, whose start maps a dozen libraries):
	 * set_event_pid is empty there, so it changes nothing else.
	 */
	if ((opts->follow || opts->all) &&
	    tracefs_option_enable(p->inst, TRACEFS_OPTION_EVENT_FORK) < 0)
		return mmt_perror(-errno, "cannot enable option event-fork");
	/* The tool's own mappings are never traced, even with -a. */
	if (opts->all && tracefs_file_exists(p->inst, "set_event_notrace_pid")) {
		r = notrace_self(p);
		if (r < 0)
			return r;
	}
	p->quiet = opts->quiet;
	p->requested = opts->backend;
	if (opts->ncomms && !comm_filter(opts, p->comm_filter, sizeof(p->comm_filter))) {
		p->comm_filter[0] = '\0';
		if (!opts->quiet)
			mmt_error("--comm: a name the kernel's filter cannot quote; names are "
				  "matched in user space");
	}
	return 0;
}

/* Makes the probes; on failure a message has been printed. */
static int kprobe_setup(struct mmt_probe *p, const struct mmt_probe_opts *opts)
{
	struct mmt_probe_event e[9];
	int r;

	p->kprobe = mmt_kprobe_alloc(getpid());
	if (!p->kprobe)
		return -errno;
	/* -q silences the layout, not a warning that it may be wrong. */
	r = opts->quiet && !mmt_kprobe_layout_guessed(p->kprobe) ? 0 :
	    mmt_kprobe_describe(p->kprobe, stderr);
	if (r < 0)
		goto out_free;
	/* Our lock is held: a group with our pid is a crashed run's that had our pid. */
	r = mmt_kprobe_remove_group(mmt_kprobe_group(p->kprobe));
	if (r < 0)
		goto out_free;
	r = mmt_kprobe_create(p->kprobe);
	if (r < 0)
		goto out_free;
	e[0] = (struct mmt_probe_event){ mmt_kprobe_group(p->kprobe),
					 mmt_kprobe_entry_event(p->kprobe), MMT_ROLE_MMAP_ENTER };
	e[1] = (struct mmt_probe_event){ mmt_kprobe_group(p->kprobe),
					 mmt_kprobe_return_event(p->kprobe), MMT_ROLE_MMAP_EXIT };
	e[2] = (struct mmt_probe_event){ "sched", "sched_process_exit", MMT_ROLE_TASK_EXIT };
	e[3] = (struct mmt_probe_event){ "sched", "sched_process_exec", MMT_ROLE_TASK_EXEC };
	/* Threads from processes, for records of threads gone before /proc was read. */
	e[4] = (struct mmt_probe_event){ "task", "task_newtask", MMT_ROLE_TASK_NEW };
	/* A process that renames itself is reported under its new name. */
	e[5] = (struct mmt_probe_event){ "task", "task_rename", MMT_ROLE_TASK_RENAME };
	/* The returns unfiltered: pair.c drops those whose entry the filter dropped. */
	e[6] = (struct mmt_probe_event){ mmt_kprobe_group(p->kprobe),
					 mmt_kprobe_mprotect_entry_event(p->kprobe),
					 MMT_ROLE_MPROT_ENTER, MMT_KPROBE_MPROTECT_FILTER };
	e[7] = (struct mmt_probe_event){ mmt_kprobe_group(p->kprobe),
					 mmt_kprobe_mprotect_return_event(p->kprobe),
					 MMT_ROLE_MPROT_EXIT };
	/* Every change of a task's ids, with the new ids: a process gone still has its own. */
	e[8] = (struct mmt_probe_event){ mmt_kprobe_group(p->kprobe),
					 mmt_kprobe_creds_event(p->kprobe), MMT_ROLE_TASK_CREDS };
	p->backend = MMT_BACKEND_KPROBE;
	add_events(p, e, 6);
	if (opts->mprotect && mmt_kprobe_has_mprotect(p->kprobe))
		add_events(p, e + 6, 2);
	else if (opts->mprotect)
		add_mprotect_tracepoints(p);
	p->creds = mmt_kprobe_has_creds(p->kprobe);
	if (p->creds)
		add_events(p, e + 8, 1);
	return 0;

out_free:
	mmt_kprobe_free(p->kprobe);
	p->kprobe = NULL;
	return r;
}

/*
 * Kprobes where the kernel has them: they also see the mappings the kernel
 * makes itself (the ELF loader's at execve) and read the file's identity
 * while the mapping is made. The syscall tracepoints otherwise, unless
 * kprobes were asked for by name.
 */
static int pick_backend(struct mmt_probe *p, const struct mmt_probe_opts *opts)
{
	enum mmt_backend want = opts->backend;
	int r;

	if (want != MMT_BACKEND_TRACEPOINT) {
		if (mmt_kprobe_available()) {
			r = kprobe_setup(p, opts);
			if (!r)
				return 0;
			if (want == MMT_BACKEND_KPROBE)
				return r;
			mmt_error("falling back to the tracepoint backend");
		} else if (want == MMT_BACKEND_KPROBE) {
			mmt_error("--backend kprobe: this kernel has no kprobe events "
				  "(no %s/kprobe_events: CONFIG_KPROBE_EVENTS is off); "
				  "use --backend tracepoint", TRACEFS_DIR);
			return -EOPNOTSUPP;
		}
	}
	p->backend = MMT_BACKEND_TRACEPOINT;
	add_events(p, tracepoint_events, ARRAY_SIZE(tracepoint_events));
	if (opts->mprotect)
		add_mprotect_tracepoints(p);
	p->creds = events_exist(p->inst, cred_tracepoints, ARRAY_SIZE(cred_tracepoints));
	if (p->creds)
		add_events(p, cred_tracepoints, ARRAY_SIZE(cred_tracepoints));
	if (events_exist(p->inst, ns_tracepoints, ARRAY_SIZE(ns_tracepoints)))
		add_events(p, ns_tracepoints, ARRAY_SIZE(ns_tracepoints));
	return 0;
}

static void kprobe_teardown(struct mmt_probe *p)
{
	if (!p->kprobe)
		return;
	mmt_kprobe_destroy(p->kprobe);
	mmt_kprobe_free(p->kprobe);
	p->kprobe = NULL;
}

struct mmt_probe *mmt_probe_open(const struct mmt_probe_opts *opts)
{
	struct mmt_probe *p;
	int r;

	p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	snprintf(p->name, sizeof(p->name), MMT_INSTANCE_PREFIX "%d", (int)getpid());
	snprintf(p->lock_path, sizeof(p->lock_path), MMT_LOCK_DIR "/%s.lock", p->name);
	p->lock_fd = lock_take(p->lock_path);
	if (p->lock_fd < 0) {
		r = mmt_perror(p->lock_fd, "cannot lock %s", p->lock_path);
		goto out_free;
	}
	/* Same pid as a crashed run whose instance was not swept: start clean. */
	if (tracefs_instance_exists(p->name))
		remove_instance(p->name);
	/* After the lock, so that a concurrent sweep never takes our probes for stale. */
	r = pick_backend(p, opts);
	if (r < 0)
		goto out_unlock;
	p->inst = tracefs_instance_create(p->name);
	if (!p->inst) {
		r = mmt_perror(-errno, "cannot create tracefs instance %s", p->name);
		goto out_kprobe;
	}
	r = configure(p, opts);
	if (r < 0)
		goto out_destroy;
	return p;

out_destroy:
	tracefs_instance_destroy(p->inst);
	tracefs_instance_free(p->inst);
out_kprobe:
	kprobe_teardown(p);
out_unlock:
	unlink(p->lock_path);
	close(p->lock_fd);
out_free:
	free(p);
	errno = -r;
	return NULL;
}

int mmt_probe_add_pid(struct mmt_probe *p, pid_t tid)
{
	char buf[24];

	if (kill(tid, 0) < 0 && errno == ESRCH)
		return -ESRCH;
	snprintf(buf, sizeof(buf), "%d ", (int)tid);
	/* Append (no O_TRUNC) adds to the kernel's list instead of replacing it. */
	if (tracefs_instance_file_append(p->inst, "set_event_pid", buf) < 0)
		return mmt_perror(errno ? -errno : -EIO, "cannot add %d to set_event_pid",
				  (int)tid);
	return 0;
}

static bool is_entry_event(const struct mmt_probe_event *e)
{
	return e->role == MMT_ROLE_MMAP_ENTER || e->role == MMT_ROLE_MPROT_ENTER;
}

/*
 * The enable file itself: tracefs_event_enable() matches names as regexes
 * over every event directory (2600 stat calls here).
 */
static int write_enable(struct mmt_probe *p, const struct mmt_probe_event *e, const char *v)
{
	char path[256];

	snprintf(path, sizeof(path), "events/%s/%s/enable", e->system, e->name);
	if (tracefs_instance_file_write(p->inst, path, v) < 0)
		return mmt_perror(errno ? -errno : -ENOENT, "cannot %s event %s/%s",
				  *v == '1' ? "enable" : "disable", e->system, e->name);
	return 0;
}

/*
 * The entries last: a call whose entry is recorded then has its return
 * recorded too (mmt_probe_stop_entries() is the other end of that).
 */
int mmt_probe_enable(struct mmt_probe *p)
{
	int pass, r;
	size_t i;

	for (i = 0; i < p->nevents; i++) {
		r = set_filter(p, &p->ev[i]);
		if (r < 0)
			return r;
	}
	for (pass = 0; pass < 2; pass++)
		for (i = 0; i < p->nevents; i++) {
			if (is_entry_event(&p->ev[i]) != (pass == 1))
				continue;
			r = write_enable(p, &p->ev[i], "1");
			if (r < 0)
				return r;
			p->enabled = true;
		}
	return 0;
}

void mmt_probe_stop_entries(struct mmt_probe *p)
{
	size_t i;

	for (i = 0; p->enabled && i < p->nevents; i++)
		if (is_entry_event(&p->ev[i]))
			write_enable(p, &p->ev[i], "0");
}

void mmt_probe_disable(struct mmt_probe *p)
{
	if (p->enabled && tracefs_instance_file_write(p->inst, "events/enable", "0") < 0)
		mmt_perror(-errno, "cannot disable events in %s", p->name);
	p->enabled = false;
}

int mmt_probe_pids_left(struct mmt_probe *p)
{
	char *buf = tracefs_instance_file_read(p->inst, "set_event_pid", NULL);
	int n = 0;
	char *s;

	if (!buf)
		return errno ? -errno : 0;
	for (s = buf; *s; ) {
		while (*s == ' ' || *s == '\n')
			s++;
		if (!*s)
			break;
		n++;
		while (*s && *s != ' ' && *s != '\n')
			s++;
	}
	free(buf);
	return n;
}

void mmt_probe_close(struct mmt_probe *p)
{
	if (!p)
		return;
	mmt_probe_disable(p);
	if (tracefs_instance_destroy(p->inst) < 0)
		mmt_perror(-errno, "cannot remove tracefs instance %s", p->name);
	tracefs_instance_free(p->inst);
	/* Only now: the instance is gone, so the probes are enabled nowhere. */
	kprobe_teardown(p);
	unlink(p->lock_path);
	close(p->lock_fd);
	free(p);
}

struct tracefs_instance *mmt_probe_instance(const struct mmt_probe *p)
{
	return p->inst;
}

const struct mmt_probe_event *mmt_probe_events(const struct mmt_probe *p, size_t *n)
{
	*n = p->nevents;
	return p->ev;
}

const char *mmt_probe_backend_name(const struct mmt_probe *p)
{
	return p->backend == MMT_BACKEND_KPROBE ? "kprobe" : "tracepoint";
}

void mmt_probe_describe(const struct mmt_probe *p, bool kernel_records)
{
	const char *why = p->requested != MMT_BACKEND_AUTO ? "" :
			  mmt_kprobe_available() ? ": the do_mmap kprobes could not be placed" :
			  ": this kernel has no kprobe events";

	if (p->quiet)
		return;
	if (p->backend == MMT_BACKEND_KPROBE)
		mmt_error("backend: kprobe (do_mmap)%s", kernel_records ?
			  ", with the kernel's own mapping records (perf)" : "");
	else if (kernel_records)
		mmt_error("backend: tracepoint (syscalls/sys_enter_mmap, sys_exit_mmap)%s; the "
			  "kernel's own mapping records (perf) name each file and add the mappings "
			  "it makes itself (the ELF loader's of the executable and its interpreter "
			  "at execve)", why);
	else
		mmt_error("backend: tracepoint (syscalls/sys_enter_mmap, sys_exit_mmap)%s; "
			  "mappings the kernel makes itself (the ELF loader's mappings of the "
			  "executable and its interpreter at execve, shmat) are not seen", why);
}

bool mmt_probe_tracks_creds(const struct mmt_probe *p)
{
	return p->creds;
}

bool mmt_probe_mprotect_prev(const struct mmt_probe *p)
{
	return p->kprobe && mmt_kprobe_has_mprotect(p->kprobe);
}

int mmt_probe_missed(const struct mmt_probe *p, uint64_t *entry, uint64_t *ret)
{
	if (!p->kprobe)
		return -EOPNOTSUPP;
	return mmt_kprobe_missed(p->kprobe, entry, ret);
}

bool mmt_probe_entries_counted(const struct mmt_probe *p)
{
	return !p->kprobe || mmt_kprobe_entries_counted(p->kprobe);
}

int mmt_probe_print_kprobes(FILE *out)
{
	struct mmt_kprobe *k = mmt_kprobe_alloc(getpid());
	int r;

	if (!k)
		return -errno;
	r = mmt_kprobe_describe(k, stderr);
	if (!r)
		r = mmt_kprobe_print(k, out);
	if (!r && fflush(out) == EOF)
		r = -errno;
	/* Only when tracefs is mounted and readable: this must not mount or create anything. */
	if (!r && is_tracefs(TRACEFS_DIR) && access(TRACEFS_DIR, R_OK | X_OK) == 0 &&
	    !mmt_kprobe_available())
		mmt_error("note: this kernel has no kprobe events; a run would use the "
			  "tracepoint backend");
	mmt_kprobe_free(k);
	if (r < 0)
		mmt_perror(r, "cannot print the probe definitions");
	return r;
}
