// SPDX-License-Identifier: GPL-2.0
/*
 * MEM_KERNELDUMP under injected faults (SPEC §7.1: write errors come back
 * as they are, any pending signal stops a dump with EINTR, and either way
 * the busy lock is released and the next dump works): a file system that
 * fills at several points of the output, a file size limit, a pipe or
 * socket reader that goes away, SIGINT and SIGKILL at seeded points, slow
 * readers behind tiny buffers, and, where the kernel has fault injection,
 * each allocation of a dump failed in turn. After every fault the next
 * dump passes `minidump check -` whole. livedump_test has the single cases
 * (enospc_then_ok, busy_progress_epipe, sigint_eintr, sigkill_then_ok).
 * gzip dumps here are at gzip_level 1 (bt_gzip_fastest()): the faults are
 * the sink's, whatever the level; livedump_codec_test checks the default.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <machine/minidump.h>
#include <sys/kerneldump.h>
#include <sys/memrange.h>

#include "bsdmem_harness.h"
#include "mdview.h"

#define FAIL_NTH	"/proc/thread-self/fail-nth"
#define FI_DIR		"/sys/kernel/debug"

/* A fault-injection setting of debugfs, as it was before a test. */
struct fi_saved {
	const char *file;
	char value[40];
};

#define FI_KNOBS	24

FIXTURE(fault) {
	int dev;
	struct timespec t0;	/* when the test began */
	char mnt[64];		/* a tmpfs mounted by the test, or "" */
	struct fi_saved saved[FI_KNOBS];
	int nsaved;
	int gzip;		/* gzip_level before the test */
};

FIXTURE_VARIANT(fault) {
	int comp;
};

FIXTURE_VARIANT_ADD(fault, none) { .comp = KERNELDUMP_COMP_NONE };
FIXTURE_VARIANT_ADD(fault, gzip) { .comp = KERNELDUMP_COMP_GZIP };
FIXTURE_VARIANT_ADD(fault, zstd) { .comp = KERNELDUMP_COMP_ZSTD };

static void fi_restore(FIXTURE_DATA(fault) *self);

/* How long the test took (for its timeout; nothing asserts on it). */
static void log_time(struct __test_metadata *_metadata,
		     const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	TH_LOG("took %ld s", (long)(t1.tv_sec - t0->tv_sec));
}

/*
 * What both fixtures' setups do: open /dev/bsdmem into *@dev, ignore
 * SIGPIPE (a dump's write error is the test, not a death), start the
 * clock. Return: NULL, or why the test cannot run here.
 */
static const char *dump_setup(int *dev, struct timespec *t0)
{
	if (geteuid())
		return "must run as root";
	*dev = open(_PATH_BSDMEM, O_RDONLY);
	if (*dev < 0)
		return _PATH_BSDMEM " missing: is bsdmem loaded?";
	signal(SIGPIPE, SIG_IGN);
	clock_gettime(CLOCK_MONOTONIC, t0);
	return NULL;
}

FIXTURE_SETUP(fault)
{
	const char *why = dump_setup(&self->dev, &self->t0);

	if (why)
		SETUP_SKIP("%s", why);
	self->gzip = bt_gzip_fastest();
	ASSERT_LT(0, self->gzip);
}

FIXTURE_TEARDOWN(fault)
{
	log_time(_metadata, &self->t0);
	if (self->gzip > 0)
		bt_set_param("gzip_level", self->gzip);
	fi_restore(self);
	if (self->mnt[0]) {
		umount(self->mnt);
		rmdir(self->mnt);
	}
	close(self->dev);
}

/*
 * The dump after a fault: none is left running (the progress file reads
 * "0 0"), and a new one through a pipe passes `minidump check -` whole.
 * @h, if not NULL, gets a raw dump's minidump header.
 * Return: its size in bytes, 0 if it failed.
 */
static uint64_t next_dump_valid(struct __test_metadata *_metadata, int dev,
				int comp, struct minidumphdr *h)
{
	uint64_t done = ~0ULL, total = ~0ULL, extent, size = 0;
	struct mdv_checker c;
	struct mdv_drain d;
	bool checked;
	int err;

	mdv_progress(&done, &total);
	EXPECT_EQ(0ULL, done);
	EXPECT_EQ(0ULL, total) {
		TH_LOG("a dump is still running, or its progress stayed set");
	}
	err = mdv_dump_checked(dev, &d, 0, 0, comp, 0, &c, &checked);
	EXPECT_EQ(0, err) {
		TH_LOG("the next dump: %s", strerror(err));
	}
	EXPECT_TRUE(checked) {
		TH_LOG("minidump check -: %s (wait status 0x%x)", c.text,
		       c.status);
	}
	EXPECT_STREQ(MDV_OK, mdv_check_trailer(d.tail, d.total, comp, &extent));
	if (!err && checked) {
		size = d.total;
		if (h && comp == KERNELDUMP_COMP_NONE)
			memcpy(h, d.head, sizeof(*h));
	}
	free(d.head);
	return size;
}

/* The first bytes of a @comp output: what a cut file must start with. */
static bool starts_right(const uint8_t *p, int comp)
{
	static const uint8_t gz[2] = { 0x1f, 0x8b };
	static const uint8_t zs[4] = { 0x28, 0xb5, 0x2f, 0xfd };

	switch (comp) {
	case KERNELDUMP_COMP_GZIP:
		return !memcmp(p, gz, sizeof(gz));
	case KERNELDUMP_COMP_ZSTD:
		return !memcmp(p, zs, sizeof(zs));
	default:
		return !strcmp((const char *)p, MINIDUMP_MAGIC);
	}
}

/* Offsets of a raw body's sections, from its header page. */
static uint64_t sec_bitmap(const struct minidumphdr *h)
{
	return MDV_PG + mdv_pg_round(h->msgbufsize) + h->dumpavailsize;
}

static uint64_t sec_pmap(const struct minidumphdr *h)
{
	return sec_bitmap(h) + h->bitmapsize;
}

static uint64_t sec_data(const struct minidumphdr *h)
{
	return sec_pmap(h) + h->pmapsize;
}

/*
 * Where a file system fills up: the offset of the first byte that does
 * not fit. The sections before the data pages keep their sizes from dump
 * to dump, so early cuts are placed from the last dump's header (and
 * checked against the cut file's own). The size of a dump varies by tens
 * of percent from one to the next (live memory), so late cuts are placed
 * while the dump runs (raw only: its size is known then): from the
 * progress file's page count and the dump's own header page, the tmpfs is
 * shrunk to the cut long before the dump gets there.
 */
enum cut_kind {
	CUT_NOTHING, CUT_MSGBUF, CUT_BITMAP, CUT_PMAP, CUT_SECOND_WRITE,
	CUT_QUARTER, CUT_HALF, CUT_TRAILER,
};

struct cut {
	enum cut_kind kind;
	const char *where;
	bool late;
};

static const struct cut raw_cuts[] = {
	{ CUT_NOTHING, "nothing fits", false },
	{ CUT_MSGBUF, "msgbuf", false },
	{ CUT_BITMAP, "bitmap", false },
	{ CUT_PMAP, "pmap", false },
	{ CUT_HALF, "data pages", true },
	{ CUT_TRAILER, "trailer (the whole body fits)", true },
};

/* Compressed: the first 1 MiB write, the second, a quarter in. */
static const struct cut packed_cuts[] = {
	{ CUT_NOTHING, "nothing fits", false },
	{ CUT_MSGBUF, "first write", false },
	{ CUT_SECOND_WRITE, "second write", false },
	{ CUT_QUARTER, "a quarter in", false },
};

/*
 * The offset of a cut, for a body with header @h and @ndata data pages
 * (raw), or an output like the last one, of @size bytes.
 */
static uint64_t cut_at(enum cut_kind kind, const struct minidumphdr *h,
		       uint64_t size, uint64_t ndata)
{
	switch (kind) {
	case CUT_MSGBUF:
		return MDV_PG;
	case CUT_BITMAP:
		return sec_bitmap(h) + h->bitmapsize / MDV_PG / 2 * MDV_PG;
	case CUT_PMAP:
		return sec_pmap(h) + MDV_PG;
	case CUT_SECOND_WRITE:
		return (1 << 20) + MDV_PG;
	case CUT_QUARTER:
		return size / 4 / MDV_PG * MDV_PG;
	case CUT_HALF:
		return sec_data(h) + ndata / 2 * MDV_PG;
	case CUT_TRAILER:
		return sec_data(h) + ndata * MDV_PG;
	default:
		return 0;
	}
}

/* The section of a raw body that holds offset @at, by its header @h. */
static const char *section_of(const struct minidumphdr *h, uint64_t at)
{
	if (at < MDV_PG)
		return "header";
	if (at < MDV_PG + mdv_pg_round(h->msgbufsize))
		return "msgbuf";
	if (at < sec_bitmap(h))
		return "dump_avail";
	if (at < sec_pmap(h))
		return "bitmap";
	if (at < sec_data(h))
		return "pmap";
	return "data pages";
}

/* A tmpfs at @mnt with room for @room bytes beside a one-page filler. */
static int fs_size(const char *mnt, uint64_t room, unsigned long flags)
{
	char opts[64];

	snprintf(opts, sizeof(opts), "size=%" PRIu64, (uint64_t)(room + MDV_PG));
	return mount("none", mnt, "tmpfs", flags, opts);
}

/*
 * A tmpfs at self->mnt with room for @room bytes of a file: one page
 * more, taken by a filler file (tmpfs reads size=0 as no limit).
 * Return: 0/-1.
 */
static int small_fs(FIXTURE_DATA(fault) *self, uint64_t room)
{
	static const char page[4096];
	char path[96];
	int fd, ok;

	snprintf(self->mnt, sizeof(self->mnt), "/tmp/fault.XXXXXX");
	if (!mkdtemp(self->mnt)) {
		self->mnt[0] = '\0';
		return -1;
	}
	if (fs_size(self->mnt, room, 0)) {
		rmdir(self->mnt);
		self->mnt[0] = '\0';
		return -1;
	}
	snprintf(path, sizeof(path), "%s/filler", self->mnt);
	fd = open(path, O_WRONLY | O_CREAT, 0600);
	ok = fd >= 0 && write(fd, page, sizeof(page)) == sizeof(page);
	if (fd >= 0)
		close(fd);
	return ok ? 0 : -1;
}

static void drop_fs(FIXTURE_DATA(fault) *self)
{
	umount(self->mnt);
	rmdir(self->mnt);
	self->mnt[0] = '\0';
}

/* A dump in a thread of its own, while the test places a cut. */
struct bg_dump {
	int dev, fd, comp, err;
	bool done;
};

static void *bg_dump_run(void *arg)
{
	struct bg_dump *b = arg;

	b->err = mdv_dump(b->dev, b->fd, 0, b->comp);
	__atomic_store_n(&b->done, true, __ATOMIC_SEQ_CST);
	return NULL;
}

static bool bg_done(struct bg_dump *b)
{
	return __atomic_load_n(&b->done, __ATOMIC_SEQ_CST);
}

/*
 * Place a late cut while the raw dump @b runs: once the progress file
 * shows its page count, from the last dump's header @h; again once its
 * own header page is in the file (then in @h). The files have no event
 * to wait for: poll them. Return: the cut, or 0 if that failed.
 */
static uint64_t place_late_cut(struct __test_metadata *_metadata,
			       const char *mnt, struct bg_dump *b,
			       enum cut_kind kind, struct minidumphdr *h)
{
	const struct timespec tick = { .tv_nsec = 2 * 1000 * 1000 };
	uint64_t done, total = 0, at, again;
	struct stat st;

	while (!bg_done(b) && (!total || total == ~0ULL)) {
		nanosleep(&tick, NULL);
		mdv_progress(&done, &total);
	}
	if (!total || total == ~0ULL)
		return 0;
	at = cut_at(kind, h, 0, total);
	if (fs_size(mnt, at, MS_REMOUNT)) {
		TH_LOG("shrinking the tmpfs to %" PRIu64 ": %s", at,
		       strerror(errno));
		return 0;
	}
	while (!bg_done(b) && !fstat(b->fd, &st) && st.st_size < (off_t)MDV_PG)
		nanosleep(&tick, NULL);
	if (pread(b->fd, h, sizeof(*h), 0) != sizeof(*h))
		return 0;
	again = cut_at(kind, h, 0, total);
	if (again != at && fs_size(mnt, again, MS_REMOUNT)) {
		TH_LOG("shrinking the tmpfs to %" PRIu64 ": %s", again,
		       strerror(errno));
		return 0;
	}
	return again;
}

/*
 * What a cut file holds: the output of this codec up to the cut exactly
 * (every byte before it was written), at the intended place (raw: by the
 * file's own header); cut at its trailer, a raw file holds a whole body.
 */
static void check_cut_file(struct __test_metadata *_metadata, int fd,
			   int comp, const struct cut *cut, uint64_t at)
{
	struct minidumphdr fh;
	uint8_t first[32];
	struct stat st;
	struct mdv m;
	void *p;

	ASSERT_EQ(0, fstat(fd, &st));
	EXPECT_EQ((off_t)at, st.st_size);
	if (!at || st.st_size < (off_t)sizeof(fh))
		return;
	ASSERT_EQ((ssize_t)sizeof(first), pread(fd, first, sizeof(first), 0));
	EXPECT_TRUE(starts_right(first, comp));
	if (comp != KERNELDUMP_COMP_NONE)
		return;
	ASSERT_EQ((ssize_t)sizeof(fh), pread(fd, &fh, sizeof(fh), 0));
	if (cut->kind != CUT_TRAILER) {
		EXPECT_STREQ(cut->where, section_of(&fh, at));
		return;
	}
	p = mmap(NULL, at, PROT_READ, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, p);
	EXPECT_STREQ(MDV_OK, mdv_check_body(&m, p, at, at));
	munmap(p, at);
}

/*
 * A file system that fills up at each cut point gives ENOSPC, with every
 * byte before the cut written; then the next dump is valid.
 */
TEST_F_TIMEOUT(fault, enospc_cut_points, 400)
{
	bool raw = variant->comp == KERNELDUMP_COMP_NONE;
	const struct cut *cuts = raw ? raw_cuts : packed_cuts;
	int i, n = raw ? sizeof(raw_cuts) / sizeof(raw_cuts[0]) :
		sizeof(packed_cuts) / sizeof(packed_cuts[0]);
	struct bg_dump b = { .dev = self->dev, .comp = variant->comp };
	struct minidumphdr h = { .msgbufsize = 0 };
	uint64_t size, at;
	char path[96];
	pthread_t t;

	size = next_dump_valid(_metadata, self->dev, variant->comp, &h);
	for (i = 0; i < n && size; i++) {
		at = cut_at(cuts[i].kind, &h, size, 0);
		/* late: room for all of it until the cut is placed */
		ASSERT_EQ(0, small_fs(self, cuts[i].late ? 2 * size : at));
		snprintf(path, sizeof(path), "%s/core", self->mnt);
		b.fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
		ASSERT_LE(0, b.fd);
		b.done = false;
		ASSERT_EQ(0, pthread_create(&t, NULL, bg_dump_run, &b));
		if (cuts[i].late)
			at = place_late_cut(_metadata, self->mnt, &b,
					    cuts[i].kind, &h);
		pthread_join(t, NULL);
		TH_LOG("cut in %s at %" PRIu64 " (last dump %" PRIu64
		       " bytes): %s", cuts[i].where, at, size,
		       strerror(b.err));
		if (cuts[i].late) {
			EXPECT_LT(0ULL, at) {
				TH_LOG("the cut could not be placed in time");
			}
		}
		EXPECT_EQ(ENOSPC, b.err);
		check_cut_file(_metadata, b.fd, variant->comp, &cuts[i], at);
		close(b.fd);
		drop_fs(self);
		size = next_dump_valid(_metadata, self->dev, variant->comp, &h);
	}
}

/* A reader of @fd that takes @n bytes and exits: 0 if it got them all. */
static pid_t reader_exits_after(int fd, uint64_t n)
{
	static uint8_t buf[1 << 16];
	uint64_t got = 0;
	ssize_t r = 1;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid)
		return pid;
	while (got < n && r > 0) {
		r = read(fd, buf, n - got < sizeof(buf) ? n - got : sizeof(buf));
		if (r > 0)
			got += r;
	}
	_exit(got == n ? 0 : 1);
}

/* Wait for reader_exits_after()'s child: did it read what it wanted? */
static bool reader_was_mid_dump(pid_t pid)
{
	int status;

	return waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
	       WEXITSTATUS(status) == 0;
}

/* How far into the output a vanishing reader reads: well before its end. */
#define READER_TAKES	((256 << 10) + 1234)

/*
 * Into a pipe (@type 0) or stream socketpair whose reader takes a little
 * and exits, with SIGPIPE ignored: the caller survives and gets EPIPE
 * (ECONNRESET too for a socket whose peer closed with unread data: the
 * first error of the write, as write(2) would give it).
 */
static void reader_exits(struct __test_metadata *_metadata, int dev, int type,
			 int comp)
{
	int fds[2], err;
	pid_t pid;

	ASSERT_EQ(0, type ? socketpair(AF_UNIX, type, 0, fds) : pipe(fds));
	pid = reader_exits_after(fds[0], READER_TAKES);
	ASSERT_LT(0, pid);
	close(fds[0]);
	err = mdv_dump(dev, fds[1], 0, comp);
	close(fds[1]);
	TH_LOG("%s reader gone after %d bytes: %s", type ? "socket" : "pipe",
	       READER_TAKES, strerror(err));
	EXPECT_TRUE(reader_was_mid_dump(pid));
	if (type) {
		EXPECT_TRUE(err == EPIPE || err == ECONNRESET);
	} else {
		EXPECT_EQ(EPIPE, err);
	}
	next_dump_valid(_metadata, dev, comp, NULL);
}

TEST_F_TIMEOUT(fault, pipe_reader_exits_epipe, 120)
{
	reader_exits(_metadata, self->dev, 0, variant->comp);
}

/* A stream socket peer that reads a little, then closes. */
TEST_F_TIMEOUT(fault, socket_peer_closes_epipe, 120)
{
	reader_exits(_metadata, self->dev, SOCK_STREAM, variant->comp);
}

/*
 * A slow reader behind the smallest buffers the kernel allows, reading a
 * page at a time: a stream socketpair (SO_SNDBUF and SO_RCVBUF of 1,
 * which the kernel raises to its minimum) and a one-page pipe. Every 1 MiB
 * write of the module is a long series of short ones, each waiting for
 * the reader: the dump completes and passes `minidump check -`.
 */
TEST_F_TIMEOUT(fault, slow_reader_tiny_buffers, 400)
{
	int one = 1, fds[2], err, snd = 0, rcv = 0;
	socklen_t len = sizeof(int);
	struct mdv_checker c;
	struct mdv_drain d;
	uint64_t extent;
	bool checked;

	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds));
	ASSERT_EQ(0, setsockopt(fds[1], SOL_SOCKET, SO_SNDBUF, &one, len));
	ASSERT_EQ(0, setsockopt(fds[0], SOL_SOCKET, SO_RCVBUF, &one, len));
	getsockopt(fds[1], SOL_SOCKET, SO_SNDBUF, &snd, &len);
	getsockopt(fds[0], SOL_SOCKET, SO_RCVBUF, &rcv, &len);
	err = mdv_dump_checked_on(self->dev, &d, fds, 4096, 0, variant->comp,
				  &c, &checked);
	TH_LOG("socket, SO_SNDBUF %d, SO_RCVBUF %d: %" PRIu64 " bytes: %s",
	       snd, rcv, d.total, c.text);
	EXPECT_EQ(0, err);
	EXPECT_TRUE(checked);
	EXPECT_STREQ(MDV_OK, mdv_check_trailer(d.tail, d.total, variant->comp,
					       &extent));
	free(d.head);

	ASSERT_EQ(0, pipe2(fds, O_CLOEXEC));
	ASSERT_EQ(4096, fcntl(fds[1], F_SETPIPE_SZ, 4096));
	err = mdv_dump_checked_on(self->dev, &d, fds, 4096, 0, variant->comp,
				  &c, &checked);
	TH_LOG("one-page pipe: %" PRIu64 " bytes: %s", d.total, c.text);
	EXPECT_EQ(0, err);
	EXPECT_TRUE(checked);
	EXPECT_STREQ(MDV_OK, mdv_check_trailer(d.tail, d.total, variant->comp,
					       &extent));
	free(d.head);
}

/* ---- allocation failures: fail-nth (Documentation/fault-injection) ---- */

/*
 * What failslab and fail_page_alloc must be for fail-nth to reach every
 * allocation of a dump (lib/fault-inject.c, mm/failslab.c,
 * mm/fail_page_alloc.c): GFP_KERNEL may sleep (ignore-gfp-wait off),
 * vmalloc asks for __GFP_HIGHMEM order-0 pages (ignore-gfp-highmem off,
 * min-order 0), every slab cache (cache-filter off), no stack filter; no
 * random failures for anyone else (probability 0) and no report per
 * injected failure (verbose 0). NULL: only saved and restored ("times"
 * counts down on each failure). Filter files exist only with
 * CONFIG_FAULT_INJECTION_STACKTRACE_FILTER.
 */
static const struct {
	const char *file, *value;
	bool optional;
} fi_knobs[] = {
	{ "failslab/ignore-gfp-wait", "N", false },
	{ "failslab/cache-filter", "N", false },
	{ "failslab/probability", "0", false },
	{ "failslab/verbose", "0", false },
	{ "failslab/times", NULL, false },
	{ "failslab/require-start", "0", true },
	{ "failslab/require-end", "0xffffffffffffffff", true },
	{ "failslab/reject-start", "0", true },
	{ "failslab/reject-end", "0", true },
	{ "fail_page_alloc/ignore-gfp-wait", "N", false },
	{ "fail_page_alloc/ignore-gfp-highmem", "N", false },
	{ "fail_page_alloc/min-order", "0", false },
	{ "fail_page_alloc/probability", "0", false },
	{ "fail_page_alloc/verbose", "0", false },
	{ "fail_page_alloc/times", NULL, false },
	{ "fail_page_alloc/require-start", "0", true },
	{ "fail_page_alloc/require-end", "0xffffffffffffffff", true },
	{ "fail_page_alloc/reject-start", "0", true },
	{ "fail_page_alloc/reject-end", "0", true },
};
_Static_assert(sizeof(fi_knobs) / sizeof(fi_knobs[0]) <= FI_KNOBS,
	       "FI_KNOBS holds every knob");

static void fi_restore(FIXTURE_DATA(fault) *self)
{
	char path[128];

	while (self->nsaved > 0) {
		struct fi_saved *s = &self->saved[--self->nsaved];

		snprintf(path, sizeof(path), FI_DIR "/%s", s->file);
		bt_write_file(path, s->value);
	}
}

/* Save each knob, then set it. Return: NULL or the file that failed. */
static const char *fi_setup(FIXTURE_DATA(fault) *self)
{
	struct fi_saved *s;
	char path[128];
	unsigned int i;
	ssize_t n;

	for (i = 0; i < sizeof(fi_knobs) / sizeof(fi_knobs[0]); i++) {
		s = &self->saved[self->nsaved];
		snprintf(path, sizeof(path), FI_DIR "/%s", fi_knobs[i].file);
		if (fi_knobs[i].optional && access(path, F_OK))
			continue;
		n = bt_read_file(path, s->value, sizeof(s->value));
		if (n <= 0)
			return fi_knobs[i].file;
		s->value[strcspn(s->value, "\n")] = '\0';
		s->file = fi_knobs[i].file;
		self->nsaved++;
		if (fi_knobs[i].value && bt_write_file(path, fi_knobs[i].value))
			return fi_knobs[i].file;
	}
	return NULL;
}

/*
 * The thread that watches a dump under fault injection: once the fault
 * was injected (the dumper's fail-nth reads 0) and the dump has written
 * 64 data pages, every allocation it made was used and the fault was
 * survived (kvmalloc falling back to vmalloc, kmemleak's emergency pool);
 * the rest would be a whole dump per fault, so it sends SIGINT to end it.
 * The lock makes "the dump is still this one" and the signal one step.
 */
struct fi_watch {
	pthread_mutex_t lock;
	pthread_t dumper;
	int nth;		/* the dumper's fail-nth, read-only */
	bool running;		/* the dumper is in (or just out of) the ioctl */
	bool interrupted;	/* this thread sent it SIGINT meanwhile */
	bool stop;
};

static bool fi_injected(int nth)
{
	char buf[32];
	ssize_t n = pread(nth, buf, sizeof(buf) - 1, 0);

	if (n <= 0)
		return false;
	buf[n] = '\0';
	return strtol(buf, NULL, 10) == 0;
}

static void *fi_watch_run(void *arg)
{
	const struct timespec tick = { .tv_nsec = 2 * 1000 * 1000 };
	struct fi_watch *w = arg;
	uint64_t done, total;
	bool stop = false;

	while (!stop) {
		nanosleep(&tick, NULL);	/* a polling period, not a wait */
		pthread_mutex_lock(&w->lock);
		stop = w->stop;
		if (w->running && !w->interrupted) {
			mdv_progress(&done, &total);
			if (total && total != ~0ULL &&
			    done >= (total < 64 ? total : 64) &&
			    fi_injected(w->nth)) {
				w->interrupted = true;
				pthread_kill(w->dumper, SIGINT);
			}
		}
		pthread_mutex_unlock(&w->lock);
	}
	return NULL;
}

static void on_signal(int sig)
{
}

/* The dump in @fd ends with a valid trailer of @comp. */
static const char *file_trailer(int fd, int comp)
{
	uint8_t kdh[512];
	uint64_t extent;
	struct stat st;

	if (fstat(fd, &st) || st.st_size < 512 ||
	    pread(fd, kdh, 512, st.st_size - 512) != 512)
		return "no trailer to read";
	return mdv_check_trailer(kdh, st.st_size, comp, &extent);
}

/* `minidump check -` over the whole file @fd. */
static bool file_checks(int fd, struct mdv_checker *c)
{
	struct stat st;
	off_t off = 0;
	ssize_t n = 1;

	mdv_checker_start(c, NULL);
	if (fstat(fd, &st))
		n = -1;
	while (n > 0 && off < st.st_size)
		n = sendfile(c->in, fd, &off, st.st_size - off);
	return mdv_checker_finish(c) && n >= 0;
}

/* An empty @fd with @size bytes allocated past its end. Return: 0/-1. */
static int preallocate(int fd, off_t size)
{
	struct stat st;

	if (fstat(fd, &st))
		return -1;
	if (st.st_size == 0 && st.st_blocks * 512 >= size)
		return 0;
	if (ftruncate(fd, 0))
		return -1;
	return fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, size);
}

/* What the fail-nth loop saw. */
struct fi_tally {
	int enomem;		/* the failure came back as ENOMEM (EFAULT) */
	int survived;		/* the dump completed anyway */
	int stopped;		/* survived, then ended by fi_watch_run's SIGINT */
	int wrong;		/* anything else */
};

/* One dump with the @nth-th fault point failed. Return: fail-nth after it. */
static long fi_one(struct __test_metadata *_metadata, struct fi_watch *w,
		   int dev, int fd, int comp, int nth, int *err)
{
	char num[16], left[32];
	ssize_t n;

	snprintf(num, sizeof(num), "%d", nth);
	pthread_mutex_lock(&w->lock);
	w->running = true;
	w->interrupted = false;
	pthread_mutex_unlock(&w->lock);
	/* From this write on, every fault point of this thread counts. */
	if (write(w->nth, num, strlen(num)) != (ssize_t)strlen(num))
		return -1;
	*err = mdv_dump(dev, fd, 0, comp);
	n = pread(w->nth, left, sizeof(left) - 1, 0);
	/* not injected: stop counting before anything else (an open fails) */
	if (n > 0 && left[0] != '0' && write(w->nth, "0", 1) != 1)
		n = -1;
	pthread_mutex_lock(&w->lock);
	w->running = false;
	pthread_mutex_unlock(&w->lock);
	if (n <= 0)
		return -1;
	left[n] = '\0';
	return strtol(left, NULL, 10);
}

/*
 * Sort one injected fault's outcome into @t; log the odd ones. With
 * CONFIG_FAULT_INJECTION_USERCOPY, fail-nth fails copies from user memory
 * too: the ioctl's own argument gives EFAULT then.
 */
static void fi_judge(struct __test_metadata *_metadata, struct fi_tally *t,
		     int nth, int err, bool interrupted, int fd, int comp)
{
	const char *why;

	if (err == ENOMEM ||
	    (err == EFAULT && !access(FI_DIR "/fail_usercopy", F_OK))) {
		t->enomem++;
	} else if (err == EINTR && interrupted) {
		t->stopped++;
	} else if (!err) {
		why = file_trailer(fd, comp);
		if (strcmp(why, MDV_OK)) {
			TH_LOG("fault %d: completed with a bad trailer: %s",
			       nth, why);
			t->wrong++;
		}
		t->survived++;
	} else {
		TH_LOG("fault %d: %s", nth, strerror(err));
		t->wrong++;
	}
}

/*
 * Each fault point of a dump failed in turn (fail-nth N = 1, 2, ... until
 * a dump runs with no fault left to inject; see Documentation/
 * fault-injection): the codec's workspaces, the sink's buffer, the
 * snapshot's tables, through kmalloc (failslab) and vmalloc or the page
 * allocator (fail_page_alloc). A failure the module sees is ENOMEM and
 * leaves no dump running; one the kernel absorbs gives a good dump. The
 * dump goes to a memfd preallocated past its end, so that writing it
 * allocates nothing and only the module's own fault points count; the
 * last, fault-free dump there passes `minidump check -`, and so does the
 * next dump through a pipe. Needs CONFIG_FAULT_INJECTION, CONFIG_FAILSLAB,
 * CONFIG_FAIL_PAGE_ALLOC and their debugfs files: the debug kernel.
 */
TEST_F_TIMEOUT(fault, alloc_failures_enomem, 600)
{
	struct sigaction sa = { .sa_handler = on_signal };
	struct fi_watch w = { .lock = PTHREAD_MUTEX_INITIALIZER };
	struct fi_tally t = { 0 };
	uint64_t size, done, total;
	struct mdv_checker c;
	const char *bad;
	pthread_t watcher;
	int fd, nth, err = 0;
	long left = 0;

	if (access(FAIL_NTH, F_OK))
		SKIP(return, "no %s: kernel without CONFIG_FAULT_INJECTION",
		     FAIL_NTH);
	if (access(FI_DIR "/failslab", F_OK) ||
	    access(FI_DIR "/fail_page_alloc", F_OK))
		SKIP(return, "no %s/failslab or fail_page_alloc: kernel %s",
		     FI_DIR, "without CONFIG_FAILSLAB, CONFIG_FAIL_PAGE_ALLOC or CONFIG_FAULT_INJECTION_DEBUG_FS");
	size = next_dump_valid(_metadata, self->dev, variant->comp, NULL);
	ASSERT_LT(0ULL, size);
	fd = memfd_create("fault_test", MFD_CLOEXEC);
	ASSERT_LE(0, fd);
	bad = fi_setup(self);
	ASSERT_EQ(NULL, bad) {
		TH_LOG("%s/%s: %s", FI_DIR, bad, strerror(errno));
	}
	ASSERT_EQ(0, sigaction(SIGINT, &sa, NULL));
	w.dumper = pthread_self();
	w.nth = open(FAIL_NTH, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, w.nth);
	ASSERT_EQ(0, pthread_create(&watcher, NULL, fi_watch_run, &w));

	for (nth = 1; nth < 100000; nth++) {
		/* live dumps vary: a bigger one allocates past this, slower */
		if (preallocate(fd, size + size / 4 + (16 << 20))) {
			TH_LOG("fallocate: %s", strerror(errno));
			break;
		}
		left = fi_one(_metadata, &w, self->dev, fd, variant->comp, nth,
			      &err);
		if (left)
			break;
		fi_judge(_metadata, &t, nth, err, w.interrupted, fd,
			 variant->comp);
		mdv_progress(&done, &total);
		if (total) {
			TH_LOG("fault %d: progress %" PRIu64 " %" PRIu64
			       " after the dump", nth, done, total);
			t.wrong++;
		}
	}
	pthread_mutex_lock(&w.lock);
	w.stop = true;
	pthread_mutex_unlock(&w.lock);
	pthread_join(watcher, NULL);
	close(w.nth);
	fi_restore(self);

	TH_LOG("%d fault points: %d ENOMEM, %d survived (%d of them stopped by SIGINT), %d wrong",
	       nth - 1, t.enomem, t.survived + t.stopped, t.stopped, t.wrong);
	ASSERT_LT(0L, left) {
		TH_LOG("fail-nth %d: %s", nth, left < 0 ? strerror(errno) :
		       "never ran a dump without a fault");
	}
	EXPECT_EQ(0, err) {
		TH_LOG("the fault-free dump: %s", strerror(err));
	}
	EXPECT_TRUE(file_checks(fd, &c)) {
		TH_LOG("minidump check - of the fault-free dump: %s", c.text);
	}
	EXPECT_EQ(0, t.wrong);
	/* the failures reached the module: the sink and codec allocate */
	EXPECT_LT(2, t.enomem);
	close(fd);
	next_dump_valid(_metadata, self->dev, variant->comp, NULL);
}

/* ---- tests with a single codec, or one chosen per seed ---- */

FIXTURE(one) {
	int dev;
	struct timespec t0;
	char path[96];
	int gzip;		/* gzip_level before the test */
};

FIXTURE_SETUP(one)
{
	const char *why = dump_setup(&self->dev, &self->t0);

	if (why)
		SETUP_SKIP("%s", why);
	self->gzip = bt_gzip_fastest();
	ASSERT_LT(0, self->gzip);
}

FIXTURE_TEARDOWN(one)
{
	log_time(_metadata, &self->t0);
	if (self->gzip > 0)
		bt_set_param("gzip_level", self->gzip);
	if (self->path[0])
		unlink(self->path);
	close(self->dev);
}

/* Signals a dump_child() caught. */
static volatile sig_atomic_t caught;

static void count_signal(int sig)
{
	caught++;
}

/*
 * A child that dumps (raw) into @fd with @sig's disposition set to
 * @handler (blocked instead if @block), and reports through its exit
 * status: the dump's errno, plus 128 if @sig was pending or caught
 * afterwards. @limit: RLIMIT_FSIZE, or 0 to leave it.
 */
static pid_t dump_child(int dev, int fd, int sig, void (*handler)(int),
			bool block, rlim_t limit)
{
	struct rlimit none = { 0, 0 }, fsize = { limit, limit };
	sigset_t set;
	pid_t pid;
	int err;

	fflush(NULL);
	pid = fork();
	if (pid)
		return pid;
	setrlimit(RLIMIT_CORE, &none);
	if (limit && setrlimit(RLIMIT_FSIZE, &fsize))
		_exit(127);
	sigemptyset(&set);
	sigaddset(&set, sig);
	signal(sig, handler);
	if (block)
		sigprocmask(SIG_BLOCK, &set, NULL);
	err = mdv_dump(dev, fd, 0, KERNELDUMP_COMP_NONE);
	if (block && !sigpending(&set) && sigismember(&set, sig))
		caught++;
	_exit(err + (caught ? 128 : 0));
}

/* What dump_child() ended with: "exit E" (+128: the signal seen), "signal S". */
static const char *child_end(pid_t pid, char *buf, size_t size)
{
	int status;

	if (waitpid(pid, &status, 0) != pid)
		snprintf(buf, size, "lost");
	else if (WIFSIGNALED(status))
		snprintf(buf, size, "signal %d", WTERMSIG(status));
	else
		snprintf(buf, size, "exit %d", WEXITSTATUS(status));
	return buf;
}

/*
 * A file size limit is a write error like ENOSPC, with write(2)'s
 * SIGXFSZ: ignored, the dump gives EFBIG with the file filled exactly to
 * the limit (cut in the data pages, not on a page boundary); with the
 * default action the caller dies of SIGXFSZ, as write(2) would kill it.
 */
TEST_F_TIMEOUT(one, fsize_limit_efbig, 60)
{
	const rlim_t limit = (1 << 20) + 3 * 4096 + 100;
	char end[32], want[32];
	struct stat st;
	int fd;

	snprintf(self->path, sizeof(self->path), "/tmp/fault.fsize.%d",
		 getpid());
	fd = open(self->path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ASSERT_LE(0, fd);
	child_end(dump_child(self->dev, fd, SIGXFSZ, SIG_IGN, false, limit),
		  end, sizeof(end));
	snprintf(want, sizeof(want), "exit %d", EFBIG);
	EXPECT_STREQ(want, end);
	ASSERT_EQ(0, fstat(fd, &st));
	EXPECT_EQ((off_t)limit, st.st_size);

	child_end(dump_child(self->dev, fd, SIGXFSZ, SIG_DFL, false, limit),
		  end, sizeof(end));
	snprintf(want, sizeof(want), "signal %d", SIGXFSZ);
	EXPECT_STREQ(want, end);
	close(fd);
	next_dump_valid(_metadata, self->dev, KERNELDUMP_COMP_NONE, NULL);
}

/*
 * A pipe whose reader exits mid-dump, as write(2) sees it: with SIGPIPE's
 * default action the caller dies of SIGPIPE; blocked, the dump gives
 * EPIPE and SIGPIPE stays pending; caught, the dump gives EPIPE (not
 * EINTR: the signal is the write error's own) and the handler runs. A
 * stream socket whose peer closed: SIGPIPE too, or ECONNRESET (without a
 * signal) when the peer left unread data behind. Then the next dump works.
 */
TEST_F_TIMEOUT(one, sigpipe_like_write, 120)
{
	static const struct {
		int type;
		void (*handler)(int);
		bool block;
		const char *what;
	} cases[] = {
		{ 0, SIG_DFL, false, "pipe, SIGPIPE default" },
		{ 0, SIG_DFL, true, "pipe, SIGPIPE blocked" },
		{ 0, count_signal, false, "pipe, SIGPIPE caught" },
		{ SOCK_STREAM, SIG_DFL, false, "socket, SIGPIPE default" },
	};
	char end[32], died[32], epipe[32], reset[32];
	unsigned int i;
	int fds[2];
	pid_t reader, dumper;

	snprintf(died, sizeof(died), "signal %d", SIGPIPE);
	snprintf(epipe, sizeof(epipe), "exit %d", EPIPE + 128);
	snprintf(reset, sizeof(reset), "exit %d", ECONNRESET);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ASSERT_EQ(0, cases[i].type ?
			  socketpair(AF_UNIX, cases[i].type, 0, fds) :
			  pipe(fds));
		reader = reader_exits_after(fds[0], READER_TAKES);
		ASSERT_LT(0, reader);
		close(fds[0]);
		dumper = dump_child(self->dev, fds[1], SIGPIPE,
				    cases[i].handler, cases[i].block, 0);
		ASSERT_LT(0, dumper);
		close(fds[1]);
		child_end(dumper, end, sizeof(end));
		TH_LOG("%s: %s", cases[i].what, end);
		EXPECT_TRUE(reader_was_mid_dump(reader));
		if (cases[i].handler == SIG_DFL && !cases[i].block) {
			EXPECT_TRUE(!strcmp(end, died) ||
				    (cases[i].type && !strcmp(end, reset)));
		} else {
			EXPECT_STREQ(epipe, end);
		}
		next_dump_valid(_metadata, self->dev, KERNELDUMP_COMP_NONE,
				NULL);
	}
}

/* ---- signals at seeded points ---- */

static uint64_t mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

/* $FAULT_SEED, else one from the clock and the pid (printed: replayable). */
static unsigned int base_seed(void)
{
	const char *s = getenv("FAULT_SEED");

	if (s && *s)
		return strtoul(s, NULL, 0);
	return (unsigned int)time(NULL) ^ (unsigned int)getpid() << 16;
}

#define SEEDS		5

/*
 * Where a seeded signal goes. The reader of the dump's pipe waits (poll
 * with a short period, reading what comes) until the progress file shows
 * @permille of the data pages written (0: as soon as the dump shows
 * progress, before anything was read), and stops reading there. The dump
 * cannot end while nobody reads: what is left of it, a tenth of its pages
 * at least, is more than the pipe holds. So the signal then sent comes
 * mid-dump, at a point the seed chose.
 */
struct seeded {
	int fd;			/* the pipe's read end */
	unsigned int permille;	/* 0-899 */
	uint64_t read;		/* bytes read */
	uint64_t at_read, at_done, at_total;	/* where it stopped */
	bool stopped;
	uint8_t tail[512];	/* the last bytes read */
};

static void seeded_keep(struct seeded *s, const uint8_t *buf, size_t n)
{
	if (n >= 512) {
		memcpy(s->tail, buf + n - 512, 512);
	} else {
		memmove(s->tail, s->tail + n, 512 - n);
		memcpy(s->tail + 512 - n, buf, n);
	}
	s->read += n;
}

/* Read until the seeded point (true) or the end of the stream (false). */
static bool seeded_wait(struct seeded *s)
{
	static uint8_t buf[16 << 10];
	struct pollfd p = { .fd = s->fd, .events = POLLIN };
	uint64_t done, total;
	ssize_t n;

	for (;;) {
		mdv_progress(&done, &total);
		if (total && total != ~0ULL &&
		    done * 1000 >= total * s->permille) {
			s->stopped = true;
			s->at_read = s->read;
			s->at_done = done;
			s->at_total = total;
			return true;
		}
		if (poll(&p, 1, 2) <= 0)
			continue;
		n = read(s->fd, buf, sizeof(buf));
		if (n <= 0)
			return false;
		seeded_keep(s, buf, n);
	}
}

static void seeded_drain(struct seeded *s)
{
	static uint8_t buf[1 << 16];
	ssize_t n;

	while ((n = read(s->fd, buf, sizeof(buf))) > 0)
		seeded_keep(s, buf, n);
}

/* The seed's point: one in four as soon as the dump shows progress. */
static void seeded_point(struct seeded *s, uint64_t h)
{
	s->permille = h % 4 == 0 ? 0 : (h >> 2) % 900;
}

/* The seed's codec. */
static int seeded_codec(uint64_t h)
{
	return (h >> 20) % 3;
}

/* The stream a signal stopped has no trailer; the next dump is valid. */
static void seeded_after(struct __test_metadata *_metadata, int dev,
			 unsigned int seed, int comp, const struct seeded *s,
			 int i, const char *end)
{
	uint64_t extent;

	TH_LOG("seed %u+%d: %s, %u permille: stopped at %" PRIu64 " bytes, %"
	       PRIu64 "/%" PRIu64 " pages, %" PRIu64 " bytes in all: %s",
	       seed, i, comp == 0 ? "raw" : comp == 1 ? "gzip" : "zstd",
	       s->permille, s->at_read, s->at_done, s->at_total, s->read, end);
	EXPECT_TRUE(s->stopped) {
		TH_LOG("the dump ended before the seeded point");
	}
	EXPECT_STRNE(MDV_OK, mdv_check_trailer(s->tail, s->read, comp,
					       &extent));
	next_dump_valid(_metadata, dev, comp, NULL);
}

/* The SIGINT sender: the reader thread of the dump's pipe. */
struct interrupter {
	struct seeded s;
	pthread_t dumper;
	int returned;		/* read end: the dumper's ioctl returned */
};

static void *interrupter_run(void *arg)
{
	struct interrupter *k = arg;
	char c;

	if (seeded_wait(&k->s)) {
		pthread_kill(k->dumper, SIGINT);
		/* Nothing more is read before the dump returned (EOF here). */
		while (read(k->returned, &c, 1) > 0)
			;
	}
	seeded_drain(&k->s);
	return NULL;
}

/*
 * SIGINT (caught, no SA_RESTART) at seeded points of dumps of seeded
 * codecs: EINTR, no trailer in the stream, and the next dump is valid.
 */
TEST_F_TIMEOUT(one, sigint_seeded_eintr, 300)
{
	struct sigaction sa = { .sa_handler = on_signal };
	unsigned int seed = base_seed();
	struct interrupter k;
	int i, comp, err, fds[2], ret[2];
	pthread_t t;
	uint64_t h;

	TH_LOG("seed %u (FAULT_SEED=%u replays it)", seed, seed);
	ASSERT_EQ(0, sigaction(SIGINT, &sa, NULL));
	for (i = 0; i < SEEDS; i++) {
		h = mix((uint64_t)seed << 8 | i);
		comp = seeded_codec(h);
		memset(&k, 0, sizeof(k));
		seeded_point(&k.s, h);
		ASSERT_EQ(0, pipe2(fds, O_CLOEXEC));
		ASSERT_EQ(0, pipe2(ret, O_CLOEXEC));
		k.s.fd = fds[0];
		k.dumper = pthread_self();
		k.returned = ret[0];
		ASSERT_EQ(0, pthread_create(&t, NULL, interrupter_run, &k));
		err = mdv_dump(self->dev, fds[1], 0, comp);
		close(fds[1]);
		close(ret[1]);
		pthread_join(t, NULL);
		close(fds[0]);
		close(ret[0]);
		seeded_after(_metadata, self->dev, seed, comp, &k.s, i,
			     strerror(err));
		EXPECT_EQ(EINTR, err);
	}
}

/*
 * SIGKILL at seeded points of dumps of seeded codecs, in a child process:
 * it dies of SIGKILL, and the next dump is valid (no dump stays busy).
 */
TEST_F_TIMEOUT(one, sigkill_seeded_then_ok, 300)
{
	unsigned int seed = base_seed();
	char end[32], want[32];
	struct seeded s;
	int i, comp, fds[2];
	pid_t pid;
	uint64_t h;

	TH_LOG("seed %u (FAULT_SEED=%u replays it)", seed, seed);
	snprintf(want, sizeof(want), "signal %d", SIGKILL);
	for (i = 0; i < SEEDS; i++) {
		h = mix((uint64_t)seed << 8 | (i + 128));
		comp = seeded_codec(h);
		memset(&s, 0, sizeof(s));
		seeded_point(&s, h);
		ASSERT_EQ(0, pipe2(fds, O_CLOEXEC));
		s.fd = fds[0];
		fflush(NULL);
		pid = fork();
		ASSERT_LE(0, pid);
		if (!pid)
			_exit(mdv_dump(self->dev, fds[1], 0, comp) ? 1 : 0);
		close(fds[1]);
		if (seeded_wait(&s))
			kill(pid, SIGKILL);
		child_end(pid, end, sizeof(end));
		seeded_drain(&s);
		close(fds[0]);
		seeded_after(_metadata, self->dev, seed, comp, &s, i, end);
		EXPECT_STREQ(want, end);
	}
}

TEST_HARNESS_MAIN
