/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Dump codecs for MEM_KERNELDUMP behind a small ops table, one file per
 * codec (compress_none.c, compress_gzip.c, compress_zstd.c), used through
 * the facade of compress.c. A codec takes the dump body in pieces of any
 * size and pushes whatever it produces to an output callback; where those
 * bytes go, and at which file position, is the writer's business
 * (sink.c). Formats without a codec are refused.
 */
#ifndef _BSDMEM_COMPRESS_H
#define _BSDMEM_COMPRESS_H

#include <linux/types.h>
#include <sys/kerneldump.h>

/* Where a codec delivers its output: 0 or -errno (which stops the dump). */
typedef int (*bsdmem_compress_out_fn)(void *arg, const void *buf, size_t len);

struct bsdmem_compress;

/**
 * struct bsdmem_compress_ops - one codec, called only through the facade
 * @name: for messages
 * @format: KERNELDUMP_COMP_* value it produces
 * @init: allocate the workspace for one dump, may emit a stream header
 * @write: compress @len (> 0) bytes, pushing output as buffers fill
 * @finish: flush everything and emit the stream trailer
 * @reset: after @init or @finish, begin a new stream (a zstd frame, a gzip
 *	member) on the same workspace, emitting its header; NULL for a codec
 *	that has nothing to compress in parallel (none)
 * @workspace: the bytes @init allocates for streams of @c->chunk bytes at
 *	level @c->level (set from the module parameter when 0); with @reset
 * @free: release what @init allocated; called after every @init, even one
 *	that failed
 *
 * @init, @write, @finish and @reset return 0, the -errno of the output
 * callback, or bsdmem_compress_lib_error() of their library's own status.
 */
struct bsdmem_compress_ops {
	const char *name;
	u8 format;
	int (*init)(struct bsdmem_compress *c);
	int (*write)(struct bsdmem_compress *c, const void *buf, size_t len);
	int (*finish)(struct bsdmem_compress *c);
	int (*reset)(struct bsdmem_compress *c);
	size_t (*workspace)(struct bsdmem_compress *c);
	void (*free)(struct bsdmem_compress *c);
};

/**
 * struct bsdmem_compress - a codec's state for one dump
 * @ops: the codec
 * @out: output callback
 * @arg: its argument
 * @priv: the codec's own state, from @ops->init
 * @par: when the dump is compressed by worker threads (compress_par.c),
 *	their state; then @priv is unused
 * @chunk: the uncompressed bytes per stream in @par mode (the codec may
 *	size its workspace for it), 0 for one stream
 * @level: the codec's level for this dump; 0 until the codec reads its
 *	module parameter, once per dump (the workers' codecs copy it)
 */
struct bsdmem_compress {
	const struct bsdmem_compress_ops *ops;
	bsdmem_compress_out_fn out;
	void *arg;
	void *priv;
	struct bsdmem_compress_par *par;
	size_t chunk;
	int level;
};

extern const struct bsdmem_compress_ops bsdmem_compress_none_ops;
extern const struct bsdmem_compress_ops bsdmem_compress_gzip_ops;
extern const struct bsdmem_compress_ops bsdmem_compress_zstd_ops;

/* compress.c: the facade the dump writer uses */
const struct bsdmem_compress_ops *bsdmem_compress_find(u8 format);
int bsdmem_compress_init(struct bsdmem_compress *c,
			 const struct bsdmem_compress_ops *ops,
			 bsdmem_compress_out_fn out, void *arg);
int bsdmem_compress_write(struct bsdmem_compress *c, const void *buf,
			  size_t len);
int bsdmem_compress_finish(struct bsdmem_compress *c);
void bsdmem_compress_free(struct bsdmem_compress *c);
u8 bsdmem_compress_format(const struct bsdmem_compress *c);

/*
 * compress_par.c: the body cut into chunks, each compressed by a worker
 * thread into one complete stream, the streams written in order.
 */
struct bsdmem_compress_par;

unsigned int bsdmem_compress_par_workers(struct bsdmem_compress *c);
int bsdmem_compress_par_init(struct bsdmem_compress *c, unsigned int workers);
int bsdmem_compress_par_write(struct bsdmem_compress_par *par, const void *buf,
			      size_t len);
int bsdmem_compress_par_finish(struct bsdmem_compress_par *par);
void bsdmem_compress_par_free(struct bsdmem_compress_par *par);

/* For codecs: their library's failure status, as the errno the dump returns. */
int bsdmem_compress_lib_error(struct bsdmem_compress *c, long status);

#endif /* _BSDMEM_COMPRESS_H */
