// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The traced processes: CMD forked and held on a pipe until the kernel's
 * pid filter has it, so its first mapping is seen; -p processes with every
 * thread they have now (the kernel adds the later ones with -f), and what
 * they mapped while the run was being set up, which no event shows.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clock.h"
#include "error.h"
#include "options.h"
#include "probe.h"
#include "procfs.h"
#include "target.h"

/* The file-backed VMAs of a -p process at one moment. */
struct vma_set {
	struct mmt_procfs_vma *v;
	size_t n, cap;
};

struct mmt_target {
	const struct mmt_options *opt;
	struct vma_set before[MMT_MAX_PIDS];	/* -p: when the run started */
	uint64_t started;			/* CLOCK_MONOTONIC ns of that */
	pid_t child;
	int child_status;
	bool child_done;
	int go_fd, status_fd;	/* CMD's pipes until it is released */
	int pidfds[MMT_MAX_PIDS];
	int pids_alive;
};

/* mmt_procfs_maps() callback: keep @v if it maps a file. Return: 0, or -ENOMEM. */
static int vma_set_add(const struct mmt_procfs_vma *v, void *ctx)
{
	struct vma_set *s = ctx;
	struct mmt_procfs_vma *grown;

	if (!v->ino)
		return 0;
	if (s->n == s->cap) {
		grown = realloc(s->v, (s->cap ? 2 * s->cap : 64) * sizeof(*grown));
		if (!grown)
			return -ENOMEM;
		s->v = grown;
		s->cap = s->cap ? 2 * s->cap : 64;
	}
	s->v[s->n++] = *v;
	return 0;
}

static bool vma_set_has(const struct vma_set *s, const struct mmt_procfs_vma *v)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (s->v[i].start == v->start && s->v[i].ino == v->ino &&
		    s->v[i].pgoff == v->pgoff && s->v[i].major == v->major &&
		    s->v[i].minor == v->minor)
			return true;
	return false;
}

struct mmt_target *mmt_target_new(const struct mmt_options *o)
{
	struct mmt_target *t = calloc(1, sizeof(*t));
	int i;

	if (!t)
		return NULL;
	t->opt = o;
	t->go_fd = t->status_fd = -1;
	for (i = 0; i < MMT_MAX_PIDS; i++)
		t->pidfds[i] = -1;
	/* A process that cannot be read is reported by mmt_target_scope(). */
	t->started = mmt_mono_ns();
	for (i = 0; i < o->npids; i++)
		(void)mmt_procfs_maps(o->pids[i], vma_set_add, &t->before[i]);
	return t;
}

/* Fork CMD stopped on a pipe, so it is in set_event_pid before its first mapping. */
static int spawn(struct mmt_target *t, char **argv, const sigset_t *oldmask)
{
	int go[2], st[2];
	pid_t pid;

	if (pipe2(go, O_CLOEXEC) < 0)
		return mmt_perror(-errno, "pipe");
	if (pipe2(st, O_CLOEXEC) < 0) {
		close(go[0]);
		close(go[1]);
		return mmt_perror(-errno, "pipe");
	}
	/*
	 * With -f the run ends when the kernel's pid filter is empty, which is
	 * when the last descendant is reaped. Orphans come to us, not to an
	 * init that may never reap them (a container's), and we reap them.
	 */
	if (t->opt->probe.follow && prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
		return mmt_perror(-errno, "prctl(PR_SET_CHILD_SUBREAPER)");
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		close(go[0]); close(go[1]); close(st[0]); close(st[1]);
		return mmt_perror(-errno, "fork");
	}
	if (pid == 0) {
		char c;
		int err;

		close(go[1]);
		close(st[0]);
		sigprocmask(SIG_SETMASK, oldmask, NULL);
		signal(SIGPIPE, SIG_DFL);
		/* EOF without a byte: the tracer died or gave up: do not run untraced. */
		if (read(go[0], &c, 1) != 1)
			_exit(127);
		execvp(argv[0], argv);
		err = errno;
		if (write(st[1], &err, sizeof(err)) < 0)
			_exit(127);
		_exit(127);
	}
	close(go[0]);
	close(st[1]);
	t->child = pid;
	t->go_fd = go[1];
	t->status_fd = st[0];
	return 0;
}

/* Returns 0 once CMD has exec'd, -errno (printed) if it could not. */
static int release_child(struct mmt_target *t)
{
	int err = 0;
	ssize_t n;

	n = write(t->go_fd, "g", 1);
	close(t->go_fd);
	t->go_fd = -1;
	if (n != 1) {
		err = errno;
		close(t->status_fd);
		t->status_fd = -1;
		return mmt_perror(-err, "cannot start %s", t->opt->argv[0]);
	}
	do
		n = read(t->status_fd, &err, sizeof(err));
	while (n < 0 && errno == EINTR);
	close(t->status_fd);
	t->status_fd = -1;
	if (n == sizeof(err))
		return mmt_perror(-err, "cannot run '%s'", t->opt->argv[0]);
	return 0;
}

int mmt_target_release(struct mmt_target *t)
{
	if (!t->opt->argv)
		return 0;
	if (release_child(t) < 0) {
		kill(t->child, SIGKILL);
		waitpid(t->child, NULL, 0);
		t->child = 0;
		return -ENOEXEC;
	}
	return 0;
}

static int add_process(struct mmt_probe *probe, pid_t pid)
{
	pid_t *tids;
	size_t i, n;
	int r;

	r = mmt_procfs_threads(pid, &tids, &n);
	if (r == -ENOMEM)
		return mmt_perror(r, "cannot list the threads of %d", (int)pid);
	if (r < 0) {
		mmt_error("no such process: %d", (int)pid);
		return -ESRCH;
	}
	for (i = 0; i < n && !r; i++) {
		r = mmt_probe_add_pid(probe, tids[i]);
		if (r == -ESRCH)	/* that thread just exited */
			r = 0;
	}
	free(tids);
	return r;
}

static int open_pidfds(struct mmt_target *t)
{
	int i;

	for (i = 0; i < t->opt->npids; i++) {
		t->pidfds[i] = (int)syscall(SYS_pidfd_open, t->opt->pids[i], 0);
		if (t->pidfds[i] < 0) {
			mmt_error("no such process: %d", (int)t->opt->pids[i]);
			return -ESRCH;
		}
		t->pids_alive++;
	}
	return 0;
}

void mmt_target_reap(struct mmt_target *t)
{
	int status;
	pid_t p;

	while ((p = waitpid(-1, &status, WNOHANG)) > 0) {
		if (p == t->child) {
			t->child_status = status;
			t->child_done = true;
		}
	}
}

bool mmt_target_finished(const struct mmt_target *t, struct mmt_probe *probe)
{
	if (t->opt->argv) {
		if (!t->child_done)
			return false;
		/* With -f, the kernel drops exiting threads from the filter. */
		return !t->opt->probe.follow || mmt_probe_pids_left(probe) <= 0;
	}
	if (t->opt->npids)
		return t->pids_alive == 0;
	return false;
}

int mmt_target_scope(struct mmt_target *t, struct mmt_probe *probe, const sigset_t *oldmask)
{
	int i, r;

	if (t->opt->argv) {
		r = spawn(t, t->opt->argv, oldmask);
		return r < 0 ? r : mmt_probe_add_pid(probe, t->child);
	}
	r = open_pidfds(t);
	for (i = 0; !r && i < t->opt->npids; i++)
		r = add_process(probe, t->opt->pids[i]);
	return r;
}

pid_t mmt_target_child(const struct mmt_target *t)
{
	return t->child;
}

int mmt_target_pollfds(const struct mmt_target *t, struct pollfd *fds)
{
	int i;

	for (i = 0; i < t->opt->npids; i++)
		fds[i] = (struct pollfd){ .fd = t->pidfds[i], .events = POLLIN };
	return t->opt->npids;
}

void mmt_target_polled(struct mmt_target *t, const struct pollfd *fds)
{
	int i;

	for (i = 0; i < t->opt->npids; i++) {
		if (t->pidfds[i] >= 0 && fds[i].revents) {
			close(t->pidfds[i]);
			t->pidfds[i] = -1;
			t->pids_alive--;
		}
	}
}

void mmt_target_check_attach(struct mmt_target *t)
{
	double took = (double)(mmt_mono_ns() - t->started) / 1e9;
	struct vma_set now;
	size_t j, made;
	int i, r;

	for (i = 0; i < t->opt->npids; i++) {
		now = (struct vma_set){ 0 };
		if (!t->before[i].n)
			continue;
		/*
		 * A live process maps its executable at least; a zombie's maps
		 * are empty, a reaped one's gone: it ended before the events
		 * were on (or just as they were), and its run would show nothing.
		 */
		r = mmt_procfs_maps(t->opt->pids[i], vma_set_add, &now);
		if (r == -ENOENT || r == -ESRCH || (!r && !now.n))
			mmt_error("-p %d: exited while tracing was being set up (%.3f s): "
				  "what it mapped since is not in the records",
				  (int)t->opt->pids[i], took);
		else if (r < 0)
			mmt_perror(r, "-p %d: cannot check what it mapped while tracing was being "
				   "set up", (int)t->opt->pids[i]);
		for (made = 0, j = 0; j < now.n; j++)
			made += !vma_set_has(&t->before[i], &now.v[j]);
		if (made)
			mmt_error("-p %d: %zu file mapping%s made while tracing was being set up "
				  "(%.3f s), before the events were on: not in the records",
				  (int)t->opt->pids[i], made, made == 1 ? " was" : "s were", took);
		free(now.v);
		free(t->before[i].v);
		t->before[i] = (struct vma_set){ 0 };
	}
}

int mmt_target_exit_status(const struct mmt_target *t, int err)
{
	if (err < 0)
		return 1;
	if (t && t->opt->argv && t->child_done) {
		if (WIFEXITED(t->child_status))
			return WEXITSTATUS(t->child_status);
		if (WIFSIGNALED(t->child_status))
			return 128 + WTERMSIG(t->child_status);
	}
	return 0;
}

void mmt_target_free(struct mmt_target *t)
{
	int i;

	if (!t)
		return;
	/* Never released: closing its pipe makes CMD exit 127 unrun; reap it. */
	if (t->go_fd >= 0) {
		close(t->go_fd);
		close(t->status_fd);
		waitpid(t->child, NULL, 0);
	}
	for (i = 0; i < MMT_MAX_PIDS; i++) {
		if (t->pidfds[i] >= 0)
			close(t->pidfds[i]);
		free(t->before[i].v);
	}
	free(t);
}
