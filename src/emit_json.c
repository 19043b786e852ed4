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
#include <string.h>

#include <json-c/json.h>

#include "emit.h"
#include "utf8.h"

#define MAX_ERRNO 4095

static int add(struct json_object *o, const char *key, struct json_object *v)
{
	/* On failure json-c has not taken @v: it is ours to free. */
	if (json_object_object_add(o, key, v) < 0) {
		json_object_put(v);
		return -ENOMEM;
	}
	return 0;
}

static int add_u64(struct json_object *o, const char *key, uint64_t v)
{
	struct json_object *j = json_object_new_uint64(v);

	return j ? add(o, key, j) : -ENOMEM;
}

static int add_i64(struct json_object *o, const char *key, int64_t v)
{
	struct json_object *j = json_object_new_int64(v);

	return j ? add(o, key, j) : -ENOMEM;
}

static int add_null(struct json_object *o, const char *key)
{
	return json_object_object_add(o, key, NULL) < 0 ? -ENOMEM : 0;
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

/* A byte string; NULL -> null. Adds "<key>_hex" when the bytes are not UTF-8. */
static int add_bytes(struct json_object *o, const char *key, const char *s, size_t n)
{
	struct json_object *j;
	char hkey[64], *clean, *hex;
	bool lossy;
	int r;

	if (!s)
		return add_null(o, key);
	clean = mmt_utf8_sanitize(s, n, &lossy);
	if (!clean)
		return -ENOMEM;
	j = json_object_new_string(clean);
	free(clean);
	if (!j)
		return -ENOMEM;
	r = add(o, key, j);
	if (r < 0 || !lossy)
		return r;
	hex = hex_of(s, n);
	if (!hex)
		return -ENOMEM;
	snprintf(hkey, sizeof(hkey), "%s_hex", key);
	j = json_object_new_string(hex);
	free(hex);
	return j ? add(o, hkey, j) : -ENOMEM;
}

static int add_str(struct json_object *o, const char *key, const char *s)
{
	return add_bytes(o, key, s, s ? strlen(s) : 0);
}

static bool is_error(int64_t ret)
{
	return ret < 0 && ret >= -MAX_ERRNO;
}

static int add_file_fields(struct json_object *o, const struct mmt_record *rec)
{
	const struct mmt_event *en = &rec->map->enter;
	const struct mmt_map_info *fi = rec->file;
	int r = 0;

	r |= add_str(o, "pathname", fi ? fi->path : NULL);
	/* The kernel's own view (kprobe) wins over what /proc shows later. */
	if (en->have & MMT_HAVE_FFLAGS)
		r |= add_u64(o, "flags", en->f_flags);
	else if (fi && fi->have_fflags)
		r |= add_u64(o, "flags", fi->f_flags);
	else
		r |= add_null(o, "flags");
	if (en->have & MMT_HAVE_DEV)
		r |= add_u64(o, "dev", en->dev);
	else if (fi && fi->have_id)
		r |= add_u64(o, "dev", fi->dev);
	else
		r |= add_null(o, "dev");
	if (en->have & MMT_HAVE_INO)
		r |= add_u64(o, "inode", en->ino);
	else if (fi && fi->have_id)
		r |= add_u64(o, "inode", fi->ino);
	else
		r |= add_null(o, "inode");
	if (en->have & MMT_HAVE_CTIME)
		r |= add_u64(o, "ctime", en->ctime_sec * 1000000000ULL + en->ctime_nsec);
	else if (fi && fi->have_id)
		r |= add_u64(o, "ctime", (uint64_t)fi->ctime_sec * 1000000000ULL +
					 (uint64_t)fi->ctime_nsec);
	else
		r |= add_null(o, "ctime");
	return r ? -ENOMEM : 0;
}

static int build(struct json_object *o, const struct mmt_record *rec)
{
	const struct mmt_mapping *m = rec->map;
	const struct mmt_event *en = &m->enter;
	char utc[48];
	int r = 0;

	mmt_format_utc(utc, sizeof(utc), rec->utc_ns);
	r |= add_str(o, "event", rec->event);
	r |= add_str(o, "time", utc);
	r |= add_u64(o, "timestamp", rec->utc_ns);
	r |= add_str(o, "backend", rec->backend);
	r |= rec->pid ? add_i64(o, "pid", rec->pid) : add_null(o, "pid");
	r |= add_i64(o, "tid", rec->tid);
	r |= add_str(o, "comm", rec->comm);
	r |= add_u64(o, "addr", is_error(m->ret) ? en->addr : (uint64_t)m->ret);
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
	r |= add_str(o, "errno", is_error(m->ret) ? strerrorname_np((int)-m->ret) : NULL);
	r |= add_str(o, "error", rec->error && *rec->error ? rec->error : NULL);
	return r ? -ENOMEM : 0;
}

static int emit_object(struct mmt_emit *e, struct json_object *o)
{
	size_t len;
	const char *s = json_object_to_json_string_length(o,
			JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
	int r;

	if (!s)
		return -ENOMEM;
	r = mmt_emit_append(e, s, len);
	return r < 0 ? r : mmt_emit_append(e, "\n", 1);
}

int mmt_emit_json_record(struct mmt_emit *e, const struct mmt_record *rec)
{
	struct json_object *o = json_object_new_object();
	int r;

	if (!o)
		return -ENOMEM;
	r = build(o, rec);
	if (!r)
		r = emit_object(e, o);
	json_object_put(o);
	return r;
}

int mmt_emit_json_lost(struct mmt_emit *e, uint64_t lost, int cpu, uint64_t utc_ns)
{
	struct json_object *o = json_object_new_object();
	char utc[48];
	int r = 0;

	if (!o)
		return -ENOMEM;
	mmt_format_utc(utc, sizeof(utc), utc_ns);
	r |= add_str(o, "event", "lost");
	r |= add_str(o, "time", utc);
	r |= add_u64(o, "timestamp", utc_ns);
	r |= add_i64(o, "cpu", cpu);
	r |= add_u64(o, "lost", lost);
	r = r ? -ENOMEM : emit_object(e, o);
	json_object_put(o);
	return r;
}
