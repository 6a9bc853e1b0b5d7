// SPDX-License-Identifier: GPL-2.0
/*
 * bsdlivedump(8): take a live FreeBSD amd64 minidump of the running Linux
 * kernel with MEM_KERNELDUMP on /dev/bsdmem, the way FreeBSD's "savecore -L"
 * does: into DIRECTORY/livecore.N[.gz|.zst] with info.N, bounds and the
 * *.last links after checking the kerneldumpheader trailer, or as a stream
 * on stdout. Exit 0 on success, 1 on failure, 2 on bad usage.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/kerneldump.h>
#include <sys/memrange.h>

#define EXIT_USAGE	2
#define PROGRESS_FILE	"/sys/class/misc/bsdmem/livedump_progress"
#define PROGRESS_MS	200
#define BAR_WIDTH	30
#define TMP_TEMPLATE	"livecore.tmp.XXXXXX"
#define MAX_TRIES	100000		/* livecore numbers skipped if taken */

/* What the command line asked for. */
struct options {
	int compression;		/* KERNELDUMP_COMP_* */
	int flags;			/* MEM_KERNELDUMP_* */
	bool verbose;
	const char *dir;		/* NULL: stdout */
};

/* The progress-bar thread and how to stop it. */
struct progress {
	pthread_t thread;
	int stop[2];			/* pipe: main writes to end the thread */
	bool running;
};

static volatile sig_atomic_t got_signal;

static void on_signal(int sig)
{
	got_signal = sig;
}

/* "bsdlivedump: <what>: <strerror(err)>"; returns the exit status 1. */
static int fail_errno(const char *what, int err)
{
	fprintf(stderr, "bsdlivedump: %s: %s\n", what, strerror(err));
	return EXIT_FAILURE;
}

/* "bsdlivedump: <message>"; returns the exit status 1. */
static int fail(const char *fmt, ...)
{
	va_list ap;

	fputs("bsdlivedump: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return EXIT_FAILURE;
}

static void usage(FILE *f)
{
	fputs("usage: bsdlivedump [-z | -Z] [--all] [-v] [DIRECTORY | -]\n"
	      "  -z       gzip-compressed dump (livecore.N.gz)\n"
	      "  -Z       zstd-compressed dump (livecore.N.zst)\n"
	      "  --all    every RAM page, not only the kernel's memory\n"
	      "  -v       verbose\n"
	      "  DIRECTORY  where to write (default .); - writes to stdout\n",
	      f);
}

static int usage_error(const char *msg)
{
	fprintf(stderr, "bsdlivedump: %s\n", msg);
	usage(stderr);
	return EXIT_USAGE;
}

/* Parses argv into o; returns -1 to go on, or an exit status. */
static int parse_args(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
		{ "all", no_argument, NULL, 'a' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	memset(o, 0, sizeof(*o));
	o->dir = ".";
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+zZvh", longopts, NULL)) != -1) {
		switch (c) {
		case 'z':
		case 'Z':
			if (o->compression)
				return usage_error("-z and -Z exclude each other");
			o->compression = c == 'z' ? KERNELDUMP_COMP_GZIP :
						    KERNELDUMP_COMP_ZSTD;
			break;
		case 'a':
			o->flags |= MEM_KERNELDUMP_ALLRAM;
			break;
		case 'v':
			o->verbose = true;
			break;
		case 'h':
			usage(stdout);
			return EXIT_SUCCESS;
		default:
			if (optopt)
				fprintf(stderr, "bsdlivedump: unknown option "
					"'-%c'\n", optopt);
			else
				fprintf(stderr, "bsdlivedump: unknown option "
					"'%s'\n", argv[optind - 1]);
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (argc - optind > 1)
		return usage_error("at most one DIRECTORY");
	if (argc - optind == 1)
		o->dir = argv[optind];
	if (!strcmp(o->dir, "-"))
		o->dir = NULL;
	return -1;
}

static const char *comp_name(int compression)
{
	switch (compression) {
	case KERNELDUMP_COMP_NONE:
		return "none";
	case KERNELDUMP_COMP_GZIP:
		return "gzip";
	case KERNELDUMP_COMP_ZSTD:
		return "zstd";
	}
	return "unknown";
}

static const char *comp_suffix(int compression)
{
	switch (compression) {
	case KERNELDUMP_COMP_GZIP:
		return ".gz";
	case KERNELDUMP_COMP_ZSTD:
		return ".zst";
	}
	return "";
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * SIGINT and SIGTERM only set a flag; without SA_RESTART they make the
 * ioctl return EINTR, which the kernel turns into a clean stop. SIGPIPE is
 * ignored so that a vanished reader shows up as EPIPE with a message.
 */
static void install_signals(void)
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

/* Reads "pages_done pages_total"; false if the file is not there. */
static bool read_progress(uint64_t *done, uint64_t *total)
{
	char buf[64];
	ssize_t n;
	int fd = open(PROGRESS_FILE, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	return sscanf(buf, "%" SCNu64 " %" SCNu64, done, total) == 2;
}

static void draw_bar(uint64_t done, uint64_t total)
{
	char line[128];
	unsigned int pct, fill, i, len;

	if (done > total)
		done = total;
	pct = (unsigned int)(done * 100 / total);
	fill = (unsigned int)(done * BAR_WIDTH / total);
	len = (unsigned int)snprintf(line, sizeof(line), "\r[");
	for (i = 0; i < BAR_WIDTH; i++)
		line[len++] = i < fill ? '#' : '.';
	len += (unsigned int)snprintf(line + len, sizeof(line) - len,
				      "] %3u%% %" PRIu64 "/%" PRIu64 " pages",
				      pct, done, total);
	if (write(STDERR_FILENO, line, len) < 0)
		return;
}

/* The thread: redraws every PROGRESS_MS until told to stop, then clears. */
static void *progress_run(void *arg)
{
	struct progress *p = arg;
	struct pollfd pfd = { .fd = p->stop[0], .events = POLLIN };
	uint64_t done, total;
	bool drawn = false;

	for (;;) {
		if (read_progress(&done, &total) && total) {
			draw_bar(done, total);
			drawn = true;
		}
		if (poll(&pfd, 1, PROGRESS_MS) != 0)
			break;
	}
	if (drawn && write(STDERR_FILENO, "\r\033[K", 4) < 0)
		return NULL;
	return NULL;
}

/*
 * Starts the bar when stderr is a terminal. The thread blocks SIGINT and
 * SIGTERM so that they reach the thread sitting in the ioctl.
 */
static void progress_start(struct progress *p)
{
	sigset_t block, old;

	p->running = false;
	if (!isatty(STDERR_FILENO) || pipe2(p->stop, O_CLOEXEC))
		return;
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &block, &old);
	p->running = !pthread_create(&p->thread, NULL, progress_run, p);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (!p->running) {
		close(p->stop[0]);
		close(p->stop[1]);
	}
}

static void progress_stop(struct progress *p)
{
	if (!p->running)
		return;
	if (write(p->stop[1], "", 1) < 0)
		pthread_cancel(p->thread);
	pthread_join(p->thread, NULL);
	close(p->stop[0]);
	close(p->stop[1]);
	p->running = false;
}

/* MEM_KERNELDUMP into fd with the bar drawn meanwhile; 0 or an errno. */
static int kernel_dump(int dev, int fd, const struct options *o)
{
	struct mem_livedump_arg arg;
	struct progress p;
	int err = 0;

	memset(&arg, 0, sizeof(arg));
	arg.fd = fd;
	arg.flags = o->flags;
	arg.compression = (uint8_t)o->compression;
	progress_start(&p);
	if (!got_signal && ioctl(dev, MEM_KERNELDUMP, &arg))
		err = errno;
	progress_stop(&p);
	if (got_signal)
		err = EINTR;
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

static uint32_t be32(const unsigned char *b)
{
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 |
	       (uint32_t)b[2] << 8 | b[3];
}

static uint64_t be64(const unsigned char *b)
{
	return (uint64_t)be32(b) << 32 | be32(b + 4);
}

/* The trailer's fields in host order, strings NUL-terminated. */
struct trailer {
	uint32_t version;
	uint32_t archver;
	uint64_t length;
	uint64_t time;
	uint32_t keysize;
	uint32_t blocksize;
	uint64_t extent;
	int compression;
	char hostname[65];
	char versionstring[193];
};

static void copy_field(char *dst, const char *src, size_t size)
{
	memcpy(dst, src, size);
	dst[size] = '\0';
	dst[strcspn(dst, "\n")] = '\0';
}

static void decode_trailer(const struct kerneldumpheader *h,
			   struct trailer *t)
{
	const unsigned char *b = (const unsigned char *)h;

	t->version = be32(b + offsetof(struct kerneldumpheader, version));
	t->archver = be32(b + offsetof(struct kerneldumpheader,
				       architectureversion));
	t->length = be64(b + offsetof(struct kerneldumpheader, dumplength));
	t->time = be64(b + offsetof(struct kerneldumpheader, dumptime));
	t->keysize = be32(b + offsetof(struct kerneldumpheader, dumpkeysize));
	t->blocksize = be32(b + offsetof(struct kerneldumpheader, blocksize));
	t->extent = be64(b + offsetof(struct kerneldumpheader, dumpextent));
	t->compression = h->compression;
	copy_field(t->hostname, h->hostname, sizeof(h->hostname));
	copy_field(t->versionstring, h->versionstring,
		   sizeof(h->versionstring));
}

/*
 * Reads the last 512 bytes of fd (size bytes long) and checks what savecore
 * checks; prints why and returns false if the trailer is not valid.
 */
static bool check_trailer(int fd, uint64_t size, int compression,
			  struct trailer *t)
{
	struct kerneldumpheader h;
	ssize_t n;

	if (size < sizeof(h) + KERNELDUMP_BLOCKSIZE) {
		fail("dump is only %" PRIu64 " bytes long", size);
		return false;
	}
	n = pread(fd, &h, sizeof(h), (off_t)(size - sizeof(h)));
	if (n != (ssize_t)sizeof(h)) {
		fail_errno("reading the trailer", n < 0 ? errno : EIO);
		return false;
	}
	decode_trailer(&h, t);
	if (memcmp(h.magic, KERNELDUMPMAGIC, sizeof(KERNELDUMPMAGIC)))
		fail("trailer: bad magic, not \"%s\"", KERNELDUMPMAGIC);
	else if (t->version != KERNELDUMPVERSION)
		fail("trailer: version %" PRIu32 ", expected %d",
		     t->version, KERNELDUMPVERSION);
	else if (strncmp(h.architecture, "amd64", sizeof(h.architecture)))
		fail("trailer: architecture \"%.12s\", expected amd64",
		     h.architecture);
	else if (kerneldump_parity(&h))
		fail("trailer: parity error (0x%08" PRIx32 ")",
		     kerneldump_parity(&h));
	else if (t->keysize)
		fail("trailer: encryption key size %" PRIu32 ", expected 0",
		     t->keysize);
	else if (t->compression != compression)
		fail("trailer: compression %s, asked for %s",
		     comp_name(t->compression), comp_name(compression));
	else if (t->length > size - sizeof(h))
		fail("trailer: dumplength %" PRIu64 " beyond the file (%"
		     PRIu64 " bytes)", t->length, size);
	else
		return true;
	return false;
}

/* Joins dir and name into buf (PATH_MAX); false if too long. */
static bool path_join(char *buf, const char *dir, const char *name)
{
	int n = snprintf(buf, PATH_MAX, "%s/%s", dir, name);

	if (n < 0 || n >= PATH_MAX) {
		fail("%s/%s: %s", dir, name, strerror(ENAMETOOLONG));
		return false;
	}
	return true;
}

/* Writes s to dir/name through dir/name.new and a rename; 0 or -1. */
static int write_small(const char *dir, const char *name, const char *s,
		       mode_t mode)
{
	char path[PATH_MAX], tmp[PATH_MAX + 8];
	size_t len = strlen(s);
	int fd, err = 0;

	if (!path_join(path, dir, name))
		return -1;
	snprintf(tmp, sizeof(tmp), "%s.new", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0) {
		fail_errno(tmp, errno);
		return -1;
	}
	if (write(fd, s, len) != (ssize_t)len)
		err = errno ? errno : EIO;
	if (close(fd) && !err)
		err = errno;
	if (!err && rename(tmp, path))
		err = errno;
	if (err) {
		unlink(tmp);
		fail_errno(path, err);
		return -1;
	}
	return 0;
}

/* Points dir/name at target, replacing what was there; 0 or -1. */
static int update_link(const char *dir, const char *name, const char *target)
{
	char path[PATH_MAX], tmp[PATH_MAX + 8];

	if (!path_join(path, dir, name))
		return -1;
	snprintf(tmp, sizeof(tmp), "%s.new", path);
	unlink(tmp);
	if (symlink(target, tmp) || rename(tmp, path)) {
		fail_errno(path, errno);
		unlink(tmp);
		return -1;
	}
	return 0;
}

/* True if dir/name exists (as anything, a dangling link included). */
static bool exists(const char *dir, const char *name)
{
	char path[PATH_MAX];
	struct stat st;

	return path_join(path, dir, name) && !lstat(path, &st);
}

/*
 * The dump's number: what dir/bounds says (0 if it is missing), moved on
 * past numbers some earlier file already uses.
 */
static int next_number(const char *dir, unsigned long *np)
{
	static const char *const names[] = {
		"info.%lu", "livecore.%lu", "livecore.%lu.gz", "livecore.%lu.zst",
	};
	char path[PATH_MAX], buf[32], name[64];
	unsigned long n = 0;
	unsigned int i, tries;
	ssize_t len;
	int fd;

	if (!path_join(path, dir, "bounds"))
		return -1;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 && errno != ENOENT) {
		fail_errno(path, errno);
		return -1;
	}
	if (fd >= 0) {
		len = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		buf[len > 0 ? len : 0] = '\0';
		if (sscanf(buf, "%lu", &n) != 1) {
			fprintf(stderr, "bsdlivedump: %s: no number in it, "
				"starting from 0\n", path);
			n = 0;
		}
	}
	for (tries = 0; tries < MAX_TRIES; tries++, n++) {
		for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
			snprintf(name, sizeof(name), names[i], n);
			if (exists(dir, name))
				break;
		}
		if (i == sizeof(names) / sizeof(names[0]))
			break;
	}
	*np = n;
	return 0;
}

/* The text of info.N: the trailer's fields, one "Key: value" a line. */
static void format_info(char *buf, size_t size, const char *file,
			const struct trailer *t)
{
	char date[64] = "?";
	time_t when = (time_t)t->time;
	struct tm tm;

	if (localtime_r(&when, &tm))
		strftime(date, sizeof(date), "%Y-%m-%d %H:%M:%S %Z", &tm);
	snprintf(buf, size,
		 "File: %s\n"
		 "Hostname: %s\n"
		 "Versionstring: %s\n"
		 "Architecture: amd64\n"
		 "Architectureversion: %" PRIu32 "\n"
		 "Dumptime: %s (%" PRIu64 ")\n"
		 "Dumplength: %" PRIu64 "\n"
		 "Dumpextent: %" PRIu64 "\n"
		 "Blocksize: %" PRIu32 "\n"
		 "Compression: %s\n",
		 file, t->hostname, t->versionstring, t->archver, date, t->time,
		 t->length, t->extent, t->blocksize, comp_name(t->compression));
}

/* Gives the checked dump in tmp its name, info.N and links; 0 or 1. */
static int store_dump(const char *dir, const char *tmp,
		      const struct trailer *t, const char **namep)
{
	static char name[64];
	char path[PATH_MAX], info[64], text[1024], bounds[32];
	unsigned long n;

	if (next_number(dir, &n))
		return EXIT_FAILURE;
	snprintf(name, sizeof(name), "livecore.%lu%s", n,
		 comp_suffix(t->compression));
	snprintf(info, sizeof(info), "info.%lu", n);
	if (!path_join(path, dir, name))
		return EXIT_FAILURE;
	if (rename(tmp, path))
		return fail_errno(path, errno);
	format_info(text, sizeof(text), name, t);
	snprintf(bounds, sizeof(bounds), "%lu\n", n + 1);
	if (write_small(dir, info, text, 0644) ||
	    write_small(dir, "bounds", bounds, 0644) ||
	    update_link(dir, "livecore.last", name) ||
	    update_link(dir, "info.last", info))
		return EXIT_FAILURE;
	*namep = name;
	return EXIT_SUCCESS;
}

/* Checks the dump in fd, cuts it to dumplength and stores it; 0 or 1. */
static int finish_file(int fd, const char *dir, const char *tmp,
		       const struct options *o, double secs)
{
	struct trailer t;
	struct stat st;
	const char *name;

	if (fstat(fd, &st))
		return fail_errno(tmp, errno);
	if (!check_trailer(fd, (uint64_t)st.st_size, o->compression, &t))
		return EXIT_FAILURE;
	if (ftruncate(fd, (off_t)t.length))
		return fail_errno(tmp, errno);
	if (store_dump(dir, tmp, &t, &name))
		return EXIT_FAILURE;
	if (o->verbose)
		fprintf(stderr, "bsdlivedump: %s: host %s, %s\n", name,
			t.hostname, t.versionstring);
	if (o->compression)
		printf("bsdlivedump: %s: %" PRIu64 " bytes (%" PRIu64
		       " before compression) in %.1f s\n",
		       name, t.length, t.extent, secs);
	else
		printf("bsdlivedump: %s: %" PRIu64 " bytes in %.1f s\n",
		       name, t.length, secs);
	return fflush(stdout) ? fail_errno("stdout", errno) : EXIT_SUCCESS;
}

/* Dumps into DIRECTORY/livecore.tmp.XXXXXX, then finishes it; exit status. */
static int dump_to_dir(int dev, const struct options *o)
{
	char tmp[PATH_MAX];
	double start;
	int fd, err, ret;

	if (!path_join(tmp, o->dir, TMP_TEMPLATE))
		return EXIT_FAILURE;
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return fail_errno(o->dir, errno);
	if (o->verbose)
		fprintf(stderr, "bsdlivedump: dumping to %s\n", tmp);
	start = now();
	err = kernel_dump(dev, fd, o);
	if (err) {
		unlink(tmp);
		close(fd);
		return dump_failed(err, o);
	}
	ret = finish_file(fd, o->dir, tmp, o, now() - start);
	if (close(fd) && !ret)
		ret = fail_errno(tmp, errno);
	if (ret)
		unlink(tmp);
	return ret;
}

/* Why the kernel will refuse stdout, or NULL if it should take it. */
static const char *stdout_problem(void)
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

/* Dumps to stdout; the trailer stays at the end of the stream. */
static int dump_to_stdout(int dev, const struct options *o)
{
	const char *problem;
	struct stat st;
	struct trailer t;
	double start = now();
	int err;

	err = kernel_dump(dev, STDOUT_FILENO, o);
	if (err == EINVAL && (problem = stdout_problem()))
		return fail("%s", problem);
	if (err == EPIPE)
		return fail("writing to stdout: %s", strerror(err));
	if (err)
		return dump_failed(err, o);
	if (!fstat(STDOUT_FILENO, &st) && S_ISREG(st.st_mode) &&
	    !check_trailer(STDOUT_FILENO, (uint64_t)st.st_size,
			   o->compression, &t))
		return EXIT_FAILURE;
	if (o->verbose)
		fprintf(stderr, "bsdlivedump: -: %s dump written in %.1f s\n",
			comp_name(o->compression), now() - start);
	return EXIT_SUCCESS;
}

int main(int argc, char **argv)
{
	const char *problem;
	struct options o;
	struct stat st;
	int dev, ret;

	ret = parse_args(argc, argv, &o);
	if (ret >= 0)
		return ret;
	if (o.dir && stat(o.dir, &st))
		return fail_errno(o.dir, errno);
	if (o.dir && !S_ISDIR(st.st_mode))
		return fail_errno(o.dir, ENOTDIR);
	if (!o.dir && (problem = stdout_problem()))
		return fail("%s", problem);
	dev = open(_PATH_BSDMEM, O_RDONLY | O_CLOEXEC);
	if (dev < 0)
		return fail_errno(_PATH_BSDMEM, errno);
	install_signals();
	ret = o.dir ? dump_to_dir(dev, &o) : dump_to_stdout(dev, &o);
	close(dev);
	return ret;
}
