// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * unit-task - print what task.c reads about processes, for unit-task.test
 *
 * Usage: unit-task PID...      mmt_task_read() each PID
 *        unit-task -c PID...   the same through the thread table, plus the parent's entry
 *        unit-task -s          self-test of threads, of the details the thread table
 *                              keeps (the cache) and of its identities (PASS/FAIL lines)
 *
 * Each PID prints "[PID]", "result=0 or -errno" and key=value lines; bytes outside
 * 0x20..0x7e and the backslash print as \xNN, NULL prints as <null>.
 * Exit status: 0; 1 if a self-test failed or output failed; 2 on bad usage.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <linux/sched.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "task.h"
#include "thread.h"

static int failures;

static void print_escaped(const char *key, const char *s)
{
	if (!s) {
		printf("%s=<null>\n", key);
		return;
	}
	printf("%s=", key);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p < 0x20 || *p > 0x7e || *p == '\\')
			printf("\\x%02x", *p);
		else
			putchar(*p);
	}
	putchar('\n');
}

static void print_task(const char *prefix, const struct mmt_task *t)
{
	char key[64];

#define KEY(k) (snprintf(key, sizeof(key), "%s%s", prefix, k), key)
	printf("%s=%d\n", KEY("pid"), (int)t->pid);
	printf("%s=%d\n", KEY("tgid"), (int)t->tgid);
	printf("%s=%d\n", KEY("ppid"), (int)t->ppid);
	print_escaped(KEY("comm"), t->comm);
	printf("%s=%u\n", KEY("uid"), (unsigned int)t->uid);
	printf("%s=%u\n", KEY("gid"), (unsigned int)t->gid);
	print_escaped(KEY("user"), t->user);
	print_escaped(KEY("group"), t->group);
	printf("%s=%llu\n", KEY("start_time"), t->start_time);
	printf("%s=%llu\n", KEY("tg_start_time"), t->tg_start_time);
	printf("%s=%s\n", KEY("guuid"), t->guuid);
	printf("%s=%llu\n", KEY("mnt_ns"), t->mnt_ns);
	printf("%s=0x%x\n", KEY("flags"), t->flags);
	printf("%s=%s\n", KEY("zombie"), t->zombie ? "true" : "false");
	print_escaped(KEY("exe"), t->exe);
	print_escaped(KEY("cmdline"), t->cmdline);
	printf("%s=%zu\n", KEY("cmdline_len"), t->cmdline_len);
	printf("%s=%s\n", KEY("cmdline_truncated"), t->cmdline_truncated ? "true" : "false");
	print_escaped(KEY("ancestors"), t->ancestors);
	print_escaped(KEY("error"), t->error);
#undef KEY
}

static int dump(int argc, char **argv, bool cached)
{
	struct mmt_threads *c = NULL;

	if (cached) {
		c = mmt_threads_new(16);
		if (!c) {
			perror("unit-task: mmt_threads_new");
			return 1;
		}
	}
	for (int i = 0; i < argc; i++) {
		pid_t pid = atoi(argv[i]);

		printf("[%d]\n", (int)pid);
		if (cached) {
			const struct mmt_task *t, *p;

			t = mmt_threads_task(c, pid);
			if (!t) {
				printf("result=%d\n", -errno);
				continue;
			}
			printf("result=0\n");
			print_task("", t);
			p = mmt_threads_parent(c, t);
			if (p)
				print_task("parent.", p);
			else
				printf("parent=%d\n", -errno);
		} else {
			struct mmt_task t;
			int r = mmt_task_read(NULL, pid, &t);

			printf("result=%d\n", r);
			print_task("", &t);
			mmt_task_release(&t);
		}
	}
	mmt_threads_free(c);
	return 0;
}

static void check(bool ok, const char *what)
{
	printf("%s: %s\n", ok ? "PASS" : "FAIL", what);
	if (!ok)
		failures++;
}

struct thread_arg {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	pid_t tid;
	bool done;
};

static void *thread_main(void *p)
{
	struct thread_arg *a = p;

	/* a name with a control byte and a ')' that stat parsing must survive */
	if (prctl(PR_SET_NAME, "w) (\x01x", 0, 0, 0) < 0)
		return NULL;
	pthread_mutex_lock(&a->lock);
	a->tid = gettid();
	pthread_cond_broadcast(&a->cond);
	while (!a->done)
		pthread_cond_wait(&a->cond, &a->lock);
	pthread_mutex_unlock(&a->lock);
	return NULL;
}

static void selftest_thread(void)
{
	struct thread_arg a = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, false };
	struct mmt_task self, th;
	pthread_t thr;
	int r;

	if (pthread_create(&thr, NULL, thread_main, &a)) {
		check(false, "thread: pthread_create");
		return;
	}
	pthread_mutex_lock(&a.lock);
	while (!a.tid)
		pthread_cond_wait(&a.cond, &a.lock);
	pthread_mutex_unlock(&a.lock);

	r = mmt_task_read(NULL, getpid(), &self);
	check(r == 0, "thread: read self");
	r = mmt_task_read(NULL, a.tid, &th);
	check(r == 0, "thread: read thread");
	check(th.pid == a.tid && th.tgid == getpid(), "thread: pid is the tid, tgid the pid");
	check(!strcmp(th.comm, "w) (\x01x"), "thread: comm with ')' and \\x01");
	check(!strcmp(th.guuid, self.guuid), "thread: same guuid as its process");
	check(th.tg_start_time == self.start_time && th.start_time >= self.start_time,
	      "thread: start times");
	/* valgrind fakes /proc/PID/exe and cmdline for its client's pid, not for its tids */
	if (getenv("LD_PRELOAD") && strstr(getenv("LD_PRELOAD"), "vgpreload")) {
		printf("SKIP: thread: exe and cmdline (valgrind)\n");
	} else {
		check(th.exe && self.exe && !strcmp(th.exe, self.exe),
		      "thread: exe of the process");
		check(th.cmdline && self.cmdline && !strcmp(th.cmdline, self.cmdline),
		      "thread: cmdline of the process");
	}
	check(th.ppid == getppid(), "thread: ppid is the process's parent");
	mmt_task_release(&th);
	mmt_task_release(&self);
	mmt_task_release(&self);	/* documented as harmless */

	pthread_mutex_lock(&a.lock);
	a.done = true;
	pthread_cond_broadcast(&a.cond);
	pthread_mutex_unlock(&a.lock);
	pthread_join(thr, NULL);

	r = mmt_task_read(NULL, a.tid, &th);
	check(r == -ENOENT || r == -ESRCH, "thread: gone after join");
	check(th.error && strstr(th.error, "process gone"), "thread: error says gone");
	mmt_task_release(&th);
}

static void reap(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

static void *sleeper_main(void *p)
{
	int fd = *(int *)p;
	pid_t tid = gettid();

	if (write(fd, &tid, sizeof(tid)) != sizeof(tid))
		_exit(1);
	for (;;)
		pause();
	return NULL;
}

/* A process whose main thread has exited while another thread runs on */
static void selftest_leader_exited(void)
{
	struct mmt_task leader, th;
	struct timespec ts = { 0, 20 * 1000 * 1000 };
	int fds[2], r;
	pid_t pid, tid = 0;

	if (pipe(fds) < 0) {
		check(false, "leader exited: pipe");
		return;
	}
	pid = fork();
	if (pid == 0) {
		pthread_t thr;

		if (pthread_create(&thr, NULL, sleeper_main, &fds[1]))
			_exit(1);
		pthread_exit(NULL);
	}
	close(fds[1]);
	if (pid < 0 || read(fds[0], &tid, sizeof(tid)) != sizeof(tid)) {
		check(false, "leader exited: start");
		close(fds[0]);
		if (pid > 0)
			reap(pid);
		return;
	}
	close(fds[0]);
	for (int i = 0; i < 100; i++) {
		r = mmt_task_read(NULL, pid, &leader);
		if (r == 0 && leader.zombie)
			break;
		mmt_task_release(&leader);
		nanosleep(&ts, NULL);
	}
	check(leader.zombie, "leader exited: leader is a zombie");
	r = mmt_task_read(NULL, tid, &th);
	check(r == 0 && th.tgid == pid && !th.zombie, "leader exited: thread read");
	check(th.exe != NULL, "leader exited: thread still has the exe");
	check(!strcmp(th.guuid, leader.guuid), "leader exited: same guuid as the leader");
	mmt_task_release(&th);
	mmt_task_release(&leader);
	reap(pid);
}

/* A child that sleeps until killed; name set so that it can be told apart */
static pid_t spawn(const char *name)
{
	pid_t pid = fork();

	if (pid == 0) {
		prctl(PR_SET_NAME, name, 0, 0, 0);
		for (;;)
			pause();
	}
	return pid;
}

/* Give a new child the id of a dead one, if we may (CAP_SYS_ADMIN) */
static pid_t spawn_with_pid(pid_t want, const char *name)
{
	struct clone_args args;
	pid_t set_tid = want;
	long pid;

	memset(&args, 0, sizeof(args));
	args.exit_signal = SIGCHLD;
	args.set_tid = (uintptr_t)&set_tid;
	args.set_tid_size = 1;
	pid = syscall(SYS_clone3, &args, sizeof(args));
	if (pid == 0) {
		prctl(PR_SET_NAME, name, 0, 0, 0);
		for (;;)
			pause();
	}
	return pid;
}

static void selftest_cache(void)
{
	const struct mmt_task *t, *t2, *p;
	struct mmt_threads *c;
	char guuid[MMT_TASK_GUUID_LEN];
	struct timespec ts = { 0, 30 * 1000 * 1000 };
	pid_t a, b, d;

	c = mmt_threads_new(0);	/* taken as 2 */
	if (!c) {
		check(false, "cache: new");
		return;
	}
	a = spawn("cache-a");
	b = spawn("cache-b");
	if (a < 0 || b < 0) {
		check(false, "cache: fork");
		goto out_free;
	}
	/* the child names itself after fork: wait until it has */
	for (int i = 0; i < 100; i++) {
		struct mmt_task x;
		bool named;

		mmt_task_read(NULL, b, &x);
		named = !strcmp(x.comm, "cache-b");
		mmt_task_release(&x);
		mmt_task_read(NULL, a, &x);
		named = named && !strcmp(x.comm, "cache-a");
		mmt_task_release(&x);
		if (named)
			break;
		nanosleep(&ts, NULL);
	}

	t = mmt_threads_task(c, a);
	check(t && t->pid == a && !strcmp(t->comm, "cache-a"), "cache: miss reads");
	t2 = mmt_threads_task(c, a);
	check(t2 == t, "cache: hit returns the same entry");
	if (!t)
		goto out_reap;
	snprintf(guuid, sizeof(guuid), "%s", t->guuid);

	p = mmt_threads_parent(c, t);
	check(p && p->pid == getpid(), "cache: parent is us");
	check(t->pid == a, "cache: child entry still valid after parent()");

	/* a exits: its details must outlive it */
	reap(a);
	t = mmt_threads_task(c, a);
	check(t && t->pid == a && !strcmp(t->guuid, guuid), "cache: exited process still cached");

	mmt_threads_forget(c, a);
	t = mmt_threads_task(c, a);
	check(!t && (errno == ENOENT || errno == ESRCH), "cache: forgotten and gone");

	/* LRU with 2 entries: a hit must count as a use, unlike in a FIFO */
	t = mmt_threads_task(c, b);
	check(t && t->pid == b, "cache: read b");
	t = mmt_threads_task(c, getpid());
	check(t && t->pid == getpid(), "cache: read self");
	reap(b);
	t = mmt_threads_task(c, b);
	check(t && t->pid == b && !strcmp(t->comm, "cache-b"), "cache: b cached after exit");
	t = mmt_threads_task(c, getppid());	/* evicts self, the least recently used */
	t = mmt_threads_task(c, b);
	check(t && t->pid == b, "cache: b kept (LRU, not FIFO)");
	t = mmt_threads_task(c, getppid());
	t = mmt_threads_task(c, getpid());	/* evicts b */
	t = mmt_threads_task(c, b);
	check(!t, "cache: b evicted past max_entries");

	/* pid reuse: a new process under b's id must not be taken for b */
	b = spawn("reuse-1");
	t = b > 0 ? mmt_threads_task(c, b) : NULL;
	if (!t) {
		check(false, "cache: read reuse-1");
		goto out_free;
	}
	snprintf(guuid, sizeof(guuid), "%s", t->guuid);
	reap(b);
	nanosleep(&ts, NULL);	/* at least one clock tick, so start times differ */
	d = spawn_with_pid(b, "reuse-2");
	if (d < 0) {
		printf("SKIP: cache: pid reuse (clone3 set_tid: %s)\n", strerror(errno));
	} else {
		for (int i = 0; i < 100; i++) {
			struct mmt_task x;
			bool named;

			mmt_task_read(NULL, d, &x);
			named = !strcmp(x.comm, "reuse-2");
			mmt_task_release(&x);
			if (named)
				break;
			nanosleep(&ts, NULL);
		}
		t = mmt_threads_task(c, d);
		check(d == b && t && !strcmp(t->comm, "reuse-2") && strcmp(t->guuid, guuid),
		      "cache: reused pid read afresh");
		reap(d);
	}
	goto out_free;

out_reap:
	reap(a);
	reap(b);
out_free:
	mmt_threads_free(c);
}

/*
 * The identities the thread table keeps beside the details: learnt from task events,
 * one forget for both, counted, and swept once gone twice (their exit events lost).
 */
#define SWEEP_KIDS	8

static void selftest_identity(void)
{
	struct mmt_event ev = { .role = MMT_ROLE_TASK_NEW };
	pid_t kids[SWEEP_KIDS], gone;
	const struct mmt_thread *id;
	const struct mmt_task *t;
	struct mmt_threads *c;
	size_t kept = 0;
	int i;

	c = mmt_threads_new(2);
	if (!c) {
		check(false, "identity: new");
		return;
	}
	for (i = 0; i < SWEEP_KIDS; i++) {
		kids[i] = spawn("sweep-kid");
		if (kids[i] < 0) {
			check(false, "identity: fork");
			while (i--)
				reap(kids[i]);
			goto out_free;
		}
	}
	id = mmt_threads_get(c, getpid());
	check(id && id->tgid == getpid() && id->have_uid && id->uid == getuid(),
	      "identity: read from /proc");
	/*
	 * A new thread of ours, as task_newtask tells it, gone before /proc could be
	 * read: what the event said stays (our process, our user, its name).
	 */
	gone = spawn("gone");
	reap(gone);
	ev.tid = getpid();
	ev.child = gone;
	ev.clone_flags = CLONE_THREAD;
	ev.have = MMT_HAVE_COMM;
	snprintf(ev.comm, sizeof(ev.comm), "as-a-thread");
	check(mmt_threads_event(c, &ev) == 0, "identity: new task");
	id = mmt_threads_get(c, gone);
	/* All copied from its creator, as the kernel copies it: no /proc read. */
	check(id && id->probed && id->err == 0 && id->tgid == getpid() &&
	      !strcmp(id->comm, "as-a-thread") && id->have_uid && id->uid == getuid(),
	      "identity: creator's process and user");
	for (i = 0; i < SWEEP_KIDS; i++)
		mmt_threads_get(c, kids[i]);
	check(mmt_threads_count(c) == SWEEP_KIDS + 2, "identity: counted");

	/* Details of an identity kept are its own; they go with a forget, not a sweep. */
	t = mmt_threads_task(c, kids[1]);
	check(t && t->pid == kids[1], "identity: details beside the identity");
	t = mmt_threads_task(c, kids[4]);
	check(t && t->pid == kids[4], "identity: details of one to be reaped");
	ev.role = MMT_ROLE_TASK_RENAME;
	ev.tid = kids[2];
	ev.child = 0;
	snprintf(ev.comm, sizeof(ev.comm), "renamed");
	mmt_threads_event(c, &ev);
	id = mmt_threads_get(c, kids[2]);
	check(id && !strcmp(id->comm, "renamed"), "identity: rename");
	ev.role = MMT_ROLE_TASK_EXIT;
	ev.tid = kids[3];
	mmt_threads_event(c, &ev);
	check(mmt_threads_count(c) == SWEEP_KIDS + 1, "identity: exit forgets");

	/* The even kids are reaped, their exit events "lost", as was the gone one's. */
	for (i = 0; i < SWEEP_KIDS; i += 2)
		reap(kids[i]);
	check(mmt_threads_sweep(c) == 0, "identity: first sweep removes nothing");
	check(mmt_threads_sweep(c) == SWEEP_KIDS / 2 + 1,
	      "identity: second sweep removes the reaped");
	for (i = 1; i < SWEEP_KIDS; i += 2)
		kept += i != 3 && mmt_threads_get(c, kids[i])->probed;
	check(mmt_threads_count(c) == SWEEP_KIDS / 2, "identity: the living and us are kept");
	check(kept == SWEEP_KIDS / 2 - 1, "identity: kept without a new read");
	t = mmt_threads_task(c, kids[4]);
	check(t && t->pid == kids[4], "identity: details outlive the identity swept");
	mmt_threads_forget(c, kids[1]);
	check(mmt_threads_count(c) == SWEEP_KIDS / 2 - 1, "identity: forget");
	for (i = 1; i < SWEEP_KIDS; i += 2)
		reap(kids[i]);
	t = mmt_threads_task(c, kids[1]);
	check(!t, "identity: forget drops the details too");
out_free:
	mmt_threads_free(c);
}

/*
 * A process seen forking and exec'ing, gone before /proc could be read: its
 * details come from the events (parent, name, ids, exe, ancestors, guuid),
 * and its error names what no event carries. Ids a set*id() call changed
 * are unknown, unless commit_creds's event said them, and so are a
 * creator's ids when such calls are not traced.
 */
static void selftest_composed(void)
{
	struct mmt_event ev = { .role = MMT_ROLE_TASK_NEW };
	const struct mmt_task *me, *t, *parent;
	const struct mmt_thread *th;
	char want_anc[8192], guuid[MMT_TASK_GUUID_LEN], my_exe[4096];
	struct mmt_threads *c;
	struct timespec now;
	pid_t gone;

	c = mmt_threads_new(16);
	if (!c) {
		check(false, "composed: new");
		return;
	}
	mmt_threads_track_creds(c, true);
	check(mmt_threads_get(c, getpid()) != NULL, "composed: our identity");
	me = mmt_threads_task(c, getpid());
	if (!me || !me->ancestors || !me->exe) {
		check(false, "composed: our own details");
		goto out_free;
	}
	snprintf(want_anc, sizeof(want_anc), "%s%s%s", me->ancestors, *me->ancestors ? "|" : "",
		 me->exe);
	snprintf(my_exe, sizeof(my_exe), "%s", me->exe);
	gone = spawn("gone");
	reap(gone);
	clock_gettime(CLOCK_MONOTONIC, &now);
	ev.ts = (uint64_t)now.tv_sec * 1000000000 + (uint64_t)now.tv_nsec;
	ev.tid = getpid();
	ev.child = gone;
	ev.have = MMT_HAVE_COMM;
	snprintf(ev.comm, sizeof(ev.comm), "forked");
	check(mmt_threads_event(c, &ev) == 0, "composed: fork");
	ev.role = MMT_ROLE_TASK_COMM;
	ev.tid = gone;
	snprintf(ev.comm, sizeof(ev.comm), "payload");
	check(mmt_threads_event(c, &ev) == 0, "composed: exec's name");
	ev.role = MMT_ROLE_TASK_EXEC;
	check(mmt_threads_event(c, &ev) == 0, "composed: exec");
	check(mmt_threads_set_exe(c, gone, "/tmp/payload") == 0, "composed: exe");

	t = mmt_threads_task(c, gone);
	check(t && t->pid == gone && t->tgid == gone && t->ppid == getpid(), "composed: ids");
	check(t && !strcmp(t->comm, "payload"), "composed: the exec's name");
	check(t && t->uid == getuid() && t->gid == getgid() && t->user, "composed: the creator's user");
	check(t && t->exe && !strcmp(t->exe, "/tmp/payload"), "composed: the kernel's exe");
	check(t && t->ancestors && !strcmp(t->ancestors, want_anc),
	      "composed: ancestors are the parent's and the parent");
	check(t && !t->cmdline && !t->zombie && t->guuid[0] != '?' && strlen(t->guuid) == 36,
	      "composed: no command line; a guuid");
	check(t && t->error && strstr(t->error, "process gone before /proc could show it") &&
	      !strstr(t->error, "uid"), "composed: error names what is missing");
	if (t)
		snprintf(guuid, sizeof(guuid), "%s", t->guuid);
	parent = t ? mmt_threads_parent(c, t) : NULL;
	check(parent && parent->pid == getpid(), "composed: parent_task is us");

	/* A set*id() call: the ids are no longer known. The guuid stays. */
	ev.role = MMT_ROLE_TASK_CREDS;
	check(mmt_threads_event(c, &ev) == 0, "composed: ids changed");
	t = mmt_threads_task(c, gone);
	check(t && t->uid == (uid_t)-1 && t->error && strstr(t->error, "uid and gid unknown"),
	      "composed: changed ids unknown");
	check(t && !strcmp(t->guuid, guuid), "composed: the same guuid");

	/* commit_creds's event says the new ids themselves: no /proc needed for them. */
	ev.have = MMT_HAVE_IDS;
	ev.uid = 65534;
	ev.euid = 65533;
	ev.gid = 65532;
	check(mmt_threads_event(c, &ev) == 0, "composed: commit_creds");
	t = mmt_threads_task(c, gone);
	check(t && t->uid == 65534 && t->gid == 65532 && t->error &&
	      !strstr(t->error, "uid and gid unknown"), "composed: commit_creds's ids");
	check(t && !strcmp(t->guuid, guuid), "composed: the same guuid after commit_creds");
	th = mmt_threads_get(c, gone);
	check(th && th->have_uid && th->uid == 65534 && th->euid == 65533,
	      "composed: commit_creds's euid, for --uid");
	ev.have = MMT_HAVE_COMM;

	/* Calls that change ids not traced: a child's ids are not taken from its creator. */
	mmt_threads_track_creds(c, false);
	ev.role = MMT_ROLE_TASK_NEW;
	ev.tid = getpid();
	ev.child = gone;
	check(mmt_threads_event(c, &ev) == 0, "composed: fork again");
	t = mmt_threads_task(c, gone);
	check(t && t->uid == (uid_t)-1 && t->exe && !strcmp(t->exe, my_exe),
	      "composed: untraced ids unknown; exe the creator's");
out_free:
	mmt_threads_free(c);
}

int main(int argc, char **argv)
{
	int r;

	if (argc == 2 && !strcmp(argv[1], "-s")) {
		selftest_thread();
		selftest_leader_exited();
		selftest_cache();
		selftest_identity();
		selftest_composed();
		r = failures ? 1 : 0;
	} else if (argc >= 2 && !strcmp(argv[1], "-c")) {
		r = dump(argc - 2, argv + 2, true);
	} else if (argc >= 2 && argv[1][0] != '-') {
		r = dump(argc - 1, argv + 1, false);
	} else {
		fprintf(stderr, "usage: %s PID... | -c PID... | -s\n", argv[0]);
		return 2;
	}
	/* printf's errors are sticky in the stream: check them once, here */
	if (fflush(stdout) == EOF || ferror(stdout)) {
		perror("unit-task: stdout");
		return 1;
	}
	return r;
}
