// SPDX-License-Identifier: GPL-2.0
/*
 * MEM_KERNELDUMP (SPEC §7): every error row with a real trigger, then for
 * each codec a dump to a file, a pipe and a stream socket, checked here
 * (trailer, minidump header, section sizes, popcount; for raw dumps a
 * small libkvm-style reader finds linux_banner and the direct map) and by
 * the project's `minidump` reader when one is installed. Dumps go to
 * $BSDMEM_SHARE when set (the host checks them too), else to /tmp.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <machine/minidump.h>
#include <sys/kerneldump.h>
#include <sys/memrange.h>

/* The 6.1 harness expands to functions with unused parameters. */
#pragma GCC diagnostic ignored "-Wunused-parameter"
#include "kselftest_harness.h"
#include "bsdmem_test.h"

#define PROGRESS	"/sys/class/misc/bsdmem/livedump_progress"
#define HEAD_MAX	(8 << 20)	/* what a drain keeps of a stream */
#define PG		4096ULL

/* A FIXTURE_SETUP skip that also stops the 6.1 harness, which would run on. */
#ifdef XFAIL
#define SETUP_SKIP(fmt, ...)	SKIP(return, fmt, ##__VA_ARGS__)
#else
#define SETUP_SKIP(fmt, ...)	SKIP(_exit(255), fmt, ##__VA_ARGS__)
#endif

static int dump(int dev, int fd, int flags, int compression)
{
	struct mem_livedump_arg arg = {
		.fd = fd, .flags = flags, .compression = (uint8_t)compression,
	};

	return ioctl(dev, MEM_KERNELDUMP, &arg) ? errno : 0;
}

static uint32_t be32(const void *p)
{
	const uint8_t *b = p;

	return (uint32_t)b[0] << 24 | b[1] << 16 | b[2] << 8 | b[3];
}

static uint64_t be64(const void *p)
{
	return (uint64_t)be32(p) << 32 | be32((const uint8_t *)p + 4);
}

static const char *outdir(void)
{
	const char *d = getenv("BSDMEM_SHARE");

	return d && *d ? d : "/tmp";
}

/* What a reader thread saw on a pipe or socket. */
struct drain {
	int fd;
	uint8_t *head;		/* first HEAD_MAX bytes */
	uint8_t tail[512];	/* last 512 bytes */
	uint64_t total;
	uint64_t want_pa;	/* a page to keep (raw dumps), or 0 */
	int64_t want_off;	/* its offset in the stream; -1: not dumped */
	bool located;		/* want_off is known */
	uint8_t want[4096];	/* the page's bytes */
};

static void drain_locate(struct drain *d);
static void drain_keep(struct drain *d, const uint8_t *buf, uint64_t n);

static void *drain_run(void *arg)
{
	struct drain *d = arg;
	static uint8_t buf[1 << 16];
	ssize_t n;

	while ((n = read(d->fd, buf, sizeof(buf))) > 0) {
		if (d->total < HEAD_MAX)
			memcpy(d->head + d->total, buf,
			       d->total + n > HEAD_MAX ? HEAD_MAX - d->total : (size_t)n);
		if (d->want_pa && !d->located && d->total + n >= HEAD_MAX)
			drain_locate(d);
		drain_keep(d, buf, n);
		if (n >= 512) {
			memcpy(d->tail, buf + n - 512, 512);
		} else {
			memmove(d->tail, d->tail + n, 512 - n);
			memcpy(d->tail + 512 - n, buf, n);
		}
		d->total += n;
	}
	return NULL;
}

static uint64_t pg_round(uint64_t v)
{
	return (v + PG - 1) & ~(PG - 1);
}

/* The trailer of a @size-byte output: returns dumpextent, 0 on failure. */
static uint64_t check_trailer(struct __test_metadata *_metadata,
			      const uint8_t *kdh, uint64_t size, int comp)
{
	struct kerneldumpheader h;
	uint64_t length, extent;

	memcpy(&h, kdh, sizeof(h));
	EXPECT_EQ(0U, kerneldump_parity(&h));
	EXPECT_EQ(0, memcmp(h.magic, KERNELDUMPMAGIC, sizeof(KERNELDUMPMAGIC)));
	EXPECT_STREQ("amd64", h.architecture);
	EXPECT_EQ(4U, be32(&h.version));
	EXPECT_EQ(2U, be32(&h.architectureversion));
	EXPECT_EQ(PG, be32(&h.blocksize));
	EXPECT_EQ(comp, h.compression);
	EXPECT_EQ(0, strncmp(h.versionstring, "Linux version ", 14));
	length = be64(&h.dumplength);
	extent = be64(&h.dumpextent);
	EXPECT_EQ(0ULL, extent % PG);
	if (comp == KERNELDUMP_COMP_NONE) {
		EXPECT_EQ(length, extent);
		EXPECT_EQ(size, length + 512);
	} else {
		EXPECT_EQ(size, pg_round(length) + 512);
		EXPECT_LT(length, extent);
	}
	return _metadata->passed ? extent : 0;
}

/* A libkvm-style view of a raw minidump body. */
struct md {
	const uint8_t *p;
	uint64_t len;
	struct minidumphdr h;
	const uint64_t *avail, *bitmap, *pmap;
	uint64_t nbits, ndata, data_off;
};

/* Header and sections of @p; Return: 0, or the line that failed. */
static int md_open(struct md *m, const uint8_t *p, uint64_t len)
{
	uint64_t off, i;

	m->p = p;
	m->len = len;
	memcpy(&m->h, p, sizeof(m->h));
	if (strcmp(m->h.magic, MINIDUMP_MAGIC) || m->h.version != 3)
		return __LINE__;
	if (m->h.bitmapsize % PG || m->h.dumpavailsize % PG ||
	    m->h.pmapsize != 2 * PG || m->h.kernbase != 0xffffffff80000000ULL)
		return __LINE__;
	off = PG + pg_round(m->h.msgbufsize);
	m->avail = (const uint64_t *)(p + off);
	off += m->h.dumpavailsize;
	m->bitmap = (const uint64_t *)(p + off);
	off += m->h.bitmapsize;
	m->pmap = (const uint64_t *)(p + off);
	m->data_off = off + m->h.pmapsize;
	if (m->data_off > len)
		return __LINE__;
	for (i = 0, m->nbits = 0; m->avail[2 * i + 1]; i++) {
		if (m->avail[2 * i] % PG || m->avail[2 * i + 1] % PG ||
		    m->avail[2 * i] >= m->avail[2 * i + 1] ||
		    (i && m->avail[2 * i] <= m->avail[2 * i - 1]))
			return __LINE__;
		m->nbits += (m->avail[2 * i + 1] - m->avail[2 * i]) / PG;
	}
	if (m->nbits > m->h.bitmapsize * 8)
		return __LINE__;
	for (i = 0, m->ndata = 0; i < m->h.bitmapsize / 8; i++)
		m->ndata += __builtin_popcountll(m->bitmap[i]);
	return 0;
}

static const uint8_t *md_pa(const struct md *m, uint64_t pa)
{
	uint64_t i, bit = 0, rank = 0, off;

	for (i = 0; m->avail[2 * i + 1]; i++) {
		if (pa >= m->avail[2 * i] && pa < m->avail[2 * i + 1])
			break;
		bit += (m->avail[2 * i + 1] - m->avail[2 * i]) / PG;
	}
	if (!m->avail[2 * i + 1])
		return NULL;
	bit += (pa - m->avail[2 * i]) / PG;
	if (!(m->bitmap[bit / 64] >> (bit % 64) & 1))
		return NULL;
	for (i = 0; i < bit / 64; i++)
		rank += __builtin_popcountll(m->bitmap[i]);
	rank += __builtin_popcountll(m->bitmap[bit / 64] &
				     ((1ULL << (bit % 64)) - 1));
	off = m->data_off + rank * PG;
	return off + PG <= m->len ? m->p + off + pa % PG : NULL;
}

/*
 * Where the page @want_pa sits in a raw stream, from the headers in the
 * first HEAD_MAX bytes; bytes already past are taken from there.
 */
static void drain_locate(struct drain *d)
{
	const uint8_t *p;
	struct md m;

	d->located = true;
	d->want_off = -1;
	if (md_open(&m, d->head, UINT64_MAX / 2))
		return;
	p = md_pa(&m, d->want_pa & ~(PG - 1));
	if (!p)
		return;
	d->want_off = p - d->head;
	if (d->want_off + PG <= HEAD_MAX)
		memcpy(d->want, d->head + d->want_off, PG);
}

/* Keep what of [total, total + n) falls in the wanted page. */
static void drain_keep(struct drain *d, const uint8_t *buf, uint64_t n)
{
	uint64_t lo, hi;

	if (!d->located || d->want_off < 0 || d->want_off + PG <= HEAD_MAX)
		return;
	lo = d->total > (uint64_t)d->want_off ? d->total : (uint64_t)d->want_off;
	hi = d->total + n < d->want_off + PG ? d->total + n : d->want_off + PG;
	if (lo < hi)
		memcpy(d->want + (lo - d->want_off), buf + (lo - d->total), hi - lo);
}

#define FRAME	0x000ffffffffff000ULL

static const uint8_t *md_va(const struct md *m, uint64_t va)
{
	const uint64_t *pt;
	uint64_t pde, pte;

	if (va >= m->h.kernbase) {
		pde = m->pmap[(va - m->h.kernbase) >> 21];
		if (!(pde & 1))
			return NULL;
		if (pde & 0x80)
			return md_pa(m, (pde & 0x000fffffffe00000ULL) +
				     (va & 0x1fffff));
		pt = (const uint64_t *)md_pa(m, pde & FRAME);
		if (!pt)
			return NULL;
		pte = pt[(va >> 12) & 511];
		return pte & 1 ? md_pa(m, (pte & FRAME) + (va & 0xfff)) : NULL;
	}
	if (va >= m->h.dmapbase && va < m->h.dmapend)
		return md_pa(m, va - m->h.dmapbase);
	return NULL;
}

/* The section sizes and popcount account for the whole body. */
static void check_body(struct __test_metadata *_metadata, struct md *m,
		       const uint8_t *p, uint64_t len, uint64_t extent)
{
	const struct minidump_linux *ext;

	ASSERT_EQ(0, md_open(m, p, len));
	EXPECT_EQ(extent, m->data_off + m->ndata * PG);
	EXPECT_GT(m->ndata, 1000ULL);
	ext = (const void *)(p + MINIDUMP_LINUX_OFFSET);
	EXPECT_STREQ(MINIDUMP_LINUX_MAGIC, ext->magic);
	EXPECT_EQ(1U, ext->version);
	EXPECT_EQ(m->h.dmapbase, ext->page_offset_base);
	EXPECT_EQ(0ULL, ext->pgtable_root % PG);
	EXPECT_NE(0ULL, ext->vmcoreinfo_paddr);
	EXPECT_NE(0ULL, ext->vmcoreinfo_size);
	EXPECT_EQ(0ULL, (m->h.dmapend - m->h.dmapbase) % (1ULL << 30));
}

/* A vmlinux symbol's address from /proc/kallsyms, 0 if not found. */
static uint64_t kallsyms(const char *name)
{
	uint64_t addr = 0;

	bt_kallsyms(name, NULL, &addr);
	return addr;
}

/* linux_banner through pmap and bitmap equals /proc/version. */
static void check_banner(struct __test_metadata *_metadata, const struct md *m)
{
	uint64_t va = kallsyms("linux_banner");
	const uint8_t *b;
	char version[512];
	ssize_t n = bt_read_file("/proc/version", version, sizeof(version));

	ASSERT_NE(0ULL, va);
	ASSERT_GT(n, 20);
	b = md_va(m, va);
	ASSERT_NE(NULL, b);
	n = n < (ssize_t)(PG - va % PG) ? n : (ssize_t)(PG - va % PG);
	EXPECT_EQ(0, memcmp(version, b, n));
}

/* A direct-map address reads what /dev/bsdmem reads at its physical one. */
static void check_dmap(struct __test_metadata *_metadata, int dev,
		       const struct md *m)
{
	const struct minidump_linux *ext = (const void *)(m->p + 0x100);
	uint64_t pa = ext->vmcoreinfo_paddr;
	const uint8_t *b = md_va(m, m->h.dmapbase + pa);
	uint8_t live[256];

	ASSERT_NE(NULL, b);
	ASSERT_EQ((ssize_t)sizeof(live), pread(dev, live, sizeof(live), pa));
	EXPECT_EQ(0, memcmp(live, b, sizeof(live)));
	EXPECT_NE(NULL, memmem(b, sizeof(live), "VMCOREINFO", 10));
}

/* A "name: value" field of `minidump info` (0 if absent). */
static uint64_t info_field(const char *bin, const char *path, const char *name)
{
	char cmd[1400], line[256];
	size_t len = strlen(name);
	uint64_t v = 0;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "%s info %s", bin, path);
	p = popen(cmd, "r");
	while (p && fgets(line, sizeof(line), p))
		if (!strncmp(line, name, len) && line[len] == ':')
			v = strtoull(line + len + 1, NULL, 0);
	if (p)
		pclose(p);
	return v;
}

/* `minidump read` of @len bytes at kernel address @va. Return: bytes read. */
static size_t reader_read(const char *bin, const char *path, uint64_t va,
			  char *buf, size_t len)
{
	char cmd[1400];
	size_t n;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "%s read %s 0x%" PRIx64 " %zu", bin, path,
		 va, len);
	p = popen(cmd, "r");
	if (!p)
		return 0;
	n = fread(buf, 1, len, p);
	return pclose(p) ? 0 : n;
}

/*
 * The project's reader is the oracle, on every codec: `minidump check`;
 * `minidump read` of linux_banner (through the pmap, as libkvm) and of its
 * direct-map alias equal /proc/version, and so does /dev/bsdmem at its
 * physical address; the struct page of that page (vmemmap, through the
 * extension's page-table root) equals what /dev/bsdkmem reads there now;
 * the VMCOREINFO note is where /sys/kernel/vmcoreinfo says. The reader is
 * part of the guest image ($BSDMEM_MINIDUMP, else /tools/minidump):
 * missing, the test fails rather than pass unchecked.
 */
static void run_reader(struct __test_metadata *_metadata, const char *path)
{
	char bin[512], cmd[1400], version[512], got[512], vmci[64];
	const char *env = getenv("BSDMEM_MINIDUMP");
	uint64_t banner = kallsyms("linux_banner"), pa, page;
	unsigned long long vmci_pa = 0, vmci_size = 0;
	ssize_t vlen = bt_read_file("/proc/version", version, sizeof(version));
	int mem, kmem;

	snprintf(bin, sizeof(bin), "%s", env && *env ? env : "/tools/minidump");
	ASSERT_EQ(0, access(bin, X_OK)) {
		TH_LOG("the minidump reader %s is missing", bin);
	}
	snprintf(cmd, sizeof(cmd), "%s check %s", bin, path);
	ASSERT_EQ(0, system(cmd));
	ASSERT_LT(0, vlen);
	ASSERT_NE(0ULL, banner);

	EXPECT_EQ((size_t)vlen, reader_read(bin, path, banner, got, vlen));
	EXPECT_EQ(0, memcmp(got, version, vlen));
	pa = banner - 0xffffffff80000000ULL +
	     info_field(bin, path, "linux.phys_base");
	EXPECT_EQ((size_t)vlen, reader_read(bin, path, pa +
				info_field(bin, path, "dmapbase"), got, vlen));
	EXPECT_EQ(0, memcmp(got, version, vlen));
	mem = open(_PATH_BSDMEM, O_RDONLY);
	ASSERT_LE(0, mem);
	EXPECT_EQ(vlen, pread(mem, got, vlen, pa));
	EXPECT_EQ(0, memcmp(got, version, vlen));
	close(mem);

	/* struct page is 64 bytes on x86-64; a kernel rodata page's is stable. */
	page = info_field(bin, path, "linux.vmemmap_base") + (pa >> 12) * 64;
	EXPECT_EQ(64U, reader_read(bin, path, page, got, 64));
	kmem = open(_PATH_BSDKMEM, O_RDONLY);
	ASSERT_LE(0, kmem);
	EXPECT_NE(-1, lseek(kmem, (off_t)page, SEEK_SET));
	EXPECT_EQ(64, read(kmem, vmci, 64));
	EXPECT_EQ(0, memcmp(got, vmci, 64));
	close(kmem);

	ASSERT_LT(0, bt_read_file("/sys/kernel/vmcoreinfo", vmci, sizeof(vmci)));
	ASSERT_EQ(2, sscanf(vmci, "%llx %llx", &vmci_pa, &vmci_size));
	EXPECT_EQ(vmci_pa, info_field(bin, path, "linux.vmcoreinfo_paddr"));
	EXPECT_EQ(vmci_size, info_field(bin, path, "linux.vmcoreinfo_size"));
}

/* Start a reader thread on a new pipe; Return: the write end. */
static int drained_pipe(struct __test_metadata *_metadata, struct drain *d,
			pthread_t *t, int type, uint64_t want_pa)
{
	int fds[2];

	ASSERT_EQ(0, type ? socketpair(AF_UNIX, type, 0, fds) : pipe(fds));
	memset(d, 0, sizeof(*d));
	d->want_pa = want_pa;
	d->head = malloc(HEAD_MAX);
	ASSERT_NE(NULL, d->head);
	d->fd = fds[0];
	ASSERT_EQ(0, pthread_create(t, NULL, drain_run, d));
	return fds[1];
}

/*
 * Dump through a pipe (@type 0) or socketpair into memory, keeping the
 * page at @want_pa (if not 0) of a raw dump in d->want; Return: errno.
 */
static int dump_stream_want(struct __test_metadata *_metadata, int dev,
			    struct drain *d, int type, int flags, int comp,
			    uint64_t want_pa)
{
	pthread_t t;
	int wfd = drained_pipe(_metadata, d, &t, type, want_pa);
	int err = dump(dev, wfd, flags, comp);

	close(wfd);
	pthread_join(t, NULL);
	close(d->fd);
	if (d->want_pa && !d->located)
		drain_locate(d);
	return err;
}

static int dump_stream(struct __test_metadata *_metadata, int dev,
		       struct drain *d, int type, int flags, int comp)
{
	return dump_stream_want(_metadata, dev, d, type, flags, comp, 0);
}

static void progress(uint64_t *done, uint64_t *total)
{
	char buf[64] = "";
	unsigned long long a = ~0ULL, b = ~0ULL;

	bt_read_file(PROGRESS, buf, sizeof(buf));
	sscanf(buf, "%llu %llu", &a, &b);
	*done = a;
	*total = b;
}

FIXTURE(livedump) {
	int dev;
	int pipe[2];
};

FIXTURE_SETUP(livedump)
{
	if (geteuid())
		SETUP_SKIP("must run as root");
	self->dev = open(_PATH_BSDMEM, O_RDONLY);
	if (self->dev < 0)
		SETUP_SKIP("%s missing: is bsdmem loaded?", _PATH_BSDMEM);
	signal(SIGPIPE, SIG_IGN);
	ASSERT_EQ(0, pipe(self->pipe));
}

FIXTURE_TEARDOWN(livedump)
{
	close(self->pipe[0]);
	close(self->pipe[1]);
	close(self->dev);
}

/* Only MEM_KERNELDUMP_ALLRAM is a flag; any other bit is EINVAL. */
TEST_F(livedump, unknown_flag_einval)
{
	EXPECT_EQ(EINVAL, dump(self->dev, self->pipe[1], 1, 0));
	EXPECT_EQ(EINVAL, dump(self->dev, self->pipe[1], 1 << 17, 0));
	EXPECT_EQ(EINVAL, dump(self->dev, self->pipe[1],
			       MEM_KERNELDUMP_ALLRAM | (int)(1U << 31), 0));
}

/* Flags are checked before the descriptor (FreeBSD's order). */
TEST_F(livedump, flags_before_fd)
{
	EXPECT_EQ(EINVAL, dump(self->dev, -1, 2, 0));
}

/* A descriptor that is not open is EBADF. */
TEST_F(livedump, closed_fd_ebadf)
{
	int fd = dup(self->pipe[1]);

	close(fd);
	EXPECT_EQ(EBADF, dump(self->dev, -1, 0, 0));
	EXPECT_EQ(EBADF, dump(self->dev, fd, 0, 0));
	EXPECT_EQ(EBADF, dump(self->dev, 1 << 30, 0, 0));
}

/* O_PATH descriptors are not usable for I/O: EBADF. */
TEST_F(livedump, o_path_ebadf)
{
	int fd = open("/", O_PATH);

	ASSERT_GE(fd, 0);
	EXPECT_EQ(EBADF, dump(self->dev, fd, 0, 0));
	close(fd);
}

/* Directories and character devices (/dev/null, the device itself): EINVAL. */
TEST_F(livedump, not_file_pipe_socket_einval)
{
	int dir = open("/", O_RDONLY | O_DIRECTORY);
	int null = open("/dev/null", O_WRONLY);

	ASSERT_GE(dir, 0);
	ASSERT_GE(null, 0);
	EXPECT_EQ(EINVAL, dump(self->dev, dir, 0, 0));
	EXPECT_EQ(EINVAL, dump(self->dev, null, 0, 0));
	EXPECT_EQ(EINVAL, dump(self->dev, self->dev, 0, 0));
	close(dir);
	close(null);
}

/* A regular file or pipe end not open for writing: EBADF. */
TEST_F(livedump, not_writable_ebadf)
{
	int fd = open("/proc/self/exe", O_RDONLY);

	ASSERT_GE(fd, 0);
	EXPECT_EQ(EBADF, dump(self->dev, fd, 0, 0));
	EXPECT_EQ(EBADF, dump(self->dev, self->pipe[0], 0, 0));
	/* the descriptor comes before the compression */
	EXPECT_EQ(EBADF, dump(self->dev, fd, 0, 3));
	close(fd);
}

/* Compression other than NONE, GZIP, ZSTD: EINVAL. */
TEST_F(livedump, bad_compression_einval)
{
	EXPECT_EQ(EINVAL, dump(self->dev, self->pipe[1], 0, 3));
	EXPECT_EQ(EINVAL, dump(self->dev, self->pipe[1], 0, 255));
}

/* A regular file opened O_APPEND (or O_DIRECT) cannot take positions. */
TEST_F(livedump, append_direct_einval)
{
	char path[300];
	int fd;

	snprintf(path, sizeof(path), "%s/livedump.flags", outdir());
	fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0600);
	ASSERT_GE(fd, 0);
	EXPECT_EQ(EINVAL, dump(self->dev, fd, 0, 0));
	close(fd);
	fd = open(path, O_WRONLY | O_DIRECT);
	if (fd < 0) {
		TH_LOG("%s: no O_DIRECT here, only O_APPEND tested", outdir());
	} else {
		EXPECT_EQ(EINVAL, dump(self->dev, fd, 0, 0));
		close(fd);
	}
	unlink(path);
}

/* Non-blocking pipes, datagram and seqpacket sockets: EINVAL. */
TEST_F(livedump, nonblock_dgram_seqpacket_einval)
{
	int dg[2], sp[2];

	ASSERT_EQ(0, fcntl(self->pipe[1], F_SETFL, O_NONBLOCK));
	EXPECT_EQ(EINVAL, dump(self->dev, self->pipe[1], 0, 0));
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_DGRAM, 0, dg));
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sp));
	EXPECT_EQ(EINVAL, dump(self->dev, dg[1], 0, 0));
	EXPECT_EQ(EINVAL, dump(self->dev, sp[1], 0, 0));
	close(dg[0]);
	close(dg[1]);
	close(sp[0]);
	close(sp[1]);
}

static int set_param(const char *name, const char *value)
{
	char path[128];
	int fd, err = 0;

	snprintf(path, sizeof(path), "/sys/module/bsdmem/parameters/%s", name);
	fd = open(path, O_WRONLY);
	if (fd < 0)
		return errno;
	if (write(fd, value, strlen(value)) < 0)
		err = errno;
	close(fd);
	return err;
}

/* gzip_level is 1-9 and zstd_level 1-19: other values are EINVAL. */
TEST_F(livedump, level_params_range)
{
	EXPECT_EQ(EINVAL, set_param("gzip_level", "0"));
	EXPECT_EQ(EINVAL, set_param("gzip_level", "10"));
	EXPECT_EQ(EINVAL, set_param("zstd_level", "0"));
	EXPECT_EQ(EINVAL, set_param("zstd_level", "20"));
	EXPECT_EQ(EINVAL, set_param("zstd_level", "-1"));
	EXPECT_EQ(0, set_param("gzip_level", "9"));
	EXPECT_EQ(0, set_param("zstd_level", "19"));
	EXPECT_EQ(0, set_param("gzip_level", "6"));
	EXPECT_EQ(0, set_param("zstd_level", "3"));
}

/* Without CAP_SYS_RAWIO (even as root): EPERM, before anything else. */
TEST_F(livedump, no_rawio_eperm)
{
	int status;
	pid_t pid = fork();

	ASSERT_GE(pid, 0);
	if (!pid) {
		if (bt_drop_rawio())
			_exit(2);
		_exit(dump(self->dev, -1, 1, 9) == EPERM ? 0 : 1);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_EQ(0, WEXITSTATUS(status));
}

/* Nothing runs: the progress file reads "0 0". */
TEST_F(livedump, progress_idle)
{
	uint64_t done, total;

	progress(&done, &total);
	EXPECT_EQ(0ULL, done);
	EXPECT_EQ(0ULL, total);
}

struct blocked {
	int dev, fd, err;
};

static void *blocked_dump(void *arg)
{
	struct blocked *b = arg;

	b->err = dump(b->dev, b->fd, 0, 0);
	return NULL;
}

/*
 * A dump stuck on a full pipe shows progress and makes a second one EBUSY;
 * closing the reader ends it with EPIPE; then the next dump works.
 */
TEST_F_TIMEOUT(livedump, busy_progress_epipe, 120)
{
	struct blocked b = { .dev = self->dev, .fd = self->pipe[1] };
	uint64_t done = 0, total = 0;
	struct drain d;
	pthread_t t;
	int i;

	ASSERT_EQ(0, pthread_create(&t, NULL, blocked_dump, &b));
	for (i = 0; i < 300 && !total; i++) {
		usleep(100000);
		progress(&done, &total);
	}
	EXPECT_GT(total, 1000ULL);
	EXPECT_LT(done, total);
	EXPECT_EQ(EBUSY, dump(self->dev, self->pipe[1], 0, 0));
	close(self->pipe[0]);
	pthread_join(t, NULL);
	EXPECT_EQ(EPIPE, b.err);
	progress(&done, &total);
	EXPECT_EQ(0ULL, total);
	EXPECT_EQ(0, dump_stream(_metadata, self->dev, &d, 0, 0, 0));
	free(d.head);
	self->pipe[0] = open("/dev/null", O_RDONLY);
}

static void on_sigint(int sig)
{
}

struct killer {
	pthread_t target;
	struct timespec sent;
};

static void *send_sigint(void *arg)
{
	struct killer *k = arg;

	usleep(500000);
	clock_gettime(CLOCK_MONOTONIC, &k->sent);
	pthread_kill(k->target, SIGINT);
	return NULL;
}

/* A caught SIGINT stops a (gzip) dump with EINTR at once; the next works. */
TEST_F_TIMEOUT(livedump, sigint_eintr, 300)
{
	struct sigaction sa = { .sa_handler = on_sigint };	/* no SA_RESTART */
	struct killer k = { .target = pthread_self() };
	struct timespec now;
	struct drain d;
	pthread_t t;
	double late;

	ASSERT_EQ(0, sigaction(SIGINT, &sa, NULL));
	ASSERT_EQ(0, pthread_create(&t, NULL, send_sigint, &k));
	EXPECT_EQ(EINTR, dump_stream(_metadata, self->dev, &d, 0, 0,
				     KERNELDUMP_COMP_GZIP));
	clock_gettime(CLOCK_MONOTONIC, &now);
	pthread_join(t, NULL);
	late = now.tv_sec - k.sent.tv_sec + (now.tv_nsec - k.sent.tv_nsec) / 1e9;
	TH_LOG("EINTR %.3f s after SIGINT, %" PRIu64 " bytes out", late, d.total);
	EXPECT_LT(late, 2.0);
	free(d.head);
	EXPECT_EQ(0, dump_stream(_metadata, self->dev, &d, 0, 0, 0));
	EXPECT_NE(0ULL, check_trailer(_metadata, d.tail, d.total, 0));
	free(d.head);
}

/* A file system that fills up gives ENOSPC; the next dump elsewhere works. */
TEST_F_TIMEOUT(livedump, enospc_then_ok, 120)
{
	char dir[] = "/tmp/livedump.XXXXXX", path[64];
	struct drain d;
	int fd;

	ASSERT_NE(NULL, mkdtemp(dir));
	ASSERT_EQ(0, mount("none", dir, "tmpfs", 0, "size=1m"));
	snprintf(path, sizeof(path), "%s/core", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ASSERT_GE(fd, 0);
	EXPECT_EQ(ENOSPC, dump(self->dev, fd, 0, 0));
	close(fd);
	umount(dir);
	rmdir(dir);
	EXPECT_EQ(0, dump_stream(_metadata, self->dev, &d, 0, 0, 0));
	EXPECT_NE(0ULL, check_trailer(_metadata, d.tail, d.total, 0));
	free(d.head);
}

/* The msgbuf section holds a line written to /dev/kmsg just before. */
TEST_F_TIMEOUT(livedump, kmsg_line_in_msgbuf, 120)
{
	char marker[64];
	struct drain d;
	struct md m;
	int fd = open("/dev/kmsg", O_WRONLY);

	ASSERT_GE(fd, 0);
	snprintf(marker, sizeof(marker), "livedump_test marker %d\n", getpid());
	ASSERT_EQ((ssize_t)strlen(marker), write(fd, marker, strlen(marker)));
	close(fd);
	ASSERT_EQ(0, dump_stream(_metadata, self->dev, &d, 0, 0, 0));
	ASSERT_EQ(0, md_open(&m, d.head, d.total));
	EXPECT_NE(NULL, memmem(d.head + PG, m.h.msgbufsize, marker,
			       strlen(marker)));
	EXPECT_EQ('\n', d.head[PG + m.h.msgbufsize - 1]);
	free(d.head);
}

/* MEM_KERNELDUMP_ALLRAM holds about all of RAM, and is still well formed. */
TEST_F_TIMEOUT(livedump, allram_to_pipe, 300)
{
	unsigned long long memtotal = 0;
	char meminfo[4096];
	struct mem_extract me;
	uint8_t *buf;
	uint64_t extent;
	struct drain d;
	struct md m;

	/* a user page: in an ALLRAM dump, at its physical address */
	buf = bt_alloc_pinned(PG);
	ASSERT_NE(NULL, buf);
	bt_fill(buf, PG, 77);
	ASSERT_EQ(0, bt_extract(self->dev, (uintptr_t)buf, 0, 0, &me));
	ASSERT_EQ(ME_STATE_MAPPED, me.me_state);

	ASSERT_GT(bt_read_file("/proc/meminfo", meminfo, sizeof(meminfo)), 0);
	sscanf(meminfo, "MemTotal: %llu kB", &memtotal);
	ASSERT_EQ(0, dump_stream_want(_metadata, self->dev, &d, 0,
				      MEM_KERNELDUMP_ALLRAM, 0, me.me_paddr));
	extent = check_trailer(_metadata, d.tail, d.total, 0);
	ASSERT_NE(0ULL, extent);
	check_body(_metadata, &m, d.head, HEAD_MAX, extent);
	EXPECT_GT(m.ndata * 4, memtotal * 9 / 10);
	/* every page of every System RAM range is readable here: all dumped */
	EXPECT_EQ(m.nbits, m.ndata);
	ASSERT_LE(0, d.want_off);
	EXPECT_EQ(0, memcmp(d.want, buf, PG));
	free(d.head);
	bt_free_pinned(buf, PG);
}

/* A dump whose caller is killed stops promptly; the next one works. */
TEST_F_TIMEOUT(livedump, sigkill_then_ok, 300)
{
	uint64_t done = 0, total = 0;
	struct timespec t0, t1;
	struct drain d;
	pid_t pid;
	int i, status;

	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		dump_stream(_metadata, self->dev, &d, 0, 0, KERNELDUMP_COMP_GZIP);
		_exit(0);
	}
	for (i = 0; i < 1000 && !total; i++) {
		usleep(10000);
		progress(&done, &total);
	}
	ASSERT_NE(0ULL, total) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ASSERT_EQ(0, kill(pid, SIGKILL));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	clock_gettime(CLOCK_MONOTONIC, &t1);
	EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	EXPECT_LT(t1.tv_sec - t0.tv_sec, 3);
	progress(&done, &total);
	EXPECT_EQ(0ULL, total);
	EXPECT_EQ(0, dump_stream(_metadata, self->dev, &d, 0, 0, 0));
	EXPECT_NE(0ULL, check_trailer(_metadata, d.tail, d.total, 0));
	free(d.head);
}

FIXTURE(codec) {
	int dev;
};

FIXTURE_VARIANT(codec) {
	int comp;
	const char *name;
};

FIXTURE_VARIANT_ADD(codec, none) { .comp = KERNELDUMP_COMP_NONE, .name = "none" };
FIXTURE_VARIANT_ADD(codec, gzip) { .comp = KERNELDUMP_COMP_GZIP, .name = "gzip" };
FIXTURE_VARIANT_ADD(codec, zstd) { .comp = KERNELDUMP_COMP_ZSTD, .name = "zstd" };

FIXTURE_SETUP(codec)
{
	if (geteuid())
		SETUP_SKIP("must run as root");
	self->dev = open(_PATH_BSDMEM, O_RDONLY);
	if (self->dev < 0)
		SETUP_SKIP("%s missing: is bsdmem loaded?", _PATH_BSDMEM);
	signal(SIGPIPE, SIG_IGN);
}

FIXTURE_TEARDOWN(codec)
{
	close(self->dev);
}

/* The stream starts as its format says: minidump, gzip or zstd magic. */
static void check_stream(struct __test_metadata *_metadata, const uint8_t *p,
			 int comp)
{
	static const uint8_t gz[10] = { 0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3 };
	static const uint8_t zs[4] = { 0x28, 0xb5, 0x2f, 0xfd };

	const void *magic = comp == KERNELDUMP_COMP_GZIP ? gz :
			    comp == KERNELDUMP_COMP_ZSTD ? zs : (const void *)"minidump";
	size_t len = comp == KERNELDUMP_COMP_GZIP ? sizeof(gz) : 4;

	EXPECT_EQ(0, memcmp(p, magic, len));
}

/*
 * A regular file is written from offset 0 whatever its position, and cut
 * to end at the trailer; raw dumps also pass the reader checks.
 */
TEST_F_TIMEOUT(codec, to_file, 300)
{
	struct timespec t0, t1;
	char path[300];
	uint64_t extent;
	struct stat st;
	struct md m;
	uint8_t *p;
	int fd;

	snprintf(path, sizeof(path), "%s/livecore.%s", outdir(), variant->name);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, ftruncate(fd, 300 << 20));
	ASSERT_EQ(12345, lseek(fd, 12345, SEEK_SET));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ASSERT_EQ(0, dump(self->dev, fd, 0, variant->comp));
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ASSERT_EQ(0, fstat(fd, &st));
	ASSERT_LT(st.st_size, 300 << 20);
	p = malloc(st.st_size);	/* 9p shares cannot mmap shared */
	ASSERT_NE(NULL, p);
	ASSERT_EQ(st.st_size, pread(fd, p, st.st_size, 0));
	check_stream(_metadata, p, variant->comp);
	extent = check_trailer(_metadata, p + st.st_size - 512, st.st_size,
			       variant->comp);
	TH_LOG("%s: %lld bytes, body %" PRIu64 ", %.1f s", path,
	       (long long)st.st_size, extent, t1.tv_sec - t0.tv_sec +
	       (t1.tv_nsec - t0.tv_nsec) / 1e9);
	if (variant->comp == KERNELDUMP_COMP_NONE && extent) {
		check_body(_metadata, &m, p, extent, extent);
		check_banner(_metadata, &m);
		check_dmap(_metadata, self->dev, &m);
	}
	free(p);
	close(fd);
	run_reader(_metadata, path);
	if (!getenv("BSDMEM_SHARE"))
		unlink(path);
}

/* Through a pipe: the same bytes in order, padding and trailer included. */
TEST_F_TIMEOUT(codec, to_pipe, 300)
{
	uint64_t extent;
	struct drain d;
	struct md m;

	ASSERT_EQ(0, dump_stream(_metadata, self->dev, &d, 0, 0, variant->comp));
	check_stream(_metadata, d.head, variant->comp);
	extent = check_trailer(_metadata, d.tail, d.total, variant->comp);
	if (variant->comp == KERNELDUMP_COMP_NONE && extent)
		check_body(_metadata, &m, d.head, HEAD_MAX, extent);
	free(d.head);
}

/* Through a stream socket, as `bsdlivedump - | ssh host 'cat > core'`. */
TEST_F_TIMEOUT(codec, to_socket, 300)
{
	uint64_t extent;
	struct drain d;

	ASSERT_EQ(0, dump_stream(_metadata, self->dev, &d, SOCK_STREAM, 0,
				 variant->comp));
	check_stream(_metadata, d.head, variant->comp);
	extent = check_trailer(_metadata, d.tail, d.total, variant->comp);
	EXPECT_NE(0ULL, extent);
	free(d.head);
}

TEST_HARNESS_MAIN
