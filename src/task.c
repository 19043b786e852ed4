// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * task.c - what Kunai says of the task behind an event: its process, parent,
 * ancestors, user and group names and guuid, put together from what procfs.c
 * reads (thread.c keeps the result, once per thread).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "procfs.h"
#include "task.h"

_Static_assert(MMT_TASK_COMM_LEN == MMT_PROCFS_COMM_LEN, "a task's comm is stat's");

/* getpwuid_r()/getgrgid_r() buffer: a group with many members needs a big one */
#define NSS_BUF_MAX		(1024 * 1024)
/* Direct-mapped name caches: a host has few distinct users among running processes */
#define NAME_SLOTS		64

struct name_slot {
	bool valid;
	unsigned int id;
	char *name;		/* NULL: the id has no name */
};

struct names {
	struct name_slot users[NAME_SLOTS];
	struct name_slot groups[NAME_SLOTS];
};

/* What reading a task needs besides the task: per call, or kept by a reader */
struct reader {
	uint64_t boot_hi, boot_lo;	/* 0 if the boot id is unreadable */
	unsigned long long own_mnt_ns;	/* the tool's mount namespace; 0 if unknown */
	struct names *names;		/* NULL: no name cache */
};

struct mmt_task_reader {
	struct reader rd;
	struct names names;
};

/* Append a note to t->error; only allocation can fail */
static int note(struct mmt_task *t, const char *fmt, ...)
{
	char *msg, *joined;
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (r < 0)
		return -ENOMEM;
	if (!t->error) {
		t->error = msg;
		return 0;
	}
	r = asprintf(&joined, "%s; %s", t->error, msg);
	free(msg);
	if (r < 0)
		return -ENOMEM;
	free(t->error);
	t->error = joined;
	return 0;
}

/* "Permission denied (EACCES)": the message for people, the name for grep */
static const char *err_text(int err, char *buf, size_t size)
{
	const char *desc = strerrordesc_np(err);
	const char *name = strerrorname_np(err);

	snprintf(buf, size, "%s (%s)", desc ? desc : "Unknown error", name ? name : "?");
	return buf;
}

static int note_err(struct mmt_task *t, const char *what, int err)
{
	char buf[96];

	return note(t, "%s: %s", what, err_text(err, buf, sizeof(buf)));
}

/*
 * Kunai's process id (kunai-common uuid.rs, ProcUuid, read as a UUID's 16
 * bytes on a little-endian host): the leader's start in ns of
 * CLOCK_BOOTTIME, 32 random bits, the tgid. Kunai draws its 32 bits once
 * per run; here they are the boot id's first, so the same process keeps
 * its guuid across restarts of the tracer and two hosts still differ. The
 * start is known to a clock tick only: two processes collide only if the
 * same pid were handed out twice within one tick.
 */
static void make_guuid(const struct reader *rd, pid_t tgid, unsigned long long start,
		       char out[MMT_TASK_GUUID_LEN])
{
	uint64_t ns = start * (1000000000ULL / (uint64_t)sysconf(_SC_CLK_TCK));
	uint32_t rnd = (uint32_t)(rd->boot_hi >> 32), id = (uint32_t)tgid;
	uint8_t b[16];
	int i;

	for (i = 0; i < 8; i++)
		b[i] = (uint8_t)(ns >> (8 * i));
	for (i = 0; i < 4; i++) {
		b[8 + i] = (uint8_t)(rnd >> (8 * i));
		b[12 + i] = (uint8_t)(id >> (8 * i));
	}
	snprintf(out, MMT_TASK_GUUID_LEN,
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11],
		 b[12], b[13], b[14], b[15]);
}

/* Without a boot id the guuid is still stable within this boot, so this cannot fail */
static void read_boot_id(struct reader *rd)
{
	if (mmt_procfs_boot_id(&rd->boot_hi, &rd->boot_lo) < 0)
		rd->boot_hi = rd->boot_lo = 0;
	/* Without it no task is said to be in a container: Kunai's test needs both. */
	if (mmt_procfs_mnt_ns(getpid(), &rd->own_mnt_ns) < 0)
		rd->own_mnt_ns = 0;
}

/*
 * Kunai's cgroup rule (kunai containers.rs) on one cgroup path split at '/':
 * the last component starting "docker-", or the second "lxc.payload.".
 */
static const char *container_of_path(const char *path, size_t len)
{
	const char *second = NULL, *last = path, *p;
	int n = 0;

	for (p = path; p < path + len; p++) {
		if (*p != '/')
			continue;
		if (++n == 1)
			second = p + 1;
		last = p + 1;
	}
	if ((size_t)(path + len - last) >= 7 && !strncmp(last, "docker-", 7))
		return "docker";
	if (second && (size_t)(path + len - second) >= 12 && !strncmp(second, "lxc.payload.", 12))
		return "lxc";
	return NULL;
}

/* The container type the task's cgroup lines ("ID:CONTROLLERS:PATH") say, or NULL. */
static const char *container_of_cgroups(const char *text)
{
	const char *line, *end, *path, *type;

	for (line = text; *line; line = *end ? end + 1 : end) {
		end = strchr(line, '\n');
		if (!end)
			end = line + strlen(line);
		path = memchr(line, ':', (size_t)(end - line));
		path = path ? memchr(path + 1, ':', (size_t)(end - path - 1)) : NULL;
		if (path && (type = container_of_path(path + 1, (size_t)(end - path - 1))))
			return type;
	}
	return NULL;
}

const char *mmt_task_container_type(const struct mmt_task *t)
{
	static const struct { const char *exe, *type; } runtimes[] = {
		{ "/usr/bin/firejail", "firejail" },
		{ "/usr/bin/containerd-shim-runc-v2", "docker" },
		{ "/usr/bin/podman", "podman" },
	};
	const char *a, *end;
	size_t i, n;

	if (t->container_type)
		return t->container_type;
	for (a = t->ancestors; a && *a; a = *end ? end + 1 : end) {
		end = strchr(a, '|');
		n = end ? (size_t)(end - a) : strlen(a);
		if (!end)
			end = a + n;
		for (i = 0; i < sizeof(runtimes) / sizeof(runtimes[0]); i++)
			if (strlen(runtimes[i].exe) == n && !memcmp(a, runtimes[i].exe, n))
				return runtimes[i].type;
	}
	return NULL;
}

/*
 * Look up a user or group name. NSS may go to the network (LDAP, sssd), so results,
 * including "no such id", are remembered when there is a cache.
 * Return: 0 with *out (to be freed, NULL if the id has no name), or -errno.
 */
static int lookup_name(struct reader *rd, bool group, unsigned int id, char **out)
{
	struct name_slot *slot = NULL;
	size_t size = 1024;
	char *buf = NULL, *tmp;
	const char *name;
	int r;

	*out = NULL;
	if (rd->names) {
		slot = group ? &rd->names->groups[id % NAME_SLOTS] :
			       &rd->names->users[id % NAME_SLOTS];
		if (slot->valid && slot->id == id) {
			if (slot->name) {
				*out = strdup(slot->name);
				if (!*out)
					return -ENOMEM;
			}
			return 0;
		}
	}

	for (;;) {
		struct passwd pw, *pwp = NULL;
		struct group gr, *grp = NULL;

		tmp = realloc(buf, size);
		if (!tmp) {
			r = -ENOMEM;
			goto out_free_buf;
		}
		buf = tmp;
		if (group) {
			r = getgrgid_r(id, &gr, buf, size, &grp);
			name = grp ? grp->gr_name : NULL;
		} else {
			r = getpwuid_r(id, &pw, buf, size, &pwp);
			name = pwp ? pwp->pw_name : NULL;
		}
		if (r == ERANGE && size < NSS_BUF_MAX) {
			size *= 2;
			continue;
		}
		break;
	}
	/* getpwuid_r(3): ENOENT, ESRCH, EBADF and EPERM may all mean "not found" */
	if (r && r != ENOENT && r != ESRCH && r != EBADF && r != EPERM) {
		r = -r;
		goto out_free_buf;
	}
	r = 0;
	if (name) {
		*out = strdup(name);
		if (!*out) {
			r = -ENOMEM;
			goto out_free_buf;
		}
	}
	if (slot) {
		char *copy = NULL;

		if (name) {
			copy = strdup(name);
			if (!copy)
				goto out_free_buf;	/* not caching is fine */
		}
		free(slot->name);
		slot->name = copy;
		slot->id = id;
		slot->valid = true;
	}
out_free_buf:
	free(buf);
	return r;
}

static void names_free(struct names *n)
{
	for (int i = 0; i < NAME_SLOTS; i++) {
		free(n->users[i].name);
		free(n->groups[i].name);
	}
}

/* Join parts[count - 1] ... parts[0] with '|': the walk collects youngest first */
static char *join_reversed(char **parts, int count)
{
	size_t len = 1;
	char *s, *p;

	for (int i = 0; i < count; i++)
		len += strlen(parts[i]) + 1;
	s = malloc(len);
	if (!s)
		return NULL;
	p = s;
	*p = '\0';
	for (int i = count - 1; i >= 0; i--) {
		size_t l = strlen(parts[i]);

		memcpy(p, parts[i], l);
		p += l;
		if (i)
			*p++ = '|';
	}
	*p = '\0';
	return s;
}

/*
 * Walk ppid links up to a process whose parent is 0 (init, kthreadd, or the top of
 * our pid namespace). This reads the ancestors as they are now: a parent that already
 * exited has been replaced by the reaper its child was re-parented to.
 */
static int read_ancestors(struct mmt_task *t)
{
	char *parts[MMT_TASK_ANCESTORS_MAX];
	pid_t seen[MMT_TASK_ANCESTORS_MAX];
	unsigned long long younger = t->tg_start_time;
	pid_t pid = t->ppid;
	int count = 0, r = 0;

	while (pid > 0) {
		struct mmt_procfs_stat sf;
		char what[64];
		char *part = NULL;
		int e;

		if (count == MMT_TASK_ANCESTORS_MAX) {
			r = note(t, "ancestors: cut at %d", MMT_TASK_ANCESTORS_MAX);
			break;
		}
		/* a ppid chain cannot loop, but one read while pids are reused can */
		for (int i = 0; i < count; i++)
			if (seen[i] == pid)
				goto out_loop;
		e = mmt_procfs_stat(pid, &sf);
		if (e < 0) {
			snprintf(what, sizeof(what), "ancestors: pid %d", (int)pid);
			r = note_err(t, what, -e);
			break;
		}
		/* a parent starts before its child: if not, it exited and pid was reused */
		if (sf.start_time > younger) {
			r = note(t, "ancestors: pid %d was reused", (int)pid);
			break;
		}
		if (sf.flags & MMT_TASK_PF_KTHREAD) {
			/* kernel threads have no exe: show the comm the way ps(1) does */
			if (asprintf(&part, "[%s]", sf.comm) < 0)
				part = NULL;
			if (!part) {
				r = -ENOMEM;
				break;
			}
		} else {
			e = mmt_procfs_exe(pid, &part, NULL);
			if (e == -ENOMEM) {
				r = e;
				break;
			}
			if (e < 0) {
				snprintf(what, sizeof(what), "ancestors: exe of pid %d", (int)pid);
				r = note_err(t, what, -e);
				if (r < 0)
					break;
				part = strdup("?");
				if (!part) {
					r = -ENOMEM;
					break;
				}
			}
		}
		seen[count] = pid;
		parts[count++] = part;
		younger = sf.start_time;
		pid = sf.ppid;
	}
	goto out_join;

out_loop:
	r = note(t, "ancestors: pid %d seen twice", (int)pid);
out_join:
	if (r == 0 && (count || pid == 0)) {
		t->ancestors = join_reversed(parts, count);
		if (!t->ancestors)
			r = -ENOMEM;
	}
	for (int i = 0; i < count; i++)
		free(parts[i]);
	return r;
}

/* Turn the NUL separators into spaces and drop trailing ones */
static void flatten_cmdline(char *s, size_t *len)
{
	/*
	 * Trailing NULs are the terminator of the last argument, empty last arguments,
	 * or the padding of a process that rewrote its argv (setproctitle): none of
	 * these is worth trailing spaces.
	 */
	while (*len && s[*len - 1] == '\0')
		(*len)--;
	s[*len] = '\0';
	for (size_t i = 0; i < *len; i++)
		if (s[i] == '\0')
			s[i] = ' ';
}

static int read_process(struct mmt_task *t)
{
	int e, r;

	/*
	 * The process-wide exe and cmdline come from the thread's own directory: they
	 * show the mm all threads share, and unlike /proc/TGID they still do after the
	 * leader thread has exited (pthread_exit() in main) while the others run on.
	 */
	e = mmt_procfs_exe(t->pid, &t->exe, NULL);
	if (e == -ENOMEM)
		return e;
	/* kernel threads have no mm, hence no exe; zombies lost theirs at exit */
	if (e < 0 && !(t->flags & MMT_TASK_PF_KTHREAD) && !t->zombie) {
		r = note_err(t, "exe", -e);
		if (r < 0)
			return r;
	}

	e = mmt_procfs_cmdline(t->pid, MMT_TASK_CMDLINE_MAX, &t->cmdline, &t->cmdline_len,
			       &t->cmdline_truncated);
	if (e == -ENOMEM)
		return e;
	if (e < 0) {
		t->cmdline_len = 0;
		return note_err(t, "cmdline", -e);
	}
	flatten_cmdline(t->cmdline, &t->cmdline_len);
	return 0;
}

static int task_read(struct reader *rd, pid_t tid, struct mmt_task *t, bool walk)
{
	struct mmt_procfs_status ss;
	struct mmt_procfs_stat sf;
	int e, r;

	memset(t, 0, sizeof(*t));
	t->pid = tid;

	e = mmt_procfs_stat(tid, &sf);
	if (e == 0)
		e = mmt_procfs_status(tid, &ss);
	if (e == -ENOENT || e == -ESRCH) {
		r = note(t, "process gone before it could be read (%s)", strerrorname_np(-e));
		return r < 0 ? r : e;
	}
	if (e < 0) {
		r = note_err(t, "stat", -e);
		return r < 0 ? r : e;
	}
	t->tgid = ss.tgid;
	t->uid = ss.uid;
	t->gid = ss.gid;
	memcpy(t->comm, sf.comm, sizeof(t->comm));
	t->ppid = sf.ppid;
	t->flags = sf.flags;
	t->start_time = sf.start_time;
	t->tg_start_time = sf.start_time;
	t->zombie = sf.state == 'Z' || sf.state == 'X';

	if (t->tgid != tid) {
		struct mmt_procfs_stat leader;

		/* all threads must share the guuid, so it comes from the leader's start */
		e = mmt_procfs_stat(t->tgid, &leader);
		if (e < 0) {
			r = note_err(t, "guuid: leader's stat", -e);
			if (r < 0)
				return r;
		} else {
			t->tg_start_time = leader.start_time;
		}
	}
	make_guuid(rd, t->tgid, t->tg_start_time, t->guuid);

	/* names come from this host's databases, not the process's (container) ones */
	r = lookup_name(rd, false, t->uid, &t->user);
	if (r < 0 && r != -ENOMEM)
		r = note_err(t, "user", -r);
	if (r < 0)
		return r;
	r = lookup_name(rd, true, t->gid, &t->group);
	if (r < 0 && r != -ENOMEM)
		r = note_err(t, "group", -r);
	if (r < 0)
		return r;

	e = mmt_procfs_mnt_ns(tid, &t->mnt_ns);
	/* a zombie has dropped its namespaces */
	if (e < 0 && !t->zombie) {
		r = note_err(t, "mnt_ns", -e);
		if (r < 0)
			return r;
	}
	/* Kunai's container: a mount namespace other than the tool's; its cgroup may say which. */
	t->container = e == 0 && t->mnt_ns && rd->own_mnt_ns && t->mnt_ns != rd->own_mnt_ns;
	if (t->container) {
		char *cg = NULL;

		if (mmt_procfs_cgroup(tid, &cg) == 0)
			t->container_type = container_of_cgroups(cg);
		free(cg);
	}

	r = read_process(t);
	if (r < 0)
		return r;
	if (t->zombie) {
		r = note(t, "zombie: exe, command line and namespaces are gone");
		if (r < 0)
			return r;
	}
	return walk ? read_ancestors(t) : 0;
}

/* The reader's state, or a one-off with the boot id read now. */
static struct reader *reader_of(struct mmt_task_reader *r, struct reader *once)
{
	if (r)
		return &r->rd;
	memset(once, 0, sizeof(*once));
	read_boot_id(once);
	return once;
}

struct mmt_task_reader *mmt_task_reader_new(void)
{
	struct mmt_task_reader *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	read_boot_id(&r->rd);
	r->rd.names = &r->names;
	return r;
}

void mmt_task_reader_free(struct mmt_task_reader *r)
{
	if (!r)
		return;
	names_free(&r->names);
	free(r);
}

int mmt_task_read(struct mmt_task_reader *r, pid_t tid, struct mmt_task *t)
{
	struct reader once;

	return task_read(reader_of(r, &once), tid, t, true);
}

int mmt_task_read_self(struct mmt_task_reader *r, pid_t tid, struct mmt_task *t)
{
	struct reader once;

	return task_read(reader_of(r, &once), tid, t, false);
}

int mmt_task_read_ancestors(struct mmt_task *t)
{
	return read_ancestors(t);
}

int mmt_task_set_ancestors(struct mmt_task *t, const char *ancestors, bool cut,
			   const char *error)
{
	if (ancestors && !(t->ancestors = strdup(ancestors)))
		return -ENOMEM;
	if (cut && note(t, "ancestors: cut at %d", MMT_TASK_ANCESTORS_MAX) < 0)
		return -ENOMEM;
	return error ? note(t, "%s", error) : 0;
}

void mmt_task_set_start(struct mmt_task_reader *r, struct mmt_task *t,
			unsigned long long tg_start_time)
{
	struct reader once;

	t->tg_start_time = tg_start_time;
	make_guuid(reader_of(r, &once), t->tgid, tg_start_time, t->guuid);
}

static int dup_or_null(const char *s, char **out)
{
	*out = s ? strdup(s) : NULL;
	return s && !*out ? -ENOMEM : 0;
}

int mmt_task_compose(struct mmt_task_reader *r, const struct mmt_task_facts *f,
		     struct mmt_task *t)
{
	struct reader once, *rd = reader_of(r, &once);
	int e;

	memset(t, 0, sizeof(*t));
	t->pid = f->pid;
	t->tgid = f->tgid;
	t->ppid = f->ppid;
	if (f->comm)
		memcpy(t->comm, f->comm, strnlen(f->comm, sizeof(t->comm) - 1));
	else
		t->comm[0] = '?';
	t->start_time = f->start_time;
	make_guuid(rd, t->tgid, f->tg_start_time, t->guuid);
	t->tg_start_time = f->tg_start_time;
	if (dup_or_null(f->exe, &t->exe) < 0 || dup_or_null(f->ancestors, &t->ancestors) < 0)
		return -ENOMEM;
	if (note(t, "process gone before /proc could show it: command line, flags%s unknown",
		 f->mnt_ns ? "" : " and namespaces") < 0)
		return -ENOMEM;
	/* Its mount namespace, from events: Kunai's container test with it; the type from
	   the ancestors only (its cgroup is no event's). */
	t->mnt_ns = f->mnt_ns;
	t->container = t->mnt_ns && rd->own_mnt_ns && t->mnt_ns != rd->own_mnt_ns;
	if (f->have_ids) {
		t->uid = f->uid;
		t->gid = f->gid;
		e = lookup_name(rd, false, t->uid, &t->user);
		if (e < 0 && (e == -ENOMEM || note_err(t, "user", -e) < 0))
			return -ENOMEM;
		e = lookup_name(rd, true, t->gid, &t->group);
		if (e < 0 && (e == -ENOMEM || note_err(t, "group", -e) < 0))
			return -ENOMEM;
	} else {
		t->uid = (uid_t)-1;
		t->gid = (gid_t)-1;
		if (note(t, "uid and gid unknown") < 0)
			return -ENOMEM;
	}
	if ((!f->comm && note(t, "name unknown") < 0) ||
	    (!f->exe && note(t, "exe unknown") < 0) ||
	    (!f->ancestors && note(t, "ancestors unknown") < 0) ||
	    (f->ancestors_cut && note(t, "ancestors: cut at %d", MMT_TASK_ANCESTORS_MAX) < 0) ||
	    (f->ancestors_error && note(t, "%s", f->ancestors_error) < 0))
		return -ENOMEM;
	return 0;
}

void mmt_task_release(struct mmt_task *t)
{
	if (!t)
		return;
	free(t->user);
	free(t->group);
	free(t->exe);
	free(t->cmdline);
	free(t->ancestors);
	free(t->error);
	memset(t, 0, sizeof(*t));
}
