// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * elfnote.c - an ELF file's build-id, from its program headers' notes. Every
 * offset and size comes from the file, so each is checked against what was
 * read before it is used.
 */
#include <elf.h>
#include <endian.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "elfnote.h"

#define MAX_PHDRS	128
#define MAX_SHDRS	1024
#define MAX_NOTES	(64 * 1024)

/* Reads exactly @n bytes at @off. Return: 0, -ENOENT if the file is shorter, -errno. */
static int read_at(int fd, void *buf, size_t n, uint64_t off)
{
	size_t done = 0;
	ssize_t r;

	if (off > (uint64_t)INT64_MAX - n)
		return -ENOENT;
	while (done < n) {
		r = pread(fd, (char *)buf + done, n - done, (off_t)(off + done));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			return -ENOENT;
		done += (size_t)r;
	}
	return 0;
}

struct note_seg {
	uint64_t off, size, align;
};

/* The ELF header's table offsets and counts, 32- or 64-bit alike. */
struct elf_tables {
	bool is64;
	uint64_t phoff, shoff;
	unsigned int phnum, phentsize, shnum, shentsize;
};

static int read_header(int fd, struct elf_tables *t)
{
	unsigned char ident[EI_NIDENT];
	int r;

	r = read_at(fd, ident, sizeof(ident), 0);
	if (r < 0)
		return r;
	if (memcmp(ident, ELFMAG, SELFMAG) ||
	    (ident[EI_CLASS] != ELFCLASS32 && ident[EI_CLASS] != ELFCLASS64) ||
	    ident[EI_DATA] != (__BYTE_ORDER == __LITTLE_ENDIAN ? ELFDATA2LSB : ELFDATA2MSB))
		return -ENOENT;
	t->is64 = ident[EI_CLASS] == ELFCLASS64;
	if (t->is64) {
		Elf64_Ehdr eh;

		r = read_at(fd, &eh, sizeof(eh), 0);
		*t = (struct elf_tables){ true, eh.e_phoff, eh.e_shoff, eh.e_phnum, eh.e_phentsize,
					  eh.e_shnum, eh.e_shentsize };
	} else {
		Elf32_Ehdr eh;

		r = read_at(fd, &eh, sizeof(eh), 0);
		*t = (struct elf_tables){ false, eh.e_phoff, eh.e_shoff, eh.e_phnum, eh.e_phentsize,
					  eh.e_shnum, eh.e_shentsize };
	}
	return r;
}

/*
 * The SHT_NOTE sections, for a file whose PT_NOTE segments do not hold its
 * build-id (Go's linker puts only its own note there): readelf -n reads the
 * sections first. Return: how many, or -errno.
 */
static int note_sections(int fd, const struct elf_tables *t, struct note_seg *seg, int max)
{
	unsigned int i, shnum = t->shnum < MAX_SHDRS ? t->shnum : MAX_SHDRS;
	int n = 0, r;

	if (t->shentsize != (t->is64 ? sizeof(Elf64_Shdr) : sizeof(Elf32_Shdr)))
		return 0;
	for (i = 0; i < shnum && n < max; i++) {
		uint64_t at = t->shoff + (uint64_t)i * t->shentsize;

		if (t->is64) {
			Elf64_Shdr sh;

			r = read_at(fd, &sh, sizeof(sh), at);
			if (r < 0)
				return r == -ENOENT ? n : r;
			if (sh.sh_type == SHT_NOTE)
				seg[n++] = (struct note_seg){ sh.sh_offset, sh.sh_size, sh.sh_addralign };
		} else {
			Elf32_Shdr sh;

			r = read_at(fd, &sh, sizeof(sh), at);
			if (r < 0)
				return r == -ENOENT ? n : r;
			if (sh.sh_type == SHT_NOTE)
				seg[n++] = (struct note_seg){ sh.sh_offset, sh.sh_size, sh.sh_addralign };
		}
	}
	return n;
}

/* The PT_NOTE segments, 32- or 64-bit. Return: how many, or -errno. */
static int note_segments(int fd, const struct elf_tables *et, struct note_seg *seg, int max)
{
	uint64_t phoff = et->phoff;
	unsigned int phnum = et->phnum, phentsize = et->phentsize, i;
	int n = 0, r;
	bool is64 = et->is64;

	if (phentsize != (is64 ? sizeof(Elf64_Phdr) : sizeof(Elf32_Phdr)))
		return 0;
	if (phnum > MAX_PHDRS)
		phnum = MAX_PHDRS;
	for (i = 0; i < phnum && n < max; i++) {
		uint64_t at = phoff + (uint64_t)i * phentsize;

		if (is64) {
			Elf64_Phdr ph;

			r = read_at(fd, &ph, sizeof(ph), at);
			if (r < 0)
				return r == -ENOENT ? n : r;
			if (ph.p_type == PT_NOTE)
				seg[n++] = (struct note_seg){ ph.p_offset, ph.p_filesz, ph.p_align };
		} else {
			Elf32_Phdr ph;

			r = read_at(fd, &ph, sizeof(ph), at);
			if (r < 0)
				return r == -ENOENT ? n : r;
			if (ph.p_type == PT_NOTE)
				seg[n++] = (struct note_seg){ ph.p_offset, ph.p_filesz, ph.p_align };
		}
	}
	return n;
}

static uint64_t align_up(uint64_t v, uint64_t a)
{
	return (v + a - 1) & ~(a - 1);
}

/* The build-id note in @buf (one segment's notes). Return: its length, or 0. */
static size_t find_build_id(const unsigned char *buf, size_t len, uint64_t align,
			    const unsigned char **desc)
{
	size_t pos = 0;

	/* Notes are 4-byte aligned, or 8 in a segment that says so (gABI). */
	align = align == 8 ? 8 : 4;
	while (len - pos >= sizeof(Elf64_Nhdr)) {
		Elf64_Nhdr nh;	/* the same three 32-bit words in both classes */
		uint64_t name_at, desc_at, next;

		memcpy(&nh, buf + pos, sizeof(nh));
		name_at = pos + sizeof(nh);
		desc_at = align_up(name_at + nh.n_namesz, align);
		next = align_up(desc_at + nh.n_descsz, align);
		if (desc_at + nh.n_descsz > len)
			return 0;
		if (nh.n_type == NT_GNU_BUILD_ID && nh.n_namesz == 4 &&
		    !memcmp(buf + name_at, "GNU", 4) && nh.n_descsz > 0 &&
		    nh.n_descsz <= MMT_BUILD_ID_MAX) {
			*desc = buf + desc_at;
			return nh.n_descsz;
		}
		if (next > len)
			return 0;
		pos = (size_t)next;
	}
	return 0;
}

/* The build-id in one of @n notes areas. Return: 0, -ENOENT, -errno. */
static int search(int fd, const struct note_seg *seg, int n, char *hex)
{
	static const char digits[] = "0123456789abcdef";
	unsigned char buf[MAX_NOTES];
	const unsigned char *desc;
	size_t len, i;
	int s, r;

	for (s = 0; s < n; s++) {
		len = seg[s].size < sizeof(buf) ? (size_t)seg[s].size : sizeof(buf);
		r = read_at(fd, buf, len, seg[s].off);
		if (r == -ENOENT)
			continue;
		if (r < 0)
			return r;
		len = find_build_id(buf, len, seg[s].align, &desc);
		if (!len)
			continue;
		for (i = 0; i < len; i++) {
			hex[2 * i] = digits[desc[i] >> 4];
			hex[2 * i + 1] = digits[desc[i] & 15];
		}
		hex[2 * len] = '\0';
		return 0;
	}
	return -ENOENT;
}

int mmt_elf_build_id(int fd, char *hex, size_t size)
{
	struct note_seg seg[8];
	struct elf_tables t;
	int n, r;

	if (size < MMT_BUILD_ID_HEX)
		return -EINVAL;
	r = read_header(fd, &t);
	if (r < 0)
		return r;
	/* The segments are what the kernel reads (perf's build-id); then the sections. */
	n = note_segments(fd, &t, seg, (int)(sizeof(seg) / sizeof(seg[0])));
	r = n < 0 ? n : search(fd, seg, n, hex);
	if (r != -ENOENT)
		return r;
	n = note_sections(fd, &t, seg, (int)(sizeof(seg) / sizeof(seg[0])));
	return n < 0 ? n : search(fd, seg, n, hex);
}
