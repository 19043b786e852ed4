/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The host's log pipeline as an output: each line the formatter made goes
 * out as one message, with the record's kind and main fields beside it, to
 * the journal (journal.c, the journal's native protocol through
 * libsystemd) or to a syslog collector (syslog.c, RFC 5424, never waited
 * for). The emitter (emit.c) hands it whole lines; it calls no stage
 * back.
 */
#ifndef MMT_LOGSINK_H
#define MMT_LOGSINK_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct mmt_logsink;

/* The -o forms that name a log sink rather than a file. */
#define MMT_LOGSINK_JOURNAL	"journal:"
#define MMT_LOGSINK_SYSLOG	"syslog:"

/* What a message says beside its line: the journal's fields, syslog's header. */
struct mmt_log_fields {
	const char *event;	/* "do_mmap", "mmap_exec", "mprotect_exec", "lost", "stats" */
	uint64_t utc_ns;	/* the record's time */
	pid_t pid, tid;		/* 0: unknown, or not a record of a process */
	const char *comm;	/* NULL: unknown */
	const char *path;	/* the mapped file; NULL: none or unknown */
	const char *sha256;	/* exec records with hashes; NULL: none */
	unsigned int alerts;	/* MMT_ALERT_* bits */
	uint64_t lost;		/* lost records: how many events */
	int cpu;		/* lost records: the CPU, -1: none */
	const char *cause;	/* lost records: the cause's name; NULL otherwise */
};

/**
 * mmt_logsink_is() - whether an -o argument names a log sink
 * Return: true for "journal:" and "syslog:..."; a file of such a name is
 * given as ./journal: or ./syslog:...
 */
bool mmt_logsink_is(const char *spec);

/**
 * mmt_logsink_check() - whether @spec is a valid log sink, before any setup
 * @why: where the reason goes when it is not
 * @size: the size of @why
 * Return: 0, or -EINVAL with @why said.
 */
int mmt_logsink_check(const char *spec, char *why, size_t size);

/**
 * mmt_logsink_open() - connect to the sink @spec names
 * @spec: "journal:"; "syslog:" (/dev/log), "syslog:/PATH" (a local
 *	datagram socket) or "syslog:HOST:PORT" (TCP, RFC 6587 octet counting)
 * @source: the identifier the messages carry (SYSLOG_IDENTIFIER, APP-NAME)
 *	is always "mmaptrace"; @source (copied) goes into the journal's
 *	MMAPTRACE_SOURCE; NULL: none
 *
 * A syslog collector that cannot be reached now (no socket, a TCP connect
 * refused or not done in 5 s) is an error; one lost later is not.
 * Return: the sink, freed by mmt_logsink_close(); NULL + errno.
 */
struct mmt_logsink *mmt_logsink_open(const char *spec, const char *source);

/**
 * mmt_logsink_send() - one message: @line (@len bytes, no newline) and @f
 *
 * Never blocks on a syslog collector: a message that finds its queue (or
 * a datagram socket) full, or no collector, is dropped and counted
 * (mmt_logsink_dropped()), as is one journald did not take: not an error,
 * the run goes on.
 * Return: 0 or -errno (out of memory).
 */
int mmt_logsink_send(struct mmt_logsink *s, const struct mmt_log_fields *f, const char *line,
		     size_t len);

/**
 * mmt_logsink_flush() - send what is queued as far as the socket takes it now
 * @wait_ms: at most this long for a slow collector (the run's end); 0: not at all
 * Return: 0 or -errno of a connection that failed for good.
 */
int mmt_logsink_flush(struct mmt_logsink *s, int wait_ms);

/**
 * mmt_logsink_pollfd() - what the main loop waits on so the queue drains
 * @pfd: filled with the socket and POLLOUT while something is queued; fd -1
 *	otherwise
 */
void mmt_logsink_pollfd(const struct mmt_logsink *s, struct pollfd *pfd);

/**
 * mmt_logsink_dropped() - messages dropped since the last call
 *
 * Dropped because a collector did not keep up or could not be reached,
 * or journald was not running; the caller reports them as losses.
 * Return: the count, which starts again from 0.
 */
uint64_t mmt_logsink_dropped(struct mmt_logsink *s);

/** mmt_logsink_close() - send what it can (a bounded wait), disconnect, free; NULL is fine. */
void mmt_logsink_close(struct mmt_logsink *s);

#endif /* MMT_LOGSINK_H */
