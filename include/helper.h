/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * helper.h - a child process that a thread of ours talks to over a socket,
 * passing descriptors: the process, not the thread, is what waits in a
 * filesystem that does not answer, and a process can be killed and left
 * behind where a thread cannot.
 */
#ifndef MMT_HELPER_H
#define MMT_HELPER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* In the child: its socket, and the descriptor it was given to keep. */
#define MMT_HELPER_SOCK_FD	3
#define MMT_HELPER_KEEP_FD	4

/**
 * struct mmt_helper - one child process and our end of its socket
 * @pid: the child; 0 when none runs
 * @pidfd: the child, to signal it without a pid reuse race; -1: kill() by pid
 * @sock: our end of the SOCK_SEQPACKET pair; -1 when none runs
 *
 * Zeroed by mmt_helper_init(); used by one thread at a time.
 */
struct mmt_helper {
	pid_t pid;
	int pidfd;
	int sock;
};

/** mmt_helper_init() - no process yet */
void mmt_helper_init(struct mmt_helper *hp);

/**
 * mmt_helper_start() - fork a child that runs @child
 * @keep_fd: a descriptor the child keeps, as %MMT_HELPER_KEEP_FD; -1: none
 * @child: runs in the child with its socket on %MMT_HELPER_SOCK_FD, the
 *	standard streams on /dev/null and no other descriptor of ours open
 *	(neither the trace buffers nor the output: a child left behind must
 *	hold none); it must not return. It may make only async-signal-safe
 *	calls until it execs: it is the child of a threaded process
 * @arg: for @child
 *
 * The child dies with the thread that forked it (PR_SET_PDEATHSIG).
 * Return: 0 or -errno.
 */
int mmt_helper_start(struct mmt_helper *hp, int keep_fd,
		     void (*child)(void *arg) __attribute__((noreturn)), void *arg);

/**
 * mmt_helper_drop() - kill the child, reap it if it died at once, and forget it
 *
 * A child stuck in its filesystem is not waited for: whoever waits for
 * children reaps it later. Nothing to do when none runs.
 */
void mmt_helper_drop(struct mmt_helper *hp);

/**
 * mmt_helper_send() - one message to the child, with a descriptor
 * @fd: passed along (SCM_RIGHTS); -1: none
 * Return: 0 or -errno (-EPIPE: the child is gone).
 */
int mmt_helper_send(struct mmt_helper *hp, const void *msg, size_t len, int fd);

/**
 * mmt_helper_recv() - the child's answer, waited for until @deadline
 * @deadline: CLOCK_MONOTONIC ns
 * @stop_fd: readable: give up (-ECANCELED); -1: none
 * @fd: set to a descriptor that came along, or -1; NULL: none expected
 *	(one that comes is closed)
 *
 * An answer of another size than @len is the child's failure: -EPROTO.
 * Return: 0, -ETIMEDOUT, -ECANCELED, -EPIPE (the child died) or -errno.
 */
int mmt_helper_recv(struct mmt_helper *hp, void *msg, size_t len, int *fd, uint64_t deadline,
		    int stop_fd);

/**
 * mmt_helper_child_recv() - in the child: the next message, blocking
 * @fd: set to the descriptor that came along (close-on-exec), or -1
 * Return: 1, 0 at EOF (the parent is gone), -1 on error or a message of
 *	another size. Async-signal-safe.
 */
int mmt_helper_child_recv(void *msg, size_t len, int *fd);

/**
 * mmt_helper_child_send() - in the child: an answer, with a descriptor or -1
 * Return: 0 or -1. Async-signal-safe.
 */
int mmt_helper_child_send(const void *msg, size_t len, int fd);

#endif
