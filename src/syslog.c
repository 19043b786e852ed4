// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * RFC 5424 syslog as an output: to a local datagram socket (/dev/log, or
 * another path) or to a TCP collector with RFC 6587 octet-counting framing
 * ("LEN SP SYSLOG-MSG", so a message may hold any byte, newlines too).
 *
 *	<PRI>1 TIMESTAMP HOSTNAME mmaptrace PROCID MSGID - MSG
 *
 * PRI is facility daemon with severity warning (a record with an alert,
 * lost events) or info; TIMESTAMP the record's time in UTC, to the
 * microsecond RFC 5424 allows; MSGID the record's kind (do_mmap, mmap_exec,
 * mprotect_exec, lost, stats); no structured data ("-": an SD-ID of our own
 * needs an IANA enterprise number, and MSG, the record's JSON, is already
 * structured).
 *
 * The reader never waits for a collector: the socket is non-blocking, the
 * collector gets what it takes through a bounded queue (a local datagram
 * socket holds only max_dgram_qlen messages, 10 by default: a burst needs
 * the queue too), and what finds the queue full is dropped and counted;
 * the caller reports those as lost. A lost connection is made again, at
 * most once a second, while the queue keeps what it can.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <syslog.h>
#include <unistd.h>

#include "clock.h"
#include "line.h"
#include "logsink-local.h"

/* What a TCP collector that does not read may make the reader keep. */
#define QUEUE_MAX_BYTES		((size_t)4 << 20)
#define RECONNECT_NS		(1000 * 1000000ULL)
#define CONNECT_TIMEOUT_MS	5000
#define DEFAULT_SOCKET		"/dev/log"

/* One message waiting for the collector (framed for TCP). */
struct frame {
	struct frame *next;
	size_t len, sent;	/* @sent: bytes of it a TCP socket has taken */
	char buf[];
};

struct syslog_sink {
	bool stream;			/* TCP (framed); else a datagram socket */
	int fd;				/* -1: not connected */
	bool connecting;		/* a non-blocking connect under way */
	struct sockaddr_storage addr;
	socklen_t addrlen;
	char hostname[256];
	char procid[16];
	struct frame *head, *tail;
	size_t queued;			/* bytes in the queue */
	uint64_t dropped;		/* messages dropped, so far */
	uint64_t last_attempt;		/* of a connect, CLOCK_MONOTONIC ns */
	struct mmt_line msg;		/* the message being made */
};

/* HOSTNAME: printable US-ASCII without spaces (RFC 5424 6.2.4), else "-". */
static void read_hostname(char *buf, size_t size)
{
	size_t i;

	if (gethostname(buf, size) < 0 || !buf[0]) {
		snprintf(buf, size, "-");
		return;
	}
	buf[size - 1] = '\0';
	for (i = 0; buf[i]; i++) {
		if (buf[i] < 33 || buf[i] > 126) {
			snprintf(buf, size, "-");
			return;
		}
	}
}

/* HOST:PORT or [HOST]:PORT into @s->addr. Return: 0 or -errno. */
static int resolve(struct syslog_sink *s, const char *target)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *ai;
	char host[256];
	const char *port;
	size_t n;
	int r;

	port = strrchr(target, ':');
	if (!port || port == target)
		return -EINVAL;
	n = (size_t)(port - target);
	if (target[0] == '[' && n >= 2 && target[n - 1] == ']') {
		target++;
		n -= 2;
	}
	if (n >= sizeof(host))
		return -EINVAL;
	memcpy(host, target, n);
	host[n] = '\0';
	hints.ai_flags = AI_NUMERICSERV;
	r = getaddrinfo(host, port + 1, &hints, &ai);
	if (r)
		return r == EAI_SYSTEM ? -errno : -EHOSTUNREACH;
	memcpy(&s->addr, ai->ai_addr, ai->ai_addrlen);
	s->addrlen = ai->ai_addrlen;
	freeaddrinfo(ai);
	return 0;
}

/* Starts connecting; a TCP connect finishes later. Return: 0 or -errno. */
static int connect_sink(struct syslog_sink *s)
{
	int fd = socket(s->addr.ss_family, (s->stream ? SOCK_STREAM : SOCK_DGRAM) |
			SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	s->last_attempt = mmt_mono_ns();
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&s->addr, s->addrlen) < 0 && errno != EINPROGRESS) {
		int r = -errno;

		close(fd);
		return r;
	}
	s->fd = fd;
	s->connecting = s->stream;
	return 0;
}

static void disconnect(struct syslog_sink *s)
{
	struct frame *f = s->head;

	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
	s->connecting = false;
	/* The collector has a part of it, which it drops with the connection. */
	if (f && f->sent) {
		s->head = f->next;
		if (!s->head)
			s->tail = NULL;
		s->queued -= f->len;
		free(f);
		s->dropped++;
	}
}

/* Whether the TCP connect under way has finished; a failure disconnects. */
static bool connected(struct syslog_sink *s)
{
	int err = 0;
	socklen_t len = sizeof(err);

	if (s->fd < 0)
		return false;
	if (!s->connecting)
		return true;
	if (getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0 || err) {
		disconnect(s);
		return false;
	}
	/* Not refused yet: writable means done. */
	if (poll(&(struct pollfd){ .fd = s->fd, .events = POLLOUT }, 1, 0) != 1)
		return false;
	s->connecting = false;
	return true;
}

static void *syslog_open(const char *target, const char *source)
{
	struct syslog_sink *s = calloc(1, sizeof(*s));
	const char *path = *target ? target : DEFAULT_SOCKET;
	struct sockaddr_un *un;
	int r;

	(void)source;
	if (!s)
		return NULL;
	un = (struct sockaddr_un *)&s->addr;
	s->fd = -1;
	read_hostname(s->hostname, sizeof(s->hostname));
	snprintf(s->procid, sizeof(s->procid), "%d", (int)getpid());
	if (!*target || *target == '/') {
		if (strlen(path) >= sizeof(un->sun_path)) {
			r = -ENAMETOOLONG;
			goto out_free;
		}
		un->sun_family = AF_UNIX;
		strcpy(un->sun_path, path);
		s->addrlen = sizeof(*un);
	} else {
		s->stream = true;
		r = resolve(s, target);
		if (r < 0)
			goto out_free;
	}
	r = connect_sink(s);
	/* A collector that is not there at the start is an error, not a loss. */
	if (!r && s->connecting) {
		struct pollfd pfd = { .fd = s->fd, .events = POLLOUT };

		r = poll(&pfd, 1, CONNECT_TIMEOUT_MS);
		r = r < 0 ? -errno : r == 0 ? -ETIMEDOUT : 0;
		if (!r && !connected(s))
			r = -ECONNREFUSED;
	}
	if (r < 0)
		goto out_close;
	return s;
out_close:
	if (s->fd >= 0)
		close(s->fd);
out_free:
	free(s);
	errno = -r;
	return NULL;
}

/* "2026-12-03T09:41:52.558344Z": RFC 5424's TIMESTAMP has at most 6 digits. */
static void timestamp(char *buf, size_t size, uint64_t utc_ns)
{
	char ns[48];
	size_t n;

	mmt_line_utc(ns, sizeof(ns), utc_ns);
	/* Cut "...:SS.123456789Z" after the microseconds. */
	n = strcspn(ns, ".");
	snprintf(buf, size, "%.*sZ", ns[n] ? (int)n + 7 : (int)n, ns);
}

/* Sends what the queue holds until the socket takes no more. */
static int push(struct syslog_sink *s)
{
	struct frame *f;
	ssize_t n;

	if (s->fd < 0 && mmt_mono_ns() - s->last_attempt >= RECONNECT_NS)
		(void)connect_sink(s);
	if (!connected(s))
		return 0;
	while ((f = s->head)) {
		/* A datagram goes whole or not at all: @sent stays 0 until then. */
		n = send(s->fd, f->buf + f->sent, f->len - f->sent, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		/* The collector went away (a restarted rsyslog): connect again later. */
		if (n < 0) {
			disconnect(s);
			return 0;
		}
		f->sent += (size_t)n;
		if (f->sent < f->len)
			continue;
		s->head = f->next;
		if (!s->head)
			s->tail = NULL;
		s->queued -= f->len;
		free(f);
	}
	return 0;
}

static int enqueue(struct syslog_sink *s, const char *msg, size_t len)
{
	char prefix[24] = "";
	int np = s->stream ? snprintf(prefix, sizeof(prefix), "%zu ", len) : 0;
	struct frame *f;

	if (s->queued + (size_t)np + len > QUEUE_MAX_BYTES) {
		s->dropped++;
		return 0;
	}
	f = malloc(sizeof(*f) + (size_t)np + len);
	if (!f)
		return -ENOMEM;
	f->next = NULL;
	f->len = (size_t)np + len;
	f->sent = 0;
	memcpy(f->buf, prefix, (size_t)np);
	memcpy(f->buf + np, msg, len);
	if (s->tail)
		s->tail->next = f;
	else
		s->head = f;
	s->tail = f;
	s->queued += f->len;
	return push(s);
}

static int syslog_send(void *state, const struct mmt_log_fields *f, const char *line, size_t len)
{
	struct syslog_sink *s = state;
	char ts[40];
	int r;

	timestamp(ts, sizeof(ts), f->utc_ns);
	s->msg.len = 0;
	r = mmt_line_printf(&s->msg, "<%d>1 %s %s mmaptrace %s %s - ",
			    LOG_DAEMON | (mmt_log_warning(f) ? LOG_WARNING : LOG_INFO), ts,
			    s->hostname, s->procid, f->event);
	r = r ? r : mmt_line_append(&s->msg, line, len);
	if (r)
		return -ENOMEM;
	return enqueue(s, s->msg.buf, s->msg.len);
}

static int syslog_flush(void *state, int wait_ms)
{
	struct syslog_sink *s = state;
	uint64_t end = mmt_mono_ns() + (uint64_t)wait_ms * 1000000ULL;
	int r = push(s);

	while (!r && s->head && s->fd >= 0 && mmt_mono_ns() < end) {
		struct pollfd pfd = { .fd = s->fd, .events = POLLOUT };

		if (poll(&pfd, 1, (int)((end - mmt_mono_ns()) / 1000000ULL) + 1) < 0 &&
		    errno != EINTR)
			return -errno;
		r = push(s);
	}
	return r;
}

static void syslog_pollfd(const void *state, struct pollfd *pfd)
{
	const struct syslog_sink *s = state;

	if (s->head && s->fd >= 0)
		*pfd = (struct pollfd){ .fd = s->fd, .events = POLLOUT };
}

static uint64_t syslog_dropped(const void *state)
{
	return ((const struct syslog_sink *)state)->dropped;
}

static void syslog_close(void *state)
{
	struct syslog_sink *s = state;
	struct frame *f;

	if (!s)
		return;
	while ((f = s->head)) {
		s->head = f->next;
		free(f);
	}
	if (s->fd >= 0)
		close(s->fd);
	mmt_line_release(&s->msg);
	free(s);
}

const struct mmt_logsink_ops mmt_logsink_syslog = {
	.open = syslog_open,
	.send = syslog_send,
	.flush = syslog_flush,
	.pollfd = syslog_pollfd,
	.dropped = syslog_dropped,
	.close = syslog_close,
};
