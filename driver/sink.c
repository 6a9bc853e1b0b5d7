// SPDX-License-Identifier: GPL-2.0
/*
 * The dump writer: buffers what the codec produces and writes it to the
 * caller's file in large chunks. It owns positions (a regular file is
 * emptied first, then written from offset 0 whatever its f_pos, so it ends
 * exactly at the dump's end; pipes and stream sockets are written in
 * order), short writes, zero padding, and stops with -EINTR as soon as a
 * signal is pending. A regular file opened O_DIRECT is written around the
 * page cache, from the buffer's own pages, in whole pages: the last page is
 * padded with zeros and cut off at the end.
 */
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/uio.h>
#include <linux/vmalloc.h>

#include "bsdmem.h"
#include "livedump.h"

#define BSDMEM_SINK_SIZE	SZ_1M

/**
 * bsdmem_sink_init() - prepare to write a dump to @file
 * @s: the writer
 * @file: a file that bsdmem_livedump checked: regular, pipe or stream socket
 * @written: grows by what each write to @file returns (the progress file's
 *	bytes_out); never more than the file has taken
 *
 * Nothing reaches the file before bsdmem_sink_start().
 *
 * Return: 0 or -ENOMEM.
 */
int bsdmem_sink_init(struct bsdmem_sink *s, struct file *file,
		     atomic64_t *written)
{
	unsigned int i;

	s->file = file;
	s->written = written;
	s->pos = 0;
	s->len = 0;
	s->total = 0;
	s->bvec = NULL;
	s->buf = kvmalloc(BSDMEM_SINK_SIZE, BSDMEM_GFP);
	if (!s->buf)
		return -ENOMEM;
	if (!S_ISREG(file_inode(file)->i_mode) || !(file->f_flags & O_DIRECT))
		return 0;
	s->bvec = kvmalloc_array(BSDMEM_SINK_SIZE / PAGE_SIZE, sizeof(*s->bvec),
				 BSDMEM_GFP);
	if (!s->bvec)
		return -ENOMEM;
	/* kvmalloc: page-aligned at this size, from the page allocator or vmalloc */
	for (i = 0; i < BSDMEM_SINK_SIZE / PAGE_SIZE; i++) {
		void *p = s->buf + i * PAGE_SIZE;

		bvec_set_page(&s->bvec[i], is_vmalloc_addr(p) ?
			      vmalloc_to_page(p) : virt_to_page(p), PAGE_SIZE, 0);
	}
	return 0;
}

/**
 * bsdmem_sink_free() - release the writer's buffer
 * @s: the writer, after bsdmem_sink_init() whatever it returned
 */
void bsdmem_sink_free(struct bsdmem_sink *s)
{
	kvfree(s->bvec);
	s->bvec = NULL;
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

/*
 * Cut a regular file to @len bytes as ftruncate(2) on the descriptor does:
 * holding it open for writing is all it takes (nobody's permission on the
 * path is asked), and set-id bits and file capabilities go in the same
 * change, so a refused truncation keeps them. The LSM's setattr hook runs
 * in notify_change(); its truncate hooks are not exported to modules.
 */
static int bsdmem_sink_truncate(struct bsdmem_sink *s, loff_t len)
{
	struct file *file = s->file;
	struct inode *inode = file_inode(file);
	struct iattr attr = {
		.ia_valid = ATTR_SIZE | ATTR_MTIME | ATTR_CTIME | ATTR_FILE,
		.ia_size = len,
		.ia_file = file,
	};
	int err;

	if (IS_APPEND(inode))
		return -EPERM;
	file_start_write(file);
	inode_lock(inode);
	/* notify_change() drops ATTR_KILL_PRIV when there is nothing to kill. */
	if (!IS_NOSEC(inode))
		attr.ia_valid |= ATTR_FORCE | ATTR_KILL_PRIV |
			setattr_should_drop_suidgid(file_mnt_idmap(file), inode);
	err = notify_change(file_mnt_idmap(file), file->f_path.dentry, &attr,
			    NULL);
	inode_unlock(inode);
	file_end_write(file);
	return bsdmem_sink_errno(err);
}

/**
 * bsdmem_sink_start() - called once the dump is ready to be written
 * @s: the writer
 *
 * A regular file is emptied now, before anything is written to it, so the
 * dump ends exactly where its last byte does, and a file that cannot be
 * cut (a memfd sealed against shrinking) fails now, not after a long dump.
 *
 * Return: 0 or the truncation's error.
 */
int bsdmem_sink_start(struct bsdmem_sink *s)
{
	struct inode *inode = file_inode(s->file);

	struct iov_iter iter;
	loff_t pos = 0;
	ssize_t n;
	int err;

	if (!S_ISREG(inode->i_mode) || (!i_size_read(inode) && !s->bvec))
		return 0;
	err = bsdmem_sink_truncate(s, 0);
	if (err || !s->bvec)
		return err;
	/*
	 * An O_DIRECT file is cut at the end whatever its size (the padding
	 * of its last page): one page written and cut off now shows that it
	 * can be (a memfd sealed against shrinking takes O_DIRECT from 6.6).
	 */
	memset(s->buf, 0, PAGE_SIZE);
	iov_iter_bvec(&iter, ITER_SOURCE, s->bvec, 1, PAGE_SIZE);
	n = bsdmem_vfs_iter_write(s->file, &iter, &pos);
	if (n < 0)
		return bsdmem_sink_errno(n);
	return bsdmem_sink_truncate(s, 0);
}

/*
 * O_DIRECT: the buffer's first s->len bytes, from its own pages, padded
 * with zeros to a whole page (bsdmem_sink_finish() cuts the padding off),
 * so the file offset and the length suit any logical block size up to a
 * page. After a short write the iterator is made again and advanced past
 * what the file took: file systems leave a spent iterator in different
 * states (6.12's netfs, 9p's, does not advance it). A signal stops the
 * loop as it stops a buffered dump at its next flush.
 * Return: 0 or -errno.
 */
static int bsdmem_sink_flush_direct(struct bsdmem_sink *s)
{
	size_t real = s->len, len = PAGE_ALIGN(s->len), done = 0;
	struct iov_iter iter;
	ssize_t n;

	memset(s->buf + real, 0, len - real);
	while (done < len) {
		if (done && signal_pending(current))
			return -EINTR;
		iov_iter_bvec(&iter, ITER_SOURCE, s->bvec, len / PAGE_SIZE, len);
		iov_iter_advance(&iter, done);
		n = bsdmem_vfs_iter_write(s->file, &iter, &s->pos);
		if (n < 0)
			return bsdmem_sink_errno(n);
		if (!n || n > len - done)
			return -EIO;
		done += n;
		/* the progress file counts dump bytes, not the padding */
		n = min_t(size_t, n, real);
		atomic64_add(n, s->written);
		real -= n;
		cond_resched();
	}
	s->len = 0;
	return 0;
}

/*
 * A signal is looked for once, before the first write: a pipe whose reader
 * left takes part of a buffer, then queues SIGPIPE, and only the next write
 * says EPIPE, which is the error (as write(2) gives it), not EINTR. A signal
 * still ends the dump: on a pipe or socket a write that would wait fails
 * with -ERESTARTSYS; a regular file's writes do not wait for signals, so
 * there it is seen at the next flush, at most 1 MiB later.
 */
static int bsdmem_sink_flush(struct bsdmem_sink *s)
{
	size_t done = 0;
	ssize_t n;

	if (signal_pending(current))
		return -EINTR;
	if (s->bvec)
		return bsdmem_sink_flush_direct(s);
	while (done < s->len) {
		n = kernel_write(s->file, s->buf + done, s->len - done,
				 &s->pos);
		if (n < 0)
			return bsdmem_sink_errno(n);
		if (!n)
			return -EIO;
		atomic64_add(n, s->written);
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
