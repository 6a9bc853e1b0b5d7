/* SPDX-License-Identifier: GPL-2.0 */
/*
 * bsdlivedump's private interface between its files: what the command line
 * asked for and the functions each file offers (messages in bsdlivedump.c,
 * the ioctl in dump.c, the bar in progress.c, the stream relay in relay.c,
 * the dump directory's files in store.c). The trailer and the dump's page
 * count are lib/minidump's (minidump.h).
 */
#ifndef BSDLIVEDUMP_H
#define BSDLIVEDUMP_H

#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "minidump.h"

#define EXIT_USAGE	2
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

/* What the command line asked for. */
struct options {
	int compression;		/* KERNELDUMP_COMP_* */
	int flags;			/* MEM_KERNELDUMP_* */
	bool verbose;
	bool cached;			/* --cached: no O_DIRECT on the file */
	const char *dir;		/* NULL: stdout */
};

/*
 * The progress thread (only when stderr is a terminal), how to stop it,
 * and the last counts it read.
 */
struct progress {
	pthread_t thread;
	int stop[2];			/* pipe: main writes to end the thread */
	bool running;
	bool tty;			/* stderr is a terminal: draw the bar */
	bool drawn;			/* a bar is on the terminal */
	double start;			/* progress_now() at the start */
	uint64_t done, total, out;	/* last read while the dump ran */
};

/* The relay thread between the kernel and a stream on stdout. */
struct relay {
	pthread_t thread;
	int pipe[2];			/* the kernel writes [1], we read [0] */
	int out;			/* where it goes: stdout */
	uint64_t bytes;			/* passed on so far */
	uint64_t total;			/* pages_total when the first came, or 0 */
	int err;			/* errno of the splice that failed */
};

/* bsdlivedump.c */
/* "bsdlivedump: <what>: <strerror(err)>"; returns the exit status 1. */
int fail_errno(const char *what, int err);
/* "bsdlivedump: <message>"; returns the exit status 1. */
int fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* dump.c */
/* SIGINT and SIGTERM stop the dump cleanly; SIGPIPE becomes EPIPE. */
void dump_install_signals(void);
/* Why the kernel will refuse stdout, or NULL if it should take it. */
const char *dump_stdout_problem(void);
/* The whole dump into o->dir, checked and named; an exit status. */
int dump_to_dir(int dev, const struct options *o);
/* The whole dump as a stream on stdout; an exit status. */
int dump_to_stdout(int dev, const struct options *o);

/* progress.c */
/* CLOCK_MONOTONIC in seconds. */
double progress_now(void);
/* On a terminal, starts the thread that reads the counters and draws. */
void progress_start(struct progress *p);
/* Stops the thread; what it read stays in p. */
void progress_stop(struct progress *p);
/* The module's pages_total now: of the running dump, or 0. */
uint64_t progress_read_total(void);
/* A tty: the final bar (100% of pages, out bytes) if ok, else clears it. */
void progress_end(struct progress *p, bool ok, uint64_t pages, uint64_t out);
/* "NAME: M MB of memory -> O MB (zstd) in S s, R MB/s" on stderr. */
void progress_summary(const char *name, uint64_t pages, uint64_t out,
		      int compression, double secs);

/* relay.c */
/* Starts the relay to out; the fd the kernel is to write, or -1 (errno). */
int relay_start(struct relay *r, int out);
/*
 * Ends it (at once if abort) when the kernel is done: 0, its errno, or
 * EINTR if *stop was set while it waited for the reader.
 */
int relay_finish(struct relay *r, bool abort, const volatile sig_atomic_t *stop);

/* store.c */
/* Creates dir/livecore.tmp.XXXXXX, its name in tmp (PATH_MAX); fd or -1. */
int store_open_tmp(const char *dir, char *tmp);
/* Renames the checked dump tmp to livecore.N, name in name; 0 or 1. */
int store_dump(const char *dir, const char *tmp, const struct md_trailer *t,
	       char *name, size_t size);

#endif /* BSDLIVEDUMP_H */
