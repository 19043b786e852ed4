/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The GNU build-id of an ELF file, read from its PT_NOTE segments (what the
 * kernel reads for perf's PERF_RECORD_MISC_MMAP_BUILD_ID) or, where they do
 * not hold it, its SHT_NOTE sections (as readelf -n does): taken from the
 * very object that is hashed, since the kernel's record gives either the
 * build-id or the device and inode the identity checks need, not both.
 */
#ifndef MMT_ELFNOTE_H
#define MMT_ELFNOTE_H

#include <stddef.h>

/* Longest build-id kept, in bytes (the kernel keeps 20; ld may write more) */
#define MMT_BUILD_ID_MAX	64
/* Its hex form and the NUL */
#define MMT_BUILD_ID_HEX	(2 * MMT_BUILD_ID_MAX + 1)

/**
 * mmt_elf_build_id() - the NT_GNU_BUILD_ID note of an ELF file, in lower-case hex
 * @fd: the file, read with pread() only (its offset is unchanged)
 * @hex: set to the build-id's hex digits
 * @size: bytes at @hex, at least %MMT_BUILD_ID_HEX
 *
 * Reads the ELF header, the program (or section) headers and the notes only,
 * each bounded (128 program headers, 1024 sections, 8 note areas of 64 KiB):
 * a hostile file costs a few reads.
 * Only files of this host's byte order are read.
 * Return: 0; -ENOENT if the file is no such ELF file or has no build-id;
 *	-EINVAL if @size is too small; another -errno of a read.
 */
int mmt_elf_build_id(int fd, char *hex, size_t size);

#endif /* MMT_ELFNOTE_H */
