// SPDX-License-Identifier: GPL-2.0
/*
 * libminidump: the dump_avail list and the page bitmap. Parses and checks
 * both, and maps a physical address to its bit (range after range) and to
 * its rank among dumped pages, with a cumulative count every MD_BIN_BITS
 * bits so a lookup touches at most one bin of words.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"

#define MD_BIN_BITS	1024u
#define MD_BIN_WORDS	(MD_BIN_BITS / 64u)

static int avail_pair_check(const struct md_map *m, size_t i, uint64_t start,
			    uint64_t end, struct md_error *e)
{
	if ((start | end) & MD_PAGE_MASK)
		return md_fail(e, -EBADMSG, "dump_avail",
			       "range %zu [0x%llx, 0x%llx) is not page-aligned", i,
			       (unsigned long long)start, (unsigned long long)end);
	if (end <= start)
		return md_fail(e, -EBADMSG, "dump_avail",
			       "range %zu [0x%llx, 0x%llx) is empty or reversed", i,
			       (unsigned long long)start, (unsigned long long)end);
	if (i > 0 && start < m->ranges[i - 1].end)
		return md_fail(e, -EBADMSG, "dump_avail",
			       "range %zu [0x%llx, 0x%llx) is not above range %zu (ends 0x%llx): unsorted or overlapping",
			       i, (unsigned long long)start, (unsigned long long)end,
			       i - 1, (unsigned long long)m->ranges[i - 1].end);
	if (i > 0 && start == m->ranges[i - 1].end)
		return md_fail(e, -EBADMSG, "dump_avail",
			       "range %zu starts at 0x%llx where range %zu ends: touching ranges must be merged",
			       i, (unsigned long long)start, i - 1);
	return 0;
}

static int avail_tail_check(const uint8_t *sec, size_t len, size_t from,
			    size_t n, struct md_error *e)
{
	size_t i;

	if (n == 0)
		return md_fail(e, -EBADMSG, "dump_avail", "the list has no range");
	if (len != md_round_page((n + 1) * 16))
		return md_fail(e, -EBADMSG, "dumpavailsize",
			       "%zu bytes for %zu ranges, expected %llu (round_page((ranges + 1) * 16))",
			       len, n,
			       (unsigned long long)md_round_page((n + 1) * 16));
	for (i = from; i < len; i++)
		if (sec[i])
			return md_fail(e, -EBADMSG, "dump_avail",
				       "non-zero byte at section offset 0x%zx after the 0,0 terminator",
				       i);
	return 0;
}

int md_avail_parse(const uint8_t *sec, size_t len, struct md_map *m,
		   struct md_error *e)
{
	size_t i, max = len / 16;
	uint64_t start, end, bit = 0;
	int err;

	memset(m, 0, sizeof(*m));
	m->ranges = calloc(max ? max : 1, sizeof(*m->ranges));
	if (!m->ranges)
		return md_fail(e, -ENOMEM, "io", "out of memory for dump_avail");
	for (i = 0; i < max; i++) {
		start = md_le64(sec + 16 * i);
		end = md_le64(sec + 16 * i + 8);
		if (start == 0 && end == 0)
			break;
		err = avail_pair_check(m, i, start, end, e);
		if (err)
			return err;
		m->ranges[i].start = start;
		m->ranges[i].end = end;
		m->ranges[i].first_bit = bit;
		bit += (end - start) / MD_PAGE_SIZE;
		m->nranges = i + 1;
	}
	if (i == max)
		return md_fail(e, -EBADMSG, "dump_avail",
			       "no 0,0 terminator in the %zu-byte section", len);
	m->total_pages = bit;
	return avail_tail_check(sec, len, 16 * (i + 1), m->nranges, e);
}

/* The exact rule: bitmapsize == round_up(ceil(total_pages / 8), 4096). */
uint64_t md_bitmap_size_for(uint64_t total_pages)
{
	return md_round_page((total_pages + 7) / 8);
}

static int bitmap_tail_check(const struct md_map *m, struct md_error *e)
{
	uint64_t w = m->total_pages / 64, mask;
	size_t i;

	for (i = w; i < m->nwords; i++) {
		mask = ~0ull;
		if (i == w)
			mask <<= m->total_pages % 64;
		if (m->words[i] & mask)
			return md_fail(e, -EBADMSG, "bitmap",
				       "bit %llu is set beyond the %llu pages of dump_avail",
				       (unsigned long long)(i * 64 +
					       __builtin_ctzll(m->words[i] & mask)),
				       (unsigned long long)m->total_pages);
	}
	return 0;
}

int md_bitmap_load(struct md_map *m, const uint8_t *sec, size_t len,
		   struct md_error *e)
{
	uint64_t want = md_bitmap_size_for(m->total_pages), count = 0;
	size_t i, nbins;

	if (len != want)
		return md_fail(e, -EBADMSG, "bitmapsize",
			       "%zu bytes, expected %llu for %llu pages (round_up(ceil(pages / 8), 4096))",
			       len, (unsigned long long)want,
			       (unsigned long long)m->total_pages);
	m->nwords = len / 8;
	nbins = (m->nwords + MD_BIN_WORDS - 1) / MD_BIN_WORDS;
	m->words = malloc(len);
	m->bins = calloc(nbins ? nbins : 1, sizeof(*m->bins));
	if (!m->words || !m->bins)
		return md_fail(e, -ENOMEM, "io", "out of memory for the bitmap");
	for (i = 0; i < m->nwords; i++) {
		if (i % MD_BIN_WORDS == 0)
			m->bins[i / MD_BIN_WORDS] = count;
		m->words[i] = md_le64(sec + 8 * i);
		count += (uint64_t)__builtin_popcountll(m->words[i]);
	}
	m->popcount = count;
	return bitmap_tail_check(m, e);
}

void md_map_free(struct md_map *m)
{
	free(m->ranges);
	free(m->words);
	free(m->bins);
	memset(m, 0, sizeof(*m));
}

/* Unlike libkvm, a pa below its range's start (in a hole) is not RAM. */
static const struct md_range *range_of(const struct md_map *m, uint64_t pa)
{
	size_t lo = 0, hi = m->nranges, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (pa < m->ranges[mid].start)
			hi = mid;
		else if (pa >= m->ranges[mid].end)
			lo = mid + 1;
		else
			return &m->ranges[mid];
	}
	return NULL;
}

bool md_pa_in_ram(const struct md_map *m, uint64_t pa)
{
	return range_of(m, pa) != NULL;
}

static bool bit_of(const struct md_map *m, uint64_t pa, uint64_t *bit)
{
	const struct md_range *r = range_of(m, pa);

	if (!r)
		return false;
	*bit = r->first_bit + (pa - r->start) / MD_PAGE_SIZE;
	return *bit / 64 < m->nwords;
}

bool md_pa_dumped(const struct md_map *m, uint64_t pa)
{
	uint64_t bit;

	return bit_of(m, pa, &bit) && (m->words[bit / 64] >> (bit % 64) & 1);
}

int md_pa_rank(const struct md_map *m, uint64_t pa, uint64_t *rank)
{
	uint64_t bit = 0, w, r, i;

	if (!bit_of(m, pa, &bit) || !(m->words[bit / 64] >> (bit % 64) & 1))
		return -ENOENT;
	w = bit / 64;
	r = m->bins[w / MD_BIN_WORDS];
	for (i = w - w % MD_BIN_WORDS; i < w; i++)
		r += (uint64_t)__builtin_popcountll(m->words[i]);
	r += (uint64_t)__builtin_popcountll(m->words[w] &
					    ((1ull << (bit % 64)) - 1));
	*rank = r;
	return 0;
}
