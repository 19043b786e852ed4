// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * inspect.c - the files an attacker chose, opened and parsed away from the
 * tracer: OpenSSH's privilege separation, applied to one file at a time.
 *
 * The opener is forked from the worker's thread and does nothing but
 * reopen, through /proc/self/fd, the O_PATH descriptor it is given (the
 * object the kernel named, whatever its name is now) and hand the readable
 * descriptor back. It keeps root's capabilities, since it must open every
 * user's files, and makes only system calls: it is the child of a threaded
 * process, where a lock another thread held at the fork stays held.
 *
 * The inspector is this program again, executed afresh (no memory, lock or
 * descriptor of the tracer's), which loads libmagic's database, confines
 * itself (confine.h) and only then reads what it is handed: digests, the
 * ELF build-id and libmagic's text. Its answers are checked as the input
 * of a process that may have been subverted.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clock.h"
#include "confine.h"
#include "helper.h"
#include "inspect.h"
#include "magic.h"

extern char **environ;

struct mmt_inspector {
	struct mmt_helper opener;
	struct mmt_helper inspector;
	int exe_fd;			/* O_PATH: this program's binary */
};

/*
 * The longest an inspector may take to start (an exec, the sanitizers' start,
 * libmagic's database): under software emulation, seconds.
 */
#define INSPECTOR_START_NS	(30 * 1000000000ULL)

struct open_request {
	uint32_t reserved;
};

struct open_answer {
	int32_t err;			/* 0: the descriptor came along */
};

struct inspect_request {
	int64_t limit;
};

/* The inspector's first message: "" once it is confined and ready. */
struct hello {
	char error[MMT_HASH_ERROR_MAX];
};

/* The opener */

/* "/proc/self/fd/N" without snprintf(), which is not async-signal-safe. */
static void fd_path(char *buf, int fd)
{
	static const char prefix[] = "/proc/self/fd/";
	char digits[12];
	int n = 0;

	do
		digits[n++] = (char)('0' + fd % 10);
	while ((fd /= 10) > 0);
	memcpy(buf, prefix, sizeof(prefix) - 1);
	buf += sizeof(prefix) - 1;
	while (n)
		*buf++ = digits[--n];
	*buf = '\0';
}

/*
 * O_NONBLOCK: a lease holder can renew the lease forever, so a lease gives
 * EWOULDBLOCK rather than a wait. O_NOATIME: reading for a hash is not an
 * access the owner made (refused, EPERM, on a file root does not own
 * where the filesystem says so: then without it).
 */
static int reopen(int fd, int32_t *err)
{
	int flags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK, rfd;
	char path[32];

	fd_path(path, fd);
	rfd = open(path, flags | O_NOATIME);
	if (rfd < 0 && errno == EPERM)
		rfd = open(path, flags);
	*err = rfd < 0 ? errno : 0;
	return rfd;
}

static __attribute__((noreturn)) void opener_main(void *arg)
{
	struct open_request rq;
	struct open_answer an;
	int fd, rfd;

	(void)arg;
	while (mmt_helper_child_recv(&rq, sizeof(rq), &fd) > 0) {
		an.err = EBADF;
		rfd = fd >= 0 ? reopen(fd, &an.err) : -1;
		if (fd >= 0)
			(void)close(fd);
		if (mmt_helper_child_send(&an, sizeof(an), rfd) < 0)
			break;
		if (rfd >= 0)
			(void)close(rfd);
	}
	_exit(0);
}

/* The inspector, in the tracer */

static __attribute__((noreturn)) void exec_inspector(void *arg)
{
	char *argv[] = { (char *)"mmaptrace", (char *)MMT_INSPECTOR_ARG, NULL };

	(void)arg;
	(void)syscall(SYS_execveat, MMT_HELPER_KEEP_FD, "", argv, environ, AT_EMPTY_PATH);
	_exit(127);
}

struct mmt_inspector *mmt_inspector_new(void)
{
	struct mmt_inspector *in = calloc(1, sizeof(*in));
	int err;

	if (!in)
		return NULL;
	mmt_helper_init(&in->opener);
	mmt_helper_init(&in->inspector);
	/* Above the helpers' fixed descriptors, which their children take over. */
	in->exe_fd = open("/proc/self/exe", O_PATH | O_CLOEXEC);
	if (in->exe_fd < 0) {
		err = errno;
		free(in);
		errno = err;
		return NULL;
	}
	return in;
}

void mmt_inspector_free(struct mmt_inspector *in)
{
	if (!in)
		return;
	mmt_helper_drop(&in->opener);
	mmt_helper_drop(&in->inspector);
	(void)close(in->exe_fd);
	free(in);
}

/* Why @hp stopped answering: its exit, when it is ours to reap yet. */
static void died(struct mmt_helper *hp, const char *who, char *why, size_t size)
{
	int status, i;
	pid_t p = 0;

	/* Its socket closed as it exited: reaped within moments, unless SIGCHLD's handler was first. */
	for (i = 0; i < 20 && (p = waitpid(hp->pid, &status, WNOHANG)) == 0; i++)
		usleep(5000);
	if (p == hp->pid && WIFSIGNALED(status))
		snprintf(why, size, "hash: the %s died (SIG%s)", who,
			 sigabbrev_np(WTERMSIG(status)) ? sigabbrev_np(WTERMSIG(status)) : "?");
	else if (p == hp->pid && WIFEXITED(status))
		snprintf(why, size, "hash: the %s exited (status %d)", who, WEXITSTATUS(status));
	else
		snprintf(why, size, "hash: the %s died", who);
	mmt_helper_drop(hp);
}

/*
 * Whether @hp is running (state R): one past its deadline that runs is busy
 * with a large file or a busy host, not held by its filesystem.
 */
static bool running(const struct mmt_helper *hp)
{
	char path[64], buf[256], *p;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)hp->pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	(void)close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	/* Our own child's name: no ") " in it to mislead the parse. */
	p = strrchr(buf, ')');
	return p && p[1] == ' ' && p[2] == 'R';
}

/* A failed wait for @hp: -ETIMEDOUT and -ECANCELED kill it, the rest say why. */
static int lost(struct mmt_helper *hp, const char *who, int r, char *why, size_t size)
{
	/* A slow file, not a hung one: killed all the same, but not counted as hung. */
	if (r == -ETIMEDOUT && running(hp))
		r = -ETIME;
	if (r == -EPIPE || r == -ECONNRESET)
		died(hp, who, why, size);
	else if (r == -EPROTO)
		snprintf(why, size, "hash: the %s broke the protocol", who);
	else if (r != -ETIMEDOUT && r != -ETIME && r != -ECANCELED)
		snprintf(why, size, "hash: the %s: %s", who, strerror(-r));
	mmt_helper_drop(hp);
	return r;
}

static int start_inspector(struct mmt_inspector *in, uint64_t deadline, int stop_fd, char *why,
			   size_t size)
{
	struct hello hello;
	int r;

	r = mmt_helper_start(&in->inspector, in->exe_fd, exec_inspector, NULL);
	if (r < 0) {
		snprintf(why, size, "hash: cannot start the inspector: %s", strerror(-r));
		return r;
	}
	r = mmt_helper_recv(&in->inspector, &hello, sizeof(hello), NULL, deadline, stop_fd);
	/* Not the file's filesystem that hung: no file of it is given up for this. */
	if (r == -ETIMEDOUT) {
		snprintf(why, size, "hash: the inspector did not start within %llu s",
			 (unsigned long long)(INSPECTOR_START_NS / 1000000000ULL));
		mmt_helper_drop(&in->inspector);
		return -EIO;
	}
	if (r < 0)
		return lost(&in->inspector, "inspector", r, why, size);
	/* Not confined: nothing is parsed, and the record says why. */
	hello.error[sizeof(hello.error) - 1] = '\0';
	if (hello.error[0]) {
		snprintf(why, size, "hash: the inspector cannot confine itself: %s", hello.error);
		mmt_helper_drop(&in->inspector);
		return -EPERM;
	}
	return 0;
}

/* The opener, forked at its first file (a fork at start slowed a software-emulated guest's start). */
static int start_opener(struct mmt_inspector *in, char *why, size_t size)
{
	int r;

	if (in->opener.pid)
		return 0;
	r = mmt_helper_start(&in->opener, -1, opener_main, NULL);
	if (r < 0)
		snprintf(why, size, "hash: cannot start the opener: %s", strerror(-r));
	return r;
}

/* A readable descriptor of @fd's object, or -1 with @a's error or @why set. */
static int open_file(struct mmt_inspector *in, int fd, uint64_t deadline, int stop_fd,
		     struct mmt_inspect_answer *a, int *r, char *why, size_t size)
{
	struct open_request rq = { 0 };
	struct open_answer an;
	int rfd, tries;

	/* An opener that died since its last file is seen at the send: once more, afresh. */
	for (tries = 0, *r = -EPIPE; *r < 0 && tries < 2; tries++) {
		if ((*r = start_opener(in, why, size)) < 0)
			return -1;
		*r = mmt_helper_send(&in->opener, &rq, sizeof(rq), fd);
		if (*r < 0)
			mmt_helper_drop(&in->opener);
	}
	if (*r < 0) {
		snprintf(why, size, "hash: cannot reach the opener: %s", strerror(-*r));
		return -1;
	}
	*r = mmt_helper_recv(&in->opener, &an, sizeof(an), &rfd, deadline, stop_fd);
	if (*r < 0) {
		lost(&in->opener, "opener", *r, why, size);
		return -1;
	}
	if (an.err == EWOULDBLOCK)
		mmt_hashes_error(&a->h, "a lease is held on the mapped file: not opened, not hashed");
	else if (an.err || rfd < 0)
		mmt_hashes_error(&a->h, "cannot open the mapped file: %s",
				 strerror(an.err ? an.err : EPROTO));
	if ((an.err || rfd < 0) && rfd >= 0)
		(void)close(rfd);
	return an.err ? -1 : rfd;
}

static bool is_hex(const char *s, size_t size)
{
	const char *end = memchr(s, '\0', size);

	return end && strspn(s, "0123456789abcdef") == (size_t)(end - s);
}

/* What a subverted inspector could send that a record must not carry. */
static bool answer_sane(struct mmt_inspect_answer *a)
{
	struct mmt_hashes *h = &a->h;

	a->h.error[sizeof(a->h.error) - 1] = '\0';
	a->magic[sizeof(a->magic) - 1] = '\0';
	a->top[sizeof(a->top) - 1] = '\0';
	h->magic = h->magic_top = NULL;
	return is_hex(h->md5, sizeof(h->md5)) && is_hex(h->sha1, sizeof(h->sha1)) &&
	       is_hex(h->sha256, sizeof(h->sha256)) && is_hex(h->sha512, sizeof(h->sha512)) &&
	       is_hex(h->build_id, sizeof(h->build_id)) &&
	       (!h->have_hashes || (strlen(h->md5) == 32 && strlen(h->sha1) == 40 &&
				    strlen(h->sha256) == 64 && strlen(h->sha512) == 128));
}

int mmt_inspector_start(struct mmt_inspector *in, int stop_fd, char *why, size_t size)
{
	if (in->inspector.pid)
		return 0;
	return start_inspector(in, mmt_mono_ns() + INSPECTOR_START_NS, stop_fd, why, size);
}

int mmt_inspector_ask(struct mmt_inspector *in, int fd, off_t limit, uint64_t timeout_ns,
		      int stop_fd, struct mmt_inspect_answer *a, char *why, size_t size)
{
	struct inspect_request rq = { .limit = limit };
	int fl, rfd = fd, r = 0, tries;
	uint64_t deadline;

	memset(a, 0, sizeof(*a));
	mmt_hashes_reset(&a->h);
	why[0] = '\0';
	/* Before the file's clock runs: an exec and libmagic's database are not its time. */
	r = mmt_inspector_start(in, stop_fd, why, size);
	if (r < 0)
		return r;
	deadline = mmt_mono_ns() + timeout_ns;
	fl = fcntl(fd, F_GETFL);
	if (fl >= 0 && (fl & O_PATH)) {
		rfd = open_file(in, fd, deadline, stop_fd, a, &r, why, size);
		if (rfd < 0)
			return r;
	}
	/*
	 * An inspector that died since its last file is seen at the send, or
	 * as a reset at the answer when it died with the request unread: once
	 * more, afresh. One that dies of this file dies again, and says so.
	 */
	for (tries = 0;; tries++) {
		r = mmt_inspector_start(in, stop_fd, why, size);
		if (r < 0)
			break;
		r = mmt_helper_send(&in->inspector, &rq, sizeof(rq), rfd);
		if (!r)
			r = mmt_helper_recv(&in->inspector, a, sizeof(*a), NULL, deadline, stop_fd);
		if ((r == -EPIPE || r == -ECONNRESET) && !tries) {
			mmt_helper_drop(&in->inspector);
			continue;
		}
		break;
	}
	if (rfd != fd)
		(void)close(rfd);
	if (r < 0 && why[0])
		return r;		/* the inspector did not start: @why says so */
	if (r < 0)
		return lost(&in->inspector, "inspector", r, why, size);
	if (!answer_sane(a)) {
		memset(a, 0, sizeof(*a));
		mmt_hashes_reset(&a->h);
		return lost(&in->inspector, "inspector", -EPROTO, why, size);
	}
	return 0;
}

/* The inspector, in its own process */

bool mmt_inspector_called(int argc, char **argv)
{
	return argc == 2 && !strcmp(argv[1], MMT_INSPECTOR_ARG);
}

/* A description's length as kept: bounded even for one built from hostile input. */
static void copy_magic(char *dst, const char *src)
{
	size_t len = strnlen(src, MMT_HASH_MAGIC_MAX - 1);

	memcpy(dst, src, len);
	dst[len] = '\0';
}

static void describe(struct mmt_magic *m, int fd, struct mmt_inspect_answer *a)
{
	char *magic, *top = NULL;
	const char *why;

	magic = mmt_magic_fd(m, fd);
	if (!magic && !a->h.error[0]) {
		why = mmt_magic_error(m);
		mmt_hashes_error(&a->h, "magic: %s", why ? why : strerror(errno));
	}
	/* Without the full text there is no top level either. */
	top = magic ? mmt_magic_fd_top(m, fd) : NULL;
	if (magic && !top && !a->h.error[0]) {
		why = mmt_magic_error(m);
		mmt_hashes_error(&a->h, "magic: %s", why ? why : strerror(errno));
	}
	if (magic) {
		a->have_magic = true;
		copy_magic(a->magic, magic);
	}
	if (top) {
		a->have_top = true;
		copy_magic(a->top, top);
	}
	free(top);
	free(magic);
}

static void inspect(struct mmt_digests *d, struct mmt_magic *m, int fd, off_t limit,
		    struct mmt_inspect_answer *a)
{
	memset(a, 0, sizeof(*a));
	if (mmt_digests_file(d, fd, limit, &a->h, &a->st, &a->stable, &a->nread) < 0 ||
	    !S_ISREG(a->st.st_mode))
		return;
	a->have_st = true;
	/* Not an ELF file, or one without the note: no build-id, and no error. */
	if (mmt_elf_build_id(fd, a->h.build_id, sizeof(a->h.build_id)) < 0)
		a->h.build_id[0] = '\0';
	describe(m, fd, a);
	a->h.magic = a->h.magic_top = NULL;
}

int mmt_inspector_main(void)
{
	static struct mmt_inspect_answer a;
	struct hello hello = { .error = "" };
	struct inspect_request rq;
	struct mmt_digests *d;
	struct mmt_magic *m;
	int fd;

	(void)prctl(PR_SET_NAME, MMT_INSPECTOR_COMM, 0, 0, 0);
	/* Only the tracer's socket, which the others cannot send on: nothing else is read. */
	if (fcntl(MMT_HELPER_SOCK_FD, F_GETFD) < 0) {
		fprintf(stderr, "mmaptrace: " MMT_INSPECTOR_ARG " is for mmaptrace's own use\n");
		return 2;
	}
	d = mmt_digests_new();
	m = d ? mmt_magic_open() : NULL;
	if (!d || !m)
		snprintf(hello.error, sizeof(hello.error), "%s: %s",
			 d ? "libmagic" : "libcrypto", strerror(errno));
	/* libmagic's database is read now; after this, no file is opened. */
	if (!hello.error[0])
		(void)mmt_confine(hello.error, sizeof(hello.error));
	if (mmt_helper_child_send(&hello, sizeof(hello), -1) < 0 || hello.error[0])
		_exit(1);
	while (mmt_helper_child_recv(&rq, sizeof(rq), &fd) > 0) {
		if (fd < 0) {
			memset(&a, 0, sizeof(a));
			mmt_hashes_reset(&a.h);
			mmt_hashes_error(&a.h, "no descriptor came with the request");
		} else {
			inspect(d, m, fd, (off_t)rq.limit, &a);
			(void)close(fd);
		}
		if (mmt_helper_child_send(&a, sizeof(a), -1) < 0)
			break;
	}
	/* Not exit(): nothing to flush, and no handler of a library runs under the filter. */
	_exit(0);
}
