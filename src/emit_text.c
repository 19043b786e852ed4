// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * strace-like text: "[pid 123] mmap(0x7f.., 8192, PROT_READ|PROT_EXEC,
 * MAP_PRIVATE|MAP_DENYWRITE, 3</usr/lib/...>, 0x1000) = 0x7f.." (with -y);
 * -t, -tt, -ttt and -s as strace has them. Bytes that are not printable ASCII
 * are escaped as strace -x does (\n, \t, \", \\, \xNN), so a line is one line.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

/* Not in glibc's sys/mman.h; values from the kernel's uapi asm-generic/mman-common.h. */
#ifndef PROT_SEM
#define PROT_SEM 0x8
#endif

#include "alert.h"
#include "emit-local.h"
#include "hashcache.h"

struct flag_name {
	uint64_t bit;
	const char *name;
};

static const struct flag_name prot_names[] = {
	{ PROT_READ, "PROT_READ" }, { PROT_WRITE, "PROT_WRITE" }, { PROT_EXEC, "PROT_EXEC" },
	{ PROT_SEM, "PROT_SEM" }, { PROT_GROWSDOWN, "PROT_GROWSDOWN" },
	{ PROT_GROWSUP, "PROT_GROWSUP" }, { 0, NULL },
};

static const struct flag_name map_names[] = {
	{ MAP_FIXED, "MAP_FIXED" }, { MAP_ANONYMOUS, "MAP_ANONYMOUS" },
#ifdef MAP_32BIT
	/* x86 only: elsewhere the bit is unused and prints as a number */
	{ MAP_32BIT, "MAP_32BIT" },
#endif
	{ MAP_GROWSDOWN, "MAP_GROWSDOWN" },
	{ MAP_DENYWRITE, "MAP_DENYWRITE" }, { MAP_EXECUTABLE, "MAP_EXECUTABLE" },
	{ MAP_LOCKED, "MAP_LOCKED" }, { MAP_NORESERVE, "MAP_NORESERVE" },
	{ MAP_POPULATE, "MAP_POPULATE" }, { MAP_NONBLOCK, "MAP_NONBLOCK" },
	{ MAP_STACK, "MAP_STACK" }, { MAP_HUGETLB, "MAP_HUGETLB" }, { MAP_SYNC, "MAP_SYNC" },
	{ MAP_FIXED_NOREPLACE, "MAP_FIXED_NOREPLACE" }, { 0, NULL },
};

/* Appends "A|B|0x40" to @l; @first is printed first (the MAP_ type) if set. */
static int print_flags(struct mmt_line *l, uint64_t v, const struct flag_name *names,
		       const char *first, const char *none)
{
	bool any = false;
	int r = 0;

	if (first) {
		r |= mmt_line_printf(l, "%s", first);
		any = true;
	}
	for (; names->name; names++) {
		if (!(v & names->bit))
			continue;
		r |= mmt_line_printf(l, "%s%s", any ? "|" : "", names->name);
		v &= ~names->bit;
		any = true;
	}
	if (v)
		r |= mmt_line_printf(l, "%s%#" PRIx64, any ? "|" : "", v);
	else if (!any)
		r |= mmt_line_printf(l, "%s", none);
	return r ? -ENOMEM : 0;
}

static const char *map_type(uint64_t flags)
{
	switch (flags & MAP_TYPE) {
	case MAP_SHARED: return "MAP_SHARED";
	case MAP_PRIVATE: return "MAP_PRIVATE";
	case MAP_SHARED_VALIDATE: return "MAP_SHARED_VALIDATE";
	}
	return NULL;
}

/*
 * @s up to @n bytes, escaped as strace -x does; @delim (the closing quote
 * or '>') is escaped too, so the field cannot be closed early.
 */
static int print_escaped(struct mmt_line *l, const char *s, size_t n, char delim)
{
	const unsigned char *u = (const unsigned char *)s;
	char buf[8];
	size_t i;
	int r = 0;

	for (i = 0; !r && i < n; i++) {
		switch (u[i]) {
		case '\n': r = mmt_line_append(l, "\\n", 2); break;
		case '\t': r = mmt_line_append(l, "\\t", 2); break;
		case '\\': r = mmt_line_append(l, "\\\\", 2); break;
		default:
			if (u[i] >= 0x20 && u[i] < 0x7f && u[i] != (unsigned char)delim) {
				r = mmt_line_append(l, (const char *)u + i, 1);
			} else if (u[i] == '"') {
				r = mmt_line_append(l, "\\\"", 2);
			} else {
				snprintf(buf, sizeof(buf), "\\x%02x", u[i]);
				r = mmt_line_append(l, buf, 4);
			}
		}
	}
	return r;
}

/* "string", or "strin"... past -s bytes, as strace prints a long string. */
static int print_quoted(struct mmt_line *l, const struct mmt_emit_opts *o, const char *s)
{
	size_t n = strlen(s), limit = o->string_limit;
	bool cut = limit && n > limit;
	int r = mmt_line_append(l, "\"", 1);

	r = r ? r : print_escaped(l, s, cut ? limit : n, '"');
	r = r ? r : mmt_line_append(l, "\"", 1);
	return r ? r : cut ? mmt_line_append(l, "...", 3) : 0;
}

/*
 * The time in front of a line: -t, -tt or -ttt as strace prints it; with
 * none, RFC 3339 UTC if @always (lines that are not strace's), else nothing.
 */
static int print_time(struct mmt_line *l, const struct mmt_emit_opts *o, uint64_t utc_ns,
		      bool always)
{
	time_t sec = (time_t)(utc_ns / 1000000000ULL);
	unsigned long usec = (unsigned long)(utc_ns % 1000000000ULL / 1000);
	char buf[48];
	struct tm tm;

	switch (o->time) {
	case MMT_TIME_NONE:
		if (!always)
			return 0;
		mmt_line_utc(buf, sizeof(buf), utc_ns);
		return mmt_line_printf(l, "%s ", buf);
	case MMT_TIME_EPOCH:
		return mmt_line_printf(l, "%lld.%06lu ", (long long)sec, usec);
	default:
		if (!localtime_r(&sec, &tm) || !strftime(buf, sizeof(buf), "%H:%M:%S", &tm))
			return -EINVAL;
		if (o->time == MMT_TIME_SEC)
			return mmt_line_printf(l, "%s ", buf);
		return mmt_line_printf(l, "%s.%06lu ", buf, usec);
	}
}

/*
 * The fd argument: the number, as strace; "3</path>" with -y. The kprobe
 * backend sees the file, not the descriptor: there the path stands in its
 * place, quoted ("?" if it could not be resolved).
 */
static int print_fd(struct mmt_line *l, const struct mmt_emit_opts *o, const struct mmt_event *en,
		    const char *path)
{
	int r;

	if (en->flags & MAP_ANONYMOUS)
		return mmt_line_printf(l, "%d", (en->have & MMT_HAVE_FD) ? (int)en->fd : -1);
	if (!(en->have & MMT_HAVE_FD))
		return path ? print_quoted(l, o, path) : mmt_line_printf(l, "?");
	r = mmt_line_printf(l, "%d", (int)en->fd);
	if (r || !path || !o->fd_paths)
		return r;
	r = mmt_line_append(l, "<", 1);
	r = r ? r : print_escaped(l, path, strlen(path), '>');
	return r ? r : mmt_line_append(l, ">", 1);
}

/* " alerts=write_exec,anon_exec", or nothing. */
static int print_alerts(struct mmt_line *l, unsigned int alerts)
{
	unsigned int bit;
	int r = 0;

	for (bit = 1; bit & MMT_ALERT_ALL; bit <<= 1)
		if (alerts & bit) {
			r |= mmt_line_printf(l, "%s%s", alerts & (bit - 1) ? "," : " alerts=",
					     mmt_alert_name(bit));
		}
	return r ? -ENOMEM : 0;
}

static int text_record(void *state, struct mmt_line *l, const struct mmt_record *rec)
{
	const struct mmt_emit_opts *o = state;
	const struct mmt_mapping *m = rec->map;
	const struct mmt_event *en = &m->enter;
	const char *path = rec->file ? rec->file->path : NULL;
	uint64_t flags = en->flags & ~(uint64_t)MAP_TYPE;
	int r = 0;

	r |= mmt_line_printf(l, "[pid %d] ", (int)rec->tid);
	r |= print_time(l, o, rec->utc_ns, false);
	/* strace's "NULL" for a null pointer; %#x prints 0 bare. */
	if (en->addr)
		r |= mmt_line_printf(l, "mmap(%#" PRIx64 ", %" PRIu64 ", ", en->addr, en->len);
	else
		r |= mmt_line_printf(l, "mmap(NULL, %" PRIu64 ", ", en->len);
	r |= print_flags(l, en->prot, prot_names, NULL, "PROT_NONE");
	r |= mmt_line_printf(l, ", ");
	r |= print_flags(l, flags, map_names, map_type(en->flags), "0");
	r |= mmt_line_printf(l, ", ");
	r |= print_fd(l, o, en, path);
	r |= mmt_line_printf(l, ", %#" PRIx64 ")", en->pgoff * (uint64_t)sysconf(_SC_PAGESIZE));
	if (mmt_mapping_failed(m))
		r |= mmt_line_printf(l, " = -1 %s (%s)", strerrorname_np((int)-m->ret),
				     strerror((int)-m->ret));
	else
		r |= mmt_line_printf(l, " = %#" PRIx64, (uint64_t)m->ret);
	r |= print_alerts(l, rec->alerts);
	if (rec->error && *rec->error) {
		r |= mmt_line_printf(l, " <");
		r |= mmt_line_printf(l, "%s", rec->error);
		r |= mmt_line_printf(l, ">");
	}
	r |= mmt_line_append(l, "\n", 1);
	return r ? -ENOMEM : 0;
}

static int text_lost(void *state, struct mmt_line *l, uint64_t lost, int cpu,
		     enum mmt_lost_cause cause, uint64_t utc_ns)
{
	int r = mmt_line_printf(l, "--- ");

	r |= print_time(l, state, utc_ns, true);
	if (cause != MMT_LOST_RING)
		r |= mmt_line_printf(l, "lost %" PRIu64 " events: %s ---\n", lost,
				     mmt_lost_cause_name(cause));
	else
		r |= mmt_line_printf(l, "lost %" PRIu64 " events on cpu %d ---\n", lost, cpu);
	return r ? -ENOMEM : 0;
}

static int text_stats(void *state, struct mmt_line *l, const struct mmt_stats *s)
{
	int r = mmt_line_printf(l, "--- ");

	r |= print_time(l, state, s->utc_ns, true);
	r |= mmt_line_printf(l, "stats: %" PRIu64 " events, %" PRIu64 " mappings, %" PRIu64
			     " records, %" PRIu64 " filtered, %" PRIu64 " lost, %" PRIu64
			     " missed, %" PRIu64 " unpaired, %" PRIu64 " pending, %" PRIu64
			     " threads, hash cache %" PRIu64 "/%" PRIu64 " hits, %" PRIu64
			     " /proc reads, rss %" PRIu64 " KiB ---\n", s->events, s->mappings,
			     s->records, s->filtered, s->lost, s->missed, s->unpaired, s->pending,
			     s->threads, s->hash_hits, s->hash_hits + s->hash_misses,
			     s->proc_reads, s->rss_kb);
	return r ? -ENOMEM : 0;
}

/*
 * mmap_exec: "TIME [pid TID] "COMM" mmap_exec "PATH" sha256=SHORT magic=SHORT";
 * mprotect_exec: "... mprotect_exec ADDR LEN PROT (was PROT) "PATH"|anonymous ...".
 * The head is made when the event is read, the rest when the hashes are done.
 */
static int exec_head(struct mmt_line *l, const struct mmt_emit_opts *o,
		     const struct mmt_record *rec)
{
	const char *path = rec->file ? rec->file->path : NULL;
	const struct mmt_event *en = &rec->map->enter;
	int r = 0;

	r |= print_time(l, o, rec->utc_ns, true);
	/* The thread, as in the do_mmap line ([pid TID], strace's convention). */
	r |= mmt_line_printf(l, "[pid %d] ", (int)rec->tid);
	r |= print_quoted(l, o, rec->comm ? rec->comm : "?");
	r |= mmt_line_printf(l, " %s ", rec->event);
	if (!strcmp(rec->event, "mprotect_exec")) {
		r |= mmt_line_printf(l, "%#" PRIx64 " %" PRIu64 " ", en->addr, en->len);
		r |= print_flags(l, en->prot, prot_names, NULL, "PROT_NONE");
		r |= mmt_line_printf(l, " (was ");
		r |= rec->prev_prot >= 0 ? print_flags(l, (uint64_t)rec->prev_prot, prot_names, NULL,
							"PROT_NONE") : mmt_line_printf(l, "?");
		r |= mmt_line_printf(l, ") ");
		if (rec->file && rec->file->anon)
			r |= mmt_line_printf(l, "anonymous");
		else
			r |= path ? print_quoted(l, o, path) : mmt_line_printf(l, "?");
	} else {
		r |= path ? print_quoted(l, o, path) : mmt_line_printf(l, "?");
	}
	r |= print_alerts(l, rec->alerts);
	return r ? -ENOMEM : 0;
}

/* An exec record's head, kept until its hashes are known. */
struct text_head {
	size_t len;
	char text[];
};

static void *text_exec_start(void *state, const struct mmt_record *rec)
{
	struct mmt_line l = { 0 };
	struct text_head *head = NULL;

	if (exec_head(&l, state, rec) == 0) {
		head = malloc(sizeof(*head) + l.len);
		if (head) {
			head->len = l.len;
			memcpy(head->text, l.buf, l.len);
		}
	}
	mmt_line_release(&l);
	if (!head)
		errno = ENOMEM;
	return head;
}

static int text_exec_finish(void *state, struct mmt_line *l, void *part,
			    const struct mmt_hashes *h, const char *error)
{
	const struct text_head *head = part;
	char magic[48];
	size_t n;
	int r;

	r = mmt_line_append(l, head->text, head->len);
	if (r < 0)
		return r;
	if (h && h->have_hashes)
		r |= mmt_line_printf(l, " sha256=%.12s", h->sha256);
	if (h && h->magic) {
		/* Up to the first comma: "ELF 64-bit LSB shared object". */
		n = strcspn(h->magic, ",");
		if (n >= sizeof(magic))
			n = sizeof(magic) - 1;
		memcpy(magic, h->magic, n);
		magic[n] = '\0';
		r |= mmt_line_printf(l, " magic=");
		r |= print_quoted(l, state, magic);
	}
	if (error && *error)
		r |= mmt_line_printf(l, " <%s>", error);
	else if (h && h->error[0])
		r |= mmt_line_printf(l, " <%s>", h->error);
	r |= mmt_line_append(l, "\n", 1);
	return r ? -ENOMEM : 0;
}

static void *text_open(const struct mmt_emit_opts *opts)
{
	struct mmt_emit_opts *o = malloc(sizeof(*o));

	if (o)
		*o = *opts;
	return o;
}

static void text_exec_free(void *state, void *part)
{
	(void)state;
	free(part);
}

const struct mmt_formatter mmt_formatter_text = {
	.open = text_open,
	.close = free,
	.record = text_record,
	.exec_start = text_exec_start,
	.exec_finish = text_exec_finish,
	.exec_free = text_exec_free,
	.lost = text_lost,
	.stats = text_stats,
};
