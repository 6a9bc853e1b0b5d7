// SPDX-License-Identifier: GPL-2.0
/*
 * benchg: the guest side of "make bench" (scripts/bench-guest.sh), the
 * measurements busybox cannot make. Every figure goes to stdout as plain
 * numbers for the script to put in its result lines.
 *
 *   benchg time OUT CMD [ARG...]  run CMD; write its wall time in seconds
 *                                 to OUT; exit with CMD's status
 *   benchg readall DEV            read every System RAM byte (/proc/iomem)
 *                                 through DEV, /dev/bsdmem or /proc/kcore, in
 *                                 1 MiB preads, whole pages only:
 *                                 "MBPS BYTES SECONDS"
 *   benchg extract PAGES PASSES   ns per MEM_EXTRACT_PADDR on /dev/bsdmem
 *   benchg pagemap PAGES PASSES   ns per 8-byte pread of /proc/self/pagemap
 *                                 (both over PAGES touched anonymous pages)
 *   benchg zstd IN OUT            userspace zstd, level 3, one thread
 *   benchg gzip IN OUT            userspace gzip (zlib), level 6
 *                                 both print "SECONDS BYTES_OUT"
 *   benchg classes DUMP           the pages of a dump (any codec) and of RAM by
 *                                 their /proc/kpageflags class (classes.c)
 * Exit 0 on success, 1 on failure, 2 on bad usage.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <sys/memrange.h>
#include <zlib.h>
#include <zstd.h>

#include "benchg.h"

#define CHUNK (1u << 20)
#define MAX_RANGES 256

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int benchg_die(const char *what)
{
	fprintf(stderr, "benchg: %s: %s\n", what, strerror(errno));
	return 1;
}

int benchg_bad(const char *what)
{
	fprintf(stderr, "benchg: %s\n", what);
	return 1;
}

static int cmd_time(char **argv)
{
	double t0 = now(), t;
	int status;
	pid_t pid;
	FILE *f;

	pid = fork();
	if (pid < 0)
		return benchg_die("fork");
	if (pid == 0) {
		execvp(argv[1], argv + 1);
		fprintf(stderr, "benchg: %s: %s\n", argv[1], strerror(errno));
		_exit(127);
	}
	if (waitpid(pid, &status, 0) < 0)
		return benchg_die("waitpid");
	t = now() - t0;
	f = fopen(argv[0], "w");
	if (!f)
		return benchg_die(argv[0]);
	fprintf(f, "%.3f\n", t);
	if (fclose(f))
		return benchg_die(argv[0]);
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return 128 + WTERMSIG(status);
}

struct range {
	uint64_t start, end;	/* [start, end) */
};

/* The top-level "System RAM" lines of /proc/iomem (needs root). */
static int ram_ranges(struct range *r)
{
	char line[256];
	int n = 0;
	FILE *f = fopen("/proc/iomem", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f) && n < MAX_RANGES) {
		uint64_t s, e;

		if (line[0] == ' ' || !strstr(line, ": System RAM"))
			continue;
		if (sscanf(line, "%" SCNx64 "-%" SCNx64, &s, &e) != 2 || e <= s)
			continue;
		/*
		 * Whole pages only: /proc/kcore holds none of a page the
		 * range covers in part (the firmware's 0x9fc00 end).
		 */
		s = (s + 4095) & ~4095ULL;
		e = (e + 1) & ~4095ULL;
		if (e <= s)
			continue;
		r[n].start = s;
		r[n].end = e;
		n++;
	}
	fclose(f);
	return n;
}

/*
 * For /proc/kcore: the file offset of physical address pa, from the PT_LOAD
 * that holds it in the direct map (the largest one holding it: the kernel
 * text's segment covers a few MiB of the same RAM). 0 when none does.
 */
static uint64_t kcore_offset(const Elf64_Phdr *ph, int nph, uint64_t pa,
			     uint64_t *avail)
{
	const Elf64_Phdr *best = NULL;
	int i;

	for (i = 0; i < nph; i++) {
		if (ph[i].p_type != PT_LOAD || ph[i].p_paddr == (Elf64_Addr)-1)
			continue;
		if (pa < ph[i].p_paddr || pa >= ph[i].p_paddr + ph[i].p_filesz)
			continue;
		if (!best || ph[i].p_filesz > best->p_filesz)
			best = &ph[i];
	}
	if (!best)
		return 0;
	*avail = best->p_paddr + best->p_filesz - pa;
	return best->p_offset + (pa - best->p_paddr);
}

static int cmd_readall(const char *dev)
{
	struct range r[MAX_RANGES];
	Elf64_Phdr *ph = NULL;
	uint64_t total = 0;
	int n, i, fd, nph = 0, kcore = strstr(dev, "kcore") != NULL;
	char *buf;
	double t0, t;

	n = ram_ranges(r);
	if (n <= 0)
		return benchg_bad("no System RAM in /proc/iomem (not root?)");
	fd = open(dev, O_RDONLY);
	if (fd < 0)
		return benchg_die(dev);
	buf = aligned_alloc(4096, CHUNK);
	if (!buf)
		return benchg_die("malloc");
	if (kcore) {
		Elf64_Ehdr eh;

		if (pread(fd, &eh, sizeof(eh), 0) != sizeof(eh) ||
		    memcmp(eh.e_ident, ELFMAG, SELFMAG))
			return benchg_bad("/proc/kcore: no ELF header");
		nph = eh.e_phnum;
		ph = calloc(nph, sizeof(*ph));
		if (!ph || pread(fd, ph, nph * sizeof(*ph), eh.e_phoff) !=
			   (ssize_t)(nph * sizeof(*ph)))
			return benchg_die("/proc/kcore program headers");
	}
	t0 = now();
	for (i = 0; i < n; i++) {
		uint64_t pa = r[i].start;

		while (pa < r[i].end) {
			uint64_t len = r[i].end - pa, off = pa, avail = len;
			ssize_t got;

			if (len > CHUNK - pa % CHUNK)
				len = CHUNK - pa % CHUNK;
			if (kcore) {
				off = kcore_offset(ph, nph, pa, &avail);
				if (!off) {
					fprintf(stderr, "benchg: /proc/kcore has no segment for 0x%" PRIx64 "\n", pa);
					return 1;
				}
				if (len > avail)
					len = avail;
			}
			got = pread(fd, buf, len, off);
			if (got <= 0) {
				fprintf(stderr, "benchg: %s at 0x%" PRIx64 ": %s\n", dev, pa,
					got ? strerror(errno) : "end of file");
				return 1;
			}
			total += got;
			pa += got;
		}
	}
	t = now() - t0;
	printf("%.1f %" PRIu64 " %.3f\n", total / t / 1e6, total, t);
	return 0;
}

static int cmd_xlate(int extract, long pages, long passes)
{
	long pg = sysconf(_SC_PAGESIZE), i, p;
	int fd = open(extract ? "/dev/bsdmem" : "/proc/self/pagemap", O_RDONLY);
	char *a;
	double t0, t;

	if (fd < 0)
		return benchg_die(extract ? "/dev/bsdmem" : "/proc/self/pagemap");
	a = mmap(NULL, pages * pg, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (a == MAP_FAILED)
		return benchg_die("mmap");
	for (i = 0; i < pages; i++)
		a[i * pg] = 1;
	t0 = now();
	for (p = 0; p < passes; p++) {
		for (i = 0; i < pages; i++) {
			uintptr_t va = (uintptr_t)a + i * pg;

			if (extract) {
				struct mem_extract me;

				memset(&me, 0, sizeof(me));
				me.me_vaddr = va;
				if (ioctl(fd, MEM_EXTRACT_PADDR, &me) < 0)
					return benchg_die("MEM_EXTRACT_PADDR");
				if (!(me.me_state & ME_STATE_MAPPED))
					return benchg_bad("MEM_EXTRACT_PADDR: a touched page is not mapped");
			} else {
				uint64_t ent;

				if (pread(fd, &ent, 8, va / pg * 8) != 8)
					return benchg_die("pagemap pread");
				if (!(ent >> 63))
					return benchg_bad("pagemap: a touched page is not present");
			}
		}
	}
	t = now() - t0;
	printf("%.0f\n", t * 1e9 / ((double)pages * passes));
	return 0;
}

/* Reads IN into buf up to CHUNK bytes: the count, 0 at the end, -1 on error. */
static ssize_t fill(int fd, char *buf)
{
	size_t have = 0;

	while (have < CHUNK) {
		ssize_t n = read(fd, buf + have, CHUNK - have);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			break;
		have += n;
	}
	return have;
}

static int write_all(int fd, const void *p, size_t n)
{
	const char *c = p;

	while (n) {
		ssize_t w = write(fd, c, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		c += w;
		n -= w;
	}
	return 0;
}

static int cmd_compress(int zstd, const char *in, const char *out)
{
	int ifd = open(in, O_RDONLY), ofd;
	size_t obufsz = zstd ? ZSTD_CStreamOutSize() : CHUNK;
	char *ibuf = malloc(CHUNK), *obuf = malloc(obufsz);
	uint64_t total = 0;
	ZSTD_CCtx *zc = NULL;
	z_stream zs;
	double t0, t;
	ssize_t n;
	int last = 0;

	if (ifd < 0)
		return benchg_die(in);
	ofd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (ofd < 0)
		return benchg_die(out);
	if (!ibuf || !obuf)
		return benchg_die("malloc");
	t0 = now();
	if (zstd) {
		zc = ZSTD_createCCtx();
		if (!zc || ZSTD_isError(ZSTD_CCtx_setParameter(zc, ZSTD_c_compressionLevel, 3)) ||
		    ZSTD_isError(ZSTD_CCtx_setParameter(zc, ZSTD_c_checksumFlag, 1)))
			return benchg_bad("zstd: cannot set up the context");
	} else {
		memset(&zs, 0, sizeof(zs));
		/* 15 + 16: a gzip member, as gzip -6 writes. */
		if (deflateInit2(&zs, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
			return benchg_bad("zlib: deflateInit2 failed");
	}
	while (!last) {
		n = fill(ifd, ibuf);
		if (n < 0)
			return benchg_die(in);
		last = n < CHUNK;
		if (zstd) {
			ZSTD_inBuffer ib = { ibuf, n, 0 };
			size_t left;

			do {
				ZSTD_outBuffer ob = { obuf, obufsz, 0 };

				left = ZSTD_compressStream2(zc, &ob, &ib,
							    last ? ZSTD_e_end : ZSTD_e_continue);
				if (ZSTD_isError(left))
					return benchg_bad(ZSTD_getErrorName(left));
				if (write_all(ofd, obuf, ob.pos))
					return benchg_die(out);
				total += ob.pos;
			} while (last ? left != 0 : ib.pos < ib.size);
		} else {
			int rc;

			zs.next_in = (unsigned char *)ibuf;
			zs.avail_in = n;
			do {
				zs.next_out = (unsigned char *)obuf;
				zs.avail_out = obufsz;
				rc = deflate(&zs, last ? Z_FINISH : Z_NO_FLUSH);
				if (rc == Z_STREAM_ERROR)
					return benchg_bad("zlib: deflate failed");
				if (write_all(ofd, obuf, obufsz - zs.avail_out))
					return benchg_die(out);
				total += obufsz - zs.avail_out;
			} while (zs.avail_out == 0 || (last && rc != Z_STREAM_END));
		}
	}
	if (zstd)
		ZSTD_freeCCtx(zc);
	else
		deflateEnd(&zs);
	if (close(ofd))
		return benchg_die(out);
	t = now() - t0;
	close(ifd);
	printf("%.3f %" PRIu64 "\n", t, total);
	return 0;
}

static int usage(void)
{
	fputs("usage: benchg time OUT CMD [ARG...]\n"
	      "       benchg readall /dev/bsdmem|/proc/kcore\n"
	      "       benchg extract|pagemap PAGES PASSES\n"
	      "       benchg zstd|gzip IN OUT\n"
	      "       benchg classes DUMP\n", stderr);
	return 2;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return usage();
	if (!strcmp(argv[1], "time") && argc >= 4)
		return cmd_time(argv + 2);
	if (!strcmp(argv[1], "readall") && argc == 3)
		return cmd_readall(argv[2]);
	if ((!strcmp(argv[1], "extract") || !strcmp(argv[1], "pagemap")) && argc == 4) {
		long pages = atol(argv[2]), passes = atol(argv[3]);

		if (pages <= 0 || passes <= 0)
			return usage();
		return cmd_xlate(argv[1][0] == 'e', pages, passes);
	}
	if ((!strcmp(argv[1], "zstd") || !strcmp(argv[1], "gzip")) && argc == 4)
		return cmd_compress(argv[1][0] == 'z', argv[2], argv[3]);
	if (!strcmp(argv[1], "classes") && argc == 3)
		return benchg_classes(argv[2]);
	return usage();
}
