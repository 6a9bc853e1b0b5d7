// SPDX-License-Identifier: GPL-2.0
/*
 * libminidump: one pass over a dump file or pipe. Detects raw/gzip/zstd by
 * magic, decompresses into a sink, and frames the end of the file: the
 * last 4096+512 bytes are held back until EOF, so the trailer, the zero
 * padding and the exact end of the compressed stream (its last frame or
 * member) are found without seeking and with bounded memory.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"

#define ST_BUF		(256u << 10)
#define ST_HOLD		(MD_PAGE_SIZE + MD_TRAILER_SIZE)
#define ST_POST_MAX	(MD_PAGE_SIZE - 1 + MD_TRAILER_SIZE)

struct md_stream {
	int fd;
	uint8_t *buf;			/* ST_BUF + ST_HOLD */
	size_t have;
	bool detected;
	bool finished;
	int err;			/* sticky: the first error */
	struct md_error err_e;		/* and its message */
	const struct md_codec *codec;
	void *cst;
	struct md_sink count;		/* counts body bytes, then calls user */
	const struct md_sink *user;
	struct md_stream_info *info;
	bool ended;
	uint64_t fed;			/* file offset of the next unpushed byte */
	uint8_t post[ST_POST_MAX];	/* bytes after the end of the stream */
	size_t npost;
};

static int count_data(void *ctx, const uint8_t *buf, size_t len,
		      struct md_error *e)
{
	struct md_stream *s = ctx;

	s->info->body_len += len;
	return s->user->data(s->user->ctx, buf, len, e);
}

/* The stream is complete: it ends after the last frame fed so far. */
static void end_stream(struct md_stream *s)
{
	bool between;

	s->ended = true;
	s->info->comp_len = s->fed;
	s->info->frames = s->codec->frames(s->cst, &between);
}

/* At EOF or at the trailer's dumplength: true if a frame just ended. */
static bool at_frame_end(const struct md_stream *s)
{
	bool between = false;

	if (!s->ended)
		s->codec->frames(s->cst, &between);
	return s->ended || between;
}

/* Input that stops right after a frame ends the stream there. */
static void end_at_frame_end(struct md_stream *s)
{
	if (!s->ended && at_frame_end(s))
		end_stream(s);
}

static int garbage(struct md_stream *s, uint8_t byte, uint64_t at,
		   const char *what, struct md_error *e)
{
	return md_fail(e, -EBADMSG, "padding",
		       "byte 0x%02x at offset %llu, after %s %llu of the %s stream, starts no further %s (0x%02x) and is not zero padding%s",
		       byte, (unsigned long long)at, s->codec->unit,
		       (unsigned long long)s->info->frames, s->codec->name,
		       s->codec->unit, s->codec->magic0,
		       what);
}

static int to_post(struct md_stream *s, const uint8_t *p, size_t n,
		   struct md_error *e)
{
	uint8_t first = s->npost ? s->post[0] : n ? p[0] : 0;

	if (n > ST_POST_MAX - s->npost && first)
		return garbage(s, first, s->info->comp_len,
			       ", and too much follows for a trailer", e);
	if (n > ST_POST_MAX - s->npost)
		return md_fail(e, -EBADMSG, "padding",
			       "more than %u bytes follow the %s stream ending at offset %llu (at most 4095 bytes of padding and a 512-byte trailer)",
			       ST_POST_MAX, s->codec->name,
			       (unsigned long long)s->info->comp_len);
	memcpy(s->post + s->npost, p, n);
	s->npost += n;
	s->fed += n;
	return 0;
}

static int push(struct md_stream *s, const uint8_t *p, size_t n, struct md_error *e)
{
	size_t used;
	int err;

	if (!s->codec) {
		s->fed += n;
		return n ? s->count.data(s, p, n, e) : 0;
	}
	if (s->ended)
		return to_post(s, p, n, e);
	err = s->codec->feed(s->cst, p, n, &used, &s->ended, &s->count, e);
	if (err)
		return err;
	s->fed += used;
	if (!s->ended)
		return 0;
	end_stream(s);
	return to_post(s, p + used, n - used, e);
}

static int frame_raw_end(struct md_stream *s, const uint8_t *p, size_t n,
			 struct md_error *e)
{
	uint64_t total = s->info->file_size;

	if (total % MD_PAGE_SIZE == MD_TRAILER_SIZE) {
		s->info->has_trailer = true;
		memcpy(s->info->trailer_raw, p + n - MD_TRAILER_SIZE,
		       MD_TRAILER_SIZE);
		n -= MD_TRAILER_SIZE;
	} else if (total % MD_PAGE_SIZE != 0) {
		return md_fail(e, -EBADMSG, "truncated",
			       "file is %llu bytes: neither whole 4096-byte pages (a body) nor that plus a 512-byte trailer",
			       (unsigned long long)total);
	}
	s->info->comp_len = total - (s->info->has_trailer ? MD_TRAILER_SIZE : 0);
	return push(s, p, n, e);
}

static int frame_post(struct md_stream *s, struct md_error *e)
{
	uint64_t c = s->info->comp_len, t, want, i;

	if (s->npost == 0)
		return 0;
	t = s->info->file_size - MD_TRAILER_SIZE;
	want = md_round_page(c);
	if (s->post[0] && t != c)	/* at t == c: the trailer's magic */
		return garbage(s, s->post[0], c, "", e);
	if (s->npost < MD_TRAILER_SIZE || t != want)
		return md_fail(e, -EBADMSG, "padding",
			       "%zu bytes follow the %s stream ending at offset %llu; expected zero padding to %llu, then a 512-byte trailer",
			       s->npost, s->codec->name, (unsigned long long)c,
			       (unsigned long long)want);
	for (i = 0; i < t - c; i++)
		if (s->post[i])
			return md_fail(e, -EBADMSG, "padding",
				       "non-zero byte 0x%02x at offset %llu in the padding [%llu, %llu)",
				       s->post[i], (unsigned long long)(c + i),
				       (unsigned long long)c, (unsigned long long)t);
	s->info->has_trailer = true;
	memcpy(s->info->trailer_raw, s->post + (t - c), MD_TRAILER_SIZE);
	return 0;
}

static int truncated(struct md_stream *s, const char *why, struct md_error *e)
{
	bool between;
	uint64_t n = s->codec->frames(s->cst, &between) + 1;

	return md_fail(e, -EBADMSG, "truncated",
		       "the %s stream has no end %s: %s %llu is cut short (%llu bytes fed)",
		       s->codec->name, why, s->codec->unit, (unsigned long long)n,
		       (unsigned long long)s->fed);
}

/* EOF on a compressed file; p/n are the held-back last bytes. */
static int frame_comp_end(struct md_stream *s, const uint8_t *p, size_t n,
			  struct md_error *e)
{
	uint64_t total = s->info->file_size, t = total - MD_TRAILER_SIZE, claim;
	const uint8_t *tr = n >= MD_TRAILER_SIZE ? p + n - MD_TRAILER_SIZE : NULL;
	size_t first;
	bool at_claim;
	int err;

	if (s->ended || !tr || total % MD_PAGE_SIZE != MD_TRAILER_SIZE ||
	    !md_trailer_has_magic(tr)) {
		err = push(s, p, n, e);
		if (!err)
			end_at_frame_end(s);
		if (!err && !s->ended)
			err = truncated(s, "before the end of the file", e);
		return err ? err : frame_post(s, e);
	}
	/*
	 * A trailer follows: the stream must end before it. Feed up to the
	 * dumplength it claims first, so that a stream cut short there is
	 * reported as truncated, not as garbage made of the zero padding.
	 */
	claim = md_be64(tr + offsetof(struct kerneldumpheader, dumplength));
	first = (claim > s->fed && claim <= t) ? (size_t)(claim - s->fed) : 0;
	err = push(s, p, first, e);
	at_claim = at_frame_end(s);
	if (!err)
		err = push(s, p + (s->fed - (total - n)), (size_t)(t - s->fed), e);
	if (!err)
		end_at_frame_end(s);
	if (!at_claim && (err ? first > 0 : !s->ended))
		return truncated(s, first ? "within dumplength" : "before the trailer", e);
	if (!err)
		err = to_post(s, tr, MD_TRAILER_SIZE, e);
	return err ? err : frame_post(s, e);
}

static int detect(struct md_stream *s, const uint8_t *p, size_t n,
		  struct md_error *e)
{
	static const uint8_t gz[2] = { 0x1f, 0x8b };
	static const uint8_t zs[4] = { 0x28, 0xb5, 0x2f, 0xfd };

	s->info->fmt = MD_FMT_RAW;
	if (n >= 2 && !memcmp(p, gz, 2)) {
		s->info->fmt = MD_FMT_GZIP;
		s->codec = &md_codec_gzip;
	} else if (n >= 4 && !memcmp(p, zs, 4)) {
		s->info->fmt = MD_FMT_ZSTD;
		s->codec = &md_codec_zstd;
	} else if (n == 0) {
		return md_fail(e, -EBADMSG, "truncated", "the file is empty");
	}
	if (s->codec) {
		s->cst = s->codec->create();
		if (!s->cst)
			return md_fail(e, -ENOMEM, "io", "cannot set up the %s decoder",
				       s->codec->name);
	}
	return 0;
}

/* One read of the input, and at its end the framing of the file's tail. */
static int step(struct md_stream *s, struct md_error *e)
{
	uint8_t *buf = s->buf;
	ssize_t n;
	int err = 0;

	n = md_read_full(s->fd, buf + s->have, ST_BUF + ST_HOLD - s->have);
	if (n < 0)
		return md_fail(e, (int)n, "io", "read failed at offset %llu: %s",
			       (unsigned long long)s->info->file_size,
			       strerror((int)-n));
	s->info->file_size += (uint64_t)n;
	s->have += (size_t)n;
	if (!s->detected && (s->have >= 4 || n == 0)) {
		err = detect(s, buf, s->have, e);
		s->detected = true;
	}
	if (err)
		return err;
	if (n == 0) {
		s->finished = true;
		err = s->codec ? frame_comp_end(s, buf, s->have, e) :
				 frame_raw_end(s, buf, s->have, e);
		if (!err && s->info->has_trailer)
			md_trailer_decode(s->info->trailer_raw, &s->info->trailer);
		return err;
	}
	if (s->have > ST_HOLD) {
		err = push(s, buf, s->have - ST_HOLD, e);
		memmove(buf, buf + s->have - ST_HOLD, ST_HOLD);
		s->have = ST_HOLD;
	}
	return err;
}

int md_stream_open(struct md_stream **out, int fd, const struct md_sink *sink,
		   struct md_stream_info *info, struct md_error *e)
{
	struct md_stream *s = calloc(1, sizeof(*s));

	*out = NULL;
	memset(info, 0, sizeof(*info));
	if (s)
		s->buf = malloc(ST_BUF + ST_HOLD);
	if (!s || !s->buf) {
		free(s);
		return md_fail(e, -ENOMEM, "io", "out of memory");
	}
	s->fd = fd;
	s->info = info;
	s->user = sink;
	s->count.data = count_data;
	s->count.ctx = s;
	*out = s;
	return 0;
}

int md_stream_step(struct md_stream *s, bool *finished, struct md_error *e)
{
	if (!s->err && !s->finished) {
		s->err = step(s, e);
		if (s->err)
			s->err_e = *e;
	} else if (s->err) {
		*e = s->err_e;
	}
	*finished = s->finished;
	return s->err;
}

void md_stream_close(struct md_stream *s)
{
	if (!s)
		return;
	if (s->codec && s->cst)
		s->codec->destroy(s->cst);
	free(s->buf);
	free(s);
}

int md_stream_run(int fd, const struct md_sink *sink,
		  struct md_stream_info *info, struct md_error *e)
{
	struct md_stream *s;
	bool finished = false;
	int err;

	err = md_stream_open(&s, fd, sink, info, e);
	while (!err && !finished)
		err = md_stream_step(s, &finished, e);
	md_stream_close(s);
	return err;
}

int md_stream_check_lengths(const struct md_stream_info *info,
			    struct md_error *e)
{
	const struct md_trailer *t = &info->trailer;
	const char *what = info->fmt == MD_FMT_RAW ? "body" :
			   info->fmt == MD_FMT_GZIP ? "gzip members" : "zstd frames";

	if (!info->has_trailer)
		return 0;
	if (t->dumplength != info->comp_len)
		return md_fail(e, -EBADMSG, "trailer-dumplength",
			       "dumplength %llu, but the %s take %llu bytes",
			       (unsigned long long)t->dumplength, what,
			       (unsigned long long)info->comp_len);
	if (t->dumpextent != info->body_len)
		return md_fail(e, -EBADMSG, "trailer-dumpextent",
			       "dumpextent %llu, but the uncompressed body is %llu bytes",
			       (unsigned long long)t->dumpextent,
			       (unsigned long long)info->body_len);
	return 0;
}
