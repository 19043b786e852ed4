// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * btf-dump - print the do_mmap, mprotect_fixup and commit_creds kprobe layout as key=value lines
 *
 * Usage: btf-dump [BTF-FILE]     (default /sys/kernel/btf/vmlinux)
 *        btf-dump --fallback RELEASE
 * Exit status: 0, 1 if the layout could not be had.
 */
#include <stdio.h>
#include <string.h>

#include "btf.h"

int main(int argc, char **argv)
{
	struct mmt_btf_layout l;
	int err;

	if (argc == 3 && !strcmp(argv[1], "--fallback"))
		err = mmt_btf_layout_fallback(argv[2], &l);
	else if (argc <= 2)
		err = mmt_btf_layout_load(argc == 2 ? argv[1] : NULL, &l);
	else {
		fprintf(stderr, "usage: %s [BTF-FILE] | --fallback RELEASE\n", argv[0]);
		return 2;
	}
	if (err) {
		fprintf(stderr, "btf-dump: %s\n", strerror(-err));
		return 1;
	}
	if (printf("source=%s\n"
		   "arg_file=%d\narg_addr=%d\narg_len=%d\narg_prot=%d\narg_flags=%d\n"
		   "arg_vm_flags=%d\narg_pgoff=%d\n"
		   "off_file_f_inode=%d\noff_file_f_flags=%d\noff_inode_i_ino=%d\n"
		   "off_inode_i_sb=%d\noff_sb_s_dev=%d\n"
		   "off_inode_ctime_sec=%d\noff_inode_ctime_nsec=%d\n"
		   "size_ctime_sec=%d\nsize_ctime_nsec=%d\n"
		   "size_i_ino=%d\nsize_s_dev=%d\nsize_f_flags=%d\n"
		   "mp_arg_vma=%d\nmp_arg_start=%d\nmp_arg_end=%d\nmp_arg_newflags=%d\n"
		   "off_vma_vm_flags=%d\noff_vma_vm_file=%d\n"
		   "cc_arg_new=%d\noff_cred_uid=%d\noff_cred_euid=%d\noff_cred_gid=%d\n",
		   l.source,
		   l.arg_file, l.arg_addr, l.arg_len, l.arg_prot, l.arg_flags,
		   l.arg_vm_flags, l.arg_pgoff,
		   l.off_file_f_inode, l.off_file_f_flags, l.off_inode_i_ino,
		   l.off_inode_i_sb, l.off_sb_s_dev,
		   l.off_inode_ctime_sec, l.off_inode_ctime_nsec,
		   l.size_ctime_sec, l.size_ctime_nsec,
		   l.size_i_ino, l.size_s_dev, l.size_f_flags,
		   l.mp_arg_vma, l.mp_arg_start, l.mp_arg_end, l.mp_arg_newflags,
		   l.off_vma_vm_flags, l.off_vma_vm_file,
		   l.cc_arg_new, l.off_cred_uid, l.off_cred_euid, l.off_cred_gid) < 0 ||
	    fflush(stdout))
		return 1;
	return 0;
}
