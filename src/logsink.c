// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The log sink: which transport an -o argument names, and the calls the
 * emitter makes, passed on to it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alert.h"
#include "logsink-local.h"

struct mmt_logsink {
	const struct mmt_logsink_ops *ops;
	void *state;
	uint64_t reported;		/* drops mmt_logsink_dropped() has returned */
};

/* The transport @spec names, and where its target starts. */
static const struct mmt_logsink_ops *transport(const char *spec, const char **target)
{
	size_t n = strlen(MMT_LOGSINK_JOURNAL), m = strlen(MMT_LOGSINK_SYSLOG);

	if (!strncmp(spec, MMT_LOGSINK_JOURNAL, n)) {
		*target = spec + n;
		return &mmt_logsink_journal;
	}
	if (!strncmp(spec, MMT_LOGSINK_SYSLOG, m)) {
		*target = spec + m;
		return &mmt_logsink_syslog;
	}
	return NULL;
}

const char *mmt_log_alerts(char *buf, size_t size, unsigned int alerts)
{
	unsigned int bit;
	size_t n = 0;

	buf[0] = '\0';
	for (bit = 1; bit & MMT_ALERT_ALL; bit <<= 1) {
		if (!(alerts & bit) || n >= size)
			continue;
		n += (size_t)snprintf(buf + n, size - n, "%s%s", n ? "," : "", mmt_alert_name(bit));
	}
	return buf;
}

bool mmt_logsink_is(const char *spec)
{
	const char *target;

	return transport(spec, &target) != NULL;
}

int mmt_logsink_check(const char *spec, char *why, size_t size)
{
	const char *target;
	const struct mmt_logsink_ops *ops = transport(spec, &target);

	const char *port;
	unsigned long v;
	char *end;

	if (!ops) {
		snprintf(why, size, "not a log sink (journal:, syslog:)");
		return -EINVAL;
	}
	if (ops == &mmt_logsink_journal && *target) {
		snprintf(why, size, "the journal takes no address: -o journal:");
		return -EINVAL;
	}
	/* syslog: is /dev/log, syslog:/PATH another socket, else HOST:PORT. */
	if (ops != &mmt_logsink_syslog || !*target || *target == '/')
		return 0;
	port = strrchr(target, ':');
	errno = 0;
	v = port ? strtoul(port + 1, &end, 10) : 0;
	if (!port || port == target || !port[1] || errno || *end || v == 0 || v > 65535) {
		snprintf(why, size, "a syslog collector is syslog:HOST:PORT (TCP), "
			 "syslog:/PATH or syslog: (/dev/log)");
		return -EINVAL;
	}
	return 0;
}

struct mmt_logsink *mmt_logsink_open(const char *spec, const char *source)
{
	struct mmt_logsink *s;
	const char *target;
	int err;

	s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->ops = transport(spec, &target);
	if (!s->ops) {
		free(s);
		errno = EINVAL;
		return NULL;
	}
	s->state = s->ops->open(target, source);
	if (!s->state) {
		err = errno;
		free(s);
		errno = err;
		return NULL;
	}
	return s;
}

int mmt_logsink_send(struct mmt_logsink *s, const struct mmt_log_fields *f, const char *line,
		     size_t len)
{
	return s->ops->send(s->state, f, line, len);
}

int mmt_logsink_flush(struct mmt_logsink *s, int wait_ms)
{
	return s->ops->flush ? s->ops->flush(s->state, wait_ms) : 0;
}

void mmt_logsink_pollfd(const struct mmt_logsink *s, struct pollfd *pfd)
{
	*pfd = (struct pollfd){ .fd = -1 };
	if (s->ops->pollfd)
		s->ops->pollfd(s->state, pfd);
}

uint64_t mmt_logsink_dropped(struct mmt_logsink *s)
{
	uint64_t total = s->ops->dropped ? s->ops->dropped(s->state) : 0, n = total - s->reported;

	s->reported = total;
	return n;
}

void mmt_logsink_close(struct mmt_logsink *s)
{
	if (!s)
		return;
	s->ops->close(s->state);
	free(s);
}
