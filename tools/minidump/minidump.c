// SPDX-License-Identifier: GPL-2.0
/*
 * minidump(1): check, inspect and read bsdmem's live FreeBSD amd64
 * minidumps (raw, gzip or zstd; with or without the kerneldumpheader
 * trailer), and convert them to ELF vmcores. check, info, log, vmcoreinfo
 * and elf read compressed input and pipes in one streaming pass (a raw
 * regular file is read in place); read decodes such input lazily.
 * Exit status: 0 success, 1 a check failed or an address is not in the
 * dump, 2 usage or I/O error.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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
	      "       minidump vmcoreinfo FILE|-\n"
	      "       minidump elf FILE|- OUT\n"
	      "       minidump --version\n", stderr);
	return EX_USAGE;
}

static int report(const char *cmd, int err, const struct md_error *e)
{
	fprintf(stderr, "minidump: %s: %s: %s\n", cmd, e->rule, e->detail);
	if (!strcmp(e->rule, "ext-magic") &&
	    (!strcmp(cmd, "elf") || !strcmp(cmd, "vmcoreinfo")))
		fprintf(stderr, "minidump: %s: the dump has no bsdmem Linux extension block, so no VMCOREINFO note or page-table root: it cannot become a vmcore\n",
			cmd);
	if (!strcmp(e->rule, "io"))
		return EX_USAGE;
	return (err == -EBADMSG || err == -EFAULT || err == -ENOENT) ?
	       EX_FAIL : EX_USAGE;
}

/* What a compressed stream is made of: zstd frames, gzip members. */
static const char *frame_unit(enum md_format fmt)
{
	return fmt == MD_FMT_GZIP ? "member" : "frame";
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
			printf(", compressed %" PRIu64 " bytes in %" PRIu64 " %s%s",
			       i->comp_len, i->frames, frame_unit(i->fmt),
			       i->frames == 1 ? "" : "s");
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

/* What info prints, from an open dump or from one streaming pass. */
struct info_src {
	const struct md_stream_info *info;
	const struct md_header *h;
	const struct md_map *map;
	struct md_vmcoreinfo *vi;
	int vi_err;		/* 0 if vi parsed */
};

static void info_header(const struct info_src *d)
{
	const struct minidumphdr *m = &d->h->hdr;
	const struct minidump_linux *x = &d->h->ext;
	char val[128];
	size_t i;

	printf("magic: %.24s\nversion: %u\nmsgbufsize: %u\nbitmapsize: %u\n",
	       m->magic, m->version, m->msgbufsize, m->bitmapsize);
	printf("pmapsize: %u\nkernbase: 0x%" PRIx64 "\ndmapbase: 0x%" PRIx64 "\n",
	       m->pmapsize, m->kernbase, m->dmapbase);
	printf("dmapend: 0x%" PRIx64 "\ndumpavailsize: %u\n", m->dmapend,
	       m->dumpavailsize);
	for (i = 0; i < d->map->nranges; i++)
		printf("dump_avail.%zu: 0x%" PRIx64 "-0x%" PRIx64 "\n", i,
		       d->map->ranges[i].start, d->map->ranges[i].end);
	printf("pages.total: %" PRIu64 "\npages.dumped: %" PRIu64 "\n",
	       d->map->total_pages, d->map->popcount);
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
	printf("linux.pgtable_levels: %d\n",
	       (x->flags & MINIDUMP_LINUX_LA57) ? 5 : 4);
	if (d->vi_err) {
		printf("vmcoreinfo: absent\n");
		return;
	}
	printf("vmcoreinfo: %zu bytes\n", d->vi->note_len);
	if (md_vmcoreinfo_get(d->vi, "OSRELEASE", val, sizeof(val)))
		printf("vmcoreinfo.OSRELEASE: %s\n", val);
	if (md_vmcoreinfo_get(d->vi, "KERNELOFFSET", val, sizeof(val)))
		printf("vmcoreinfo.KERNELOFFSET: 0x%s\n", val);
	if (md_vmcoreinfo_get(d->vi, "NUMBER(pgtable_l5_enabled)", val, sizeof(val)))
		printf("vmcoreinfo.pgtable_l5_enabled: %s\n", val);
}

static int cmd_info(const struct info_src *d)
{
	const struct md_stream_info *i = d->info;

	printf("format: %s\ntrailer: %s\nfile.size: %" PRIu64 "\nbody.size: %" PRIu64 "\n",
	       md_format_name(i->fmt), i->has_trailer ? "yes" : "no",
	       i->file_size, i->body_len);
	if (i->fmt != MD_FMT_RAW)
		printf("compressed.size: %" PRIu64 "\n%s.%ss: %" PRIu64 "\n",
		       i->comp_len, md_format_name(i->fmt), frame_unit(i->fmt),
		       i->frames);
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

static int cmd_vmcoreinfo(struct md_vmcoreinfo *vi)
{
	if (fwrite(vi->text, 1, vi->text_len, stdout) != vi->text_len)
		return EX_USAGE;
	return EX_OK;
}

/* info, log, vmcoreinfo of a raw regular file (fd, taken): in place. */
static int in_place(const char *cmd, int fd)
{
	struct md_error e = { "", "" };
	struct md_vmcoreinfo vi = { 0 };
	struct info_src src;
	struct md_dump *d;
	int err, ret;

	err = md_open_fd(&d, fd, &e);
	if (err)
		return report(cmd, err, &e);
	if (!strcmp(cmd, "log")) {
		ret = cmd_log(d);
	} else {
		err = md_vmcoreinfo_from_dump(&vi, d, &e);
		if (!err)
			err = md_vmcoreinfo_parse(&vi, &e);
		src = (struct info_src){ &d->info, &d->h, &d->map, &vi, err };
		if (!strcmp(cmd, "info"))
			ret = cmd_info(&src);
		else
			ret = err ? report(cmd, err, &e) : cmd_vmcoreinfo(&vi);
	}
	md_vmcoreinfo_free(&vi);
	md_close(d);
	return ret;
}

struct streamed {
	struct md_vmcoreinfo vi;
	int vi_err;		/* md_vmcoreinfo_init's verdict, with vi_e */
	struct md_error vi_e;
	bool log;
	bool log_failed;
};

static int st_header(void *ctx, const struct md_header *h, struct md_error *e)
{
	struct streamed *s = ctx;

	/*
	 * A note we cannot gather is the note's error, not the dump's: the
	 * walk goes on, as in_place's md_open does, and the verdict is the same.
	 */
	(void)e;
	if (!s->log)
		s->vi_err = md_vmcoreinfo_init(&s->vi, h, &s->vi_e);
	return 0;
}

static int st_msgbuf(void *ctx, const uint8_t *text, size_t len,
		     struct md_error *e)
{
	struct streamed *s = ctx;

	(void)e;
	if (s->log && !s->log_failed && fwrite(text, 1, len, stdout) != len)
		s->log_failed = true;
	return 0;
}

static int st_page(void *ctx, uint64_t pa, const uint8_t *data,
		   struct md_error *e)
{
	struct streamed *s = ctx;

	(void)e;
	md_vmcoreinfo_page(&s->vi, pa, data);
	return 0;
}

/*
 * info, log, vmcoreinfo of compressed input or a pipe (fd, taken): one
 * pass, never the whole body. log prints the kernel log as it streams by;
 * the rest of the dump is still read and checked, so a broken dump exits
 * non-zero.
 */
static int streamed(const char *cmd, int fd)
{
	struct md_check_summary *sum = calloc(1, sizeof(*sum));
	struct streamed s = { .log = !strcmp(cmd, "log") };
	struct md_walk_ops ops = { st_header, st_msgbuf, NULL, st_page, &s };
	struct md_error e = { "", "" }, ve = { "", "" };
	struct md_map map;
	struct info_src src;
	int err, verr, ret;

	if (!sum) {
		close(fd);
		return EX_USAGE;
	}
	if (s.log) {
		ops.header = NULL;
		ops.page = NULL;
	}
	err = md_walk_fd(fd, &ops, sum, &map, &e);
	close(fd);
	if (!err && sum->info.has_trailer)
		err = md_trailer_check(&sum->info.trailer, sum->info.fmt, &e);
	if (err || s.log)
		verr = 0;
	else if (s.vi_err) {
		verr = s.vi_err;
		ve = s.vi_e;
	} else {
		verr = md_vmcoreinfo_parse(&s.vi, &ve);
	}
	if (err)
		ret = report(cmd, err, &e);
	else if (s.log)
		ret = s.log_failed ? EX_USAGE : EX_OK;
	else if (!strcmp(cmd, "vmcoreinfo"))
		ret = verr ? report(cmd, verr, &ve) : cmd_vmcoreinfo(&s.vi);
	else {
		src = (struct info_src){ &sum->info, &sum->h, &map, &s.vi, verr };
		ret = cmd_info(&src);
	}
	md_vmcoreinfo_free(&s.vi);
	md_map_free(&map);
	free(sum);
	return ret;
}

static int with_dump(const char *cmd, int argc, char **argv)
{
	struct md_error e = { "", "" };
	struct md_dump *d;
	uint64_t va = 0, len = 0;
	bool hex = argc > 0 && !strcmp(argv[0], "-x");
	int fd, err, ret;

	argc -= hex;
	argv += hex;
	if (strcmp(cmd, "read") ? (hex || argc != 1) : argc != 3)
		return usage();
	if (argc == 3 && (!parse_u64(argv[1], &va) || !parse_u64(argv[2], &len) ||
			  (len && va + (len - 1) < va))) {
		fprintf(stderr, "minidump: read: bad ADDR or LEN: %s %s\n", argv[1], argv[2]);
		return EX_USAGE;
	}
	if (strcmp(cmd, "read")) {
		/* Opened once: a named FIFO has only the one stream. */
		fd = strcmp(argv[0], "-") ?
		     open(argv[0], O_RDONLY | O_CLOEXEC) :
		     fcntl(0, F_DUPFD_CLOEXEC, 0);
		if (fd < 0) {
			fprintf(stderr, "minidump: %s: io: %s: %s\n", cmd, argv[0],
				strerror(errno));
			return EX_USAGE;
		}
		ret = md_is_raw_fd(fd) ? in_place(cmd, fd) : streamed(cmd, fd);
	} else {
		err = md_open(&d, argv[0], &e);
		if (err)
			return report(cmd, err, &e);
		ret = cmd_read(d, va, len, hex);
		md_close(d);
	}
	if (fflush(stdout) == EOF && ret == EX_OK)
		ret = EX_USAGE;
	return ret;
}

/* The temporary ELF file, removed on any failure or fatal signal. */
static char elf_tmp[4096];

static void elf_signal(int sig)
{
	if (elf_tmp[0])
		unlink(elf_tmp);
	signal(sig, SIG_DFL);
	raise(sig);
}

static int elf_tmpfile(const char *out)
{
	char dir[4096], base[4096];
	struct sigaction sa = { .sa_handler = elf_signal };
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGPIPE, SIGQUIT,
				     SIGXFSZ, SIGALRM, SIGUSR1, SIGUSR2 };
	size_t i;
	int fd;

	snprintf(dir, sizeof(dir), "%s", out);
	snprintf(base, sizeof(base), "%s", out);
	if ((size_t)snprintf(elf_tmp, sizeof(elf_tmp), "%s/.%s.XXXXXX",
			     dirname(dir), basename(base)) >= sizeof(elf_tmp)) {
		elf_tmp[0] = '\0';
		errno = ENAMETOOLONG;
		return -1;
	}
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaction(sigs[i], &sa, NULL);
	fd = mkstemp(elf_tmp);
	if (fd < 0)
		elf_tmp[0] = '\0';
	return fd;
}

static int cmd_elf(const char *in_path, const char *out_path)
{
	struct md_error e = { "", "" };
	struct md_elf_stats st;
	struct stat sb;
	int in, out, err, ret;

	if (!strcmp(out_path, "-") ||
	    (stat(out_path, &sb) == 0 && !S_ISREG(sb.st_mode))) {
		fprintf(stderr, "minidump: elf: io: %s: OUT must be a regular file: the VMCOREINFO note's size is patched into the ELF headers last, by seeking\n",
			out_path);
		return EX_USAGE;
	}
	in = strcmp(in_path, "-") ? open(in_path, O_RDONLY | O_CLOEXEC) : 0;
	if (in < 0) {
		fprintf(stderr, "minidump: elf: io: %s: %s\n", in_path, strerror(errno));
		return EX_USAGE;
	}
	out = elf_tmpfile(out_path);
	if (out < 0) {
		fprintf(stderr, "minidump: elf: io: a temporary file beside %s: %s\n",
			out_path, strerror(errno));
		if (in)
			close(in);
		return EX_USAGE;
	}
	err = md_elf_write(in, out, &st, &e);
	if (in)
		close(in);
	if (!err && fsync(out) < 0)
		err = md_fail(&e, -errno, "io", "%s: %s", elf_tmp, strerror(errno));
	if (close(out) < 0 && !err)
		err = md_fail(&e, -errno, "io", "%s: %s", elf_tmp, strerror(errno));
	if (!err && rename(elf_tmp, out_path) < 0)
		err = md_fail(&e, -errno, "io", "renaming %s to %s: %s", elf_tmp,
			      out_path, strerror(errno));
	if (err) {
		unlink(elf_tmp);
		elf_tmp[0] = '\0';
		return report("elf", err, &e);
	}
	elf_tmp[0] = '\0';
	ret = EX_OK;
	fprintf(stderr, "minidump: elf: %s: %" PRIu64 " program headers (1 note, %" PRIu64 " kernel image, %" PRIu64 " RAM runs%s), %" PRIu64 " pages, %" PRIu64 " bytes\n",
		out_path, st.phnum, st.loads_kernel, st.loads_ram,
		st.xnum ? ", PN_XNUM" : "", st.pages, st.size);
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
	if (!strcmp(argv[1], "elf"))
		return argc == 4 ? cmd_elf(argv[2], argv[3]) : usage();
	if (!strcmp(argv[1], "info") || !strcmp(argv[1], "log") ||
	    !strcmp(argv[1], "read") || !strcmp(argv[1], "vmcoreinfo"))
		return with_dump(argv[1], argc - 2, argv + 2);
	return usage();
}
