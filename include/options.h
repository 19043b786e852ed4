/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The command line: usage, parsing, and what it asks for. Parsed once in
 * main() and read-only after; the rest of the tool reads only the parts it
 * is handed (mmt_probe_opts, mmt_emit_opts, the filters).
 */
#ifndef MMT_OPTIONS_H
#define MMT_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "emit.h"
#include "probe.h"

#define MMT_MAX_PIDS	256
#define MMT_MAX_FILTERS	64

/* -e: the record kinds wanted. */
enum {
	MMT_EV_DO_MMAP		= 1 << 0,
	MMT_EV_MMAP_EXEC	= 1 << 1,
	MMT_EV_MPROTECT_EXEC	= 1 << 2,
};

/* What records to keep, before anything is read about them or hashed. */
struct mmt_filters {
	unsigned int events;		/* MMT_EV_* */
	unsigned int alert_filter;	/* MMT_ALERT_* of -e: only records with one; 0: all */
	const char *comms[MMT_MAX_FILTERS];	/* --comm */
	size_t ncomms;
	uid_t uids[MMT_MAX_FILTERS];	/* --uid */
	size_t nuids;
	const char *excludes[MMT_MAX_FILTERS];	/* --exclude-path globs */
	size_t nexcludes;
	off_t hash_limit;		/* larger files are not hashed */
	unsigned int hash_timeout;	/* seconds a file may take to answer the hasher */
};

struct mmt_options {
	struct mmt_filters filters;
	struct mmt_emit_opts emit;
	struct mmt_probe_opts probe;
	const char *outfile;	/* -o FILE; NULL: stdout or a log sink */
	const char *logsink;	/* -o journal: (logsink.h); NULL: a file or stdout */
	bool append;		/* -A: never truncate the output file */
	bool output_any_owner;	/* --output-any-owner: -o FILE of another user, or linked */
	const char *stats_outfile;	/* --stats-output: lost and stats records; NULL: stderr */
	bool mixed;		/* --mixed: every kind of line in the output */
	pid_t pids[MMT_MAX_PIDS];
	int npids;
	bool quiet;
	uint64_t stats_ns;	/* --stats-interval; 0: no stats records */
	uint64_t sweep_ns;	/* forget threads gone without an exit event this often */
	char *lists[3 * MMT_MAX_FILTERS];	/* the copies comms point into */
	size_t nlists;
	char **argv;		/* CMD [ARGS], or NULL */
};

/**
 * mmt_options_parse() - the command line into @o (zeroed by the caller)
 *
 * Prints its own messages: the usage error, or --help, --version and
 * --print-probes output.
 * Return: 0 to go on, 1 to exit 0 (help, version), -1 on a usage error.
 * What @o holds is freed with mmt_options_free(), whatever the return.
 */
int mmt_options_parse(int argc, char **argv, struct mmt_options *o);

/** mmt_options_free() - free the copies @o keeps; @o itself is the caller's. */
void mmt_options_free(struct mmt_options *o);

#endif /* MMT_OPTIONS_H */
