// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The traced program of the test suite: makes known mappings and prints
 * what it did, one "key=value ..." line per mapping, so a test can compare
 * the tracer's records with the truth (and with /proc/PID/maps while this
 * program waits). Modes:
 *   exec FILE        PROT_READ|PROT_EXEC of FILE at page offset 1
 *   anon             an anonymous mapping
 *   fixed            MAP_FIXED over a reserved range
 *   fail             mmap with a bad fd (EBADF)
 *   deleted FILE     map FILE PROT_EXEC, then unlink it
 *   threads N M FILE N threads map FILE M times each, at once
 *   fork FILE        a child maps FILE PROT_EXEC (and, like the parent, waits)
 *   many N           N anonymous mmap+munmap (for lost-event tests)
 *   exec-many N FILE map FILE PROT_EXEC N times
 *   rename-over F N  map F PROT_EXEC, then rename N over F (the path now names N)
 *   dlopen LIB       dlopen() LIB: ld.so maps it, as for any plugin
 *   devzero          map /dev/zero PROT_READ|PROT_EXEC
 *   ns-exec F DIR    in a new mount namespace, mount a tmpfs on DIR, copy F
 *                    to DIR/lib and map that (invisible from outside)
 *   replace F1 F2    map F1 at page offset 1, unmap it, map F2 at offset 0 at
 *                    the same address (a tracer must not report F2 for F1)
 * After the mappings it prints "ready PID" and waits for EOF on stdin
 * (unless -n: exit at once), so the test can look at /proc/PID/maps.
 * With -w it first prints "waiting PID" and maps only after a line on
 * stdin, so a tracer can attach (-p) before the mappings.
 */
#include <dlfcn.h>
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static long page;
static pthread_barrier_t barrier;
static pthread_mutex_t out_lock = PTHREAD_MUTEX_INITIALIZER;

static void report(const char *what, void *addr, size_t len, int prot, int flags, int fd,
		   off_t off)
{
	pthread_mutex_lock(&out_lock);
	printf("map=%s pid=%d tid=%ld addr=%lu len=%zu prot=%d flags=%d fd=%d pgoff=%lld\n", what,
	       (int)getpid(), (long)syscall(SYS_gettid), (unsigned long)addr, len, prot, flags,
	       fd, (long long)(off / page));
	fflush(stdout);
	pthread_mutex_unlock(&out_lock);
}

static void *map_or_die(void *hint, size_t len, int prot, int flags, int fd, off_t off,
			const char *what)
{
	void *p = mmap(hint, len, prot, flags, fd, off);

	if (p == MAP_FAILED) {
		fprintf(stderr, "mapper: mmap %s: %s\n", what, strerror(errno));
		exit(2);
	}
	report(what, p, len, prot, flags, fd, off);
	return p;
}

static int open_or_die(const char *path)
{
	int fd = open(path, O_RDONLY);

	if (fd < 0) {
		fprintf(stderr, "mapper: %s: %s\n", path, strerror(errno));
		exit(2);
	}
	return fd;
}

/* The fd stays open, so the tracer can still read its flags in fdinfo. */
static void map_exec(const char *path)
{
	int fd = open_or_die(path);

	map_or_die(NULL, (size_t)page, PROT_READ | PROT_EXEC, MAP_PRIVATE, fd, page, "exec");
}

static void wait_eof(void)
{
	char buf[64];

	while (read(0, buf, sizeof(buf)) > 0)
		;
}

struct thread_arg {
	const char *path;
	int count;
};

static void *thread_main(void *p)
{
	struct thread_arg *a = p;
	int fd = open_or_die(a->path), i;

	pthread_barrier_wait(&barrier);
	for (i = 0; i < a->count; i++)
		map_or_die(NULL, (size_t)page, PROT_READ, MAP_PRIVATE, fd, 0, "thread");
	close(fd);
	return NULL;
}

static void map_threads(int n, int count, const char *path)
{
	pthread_t *t = calloc((size_t)n, sizeof(*t));
	struct thread_arg a = { path, count };
	int i;

	pthread_barrier_init(&barrier, NULL, (unsigned int)n);
	for (i = 0; i < n; i++)
		if (pthread_create(&t[i], NULL, thread_main, &a))
			exit(2);
	for (i = 0; i < n; i++)
		pthread_join(t[i], NULL);
	free(t);
}

int main(int argc, char **argv)
{
	bool wait_stdin = true;
	int i = 1;

	page = sysconf(_SC_PAGESIZE);
	if (i < argc && !strcmp(argv[i], "-n")) {
		wait_stdin = false;
		i++;
	}
	if (i < argc && !strcmp(argv[i], "-w")) {
		char c = 0;

		printf("waiting %d\n", (int)getpid());
		fflush(stdout);
		while (c != '\n' && read(0, &c, 1) == 1)
			;
		i++;
	}
	if (i >= argc)
		return 2;
	if (!strcmp(argv[i], "exec") && i + 1 < argc) {
		map_exec(argv[i + 1]);
	} else if (!strcmp(argv[i], "anon")) {
		map_or_die(NULL, 3 * (size_t)page, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0, "anon");
	} else if (!strcmp(argv[i], "fixed")) {
		char *r = map_or_die(NULL, 4 * (size_t)page, PROT_NONE,
				     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0, "reserve");

		map_or_die(r + page, 2 * (size_t)page, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0, "fixed");
	} else if (!strcmp(argv[i], "fail")) {
		void *p = mmap(NULL, (size_t)page, PROT_READ, MAP_PRIVATE, 1000, 0);

		printf("map=fail pid=%d tid=%d errno=%d\n", (int)getpid(), (int)getpid(),
		       p == MAP_FAILED ? errno : 0);
	} else if (!strcmp(argv[i], "deleted") && i + 1 < argc) {
		map_exec(argv[i + 1]);
		if (unlink(argv[i + 1]) < 0)
			return 2;
	} else if (!strcmp(argv[i], "threads") && i + 3 < argc) {
		map_threads(atoi(argv[i + 1]), atoi(argv[i + 2]), argv[i + 3]);
	} else if (!strcmp(argv[i], "fork") && i + 1 < argc) {
		int sync[2], status;
		pid_t pid;
		char c;

		fflush(stdout);
		if (pipe(sync) < 0)
			return 2;
		pid = fork();
		if (pid == 0) {
			map_exec(argv[i + 1]);
			if (write(sync[1], "m", 1) != 1)
				_exit(2);
			if (wait_stdin)
				wait_eof();
			_exit(0);
		}
		if (pid < 0 || read(sync[0], &c, 1) != 1)
			return 2;
		printf("ready %d\n", (int)getpid());
		fflush(stdout);
		if (wait_stdin)
			wait_eof();
		return waitpid(pid, &status, 0) == pid && status == 0 ? 0 : 2;
	} else if (!strcmp(argv[i], "exec-many") && i + 2 < argc) {
		int n = atoi(argv[i + 1]), k, fd = open_or_die(argv[i + 2]);

		for (k = 0; k < n; k++)
			map_or_die(NULL, (size_t)page, PROT_READ | PROT_EXEC, MAP_PRIVATE, fd, 0,
				   "exec");
	} else if (!strcmp(argv[i], "rename-over") && i + 2 < argc) {
		map_exec(argv[i + 1]);
		if (rename(argv[i + 2], argv[i + 1]) < 0)
			return 2;
	} else if (!strcmp(argv[i], "ns-exec") && i + 2 < argc) {
		char path[4096], buf[8192];
		int in, out;
		ssize_t n;

		snprintf(path, sizeof(path), "%s/lib", argv[i + 2]);
		if (unshare(CLONE_NEWNS) || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) ||
		    mount("none", argv[i + 2], "tmpfs", 0, NULL)) {
			fprintf(stderr, "mapper: mount namespace: %s\n", strerror(errno));
			return 2;
		}
		in = open_or_die(argv[i + 1]);
		out = open(path, O_WRONLY | O_CREAT, 0755);
		if (out < 0)
			return 2;
		while ((n = read(in, buf, sizeof(buf))) > 0)
			if (write(out, buf, (size_t)n) != n)
				return 2;
		close(in);
		close(out);
		map_exec(path);
	} else if (!strcmp(argv[i], "dlopen") && i + 1 < argc) {
		if (!dlopen(argv[i + 1], RTLD_NOW)) {
			fprintf(stderr, "mapper: dlopen: %s\n", dlerror());
			return 2;
		}
		printf("map=dlopen pid=%d\n", (int)getpid());
	} else if (!strcmp(argv[i], "devzero")) {
		int fd = open_or_die("/dev/zero");

		map_or_die(NULL, (size_t)page, PROT_READ | PROT_EXEC, MAP_PRIVATE, fd, 0, "exec");
	} else if (!strcmp(argv[i], "replace") && i + 2 < argc) {
		int fd1 = open_or_die(argv[i + 1]), fd2 = open_or_die(argv[i + 2]);
		void *a = map_or_die(NULL, (size_t)page, PROT_READ | PROT_EXEC, MAP_PRIVATE, fd1,
				     page, "first");

		if (munmap(a, (size_t)page))
			return 2;
		map_or_die(a, (size_t)page, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_FIXED, fd2, 0,
			   "second");
	} else if (!strcmp(argv[i], "many") && i + 1 < argc) {
		int n = atoi(argv[i + 1]), k;

		for (k = 0; k < n; k++) {
			void *p = mmap(NULL, (size_t)page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS,
				       -1, 0);

			if (p == MAP_FAILED || munmap(p, (size_t)page))
				return 2;
		}
		printf("map=many count=%d\n", n);
	} else {
		fprintf(stderr, "mapper: bad mode %s\n", argv[i]);
		return 2;
	}
	printf("ready %d\n", (int)getpid());
	fflush(stdout);
	if (wait_stdin)
		wait_eof();
	return 0;
}
