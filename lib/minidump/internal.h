// SPDX-License-Identifier: GPL-2.0
/*
 * libminidump internals: full-length I/O helpers and the decompressor
 * interface shared by stream.c and the codec files (byte order and the
 * page size: byteorder.h, through minidump.h).
 */
#ifndef MD_INTERNAL_H
#define MD_INTERNAL_H

#include <stdint.h>
#include <sys/types.h>
#include "minidump.h"

/* read(2) until len bytes or EOF; returns bytes read or -errno. */
ssize_t md_read_full(int fd, void *buf, size_t len);
int md_pread_full(int fd, void *buf, size_t len, uint64_t off);
int md_write_full(int fd, const void *buf, size_t len);
int md_pwrite_full(int fd, const void *buf, size_t len, uint64_t off);
/* An anonymous temporary file in $TMPDIR (or /tmp), already unlinked. */
int md_tmpfile(struct md_error *e);

/*
 * A decompressor. A stream is one or more frames (zstd) or members (gzip)
 * in a row, each complete with its own checks. feed() consumes input and
 * pushes output to the sink. After a frame ends, the next byte decides:
 * the first byte of the codec's magic starts another frame, anything else
 * ends the stream, and *ended is set with that byte left unconsumed.
 * Input that simply stops after a frame leaves the stream open: frames()
 * then says so through *between, and the caller decides (EOF ends it).
 */
struct md_codec {
	const char *name;
	const char *unit;	/* "frame" or "member" */
	uint8_t magic0;		/* the first byte of a frame's magic */
	void *(*create)(void);
	int (*feed)(void *st, const uint8_t *in, size_t len, size_t *used,
		    bool *ended, const struct md_sink *sink, struct md_error *e);
	/* Frames complete so far; *between if the input ends right after one. */
	uint64_t (*frames)(const void *st, bool *between);
	void (*destroy)(void *st);
};

extern const struct md_codec md_codec_gzip;
extern const struct md_codec md_codec_zstd;

#endif /* MD_INTERNAL_H */
