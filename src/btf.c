// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * btf.c - do_mmap, mprotect_fixup and commit_creds argument positions and struct offsets
 * from BTF
 *
 * A minimal reader of the raw BTF format (see linux/btf.h): it indexes the type section
 * once, then looks up one FUNC and a few struct members by name. No libbpf, because we
 * need five numbers, not a BTF object model.
 */
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/btf.h>

#include "btf.h"
#include "fileio.h"

/* Anonymous struct/union nesting in struct inode is 2 deep; this only stops loops */
#define MAX_NEST 16

struct btf {
	unsigned char *data;
	size_t size;
	const unsigned char *types;	/* type section */
	uint32_t types_len;
	const char *strs;		/* string section */
	uint32_t strs_len;
	const struct btf_type **type;	/* type[id], id 1..nr_types; type[0] is void */
	uint32_t nr_types;
};

static __thread char source_buf[PATH_MAX + 8];

static void layout_init(struct mmt_btf_layout *out)
{
	memset(out, 0, sizeof(*out));
	out->off_file_f_inode = -1;
	out->off_file_f_flags = -1;
	out->off_inode_i_ino = -1;
	out->off_inode_i_sb = -1;
	out->off_sb_s_dev = -1;
	out->off_inode_ctime_sec = -1;
	out->off_inode_ctime_nsec = -1;
	out->off_vma_vm_flags = -1;
	out->off_vma_vm_file = -1;
	out->off_cred_uid = -1;
	out->off_cred_euid = -1;
	out->off_cred_gid = -1;
}

/* Bytes that follow struct btf_type for this kind, or -1 for a kind we do not know */
static long extra_size(const struct btf_type *t)
{
	uint32_t vlen = BTF_INFO_VLEN(t->info);

	switch (BTF_INFO_KIND(t->info)) {
	case BTF_KIND_INT:
		return sizeof(uint32_t);
	case BTF_KIND_PTR:
	case BTF_KIND_FWD:
	case BTF_KIND_TYPEDEF:
	case BTF_KIND_VOLATILE:
	case BTF_KIND_CONST:
	case BTF_KIND_RESTRICT:
	case BTF_KIND_FUNC:
	case BTF_KIND_FLOAT:
	case BTF_KIND_TYPE_TAG:
		return 0;
	case BTF_KIND_ARRAY:
		return sizeof(struct btf_array);
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION:
		return (long)vlen * sizeof(struct btf_member);
	case BTF_KIND_ENUM:
		return (long)vlen * sizeof(struct btf_enum);
	case BTF_KIND_FUNC_PROTO:
		return (long)vlen * sizeof(struct btf_param);
	case BTF_KIND_VAR:
		return sizeof(struct btf_var);
	case BTF_KIND_DATASEC:
		return (long)vlen * sizeof(struct btf_var_secinfo);
	case BTF_KIND_DECL_TAG:
		return sizeof(struct btf_decl_tag);
	case BTF_KIND_ENUM64:
		return (long)vlen * sizeof(struct btf_enum64);
	default:
		return -1;
	}
}

static int btf_parse(struct btf *btf)
{
	const struct btf_header *hdr = (const void *)btf->data;
	uint32_t off, n, cap = 0;
	const struct btf_type **tmp;

	if (btf->size < sizeof(*hdr) || hdr->magic != BTF_MAGIC || hdr->version != BTF_VERSION)
		return -EPROTO;
	if (hdr->hdr_len < sizeof(*hdr) || hdr->hdr_len > btf->size)
		return -EPROTO;
	/* Section offsets are relative to the end of the header, which may grow in new versions */
	if ((uint64_t)hdr->hdr_len + hdr->type_off + hdr->type_len > btf->size ||
	    (uint64_t)hdr->hdr_len + hdr->str_off + hdr->str_len > btf->size ||
	    hdr->type_off % 4 || hdr->str_len == 0)
		return -EPROTO;
	btf->types = btf->data + hdr->hdr_len + hdr->type_off;
	btf->types_len = hdr->type_len;
	btf->strs = (const char *)btf->data + hdr->hdr_len + hdr->str_off;
	btf->strs_len = hdr->str_len;
	if (btf->strs[btf->strs_len - 1] != '\0')
		return -EPROTO;

	n = 1;
	for (off = 0; off < btf->types_len; ) {
		const struct btf_type *t = (const void *)(btf->types + off);
		long extra;

		if (btf->types_len - off < sizeof(*t))
			return -EPROTO;
		extra = extra_size(t);
		if (extra < 0 || btf->types_len - off - sizeof(*t) < (unsigned long)extra)
			return -EPROTO;
		if (n >= cap) {
			cap = cap ? cap * 2 : 65536;
			tmp = realloc(btf->type, cap * sizeof(*tmp));
			if (!tmp)
				return -ENOMEM;
			btf->type = tmp;
		}
		btf->type[n++] = t;
		off += sizeof(*t) + extra;
	}
	btf->nr_types = n - 1;
	return 0;
}

static const char *btf_str(const struct btf *btf, uint32_t off)
{
	return off < btf->strs_len ? btf->strs + off : "";
}

static const struct btf_type *btf_type(const struct btf *btf, uint32_t id)
{
	return id >= 1 && id <= btf->nr_types ? btf->type[id] : NULL;
}

/* Looks through typedefs and qualifiers; NULL for void or a bad id */
static const struct btf_type *btf_resolve(const struct btf *btf, uint32_t id)
{
	const struct btf_type *t;
	int i;

	for (i = 0; i < 32; i++) {
		t = btf_type(btf, id);
		if (!t)
			return NULL;
		switch (BTF_INFO_KIND(t->info)) {
		case BTF_KIND_TYPEDEF:
		case BTF_KIND_VOLATILE:
		case BTF_KIND_CONST:
		case BTF_KIND_RESTRICT:
		case BTF_KIND_TYPE_TAG:
			id = t->type;
			break;
		default:
			return t;
		}
	}
	return NULL;
}

/* Size in bytes of a scalar or aggregate; 0 if it has none we can tell */
static int btf_type_size(const struct btf *btf, uint32_t id)
{
	const struct btf_type *t = btf_resolve(btf, id);

	if (!t)
		return 0;
	switch (BTF_INFO_KIND(t->info)) {
	case BTF_KIND_INT:
	case BTF_KIND_ENUM:
	case BTF_KIND_ENUM64:
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION:
	case BTF_KIND_FLOAT:
		return t->size;
	case BTF_KIND_PTR:
		/* 64-bit kernels only (x86_64, arm64): BTF does not record pointer width */
		return 8;
	default:
		return 0;
	}
}

/* A struct definition, not a FWD: forward declarations carry no members */
static const struct btf_type *btf_find_struct(const struct btf *btf, const char *name)
{
	uint32_t id;

	for (id = 1; id <= btf->nr_types; id++) {
		const struct btf_type *t = btf->type[id];

		if (BTF_INFO_KIND(t->info) == BTF_KIND_STRUCT &&
		    !strcmp(btf_str(btf, t->name_off), name))
			return t;
	}
	return NULL;
}

static const struct btf_type *btf_find_func(const struct btf *btf, const char *name)
{
	uint32_t id;

	for (id = 1; id <= btf->nr_types; id++) {
		const struct btf_type *t = btf->type[id];

		if (BTF_INFO_KIND(t->info) == BTF_KIND_FUNC &&
		    !strcmp(btf_str(btf, t->name_off), name))
			return t;
	}
	return NULL;
}

/*
 * Finds @name in struct/union @t, descending into anonymous members: struct inode keeps
 * fields in unnamed unions (i_nlink/__i_nlink, i_rcu...), which BTF records as a member
 * without a name whose own members are offset from it, and layouts move between versions. Sets *@bit_off (from the start of @t) and *@type_id.
 * Returns 0, -ENOENT, or -EINVAL for a bitfield (no byte offset to fetch).
 */
static int find_member(const struct btf *btf, const struct btf_type *t, const char *name,
		       int depth, uint32_t *bit_off, uint32_t *type_id)
{
	const struct btf_member *m = (const void *)(t + 1);
	uint32_t i, vlen = BTF_INFO_VLEN(t->info);
	int kflag = BTF_INFO_KFLAG(t->info);
	int err;

	if (depth > MAX_NEST)
		return -ENOENT;
	for (i = 0; i < vlen; i++, m++) {
		/* With kind_flag, offset packs the bitfield size in its top 8 bits */
		uint32_t off = kflag ? BTF_MEMBER_BIT_OFFSET(m->offset) : m->offset;
		uint32_t bits = kflag ? BTF_MEMBER_BITFIELD_SIZE(m->offset) : 0;
		const char *mname = btf_str(btf, m->name_off);
		const struct btf_type *mt;
		uint32_t sub_off;

		if (!strcmp(mname, name)) {
			if (bits || off % 8)
				return -EINVAL;
			*bit_off = off;
			*type_id = m->type;
			return 0;
		}
		if (*mname)
			continue;
		mt = btf_resolve(btf, m->type);
		if (!mt || (BTF_INFO_KIND(mt->info) != BTF_KIND_STRUCT &&
			    BTF_INFO_KIND(mt->info) != BTF_KIND_UNION))
			continue;
		err = find_member(btf, mt, name, depth + 1, &sub_off, type_id);
		if (err == -ENOENT)
			continue;
		if (err)
			return err;
		*bit_off = off + sub_off;
		return 0;
	}
	return -ENOENT;
}

/* Byte offset of @name in struct @sname, or -1; *@size gets the member's size if non-NULL */
static int member_offset(const struct btf *btf, const char *sname, const char *name, int *size)
{
	const struct btf_type *t = btf_find_struct(btf, sname);
	uint32_t bit_off, type_id;

	if (!t || find_member(btf, t, name, 0, &bit_off, &type_id))
		return -1;
	if (size)
		*size = btf_type_size(btf, type_id);
	return bit_off / 8;
}

/*
 * The inode's ctime moved twice: a plain timespec64 i_ctime until 6.5, __i_ctime (same type,
 * renamed to force the inode_get_ctime() accessors) in 6.6-6.10, and split i_ctime_sec plus
 * a u32 i_ctime_nsec in 6.11 to shrink struct inode.
 */
static void find_ctime(const struct btf *btf, struct mmt_btf_layout *out)
{
	static const char *const ts_names[] = { "__i_ctime", "i_ctime" };
	const struct btf_type *inode = btf_find_struct(btf, "inode");
	const struct btf_type *ts;
	uint32_t base, sec, nsec, sec_type, nsec_type;
	size_t i;

	if (!inode)
		return;
	if (!find_member(btf, inode, "i_ctime_sec", 0, &sec, &sec_type) &&
	    !find_member(btf, inode, "i_ctime_nsec", 0, &nsec, &nsec_type))
		goto found;
	for (i = 0; i < sizeof(ts_names) / sizeof(ts_names[0]); i++) {
		uint32_t ts_type;

		if (find_member(btf, inode, ts_names[i], 0, &base, &ts_type))
			continue;
		ts = btf_resolve(btf, ts_type);
		if (!ts || BTF_INFO_KIND(ts->info) != BTF_KIND_STRUCT)
			return;
		if (find_member(btf, ts, "tv_sec", 0, &sec, &sec_type) ||
		    find_member(btf, ts, "tv_nsec", 0, &nsec, &nsec_type))
			return;
		sec += base;
		nsec += base;
		goto found;
	}
	return;

found:
	out->off_inode_ctime_sec = sec / 8;
	out->off_inode_ctime_nsec = nsec / 8;
	out->size_ctime_sec = btf_type_size(btf, sec_type);
	out->size_ctime_nsec = btf_type_size(btf, nsec_type);
}

struct param_slot {
	const char *name;
	size_t field;	/* offsetof() the int in struct mmt_btf_layout */
};

/* Sets each slot's field to the 1-based position of the parameter of that name. */
static int find_args(const struct btf *btf, const char *func_name, const struct param_slot *slots,
		     size_t nslots, struct mmt_btf_layout *out)
{
	const struct btf_type *func = btf_find_func(btf, func_name);
	const struct btf_type *proto;
	const struct btf_param *p;
	uint32_t i, vlen;
	size_t j;

	if (!func)
		return -ENOENT;
	proto = btf_type(btf, func->type);
	if (!proto || BTF_INFO_KIND(proto->info) != BTF_KIND_FUNC_PROTO)
		return -EPROTO;
	p = (const void *)(proto + 1);
	vlen = BTF_INFO_VLEN(proto->info);
	for (i = 0; i < vlen; i++, p++) {
		const char *name = btf_str(btf, p->name_off);

		for (j = 0; j < nslots; j++)
			if (!strcmp(name, slots[j].name))
				*(int *)((char *)out + slots[j].field) = i + 1;
	}
	return 0;
}

#define SLOT(name, member) { name, offsetof(struct mmt_btf_layout, member) }

static int find_do_mmap_args(const struct btf *btf, struct mmt_btf_layout *out)
{
	static const struct param_slot params[] = {
		SLOT("file", arg_file), SLOT("addr", arg_addr), SLOT("len", arg_len),
		SLOT("prot", arg_prot), SLOT("flags", arg_flags), SLOT("vm_flags", arg_vm_flags),
		SLOT("pgoff", arg_pgoff),
	};
	int err = find_args(btf, "do_mmap", params, sizeof(params) / sizeof(params[0]), out);

	if (err)
		return err;
	if (!out->arg_file || !out->arg_addr || !out->arg_len)
		return -ENOENT;
	return 0;
}

/*
 * mprotect_fixup() sees each VMA an mprotect() changes, with its flags before
 * (vma->vm_flags) and after (newflags): the previous protection, exactly. It
 * gained a vma_iterator first argument in 6.2 (so 6.1 has vma at $arg2, 6.12
 * at $arg3); a kernel without it in BTF (inlined, renamed) leaves every
 * position 0, and mprotect is then watched through the syscall tracepoints.
 */
static void find_mprotect_layout(const struct btf *btf, struct mmt_btf_layout *out)
{
	static const struct param_slot params[] = {
		SLOT("vma", mp_arg_vma), SLOT("start", mp_arg_start), SLOT("end", mp_arg_end),
		SLOT("newflags", mp_arg_newflags),
	};

	if (find_args(btf, "mprotect_fixup", params, sizeof(params) / sizeof(params[0]), out) ||
	    !out->mp_arg_vma || !out->mp_arg_start || !out->mp_arg_end || !out->mp_arg_newflags) {
		out->mp_arg_vma = out->mp_arg_start = out->mp_arg_end = out->mp_arg_newflags = 0;
		return;
	}
	out->off_vma_vm_flags = member_offset(btf, "vm_area_struct", "vm_flags", NULL);
	out->off_vma_vm_file = member_offset(btf, "vm_area_struct", "vm_file", NULL);
}

/* Byte offset of the id @name in struct cred, or -1 unless it is the u32 the probe fetches */
static int cred_offset(const struct btf *btf, const char *name)
{
	int size = 0, off = member_offset(btf, "cred", name, &size);

	return size == 4 ? off : -1;
}

/*
 * commit_creds(new) is where every change of a task's ids lands: the set*id()
 * calls (the 32-bit ones too), an exec of a setuid file, capset, keyctl. Its
 * argument is the task's struct cred from then on, whose kuid_t and kgid_t
 * are each a struct of one u32.
 */
static void find_creds_layout(const struct btf *btf, struct mmt_btf_layout *out)
{
	static const struct param_slot params[] = { SLOT("new", cc_arg_new) };

	if (find_args(btf, "commit_creds", params, 1, out) || !out->cc_arg_new) {
		out->cc_arg_new = 0;
		return;
	}
	out->off_cred_uid = cred_offset(btf, "uid");
	out->off_cred_euid = cred_offset(btf, "euid");
	out->off_cred_gid = cred_offset(btf, "gid");
}

int mmt_btf_layout_load(const char *path, struct mmt_btf_layout *out)
{
	struct btf btf = { 0 };
	char *data;
	int err;

	if (!path)
		path = MMT_BTF_VMLINUX;
	layout_init(out);
	/* sysfs gives a size for the blob, but it is read to EOF so as not to depend on it */
	err = mmt_read_file(path, SIZE_MAX, &data, &btf.size, NULL);
	if (err)
		return err;
	btf.data = (unsigned char *)data;
	err = btf_parse(&btf);
	if (err)
		goto out_free;
	err = find_do_mmap_args(&btf, out);
	if (err)
		goto out_free;

	out->off_file_f_inode = member_offset(&btf, "file", "f_inode", NULL);
	out->off_file_f_flags = member_offset(&btf, "file", "f_flags", &out->size_f_flags);
	out->off_inode_i_ino = member_offset(&btf, "inode", "i_ino", &out->size_i_ino);
	out->off_inode_i_sb = member_offset(&btf, "inode", "i_sb", NULL);
	out->off_sb_s_dev = member_offset(&btf, "super_block", "s_dev", &out->size_s_dev);
	find_ctime(&btf, out);
	find_mprotect_layout(&btf, out);
	find_creds_layout(&btf, out);
	snprintf(source_buf, sizeof(source_buf), "btf:%s", path);
	out->source = source_buf;

out_free:
	free(btf.type);
	free(btf.data);
	return err;
}

/*
 * Fallback for kernels whose BTF is missing (CONFIG_DEBUG_INFO_BTF=n). Values measured with
 * tests/btf-dump on Debian's stock amd64 kernels (bullseye's 5.10.0-NN, bookworm's 6.1.0-NN
 * and 6.12.NN+deb12) booted by scripts/qemu-run, and the same on their arm64 builds
 * (5.10.0-32, 6.1.0-57, 6.12.118: make check-arm64). A custom config or another distribution's kernel can lay the structs
 * out differently, so these may be wrong there: they are a guess, used only without BTF.
 * struct cred's ids sit at the same offsets in all six, behind an atomic_long_t usage
 * count (read from each image's BTF by bpftool); a row without cc_arg_new places no
 * commit_creds probe.
 */
static const struct {
	const char *prefix;	/* uname -r up to and including the dot after the minor */
	const char *source;
	struct mmt_btf_layout layout;
} fallbacks[] = {
	/* do_mmap has no vm_flags (6.6 added it back); mprotect_fixup has no vma_iterator (6.2) */
	{ "5.10.", "fallback:5.10", {
		.arg_file = 1, .arg_addr = 2, .arg_len = 3, .arg_prot = 4, .arg_flags = 5,
		.arg_vm_flags = 0, .arg_pgoff = 6,
		.off_file_f_inode = 32, .off_file_f_flags = 64, .off_inode_i_ino = 64,
		.off_inode_i_sb = 40, .off_sb_s_dev = 16,
		.off_inode_ctime_sec = 120, .off_inode_ctime_nsec = 128,
		.size_ctime_sec = 8, .size_ctime_nsec = 8,
		.size_i_ino = 8, .size_s_dev = 4, .size_f_flags = 4,
		.mp_arg_vma = 1, .mp_arg_start = 3, .mp_arg_end = 4, .mp_arg_newflags = 5,
		.off_vma_vm_flags = 80, .off_vma_vm_file = 160,
		.cc_arg_new = 1, .off_cred_uid = 8, .off_cred_euid = 24, .off_cred_gid = 12,
	} },
	{ "6.1.", "fallback:6.1", {
		.arg_file = 1, .arg_addr = 2, .arg_len = 3, .arg_prot = 4, .arg_flags = 5,
		.arg_vm_flags = 0, .arg_pgoff = 6,
		.off_file_f_inode = 32, .off_file_f_flags = 64, .off_inode_i_ino = 64,
		.off_inode_i_sb = 40, .off_sb_s_dev = 16,
		.off_inode_ctime_sec = 120, .off_inode_ctime_nsec = 128,
		.size_ctime_sec = 8, .size_ctime_nsec = 8,
		.size_i_ino = 8, .size_s_dev = 4, .size_f_flags = 4,
		.mp_arg_vma = 2, .mp_arg_start = 4, .mp_arg_end = 5, .mp_arg_newflags = 6,
		.off_vma_vm_flags = 32, .off_vma_vm_file = 112,
		.cc_arg_new = 1, .off_cred_uid = 8, .off_cred_euid = 24, .off_cred_gid = 12,
	} },
	{ "6.12.", "fallback:6.12", {
		.arg_file = 1, .arg_addr = 2, .arg_len = 3, .arg_prot = 4, .arg_flags = 5,
		.arg_vm_flags = 6, .arg_pgoff = 7,
		.off_file_f_inode = 40, .off_file_f_flags = 48, .off_inode_i_ino = 64,
		.off_inode_i_sb = 40, .off_sb_s_dev = 16,
		.off_inode_ctime_sec = 104, .off_inode_ctime_nsec = 120,
		.size_ctime_sec = 8, .size_ctime_nsec = 4,
		.size_i_ino = 8, .size_s_dev = 4, .size_f_flags = 4,
		.mp_arg_vma = 3, .mp_arg_start = 5, .mp_arg_end = 6, .mp_arg_newflags = 7,
		.off_vma_vm_flags = 32, .off_vma_vm_file = 128,
		.cc_arg_new = 1, .off_cred_uid = 8, .off_cred_euid = 24, .off_cred_gid = 12,
	} },
};

int mmt_btf_layout_fallback(const char *release, struct mmt_btf_layout *out)
{
	size_t i;

	for (i = 0; i < sizeof(fallbacks) / sizeof(fallbacks[0]); i++) {
		if (strncmp(release, fallbacks[i].prefix, strlen(fallbacks[i].prefix)))
			continue;
		*out = fallbacks[i].layout;
		out->source = fallbacks[i].source;
		return 0;
	}
	return -ENOENT;
}
