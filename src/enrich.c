// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Enrichment: a paired call becomes a record. Filters first (what the
 * thread table knows costs nothing), then /proc for the file and the task,
 * the alerts, the hash job, and the record to the assembly, in event order.
 */
#include <errno.h>
#include <fnmatch.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "alert.h"
#include "assemble.h"
#include "emit.h"
#include "enrich.h"
#include "error.h"
#include "hashcache.h"
#include "host.h"
#include "identity.h"
#include "options.h"
#include "mapfile.h"
#include "pair.h"
#include "procfs.h"
#include "protmap.h"
#include "thread.h"
#include "tidmap.h"

#define HASH_CACHE_ENTRIES	4096
#define TASK_CACHE_ENTRIES	4096

struct mmt_enrich {
	const struct mmt_filters *f;
	struct mmt_assemble *assemble;
	int64_t mono_to_utc;	/* add to a trace timestamp to get UTC ns */
	const char *backend;	/* "kprobe" or "tracepoint" */
	struct mmt_pair *pair;
	struct mmt_threads *threads;
	struct mmt_hasher *hasher;
	struct mmt_host host;
	uint64_t batch;		/* drains so far: Kunai's info.event.batch */
	uint64_t filtered;	/* mappings dropped by --comm, --uid, --exclude-path */
	struct mmt_protmap *protmap;	/* -e mprotect_exec: protections the calls set */
	/* Whose kernel-made mappings are records: every process's, or these. */
	bool all, follow;
	struct mmt_tidmap *watched;	/* thread group ids; values unused */
	bool track_prot;	/* the kernel does not give an mprotect's previous protection */
	unsigned long long own_mnt_ns;	/* the tool's mount namespace; 0 if unknown */
	struct {		/* exe_deleted of the last process asked, in drain @batch */
		pid_t tgid;
		uint64_t batch;
		bool deleted;
	} exe;
};

static bool wanted(const struct mmt_enrich *t, const struct mmt_mapping *m, bool *exec)
{
	const struct mmt_event *en = &m->enter;
	bool ok = !mmt_mapping_failed(m);

	*exec = ok && (en->prot & PROT_EXEC) && !(en->flags & MAP_ANONYMOUS) &&
		(!(en->have & MMT_HAVE_FD) || en->fd >= 0);
	/* Every alert is about executable memory that was mapped. */
	if (t->f->alert_filter && (!ok || !(en->prot & PROT_EXEC)))
		return false;
	return (t->f->events & MMT_EV_DO_MMAP) || ((t->f->events & MMT_EV_MMAP_EXEC) && *exec);
}

/*
 * Kunai's parts of an mmap_exec record: who mapped (read from /proc at the
 * first event of the process, cached), and the hash job for the object
 * that was mapped, opened through map_files while it is still mapped.
 */
static void exec_info(struct mmt_enrich *t, const struct mmt_mapping *m, struct mmt_map_info *mi,
		      struct mmt_exec_info *x)
{
	const struct mmt_task *task = mmt_threads_task(t->threads, m->tid);

	x->host = &t->host;
	x->task = task;
	x->parent = task ? mmt_threads_parent(t->threads, task) : NULL;
	x->task_error = task ? task->error : "process gone before its details could be read";
	x->batch = t->batch;
	if (mmt_uuid_random(x->uuid) < 0)
		snprintf(x->uuid, sizeof(x->uuid), "00000000-0000-0000-0000-000000000000");
	if (mi->anon) {
		/* Anonymous memory (mprotect_exec): no file, so nothing to hash. */
		x->hash_error = NULL;
	} else if (mi->fd >= 0) {
		/* The hasher owns the fd from here, whatever happens. */
		x->job = mmt_hasher_submit(t->hasher, mi->fd, task ? task->uid : (uid_t)-1);
		mi->fd = -1;
		if (!x->job)
			x->hash_error = "cannot queue the hash: out of memory";
		/* Hashed, but data.mapped.path is "?": say why there. */
		else if (!mi->path && mi->error[0])
			x->hash_error = mi->error;
	} else {
		x->hash_error = mi->open_error[0] ? mi->open_error :
				mi->error[0] ? mi->error : "mapped file not found";
	}
}

/*
 * --comm and --uid, from what the thread table knows, before any /proc
 * read or hash for the record. A task whose name or user could not be
 * learnt is kept: a process must not escape the trace by exiting quickly.
 */
static bool task_selected(const struct mmt_filters *o, const struct mmt_thread *th)
{
	size_t i;
	bool hit;

	if (o->ncomms && th->have_comm) {
		for (hit = false, i = 0; i < o->ncomms && !hit; i++)
			hit = !strncmp(th->comm, o->comms[i], sizeof(th->comm));
		if (!hit)
			return false;
	}
	if (o->nuids && th->have_uid) {
		for (hit = false, i = 0; i < o->nuids && !hit; i++)
			hit = th->uid == o->uids[i] || th->euid == o->uids[i];
		if (!hit)
			return false;
	}
	return true;
}

/* --exclude-path: fnmatch without flags, so '*' also matches '/'. */
static bool path_excluded(const struct mmt_filters *o, const struct mmt_map_info *mi)
{
	size_t i;

	for (i = 0; mi->path && i < o->nexcludes; i++)
		if (fnmatch(o->excludes[i], mi->path, 0) == 0)
			/*
			 * The path is the process's view: only the file this
			 * tool finds there now is excluded (a tmpfs over the
			 * directory in another mount namespace is not).
			 */
			return mi->have_id && mmt_identity_is(mi->path, mi->dev, mi->ino);
	return false;
}

/*
 * Whether @tgid's executable is deleted, asked once per process and drain:
 * the stat() of /proc/PID/exe was a tenth of the reader's time on a storm of
 * exec mappings. Its answer is as fresh as the drain's /proc/PID/maps.
 */
static bool exe_deleted(struct mmt_enrich *t, pid_t tgid)
{
	if (t->exe.tgid != tgid || t->exe.batch != t->batch) {
		t->exe.tgid = tgid;
		t->exe.batch = t->batch;
		t->exe.deleted = mmt_alert_exe_deleted(tgid);
	}
	return t->exe.deleted;
}

/* The alerts of executable memory of @tgid (see alert.h). */
static unsigned int alerts_of(struct mmt_enrich *t, uint64_t prot, bool anon,
			      const struct mmt_map_info *mi, pid_t tgid)
{
	unsigned int a = mmt_alert_memory(prot, anon, mi);

	if ((prot & PROT_EXEC) && exe_deleted(t, tgid))
		a |= MMT_ALERT_EXE_DELETED;
	return a;
}

/* What every record of a call says: who, when, and the file found. */
static void record_init(const struct mmt_enrich *t, const struct mmt_mapping *m,
			const struct mmt_thread *th, const struct mmt_map_info *mi,
			struct mmt_record *rec)
{
	rec->backend = m->kernel_made ? "perf" : t->backend;
	rec->utc_ns = (uint64_t)((int64_t)m->enter.ts + t->mono_to_utc);
	rec->pid = th->tgid;
	rec->tid = m->tid;
	rec->comm = th->have_comm ? th->comm : NULL;
	rec->map = m;
	rec->file = mi;
	rec->error = mi->error;
}

/*
 * resolve_by_kmap()'s open of the kernel's path when it was not the file,
 * so that apply_kmap() does not open it again a moment later.
 */
struct kmap_miss {
	int r;			/* mmt_identity_open()'s -errno; 0: not tried */
	char open_error[sizeof(((struct mmt_map_info *)NULL)->open_error)];
};

/*
 * The kernel named the file at the call, by d_path in its own root: that
 * path and that inode stand, whatever /proc shows later. When /proc could
 * not show the mapping (the process or the mapping is gone), the file is
 * opened by that path here, and used only if it is the same inode.
 */
static void apply_kmap(const struct mmt_event *k, bool open, bool fs,
		       const struct kmap_miss *miss, struct mmt_map_info *mi)
{
	char *path;
	int r;

	if (!(k->have & MMT_HAVE_PATH) || !k->ino)
		return;
	path = strdup(k->path);
	if (!path)
		return;
	free(mi->path);
	mi->path = path;
	/*
	 * /proc showed the very inode: what it learnt of it (fd, flags,
	 * filesystem) stands; only an open it could not finish (the process
	 * exited meanwhile) is tried again by the path, unless it was just now.
	 */
	if (mi->have_id && mi->dev == k->dev && mi->ino == k->ino) {
		char was[sizeof(mi->open_error)];

		if (!open || mi->fd >= 0 || miss->r)
			return;
		memcpy(was, mi->open_error, sizeof(was));
		if (mmt_identity_open(k->path, k->dev, k->ino, true, false, mi) == 0 && mi->fd >= 0)
			mi->open_error[0] = '\0';
		else
			memcpy(mi->open_error, was, sizeof(was));
		return;
	}
	mi->open_error[0] = '\0';
	if (mi->fd >= 0) {
		close(mi->fd);
		mi->fd = -1;
	}
	mi->have_id = mi->have_fs = mi->have_fflags = false;
	if (miss->r) {
		r = miss->r;
		memcpy(mi->open_error, miss->open_error, sizeof(mi->open_error));
	} else {
		r = mmt_identity_open(k->path, k->dev, k->ino, open, fs, mi);
	}
	/* Named and identified by the kernel; what only /proc had is said missing. */
	snprintf(mi->error, sizeof(mi->error), "mapping gone before /proc could show it: open "
		 "flags%s unknown", mi->have_id ? "" : r == -EAGAIN ? " and ctime (the path is "
		 "not in the kernel's cache: not looked up)" : " and ctime (the path leads to "
		 "another file now)");
	if (!open)
		mi->open_error[0] = '\0';
}

/*
 * The file by the kernel's own record of the call, before any /proc read:
 * its path, opened from the dentry cache and used only if it leads to the
 * inode the kernel named (and the probes, where they fetched one). What a
 * drain of a storm of mappings then costs is one open and one stat each,
 * not a read of maps (the traced process's mmap lock) and map_files. A
 * process known to be in another mount namespace, or a path that leads
 * elsewhere now (renamed, deleted, another root), goes through /proc; so
 * does every file where a path walk could ask a filesystem (before 5.12).
 * Return: true if @mi holds the file; else @miss says what an open found.
 */
static bool resolve_by_kmap(const struct mmt_enrich *t, const struct mmt_mapping *m,
			    const struct mmt_thread *th, bool open, bool fs,
			    struct mmt_map_info *mi, struct kmap_miss *miss)
{
	const struct mmt_event *k = &m->kmap, *en = &m->enter;
	int r;

	if (!m->have_kmap || !(k->have & MMT_HAVE_PATH) || !k->ino || !mmt_identity_cached())
		return false;
	if (th->have_mnt_ns && t->own_mnt_ns && th->mnt_ns != t->own_mnt_ns)
		return false;
	if (((en->have & MMT_HAVE_INO) && en->ino != k->ino) ||
	    ((en->have & MMT_HAVE_DEV) && en->dev != k->dev))
		return false;
	r = mmt_identity_open(k->path, k->dev, k->ino, open, fs, mi);
	if (r == 0) {
		mi->path = strdup(k->path);
		if (mi->path)
			return true;
	} else {
		miss->r = r;
		memcpy(miss->open_error, mi->open_error, sizeof(miss->open_error));
	}
	mmt_mapfile_release(mi);
	memset(mi, 0, sizeof(*mi));
	mi->fd = -1;
	return false;
}

/* With -a every process, else those traced: CMD or -p, and (-f) their children. */
static bool watched(const struct mmt_enrich *t, pid_t tgid)
{
	return t->all || mmt_tidmap_get(t->watched, tgid) != NULL;
}

static int emit_mapping(struct mmt_enrich *t, struct mmt_mapping *m)
{
	struct mmt_map_info mi = { .fd = -1 };
	struct mmt_exec_info x = { 0 };
	struct mmt_record rec = { 0 };
	const struct mmt_thread *th;
	bool exec, ok = !mmt_mapping_failed(m);
	int r = 0;

	/* The kernel's identity of the file, where the probes did not fetch it. */
	if (m->have_kmap && m->kmap.ino && !(m->enter.have & MMT_HAVE_INO)) {
		m->enter.ino = m->kmap.ino;
		m->enter.dev = m->kmap.dev;
		m->enter.have |= MMT_HAVE_INO | MMT_HAVE_DEV;
	}
	if (!wanted(t, m, &exec))
		return 0;
	exec = exec && (t->f->events & MMT_EV_MMAP_EXEC);
	th = mmt_threads_get(t->threads, m->tid);
	if (!th)
		return -ENOMEM;
	if (!task_selected(t->f, th)) {
		t->filtered++;
		return 0;
	}
	if (ok && !(m->enter.flags & MAP_ANONYMOUS)) {
		struct mmt_file_id id = { m->enter.dev, m->enter.ino };
		/* The open flags only for do_mmap records, where the probes lack them. */
		bool flags = (t->f->events & MMT_EV_DO_MMAP) && (m->enter.have & MMT_HAVE_FD) &&
			     !(m->enter.have & MMT_HAVE_FFLAGS);
		struct mmt_map_query q = {
			.tid = m->tid, .tgid = th->tgid, .addr = (uint64_t)m->ret,
			.len = m->enter.len, .pgoff = m->enter.pgoff, .ts = m->ts_exit,
			.fd = flags ? m->enter.fd : -1,
			.want = (m->enter.have & MMT_HAVE_INO) && (m->enter.have & MMT_HAVE_DEV) ?
				&id : NULL,
			.open = exec,
			.fs = (m->enter.prot & PROT_EXEC) != 0,
		};
		struct kmap_miss miss = { 0 };

		if (resolve_by_kmap(t, m, th, exec, q.fs, &mi, &miss)) {
			if (q.fd >= 0)
				(void)mmt_mapfile_fd_flags(th->tgid ? th->tgid : m->tid, q.fd,
							   q.ts, &mi);
		} else {
			mmt_mapfile_resolve(&q, &mi);
			if (m->have_kmap)
				apply_kmap(&m->kmap, exec, q.fs, &miss, &mi);
		}
		if (path_excluded(t->f, &mi)) {
			t->filtered++;
			mmt_mapfile_release(&mi);
			return 0;
		}
	}
	if (ok)
		rec.alerts = alerts_of(t, m->enter.prot, m->enter.flags & MAP_ANONYMOUS, &mi,
				       th->tgid ? th->tgid : m->tid);
	if (t->f->alert_filter && !(rec.alerts & t->f->alert_filter))
		goto out;
	record_init(t, m, th, &mi, &rec);
	if (t->f->events & MMT_EV_DO_MMAP) {
		rec.event = "do_mmap";
		r = mmt_assemble_record(t->assemble, &rec);
	}
	if (!r && exec) {
		exec_info(t, m, &mi, &x);
		rec.event = "mmap_exec";
		rec.exec = &x;
		r = mmt_assemble_record(t->assemble, &rec);
	}
out:
	mmt_mapfile_release(&mi);
	return r;
}

/*
 * The protection before an mprotect(): from the kernel (mprotect_fixup's
 * vma), else as the calls seen set it, else as a maps snapshot taken before
 * the call showed it. Return: PROT_* bits, or -1 if unknown.
 */
static int64_t prev_prot_of(struct mmt_enrich *t, const struct mmt_event *en, pid_t tgid)
{
	unsigned int prot;

	if (en->have & MMT_HAVE_PREV_PROT)
		return (int64_t)en->prev_prot;
	if (t->protmap && mmt_protmap_get(t->protmap, tgid, en->addr, &prot) == 0)
		return prot;
	if (mmt_mapfile_prot_before(tgid, en->addr, en->ts, &prot) == 0)
		return prot;
	return -1;
}

/*
 * A successful mprotect() that makes memory executable, or executable
 * memory writable: an mprotect_exec record (Kunai's event 40), with what
 * backs the range, resolved through /proc as for mmap_exec (and hashed).
 */
static int emit_mprotect(struct mmt_enrich *t, struct mmt_mapping *m)
{
	const struct mmt_event *en = &m->enter;
	struct mmt_file_id id = { en->dev, en->ino };
	struct mmt_map_info mi = { .fd = -1 };
	struct mmt_exec_info x = { 0 };
	struct mmt_record rec = { 0 };
	const struct mmt_thread *th;
	int64_t prev;
	pid_t tgid;
	int r = 0;

	if (m->ret)
		return 0;
	th = mmt_threads_get(t->threads, m->tid);
	if (!th)
		return -ENOMEM;
	/* A thread whose process is unknown (gone) stands for it, as in track_mapping(). */
	tgid = th->tgid ? th->tgid : m->tid;
	prev = prev_prot_of(t, en, tgid);
	if (t->track_prot) {
		r = mmt_protmap_set(t->protmap, tgid, en->addr, en->len, (unsigned int)en->prot);
		if (r < 0)
			return r;
	}
	/* Nothing new: it was executable already (and writable, if it is now). */
	if (!(en->prot & PROT_EXEC) || !(t->f->events & MMT_EV_MPROTECT_EXEC) ||
	    (prev >= 0 && (prev & PROT_EXEC) && (!(en->prot & PROT_WRITE) || (prev & PROT_WRITE))))
		return 0;
	if (!task_selected(t->f, th)) {
		t->filtered++;
		return 0;
	}
	if ((en->have & MMT_HAVE_FILE) && !en->file) {
		mi.anon = true;	/* the kernel's vma has no file */
	} else {
		struct mmt_map_query q = {
			.tid = m->tid, .tgid = tgid, .addr = en->addr, .len = en->len,
			.ts = m->ts_exit, .fd = -1, .open = true, .fs = true, .range = true,
			.want = (en->have & MMT_HAVE_INO) && (en->have & MMT_HAVE_DEV) ? &id : NULL,
		};

		mmt_mapfile_resolve(&q, &mi);
		if (m->have_kmap && !mi.anon)
			apply_kmap(&m->kmap, true, true, &(struct kmap_miss){ 0 }, &mi);
		if (path_excluded(t->f, &mi)) {
			t->filtered++;
			goto out;
		}
	}
	rec.alerts = alerts_of(t, en->prot, mi.anon, &mi, tgid);
	if (t->f->alert_filter && !(rec.alerts & t->f->alert_filter))
		goto out;
	record_init(t, m, th, &mi, &rec);
	rec.event = "mprotect_exec";
	rec.prev_prot = prev;
	exec_info(t, m, &mi, &x);
	rec.exec = &x;
	r = mmt_assemble_record(t->assemble, &rec);
out:
	mmt_mapfile_release(&mi);
	return r;
}

/* What a successful mmap() gave, for the previous protection of later mprotect() calls. */
static int track_mapping(struct mmt_enrich *t, const struct mmt_mapping *m)
{
	const struct mmt_thread *th;

	if (!t->track_prot || mmt_mapping_failed(m))
		return 0;
	th = mmt_threads_get(t->threads, m->tid);
	if (!th)
		return -ENOMEM;
	return mmt_protmap_set(t->protmap, th->tgid ? th->tgid : m->tid, (uint64_t)m->ret,
			       m->enter.len, (unsigned int)m->enter.prot);
}

/*
 * The mappings the kernel made at an exec (the executable and ld.so), known
 * only from its own records on a backend that does not probe do_mmap.
 */
static int exec_mappings(struct mmt_enrich *t, pid_t tid)
{
	struct mmt_mapping m;
	int r = 0;

	while (mmt_pair_take_exec(t->pair, tid, &m) > 0) {
		if (!r)
			r = track_mapping(t, &m) ?: emit_mapping(t, &m);
		mmt_mapping_release(&m);
	}
	return r;
}

/* An exec's new address space: what the stores knew of the old one is void. */
static void forget_mm(struct mmt_enrich *t, pid_t tid)
{
	mmt_mapfile_forget(tid);
	if (t->protmap)
		mmt_protmap_forget(t->protmap, tid);
}

/*
 * Fork, exec, rename, exit: the stores forget what the event made void,
 * then the thread table takes what it says (and drops, itself, the task
 * details an exit, exec or rename makes void). An exit also ends the call
 * the thread had under way (pairing counts it as an entry without a return).
 */
static int task_event(struct mmt_enrich *t, const struct mmt_event *ev)
{
	struct mmt_mapping m;
	int r = 0;

	if (ev->role == MMT_ROLE_TASK_EXIT)
		r = mmt_pair_feed(t->pair, ev, &m);
	else if (ev->role == MMT_ROLE_TASK_EXEC)
		forget_mm(t, ev->tid);
	if (r >= 0)
		r = mmt_threads_event(t->threads, ev);
	/* The new image's mappings the kernel made: once the table knows of the exec. */
	if (r >= 0 && ev->role == MMT_ROLE_TASK_EXEC)
		r = mmt_threads_set_exe(t->threads, ev->tid, mmt_pair_exec_image(t->pair, ev->tid));
	if (r >= 0 && ev->role == MMT_ROLE_TASK_EXEC)
		r = exec_mappings(t, ev->tid);
	/* -f: a new process of a watched one is watched too. */
	if (r >= 0 && ev->role == MMT_ROLE_TASK_NEW && t->follow && !t->all &&
	    !(ev->clone_flags & CLONE_THREAD)) {
		const struct mmt_thread *th = mmt_threads_get(t->threads, ev->tid);

		if (th && watched(t, th->tgid ? th->tgid : ev->tid))
			r = mmt_enrich_watch(t, ev->child);
	}
	return r;
}

int mmt_enrich_deliver(const struct mmt_event *ev, void *ctx)
{
	struct mmt_enrich *t = ctx;
	struct mmt_mapping m;
	int r;

	switch (ev->role) {
	case MMT_ROLE_KMAP:
		/*
		 * With -p the perf events cover the host: the records of other
		 * processes would only wait, unjoined, for calls never traced.
		 */
		if (!watched(t, ev->tgid))
			return 0;
		/* fall through */
	case MMT_ROLE_MMAP_ENTER:
	case MMT_ROLE_MMAP_EXIT:
	case MMT_ROLE_MPROT_ENTER:
	case MMT_ROLE_MPROT_EXIT:
		r = mmt_pair_feed(t->pair, ev, &m);
		if (r <= 0)
			return r;
		if (m.enter.role == MMT_ROLE_MPROT_ENTER)
			r = emit_mprotect(t, &m);
		else
			r = track_mapping(t, &m) ?: emit_mapping(t, &m);
		mmt_mapping_release(&m);
		return r;
	default:
		return task_event(t, ev);
	}
}

struct mmt_enrich *mmt_enrich_new(const struct mmt_filters *filters, struct mmt_assemble *assemble,
				  int64_t mono_to_utc)
{
	struct mmt_enrich *t = calloc(1, sizeof(*t));

	if (!t)
		goto out_nomem;
	t->f = filters;
	t->assemble = assemble;
	t->mono_to_utc = mono_to_utc;
	t->backend = "tracepoint";
	t->pair = mmt_pair_new();
	t->watched = mmt_tidmap_new(1);
	t->threads = mmt_threads_new(TASK_CACHE_ENTRIES);
	if (!t->pair || !t->watched || !t->threads)
		goto out_nomem;
	if (mmt_host_read(&t->host) < 0)
		snprintf(t->host.name, sizeof(t->host.name), "?");
	if (mmt_procfs_mnt_ns(getpid(), &t->own_mnt_ns) < 0)
		t->own_mnt_ns = 0;
	if ((filters->events & MMT_EV_MPROTECT_EXEC) && !(t->protmap = mmt_protmap_new()))
		goto out_nomem;
	/* Only mmap_exec and mprotect_exec hash: the worker and libmagic's database are not free. */
	if ((filters->events & (MMT_EV_MMAP_EXEC | MMT_EV_MPROTECT_EXEC)) &&
	    !(t->hasher = mmt_hasher_new(HASH_CACHE_ENTRIES, MMT_ASSEMBLE_MAX_PENDING,
					 filters->hash_limit))) {
		int err = errno ? errno : ENOMEM;

		mmt_perror(-err, "cannot start the hashing thread (or load libmagic's database)");
		mmt_enrich_free(t);
		errno = err;
		return NULL;
	}
	if (t->hasher)
		mmt_hasher_set_deadline(t->hasher, filters->hash_timeout);
	return t;
out_nomem:
	mmt_perror(-ENOMEM, "setup");
	mmt_enrich_free(t);
	errno = ENOMEM;
	return NULL;
}

void mmt_enrich_set_backend(struct mmt_enrich *t, const char *name, bool kernel_prev_prot,
			    bool creds)
{
	t->backend = name;
	t->track_prot = t->protmap && !kernel_prev_prot;
	mmt_threads_track_creds(t->threads, creds);
}

void mmt_enrich_set_scope(struct mmt_enrich *t, bool all, bool follow)
{
	t->all = all;
	t->follow = follow;
}

int mmt_enrich_watch(struct mmt_enrich *t, pid_t tgid)
{
	if (!mmt_tidmap_put(t->watched, tgid, NULL))
		return -ENOMEM;
	/*
	 * Who it is, while it is there to be read (CMD waits for its exec, a
	 * child of -f was just seen forking): its parent, start and ids then
	 * outlive it.
	 */
	return mmt_threads_get(t->threads, tgid) ? 0 : -ENOMEM;
}

void mmt_enrich_next_batch(struct mmt_enrich *t)
{
	t->batch++;
}

void mmt_enrich_set_window(struct mmt_enrich *t, uint64_t start, uint64_t end)
{
	mmt_pair_set_window(t->pair, start, end);
}

void mmt_enrich_sweep(struct mmt_enrich *t)
{
	mmt_tidmap_sweep(t->watched, mmt_tid_gone);
	mmt_threads_sweep(t->threads);
	mmt_pair_sweep(t->pair);
}

void mmt_enrich_stats(const struct mmt_enrich *t, struct mmt_enrich_stats *s)
{
	memset(s, 0, sizeof(*s));
	s->filtered = t->filtered;
	s->threads = mmt_threads_count(t->threads);
	mmt_pair_stats(t->pair, &s->pair);
	s->hashing = t->hasher != NULL;
	if (t->hasher)
		mmt_hasher_stats(t->hasher, &s->hash);
}

int mmt_enrich_wake_fd(const struct mmt_enrich *t)
{
	return t->hasher ? mmt_hasher_notify_fd(t->hasher) : -1;
}

void mmt_enrich_wake_clear(struct mmt_enrich *t)
{
	if (t->hasher)
		mmt_hasher_notify_clear(t->hasher);
}

void mmt_enrich_free(struct mmt_enrich *t)
{
	if (!t)
		return;
	mmt_hasher_free(t->hasher);
	mmt_protmap_free(t->protmap);
	mmt_pair_free(t->pair);
	mmt_tidmap_free(t->watched);
	mmt_threads_free(t->threads);
	free(t);
}
