// SPDX-License-Identifier: GPL-2.0
/*
 * libbsdkvm: the running kernel. Kernel virtual addresses are file offsets
 * of /dev/bsdkmem (SPEC §4); symbols come from /proc/kallsyms, which gives
 * run-time addresses. Only what FreeBSD's live kvm does: read, write, nlist.
 * With /dev/null as the core: the symbols and no memory.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/memrange.h>
#include "kvm_private.h"

/*
 * An address with the top bit set is a negative off_t: pread(2) refuses
 * those (EINVAL), lseek(2) takes them and returns them, so -1 with errno
 * set is its only failure (SPEC §4).
 */
static int live_seek(kvm_t *kd, kvaddr_t va, const char *what)
{
	errno = 0;
	if (lseek(kd->kmem_fd, (off_t)va, SEEK_SET) == (off_t)-1 && errno) {
		bsdkvm_syserr(kd, "%s: %s: seek to 0x%llx", what, _PATH_BSDKMEM,
			      (unsigned long long)va);
		return -1;
	}
	return 0;
}

/* A short count once anything moved (and why it stopped), else -1. */
static ssize_t live_io(kvm_t *kd, kvaddr_t va, void *rbuf, const void *wbuf,
		       size_t len)
{
	const char *what = rbuf ? "kvm_read" : "kvm_write";
	size_t done = 0;
	ssize_t n;

	if (live_seek(kd, va, what))
		return -1;
	while (done < len) {
		n = rbuf ? read(kd->kmem_fd, (char *)rbuf + done, len - done) :
			   write(kd->kmem_fd, (const char *)wbuf + done,
				 len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0)
				errno = EFAULT;
			bsdkvm_syserr(kd, "%s: %s at 0x%llx (%zu of %zu bytes done)",
				      what, _PATH_BSDKMEM,
				      (unsigned long long)(va + done), done, len);
			return done ? (ssize_t)done : -1;
		}
		done += (size_t)n;
	}
	return (ssize_t)done;
}

static ssize_t live_read(kvm_t *kd, kvaddr_t va, void *buf, size_t len)
{
	return live_io(kd, va, buf, NULL, len);
}

/* Needs the module's writable=1 and a writable mapping (SPEC §4). */
static ssize_t live_write(kvm_t *kd, kvaddr_t va, const void *buf, size_t len)
{
	return live_io(kd, va, NULL, buf, len);
}

static int live_walk_pages(kvm_t *kd, kvm_walk_pages_cb_t *cb, void *closure)
{
	(void)cb;
	(void)closure;
	bsdkvm_err(kd, "kvm_walk_pages: the running kernel has no page list: crash dumps only");
	return 0;
}

static int live_symfile(kvm_t *kd, const char **path)
{
	(void)kd;
	*path = BSDKVM_KALLSYMS;
	return 0;
}

/* The KASLR slide: _text where it runs (kallsyms) minus where path has it. */
int bsdkvm_live_filedisp(kvm_t *kd, const char *path, int64_t *disp)
{
	struct bsdkvm_sym run = { .name = "_text" }, link = { .name = "_text" };

	*disp = 0;
	if (!strcmp(path, BSDKVM_KALLSYMS))
		return 0;
	if (bsdkvm_symfile_scan(kd, BSDKVM_KALLSYMS, &run, 1) ||
	    bsdkvm_symfile_scan(kd, path, &link, 1))
		return -1;
	if (!run.score || !run.value || !link.score) {
		bsdkvm_err(kd, "kvm_nlist: no address of _text in %s%s",
			   run.score && run.value ? path : BSDKVM_KALLSYMS,
			   run.score && !run.value ?
			   " (addresses hidden by kptr_restrict: run as root)" : "");
		return -1;
	}
	*disp = (int64_t)(run.value - link.value);
	return 0;
}

/*
 * KERNELOFFSET of the running kernel's VMCOREINFO note, whose physical
 * address and size /sys/kernel/vmcoreinfo gives: read through /dev/bsdmem
 * and parsed by libminidump, as in a dump. 0 when the note has none (a
 * kernel without KASLR).
 */
int bsdkvm_live_kerndisp(kvm_t *kd, int64_t *disp)
{
	struct md_vmcoreinfo v = { 0 };
	struct md_error e = { { 0 }, { 0 } };
	unsigned long long pa = 0;
	unsigned int size = 0;
	char val[32], *end;
	int fd, ok = 0;
	FILE *f;

	*disp = 0;
	f = fopen("/sys/kernel/vmcoreinfo", "re");
	if (!f || fscanf(f, "%llx %x", &pa, &size) != 2 || !size ||
	    size > MD_VMCOREINFO_MAX) {
		if (f)
			fclose(f);
		bsdkvm_err(kd, "kvm_kerndisp: /sys/kernel/vmcoreinfo gives no note");
		return -1;
	}
	fclose(f);
	v.pa = pa;
	v.size = size;
	v.buf = malloc(size);
	fd = open(_PATH_BSDMEM, O_RDONLY | O_CLOEXEC);
	if (v.buf && fd >= 0 && pread(fd, v.buf, size, (off_t)pa) == (ssize_t)size) {
		v.got = size;
		ok = !md_vmcoreinfo_parse(&v, &e);
	} else {
		bsdkvm_syserr(kd, "kvm_kerndisp: reading the VMCOREINFO note at 0x%llx through %s",
			      pa, _PATH_BSDMEM);
	}
	if (fd >= 0)
		close(fd);
	if (ok && md_vmcoreinfo_get(&v, "KERNELOFFSET", val, sizeof(val))) {
		*disp = (int64_t)strtoull(val, &end, 16);
		if (*end || end == val) {
			bsdkvm_err(kd, "kvm_kerndisp: KERNELOFFSET=%s is not a hex number", val);
			ok = 0;
		}
	} else if (ok) {
		*disp = 0;
	} else if (e.detail[0]) {
		bsdkvm_err(kd, "kvm_kerndisp: %s", e.detail);
	}
	md_vmcoreinfo_free(&v);
	return ok ? 0 : -1;
}

static int live_close(kvm_t *kd)
{
	return kd->kmem_fd >= 0 ? close(kd->kmem_fd) : 0;
}

static const struct bsdkvm_ops live_ops = {
	.name = "live",
	.read = live_read,
	.write = live_write,
	.walk_pages = live_walk_pages,
	.symfile = live_symfile,
	.filedisp = bsdkvm_live_filedisp,
	.kerndisp = bsdkvm_live_kerndisp,
	.close = live_close,
};

int bsdkvm_live_open(kvm_t *kd, int flags)
{
	kd->kmem_fd = open(_PATH_BSDKMEM, flags | O_CLOEXEC);
	if (kd->kmem_fd < 0) {
		bsdkvm_syserr(kd, "kvm_open: %s%s", _PATH_BSDKMEM,
			      errno == ENOENT ? " (is the bsdmem module loaded?)" : "");
		return -1;
	}
	kd->ops = &live_ops;
	return 0;
}

/* corefile /dev/null: the running kernel's symbols, no memory. */
static ssize_t null_read(kvm_t *kd, kvaddr_t va, void *buf, size_t len)
{
	(void)buf;
	(void)len;
	bsdkvm_err(kd, "kvm_read: 0x%llx: opened with /dev/null as the core: no memory to read",
		   (unsigned long long)va);
	return -1;
}

static ssize_t null_write(kvm_t *kd, kvaddr_t va, const void *buf, size_t len)
{
	(void)buf;
	(void)len;
	bsdkvm_err(kd, "kvm_write: 0x%llx: opened with /dev/null as the core: no memory to write",
		   (unsigned long long)va);
	return -1;
}

static const struct bsdkvm_ops null_ops = {
	.name = "null",
	.read = null_read,
	.write = null_write,
	.walk_pages = live_walk_pages,
	.symfile = live_symfile,
	.filedisp = bsdkvm_live_filedisp,
	.kerndisp = bsdkvm_live_kerndisp,
	.close = live_close,
};

int bsdkvm_null_open(kvm_t *kd)
{
	kd->ops = &null_ops;
	return 0;
}
