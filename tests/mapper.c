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
 *   exec-storm N FILE  map a page of FILE PROT_EXEC and unmap it at once, N times
 *                    (one fd; prints only "map=storm count=N")
 *   rename-over F N  map F PROT_EXEC, then rename N over F (the path now names N)
 *   dlopen LIB       dlopen() LIB: ld.so maps it, as for any plugin
 *   devzero          map /dev/zero PROT_READ|PROT_EXEC
 *   ns-exec F DIR    in a new mount namespace, mount a tmpfs on DIR, copy F
 *                    to DIR/lib and map that (invisible from outside)
 *   replace F1 F2    map F1 at page offset 1, unmap it, map F2 at offset 0 at
 *                    the same address (a tracer must not report F2 for F1)
 *   try FILE         open FILE O_RDONLY|O_NONBLOCK (a FIFO does not block), map it
 *                    PROT_READ|PROT_EXEC at page 0; prints "map=try errno=E" if that fails
 *   memfd FILE       copy FILE into a memfd and map that PROT_EXEC at page offset 1
 *   symlink-swap L F map L (a symlink) PROT_EXEC at page 1, then point L at F
 *   comm NAME FILE [MS]  set the thread's name (prctl) to NAME, then map FILE
 *                    PROT_EXEC; with MS, first sleep MS ms (so a tracer has surely
 *                    seen ld.so's PROT_EXEC mappings under the old name)
 *   double-fork FILE [reaper]  a grandchild, re-parented when its parent exits at
 *                    once, maps FILE PROT_EXEC and prints "map=reparented ppid=P" (its
 *                    new parent) and "ready"; the first process waits too (with
 *                    "reaper", as a child subreaper: it becomes the new parent)
 *   leader-exit N M FILE  N threads map FILE M times each after the main thread has
 *                    called pthread_exit(); the last thread prints "ready"
 *   pid-reuse F1 F2  a child maps F1 at page 1 and exits at once; a second child gets
 *                    the same pid (clone3 set_tid) and maps F2 at page 1 at the same
 *                    address, then waits: "map=reuse pid=P addr=A between=T" (T: UTC ns
 *                    after the first exited, 20 ms before the second was made)
 *   stress S P T     for S seconds keep P processes alive, each with T threads that map
 *                    anonymous PROT_READ MAP_FIXED into a region of their own (then the
 *                    process exits and another is forked); "region tid=T start=A" per
 *                    thread, then "map=stress count=N" (successful mmaps in all); each
 *                    thread maps 100 times, paced by a 1 ms sleep every 4 mappings
 *   jit              map an anonymous page PROT_READ|PROT_WRITE, write a "ret" into it,
 *                    mprotect it PROT_READ|PROT_EXEC and call it; then PROT_READ|PROT_WRITE
 *                    and PROT_READ|PROT_EXEC again (W^X flipping, as JITs do):
 *                    "map=jit addr=A len=L" and "mprotect=exec addr=A len=L prot=P prev=P"
 *                    for each of the two
 *   wx               map an anonymous page PROT_READ|PROT_WRITE|PROT_EXEC ("map=wx"), then
 *                    another PROT_READ|PROT_WRITE and mprotect it to all three
 *                    ("mprotect=wx")
 *   memfd-mprotect F copy F into a memfd, map it PROT_READ at page 0, then mprotect it
 *                    PROT_READ|PROT_EXEC: the fileless loader's way ("mprotect=memfd")
 *   pkey             an anonymous page PROT_READ|PROT_WRITE made PROT_READ|PROT_EXEC by
 *                    pkey_mprotect() with the default key (-1): "mprotect=pkey"
 *                    ("mprotect=pkey errno=ENOSYS" on a kernel without the call)
 *   hang-exec FILE PID [reads]  open FILE, send PID SIGUSR1 (tests/fusehang.c: its
 *                    filesystem stops answering; with "reads", SIGUSR2: only reads), wait
 *                    100 ms, then map it as exec does ("map=exec"); at a line on stdin,
 *                    map it again ("map=again"). PID 0: print "opened" and wait for
 *                    SIGUSR1 instead (for a mapper that may not signal the server)
 *   noexec FILE DIR  map FILE (on the mount at DIR) PROT_READ at page 0, remount DIR
 *                    noexec, try to map FILE PROT_EXEC ("map=try errno=E": the kernel
 *                    refuses), then mprotect the first mapping PROT_READ|PROT_EXEC, which
 *                    the kernel allows (it was mapped before the remount): "mprotect=noexec"
 *   loaders FILE     exec FILE, then jit, memfd-mprotect FILE and pkey: one process for
 *                    the guest kernels, where each process costs seconds
 *   unlinked FILE    open FILE, unlink it, then map it PROT_EXEC at page offset 1
 *   setuid-exec UID FILE  open FILE, setuid(UID), then map it PROT_EXEC at page offset 1
 *                    ("map=exec"): with -n the process is gone a moment after its ids
 *                    changed, before a tracer could read them in /proc
 *   self-delete FILE unlink this program's own executable, then map FILE PROT_EXEC
 *   shared-zero MB   map MB MiB of /dev/zero MAP_SHARED, then as much MAP_SHARED|MAP_ANONYMOUS,
 *                    both PROT_READ|PROT_EXEC ("map=zero", "map=shanon"): shared memory
 *                    that a tracer must not read as a file
 *   drip N MS FILE   map FILE PROT_EXEC at page offset 1, N times, MS ms apart ("map=drip
 *                    ..." each): a process that maps while a tracer attaches
 *   lease FILE [only]  hold a write lease (SIGIO ignored: never given up) on FILE and
 *                    (without "only") on its own /proc/self/{cmdline,maps,stat,status,
 *                    environ}, then map FILE PROT_EXEC at page offset 1: whoever opens
 *                    one of them blocks for the lease-break time; "lease=file,maps,..." says which
 *                    were taken
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
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <stdatomic.h>
#include <linux/sched.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <time.h>
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

static void mprotect_or_die(void *addr, size_t len, int prot, int prev, const char *what)
{
	if (mprotect(addr, len, prot)) {
		fprintf(stderr, "mapper: mprotect %s: %s\n", what, strerror(errno));
		exit(2);
	}
	printf("mprotect=%s pid=%d addr=%lu len=%zu prot=%d prev=%d\n", what, (int)getpid(),
	       (unsigned long)addr, len, prot, prev);
	fflush(stdout);
}

/* The JIT's way: write code into RW memory, make it RX, run it. */
static void jit(void)
{
	unsigned char *code = map_or_die(NULL, (size_t)page, PROT_READ | PROT_WRITE,
					 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0, "jit");
	int i;

	for (i = 0; i < 2; i++) {
#if defined(__aarch64__)
		static const unsigned char ret[] = { 0xc0, 0x03, 0x5f, 0xd6 };	/* "ret" */
#else
		static const unsigned char ret[] = { 0xc3 };	/* x86-64 "ret" */
#endif
		memcpy(code, ret, sizeof(ret));
		/* arm64's instruction cache does not see the data cache's writes by itself */
		__builtin___clear_cache((char *)code, (char *)code + sizeof(ret));
		mprotect_or_die(code, (size_t)page, PROT_READ | PROT_EXEC, PROT_READ | PROT_WRITE,
				"exec");
		((void (*)(void))code)();
		if (!i && mprotect(code, (size_t)page, PROT_READ | PROT_WRITE))
			exit(2);
	}
}

static int open_or_die(const char *path);
static void copy_fd(int in, int out);

/* The fileless loader's way: a memfd mapped read-only, then made executable. */
static void memfd_mprotect(const char *path)
{
	int in = open_or_die(path), fd = memfd_create("loader", MFD_CLOEXEC);
	void *p;

	if (fd < 0)
		exit(2);
	copy_fd(in, fd);
	close(in);
	p = map_or_die(NULL, (size_t)page, PROT_READ, MAP_PRIVATE, fd, 0, "memfd");
	mprotect_or_die(p, (size_t)page, PROT_READ | PROT_EXEC, PROT_READ, "memfd");
}

/* pkey_mprotect() with no key is mprotect() by another syscall: a tracer must see both. */
static void pkey_exec(void)
{
	void *p = map_or_die(NULL, (size_t)page, PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0, "pkey");

	if (syscall(SYS_pkey_mprotect, p, (size_t)page, PROT_READ | PROT_EXEC, -1)) {
		/* arm64 has protection keys only from 6.12 on: before, no such call */
		if (errno == ENOSYS) {
			printf("mprotect=pkey errno=ENOSYS\n");
			fflush(stdout);
			return;
		}
		fprintf(stderr, "mapper: pkey_mprotect: %s\n", strerror(errno));
		exit(2);
	}
	printf("mprotect=pkey pid=%d addr=%lu len=%zu prot=%d prev=%d\n", (int)getpid(),
	       (unsigned long)p, (size_t)page, PROT_READ | PROT_EXEC, PROT_READ | PROT_WRITE);
	fflush(stdout);
}

/*
 * Code from a noexec mount: mmap(PROT_EXEC) is refused there, but a mapping
 * made before the remount keeps VM_MAYEXEC, so mprotect() still makes it
 * executable.
 */
static void noexec_mprotect(const char *path, const char *dir)
{
	int fd = open_or_die(path);
	void *p = map_or_die(NULL, (size_t)page, PROT_READ, MAP_PRIVATE, fd, 0, "ro");
	void *q;

	if (mount(NULL, dir, NULL, MS_REMOUNT | MS_NOEXEC, NULL)) {
		fprintf(stderr, "mapper: remount %s noexec: %s\n", dir, strerror(errno));
		exit(2);
	}
	q = mmap(NULL, (size_t)page, PROT_READ | PROT_EXEC, MAP_PRIVATE, fd, 0);
	printf("map=try errno=%d\n", q == MAP_FAILED ? errno : 0);
	mprotect_or_die(p, (size_t)page, PROT_READ | PROT_EXEC, PROT_READ, "noexec");
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

/* Opened first: the new user need not be able to read FILE. */
static void setuid_exec(const char *uid, const char *path)
{
	int fd = open_or_die(path);

	if (setuid((uid_t)strtoul(uid, NULL, 10))) {
		fprintf(stderr, "mapper: setuid %s: %s\n", uid, strerror(errno));
		exit(2);
	}
	map_or_die(NULL, (size_t)page, PROT_READ | PROT_EXEC, MAP_PRIVATE, fd, page, "exec");
}

/* Whether a whole line came on stdin (not EOF). */
static bool getline_stdin(void)
{
	char c = 0;

	while (c != '\n')
		if (read(0, &c, 1) != 1)
			return false;
	return true;
}

/* Opened while the filesystem answers, mapped once it does not: mmap() asks it nothing. */
static void map_exec_hang(const char *path, pid_t server, int sig)
{
	int fd = open_or_die(path);
	sigset_t set;
	int got;

	/* PID 0: whoever may signal the server does, then sends us SIGUSR1 to go on. */
	if (server == 0) {
		sigemptyset(&set);
		sigaddset(&set, SIGUSR1);
		sigprocmask(SIG_BLOCK, &set, NULL);
		printf("opened\n");
		fflush(stdout);
		if (sigwait(&set, &got) != 0)
			exit(2);
	} else if (kill(server, sig) < 0) {
		fprintf(stderr, "mapper: kill %d: %s\n", (int)server, strerror(errno));
		exit(2);
	}
	usleep(100000);
	map_or_die(NULL, (size_t)page, PROT_READ | PROT_EXEC, MAP_PRIVATE, fd, page, "exec");
	if (!getline_stdin())
		return;
	map_or_die(NULL, (size_t)page, PROT_READ | PROT_EXEC, MAP_PRIVATE, fd, page, "again");
}

/* A write lease on @fd, kept: SIGIO (the break notice) is ignored. Return: 1 if taken. */
static int hold_lease(int fd)
{
	return fd >= 0 && fcntl(fd, F_SETLEASE, F_WRLCK) == 0;
}

static void map_leased(const char *path, bool proc_too)
{
	static const char *const proc[] = { "cmdline", "maps", "stat", "status", "environ" };
	char name[64];
	size_t k;
	int fd;

	signal(SIGIO, SIG_IGN);
	fd = open_or_die(path);
	if (!hold_lease(fd)) {
		fprintf(stderr, "mapper: lease on %s: %s\n", path, strerror(errno));
		exit(2);
	}
	printf("lease=file");
	/* One may be open by a reader right now (a write lease then fails): said, not fatal. */
	for (k = 0; proc_too && k < sizeof(proc) / sizeof(proc[0]); k++) {
		snprintf(name, sizeof(name), "/proc/self/%s", proc[k]);
		if (hold_lease(open(name, O_RDONLY)))
			printf(",%s", proc[k]);
	}
	printf("\n");
	map_or_die(NULL, (size_t)page, PROT_READ | PROT_EXEC, MAP_PRIVATE, fd, page, "lease");
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

/* Maps @fd PROT_READ|PROT_EXEC at page offset 1, as map_exec() does. */
static void map_exec_fd(int fd)
{
	map_or_die(NULL, (size_t)page, PROT_READ | PROT_EXEC, MAP_PRIVATE, fd, page, "exec");
}

static void copy_fd(int in, int out)
{
	char buf[8192];
	ssize_t n;

	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, (size_t)n) != n)
			exit(2);
}

struct leader_arg {
	const char *path;
	int count, n;
};

static atomic_int leader_left;

/* The threads go on after main's pthread_exit(); the last one to finish reports. */
static void *leader_thread(void *p)
{
	struct leader_arg *a = p;
	int fd = open_or_die(a->path), i;

	pthread_barrier_wait(&barrier);
	for (i = 0; i < a->count; i++)
		map_or_die(NULL, (size_t)page, PROT_READ | PROT_EXEC, MAP_PRIVATE, fd, 0, "thread");
	if (atomic_fetch_sub(&leader_left, 1) == 1) {
		printf("ready %d\n", (int)getpid());
		fflush(stdout);
		wait_eof();
		exit(0);
	}
	pause();
	return NULL;
}

/* clone3() with set_tid: needs CAP_CHECKPOINT_RESTORE (root). */
static pid_t fork_with_pid(pid_t want)
{
	struct clone_args ca = { .exit_signal = SIGCHLD };
	pid_t tid = want;

	if (want) {
		ca.set_tid = (uint64_t)(uintptr_t)&tid;
		ca.set_tid_size = 1;
	}
	fflush(stdout);
	return (pid_t)syscall(SYS_clone3, &ca, sizeof(ca));
}

static void pid_reuse(const char *f1, const char *f2)
{
	char *region = map_or_die(NULL, 4 * (size_t)page, PROT_NONE,
				  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0, "reserve");
	struct timespec between;
	pid_t first, second;
	int status;

	first = fork_with_pid(0);
	if (first < 0)
		exit(2);
	if (first == 0) {
		mmap(region + page, (size_t)page, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_FIXED,
		     open_or_die(f1), page) == MAP_FAILED ? _exit(2) : _exit(0);
	}
	if (waitpid(first, &status, 0) != first || status)
		exit(2);
	clock_gettime(CLOCK_REALTIME, &between);
	/* Past the RCU-delayed free that drops the old task's pid from set_event_pid. */
	usleep(20000);
	second = fork_with_pid(first);
	if (second < 0) {
		fprintf(stderr, "mapper: clone3 set_tid %d: %s\n", (int)first, strerror(errno));
		exit(3);
	}
	if (second == 0) {
		map_or_die(region + page, (size_t)page, PROT_READ | PROT_EXEC,
			   MAP_PRIVATE | MAP_FIXED, open_or_die(f2), page, "second");
		printf("map=reuse pid=%d addr=%lu between=%lld%09ld\nready %d\n", (int)getpid(),
		       (unsigned long)(region + page), (long long)between.tv_sec, between.tv_nsec,
		       (int)getpid());
		fflush(stdout);
		wait_eof();
		_exit(0);
	}
	waitpid(second, &status, 0);
	exit(status ? 2 : 0);
}

static atomic_ullong *stress_count;
static double stress_end;

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * A thread maps k+1 pages at slot k (of 4 pages) of its own region, k = i % 4:
 * a record whose address is not in its thread's region, or whose slot does
 * not fit its length, paired an entry with the wrong return.
 */
static void *stress_thread(void *p)
{
	char *region = mmap(NULL, 16 * (size_t)page, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	unsigned long long n = 0;
	int i;

	(void)p;
	if (region == MAP_FAILED)
		return NULL;
	report("region", region, 16 * (size_t)page, PROT_NONE, 0, -1, 0);
	for (i = 0; i < 100; i++) {
		int k = i % 4;

		/* Paced: a load the reader can mostly keep up with, not a flood. */
		if (!k && i)
			usleep(1000);
		if (mmap(region + 4 * k * page, (size_t)(k + 1) * (size_t)page, PROT_READ,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) != MAP_FAILED)
			n++;
	}
	atomic_fetch_add(stress_count, n);
	return NULL;
}

static void stress_process(int nthreads)
{
	pthread_t t[64];
	int i;

	for (i = 0; i < nthreads && i < 64; i++)
		if (pthread_create(&t[i], NULL, stress_thread, NULL))
			t[i] = 0;
	for (i = 0; i < nthreads && i < 64; i++)
		if (t[i])
			pthread_join(t[i], NULL);
	_exit(0);
}

static void stress(double secs, int nproc, int nthreads)
{
	int alive = 0, status;

	stress_count = mmap(NULL, sizeof(*stress_count), PROT_READ | PROT_WRITE,
			    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (stress_count == MAP_FAILED)
		exit(2);
	stress_end = now_s() + secs;
	while (now_s() < stress_end || alive) {
		while (alive < nproc && now_s() < stress_end) {
			pid_t pid;

			fflush(stdout);
			pid = fork();
			if (pid == 0)
				stress_process(nthreads);
			if (pid < 0)
				break;
			alive++;
		}
		if (wait(&status) > 0)
			alive--;
		else
			break;
	}
	printf("map=stress count=%llu\n", (unsigned long long)atomic_load(stress_count));
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
	} else if (!strcmp(argv[i], "setuid-exec") && i + 2 < argc) {
		setuid_exec(argv[i + 1], argv[i + 2]);
	} else if (!strcmp(argv[i], "hang-exec") && i + 2 < argc) {
		map_exec_hang(argv[i + 1], (pid_t)atoi(argv[i + 2]),
			      i + 3 < argc && !strcmp(argv[i + 3], "reads") ? SIGUSR2 : SIGUSR1);
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
	} else if (!strcmp(argv[i], "exec-storm") && i + 2 < argc) {
		int n = atoi(argv[i + 1]), k, fd = open_or_die(argv[i + 2]);

		for (k = 0; k < n; k++) {
			void *p = mmap(NULL, (size_t)page, PROT_READ | PROT_EXEC, MAP_PRIVATE, fd, 0);

			if (p == MAP_FAILED || munmap(p, (size_t)page))
				return 2;
		}
		printf("map=storm count=%d\n", n);
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
	} else if (!strcmp(argv[i], "mremap-swap") && i + 2 < argc) {
		/*
		 * The payload mapped PROT_EXEC, moved away with mremap (which no
		 * probe traces), a benign file mapped where it was: /proc then
		 * shows the benign file at the payload's address.
		 */
		int fd1 = open_or_die(argv[i + 1]), fd2 = open_or_die(argv[i + 2]);
		void *a = map_or_die(NULL, (size_t)page, PROT_READ | PROT_EXEC, MAP_PRIVATE, fd1,
				     page, "payload");
		void *away = map_or_die(NULL, (size_t)page, PROT_NONE,
					MAP_PRIVATE | MAP_ANONYMOUS, -1, 0, "away");

		if (mremap(a, (size_t)page, (size_t)page, MREMAP_MAYMOVE | MREMAP_FIXED, away) != away)
			return 2;
		map_or_die(a, (size_t)page, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_FIXED, fd2, page,
			   "benign");
	} else if (!strcmp(argv[i], "many") && i + 1 < argc) {
		int n = atoi(argv[i + 1]), k;

		for (k = 0; k < n; k++) {
			void *p = mmap(NULL, (size_t)page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS,
				       -1, 0);

			if (p == MAP_FAILED || munmap(p, (size_t)page))
				return 2;
		}
		printf("map=many count=%d\n", n);
	} else if (!strcmp(argv[i], "shared-zero") && i + 1 < argc) {
		size_t len = (size_t)atoi(argv[i + 1]) << 20;
		int fd = open("/dev/zero", O_RDWR);

		if (fd < 0)
			return 2;
		map_or_die(NULL, len, PROT_READ | PROT_EXEC, MAP_SHARED, fd, 0, "zero");
		map_or_die(NULL, len, PROT_READ | PROT_EXEC, MAP_SHARED | MAP_ANONYMOUS, -1, 0,
			   "shanon");
	} else if (!strcmp(argv[i], "drip") && i + 3 < argc) {
		int n = atoi(argv[i + 1]), k, fd = open_or_die(argv[i + 3]);
		struct timespec gap = { atoi(argv[i + 2]) / 1000, atoi(argv[i + 2]) % 1000 * 1000000L };

		for (k = 0; k < n; k++) {
			map_or_die(NULL, (size_t)page, PROT_READ | PROT_EXEC, MAP_PRIVATE, fd, page,
				   "drip");
			nanosleep(&gap, NULL);
		}
	} else if (!strcmp(argv[i], "lease") && i + 1 < argc) {
		map_leased(argv[i + 1], !(i + 2 < argc && !strcmp(argv[i + 2], "only")));
	} else if (!strcmp(argv[i], "try") && i + 1 < argc) {
		int fd = open(argv[i + 1], O_RDONLY | O_NONBLOCK);
		void *p = fd < 0 ? MAP_FAILED : mmap(NULL, (size_t)page, PROT_READ | PROT_EXEC,
						     MAP_PRIVATE, fd, 0);

		if (p == MAP_FAILED)
			printf("map=try pid=%d errno=%d\n", (int)getpid(), errno);
		else
			report("try", p, (size_t)page, PROT_READ | PROT_EXEC, MAP_PRIVATE, fd, 0);
	} else if (!strcmp(argv[i], "memfd") && i + 1 < argc) {
		int in = open_or_die(argv[i + 1]), fd = memfd_create("mapper", 0);

		if (fd < 0)
			return 2;
		copy_fd(in, fd);
		map_exec_fd(fd);
	} else if (!strcmp(argv[i], "jit")) {
		jit();
	} else if (!strcmp(argv[i], "wx")) {
		void *p;

		map_or_die(NULL, (size_t)page, PROT_READ | PROT_WRITE | PROT_EXEC,
			   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0, "wx");
		p = map_or_die(NULL, (size_t)page, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0, "rw");
		mprotect_or_die(p, (size_t)page, PROT_READ | PROT_WRITE | PROT_EXEC,
				PROT_READ | PROT_WRITE, "wx");
	} else if (!strcmp(argv[i], "memfd-mprotect") && i + 1 < argc) {
		memfd_mprotect(argv[i + 1]);
	} else if (!strcmp(argv[i], "loaders") && i + 1 < argc) {
		map_exec(argv[i + 1]);
		jit();
		memfd_mprotect(argv[i + 1]);
		pkey_exec();
	} else if (!strcmp(argv[i], "pkey")) {
		pkey_exec();
	} else if (!strcmp(argv[i], "noexec") && i + 2 < argc) {
		noexec_mprotect(argv[i + 1], argv[i + 2]);
	} else if (!strcmp(argv[i], "unlinked") && i + 1 < argc) {
		int fd = open_or_die(argv[i + 1]);

		if (unlink(argv[i + 1]))
			return 2;
		map_exec_fd(fd);
	} else if (!strcmp(argv[i], "self-delete") && i + 1 < argc) {
		char self[4096];
		ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

		if (n <= 0)
			return 2;
		self[n] = '\0';
		if (unlink(self))
			return 2;
		map_exec(argv[i + 1]);
	} else if (!strcmp(argv[i], "symlink-swap") && i + 2 < argc) {
		char tmp[4096];

		map_exec(argv[i + 1]);
		snprintf(tmp, sizeof(tmp), "%s.new", argv[i + 1]);
		if (symlink(argv[i + 2], tmp) || rename(tmp, argv[i + 1]))
			return 2;
	} else if (!strcmp(argv[i], "comm") && i + 2 < argc) {
		if (i + 3 < argc)
			usleep((useconds_t)atoi(argv[i + 3]) * 1000);
		if (prctl(PR_SET_NAME, argv[i + 1]))
			return 2;
		map_exec(argv[i + 2]);
	} else if (!strcmp(argv[i], "double-fork") && i + 1 < argc) {
		int status;
		pid_t pid;

		if (i + 2 < argc && !strcmp(argv[i + 2], "reaper") &&
		    prctl(PR_SET_CHILD_SUBREAPER, 1))
			return 2;
		fflush(stdout);
		pid = fork();
		if (pid == 0) {
			pid_t middle = getpid();

			if (fork() == 0) {
				/* Until the middle process is gone: re-parented. */
				while (getppid() == middle)
					usleep(1000);
				map_exec(argv[i + 1]);
				printf("map=reparented ppid=%d\nready %d\n", (int)getppid(),
				       (int)getpid());
				fflush(stdout);
				wait_eof();
			}
			_exit(0);
		}
		if (pid < 0 || waitpid(pid, &status, 0) != pid)
			return 2;
		wait_eof();
		return 0;
	} else if (!strcmp(argv[i], "leader-exit") && i + 3 < argc) {
		static struct leader_arg a;
		pthread_t t;
		int k;

		a.n = atoi(argv[i + 1]);
		a.count = atoi(argv[i + 2]);
		a.path = argv[i + 3];
		atomic_store(&leader_left, a.n);
		pthread_barrier_init(&barrier, NULL, (unsigned int)a.n);
		for (k = 0; k < a.n; k++)
			if (pthread_create(&t, NULL, leader_thread, &a))
				return 2;
		pthread_exit(NULL);
	} else if (!strcmp(argv[i], "pid-reuse") && i + 2 < argc) {
		pid_reuse(argv[i + 1], argv[i + 2]);
	} else if (!strcmp(argv[i], "stress") && i + 3 < argc) {
		stress(atof(argv[i + 1]), atoi(argv[i + 2]), atoi(argv[i + 3]));
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
