/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Between the emitter (emit.c) and its formatters (emit_json.c, emit_text.c),
 * nobody else: the table each format fills in. A formatter only turns
 * records into bytes in a struct mmt_line; the emitter decides when lines
 * are written and never calls a format by name.
 */
#ifndef MMT_EMIT_LOCAL_H
#define MMT_EMIT_LOCAL_H

#include "emit.h"
#include "line.h"

struct mmt_hashes;

/**
 * struct mmt_formatter - the operations of one output format
 * @open: the format's state for one emitter, from @opts (read, not kept);
 *	freed by @close. Return: the state; NULL + errno.
 * @close: free the state; NULL is fine.
 * @record: append the whole line of a record that has no @r->exec.
 *	Return: 0 or -errno; what was appended is the caller's to drop then.
 * @exec_start: what an mmap_exec or mprotect_exec record says before its
 *	hashes are known, kept apart from @r (which may go away): the part,
 *	freed by @exec_free. Return: the part; NULL + errno.
 * @exec_finish: append the whole line of @part with hashes @h (NULL: none)
 *	and @error (NULL or "": none, else it replaces @h's error); @part is
 *	still the caller's. Return: 0 or -errno.
 * @exec_free: free a part (or keep it for a later @exec_start); NULL is fine.
 * @lost: append a "lost" line. Return: 0 or -errno.
 * @stats: append a "stats" line. Return: 0 or -errno.
 */
struct mmt_formatter {
	void *(*open)(const struct mmt_emit_opts *opts);
	void (*close)(void *state);
	int (*record)(void *state, struct mmt_line *l, const struct mmt_record *r);
	void *(*exec_start)(void *state, const struct mmt_record *r);
	int (*exec_finish)(void *state, struct mmt_line *l, void *part,
			   const struct mmt_hashes *h, const char *error);
	void (*exec_free)(void *state, void *part);
	int (*lost)(void *state, struct mmt_line *l, uint64_t lost, int cpu,
		    enum mmt_lost_cause cause, uint64_t utc_ns);
	int (*stats)(void *state, struct mmt_line *l, const struct mmt_stats *s);
};

extern const struct mmt_formatter mmt_formatter_json;	/* emit_json.c */
extern const struct mmt_formatter mmt_formatter_text;	/* emit_text.c */
extern const struct mmt_formatter mmt_formatter_tracee;	/* emit_tracee.c */

/*
 * The file's fields of a mapping record, each with whether it is known:
 * the kernel's view at the call (the event) wins over what /proc showed
 * later (@r->file).
 */
struct mmt_file_fields {
	bool have_flags, have_dev, have_ino, have_ctime, have_ino_gen;
	uint32_t flags;
	uint64_t dev;		/* glibc's encoding (makedev) */
	uint64_t ino;
	uint64_t ctime_ns;	/* since the epoch */
	uint64_t ino_gen;	/* the inode's generation (i_generation), from the kernel's record */
};

static inline void mmt_file_fields(const struct mmt_record *r, struct mmt_file_fields *o)
{
	const struct mmt_event *en = &r->map->enter;
	const struct mmt_map_info *fi = r->file;
	bool id = fi && fi->have_id;

	o->have_flags = (en->have & MMT_HAVE_FFLAGS) || (fi && fi->have_fflags);
	o->flags = (en->have & MMT_HAVE_FFLAGS) ? en->f_flags : o->have_flags ? fi->f_flags : 0;
	o->have_dev = (en->have & MMT_HAVE_DEV) || id;
	o->dev = (en->have & MMT_HAVE_DEV) ? en->dev : id ? fi->dev : 0;
	o->have_ino = (en->have & MMT_HAVE_INO) || id;
	o->ino = (en->have & MMT_HAVE_INO) ? en->ino : id ? fi->ino : 0;
	o->have_ctime = (en->have & MMT_HAVE_CTIME) || id;
	if (en->have & MMT_HAVE_CTIME)
		o->ctime_ns = en->ctime_sec * 1000000000ULL + en->ctime_nsec;
	else
		o->ctime_ns = id ? (uint64_t)fi->ctime_sec * 1000000000ULL +
				   (uint64_t)fi->ctime_nsec : 0;
	/* Only the kernel's record of this very call says it, and only of a file. */
	o->have_ino_gen = r->map->have_kmap && (r->map->kmap.have & MMT_HAVE_INO_GEN) &&
			  r->map->kmap.ino && o->have_ino && r->map->kmap.ino == o->ino;
	o->ino_gen = o->have_ino_gen ? r->map->kmap.ino_gen : 0;
}

/* What both formats call a cause of lost events. */
static inline const char *mmt_lost_cause_name(enum mmt_lost_cause cause)
{
	switch (cause) {
	case MMT_LOST_KPROBE: return "kprobe_missed";
	case MMT_LOST_KRETPROBE: return "kretprobe_missed";
	case MMT_LOST_PERF: return "perf_ring";
	case MMT_LOST_LOG: return "log_sink";
	default: return "ring_buffer";
	}
}

#endif /* MMT_EMIT_LOCAL_H */
