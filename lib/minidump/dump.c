// SPDX-License-Identifier: GPL-2.0
/*
 * libminidump: random access to a dump. A raw regular file is read in
 * place (info, log and vmcoreinfo use this for such files); a compressed
 * file or a pipe is decoded lazily into an unlinked temporary file: only
 * as far as the bytes asked for so far (the sections up to the pmap at
 * open, then up to the last page read), so `read` of a few addresses
 * never unpacks the whole body. The trailer and length rules of such a
 * file are checked only if the decoder gets to its end. (The other
 * commands stream such input through md_walk_fd instead.) Then the
 * header, dump_avail, bitmap and pmap are loaded and checked.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "internal.h"

static int spool_data(void *ctx, const uint8_t *buf, size_t len,
		      struct md_error *e)
{
	int err = md_write_full(*(int *)ctx, buf, len);

	if (err)
		return md_fail(e, err, "io", "writing the temporary copy: %s",
			       strerror(-err));
	return 0;
}

struct md_lazy {
	struct md_stream *st;
	int in;
	struct md_sink sink;
	bool finished;
	int err;		/* sticky */
	struct md_error err_e;
};

static int open_lazy(struct md_dump *d, int in, struct md_error *e)
{
	struct md_lazy *z = calloc(1, sizeof(*z));

	if (!z) {
		close(in);
		return md_fail(e, -ENOMEM, "io", "out of memory");
	}
	d->lazy = z;
	z->in = in;
	z->sink.data = spool_data;
	z->sink.ctx = &d->fd;
	d->fd = md_tmpfile(e);
	if (d->fd < 0)
		return d->fd;
	return md_stream_open(&z->st, in, &z->sink, &d->info, e);
}

/* Decodes until the body holds upto bytes or the input ends. */
static int pull(const struct md_dump *d, uint64_t upto, struct md_error *e)
{
	struct md_lazy *z = d->lazy;
	int err = 0;

	if (!z)
		return 0;
	if (z->err) {
		*e = z->err_e;
		return z->err;
	}
	while (!err && !z->finished && d->info.body_len < upto)
		err = md_stream_step(z->st, &z->finished, e);
	/* At the end: what md_open checks when it reads everything first. */
	if (!err && z->finished && z->st) {
		md_stream_close(z->st);
		z->st = NULL;
		if (d->info.has_trailer)
			err = md_trailer_check(&d->info.trailer, d->info.fmt, e);
		if (!err)
			err = md_stream_check_lengths(&d->info, e);
	}
	if (err) {
		z->err = err;
		z->err_e = *e;
	}
	return err;
}

/* A raw regular file: the trailer, if any, is its last 512 bytes. */
static int open_raw_file(struct md_dump *d, int fd, uint64_t size,
			 struct md_error *e)
{
	struct md_stream_info *info = &d->info;
	int err;

	d->fd = fd;
	info->fmt = MD_FMT_RAW;
	info->file_size = size;
	if (size % MD_PAGE_SIZE == MD_TRAILER_SIZE) {
		err = md_pread_full(fd, info->trailer_raw, MD_TRAILER_SIZE,
				    size - MD_TRAILER_SIZE);
		if (err)
			return md_fail(e, err, "io", "reading the trailer: %s",
				       strerror(-err));
		info->has_trailer = true;
		md_trailer_decode(info->trailer_raw, &info->trailer);
		size -= MD_TRAILER_SIZE;
	} else if (size % MD_PAGE_SIZE) {
		return md_fail(e, -EBADMSG, "truncated",
			       "file is %llu bytes: neither whole 4096-byte pages (a body) nor that plus a 512-byte trailer",
			       (unsigned long long)size);
	}
	info->comp_len = info->body_len = size;
	return 0;
}

static bool raw_regular(int fd, const struct stat *st)
{
	uint8_t magic[4] = { 0 };

	return S_ISREG(st->st_mode) && st->st_size >= 4 &&
	       md_pread_full(fd, magic, 4, 0) == 0 &&
	       !(magic[0] == 0x1f && magic[1] == 0x8b) &&
	       memcmp(magic, "\x28\xb5\x2f\xfd", 4);
}

bool md_is_raw_fd(int fd)
{
	struct stat st;

	return fstat(fd, &st) == 0 && raw_regular(fd, &st);
}

/* Takes fd: a raw regular file is read in place, the rest lazily. */
static int open_input(struct md_dump *d, int fd, struct md_error *e)
{
	struct stat st;
	int err;

	if (fstat(fd, &st) < 0) {
		err = -errno;
		close(fd);
		return md_fail(e, err, "io", "fstat: %s", strerror(-err));
	}
	if (raw_regular(fd, &st))
		return open_raw_file(d, fd, (uint64_t)st.st_size, e);
	return open_lazy(d, fd, e);
}

static int load_section(struct md_dump *d, uint64_t off, uint64_t size,
			uint8_t **out, struct md_error *e)
{
	*out = malloc(size ? size : 1);
	if (!*out)
		return md_fail(e, -ENOMEM, "io", "out of memory (%llu bytes)",
			       (unsigned long long)size);
	return md_read_body(d, off, *out, size, e);
}

static int load_body(struct md_dump *d, struct md_error *e)
{
	uint8_t page[MD_PAGE_SIZE], *sec = NULL;
	size_t i;
	int err;

	err = md_read_body(d, 0, page, sizeof(page), e);
	if (!err)
		err = md_header_parse(page, &d->h, e);
	if (!err)
		err = pull(d, d->h.pages_off, e);
	if (!err && d->lazy && !d->lazy->finished)
		d->body_size = UINT64_MAX;	/* not known yet */
	else if (!err && d->lazy)
		d->body_size = d->info.body_len;
	if (!err && d->body_size < d->h.pages_off)
		err = md_fail(e, -EBADMSG, "truncated",
			      "the body is %llu bytes, its sections end at %llu",
			      (unsigned long long)d->body_size,
			      (unsigned long long)d->h.pages_off);
	if (!err)
		err = load_section(d, d->h.avail_off, d->h.hdr.dumpavailsize, &sec, e);
	if (!err)
		err = md_avail_parse(sec, d->h.hdr.dumpavailsize, &d->map, e);
	if (!err)
		err = md_check_dmap(&d->h, &d->map, e);
	free(sec);
	sec = NULL;
	if (!err)
		err = load_section(d, d->h.bitmap_off, d->h.hdr.bitmapsize, &sec, e);
	if (!err)
		err = md_bitmap_load(&d->map, sec, d->h.hdr.bitmapsize, e);
	if (!err)
		err = md_check_ext(&d->h, &d->map, e);
	free(sec);
	sec = NULL;
	if (!err)
		err = load_section(d, d->h.pmap_off, d->h.hdr.pmapsize, &sec, e);
	if (!err)
		err = md_check_pmap(&d->h, &d->map, sec, e);
	if (!err) {
		d->npde = d->h.hdr.pmapsize / 8;
		d->pmap = malloc(d->npde * 8);
		if (!d->pmap)
			err = md_fail(e, -ENOMEM, "io", "out of memory");
		for (i = 0; !err && i < d->npde; i++)
			d->pmap[i] = md_le64(sec + 8 * i);
	}
	free(sec);
	/* Lazily decoded: pages past the end are found when read. */
	d->pages_present = d->body_size == UINT64_MAX ? d->map.popcount :
			   (d->body_size - d->h.pages_off) / MD_PAGE_SIZE;
	return err;
}

int md_open(struct md_dump **out, const char *path, struct md_error *e)
{
	int fd, err;

	*out = NULL;
	fd = strcmp(path, "-") ? open(path, O_RDONLY | O_CLOEXEC) :
				 fcntl(0, F_DUPFD_CLOEXEC, 0);
	if (fd < 0) {
		err = -errno;
		return md_fail(e, err, "io", "%s: %s", path, strerror(-err));
	}
	return md_open_fd(out, fd, e);
}

int md_open_fd(struct md_dump **out, int fd, struct md_error *e)
{
	struct md_dump *d = calloc(1, sizeof(*d));
	int err;

	*out = NULL;
	if (!d) {
		close(fd);
		return md_fail(e, -ENOMEM, "io", "out of memory");
	}
	d->fd = -1;
	err = open_input(d, fd, e);
	if (!err && !d->lazy && d->info.has_trailer)
		err = md_trailer_check(&d->info.trailer, d->info.fmt, e);
	if (!err && !d->lazy)
		err = md_stream_check_lengths(&d->info, e);
	d->body_size = d->lazy ? UINT64_MAX : d->info.body_len;
	if (!err)
		err = load_body(d, e);
	if (err) {
		md_close(d);
		return err;
	}
	*out = d;
	return 0;
}

void md_close(struct md_dump *d)
{
	if (!d)
		return;
	if (d->fd >= 0)
		close(d->fd);
	if (d->lazy) {
		md_stream_close(d->lazy->st);
		close(d->lazy->in);
		free(d->lazy);
	}
	md_map_free(&d->map);
	free(d->pmap);
	free(d);
}

int md_read_body(const struct md_dump *d, uint64_t off, void *buf, size_t len,
		 struct md_error *e)
{
	uint64_t size = d->body_size;
	int err;

	err = pull(d, off + len, e);
	if (err)
		return err;
	if (d->lazy && (d->lazy->finished || d->info.body_len < off + len))
		size = d->info.body_len;
	if (off > size || len > size - off)
		return md_fail(e, -EBADMSG, "truncated",
			       "body bytes [%llu, +%zu) are past its end (%llu)",
			       (unsigned long long)off, len,
			       (unsigned long long)size);
	err = md_pread_full(d->fd, buf, len, off);
	if (err)
		return md_fail(e, err, "io", "reading body offset %llu: %s",
			       (unsigned long long)off, strerror(-err));
	return 0;
}

int md_read_pa(const struct md_dump *d, uint64_t pa, void *buf, size_t len,
	       struct md_error *e)
{
	uint64_t rank;

	if (md_pa_rank(&d->map, pa & ~MD_PAGE_MASK, &rank))
		return md_fail(e, -ENOENT, "not-dumped",
			       "physical page 0x%llx is %s",
			       (unsigned long long)(pa & ~MD_PAGE_MASK),
			       md_pa_in_ram(&d->map, pa) ?
			       "not in the dump (bitmap bit clear)" :
			       "not RAM (outside dump_avail)");
	if (rank >= d->pages_present)
		return md_fail(e, -ENOENT, "not-dumped",
			       "physical page 0x%llx is data page %llu, past the end of the file (truncated)",
			       (unsigned long long)(pa & ~MD_PAGE_MASK),
			       (unsigned long long)rank);
	if (!buf)
		return 0;
	return md_read_body(d, d->h.pages_off + rank * MD_PAGE_SIZE +
			    (pa & MD_PAGE_MASK), buf, len, e);
}
