// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The do_mmap kprobe pair, the mprotect_fixup pair and the commit_creds
 * kprobe where the kernel's layout has them. The definitions are text for kprobe_events, built
 * once from the kernel layout; the same text is what --print-probes shows and
 * what is written, so an operator audits exactly what runs.
 *
 * Both events are named after the run's pid as well as grouped by it:
 * kprobe_profile lists events by name only, without their group, so a name
 * shared with another run (or another tool) would make its counts ambiguous.
 *
 * The kernel joins every probe on one address into one aggregate kprobe and
 * counts a miss of it in each member's MISSED column: the kretprobe's too,
 * and any other tool's or run's probe on do_mmap. A kretprobe's column also
 * has its returns missed for want of an instance (6.x, and 5.10 since the
 * fix was backported to it). Before 5.14 a fault in a member's fetch (the
 * file fields of an anonymous mapping, whose file is NULL) counts as a miss
 * too: two per failed fetch, measured on 5.10, while the event is recorded.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <tracefs.h>

#include "btf.h"
#include "error.h"
#include "kprobe.h"

/* The kernel refuses a larger maxactive ("Maxactive is too big") */
#define KRETPROBE_MAXACTIVE_MAX	4096
#define MAXACTIVE_MIN		128
/* Reads of kprobe_profile for a baseline that no miss changed while it was read */
#define BASELINE_TRIES		8

/* The MISSED columns of our events in kprobe_profile */
struct missed_cols {
	uint64_t entry, ret;		/* do_mmap */
	uint64_t mp_entry, mp_ret;	/* mprotect_fixup; 0 where not probed */
};

struct mmt_kprobe {
	struct mmt_btf_layout layout;
	char source[300];	/* layout->source copied: btf.c's buffer is reused */
	char no_btf[300];	/* why BTF was not used; "" if it was */
	char group[48];
	char entry_event[48];
	char return_event[48];
	char entry_args[1024];
	char mp_entry_event[48];
	char mp_return_event[48];
	char mp_entry_args[512];	/* "" when mprotect_fixup is not probed */
	char creds_event[48];
	char creds_args[160];		/* "" when commit_creds is not probed */
	int maxactive;
	bool faults_missed;	/* the kernel counts a fault in a fetch as a miss */
	struct missed_cols base;	/* the columns once all our probes existed */
	uint64_t entry_missed;	/* the counts reported so far: they never go down */
	uint64_t ret_missed;
	bool entry_created;
	bool return_created;
	bool mp_entry_created;
	bool mp_return_created;
	bool creds_created;
};

bool mmt_kprobe_available(void)
{
	return tracefs_file_exists(NULL, "kprobe_events");
}

/* Return: 0, or -ENOSPC if @buf is full (the definition would be cut). */
static int __attribute__((format(printf, 3, 4)))
appendf(char *buf, size_t size, const char *fmt, ...)
{
	size_t len = strlen(buf);
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf + len, size - len, fmt, ap);
	va_end(ap);
	return n < 0 || (size_t)n >= size - len ? -ENOSPC : 0;
}

/* Fetch-arg type of an integer of @size bytes, in @buf; NULL for sizes kprobes cannot fetch */
static const char *int_type(char *buf, char sign, int size)
{
	if (size != 1 && size != 2 && size != 4 && size != 8)
		return NULL;
	snprintf(buf, 8, "%c%d", sign, size * 8);
	return buf;
}

static int add_arg(struct mmt_kprobe *k, const char *name, int pos, const char *type)
{
	if (!pos)
		return 0;
	return appendf(k->entry_args, sizeof(k->entry_args), "%s%s=$arg%d:%s",
		       k->entry_args[0] ? " " : "", name, pos, type);
}

/*
 * The fetch-arg names are the field names ring.c looks up, and the same as
 * Tracee's do_mmap fields. On 6.1 a return probe cannot fetch $argN
 * ("Invalid $-variable specified"), so the entry carries everything and the
 * return only the result; pair.c joins them per thread.
 */
static int build_entry(struct mmt_kprobe *k)
{
	const struct mmt_btf_layout *l = &k->layout;
	char *b = k->entry_args;
	size_t n = sizeof(k->entry_args);
	char tbuf[8];
	const char *t;
	int r = 0;

	b[0] = '\0';
	r = r ?: add_arg(k, "file", l->arg_file, "x64");
	r = r ?: add_arg(k, "addr", l->arg_addr, "x64");
	r = r ?: add_arg(k, "len", l->arg_len, "u64");
	r = r ?: add_arg(k, "prot", l->arg_prot, "x64");
	r = r ?: add_arg(k, "flags", l->arg_flags, "x64");
	r = r ?: add_arg(k, "vm_flags", l->arg_vm_flags, "x64");
	r = r ?: add_arg(k, "pgoff", l->arg_pgoff, "u64");
	/*
	 * For an anonymous mapping file is NULL: the kernel's fetch of +off(0)
	 * faults quietly and yields 0, which ring.c then ignores.
	 */
	if (l->off_file_f_inode >= 0) {
		t = int_type(tbuf, 'u', l->size_i_ino);
		if (!r && t && l->off_inode_i_ino >= 0)
			r = appendf(b, n, " ino=+%d(+%d($arg%d)):%s", l->off_inode_i_ino,
				    l->off_file_f_inode, l->arg_file, t);
		t = int_type(tbuf, 'u', l->size_s_dev);
		if (!r && t && l->off_inode_i_sb >= 0 && l->off_sb_s_dev >= 0)
			r = appendf(b, n, " sdev=+%d(+%d(+%d($arg%d))):%s", l->off_sb_s_dev,
				    l->off_inode_i_sb, l->off_file_f_inode, l->arg_file, t);
		/* time64_t is signed: a ctime before 1970 stays negative */
		t = int_type(tbuf, 's', l->size_ctime_sec);
		if (!r && t && l->off_inode_ctime_sec >= 0)
			r = appendf(b, n, " ctime_sec=+%d(+%d($arg%d)):%s",
				    l->off_inode_ctime_sec, l->off_file_f_inode, l->arg_file, t);
		t = int_type(tbuf, 'u', l->size_ctime_nsec);
		if (!r && t && l->off_inode_ctime_nsec >= 0)
			r = appendf(b, n, " ctime_nsec=+%d(+%d($arg%d)):%s",
				    l->off_inode_ctime_nsec, l->off_file_f_inode, l->arg_file, t);
	}
	t = int_type(tbuf, 'x', l->size_f_flags);
	if (!r && t && l->off_file_f_flags >= 0)
		r = appendf(b, n, " f_flags=+%d($arg%d):%s", l->off_file_f_flags, l->arg_file, t);
	return r;
}

/*
 * mprotect_fixup(..., vma, ..., start, end, newflags): one call per VMA an
 * mprotect() changes. The VMA's flags before the change and its file come
 * from the vma; VM_READ, VM_WRITE and VM_EXEC are PROT_READ, PROT_WRITE and
 * PROT_EXEC's bits. Without the vma's offsets nothing is probed: mprotect is
 * then watched through the syscall tracepoints (probe.c).
 */
static int build_mprotect(struct mmt_kprobe *k)
{
	const struct mmt_btf_layout *l = &k->layout;
	char *b = k->mp_entry_args, tbuf[8];
	size_t n = sizeof(k->mp_entry_args);
	const char *t;
	int r;

	b[0] = '\0';
	if (!l->mp_arg_vma || l->off_vma_vm_flags < 0 || l->off_vma_vm_file < 0)
		return 0;
	r = appendf(b, n, "start=$arg%d:x64 end=$arg%d:x64 newflags=$arg%d:x64 "
		    "oldflags=+%d($arg%d):x64 file=+%d($arg%d):x64", l->mp_arg_start,
		    l->mp_arg_end, l->mp_arg_newflags, l->off_vma_vm_flags, l->mp_arg_vma,
		    l->off_vma_vm_file, l->mp_arg_vma);
	/* The file's identity, so that /proc is not taken at its word (as for do_mmap). */
	t = int_type(tbuf, 'u', l->size_i_ino);
	if (!r && t && l->off_file_f_inode >= 0 && l->off_inode_i_ino >= 0)
		r = appendf(b, n, " ino=+%d(+%d(+%d($arg%d))):%s", l->off_inode_i_ino,
			    l->off_file_f_inode, l->off_vma_vm_file, l->mp_arg_vma, t);
	t = int_type(tbuf, 'u', l->size_s_dev);
	if (!r && t && l->off_file_f_inode >= 0 && l->off_inode_i_sb >= 0 && l->off_sb_s_dev >= 0)
		r = appendf(b, n, " sdev=+%d(+%d(+%d(+%d($arg%d)))):%s", l->off_sb_s_dev,
			    l->off_inode_i_sb, l->off_file_f_inode, l->off_vma_vm_file,
			    l->mp_arg_vma, t);
	return r;
}

/*
 * commit_creds(new): the ids a task has from now on, at the one place every
 * change of them goes through (set*id(), the 32-bit calls too, and an exec
 * of a setuid file). No return probe: it cannot fail. Without the cred's
 * offsets nothing is probed, and the ids come from /proc alone.
 */
static int build_creds(struct mmt_kprobe *k)
{
	const struct mmt_btf_layout *l = &k->layout;

	k->creds_args[0] = '\0';
	if (!l->cc_arg_new || l->off_cred_uid < 0 || l->off_cred_euid < 0 || l->off_cred_gid < 0)
		return 0;
	return appendf(k->creds_args, sizeof(k->creds_args),
		       "uid=+%d($arg%d):u32 euid=+%d($arg%d):u32 gid=+%d($arg%d):u32",
		       l->off_cred_uid, l->cc_arg_new, l->off_cred_euid, l->cc_arg_new,
		       l->off_cred_gid, l->cc_arg_new);
}

/*
 * A kretprobe needs a free instance for each task inside do_mmap at the same
 * time. do_mmap sleeps (page allocation, a file's ->mmap), so far more tasks
 * than CPUs can be inside it, and the kernel's default of max(10, 2 * CPUs)
 * is made for functions that do not sleep. Returns missed anyway are counted
 * in kprobe_profile and reported.
 */
static int pick_maxactive(void)
{
	const char *env = getenv(MMT_KPROBE_MAXACTIVE_ENV);
	long ncpus = sysconf(_SC_NPROCESSORS_CONF);
	long m = ncpus > 0 ? ncpus * 8 : MAXACTIVE_MIN;
	char *end;

	/* A test knob: maxactive 1 makes a storm of mappings miss returns */
	if (env && *env) {
		errno = 0;
		m = strtol(env, &end, 10);
		if (errno || *end || m < 1 || m > KRETPROBE_MAXACTIVE_MAX) {
			mmt_error("$%s: '%s' is not a number from 1 to %d",
				  MMT_KPROBE_MAXACTIVE_ENV, env, KRETPROBE_MAXACTIVE_MAX);
			return -EINVAL;
		}
		return (int)m;
	}
	if (m < MAXACTIVE_MIN)
		m = MAXACTIVE_MIN;
	return m > KRETPROBE_MAXACTIVE_MAX ? KRETPROBE_MAXACTIVE_MAX : (int)m;
}

/*
 * Before 5.14 the x86 kprobe fault handler counted a fault inside a probe's
 * handler as a miss (5.14 removed kprobe::fault_handler and that count with
 * it); measured: 5.10 counts them, 6.1 does not.
 */
static bool kernel_counts_faults(void)
{
	struct utsname u;
	unsigned int major, minor;

	if (uname(&u) < 0 || sscanf(u.release, "%u.%u", &major, &minor) != 2)
		return false;
	return major < 5 || (major == 5 && minor < 14);
}

static int load_layout(struct mmt_kprobe *k)
{
	const char *btf = getenv(MMT_KPROBE_BTF_ENV), *path;
	struct utsname u;
	int r;

	if (btf && !strcmp(btf, "none")) {
		snprintf(k->no_btf, sizeof(k->no_btf), "$%s=none", MMT_KPROBE_BTF_ENV);
	} else {
		if (btf && !*btf)
			btf = NULL;
		r = mmt_btf_layout_load(btf, &k->layout);
		if (!r) {
			snprintf(k->source, sizeof(k->source), "%s", k->layout.source);
			return 0;
		}
		path = btf ? btf : MMT_BTF_VMLINUX;
		/* btf.c's -ENOENT is also "no do_mmap in it": tell the two apart */
		snprintf(k->no_btf, sizeof(k->no_btf), "%s: %s", path,
			 r == -ENOENT && access(path, F_OK) == 0 ?
			 "no do_mmap(file, addr, len, ...) in it" :
			 r == -EPROTO ? "not valid BTF" : strerror(-r));
	}
	if (uname(&u) < 0)
		return mmt_perror(-errno, "uname");
	r = mmt_btf_layout_fallback(u.release, &k->layout);
	if (r < 0) {
		mmt_error("cannot place the do_mmap kprobe: no BTF (%s) and no built-in "
			  "layout for kernel %s", k->no_btf, u.release);
		return r;
	}
	snprintf(k->source, sizeof(k->source), "%s", k->layout.source);
	return 0;
}

struct mmt_kprobe *mmt_kprobe_alloc(pid_t pid)
{
	struct mmt_kprobe *k = calloc(1, sizeof(*k));
	int r;

	if (!k)
		return NULL;
	r = load_layout(k);
	if (r < 0)
		goto out_free;
	snprintf(k->group, sizeof(k->group), MMT_GROUP_PREFIX "%d", (int)pid);
	snprintf(k->entry_event, sizeof(k->entry_event), MMT_KPROBE_FUNC "_entry_%d", (int)pid);
	snprintf(k->return_event, sizeof(k->return_event), MMT_KPROBE_FUNC "_return_%d",
		 (int)pid);
	k->maxactive = pick_maxactive();
	if (k->maxactive < 0) {
		r = k->maxactive;
		goto out_free;
	}
	k->faults_missed = kernel_counts_faults();
	snprintf(k->mp_entry_event, sizeof(k->mp_entry_event), MMT_KPROBE_MPROTECT_FUNC "_entry_%d",
		 (int)pid);
	snprintf(k->mp_return_event, sizeof(k->mp_return_event),
		 MMT_KPROBE_MPROTECT_FUNC "_return_%d", (int)pid);
	snprintf(k->creds_event, sizeof(k->creds_event), MMT_KPROBE_CREDS_FUNC "_%d", (int)pid);
	r = build_entry(k);
	if (!r)
		r = build_mprotect(k);
	if (!r)
		r = build_creds(k);
	if (r < 0) {
		mmt_perror(r, "kprobe definition too long");
		goto out_free;
	}
	return k;

out_free:
	free(k);
	errno = -r;
	return NULL;
}

void mmt_kprobe_free(struct mmt_kprobe *k)
{
	free(k);
}

int mmt_kprobe_describe(const struct mmt_kprobe *k, FILE *f)
{
	const struct mmt_btf_layout *l = &k->layout;

	if (fprintf(f, "mmaptrace: kprobe layout from %s%s%s%s: %s(file=$arg%d addr=$arg%d "
		    "len=$arg%d prot=$arg%d flags=$arg%d vm_flags=$arg%d pgoff=$arg%d), "
		    "file.f_inode=%d file.f_flags=%d inode.i_ino=%d inode.i_sb=%d "
		    "super_block.s_dev=%d inode ctime sec=%d nsec=%d (-1 or $arg0: not fetched)\n",
		    k->source, k->no_btf[0] ? " (no BTF: " : "", k->no_btf,
		    k->no_btf[0] ? "; offsets measured on Debian's stock kernel, wrong if this "
				   "one is built differently)" : "",
		    MMT_KPROBE_FUNC, l->arg_file, l->arg_addr, l->arg_len, l->arg_prot,
		    l->arg_flags, l->arg_vm_flags, l->arg_pgoff,
		    l->off_file_f_inode, l->off_file_f_flags, l->off_inode_i_ino,
		    l->off_inode_i_sb, l->off_sb_s_dev,
		    l->off_inode_ctime_sec, l->off_inode_ctime_nsec) < 0)
		return -errno;
	if (k->faults_missed &&
	    fprintf(f, "mmaptrace: this kernel (before 5.14) counts a fault in a probe's fetch "
		    "as a miss: entries missed are not counted, returns missed are\n") < 0)
		return -errno;
	if (!k->mp_entry_args[0]) {
		if (fprintf(f, "mmaptrace: no %s in the layout: mprotect is watched through the "
			    "syscall tracepoints\n", MMT_KPROBE_MPROTECT_FUNC) < 0)
			return -errno;
	} else if (fprintf(f, "mmaptrace: kprobe layout: %s(vma=$arg%d start=$arg%d end=$arg%d "
			   "newflags=$arg%d), vm_area_struct.vm_flags=%d vm_area_struct.vm_file=%d\n",
			   MMT_KPROBE_MPROTECT_FUNC, l->mp_arg_vma, l->mp_arg_start, l->mp_arg_end,
			   l->mp_arg_newflags, l->off_vma_vm_flags, l->off_vma_vm_file) < 0) {
		return -errno;
	}
	if (!k->creds_args[0])
		return fprintf(f, "mmaptrace: no %s in the layout: a task's ids come from /proc "
			       "alone (unknown for a process gone before it was read)\n",
			       MMT_KPROBE_CREDS_FUNC) < 0 ? -errno : 0;
	if (fprintf(f, "mmaptrace: kprobe layout: %s(new=$arg%d), cred.uid=%d cred.euid=%d "
		    "cred.gid=%d\n", MMT_KPROBE_CREDS_FUNC, l->cc_arg_new, l->off_cred_uid,
		    l->off_cred_euid, l->off_cred_gid) < 0)
		return -errno;
	return 0;
}

bool mmt_kprobe_layout_guessed(const struct mmt_kprobe *k)
{
	return k->no_btf[0] != '\0';
}

static void entry_line(const struct mmt_kprobe *k, char *buf, size_t size)
{
	snprintf(buf, size, "p:%s/%s %s %s", k->group, k->entry_event, MMT_KPROBE_FUNC,
		 k->entry_args);
}

static void return_line(const struct mmt_kprobe *k, char *buf, size_t size)
{
	snprintf(buf, size, "r%d:%s/%s %s ret=$retval:x64", k->maxactive, k->group,
		 k->return_event, MMT_KPROBE_FUNC);
}

static void mp_entry_line(const struct mmt_kprobe *k, char *buf, size_t size)
{
	snprintf(buf, size, "p:%s/%s %s %s", k->group, k->mp_entry_event,
		 MMT_KPROBE_MPROTECT_FUNC, k->mp_entry_args);
}

/* mprotect_fixup() returns an int: 0 or -errno. */
static void mp_return_line(const struct mmt_kprobe *k, char *buf, size_t size)
{
	snprintf(buf, size, "r%d:%s/%s %s ret=$retval:s32", k->maxactive, k->group,
		 k->mp_return_event, MMT_KPROBE_MPROTECT_FUNC);
}

static void creds_line(const struct mmt_kprobe *k, char *buf, size_t size)
{
	snprintf(buf, size, "p:%s/%s %s %s", k->group, k->creds_event, MMT_KPROBE_CREDS_FUNC,
		 k->creds_args);
}

int mmt_kprobe_print(const struct mmt_kprobe *k, FILE *f)
{
	const struct {
		void (*make)(const struct mmt_kprobe *, char *, size_t);
		bool on;
	} lines[] = {
		{ entry_line, true }, { return_line, true },
		{ mp_entry_line, k->mp_entry_args[0] }, { mp_return_line, k->mp_entry_args[0] },
		{ creds_line, k->creds_args[0] },
	};
	char line[1200];
	size_t i;

	for (i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		if (!lines[i].on)
			continue;
		lines[i].make(k, line, sizeof(line));
		if (fprintf(f, "%s\n", line) < 0)
			return -errno;
	}
	return 0;
}

/* O_APPEND: writing without it would replace every probe on the system, not only ours. */
static int kprobe_events_append(const char *line)
{
	errno = 0;
	if (tracefs_instance_file_append(NULL, "kprobe_events", line) < 0)
		return errno ? -errno : -EIO;
	return 0;
}

static int add_failed(int err, const char *line)
{
	char *log = tracefs_error_last(NULL);

	mmt_perror(err, "cannot add '%s' to kprobe_events", line);
	if (log && *log)
		fprintf(stderr, "%s%s", log, log[strlen(log) - 1] == '\n' ? "" : "\n");
	free(log);
	return err;
}

static int delete_event(const char *group, const char *event)
{
	char line[128];
	int r;

	snprintf(line, sizeof(line), "-:%s/%s", group, event);
	r = kprobe_events_append(line);
	if (r < 0)
		mmt_perror(r, "cannot remove kprobe %s/%s", group, event);
	return r;
}

/* Adds the line @make writes for @k; Return: 0 or -errno, with a message. */
static int create_one(struct mmt_kprobe *k, void (*make)(const struct mmt_kprobe *, char *, size_t),
		      bool *created)
{
	char line[1200];
	int r;

	make(k, line, sizeof(line));
	r = kprobe_events_append(line);
	if (r < 0)
		return add_failed(r, line);
	*created = true;
	return 0;
}

static int read_missed(const struct mmt_kprobe *k, struct missed_cols *m);

/*
 * The columns before any of our probes is enabled. A miss of another probe
 * on the same function counted between a return's line and its entry's
 * makes that read's difference low: the highest of the reads is kept, and
 * two reads alike had no miss in between.
 */
static void take_baseline(struct mmt_kprobe *k)
{
	struct missed_cols m, prev;
	int64_t d = INT64_MIN, mp_d = INT64_MIN;
	int i;

	for (i = 0; i < BASELINE_TRIES; i++) {
		/* Never readable: mmt_kprobe_missed() fails, and the summary has no counts */
		if (read_missed(k, &m) < 0) {
			if (!i)
				return;
			m = prev;
			break;
		}
		if ((int64_t)(m.ret - m.entry) > d)
			d = (int64_t)(m.ret - m.entry);
		if ((int64_t)(m.mp_ret - m.mp_entry) > mp_d)
			mp_d = (int64_t)(m.mp_ret - m.mp_entry);
		if (i && !memcmp(&m, &prev, sizeof(m)))
			break;
		prev = m;
	}
	k->base.entry = m.entry;
	k->base.ret = m.entry + (uint64_t)d;
	k->base.mp_entry = m.mp_entry;
	k->base.mp_ret = m.mp_entry + (uint64_t)mp_d;
}

int mmt_kprobe_create(struct mmt_kprobe *k)
{
	int r;

	/*
	 * Each return before its entry: kprobe_profile lists events in the
	 * order they were made, so a miss counted while it is read can only
	 * make a return count low, never high (mmt_kprobe_missed()).
	 */
	r = create_one(k, return_line, &k->return_created);
	if (!r)
		r = create_one(k, entry_line, &k->entry_created);
	if (!r && k->mp_entry_args[0])
		r = create_one(k, mp_return_line, &k->mp_return_created);
	if (!r && k->mp_entry_args[0])
		r = create_one(k, mp_entry_line, &k->mp_entry_created);
	/* Not fatal: without it the ids come from /proc alone, as without the layout. */
	if (!r && k->creds_args[0] && create_one(k, creds_line, &k->creds_created) < 0) {
		mmt_error("%s is not probed: a task's ids come from /proc alone",
			  MMT_KPROBE_CREDS_FUNC);
		k->creds_args[0] = '\0';
	}
	if (r < 0) {
		mmt_kprobe_destroy(k);
		return r;
	}
	take_baseline(k);
	return 0;
}

/* Deletes @event if this run made it; Return: 0 or -errno. */
static int delete_created(const struct mmt_kprobe *k, bool *created, const char *event)
{
	if (!*created)
		return 0;
	*created = false;
	return delete_event(k->group, event);
}

int mmt_kprobe_destroy(struct mmt_kprobe *k)
{
	int r = 0, e;

	/* Returns before entries, mprotect_fixup's before do_mmap's; the first error counts. */
	e = delete_created(k, &k->creds_created, k->creds_event);
	r = r ?: e;
	e = delete_created(k, &k->mp_return_created, k->mp_return_event);
	r = r ?: e;
	e = delete_created(k, &k->mp_entry_created, k->mp_entry_event);
	r = r ?: e;
	e = delete_created(k, &k->return_created, k->return_event);
	r = r ?: e;
	e = delete_created(k, &k->entry_created, k->entry_event);
	r = r ?: e;
	return r;
}

const char *mmt_kprobe_group(const struct mmt_kprobe *k)
{
	return k->group;
}

const char *mmt_kprobe_entry_event(const struct mmt_kprobe *k)
{
	return k->entry_event;
}

const char *mmt_kprobe_return_event(const struct mmt_kprobe *k)
{
	return k->return_event;
}

bool mmt_kprobe_has_mprotect(const struct mmt_kprobe *k)
{
	return k->mp_entry_args[0] != '\0';
}

const char *mmt_kprobe_mprotect_entry_event(const struct mmt_kprobe *k)
{
	return k->mp_entry_event;
}

const char *mmt_kprobe_mprotect_return_event(const struct mmt_kprobe *k)
{
	return k->mp_return_event;
}

bool mmt_kprobe_has_creds(const struct mmt_kprobe *k)
{
	return k->creds_args[0] != '\0';
}

const char *mmt_kprobe_creds_event(const struct mmt_kprobe *k)
{
	return k->creds_event;
}

/*
 * "  EVENT  HITS  MISSED" per line. Return: 0, or -errno (-ENOENT: the
 * do_mmap pair is not listed).
 */
static int read_missed(const struct mmt_kprobe *k, struct missed_cols *m)
{
	char *buf = tracefs_instance_file_read(NULL, "kprobe_profile", NULL);
	char *line, *save = NULL;
	int found = 0;

	if (!buf)
		return errno ? -errno : -ENOENT;
	memset(m, 0, sizeof(*m));
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char name[64];
		unsigned long long hit, missed;

		if (sscanf(line, "%63s %llu %llu", name, &hit, &missed) != 3)
			continue;
		if (!strcmp(name, k->entry_event)) {
			m->entry = missed;
			found |= 1;
		} else if (!strcmp(name, k->return_event)) {
			m->ret = missed;
			found |= 2;
		} else if (!strcmp(name, k->mp_entry_event)) {
			m->mp_entry = missed;
		} else if (!strcmp(name, k->mp_return_event)) {
			m->mp_ret = missed;
		}
	}
	free(buf);
	return found == 3 ? 0 : -ENOENT;
}

/* @ret's count less @entry's, each since the baseline; negative while a read raced a miss */
static int64_t returns_only(uint64_t ret, uint64_t entry, uint64_t ret0, uint64_t entry0)
{
	return (int64_t)(ret - ret0) - (int64_t)(entry - entry0);
}

bool mmt_kprobe_entries_counted(const struct mmt_kprobe *k)
{
	(void)k;
	return !kernel_counts_faults();
}

int mmt_kprobe_missed(struct mmt_kprobe *k, uint64_t *entry, uint64_t *ret)
{
	const struct missed_cols *b = &k->base;
	struct missed_cols m;
	int64_t rets;
	uint64_t ents;
	int r;

	r = read_missed(k, &m);
	if (r < 0)
		return r;
	/*
	 * A pair's entry and return are members of one aggregate kprobe: each
	 * of its misses is in both columns, so the return's own misses are
	 * the difference. The return's line is read first: a miss counted
	 * between the two lines lowers this count for one read, and the
	 * next one has it right.
	 */
	rets = returns_only(m.ret, m.entry, b->ret, b->entry) +
	       returns_only(m.mp_ret, m.mp_entry, b->mp_ret, b->mp_entry);
	if (rets > 0 && (uint64_t)rets > k->ret_missed)
		k->ret_missed = (uint64_t)rets;
	/* Where faults count as misses, the entry's column is no count of losses. */
	ents = k->faults_missed ? 0 : (m.entry - b->entry) + (m.mp_entry - b->mp_entry);
	if (ents > k->entry_missed)
		k->entry_missed = ents;
	if (entry)
		*entry = k->entry_missed;
	if (ret)
		*ret = k->ret_missed;
	return 0;
}

/*
 * Splits a kprobe_events line "p:GROUP/EVENT SYMBOL ARGS" (or "r128:..."):
 * points @group and @event into @line, which is modified.
 * Return: true for a kprobe or kretprobe line.
 */
static bool split_line(char *line, char **group, char **event)
{
	char *colon, *slash, *end;

	if (line[0] != 'p' && line[0] != 'r')
		return false;
	colon = strchr(line, ':');
	if (!colon)
		return false;
	slash = strchr(colon, '/');
	end = strchr(colon, ' ');
	if (!slash || (end && end < slash))
		return false;
	*slash = '\0';
	if (end)
		*end = '\0';
	*group = colon + 1;
	*event = slash + 1;
	return true;
}

/*
 * kprobe_events' text; "" when it is empty. libtracefs returns NULL for an
 * empty file, with a stale errno: on a host where no tool has made a probe
 * yet (every fresh boot) that is not an error.
 */
static char *read_kprobe_events(int *err)
{
	char *buf;

	errno = 0;
	buf = tracefs_instance_file_read(NULL, "kprobe_events", NULL);
	if (!buf && tracefs_file_exists(NULL, "kprobe_events"))
		buf = strdup("");
	*err = buf ? 0 : errno ? -errno : -ENOENT;
	return buf;
}

int mmt_kprobe_remove_group(const char *group)
{
	char *line, *save = NULL, *g, *e, *buf;
	int removed = 0, r;

	buf = read_kprobe_events(&r);
	if (!buf)
		return r;
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (!split_line(line, &g, &e) || strcmp(g, group))
			continue;
		r = delete_event(g, e);
		if (r < 0) {
			free(buf);
			return r;
		}
		removed++;
	}
	free(buf);
	return removed;
}

void mmt_kprobe_groups_free(char **groups)
{
	char **g;

	for (g = groups; g && *g; g++)
		free(*g);
	free(groups);
}

int mmt_kprobe_list_groups(const char *prefix, char ***groups)
{
	char *line, *save = NULL, *g, *e, **v, **tmp, *buf;
	size_t n = 0, i;
	int r;

	*groups = NULL;
	buf = read_kprobe_events(&r);
	if (!buf)
		return r;
	v = calloc(1, sizeof(*v));
	if (!v)
		goto out_nomem;
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (!split_line(line, &g, &e) || strncmp(g, prefix, strlen(prefix)))
			continue;
		for (i = 0; i < n && strcmp(v[i], g); i++)
			;
		if (i < n)
			continue;
		tmp = realloc(v, (n + 2) * sizeof(*v));
		if (!tmp)
			goto out_nomem;
		v = tmp;
		v[n] = strdup(g);
		if (!v[n])
			goto out_nomem;
		v[++n] = NULL;
	}
	free(buf);
	*groups = v;
	return (int)n;

out_nomem:
	mmt_kprobe_groups_free(v);
	free(buf);
	return -ENOMEM;
}
