// SPDX-License-Identifier: GPL-2.0
/*
 * libminidump: the one-pass validator behind `minidump check`, and the
 * walker the other streaming commands (info, log, vmcoreinfo, elf) build
 * on. A sink that walks the body's sections as bytes arrive, keeping only
 * dump_avail, the bitmap and the pmap; the kernel log is checked as it
 * streams by, and the data pages are counted and, if asked, handed to a
 * callback one whole page at a time with their physical address.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"

enum md_sec { SEC_HEADER, SEC_MSGBUF, SEC_AVAIL, SEC_BITMAP, SEC_PMAP, SEC_PAGES };

static const char *const sec_name[] = {
	"header page", "msgbuf", "dump_avail", "bitmap", "pmap", "data pages"
};

struct checker {
	enum md_sec sec;
	uint64_t sec_start;	/* body offset of the current section */
	uint64_t sec_size;
	uint64_t pos;		/* bytes of the current section seen */
	uint8_t *acc;		/* accumulated section (not msgbuf/pages) */
	struct md_header h;
	struct md_map map;
	const struct md_walk_ops *ops;
	uint8_t *page;		/* a data page split across input chunks */
	size_t bit_range;	/* cursor: dump_avail range of the next page */
	uint64_t bit;		/* cursor: bitmap bit of the next page */
};

static int enter(struct checker *c, enum md_sec sec, uint64_t size,
		 struct md_error *e)
{
	c->sec_start += c->sec_size;
	c->sec = sec;
	c->sec_size = size;
	c->pos = 0;
	free(c->acc);
	c->acc = NULL;
	if (sec == SEC_MSGBUF || sec == SEC_PAGES || size == 0)
		return 0;
	c->acc = malloc(size);
	if (!c->acc)
		return md_fail(e, -ENOMEM, "io", "out of memory for the %s section (%llu bytes)",
			       sec_name[sec], (unsigned long long)size);
	return 0;
}

static int finish(struct checker *c, struct md_error *e)
{
	const struct minidumphdr *m = &c->h.hdr;
	uint64_t want;
	int err;

	switch (c->sec) {
	case SEC_HEADER:
		err = md_header_parse(c->acc, &c->h, e);
		if (!err && c->ops && c->ops->header)
			err = c->ops->header(c->ops->ctx, &c->h, e);
		return err ? err : enter(c, SEC_MSGBUF, md_round_page(m->msgbufsize), e);
	case SEC_MSGBUF:
		return enter(c, SEC_AVAIL, m->dumpavailsize, e);
	case SEC_AVAIL:
		err = md_avail_parse(c->acc, c->sec_size, &c->map, e);
		if (!err)
			err = md_check_dmap(&c->h, &c->map, e);
		want = md_bitmap_size_for(c->map.total_pages);
		if (!err && m->bitmapsize != want)
			err = md_fail(e, -EBADMSG, "bitmapsize",
				      "%u bytes, expected %llu for %llu pages (round_up(ceil(pages / 8), 4096))",
				      m->bitmapsize, (unsigned long long)want,
				      (unsigned long long)c->map.total_pages);
		return err ? err : enter(c, SEC_BITMAP, m->bitmapsize, e);
	case SEC_BITMAP:
		err = md_bitmap_load(&c->map, c->acc, c->sec_size, e);
		if (!err)
			err = md_check_ext(&c->h, &c->map, e);
		return err ? err : enter(c, SEC_PMAP, m->pmapsize, e);
	case SEC_PMAP:
		err = md_check_pmap(&c->h, &c->map, c->acc, e);
		if (!err && c->ops && c->ops->map)
			err = c->ops->map(c->ops->ctx, &c->h, &c->map, c->acc, e);
		return err ? err : enter(c, SEC_PAGES,
					 c->map.popcount * MD_PAGE_SIZE, e);
	case SEC_PAGES:
		break;
	}
	return 0;
}

static int msgbuf_bytes(struct checker *c, const uint8_t *p, size_t n,
			struct md_error *e)
{
	uint64_t text = c->h.hdr.msgbufsize;
	size_t i;

	for (i = 0; i < n; i++) {
		if (c->pos + i < text && p[i] == 0)
			return md_fail(e, -EBADMSG, "msgbuf",
				       "NUL byte at offset %llu of the %llu-byte kernel log",
				       (unsigned long long)(c->pos + i),
				       (unsigned long long)text);
		if (c->pos + i >= text && p[i] != 0)
			return md_fail(e, -EBADMSG, "msgbuf",
				       "non-zero padding byte at section offset %llu",
				       (unsigned long long)(c->pos + i));
	}
	return 0;
}

/* The physical address of the next set bit from the cursor on. */
static uint64_t next_pa(struct checker *c)
{
	const struct md_map *m = &c->map;
	uint64_t b = c->bit, w;

	for (;;) {
		w = m->words[b / 64] >> (b % 64);
		if (w) {
			b += (uint64_t)__builtin_ctzll(w);
			break;
		}
		b = (b / 64 + 1) * 64;
	}
	c->bit = b + 1;
	while (b >= m->ranges[c->bit_range].first_bit +
		    (m->ranges[c->bit_range].end - m->ranges[c->bit_range].start) /
		    MD_PAGE_SIZE)
		c->bit_range++;
	return m->ranges[c->bit_range].start +
	       (b - m->ranges[c->bit_range].first_bit) * MD_PAGE_SIZE;
}

/* Data pages to the callback, whole: split ones are gathered first. */
static int page_bytes(struct checker *c, const uint8_t *p, size_t n,
		      struct md_error *e)
{
	size_t in = c->pos % MD_PAGE_SIZE, k;
	int err;

	while (n) {
		k = MD_PAGE_SIZE - in;
		if (k > n)
			k = n;
		if (in == 0 && k == MD_PAGE_SIZE) {
			err = c->ops->page(c->ops->ctx, next_pa(c), p, e);
		} else {
			memcpy(c->page + in, p, k);
			err = in + k == MD_PAGE_SIZE ?
			      c->ops->page(c->ops->ctx, next_pa(c), c->page, e) : 0;
		}
		if (err)
			return err;
		in = 0;
		p += k;
		n -= k;
	}
	return 0;
}

static int msgbuf_text(struct checker *c, const uint8_t *p, size_t n,
		       struct md_error *e)
{
	uint64_t text = c->h.hdr.msgbufsize;

	if (c->pos >= text)
		return 0;
	if (n > text - c->pos)
		n = (size_t)(text - c->pos);
	return c->ops->msgbuf(c->ops->ctx, p, n, e);
}

static int check_data(void *ctx, const uint8_t *p, size_t len,
		      struct md_error *e)
{
	struct checker *c = ctx;
	uint64_t n;
	int err = 0;

	while (len && !err) {
		n = c->sec_size - c->pos;
		if (n > len)
			n = len;
		if (c->sec == SEC_PAGES && n < len)
			return md_fail(e, -EBADMSG, "popcount",
				       "the body continues past the %llu data pages the bitmap counts (body offset %llu)",
				       (unsigned long long)c->map.popcount,
				       (unsigned long long)(c->sec_start + c->sec_size));
		if (c->sec == SEC_MSGBUF) {
			err = msgbuf_bytes(c, p, n, e);
			if (!err && c->ops && c->ops->msgbuf)
				err = msgbuf_text(c, p, n, e);
		} else if (c->sec == SEC_PAGES && c->ops && c->ops->page) {
			err = page_bytes(c, p, n, e);
		} else if (c->acc)
			memcpy(c->acc + c->pos, p, n);
		c->pos += n;
		p += n;
		len -= n;
		if (!err && c->pos == c->sec_size && c->sec != SEC_PAGES)
			err = finish(c, e);
	}
	return err;
}

static int check_end(struct checker *c, struct md_error *e)
{
	uint64_t at = c->sec_start + c->pos;

	if (c->sec != SEC_PAGES)
		return md_fail(e, -EBADMSG, "truncated",
			       "the body ends at offset %llu inside the %s section [%llu, %llu)",
			       (unsigned long long)at, sec_name[c->sec],
			       (unsigned long long)c->sec_start,
			       (unsigned long long)(c->sec_start + c->sec_size));
	if (c->pos != c->sec_size)
		return md_fail(e, -EBADMSG, "popcount",
			       "the bitmap has %llu bits set (%llu bytes of pages), the body holds %llu bytes of pages after the pmap",
			       (unsigned long long)c->map.popcount,
			       (unsigned long long)c->sec_size,
			       (unsigned long long)c->pos);
	return 0;
}

int md_walk_fd(int fd, const struct md_walk_ops *ops,
	       struct md_check_summary *sum, struct md_map *keep,
	       struct md_error *e)
{
	struct checker *c = calloc(1, sizeof(*c));
	struct md_sink sink = { check_data, c };
	int err;

	memset(sum, 0, sizeof(*sum));
	if (keep)
		memset(keep, 0, sizeof(*keep));
	if (!c)
		return md_fail(e, -ENOMEM, "io", "out of memory");
	c->ops = ops;
	if (ops && ops->page) {
		c->page = malloc(MD_PAGE_SIZE);
		if (!c->page) {
			free(c);
			return md_fail(e, -ENOMEM, "io", "out of memory");
		}
	}
	err = enter(c, SEC_HEADER, MD_PAGE_SIZE, e);
	if (!err)
		err = md_stream_run(fd, &sink, &sum->info, e);
	if (!err && sum->info.has_trailer)
		err = md_trailer_check(&sum->info.trailer, sum->info.fmt, e);
	if (!err)
		err = check_end(c, e);
	if (!err)
		err = md_stream_check_lengths(&sum->info, e);
	sum->h = c->h;
	sum->nranges = c->map.nranges;
	sum->total_pages = c->map.total_pages;
	sum->dumped_pages = c->map.popcount;
	if (keep)
		*keep = c->map;
	else
		md_map_free(&c->map);
	free(c->acc);
	free(c->page);
	free(c);
	return err;
}

int md_check_fd(int fd, struct md_check_summary *sum, struct md_error *e)
{
	return md_walk_fd(fd, NULL, sum, NULL, e);
}
