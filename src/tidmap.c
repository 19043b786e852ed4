// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tidmap.h"

/*
 * Slot layout: a pid_t key (0 = empty: tid 0 is the idle task, never traced),
 * a pid_t-sized mark (found gone at the last sweep), then the value.
 */
struct mmt_tidmap {
	unsigned char *slots;
	size_t slot_size;
	size_t value_size;
	size_t mask;
	size_t used;
	void (*release)(void *value);	/* what a value owns, freed as it goes */
};

#define KEY_SIZE	sizeof(uint64_t)	/* keeps 8-byte values aligned */

static size_t home(const struct mmt_tidmap *m, pid_t tid)
{
	return ((uint32_t)tid * 2654435761u) & m->mask;
}

static pid_t *key_at(const struct mmt_tidmap *m, size_t i)
{
	return (pid_t *)(m->slots + i * m->slot_size);
}

static pid_t *mark_at(const struct mmt_tidmap *m, size_t i)
{
	return key_at(m, i) + 1;
}

static void *value_at(const struct mmt_tidmap *m, size_t i)
{
	return m->slots + i * m->slot_size + KEY_SIZE;
}

struct mmt_tidmap *mmt_tidmap_new(size_t value_size)
{
	struct mmt_tidmap *m = calloc(1, sizeof(*m));

	if (!m)
		return NULL;
	m->value_size = value_size;
	m->slot_size = KEY_SIZE + ((value_size + 7) & ~(size_t)7);
	m->mask = 63;
	m->slots = calloc(m->mask + 1, m->slot_size);
	if (!m->slots) {
		free(m);
		return NULL;
	}
	return m;
}

void mmt_tidmap_set_release(struct mmt_tidmap *m, void (*release)(void *value))
{
	m->release = release;
}

void mmt_tidmap_free(struct mmt_tidmap *m)
{
	size_t i;

	if (!m)
		return;
	for (i = 0; m->release && i <= m->mask; i++)
		if (*key_at(m, i))
			m->release(value_at(m, i));
	free(m->slots);
	free(m);
}

static size_t find(const struct mmt_tidmap *m, pid_t tid)
{
	size_t i;

	for (i = home(m, tid); *key_at(m, i); i = (i + 1) & m->mask)
		if (*key_at(m, i) == tid)
			return i;
	return SIZE_MAX;
}

void *mmt_tidmap_get(struct mmt_tidmap *m, pid_t tid)
{
	size_t i = find(m, tid);

	return i == SIZE_MAX ? NULL : value_at(m, i);
}

static size_t free_slot(const struct mmt_tidmap *m, pid_t tid)
{
	size_t i;

	for (i = home(m, tid); *key_at(m, i); i = (i + 1) & m->mask)
		;
	return i;
}

static int grow(struct mmt_tidmap *m)
{
	struct mmt_tidmap old = *m;
	size_t i, j;

	m->slots = calloc((old.mask + 1) * 2, m->slot_size);
	if (!m->slots) {
		m->slots = old.slots;
		return -ENOMEM;
	}
	m->mask = old.mask * 2 + 1;
	for (i = 0; i <= old.mask; i++) {
		if (!*key_at(&old, i))
			continue;
		j = free_slot(m, *key_at(&old, i));
		memcpy(m->slots + j * m->slot_size, old.slots + i * m->slot_size, m->slot_size);
	}
	free(old.slots);
	return 0;
}

void *mmt_tidmap_put(struct mmt_tidmap *m, pid_t tid, int *created)
{
	size_t i = find(m, tid);

	if (created)
		*created = 0;
	if (i != SIZE_MAX)
		return value_at(m, i);
	if ((m->used + 1) * 2 > m->mask + 1 && grow(m) < 0) {
		errno = ENOMEM;
		return NULL;
	}
	i = free_slot(m, tid);
	*key_at(m, i) = tid;
	*mark_at(m, i) = 0;
	memset(value_at(m, i), 0, m->value_size);
	m->used++;
	if (created)
		*created = 1;
	return value_at(m, i);
}

void mmt_tidmap_del(struct mmt_tidmap *m, pid_t tid)
{
	size_t i = find(m, tid), j, h;

	if (i == SIZE_MAX)
		return;
	if (m->release)
		m->release(value_at(m, i));
	/* Backward shift: pull later members of the run into the hole when legal. */
	for (j = i;;) {
		j = (j + 1) & m->mask;
		if (!*key_at(m, j))
			break;
		h = home(m, *key_at(m, j));
		/* j may move to i unless its home lies cyclically in (i, j]. */
		if ((i < j) ? (h <= i || h > j) : (h <= i && h > j)) {
			memcpy(m->slots + i * m->slot_size, m->slots + j * m->slot_size,
			       m->slot_size);
			i = j;
		}
	}
	*key_at(m, i) = 0;
	m->used--;
}

size_t mmt_tidmap_count(const struct mmt_tidmap *m)
{
	return m->used;
}

bool mmt_tid_gone(pid_t tid)
{
	/* kill() takes any thread's id; ESRCH once it is reaped. */
	return kill(tid, 0) < 0 && errno == ESRCH;
}

size_t mmt_tidmap_sweep(struct mmt_tidmap *m, bool (*gone)(pid_t tid))
{
	size_t i, n = 0, removed = 0;
	pid_t *doomed;

	doomed = malloc(m->used * sizeof(*doomed) + 1);
	for (i = 0; i <= m->mask; i++) {
		if (!*key_at(m, i))
			continue;
		if (!gone(*key_at(m, i)))
			*mark_at(m, i) = 0;
		else if (!*mark_at(m, i))
			*mark_at(m, i) = 1;
		else if (doomed)
			doomed[n++] = *key_at(m, i);
	}
	/* Deleting shifts slots: remove after the scan, not during it. */
	for (i = 0; i < n; i++, removed++)
		mmt_tidmap_del(m, doomed[i]);
	free(doomed);
	return removed;
}
