// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * mmaptrace: options, setup order, the main loop, signals, exit status.
 *
 * Only this file exits. Signals are taken through a signalfd in the main
 * loop (no handler runs), so every exit path goes through the same teardown
 * and the kernel is left as it was found.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "alert.h"
#include "clock.h"
#include "emit.h"
#include "error.h"
#include "pair.h"
#include "probe.h"
#include "proc.h"
#include "protmap.h"
#include "ring.h"
#include "thread.h"
#include "hashcache.h"
#include "kprobe.h"
#include "host.h"
#include "task.h"

#define MAX_PIDS	256
#define MAX_FILTERS	64
#define LOST_POLL_NS	(100 * 1000000ULL)
/* How often threads gone without an exit event (lost) are forgotten. */
#define SWEEP_SECONDS	30
#define DEFAULT_HASH_LIMIT	((off_t)256 << 20)
#define HASH_CACHE_ENTRIES	4096
#define TASK_CACHE_ENTRIES	4096

enum {
	EV_DO_MMAP	= 1 << 0,
	EV_MMAP_EXEC	= 1 << 1,
	EV_MPROTECT_EXEC = 1 << 2,
};

enum {
	OPT_FORMAT = 0x100,
	OPT_BACKEND,
	OPT_BUFFER_SIZE,
	OPT_PRINT_PROBES,
	OPT_HASH_LIMIT,
	OPT_COMM,
	OPT_UID,
	OPT_EXCLUDE_PATH,
	OPT_STATS_INTERVAL,
};

struct options {
	unsigned int events;
	unsigned int alert_filter;	/* MMT_ALERT_* of -e: only records with one; 0: all */
	struct mmt_emit_opts emit;
	struct mmt_probe_opts probe;
	const char *outfile;
	bool append;		/* -A: never truncate the output file */
	pid_t pids[MAX_PIDS];
	int npids;
	bool quiet;
	off_t hash_limit;	/* larger files are not hashed */
	uint64_t stats_ns;	/* --stats-interval; 0: no stats records */
	const char *comms[MAX_FILTERS];	/* --comm */
	size_t ncomms;
	uid_t uids[MAX_FILTERS];	/* --uid */
	size_t nuids;
	const char *excludes[MAX_FILTERS];	/* --exclude-path globs */
	size_t nexcludes;
	char *lists[3 * MAX_FILTERS];	/* the copies comms point into */
	size_t nlists;
	char **argv;		/* CMD [ARGS], or NULL */
};

struct tracer {
	struct options *opt;
	struct mmt_probe *probe;
	struct mmt_ring *ring;
	struct mmt_pair *pair;
	struct mmt_emit *emit;
	int sfd;
	int out_fd;
	pid_t child;
	int child_status;
	bool child_done;
	int pidfds[MAX_PIDS];
	int pids_alive;
	int64_t mono_to_utc;	/* add to a trace timestamp to get UTC ns */
	uint64_t last_lost_poll;
	uint64_t missed_entry, missed_ret;	/* kprobe misses reported so far */
	int out_err;
	bool tracing;		/* events were enabled */
	struct mmt_threads *threads;
	struct mmt_task_cache *tasks;
	struct mmt_hasher *hasher;
	struct mmt_host host;
	uint64_t batch;		/* drains so far: Kunai's info.event.batch */
	uint64_t filtered;	/* mappings dropped by --comm, --uid, --exclude-path */
	uint64_t start_ns, last_stats, last_sweep;
	uint64_t entries_on;	/* when the entry events were enabled (trace clock) */
	uint64_t sweep_ns;	/* SWEEP_SECONDS, or MMAPTRACE_SWEEP_INTERVAL */
	struct mmt_protmap *protmap;	/* -e mprotect_exec: protections the calls set */
	bool track_prot;	/* the kernel does not give an mprotect's previous protection */
	struct {		/* exe_deleted of the last process asked, in drain @batch */
		pid_t tgid;
		uint64_t batch;
		bool deleted;
	} exe;
};

static void usage(FILE *f)
{
	fprintf(f,
"Usage: mmaptrace [OPTIONS] -- CMD [ARGS...]\n"
"       mmaptrace [OPTIONS] -p PID[,PID...]\n"
"       mmaptrace [OPTIONS] -a\n"
"Report the memory mappings processes make, as JSON lines or text.\n"
"\n"
"General:\n"
"  -h, --help               show this help and exit\n"
"  -V, --version            show the version and exit\n"
"  -q, --quiet              no backend notice on stderr\n"
"\n"
"Startup:\n"
"  -p, --attach=PID[,PID]   trace these running processes (all their threads)\n"
"  -a, --all                trace the whole host\n"
"  -f, --follow-forks       also trace children and threads created later\n"
"\n"
"Tracing:\n"
"  -e, --events=LIST        do_mmap (every mapping; the default), mmap_exec (successful\n"
"                           PROT_EXEC mappings of a file), mprotect_exec (mprotect calls\n"
"                           that make memory executable), alerts (only records with an\n"
"                           alert; alone: do_mmap,mprotect_exec) and/or write_exec,\n"
"                           anon_exec, memfd_exec, deleted_exec, tmpfs_exec, noexec_exec,\n"
"                           exe_deleted (only records with that alert), comma-separated\n"
"      --backend=NAME       auto (default), kprobe or tracepoint\n"
"      --buffer-size=KB     per-CPU kernel buffer size in KiB (default: 32 MiB shared\n"
"                           by the CPUs, at least the kernel's default)\n"
"      --hash-limit=SIZE    do not hash mapped files larger than SIZE bytes (K, M, G\n"
"                           suffixes; default 256M); mmap_exec says so in its error\n"
"      --print-probes       print the do_mmap kprobe definitions for this kernel and\n"
"                           exit (reads BTF only; changes nothing in tracefs)\n"
"\n"
"Filtering:\n"
"      --comm=NAME[,NAME]   only tasks of these names (in the kernel where it can)\n"
"      --uid=USER[,USER]    only tasks whose real or effective user is one of these\n"
"      --exclude-path=GLOB  no records of files matching GLOB (repeatable)\n"
"\n"
"Output:\n"
"  -o, --output=FILE        write records to FILE instead of standard output;\n"
"                           SIGHUP reopens it (log rotation)\n"
"  -A, --append             append to FILE instead of truncating it\n"
"      --format=FORMAT      json (default) or text\n"
"      --stats-interval=SEC a stats record every SEC seconds (default: none)\n"
"  -t                       text: time of day in front of each line; -tt with\n"
"                           microseconds; -ttt seconds since the epoch\n"
"  -y, --decode-fds         text: print the path with the fd, as 3</usr/lib/x.so>\n"
"  -s, --string-limit=N     text: print at most N bytes of a string (default: all)\n");
}

static int parse_uint(const char *s, unsigned long max, unsigned long *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || *s == '-' || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

static int parse_events(const char *s, unsigned int *events, unsigned int *alerts)
{
	char *copy = strdup(s), *tok, *save = NULL;
	unsigned int bit;
	int r = 0;

	if (!copy)
		return -ENOMEM;
	*events = 0;
	*alerts = 0;
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (!strcmp(tok, "do_mmap")) {
			*events |= EV_DO_MMAP;
		} else if (!strcmp(tok, "mmap_exec")) {
			*events |= EV_MMAP_EXEC;
		} else if (!strcmp(tok, "mprotect_exec")) {
			*events |= EV_MPROTECT_EXEC;
		} else if (!strcmp(tok, "alerts")) {
			*alerts |= MMT_ALERT_ALL;
		} else if ((bit = mmt_alert_parse(tok))) {
			*alerts |= bit;
		} else {
			mmt_error("unknown event '%s' in -e (known: do_mmap, mmap_exec, mprotect_exec, "
				  "alerts and the alert names)", tok);
			r = -EINVAL;
			break;
		}
	}
	/* Alerts alone: every mapping and mprotect that has one. */
	if (!r && !*events && *alerts)
		*events = EV_DO_MMAP | EV_MPROTECT_EXEC;
	if (!r && !*events) {
		mmt_error("-e needs at least one event (do_mmap, mmap_exec, mprotect_exec, alerts)");
		r = -EINVAL;
	}
	free(copy);
	return r;
}

static int parse_pids(const char *s, struct options *o)
{
	char *copy = strdup(s), *tok, *save = NULL;
	unsigned long v;
	int r = 0;

	if (!copy)
		return -ENOMEM;
	for (tok = strtok_r(copy, ", ", &save); tok; tok = strtok_r(NULL, ", ", &save)) {
		if (parse_uint(tok, INT_MAX, &v) < 0 || v == 0) {
			mmt_error("invalid process id '%s' in -p", tok);
			r = -EINVAL;
			break;
		}
		if (o->npids == MAX_PIDS) {
			mmt_error("too many process ids in -p (at most %d)", MAX_PIDS);
			r = -E2BIG;
			break;
		}
		o->pids[o->npids++] = (pid_t)v;
	}
	free(copy);
	return r;
}

/* Keeps @s's copy for the options' lifetime; NULL + message on failure. */
static char *keep_copy(struct options *o, const char *s)
{
	char *copy;

	if (o->nlists == sizeof(o->lists) / sizeof(o->lists[0])) {
		mmt_error("too many filter options");
		return NULL;
	}
	copy = strdup(s);
	if (!copy)
		mmt_error("out of memory");
	else
		o->lists[o->nlists++] = copy;
	return copy;
}

static int parse_comms(const char *s, struct options *o)
{
	char *copy = keep_copy(o, s), *tok, *save = NULL;

	if (!copy)
		return -ENOMEM;
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		/* The kernel keeps 15 bytes of a name: a longer one would never match. */
		if (strlen(tok) > 15) {
			mmt_error("--comm '%s' is longer than 15 bytes: task names never are", tok);
			return -EINVAL;
		}
		if (o->ncomms == MAX_FILTERS) {
			mmt_error("too many names in --comm (at most %d)", MAX_FILTERS);
			return -E2BIG;
		}
		o->comms[o->ncomms++] = tok;
	}
	if (!o->ncomms) {
		mmt_error("--comm needs a task name");
		return -EINVAL;
	}
	return 0;
}

/* Numbers or user names, resolved now: a name is what the operator knows. */
static int parse_uids(const char *s, struct options *o)
{
	char *copy = strdup(s), *tok, *save = NULL;
	const struct passwd *pw;
	unsigned long v;
	int r = 0;

	if (!copy)
		return -ENOMEM;
	for (tok = strtok_r(copy, ",", &save); tok && !r; tok = strtok_r(NULL, ",", &save)) {
		if (o->nuids == MAX_FILTERS) {
			mmt_error("too many users in --uid (at most %d)", MAX_FILTERS);
			r = -E2BIG;
		} else if (parse_uint(tok, UINT_MAX - 1, &v) == 0) {
			o->uids[o->nuids++] = (uid_t)v;
		} else if ((pw = getpwnam(tok))) {
			o->uids[o->nuids++] = pw->pw_uid;
		} else {
			mmt_error("invalid --uid '%s': not a number or a known user", tok);
			r = -EINVAL;
		}
	}
	if (!r && !o->nuids) {
		mmt_error("--uid needs a user");
		r = -EINVAL;
	}
	free(copy);
	return r;
}

/* "64M" -> 67108864; K, M, G are powers of 1024. */
static int parse_size(const char *s, off_t *out)
{
	unsigned long long v, mult = 1;
	char *end;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s || *s == '-')
		return -EINVAL;
	switch (*end) {
	case 'G': mult <<= 10; /* fall through */
	case 'M': mult <<= 10; /* fall through */
	case 'K': mult <<= 10; end++; break;
	case '\0': break;
	default: return -EINVAL;
	}
	if (*end || v > (unsigned long long)INT64_MAX / mult)
		return -EINVAL;
	*out = (off_t)(v * mult);
	return 0;
}

/* Return: 0 to go on, 1 to exit 0 (help, version), -1 on a usage error. */
static int parse_options(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "attach", required_argument, NULL, 'p' },
		{ "all", no_argument, NULL, 'a' },
		{ "follow-forks", no_argument, NULL, 'f' },
		{ "events", required_argument, NULL, 'e' },
		{ "output", required_argument, NULL, 'o' },
		{ "format", required_argument, NULL, OPT_FORMAT },
		{ "backend", required_argument, NULL, OPT_BACKEND },
		{ "buffer-size", required_argument, NULL, OPT_BUFFER_SIZE },
		{ "print-probes", no_argument, NULL, OPT_PRINT_PROBES },
		{ "hash-limit", required_argument, NULL, OPT_HASH_LIMIT },
		{ "comm", required_argument, NULL, OPT_COMM },
		{ "uid", required_argument, NULL, OPT_UID },
		{ "exclude-path", required_argument, NULL, OPT_EXCLUDE_PATH },
		{ "append", no_argument, NULL, 'A' },
		{ "stats-interval", required_argument, NULL, OPT_STATS_INTERVAL },
		{ "decode-fds", no_argument, NULL, 'y' },
		{ "string-limit", required_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned long v;
	int c;

	o->events = EV_DO_MMAP;
	o->hash_limit = DEFAULT_HASH_LIMIT;
	/* "+": stop at the first non-option, so CMD's own options stay CMD's. */
	while ((c = getopt_long(argc, argv, "+hVqp:afe:o:Atys:", longopts, NULL)) != -1) {
		switch (c) {
		case 'h':
			usage(stdout);
			return 1;
		case 'V':
			printf("mmaptrace %s\n", PACKAGE_VERSION);
			return 1;
		case 'q':
			o->quiet = true;
			o->probe.quiet = true;
			break;
		case 'p':
			if (parse_pids(optarg, o) < 0)
				return -1;
			break;
		case 'a':
			o->probe.all = true;
			break;
		case 'f':
			o->probe.follow = true;
			break;
		case 'e':
			if (parse_events(optarg, &o->events, &o->alert_filter) < 0)
				return -1;
			break;
		case 'o':
			o->outfile = optarg;
			break;
		case 'A':
			o->append = true;
			break;
		case 't':
			if (o->emit.time == MMT_TIME_EPOCH) {
				mmt_error("-t at most three times (-ttt)");
				return -1;
			}
			o->emit.time++;
			break;
		case 'y':
			o->emit.fd_paths = true;
			break;
		case 's':
			if (parse_uint(optarg, INT_MAX, &v) < 0) {
				mmt_error("invalid -s '%s' (bytes; 0: no limit)", optarg);
				return -1;
			}
			o->emit.string_limit = v;
			break;
		case OPT_COMM:
			if (parse_comms(optarg, o) < 0)
				return -1;
			break;
		case OPT_UID:
			if (parse_uids(optarg, o) < 0)
				return -1;
			break;
		case OPT_EXCLUDE_PATH:
			if (!*optarg) {
				mmt_error("--exclude-path needs a pattern");
				return -1;
			}
			if (o->nexcludes == MAX_FILTERS) {
				mmt_error("too many --exclude-path (at most %d)", MAX_FILTERS);
				return -1;
			}
			o->excludes[o->nexcludes++] = optarg;
			break;
		case OPT_STATS_INTERVAL:
			if (parse_uint(optarg, 86400 * 365, &v) < 0 || v == 0) {
				mmt_error("invalid --stats-interval '%s' (seconds, at least 1)", optarg);
				return -1;
			}
			o->stats_ns = v * 1000000000ULL;
			break;
		case OPT_FORMAT:
			if (!strcmp(optarg, "json")) {
				o->emit.format = MMT_FORMAT_JSON;
			} else if (!strcmp(optarg, "text")) {
				o->emit.format = MMT_FORMAT_TEXT;
			} else {
				mmt_error("invalid --format '%s' (json or text)", optarg);
				return -1;
			}
			break;
		case OPT_BACKEND:
			if (!strcmp(optarg, "auto")) {
				o->probe.backend = MMT_BACKEND_AUTO;
			} else if (!strcmp(optarg, "kprobe")) {
				o->probe.backend = MMT_BACKEND_KPROBE;
			} else if (!strcmp(optarg, "tracepoint")) {
				o->probe.backend = MMT_BACKEND_TRACEPOINT;
			} else {
				mmt_error("invalid --backend '%s' (auto, kprobe or tracepoint)", optarg);
				return -1;
			}
			break;
		case OPT_BUFFER_SIZE:
			if (parse_uint(optarg, 1024 * 1024, &v) < 0 || v == 0) {
				mmt_error("invalid --buffer-size '%s' (KiB, 1 to 1048576)", optarg);
				return -1;
			}
			o->probe.buffer_kb = (unsigned int)v;
			break;
		case OPT_HASH_LIMIT:
			if (parse_size(optarg, &o->hash_limit) < 0) {
				mmt_error("invalid --hash-limit '%s' (bytes, with K, M or G)", optarg);
				return -1;
			}
			break;
		case OPT_PRINT_PROBES:
			/* Like --help: for operators to audit, no root or CMD needed. */
			return mmt_probe_print_kprobes(stdout) < 0 ? -1 : 1;
		default:
			return -1;
		}
	}
	if (optind < argc)
		o->argv = argv + optind;
	if (o->append && !o->outfile) {
		mmt_error("-A appends to the -o file: give -o FILE");
		return -1;
	}
	o->probe.comms = o->comms;
	o->probe.ncomms = o->ncomms;
	if ((o->emit.time || o->emit.fd_paths || o->emit.string_limit) &&
	    o->emit.format != MMT_FORMAT_TEXT) {
		mmt_error("-t, -y and -s shape the text form: add --format text");
		return -1;
	}
	if (!!o->argv + !!o->npids + o->probe.all != 1) {
		mmt_error(o->argv || o->npids || o->probe.all ?
			  "give only one of -- CMD, -p PID and -a" :
			  "must have a command to run, -p PID or -a");
		return -1;
	}
	return 0;
}

static bool wanted(const struct tracer *t, const struct mmt_mapping *m, bool *exec)
{
	const struct mmt_event *en = &m->enter;
	bool ok = !mmt_mapping_failed(m);

	*exec = ok && (en->prot & PROT_EXEC) && !(en->flags & MAP_ANONYMOUS) &&
		(!(en->have & MMT_HAVE_FD) || en->fd >= 0);
	/* Every alert is about executable memory that was mapped. */
	if (t->opt->alert_filter && (!ok || !(en->prot & PROT_EXEC)))
		return false;
	return (t->opt->events & EV_DO_MMAP) || ((t->opt->events & EV_MMAP_EXEC) && *exec);
}

/*
 * Kunai's parts of an mmap_exec record: who mapped (read from /proc at the
 * first event of the process, cached), and the hash job for the object
 * that was mapped, opened through map_files while it is still mapped.
 */
static void exec_info(struct tracer *t, const struct mmt_mapping *m, struct mmt_map_info *mi,
		      struct mmt_exec_info *x)
{
	const struct mmt_task *task = mmt_task_cache_get(t->tasks, m->tid);

	x->host = &t->host;
	x->task = task;
	x->parent = task ? mmt_task_cache_parent(t->tasks, task) : NULL;
	x->task_error = task ? task->error : "process gone before its details could be read";
	x->batch = t->batch;
	if (mmt_uuid_random(x->uuid) < 0)
		snprintf(x->uuid, sizeof(x->uuid), "00000000-0000-0000-0000-000000000000");
	if (mi->anon) {
		/* Anonymous memory (mprotect_exec): no file, so nothing to hash. */
		x->hash_error = NULL;
	} else if (mi->fd >= 0) {
		/* The hasher owns the fd from here, whatever happens. */
		x->job = mmt_hasher_submit(t->hasher, mi->fd);
		mi->fd = -1;
		if (!x->job)
			x->hash_error = "cannot queue the hash: out of memory";
	} else {
		x->hash_error = mi->open_error[0] ? mi->open_error :
				mi->error[0] ? mi->error : "mapped file not found";
	}
}

/*
 * --comm and --uid, from what the thread table knows, before any /proc
 * read or hash for the record. A task whose name or user could not be
 * learnt is kept: a process must not escape the trace by exiting quickly.
 */
static bool task_selected(const struct options *o, const struct mmt_thread *th)
{
	size_t i;
	bool hit;

	if (o->ncomms && th->have_comm) {
		for (hit = false, i = 0; i < o->ncomms && !hit; i++)
			hit = !strncmp(th->comm, o->comms[i], sizeof(th->comm));
		if (!hit)
			return false;
	}
	if (o->nuids && th->have_uid) {
		for (hit = false, i = 0; i < o->nuids && !hit; i++)
			hit = th->uid == o->uids[i] || th->euid == o->uids[i];
		if (!hit)
			return false;
	}
	return true;
}

/* --exclude-path: fnmatch without flags, so '*' also matches '/'. */
static bool path_excluded(const struct options *o, const char *path)
{
	size_t i;

	for (i = 0; path && i < o->nexcludes; i++)
		if (fnmatch(o->excludes[i], path, 0) == 0)
			return true;
	return false;
}

/*
 * Whether @tgid's executable is deleted, asked once per process and drain:
 * the stat() of /proc/PID/exe was a tenth of the reader's time on a storm of
 * exec mappings. Its answer is as fresh as the drain's /proc/PID/maps.
 */
static bool exe_deleted(struct tracer *t, pid_t tgid)
{
	if (t->exe.tgid != tgid || t->exe.batch != t->batch) {
		t->exe.tgid = tgid;
		t->exe.batch = t->batch;
		t->exe.deleted = mmt_alert_exe_deleted(tgid);
	}
	return t->exe.deleted;
}

/* The alerts of executable memory of @tgid (see alert.h). */
static unsigned int alerts_of(struct tracer *t, uint64_t prot, bool anon,
			      const struct mmt_map_info *mi, pid_t tgid)
{
	unsigned int a = mmt_alert_memory(prot, anon, mi);

	if ((prot & PROT_EXEC) && exe_deleted(t, tgid))
		a |= MMT_ALERT_EXE_DELETED;
	return a;
}

/* What every record of a call says: who, when, and the file found. */
static void record_init(const struct tracer *t, const struct mmt_mapping *m,
			const struct mmt_thread *th, const struct mmt_map_info *mi,
			struct mmt_record *rec)
{
	rec->backend = mmt_probe_backend_name(t->probe);
	rec->utc_ns = (uint64_t)((int64_t)m->enter.ts + t->mono_to_utc);
	rec->pid = th->tgid;
	rec->tid = m->tid;
	rec->comm = th->have_comm ? th->comm : NULL;
	rec->map = m;
	rec->file = mi;
	rec->error = mi->error;
}

static int emit_mapping(struct tracer *t, const struct mmt_mapping *m)
{
	struct mmt_map_info mi = { .fd = -1 };
	struct mmt_exec_info x = { 0 };
	struct mmt_record rec = { 0 };
	const struct mmt_thread *th;
	bool exec, ok = !mmt_mapping_failed(m);
	int r = 0;

	if (!wanted(t, m, &exec))
		return 0;
	exec = exec && (t->opt->events & EV_MMAP_EXEC);
	th = mmt_threads_get(t->threads, m->tid);
	if (!th)
		return -ENOMEM;
	if (!task_selected(t->opt, th)) {
		t->filtered++;
		return 0;
	}
	if (ok && !(m->enter.flags & MAP_ANONYMOUS)) {
		struct mmt_file_id id = { m->enter.dev, m->enter.ino };
		struct mmt_map_query q = {
			.tid = m->tid, .tgid = th->tgid, .addr = (uint64_t)m->ret,
			.len = m->enter.len, .pgoff = m->enter.pgoff, .ts = m->ts_exit,
			.fd = (m->enter.have & MMT_HAVE_FD) ? m->enter.fd : -1,
			.want = (m->enter.have & MMT_HAVE_INO) && (m->enter.have & MMT_HAVE_DEV) ?
				&id : NULL,
			.open = exec,
			.fs = (m->enter.prot & PROT_EXEC) != 0,
		};

		mmt_proc_resolve(&q, &mi);
		if (path_excluded(t->opt, mi.path)) {
			t->filtered++;
			mmt_proc_map_info_release(&mi);
			return 0;
		}
	}
	if (ok)
		rec.alerts = alerts_of(t, m->enter.prot, m->enter.flags & MAP_ANONYMOUS, &mi,
				       th->tgid ? th->tgid : m->tid);
	if (t->opt->alert_filter && !(rec.alerts & t->opt->alert_filter))
		goto out;
	record_init(t, m, th, &mi, &rec);
	if (t->opt->events & EV_DO_MMAP) {
		rec.event = "do_mmap";
		r = mmt_emit_record(t->emit, &rec);
	}
	if (!r && exec) {
		exec_info(t, m, &mi, &x);
		rec.event = "mmap_exec";
		rec.exec = &x;
		r = mmt_emit_record(t->emit, &rec);
	}
out:
	mmt_proc_map_info_release(&mi);
	return r;
}

/*
 * The protection before an mprotect(): from the kernel (mprotect_fixup's
 * vma), else as the calls seen set it, else as a maps snapshot taken before
 * the call showed it. Return: PROT_* bits, or -1 if unknown.
 */
static int64_t prev_prot_of(struct tracer *t, const struct mmt_event *en, pid_t tgid)
{
	unsigned int prot;

	if (en->have & MMT_HAVE_PREV_PROT)
		return (int64_t)en->prev_prot;
	if (t->protmap && mmt_protmap_get(t->protmap, tgid, en->addr, &prot) == 0)
		return prot;
	if (mmt_proc_prot_before(tgid, en->addr, en->ts, &prot) == 0)
		return prot;
	return -1;
}

/*
 * A successful mprotect() that makes memory executable, or executable
 * memory writable: an mprotect_exec record (Kunai's event 40), with what
 * backs the range, resolved through /proc as for mmap_exec (and hashed).
 */
static int emit_mprotect(struct tracer *t, const struct mmt_mapping *m)
{
	const struct mmt_event *en = &m->enter;
	struct mmt_file_id id = { en->dev, en->ino };
	struct mmt_map_info mi = { .fd = -1 };
	struct mmt_exec_info x = { 0 };
	struct mmt_record rec = { 0 };
	const struct mmt_thread *th;
	int64_t prev;
	pid_t tgid;
	int r = 0;

	if (m->ret)
		return 0;
	th = mmt_threads_get(t->threads, m->tid);
	if (!th)
		return -ENOMEM;
	/* A thread whose process is unknown (gone) stands for it, as in track_mapping(). */
	tgid = th->tgid ? th->tgid : m->tid;
	prev = prev_prot_of(t, en, tgid);
	if (t->track_prot) {
		r = mmt_protmap_set(t->protmap, tgid, en->addr, en->len, (unsigned int)en->prot);
		if (r < 0)
			return r;
	}
	/* Nothing new: it was executable already (and writable, if it is now). */
	if (!(en->prot & PROT_EXEC) || !(t->opt->events & EV_MPROTECT_EXEC) ||
	    (prev >= 0 && (prev & PROT_EXEC) && (!(en->prot & PROT_WRITE) || (prev & PROT_WRITE))))
		return 0;
	if (!task_selected(t->opt, th)) {
		t->filtered++;
		return 0;
	}
	if ((en->have & MMT_HAVE_FILE) && !en->file) {
		mi.anon = true;	/* the kernel's vma has no file */
	} else {
		struct mmt_map_query q = {
			.tid = m->tid, .tgid = tgid, .addr = en->addr, .len = en->len,
			.ts = m->ts_exit, .fd = -1, .open = true, .fs = true, .range = true,
			.want = (en->have & MMT_HAVE_INO) && (en->have & MMT_HAVE_DEV) ? &id : NULL,
		};

		mmt_proc_resolve(&q, &mi);
		if (path_excluded(t->opt, mi.path)) {
			t->filtered++;
			goto out;
		}
	}
	rec.alerts = alerts_of(t, en->prot, mi.anon, &mi, tgid);
	if (t->opt->alert_filter && !(rec.alerts & t->opt->alert_filter))
		goto out;
	record_init(t, m, th, &mi, &rec);
	rec.event = "mprotect_exec";
	rec.prev_prot = prev;
	exec_info(t, m, &mi, &x);
	rec.exec = &x;
	r = mmt_emit_record(t->emit, &rec);
out:
	mmt_proc_map_info_release(&mi);
	return r;
}

/* What a successful mmap() gave, for the previous protection of later mprotect() calls. */
static int track_mapping(struct tracer *t, const struct mmt_mapping *m)
{
	const struct mmt_thread *th;

	if (!t->track_prot || mmt_mapping_failed(m))
		return 0;
	th = mmt_threads_get(t->threads, m->tid);
	if (!th)
		return -ENOMEM;
	return mmt_protmap_set(t->protmap, th->tgid ? th->tgid : m->tid, (uint64_t)m->ret,
			       m->enter.len, (unsigned int)m->enter.prot);
}

static int deliver(const struct mmt_event *ev, void *ctx)
{
	struct tracer *t = ctx;
	struct mmt_mapping m;
	int r;

	switch (ev->role) {
	case MMT_ROLE_MMAP_ENTER:
	case MMT_ROLE_MMAP_EXIT:
		r = mmt_pair_feed(t->pair, ev, &m);
		if (r > 0)
			r = track_mapping(t, &m) ?: emit_mapping(t, &m);
		return r;
	case MMT_ROLE_MPROT_ENTER:
	case MMT_ROLE_MPROT_EXIT:
		r = mmt_pair_feed(t->pair, ev, &m);
		return r <= 0 ? r : emit_mprotect(t, &m);
	case MMT_ROLE_TASK_EXIT:
		r = mmt_pair_feed(t->pair, ev, &m);
		mmt_task_cache_forget(t->tasks, ev->tid);
		return r < 0 ? r : mmt_threads_event(t->threads, ev);
	case MMT_ROLE_TASK_EXEC:
		mmt_task_cache_forget(t->tasks, ev->tid);
		/* A new address space: what was known of the old one's protections is void. */
		mmt_proc_forget(ev->tid);
		if (t->protmap)
			mmt_protmap_forget(t->protmap, ev->tid);
		return mmt_threads_event(t->threads, ev);
	case MMT_ROLE_TASK_RENAME:
		/* Task details are read again at the next record: the name changed. */
		mmt_task_cache_forget(t->tasks, ev->child ? ev->child : ev->tid);
		return mmt_threads_event(t->threads, ev);
	default:
		return mmt_threads_event(t->threads, ev);
	}
}

static int64_t mono_to_utc_offset(void)
{
	struct timespec rt, mono;

	clock_gettime(CLOCK_REALTIME, &rt);
	clock_gettime(CLOCK_MONOTONIC, &mono);
	return ((int64_t)rt.tv_sec - mono.tv_sec) * 1000000000LL + (rt.tv_nsec - mono.tv_nsec);
}

/* Kprobe hits the kernel could not record, as lost records (kprobe backend). */
static int report_missed(struct tracer *t, uint64_t now)
{
	uint64_t entry, ret, utc = (uint64_t)((int64_t)now + t->mono_to_utc);
	int r = 0;

	if (mmt_probe_missed(t->probe, &entry, &ret) < 0)
		return 0;
	if (entry > t->missed_entry)
		r = mmt_emit_lost(t->emit, entry - t->missed_entry, -1, MMT_LOST_KPROBE, utc);
	if (!r && ret > t->missed_ret)
		r = mmt_emit_lost(t->emit, ret - t->missed_ret, -1, MMT_LOST_KRETPROBE, utc);
	t->missed_entry = entry;
	t->missed_ret = ret;
	return r;
}

static int report_lost(struct tracer *t, bool force)
{
	uint64_t now = mmt_mono_ns(), cpu_lost[1024];
	int64_t lost;
	int c, r, n = mmt_ring_ncpus(t->ring);

	if (!force && now - t->last_lost_poll < LOST_POLL_NS)
		return 0;
	t->last_lost_poll = now;
	if (n > 1024)
		n = 1024;
	r = report_missed(t, now);
	if (r < 0)
		return r;
	lost = mmt_ring_update_lost(t->ring, cpu_lost);
	if (lost <= 0)
		return (int)lost;
	for (c = 0; c < n; c++) {
		if (!cpu_lost[c])
			continue;
		r = mmt_emit_lost(t->emit, cpu_lost[c], c, MMT_LOST_RING,
				  (uint64_t)((int64_t)now + t->mono_to_utc));
		if (r < 0)
			return r;
	}
	return 0;
}

/* Resident set now, from /proc/self/statm (pages); 0 if unreadable. */
static uint64_t rss_kb(void)
{
	unsigned long long size, resident = 0;
	FILE *f = fopen("/proc/self/statm", "re");

	if (!f)
		return 0;
	if (fscanf(f, "%llu %llu", &size, &resident) != 2)
		resident = 0;
	fclose(f);
	return resident * (uint64_t)sysconf(_SC_PAGESIZE) / 1024;
}

static void collect_stats(struct tracer *t, struct mmt_stats *s)
{
	uint64_t now = mmt_mono_ns(), entry, ret;
	struct mmt_ring_stats rs;
	struct mmt_pair_stats ps;
	struct mmt_hash_stats hs;
	struct rusage ru;

	memset(s, 0, sizeof(*s));
	mmt_ring_stats(t->ring, &rs);
	mmt_pair_stats(t->pair, &ps);
	s->utc_ns = (uint64_t)((int64_t)now + t->mono_to_utc);
	s->elapsed_ns = now - t->start_ns;
	s->events = rs.events;
	s->mappings = ps.paired;
	s->records = mmt_emit_records(t->emit);
	s->filtered = t->filtered;
	s->lost = rs.lost;
	s->unpaired = ps.orphan_exits + ps.orphan_entries + ps.pending;
	s->corrupt = rs.corrupt;
	s->pending = mmt_emit_pending(t->emit);
	s->threads = mmt_threads_count(t->threads);
	/* Kprobe hits the kernel dropped before the ring: a kretprobe out of instances. */
	if (t->probe && mmt_probe_missed(t->probe, &entry, &ret) == 0)
		s->missed = entry + ret;
	if (t->hasher) {
		mmt_hasher_stats(t->hasher, &hs);
		s->hash_hits = hs.hits;
		s->hash_misses = hs.misses;
		s->hashed_files = hs.hashed_files;
		s->hashed_bytes = hs.hashed_bytes;
		s->hash_skipped = hs.skipped + mmt_emit_skipped(t->emit);
	}
	s->rss_kb = rss_kb();
	if (getrusage(RUSAGE_SELF, &ru) == 0) {
		/* The kernel updates maxrss lazily: never below what statm says now. */
		s->max_rss_kb = (uint64_t)ru.ru_maxrss > s->rss_kb ? (uint64_t)ru.ru_maxrss : s->rss_kb;
		s->cpu_user_us = (uint64_t)ru.ru_utime.tv_sec * 1000000 + (uint64_t)ru.ru_utime.tv_usec;
		s->cpu_system_us = (uint64_t)ru.ru_stime.tv_sec * 1000000 +
				   (uint64_t)ru.ru_stime.tv_usec;
	}
}

/*
 * Every --stats-interval a stats line (and one at the end); every sweep_ns
 * the tables forget threads that died without an exit event (lost), so a
 * run of days keeps to the threads that live.
 */
static int periodic(struct tracer *t, bool final)
{
	uint64_t now = mmt_mono_ns();
	struct mmt_stats s;

	if (now - t->last_sweep >= t->sweep_ns) {
		t->last_sweep = now;
		mmt_threads_sweep(t->threads);
		mmt_pair_sweep(t->pair);
	}
	if (!t->opt->stats_ns || (!final && now - t->last_stats < t->opt->stats_ns))
		return 0;
	t->last_stats = now;
	collect_stats(t, &s);
	return mmt_emit_stats(t->emit, &s);
}

static int drain(struct tracer *t, bool final)
{
	int r;

	t->batch++;
	r = mmt_ring_drain(t->ring, final, deliver, t);
	if (r >= 0)
		r = report_lost(t, final);
	if (r >= 0)
		r = periodic(t, final);
	/* At the end, wait for the hashes of the last records. */
	if (r >= 0)
		r = mmt_emit_pump(t->emit, final);
	if (r >= 0)
		r = mmt_emit_flush(t->emit);
	if (r < 0 && !t->out_err && (r == -EPIPE || r == -ENOSPC || r == -EIO || r == -EFBIG ||
				     r == -EDQUOT)) {
		t->out_err = r;
		mmt_perror(r, "cannot write %s", t->opt->outfile ? t->opt->outfile : "output");
	}
	return r;
}

/* Fork CMD stopped on a pipe, so it is in set_event_pid before its first mapping. */
static int spawn(struct tracer *t, char **argv, sigset_t *oldmask, int *go_fd, int *status_fd)
{
	int go[2], st[2];
	pid_t pid;

	if (pipe2(go, O_CLOEXEC) < 0)
		return mmt_perror(-errno, "pipe");
	if (pipe2(st, O_CLOEXEC) < 0) {
		close(go[0]);
		close(go[1]);
		return mmt_perror(-errno, "pipe");
	}
	/*
	 * With -f the run ends when the kernel's pid filter is empty, which is
	 * when the last descendant is reaped. Orphans come to us, not to an
	 * init that may never reap them (a container's), and we reap them.
	 */
	if (t->opt->probe.follow && prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
		return mmt_perror(-errno, "prctl(PR_SET_CHILD_SUBREAPER)");
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		close(go[0]); close(go[1]); close(st[0]); close(st[1]);
		return mmt_perror(-errno, "fork");
	}
	if (pid == 0) {
		char c;
		int err;

		close(go[1]);
		close(st[0]);
		sigprocmask(SIG_SETMASK, oldmask, NULL);
		signal(SIGPIPE, SIG_DFL);
		/* EOF without a byte: the tracer died or gave up: do not run untraced. */
		if (read(go[0], &c, 1) != 1)
			_exit(127);
		execvp(argv[0], argv);
		err = errno;
		if (write(st[1], &err, sizeof(err)) < 0)
			_exit(127);
		_exit(127);
	}
	close(go[0]);
	close(st[1]);
	t->child = pid;
	*go_fd = go[1];
	*status_fd = st[0];
	return 0;
}

/* Returns 0 once CMD has exec'd, -errno (printed) if it could not. */
static int release_child(struct tracer *t, int go_fd, int status_fd)
{
	int err = 0;
	ssize_t n;

	n = write(go_fd, "g", 1);
	close(go_fd);
	if (n != 1) {
		close(status_fd);
		return mmt_perror(-errno, "cannot start %s", t->opt->argv[0]);
	}
	do
		n = read(status_fd, &err, sizeof(err));
	while (n < 0 && errno == EINTR);
	close(status_fd);
	if (n == sizeof(err))
		return mmt_perror(-err, "cannot run '%s'", t->opt->argv[0]);
	return 0;
}

static int add_process(struct tracer *t, pid_t pid)
{
	char path[64];
	struct dirent *de;
	DIR *dir;
	int r = 0;

	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	dir = opendir(path);
	if (!dir) {
		mmt_error("no such process: %d", (int)pid);
		return -ESRCH;
	}
	while ((de = readdir(dir)) && !r) {
		if (de->d_name[0] == '.')
			continue;
		r = mmt_probe_add_pid(t->probe, (pid_t)atoi(de->d_name));
		if (r == -ESRCH)	/* that thread just exited */
			r = 0;
	}
	closedir(dir);
	return r;
}

static int open_pidfds(struct tracer *t)
{
	int i;

	for (i = 0; i < t->opt->npids; i++) {
		t->pidfds[i] = (int)syscall(SYS_pidfd_open, t->opt->pids[i], 0);
		if (t->pidfds[i] < 0) {
			mmt_error("no such process: %d", (int)t->opt->pids[i]);
			return -ESRCH;
		}
		t->pids_alive++;
	}
	return 0;
}

static void reap_child(struct tracer *t)
{
	int status;
	pid_t p;

	while ((p = waitpid(-1, &status, WNOHANG)) > 0) {
		if (p == t->child) {
			t->child_status = status;
			t->child_done = true;
		}
	}
}

static bool finished(struct tracer *t)
{
	if (t->opt->argv) {
		if (!t->child_done)
			return false;
		/* With -f, the kernel drops exiting threads from the filter. */
		return !t->opt->probe.follow || mmt_probe_pids_left(t->probe) <= 0;
	}
	if (t->opt->npids)
		return t->pids_alive == 0;
	return false;
}

static void describe_backend(const struct tracer *t)
{
	if (t->opt->quiet)
		return;
	if (mmt_probe_backend(t->probe) == MMT_BACKEND_TRACEPOINT)
		mmt_error("backend: tracepoint (syscalls/sys_enter_mmap, sys_exit_mmap)%s; "
			  "mappings the kernel makes itself (the ELF loader's mappings of the "
			  "executable and its interpreter at execve, shmat) are not seen",
			  t->opt->probe.backend != MMT_BACKEND_AUTO ? "" :
			  mmt_kprobe_available() ? ": the do_mmap kprobes could not be placed" :
			  ": this kernel has no kprobe events");
	else
		mmt_error("backend: kprobe (do_mmap)");
}

/*
 * SIGHUP with -o: logrotate has moved the file away; write a new one at the
 * same name. If that cannot be opened, the old file goes on (nothing lost).
 */
static void reopen_output(struct tracer *t)
{
	int fd = open(t->opt->outfile, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	int r;

	if (fd < 0) {
		mmt_perror(-errno, "SIGHUP: cannot reopen %s; still writing to the old file",
			   t->opt->outfile);
		return;
	}
	r = mmt_emit_set_fd(t->emit, fd);
	if (r < 0)
		mmt_perror(r, "SIGHUP: the last lines for the old %s were not written",
			   t->opt->outfile);
	close(t->out_fd);
	t->out_fd = fd;
}

/* Return: 1 when a stop signal arrived. */
static int handle_signals(struct tracer *t)
{
	struct signalfd_siginfo si;
	bool reopen = false;
	int stop = 0;

	while (read(t->sfd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGCHLD)
			reap_child(t);
		else if (si.ssi_signo == SIGHUP && t->opt->outfile)
			reopen = true;
		else
			stop = 1;
	}
	if (reopen && !stop)
		reopen_output(t);
	return stop;
}

static bool is_pipe(int fd)
{
	struct stat st;

	return fstat(fd, &st) == 0 && S_ISFIFO(st.st_mode);
}

static int main_loop(struct tracer *t)
{
	struct pollfd fds[3 + MAX_PIDS + 1024];
	int n, ncpu, i, r, hash_fd = t->hasher ? mmt_hasher_notify_fd(t->hasher) : -1;
	int out_fd = -1, pipe_fd = -1;

	for (;;) {
		if (finished(t))
			return 0;
		/* Looked at again only when SIGHUP reopened -o (it may name a FIFO). */
		if (t->out_fd != out_fd) {
			out_fd = t->out_fd;
			pipe_fd = is_pipe(out_fd) ? out_fd : -1;
		}
		n = 0;
		fds[n++] = (struct pollfd){ .fd = t->sfd, .events = POLLIN };
		fds[n++] = (struct pollfd){ .fd = hash_fd, .events = POLLIN };
		/*
		 * A pipe whose reader left (| head -1) says so as POLLERR: stop
		 * now, not at the next write, which on a quiet host may not come.
		 */
		fds[n++] = (struct pollfd){ .fd = pipe_fd };
		for (i = 0; i < t->opt->npids; i++)
			fds[n++] = (struct pollfd){ .fd = t->pidfds[i], .events = POLLIN };
		ncpu = mmt_ring_pollfds(t->ring, fds + n);
		r = poll(fds, (nfds_t)(n + ncpu), mmt_ring_held(t->ring) ? 2 : 100);
		if (r < 0 && errno != EINTR)
			return mmt_perror(-errno, "poll");
		if (fds[0].revents && handle_signals(t))
			return 0;
		if (t->hasher && fds[1].revents)
			mmt_hasher_notify_clear(t->hasher);
		if (fds[2].revents & POLLERR) {
			t->out_err = -EPIPE;
			return mmt_perror(-EPIPE, "cannot write %s",
					  t->opt->outfile ? t->opt->outfile : "output");
		}
		for (i = 0; i < t->opt->npids; i++) {
			if (t->pidfds[i] >= 0 && fds[3 + i].revents) {
				close(t->pidfds[i]);
				t->pidfds[i] = -1;
				t->pids_alive--;
			}
		}
		r = drain(t, false);
		if (r < 0)
			return r;
	}
}

static int setup_signals(struct tracer *t, sigset_t *oldmask)
{
	sigset_t mask;

	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGCHLD);
	sigaddset(&mask, SIGQUIT);
	if (sigprocmask(SIG_BLOCK, &mask, oldmask) < 0)
		return mmt_perror(-errno, "sigprocmask");
	/* A closed output pipe is an EPIPE from write(), handled like any write error. */
	signal(SIGPIPE, SIG_IGN);
	t->sfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	if (t->sfd < 0)
		return mmt_perror(-errno, "signalfd");
	return 0;
}

static int open_output(const struct options *o, bool *created)
{
	int fd;

	*created = false;
	if (!o->outfile)
		return STDOUT_FILENO;
	fd = open(o->outfile, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | (o->append ? O_APPEND : 0),
		  0644);
	if (fd >= 0) {
		*created = true;
		return fd;
	}
	/* -A: a service restarted keeps what it wrote before; and logrotate's copytruncate works. */
	if (errno == EEXIST)
		fd = open(o->outfile, O_WRONLY | O_CLOEXEC | (o->append ? O_APPEND : O_TRUNC));
	if (fd < 0)
		return mmt_perror(-errno, "cannot open output file %s", o->outfile);
	return fd;
}

static void summary(struct tracer *t)
{
	uint64_t missed_entry, missed_ret;
	struct mmt_ring_stats rs;
	struct mmt_pair_stats ps;
	char missed[96] = "";
	struct mmt_stats s;

	if (!t->ring || !t->pair)
		return;
	collect_stats(t, &s);
	if (t->probe && mmt_probe_missed(t->probe, &missed_entry, &missed_ret) == 0)
		snprintf(missed, sizeof(missed), ", %llu returns missed, %llu entries missed",
			 (unsigned long long)missed_ret, (unsigned long long)missed_entry);
	fprintf(stderr, "mmaptrace: %llu events, %llu mappings, %llu records written, "
		"%llu events lost, %llu unpaired%s\n",
		(unsigned long long)s.events, (unsigned long long)s.mappings,
		(unsigned long long)s.records, (unsigned long long)s.lost,
		(unsigned long long)s.unpaired, missed);
	if (s.filtered)
		fprintf(stderr, "mmaptrace: %llu mappings filtered out\n",
			(unsigned long long)s.filtered);
	/* Never silent: sub-buffers that failed the sanity checks lost their events. */
	if (s.corrupt)
		fprintf(stderr, "mmaptrace: %llu corrupt sub-buffers skipped\n",
			(unsigned long long)s.corrupt);
	if (s.unpaired) {
		mmt_pair_stats(t->pair, &ps);
		fprintf(stderr, "mmaptrace: unpaired: %llu entries without a return, %llu returns "
			"without an entry, %llu entries pending at the end\n",
			(unsigned long long)ps.orphan_entries, (unsigned long long)ps.orphan_exits,
			(unsigned long long)ps.pending);
	}
	/* Nor records that could not be decoded, nor the kernel's own word of a loss. */
	mmt_ring_stats(t->ring, &rs);
	if (rs.unknown || rs.markers)
		fprintf(stderr, "mmaptrace: %llu events not decoded, %llu of %llu sub-buffers "
			"marked as having missed events\n", (unsigned long long)rs.unknown,
			(unsigned long long)rs.markers, (unsigned long long)rs.subbufs);
	if (rs.unread)
		fprintf(stderr, "mmaptrace: %llu events were still in the buffers at the end, "
			"not read\n", (unsigned long long)rs.unread);
	if (rs.unseen)
		fprintf(stderr, "mmaptrace: %llu events the kernel handed over were never read here "
			"(another reader of the instance?); counted as lost\n",
			(unsigned long long)rs.unseen);
	fprintf(stderr, "mmaptrace: reader cpu %.3f s user, %.3f s system, %llu KiB peak rss\n",
		s.cpu_user_us / 1e6, s.cpu_system_us / 1e6, (unsigned long long)s.max_rss_kb);
	if (t->hasher)
		fprintf(stderr, "mmaptrace: hash cache: %llu hits, %llu misses, %llu files hashed "
			"(%llu bytes), %llu records without hashes (queue full)\n",
			(unsigned long long)s.hash_hits, (unsigned long long)s.hash_misses,
			(unsigned long long)s.hashed_files, (unsigned long long)s.hashed_bytes,
			(unsigned long long)s.hash_skipped);
}

/* MMAPTRACE_SWEEP_INTERVAL (seconds) for tests and tuning; else SWEEP_SECONDS. */
static unsigned long sweep_interval(void)
{
	const char *env = getenv("MMAPTRACE_SWEEP_INTERVAL");
	unsigned long v;

	if (env && parse_uint(env, 86400, &v) == 0 && v > 0)
		return v;
	return SWEEP_SECONDS;
}

static int exit_status(const struct tracer *t, int err)
{
	if (err < 0)
		return 1;
	if (t->opt->argv && t->child_done) {
		if (WIFEXITED(t->child_status))
			return WEXITSTATUS(t->child_status);
		if (WIFSIGNALED(t->child_status))
			return 128 + WTERMSIG(t->child_status);
	}
	return 0;
}

static int trace(struct tracer *t, sigset_t *oldmask)
{
	const struct mmt_probe_event *events;
	int go_fd = -1, status_fd = -1, i, r;
	size_t nevents;

	t->probe = mmt_probe_open(&t->opt->probe);
	if (!t->probe)
		return -errno;
	t->track_prot = t->protmap && !mmt_probe_mprotect_prev(t->probe);
	if (t->opt->argv) {
		r = spawn(t, t->opt->argv, oldmask, &go_fd, &status_fd);
		if (r < 0)
			return r;
		r = mmt_probe_add_pid(t->probe, t->child);
	} else {
		r = open_pidfds(t);
		for (i = 0; !r && i < t->opt->npids; i++)
			r = add_process(t, t->opt->pids[i]);
	}
	if (r < 0)
		goto out_child;
	events = mmt_probe_events(t->probe, &nevents);
	t->ring = mmt_ring_open(mmt_probe_instance(t->probe), events, nevents);
	if (!t->ring) {
		r = mmt_perror(-errno, "cannot open the trace buffers");
		goto out_child;
	}
	r = mmt_probe_enable(t->probe);
	if (r < 0)
		goto out_child;
	t->entries_on = mmt_mono_ns();
	mmt_pair_set_window(t->pair, t->entries_on, UINT64_MAX);
	t->tracing = true;
	t->start_ns = t->last_stats = t->last_sweep = mmt_mono_ns();
	describe_backend(t);
	if (t->opt->argv) {
		r = release_child(t, go_fd, status_fd);
		go_fd = status_fd = -1;
		if (r < 0) {
			kill(t->child, SIGKILL);
			waitpid(t->child, NULL, 0);
			t->child = 0;
			t->tracing = false;	/* nothing ran: no output file */
			return -ENOEXEC;
		}
	}
	r = main_loop(t);
	/*
	 * Stop the events first so the last drain sees a finished buffer: the
	 * entries, then the rest once the calls under way have returned, that
	 * is once the counts stop moving. Both waits are bounded (a busy host's
	 * task events keep the counts moving); what stays unread is said in the
	 * summary. The pairing window closes before the write that stops the
	 * entries, which takes milliseconds.
	 */
	mmt_pair_set_window(t->pair, t->entries_on, mmt_mono_ns());
	mmt_probe_stop_entries(t->probe);
	(void)mmt_ring_settle(t->ring, 20);
	mmt_probe_disable(t->probe);
	if (r >= 0 || r == -EPIPE) {
		(void)mmt_ring_settle(t->ring, 100);
		drain(t, true);
	}
	return r;
out_child:
	if (go_fd >= 0) {
		close(go_fd);
		close(status_fd);
		waitpid(t->child, NULL, 0);
		t->child = 0;
	}
	return r;
}

int main(int argc, char **argv)
{
	static struct options opt;
	static struct tracer t;
	bool mounted = false, created = false;
	sigset_t oldmask;
	int r, i;

	r = parse_options(argc, argv, &opt);
	if (r) {
		r = r > 0 ? 0 : 1;
		goto out_options;
	}
	t.opt = &opt;
	t.sfd = -1;
	t.sweep_ns = sweep_interval() * 1000000000ULL;
	for (i = 0; i < MAX_PIDS; i++)
		t.pidfds[i] = -1;
	if (geteuid() != 0) {
		mmt_error("must run as root: tracefs and other processes' /proc entries need it");
		r = 1;
		goto out_options;
	}
	t.out_fd = open_output(&opt, &created);
	if (t.out_fd < 0) {
		r = 1;
		goto out_options;
	}
	r = setup_signals(&t, &oldmask);
	if (r < 0)
		goto out_output;
	r = mmt_probe_mount(&mounted);
	if (r < 0)
		goto out_output;
	mmt_probe_sweep_stale();
	t.mono_to_utc = mono_to_utc_offset();
	t.pair = mmt_pair_new();
	t.threads = mmt_threads_new();
	t.tasks = mmt_task_cache_new(TASK_CACHE_ENTRIES);
	t.emit = mmt_emit_open(t.out_fd, &opt.emit);
	if (!t.pair || !t.threads || !t.tasks || !t.emit) {
		r = mmt_perror(-ENOMEM, "setup");
		goto out_free;
	}
	if (mmt_host_read(&t.host) < 0)
		snprintf(t.host.name, sizeof(t.host.name), "?");
	if (opt.events & EV_MPROTECT_EXEC) {
		opt.probe.mprotect = true;
		t.protmap = mmt_protmap_new();
		if (!t.protmap) {
			r = mmt_perror(-ENOMEM, "setup");
			goto out_free;
		}
	}
	/* Only mmap_exec and mprotect_exec hash: the worker and libmagic's database are not free. */
	if ((opt.events & (EV_MMAP_EXEC | EV_MPROTECT_EXEC)) &&
	    !(t.hasher = mmt_hasher_new(HASH_CACHE_ENTRIES, MMT_EMIT_MAX_PENDING, opt.hash_limit))) {
		r = mmt_perror(errno ? -errno : -ENOMEM,
			       "cannot start the hashing thread (or load libmagic's database)");
		goto out_free;
	}
	r = trace(&t, &oldmask);
	if (r != -ENOEXEC)
		summary(&t);
out_free:
	mmt_ring_close(t.ring);
	mmt_probe_close(t.probe);
	mmt_probe_unmount(mounted);
	/* Interrupted with CMD still running: it goes on untraced, as strace's detach. */
	if (mmt_emit_close(t.emit) < 0 && !t.out_err)
		r = -EIO;
	/* After the emitter: it held the last hash jobs. */
	mmt_hasher_free(t.hasher);
	mmt_task_cache_free(t.tasks);
	mmt_protmap_free(t.protmap);
	mmt_pair_free(t.pair);
	mmt_threads_free(t.threads);
	for (i = 0; i < MAX_PIDS; i++)
		if (t.pidfds[i] >= 0)
			close(t.pidfds[i]);
out_output:
	/* A run that never started tracing leaves no empty output file behind. */
	if (created && !t.tracing)
		unlink(opt.outfile);
	if (t.out_fd != STDOUT_FILENO)
		close(t.out_fd);
	if (r == -ENOEXEC)
		r = 127;
	else if (t.out_err == -EPIPE)
		r = exit_status(&t, 0);
	else
		r = exit_status(&t, t.out_err ? t.out_err : r);
out_options:
	for (i = 0; i < (int)opt.nlists; i++)
		free(opt.lists[i]);
	return r;
}
