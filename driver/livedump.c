// SPDX-License-Identifier: GPL-2.0
/*
 * MEM_KERNELDUMP: a live minidump of the running kernel written to a file
 * descriptor of the caller (SPEC §7): the checks in FreeBSD's order, one
 * dump at a time, the kerneldumpheader trailer, and the progress file
 * /sys/class/misc/bsdmem/livedump_progress ("pages_done pages_total
 * bytes_out").
 *
 *	struct mem_livedump_arg arg = { .fd = out, .compression = 2 };
 *	ioctl(open("/dev/bsdmem", O_RDONLY), MEM_KERNELDUMP, &arg);
 */
#include <linux/device.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/mutex.h>
#include <linux/net.h>
#include <linux/security.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/timekeeping.h>
#include <linux/uaccess.h>
#include <linux/utsname.h>
#include <sys/kerneldump.h>
#include <sys/memrange.h>

#include "bsdmem.h"
#include "compress.h"
#include "livedump.h"

/* Held for a whole dump: only one runs at a time (others get -EBUSY). */
static DEFINE_MUTEX(bsdmem_livedump_lock);
/*
 * The progress file. Data pages written and to write, both 0 when no dump
 * runs; bytes the caller's file accepted, set to 0 when a dump starts and
 * kept when it ends, so that the last dump's output size can be read after
 * the ioctl returned. Three separate counters and no lock: a reader may see
 * them from slightly different moments. What holds: within one dump each
 * field only grows (pages_total is set once, before the first write), and
 * bytes_out never exceeds what the file has taken. pages_total is 0 when
 * no dump runs, and nonzero from the dump's snapshot to its end.
 */
static atomic64_t bsdmem_livedump_done = ATOMIC64_INIT(0);
static atomic64_t bsdmem_livedump_total = ATOMIC64_INIT(0);
static atomic64_t bsdmem_livedump_out = ATOMIC64_INIT(0);

static ssize_t livedump_progress_show(struct device *dev,
				      struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%lld %lld %lld\n",
			  (long long)atomic64_read(&bsdmem_livedump_done),
			  (long long)atomic64_read(&bsdmem_livedump_total),
			  (long long)atomic64_read(&bsdmem_livedump_out));
}

/*
 * Root only (0400): the output size of a compressed dump of memory that
 * others can partly fill would tell them about the rest; only a caller
 * with CAP_SYS_RAWIO can take a dump and needs to watch it.
 */
static DEVICE_ATTR_ADMIN_RO(livedump_progress);

static struct attribute *bsdmem_livedump_attrs[] = {
	&dev_attr_livedump_progress.attr,
	NULL
};

const struct attribute_group bsdmem_livedump_group = {
	.attrs = bsdmem_livedump_attrs,
};

/*
 * A regular file (not O_APPEND; O_DIRECT is written around the page cache,
 * see sink.c), or a blocking pipe or
 * stream socket, that kernel_write() can write, else -EINVAL; then it must
 * be open for writing, else -EBADF. O_NONBLOCK changes nothing for a
 * regular file, so only pipes and sockets refuse it.
 */
static int bsdmem_livedump_check_file(struct file *file)
{
	umode_t mode = file_inode(file)->i_mode;
	struct socket *sock;

	if (S_ISREG(mode)) {
		if (file->f_flags & O_APPEND)
			return -EINVAL;
	} else if (file->f_flags & O_NONBLOCK) {
		return -EINVAL;
	} else if (S_ISSOCK(mode)) {
		sock = sock_from_file(file);
		if (!sock || sock->type != SOCK_STREAM)
			return -EINVAL;
	} else if (!S_ISFIFO(mode)) {
		return -EINVAL;
	}
	if (!file->f_op->write_iter || file->f_op->write)
		return -EINVAL;
	if (!(file->f_mode & FMODE_WRITE))
		return -EBADF;
	if (!(file->f_mode & FMODE_CAN_WRITE))
		return -EINVAL;
	return 0;
}

static u32 bsdmem_livedump_be32(u32 v)
{
	return (__force u32)cpu_to_be32(v);
}

static u64 bsdmem_livedump_be64(u64 v)
{
	return (__force u64)cpu_to_be64(v);
}

static void bsdmem_livedump_header(struct kerneldumpheader *kdh, u64 length,
				   u64 extent, u8 format)
{
	const struct new_utsname *uts = &init_uts_ns.name;
	size_t vlen = sizeof(kdh->versionstring);

	BUILD_BUG_ON(sizeof(*kdh) != 512);
	memset(kdh, 0, sizeof(*kdh));
	strscpy(kdh->magic, KERNELDUMPMAGIC, sizeof(kdh->magic));
	strscpy(kdh->architecture, "amd64", sizeof(kdh->architecture));
	kdh->version = bsdmem_livedump_be32(KERNELDUMPVERSION);
	kdh->architectureversion = bsdmem_livedump_be32(KERNELDUMP_AMD64_VERSION);
	kdh->dumplength = bsdmem_livedump_be64(length);
	kdh->dumptime = bsdmem_livedump_be64(ktime_get_real_seconds());
	kdh->blocksize = bsdmem_livedump_be32(KERNELDUMP_BLOCKSIZE);
	strscpy(kdh->hostname, uts->nodename, sizeof(kdh->hostname));
	if (snprintf(kdh->versionstring, vlen, "Linux version %s %s",
		     uts->release, uts->version) >= vlen)
		kdh->versionstring[vlen - 2] = '\n';
	kdh->compression = format;
	kdh->dumpextent = bsdmem_livedump_be64(extent);
	kdh->parity = kerneldump_parity(kdh);
}

/* Padding (compressed dumps) and the 512-byte header end the file. */
static int bsdmem_livedump_trailer(struct bsdmem_sink *sink, u64 extent,
				   u8 format)
{
	struct kerneldumpheader *kdh;
	u64 length = sink->total;
	int err = 0;

	if (format != KERNELDUMP_COMP_NONE)
		err = bsdmem_sink_pad(sink, KERNELDUMP_BLOCKSIZE);
	if (err)
		return err;
	kdh = kmalloc(sizeof(*kdh), GFP_KERNEL);
	if (!kdh)
		return -ENOMEM;
	bsdmem_livedump_header(kdh, length, extent, format);
	err = bsdmem_sink_write(sink, kdh, sizeof(*kdh));
	kfree(kdh);
	return err ? err : bsdmem_sink_finish(sink);
}

static int bsdmem_livedump_body(struct bsdmem_minidump *md,
				struct bsdmem_compress *c,
				struct bsdmem_sink *sink)
{
	int err;

	err = bsdmem_sink_start(sink);
	if (err)
		return err;
	atomic64_set(&bsdmem_livedump_total, md->ds.ndata);
	err = bsdmem_minidump_write(md, c, &bsdmem_livedump_done);
	if (!err)
		err = bsdmem_compress_finish(c);
	if (!err)
		err = bsdmem_livedump_trailer(sink, md->size,
					      bsdmem_compress_format(c));
	return err;
}

/*
 * One dump, with the busy lock held; everything it takes is given back.
 * The writer's and the codec's buffers (megabytes with several workers) are
 * allocated after the snapshot, so they are free pages to it, not part of
 * the dump.
 */
static int bsdmem_livedump_run(struct file *file,
			       const struct bsdmem_compress_ops *ops,
			       bool allram)
{
	struct bsdmem_compress c;
	struct bsdmem_minidump *md;
	struct bsdmem_sink sink = { };
	int err;

	md = kzalloc(sizeof(*md), GFP_KERNEL);
	if (!md)
		return -ENOMEM;
	atomic64_set(&bsdmem_livedump_out, 0);
	err = bsdmem_minidump_prepare(md, allram);
	if (!err)
		err = bsdmem_sink_init(&sink, file, &bsdmem_livedump_out);
	if (!err) {
		err = bsdmem_compress_init(&c, ops, bsdmem_sink_write, &sink);
		if (!err)
			err = bsdmem_livedump_body(md, &c, &sink);
		bsdmem_compress_free(&c);
	}
	bsdmem_sink_free(&sink);
	bsdmem_minidump_free(md);
	kfree(md);
	/* total first: done never goes back while total says a dump runs */
	atomic64_set(&bsdmem_livedump_total, 0);
	atomic64_set(&bsdmem_livedump_done, 0);
	return err;
}

/**
 * bsdmem_livedump_ioctl() - MEM_KERNELDUMP
 * @uarg: user pointer to a struct mem_livedump_arg
 *
 * Return: 0 once the whole dump is written, or -errno: -EPERM (privilege,
 * lockdown), -EFAULT, -EINVAL (flags, kind of file, compression), -EBADF
 * (fd not open, O_PATH, not open for writing), -EBUSY (a dump runs),
 * -EINTR (a signal), or the file's own write error.
 */
long bsdmem_livedump_ioctl(const void __user *uarg)
{
	const struct bsdmem_compress_ops *ops;
	struct mem_livedump_arg arg;
	struct file *file;
	int err;

	/* The ioctl dispatcher checked the access policy; a dump is kcore. */
	if (security_locked_down(LOCKDOWN_KCORE))
		return -EPERM;
	if (copy_from_user(&arg, uarg, sizeof(arg)))
		return -EFAULT;
	if (arg.flags & ~MEM_KERNELDUMP_FLAGS)
		return -EINVAL;
	file = fget(arg.fd);	/* O_PATH descriptors are not found */
	if (!file)
		return -EBADF;
	err = bsdmem_livedump_check_file(file);
	if (err)
		goto out_fput;
	ops = bsdmem_compress_find(arg.compression);
	err = -EINVAL;
	if (!ops)
		goto out_fput;
	err = -EBUSY;
	if (!mutex_trylock(&bsdmem_livedump_lock))
		goto out_fput;
	err = bsdmem_livedump_run(file, ops, arg.flags & MEM_KERNELDUMP_ALLRAM);
	mutex_unlock(&bsdmem_livedump_lock);
out_fput:
	fput(file);
	return err;
}
