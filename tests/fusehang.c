// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fusehang MNT CONTENT - a FUSE filesystem that stops answering: mounted at
 * MNT, it serves one file, "lib.so", with the bytes of CONTENT. Spoken to
 * /dev/fuse directly (the protocol of <linux/fuse.h>), so no libfuse.
 *
 * SIGUSR1: from now on every request is read and never answered (a hung
 * server: the kernel has handed the request over, so a caller waits in the
 * kernel until the server dies). SIGUSR2: only reads go unanswered. Writes
 * "ready" on stdout once mounted, "hang" once a signal took effect; exits
 * on SIGTERM, and its death aborts the connection (waiters get ENOTCONN).
 * Attributes and entries are valid for 0 s: every stat asks the server.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/fuse.h>

#define ROOT_ID		1
#define FILE_ID		2
#define FILE_NAME	"lib.so"
#define BUF_SIZE	(1024 * 1024 + 4096)

static volatile sig_atomic_t hang_all, hang_reads, stop;

static char *content;
static size_t content_len;

static void on_signal(int sig)
{
	if (sig == SIGUSR1)
		hang_all = 1;
	else if (sig == SIGUSR2)
		hang_reads = 1;
	else
		stop = 1;
}

static void reply(int fd, uint64_t unique, int error, const void *data, size_t len)
{
	char buf[sizeof(struct fuse_out_header) + 4096];
	struct fuse_out_header *oh = (void *)buf;

	if (len > sizeof(buf) - sizeof(*oh))
		len = sizeof(buf) - sizeof(*oh);
	oh->unique = unique;
	oh->error = -error;
	oh->len = sizeof(*oh) + (error ? 0 : len);
	if (!error && len)
		memcpy(buf + sizeof(*oh), data, len);
	/* ENOENT: the request was interrupted meanwhile; nothing to do. */
	if (write(fd, buf, oh->len) < 0 && errno != ENOENT)
		perror("fusehang: write");
}

static void fill_attr(struct fuse_attr *a, uint64_t id)
{
	memset(a, 0, sizeof(*a));
	a->ino = id;
	a->nlink = id == ROOT_ID ? 2 : 1;
	a->mode = id == ROOT_ID ? S_IFDIR | 0755 : S_IFREG | 0755;
	a->size = id == ROOT_ID ? 0 : content_len;
	a->blocks = (a->size + 511) / 512;
	a->blksize = 4096;
	a->mtime = a->ctime = a->atime = 1700000000;
}

static void do_read(int fd, const struct fuse_in_header *ih, const struct fuse_read_in *in)
{
	struct fuse_out_header oh = { .unique = ih->unique };
	size_t len = 0;
	char *buf;

	if (in->offset < content_len) {
		len = content_len - in->offset;
		if (len > in->size)
			len = in->size;
	}
	buf = malloc(sizeof(oh) + len);
	if (!buf) {
		reply(fd, ih->unique, ENOMEM, NULL, 0);
		return;
	}
	oh.len = sizeof(oh) + len;
	memcpy(buf, &oh, sizeof(oh));
	memcpy(buf + sizeof(oh), content + (len ? in->offset : 0), len);
	if (write(fd, buf, oh.len) < 0 && errno != ENOENT)
		perror("fusehang: write");
	free(buf);
}

static void serve(int fd, const struct fuse_in_header *ih, const void *arg)
{
	switch (ih->opcode) {
	case FUSE_INIT: {
		struct fuse_init_out out = {
			.major = FUSE_KERNEL_VERSION, .minor = FUSE_KERNEL_MINOR_VERSION,
			.max_readahead = 128 * 1024, .max_write = 4096, .max_background = 16,
			.congestion_threshold = 12, .time_gran = 1,
		};

		reply(fd, ih->unique, 0, &out, sizeof(out));
		break;
	}
	case FUSE_LOOKUP: {
		struct fuse_entry_out out = { .nodeid = FILE_ID };

		if (ih->nodeid != ROOT_ID || strcmp(arg, FILE_NAME)) {
			reply(fd, ih->unique, ENOENT, NULL, 0);
			break;
		}
		fill_attr(&out.attr, FILE_ID);
		reply(fd, ih->unique, 0, &out, sizeof(out));
		break;
	}
	case FUSE_GETATTR: {
		struct fuse_attr_out out = { 0 };

		fill_attr(&out.attr, ih->nodeid);
		reply(fd, ih->unique, 0, &out, sizeof(out));
		break;
	}
	case FUSE_OPEN:
	case FUSE_OPENDIR: {
		struct fuse_open_out out = { .fh = 1 };

		reply(fd, ih->unique, 0, &out, sizeof(out));
		break;
	}
	case FUSE_READ:
		do_read(fd, ih, arg);
		break;
	case FUSE_STATFS: {
		struct fuse_statfs_out out = { .st = { .bsize = 4096, .namelen = 255 } };

		reply(fd, ih->unique, 0, &out, sizeof(out));
		break;
	}
	case FUSE_RELEASE:
	case FUSE_RELEASEDIR:
	case FUSE_FLUSH:
		reply(fd, ih->unique, 0, NULL, 0);
		break;
	case FUSE_FORGET:
	case FUSE_BATCH_FORGET:
	case FUSE_INTERRUPT:
		break;		/* never answered */
	default:
		reply(fd, ih->unique, ENOSYS, NULL, 0);
	}
}

static int load(const char *path)
{
	struct stat st;
	int fd = open(path, O_RDONLY);

	if (fd < 0 || fstat(fd, &st) < 0)
		return -1;
	content_len = st.st_size;
	content = malloc(content_len ? content_len : 1);
	if (!content || read(fd, content, content_len) != (ssize_t)content_len)
		return -1;
	return close(fd);
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_signal };
	bool said_hang = false;
	char opts[128], *buf;
	int fd;

	if (argc != 3) {
		fprintf(stderr, "usage: fusehang MNT CONTENT\n");
		return 2;
	}
	if (load(argv[2]) < 0) {
		perror(argv[2]);
		return 1;
	}
	/* No SA_RESTART: a signal ends the read() of /dev/fuse, so it takes effect at once. */
	sigaction(SIGUSR1, &sa, NULL);
	sigaction(SIGUSR2, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	fd = open("/dev/fuse", O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		perror("/dev/fuse");
		return 1;
	}
	snprintf(opts, sizeof(opts), "fd=%d,rootmode=40000,user_id=0,group_id=0,allow_other", fd);
	if (mount("fusehang", argv[1], "fuse.fusehang", MS_NOSUID | MS_NODEV, opts) < 0) {
		perror("mount");
		return 1;
	}
	buf = malloc(BUF_SIZE);
	if (!buf)
		return 1;
	printf("ready\n");
	fflush(stdout);
	while (!stop) {
		const struct fuse_in_header *ih = (void *)buf;
		ssize_t n = read(fd, buf, BUF_SIZE);

		if ((hang_all || hang_reads) && !said_hang) {
			said_hang = true;
			printf("hang\n");
			fflush(stdout);
		}
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			if (errno != ENODEV)
				perror("fusehang: read");
			break;
		}
		if ((size_t)n < sizeof(*ih))
			continue;
		if (hang_all || (hang_reads && ih->opcode == FUSE_READ))
			continue;	/* read, and never answered */
		serve(fd, ih, buf + sizeof(*ih));
	}
	return 0;
}
