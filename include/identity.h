/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The file a kernel record names (perf's MMAP2: the path by d_path and the
 * device, inode and generation, taken inside the call), found again after
 * the process that mapped it is gone: opened by that path in this tool's
 * root and used only if it is still the same inode. Never a wrong file: a
 * path that now leads elsewhere gives an error, not a hash.
 */
#ifndef MMT_IDENTITY_H
#define MMT_IDENTITY_H

#include <stdbool.h>
#include <stdint.h>

#include "mapfile.h"

/**
 * mmt_identity_open() - open @path if it is the inode @dev, @ino
 * @mi: on success mi->fd (with @open), the stat identity and ctime, and (with
 *	@fs) the link count and filesystem; else mi->open_error says why
 * Return: 0, or -errno (-ESTALE: the path names another file now).
 */
int mmt_identity_open(const char *path, uint64_t dev, uint64_t ino, bool open, bool fs,
		      struct mmt_map_info *mi);

/**
 * mmt_identity_cached() - whether paths are looked up from the dentry cache alone
 *
 * openat2(2)'s RESOLVE_CACHED (Linux 5.12): without it mmt_identity_open()
 * walks a path as open(2) does, where a hung filesystem holds the caller.
 * Return: true if the running kernel has it.
 */
bool mmt_identity_cached(void);

/**
 * mmt_identity_is() - whether @path, in this tool's view, is the inode @dev, @ino
 *
 * For the path filters: a path is the mapping task's view, which another mount
 * namespace, a tmpfs over a directory or a bind mount can make name anything.
 * Asks no filesystem (the dentry cache only, the cached stat): a path not
 * there to be seen now is not the file.
 * Return: true only if the path leads to that very inode now.
 */
bool mmt_identity_is(const char *path, uint64_t dev, uint64_t ino);

#endif /* MMT_IDENTITY_H */
