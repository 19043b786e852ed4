/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The do_mmap kprobe and kretprobe (and mprotect_fixup's, and a commit_creds
 * kprobe, where the layout has them): their definitions, built from the kernel
 * layout (btf.c), their creation and removal in kprobe_events, and their
 * missed-hit counts from kprobe_profile.
 */
#ifndef MMT_KPROBE_H
#define MMT_KPROBE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

struct mmt_kprobe;

/* The probed functions */
#define MMT_KPROBE_FUNC		"do_mmap"
#define MMT_KPROBE_MPROTECT_FUNC	"mprotect_fixup"
#define MMT_KPROBE_CREDS_FUNC	"commit_creds"

/*
 * Kprobe event groups are MMT_GROUP_PREFIX + pid: a group name cannot contain
 * '-', so it cannot be the name of the run's instance.
 */
#define MMT_GROUP_PREFIX	"mmaptrace_"

/*
 * The filter of the mprotect_fixup entry in the instance: only a change that
 * makes a VMA executable, or executable memory writable, is recorded
 * (VM_EXEC 0x4, VM_WRITE 0x2), so that the ld.so's RELRO mprotect() calls
 * cost no event. Not recorded either: execve's own call from setup_arg_pages()
 * for a program with an executable stack (PT_GNU_STACK RWE), which the kernel
 * marks VM_STACK_INCOMPLETE_SETUP (VM_SEQ_READ 0x8000 | VM_RAND_READ 0x10000,
 * never both set otherwise): the stack is then at a temporary address, moved
 * right after, so a record would name a range the process never has.
 */
#define MMT_KPROBE_MPROTECT_FILTER \
	"newflags & 4 && !(newflags & 0x8000 && newflags & 0x10000) && " \
	"(!(oldflags & 4) || (newflags & 2 && !(oldflags & 2)))"

/* Environment: a BTF file to read instead of MMT_BTF_VMLINUX, or "none" to use the fallback */
#define MMT_KPROBE_BTF_ENV	"MMAPTRACE_BTF"
/* Environment, a test knob: the kretprobes' maxactive (1 to 4096) instead of 8 per CPU */
#define MMT_KPROBE_MAXACTIVE_ENV	"MMAPTRACE_MAXACTIVE"

/**
 * mmt_kprobe_available() - whether this kernel has kprobe events
 *
 * Needs tracefs mounted. Return: true if kprobe_events exists.
 */
bool mmt_kprobe_available(void);

/**
 * mmt_kprobe_alloc() - work out the probe definitions for the running kernel
 * @pid: the run the probes belong to; names the group (%MMT_GROUP_PREFIX + pid)
 *	and the events
 *
 * Reads the layout from BTF ($MMAPTRACE_BTF, else /sys/kernel/btf/vmlinux), or
 * without BTF from btf.c's table for the running kernel's version. Touches no
 * tracefs state.
 * Return: the definitions, to be released with mmt_kprobe_free(); NULL + errno
 * (ENOENT: neither BTF nor a table entry describes this kernel; a message has
 * been printed).
 */
struct mmt_kprobe *mmt_kprobe_alloc(pid_t pid);

/**
 * mmt_kprobe_free() - free the definitions; NULL is fine
 * @k: the definitions
 *
 * Does not remove the probes: call mmt_kprobe_destroy() first.
 */
void mmt_kprobe_free(struct mmt_kprobe *k);

/**
 * mmt_kprobe_describe() - say which offsets are used and where they came from
 * @k: the definitions
 * @f: where to write one line
 * Return: 0 or -errno of the write.
 */
int mmt_kprobe_describe(const struct mmt_kprobe *k, FILE *f);

/**
 * mmt_kprobe_layout_guessed() - whether the layout is the fallback table's
 * @k: the definitions
 * Return: true when BTF was not used (its offsets may not fit this kernel).
 */
bool mmt_kprobe_layout_guessed(const struct mmt_kprobe *k);

/**
 * mmt_kprobe_print() - the exact kprobe_events lines mmt_kprobe_create() writes
 * @k: the definitions
 * @f: where to write them, one per line
 * Return: 0 or -errno of the write.
 */
int mmt_kprobe_print(const struct mmt_kprobe *k, FILE *f);

/**
 * mmt_kprobe_create() - add the kprobes and kretprobes to kprobe_events
 * @k: the definitions
 *
 * They are created disabled everywhere; enable them in an instance only.
 * Once made, kprobe_profile is read as the baseline of mmt_kprobe_missed().
 * On failure nothing is left and a message, with the kernel's error_log line
 * (tracefs_error_last()), has been printed.
 * Return: 0 or -errno.
 */
int mmt_kprobe_create(struct mmt_kprobe *k);

/**
 * mmt_kprobe_destroy() - remove what mmt_kprobe_create() added
 * @k: the definitions; nothing happens if they were not created
 *
 * The events must be disabled in every instance first (the kernel refuses to
 * delete an enabled probe with EBUSY). Errors are printed.
 * Return: 0 or the first -errno.
 */
int mmt_kprobe_destroy(struct mmt_kprobe *k);

/* Accessors; the strings belong to @k. */
const char *mmt_kprobe_group(const struct mmt_kprobe *k);
const char *mmt_kprobe_entry_event(const struct mmt_kprobe *k);
const char *mmt_kprobe_return_event(const struct mmt_kprobe *k);

/**
 * mmt_kprobe_has_mprotect() - whether mprotect_fixup is probed too
 * @k: the definitions
 *
 * False when the layout lacks mprotect_fixup's arguments or the vma's offsets.
 * Return: true if mmt_kprobe_create() adds the mprotect_fixup pair.
 */
bool mmt_kprobe_has_mprotect(const struct mmt_kprobe *k);
const char *mmt_kprobe_mprotect_entry_event(const struct mmt_kprobe *k);
const char *mmt_kprobe_mprotect_return_event(const struct mmt_kprobe *k);

/**
 * mmt_kprobe_has_creds() - whether commit_creds is probed too
 * @k: the definitions
 *
 * False when the layout lacks commit_creds's argument or struct cred's ids.
 * Its event (fields uid, euid and gid: the task's ids from then on) has no
 * return probe.
 * Return: true if mmt_kprobe_create() adds the commit_creds kprobe.
 */
bool mmt_kprobe_has_creds(const struct mmt_kprobe *k);
const char *mmt_kprobe_creds_event(const struct mmt_kprobe *k);

/**
 * mmt_kprobe_entries_counted() - whether mmt_kprobe_missed()'s @entry is a count
 * @k: probes
 *
 * Return: false before Linux 5.14, where a fault in a fetch counts as a miss
 *	and entries missed are therefore not counted (always 0).
 */
bool mmt_kprobe_entries_counted(const struct mmt_kprobe *k);

/**
 * mmt_kprobe_missed() - hits the kernel could not record, from kprobe_profile
 * @k: created probes
 * @entry: missed hits of the kprobes (e.g. recursion) since they were made,
 *	do_mmap's and mprotect_fixup's; or NULL. Always 0 before Linux 5.14,
 *	which counts a fault in a probe's fetch as a miss of every probe on
 *	that address (the do_mmap entry's fetches fault for each anonymous
 *	mapping, whose file is NULL, and the event is recorded all the same):
 *	mmt_kprobe_describe() says so
 * @ret: missed returns of the kretprobes (no free instance: more tasks were
 *	inside the function at once than maxactive allows), or NULL
 *
 * Counted from mmt_kprobe_create()'s baseline, so misses of other probes
 * counted before ours existed are not in them; the entries' misses, which
 * the kernel counts in the kretprobes' column too, are not in @ret. Neither
 * count ever goes down from one call to the next.
 * Return: 0, or -errno (-ENOENT: the probes are not in kprobe_profile).
 */
int mmt_kprobe_missed(struct mmt_kprobe *k, uint64_t *entry, uint64_t *ret);

/**
 * mmt_kprobe_remove_group() - delete every kprobe and kretprobe of @group
 * @group: a group name; only events of exactly this group are touched
 *
 * For the sweep of crashed runs. The events must be disabled everywhere.
 * Return: the number of events removed, or -errno of the first failure.
 */
int mmt_kprobe_remove_group(const char *group);

/**
 * mmt_kprobe_list_groups() - the groups of kprobe_events that start with a prefix
 * @prefix: e.g. %MMT_GROUP_PREFIX (probe.h)
 * @groups: set to a NULL-terminated array of distinct names, to be released
 *	with mmt_kprobe_groups_free()
 * Return: the number of groups, or -errno.
 */
int mmt_kprobe_list_groups(const char *prefix, char ***groups);

/** mmt_kprobe_groups_free() - free mmt_kprobe_list_groups()'s array; NULL is fine. */
void mmt_kprobe_groups_free(char **groups);

#endif /* MMT_KPROBE_H */
