// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The -o file. mmaptrace runs as root and the file may be named in a
 * directory that others can write to (/var/tmp): whoever planted a
 * symlink, a hard link or a file of their own at that name would get the
 * records (every user's command lines) or have root clobber a file of its
 * choice. So the name is never followed, and an existing file is looked at
 * through an O_PATH descriptor, which neither blocks (a FIFO with no
 * reader) nor truncates, before it is opened for writing.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "outfile.h"

/* Return: 0 when the existing file @st may be written, else -errno with @why said. */
static int check_existing(const struct stat *st, unsigned int flags, char *why, size_t size)
{
	uid_t me = geteuid();

	if (S_ISLNK(st->st_mode)) {
		snprintf(why, size, "it is a symbolic link (name the file itself)");
		return -ELOOP;
	}
	if (flags & MMT_OUTFILE_ANY_OWNER)
		return 0;
	if (st->st_uid != me) {
		snprintf(why, size, "it belongs to uid %u, not to uid %u that runs mmaptrace "
			 "(--output-any-owner writes to it anyway)",
			 (unsigned int)st->st_uid, (unsigned int)me);
		return -EPERM;
	}
	/* Another name of the same file may be in a place its owner chose. */
	if (S_ISREG(st->st_mode) && st->st_nlink > 1) {
		snprintf(why, size, "it has %lu hard links (--output-any-owner writes to it anyway)",
			 (unsigned long)st->st_nlink);
		return -EPERM;
	}
	return 0;
}

/*
 * The names of a descriptor the run was given (bash's -o >(gzip > x) is
 * /dev/fd/63): symlinks, but into the caller's own descriptor table, which
 * no one else can plant. Return: the descriptor, or -1 for any other name.
 */
static int named_fd(const char *path)
{
	static const char *const dirs[] = { "/dev/fd/", "/proc/self/fd/" };
	unsigned long n;
	size_t i, len;
	char *end;

	if (!strcmp(path, "/dev/stdout"))
		return STDOUT_FILENO;
	if (!strcmp(path, "/dev/stderr"))
		return STDERR_FILENO;
	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		len = strlen(dirs[i]);
		if (strncmp(path, dirs[i], len) || path[len] < '0' || path[len] > '9')
			continue;
		errno = 0;
		n = strtoul(path + len, &end, 10);
		if (!errno && !*end && n <= INT_MAX)
			return (int)n;
	}
	return -1;
}

int mmt_outfile_open(const char *path, unsigned int flags, bool *created, char *why,
		     size_t size)
{
	int append = flags & MMT_OUTFILE_APPEND ? O_APPEND : 0;
	char self[64];
	struct stat st;
	int fd, pfd, r;

	*created = false;
	if (size)
		why[0] = '\0';
	/* Used as it is: the caller opened (and truncated, or not) the file itself. */
	fd = named_fd(path);
	if (fd >= 0) {
		fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
		return fd < 0 ? -errno : fd;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | append, 0600);
	if (fd >= 0) {
		*created = true;
		return fd;
	}
	if (errno != EEXIST)
		return -errno;
	/* O_PATH | O_NOFOLLOW on a symlink opens the link itself: fstat says so. */
	pfd = open(path, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (pfd < 0)
		return -errno;
	if (fstat(pfd, &st) < 0) {
		r = -errno;
		goto out_close_pfd;
	}
	r = check_existing(&st, flags, why, size);
	if (r < 0)
		goto out_close_pfd;
	/*
	 * The checked file itself, whatever has been renamed over @path since:
	 * /proc/self/fd/N opens the inode the O_PATH descriptor holds.
	 */
	snprintf(self, sizeof(self), "/proc/self/fd/%d", pfd);
	/* -A: a service restarted keeps what it wrote before; and logrotate's copytruncate works. */
	fd = open(self, O_WRONLY | O_CLOEXEC | (append ? append : O_TRUNC));
	r = fd < 0 ? -errno : fd;
out_close_pfd:
	close(pfd);
	return r;
}
