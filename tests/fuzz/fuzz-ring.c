// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target: the raw sub-buffer decoding of src/ring.c (kbuffer
 * walk, event ids, field reads) and the pairing it feeds. The input is one
 * sub-buffer as trace_pipe_raw hands it out.
 *
 * ring.c is included, not linked, to reach its static decode path with no
 * test hook in it. The formats it parses are fixed below (ids of this
 * suite's own choosing, so the corpus means the same on every kernel): the
 * two syscall tracepoints, a kprobe-like entry with every field ring.c
 * knows, and a task event with a comm. tracefs_instance_file_read() and
 * tracefs_event_file_read() are defined here, so ring.c's own
 * parse_header_page() and add_decoder() read these instead of tracefs.
 */
#include "../../src/ring.c"

#include "pair.h"

static const char header_page[] =
	"\tfield: u64 timestamp;\toffset:0;\tsize:8;\tsigned:0;\n"
	"\tfield: local_t commit;\toffset:8;\tsize:8;\tsigned:1;\n"
	"\tfield: int overwrite;\toffset:8;\tsize:1;\tsigned:1;\n"
	"\tfield: char data;\toffset:16;\tsize:4080;\tsigned:0;\n";

#define COMMON \
	"format:\n" \
	"\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;\n" \
	"\tfield:unsigned char common_flags;\toffset:2;\tsize:1;\tsigned:0;\n" \
	"\tfield:unsigned char common_preempt_count;\toffset:3;\tsize:1;\tsigned:0;\n" \
	"\tfield:int common_pid;\toffset:4;\tsize:4;\tsigned:1;\n\n"

static const struct fmt {
	struct mmt_probe_event pe;
	const char *text;
} formats[] = {
	{ { "syscalls", "sys_enter_mmap", MMT_ROLE_MMAP_ENTER },
	  "name: sys_enter_mmap\nID: 174\n" COMMON
	  "\tfield:int __syscall_nr;\toffset:8;\tsize:4;\tsigned:1;\n"
	  "\tfield:unsigned long addr;\toffset:16;\tsize:8;\tsigned:0;\n"
	  "\tfield:unsigned long len;\toffset:24;\tsize:8;\tsigned:0;\n"
	  "\tfield:unsigned long prot;\toffset:32;\tsize:8;\tsigned:0;\n"
	  "\tfield:unsigned long flags;\toffset:40;\tsize:8;\tsigned:0;\n"
	  "\tfield:unsigned long fd;\toffset:48;\tsize:8;\tsigned:0;\n"
	  "\tfield:unsigned long off;\toffset:56;\tsize:8;\tsigned:0;\n\n"
	  "print fmt: \"addr: 0x%08lx\", ((unsigned long)(REC->addr))\n" },
	{ { "syscalls", "sys_exit_mmap", MMT_ROLE_MMAP_EXIT },
	  "name: sys_exit_mmap\nID: 173\n" COMMON
	  "\tfield:int __syscall_nr;\toffset:8;\tsize:4;\tsigned:1;\n"
	  "\tfield:long ret;\toffset:16;\tsize:8;\tsigned:1;\n\n"
	  "print fmt: \"0x%lx\", REC->ret\n" },
	{ { "mmaptrace_fuzz", "do_mmap_entry", MMT_ROLE_MMAP_ENTER },
	  "name: do_mmap_entry\nID: 2001\n" COMMON
	  "\tfield:unsigned long __probe_ip;\toffset:8;\tsize:8;\tsigned:0;\n"
	  "\tfield:u64 file;\toffset:16;\tsize:8;\tsigned:0;\n"
	  "\tfield:u64 addr;\toffset:24;\tsize:8;\tsigned:0;\n"
	  "\tfield:u64 len;\toffset:32;\tsize:8;\tsigned:0;\n"
	  "\tfield:u64 prot;\toffset:40;\tsize:8;\tsigned:0;\n"
	  "\tfield:u64 flags;\toffset:48;\tsize:8;\tsigned:0;\n"
	  "\tfield:u64 vm_flags;\toffset:56;\tsize:8;\tsigned:0;\n"
	  "\tfield:u64 pgoff;\toffset:64;\tsize:8;\tsigned:0;\n"
	  "\tfield:u64 ino;\toffset:72;\tsize:8;\tsigned:0;\n"
	  "\tfield:u32 sdev;\toffset:80;\tsize:4;\tsigned:0;\n"
	  "\tfield:s64 ctime_sec;\toffset:84;\tsize:8;\tsigned:1;\n"
	  "\tfield:u32 ctime_nsec;\toffset:92;\tsize:4;\tsigned:0;\n"
	  "\tfield:u32 f_flags;\toffset:96;\tsize:4;\tsigned:0;\n\n"
	  "print fmt: \"(%lx)\", REC->__probe_ip\n" },
	{ { "task", "task_newtask", MMT_ROLE_TASK_NEW },
	  "name: task_newtask\nID: 2002\n" COMMON
	  "\tfield:pid_t pid;\toffset:8;\tsize:4;\tsigned:1;\n"
	  "\tfield:char comm[16];\toffset:12;\tsize:16;\tsigned:0;\n"
	  "\tfield:unsigned long clone_flags;\toffset:32;\tsize:8;\tsigned:0;\n"
	  "\tfield:short oom_score_adj;\toffset:40;\tsize:2;\tsigned:1;\n\n"
	  "print fmt: \"pid=%d\", REC->pid\n" },
};

char *tracefs_instance_file_read(struct tracefs_instance *instance, const char *file, int *psize)
{
	(void)instance;
	if (strcmp(file, "events/header_page"))
		abort();	/* ring.c reads nothing else while decoding */
	if (psize)
		*psize = (int)strlen(header_page);
	return strdup(header_page);
}

char *tracefs_event_file_read(struct tracefs_instance *instance, const char *system,
			      const char *event, const char *file, int *psize)
{
	size_t i;

	(void)instance;
	(void)file;
	for (i = 0; i < sizeof(formats) / sizeof(formats[0]); i++)
		if (!strcmp(formats[i].pe.system, system) && !strcmp(formats[i].pe.name, event)) {
			*psize = (int)strlen(formats[i].text);
			return strdup(formats[i].text);
		}
	errno = ENOENT;
	return NULL;
}

static struct mmt_ring *ring;
static struct mmt_pair *pair;

static int deliver(const struct mmt_event *ev, void *ctx)
{
	struct mmt_mapping m;
	int r;

	(void)ctx;
	if (ev->comm[15])
		abort();	/* comm must come out NUL-terminated */
	r = mmt_pair_feed(pair, ev, &m);
	/* A return is only ever paired with an entry of its own thread. */
	if (r > 0 && (m.tid != ev->tid || m.enter.tid != ev->tid || m.ret != ev->ret))
		abort();
	return r < 0 ? r : 0;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	size_t i;

	(void)argc;
	(void)argv;
	ring = calloc(1, sizeof(*ring));
	pair = mmt_pair_new();
	if (!ring || !pair)
		abort();
	ring->page_shift = 12;
	ring->tep = tep_alloc();
	ring->dec = calloc(sizeof(formats) / sizeof(formats[0]), sizeof(*ring->dec));
	if (!ring->tep || !ring->dec || parse_header_page(ring->tep) < 0)
		abort();
	ring->page_size = tep_get_sub_buffer_size(ring->tep);
	ring->page = page_alloc(ring->page_size);
	for (i = 0; i < sizeof(formats) / sizeof(formats[0]); i++)
		if (add_decoder(ring, &formats[i].pe) < 0)
			abort();
	ring->ncpus = 1;
	ring->q = calloc(1, sizeof(*ring->q));
	ring->all = calloc(1, sizeof(*ring->all));
	if (!ring->page || !ring->q || !ring->all)
		abort();
	/* The merge reads every source's queues: here the one CPU's. */
	ring->all[0] = &ring->q->evq;
	ring->nall = 1;
	ring->q->fd = -1;
	ring->q->kbuf = kbuffer_alloc(KBUFFER_LSIZE_8, KBUFFER_ENDIAN_LITTLE);
	if (!ring->q->kbuf)
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cpu_queue *q = ring->q;

	memset(ring->page, 0, (size_t)ring->page_size);
	memcpy(ring->page, data, size < (size_t)ring->page_size ? size : (size_t)ring->page_size);
	q->evq.head = q->evq.len = 0;
	if (decode_subbuf(ring, q) == 0)
		merge(ring, UINT64_MAX, deliver, NULL);
	return 0;
}
