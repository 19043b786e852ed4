/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Between the log sink (logsink.c) and its transports (journal.c, syslog.c), nobody
 * else: the operations each one fills in.
 */
#ifndef MMT_LOGSINK_LOCAL_H
#define MMT_LOGSINK_LOCAL_H

#include <string.h>

#include "logsink.h"

/**
 * struct mmt_logsink_ops - one transport
 * @open: connect to @target (what follows the sink's prefix in -o), with
 *	@source for the messages. Return: the state; NULL + errno.
 * @send: one message, as mmt_logsink_send(). Return: 0 or -errno.
 * @flush: as mmt_logsink_flush(); NULL: nothing is ever queued.
 * @pollfd: as mmt_logsink_pollfd(); NULL: nothing to wait on.
 * @dropped: messages dropped since @open (the sink counts what it has
 *	reported); NULL: never drops.
 * @close: as mmt_logsink_close(), on the state; NULL is fine.
 */
struct mmt_logsink_ops {
	void *(*open)(const char *target, const char *source);
	int (*send)(void *state, const struct mmt_log_fields *f, const char *line, size_t len);
	int (*flush)(void *state, int wait_ms);
	void (*pollfd)(const void *state, struct pollfd *pfd);
	uint64_t (*dropped)(const void *state);
	void (*close)(void *state);
};

extern const struct mmt_logsink_ops mmt_logsink_journal;	/* journal.c */
extern const struct mmt_logsink_ops mmt_logsink_syslog;		/* syslog.c */

/* Room for every alert name, comma-separated. */
#define MMT_LOG_ALERTS_MAX	128

/**
 * mmt_log_alerts() - @f's alert names, comma-separated, into @buf
 * @buf: at least MMT_LOG_ALERTS_MAX bytes
 * Return: @buf; "" for none.
 */
const char *mmt_log_alerts(char *buf, size_t size, unsigned int alerts);

/*
 * Whether a message is a warning (syslog's and the journal's priority 4)
 * rather than information (6): a record with an alert, or lost events.
 */
static inline bool mmt_log_warning(const struct mmt_log_fields *f)
{
	return f->alerts || !strcmp(f->event, "lost");
}

#endif /* MMT_LOGSINK_LOCAL_H */
