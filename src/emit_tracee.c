// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Tracee's JSON envelope for do_mmap, as Tracee writes it at commit
 * 7c9ec978 (2026-08-03, after v0.24.1): api/v1beta1/event_json.go
 * (Event.MarshalJSON, writeWorkload, writeProcess, writeThread,
 * writeEventValue, writeTimestamp), fed by pkg/events/conversion.go, with
 * do_mmap's fields and id (772) from pkg/events/core.go and its values from
 * pkg/ebpf/c/tracee.bpf.c (trace_ret_do_mmap). The bytes follow Tracee's
 * own writer, key by key, so the line is the one Tracee would print:
 * 64-bit values (u_int64, pointer) are strings, 32-bit ones numbers.
 *
 * Only do_mmap records: Tracee has no mmap_exec or mprotect_exec, and a
 * Tracee consumer would stop at a "lost" or "stats" line, so those are
 * not written here (the summary on standard error still counts them).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>
#include <time.h>

#include "emit-local.h"
#include "utf8.h"

/* Tracee's event id of do_mmap (pkg/events/core.go, the DoMmap constant). */
#define TRACEE_DO_MMAP_ID	772

/*
 * A string as writeEscapedString() writes it: ", \ and the C escapes by
 * name, other control characters as \u00XX, everything else raw. Go ranges
 * over runes, so each invalid UTF-8 byte becomes U+FFFD first.
 */
static int put_str(struct mmt_line *l, const char *s, size_t n)
{
	char *clean = NULL, esc[8];
	bool lossy;
	size_t i, run = 0;
	int r = 0;

	if (!mmt_utf8_valid(s, n)) {
		clean = mmt_utf8_sanitize(s, n, &lossy);
		if (!clean)
			return -ENOMEM;
		s = clean;
		n = strlen(clean);
	}
	for (i = 0; i < n && !r; i++) {
		unsigned char c = (unsigned char)s[i];
		const char *e = NULL;

		switch (c) {
		case '"': e = "\\\""; break;
		case '\\': e = "\\\\"; break;
		case '\n': e = "\\n"; break;
		case '\r': e = "\\r"; break;
		case '\t': e = "\\t"; break;
		case '\b': e = "\\b"; break;
		case '\f': e = "\\f"; break;
		default:
			if (c >= 0x20)
				continue;
			esc[0] = '\\';
			esc[1] = 'u';
			esc[2] = '0';
			esc[3] = '0';
			esc[4] = "0123456789abcdef"[c >> 4];
			esc[5] = "0123456789abcdef"[c & 15];
			esc[6] = '\0';
			e = esc;
		}
		r = mmt_line_append(l, s + run, i - run);
		if (!r)
			r = mmt_line_append(l, e, strlen(e));
		run = i + 1;
	}
	if (!r)
		r = mmt_line_append(l, s + run, n - run);
	free(clean);
	return r;
}

/*
 * Go's time.RFC3339Nano in UTC: the fraction without its trailing zeros,
 * none at all on a whole second.
 */
static int put_time(struct mmt_line *l, uint64_t utc_ns)
{
	time_t sec = (time_t)(utc_ns / 1000000000ULL);
	unsigned int ns = (unsigned int)(utc_ns % 1000000000ULL);
	char frac[16];
	struct tm tm;
	int i;

	if (!gmtime_r(&sec, &tm))
		return -EINVAL;
	frac[0] = '\0';
	if (ns) {
		snprintf(frac, sizeof(frac), ".%09u", ns);
		for (i = (int)strlen(frac) - 1; frac[i] == '0'; i--)
			frac[i] = '\0';
	}
	return mmt_line_printf(l, "%04d-%02d-%02dT%02d:%02d:%02d%sZ", tm.tm_year + 1900,
			       tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, frac);
}

/*
 * workload.process: what the record knows of the task. Tracee writes each
 * key only when it has it; its pid and tid are the task's own namespace's,
 * which this tool does not read: they are the host's ids here.
 */
static int put_workload(struct mmt_line *l, const struct mmt_record *rec)
{
	int r = mmt_line_printf(l, ",\"workload\":{\"process\":{");

	if (!r && rec->pid)
		r = mmt_line_printf(l, "\"host_pid\":%d,\"pid\":%d,", rec->pid, rec->pid);
	if (!r)
		r = mmt_line_printf(l, "\"thread\":{");
	if (!r && rec->comm && *rec->comm) {
		r = mmt_line_append(l, "\"name\":\"", 8);
		r = r ? r : put_str(l, rec->comm, strlen(rec->comm));
		r = r ? r : mmt_line_append(l, "\",", 2);
	}
	return r ? r : mmt_line_printf(l, "\"host_tid\":%d,\"tid\":%d}}}", rec->tid, rec->tid);
}

/*
 * data: do_mmap's ten fields in Tracee's order. Its eBPF program sends
 * the return value as addr, failed call or not, and the file's fields
 * only for a file: Tracee's zero values ("" and 0) otherwise. Its dev is
 * the kernel's s_dev (major << 20 | minor), not glibc's encoding.
 */
static int put_data(struct mmt_line *l, const struct mmt_record *rec)
{
	const struct mmt_mapping *m = rec->map;
	const struct mmt_event *en = &m->enter;
	const struct mmt_map_info *fi = rec->file;
	const char *path = fi && fi->path ? fi->path : "";
	struct mmt_file_fields ff;
	int r;

	mmt_file_fields(rec, &ff);
	r = mmt_line_printf(l, ",\"data\":[{\"name\":\"addr\",\"pointer\":\"%llu\"},"
			    "{\"name\":\"pathname\",\"str\":\"", (unsigned long long)(uint64_t)m->ret);
	r = r ? r : put_str(l, path, strlen(path));
	return r ? r : mmt_line_printf(l, "\"},{\"name\":\"flags\",\"u_int32\":%u},"
			"{\"name\":\"dev\",\"u_int32\":%u},"
			"{\"name\":\"inode\",\"u_int64\":\"%llu\"},"
			"{\"name\":\"ctime\",\"u_int64\":\"%llu\"},"
			"{\"name\":\"pgoff\",\"u_int64\":\"%llu\"},"
			"{\"name\":\"len\",\"u_int64\":\"%llu\"},"
			"{\"name\":\"prot\",\"u_int64\":\"%llu\"},"
			"{\"name\":\"mmap_flags\",\"u_int64\":\"%llu\"}]}\n",
			ff.flags,
			ff.have_dev ? (uint32_t)(major(ff.dev) << 20 | minor(ff.dev)) : 0u,
			(unsigned long long)ff.ino, (unsigned long long)ff.ctime_ns,
			(unsigned long long)en->pgoff, (unsigned long long)en->len,
			(unsigned long long)en->prot, (unsigned long long)en->flags);
}

static void *tracee_open(const struct mmt_emit_opts *opts)
{
	static char state;	/* no state, but the table wants one */

	(void)opts;
	return &state;
}

static void tracee_close(void *state)
{
	(void)state;
}

static int tracee_record(void *state, struct mmt_line *l, const struct mmt_record *rec)
{
	int r;

	(void)state;
	r = mmt_line_append(l, "{\"timestamp\":\"", 14);
	r = r ? r : put_time(l, rec->utc_ns);
	r = r ? r : mmt_line_printf(l, "\",\"id\":%d,\"name\":\"do_mmap\"", TRACEE_DO_MMAP_ID);
	r = r ? r : put_workload(l, rec);
	return r ? r : put_data(l, rec);
}

/* Never called: options.c takes only do_mmap records with this format. */
static void *tracee_exec_start(void *state, const struct mmt_record *rec)
{
	(void)state;
	(void)rec;
	errno = EINVAL;
	return NULL;
}

static int tracee_exec_finish(void *state, struct mmt_line *l, void *part,
			      const struct mmt_hashes *h, const char *error)
{
	(void)state;
	(void)l;
	(void)part;
	(void)h;
	(void)error;
	return -EINVAL;
}

static void tracee_exec_free(void *state, void *part)
{
	(void)state;
	(void)part;
}

/* A Tracee stream holds Tracee events only: losses go to standard error. */
static int tracee_lost(void *state, struct mmt_line *l, uint64_t lost, int cpu,
		       enum mmt_lost_cause cause, uint64_t utc_ns)
{
	(void)state;
	(void)l;
	(void)lost;
	(void)cpu;
	(void)cause;
	(void)utc_ns;
	return 0;
}

static int tracee_stats(void *state, struct mmt_line *l, const struct mmt_stats *s)
{
	(void)state;
	(void)l;
	(void)s;
	return 0;
}

const struct mmt_formatter mmt_formatter_tracee = {
	.open = tracee_open,
	.close = tracee_close,
	.record = tracee_record,
	.exec_start = tracee_exec_start,
	.exec_finish = tracee_exec_finish,
	.exec_free = tracee_exec_free,
	.lost = tracee_lost,
	.stats = tracee_stats,
};
