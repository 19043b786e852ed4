// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The pending entry of each thread, in a tid map. It holds at most one entry
 * per live traced thread, so it stays small.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "pair.h"
#include "tidmap.h"

/* A call under way, and the kernel's record of what it mapped, if one came. */
struct pending {
	struct mmt_event ev;
	struct mmt_event kmap;	/* role KMAP if set; its path is owned */
};

/*
 * The kernel's records of file mappings a thread made outside any traced
 * call: the ELF loader's at execve, held until the exec event says so; or
 * an untraced call's (an mprotect, which records its VMAs too), dropped at
 * the thread's next call or exit.
 */
#define LOOSE_MAX	16
struct loose {
	int n;
	struct mmt_event k[LOOSE_MAX];	/* paths owned */
};

struct mmt_pair {
	struct mmt_tidmap *pending;
	struct mmt_tidmap *loose;
	struct mmt_pair_stats st;
	uint64_t start, end;	/* when the entries were recorded */
};

void mmt_pair_set_window(struct mmt_pair *p, uint64_t start, uint64_t end)
{
	p->start = start;
	p->end = end;
}

static void loose_release(void *v)
{
	struct loose *l = v;
	int i;

	for (i = 0; i < l->n; i++)
		free((char *)l->k[i].path);
	l->n = 0;
}

static void pending_release(void *v)
{
	struct pending *pd = v;

	free((char *)pd->kmap.path);
	pd->kmap.path = NULL;
}

/*
 * The kernel's record of a mapping, from inside the call: it joins the
 * thread's call under way (the first one of a call: an mprotect over
 * several VMAs may make one each). With no call under way, the kernel made
 * the mapping itself (the ELF loader at execve): a mapping of its own.
 */
static int join_kmap(struct mmt_pair *p, struct pending *pd, const struct mmt_event *ev)
{
	char *path = ev->path ? strdup(ev->path) : NULL;

	if (ev->path && !path)
		return -ENOMEM;
	struct loose *l;

	if (pd) {
		if (pd->kmap.role == MMT_ROLE_KMAP) {
			free(path);
			return 0;
		}
		pd->kmap = *ev;
		pd->kmap.path = path;
		return 0;
	}
	/* Anonymous memory (brk, the loader's bss) is no file the kernel mapped. */
	l = ev->ino ? mmt_tidmap_put(p->loose, ev->tid, NULL) : NULL;
	if (!l || l->n == LOOSE_MAX) {
		free(path);
		return ev->ino && !l ? -ENOMEM : 0;
	}
	l->k[l->n] = *ev;
	l->k[l->n++].path = path;
	return 0;
}

/* Whether @ret cannot be the return of the call @pd began (see MMAP_EXIT). */
static bool mismatched(const struct pending *pd, int64_t ret)
{
	uint64_t addr = (uint64_t)ret;

	if (ret < 0 && ret >= -MMT_MAX_ERRNO)
		return false;
	if ((pd->ev.flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)) && addr != pd->ev.addr)
		return true;
	if (pd->kmap.role != MMT_ROLE_KMAP)
		return false;
	/* The VMA named whole: a new one merged into its neighbour is. */
	if (addr < pd->kmap.addr || addr + pd->ev.len > pd->kmap.addr + pd->kmap.len)
		return true;
	return !(pd->ev.flags & MAP_ANONYMOUS) && pd->kmap.ino &&
	       pd->kmap.pgoff + (addr - pd->kmap.addr) / (uint64_t)sysconf(_SC_PAGESIZE) !=
	       pd->ev.pgoff;
}

const char *mmt_pair_exec_image(const struct mmt_pair *p, pid_t tid)
{
	const struct loose *l = mmt_tidmap_get(p->loose, tid);
	int i;

	/* Not the stack or the vDSO ("[...]"): a file, which the loader maps first. */
	for (i = 0; l && i < l->n; i++)
		if (l->k[i].path && l->k[i].path[0] == '/')
			return l->k[i].path;
	return NULL;
}

int mmt_pair_take_exec(struct mmt_pair *p, pid_t tid, struct mmt_mapping *out)
{
	struct loose *l = mmt_tidmap_get(p->loose, tid);
	const struct mmt_event *ev;

	if (!l || !l->n) {
		mmt_tidmap_del(p->loose, tid);
		return 0;
	}
	/* Oldest first; the rest move up (a handful at most). */
	ev = &l->k[0];
	memset(out, 0, sizeof(*out));
	out->enter = *ev;
	out->enter.role = MMT_ROLE_MMAP_ENTER;
	out->enter.path = NULL;
	out->tid = ev->tid;
	out->ts_exit = ev->ts;
	out->ret = (int64_t)ev->addr;
	out->kernel_made = true;
	out->have_kmap = true;
	out->kmap = *ev;
	memmove(&l->k[0], &l->k[1], (size_t)(l->n - 1) * sizeof(l->k[0]));
	l->n--;
	p->st.kernel_made++;
	return 1;
}

struct mmt_pair *mmt_pair_new(void)
{
	struct mmt_pair *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->end = UINT64_MAX;
	p->pending = mmt_tidmap_new(sizeof(struct pending));
	if (!p->pending) {
		free(p);
		return NULL;
	}
	mmt_tidmap_set_release(p->pending, pending_release);
	p->loose = mmt_tidmap_new(sizeof(struct loose));
	if (!p->loose) {
		mmt_pair_free(p);
		return NULL;
	}
	mmt_tidmap_set_release(p->loose, loose_release);
	return p;
}

void mmt_pair_free(struct mmt_pair *p)
{
	if (!p)
		return;
	mmt_tidmap_free(p->pending);
	mmt_tidmap_free(p->loose);
	free(p);
}

int mmt_pair_feed(struct mmt_pair *p, const struct mmt_event *ev, struct mmt_mapping *out)
{
	struct pending *pd = mmt_tidmap_get(p->pending, ev->tid);
	struct mmt_event *pending = pd ? &pd->ev : NULL;
	int created;

	switch (ev->role) {
	case MMT_ROLE_MPROT_ENTER:
	case MMT_ROLE_MMAP_ENTER:
		/* A pending entry here lost its return: keep the newest. */
		/* Whatever the kernel recorded before this call was not an exec's. */
		mmt_tidmap_del(p->loose, ev->tid);
		if (pd) {
			p->st.orphan_entries++;
			pending_release(pd);
		}
		pd = mmt_tidmap_put(p->pending, ev->tid, &created);
		if (!pd)
			return -ENOMEM;
		memset(pd, 0, sizeof(*pd));
		pd->ev = *ev;
		return 0;
	case MMT_ROLE_KMAP:
		return join_kmap(p, pd, ev);
	case MMT_ROLE_MPROT_EXIT:
		/*
		 * The mprotect entries are filtered in the kernel (those that add
		 * no PROT_EXEC are not recorded) and their returns are not: a
		 * return without its entry is the rule, not a loss.
		 */
		if (!pending || pending->role != MMT_ROLE_MPROT_ENTER)
			return 0;
		goto paired;
	case MMT_ROLE_MMAP_EXIT:
		if (!pending || pending->role != MMT_ROLE_MMAP_ENTER) {
			/* A call that began while entries were off lost nothing. */
			if (ev->ts >= p->start && ev->ts < p->end)
				p->st.orphan_exits++;
			return 0;
		}
		/*
		 * Events lost in between (a full buffer drops whatever comes)
		 * can leave one call's entry and a later call's return: never
		 * a record of both. Two facts tell: a MAP_FIXED call returns its
		 * address, and the kernel's record of the entry's call names the
		 * VMA the return must lie in.
		 */
		if (!mismatched(pd, ev->ret))
			goto paired;
		p->st.orphan_entries++;
		p->st.orphan_exits++;
		mmt_tidmap_del(p->pending, ev->tid);
		return 0;
paired:
		memset(out, 0, sizeof(*out));
		out->enter = *pending;
		out->tid = ev->tid;
		out->ts_exit = ev->ts;
		out->ret = ev->ret;
		/* A failed call made no mapping: a record joined to it was another call's. */
		if (pd->kmap.role == MMT_ROLE_KMAP && !mmt_mapping_failed(out)) {
			out->kmap = pd->kmap;
			out->have_kmap = true;
			pd->kmap.path = NULL;	/* the mapping's now */
			p->st.joined++;
		}
		mmt_tidmap_del(p->pending, ev->tid);
		p->st.paired++;
		return 1;
	case MMT_ROLE_TASK_EXIT:
		mmt_tidmap_del(p->loose, ev->tid);
		if (pending) {
			p->st.orphan_entries++;
			mmt_tidmap_del(p->pending, ev->tid);
		}
		return 0;
	default:
		return 0;
	}
}

void mmt_pair_sweep(struct mmt_pair *p)
{
	p->st.orphan_entries += mmt_tidmap_sweep(p->pending, mmt_tid_gone);
	mmt_tidmap_sweep(p->loose, mmt_tid_gone);
}

void mmt_pair_stats(const struct mmt_pair *p, struct mmt_pair_stats *st)
{
	*st = p->st;
	st->pending = mmt_tidmap_count(p->pending);
}
