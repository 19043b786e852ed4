// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * setuid32 - tests/mapper's setuid-exec, built 32-bit and static (-m32 -static)
 *
 * Usage: setuid32 UID FILE
 * Opens FILE, calls setuid(UID) through the 32-bit (compat) system call, maps
 * FILE PROT_READ|PROT_EXEC at page offset 1 and exits at once: the compat
 * calls are invisible to syscall tracepoints, not to commit_creds. Static, so
 * that a 64-bit host needs no 32-bit libraries to run it.
 * Exit status: 0, 2 if a call failed (with a message).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	long page = sysconf(_SC_PAGESIZE);
	void *p;
	int fd;

	if (argc != 3) {
		fprintf(stderr, "usage: %s UID FILE\n", argv[0]);
		return 2;
	}
	fd = open(argv[2], O_RDONLY);
	if (fd < 0) {
		fprintf(stderr, "setuid32: open %s: %s\n", argv[2], strerror(errno));
		return 2;
	}
	if (setuid((uid_t)strtoul(argv[1], NULL, 10))) {
		fprintf(stderr, "setuid32: setuid %s: %s\n", argv[1], strerror(errno));
		return 2;
	}
	p = mmap(NULL, (size_t)page, PROT_READ | PROT_EXEC, MAP_PRIVATE, fd, page);
	if (p == MAP_FAILED) {
		fprintf(stderr, "setuid32: mmap: %s\n", strerror(errno));
		return 2;
	}
	printf("map=exec pid=%d addr=%lu\n", (int)getpid(), (unsigned long)p);
	return fflush(stdout) ? 2 : 0;
}
