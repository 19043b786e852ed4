// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * tidmap's sweep against real processes: children that live, children that
 * exited and were reaped (their exit events "lost": nobody called del), and
 * a zombie (not reaped: its tid still exists). Prints one "ok:"/"FAIL:" line
 * per check; exit 1 if any failed.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tidmap.h"

#define N 200

static int fails;

static void check(const char *what, long want, long got)
{
	if (want == got) {
		printf("ok: %s = %ld\n", what, got);
	} else {
		printf("FAIL: %s: expected %ld, got %ld\n", what, want, got);
		fails++;
	}
}

static pid_t child(void)
{
	pid_t p = fork();

	if (p < 0) {
		perror("fork");
		exit(99);
	}
	if (p == 0) {
		pause();
		_exit(0);
	}
	return p;
}

int main(void)
{
	struct mmt_tidmap *m = mmt_tidmap_new(sizeof(long));
	pid_t kids[N], zombie;
	long *v;
	int i, present;

	if (!m)
		return 99;
	for (i = 0; i < N; i++) {
		kids[i] = child();
		v = mmt_tidmap_put(m, kids[i], NULL);
		if (!v)
			return 99;
		*v = kids[i];
	}
	zombie = child();
	if (!mmt_tidmap_put(m, zombie, NULL))
		return 99;
	/* The even half exits and is reaped; the zombie exits, not reaped. */
	for (i = 0; i < N; i += 2) {
		kill(kids[i], SIGKILL);
		waitpid(kids[i], NULL, 0);
	}
	kill(zombie, SIGKILL);
	usleep(100000);

	check("first sweep removes nothing (events may still be on their way)", 0,
	      (long)mmt_tidmap_sweep(m, mmt_tid_gone));
	check("second sweep removes the reaped", N / 2, (long)mmt_tidmap_sweep(m, mmt_tid_gone));
	check("entries left: the living and the zombie", N / 2 + 1, (long)mmt_tidmap_count(m));
	for (present = 0, i = 1; i < N; i += 2) {
		v = mmt_tidmap_get(m, kids[i]);
		present += v && *v == kids[i];
	}
	check("living children kept with their values", N / 2, present);
	for (present = 0, i = 0; i < N; i += 2)
		present += mmt_tidmap_get(m, kids[i]) != NULL;
	check("reaped children gone", 0, present);

	/* A thread found gone once, then alive again (tid reuse): the mark is cleared. */
	kill(kids[1], SIGKILL);
	waitpid(kids[1], NULL, 0);
	mmt_tidmap_sweep(m, mmt_tid_gone);
	check("one sweep after death: still there", 1, mmt_tidmap_get(m, kids[1]) != NULL);
	mmt_tidmap_del(m, kids[1]);
	v = mmt_tidmap_put(m, kids[1], NULL);	/* a new thread with the old id, alive */
	check("a new entry at a marked id survives one sweep", 1,
	      v && (mmt_tidmap_sweep(m, mmt_tid_gone), mmt_tidmap_get(m, kids[1]) != NULL));

	for (i = 3; i < N; i += 2) {
		kill(kids[i], SIGKILL);
		waitpid(kids[i], NULL, 0);
	}
	waitpid(zombie, NULL, 0);
	mmt_tidmap_sweep(m, mmt_tid_gone);
	mmt_tidmap_sweep(m, mmt_tid_gone);
	check("all gone after two sweeps", 0, (long)mmt_tidmap_count(m));
	mmt_tidmap_free(m);
	return fails ? 1 : 0;
}
