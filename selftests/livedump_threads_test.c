// SPDX-License-Identifier: GPL-2.0
/*
 * Compressed dumps made by worker threads (module parameter dump_threads,
 * SPEC §7.2 as bsdmem.4 states it): with one thread the body is one gzip
 * member or zstd frame; with more, each 2 MiB chunk of the body is one, in
 * order. For gzip and zstd with 1 thread, 2, more threads than CPUs, and
 * the default (one per CPU): the dump passes the project's reader, holds
 * the number of streams its body size calls for, the kernel's read-only
 * data (megabytes of it, across several chunks, in order) reads back as
 * /dev/bsdmem reads it, and a page of kernel memory this process filled
 * reads back the same from each. The files go
 * to $BSDMEM_SHARE, where the host's real gzip -t and zstd -t test them
 * (scripts/host-checks/dumps). A signal, a reader that leaves (EPIPE) and a
 * full file system (ENOSPC) stop a dump with workers, and so does a signal
 * while the dumping thread waits for slow workers (level 9):
 * the right error, no vmalloc'ed buffer left behind, and the next dump is
 * valid. The workers' buffers are not in the dump they serve. gzip runs at
 * level 1 (bt_gzip_fastest()) but where a test asks for slow workers: the
 * streams' layout is the threads', whatever the level; livedump_codec_test
 * checks the default level's output.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/random.h>
#include <sys/stat.h>

#include <sys/kerneldump.h>
#include <sys/memrange.h>

#include "bsdmem_harness.h"
#include "mdview.h"

#define PG		4096
#define CHUNK		(2ULL << 20)	/* the driver's chunk: one stream each */
/*
 * A failed dump gives back every slot: its 2 MiB of input and output are
 * vmalloc'ed, so are the codec workspaces (400 KiB for gzip, megabytes for
 * zstd). What else may appear meanwhile: a few kernel threads' 16 KiB
 * stacks for the workqueue.
 */
#define LEAK_SLACK_KB	256

static int set_threads(int n)
{
	return bt_set_param("dump_threads", n);
}

static int get_threads(void)
{
	return bt_param("dump_threads");
}

/* Fields of one `minidump info` run; those not found stay 0. */
static void info_fields(const char *path, const char *const *names,
			uint64_t *values, int n)
{
	char cmd[1400], line[256];
	FILE *p;
	int i;

	memset(values, 0, n * sizeof(*values));
	snprintf(cmd, sizeof(cmd), "%s info %s", mdv_reader(), path);
	p = popen(cmd, "r");
	while (p && fgets(line, sizeof(line), p))
		for (i = 0; i < n; i++) {
			size_t len = strlen(names[i]);

			if (!strncmp(line, names[i], len) && line[len] == ':')
				values[i] = strtoull(line + len + 1, NULL, 0);
		}
	if (p)
		pclose(p);
}

/* VmallocUsed of /proc/meminfo in KiB, -1 if not found. */
static long vmalloc_kb(void)
{
	char line[128];
	long kb = -1;
	FILE *f = fopen("/proc/meminfo", "r");

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "VmallocUsed: %ld kB", &kb) == 1)
			break;
	if (f)
		fclose(f);
	return kb;
}

/* The physical address of a page this process maps, 0 if none. */
static uint64_t mapped_paddr(int dev, const void *p)
{
	struct mem_extract me;

	if (bt_extract(dev, (uintptr_t)p, 0, -1, &me) ||
	    me.me_state != ME_STATE_MAPPED)
		return 0;
	return me.me_paddr;
}

/* The streams a body of @body bytes is written as by @threads workers. */
static uint64_t streams_for(uint64_t body, int threads)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);

	if (threads == 0)
		threads = cpus > 64 ? 64 : (int)cpus;
	if (threads <= 1)
		return 1;
	return (body + CHUNK - 1) / CHUNK;
}

FIXTURE(threads) {
	int dev;
	int saved;		/* dump_threads before the test */
	int gzip;		/* gzip_level before the test */
	int map;		/* a one-page BPF array */
	uint8_t *k;		/* its value: kernel memory, mapped here */
	uint64_t pa;
};

FIXTURE_VARIANT(threads) {
	int comp;
	const char *ext;
	int threads;		/* 0: the default, one per online CPU */
};

FIXTURE_VARIANT_ADD(threads, gzip_1) { KERNELDUMP_COMP_GZIP, "gz", 1 };
FIXTURE_VARIANT_ADD(threads, gzip_2) { KERNELDUMP_COMP_GZIP, "gz", 2 };
FIXTURE_VARIANT_ADD(threads, gzip_8) { KERNELDUMP_COMP_GZIP, "gz", 8 };
FIXTURE_VARIANT_ADD(threads, gzip_cpus) { KERNELDUMP_COMP_GZIP, "gz", 0 };
FIXTURE_VARIANT_ADD(threads, zstd_1) { KERNELDUMP_COMP_ZSTD, "zst", 1 };
FIXTURE_VARIANT_ADD(threads, zstd_2) { KERNELDUMP_COMP_ZSTD, "zst", 2 };
FIXTURE_VARIANT_ADD(threads, zstd_8) { KERNELDUMP_COMP_ZSTD, "zst", 8 };
FIXTURE_VARIANT_ADD(threads, zstd_cpus) { KERNELDUMP_COMP_ZSTD, "zst", 0 };

FIXTURE_SETUP(threads)
{
	if (geteuid())
		SETUP_SKIP("must run as root");
	self->dev = open(_PATH_BSDMEM, O_RDONLY);
	if (self->dev < 0)
		SETUP_SKIP("%s missing: is bsdmem loaded?", _PATH_BSDMEM);
	self->saved = get_threads();
	ASSERT_LE(0, self->saved);
	ASSERT_EQ(0, set_threads(variant->threads));
	self->gzip = bt_gzip_fastest();
	ASSERT_LT(0, self->gzip);
	self->map = bt_bpf_page();
	ASSERT_LE(0, self->map) TH_LOG("BPF_MAP_CREATE: %s", strerror(errno));
	self->k = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED,
		       self->map, 0);
	ASSERT_NE(MAP_FAILED, self->k);
	ASSERT_EQ(PG, getrandom(self->k, PG, 0));
	self->pa = mapped_paddr(self->dev, self->k);
	ASSERT_NE(0ULL, self->pa);
	signal(SIGPIPE, SIG_IGN);
}

FIXTURE_TEARDOWN(threads)
{
	if (self->saved >= 0)
		set_threads(self->saved);
	if (self->gzip > 0)
		bt_set_param("gzip_level", self->gzip);
	if (self->k && self->k != MAP_FAILED)
		munmap(self->k, PG);
	if (self->map >= 0)
		close(self->map);
	close(self->dev);
}

/* The kernel's .rodata (up to ro_after_init): static, physically contiguous. */
static void rodata_range(struct __test_metadata *_metadata, uint64_t *va,
			 uint64_t *len)
{
	uint64_t end = 0;

	*va = 0;
	ASSERT_EQ(0, bt_kallsyms("__start_rodata", NULL, va));
	ASSERT_EQ(0, bt_kallsyms("__start_ro_after_init", NULL, &end));
	ASSERT_LT(*va, end);
	*len = end - *va;
}

enum { F_COMP, F_BODY, F_FRAMES, F_MEMBERS, F_DMAP, F_PHYS, F_N };

/*
 * A kernel-only dump to a file: the reader checks it whole (every frame's
 * checksum, every member's CRC-32 and size), it has as many streams as
 * its body has chunks (one with one thread), the kernel's .rodata reads
 * back from it (through the pmap, megabytes across several chunks) as
 * /dev/bsdmem reads it now, and the BPF page reads back at its direct-map
 * address as this process wrote it.
 */
TEST_F_TIMEOUT(threads, to_file, 300)
{
	static const char *const names[F_N] = {
		"kdh.compression", "body.size", "zstd.frames", "gzip.members",
		"dmapbase", "linux.phys_base",
	};
	uint64_t f[F_N], streams, ro, rolen;
	char path[300], cmd[700];
	uint8_t got[PG], *live, *dumped;
	int fd;

	rodata_range(_metadata, &ro, &rolen);
	snprintf(path, sizeof(path), "%s/livecore.t%s.%s", mdv_outdir(),
		 variant->threads ? (variant->threads == 1 ? "1" :
		 variant->threads == 2 ? "2" : "8") : "cpus", variant->ext);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, mdv_dump(self->dev, fd, 0, variant->comp));
	close(fd);
	snprintf(cmd, sizeof(cmd), "%s check %s", mdv_reader(), path);
	ASSERT_EQ(0, system(cmd));
	info_fields(path, names, f, F_N);
	EXPECT_EQ((uint64_t)variant->comp, f[F_COMP]);
	ASSERT_LT(CHUNK, f[F_BODY]);
	streams = variant->comp == KERNELDUMP_COMP_ZSTD ? f[F_FRAMES] :
							   f[F_MEMBERS];
	EXPECT_EQ(streams_for(f[F_BODY], variant->threads), streams)
		TH_LOG("%" PRIu64 " body bytes, dump_threads=%d", f[F_BODY],
		       variant->threads);
	TH_LOG("%s: %" PRIu64 " body bytes in %" PRIu64 " streams", path,
	       f[F_BODY], streams);

	live = malloc(rolen);
	dumped = malloc(rolen);
	ASSERT_TRUE(live && dumped);
	EXPECT_EQ((ssize_t)rolen, pread(self->dev, live, rolen,
					ro - MDV_KERNBASE + f[F_PHYS]));
	EXPECT_EQ(rolen, mdv_reader_read(path, ro, dumped, rolen));
	EXPECT_EQ(0, memcmp(live, dumped, rolen))
		TH_LOG(".rodata (%" PRIu64 " bytes at %#" PRIx64
		       ") differs in the dump", rolen, ro);
	free(live);
	free(dumped);

	ASSERT_EQ((size_t)PG, mdv_reader_read(path, f[F_DMAP] + self->pa,
					      got, PG));
	EXPECT_EQ(0, memcmp(got, self->k, PG))
		TH_LOG("the BPF page at %#" PRIx64 " differs in the dump",
		       self->pa);
	if (!getenv("BSDMEM_SHARE"))
		unlink(path);
}

/* Nothing left behind: VmallocUsed back to what it was before the dump. */
static void check_freed(struct __test_metadata *_metadata, long before_kb,
			const char *what)
{
	long after_kb = vmalloc_kb();

	EXPECT_LT(after_kb - before_kb, LEAK_SLACK_KB)
		TH_LOG("%s: VmallocUsed %ld kB before, %ld kB after", what,
		       before_kb, after_kb);
}

static void on_usr1(int sig)
{
}

struct piped {
	int dev, fd, comp, err;
};

static void *piped_dump(void *arg)
{
	struct piped *p = arg;

	p->err = mdv_dump(p->dev, p->fd, 0, p->comp);
	close(p->fd);	/* the reader sees the end of the pipe */
	return NULL;
}

/*
 * A dump into a pipe that this thread reads: after @first bytes, either
 * SIGUSR1 goes to the dumping thread (@leave false) and the pipe is read to
 * its end, or the read end is closed (@leave true). Return: the dump's errno.
 */
static int interrupted_dump(struct __test_metadata *_metadata, int dev,
			    int comp, size_t first, bool leave)
{
	struct piped p = { .dev = dev, .comp = comp };
	static char buf[1 << 16];
	size_t got = 0;
	pthread_t t;
	int fds[2];
	ssize_t n;

	if (pipe2(fds, O_CLOEXEC))
		return -1;
	p.fd = fds[1];
	if (pthread_create(&t, NULL, piped_dump, &p))
		return -1;
	while (got < first && (n = read(fds[0], buf, sizeof(buf))) > 0)
		got += n;
	if (leave) {
		close(fds[0]);
	} else {
		pthread_kill(t, SIGUSR1);
		while (read(fds[0], buf, sizeof(buf)) > 0)
			;
		close(fds[0]);
	}
	pthread_join(t, NULL);
	EXPECT_LE(first, got) TH_LOG("the dump ended after %zu bytes", got);
	return p.err;
}

/*
 * A dump into a regular file at a slow level (gzip's highest; zstd's 9,
 * whose 15 MiB workspace still lets a 512 MiB guest have workers), so
 * that the dumping thread spends its time waiting for workers; SIGUSR1
 * once the progress file shows pages copied. Return: the dump's errno.
 */
static int slow_dump_signalled(struct __test_metadata *_metadata, int dev,
			       int comp)
{
	const char *level = comp == KERNELDUMP_COMP_ZSTD ? "zstd_level" :
							   "gzip_level";
	int saved = bt_param(level), i, fd;
	struct piped p = { .dev = dev, .comp = comp };
	char path[] = "/tmp/threads-slow.XXXXXX";
	uint64_t done = 0, total = 0;
	pthread_t t;

	fd = mkstemp(path);
	if (fd < 0 || saved <= 0)
		return -1;
	unlink(path);
	EXPECT_EQ(0, bt_set_param(level, 9));
	p.fd = fd;
	if (pthread_create(&t, NULL, piped_dump, &p)) {
		close(fd);
		return -1;
	}
	for (i = 0; i < 6000 && !done; i++) {
		usleep(10000);
		mdv_progress(&done, &total);
	}
	EXPECT_NE(0ULL, done) TH_LOG("the dump never showed progress");
	pthread_kill(t, SIGUSR1);
	pthread_join(t, NULL);	/* closes fd */
	EXPECT_EQ(0, bt_set_param(level, saved));
	return p.err;
}

FIXTURE(faults) {
	int dev;
	int saved;
	int gzip;		/* gzip_level before the test */
};

FIXTURE_VARIANT(faults) {
	int comp;
	int threads;
};

FIXTURE_VARIANT_ADD(faults, gzip_2) { KERNELDUMP_COMP_GZIP, 2 };
FIXTURE_VARIANT_ADD(faults, gzip_8) { KERNELDUMP_COMP_GZIP, 8 };
FIXTURE_VARIANT_ADD(faults, zstd_2) { KERNELDUMP_COMP_ZSTD, 2 };
FIXTURE_VARIANT_ADD(faults, zstd_8) { KERNELDUMP_COMP_ZSTD, 8 };

FIXTURE_SETUP(faults)
{
	struct sigaction sa = { .sa_handler = on_usr1 };

	if (geteuid())
		SETUP_SKIP("must run as root");
	self->dev = open(_PATH_BSDMEM, O_RDONLY);
	if (self->dev < 0)
		SETUP_SKIP("%s missing: is bsdmem loaded?", _PATH_BSDMEM);
	self->saved = get_threads();
	ASSERT_LE(0, self->saved);
	ASSERT_EQ(0, set_threads(variant->threads));
	self->gzip = bt_gzip_fastest();
	ASSERT_LT(0, self->gzip);
	/* no SA_RESTART: the interrupted ioctl returns EINTR */
	ASSERT_EQ(0, sigaction(SIGUSR1, &sa, NULL));
	signal(SIGPIPE, SIG_IGN);
}

FIXTURE_TEARDOWN(faults)
{
	if (self->saved >= 0)
		set_threads(self->saved);
	if (self->gzip > 0)
		bt_set_param("gzip_level", self->gzip);
	close(self->dev);
}

/*
 * A signal, a reader that leaves, a full file system and a signal while
 * the dumping thread waits for slow workers, each in the middle of a dump
 * with workers, and then a whole dump checked by the reader as it arrives.
 */
TEST_F_TIMEOUT(faults, stop_cleanly, 420)
{
	char dir[] = "/tmp/threads.XXXXXX", path[64];
	struct mdv_checker c;
	struct mdv_drain d;
	bool checked;
	long before;
	int fd;

	/* a whole dump first: the workqueue's kernel threads exist from then */
	ASSERT_EQ(0, mdv_dump_stream(self->dev, &d, 0, 0, variant->comp, 0));
	free(d.head);
	before = vmalloc_kb();
	ASSERT_LT(0, before);

	EXPECT_EQ(EINTR, interrupted_dump(_metadata, self->dev, variant->comp,
					  256 << 10, false));
	check_freed(_metadata, before, "signal");

	EXPECT_EQ(EPIPE, interrupted_dump(_metadata, self->dev, variant->comp,
					  256 << 10, true));
	check_freed(_metadata, before, "EPIPE");

	ASSERT_NE(NULL, mkdtemp(dir));
	ASSERT_EQ(0, mount("none", dir, "tmpfs", 0, "size=1m"));
	snprintf(path, sizeof(path), "%s/core", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	EXPECT_LE(0, fd);
	if (fd >= 0) {
		EXPECT_EQ(ENOSPC, mdv_dump(self->dev, fd, 0, variant->comp));
		close(fd);
	}
	umount(dir);
	rmdir(dir);
	check_freed(_metadata, before, "ENOSPC");

	EXPECT_EQ(EINTR, slow_dump_signalled(_metadata, self->dev,
					     variant->comp));
	check_freed(_metadata, before, "signal while waiting for workers");

	EXPECT_EQ(0, mdv_dump_checked(self->dev, &d, 0, 0, variant->comp, 0,
				      &c, &checked));
	EXPECT_TRUE(checked) TH_LOG("minidump check -: %s", c.text);
	free(d.head);
	check_freed(_metadata, before, "after a whole dump");
}

/* The body size of a kernel-only zstd dump through a pipe, 0 on failure. */
static uint64_t body_size(struct __test_metadata *_metadata, int dev)
{
	uint64_t extent = 0;
	struct mdv_drain d;

	EXPECT_EQ(0, mdv_dump_stream(dev, &d, 0, 0, KERNELDUMP_COMP_ZSTD, 0));
	EXPECT_STREQ(MDV_OK, mdv_check_trailer(d.tail, d.total,
					       KERNELDUMP_COMP_ZSTD, &extent));
	free(d.head);
	return extent;
}

/*
 * A dump's own buffers are allocated after its snapshot, so they are not
 * in it: asked for 16 workers, a 512 MiB guest gets as many as a quarter
 * of its available memory holds (7 or more slots of 5 MiB and more each),
 * which the body would otherwise grow by. Kernel memory moves a little
 * between two dumps: the bound is 16 MiB.
 */
#define OWN_BUFFERS_SLACK	(16ULL << 20)
FIXTURE(own) {
	int dev;
	int saved;
};

FIXTURE_SETUP(own)
{
	if (geteuid())
		SETUP_SKIP("must run as root");
	self->dev = open(_PATH_BSDMEM, O_RDONLY);
	if (self->dev < 0)
		SETUP_SKIP("%s missing: is bsdmem loaded?", _PATH_BSDMEM);
	self->saved = get_threads();
	ASSERT_LE(0, self->saved);
	signal(SIGPIPE, SIG_IGN);
}

FIXTURE_TEARDOWN(own)
{
	if (self->saved >= 0)
		set_threads(self->saved);
	close(self->dev);
}

TEST_F_TIMEOUT(own, buffers_not_dumped, 240)
{
	uint64_t one, many, again;

	ASSERT_EQ(0, set_threads(1));
	one = body_size(_metadata, self->dev);
	ASSERT_EQ(0, set_threads(16));
	many = body_size(_metadata, self->dev);
	ASSERT_EQ(0, set_threads(1));
	again = body_size(_metadata, self->dev);
	TH_LOG("body with 1 thread %" PRIu64 ", with 16 %" PRIu64
	       ", with 1 again %" PRIu64, one, many, again);
	ASSERT_NE(0ULL, one);
	ASSERT_NE(0ULL, again);
	EXPECT_LT(many, (one > again ? one : again) + OWN_BUFFERS_SLACK);
}

/*
 * With one-page chunks every body ends on a chunk boundary: the last chunk
 * is full and already queued when the dump finishes (the case that cut the
 * last stream short: submitted twice). Every stream is whole, one per
 * page of the body.
 */
FIXTURE(boundary) {
	int dev;
	int threads, chunk;
	int gzip;		/* gzip_level before the test */
};

FIXTURE_VARIANT(boundary) {
	int comp;
	const char *unit;
};

FIXTURE_VARIANT_ADD(boundary, gzip) { KERNELDUMP_COMP_GZIP, "members" };
FIXTURE_VARIANT_ADD(boundary, zstd) { KERNELDUMP_COMP_ZSTD, "frames" };

FIXTURE_SETUP(boundary)
{
	if (geteuid())
		SETUP_SKIP("must run as root");
	self->dev = open(_PATH_BSDMEM, O_RDONLY);
	if (self->dev < 0)
		SETUP_SKIP("%s missing: is bsdmem loaded?", _PATH_BSDMEM);
	self->threads = get_threads();
	self->chunk = bt_param("dump_chunk_kb");
	ASSERT_LE(0, self->threads);
	ASSERT_LT(0, self->chunk);
	ASSERT_EQ(0, set_threads(2));
	ASSERT_EQ(0, bt_set_param("dump_chunk_kb", 4));
	self->gzip = bt_gzip_fastest();
	ASSERT_LT(0, self->gzip);
	signal(SIGPIPE, SIG_IGN);
}

FIXTURE_TEARDOWN(boundary)
{
	if (self->threads >= 0)
		set_threads(self->threads);
	if (self->chunk > 0)
		bt_set_param("dump_chunk_kb", self->chunk);
	if (self->gzip > 0)
		bt_set_param("gzip_level", self->gzip);
	close(self->dev);
}

TEST_F_TIMEOUT(boundary, last_chunk_full, 300)
{
	unsigned long long n = 0;
	uint64_t extent = 0;
	struct mdv_checker c;
	struct mdv_drain d;
	char fmt[64];
	const char *at;
	bool checked;

	ASSERT_EQ(0, mdv_dump_checked(self->dev, &d, 0, 0, variant->comp, 0,
				      &c, &checked));
	EXPECT_STREQ(MDV_OK, mdv_check_trailer(d.tail, d.total, variant->comp,
					       &extent));
	free(d.head);
	EXPECT_TRUE(checked) TH_LOG("minidump check -: %s", c.text);
	snprintf(fmt, sizeof(fmt), " in %%llu %s", variant->unit);
	at = strstr(c.text, " in ");
	while (at && sscanf(at, fmt, &n) != 1)
		at = strstr(at + 1, " in ");
	TH_LOG("%s", c.text);
	EXPECT_EQ(extent / PG, (uint64_t)n);
}

/* dump_chunk_kb is 4 to 16384, in whole pages: anything else is EINVAL. */
TEST(dump_chunk_kb_range)
{
	int saved = bt_param("dump_chunk_kb");

	if (geteuid())
		SKIP(return, "must run as root");
	ASSERT_EQ(2048, saved);
	EXPECT_EQ(EINVAL, bt_set_param("dump_chunk_kb", 0));
	EXPECT_EQ(EINVAL, bt_set_param("dump_chunk_kb", 2));
	EXPECT_EQ(EINVAL, bt_set_param("dump_chunk_kb", 6));
	EXPECT_EQ(EINVAL, bt_set_param("dump_chunk_kb", 16388));
	EXPECT_EQ(saved, bt_param("dump_chunk_kb"));
	EXPECT_EQ(0, bt_set_param("dump_chunk_kb", 4));
	EXPECT_EQ(0, bt_set_param("dump_chunk_kb", 16384));
	EXPECT_EQ(16384, bt_param("dump_chunk_kb"));
	EXPECT_EQ(0, bt_set_param("dump_chunk_kb", saved));
}

/* dump_threads is 0 to 64: anything else is EINVAL and changes nothing. */
TEST(dump_threads_range)
{
	int saved = get_threads();

	if (geteuid())
		SKIP(return, "must run as root");
	ASSERT_LE(0, saved);
	EXPECT_EQ(EINVAL, set_threads(65));
	EXPECT_EQ(EINVAL, set_threads(-1));
	EXPECT_EQ(saved, get_threads());
	EXPECT_EQ(0, set_threads(64));
	EXPECT_EQ(64, get_threads());
	EXPECT_EQ(0, set_threads(0));
	EXPECT_EQ(0, get_threads());
	EXPECT_EQ(0, set_threads(saved));
}

TEST_HARNESS_MAIN
