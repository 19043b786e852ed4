// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The journal as an output: one entry per line, sent with libsystemd's
 * sd_journal_sendv(). That is the journal's native protocol (one datagram
 * of FIELD=value items on /run/systemd/journal/socket, a sealed memfd for
 * an entry too large for a datagram), kept in step with journald by
 * systemd itself; journald adds the trusted fields (_PID, _UID, _COMM,
 * _BOOT_ID...) from the socket's credentials.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <syslog.h>

/* No CODE_FILE, CODE_LINE, CODE_FUNC: where in mmaptrace says nothing of a record. */
#define SD_JOURNAL_SUPPRESS_LOCATION
#include <systemd/sd-journal.h>

#include "error.h"
#include "line.h"
#include "logsink-local.h"

#define NFIELDS	16

struct journal {
	char *source;			/* MMAPTRACE_SOURCE=... */
	struct mmt_line msg;		/* MESSAGE=..., kept between entries */
	char *fields[NFIELDS];		/* the entry's other items, made per entry */
	int n;
	uint64_t dropped;		/* entries journald did not take, so far */
};

static void *journal_open(const char *target, const char *source)
{
	struct journal *j;

	(void)target;
	j = calloc(1, sizeof(*j));
	if (!j)
		return NULL;
	if (source && asprintf(&j->source, "MMAPTRACE_SOURCE=%s", source) < 0) {
		free(j);
		errno = ENOMEM;
		return NULL;
	}
	return j;
}

/* One FIELD=value item; -ENOMEM. */
static int item(struct journal *j, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int item(struct journal *j, const char *fmt, ...)
{
	va_list ap;
	int r;

	if (j->n == NFIELDS)
		return -ENOBUFS;
	va_start(ap, fmt);
	r = vasprintf(&j->fields[j->n], fmt, ap);
	va_end(ap);
	if (r < 0) {
		j->fields[j->n] = NULL;
		return -ENOMEM;
	}
	j->n++;
	return 0;
}

static int journal_send(void *state, const struct mmt_log_fields *f, const char *line, size_t len)
{
	struct journal *j = state;
	char alerts[MMT_LOG_ALERTS_MAX], utc[48];
	struct iovec iov[NFIELDS + 2];
	int i, n = 0, r;

	j->msg.len = 0;
	r = mmt_line_append(&j->msg, "MESSAGE=", 8);
	r = r ? r : mmt_line_append(&j->msg, line, len);
	if (r)
		return r;
	iov[n++] = (struct iovec){ .iov_base = j->msg.buf, .iov_len = j->msg.len };
	mmt_line_utc(utc, sizeof(utc), f->utc_ns);
	j->n = 0;
	r = item(j, "PRIORITY=%d", mmt_log_warning(f) ? LOG_WARNING : LOG_INFO);
	r = r ? r : item(j, "SYSLOG_IDENTIFIER=mmaptrace");
	r = r ? r : item(j, "MMAPTRACE_EVENT=%s", f->event);
	r = r ? r : item(j, "MMAPTRACE_TIME=%s", utc);
	if (!r && f->pid)
		r = item(j, "MMAPTRACE_PID=%d", (int)f->pid);
	if (!r && f->tid)
		r = item(j, "MMAPTRACE_TID=%d", (int)f->tid);
	if (!r && f->comm)
		r = item(j, "MMAPTRACE_COMM=%s", f->comm);
	if (!r && f->path)
		r = item(j, "MMAPTRACE_PATH=%s", f->path);
	if (!r && f->sha256)
		r = item(j, "MMAPTRACE_SHA256=%s", f->sha256);
	if (!r && f->alerts)
		r = item(j, "MMAPTRACE_ALERTS=%s", mmt_log_alerts(alerts, sizeof(alerts), f->alerts));
	if (!r && f->cause)
		r = item(j, "MMAPTRACE_LOST=%" PRIu64, f->lost);
	if (!r && f->cause)
		r = item(j, "MMAPTRACE_CAUSE=%s", f->cause);
	if (!r && f->cause && f->cpu >= 0)
		r = item(j, "MMAPTRACE_CPU=%d", f->cpu);
	for (i = 0; !r && i < j->n; i++)
		iov[n++] = (struct iovec){ .iov_base = j->fields[i], .iov_len = strlen(j->fields[i]) };
	if (!r && j->source)
		iov[n++] = (struct iovec){ .iov_base = j->source, .iov_len = strlen(j->source) };
	/* libsystemd returns -errno itself. */
	if (!r)
		r = sd_journal_sendv(iov, n);
	for (i = 0; i < j->n; i++)
		free(j->fields[i]);
	j->n = 0;
	if (r == -ENOMEM || r >= 0)
		return r < 0 ? r : 0;
	/*
	 * journald away (restarting, or not running): the run goes on, and
	 * what did not reach the journal is counted as lost.
	 */
	if (!j->dropped++)
		mmt_perror(r, "cannot send to the journal; counting what is not sent as lost");
	return 0;
}

static uint64_t journal_dropped(const void *state)
{
	return ((const struct journal *)state)->dropped;
}

static void journal_close(void *state)
{
	struct journal *j = state;

	if (!j)
		return;
	mmt_line_release(&j->msg);
	free(j->source);
	free(j);
}

const struct mmt_logsink_ops mmt_logsink_journal = {
	.open = journal_open,
	.send = journal_send,
	.dropped = journal_dropped,
	.close = journal_close,
};
