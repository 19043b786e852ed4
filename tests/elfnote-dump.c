// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * elfnote-dump FILE...: each file's build-id as src/elfnote.c reads it, one
 * "FILE\tHEX" line each ("-" when there is none; "error: -N" on a read
 * error), for tests/elfnote.test to compare with readelf.
 */
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "elfnote.h"

int main(int argc, char **argv)
{
	char hex[MMT_BUILD_ID_HEX];
	int i, fd, r, status = 0;

	for (i = 1; i < argc; i++) {
		fd = open(argv[i], O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			perror(argv[i]);
			status = 1;
			continue;
		}
		r = mmt_elf_build_id(fd, hex, sizeof(hex));
		if (r == 0)
			printf("%s\t%s\n", argv[i], hex);
		else if (r == -2)
			printf("%s\t-\n", argv[i]);
		else
			printf("%s\terror: %d\n", argv[i], r);
		close(fd);
	}
	return status;
}
