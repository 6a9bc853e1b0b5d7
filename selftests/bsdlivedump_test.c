// SPDX-License-Identifier: GPL-2.0
/*
 * bsdlivedump end to end (SPEC §9): runs the tool ($BSDMEM_TOOLS/bsdlivedump,
 * else /tools/bsdlivedump; a missing binary fails) into a fresh directory
 * per test, bsdlivedump.TEST under $BSDMEM_SHARE or /tmp, and checks the
 * files it leaves (names, sizes, magic bytes, bounds, info.N, the .last
 * links, `minidump check`), the stream on stdout (`minidump check -` over
 * all of it), the progress bar on a pty and the summary line on stderr,
 * SIGINT, and its exit codes. In the
 * share, the dumps (livecore.*) stay for the host's check
 * (scripts/host-checks/dumps lists the ones it requires).
 */
#define _FILE_OFFSET_BITS 64
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sched.h>
#include <sys/inotify.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <sys/kerneldump.h>
#include "bsdmem_harness.h"
#include "mdview.h"

#define PROGRESS	"/sys/class/misc/bsdmem/livedump_progress"
#define ERR_SIZE	65536
#define RAW_MAGIC	"minidump FreeBSD/amd64"

static const unsigned char zstd_magic[4] = { 0x28, 0xb5, 0x2f, 0xfd };
static const unsigned char gzip_magic[3] = { 0x1f, 0x8b, 0x08 };

/* One run of a tool: exit status (128 + signal if killed) and stderr. */
struct run {
	int status;
	char err[ERR_SIZE];
};

FIXTURE(bld) {
	char bin[PATH_MAX];
	char minidump[PATH_MAX];
	char dir[PATH_MAX];
	bool keep_dumps;	/* dir is in the share: leave livecore.* */
	struct run r;
};

static void tool_path(char *buf, const char *name)
{
	const char *d = getenv("BSDMEM_TOOLS");

	snprintf(buf, PATH_MAX, "%s/%s", d && *d ? d : "/tools", name);
}

static void path_in(char *buf, const char *dir, const char *name)
{
	if (snprintf(buf, PATH_MAX, "%s/%s", dir, name) >= PATH_MAX)
		buf[0] = '\0';
}

/*
 * A dump the host checks: a regular, non-empty livecore.* that is not a
 * temporary file (livecore.last is a link, an empty one a placeholder).
 */
static bool is_kept_dump(const char *dir, const char *name)
{
	char path[PATH_MAX];
	struct stat st;

	path_in(path, dir, name);
	return !strncmp(name, "livecore.", 9) &&
	       strncmp(name, "livecore.tmp.", 13) && !lstat(path, &st) &&
	       S_ISREG(st.st_mode) && st.st_size > 0;
}

/* Removes every entry of dir but the kept dumps if @keep, then dir if empty. */
static void remove_tree(const char *dir, bool keep)
{
	char path[PATH_MAX];
	struct dirent *e;
	DIR *d = opendir(dir);

	if (!d)
		return;
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..") &&
		    !(keep && is_kept_dump(dir, e->d_name))) {
			path_in(path, dir, e->d_name);
			unlink(path);
		}
	closedir(d);
	rmdir(dir);
}

FIXTURE_SETUP(bld)
{
	const char *share = getenv("BSDMEM_SHARE");

	tool_path(self->bin, "bsdlivedump");
	tool_path(self->minidump, "minidump");
	ASSERT_EQ(0, access(self->bin, X_OK))
		TH_LOG("%s: %s", self->bin, strerror(errno));
	if (geteuid())
		SETUP_SKIP("needs root (CAP_SYS_RAWIO)");
	if (access("/dev/bsdmem", F_OK))
		SETUP_SKIP("no /dev/bsdmem: module not loaded");
	/* a name the host check knows: bsdlivedump.TEST */
	self->keep_dumps = share && *share;
	snprintf(self->dir, sizeof(self->dir), "%s/bsdlivedump.%s",
		 self->keep_dumps ? share : "/tmp", _metadata->name);
	remove_tree(self->dir, false);
	ASSERT_EQ(0, mkdir(self->dir, 0700))
		TH_LOG("%s: %s", self->dir, strerror(errno));
}

FIXTURE_TEARDOWN(bld)
{
	if (self->dir[0])
		remove_tree(self->dir, self->keep_dumps);
}

/*
 * Runs bin with args (NULL-terminated, after argv[0]), stdin and by default
 * stdout on /dev/null; stdout to out_fd and stderr to err_fd when >= 0, else
 * stderr into r->err.
 */
static void run_fds(const char *bin, struct run *r, int out_fd, int err_fd,
		    const char *const *args)
{
	char *argv[16] = { (char *)"bsdlivedump" };
	int mem = memfd_create("err", 0), st, n;
	pid_t pid;

	for (n = 0; n < 14 && args[n]; n++)
		argv[n + 1] = (char *)args[n];
	r->status = -1;
	r->err[0] = '\0';
	if (mem < 0)
		return;
	fflush(NULL);
	pid = fork();
	if (!pid) {
		int null = open("/dev/null", O_RDWR);

		dup2(null, 0);
		dup2(out_fd >= 0 ? out_fd : null, 1);
		dup2(err_fd >= 0 ? err_fd : mem, 2);
		execv(bin, argv);
		_exit(127);
	}
	if (pid > 0 && waitpid(pid, &st, 0) == pid)
		r->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	n = (int)pread(mem, r->err, ERR_SIZE - 1, 0);
	r->err[n > 0 ? n : 0] = '\0';
	close(mem);
}

/* The same with the arguments listed, NULL last; stdout thrown away. */
static void run_tool(const char *bin, struct run *r, ...)
{
	const char *args[15];
	va_list ap;
	int n = 0;

	va_start(ap, r);
	while (n < 14 && (args[n] = va_arg(ap, const char *)))
		n++;
	va_end(ap);
	args[n] = NULL;
	run_fds(bin, r, -1, -1, args);
}

/* Reads a small file (NUL-terminated); bytes or -1. */
static ssize_t slurp(const char *dir, const char *name, char *buf, size_t size)
{
	char path[PATH_MAX];
	ssize_t n;
	int fd;

	path_in(path, dir, name);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	n = read(fd, buf, size - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	return n;
}

/* Creates dir/name holding s; 0 or -1. */
static int put_file(const char *dir, const char *name, const char *s)
{
	char path[PATH_MAX];
	ssize_t n;
	int fd;

	path_in(path, dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		return -1;
	n = write(fd, s, strlen(s));
	close(fd);
	return n == (ssize_t)strlen(s) ? 0 : -1;
}

static long long file_size(const char *dir, const char *name)
{
	char path[PATH_MAX];
	struct stat st;

	path_in(path, dir, name);
	return stat(path, &st) ? -1 : (long long)st.st_size;
}

/* A "Key: number" line of info.N, or -1. */
static long long info_number(const char *dir, const char *info,
			     const char *key)
{
	char buf[4096], *p;
	long long v = -1;

	if (slurp(dir, info, buf, sizeof(buf)) <= 0)
		return -1;
	p = strstr(buf, key);
	if (p && p[strlen(key)] == ':')
		sscanf(p + strlen(key) + 1, "%lld", &v);
	return v;
}

/* Where the symlink dir/name points, or "" if it is not one. */
static void link_target(const char *dir, const char *name, char *buf)
{
	char path[PATH_MAX];
	ssize_t n;

	path_in(path, dir, name);
	n = readlink(path, buf, PATH_MAX - 1);
	buf[n > 0 ? n : 0] = '\0';
}

/* How many entries of dir start with prefix. */
static int count_prefix(const char *dir, const char *prefix)
{
	struct dirent *e;
	DIR *d = opendir(dir);
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		n += !strncmp(e->d_name, prefix, strlen(prefix));
	closedir(d);
	return n;
}

/*
 * Everything a finished dump numbered n must leave: file == name, size ==
 * the dumplength of info.N, these magic bytes first, no temporary file,
 * bounds n + 1, the .last links; then `minidump check`.
 */
static void check_stored(struct __test_metadata *_metadata,
			 FIXTURE_DATA(bld) *self, int n, const char *name,
			 const void *magic, size_t magic_len)
{
	char info[32], buf[PATH_MAX], path[PATH_MAX], head[32];
	long long len;
	struct run r;

	snprintf(info, sizeof(info), "info.%d", n);
	len = info_number(self->dir, info, "Dumplength");
	EXPECT_LT(0, len) TH_LOG("%s has no Dumplength", info);
	EXPECT_EQ(len, file_size(self->dir, name));
	EXPECT_EQ((ssize_t)magic_len,
		  slurp(self->dir, name, head, magic_len + 1));
	EXPECT_EQ(0, memcmp(head, magic, magic_len)) TH_LOG("%s: bad magic", name);
	EXPECT_EQ(0, count_prefix(self->dir, "livecore.tmp."));
	EXPECT_LT(0, slurp(self->dir, "bounds", buf, sizeof(buf)));
	EXPECT_EQ(n + 1, atoi(buf));
	link_target(self->dir, "livecore.last", buf);
	EXPECT_STREQ(name, buf);
	link_target(self->dir, "info.last", buf);
	EXPECT_STREQ(info, buf);
	slurp(self->dir, info, buf, sizeof(buf));
	EXPECT_NE(NULL, strstr(buf, "Hostname: "));
	EXPECT_NE(NULL, strstr(buf, "Versionstring: Linux version "));
	EXPECT_NE(NULL, strstr(buf, name));
	/* The reader is part of the image: without it nothing was checked. */
	ASSERT_EQ(0, access(self->minidump, X_OK))
		TH_LOG("no %s: minidump check cannot run", self->minidump);
	path_in(path, self->dir, name);
	run_tool(self->minidump, &r, "check", path, NULL);
	EXPECT_EQ(0, r.status) TH_LOG("minidump check %s: %s", name, r.err);
}

/* "%.1f MB" of @bytes: how the tool writes sizes (decimal megabytes). */
static void mb(char *buf, size_t size, unsigned long long bytes)
{
	snprintf(buf, size, "%.1f MB", bytes / 1e6);
}

/*
 * The summary line a dump of @pages data pages into @out bytes must have:
 * "NAME: X MB of memory -> Y MB (HOW) in ".
 */
static void expect_summary(struct __test_metadata *_metadata, const char *line,
			   const char *name, unsigned long long pages,
			   unsigned long long out, const char *how)
{
	char want[256], x[32], y[32];

	mb(x, sizeof(x), pages * 4096);
	mb(y, sizeof(y), out);
	snprintf(want, sizeof(want), "%s: %s of memory -> %s (%s) in ", name,
		 x, y, how);
	EXPECT_EQ(0, strncmp(line, want, strlen(want)))
		TH_LOG("summary \"%s\", want \"%s...\"", line, want);
	EXPECT_NE(NULL, strstr(line, " MB/s")) TH_LOG("%s", line);
}

/* The summary line for @name in @err (stderr of a run), or "". */
static void find_summary(const char *err, const char *name, char *buf,
			 size_t size)
{
	char key[64];
	const char *p;

	snprintf(key, sizeof(key), "%s: ", name);
	for (p = err; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (!strncmp(p, key, strlen(key))) {
			snprintf(buf, size, "%.*s", (int)strcspn(p, "\n"), p);
			return;
		}
	buf[0] = '\0';
}

/* Data pages of a raw dump file, counted in its own bitmap (mdview.c). */
static unsigned long long raw_pages(const char *dir, const char *name)
{
	char path[PATH_MAX];
	unsigned long long n = 0;
	struct stat st;
	struct mdv m;
	void *p;
	int fd;

	path_in(path, dir, name);
	fd = open(path, O_RDONLY);
	if (fd < 0 || fstat(fd, &st) || !st.st_size) {
		if (fd >= 0)
			close(fd);
		return 0;
	}
	p = mmap(NULL, st.st_size, PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	if (p == MAP_FAILED)
		return 0;
	if (!mdv_open(&m, p, st.st_size))
		n = m.ndata;
	munmap(p, st.st_size);
	return n;
}

/* A bad option is a usage error: exit 2 and a usage text. */
TEST_F_TIMEOUT(bld, bad_option_exit2, 10)
{
	run_tool(self->bin, &self->r, "-q", self->dir, NULL);
	EXPECT_EQ(2, self->r.status);
	EXPECT_NE(NULL, strstr(self->r.err, "usage:"));
	run_tool(self->bin, &self->r, "-z", "-Z", self->dir, NULL);
	EXPECT_EQ(2, self->r.status);
	run_tool(self->bin, &self->r, self->dir, self->dir, NULL);
	EXPECT_EQ(2, self->r.status);
}

/* A directory that does not exist fails (1) and names it. */
TEST_F_TIMEOUT(bld, missing_directory_exit1, 10)
{
	char path[PATH_MAX];

	path_in(path, self->dir, "nonexistent");
	run_tool(self->bin, &self->r, "-Z", path, NULL);
	EXPECT_EQ(1, self->r.status);
	EXPECT_NE(NULL, strstr(self->r.err, path)) TH_LOG("%s", self->r.err);
}

/* The first -Z dump is livecore.0.zst, the next plain one livecore.1. */
TEST_F_TIMEOUT(bld, zstd_then_raw, 300)
{
	char out[4096], line[512], path[PATH_MAX];
	int fd = memfd_create("out", 0);

	ASSERT_LE(0, fd);
	run_fds(self->bin, &self->r, fd, -1,
		(const char *const[]){ "-Z", self->dir, NULL });
	ASSERT_EQ(0, self->r.status) TH_LOG("%s", self->r.err);
	/* stderr is not a terminal: no progress bar, but the summary */
	EXPECT_EQ(NULL, strchr(self->r.err, '\r')) TH_LOG("%s", self->r.err);
	EXPECT_EQ(NULL, strstr(self->r.err, "ETA")) TH_LOG("%s", self->r.err);
	find_summary(self->r.err, "livecore.0.zst", line, sizeof(line));
	path_in(path, self->dir, "livecore.0.zst");
	expect_summary(_metadata, line, "livecore.0.zst",
		       mdv_info_field(path, "pages.dumped"),
		       file_size(self->dir, "livecore.0.zst"), "zstd");
	out[pread(fd, out, sizeof(out) - 1, 0)] = '\0';
	EXPECT_NE(NULL, strstr(out, "bsdlivedump: livecore.0.zst: "))
		TH_LOG("stdout: %s", out);
	EXPECT_NE(NULL, strstr(out, "before compression")) TH_LOG("%s", out);
	close(fd);
	check_stored(_metadata, self, 0, "livecore.0.zst", zstd_magic,
		     sizeof(zstd_magic));
	EXPECT_LT(0, info_number(self->dir, "info.0", "Dumpextent"));

	run_tool(self->bin, &self->r, self->dir, NULL);
	ASSERT_EQ(0, self->r.status) TH_LOG("%s", self->r.err);
	check_stored(_metadata, self, 1, "livecore.1", RAW_MAGIC,
		     strlen(RAW_MAGIC));
	EXPECT_EQ(NULL, strchr(self->r.err, '\r')) TH_LOG("%s", self->r.err);
	find_summary(self->r.err, "livecore.1", line, sizeof(line));
	expect_summary(_metadata, line, "livecore.1",
		       raw_pages(self->dir, "livecore.1"),
		       file_size(self->dir, "livecore.1"), "uncompressed");
	EXPECT_EQ(info_number(self->dir, "info.1", "Dumplength"),
		  info_number(self->dir, "info.1", "Dumpextent"));
	EXPECT_LT(0, file_size(self->dir, "livecore.0.zst"));
}

/* -z makes livecore.0.gz, a gzip member cut to dumplength. */
TEST_F_TIMEOUT(bld, gzip_file, 150)
{
	run_tool(self->bin, &self->r, "-z", self->dir, NULL);
	ASSERT_EQ(0, self->r.status) TH_LOG("%s", self->r.err);
	check_stored(_metadata, self, 0, "livecore.0.gz", gzip_magic,
		     sizeof(gzip_magic));
}

/* The pages of dir/name in the page cache (-1 if unknown); *pages: all. */
static long cached_pages(const char *dir, const char *name, long long *pages)
{
	long long size = file_size(dir, name);
	char path[PATH_MAX];
	long n = -1;
	int fd;

	*pages = (size + 4095) / 4096;
	path_in(path, dir, name);
	fd = open(path, O_RDONLY);
	if (fd >= 0) {
		n = bt_cached_pages(fd, size);
		close(fd);
	}
	return n;
}

/*
 * On a disk file system the dump file is written O_DIRECT, around the page
 * cache (-v says so): afterwards the cache holds only what the tool read
 * back (header, bitmap, trailer), not the dump. --cached writes it through
 * the page cache, where most of it stays. Both, and a zstd dump O_DIRECT,
 * are stored and checked like any other dump. On the scratch disk at
 * $BSDMEM_DISK; without one the test does not apply.
 */
TEST_F_TIMEOUT(bld, direct_and_cached, 300)
{
	const char *disk = getenv("BSDMEM_DISK");
	long long pages;
	long cached;

	if (!disk || !*disk)
		SKIP(return, "no $BSDMEM_DISK: O_DIRECT needs a disk file system");
	remove_tree(self->dir, false);
	snprintf(self->dir, sizeof(self->dir), "%s/bsdlivedump.direct", disk);
	self->keep_dumps = false;
	remove_tree(self->dir, false);
	ASSERT_EQ(0, mkdir(self->dir, 0700))
		TH_LOG("%s: %s", self->dir, strerror(errno));

	run_tool(self->bin, &self->r, "-v", self->dir, NULL);
	ASSERT_EQ(0, self->r.status) TH_LOG("%s", self->r.err);
	EXPECT_NE(NULL, strstr(self->r.err, " (O_DIRECT)"))
		TH_LOG("stderr: %s", self->r.err);
	cached = cached_pages(self->dir, "livecore.0", &pages);
	TH_LOG("O_DIRECT: %ld of %lld pages in the page cache", cached, pages);
	ASSERT_LE(0, cached);
	EXPECT_LT(cached * 10, pages);
	check_stored(_metadata, self, 0, "livecore.0", RAW_MAGIC,
		     strlen(RAW_MAGIC));

	/*
	 * The control: through the page cache, most of a file this size
	 * (a tenth of RAM or so) is still cached right after.
	 */
	run_tool(self->bin, &self->r, "-v", "--cached", self->dir, NULL);
	ASSERT_EQ(0, self->r.status) TH_LOG("%s", self->r.err);
	EXPECT_EQ(NULL, strstr(self->r.err, "O_DIRECT"))
		TH_LOG("stderr: %s", self->r.err);
	cached = cached_pages(self->dir, "livecore.1", &pages);
	TH_LOG("--cached: %ld of %lld pages in the page cache", cached, pages);
	EXPECT_GT(cached * 4, pages);
	check_stored(_metadata, self, 1, "livecore.1", RAW_MAGIC,
		     strlen(RAW_MAGIC));

	run_tool(self->bin, &self->r, "-Z", self->dir, NULL);
	ASSERT_EQ(0, self->r.status) TH_LOG("%s", self->r.err);
	check_stored(_metadata, self, 2, "livecore.2.zst", zstd_magic,
		     sizeof(zstd_magic));
}

/* The number comes from bounds and moves past names already taken. */
TEST_F_TIMEOUT(bld, bounds_and_taken_names, 90)
{
	ASSERT_EQ(0, put_file(self->dir, "bounds", "41\n"));
	ASSERT_EQ(0, put_file(self->dir, "livecore.41", ""));
	run_tool(self->bin, &self->r, "-Z", self->dir, NULL);
	ASSERT_EQ(0, self->r.status) TH_LOG("%s", self->r.err);
	check_stored(_metadata, self, 42, "livecore.42.zst", zstd_magic,
		     sizeof(zstd_magic));
	EXPECT_EQ(0, file_size(self->dir, "livecore.41"));
}

/* Drains fd: total bytes, the first 4 and the last 512. */
struct stream {
	unsigned long long total;
	unsigned char head[4];
	unsigned char tail[512];
};

/* Also writes all of it to @tee (while that takes it); 0 or errno. */
static int drain(int fd, struct stream *s, int tee)
{
	static unsigned char buf[1 << 16];
	ssize_t n, w;
	int err = 0;

	memset(s, 0, sizeof(*s));
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		for (ssize_t i = 0; i < n; i++, s->total++) {
			if (s->total < sizeof(s->head))
				s->head[s->total] = buf[i];
			s->tail[s->total % 512] = buf[i];
		}
		for (w = 0; !err && w < n; ) {
			ssize_t r = write(tee, buf + w, n - w);

			if (r > 0)
				w += r;
			else if (r == 0 || errno != EINTR)
				err = r ? errno : EIO;
		}
	}
	return err;
}

static uint64_t be64(const unsigned char *b)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | b[i];
	return v;
}

/*
 * "-Z -" into a pipe: a zstd stream that still ends with a valid trailer,
 * and all of it passes `minidump check -` as it arrives.
 */
TEST_F_TIMEOUT(bld, zstd_to_pipe, 90)
{
	struct kerneldumpheader h;
	struct mdv_checker c;
	struct stream s;
	unsigned char *k = (unsigned char *)&h;
	int p[2], st, tee_err, err = memfd_create("err", 0);
	unsigned long long pages = 0;
	char text[1024], *p_dumped;
	bool checked;
	ssize_t n;
	pid_t pid;

	ASSERT_LE(0, err);
	signal(SIGPIPE, SIG_IGN);	/* a checker that stops early: EPIPE */
	mdv_checker_start(&c, self->minidump);
	ASSERT_EQ(0, pipe2(p, O_CLOEXEC));
	fflush(NULL);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		/* Our stderr may be a tty: keep the bar out of the TAP. */
		dup2(err, 2);
		dup2(p[1], 1);
		signal(SIGPIPE, SIG_DFL);
		execl(self->bin, "bsdlivedump", "-Z", "-", (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	tee_err = drain(p[0], &s, c.in);
	close(p[0]);
	checked = mdv_checker_finish(&c);
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	TH_LOG("%llu bytes; minidump check -: %s", s.total, c.text);
	EXPECT_TRUE(checked) TH_LOG("minidump check -: wait status 0x%x", c.status);
	EXPECT_EQ(0, tee_err);
	/*
	 * stderr holds the summary line alone: its sizes are the pages the
	 * reader counted in the dump's bitmap and every byte of the stream.
	 */
	n = pread(err, text, sizeof(text) - 1, 0);
	text[n > 0 ? n : 0] = '\0';
	close(err);
	p_dumped = strstr(c.text, " pages dumped");
	while (p_dumped && p_dumped > c.text && p_dumped[-1] != ',')
		p_dumped--;
	ASSERT_NE(NULL, p_dumped) TH_LOG("%s", c.text);
	ASSERT_EQ(1, sscanf(p_dumped, " %llu of", &pages)) TH_LOG("%s", c.text);
	EXPECT_EQ(strlen(text), strcspn(text, "\n") + 1)
		TH_LOG("stderr is not one line: %s", text);
	expect_summary(_metadata, text, "-", pages, s.total, "zstd");
	ASSERT_LT(4096ULL + 512, s.total);
	EXPECT_EQ(512ULL, s.total % 4096);
	EXPECT_EQ(0, memcmp(s.head, zstd_magic, sizeof(zstd_magic)));
	for (int i = 0; i < 512; i++)
		k[i] = s.tail[(s.total + i) % 512];
	EXPECT_EQ(0, memcmp(h.magic, KERNELDUMPMAGIC, sizeof(KERNELDUMPMAGIC)));
	EXPECT_EQ(0U, kerneldump_parity(&h));
	EXPECT_EQ(KERNELDUMP_COMP_ZSTD, h.compression);
	EXPECT_GE(s.total - 512,
		  be64(k + offsetof(struct kerneldumpheader, dumplength)));
}

/*
 * `bsdlivedump - > file`: a shell opens stdout write-only; the dump goes
 * there from offset 0, ends at the trailer, and the tool still checks it.
 */
TEST_F_TIMEOUT(bld, raw_to_stdout_file, 240)
{
	char path[PATH_MAX], head[32];
	struct run r;
	int out;

	path_in(path, self->dir, "livecore.stdout");
	out = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ASSERT_LE(0, out);
	run_fds(self->bin, &self->r, out, -1, (const char *const[]){ "-", NULL });
	close(out);
	EXPECT_EQ(0, self->r.status) TH_LOG("stderr: %s", self->r.err);
	EXPECT_EQ(512, file_size(self->dir, "livecore.stdout") % 4096);
	EXPECT_EQ((ssize_t)strlen(RAW_MAGIC),
		  slurp(self->dir, "livecore.stdout", head, strlen(RAW_MAGIC) + 1));
	EXPECT_EQ(0, memcmp(head, RAW_MAGIC, strlen(RAW_MAGIC)));
	run_tool(self->minidump, &r, "check", path, NULL);
	EXPECT_EQ(0, r.status) TH_LOG("minidump check: %s", r.err);
}

/* Stdout on a terminal, or /dev/null: refused up front with a reason. */
TEST_F_TIMEOUT(bld, stdout_tty_or_devnull_refused, 10)
{
	int master, slave, null = open("/dev/null", O_WRONLY);

	ASSERT_EQ(0, bt_open_pty(&master, &slave));
	run_fds(self->bin, &self->r, slave, -1,
		(const char *const[]){ "-Z", "-", NULL });
	EXPECT_EQ(1, self->r.status);
	EXPECT_NE(NULL, strstr(self->r.err, "stdout is a terminal"))
		TH_LOG("%s", self->r.err);
	close(slave);
	close(master);
	ASSERT_LE(0, null);
	run_fds(self->bin, &self->r, null, -1,
		(const char *const[]){ "-Z", "-", NULL });
	EXPECT_EQ(1, self->r.status);
	EXPECT_NE(NULL, strstr(self->r.err, "bsdlivedump: stdout "))
		TH_LOG("%s", self->r.err);
	close(null);
}

/* Appends what fd has to buf (len so far); false at EOF or EIO. */
static bool pump(int fd, char *buf, size_t *len, size_t size)
{
	ssize_t n = read(fd, buf + *len, size - 1 - *len);

	if (n <= 0)
		return false;
	*len += n;
	buf[*len] = '\0';
	return *len < size - 1;
}

/* What the bar lines on a terminal showed. */
struct bar_seen {
	int lines;		/* "\r" lines drawn */
	int distinct;		/* distinct percentages among them */
	unsigned int pct;	/* of the last one */
	unsigned long long done, total;	/* its "done/total pages" */
	char read[32], written[32];	/* its "X MB -> Y MB" */
	char summary[512];	/* the line after the bar, without "\n" */
};

/*
 * Splits what the pty got into bar lines ("\rNNN% [...] d/t pages X MB ->
 * Y MB R MB/s ETA m:ss\033[K"), the last of them ended by "\n", then the
 * summary line.
 */
static void parse_bar(const char *tty, struct bar_seen *b)
{
	bool seen[101] = { false };
	const char *p = tty, *nl;
	double x, y;
	unsigned int pct;

	memset(b, 0, sizeof(*b));
	while ((p = strchr(p, '\r'))) {
		p++;
		if (sscanf(p, "%u%%", &pct) != 1 || pct > 100)
			continue;
		b->lines++;
		if (!seen[pct])
			b->distinct++;
		seen[pct] = true;
		b->pct = pct;
		p = strchr(p, ']');
		if (!p || sscanf(p + 1, " %llu/%llu pages %lf MB -> %lf MB",
				 &b->done, &b->total, &x, &y) != 4) {
			b->total = 0;
			return;
		}
		mb(b->read, sizeof(b->read), (unsigned long long)(x * 1e6 + 0.5));
		mb(b->written, sizeof(b->written),
		   (unsigned long long)(y * 1e6 + 0.5));
	}
	p = strrchr(tty, '\r');
	nl = p ? strchr(p, '\n') : NULL;
	if (nl)
		snprintf(b->summary, sizeof(b->summary), "%.*s",
			 (int)strcspn(nl + 1, "\n"), nl + 1);
}

/*
 * Runs the tool with stderr on a pty and stdout to @out_fd (-1: /dev/null),
 * collecting the pty's text in @tty and, if @pipe_fd >= 0, counting what
 * arrives there in *piped. Return: the exit status, or -1.
 */
static int run_on_pty(const char *bin, const char *const *args, int out_fd,
		      int pipe_fd, unsigned long long *piped, char *tty,
		      size_t size)
{
	static unsigned char sink[1 << 16];
	char *argv[8] = { (char *)"bsdlivedump" };
	int master, slave, st, n;
	struct pollfd f[2];
	size_t len = 0;
	ssize_t got;
	pid_t pid;

	for (n = 0; n < 6 && args[n]; n++)
		argv[n + 1] = (char *)args[n];
	tty[0] = '\0';
	if (bt_open_pty(&master, &slave))
		return -1;
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return -1;
	if (!pid) {
		int null = open("/dev/null", O_RDWR);

		dup2(null, 0);
		dup2(out_fd >= 0 ? out_fd : null, 1);
		dup2(slave, 2);
		execv(bin, argv);
		_exit(127);
	}
	if (out_fd >= 0)
		close(out_fd);
	close(slave);
	f[0] = (struct pollfd){ .fd = pipe_fd, .events = POLLIN };
	f[1] = (struct pollfd){ .fd = master, .events = POLLIN };
	/* no time limit here: the test's timeout is the bound */
	while ((f[0].fd >= 0 || f[1].fd >= 0) && poll(f, 2, -1) > 0) {
		if (f[0].fd >= 0 && f[0].revents) {
			got = read(f[0].fd, sink, sizeof(sink));
			if (got > 0) {
				*piped += got;
			} else {
				close(f[0].fd);
				f[0].fd = -1;
			}
		}
		if (f[1].revents && !pump(f[1].fd, tty, &len, size)) {
			close(f[1].fd);
			f[1].fd = -1;
		}
	}
	for (n = 0; n < 2; n++)
		if (f[n].fd >= 0)
			close(f[n].fd);
	if (waitpid(pid, &st, 0) != pid)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/*
 * stderr on a pty, a raw dump into the directory: the bar advances (more
 * than one percentage), its last line is 100% with every page done, then
 * the summary. Each of their numbers is held against a fact found apart
 * from the bar: its page total and the summary's memory against the data
 * pages counted in the file's bitmap (mdview.c, not the tool's reader), its
 * percentage against done/total, its bytes read against those pages times
 * 4096, its bytes written against the file's size plus the 512-byte
 * trailer the tool cut off, the summary's output against the file's size.
 */
TEST_F_TIMEOUT(bld, progress_bar_on_tty, 120)
{
	static char tty[1 << 20];
	unsigned long long pages, none = 0;
	char want[PATH_MAX];
	struct bar_seen b;
	long long size;

	ASSERT_EQ(0, run_on_pty(self->bin, (const char *const[]){ self->dir,
				NULL }, -1, -1, &none, tty, sizeof(tty)))
		TH_LOG("%s", tty);
	parse_bar(tty, &b);
	pages = raw_pages(self->dir, "livecore.0");
	size = file_size(self->dir, "livecore.0");
	ASSERT_LT(0ULL, pages) TH_LOG("livecore.0 does not open as a minidump");
	ASSERT_LT(0, size);
	EXPECT_LT(1, b.distinct) TH_LOG("the bar did not advance: %s", tty);
	EXPECT_EQ(pages, b.total) TH_LOG("bitmap: %llu pages; %s", pages, tty);
	ASSERT_LT(0ULL, b.total) TH_LOG("%s", tty);
	EXPECT_EQ(b.done * 100 / b.total, (unsigned long long)b.pct)
		TH_LOG("%s", tty);
	EXPECT_EQ(100U, b.pct) TH_LOG("%s", tty);
	mb(want, sizeof(want), pages * 4096);
	EXPECT_STREQ(want, b.read) TH_LOG("bitmap: %llu pages", pages);
	mb(want, sizeof(want), size + 512);
	EXPECT_STREQ(want, b.written) TH_LOG("file: %lld bytes", size);
	expect_summary(_metadata, b.summary, "livecore.0", pages, size,
		       "uncompressed");
	/* not one the host checks: keep the share small */
	path_in(want, self->dir, "livecore.0");
	unlink(want);
}

/*
 * stderr on a pty, an ALLRAM zstd dump streamed into a pipe: the bar
 * advances and ends at 100%; the summary's output size is every byte the
 * pipe carried (the module's bytes_out), its memory the bar's page total.
 */
TEST_F_TIMEOUT(bld, progress_bar_stream, 180)
{
	static char tty[1 << 20];
	unsigned long long piped = 0;
	struct bar_seen b;
	int p[2];

	ASSERT_EQ(0, pipe2(p, O_CLOEXEC));
	EXPECT_EQ(0, run_on_pty(self->bin, (const char *const[]){ "-Z",
				"--all", "-", NULL }, p[1], p[0], &piped, tty,
				sizeof(tty)))
		TH_LOG("%s", tty);
	parse_bar(tty, &b);
	EXPECT_LT(1, b.distinct) TH_LOG("the bar did not advance: %s", tty);
	EXPECT_EQ(100U, b.pct) TH_LOG("%s", tty);
	EXPECT_LT(0ULL, b.total) TH_LOG("%s", tty);
	EXPECT_EQ(b.total, b.done) TH_LOG("%s", tty);
	EXPECT_LT(0ULL, piped);
	expect_summary(_metadata, b.summary, "-", b.total, piped, "zstd");
}

/*
 * Runs the tool with its view of PROGRESS replaced by @fake (a bind mount
 * in a mount namespace of its own), stdout to @out_fd, stderr to @err_fd;
 * the child's pid (it exits 126 if the mount fails).
 */
static pid_t run_masked(const char *bin, const char *fake,
			const char *const *args, int out_fd, int err_fd)
{
	char *argv[8] = { (char *)"bsdlivedump" };
	pid_t pid;
	int n;

	for (n = 0; n < 6 && args[n]; n++)
		argv[n + 1] = (char *)args[n];
	fflush(NULL);
	pid = fork();
	if (!pid) {
		int null = open("/dev/null", O_RDWR);

		if (unshare(CLONE_NEWNS) ||
		    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) ||
		    mount(fake, PROGRESS, NULL, MS_BIND, NULL))
			_exit(126);
		dup2(null, 0);
		dup2(out_fd, 1);
		dup2(err_fd, 2);
		execv(bin, argv);
		_exit(127);
	}
	return pid;
}

/* IN_OPEN events waiting on the inotify descriptor @ino. */
static int count_opens(int ino)
{
	char buf[4096] __attribute__((aligned(8)));
	const struct inotify_event *ev;
	int opens = 0;
	ssize_t n;

	while ((n = read(ino, buf, sizeof(buf))) > 0)
		for (char *q = buf; q < buf + n; q += sizeof(*ev) + ev->len) {
			ev = (const struct inotify_event *)q;
			opens += !!(ev->mask & IN_OPEN);
		}
	return opens;
}

/*
 * The module's progress file replaced, for the tool alone, by one that
 * says another dump has just ended with 123456789 bytes out, and watched:
 * without a terminal a dump into a directory never opens it (no polling),
 * one into a pipe at most once; each summary gives the size bsdlivedump
 * itself saw (the file's, every byte the pipe carried), never bytes_out.
 */
TEST_F_TIMEOUT(bld, summary_not_from_module, 240)
{
	char fake[] = "/tmp/bsdlivedump-progress.XXXXXX", line[512], want[256];
	char y[32], text[1024];
	int fd = mkstemp(fake), ino, err = memfd_create("err", 0), p[2], st;
	unsigned long long pages;
	struct stream s;
	long long size;
	pid_t pid;
	ssize_t n;

	ASSERT_LE(0, fd);
	ASSERT_LE(0, err);
	ASSERT_EQ(15, write(fd, "0 0 123456789\n", 15));
	close(fd);
	ino = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	ASSERT_LE(0, ino);
	/* closes too: two opens in a row would merge into one event */
	ASSERT_LE(0, inotify_add_watch(ino, fake, IN_OPEN | IN_CLOSE_NOWRITE));

	/* A raw dump into the directory, stderr a file. */
	pid = run_masked(self->bin, fake, (const char *const[]){ self->dir,
			 NULL }, err, err);
	ASSERT_LT(0, pid);
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	n = pread(err, text, sizeof(text) - 1, 0);
	text[n > 0 ? n : 0] = '\0';
	ASSERT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0)
		TH_LOG("wait status 0x%x: %s", st, text);
	EXPECT_EQ(0, count_opens(ino)) TH_LOG("the progress file was read");
	pages = raw_pages(self->dir, "livecore.0");
	size = file_size(self->dir, "livecore.0");
	find_summary(text, "livecore.0", line, sizeof(line));
	expect_summary(_metadata, line, "livecore.0", pages, size,
		       "uncompressed");
	path_in(want, self->dir, "livecore.0");
	unlink(want);

	/* zstd into a pipe: read once at most; every byte counted. */
	close(err);
	err = memfd_create("err", 0);
	ASSERT_LE(0, err);
	ASSERT_EQ(0, pipe2(p, O_CLOEXEC));
	pid = run_masked(self->bin, fake, (const char *const[]){ "-Z", "-",
			 NULL }, p[1], err);
	ASSERT_LT(0, pid);
	close(p[1]);
	fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	EXPECT_EQ(0, drain(p[0], &s, fd));
	close(fd);
	close(p[0]);
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	n = pread(err, text, sizeof(text) - 1, 0);
	text[n > 0 ? n : 0] = '\0';
	close(err);
	EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0)
		TH_LOG("wait status 0x%x: %s", st, text);
	EXPECT_GE(1, count_opens(ino));
	/* the fake says no dump runs: no page total, the output alone */
	mb(y, sizeof(y), s.total);
	snprintf(want, sizeof(want), "-: %s (zstd) in ", y);
	EXPECT_EQ(0, strncmp(text, want, strlen(want)))
		TH_LOG("summary \"%s\", want \"%s...\" (%llu bytes piped)",
		       text, want, s.total);
	close(ino);
	unlink(fake);
}

/* Progress total, or 0 when no dump runs. */
static unsigned long long progress_total(void)
{
	unsigned long long done = 0, total = 0;
	char buf[64];

	if (bt_read_file(PROGRESS, buf, sizeof(buf)) > 0)
		sscanf(buf, "%llu %llu", &done, &total);
	return total;
}

/*
 * Wait for the kernel's dump to write into @dir's livecore.tmp.* (inotify's
 * IN_MODIFY, an event) while the progress file shows it running (the tool
 * could write the file itself; progress is set before the first write of
 * the dump). Return: 0; -1 if the temporary file went away first or
 * inotify failed.
 */
static int wait_dump_writing(int ino)
{
	static char buf[4096] __attribute__((aligned(8)));
	const struct inotify_event *e;
	ssize_t n, off;

	while ((n = read(ino, buf, sizeof(buf))) > 0)
		for (off = 0; off < n; off += sizeof(*e) + e->len) {
			e = (const void *)(buf + off);
			if (!e->len || strncmp(e->name, "livecore.tmp.", 13))
				continue;
			if (e->mask & (IN_DELETE | IN_MOVED_FROM))
				return -1;
			if (progress_total())
				return 0;
		}
	return -1;
}

/*
 * SIGINT during a gzip dump: "interrupted", exit 1, nothing left behind.
 * The dump goes to a directory in /tmp: inotify sees the kernel's writes
 * there, not on the 9p share (whose inodes are new at each lookup).
 */
TEST_F_TIMEOUT(bld, sigint_cleans_up, 90)
{
	int mem = memfd_create("err", 0), st, ino, writing;
	char err[4096], dir[] = "/tmp/bsdlivedump.sigint.XXXXXX";
	ssize_t n;
	pid_t pid;

	ASSERT_LE(0, mem);
	ASSERT_NE(NULL, mkdtemp(dir));
	ino = inotify_init1(IN_CLOEXEC);
	ASSERT_LE(0, ino);
	ASSERT_LE(0, inotify_add_watch(ino, dir,
				       IN_MODIFY | IN_DELETE | IN_MOVED_FROM));
	fflush(NULL);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		dup2(open("/dev/null", O_WRONLY), 1);
		dup2(mem, 2);
		execl(self->bin, "bsdlivedump", "-z", dir, (char *)NULL);
		_exit(127);
	}
	writing = wait_dump_writing(ino);
	close(ino);
	EXPECT_EQ(0, writing) TH_LOG("the dump ended before it could be stopped");
	kill(pid, SIGINT);
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	n = pread(mem, err, sizeof(err) - 1, 0);
	err[n > 0 ? n : 0] = '\0';
	close(mem);
	EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 1) TH_LOG("status 0x%x", st);
	EXPECT_NE(NULL, strstr(err, "bsdlivedump: interrupted")) TH_LOG("%s", err);
	EXPECT_EQ(0, count_prefix(dir, "livecore"));
	EXPECT_EQ(0, count_prefix(dir, "info"));
	remove_tree(dir, false);
	/* the ioctl resets progress before it returns; the tool has exited */
	EXPECT_EQ(0ULL, progress_total());
}

TEST_HARNESS_MAIN
