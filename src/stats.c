// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Stats: the lost records, the periodic stats record and the summary. A
 * count is never silent: whatever a stage could not do shows in one of them.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "assemble.h"
#include "clock.h"
#include "emit.h"
#include "enrich.h"
#include "logsink.h"
#include "perf.h"
#include "probe.h"
#include "procfs.h"
#include "ring.h"
#include "stats.h"

#define LOST_POLL_NS	(100 * 1000000ULL)

struct mmt_stats_run {
	struct mmt_stats_sources src;
	uint64_t start_ns, last_stats, last_lost_poll;
	uint64_t missed_entry, missed_ret;	/* kprobe misses reported so far */
	uint64_t sink_dropped;		/* records the log sink dropped, so far */
};

struct mmt_stats_run *mmt_stats_open(const struct mmt_stats_sources *src)
{
	struct mmt_stats_run *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->src = *src;
	s->start_ns = s->last_stats = mmt_mono_ns();
	return s;
}

void mmt_stats_close(struct mmt_stats_run *s)
{
	free(s);
}

void mmt_stats_start(struct mmt_stats_run *s)
{
	s->start_ns = s->last_stats = mmt_mono_ns();
}

/* Kprobe hits the kernel could not record, as lost records (kprobe backend). */
static int report_missed(struct mmt_stats_run *t, uint64_t now)
{
	uint64_t entry, ret, utc = (uint64_t)((int64_t)now + t->src.mono_to_utc);
	int r = 0;

	if (mmt_probe_missed(t->src.probe, &entry, &ret) < 0)
		return 0;
	if (entry > t->missed_entry)
		r = mmt_assemble_lost(t->src.assemble, entry - t->missed_entry, -1, MMT_LOST_KPROBE, utc);
	if (!r && ret > t->missed_ret)
		r = mmt_assemble_lost(t->src.assemble, ret - t->missed_ret, -1, MMT_LOST_KRETPROBE, utc);
	t->missed_entry = entry;
	t->missed_ret = ret;
	return r;
}

/* Mapping records a full perf ring dropped, per CPU, as lost records. */
static int perf_lost(struct mmt_stats_run *t, uint64_t now)
{
	uint64_t cpu_lost[1024], utc = (uint64_t)((int64_t)now + t->src.mono_to_utc);
	int c, n, r;

	if (!t->src.perf || !mmt_perf_update_lost(t->src.perf, cpu_lost))
		return 0;
	n = mmt_perf_ncpus(t->src.perf);
	for (c = 0; c < n && c < 1024; c++) {
		if (!cpu_lost[c])
			continue;
		r = mmt_assemble_lost(t->src.assemble, cpu_lost[c], c, MMT_LOST_PERF, utc);
		if (r < 0)
			return r;
	}
	return 0;
}

/* Records the log sink could not send, as a lost record (sent there too, if it can). */
static int sink_lost(struct mmt_stats_run *t, uint64_t now)
{
	uint64_t n = t->src.sink ? mmt_logsink_dropped(t->src.sink) : 0;

	if (!n)
		return 0;
	t->sink_dropped += n;
	return mmt_assemble_lost(t->src.assemble, n, -1, MMT_LOST_LOG,
				 (uint64_t)((int64_t)now + t->src.mono_to_utc));
}

int mmt_stats_lost(struct mmt_stats_run *t, bool force)
{
	uint64_t now = mmt_mono_ns(), cpu_lost[1024];
	int64_t lost;
	int c, r, n = mmt_ring_ncpus(t->src.ring);

	if (!force && now - t->last_lost_poll < LOST_POLL_NS)
		return 0;
	t->last_lost_poll = now;
	if (n > 1024)
		n = 1024;
	r = report_missed(t, now);
	if (r < 0)
		return r;
	r = perf_lost(t, now);
	if (r < 0)
		return r;
	r = sink_lost(t, now);
	if (r < 0)
		return r;
	lost = mmt_ring_update_lost(t->src.ring, cpu_lost);
	if (lost <= 0)
		return (int)lost;
	for (c = 0; c < n; c++) {
		if (!cpu_lost[c])
			continue;
		r = mmt_assemble_lost(t->src.assemble, cpu_lost[c], c, MMT_LOST_RING,
				  (uint64_t)((int64_t)now + t->src.mono_to_utc));
		if (r < 0)
			return r;
	}
	return 0;
}

static void collect_stats(struct mmt_stats_run *t, struct mmt_stats *s)
{
	uint64_t now = mmt_mono_ns(), entry, ret;
	struct mmt_enrich_stats es;
	struct mmt_ring_stats rs;
	struct rusage ru;

	memset(s, 0, sizeof(*s));
	mmt_ring_stats(t->src.ring, &rs);
	mmt_enrich_stats(t->src.enrich, &es);
	s->utc_ns = (uint64_t)((int64_t)now + t->src.mono_to_utc);
	s->elapsed_ns = now - t->start_ns;
	s->events = rs.events;
	s->mappings = es.pair.paired;
	s->records = mmt_emit_records(t->src.emit);
	s->filtered = es.filtered;
	/* Events of the probes; the kernel's mapping records lost have their own count. */
	s->lost = rs.lost;
	s->unpaired = es.pair.orphan_exits + es.pair.orphan_entries + es.pair.pending;
	s->corrupt = rs.corrupt;
	s->pending = mmt_assemble_pending(t->src.assemble);
	s->threads = es.threads;
	/* Kprobe hits the kernel dropped before the ring: a kretprobe out of instances. */
	if (t->src.probe && mmt_probe_missed(t->src.probe, &entry, &ret) == 0)
		s->missed = entry + ret;
	if (es.hashing) {
		s->hash_hits = es.hash.hits;
		s->hash_misses = es.hash.misses;
		s->hashed_files = es.hash.hashed_files;
		s->hashed_bytes = es.hash.hashed_bytes;
		s->hash_skipped = es.hash.skipped + mmt_assemble_skipped(t->src.assemble);
	}
	s->proc_reads = mmt_procfs_reads(NULL);
	s->rss_kb = mmt_procfs_self_rss_kb();
	if (getrusage(RUSAGE_SELF, &ru) == 0) {
		/* The kernel updates maxrss lazily: never below what statm says now. */
		s->max_rss_kb = (uint64_t)ru.ru_maxrss > s->rss_kb ? (uint64_t)ru.ru_maxrss : s->rss_kb;
		s->cpu_user_us = (uint64_t)ru.ru_utime.tv_sec * 1000000 + (uint64_t)ru.ru_utime.tv_usec;
		s->cpu_system_us = (uint64_t)ru.ru_stime.tv_sec * 1000000 +
				   (uint64_t)ru.ru_stime.tv_usec;
	}
}

/* Every --stats-interval a stats record, and one at the end. */
int mmt_stats_tick(struct mmt_stats_run *t, bool final)
{
	uint64_t now = mmt_mono_ns();
	struct mmt_stats s;

	if (!t->src.interval_ns || (!final && now - t->last_stats < t->src.interval_ns))
		return 0;
	t->last_stats = now;
	collect_stats(t, &s);
	return mmt_assemble_stats(t->src.assemble, &s);
}

/* "/proc reads: N, X per mapping (maps 3, map_files 12)": the kinds read at all. */
static void proc_summary(const struct mmt_stats *s)
{
	struct mmt_procfs_reads pr;
	const char *sep = " (";
	int k;

	mmt_procfs_reads(&pr);
	fprintf(stderr, "mmaptrace: /proc reads: %llu, %.3f per mapping",
		(unsigned long long)s->proc_reads,
		s->mappings ? (double)s->proc_reads / (double)s->mappings : 0.0);
	for (k = 0; k < MMT_PROCFS_NKINDS; k++) {
		if (k == MMT_PROCFS_SELF || !pr.n[k])
			continue;
		fprintf(stderr, "%s%s %llu", sep, mmt_procfs_kind_name(k),
			(unsigned long long)pr.n[k]);
		sep = ", ";
	}
	fprintf(stderr, "%s\n", *sep == ',' ? ")" : "");
}

void mmt_stats_summary(struct mmt_stats_run *t)
{
	uint64_t missed_entry, missed_ret;
	struct mmt_enrich_stats es;
	struct mmt_ring_stats rs;
	char missed[96] = "";
	struct mmt_stats s;

	collect_stats(t, &s);
	/* Not "0 entries missed" where the kernel cannot tell them (before 5.14). */
	if (t->src.probe && mmt_probe_missed(t->src.probe, &missed_entry, &missed_ret) == 0 &&
	    !mmt_probe_entries_counted(t->src.probe))
		snprintf(missed, sizeof(missed), ", %llu returns missed, entries missed not "
			 "counted (kernel before 5.14)", (unsigned long long)missed_ret);
	else if (t->src.probe && mmt_probe_missed(t->src.probe, &missed_entry, &missed_ret) == 0)
		snprintf(missed, sizeof(missed), ", %llu returns missed, %llu entries missed",
			 (unsigned long long)missed_ret, (unsigned long long)missed_entry);
	fprintf(stderr, "mmaptrace: %llu events, %llu mappings, %llu records written, "
		"%llu events lost, %llu unpaired%s\n",
		(unsigned long long)s.events, (unsigned long long)s.mappings,
		(unsigned long long)s.records, (unsigned long long)s.lost,
		(unsigned long long)s.unpaired, missed);
	if (s.filtered)
		fprintf(stderr, "mmaptrace: %llu mappings filtered out\n",
			(unsigned long long)s.filtered);
	/* Never silent: sub-buffers that failed the sanity checks lost their events. */
	if (s.corrupt)
		fprintf(stderr, "mmaptrace: %llu corrupt sub-buffers skipped\n",
			(unsigned long long)s.corrupt);
	if (s.unpaired) {
		mmt_enrich_stats(t->src.enrich, &es);
		fprintf(stderr, "mmaptrace: unpaired: %llu entries without a return, %llu returns "
			"without an entry, %llu entries pending at the end\n",
			(unsigned long long)es.pair.orphan_entries,
			(unsigned long long)es.pair.orphan_exits, (unsigned long long)es.pair.pending);
	}
	/* Nor records that could not be decoded, nor the kernel's own word of a loss. */
	mmt_ring_stats(t->src.ring, &rs);
	if (rs.unknown || rs.markers)
		fprintf(stderr, "mmaptrace: %llu events not decoded, %llu of %llu sub-buffers "
			"marked as having missed events\n", (unsigned long long)rs.unknown,
			(unsigned long long)rs.markers, (unsigned long long)rs.subbufs);
	if (rs.unread)
		fprintf(stderr, "mmaptrace: %llu events were still in the buffers at the end, "
			"not read\n", (unsigned long long)rs.unread);
	if (rs.unseen)
		fprintf(stderr, "mmaptrace: %llu events the kernel handed over were never read here "
			"(another reader of the instance?); counted as lost\n",
			(unsigned long long)rs.unseen);
	if (t->src.perf) {
		struct mmt_perf_stats ps;

		mmt_perf_stats(t->src.perf, &ps);
		fprintf(stderr, "mmaptrace: kernel mapping records: %llu read, %llu lost%s\n",
			(unsigned long long)ps.maps, (unsigned long long)ps.lost,
			ps.corrupt ? " (and corrupt records skipped)" : "");
	}
	if (t->src.sink) {
		t->sink_dropped += mmt_logsink_dropped(t->src.sink);
		fprintf(stderr, "mmaptrace: log sink: %llu records dropped\n",
			(unsigned long long)t->sink_dropped);
	}
	proc_summary(&s);
	fprintf(stderr, "mmaptrace: reader cpu %.3f s user, %.3f s system, %llu KiB peak rss\n",
		s.cpu_user_us / 1e6, s.cpu_system_us / 1e6, (unsigned long long)s.max_rss_kb);
	mmt_enrich_stats(t->src.enrich, &es);
	if (es.hashing)
		fprintf(stderr, "mmaptrace: hash cache: %llu hits, %llu misses, %llu files hashed "
			"(%llu bytes), %llu records without hashes (queue full)\n",
			(unsigned long long)s.hash_hits, (unsigned long long)s.hash_misses,
			(unsigned long long)s.hashed_files, (unsigned long long)s.hashed_bytes,
			(unsigned long long)s.hash_skipped);
	/* Only when one user's files filled that user's share of the queue. */
	if (es.hashing && es.hash.skipped_user)
		fprintf(stderr, "mmaptrace: hash queue: %llu files not hashed, their user's share "
			"of the queue full\n", (unsigned long long)es.hash.skipped_user);
	/* Only when a filesystem did not answer: the lines above stay as they were. */
	if (es.hashing && (es.hash.abandoned || mmt_assemble_late(t->src.assemble)))
		fprintf(stderr, "mmaptrace: hash deadline: %llu files did not answer (their "
			"worker processes left behind), %llu records written without hashes "
			"not done in time\n", (unsigned long long)es.hash.abandoned,
			(unsigned long long)mmt_assemble_late(t->src.assemble));
}

