// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target: JSON and text output of a record whose path and comm are
 * arbitrary bytes (what a traced process can name its files and threads).
 * Input: PATH \0 COMM. Each record must come out as exactly one line; the
 * JSON line must parse and give the bytes back (the string itself when they
 * are UTF-8, else "<key>_hex"); the text line (with -y) must be printable
 * ASCII whose "3<path>" unescapes to the bytes.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <json-c/json.h>

#include "emit.h"
#include "utf8.h"

static char out[1 << 20];

/* The record's line(s) as written to @fd. */
static size_t emit_one(enum mmt_format fmt, const char *path, const char *comm)
{
	struct mmt_mapping m = { 0 };
	struct mmt_map_info mi = { .fd = -1 };
	struct mmt_record rec = { 0 };
	int fd = memfd_create("fuzz", 0);
	struct mmt_emit *e;
	ssize_t n;

	if (fd < 0)
		abort();
	/* Text with -y: the path follows the fd in <...>, escaped. */
	e = mmt_emit_open(fd, &(struct mmt_emit_opts){ .format = fmt, .fd_paths = true });
	m.enter.addr = 0x7f0000000000;
	m.enter.len = 4096;
	m.enter.prot = PROT_READ | PROT_EXEC;
	m.enter.flags = MAP_PRIVATE;
	m.enter.fd = 3;
	m.enter.have = MMT_HAVE_FD;
	m.ret = 0x7f0000000000;
	mi.path = (char *)path;
	rec.event = "do_mmap";
	rec.backend = "tracepoint";
	rec.pid = rec.tid = 42;
	rec.comm = comm;
	rec.map = &m;
	rec.file = &mi;
	rec.error = "";
	if (!e || mmt_emit_record(e, &rec, NULL) < 0 || mmt_emit_close(e) < 0)
		abort();
	n = pread(fd, out, sizeof(out) - 1, 0);
	close(fd);
	if (n <= 0)
		abort();
	out[n] = '\0';
	return (size_t)n;
}

static void one_line(size_t n)
{
	if (out[n - 1] != '\n' || memchr(out, '\n', n - 1))
		abort();
}

static void check_bytes(struct json_object *o, const char *key, const char *want)
{
	struct json_object *v, *h;
	char hkey[64], *hex;
	size_t i, len = strlen(want);

	snprintf(hkey, sizeof(hkey), "%s_hex", key);
	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		abort();
	if (!json_object_object_get_ex(o, hkey, &h) || !h) {
		if ((size_t)json_object_get_string_len(v) != len ||
		    memcmp(json_object_get_string(v), want, len))
			abort();
		return;
	}
	hex = malloc(2 * len + 1);
	for (i = 0; i < len; i++)
		sprintf(hex + 2 * i, "%02x", (unsigned char)want[i]);
	hex[2 * len] = '\0';
	if (strcmp(json_object_get_string(h), hex))
		abort();
	free(hex);
}

static void check_text(size_t n, const char *path)
{
	const char *p = strstr(out, ", 3<"), *w = path;
	size_t i;

	for (i = 0; i + 1 < n; i++)
		if ((unsigned char)out[i] < 0x20 || (unsigned char)out[i] > 0x7e)
			abort();
	if (!p)
		abort();
	for (p += 4; *p != '>'; p++, w++) {
		unsigned int c = (unsigned char)*p;

		if (c == '\\') {
			p++;
			switch (*p) {
			case 'n': c = '\n'; break;
			case 't': c = '\t'; break;
			case '"': c = '"'; break;
			case '\\': c = '\\'; break;
			case 'x':
				if (sscanf(p + 1, "%2x", &c) != 1)
					abort();
				p += 2;
				break;
			default: abort();
			}
		}
		if ((unsigned char)*w != c)
			abort();
	}
	if (*w)
		abort();	/* the quoted path ended early */
}

static void check_tracee_path(struct json_object *o, const char *path)
{
	struct json_object *data, *v, *str;
	char *want;
	bool lossy;

	if (!json_object_object_get_ex(o, "data", &data) ||
	    !(v = json_object_array_get_idx(data, 1)) ||
	    !json_object_object_get_ex(v, "str", &str))
		abort();
	want = mmt_utf8_sanitize(path, strlen(path), &lossy);
	if (!want || strcmp(want, json_object_get_string(str)))
		abort();
	free(want);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *path, comm[16] = "";
	struct json_object *o;
	size_t n, plen;

	if (size > 8192)
		return 0;
	path = malloc(size + 1);
	memcpy(path, data, size);
	path[size] = '\0';
	plen = strlen(path);
	if (plen + 1 < size)
		snprintf(comm, sizeof(comm), "%s", path + plen + 1);
	n = emit_one(MMT_FORMAT_JSON, path, comm[0] ? comm : NULL);
	one_line(n);
	o = json_tokener_parse(out);
	if (!o)
		abort();
	check_bytes(o, "pathname", path);
	if (comm[0])
		check_bytes(o, "comm", comm);
	json_object_put(o);
	n = emit_one(MMT_FORMAT_TEXT, path, comm[0] ? comm : NULL);
	one_line(n);
	check_text(n, path);
	/* Tracee's envelope: JSON, and its pathname the path with U+FFFD for bad bytes */
	n = emit_one(MMT_FORMAT_TRACEE, path, comm[0] ? comm : NULL);
	one_line(n);
	o = json_tokener_parse(out);
	if (!o)
		abort();
	check_tracee_path(o, path);
	json_object_put(o);
	free(path);
	return 0;
}
