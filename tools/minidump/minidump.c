// SPDX-License-Identifier: GPL-2.0
/*
 * minidump(1): check, inspect and read bsdmem's live FreeBSD amd64
 * minidumps (raw, gzip or zstd; with or without the kerneldumpheader
 * trailer). Exit status: 0 success, 1 a check failed or an address is
 * not in the dump, 2 usage or I/O error.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "minidump.h"
#include "bsdmem_version.h"

#define EX_OK		0
#define EX_FAIL		1
#define EX_USAGE	2
#define READ_CHUNK	(64u << 10)

static int usage(void)
{
	fputs("usage: minidump check FILE|-\n"
	      "       minidump info FILE|-\n"
	      "       minidump read [-x] FILE|- ADDR LEN\n"
	      "       minidump log FILE|-\n"
	      "       minidump --version\n", stderr);
	return EX_USAGE;
}

static int report(const char *cmd, int err, const struct md_error *e)
{
	fprintf(stderr, "minidump: %s: %s: %s\n", cmd, e->rule, e->detail);
	if (!strcmp(e->rule, "io"))
		return EX_USAGE;
	return (err == -EBADMSG || err == -EFAULT || err == -ENOENT) ?
	       EX_FAIL : EX_USAGE;
}

static int cmd_check(const char *path)
{
	struct md_check_summary *s = calloc(1, sizeof(*s));
	struct md_error e = { "", "" };
	const struct md_stream_info *i;
	int fd, err, ret;

	if (!s)
		return EX_USAGE;
	fd = strcmp(path, "-") ? open(path, O_RDONLY) : 0;
	if (fd < 0) {
		fprintf(stderr, "minidump: check: io: %s: %s\n", path, strerror(errno));
		free(s);
		return EX_USAGE;
	}
	err = md_check_fd(fd, s, &e);
	if (fd)
		close(fd);
	i = &s->info;
	ret = err ? report("check", err, &e) : EX_OK;
	if (!err) {
		printf("ok: %s, %s, body %" PRIu64 " bytes", md_format_name(i->fmt),
		       i->has_trailer ? "trailer" : "no trailer", i->body_len);
		if (i->fmt != MD_FMT_RAW)
			printf(", compressed %" PRIu64 " bytes", i->comp_len);
		printf(", %" PRIu64 " of %" PRIu64 " pages dumped in %zu ranges, msgbuf %u bytes, %d-level paging\n",
		       s->dumped_pages, s->total_pages, s->nranges,
		       s->h.hdr.msgbufsize,
		       (s->h.ext.flags & MINIDUMP_LINUX_LA57) ? 5 : 4);
	}
	free(s);
	return ret;
}

static void info_trailer(const struct md_trailer *t)
{
	size_t n = strlen(t->versionstring);

	printf("kdh.magic: %s\nkdh.architecture: %s\nkdh.version: %u\n",
	       t->magic, t->architecture, t->version);
	printf("kdh.architectureversion: %u\nkdh.dumplength: %" PRIu64 "\n",
	       t->architectureversion, t->dumplength);
	printf("kdh.dumptime: %" PRIu64 "\nkdh.dumpkeysize: %u\nkdh.blocksize: %u\n",
	       t->dumptime, t->dumpkeysize, t->blocksize);
	while (n && t->versionstring[n - 1] == '\n')
		n--;
	printf("kdh.hostname: %s\nkdh.versionstring: %.*s\nkdh.panicstring: %s\n",
	       t->hostname, (int)n, t->versionstring, t->panicstring);
	printf("kdh.compression: %u\nkdh.dumpextent: %" PRIu64 "\nkdh.parity: 0x%08x\n",
	       t->compression, t->dumpextent, t->parity);
}

static void info_header(const struct md_dump *d)
{
	const struct minidumphdr *m = &d->h.hdr;
	const struct minidump_linux *x = &d->h.ext;
	size_t i;

	printf("magic: %.24s\nversion: %u\nmsgbufsize: %u\nbitmapsize: %u\n",
	       m->magic, m->version, m->msgbufsize, m->bitmapsize);
	printf("pmapsize: %u\nkernbase: 0x%" PRIx64 "\ndmapbase: 0x%" PRIx64 "\n",
	       m->pmapsize, m->kernbase, m->dmapbase);
	printf("dmapend: 0x%" PRIx64 "\ndumpavailsize: %u\n", m->dmapend,
	       m->dumpavailsize);
	for (i = 0; i < d->map.nranges; i++)
		printf("dump_avail.%zu: 0x%" PRIx64 "-0x%" PRIx64 "\n", i,
		       d->map.ranges[i].start, d->map.ranges[i].end);
	printf("pages.total: %" PRIu64 "\npages.dumped: %" PRIu64 "\n",
	       d->map.total_pages, d->map.popcount);
	printf("linux.magic: %.16s\nlinux.version: %u\nlinux.flags: 0x%x%s\n",
	       x->magic, x->version, x->flags,
	       (x->flags & MINIDUMP_LINUX_LA57) ? " (la57)" : "");
	printf("linux.pgtable_root: 0x%" PRIx64 "\nlinux.page_offset_base: 0x%" PRIx64 "\n",
	       x->pgtable_root, x->page_offset_base);
	printf("linux.vmalloc_base: 0x%" PRIx64 "\nlinux.vmemmap_base: 0x%" PRIx64 "\n",
	       x->vmalloc_base, x->vmemmap_base);
	printf("linux.phys_base: 0x%" PRIx64 "\nlinux.vmcoreinfo_paddr: 0x%" PRIx64 "\n",
	       x->phys_base, x->vmcoreinfo_paddr);
	printf("linux.vmcoreinfo_size: %" PRIu64 "\n", x->vmcoreinfo_size);
}

static int cmd_info(const struct md_dump *d)
{
	const struct md_stream_info *i = &d->info;

	printf("format: %s\ntrailer: %s\nfile.size: %" PRIu64 "\nbody.size: %" PRIu64 "\n",
	       md_format_name(i->fmt), i->has_trailer ? "yes" : "no",
	       i->file_size, i->body_len);
	if (i->fmt != MD_FMT_RAW)
		printf("compressed.size: %" PRIu64 "\n", i->comp_len);
	if (i->has_trailer)
		info_trailer(&i->trailer);
	info_header(d);
	return EX_OK;
}

static int cmd_log(const struct md_dump *d)
{
	uint64_t off = d->h.msgbuf_off, left = d->h.hdr.msgbufsize, n;
	struct md_error e = { "", "" };
	uint8_t buf[READ_CHUNK];
	int err;

	for (; left; left -= n, off += n) {
		n = left < sizeof(buf) ? left : sizeof(buf);
		err = md_read_body(d, off, buf, n, &e);
		if (err)
			return report("log", err, &e);
		if (fwrite(buf, 1, n, stdout) != n)
			return EX_USAGE;
	}
	return EX_OK;
}

static void hexline(uint64_t va, const uint8_t *p, size_t n)
{
	size_t i;

	printf("%016" PRIx64 " ", va);
	for (i = 0; i < 16; i++) {
		if (i == 8)
			putchar(' ');
		if (i < n)
			printf(" %02x", p[i]);
		else
			fputs("   ", stdout);
	}
	fputs("  |", stdout);
	for (i = 0; i < n; i++)
		putchar(p[i] >= 0x20 && p[i] < 0x7f ? p[i] : '.');
	puts("|");
}

static int cmd_read(const struct md_dump *d, uint64_t va, uint64_t len, bool hex)
{
	struct md_error e = { "", "" };
	uint8_t buf[READ_CHUNK];
	uint64_t n, i;
	int err;

	/* Translate everything first: no partial output on failure. */
	err = md_read_kva(d, va, NULL, len, &e);
	if (err)
		return report("read", err, &e);
	for (; len; len -= n, va += n) {
		n = len < sizeof(buf) ? len : sizeof(buf);
		err = md_read_kva(d, va, buf, n, &e);
		if (err)
			return report("read", err, &e);
		if (!hex && fwrite(buf, 1, n, stdout) != n)
			return EX_USAGE;
		for (i = 0; hex && i < n; i += 16)
			hexline(va + i, buf + i, n - i < 16 ? n - i : 16);
	}
	return EX_OK;
}

static bool parse_u64(const char *s, uint64_t *v)
{
	char *end;

	errno = 0;
	*v = strtoull(s, &end, 0);
	return *s && *s != '-' && !*end && !errno;
}

static int with_dump(const char *cmd, int argc, char **argv)
{
	struct md_error e = { "", "" };
	struct md_dump *d;
	uint64_t va = 0, len = 0;
	bool hex = argc > 0 && !strcmp(argv[0], "-x");
	int err, ret;

	argc -= hex;
	argv += hex;
	if (strcmp(cmd, "read") ? (hex || argc != 1) : argc != 3)
		return usage();
	if (argc == 3 && (!parse_u64(argv[1], &va) || !parse_u64(argv[2], &len) ||
			  (len && va + (len - 1) < va))) {
		fprintf(stderr, "minidump: read: bad ADDR or LEN: %s %s\n", argv[1], argv[2]);
		return EX_USAGE;
	}
	err = md_open(&d, argv[0], &e);
	if (err)
		return report(cmd, err, &e);
	if (!strcmp(cmd, "info"))
		ret = cmd_info(d);
	else if (!strcmp(cmd, "log"))
		ret = cmd_log(d);
	else
		ret = cmd_read(d, va, len, hex);
	md_close(d);
	if (fflush(stdout) == EOF && ret == EX_OK)
		ret = EX_USAGE;
	return ret;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return usage();
	if (argc == 2 && !strcmp(argv[1], "--version")) {
		printf("minidump (bsdmem) %s\n", BSDMEM_VERSION);
		return EX_OK;
	}
	if (!strcmp(argv[1], "check"))
		return argc == 3 ? cmd_check(argv[2]) : usage();
	if (!strcmp(argv[1], "info") || !strcmp(argv[1], "log") ||
	    !strcmp(argv[1], "read"))
		return with_dump(argv[1], argc - 2, argv + 2);
	return usage();
}
