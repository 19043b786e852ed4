// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * unit-protmap.c - drive the protection map (src/protmap.c) with commands and
 * print what it answers, for unit-protmap.test.
 *
 * Usage: unit-protmap CMD...
 *   set:PID:START:LEN:PROT   a call gave [START, START + LEN) PROT (numbers in hex)
 *   get:PID:ADDR             prints "PID ADDR PROT" in hex, or "PID ADDR -"
 *   forget:PID               the process called execve
 * Exit status: 0, 1 on a usage error or a failed set.
 */
#include <stdio.h>
#include <stdlib.h>

#include "protmap.h"

int main(int argc, char **argv)
{
	struct mmt_protmap *pm = mmt_protmap_new();
	unsigned long long a, b;
	unsigned int prot, p;
	int i, pid, r = 0;

	if (!pm)
		return 1;
	for (i = 1; i < argc && !r; i++) {
		if (sscanf(argv[i], "set:%d:%llx:%llx:%x", &pid, &a, &b, &p) == 4) {
			r = mmt_protmap_set(pm, pid, a, b, p) < 0;
		} else if (sscanf(argv[i], "get:%d:%llx", &pid, &a) == 2) {
			if (mmt_protmap_get(pm, pid, a, &prot) == 0)
				printf("%d %llx %x\n", pid, a, prot);
			else
				printf("%d %llx -\n", pid, a);
		} else if (sscanf(argv[i], "forget:%d", &pid) == 1) {
			mmt_protmap_forget(pm, pid);
		} else {
			fprintf(stderr, "unit-protmap: bad command %s\n", argv[i]);
			r = 1;
		}
	}
	mmt_protmap_free(pm);
	return r || fflush(stdout) ? 1 : 0;
}
