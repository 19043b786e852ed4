// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Options: usage, parsing, checks of what goes together. Bad values are
 * named in the message and give exit status 1 before anything is set up.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alert.h"
#include "error.h"
#include "hashcache.h"
#include "logsink.h"
#include "options.h"

#define DEFAULT_HASH_LIMIT	((off_t)256 << 20)
/* How often threads gone without an exit event (lost) are forgotten. */
#define SWEEP_SECONDS	30

enum {
	OPT_FORMAT = 0x100,
	OPT_BACKEND,
	OPT_BUFFER_SIZE,
	OPT_PRINT_PROBES,
	OPT_HASH_LIMIT,
	OPT_HASH_TIMEOUT,
	OPT_COMM,
	OPT_UID,
	OPT_EXCLUDE_PATH,
	OPT_STATS_INTERVAL,
	OPT_SOURCE,
	OPT_OUTPUT_ANY_OWNER,
	OPT_STATS_OUTPUT,
	OPT_MIXED,
};

static void usage(FILE *f)
{
	fprintf(f,
"Usage: mmaptrace [OPTIONS] -- CMD [ARGS...]\n"
"       mmaptrace [OPTIONS] -p PID[,PID...]\n"
"       mmaptrace [OPTIONS] -a\n"
"Report the memory mappings processes make, as JSON lines or text.\n"
"\n"
"General:\n"
"  -h, --help               show this help and exit\n"
"  -V, --version            show the version and exit\n"
"  -q, --quiet              no backend notice on stderr\n"
"\n"
"Startup:\n"
"  -p, --attach=PID[,PID]   trace these running processes (all their threads)\n"
"  -a, --all                trace the whole host\n"
"  -f, --follow-forks       also trace children and threads created later\n"
"\n"
"Tracing:\n"
"  -e, --events=LIST        do_mmap (every mapping; the default), mmap_exec (successful\n"
"                           PROT_EXEC mappings of a file), mprotect_exec (mprotect calls\n"
"                           that make memory executable), alerts (only records with an\n"
"                           alert; alone: do_mmap,mprotect_exec) and/or write_exec,\n"
"                           anon_exec, memfd_exec, deleted_exec, tmpfs_exec, noexec_exec,\n"
"                           exe_deleted (only records with that alert), comma-separated\n"
"      --backend=NAME       auto (default), kprobe or tracepoint\n"
"      --buffer-size=KB     per-CPU kernel buffer size in KiB (default: 32 MiB shared\n"
"                           by the CPUs, at least the kernel's default)\n"
"      --hash-limit=SIZE    do not hash mapped files larger than SIZE bytes (K, M, G\n"
"                           suffixes; default 256M); mmap_exec says so in its error\n"
"      --hash-timeout=SEC   give up a file whose filesystem has not answered within\n"
"                           SEC seconds (default 5); mmap_exec says so in its error\n"
"      --print-probes       print the do_mmap kprobe definitions for this kernel and\n"
"                           exit (reads BTF only; changes nothing in tracefs)\n"
"\n"
"Filtering:\n"
"      --comm=NAME[,NAME]   only tasks of these names (in the kernel where it can)\n"
"      --uid=USER[,USER]    only tasks whose real or effective user is one of these\n"
"      --exclude-path=GLOB  no records of files matching GLOB (repeatable)\n"
"\n"
"Output:\n"
"  -o, --output=FILE        write records to FILE instead of standard output;\n"
"                           SIGHUP reopens it (log rotation); journal: sends\n"
"                           each record to the journal, typed, lost and stats too;\n"
"                           syslog:[/PATH|HOST:PORT] as RFC 5424 syslog to /dev/log,\n"
"                           a local socket or a TCP collector\n"
"  -A, --append             append to FILE instead of truncating it\n"
"      --output-any-owner   write to an existing FILE of another user or with\n"
"                           other hard links (refused by default)\n"
"      --format=FORMAT      json (default), text, or tracee (Tracee's envelope of\n"
"                           do_mmap records)\n"
"      --stats-interval=SEC a stats record every SEC seconds (default: none)\n"
"      --stats-output=FILE  write lost and stats records to FILE (default: standard\n"
"                           error), created and reopened as -o's\n"
"      --mixed              one stream for every kind of line: do_mmap records beside\n"
"                           Kunai's (JSON), lost and stats records in the output\n"
"                           (unless --stats-output)\n"
"      --source=NAME        info.event.source of mmap_exec and mprotect_exec records\n"
"                           (default: mmaptrace), for pipelines that filter on it\n"
"  -t                       text: time of day in front of each line; -tt with\n"
"                           microseconds; -ttt seconds since the epoch\n"
"  -y, --decode-fds         text: print the path with the fd, as 3</usr/lib/x.so>\n"
"  -s, --string-limit=N     text: print at most N bytes of a string (default: all)\n");
}

static int parse_uint(const char *s, unsigned long max, unsigned long *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || *s == '-' || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

static int parse_events(const char *s, unsigned int *events, unsigned int *alerts)
{
	char *copy = strdup(s), *tok, *save = NULL;
	unsigned int bit;
	int r = 0;

	if (!copy)
		return -ENOMEM;
	*events = 0;
	*alerts = 0;
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (!strcmp(tok, "do_mmap")) {
			*events |= MMT_EV_DO_MMAP;
		} else if (!strcmp(tok, "mmap_exec")) {
			*events |= MMT_EV_MMAP_EXEC;
		} else if (!strcmp(tok, "mprotect_exec")) {
			*events |= MMT_EV_MPROTECT_EXEC;
		} else if (!strcmp(tok, "alerts")) {
			*alerts |= MMT_ALERT_ALL;
		} else if ((bit = mmt_alert_parse(tok))) {
			*alerts |= bit;
		} else {
			mmt_error("unknown event '%s' in -e (known: do_mmap, mmap_exec, mprotect_exec, "
				  "alerts and the alert names)", tok);
			r = -EINVAL;
			break;
		}
	}
	/* Alerts alone: every mapping and mprotect that has one. */
	if (!r && !*events && *alerts)
		*events = MMT_EV_DO_MMAP | MMT_EV_MPROTECT_EXEC;
	if (!r && !*events) {
		mmt_error("-e needs at least one event (do_mmap, mmap_exec, mprotect_exec, alerts)");
		r = -EINVAL;
	}
	free(copy);
	return r;
}

static int parse_pids(const char *s, struct mmt_options *o)
{
	char *copy = strdup(s), *tok, *save = NULL;
	unsigned long v;
	int r = 0;

	if (!copy)
		return -ENOMEM;
	for (tok = strtok_r(copy, ", ", &save); tok; tok = strtok_r(NULL, ", ", &save)) {
		if (parse_uint(tok, INT_MAX, &v) < 0 || v == 0) {
			mmt_error("invalid process id '%s' in -p", tok);
			r = -EINVAL;
			break;
		}
		if (o->npids == MMT_MAX_PIDS) {
			mmt_error("too many process ids in -p (at most %d)", MMT_MAX_PIDS);
			r = -E2BIG;
			break;
		}
		o->pids[o->npids++] = (pid_t)v;
	}
	free(copy);
	return r;
}

/* Keeps @s's copy for the options' lifetime; NULL + message on failure. */
static char *keep_copy(struct mmt_options *o, const char *s)
{
	char *copy;

	if (o->nlists == sizeof(o->lists) / sizeof(o->lists[0])) {
		mmt_error("too many filter options");
		return NULL;
	}
	copy = strdup(s);
	if (!copy)
		mmt_error("out of memory");
	else
		o->lists[o->nlists++] = copy;
	return copy;
}

static int parse_comms(const char *s, struct mmt_options *o)
{
	char *copy = keep_copy(o, s), *tok, *save = NULL;

	if (!copy)
		return -ENOMEM;
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		/* The kernel keeps 15 bytes of a name: a longer one would never match. */
		if (strlen(tok) > 15) {
			mmt_error("--comm '%s' is longer than 15 bytes: task names never are", tok);
			return -EINVAL;
		}
		if (o->filters.ncomms == MMT_MAX_FILTERS) {
			mmt_error("too many names in --comm (at most %d)", MMT_MAX_FILTERS);
			return -E2BIG;
		}
		o->filters.comms[o->filters.ncomms++] = tok;
	}
	if (!o->filters.ncomms) {
		mmt_error("--comm needs a task name");
		return -EINVAL;
	}
	return 0;
}

/* Numbers or user names, resolved now: a name is what the operator knows. */
static int parse_uids(const char *s, struct mmt_options *o)
{
	char *copy = strdup(s), *tok, *save = NULL;
	const struct passwd *pw;
	unsigned long v;
	int r = 0;

	if (!copy)
		return -ENOMEM;
	for (tok = strtok_r(copy, ",", &save); tok && !r; tok = strtok_r(NULL, ",", &save)) {
		if (o->filters.nuids == MMT_MAX_FILTERS) {
			mmt_error("too many users in --uid (at most %d)", MMT_MAX_FILTERS);
			r = -E2BIG;
		} else if (parse_uint(tok, UINT_MAX - 1, &v) == 0) {
			o->filters.uids[o->filters.nuids++] = (uid_t)v;
		} else if ((pw = getpwnam(tok))) {
			o->filters.uids[o->filters.nuids++] = pw->pw_uid;
		} else {
			mmt_error("invalid --uid '%s': not a number or a known user", tok);
			r = -EINVAL;
		}
	}
	if (!r && !o->filters.nuids) {
		mmt_error("--uid needs a user");
		r = -EINVAL;
	}
	free(copy);
	return r;
}

/* "64M" -> 67108864; K, M, G are powers of 1024. */
static int parse_size(const char *s, off_t *out)
{
	unsigned long long v, mult = 1;
	char *end;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s || *s == '-')
		return -EINVAL;
	switch (*end) {
	case 'G': mult <<= 10; /* fall through */
	case 'M': mult <<= 10; /* fall through */
	case 'K': mult <<= 10; end++; break;
	case '\0': break;
	default: return -EINVAL;
	}
	if (*end || v > (unsigned long long)INT64_MAX / mult)
		return -EINVAL;
	*out = (off_t)(v * mult);
	return 0;
}

/* MMAPTRACE_SWEEP_INTERVAL (seconds) for tests and tuning; else SWEEP_SECONDS. */
static unsigned long sweep_interval(void)
{
	const char *env = getenv("MMAPTRACE_SWEEP_INTERVAL");
	unsigned long v;

	if (env && parse_uint(env, 86400, &v) == 0 && v > 0)
		return v;
	return SWEEP_SECONDS;
}

int mmt_options_parse(int argc, char **argv, struct mmt_options *o)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "attach", required_argument, NULL, 'p' },
		{ "all", no_argument, NULL, 'a' },
		{ "follow-forks", no_argument, NULL, 'f' },
		{ "events", required_argument, NULL, 'e' },
		{ "output", required_argument, NULL, 'o' },
		{ "format", required_argument, NULL, OPT_FORMAT },
		{ "backend", required_argument, NULL, OPT_BACKEND },
		{ "buffer-size", required_argument, NULL, OPT_BUFFER_SIZE },
		{ "print-probes", no_argument, NULL, OPT_PRINT_PROBES },
		{ "hash-limit", required_argument, NULL, OPT_HASH_LIMIT },
		{ "hash-timeout", required_argument, NULL, OPT_HASH_TIMEOUT },
		{ "comm", required_argument, NULL, OPT_COMM },
		{ "uid", required_argument, NULL, OPT_UID },
		{ "exclude-path", required_argument, NULL, OPT_EXCLUDE_PATH },
		{ "append", no_argument, NULL, 'A' },
		{ "output-any-owner", no_argument, NULL, OPT_OUTPUT_ANY_OWNER },
		{ "stats-interval", required_argument, NULL, OPT_STATS_INTERVAL },
		{ "stats-output", required_argument, NULL, OPT_STATS_OUTPUT },
		{ "mixed", no_argument, NULL, OPT_MIXED },
		{ "source", required_argument, NULL, OPT_SOURCE },
		{ "decode-fds", no_argument, NULL, 'y' },
		{ "string-limit", required_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 },
	};
	char why[160];
	unsigned long v;
	int c;

	o->filters.events = MMT_EV_DO_MMAP;
	o->filters.hash_limit = DEFAULT_HASH_LIMIT;
	o->filters.hash_timeout = MMT_HASH_DEADLINE_S;
	o->sweep_ns = sweep_interval() * 1000000000ULL;
	/* "+": stop at the first non-option, so CMD's own options stay CMD's. */
	while ((c = getopt_long(argc, argv, "+hVqp:afe:o:Atys:", longopts, NULL)) != -1) {
		switch (c) {
		case 'h':
			usage(stdout);
			return 1;
		case 'V':
			printf("mmaptrace %s\n", PACKAGE_VERSION);
			return 1;
		case 'q':
			o->quiet = true;
			o->probe.quiet = true;
			break;
		case 'p':
			if (parse_pids(optarg, o) < 0)
				return -1;
			break;
		case 'a':
			o->probe.all = true;
			break;
		case 'f':
			o->probe.follow = true;
			break;
		case 'e':
			if (parse_events(optarg, &o->filters.events, &o->filters.alert_filter) < 0)
				return -1;
			break;
		case 'o':
			o->outfile = NULL;
			o->logsink = NULL;
			if (mmt_logsink_is(optarg))
				o->logsink = optarg;
			else
				o->outfile = optarg;
			break;
		case 'A':
			o->append = true;
			break;
		case OPT_OUTPUT_ANY_OWNER:
			o->output_any_owner = true;
			break;
		case 't':
			if (o->emit.time == MMT_TIME_EPOCH) {
				mmt_error("-t at most three times (-ttt)");
				return -1;
			}
			o->emit.time++;
			break;
		case 'y':
			o->emit.fd_paths = true;
			break;
		case 's':
			if (parse_uint(optarg, INT_MAX, &v) < 0) {
				mmt_error("invalid -s '%s' (bytes; 0: no limit)", optarg);
				return -1;
			}
			o->emit.string_limit = v;
			break;
		case OPT_COMM:
			if (parse_comms(optarg, o) < 0)
				return -1;
			break;
		case OPT_UID:
			if (parse_uids(optarg, o) < 0)
				return -1;
			break;
		case OPT_EXCLUDE_PATH:
			if (!*optarg) {
				mmt_error("--exclude-path needs a pattern");
				return -1;
			}
			if (o->filters.nexcludes == MMT_MAX_FILTERS) {
				mmt_error("too many --exclude-path (at most %d)", MMT_MAX_FILTERS);
				return -1;
			}
			o->filters.excludes[o->filters.nexcludes++] = optarg;
			break;
		case OPT_STATS_INTERVAL:
			if (parse_uint(optarg, 86400 * 365, &v) < 0 || v == 0) {
				mmt_error("invalid --stats-interval '%s' (seconds, at least 1)", optarg);
				return -1;
			}
			o->stats_ns = v * 1000000000ULL;
			break;
		case OPT_STATS_OUTPUT:
			o->stats_outfile = optarg;
			break;
		case OPT_MIXED:
			o->mixed = true;
			break;
		case OPT_SOURCE:
			/* A JSON string, so anything goes but nothing. */
			if (!*optarg) {
				mmt_error("invalid --source '' (a name for info.event.source)");
				return -1;
			}
			o->emit.source = optarg;
			break;
		case OPT_FORMAT:
			if (!strcmp(optarg, "json")) {
				o->emit.format = MMT_FORMAT_JSON;
			} else if (!strcmp(optarg, "text")) {
				o->emit.format = MMT_FORMAT_TEXT;
			} else if (!strcmp(optarg, "tracee")) {
				o->emit.format = MMT_FORMAT_TRACEE;
			} else {
				mmt_error("invalid --format '%s' (json, text or tracee)", optarg);
				return -1;
			}
			break;
		case OPT_BACKEND:
			if (!strcmp(optarg, "auto")) {
				o->probe.backend = MMT_BACKEND_AUTO;
			} else if (!strcmp(optarg, "kprobe")) {
				o->probe.backend = MMT_BACKEND_KPROBE;
			} else if (!strcmp(optarg, "tracepoint")) {
				o->probe.backend = MMT_BACKEND_TRACEPOINT;
			} else {
				mmt_error("invalid --backend '%s' (auto, kprobe or tracepoint)", optarg);
				return -1;
			}
			break;
		case OPT_BUFFER_SIZE:
			if (parse_uint(optarg, 1024 * 1024, &v) < 0 || v == 0) {
				mmt_error("invalid --buffer-size '%s' (KiB, 1 to 1048576)", optarg);
				return -1;
			}
			o->probe.buffer_kb = (unsigned int)v;
			break;
		case OPT_HASH_LIMIT:
			if (parse_size(optarg, &o->filters.hash_limit) < 0) {
				mmt_error("invalid --hash-limit '%s' (bytes, with K, M or G)", optarg);
				return -1;
			}
			break;
		case OPT_HASH_TIMEOUT:
			if (parse_uint(optarg, 3600, &v) < 0 || v == 0) {
				mmt_error("invalid --hash-timeout '%s' (seconds, 1 to 3600)", optarg);
				return -1;
			}
			o->filters.hash_timeout = (unsigned int)v;
			break;
		case OPT_PRINT_PROBES:
			/* Like --help: for operators to audit, no root or CMD needed. */
			return mmt_probe_print_kprobes(stdout) < 0 ? -1 : 1;
		default:
			return -1;
		}
	}
	if (optind < argc)
		o->argv = argv + optind;
	if (o->logsink && mmt_logsink_check(o->logsink, why, sizeof(why)) < 0) {
		mmt_error("invalid -o '%s': %s", o->logsink, why);
		return -1;
	}
	if (o->append && !o->outfile && !o->stats_outfile) {
		mmt_error("-A appends to the -o file: give -o FILE");
		return -1;
	}
	if (o->output_any_owner && !o->outfile && !o->stats_outfile) {
		mmt_error("--output-any-owner is about the -o file: give -o FILE");
		return -1;
	}
	o->probe.comms = o->filters.comms;
	o->probe.ncomms = o->filters.ncomms;
	if ((o->emit.time || o->emit.fd_paths || o->emit.string_limit) &&
	    o->emit.format != MMT_FORMAT_TEXT) {
		mmt_error("-t, -y and -s shape the text form: add --format text");
		return -1;
	}
	/* Tracee has no such events: a Tracee stream holds do_mmap alone. */
	if (o->emit.format == MMT_FORMAT_TRACEE &&
	    (o->filters.events & (MMT_EV_MMAP_EXEC | MMT_EV_MPROTECT_EXEC))) {
		mmt_error("--format tracee writes do_mmap records only: not -e mmap_exec, mprotect_exec");
		return -1;
	}
	if (o->mixed && o->emit.format == MMT_FORMAT_TRACEE) {
		mmt_error("--format tracee holds Tracee's do_mmap events only: not --mixed");
		return -1;
	}
	/*
	 * A JSON stream of two schemas: Kunai's reader stops at the first
	 * do_mmap line, a do_mmap consumer at the first Kunai one. A log
	 * sink's messages are typed (MMAPTRACE_EVENT, MSGID): no stream.
	 */
	if (!o->mixed && !o->logsink && o->emit.format == MMT_FORMAT_JSON &&
	    (o->filters.events & MMT_EV_DO_MMAP) &&
	    (o->filters.events & (MMT_EV_MMAP_EXEC | MMT_EV_MPROTECT_EXEC))) {
		mmt_error("-e %s: do_mmap records and Kunai's %s records would share one JSON "
			  "stream; add --mixed to allow it, or trace each in its own run",
			  o->filters.events & MMT_EV_MMAP_EXEC ? "selects do_mmap and mmap_exec" :
			  "selects do_mmap and mprotect_exec",
			  o->filters.events & MMT_EV_MMAP_EXEC ? "mmap_exec" : "mprotect_exec");
		return -1;
	}
	if (!!o->argv + !!o->npids + o->probe.all != 1) {
		mmt_error(o->argv || o->npids || o->probe.all ?
			  "give only one of -- CMD, -p PID and -a" :
			  "must have a command to run, -p PID or -a");
		return -1;
	}
	return 0;
}

void mmt_options_free(struct mmt_options *o)
{
	size_t i;

	for (i = 0; i < o->nlists; i++)
		free(o->lists[i]);
	o->nlists = 0;
}
