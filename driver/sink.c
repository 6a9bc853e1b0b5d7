// SPDX-License-Identifier: GPL-2.0
/*
 * The dump writer: buffers what the codec produces and writes it to the
 * caller's file in large chunks. It owns positions (a regular file is
 * emptied first, then written from offset 0 whatever its f_pos, so it ends
 * exactly at the dump's end; pipes and stream sockets are written in
 * order), short writes, zero padding, and stops with -EINTR as soon as a
 * signal is pending.
 */
#include <linux/cred.h>
#include <linux/fs.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/sizes.h>
#include <linux/slab.h>

#include "livedump.h"

#define BSDMEM_SINK_SIZE	SZ_1M

/*
 * Cut a regular file to @len bytes with the credentials it was opened
 * with, as ftruncate(2) on the descriptor is allowed to whoever holds it
 * open for writing, not only to who may write its path now.
 */
static int bsdmem_sink_truncate(struct bsdmem_sink *s, loff_t len)
{
	const struct cred *old = override_creds(s->file->f_cred);
	long err = vfs_truncate(&s->file->f_path, len);

	revert_creds(old);
	return err;
}

/**
 * bsdmem_sink_init() - prepare to write a dump to @file
 * @s: the writer
 * @file: a file that bsdmem_livedump checked: regular, pipe or stream socket
 *
 * A regular file is emptied here, before the dump writes anything: a file
 * that cannot be cut (a memfd sealed against shrinking) fails now, not
 * after a long dump.
 *
 * Return: 0, -ENOMEM, or the truncate's error (-EPERM, -EACCES, ...).
 */
int bsdmem_sink_init(struct bsdmem_sink *s, struct file *file)
{
	struct inode *inode = file_inode(file);
	int err;

	s->file = file;
	s->pos = 0;
	s->len = 0;
	s->total = 0;
	s->buf = NULL;
	if (S_ISREG(inode->i_mode) && i_size_read(inode) > 0) {
		err = bsdmem_sink_truncate(s, 0);
		if (err)
			return err;
	}
	s->buf = kvmalloc(BSDMEM_SINK_SIZE, GFP_KERNEL);
	return s->buf ? 0 : -ENOMEM;
}

/**
 * bsdmem_sink_free() - release the writer's buffer
 * @s: the writer, after bsdmem_sink_init() whatever it returned
 */
void bsdmem_sink_free(struct bsdmem_sink *s)
{
	kvfree(s->buf);
	s->buf = NULL;
}

/* A dump is never restarted: every "restart" code becomes -EINTR. */
static int bsdmem_sink_errno(ssize_t err)
{
	switch (err) {
	case -ERESTARTSYS:
	case -ERESTARTNOINTR:
	case -ERESTARTNOHAND:
	case -ERESTART_RESTARTBLOCK:
		return -EINTR;
	default:
		return err;
	}
}

static int bsdmem_sink_flush(struct bsdmem_sink *s)
{
	size_t done = 0;
	ssize_t n;

	while (done < s->len) {
		if (signal_pending(current))
			return -EINTR;
		n = kernel_write(s->file, s->buf + done, s->len - done, &s->pos);
		if (n < 0)
			return bsdmem_sink_errno(n);
		if (!n)
			return -EIO;
		done += n;
		cond_resched();
	}
	s->len = 0;
	return 0;
}

/* Append @len bytes of @buf, or zeros when @buf is NULL, flushing full buffers. */
static int bsdmem_sink_append(struct bsdmem_sink *s, const void *buf,
			      size_t len)
{
	size_t chunk;
	int err;

	while (len) {
		chunk = min(len, BSDMEM_SINK_SIZE - s->len);
		if (buf) {
			memcpy(s->buf + s->len, buf, chunk);
			buf += chunk;
		} else {
			memset(s->buf + s->len, 0, chunk);
		}
		s->len += chunk;
		s->total += chunk;
		len -= chunk;
		if (s->len == BSDMEM_SINK_SIZE) {
			err = bsdmem_sink_flush(s);
			if (err)
				return err;
		}
	}
	return 0;
}

/**
 * bsdmem_sink_write() - append bytes to the dump (a bsdmem_compress_out_fn)
 * @arg: the struct bsdmem_sink
 * @buf: bytes
 * @len: how many
 *
 * Return: 0, or -errno from the file (-EINTR on a pending signal).
 */
int bsdmem_sink_write(void *arg, const void *buf, size_t len)
{
	return bsdmem_sink_append(arg, buf, len);
}

/**
 * bsdmem_sink_pad() - append zeros up to the next multiple of @align
 * @s: the writer
 * @align: a power of two
 *
 * Return: 0 or -errno.
 */
int bsdmem_sink_pad(struct bsdmem_sink *s, size_t align)
{
	return bsdmem_sink_append(s, NULL, ALIGN(s->total, align) - s->total);
}

/**
 * bsdmem_sink_finish() - write what is buffered; cut a regular file
 * @s: the writer
 *
 * The file was emptied at the start; if something else made it longer
 * meanwhile, it is cut again to end exactly at the dump's last byte.
 *
 * Return: 0 or -errno.
 */
int bsdmem_sink_finish(struct bsdmem_sink *s)
{
	struct inode *inode = file_inode(s->file);
	int err;

	err = bsdmem_sink_flush(s);
	if (err)
		return err;
	if (!S_ISREG(inode->i_mode) || i_size_read(inode) <= s->total)
		return 0;
	return bsdmem_sink_truncate(s, s->total);
}
