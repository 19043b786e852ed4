/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef MMT_BTF_H
#define MMT_BTF_H

/* Kernel layout needed by the do_mmap, mprotect_fixup and commit_creds kprobes */

/**
 * struct mmt_btf_layout - where do_mmap's arguments and the fields we dereference live
 * @arg_file: 1-based kprobe $argN of do_mmap's @file parameter; 0 if absent
 * @arg_addr: likewise for addr
 * @arg_len: likewise for len
 * @arg_prot: likewise for prot
 * @arg_flags: likewise for flags
 * @arg_vm_flags: likewise for vm_flags (absent in 6.1, present again since 6.6)
 * @arg_pgoff: likewise for pgoff
 * @off_file_f_inode: byte offset of struct file.f_inode; -1 if unknown
 * @off_file_f_flags: byte offset of struct file.f_flags; -1 if unknown
 * @off_inode_i_ino: byte offset of struct inode.i_ino; -1 if unknown
 * @off_inode_i_sb: byte offset of struct inode.i_sb; -1 if unknown
 * @off_sb_s_dev: byte offset of struct super_block.s_dev; -1 if unknown
 * @off_inode_ctime_sec: byte offset in struct inode of the ctime seconds; -1 if unknown
 * @off_inode_ctime_nsec: byte offset in struct inode of the ctime nanoseconds; -1 if unknown
 * @size_ctime_sec: size in bytes of the ctime seconds field; 0 if unknown
 * @size_ctime_nsec: size in bytes of the ctime nanoseconds field (8 for a timespec64's
 *	tv_nsec, 4 for 6.11+ i_ctime_nsec); 0 if unknown
 * @size_i_ino: size in bytes of struct inode.i_ino; 0 if unknown
 * @size_s_dev: size in bytes of struct super_block.s_dev; 0 if unknown
 * @size_f_flags: size in bytes of struct file.f_flags; 0 if unknown
 * @mp_arg_vma: 1-based $argN of mprotect_fixup()'s @vma; 0 if mprotect_fixup is not in the BTF
 *	(then the kprobe backend watches mprotect through the syscall tracepoints)
 * @mp_arg_start: likewise for start
 * @mp_arg_end: likewise for end
 * @mp_arg_newflags: likewise for newflags
 * @off_vma_vm_flags: byte offset of struct vm_area_struct.vm_flags; -1 if unknown
 * @off_vma_vm_file: byte offset of struct vm_area_struct.vm_file; -1 if unknown
 * @cc_arg_new: 1-based $argN of commit_creds()'s @new (the task's credentials from now
 *	on); 0 if commit_creds is not in the BTF (then a task's ids come from /proc only)
 * @off_cred_uid: byte offset of struct cred.uid (a kuid_t: one u32); -1 if unknown or
 *	not 4 bytes wide
 * @off_cred_euid: likewise for struct cred.euid
 * @off_cred_gid: likewise for struct cred.gid (a kgid_t)
 * @source: where the values came from, e.g. "btf:/sys/kernel/btf/vmlinux" or "fallback:6.1";
 *	points to static storage, never freed by the caller
 */
struct mmt_btf_layout {
	int arg_file, arg_addr, arg_len, arg_prot, arg_flags, arg_vm_flags, arg_pgoff;
	int off_file_f_inode, off_file_f_flags, off_inode_i_ino, off_inode_i_sb, off_sb_s_dev;
	int off_inode_ctime_sec, off_inode_ctime_nsec;
	int size_ctime_sec, size_ctime_nsec;
	int size_i_ino, size_s_dev, size_f_flags;
	int mp_arg_vma, mp_arg_start, mp_arg_end, mp_arg_newflags;
	int off_vma_vm_flags, off_vma_vm_file;
	int cc_arg_new;
	int off_cred_uid, off_cred_euid, off_cred_gid;
	const char *source;
};

/* Default location of the running kernel's BTF */
#define MMT_BTF_VMLINUX "/sys/kernel/btf/vmlinux"

/**
 * mmt_btf_layout_load() - read the layout from a raw (base, not split) BTF blob
 * @path: BTF file, or NULL for %MMT_BTF_VMLINUX
 * @out: filled in; members not found in the BTF are left 0 (args, sizes) or -1 (offsets)
 *
 * Only little-endian BTF of a 64-bit kernel is understood. @out->source points to a
 * per-thread buffer that stays valid until the next call in the same thread.
 *
 * Return: 0 on success (do_mmap was found with at least file, addr and len), -ENOENT if
 * do_mmap or those parameters are missing, -EPROTO if the blob is not valid BTF, -ENOMEM,
 * or the -errno of opening/reading @path.
 */
int mmt_btf_layout_load(const char *path, struct mmt_btf_layout *out);

/**
 * mmt_btf_layout_fallback() - layout from a built-in table, for kernels without BTF
 * @release: kernel release as in uname -r, e.g. "6.1.0-56-amd64"
 * @out: filled in; @out->source is a string literal such as "fallback:6.1"
 *
 * The table holds values measured on Debian's stock kernels. A custom config (e.g. a
 * different struct randomisation or debug options) can move the offsets: prefer BTF.
 *
 * Return: 0, or -ENOENT if no entry matches @release's major.minor.
 */
int mmt_btf_layout_fallback(const char *release, struct mmt_btf_layout *out);

#endif /* MMT_BTF_H */
