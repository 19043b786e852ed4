// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The perf rings: a software dummy event per CPU whose only output is the
 * kernel's side-band records. Of those, PERF_RECORD_MMAP2 is what matters:
 * perf_event_mmap() writes it from inside the mmap call (and the ELF
 * loader's, and an mprotect that makes a range executable), with the path
 * the kernel resolved and the file's identity, so a record never depends
 * on the process still being there. PERF_RECORD_LOST counts what a full
 * ring dropped. PERF_RECORD_COMM of an exec gives the new image's name,
 * which no tracefs event carries (sched_process_exec has the path the
 * caller passed; the kernel's name may come from elsewhere). Fork and exit
 * come from the tracefs task events already enabled: asking perf for them
 * too would pay twice for the same facts.
 *
 * The ring protocol is the kernel's (tools/perf's is not a Debian library):
 * data_head read with acquire, records of struct perf_event_header, the
 * consumed part given back through data_tail with release.
 */
#include <errno.h>
#include <linux/perf_event.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "perf.h"

#define DEFAULT_RING_KB	2048
#define MAX_RECORD	65536		/* header.size is a u16 */

/* What sample_id_all appends with TID | TIME | CPU: u32 pid, tid; u64 time; u32 cpu, res. */
struct sample_id {
	uint32_t pid, tid;
	uint64_t time;
	uint32_t cpu, res;
};

/* PERF_RECORD_MMAP2's fixed part (without build_id: maj, min, ino, ino_generation). */
struct mmap2_record {
	struct perf_event_header header;
	uint32_t pid, tid;
	uint64_t addr, len, pgoff;
	uint32_t maj, min;
	uint64_t ino, ino_generation;
	uint32_t prot, flags;
	char filename[];
};

/* PERF_RECORD_COMM's fixed part; the name is NUL-terminated, padded to 8 bytes. */
struct comm_record {
	struct perf_event_header header;
	uint32_t pid, tid;
	char comm[];
};

struct lost_record {
	struct perf_event_header header;
	uint64_t id, lost;
};

struct perf_cpu {
	int cpu;
	int fd;
	struct perf_event_mmap_page *meta;
	unsigned char *data;
	size_t size;		/* of the data area: a power of two */
	struct mmt_evq q;
	uint64_t lost, lost_seen;
};

struct mmt_perf {
	struct perf_cpu *c;
	int ncpus;
	struct perf_event_attr attr;	/* what every event of the rings asks */
	bool enabled;
	pid_t *followed;		/* threads with events of their own (-p), the first
					   one's events own the rings */
	int nfollowed;
	int *extra;			/* the others' events, ncpus per thread (-1: none) */
	int nextra;
	struct mmt_evq **qs;
	size_t page;
	unsigned char *scratch;	/* a record that wraps around the ring's end, made whole */
	struct mmt_perf_stats st;
};

static void release_path(struct mmt_event *ev)
{
	free((char *)ev->path);
	ev->path = NULL;
}

static size_t ring_pages(unsigned int kb, size_t page)
{
	size_t want = ((size_t)(kb ? kb : DEFAULT_RING_KB) << 10) / page, n = 1;

	while (n < want)
		n <<= 1;
	return n;
}

static void make_attr(struct mmt_perf *p, const struct mmt_perf_opts *o, size_t pages)
{
	struct perf_event_attr a = {
		.type = PERF_TYPE_SOFTWARE,
		.size = sizeof(a),
		.config = PERF_COUNT_SW_DUMMY,
		.sample_type = PERF_SAMPLE_TID | PERF_SAMPLE_TIME | PERF_SAMPLE_CPU,
		.disabled = 1,
		.inherit = o->pid > 0 || o->tid > 0,
		/* Side-band records only: no sample of kernel or hypervisor code is asked for,
		   so perf_event_paranoid 2 lets a process be watched without CAP_PERFMON. */
		.exclude_kernel = 1,
		.exclude_hv = 1,
		.mmap = 1,
		.mmap2 = 1,
		.mmap_data = o->data,
		/* The name an exec gives (renames come from task_rename). */
		.comm = 1,
		.comm_exec = 1,
		.sample_id_all = 1,
		/* The tracefs instance's "mono" clock: both streams merge by time. */
		.use_clockid = 1,
		.clockid = CLOCK_MONOTONIC,
		/* Woken when half full, not per record. */
		.watermark = 1,
		.wakeup_watermark = (uint32_t)(pages * p->page / 2),
	};

	p->attr = a;
}

static int open_cpu(struct mmt_perf *p, struct perf_cpu *c, const struct mmt_perf_opts *o,
		    size_t pages)
{
	pid_t who = o->pid > 0 ? o->pid : o->tid > 0 ? o->tid : -1;
	void *base;

	c->fd = (int)syscall(SYS_perf_event_open, &p->attr, who, c->cpu, -1, PERF_FLAG_FD_CLOEXEC);
	if (c->fd < 0)
		return -errno;
	/*
	 * Past perf_event_mlock_kb per CPU the ring is charged to RLIMIT_MEMLOCK
	 * (a service's is 8 MiB): on a host of many CPUs, a smaller ring.
	 */
	while ((base = mmap(NULL, (pages + 1) * p->page, PROT_READ | PROT_WRITE, MAP_SHARED, c->fd,
			    0)) == MAP_FAILED && errno == EPERM && pages > 16)
		pages /= 2;
	if (base == MAP_FAILED)
		return -errno;
	c->meta = base;
	c->data = (unsigned char *)base + p->page;
	c->size = pages * p->page;
	c->q.release = release_path;
	return 0;
}

struct mmt_perf *mmt_perf_open(const struct mmt_perf_opts *o)
{
	struct mmt_perf *p = calloc(1, sizeof(*p));
	long n = sysconf(_SC_NPROCESSORS_CONF);
	size_t pages;
	int i, r = -ENOMEM, opened = 0;

	if (!p)
		goto fail;
	p->page = (size_t)sysconf(_SC_PAGESIZE);
	pages = ring_pages(o->ring_kb, p->page);
	make_attr(p, o, pages);
	p->ncpus = n > 0 ? (int)n : 1;
	p->c = calloc((size_t)p->ncpus, sizeof(*p->c));
	p->qs = calloc((size_t)p->ncpus, sizeof(*p->qs));
	p->scratch = malloc(MAX_RECORD);
	if (!p->c || !p->qs || !p->scratch)
		goto fail;
	for (i = 0; i < p->ncpus; i++) {
		p->c[i].cpu = i;
		p->c[i].fd = -1;
		p->qs[i] = &p->c[i].q;
	}
	for (i = 0; i < p->ncpus; i++) {
		r = open_cpu(p, &p->c[i], o, pages);
		/* A CPU that is configured but offline writes nothing: skip it. */
		if (r == -ENODEV || r == -EINVAL) {
			if (p->c[i].fd >= 0)
				close(p->c[i].fd);
			p->c[i].fd = -1;
			continue;
		}
		if (r < 0)
			goto fail;
		opened++;
	}
	if (!opened) {
		r = -ENODEV;
		goto fail;
	}
	if (o->pid <= 0 && o->tid > 0) {
		p->followed = malloc(MMT_PERF_MAX_FOLLOWED * sizeof(*p->followed));
		if (!p->followed) {
			r = -ENOMEM;
			goto fail;
		}
		p->followed[p->nfollowed++] = o->tid;
	}
	return p;
fail:
	mmt_perf_close(p);
	errno = -r;
	return NULL;
}

void mmt_perf_close(struct mmt_perf *p)
{
	int i;

	if (!p)
		return;
	for (i = 0; i < p->nextra; i++)
		if (p->extra[i] >= 0)
			close(p->extra[i]);
	free(p->extra);
	free(p->followed);
	for (i = 0; p->c && i < p->ncpus; i++) {
		struct perf_cpu *c = &p->c[i];

		if (c->meta)
			munmap(c->meta, c->size + p->page);
		if (c->fd >= 0)
			close(c->fd);
		mmt_evq_free(&c->q);
	}
	free(p->c);
	free(p->qs);
	free(p->scratch);
	free(p);
}

static int ioctl_all(struct mmt_perf *p, unsigned long req)
{
	int i;

	for (i = 0; i < p->ncpus; i++)
		if (p->c[i].fd >= 0 && ioctl(p->c[i].fd, req, 0) < 0)
			return -errno;
	for (i = 0; i < p->nextra; i++)
		if (p->extra[i] >= 0 && ioctl(p->extra[i], req, 0) < 0)
			return -errno;
	return 0;
}

int mmt_perf_enable(struct mmt_perf *p)
{
	int r = ioctl_all(p, PERF_EVENT_IOC_ENABLE);

	p->enabled = r == 0;
	return r;
}

int mmt_perf_disable(struct mmt_perf *p)
{
	p->enabled = false;
	return ioctl_all(p, PERF_EVENT_IOC_DISABLE);
}

int mmt_perf_follow(struct mmt_perf *p, pid_t tid)
{
	struct perf_event_attr a = p->attr;
	int i, *fds, r = 0;

	if (!p->followed)
		return -EINVAL;
	for (i = 0; i < p->nfollowed; i++)
		if (p->followed[i] == tid)
			return 0;
	if (p->nfollowed == MMT_PERF_MAX_FOLLOWED)
		return -E2BIG;
	fds = realloc(p->extra, (size_t)(p->nextra + p->ncpus) * sizeof(*fds));
	if (!fds)
		return -ENOMEM;
	p->extra = fds;
	fds += p->nextra;
	/* Opened enabled once the rings are: the thread's records start now. */
	a.disabled = !p->enabled;
	for (i = 0; i < p->ncpus; i++) {
		fds[i] = -1;
		if (p->c[i].fd < 0 || r < 0)
			continue;
		fds[i] = (int)syscall(SYS_perf_event_open, &a, tid, p->c[i].cpu, -1,
				      PERF_FLAG_FD_CLOEXEC);
		if (fds[i] < 0) {
			r = -errno;
		} else if (ioctl(fds[i], PERF_EVENT_IOC_SET_OUTPUT, p->c[i].fd) < 0) {
			r = -errno;
			close(fds[i]);
			fds[i] = -1;
		}
	}
	p->nextra += p->ncpus;
	if (r < 0)
		return r;
	p->followed[p->nfollowed++] = tid;
	return 1;
}

/* The ring's next event, of @role, as the record's sample_id and ids say. */
static int new_event(struct perf_cpu *c, const struct sample_id *sid, enum mmt_event_role role,
		     uint32_t pid, uint32_t tid, struct mmt_event **out)
{
	struct mmt_event *ev;
	int r = mmt_evq_push(&c->q, &ev);

	if (r < 0)
		return r;
	memset(ev, 0, sizeof(*ev));
	ev->ts = sid->time;
	ev->cpu = c->cpu;
	ev->role = role;
	ev->tgid = (pid_t)pid;
	ev->tid = (pid_t)tid;
	ev->fd = -1;
	c->q.last_ts = ev->ts;
	*out = ev;
	return 0;
}

/* An MMAP2 record into an event. Return: 0, 1 if it was cut short, -ENOMEM. */
static int decode_mmap2(struct mmt_perf *p, struct perf_cpu *c, const unsigned char *rec,
			size_t size)
{
	const struct mmap2_record *m = (const void *)rec;
	const struct sample_id *sid;
	struct mmt_event *ev;
	size_t name_max;
	char *path;
	int r;

	if (size < sizeof(*m) + sizeof(*sid))
		return 1;
	sid = (const void *)(rec + size - sizeof(*sid));
	name_max = size - sizeof(*m) - sizeof(*sid);
	path = strndup(m->filename, name_max);
	if (!path)
		return -ENOMEM;
	r = new_event(c, sid, MMT_ROLE_KMAP, m->pid, m->tid, &ev);
	if (r < 0) {
		free(path);
		return r;
	}
	ev->addr = m->addr;
	ev->len = m->len;
	/* The record's offset is in bytes; the events' is in pages. */
	ev->pgoff = m->pgoff / p->page;
	ev->prot = m->prot;
	ev->flags = m->flags;
	ev->ino = m->ino;
	ev->dev = makedev(m->maj, m->min);
	ev->ino_gen = m->ino_generation;
	ev->path = path;
	ev->have = MMT_HAVE_INO | MMT_HAVE_DEV | MMT_HAVE_INO_GEN | MMT_HAVE_PATH;
	p->st.maps++;
	return 0;
}

/* An exec's COMM record into an event (others are renames). Return: 0, 1 if cut short, -ENOMEM. */
static int decode_comm(struct mmt_perf *p, struct perf_cpu *c, const unsigned char *rec,
		       size_t size)
{
	const struct comm_record *m = (const void *)rec;
	const struct sample_id *sid;
	struct mmt_event *ev;
	size_t len;
	int r;

	if (!(m->header.misc & PERF_RECORD_MISC_COMM_EXEC))
		return 0;
	if (size < sizeof(*m) + sizeof(*sid))
		return 1;
	sid = (const void *)(rec + size - sizeof(*sid));
	len = strnlen(m->comm, size - sizeof(*m) - sizeof(*sid));
	r = new_event(c, sid, MMT_ROLE_TASK_COMM, m->pid, m->tid, &ev);
	if (r < 0)
		return r;
	/* TASK_COMM_LEN is 16: a longer name is no kernel's. */
	memcpy(ev->comm, m->comm, len < sizeof(ev->comm) ? len : sizeof(ev->comm) - 1);
	ev->have = MMT_HAVE_COMM;
	p->st.comms++;
	return 0;
}

/* One CPU's ring, from data_tail to data_head. Return: 0 or -ENOMEM. */
static int read_cpu(struct mmt_perf *p, struct perf_cpu *c)
{
	uint64_t head = __atomic_load_n(&c->meta->data_head, __ATOMIC_ACQUIRE);
	uint64_t tail = c->meta->data_tail;
	int r = 0;

	while (tail < head) {
		const struct perf_event_header *h;
		size_t off = (size_t)(tail & (c->size - 1));
		const unsigned char *rec;

		/* Records are 8-byte aligned and the ring a power of two: a header never wraps. */
		h = (const void *)(c->data + off);
		if (h->size < sizeof(*h) || h->size > head - tail || (h->size & 7)) {
			/* Nothing past this can be trusted: skip the rest, and say so. */
			p->st.corrupt++;
			tail = head;
			break;
		}
		rec = c->data + off;
		if (off + h->size > c->size) {
			memcpy(p->scratch, c->data + off, c->size - off);
			memcpy(p->scratch + (c->size - off), c->data, h->size - (c->size - off));
			rec = p->scratch;
		}
		p->st.records++;
		if (h->type == PERF_RECORD_MMAP2 || h->type == PERF_RECORD_COMM) {
			r = h->type == PERF_RECORD_MMAP2 ? decode_mmap2(p, c, rec, h->size) :
							   decode_comm(p, c, rec, h->size);
			if (r == 1) {
				p->st.corrupt++;
				r = 0;
			}
		} else if (h->type == PERF_RECORD_LOST && h->size >= sizeof(struct lost_record)) {
			c->lost += ((const struct lost_record *)(const void *)rec)->lost;
		}
		if (r < 0)
			break;
		tail += h->size;
	}
	__atomic_store_n(&c->meta->data_tail, tail, __ATOMIC_RELEASE);
	return r;
}

/* mmt_ring_source.read: every CPU's ring, then what is older than the start is all there. */
static int read_all(void *ctx, uint64_t *horizon)
{
	struct mmt_perf *p = ctx;
	int i, r;

	*horizon = mmt_mono_ns();
	for (i = 0; i < p->ncpus; i++) {
		if (p->c[i].fd < 0)
			continue;
		r = read_cpu(p, &p->c[i]);
		if (r < 0)
			return r;
	}
	return 0;
}

void mmt_perf_source(struct mmt_perf *p, struct mmt_ring_source *src)
{
	src->read = read_all;
	src->q = p->qs;
	src->nq = p->ncpus;
	src->ctx = p;
}

int mmt_perf_pollfds(const struct mmt_perf *p, struct pollfd *fds)
{
	int i;

	for (i = 0; i < p->ncpus; i++)
		fds[i] = (struct pollfd){ .fd = p->c[i].fd, .events = POLLIN };
	return p->ncpus;
}

int mmt_perf_ncpus(const struct mmt_perf *p)
{
	return p->ncpus;
}

uint64_t mmt_perf_update_lost(struct mmt_perf *p, uint64_t *cpu_lost)
{
	uint64_t total = 0, d;
	int i;

	for (i = 0; i < p->ncpus; i++) {
		struct perf_cpu *c = &p->c[i];

		d = c->lost - c->lost_seen;
		c->lost_seen = c->lost;
		if (cpu_lost)
			cpu_lost[i] = d;
		total += d;
	}
	p->st.lost += total;
	return total;
}

void mmt_perf_stats(const struct mmt_perf *p, struct mmt_perf_stats *st)
{
	uint64_t unreported = 0;
	int i;

	*st = p->st;
	for (i = 0; i < p->ncpus; i++)
		unreported += p->c[i].lost - p->c[i].lost_seen;
	st->lost += unreported;
}
