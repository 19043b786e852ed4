/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The protection each range of a process was given by the calls seen: the
 * successful mmap() and mprotect() calls, in event order. The syscall
 * tracepoints know an mprotect()'s new protection only; this gives its
 * previous one, where a traced call set it. (mprotect_fixup's kprobe reads
 * it from the kernel and needs none of this.)
 */
#ifndef MMT_PROTMAP_H
#define MMT_PROTMAP_H

#include <stdint.h>
#include <sys/types.h>

struct mmt_protmap;

/* Processes followed at once (the least recently used is dropped), and ranges each. */
#define MMT_PROTMAP_PROCS	64
#define MMT_PROTMAP_RANGES	1024

/** mmt_protmap_new() - empty map. Return: the map, freed with mmt_protmap_free(); NULL + errno. */
struct mmt_protmap *mmt_protmap_new(void);

/** mmt_protmap_free() - free the map; NULL is fine. */
void mmt_protmap_free(struct mmt_protmap *pm);

/**
 * mmt_protmap_set() - a call gave [@start, @start + @len) the protection @prot
 * @pm: the map
 * @tgid: the process
 * @start: page-aligned start
 * @len: length in bytes, rounded up to pages here
 * @prot: PROT_* bits
 *
 * Past %MMT_PROTMAP_RANGES ranges the lowest ones are dropped (then unknown).
 * Return: 0 or -ENOMEM.
 */
int mmt_protmap_set(struct mmt_protmap *pm, pid_t tgid, uint64_t start, uint64_t len,
		    unsigned int prot);

/**
 * mmt_protmap_get() - the protection a seen call gave to @addr
 * @prot: set to the PROT_* bits
 * Return: 0, or -ENOENT if no seen call covers @addr.
 */
int mmt_protmap_get(struct mmt_protmap *pm, pid_t tgid, uint64_t addr, unsigned int *prot);

/** mmt_protmap_forget() - drop a process (it called execve: a new address space). */
void mmt_protmap_forget(struct mmt_protmap *pm, pid_t tgid);

#endif /* MMT_PROTMAP_H */
