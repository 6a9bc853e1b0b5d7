// SPDX-License-Identifier: GPL-2.0
/*
 * Dumps compressed on every CPU. The body is cut into chunks of
 * dump_chunk_kb KiB; each chunk is compressed by a worker (an unbound
 * workqueue of its own, at most dump_threads items at once) into one
 * complete stream of the codec, a zstd frame with its checksum or a gzip
 * member, and the dumping thread writes the streams in the order of their
 * chunks. Concatenated frames and members are what zstd -d and gzip -d
 * read as one file.
 *
 * A ring of workers + 1 slots: the dumping thread fills one slot while the
 * others compress; before it refills a slot it waits for that slot's
 * stream (the oldest one) and writes it. Every buffer and workspace is
 * allocated once per dump, and together they take at most a quarter of
 * the memory available when the dump starts: fewer workers where that
 * is short, and one stream made by the dumping thread where it does not
 * allow two. A failure on either side, or a signal while waiting, stops
 * the dump: the workers see the abort flag between steps of
 * BSDMEM_PAR_STEP bytes, queued chunks are cancelled, and nothing is freed
 * before every slot is idle.
 */
#include <linux/completion.h>
#include <linux/cpumask.h>
#include <linux/mm.h>
#include <linux/moduleparam.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include <linux/workqueue.h>

#include "bsdmem.h"
#include "compress.h"

#define BSDMEM_PAR_STEP		SZ_64K
#define BSDMEM_PAR_MAX		64
#define BSDMEM_PAR_CHUNK_MAX_KB	16384

/* What a chunk can grow to: zstd's and deflate's bounds, with room to spare. */
static size_t bsdmem_par_obuf(size_t chunk)
{
	return chunk + chunk / 16 + SZ_4K;
}

static unsigned int dump_threads;
static unsigned int dump_chunk_kb = 2048;

static int bsdmem_par_set_threads(const char *val, const struct kernel_param *kp)
{
	return bsdmem_main_param_range(val, kp, 0, BSDMEM_PAR_MAX);
}

static const struct kernel_param_ops bsdmem_par_threads_ops = {
	.set	= bsdmem_par_set_threads,
	.get	= param_get_uint,
};

module_param_cb(dump_threads, &bsdmem_par_threads_ops, &dump_threads, 0644);
MODULE_PARM_DESC(dump_threads,
		 "threads compressing a MEM_KERNELDUMP, 0-64 (default 0: one per online CPU)");

/* A whole number of pages: the body's sections and pages are. */
static int bsdmem_par_set_chunk(const char *val, const struct kernel_param *kp)
{
	unsigned int kb;

	if (kstrtouint(val, 0, &kb) || kb % (PAGE_SIZE / SZ_1K))
		return -EINVAL;
	return bsdmem_main_param_range(val, kp, PAGE_SIZE / SZ_1K,
				       BSDMEM_PAR_CHUNK_MAX_KB);
}

static const struct kernel_param_ops bsdmem_par_chunk_ops = {
	.set	= bsdmem_par_set_chunk,
	.get	= param_get_uint,
};

module_param_cb(dump_chunk_kb, &bsdmem_par_chunk_ops, &dump_chunk_kb, 0644);
MODULE_PARM_DESC(dump_chunk_kb,
		 "KiB of a MEM_KERNELDUMP body per compressed stream when threads compress it, 4-16384 in pages (default 2048)");

struct bsdmem_par_slot {
	struct bsdmem_compress_par *par;
	struct bsdmem_compress c;	/* this slot's codec and workspace */
	bool codec_ready;		/* c.ops->init was called: free it */
	struct work_struct work;
	struct completion done;
	bool busy;			/* queued: the worker owns the slot */
	int err;			/* the worker's result */
	u8 *in;
	size_t ilen;
	u8 *out;
	size_t olen;
};

struct bsdmem_compress_par {
	struct bsdmem_compress *c;	/* the facade's: where streams go */
	size_t chunk;			/* bytes per stream, c->chunk */
	size_t obuf;			/* bytes of each slot's output */
	struct workqueue_struct *wq;
	bool abort;			/* stop compressing: the dump failed */
	unsigned int nslots;
	unsigned int cur;		/* the slot being filled */
	struct bsdmem_par_slot slots[];
};

/**
 * bsdmem_compress_par_workers() - how many workers a dump will use
 * @c: the facade's stream, its ops set; its level is read here
 *
 * dump_threads, or the online CPUs when it is 0, at most BSDMEM_PAR_MAX,
 * and no more than a quarter of the available memory holds with one slot
 * (input, output, codec workspace) per worker plus one. Sets @c->chunk
 * from dump_chunk_kb when there are workers.
 *
 * Return: the workers; 1 (one stream, compressed by the dumping thread)
 * for a codec that cannot start a new stream, or when two do not fit.
 */
unsigned int bsdmem_compress_par_workers(struct bsdmem_compress *c)
{
	unsigned int n = READ_ONCE(dump_threads);
	size_t chunk = (size_t)READ_ONCE(dump_chunk_kb) * SZ_1K;
	struct bsdmem_compress probe = *c;
	u64 budget, slot, fit;

	if (!c->ops->reset)
		return 1;
	if (!n)
		n = num_online_cpus();
	n = clamp(n, 1U, (unsigned int)BSDMEM_PAR_MAX);
	if (n == 1)
		return 1;
	probe.chunk = chunk;
	slot = chunk + bsdmem_par_obuf(chunk) + c->ops->workspace(&probe);
	c->level = probe.level;
	budget = (u64)max(si_mem_available(), 0L) * PAGE_SIZE / 4;
	fit = div64_u64(budget, slot);
	if (fit < 3)
		return 1;
	c->chunk = chunk;
	return min_t(u64, n, fit - 1);
}

/* A codec's output goes to its slot's buffer, which holds a whole chunk's. */
static int bsdmem_par_slot_out(void *arg, const void *buf, size_t len)
{
	struct bsdmem_par_slot *slot = arg;

	if (len > slot->par->obuf - slot->olen)
		return bsdmem_compress_lib_error(&slot->c, -EOVERFLOW);
	memcpy(slot->out + slot->olen, buf, len);
	slot->olen += len;
	return 0;
}

/* The worker: one chunk into one complete stream. */
static void bsdmem_par_work(struct work_struct *work)
{
	struct bsdmem_par_slot *slot =
		container_of(work, struct bsdmem_par_slot, work);
	const struct bsdmem_compress_ops *ops = slot->c.ops;
	size_t pos = 0, n;
	int err;

	slot->olen = 0;
	err = ops->reset(&slot->c);
	while (!err && pos < slot->ilen) {
		if (READ_ONCE(slot->par->abort)) {
			err = -EINTR;
			break;
		}
		n = min_t(size_t, slot->ilen - pos, BSDMEM_PAR_STEP);
		err = ops->write(&slot->c, slot->in + pos, n);
		pos += n;
		cond_resched();
	}
	if (!err)
		err = ops->finish(&slot->c);
	slot->err = err;
	complete(&slot->done);
}

/**
 * bsdmem_compress_par_init() - set up workers for one dump
 * @c: the facade's stream, its ops, out, arg, level and chunk set
 * @workers: from bsdmem_compress_par_workers(), at least 2
 *
 * Call bsdmem_compress_free() afterwards in any case.
 *
 * Return: 0, -ENOMEM, -EINTR (a signal while allocating), or a codec's
 * init error.
 */
int bsdmem_compress_par_init(struct bsdmem_compress *c, unsigned int workers)
{
	struct bsdmem_compress_par *par;
	struct bsdmem_par_slot *slot;
	unsigned int i;
	int err;

	par = kzalloc(struct_size(par, slots, workers + 1), BSDMEM_GFP);
	if (!par)
		return -ENOMEM;
	c->par = par;
	par->c = c;
	par->chunk = c->chunk;
	par->obuf = bsdmem_par_obuf(par->chunk);
	par->nslots = workers + 1;
	for (i = 0; i < par->nslots; i++) {
		slot = &par->slots[i];
		slot->par = par;
		INIT_WORK(&slot->work, bsdmem_par_work);
		init_completion(&slot->done);
	}
	par->wq = alloc_workqueue("bsdmem_dump", WQ_UNBOUND, workers);
	if (!par->wq)
		return -ENOMEM;
	for (i = 0; i < par->nslots; i++) {
		if (signal_pending(current))
			return -EINTR;
		slot = &par->slots[i];
		slot->in = __vmalloc(par->chunk, BSDMEM_GFP);
		slot->out = __vmalloc(par->obuf, BSDMEM_GFP);
		if (!slot->in || !slot->out)
			return -ENOMEM;
		slot->c.ops = c->ops;
		slot->c.out = bsdmem_par_slot_out;
		slot->c.arg = slot;
		slot->c.chunk = par->chunk;
		slot->c.level = c->level;
		slot->codec_ready = true;
		err = c->ops->init(&slot->c);
		if (err)
			return err;
	}
	return 0;
}

/* Wait for a queued slot; write its stream. Signals end the wait. */
static int bsdmem_par_collect(struct bsdmem_compress_par *par,
			      struct bsdmem_par_slot *slot)
{
	int err;

	if (!slot->busy)
		return 0;
	if (wait_for_completion_interruptible(&slot->done))
		return -EINTR;
	slot->busy = false;
	slot->ilen = 0;
	if (slot->err)
		return slot->err;
	err = par->c->out(par->c->arg, slot->out, slot->olen);
	slot->olen = 0;
	return err;
}

static void bsdmem_par_submit(struct bsdmem_compress_par *par,
			      struct bsdmem_par_slot *slot)
{
	slot->busy = true;
	slot->err = 0;
	reinit_completion(&slot->done);
	queue_work(par->wq, &slot->work);
	par->cur = (par->cur + 1) % par->nslots;
}

/**
 * bsdmem_compress_par_write() - take bytes of the body
 * @par: the workers
 * @buf: bytes
 * @len: how many
 *
 * Return: 0, -EINTR, or the error of a worker or of the writer.
 */
int bsdmem_compress_par_write(struct bsdmem_compress_par *par, const void *buf,
			      size_t len)
{
	struct bsdmem_par_slot *slot;
	size_t n;
	int err;

	while (len) {
		slot = &par->slots[par->cur];
		err = bsdmem_par_collect(par, slot);
		if (err)
			return err;
		n = min(len, par->chunk - slot->ilen);
		memcpy(slot->in + slot->ilen, buf, n);
		slot->ilen += n;
		buf += n;
		len -= n;
		if (slot->ilen == par->chunk)
			bsdmem_par_submit(par, slot);
	}
	return 0;
}

/**
 * bsdmem_compress_par_finish() - compress the last chunk, write every stream
 * @par: the workers
 *
 * Return: 0, -EINTR, or the error of a worker or of the writer.
 */
int bsdmem_compress_par_finish(struct bsdmem_compress_par *par)
{
	struct bsdmem_par_slot *slot = &par->slots[par->cur];
	unsigned int i;
	int err;

	/*
	 * The slot to fill next holds a partial chunk, or is the oldest one
	 * queued (a body that ends on a chunk boundary): submit only the first.
	 */
	if (!slot->busy && slot->ilen)
		bsdmem_par_submit(par, slot);
	/* The oldest queued stream is in the slot to be filled next. */
	for (i = 0; i < par->nslots; i++) {
		err = bsdmem_par_collect(par,
					 &par->slots[(par->cur + i) % par->nslots]);
		if (err)
			return err;
	}
	return 0;
}

/**
 * bsdmem_compress_par_free() - stop the workers and release everything
 * @par: from bsdmem_compress_par_init(), whatever it returned
 */
void bsdmem_compress_par_free(struct bsdmem_compress_par *par)
{
	struct bsdmem_par_slot *slot;
	unsigned int i;

	WRITE_ONCE(par->abort, true);
	for (i = 0; i < par->nslots; i++) {
		slot = &par->slots[i];
		/* a queued chunk is dropped, a running one stops at its next step */
		if (slot->busy)
			cancel_work_sync(&slot->work);
		if (slot->codec_ready)
			slot->c.ops->free(&slot->c);
		vfree(slot->in);
		vfree(slot->out);
	}
	if (par->wq)
		destroy_workqueue(par->wq);
	kfree(par);
}
