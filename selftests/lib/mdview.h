/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers for the MEM_KERNELDUMP selftests: the ioctl, dumps streamed
 * through a pipe or socket into a reader thread, checks of the trailer and
 * of the body's structure, a libkvm-style view of a raw minidump, x86-64
 * page-table walks (in a dump or live through /dev/bsdmem), and the
 * project's `minidump` reader run as a second oracle. Names start mdv_.
 */
#ifndef BSDMEM_MDVIEW_H
#define BSDMEM_MDVIEW_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <machine/minidump.h>

#define MDV_PG		4096ULL
#define MDV_HEAD_MAX	(8 << 20)	/* what a drain keeps of a stream */
#define MDV_KERNBASE	0xffffffff80000000ULL
#define MDV_FRAME	0x000ffffffffff000ULL
/* What the checks return when nothing is wrong: ASSERT_STREQ(MDV_OK, ...). */
#define MDV_OK		"ok"
#define MDV_PROGRESS	"/sys/class/misc/bsdmem/livedump_progress"

/* MEM_KERNELDUMP on @dev; Return: 0 or errno. */
int mdv_dump(int dev, int fd, int flags, int compression);

uint32_t mdv_be32(const void *p);
uint64_t mdv_be64(const void *p);
uint64_t mdv_pg_round(uint64_t v);

/* Where dumps go: $BSDMEM_SHARE (the host checks them too), else /tmp. */
const char *mdv_outdir(void);

/* `pages_done pages_total` of the progress file (~0 if unreadable). */
void mdv_progress(uint64_t *done, uint64_t *total);

/* What a reader thread saw on a pipe or socket. */
struct mdv_drain {
	int fd;
	uint8_t *head;		/* first MDV_HEAD_MAX bytes */
	uint8_t tail[512];	/* last 512 bytes */
	uint64_t total;
	uint64_t want_pa;	/* a page to keep (raw dumps), or 0 */
	int64_t want_off;	/* its offset in the stream; -1: not dumped */
	bool located;		/* want_off is known */
	uint8_t want[4096];	/* the page's bytes */
	int tee;		/* every byte is also written here, or -1 */
	int tee_err;		/* errno of a failed write to tee, else 0 */
	size_t chunk;		/* bytes per read(2); 0: 64 KiB */
};

/* `minidump check -` in a child process, reading what is written to in. */
struct mdv_checker {
	pid_t pid;		/* -1: it could not be started */
	int in;			/* the write end of its stdin, or -1 */
	int out;		/* a memfd with its stdout and stderr */
	int status;		/* its wait status, -1 if none */
	char text[1024];	/* what it printed (the start of it) */
};

/*
 * Dump through a pipe (@type 0) or a socketpair of @type into a reader
 * thread, keeping the page at @want_pa (if not 0) of a raw dump in
 * d->want. Free d->head afterwards. Return: 0 or errno.
 */
int mdv_dump_stream(int dev, struct mdv_drain *d, int type, int flags,
		    int comp, uint64_t want_pa);

/*
 * Start `@reader check -` (mdv_reader() if NULL), the project's reader,
 * which checks a whole dump (decompressing gzip and zstd) from a pipe in
 * bounded memory. Write the dump to c->in as it arrives. Call it before
 * creating the dump's own pipe, or the child holds an end of that too.
 */
void mdv_checker_start(struct mdv_checker *c, const char *reader);

/*
 * End the checker's input and wait for it; c->text gets what it printed.
 * Return: true only if it exited normally with status 0.
 */
bool mdv_checker_finish(struct mdv_checker *c);

/*
 * mdv_dump_stream(), with every byte also fed to a checker (@c, started
 * and finished here) as it arrives: the whole stream is checked however
 * large it is. Return: the dump's 0 or errno; mdv_checker_finish()'s
 * verdict in *passed.
 */
int mdv_dump_checked(int dev, struct mdv_drain *d, int type, int flags,
		     int comp, uint64_t want_pa, struct mdv_checker *c,
		     bool *passed);

/*
 * mdv_dump_checked() into a connected pair the caller made (a pipe, or a
 * stream socketpair with its own buffer sizes), both ends close-on-exec:
 * dumps into fds[1], reads fds[0] @chunk bytes at a time (0: 64 KiB), and
 * closes both. Return: the dump's 0 or errno; the checker's verdict in
 * *passed.
 */
int mdv_dump_checked_on(int dev, struct mdv_drain *d, const int fds[2],
			size_t chunk, int flags, int comp,
			struct mdv_checker *c, bool *passed);

/*
 * The 512-byte trailer of a @size-byte output with compression @comp.
 * Return: MDV_OK and *extent = dumpextent, or what is wrong.
 */
const char *mdv_check_trailer(const uint8_t *kdh, uint64_t size, int comp,
			      uint64_t *extent);

/* A libkvm-style view of a raw minidump body. */
struct mdv {
	const uint8_t *p;
	uint64_t len;
	struct minidumphdr h;
	const struct minidump_linux *ext;
	const uint64_t *avail, *bitmap, *pmap;
	uint64_t nbits, ndata, data_off;
	int levels;		/* 4 or 5 */
};

/* Header and sections of the body at @p; Return: 0, or the line that failed. */
int mdv_open(struct mdv *m, const uint8_t *p, uint64_t len);

/*
 * mdv_open() plus the extension block, and sections and popcount that
 * account for the whole @extent-byte body. Return: MDV_OK or what is wrong.
 */
const char *mdv_check_body(struct mdv *m, const uint8_t *p, uint64_t len,
			   uint64_t extent);

/* @pa's bit in the bitmap: 1 dumped, 0 not, -1 outside dump_avail. */
int mdv_bit(const struct mdv *m, uint64_t pa);

/* Bytes of physical address @pa in the dump, NULL if not dumped. */
const uint8_t *mdv_pa(const struct mdv *m, uint64_t pa);

/*
 * Bytes of kernel address @va: through the pmap from kernbase, the direct
 * map, else the extension block's page-table root. NULL if not dumped.
 */
const uint8_t *mdv_va(const struct mdv *m, uint64_t va);

/* Reads the 8-byte entry at physical address @pa; 0 or -1. */
typedef int (*mdv_read_entry)(void *ctx, uint64_t pa, uint64_t *entry);

/*
 * Walk @levels-level x86-64 page tables from @root for @va, reading entries
 * with @rd. *leaf: the last entry (present), *level: 1 PTE, 2 PMD, 3 PUD.
 * Return: 0; -1 if an entry could not be read; 1 if not present.
 */
int mdv_walk(mdv_read_entry rd, void *ctx, uint64_t root, int levels,
	     uint64_t va, uint64_t *leaf, int *level);

/* The physical address a leaf entry at @level maps @va to. */
uint64_t mdv_leaf_pa(uint64_t leaf, int level, uint64_t va);

/* mdv_walk() over the dump's own page-table pages; ctx = struct mdv *. */
int mdv_read_dump_entry(void *ctx, uint64_t pa, uint64_t *entry);

/* mdv_walk() live, ctx = pointer to an fd of /dev/bsdmem. */
int mdv_read_live_entry(void *ctx, uint64_t pa, uint64_t *entry);

/* The `minidump` reader in the guest: $BSDMEM_MINIDUMP or /tools/minidump. */
const char *mdv_reader(void);

/* A "name: value" field of `minidump info FILE` (0 if absent). */
uint64_t mdv_info_field(const char *path, const char *name);

/* `minidump read FILE ADDR LEN`; Return: bytes read, 0 on failure. */
size_t mdv_reader_read(const char *path, uint64_t va, void *buf, size_t len);

#endif /* BSDMEM_MDVIEW_H */
