// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * JSON lines with json-c. Field names follow Tracee's do_mmap event
 * (addr, pathname, flags, dev, inode, ctime, pgoff, len, prot, mmap_flags);
 * what a backend could not learn is null, never a made-up 0.
 *
 * Strings are bytes from the kernel (paths, comm): invalid UTF-8 bytes are
 * replaced by U+FFFD and the exact bytes are then given in hex in
 * "<key>_hex", so the line is valid JSON text and nothing is lost.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "alert.h"
#include "emit-local.h"
#include "hashcache.h"
#include "task.h"
#include "host.h"
#include "utf8.h"

static int add(struct json_object *o, const char *key, struct json_object *v)
{
	/* On failure json-c has not taken @v: it is ours to free. */
	if (json_object_object_add(o, key, v) < 0) {
		json_object_put(v);
		return -ENOMEM;
	}
	return 0;
}

/*
 * The add_*() helpers also update an object built before: the do_mmap
 * record object is kept and refilled for every record, and so are the
 * trees of exec records once written (a pool), so the hot path sets values
 * in place instead of allocating and freeing dozens of json-c objects
 * (json-c's mallocs were half of the reader's time on an mmap storm; an
 * mmap_exec tree built and freed per record, 60% of it on the exec storm).
 *
 * A refilled object keeps its keys' order, but for a key it did not have:
 * json-c appends that one at the end, where a fresh build would not put
 * it. Only "<key>_hex" (a name that is not UTF-8) comes and goes, and
 * add_bytes() then sets misplaced: that record is built afresh.
 */
static bool misplaced;

static struct json_object *existing(struct json_object *o, const char *key, enum json_type type)
{
	struct json_object *c;

	return json_object_object_get_ex(o, key, &c) && c && json_object_is_type(c, type) ? c : NULL;
}

/*
 * Integers written without snprintf(): json-c formats each with "%" PRId64
 * or PRIu64, a quarter of the reader's instructions on an mmap storm. The
 * same digits; set again with every value, as a refilled object may change
 * from one kind to the other.
 */
static int put_digits(struct printbuf *pb, uint64_t v, bool minus)
{
	char buf[24], *p = buf + sizeof(buf);

	do {
		*--p = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	if (minus)
		*--p = '-';
	return printbuf_memappend(pb, p, (int)(buf + sizeof(buf) - p));
}

static int u64_out(struct json_object *j, struct printbuf *pb, int level, int flags)
{
	(void)level;
	(void)flags;
	return put_digits(pb, json_object_get_uint64(j), false);
}

static int i64_out(struct json_object *j, struct printbuf *pb, int level, int flags)
{
	int64_t v = json_object_get_int64(j);

	(void)level;
	(void)flags;
	/* The magnitude as unsigned: -INT64_MIN does not fit an int64_t. */
	return put_digits(pb, v < 0 ? 0 - (uint64_t)v : (uint64_t)v, v < 0);
}

static int add_u64(struct json_object *o, const char *key, uint64_t v)
{
	struct json_object *j = existing(o, key, json_type_int);

	if (j) {
		if (!json_object_set_uint64(j, v))
			return -EINVAL;
		json_object_set_serializer(j, u64_out, NULL, NULL);
		return 0;
	}
	j = json_object_new_uint64(v);
	if (!j)
		return -ENOMEM;
	json_object_set_serializer(j, u64_out, NULL, NULL);
	return add(o, key, j);
}

static int add_i64(struct json_object *o, const char *key, int64_t v)
{
	struct json_object *j = existing(o, key, json_type_int);

	if (j) {
		if (!json_object_set_int64(j, v))
			return -EINVAL;
		json_object_set_serializer(j, i64_out, NULL, NULL);
		return 0;
	}
	j = json_object_new_int64(v);
	if (!j)
		return -ENOMEM;
	json_object_set_serializer(j, i64_out, NULL, NULL);
	return add(o, key, j);
}

static int add_null(struct json_object *o, const char *key)
{
	struct json_object *c;

	if (json_object_object_get_ex(o, key, &c) && !c)
		return 0;
	return json_object_object_add(o, key, NULL) < 0 ? -ENOMEM : 0;
}

static int add_string(struct json_object *o, const char *key, const char *s, size_t n)
{
	struct json_object *j = existing(o, key, json_type_string);

	/*
	 * Not "" into a string json-c keeps in a buffer of its own: json-c 0.16
	 * (Debian 12's) then forgets the buffer and leaks it at the next longer
	 * string (json-c issue 780, fixed in 0.17). A new object replaces the
	 * old one in its place instead.
	 */
	if (j && n > 0)
		return json_object_set_string_len(j, s, (int)n) ? 0 : -ENOMEM;
	j = json_object_new_string_len(s, (int)n);
	return j ? add(o, key, j) : -ENOMEM;
}

static char *hex_of(const char *s, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	char *h = malloc(n * 2 + 1);
	size_t i;

	if (!h)
		return NULL;
	for (i = 0; i < n; i++) {
		h[2 * i] = digits[(unsigned char)s[i] >> 4];
		h[2 * i + 1] = digits[(unsigned char)s[i] & 15];
	}
	h[2 * n] = '\0';
	return h;
}

/* "<key>_hex" into @buf (no printf: this runs twice per record). */
static void hex_key(char *buf, size_t size, const char *key)
{
	size_t n = strlen(key);

	if (n + 5 > size)
		n = size - 5;
	memcpy(buf, key, n);
	memcpy(buf + n, "_hex", 5);
}

/* A byte string; NULL -> null. Adds "<key>_hex" when the bytes are not UTF-8. */
static int add_bytes(struct json_object *o, const char *key, const char *s, size_t n)
{
	char hkey[64], *clean, *hex;
	bool lossy;
	int r;

	if (!s || mmt_utf8_valid(s, n)) {
		/* An earlier record of a refilled object may have left one. */
		hex_key(hkey, sizeof(hkey), key);
		json_object_object_del(o, hkey);
		json_object_object_del(o, hkey);
		return s ? add_string(o, key, s, n) : add_null(o, key);
	}
	hex_key(hkey, sizeof(hkey), key);
	/* Refilling: @key is there already, its hex would come after the keys that follow. */
	if (json_object_object_get_ex(o, key, NULL) && !json_object_object_get_ex(o, hkey, NULL))
		misplaced = true;
	clean = mmt_utf8_sanitize(s, n, &lossy);
	if (!clean)
		return -ENOMEM;
	r = add_string(o, key, clean, strlen(clean));
	free(clean);
	if (r < 0)
		return r;
	hex = hex_of(s, n);
	if (!hex)
		return -ENOMEM;
	r = add_string(o, hkey, hex, 2 * n);
	free(hex);
	return r;
}

static int add_str(struct json_object *o, const char *key, const char *s)
{
	return add_bytes(o, key, s, s ? strlen(s) : 0);
}

static int add_file_fields(struct json_object *o, const struct mmt_record *rec)
{
	const struct mmt_map_info *fi = rec->file;
	struct mmt_file_fields ff;
	int r = 0;

	mmt_file_fields(rec, &ff);
	r |= add_str(o, "pathname", fi ? fi->path : NULL);
	r |= ff.have_flags ? add_u64(o, "flags", ff.flags) : add_null(o, "flags");
	r |= ff.have_dev ? add_u64(o, "dev", ff.dev) : add_null(o, "dev");
	r |= ff.have_ino ? add_u64(o, "inode", ff.ino) : add_null(o, "inode");
	r |= ff.have_ctime ? add_u64(o, "ctime", ff.ctime_ns) : add_null(o, "ctime");
	r |= ff.have_ino_gen ? add_u64(o, "ino_generation", ff.ino_gen)
			     : add_null(o, "ino_generation");
	return r ? -ENOMEM : 0;
}

static int append_object(struct mmt_line *l, struct json_object *o);

/*
 * The alert names as a JSON array, [] for none (never null: no alert is a
 * finding too). The array of a refilled object is emptied and refilled.
 */
static int add_alerts(struct json_object *o, const char *key, unsigned int alerts)
{
	struct json_object *a = existing(o, key, json_type_array), *s;
	unsigned int bit;
	size_t n;

	if (a) {
		n = json_object_array_length(a);
		if (n && json_object_array_del_idx(a, 0, n) < 0)
			return -ENOMEM;
	} else {
		a = json_object_new_array();
		if (!a || add(o, key, a) < 0)
			return -ENOMEM;
	}
	for (bit = 1; bit & MMT_ALERT_ALL; bit <<= 1) {
		if (!(alerts & bit))
			continue;
		s = json_object_new_string(mmt_alert_name(bit));
		if (!s || json_object_array_add(a, s) < 0) {
			json_object_put(s);
			return -ENOMEM;
		}
	}
	return 0;
}

/* Kunai writes addresses and protections as hex strings: "0x7f0c758e0000". */
static int add_hex64(struct json_object *o, const char *key, uint64_t v)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "0x%llx", (unsigned long long)v);
	return add_string(o, key, buf, strlen(buf));
}

/* The mapping itself: the do_mmap record's body, and mmap_exec's data.mapping. */
static int add_mapping_fields(struct json_object *o, const struct mmt_record *rec)
{
	const struct mmt_mapping *m = rec->map;
	const struct mmt_event *en = &m->enter;
	int r = 0;

	r |= add_u64(o, "addr", mmt_mapping_failed(m) ? en->addr : (uint64_t)m->ret);
	r |= add_u64(o, "len", en->len);
	r |= add_u64(o, "prot", en->prot);
	r |= add_u64(o, "mmap_flags", en->flags);
	r |= add_u64(o, "pgoff", en->pgoff);
	r |= (en->have & MMT_HAVE_FD) ? add_i64(o, "fd", (int)en->fd) : add_null(o, "fd");
	if (r)
		return -ENOMEM;
	r = add_file_fields(o, rec);
	if (r < 0)
		return r;
	r |= (en->have & MMT_HAVE_VM_FLAGS) ? add_u64(o, "vm_flags", en->vm_flags)
					    : add_null(o, "vm_flags");
	r |= add_i64(o, "return_value", m->ret);
	r |= add_str(o, "errno", mmt_mapping_failed(m) ? strerrorname_np((int)-m->ret) : NULL);
	r |= add_str(o, "error", rec->error && *rec->error ? rec->error : NULL);
	return r ? -ENOMEM : 0;
}

static int build(struct json_object *o, const struct mmt_record *rec)
{
	char utc[48];
	int r = 0;

	mmt_line_utc(utc, sizeof(utc), rec->utc_ns);
	r |= add_str(o, "event", rec->event);
	r |= add_str(o, "time", utc);
	r |= add_u64(o, "timestamp", rec->utc_ns);
	r |= add_str(o, "backend", rec->backend);
	r |= rec->pid ? add_i64(o, "pid", rec->pid) : add_null(o, "pid");
	r |= add_i64(o, "tid", rec->tid);
	r |= add_str(o, "comm", rec->comm);
	if (r || add_mapping_fields(o, rec) < 0)
		return -ENOMEM;
	return add_alerts(o, "alerts", rec->alerts);
}

/* The object under @key: the one there (a refilled tree), else a new one. */
static struct json_object *child(struct json_object *parent, const char *key)
{
	struct json_object *o = existing(parent, key, json_type_object);

	if (o)
		return o;
	o = json_object_new_object();
	if (o && add(parent, key, o) < 0)
		return NULL;
	return o;
}

static int add_hex32(struct json_object *o, const char *key, unsigned int v)
{
	char buf[16];

	snprintf(buf, sizeof(buf), "0x%x", v);
	return add_str(o, key, buf);
}

/*
 * Kunai's task section. Kunai's reader takes no null but for namespaces
 * (events.rs, TaskSection), so a task /proc could not describe (gone
 * before it was read) keeps what the events carried and says "unknown" in
 * Kunai's own ways: "?" for strings (as Kunai writes an unknown user),
 * 0 for an unknown pid, (uid_t)-1 for ids (the kernel's "no id"), no flags.
 */
static int add_task(struct json_object *info, const char *key, const struct mmt_task *t,
		    pid_t tid, pid_t tgid, const char *comm)
{
	struct json_object *o = child(info, key), *ns;
	int r = 0;

	if (!o)
		return -ENOMEM;
	if (!t) {
		r |= add_str(o, "name", comm ? comm : "?");
		r |= add_i64(o, "pid", tid) | add_i64(o, "tgid", tgid);
		r |= add_str(o, "guuid", "?");
		r |= add_u64(o, "uid", (uint32_t)-1) | add_str(o, "user", "?");
		r |= add_u64(o, "gid", (uint32_t)-1) | add_str(o, "group", "?");
		r |= add_null(o, "namespaces") | add_hex32(o, "flags", 0);
		r |= json_object_object_add(o, "zombie", json_object_new_boolean(0)) < 0;
		return r ? -ENOMEM : 0;
	}
	r |= add_bytes(o, "name", t->comm, strlen(t->comm));
	r |= add_i64(o, "pid", t->pid);
	r |= add_i64(o, "tgid", t->tgid);
	r |= add_str(o, "guuid", t->guuid);
	r |= add_u64(o, "uid", t->uid);
	r |= add_str(o, "user", t->user ? t->user : "?");
	r |= add_u64(o, "gid", t->gid);
	r |= add_str(o, "group", t->group ? t->group : "?");
	if (t->mnt_ns) {
		ns = child(o, "namespaces");
		r |= ns ? add_u64(ns, "mnt", t->mnt_ns) : -ENOMEM;
	} else {
		r |= add_null(o, "namespaces");
	}
	r |= add_hex32(o, "flags", t->flags);
	r |= json_object_object_add(o, "zombie", json_object_new_boolean(t->zombie)) < 0;
	return r ? -ENOMEM : 0;
}

static int add_info(struct json_object *root, const struct mmt_record *rec, const char *source)
{
	const struct mmt_exec_info *x = rec->exec;
	struct json_object *info = child(root, "info"), *host, *ev;
	char utc[48];
	int r = 0;

	if (!info || !(host = child(info, "host")) || !(ev = child(info, "event")))
		return -ENOMEM;
	r |= add_str(host, "name", x->host->name);
	r |= add_str(host, "uuid", x->host->uuid);
	/*
	 * Kunai's container section: the task's mount namespace is not the
	 * tool's. Its name is the container's host name, which only the task's
	 * UTS namespace knows: "?", as Kunai writes it when it cannot tell.
	 */
	if (x->task && x->task->container) {
		struct json_object *c = child(host, "container");
		const char *type = mmt_task_container_type(x->task);

		r |= !c ? -ENOMEM : add_str(c, "name", "?") | add_str(c, "type", type);
	} else {
		r |= add_null(host, "container");
	}
	r |= add_str(ev, "source", source);
	/* Kunai's numbers: 40 for mprotect_exec, 41 for mmap_exec. */
	r |= add_i64(ev, "id", strcmp(rec->event, "mprotect_exec") ? 41 : 40);
	r |= add_str(ev, "name", rec->event);
	r |= add_str(ev, "uuid", x->uuid);
	r |= add_u64(ev, "batch", x->batch);
	if (r)
		return -ENOMEM;
	r = add_task(info, "task", x->task, rec->tid, rec->pid, rec->comm);
	if (!r)
		r = add_task(info, "parent_task", x->parent, x->task ? x->task->ppid : 0,
			     x->task ? x->task->ppid : 0, NULL);
	if (r)
		return r;
	mmt_line_utc(utc, sizeof(utc), rec->utc_ns);
	return add_str(info, "utc_time", utc);
}

/*
 * mprotect_exec's own part of data: Kunai's addr and prot, then what it
 * lacks: the length, the protection before, and what backs the range (the
 * hashes of data.mapped come later, as for mmap_exec).
 */
static int add_mprotect_data(struct json_object *data, const struct mmt_record *rec)
{
	const struct mmt_event *en = &rec->map->enter;
	const struct mmt_map_info *fi = rec->file;
	const char *path = fi ? fi->path : NULL;
	struct json_object *mapped;
	int r = 0;

	r |= add_hex64(data, "addr", en->addr);
	r |= add_hex64(data, "prot", en->prot);
	r |= add_u64(data, "len", en->len);
	r |= rec->prev_prot >= 0 ? add_hex64(data, "prev_prot", (uint64_t)rec->prev_prot)
				 : add_null(data, "prev_prot");
	/* Known anonymous, known a file, or (nothing resolved) null. */
	if (fi && fi->anon)
		r |= json_object_object_add(data, "anonymous", json_object_new_boolean(1)) < 0;
	else if (path)
		r |= json_object_object_add(data, "anonymous", json_object_new_boolean(0)) < 0;
	else
		r |= add_null(data, "anonymous");
	if (r)
		return -ENOMEM;
	if (fi && fi->anon)
		return add_null(data, "mapped");
	mapped = child(data, "mapped");
	if (!mapped)
		return -ENOMEM;
	return add_bytes(mapped, "path", path ? path : "?", path ? strlen(path) : 1);
}

/* data.mapped, but for what the hasher gives later: path only, for now. */
static int add_data(struct json_object *root, const struct mmt_record *rec)
{
	const struct mmt_exec_info *x = rec->exec;
	const struct mmt_task *t = x->task;
	struct json_object *data = child(root, "data"), *exe, *mapped, *mapping;
	const char *path = rec->file ? rec->file->path : NULL;
	int r = 0;

	if (!data)
		return -ENOMEM;
	r |= t && t->ancestors ? add_bytes(data, "ancestors", t->ancestors, strlen(t->ancestors))
			       : add_str(data, "ancestors", "?");
	r |= t && t->cmdline ? add_bytes(data, "command_line", t->cmdline, t->cmdline_len)
			     : add_str(data, "command_line", "?");
	/* Beyond Kunai: a command line cut at MMT_TASK_CMDLINE_MAX says so. */
	r |= t ? json_object_object_add(data, "command_line_truncated",
					json_object_new_boolean(t->cmdline_truncated)) < 0
	       : add_null(data, "command_line_truncated");
	exe = child(data, "exe");
	r |= !exe ? -ENOMEM : t && t->exe ? add_bytes(exe, "path", t->exe, strlen(t->exe))
					   : add_str(exe, "path", "?");
	if (!r && !strcmp(rec->event, "mprotect_exec")) {
		r = add_mprotect_data(data, rec);
		r = r ? r : add_alerts(data, "alerts", rec->alerts);
		r = r ? r : add_str(data, "backend", rec->backend);
		return r ? r : add_str(data, "error", x->task_error && *x->task_error ?
					       x->task_error : NULL);
	}
	mapped = child(data, "mapped");
	r |= !mapped ? -ENOMEM : add_bytes(mapped, "path", path ? path : "?", path ? strlen(path) : 1);
	mapping = child(data, "mapping");
	if (r || !mapping)
		return -ENOMEM;
	r = add_mapping_fields(mapping, rec);
	if (!r)
		r = add_str(mapping, "backend", rec->backend);
	if (!r)
		r = add_alerts(data, "alerts", rec->alerts);
	if (!r)
		r = add_str(data, "error", x->task_error && *x->task_error ? x->task_error : NULL);
	return r;
}

/* Trees of written exec records kept for refilling, per kind (their keys differ). */
#define POOL_MAX	64
enum { KIND_MMAP, KIND_MPROTECT, KINDS };

struct pool {
	struct json_object *tree[POOL_MAX];
	int n;
};

/* One emitter's JSON state. */
struct json_state {
	struct json_object *obj;	/* the do_mmap object, refilled per record */
	char *source;			/* info.event.source */
	struct pool pool[KINDS];
};

static int kind_of_event(const char *event)
{
	return strcmp(event, "mprotect_exec") ? KIND_MMAP : KIND_MPROTECT;
}

/* Which pool a tree goes back to: info.event.name says. */
static int kind_of_tree(struct json_object *root)
{
	struct json_object *info, *ev, *name;

	if (json_object_object_get_ex(root, "info", &info) &&
	    json_object_object_get_ex(info, "event", &ev) &&
	    json_object_object_get_ex(ev, "name", &name) && name)
		return kind_of_event(json_object_get_string(name));
	return -1;
}

static int exec_build(struct json_object *root, const struct mmt_record *rec, const char *source)
{
	misplaced = false;
	return add_data(root, rec) < 0 || add_info(root, rec, source) < 0 ? -ENOMEM : 0;
}

/* The part of an exec record: its whole tree but the hashes of data.mapped. */
static void *json_exec_start(void *state, const struct mmt_record *rec)
{
	struct json_state *js = state;
	struct pool *p = &js->pool[kind_of_event(rec->event)];
	struct json_object *root = p->n ? p->tree[--p->n] : json_object_new_object();

	if (root && exec_build(root, rec, js->source) == 0 && !misplaced)
		return root;
	/* A half-refilled tree, or one whose keys would be out of order: afresh. */
	json_object_put(root);
	root = json_object_new_object();
	if (root && exec_build(root, rec, js->source) < 0) {
		json_object_put(root);
		root = NULL;
	}
	if (!root)
		errno = ENOMEM;
	return root;
}

/* data.mapped's hashes, type and error, after its path. */
static int fill_mapped(struct json_object *mapped, const struct mmt_hashes *h, const char *error)
{
	bool ok = h && h->have_hashes;
	int r = 0;

	/* Kunai writes "?" where it has no value: never a hash of something else. */
	r |= add_str(mapped, "magic", h && h->magic_top ? h->magic_top : "?");
	/* Beyond Kunai: libmagic's whole text, as `file -b` prints it. */
	r |= add_str(mapped, "magic_full", h && h->magic ? h->magic : "?");
	r |= add_str(mapped, "md5", ok ? h->md5 : "?");
	r |= add_str(mapped, "sha1", ok ? h->sha1 : "?");
	r |= add_str(mapped, "sha256", ok ? h->sha256 : "?");
	r |= add_str(mapped, "sha512", ok ? h->sha512 : "?");
	/* fstat of the opened object; Kunai's u64 is 0 when nothing was opened. */
	r |= add_u64(mapped, "size", h && h->size > 0 ? (uint64_t)h->size : 0);
	/* Beyond Kunai: the ELF build-id of the object hashed (what perf's build-id records say). */
	r |= add_str(mapped, "build_id", h && h->build_id[0] ? h->build_id : NULL);
	if (error && *error)
		r |= add_str(mapped, "error", error);
	else
		r |= add_str(mapped, "error", h && h->error[0] ? h->error : NULL);
	return r ? -ENOMEM : 0;
}

/* Drops every key of @o but the path's, so that the others come again in order. */
static void keep_path_only(struct json_object *o)
{
	const char *drop[32];
	int n = 0;

	json_object_object_foreach(o, key, val) {
		(void)val;
		if (strcmp(key, "path") && strcmp(key, "path_hex") && n < 32)
			drop[n++] = key;
	}
	/* The keys are the table's: deleting one frees it, so the list is taken first. */
	for (int i = n - 1; i >= 0; i--)
		json_object_object_del(o, drop[i]);
}

static int json_exec_finish(void *state, struct mmt_line *l, void *part,
			    const struct mmt_hashes *h, const char *error)
{
	struct json_object *root = part, *data, *mapped;
	int r;

	(void)state;
	if (!json_object_object_get_ex(root, "data", &data) ||
	    !json_object_object_get_ex(data, "mapped", &mapped))
		return -EINVAL;
	/* Anonymous memory (mprotect_exec): nothing was to be hashed. */
	if (!mapped)
		return append_object(l, root);
	misplaced = false;
	r = fill_mapped(mapped, h, error);
	if (!r && misplaced) {
		keep_path_only(mapped);
		r = fill_mapped(mapped, h, error);
	}
	return r ? r : append_object(l, root);
}

static void json_exec_free(void *state, void *part)
{
	struct json_state *js = state;
	int kind;

	if (!part)
		return;
	kind = kind_of_tree(part);
	if (kind >= 0 && js->pool[kind].n < POOL_MAX)
		js->pool[kind].tree[js->pool[kind].n++] = part;
	else
		json_object_put(part);
}

static int append_object(struct mmt_line *l, struct json_object *o)
{
	size_t len;
	const char *s = json_object_to_json_string_length(o,
			JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
	int r;

	if (!s)
		return -ENOMEM;
	r = mmt_line_append(l, s, len);
	return r < 0 ? r : mmt_line_append(l, "\n", 1);
}

static void *json_open(const struct mmt_emit_opts *opts)
{
	struct json_state *js = calloc(1, sizeof(*js));

	/* JSON is never cut nor decorated: only the source name matters. */
	if (!js)
		return NULL;
	js->source = strdup(opts->source ? opts->source : MMT_EMIT_SOURCE);
	if (!js->source) {
		free(js);
		return NULL;
	}
	return js;
}

static void json_close(void *state)
{
	struct json_state *js = state;

	if (!js)
		return;
	if (js->obj)
		json_object_put(js->obj);
	for (int k = 0; k < KINDS; k++)
		while (js->pool[k].n)
			json_object_put(js->pool[k].tree[--js->pool[k].n]);
	free(js->source);
	free(js);
}

static int json_record(void *state, struct mmt_line *l, const struct mmt_record *rec)
{
	struct json_state *js = state;
	struct json_object **o = &js->obj;
	int r;

	if (!*o) {
		*o = json_object_new_object();
		if (!*o)
			return -ENOMEM;
	}
	misplaced = false;
	r = build(*o, rec);
	if (!r && misplaced) {
		/* A key the kept object lacked would come out of its place: afresh. */
		json_object_put(*o);
		*o = json_object_new_object();
		if (!*o)
			return -ENOMEM;
		misplaced = false;
		r = build(*o, rec);
	}
	if (!r)
		return append_object(l, *o);
	/* A half-updated object is not reused. */
	json_object_put(*o);
	*o = NULL;
	return r;
}

static int json_lost(void *state, struct mmt_line *l, uint64_t lost, int cpu,
		     enum mmt_lost_cause cause, uint64_t utc_ns)
{
	struct json_object *o = json_object_new_object();
	char utc[48];
	int r = 0;

	(void)state;
	if (!o)
		return -ENOMEM;
	mmt_line_utc(utc, sizeof(utc), utc_ns);
	r |= add_str(o, "event", "lost");
	r |= add_str(o, "time", utc);
	r |= add_u64(o, "timestamp", utc_ns);
	r |= cpu >= 0 ? add_i64(o, "cpu", cpu) : add_null(o, "cpu");
	r |= add_u64(o, "lost", lost);
	r |= add_str(o, "cause", mmt_lost_cause_name(cause));
	r = r ? -ENOMEM : append_object(l, o);
	json_object_put(o);
	return r;
}

/* The reader's health, every --stats-interval: what an operator graphs. */
static int json_stats(void *state, struct mmt_line *l, const struct mmt_stats *s)
{
	struct json_object *o = json_object_new_object();
	char utc[48];
	int r = 0;

	(void)state;
	if (!o)
		return -ENOMEM;
	mmt_line_utc(utc, sizeof(utc), s->utc_ns);
	r |= add_str(o, "event", "stats");
	r |= add_str(o, "time", utc);
	r |= add_u64(o, "timestamp", s->utc_ns);
	r |= add_u64(o, "elapsed_ns", s->elapsed_ns);
	r |= add_u64(o, "events", s->events);
	r |= add_u64(o, "mappings", s->mappings);
	r |= add_u64(o, "records", s->records);
	r |= add_u64(o, "filtered", s->filtered);
	r |= add_u64(o, "lost", s->lost);
	r |= add_u64(o, "missed", s->missed);
	r |= add_u64(o, "unpaired", s->unpaired);
	r |= add_u64(o, "corrupt", s->corrupt);
	r |= add_u64(o, "pending", s->pending);
	r |= add_u64(o, "threads", s->threads);
	r |= add_u64(o, "hash_hits", s->hash_hits);
	r |= add_u64(o, "hash_misses", s->hash_misses);
	r |= add_u64(o, "hashed_files", s->hashed_files);
	r |= add_u64(o, "hashed_bytes", s->hashed_bytes);
	r |= add_u64(o, "hash_skipped", s->hash_skipped);
	r |= add_u64(o, "proc_reads", s->proc_reads);
	r |= add_u64(o, "rss_kb", s->rss_kb);
	r |= add_u64(o, "max_rss_kb", s->max_rss_kb);
	r |= add_u64(o, "cpu_user_us", s->cpu_user_us);
	r |= add_u64(o, "cpu_system_us", s->cpu_system_us);
	r = r ? -ENOMEM : append_object(l, o);
	json_object_put(o);
	return r;
}

const struct mmt_formatter mmt_formatter_json = {
	.open = json_open,
	.close = json_close,
	.record = json_record,
	.exec_start = json_exec_start,
	.exec_finish = json_exec_finish,
	.exec_free = json_exec_free,
	.lost = json_lost,
	.stats = json_stats,
};
