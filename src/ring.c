// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Per-CPU raw reads and the merge by timestamp.
 *
 * Each CPU's buffer is read in sub-buffers (partial ones too: the kernel
 * hands out what is committed) and decoded at once into a per-CPU queue of
 * struct mmt_event. A CPU's events are in order; across CPUs they are not,
 * and a thread that migrates between its mmap entry and return puts the two
 * halves on different CPUs. So the drain merges the queue heads by
 * timestamp, and holds back what is newer than "now - MERGE_SLACK": a CPU
 * read earlier in the same drain may still commit an event older than one
 * already read from a later CPU.
 *
 * Only the formats of the events we enabled are parsed (the syscalls system
 * alone has hundreds), and fields are found by name once, so a kprobe
 * backend whose fetch-args carry the same names decodes with no new code.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include <event-parse.h>
#include <kbuffer.h>
#include <tracefs.h>

#include "clock.h"
#include "evq.h"
#include "ring.h"

#define MERGE_SLACK_NS	0ULL
#define ROUND_SUBBUFS	8	/* per CPU and round: ~350 mmap events */
/* A drain that is not the last returns after this, more to read or not. */
#define DRAIN_BUDGET_NS	(100 * 1000000ULL)

enum field_id {
	F_ADDR, F_LEN, F_PROT, F_FLAGS, F_FD, F_OFF, F_PGOFF, F_RET, F_FILE,
	F_INO, F_SDEV, F_CTIME_SEC, F_CTIME_NSEC, F_FFLAGS, F_VMFLAGS, F_PID, F_CLONE_FLAGS,
	F_START, F_END, F_NEWFLAGS, F_OLDFLAGS, F_UID, F_EUID, F_GID,
	F_NR
};

/* Names shared by the tracepoint's fields and the kprobe's fetch-args. */
static const char *const field_names[F_NR] = {
	[F_ADDR] = "addr", [F_LEN] = "len", [F_PROT] = "prot", [F_FLAGS] = "flags",
	[F_FD] = "fd", [F_OFF] = "off", [F_PGOFF] = "pgoff", [F_RET] = "ret",
	[F_FILE] = "file", [F_INO] = "ino", [F_SDEV] = "sdev",
	[F_CTIME_SEC] = "ctime_sec", [F_CTIME_NSEC] = "ctime_nsec",
	[F_FFLAGS] = "f_flags", [F_VMFLAGS] = "vm_flags", [F_PID] = "pid",
	[F_CLONE_FLAGS] = "clone_flags",
	/* sys_enter_mprotect's start; mprotect_fixup's start, end and flags */
	[F_START] = "start", [F_END] = "end", [F_NEWFLAGS] = "newflags", [F_OLDFLAGS] = "oldflags",
	/* commit_creds's new ids */
	[F_UID] = "uid", [F_EUID] = "euid", [F_GID] = "gid",
};

/* VM_READ, VM_WRITE and VM_EXEC are the bits of PROT_READ, PROT_WRITE and PROT_EXEC. */
#define VM_PROT_MASK	0x7

struct field {
	int off;	/* -1: the event has no such field */
	int size;
	bool is_signed;
};

struct decoder {
	int id;
	unsigned int min_size;	/* bytes a record needs for every field we read */
	enum mmt_event_role role;
	struct field pid;
	struct field comm;	/* char[16], or off -1 */
	struct field f[F_NR];
};

struct cpu_queue {
	int cpu;
	int fd;
	struct tracefs_cpu *tcpu;
	struct kbuffer *kbuf;
	struct mmt_evq evq;
	uint64_t lost_seen;	/* overrun + dropped at the last stats read */
	uint64_t records;	/* data records read from this CPU (decoded or not) */
	uint64_t unseen;	/* records the kernel handed over that were not read */
};

struct mmt_ring {
	struct tracefs_instance *inst;
	struct tep_handle *tep;
	struct decoder *dec;
	size_t ndec;
	struct cpu_queue *q;
	int ncpus;
	struct mmt_evq **all;	/* every queue the merge reads: the CPUs', then a source's */
	int nall;
	struct mmt_ring_source side;	/* another source merged in, or read NULL */
	void *page;
	int page_size;
	int page_shift;
	struct mmt_ring_stats st;
};

static int parse_header_page(struct tep_handle *tep)
{
	int len, r;
	char *buf = tracefs_instance_file_read(NULL, "events/header_page", &len);

	if (!buf)
		return -errno;
	r = tep_parse_header_page(tep, buf, len, sizeof(long));
	free(buf);
	return r < 0 ? -EINVAL : 0;
}

static void field_lookup(struct tep_event *event, const char *name, struct field *f)
{
	struct tep_format_field *tf = tep_find_any_field(event, name);

	f->off = -1;
	if (!tf || tf->size > 8 || (tf->flags & TEP_FIELD_IS_ARRAY))
		return;
	f->off = tf->offset;
	f->size = tf->size;
	f->is_signed = tf->flags & TEP_FIELD_IS_SIGNED;
}

static int add_decoder(struct mmt_ring *ring, const struct mmt_probe_event *pe)
{
	struct decoder *d = &ring->dec[ring->ndec];
	struct tep_format_field *tf;
	struct tep_event *event;
	char *fmt;
	int len, i;

	fmt = tracefs_event_file_read(ring->inst, pe->system, pe->name, "format", &len);
	if (!fmt)
		return errno ? -errno : -ENOENT;
	i = tep_parse_event(ring->tep, fmt, len, pe->system);
	free(fmt);
	if (i)
		return -EINVAL;
	event = tep_find_event_by_name(ring->tep, pe->system, pe->name);
	if (!event)
		return -ENOENT;
	d->id = event->id;
	d->role = pe->role;
	field_lookup(event, "common_pid", &d->pid);
	d->comm.off = -1;
	tf = tep_find_field(event, "comm");
	if (!tf)
		tf = tep_find_field(event, "newcomm");	/* task_rename */
	if (tf && (tf->flags & TEP_FIELD_IS_ARRAY) && tf->size == 16)
		d->comm.off = tf->offset;
	for (i = 0; i < F_NR; i++)
		field_lookup(event, field_names[i], &d->f[i]);
	d->min_size = d->pid.off >= 0 ? (unsigned int)(d->pid.off + d->pid.size) : 2;
	if (d->comm.off >= 0 && (unsigned int)d->comm.off + 16 > d->min_size)
		d->min_size = (unsigned int)d->comm.off + 16;
	for (i = 0; i < F_NR; i++)
		if (d->f[i].off >= 0 && (unsigned int)(d->f[i].off + d->f[i].size) > d->min_size)
			d->min_size = (unsigned int)(d->f[i].off + d->f[i].size);
	ring->ndec++;
	return 0;
}

static uint64_t read_field(const unsigned char *data, const struct field *f)
{
	uint64_t v = 0;

	/* The buffer is in host byte order: tracing never crosses machines here. */
	switch (f->size) {
	case 1: { int8_t x; memcpy(&x, data + f->off, 1);
		  return f->is_signed ? (uint64_t)(int64_t)x : (uint8_t)x; }
	case 2: { int16_t x; memcpy(&x, data + f->off, 2);
		  return f->is_signed ? (uint64_t)(int64_t)x : (uint16_t)x; }
	case 4: { int32_t x; memcpy(&x, data + f->off, 4);
		  return f->is_signed ? (uint64_t)(int64_t)x : (uint32_t)x; }
	case 8: memcpy(&v, data + f->off, 8); return v;
	}
	return 0;
}

static const struct decoder *find_decoder(const struct mmt_ring *ring, int id)
{
	size_t i;

	for (i = 0; i < ring->ndec; i++)
		if (ring->dec[i].id == id)
			return &ring->dec[i];
	return NULL;
}

/* Kernel dev_t is major << 20 | minor; stat() reports the glibc encoding. */
static uint64_t kdev_to_user(uint64_t kdev)
{
	return makedev((unsigned int)(kdev >> 20), (unsigned int)(kdev & 0xfffff));
}

static void decode_fields(const struct mmt_ring *ring, const struct decoder *d,
			  const unsigned char *data, struct mmt_event *ev)
{
	const struct field *f = d->f;

#define GET(id) read_field(data, &f[id])
#define HAS(id) (f[id].off >= 0)
	if (HAS(F_ADDR)) ev->addr = GET(F_ADDR);
	if (HAS(F_LEN)) ev->len = GET(F_LEN);
	if (HAS(F_PROT)) ev->prot = GET(F_PROT);
	if (HAS(F_FLAGS)) ev->flags = GET(F_FLAGS);
	if (HAS(F_PGOFF)) ev->pgoff = GET(F_PGOFF);
	/* The syscall takes a byte offset; do_mmap and the records use pages. */
	if (HAS(F_OFF)) ev->pgoff = GET(F_OFF) >> ring->page_shift;
	if (HAS(F_RET)) ev->ret = (int64_t)GET(F_RET);
	if (HAS(F_FD)) { ev->fd = (int64_t)(int)GET(F_FD); ev->have |= MMT_HAVE_FD; }
	if (HAS(F_FILE)) { ev->file = GET(F_FILE); ev->have |= MMT_HAVE_FILE; }
	/*
	 * No file (an anonymous mapping): the kprobe's fetches through the NULL
	 * pointer fault quietly and read 0, which is no inode, device or time.
	 */
	if (!HAS(F_FILE) || ev->file) {
		if (HAS(F_INO)) { ev->ino = GET(F_INO); ev->have |= MMT_HAVE_INO; }
		if (HAS(F_SDEV)) {
			ev->dev = kdev_to_user(GET(F_SDEV));
			ev->have |= MMT_HAVE_DEV;
		}
		if (HAS(F_CTIME_SEC)) {
			ev->ctime_sec = GET(F_CTIME_SEC);
			ev->ctime_nsec = HAS(F_CTIME_NSEC) ? GET(F_CTIME_NSEC) : 0;
			ev->have |= MMT_HAVE_CTIME;
		}
		if (HAS(F_FFLAGS)) {
			ev->f_flags = (uint32_t)GET(F_FFLAGS);
			ev->have |= MMT_HAVE_FFLAGS;
		}
	}
	if (HAS(F_VMFLAGS)) { ev->vm_flags = GET(F_VMFLAGS); ev->have |= MMT_HAVE_VM_FLAGS; }
	if (HAS(F_START)) ev->addr = GET(F_START);
	if (HAS(F_END)) ev->len = GET(F_END) - ev->addr;
	if (HAS(F_NEWFLAGS)) ev->prot = GET(F_NEWFLAGS) & VM_PROT_MASK;
	if (HAS(F_OLDFLAGS)) {
		ev->prev_prot = GET(F_OLDFLAGS) & VM_PROT_MASK;
		ev->have |= MMT_HAVE_PREV_PROT;
	}
	if (HAS(F_PID)) ev->child = (pid_t)GET(F_PID);
	if (HAS(F_CLONE_FLAGS)) ev->clone_flags = GET(F_CLONE_FLAGS);
	if (HAS(F_UID) && HAS(F_EUID) && HAS(F_GID)) {
		ev->uid = (uint32_t)GET(F_UID);
		ev->euid = (uint32_t)GET(F_EUID);
		ev->gid = (uint32_t)GET(F_GID);
		ev->have |= MMT_HAVE_IDS;
	}
	if (d->comm.off >= 0) {
		memcpy(ev->comm, data + d->comm.off, 15);
		ev->comm[15] = '\0';
		ev->have |= MMT_HAVE_COMM;
	}
#undef GET
#undef HAS
}

/*
 * The sub-buffer read from trace_pipe_raw, with zeroed slack behind it:
 * kbuffer reads an event header (and a length word) before it can check it
 * against the commit size, so a corrupt last header must not fault.
 */
#define PAGE_SLACK	64

#define SUBBUF_HEADER	(8 + sizeof(long))

static unsigned long commit_size(const void *page)
{
	unsigned long commit;

	memcpy(&commit, (const char *)page + 8, sizeof(commit));
	return commit & ((1UL << 30) - 1);
}

/*
 * Whether every record header of the sub-buffer leads to the next one
 * inside it. kbuffer trusts them: a data record (type 0) whose length word
 * is under 4 sends it backwards, in an endless loop (found by fuzzing).
 * Lengths as the kernel writes them: type 1-28 data of type*4 bytes, 0 data
 * of array[0]-4 bytes (rounded up to 4) after array[0], 29 padding of
 * array[0] bytes after the header, 30/31 time records of 8: as kbuffer
 * walks them (it has no special case for the kernel's empty padding).
 */
static bool subbuf_walkable(const unsigned char *page, unsigned long size)
{
	const unsigned char *p = page + SUBBUF_HEADER, *end = p + size;
	uint32_t h, a0;
	unsigned long len;

	while (end - p >= 4) {
		memcpy(&h, p, 4);
		switch (h & 31) {
		case 29:
		case 0:
			if (end - p < 8)
				return false;
			memcpy(&a0, p + 4, 4);
			if ((h & 31) == 29)
				len = 4 + (unsigned long)a0;
			else if (a0 < 4)
				return false;
			else
				len = 8 + (((unsigned long)a0 - 4 + 3) & ~3UL);
			break;
		case 30:
		case 31:
			len = 8;
			break;
		default:
			len = 4 + (h & 31) * 4;
		}
		if (len > (unsigned long)(end - p))
			return false;
		p += len;
	}
	/* kbuffer reads a header wherever the last record ends short of the commit. */
	return p == end;
}

static void *page_alloc(int size)
{
	return calloc(1, (size_t)size + PAGE_SLACK);
}

static int decode_subbuf(struct mmt_ring *ring, struct cpu_queue *q)
{
	unsigned long long ts;
	unsigned char *data;
	int r, at, last_at = -1;

	/*
	 * A commit size past the page would walk kbuffer out of it (it does not
	 * check, and it walks already while loading): check it first. The
	 * header is a u64 timestamp and a long commit whose top bits are the
	 * missed-events flags (RB_MISSED_EVENTS, RB_MISSED_STORED: bits 31, 30).
	 */
	if (commit_size(ring->page) + SUBBUF_HEADER > (unsigned long)ring->page_size ||
	    !subbuf_walkable(ring->page, commit_size(ring->page))) {
		ring->st.corrupt++;
		return 0;
	}
	if (kbuffer_load_subbuffer(q->kbuf, ring->page) < 0)
		return -EINVAL;
	ring->st.subbufs++;
	data = kbuffer_read_event(q->kbuf, &ts);
	if (data && kbuffer_missed_events(q->kbuf))
		ring->st.markers++;
	for (; data; data = kbuffer_next_event(q->kbuf, &ts)) {
		uint16_t id;
		const struct decoder *d;
		struct mmt_event *ev;
		unsigned int size;

		q->records++;
		/* Each record lies past the last: anything else is a corrupt page. */
		at = kbuffer_curr_offset(q->kbuf);
		if (at <= last_at) {
			ring->st.corrupt++;
			break;
		}
		last_at = at;

		size = kbuffer_event_size(q->kbuf);
		/* A record cut short (or past the sub-buffer) is not read beyond its end. */
		if (size < sizeof(id) || data + size > (unsigned char *)ring->page + ring->page_size) {
			ring->st.unknown++;
			continue;
		}
		memcpy(&id, data, sizeof(id));
		d = find_decoder(ring, id);
		if (!d || size < d->min_size) {
			ring->st.unknown++;
			continue;
		}
		r = mmt_evq_push(&q->evq, &ev);
		if (r < 0)
			return r;
		memset(ev, 0, sizeof(*ev));
		ev->ts = ts;
		q->evq.last_ts = ts;
		ev->cpu = q->cpu;
		ev->role = d->role;
		ev->fd = -1;
		ev->tid = (pid_t)read_field(data, &d->pid);
		decode_fields(ring, d, data, ev);
		ring->st.events++;
	}
	return 0;
}

/* Reads up to @max sub-buffers of one CPU. Return: sub-buffers read, or -errno. */
static int read_cpu(struct mmt_ring *ring, struct cpu_queue *q, int max)
{
	int n, r, pages;

	for (pages = 0; pages < max; pages++) {
		n = tracefs_cpu_read(q->tcpu, ring->page, true);
		if (n < 0)
			return errno ? -errno : -EIO;
		if (n == 0)
			break;
		r = decode_subbuf(ring, q);
		if (r < 0)
			return r;
	}
	return pages;
}

/* Delivers, in timestamp order, the queued events (of every source) not newer than @limit. */
static int merge(struct mmt_ring *ring, uint64_t limit, mmt_ring_deliver_fn fn, void *ctx)
{
	return mmt_evq_merge(ring->all, ring->nall, limit, fn, ctx);
}

int mmt_ring_drain(struct mmt_ring *ring, bool final, mmt_ring_deliver_fn fn, void *ctx)
{
	uint64_t start = mmt_mono_ns();
	int total = 0, i, r;
	bool more;

	/*
	 * In rounds of a few sub-buffers per CPU, each read then delivered:
	 * reading a busy buffer to the end before delivering anything let it
	 * overflow while the (slower) delivery ran. Bounded in time: writers
	 * faster than the reader would keep it here, deaf to signals (a
	 * SIGINT under ASan waited for the end of a 2M-mapping storm).
	 */
	do {
		uint64_t limit = final ? UINT64_MAX : mmt_mono_ns() - MERGE_SLACK_NS, horizon;

		more = false;
		/* What the other source has not read yet waits with what is newer. */
		if (ring->side.read) {
			r = ring->side.read(ring->side.ctx, &horizon);
			if (r < 0)
				return r;
			if (horizon < limit)
				limit = horizon;
		}
		for (i = 0; i < ring->ncpus; i++) {
			r = read_cpu(ring, &ring->q[i], ROUND_SUBBUFS);
			if (r < 0)
				return r;
			/*
			 * A CPU read only in part may hold older events than
			 * another CPU's newest: deliver nothing past what was
			 * read of it (even in the final drain).
			 */
			if (r == ROUND_SUBBUFS) {
				more = true;
				if (ring->q[i].evq.last_ts < limit)
					limit = ring->q[i].evq.last_ts;
			}
		}
		r = merge(ring, limit, fn, ctx);
		if (r < 0)
			return r;
		total += r;
	} while (more && (final || mmt_mono_ns() - start < DRAIN_BUDGET_NS));
	return total;
}

int mmt_ring_attach(struct mmt_ring *ring, const struct mmt_ring_source *src)
{
	struct mmt_evq **all = realloc(ring->all, (size_t)(ring->ncpus + src->nq) * sizeof(*all));
	int i;

	if (!all)
		return -ENOMEM;
	ring->all = all;
	for (i = 0; i < src->nq; i++)
		all[ring->ncpus + i] = src->q[i];
	ring->nall = ring->ncpus + src->nq;
	ring->side = *src;
	return 0;
}

bool mmt_ring_held(const struct mmt_ring *ring)
{
	int i;

	for (i = 0; i < ring->nall; i++)
		if (mmt_evq_pending(ring->all[i]))
			return true;
	return false;
}

static int64_t stats_value(const char *buf, const char *key)
{
	const char *p = strstr(buf, key);

	return p ? strtoll(p + strlen(key), NULL, 10) : 0;
}

int64_t mmt_ring_update_lost(struct mmt_ring *ring, uint64_t *cpu_lost)
{
	char path[64];
	int64_t total = 0;
	int64_t unread = 0;
	int i;

	for (i = 0; i < ring->ncpus; i++) {
		struct cpu_queue *q = &ring->q[i];
		char *buf;
		uint64_t now;
		int64_t unseen;

		snprintf(path, sizeof(path), "per_cpu/cpu%d/stats", q->cpu);
		buf = tracefs_instance_file_read(ring->inst, path, NULL);
		if (!buf)
			return -errno;
		/* "\noverrun:" so that "commit overrun:" is not taken for it. */
		now = stats_value(buf, "\noverrun:") + stats_value(buf, "commit overrun:") +
		      stats_value(buf, "dropped events:");
		unseen = stats_value(buf, "read events:") - (int64_t)q->records;
		unread += stats_value(buf, "entries:");
		free(buf);
		/*
		 * The kernel counts what it handed to readers: any of it that
		 * this reader did not see (a sub-buffer it could not walk, a
		 * second reader of the instance) is lost too, and said.
		 */
		if (unseen > 0 && (uint64_t)unseen > q->unseen) {
			ring->st.unseen += (uint64_t)unseen - q->unseen;
			q->unseen = (uint64_t)unseen;
		}
		now += q->unseen;
		if (cpu_lost)
			cpu_lost[i] = now > q->lost_seen ? now - q->lost_seen : 0;
		if (now > q->lost_seen) {
			total += now - q->lost_seen;
			q->lost_seen = now;
		}
	}
	ring->st.lost += total;
	ring->st.unread = (uint64_t)unread;
	return total;
}

/* All that the writers did on every CPU: held, handed over, or dropped. */
static int64_t written(struct mmt_ring *ring)
{
	static const char *const keys[] = {
		"entries:", "\noverrun:", "commit overrun:", "dropped events:", "read events:",
	};
	char path[64];
	int64_t sum = 0;
	size_t k;
	int i;

	for (i = 0; i < ring->ncpus; i++) {
		char *buf;

		snprintf(path, sizeof(path), "per_cpu/cpu%d/stats", ring->q[i].cpu);
		buf = tracefs_instance_file_read(ring->inst, path, NULL);
		if (!buf)
			return -errno;
		for (k = 0; k < sizeof(keys) / sizeof(keys[0]); k++)
			sum += stats_value(buf, keys[k]);
		free(buf);
	}
	return sum;
}

int mmt_ring_settle(struct mmt_ring *ring, int max_ms)
{
	int64_t last = -1, now;
	int ms;

	for (ms = 0; ms < max_ms; ms++) {
		now = written(ring);
		if (now < 0 || now == last)
			return now < 0 ? (int)now : 0;
		last = now;
		usleep(1000);
	}
	return -ETIMEDOUT;
}

static int open_cpu(struct mmt_ring *ring, struct cpu_queue *q, int cpu)
{
	char path[64];

	q->cpu = cpu;
	snprintf(path, sizeof(path), "per_cpu/cpu%d/trace_pipe_raw", cpu);
	q->fd = tracefs_instance_file_open(ring->inst, path, O_RDONLY | O_NONBLOCK);
	if (q->fd < 0)
		return -errno;
	q->tcpu = tracefs_cpu_alloc_fd(q->fd, ring->page_size, true);
	if (!q->tcpu)
		return -errno;
	/*
	 * Not tep_kbuffer(): with no long size set it takes the header page's
	 * size field for it and parses 64-bit buffers as 32-bit (libtraceevent
	 * 1.7). The buffers are the running kernel's: its long size, host order.
	 */
	q->kbuf = kbuffer_alloc(sizeof(long) == 8 ? KBUFFER_LSIZE_8 : KBUFFER_LSIZE_4,
				__BYTE_ORDER__ == __ORDER_BIG_ENDIAN__ ? KBUFFER_ENDIAN_BIG
								       : KBUFFER_ENDIAN_LITTLE);
	if (!q->kbuf)
		return -ENOMEM;
	return 0;
}

static int count_cpus(struct tracefs_instance *inst)
{
	char path[64];
	int n;

	/* per_cpu/ has a directory for each possible CPU, numbered densely. */
	for (n = 0; n < 4096; n++) {
		snprintf(path, sizeof(path), "per_cpu/cpu%d", n);
		if (!tracefs_dir_exists(inst, path))
			break;
	}
	return n;
}

struct mmt_ring *mmt_ring_open(struct tracefs_instance *inst,
			       const struct mmt_probe_event *events, size_t nevents)
{
	struct mmt_ring *ring;
	size_t i;
	int r = -ENOMEM, c;

	ring = calloc(1, sizeof(*ring));
	if (!ring)
		goto fail;
	ring->inst = inst;
	ring->page_shift = __builtin_ctzl((unsigned long)sysconf(_SC_PAGESIZE));
	ring->tep = tep_alloc();
	ring->dec = calloc(nevents, sizeof(*ring->dec));
	if (!ring->tep || !ring->dec)
		goto fail;
	r = parse_header_page(ring->tep);
	if (r < 0)
		goto fail;
	ring->page_size = tep_get_sub_buffer_size(ring->tep);
	ring->page = page_alloc(ring->page_size);
	if (!ring->page)
		goto fail;
	for (i = 0; i < nevents; i++) {
		r = add_decoder(ring, &events[i]);
		if (r < 0)
			goto fail;
	}
	ring->ncpus = count_cpus(inst);
	ring->q = calloc(ring->ncpus ? ring->ncpus : 1, sizeof(*ring->q));
	if (!ring->q || !ring->ncpus) {
		r = ring->q ? -ENODEV : -ENOMEM;
		goto fail;
	}
	ring->all = calloc((size_t)ring->ncpus, sizeof(*ring->all));
	if (!ring->all) {
		r = -ENOMEM;
		goto fail;
	}
	ring->nall = ring->ncpus;
	for (c = 0; c < ring->ncpus; c++) {
		ring->q[c].fd = -1;
		ring->all[c] = &ring->q[c].evq;
	}
	for (c = 0; c < ring->ncpus; c++) {
		r = open_cpu(ring, &ring->q[c], c);
		if (r < 0)
			goto fail;
	}
	if (mmt_ring_update_lost(ring, NULL) < 0) {
		r = -errno;
		goto fail;
	}
	ring->st.lost = 0;
	return ring;
fail:
	mmt_ring_close(ring);
	errno = -r;
	return NULL;
}

void mmt_ring_close(struct mmt_ring *ring)
{
	int c;

	if (!ring)
		return;
	for (c = 0; ring->q && c < ring->ncpus; c++) {
		struct cpu_queue *q = &ring->q[c];

		if (q->tcpu)
			tracefs_cpu_free_fd(q->tcpu);
		if (q->fd >= 0)
			close(q->fd);
		if (q->kbuf)
			kbuffer_free(q->kbuf);
		mmt_evq_free(&q->evq);
	}
	free(ring->q);
	free(ring->all);
	free(ring->page);
	free(ring->dec);
	if (ring->tep)
		tep_free(ring->tep);
	free(ring);
}

int mmt_ring_pollfds(const struct mmt_ring *ring, struct pollfd *fds)
{
	int c;

	for (c = 0; c < ring->ncpus; c++) {
		fds[c].fd = ring->q[c].fd;
		fds[c].events = POLLIN;
		fds[c].revents = 0;
	}
	return ring->ncpus;
}

int mmt_ring_ncpus(const struct mmt_ring *ring)
{
	return ring->ncpus;
}

void mmt_ring_stats(const struct mmt_ring *ring, struct mmt_ring_stats *st)
{
	*st = ring->st;
}
