/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * inspect.h - privilege separation for the files an attacker chose: a
 * privileged opener reopens the object the kernel named (it may hang in a
 * filesystem, so it is a process, not a thread), and a confined inspector,
 * with no capability, no_new_privs and a seccomp filter, reads, hashes and
 * types what it is handed. Each is killed at a deadline and made afresh.
 */
#ifndef MMT_INSPECT_H
#define MMT_INSPECT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "digest.h"

/* The argument that makes the tool's binary the inspector (internal). */
#define MMT_INSPECTOR_ARG	"--inspector"

/* The inspector's process name, for ps and for the tests. */
#define MMT_INSPECTOR_COMM	"mmt-inspector"

/**
 * struct mmt_inspect_answer - what the inspector says of one file
 * @h: digests, build-id and error (@h.magic, @h.magic_top unset)
 * @st: the file's fstat() before it was read, when @have_st
 * @have_st: @st is of a regular file, hashed or not
 * @stable: @h is a property of @st's identity alone (may be cached)
 * @have_magic: @magic is libmagic's text; @have_top: @top is its top level
 * @nread: bytes read
 *
 * Checked on arrival (mmt_inspector_ask()): every string ends within its
 * field and the hex fields are hex, whatever a subverted inspector sent.
 */
struct mmt_inspect_answer {
	struct mmt_hashes h;
	struct stat st;
	bool have_st;
	bool stable;
	bool have_magic, have_top;
	uint64_t nread;
	char magic[MMT_HASH_MAGIC_MAX];
	char top[MMT_HASH_MAGIC_MAX];
};

/** struct mmt_inspector - one opener and one inspector process, for one thread (opaque) */
struct mmt_inspector;

/**
 * mmt_inspector_new() - ready to start the processes at the first file
 *
 * Opens this program's binary (/proc/self/exe) now, so that the inspector
 * runs the same code even once the installed file is replaced.
 * Return: to be freed with mmt_inspector_free(); NULL + errno.
 */
struct mmt_inspector *mmt_inspector_new(void);

/** mmt_inspector_free() - kill its processes; NULL is fine */
void mmt_inspector_free(struct mmt_inspector *in);

/**
 * mmt_inspector_start() - start the inspector now, if it does not run
 * @stop_fd: readable: give up (-ECANCELED)
 * @why: set on failure, what failed, as a record's error says it
 *
 * Waits until it is confined and ready, 30 s at most (software emulation
 * and the sanitizers make its start slow). mmt_inspector_ask() does this
 * too; a thread calls it beforehand so that its first file does not wait.
 * Return: 0 or -errno with @why set.
 */
int mmt_inspector_start(struct mmt_inspector *in, int stop_fd, char *why, size_t size);

/**
 * mmt_inspector_ask() - hash and type the file of @fd
 * @fd: an O_PATH descriptor of the mapped object (reopened by the opener),
 *	or one open for reading (handed over as it is); not closed
 * @limit: largest st_size to hash, or MMT_HASH_NO_LIMIT
 * @timeout_ns: for both processes together, counted once the inspector runs
 * @stop_fd: readable: give up at once (-ECANCELED)
 * @a: the answer, when 0 is returned
 * @why: set on failure, what failed, as a record's error says it
 *
 * A process that does not answer in time is killed and left behind:
 * -ETIMEDOUT when it was held (its filesystem hung; the caller counts it),
 * -ETIME when it was running (a large file, a busy host). One that died or
 * broke the protocol is made afresh at the next file.
 * Return: 0; -ETIMEDOUT, -ETIME, -ECANCELED, or another -errno with @why set.
 */
int mmt_inspector_ask(struct mmt_inspector *in, int fd, off_t limit, uint64_t timeout_ns,
		      int stop_fd, struct mmt_inspect_answer *a, char *why, size_t size);

/**
 * mmt_inspector_called() - whether this process was started as the inspector
 *
 * Every program that makes a hasher (mmt_hasher_new()) asks this first
 * thing in main() and then runs mmt_inspector_main().
 */
bool mmt_inspector_called(int argc, char **argv);

/**
 * mmt_inspector_main() - the inspector: confine itself, then answer requests
 *
 * Its socket is descriptor 3 (helper.h); it answers until the socket closes.
 * Return: the exit status (the process ends with it).
 */
int mmt_inspector_main(void);

#endif
