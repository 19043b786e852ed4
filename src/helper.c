// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * helper.c - child processes we talk to over a SOCK_SEQPACKET pair: a
 * message per request and per answer, each with at most one descriptor.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clock.h"
#include "helper.h"

void mmt_helper_init(struct mmt_helper *hp)
{
	hp->pid = 0;
	hp->pidfd = -1;
	hp->sock = -1;
}

/*
 * The child's descriptors: its socket (kept across an exec), @keep_fd
 * (close-on-exec), /dev/null as stdio, nothing else. Both are moved above
 * the numbers they go to first, so that neither overwrites the other.
 */
static void child_fds(int sock, int keep_fd)
{
	int s, k = -1, null;

	s = fcntl(sock, F_DUPFD_CLOEXEC, MMT_HELPER_KEEP_FD + 1);
	if (s < 0 || (keep_fd >= 0 && (k = fcntl(keep_fd, F_DUPFD_CLOEXEC,
						 MMT_HELPER_KEEP_FD + 1)) < 0))
		_exit(1);
	if (dup2(s, MMT_HELPER_SOCK_FD) < 0 ||
	    (k >= 0 && dup3(k, MMT_HELPER_KEEP_FD, O_CLOEXEC) < 0))
		_exit(1);
	if (syscall(SYS_close_range, MMT_HELPER_KEEP_FD + (k >= 0 ? 1U : 0U), ~0U, 0U) < 0) {
		for (int fd = MMT_HELPER_KEEP_FD + (k >= 0); fd < 1024; fd++)
			(void)close(fd);
	}
	/* Nor our standard streams: a pipe's reader would wait for this end too. */
	null = open("/dev/null", O_RDWR);
	for (int fd = 0; fd < 3; fd++) {
		if (null < 0 ? close(fd) < 0 && errno != EBADF : dup2(null, fd) < 0)
			_exit(1);
	}
	if (null > 2)
		(void)close(null);
}

int mmt_helper_start(struct mmt_helper *hp, int keep_fd,
		     void (*child)(void *arg) __attribute__((noreturn)), void *arg)
{
	pid_t parent = getpid(), pid;
	int sv[2], err;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return -errno;
	pid = fork();
	if (pid < 0) {
		err = -errno;
		(void)close(sv[0]);
		(void)close(sv[1]);
		return err;
	}
	if (pid == 0) {
		/* Dies with the thread that made it, even one killed with SIGKILL. */
		(void)prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(0);
		child_fds(sv[1], keep_fd);
		child(arg);
	}
	(void)close(sv[1]);
	hp->pid = pid;
	hp->sock = sv[0];
	hp->pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	return 0;
}

void mmt_helper_drop(struct mmt_helper *hp)
{
	if (!hp->pid)
		return;
	if (hp->pidfd >= 0) {
		(void)syscall(SYS_pidfd_send_signal, hp->pidfd, SIGKILL, NULL, 0);
		(void)close(hp->pidfd);
	} else {
		(void)kill(hp->pid, SIGKILL);
	}
	/* Reaped now if it died at once; one stuck in its filesystem is not waited for. */
	(void)waitpid(hp->pid, NULL, WNOHANG);
	(void)close(hp->sock);
	mmt_helper_init(hp);
}

static int send_fd(int sock, const void *msg, size_t len, int fd)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { .iov_base = (void *)msg, .iov_len = len };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *c;
	ssize_t n;

	if (fd >= 0) {
		memset(cbuf, 0, sizeof(cbuf));
		m.msg_control = cbuf;
		m.msg_controllen = sizeof(cbuf);
		c = CMSG_FIRSTHDR(&m);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof(int));
	}
	do
		n = sendmsg(sock, &m, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EPROTO;
}

/* Return: the bytes of the message, or -errno; *@fd: what came along, or -1. */
static ssize_t recv_fd(int sock, void *msg, size_t len, int *fd)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { .iov_base = msg, .iov_len = len };
	struct msghdr m = {
		.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
		.msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *c;
	ssize_t n;

	*fd = -1;
	do
		n = recvmsg(sock, &m, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	for (c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS &&
		    c->cmsg_len == CMSG_LEN(sizeof(int)) && *fd < 0)
			memcpy(fd, CMSG_DATA(c), sizeof(int));
	}
	/* A cut message or descriptor list is the sender's fault: nothing of it is used. */
	if (m.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) {
		if (*fd >= 0)
			(void)close(*fd);
		*fd = -1;
		return -EPROTO;
	}
	return n;
}

int mmt_helper_send(struct mmt_helper *hp, const void *msg, size_t len, int fd)
{
	return hp->sock < 0 ? -EPIPE : send_fd(hp->sock, msg, len, fd);
}

int mmt_helper_recv(struct mmt_helper *hp, void *msg, size_t len, int *fd, uint64_t deadline,
		    int stop_fd)
{
	uint64_t now;
	int got = -1, r;
	ssize_t n;

	if (fd)
		*fd = -1;
	if (hp->sock < 0)
		return -EPIPE;
	for (;;) {
		struct pollfd pfd[2] = {
			{ .fd = hp->sock, .events = POLLIN },
			{ .fd = stop_fd, .events = POLLIN },
		};

		now = mmt_mono_ns();
		if (now >= deadline)
			return -ETIMEDOUT;
		r = poll(pfd, 2, (int)((deadline - now + 999999) / 1000000));
		if (r < 0 && errno != EINTR)
			return -errno;
		if (r > 0 && pfd[1].revents)
			return -ECANCELED;
		if (r > 0 && pfd[0].revents)
			break;
	}
	n = recv_fd(hp->sock, msg, len, &got);
	if (n == 0)
		return -EPIPE;
	if (n > 0 && (size_t)n != len)
		n = -EPROTO;
	if (n < 0 || !fd) {
		if (got >= 0)
			(void)close(got);
		return n < 0 ? (int)n : 0;
	}
	*fd = got;
	return 0;
}

int mmt_helper_child_recv(void *msg, size_t len, int *fd)
{
	ssize_t n = recv_fd(MMT_HELPER_SOCK_FD, msg, len, fd);

	if (n > 0 && (size_t)n == len)
		return 1;
	if (*fd >= 0)
		(void)close(*fd);
	*fd = -1;
	return n == 0 ? 0 : -1;
}

int mmt_helper_child_send(const void *msg, size_t len, int fd)
{
	return send_fd(MMT_HELPER_SOCK_FD, msg, len, fd) < 0 ? -1 : 0;
}
