// SPDX-License-Identifier: GPL-2.0
/*
 * libminidump: read bsdmem's live FreeBSD amd64 minidumps (SPEC §7).
 * Trailer and header decoding with explicit byte order, the one-pass
 * streaming validator, random access to a dump (pa -> file offset) and
 * kernel virtual address translation. No printing, no exit(): every
 * function returns 0 or a negative errno and fills a struct md_error.
 */
#ifndef MINIDUMP_H
#define MINIDUMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/kerneldump.h>
#include <machine/minidump.h>
#include "byteorder.h"

#define MD_TRAILER_SIZE		512u
#define MD_KERNBASE		0xffffffff80000000ull
#define MD_PHYS_MASK		0x000ffffffffff000ull	/* 52-bit PA, 4 KiB frame */
#define MD_PHYS_MASK_2M		0x000fffffffe00000ull
#define MD_PHYS_MASK_1G		0x000fffffc0000000ull
#define MD_GIB			0x40000000ull
#define MD_PTE_P		0x1ull
#define MD_PTE_PS		0x80ull
#define MD_DUMPAVAIL_MAX	(16u << 20)	/* bound on memory we accept */

/*
 * Error codes: -EBADMSG the file breaks a rule (rule names it), -EFAULT an
 * address is not mapped, -ENOENT a page is not in the dump; anything else
 * is a system error (I/O, memory).
 */
struct md_error {
	char rule[40];
	char detail[320];
};

int md_fail(struct md_error *e, int err, const char *rule, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* A dump's format; the values are the trailer's compression codes. */
enum md_format { MD_FMT_RAW = 0, MD_FMT_GZIP = 1, MD_FMT_ZSTD = 2 };
/* "raw", "gzip" or "zstd" ("?" for anything else). */
const char *md_format_name(enum md_format fmt);
/* The dump file's name suffix: "", ".gz" or ".zst" (savecore's). */
const char *md_format_suffix(enum md_format fmt);

/* The kerneldumpheader trailer, decoded to host order (strings NUL-ended). */
struct md_trailer {
	char magic[21];
	char architecture[13];
	uint32_t version;
	uint32_t architectureversion;
	uint64_t dumplength;
	uint64_t dumptime;
	uint32_t dumpkeysize;
	uint32_t blocksize;
	char hostname[65];
	char versionstring[193];
	char panicstring[176];
	uint8_t compression;
	uint64_t dumpextent;
	uint32_t parity;	/* the stored word, as read big-endian */
	uint32_t xor_all;	/* XOR of all 128 words: 0 when valid */
};

void md_trailer_decode(const uint8_t raw[MD_TRAILER_SIZE], struct md_trailer *t);
/* Field rules that need nothing but the trailer and the file's format. */
int md_trailer_check(const struct md_trailer *t, enum md_format fmt,
		     struct md_error *e);
bool md_trailer_has_magic(const uint8_t raw[MD_TRAILER_SIZE]);

/**
 * md_trailer_read() - read and check the trailer that ends a dump file
 * @fd: the file, readable (pread: its offset does not matter)
 * @size: the file's size in bytes
 * @fmt: the format the file was written in (the trailer must say so)
 * @t: the decoded trailer (filled in whenever it could be read)
 * @e: which rule failed, on error
 *
 * What savecore checks before it keeps a dump: md_trailer_check()'s field
 * rules, and a dumplength that fits in the file before the trailer.
 *
 * Return: 0; -EBADMSG (rule "truncated", a "trailer-*" rule); or the
 * negative errno of the read.
 */
int md_trailer_read(int fd, uint64_t size, enum md_format fmt,
		    struct md_trailer *t, struct md_error *e);

/* One dump_avail range and the number of its first bitmap bit. */
struct md_range {
	uint64_t start;
	uint64_t end;
	uint64_t first_bit;
};

/* The header page and the section layout it implies (host order). */
struct md_header {
	struct minidumphdr hdr;
	struct minidump_linux ext;
	uint64_t msgbuf_off;
	uint64_t avail_off;
	uint64_t bitmap_off;
	uint64_t pmap_off;
	uint64_t pages_off;
};

int md_header_parse(const uint8_t page[MD_PAGE_SIZE], struct md_header *h,
		    struct md_error *e);
int md_msgbuf_check(const uint8_t *buf, uint64_t len, uint64_t msgbufsize,
		    struct md_error *e);

/* dump_avail and the bitmap with a rank index (see map.c). */
struct md_map {
	struct md_range *ranges;
	size_t nranges;
	uint64_t total_pages;
	uint64_t *words;
	size_t nwords;
	uint64_t *bins;		/* set bits before each block of MD_BIN_BITS */
	uint64_t popcount;
};

int md_avail_parse(const uint8_t *sec, size_t len, struct md_map *m,
		   struct md_error *e);
uint64_t md_bitmap_size_for(uint64_t total_pages);
int md_bitmap_load(struct md_map *m, const uint8_t *sec, size_t len,
		   struct md_error *e);
void md_map_free(struct md_map *m);
bool md_pa_in_ram(const struct md_map *m, uint64_t pa);
bool md_pa_dumped(const struct md_map *m, uint64_t pa);
/* Rank of pa's page among dumped pages; -ENOENT if not in RAM or not set. */
int md_pa_rank(const struct md_map *m, uint64_t pa, uint64_t *rank);

/* Rules that need the header plus dump_avail/bitmap or the pmap. */
int md_check_dmap(const struct md_header *h, const struct md_map *m,
		  struct md_error *e);
int md_check_ext(const struct md_header *h, const struct md_map *m,
		 struct md_error *e);
int md_check_pmap(const struct md_header *h, const struct md_map *m,
		  const uint8_t *pmap, struct md_error *e);

/* Streaming: bytes of the body go to a sink, in order. */
struct md_sink {
	int (*data)(void *ctx, const uint8_t *buf, size_t len,
		    struct md_error *e);
	void *ctx;
};

struct md_stream_info {
	enum md_format fmt;
	bool has_trailer;
	uint8_t trailer_raw[MD_TRAILER_SIZE];
	struct md_trailer trailer;
	uint64_t file_size;
	uint64_t comp_len;	/* compressed stream length (== body for raw) */
	uint64_t frames;	/* zstd frames or gzip members in it (0: raw) */
	uint64_t body_len;	/* uncompressed body bytes delivered */
};

/*
 * Reads fd to EOF in one pass: detects the format, decompresses, checks
 * gzip/zstd integrity, padding and the trailer's framing (not its fields,
 * nor dumplength/dumpextent: see md_stream_check_lengths).
 */
int md_stream_run(int fd, const struct md_sink *sink,
		  struct md_stream_info *info, struct md_error *e);
int md_stream_check_lengths(const struct md_stream_info *info,
			    struct md_error *e);

/*
 * The same pass, pulled a read at a time: md_stream_step reads once from
 * fd and pushes what it decoded to the sink; *finished once the end of
 * the file has been framed (the trailer, if any, is then in info). Errors
 * are sticky.
 */
struct md_stream;
int md_stream_open(struct md_stream **s, int fd, const struct md_sink *sink,
		   struct md_stream_info *info, struct md_error *e);
int md_stream_step(struct md_stream *s, bool *finished, struct md_error *e);
void md_stream_close(struct md_stream *s);

/* The one-pass validator (check.c). */
struct md_check_summary {
	struct md_stream_info info;
	struct md_header h;
	size_t nranges;
	uint64_t total_pages;
	uint64_t dumped_pages;
};

int md_check_fd(int fd, struct md_check_summary *sum, struct md_error *e);

/*
 * The same pass with callbacks (any may be NULL), for the streaming
 * commands: header once the header page is parsed; msgbuf with the kernel
 * log's text as it arrives; map once dump_avail, the bitmap and the pmap
 * (raw section bytes) are loaded and checked, before the first data page;
 * page for each data page, whole, in ascending physical order. A callback
 * returning non-zero stops the walk with that error. With keep non-NULL
 * the map (dump_avail, bitmap) is moved there; free it with md_map_free.
 */
struct md_walk_ops {
	int (*header)(void *ctx, const struct md_header *h, struct md_error *e);
	int (*msgbuf)(void *ctx, const uint8_t *text, size_t len,
		      struct md_error *e);
	int (*map)(void *ctx, const struct md_header *h, const struct md_map *m,
		   const uint8_t *pmap, struct md_error *e);
	int (*page)(void *ctx, uint64_t pa, const uint8_t *data,
		    struct md_error *e);
	void *ctx;
};

int md_walk_fd(int fd, const struct md_walk_ops *ops,
	       struct md_check_summary *sum, struct md_map *keep,
	       struct md_error *e);

/*
 * The VMCOREINFO note (vmcoreinfo.c): gathered from the data pages that
 * hold [vmcoreinfo_paddr, +vmcoreinfo_size) as they stream by (or read
 * from an open dump), then parsed as one ELF note named "VMCOREINFO".
 */
struct md_dump;

#define MD_VMCOREINFO_MAX	(1u << 20)

struct md_vmcoreinfo {
	uint64_t pa;
	uint64_t size;
	uint64_t got;		/* bytes of the extent seen so far */
	uint8_t *buf;
	size_t note_len;	/* the note's own size: header, name, desc */
	const char *text;	/* the desc: KEY=VALUE lines */
	size_t text_len;
};

int md_vmcoreinfo_init(struct md_vmcoreinfo *v, const struct md_header *h,
		       struct md_error *e);
void md_vmcoreinfo_page(struct md_vmcoreinfo *v, uint64_t pa,
			const uint8_t *data);
int md_vmcoreinfo_from_dump(struct md_vmcoreinfo *v, const struct md_dump *d,
			    struct md_error *e);
/* Rule "no-vmcoreinfo" when the pages are absent or hold no such note. */
int md_vmcoreinfo_parse(struct md_vmcoreinfo *v, struct md_error *e);
/* The value of KEY= (NUL-ended in out), or false. */
bool md_vmcoreinfo_get(const struct md_vmcoreinfo *v, const char *key,
		       char *out, size_t outsz);
void md_vmcoreinfo_free(struct md_vmcoreinfo *v);

/*
 * The ELF vmcore (elf.c): reads the dump from in once, in order, and
 * writes an ELF64 ET_CORE file to out, which must be seekable: the
 * program headers first, then room for the VMCOREINFO note, then the
 * data pages in the dump's order. The pages are written as they stream
 * by; the headers, once every page the bitmap promised has come, and
 * the note, whose size is only known once its page has streamed by, into
 * its room at the end, with its PT_NOTE header patched in place.
 */
struct md_elf_stats {
	uint64_t phnum;
	uint64_t loads_kernel;	/* PT_LOADs of the kernel image mapping */
	uint64_t loads_ram;	/* PT_LOADs of runs of present pages */
	uint64_t pages;
	uint64_t size;		/* bytes written */
	bool xnum;		/* PN_XNUM: phnum in section header 0 */
};

int md_elf_write(int in, int out, struct md_elf_stats *st, struct md_error *e);

/* Random access (dump.c). */
struct md_dump {
	int fd;			/* the body: the file itself or a spooled prefix */
	uint64_t body_size;
	uint64_t pages_present;	/* whole data pages in the file */
	struct md_stream_info info;
	struct md_header h;
	struct md_map map;
	uint64_t *pmap;		/* pmapsize / 8 PDEs, host order */
	size_t npde;
	struct md_lazy *lazy;	/* compressed or piped: decoded on demand */
};

/* Opens path ("-": a duplicate of stdin) and reads it as md_open_fd. */
int md_open(struct md_dump **out, const char *path, struct md_error *e);
/**
 * md_open_fd() - open a dump for random access from a file descriptor
 * @out: the dump, for md_read_* and md_close
 * @fd: the input, which the dump takes over (closed on error too)
 * @e: the rule that failed, on error
 *
 * An uncompressed regular file is read in place; compressed input or a
 * pipe is decoded lazily, only as far as the reads need. The input is
 * read once, so a pipe or a named FIFO is opened only by the caller.
 *
 * Return: 0, or a negative errno (-EBADMSG: a rule, named in @e).
 */
int md_open_fd(struct md_dump **out, int fd, struct md_error *e);
/* True if fd is an uncompressed regular file: md_open_fd reads it in place. */
bool md_is_raw_fd(int fd);
void md_close(struct md_dump *d);
int md_read_body(const struct md_dump *d, uint64_t off, void *buf, size_t len,
		 struct md_error *e);
/*
 * Reads len bytes at pa; pa .. pa+len-1 must lie in one page. With buf
 * NULL (here and in md_read_kva) only checks that the bytes are there.
 */
int md_read_pa(const struct md_dump *d, uint64_t pa, void *buf, size_t len,
	       struct md_error *e);

/* Translation (vtop.c). how: "kernbase", "dmap" or "linux" on success. */
int md_kvtop(const struct md_dump *d, uint64_t va, uint64_t *pa,
	     const char **how, struct md_error *e);
int md_read_kva(const struct md_dump *d, uint64_t va, void *buf, size_t len,
		struct md_error *e);

#endif /* MINIDUMP_H */
