/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A hash map from thread id to a fixed-size value, for the per-thread state
 * of the pairing and of the thread table. Open addressing with linear
 * probing and backward-shift deletion (no tombstones); grows at 50% load.
 */
#ifndef MMT_TIDMAP_H
#define MMT_TIDMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct mmt_tidmap;

/**
 * mmt_tidmap_new() - an empty map
 * @value_size: bytes of each value
 * Return: the map, freed with mmt_tidmap_free(); NULL + errno.
 */
struct mmt_tidmap *mmt_tidmap_new(size_t value_size);

/**
 * mmt_tidmap_set_release() - @release frees what a value owns (not the value)
 *	whenever an entry goes: mmt_tidmap_del(), a sweep, mmt_tidmap_free()
 */
void mmt_tidmap_set_release(struct mmt_tidmap *map, void (*release)(void *value));

/** mmt_tidmap_free() - free the map; NULL is fine. */
void mmt_tidmap_free(struct mmt_tidmap *map);

/**
 * mmt_tidmap_get() - the value of @tid
 * Return: a pointer into the map, valid until the next insert or delete; NULL if absent.
 */
void *mmt_tidmap_get(struct mmt_tidmap *map, pid_t tid);

/**
 * mmt_tidmap_put() - the value of @tid, created zeroed if absent
 * @created: set to 1 if it was created, else 0 (may be NULL)
 * Return: a pointer into the map (as for get); NULL + errno (ENOMEM).
 */
void *mmt_tidmap_put(struct mmt_tidmap *map, pid_t tid, int *created);

/** mmt_tidmap_del() - remove @tid if present. */
void mmt_tidmap_del(struct mmt_tidmap *map, pid_t tid);

/** mmt_tidmap_count() - entries held. */
size_t mmt_tidmap_count(const struct mmt_tidmap *map);

/**
 * mmt_tidmap_sweep() - remove the entries of threads that are gone
 * @gone: true if @tid no longer exists
 * An entry is removed when @gone says so at two sweeps in a row: a thread
 * that died just now may still have events in the ring buffers, and its
 * entry is what they need. So the map holds live threads, plus those that
 * died since the sweep before, even when their exit events were lost.
 * Return: entries removed; they are gone even if memory ran short.
 */
size_t mmt_tidmap_sweep(struct mmt_tidmap *map, bool (*gone)(pid_t tid));

/** mmt_tid_gone() - the usual @gone: kill(tid, 0) says ESRCH. */
bool mmt_tid_gone(pid_t tid);

#endif /* MMT_TIDMAP_H */
