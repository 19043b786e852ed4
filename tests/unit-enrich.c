// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The enrichment stage driven without a kernel: made-up events for real
 * mappings of this process (a file mapped PROT_EXEC, an anonymous page
 * mprotect()ed to executable), fed to mmt_enrich_deliver() as the ring
 * would, and the records read back from the emitter's file. Checks the
 * filters (--comm, --exclude-path, -e), the pairing counts (a return
 * without its entry, an entry whose thread exited), a rename seen by
 * --comm, the previous protection of an mprotect_exec and that an mprotect
 * adding nothing new makes no record, against what this process really
 * mapped (its inode, the file's SHA-256). One "ok:"/"FAIL:" line a check;
 * exit 1 if any failed.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>
#include <openssl/evp.h>

#include "clock.h"
#include "assemble.h"
#include "emit.h"
#include "enrich.h"
#include "inspect.h"
#include "options.h"

#define FILE_SIZE	8192

static int fails;
static int out_fd = -1;
static off_t out_seen;
static char file_path[64] = "/tmp/mmt-unit-enrich.XXXXXX";

static void check(const char *what, long long want, long long got)
{
	if (want == got) {
		printf("ok: %s = %lld\n", what, got);
	} else {
		printf("FAIL: %s: expected %lld, got %lld\n", what, want, got);
		fails++;
	}
}

static void check_str(const char *what, const char *want, const char *got)
{
	if (got && !strcmp(want, got)) {
		printf("ok: %s = %s\n", what, got);
	} else {
		printf("FAIL: %s: expected '%s', got '%s'\n", what, want, got ? got : "(null)");
		fails++;
	}
}

static void die(const char *what)
{
	perror(what);
	unlink(file_path);
	exit(99);
}

/* A stage over its own filters and a fresh output file. */
struct stage {
	struct mmt_filters f;
	struct mmt_emit_opts eo;
	struct mmt_emit *emit;
	struct mmt_assemble *assemble;
	struct mmt_enrich *e;
};

static void stage_open(struct stage *s, unsigned int events)
{
	memset(&s->eo, 0, sizeof(s->eo));
	s->f.events = events;
	s->f.hash_limit = (off_t)1 << 30;
	s->f.hash_timeout = MMT_HASH_DEADLINE_S;
	if (out_fd >= 0)
		close(out_fd);
	out_fd = memfd_create("unit-enrich-out", MFD_CLOEXEC);
	out_seen = 0;
	if (out_fd < 0)
		die("memfd_create");
	s->emit = mmt_emit_open(out_fd, &s->eo);
	s->assemble = s->emit ? mmt_assemble_open(s->emit, NULL) : NULL;
	if (!s->assemble)
		die("mmt_emit_open");
	s->e = mmt_enrich_new(&s->f, s->assemble, 0);
	if (!s->e)
		die("mmt_enrich_new");
	/* The tracepoint backend: no previous protection from the kernel. */
	mmt_enrich_set_backend(s->e, "tracepoint", false, false);
	mmt_enrich_set_window(s->e, 0, UINT64_MAX);
	mmt_enrich_next_batch(s->e);
}

static void stage_close(struct stage *s)
{
	if (mmt_assemble_close(s->assemble) < 0 || mmt_emit_close(s->emit) < 0)
		die("mmt_emit_close");
	mmt_enrich_free(s->e);
	memset(s, 0, sizeof(*s));
}

/* The records written since the last call, as a JSON array (caller puts it). */
static struct json_object *records(struct stage *s)
{
	struct json_object *all = json_object_new_array();
	char *buf, *line, *save = NULL;
	off_t end;

	if (mmt_assemble_pump(s->assemble, true) < 0 || mmt_emit_flush(s->emit) < 0)
		die("emit");
	end = lseek(out_fd, 0, SEEK_END);
	buf = calloc(1, (size_t)(end - out_seen) + 1);
	if (!all || !buf || pread(out_fd, buf, (size_t)(end - out_seen), out_seen) < 0)
		die("read records");
	out_seen = end;
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		struct json_object *o = json_tokener_parse(line);

		if (!o) {
			printf("FAIL: a record does not parse: %s\n", line);
			fails++;
			continue;
		}
		json_object_array_add(all, o);
	}
	free(buf);
	return all;
}

/* The value at a dotted path ("data.mapped.path") of @o, or NULL. */
static struct json_object *at(struct json_object *o, const char *path)
{
	char key[64];
	const char *dot;

	while (o && *path) {
		dot = strchr(path, '.');
		snprintf(key, sizeof(key), "%.*s", dot ? (int)(dot - path) : (int)strlen(path), path);
		if (!json_object_object_get_ex(o, key, &o))
			return NULL;
		path = dot ? dot + 1 : "";
	}
	return o;
}

static const char *str_at(struct json_object *o, const char *path)
{
	return json_object_get_string(at(o, path));
}

static void deliver(struct stage *s, const struct mmt_event *ev)
{
	if (mmt_enrich_deliver(ev, s->e) < 0)
		die("mmt_enrich_deliver");
}

/* An mmap() call as the tracepoint backend decodes it: entry and return. */
static void feed_mmap(struct stage *s, uint64_t len, uint64_t prot, uint64_t flags, int fd,
		      int64_t ret)
{
	struct mmt_event en = {
		.ts = mmt_mono_ns(), .role = MMT_ROLE_MMAP_ENTER, .tid = getpid(),
		.have = MMT_HAVE_FD, .len = len, .prot = prot, .flags = flags, .fd = fd,
	};
	struct mmt_event ex = {
		.role = MMT_ROLE_MMAP_EXIT, .tid = getpid(), .ret = ret,
	};

	deliver(s, &en);
	ex.ts = mmt_mono_ns();
	deliver(s, &ex);
}

static void feed_mprotect(struct stage *s, void *addr, uint64_t len, uint64_t prot)
{
	struct mmt_event en = {
		.ts = mmt_mono_ns(), .role = MMT_ROLE_MPROT_ENTER, .tid = getpid(),
		.addr = (uintptr_t)addr, .len = len, .prot = prot,
	};
	struct mmt_event ex = { .role = MMT_ROLE_MPROT_EXIT, .tid = getpid(), .ret = 0 };

	deliver(s, &en);
	ex.ts = mmt_mono_ns();
	deliver(s, &ex);
}

static void feed_task(struct stage *s, enum mmt_event_role role, const char *comm)
{
	struct mmt_event ev = { .ts = mmt_mono_ns(), .role = role, .tid = getpid() };

	if (comm) {
		snprintf(ev.comm, sizeof(ev.comm), "%s", comm);
		ev.have |= MMT_HAVE_COMM;
	}
	deliver(s, &ev);
}

static struct mmt_enrich_stats stats_of(struct stage *s)
{
	struct mmt_enrich_stats st;

	mmt_enrich_stats(s->e, &st);
	return st;
}

static void sha256_hex(const void *data, size_t n, char out[65])
{
	unsigned char md[32];
	unsigned int len = 0, i;

	if (!EVP_Digest(data, n, md, &len, EVP_sha256(), NULL) || len != 32)
		die("EVP_Digest");
	for (i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

int main(int argc, char **argv)
{
	static char content[FILE_SIZE];
	struct json_object *recs;
	struct stage s = { 0 };
	char sha[65];
	struct stat st;
	void *map, *anon;
	size_t i;
	int fd;

	/* The hasher runs this binary again as its confined inspector. */
	if (mmt_inspector_called(argc, argv))
		return mmt_inspector_main();

	for (i = 0; i < sizeof(content); i++)
		content[i] = (char)(i * 7 + 3);
	fd = mkstemp(file_path);
	if (fd < 0 || write(fd, content, sizeof(content)) != (ssize_t)sizeof(content) ||
	    fstat(fd, &st) < 0)
		die("temp file");
	sha256_hex(content, sizeof(content), sha);
	map = mmap(NULL, FILE_SIZE, PROT_READ | PROT_EXEC, MAP_PRIVATE, fd, 0);
	anon = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (map == MAP_FAILED || anon == MAP_FAILED)
		die("mmap");

	/* do_mmap: the file the call mapped, named and identified through /proc. */
	stage_open(&s, MMT_EV_DO_MMAP);
	feed_mmap(&s, FILE_SIZE, PROT_READ | PROT_EXEC, MAP_PRIVATE, fd, (intptr_t)map);
	recs = records(&s);
	check("do_mmap: records", 1, (long long)json_object_array_length(recs));
	check_str("do_mmap: event", "do_mmap", str_at(json_object_array_get_idx(recs, 0), "event"));
	check_str("do_mmap: pathname", file_path,
		  str_at(json_object_array_get_idx(recs, 0), "pathname"));
	check("do_mmap: inode", (long long)st.st_ino,
	      json_object_get_int64(at(json_object_array_get_idx(recs, 0), "inode")));
	check("do_mmap: addr", (long long)(intptr_t)map,
	      json_object_get_int64(at(json_object_array_get_idx(recs, 0), "addr")));
	json_object_put(recs);
	/* A return whose entry was lost, inside the window: an orphan. */
	{
		struct mmt_event ex = { .ts = mmt_mono_ns(), .role = MMT_ROLE_MMAP_EXIT,
					.tid = getpid(), .ret = (intptr_t)map };

		deliver(&s, &ex);
	}
	check("orphan returns", 1, (long long)stats_of(&s).pair.orphan_exits);
	/* An entry whose thread exited before its return. */
	{
		struct mmt_event en = { .ts = mmt_mono_ns(), .role = MMT_ROLE_MMAP_ENTER,
					.tid = getpid(), .len = 4096, .prot = PROT_READ,
					.flags = MAP_PRIVATE | MAP_ANONYMOUS, .fd = -1 };

		deliver(&s, &en);
		check("entries pending", 1, (long long)stats_of(&s).pair.pending);
		feed_task(&s, MMT_ROLE_TASK_EXIT, NULL);
		check("entries without a return", 1, (long long)stats_of(&s).pair.orphan_entries);
		check("entries pending after the exit", 0, (long long)stats_of(&s).pair.pending);
	}
	recs = records(&s);
	check("no record for orphans", 0, (long long)json_object_array_length(recs));
	json_object_put(recs);
	stage_close(&s);

	/*
	 * A MAP_FIXED entry and a return at another address: the halves of two
	 * calls (the events between were lost), never one record.
	 */
	stage_open(&s, MMT_EV_DO_MMAP);
	{
		struct mmt_event en = { .ts = mmt_mono_ns(), .role = MMT_ROLE_MMAP_ENTER,
					.tid = getpid(), .have = MMT_HAVE_FD, .addr = (uintptr_t)anon,
					.len = 4096, .prot = PROT_READ, .fd = -1,
					.flags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED };
		struct mmt_event ex = { .role = MMT_ROLE_MMAP_EXIT, .tid = getpid(),
					.ret = (intptr_t)map };

		deliver(&s, &en);
		ex.ts = mmt_mono_ns();
		deliver(&s, &ex);
	}
	recs = records(&s);
	check("MAP_FIXED returned elsewhere: records", 0, (long long)json_object_array_length(recs));
	check("MAP_FIXED returned elsewhere: unpaired entries", 1,
	      (long long)stats_of(&s).pair.orphan_entries);
	check("MAP_FIXED returned elsewhere: unpaired returns", 1,
	      (long long)stats_of(&s).pair.orphan_exits);
	json_object_put(recs);
	stage_close(&s);

	/* --exclude-path matches the file the call mapped: no record, counted. */
	s.f.excludes[0] = "/tmp/mmt-unit-enrich.*";
	s.f.nexcludes = 1;
	stage_open(&s, MMT_EV_DO_MMAP);
	feed_mmap(&s, FILE_SIZE, PROT_READ | PROT_EXEC, MAP_PRIVATE, fd, (intptr_t)map);
	recs = records(&s);
	check("--exclude-path: records", 0, (long long)json_object_array_length(recs));
	check("--exclude-path: filtered", 1, (long long)stats_of(&s).filtered);
	json_object_put(recs);
	stage_close(&s);
	s.f.nexcludes = 0;

	/* --comm: this process's name from /proc, then the name a rename event gives. */
	s.f.comms[0] = "renamed";
	s.f.ncomms = 1;
	stage_open(&s, MMT_EV_DO_MMAP);
	feed_mmap(&s, FILE_SIZE, PROT_READ | PROT_EXEC, MAP_PRIVATE, fd, (intptr_t)map);
	check("--comm before the rename: filtered", 1, (long long)stats_of(&s).filtered);
	feed_task(&s, MMT_ROLE_TASK_RENAME, "renamed");
	feed_mmap(&s, FILE_SIZE, PROT_READ | PROT_EXEC, MAP_PRIVATE, fd, (intptr_t)map);
	recs = records(&s);
	check("--comm after the rename: records", 1, (long long)json_object_array_length(recs));
	check_str("--comm after the rename: comm", "renamed",
		  str_at(json_object_array_get_idx(recs, 0), "comm"));
	json_object_put(recs);
	stage_close(&s);
	s.f.ncomms = 0;

	/*
	 * -e mmap_exec: only a successful PROT_EXEC mapping of a file, with the
	 * hashes of the file really mapped.
	 */
	stage_open(&s, MMT_EV_MMAP_EXEC);
	feed_mmap(&s, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, (intptr_t)anon);
	feed_mmap(&s, FILE_SIZE, PROT_READ | PROT_EXEC, MAP_PRIVATE, fd, -ENOMEM);
	feed_mmap(&s, FILE_SIZE, PROT_READ, MAP_PRIVATE, fd, (intptr_t)map);
	feed_mmap(&s, FILE_SIZE, PROT_READ | PROT_EXEC, MAP_PRIVATE, fd, (intptr_t)map);
	recs = records(&s);
	check("mmap_exec: records (not anonymous, failed or not executable)", 1,
	      (long long)json_object_array_length(recs));
	check_str("mmap_exec: mapped path", file_path,
		  str_at(json_object_array_get_idx(recs, 0), "data.mapped.path"));
	check_str("mmap_exec: sha256", sha,
		  str_at(json_object_array_get_idx(recs, 0), "data.mapped.sha256"));
	check("mmap_exec: size", FILE_SIZE,
	      json_object_get_int64(at(json_object_array_get_idx(recs, 0), "data.mapped.size")));
	json_object_put(recs);
	stage_close(&s);

	/*
	 * -e mprotect_exec: the previous protection from the mmap() seen; an
	 * mprotect that makes nothing newly executable gives no record.
	 */
	stage_open(&s, MMT_EV_MPROTECT_EXEC);
	feed_mmap(&s, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, (intptr_t)anon);
	if (mprotect(anon, 4096, PROT_READ | PROT_EXEC) < 0)
		die("mprotect");
	feed_mprotect(&s, anon, 4096, PROT_READ | PROT_EXEC);
	feed_mprotect(&s, anon, 4096, PROT_READ | PROT_EXEC);
	recs = records(&s);
	check("mprotect_exec: records (the second adds nothing)", 1,
	      (long long)json_object_array_length(recs));
	check_str("mprotect_exec: previous protection (PROT_READ|PROT_WRITE)", "0x3",
		  str_at(json_object_array_get_idx(recs, 0), "data.prev_prot"));
	check_str("mprotect_exec: alert", "anon_exec",
		  json_object_get_string(json_object_array_get_idx(
			  at(json_object_array_get_idx(recs, 0), "data.alerts"), 0)));
	json_object_put(recs);
	stage_close(&s);

	close(out_fd);
	close(fd);
	unlink(file_path);
	if (fails)
		printf("%d check(s) failed\n", fails);
	return fails ? 1 : 0;
}
