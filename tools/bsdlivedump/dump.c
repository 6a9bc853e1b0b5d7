// SPDX-License-Identifier: GPL-2.0
/*
 * bsdlivedump's dump: MEM_KERNELDUMP into a temporary file in the dump
 * directory (then checked, cut to dumplength and named by store.c) or into
 * stdout (a pipe or socket through relay.c), with the progress bar drawn
 * meanwhile on a terminal; the signals that stop it cleanly; and what to
 * tell the user when the kernel refuses.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/kerneldump.h>
#include <sys/memrange.h>

#include "bsdlivedump.h"

static volatile sig_atomic_t got_signal;

static void on_signal(int sig)
{
	got_signal = sig;
}

/*
 * SIGINT and SIGTERM only set a flag; without SA_RESTART they make the
 * ioctl return EINTR, which the kernel turns into a clean stop. SIGPIPE is
 * ignored so that a vanished reader shows up as EPIPE with a message.
 */
void dump_install_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
}

/*
 * MEM_KERNELDUMP into fd with the progress thread reading meanwhile (it
 * draws the bar on a terminal); *secs the time it took. 0 or an errno.
 */
static int kernel_dump(int dev, int fd, const struct options *o,
		       struct progress *p, double *secs)
{
	struct mem_livedump_arg arg;
	int err = 0;

	memset(&arg, 0, sizeof(arg));
	arg.fd = fd;
	arg.flags = o->flags;
	arg.compression = (uint8_t)o->compression;
	progress_start(p);
	if (!got_signal && ioctl(dev, MEM_KERNELDUMP, &arg))
		err = errno;
	*secs = progress_now() - p->start;
	progress_stop(p);
	if (got_signal)
		err = EINTR;
	if (err)
		progress_end(p, false, 0, 0);
	return err;
}

/* Explains a failed MEM_KERNELDUMP; returns the exit status 1. */
static int dump_failed(int err, const struct options *o)
{
	const char *why = NULL;

	switch (err) {
	case EINTR:
		return fail("interrupted");
	case EPERM:
		why = "needs CAP_SYS_RAWIO, and is refused under lockdown";
		break;
	case EBUSY:
		why = "another live dump is running";
		break;
	case EINVAL:
		if (o->compression)
			why = "is the compression codec built into the kernel?";
		break;
	case EPIPE:
		return fail("writing the dump: reader went away: %s",
			    strerror(err));
	}
	if (why)
		return fail("MEM_KERNELDUMP: %s (%s)", strerror(err), why);
	return fail_errno("MEM_KERNELDUMP", err);
}

/* Data pages in the dump file at path (its bitmap's popcount), or 0. */
static uint64_t dump_pages(const char *path)
{
	struct md_error e;
	struct md_dump *d;
	uint64_t n;

	if (md_open(&d, path, &e)) {
		fprintf(stderr, "bsdlivedump: %s: %s (%s)\n", path, e.detail,
			e.rule);
		return 0;
	}
	n = d->map.popcount;
	md_close(d);
	return n;
}

/*
 * The trailer ending fd (size bytes), checked as savecore checks it, in
 * the compression asked for; false, said why, if it is not valid.
 */
static bool trailer_check(int fd, uint64_t size, int compression,
			  struct md_trailer *t)
{
	struct md_error e;

	if (!md_trailer_read(fd, size, (enum md_format)compression, t, &e))
		return true;
	fail("trailer: %s (%s)", e.detail, e.rule);
	return false;
}

/*
 * Checks the dump in fd, cuts it to dumplength and stores it, ends the bar
 * and prints the summaries; 0 or 1.
 */
static int finish_file(int fd, const char *dir, const char *tmp,
		       const struct options *o, struct progress *p,
		       double secs)
{
	struct md_trailer t;
	struct stat st;
	char name[64];
	uint64_t pages;

	if (fstat(fd, &st)) {
		progress_end(p, false, 0, 0);
		return fail_errno(tmp, errno);
	}
	pages = dump_pages(tmp);
	progress_end(p, true, pages, (uint64_t)st.st_size);
	if (!trailer_check(fd, (uint64_t)st.st_size, o->compression, &t))
		return EXIT_FAILURE;
	if (ftruncate(fd, (off_t)t.dumplength))
		return fail_errno(tmp, errno);
	if (store_dump(dir, tmp, &t, name, sizeof(name)))
		return EXIT_FAILURE;
	if (o->verbose)
		fprintf(stderr, "bsdlivedump: %s: host %s, %s\n", name,
			t.hostname, t.versionstring);
	progress_summary(name, pages, t.dumplength, o->compression, secs);
	if (o->compression)
		printf("bsdlivedump: %s: %" PRIu64 " bytes (%" PRIu64
		       " before compression) in %.1f s\n",
		       name, t.dumplength, t.dumpextent, secs);
	else
		printf("bsdlivedump: %s: %" PRIu64 " bytes in %.1f s\n",
		       name, t.dumplength, secs);
	return fflush(stdout) ? fail_errno("stdout", errno) : EXIT_SUCCESS;
}

/*
 * Sets (on) or clears O_DIRECT on fd: true if done. The dump of a file
 * system that takes O_DIRECT goes around the page cache, so a dump the size
 * of RAM neither evicts the running system's cache nor waits for it; one
 * that does not (tmpfs, 9p) refuses the flag, and the dump goes through
 * the page cache as before.
 */
static bool direct_io(int fd, bool on)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0)
		return false;
	fl = on ? fl | O_DIRECT : fl & ~O_DIRECT;
	return fcntl(fd, F_SETFL, fl) == 0;
}

/* Dumps into DIRECTORY/livecore.tmp.XXXXXX, then finishes it; exit status. */
int dump_to_dir(int dev, const struct options *o)
{
	struct progress p;
	char tmp[PATH_MAX];
	struct stat st;
	double secs;
	int fd, err, ret;
	bool direct;

	fd = store_open_tmp(o->dir, tmp);
	if (fd < 0)
		return EXIT_FAILURE;
	direct = !o->cached && direct_io(fd, true);
	if (o->verbose)
		fprintf(stderr, "bsdlivedump: dumping to %s%s\n", tmp,
			direct ? " (O_DIRECT)" : "");
	err = kernel_dump(dev, fd, o, &p, &secs);
	/*
	 * A module older than this tool refuses O_DIRECT (EINVAL) before it
	 * writes anything: once more through the page cache. An EINVAL after
	 * writing has another cause.
	 */
	if (err == EINVAL && direct && !fstat(fd, &st) && !st.st_size &&
	    direct_io(fd, false)) {
		direct = false;
		if (o->verbose)
			fprintf(stderr, "bsdlivedump: the module refused O_DIRECT: again through the page cache\n");
		err = kernel_dump(dev, fd, o, &p, &secs);
	}
	if (err) {
		unlink(tmp);
		close(fd);
		return dump_failed(err, o);
	}
	/* The trailer is read back in 512 bytes: not through O_DIRECT. */
	if (direct && !direct_io(fd, false)) {
		unlink(tmp);
		close(fd);
		return fail_errno(tmp, errno);
	}
	ret = finish_file(fd, o->dir, tmp, o, &p, secs);
	if (close(fd) && !ret)
		ret = fail_errno(tmp, errno);
	if (ret)
		unlink(tmp);
	return ret;
}

/* Why the kernel will refuse stdout, or NULL if it should take it. */
const char *dump_stdout_problem(void)
{
	struct stat st;
	int fl = fcntl(STDOUT_FILENO, F_GETFL), type = 0;
	socklen_t len = sizeof(type);

	if (fl < 0 || fstat(STDOUT_FILENO, &st))
		return "stdout is not open";
	if ((fl & O_ACCMODE) == O_RDONLY)
		return "stdout is not open for writing";
	if (isatty(STDOUT_FILENO))
		return "stdout is a terminal; redirect it to a file or a pipe";
	if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode))
		return "stdout is a device; only a regular file, a pipe or "
		       "a stream socket can take a dump";
	if (S_ISSOCK(st.st_mode) &&
	    (getsockopt(STDOUT_FILENO, SOL_SOCKET, SO_TYPE, &type, &len) ||
	     type != SOCK_STREAM))
		return "stdout is a socket but not a stream socket";
	if (!S_ISREG(st.st_mode) && !S_ISFIFO(st.st_mode) &&
	    !S_ISSOCK(st.st_mode))
		return "stdout is not a regular file, a pipe or a socket";
	if (S_ISREG(st.st_mode) && (fl & O_APPEND))
		return "stdout is opened for appending (>>); use >";
	if (!S_ISREG(st.st_mode) && (fl & O_NONBLOCK))
		return "stdout is non-blocking";
	return NULL;
}

/*
 * A regular file on stdout: its trailer is checked and its pages counted
 * through a read-only open of the same file (a shell's `>` opens it
 * write-only). 0 or the exit status 1.
 */
static int stdout_file_check(uint64_t size, int compression, uint64_t *pages)
{
	int fd = open("/proc/self/fd/1", O_RDONLY | O_CLOEXEC);
	struct md_trailer t;
	bool ok;

	*pages = dump_pages("/proc/self/fd/1");
	if (fd < 0)
		return trailer_check(STDOUT_FILENO, size, compression, &t) ?
		       0 : EXIT_FAILURE;
	ok = trailer_check(fd, size, compression, &t);
	close(fd);
	return ok ? 0 : EXIT_FAILURE;
}

/*
 * The kernel's dump into a pipe or socket on stdout, through the relay:
 * *out the bytes it passed on, *pages the page total it read, *rerr the
 * relay's own errno (its splice's; EINTR if stopped by a signal while
 * waiting for the reader), or 0. 0 or an errno.
 */
static int dump_relayed(int dev, const struct options *o, struct progress *p,
			double *secs, uint64_t *out, uint64_t *pages, int *rerr)
{
	struct relay r;
	int fd, err;

	fd = relay_start(&r, STDOUT_FILENO);
	if (fd < 0)
		return errno;
	err = kernel_dump(dev, fd, o, p, secs);
	*rerr = relay_finish(&r, err != 0, &got_signal);
	*out = r.bytes;
	*pages = r.total ? r.total : p->total;
	if (!err && *rerr)
		progress_end(p, false, 0, 0);
	return err ? err : *rerr;
}

/*
 * Dumps to stdout; the trailer stays at the end of the stream. What went
 * out: a regular file's size, else the bytes the relay passed on.
 */
int dump_to_stdout(int dev, const struct options *o)
{
	const char *problem;
	struct progress p;
	struct stat st;
	uint64_t out = 0, pages = 0;
	double secs;
	bool reg;
	int err, rerr = 0;

	reg = !fstat(STDOUT_FILENO, &st) && S_ISREG(st.st_mode);
	if (reg)
		err = kernel_dump(dev, STDOUT_FILENO, o, &p, &secs);
	else
		err = dump_relayed(dev, o, &p, &secs, &out, &pages, &rerr);
	problem = err == EINVAL ? dump_stdout_problem() : NULL;
	if (problem)
		return fail("%s", problem);
	/*
	 * The kernel's EPIPE follows the relay's failure (it closed our
	 * pipe): the relay's error (say EAGAIN on a non-blocking stdout) is
	 * the one to tell.
	 */
	if (err == EPIPE && rerr && rerr != EINTR)
		err = rerr;
	if (err && err == rerr && err != EINTR)
		return fail("writing to stdout: %s", strerror(err));
	if (err == EPIPE)
		return fail("writing to stdout: %s", strerror(err));
	if (err)
		return dump_failed(err, o);
	if (reg && fstat(STDOUT_FILENO, &st))
		return fail_errno("stdout", errno);
	if (reg)
		out = (uint64_t)st.st_size;
	if (reg && stdout_file_check(out, o->compression, &pages)) {
		progress_end(&p, false, 0, 0);
		return EXIT_FAILURE;
	}
	progress_end(&p, true, pages, out);
	if (o->verbose)
		fprintf(stderr, "bsdlivedump: -: %s dump written in %.1f s\n",
			md_format_name(o->compression), secs);
	progress_summary("-", pages, out, o->compression, secs);
	return EXIT_SUCCESS;
}
