/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * confine.h - a process gives up, for good, everything it could do to the
 * host beyond reading the descriptors it has and answering on its socket:
 * what the inspector does before it parses a file an attacker chose.
 */
#ifndef MMT_CONFINE_H
#define MMT_CONFINE_H

#include <stddef.h>

/**
 * mmt_confine() - drop every privilege and filter the system calls left
 * @why: set to what failed, on failure
 * @size: bytes at @why
 *
 * In this order: no supplementary groups; no capability in any set
 * (bounding and ambient included) and no way back to them (the securebits
 * locked, no_new_privs); no core dump; limits on descriptors, file size and
 * (without AddressSanitizer) memory; then a seccomp filter that kills the
 * process at any system call but those that reading a descriptor, hashing,
 * allocating memory (never executable) and answering need. The uid stays
 * that of the caller: another user's process cannot signal or trace it.
 * Return: 0 or -errno; on failure the caller must not go on.
 */
int mmt_confine(char *why, size_t size);

#endif
