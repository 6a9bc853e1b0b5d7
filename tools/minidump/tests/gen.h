// SPDX-License-Identifier: GPL-2.0
/*
 * Test-only synthetic minidump generator: a small fake machine (RAM ranges,
 * a kernel page-table tree for 4- or 5-level paging with 4 KiB, 2 MiB and
 * 1 GiB mappings, the kernbase pmap derived from it, a kernel log), written
 * as a body and packed raw, gzip or zstd with or without the trailer.
 */
#ifndef MDTEST_GEN_H
#define MDTEST_GEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "minidump.h"

#define GEN_MAX_RANGES	400
#define GEN_PMAP_PAGES	2
/* The kernel image: va - kernbase + phys_base (the 2 MiB banner leaf). */
#define GEN_PHYS_BASE	0x3000000ull
/* The VMCOREINFO note's extent: it crosses into the next page. */
#define GEN_NOTE_PA	0x7000f00ull
#define GEN_NOTE_EXTENT	0x1100u

struct gen_page {
	uint64_t pa;
	uint8_t *data;
};

/* Addresses the tests read back, filled in by gen_init. */
struct gen_addrs {
	uint64_t k4k;		/* kernbase, 4 KiB PTEs; +0x1000 maps elsewhere */
	uint64_t k2m;		/* kernbase 2 MiB leaf (the banner) */
	uint64_t kmod;		/* second pmap page, 4 KiB */
	uint64_t k_nopde;	/* kernbase, PDE not present */
	uint64_t k_nopte;	/* kernbase, PTE not present */
	uint64_t k_notdumped;	/* kernbase, PTE present, page not dumped */
	uint64_t dmap;		/* dmapbase + a dumped page */
	uint64_t l4k;		/* Linux walk: 4 KiB, next page elsewhere */
	uint64_t l2m;		/* Linux walk: 2 MiB leaf */
	uint64_t l1g;		/* Linux walk: 1 GiB leaf */
	uint64_t l_unmapped;	/* Linux walk: PDPT entry not present */
	uint64_t l_nopt;	/* Linux walk: its PT page is not dumped */
	uint64_t k4k_pt;	/* PT page behind k4k (a pmap PDE points to it) */
};

struct gen {
	bool la57;
	uint64_t ranges[GEN_MAX_RANGES][2];
	size_t nranges;
	struct gen_page *pages;
	size_t npages;
	size_t cap;
	uint64_t next_table;	/* bump allocator for table pages */
	uint64_t root;
	uint64_t dmapbase;
	uint64_t dmapend;
	uint64_t vmalloc_base;
	uint64_t vmemmap_base;
	uint64_t vmcoreinfo_paddr;
	uint64_t vmcoreinfo_size;
	char *msgbuf;
	size_t msglen;
	char note_text[1024];	/* the VMCOREINFO note's desc */
	size_t note_text_len;
	size_t note_len;	/* the note's own size */
	struct gen_addrs a;
};

/* Section offsets of a serialized body, for corruption tests. */
struct gen_layout {
	size_t msgbuf;
	size_t avail;
	size_t bitmap;
	size_t pmap;
	size_t pages;
};

void gen_init(struct gen *g, bool la57, size_t extra_ranges);
void gen_free(struct gen *g);
uint8_t *gen_page(struct gen *g, uint64_t pa);	/* adds (dumps) it */
void gen_drop_page(struct gen *g, uint64_t pa);
bool gen_lookup(const struct gen *g, uint64_t pa, uint8_t *out, size_t len);
uint64_t gen_walk(const struct gen *g, uint64_t va, int *level);
/* The body; the caller frees *out. */
void gen_body(struct gen *g, uint8_t **out, size_t *len, struct gen_layout *lay);

/* pack.c */
void gen_pack(const uint8_t *body, size_t len, enum md_format fmt, bool trailer,
	      uint8_t **out, size_t *outlen);
/*
 * One gzip member or zstd frame per chunk bytes of the body (the last
 * shorter), back to back, as the kernel's compression workers write them.
 * fr (if not NULL) gets where each starts, off[0 .. n-1], and off[n], where
 * the last ends; free off. Frame number nocheck (from 1; 0: none) is a zstd
 * frame packed without its content checksum.
 */
struct gen_frames {
	size_t n;
	size_t *off;
};

void gen_pack_frames(const uint8_t *body, size_t len, enum md_format fmt,
		     bool trailer, size_t chunk, size_t nocheck,
		     uint8_t **out, size_t *outlen, struct gen_frames *fr);
void gen_trailer_fix_parity(uint8_t *file, size_t len);
/* Replaces everything from c on with zero padding and a trailer. */
void gen_retrailer(uint8_t **file, size_t c, enum md_format fmt,
		   uint64_t dumplength, uint64_t dumpextent, size_t *outlen);

#endif /* MDTEST_GEN_H */
