// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Workload 2, the exec storm: M times fork, execv(PROG) and wait. PROG is
 * bench/exec-child, linked with the project's libraries, so ld.so maps the
 * same dozen objects (PROT_EXEC text segments among them) in every child.
 *
 * Usage: exec-storm [-t TIMEFILE] M PROG
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"

int main(int argc, char **argv)
{
	const char *timefile;
	unsigned long m, i;
	uint64_t t0;

	int arg = mmt_bench_args(argc, argv, 2, "exec-storm [-t TIMEFILE] M PROG", &timefile);
	m = mmt_bench_count(argv[arg], "M");
	t0 = mmt_mono_ns();
	for (i = 0; i < m; i++) {
		char *child_argv[] = { argv[arg + 1], NULL };
		int status;
		pid_t pid = fork();

		if (pid < 0) {
			perror("fork");
			return 1;
		}
		if (pid == 0) {
			execv(child_argv[0], child_argv);
			_exit(127);
		}
		if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status)) {
			fprintf(stderr, "exec-storm: %s failed (status 0x%x)\n", child_argv[0],
				status);
			return 1;
		}
	}
	if (mmt_bench_report(timefile, mmt_mono_ns() - t0) < 0) {
		perror(timefile);
		return 1;
	}
	return 0;
}
