// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * mmaptrace: setup order, the main loop, signals, exit status.
 *
 * The stages, in the order data flows: the ring buffers (ring.c) deliver
 * events to enrichment (enrich.c: pairing, filters, /proc, alerts, hash
 * jobs), which hands records to the record assembly (assemble.c: waiting
 * for hashes, in event order), which hands lines to the output (emit.c).
 * This file builds them in that order, runs the loop and takes them down
 * in reverse.
 *
 * Only this file exits. Signals are taken through a signalfd in the main
 * loop (no handler runs), so every exit path goes through the same teardown
 * and the kernel is left as it was found.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "assemble.h"
#include "clock.h"
#include "emit.h"
#include "enrich.h"
#include "error.h"
#include "inspect.h"
#include "logsink.h"
#include "options.h"
#include "outfile.h"
#include "perf.h"
#include "probe.h"
#include "procfs.h"
#include "ring.h"
#include "stats.h"
#include "target.h"

struct tracer {
	struct mmt_options *opt;
	struct mmt_probe *probe;
	struct mmt_ring *ring;
	struct mmt_perf *perf;		/* the kernel's mapping records; NULL: refused */
	struct mmt_enrich *enrich;
	struct mmt_emit *emit;
	struct mmt_logsink *sink;	/* -o journal: or syslog:..., where the messages go; else NULL */
	struct mmt_emit *side;		/* lost and stats records; NULL: in emit (--mixed, a log sink) */
	struct mmt_assemble *assemble;	/* in front of emit */
	struct mmt_stats_run *stats;
	struct mmt_target *target;
	int sfd;
	int out_fd;
	int side_fd;		/* --stats-output, or standard error; -1: none */
	int out_err;
	bool tracing;		/* events were enabled */
	bool signalled;		/* a signal ended the run */
	int64_t mono_to_utc;	/* add to a trace timestamp to get UTC ns */
	uint64_t last_sweep;
	int delivered;		/* events the last drain delivered */
};

/*
 * While events flow, the reader sleeps this long on its other descriptors
 * before it drains again, rather than on the buffers (see main_loop()).
 */
#define COALESCE_MS	1
/* How long the end of a run waits for a syslog collector to take the rest. */
#define SINK_FINAL_MS	2000

static int64_t mono_to_utc_offset(void)
{
	struct timespec rt, mono;

	clock_gettime(CLOCK_REALTIME, &rt);
	clock_gettime(CLOCK_MONOTONIC, &mono);
	return ((int64_t)rt.tv_sec - mono.tv_sec) * 1000000000LL + (rt.tv_nsec - mono.tv_nsec);
}

/*
 * One pass of the flow: the ring buffers into enrichment, what the kernel
 * lost, the periodic records, then the output. Every sweep interval the
 * stores forget threads that died without an exit event (lost), so a run
 * of days keeps to the threads that live.
 */
static int drain(struct tracer *t, bool final)
{
	const char *name = t->opt->outfile ? t->opt->outfile :
			   t->opt->logsink ? t->opt->logsink : "output";
	uint64_t now = mmt_mono_ns();
	int r;

	mmt_enrich_next_batch(t->enrich);
	r = mmt_ring_drain(t->ring, final, mmt_enrich_deliver, t->enrich);
	t->delivered = r > 0 ? r : 0;
	if (r >= 0)
		r = mmt_stats_lost(t->stats, final);
	if (r >= 0 && now - t->last_sweep >= t->opt->sweep_ns) {
		t->last_sweep = now;
		mmt_enrich_sweep(t->enrich);
	}
	/*
	 * At the end, wait for the hashes of the last records, before the last
	 * stats record: it counts them (it counted only the written ones, short
	 * of the summary, when records still waited for their hashes).
	 */
	if (r >= 0 && final)
		r = mmt_assemble_pump(t->assemble, true);
	if (r >= 0)
		r = mmt_stats_tick(t->stats, final);
	if (r >= 0)
		r = mmt_assemble_pump(t->assemble, final);
	if (r >= 0)
		r = mmt_emit_flush(t->emit);
	if (r >= 0 && t->side && (r = mmt_emit_flush(t->side)) < 0)
		name = t->opt->stats_outfile ? t->opt->stats_outfile : "standard error";
	if (r < 0 && !t->out_err && (r == -EPIPE || r == -ENOSPC || r == -EIO || r == -EFBIG ||
				     r == -EDQUOT)) {
		t->out_err = r;
		mmt_perror(r, "cannot write %s", name);
	}
	return r;
}

/* MMT_OUTFILE_* for -o as the options ask. */
static unsigned int outfile_flags(const struct mmt_options *o, bool append)
{
	return (append ? MMT_OUTFILE_APPEND : 0) | (o->output_any_owner ? MMT_OUTFILE_ANY_OWNER : 0);
}

/*
 * SIGHUP with -o or --stats-output: logrotate has moved the file @path
 * away; write a new one at the same name. If that cannot be opened, the
 * old file goes on (nothing lost).
 */
static void reopen_output(struct tracer *t, const char *path, struct mmt_emit *e, int *out_fd)
{
	char why[MMT_OUTFILE_WHY];
	bool created;
	int fd = mmt_outfile_open(path, outfile_flags(t->opt, true), &created, why, sizeof(why));
	int r;

	if (fd < 0 && why[0]) {
		mmt_error("SIGHUP: refusing %s: %s; still writing to the old file", path, why);
		return;
	}
	if (fd < 0) {
		mmt_perror(fd, "SIGHUP: cannot reopen %s; still writing to the old file", path);
		return;
	}
	r = mmt_emit_set_fd(e, fd);
	if (r < 0)
		mmt_perror(r, "SIGHUP: the last lines for the old %s were not written", path);
	close(*out_fd);
	*out_fd = fd;
}

/* Return: 1 when a stop signal arrived. */
static int handle_signals(struct tracer *t)
{
	struct signalfd_siginfo si;
	bool reopen = false;
	int stop = 0;

	while (read(t->sfd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGCHLD)
			mmt_target_reap(t->target);
		else if (si.ssi_signo == SIGHUP &&
			 (t->opt->outfile || t->opt->stats_outfile || t->opt->logsink))
			reopen = true;
		else
			stop = 1;
	}
	/* A log sink has nothing to reopen (a lost TCP connection is made again anyway). */
	if (reopen && !stop && t->opt->outfile)
		reopen_output(t, t->opt->outfile, t->emit, &t->out_fd);
	if (reopen && !stop && t->opt->stats_outfile)
		reopen_output(t, t->opt->stats_outfile, t->side, &t->side_fd);
	return stop;
}

/* At the end: a (further) stop signal cuts the wait for the last hashes. */
static bool end_cut(void *arg)
{
	return handle_signals(arg) > 0;
}

/*
 * A run that ended by itself waits for its last hashes as long as any
 * record may (each hash has its own deadline); one that a signal stopped,
 * half a second, and a second signal stops even that; one whose output
 * went away, not at all.
 */
static void set_end_wait(struct tracer *t)
{
	unsigned int ms = t->out_err ? 0 : t->signalled ? MMT_ASSEMBLE_END_WAIT_MS :
			  (t->opt->filters.hash_timeout + 1) * 1000U;

	mmt_assemble_set_end(t->assemble, ms, end_cut, t);
}

static bool is_pipe(int fd)
{
	struct stat st;

	return fstat(fd, &st) == 0 && S_ISFIFO(st.st_mode);
}

static int main_loop(struct tracer *t)
{
	struct pollfd fds[4 + MMT_MAX_PIDS + 2 * 1024];
	int n, ntarget, ncpu, nperf, r, wake_fd = mmt_enrich_wake_fd(t->enrich);
	int out_fd = -1, pipe_fd = -1;
	bool flowing;

	for (;;) {
		if (mmt_target_finished(t->target, t->probe))
			return 0;
		/* Looked at again only when SIGHUP reopened -o (it may name a FIFO). */
		if (t->out_fd != out_fd) {
			out_fd = t->out_fd;
			pipe_fd = is_pipe(out_fd) ? out_fd : -1;
		}
		n = 0;
		fds[n++] = (struct pollfd){ .fd = t->sfd, .events = POLLIN };
		fds[n++] = (struct pollfd){ .fd = wake_fd, .events = POLLIN };
		/*
		 * A pipe whose reader left (| head -1) says so as POLLERR: stop
		 * now, not at the next write, which on a quiet host may not come.
		 */
		fds[n++] = (struct pollfd){ .fd = pipe_fd };
		/* A TCP collector's queue drains as the socket takes it. */
		fds[n] = (struct pollfd){ .fd = -1 };
		if (t->sink)
			mmt_logsink_pollfd(t->sink, &fds[n]);
		n++;
		ntarget = mmt_target_pollfds(t->target, fds + n);
		/*
		 * The buffers wake a reader asleep on them at the next event
		 * (buffer_percent 0): when the reader keeps up, that is a
		 * wakeup per event, which costs the traced process an
		 * interrupt and, with the CPUs busy, the reader taking its
		 * CPU, for every call. So while events flow, sleep
		 * COALESCE_MS on the rest and drain what came meanwhile; wait
		 * on the buffers again once a drain finds nothing.
		 */
		flowing = t->delivered > 0 || mmt_ring_held(t->ring);
		ncpu = flowing ? 0 : mmt_ring_pollfds(t->ring, fds + n + ntarget);
		nperf = flowing || !t->perf ? 0 :
			mmt_perf_pollfds(t->perf, fds + n + ntarget + ncpu);
		r = poll(fds, (nfds_t)(n + ntarget + ncpu + nperf), flowing ? COALESCE_MS : 100);
		if (r < 0 && errno != EINTR)
			return mmt_perror(-errno, "poll");
		if (fds[0].revents && handle_signals(t)) {
			t->signalled = true;
			return 0;
		}
		if (fds[1].revents)
			mmt_enrich_wake_clear(t->enrich);
		if (fds[2].revents & POLLERR) {
			t->out_err = -EPIPE;
			return mmt_perror(-EPIPE, "cannot write %s",
					  t->opt->outfile ? t->opt->outfile : "output");
		}
		mmt_target_polled(t->target, fds + n);
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

/* @path (-o or --stats-output, named @what in messages), or @fd without one. */
static int open_output(const struct mmt_options *o, const char *path, int fd, const char *what,
		       bool *created)
{
	char why[MMT_OUTFILE_WHY];

	*created = false;
	if (!path)
		return fd;
	fd = mmt_outfile_open(path, outfile_flags(o, o->append), created, why, sizeof(why));
	if (fd < 0 && why[0])
		mmt_error("refusing %s %s: %s", what, path, why);
	else if (fd < 0)
		mmt_perror(fd, "cannot open %s %s", what, path);
	return fd;
}

/*
 * Whether lost and stats records have a stream of their own: a consumer of
 * the records (Kunai's reader, Tracee's) stops at the first foreign line,
 * so by default they do, unless --mixed asks for one stream or the output
 * is a log sink, whose messages are typed.
 */
static bool own_stats_stream(const struct mmt_options *o)
{
	return o->stats_outfile || (!o->mixed && !o->logsink);
}

/* That stream, in mmaptrace's JSON (or text) form. */
static int open_side(struct tracer *t)
{
	struct mmt_emit_opts eo = t->opt->emit;

	if (!own_stats_stream(t->opt))
		return 0;
	/* Tracee's envelope has no such events. */
	if (eo.format == MMT_FORMAT_TRACEE)
		eo.format = MMT_FORMAT_JSON;
	t->side = mmt_emit_open(t->side_fd, &eo);
	return t->side ? 0 : -errno;
}

/* Whose mappings the kernel makes itself (at execve) are theirs to report. */
static int watch_target(struct tracer *t)
{
	pid_t child = mmt_target_child(t->target);
	int i, r = 0;

	mmt_enrich_set_scope(t->enrich, t->opt->probe.all, t->opt->probe.follow);
	if (child)
		r = mmt_enrich_watch(t->enrich, child);
	for (i = 0; !r && i < t->opt->npids; i++)
		r = mmt_enrich_watch(t->enrich, t->opt->pids[i]);
	return r < 0 ? mmt_perror(r, "setup") : 0;
}

/*
 * -p: every thread of the processes, each with events of its own (and the
 * tasks they make later, by inherit) writing to the same rings, so the run
 * reads their records rather than the whole host's (a 300 s run on a
 * sleeping process read 4.8M records). Listed until a pass finds no new
 * thread, as a thread may make one before its own events exist. Return: the
 * number of threads followed; 0 if there are too many or none could be
 * followed, and the caller then records the host.
 */
static int perf_follow_pids(struct tracer *t, struct mmt_perf_opts *po)
{
	int i, pass, added = 1, followed = 0, r;

	for (pass = 0; added && pass < 4; pass++) {
		added = 0;
		for (i = 0; i < t->opt->npids; i++) {
			pid_t *tids;
			size_t n, k;

			if (mmt_procfs_threads(t->opt->pids[i], &tids, &n) < 0)
				continue;	/* gone: the attach checks say so */
			for (k = 0; k < n; k++) {
				if (!t->perf) {
					po->tid = tids[k];
					t->perf = mmt_perf_open(po);
					r = t->perf ? 1 : -errno;
				} else {
					r = mmt_perf_follow(t->perf, tids[k]);
				}
				if ((r < 0 && r != -ESRCH) || !t->perf) {
					free(tids);
					mmt_perf_close(t->perf);
					t->perf = NULL;
					return 0;
				}
				/* a thread gone since the listing (-ESRCH) needs nothing */
				added += r == 1;
			}
			free(tids);
		}
		followed += added;
	}
	return followed;
}

/*
 * The kernel's own mapping records (perf), for CMD and its children, the -p
 * processes' threads, or the whole host, merged with the tracefs events by
 * timestamp. A kernel or a policy that refuses perf events leaves the run as
 * it was without them.
 */
static int open_perf(struct tracer *t)
{
	struct mmt_perf_opts po = {
		.pid = mmt_target_child(t->target),
		.data = (t->opt->filters.events & MMT_EV_DO_MMAP) != 0,
	};
	struct mmt_ring_source src;
	int r;

	if (!po.pid && t->opt->npids && !t->opt->probe.all)
		perf_follow_pids(t, &po);
	po.tid = 0;
	if (!t->perf)
		t->perf = mmt_perf_open(&po);
	if (!t->perf) {
		if (!t->opt->quiet)
			mmt_perror(-errno, "perf events unavailable: files are named through /proc "
				   "after the fact, and a process gone by then has none");
		return 0;
	}
	mmt_perf_source(t->perf, &src);
	r = mmt_ring_attach(t->ring, &src);
	return r < 0 ? mmt_perror(r, "setup") : 0;
}

/* The kernel side and the readers, in the order that misses nothing; then the loop. */
static int trace(struct tracer *t, const sigset_t *oldmask)
{
	const struct mmt_probe_event *events;
	struct mmt_stats_sources src;
	uint64_t entries_on;
	size_t nevents;
	int r;

	t->probe = mmt_probe_open(&t->opt->probe);
	if (!t->probe)
		return -errno;
	mmt_enrich_set_backend(t->enrich, mmt_probe_backend_name(t->probe),
			       mmt_probe_mprotect_prev(t->probe), mmt_probe_tracks_creds(t->probe));
	r = mmt_target_scope(t->target, t->probe, oldmask);
	if (r < 0)
		return r;
	r = watch_target(t);
	if (r < 0)
		return r;
	events = mmt_probe_events(t->probe, &nevents);
	t->ring = mmt_ring_open(mmt_probe_instance(t->probe), events, nevents);
	if (!t->ring)
		return mmt_perror(-errno, "cannot open the trace buffers");
	r = open_perf(t);
	if (r < 0)
		return r;
	src = (struct mmt_stats_sources){
		.ring = t->ring, .probe = t->probe, .perf = t->perf, .enrich = t->enrich,
		.emit = t->emit, .assemble = t->assemble, .sink = t->sink,
		.mono_to_utc = t->mono_to_utc, .interval_ns = t->opt->stats_ns,
	};
	t->stats = mmt_stats_open(&src);
	if (!t->stats)
		return mmt_perror(-ENOMEM, "setup");
	/* The kernel's records first: every call the probes see has its record. */
	if (t->perf && (r = mmt_perf_enable(t->perf)) < 0)
		return mmt_perror(r, "cannot enable the perf events");
	r = mmt_probe_enable(t->probe);
	if (r < 0)
		return r;
	entries_on = mmt_mono_ns();
	mmt_target_check_attach(t->target);
	mmt_enrich_set_window(t->enrich, entries_on, UINT64_MAX);
	t->tracing = true;
	mmt_stats_start(t->stats);
	t->last_sweep = mmt_mono_ns();
	mmt_probe_describe(t->probe, t->perf != NULL);
	if (mmt_target_release(t->target) < 0) {
		t->tracing = false;	/* nothing ran: no output file */
		return -ENOEXEC;
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
	mmt_enrich_set_window(t->enrich, entries_on, mmt_mono_ns());
	mmt_probe_stop_entries(t->probe);
	(void)mmt_ring_settle(t->ring, 20);
	mmt_probe_disable(t->probe);
	if (t->perf)
		(void)mmt_perf_disable(t->perf);
	if (r >= 0 || r == -EPIPE) {
		(void)mmt_ring_settle(t->ring, 100);
		set_end_wait(t);
		drain(t, true);
	}
	/* The last records, to a collector that is slow but reads: a bounded wait. */
	if (t->sink)
		(void)mmt_logsink_flush(t->sink, SINK_FINAL_MS);
	return r;
}

int main(int argc, char **argv)
{
	static struct mmt_options opt;
	static struct tracer t;
	bool mounted = false, created = false, side_created = false;
	sigset_t oldmask;
	int r;

	/* The hasher runs this binary again as its confined inspector. */
	if (mmt_inspector_called(argc, argv))
		return mmt_inspector_main();

	r = mmt_options_parse(argc, argv, &opt);
	if (r) {
		r = r > 0 ? 0 : 1;
		goto out_options;
	}
	t.opt = &opt;
	t.sfd = -1;
	t.side_fd = -1;
	if (geteuid() != 0) {
		mmt_error("must run as root: tracefs and other processes' /proc entries need it");
		r = 1;
		goto out_options;
	}
	t.out_fd = open_output(&opt, opt.outfile, opt.logsink ? -1 : STDOUT_FILENO, "output file",
			       &created);
	if (t.out_fd < 0 && !opt.logsink) {
		r = 1;
		goto out_options;
	}
	if (opt.logsink) {
		t.sink = mmt_logsink_open(opt.logsink,
					  opt.emit.source ? opt.emit.source : MMT_EMIT_SOURCE);
		if (!t.sink) {
			mmt_perror(-errno, "cannot open %s", opt.logsink);
			r = 1;
			goto out_options;
		}
	}
	if (own_stats_stream(&opt)) {
		t.side_fd = open_output(&opt, opt.stats_outfile, STDERR_FILENO, "stats output file",
					&side_created);
		if (t.side_fd < 0) {
			r = t.side_fd;
			goto out_output;
		}
	}
	r = setup_signals(&t, &oldmask);
	if (r < 0)
		goto out_output;
	r = mmt_probe_mount(&mounted);
	if (r < 0)
		goto out_output;
	mmt_probe_sweep_stale();
	t.mono_to_utc = mono_to_utc_offset();
	if (opt.filters.events & MMT_EV_MPROTECT_EXEC)
		opt.probe.mprotect = true;
	t.emit = t.sink ? mmt_emit_open_sink(t.sink, &opt.emit) : mmt_emit_open(t.out_fd, &opt.emit);
	r = open_side(&t);
	t.assemble = t.emit && !r ? mmt_assemble_open(t.emit, t.side) : NULL;
	/* A second past the hasher's deadline, so the hasher's own error is what shows. */
	if (t.assemble)
		mmt_assemble_set_max_wait(t.assemble, opt.filters.hash_timeout + 1);
	t.target = mmt_target_new(&opt);
	if (!t.assemble || !t.target) {
		r = mmt_perror(-ENOMEM, "setup");
		goto out_free;
	}
	/* Prints its own message: the hashing thread or libmagic may be what failed. */
	t.enrich = mmt_enrich_new(&opt.filters, t.assemble, t.mono_to_utc);
	if (!t.enrich) {
		r = -errno;
		goto out_free;
	}
	r = trace(&t, &oldmask);
	if (r != -ENOEXEC && t.stats)
		mmt_stats_summary(t.stats);
out_free:
	mmt_stats_close(t.stats);
	mmt_ring_close(t.ring);
	mmt_perf_close(t.perf);
	mmt_probe_close(t.probe);
	mmt_probe_unmount(mounted);
	/* Interrupted with CMD still running: it goes on untraced, as strace's detach. */
	if (mmt_assemble_close(t.assemble) < 0 && !t.out_err)
		r = -EIO;
	if (mmt_emit_close(t.emit) < 0 && !t.out_err)
		r = -EIO;
	if (mmt_emit_close(t.side) < 0 && !t.out_err)
		r = -EIO;
	mmt_logsink_close(t.sink);
	/* After the assembly: it held the last hash jobs. */
	mmt_enrich_free(t.enrich);
out_output:
	/* A run that never started tracing leaves no empty output file behind. */
	if (created && !t.tracing)
		unlink(opt.outfile);
	if (side_created && !t.tracing)
		unlink(opt.stats_outfile);
	if (t.out_fd >= 0 && t.out_fd != STDOUT_FILENO)
		close(t.out_fd);
	if (t.side_fd >= 0 && t.side_fd != STDERR_FILENO)
		close(t.side_fd);
	if (r == -ENOEXEC)
		r = 127;
	else if (t.out_err == -EPIPE)
		r = mmt_target_exit_status(t.target, 0);
	else
		r = mmt_target_exit_status(t.target, t.out_err ? t.out_err : r);
	mmt_target_free(t.target);
out_options:
	mmt_options_free(&opt);
	return r;
}
