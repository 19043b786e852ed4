/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What is traced: CMD, run as a child held on a pipe until the kernel's
 * pid filter has it, or the running processes of -p, watched through
 * pidfds; or neither (-a). It says when the run is over and with which
 * exit status.
 */
#ifndef MMT_TARGET_H
#define MMT_TARGET_H

#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/types.h>

struct mmt_options;
struct mmt_probe;
struct mmt_target;

/**
 * mmt_target_new() - the target of @o (CMD, -p PIDs or -a); @o must outlive it
 * Return: freed by mmt_target_free(); NULL + errno.
 */
struct mmt_target *mmt_target_new(const struct mmt_options *o);

/**
 * mmt_target_free() - close what is left; NULL is fine
 *
 * A CMD still running goes on untraced (as strace's detach); one that was
 * never released is killed by its pipe's end: it exits 127 unrun.
 */
void mmt_target_free(struct mmt_target *t);

/**
 * mmt_target_scope() - start CMD held before exec, or find the -p processes,
 *	and put them in @probe's pid filter (all threads of each process)
 * @oldmask: the signal mask CMD gets back
 * Return: 0, or -errno with the message printed (-ESRCH: no such process).
 */
int mmt_target_scope(struct mmt_target *t, struct mmt_probe *probe, const sigset_t *oldmask);

/**
 * mmt_target_release() - let CMD exec, now that tracing is on (no-op without CMD)
 * Return: 0 once CMD has exec'd; -ENOEXEC (printed) if it could not, CMD reaped.
 */
int mmt_target_release(struct mmt_target *t);

/** mmt_target_child() - CMD's pid once started; 0 with -p or -a. */
pid_t mmt_target_child(const struct mmt_target *t);

/** mmt_target_pollfds() - the pidfds of -p to poll into @fds. Return: their count. */
int mmt_target_pollfds(const struct mmt_target *t, struct pollfd *fds);

/** mmt_target_polled() - what poll() said of the fds mmt_target_pollfds() gave. */
void mmt_target_polled(struct mmt_target *t, const struct pollfd *fds);

/** mmt_target_reap() - SIGCHLD: reap every child that ended, CMD's status kept. */
void mmt_target_reap(struct mmt_target *t);

/**
 * mmt_target_finished() - whether the traced processes are all gone
 * @probe: with -f, its pid filter says when the last descendant is reaped
 */
bool mmt_target_finished(const struct mmt_target *t, struct mmt_probe *probe);

/**
 * mmt_target_check_attach() - say what -p processes mapped before tracing was on
 *
 * Call once, right after the events are enabled. The setup takes a few
 * hundred ms, and seconds on a loaded host: a file mapping a -p process made
 * since mmt_target_new() (a VMA of /proc/PID/maps not there then) has no
 * event and no record, so it is counted on standard error instead of the
 * run looking as if the process mapped nothing. No-op without -p.
 */
void mmt_target_check_attach(struct mmt_target *t);

/**
 * mmt_target_exit_status() - mmaptrace's exit status
 * @err: the run's error (< 0: 1), else CMD's status (128 + signal), else 0
 */
int mmt_target_exit_status(const struct mmt_target *t, int err);

#endif /* MMT_TARGET_H */
