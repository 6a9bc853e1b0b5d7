// SPDX-License-Identifier: GPL-2.0
/*
 * libbsdkvm: a bsdmem minidump, read through libminidump (md_open,
 * md_read_kva, the bitmap for kvm_walk_pages). Its VMCOREINFO note names
 * the default symbol file (/boot/System.map-<OSRELEASE>) and the KASLR
 * slide (KERNELOFFSET) that link-time symbol addresses need.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "kvm_private.h"

static ssize_t dump_read(kvm_t *kd, kvaddr_t va, void *buf, size_t len)
{
	struct md_error e = { { 0 }, { 0 } };
	uint8_t *out = buf;
	size_t done = 0, n;
	int err;

	/* Page by page: md_read_pa's one-page rule, whatever the caller asks. */
	while (done < len) {
		n = MD_PAGE_SIZE - ((va + done) & MD_PAGE_MASK);
		if (n > len - done)
			n = len - done;
		err = md_read_kva(kd->md, va + done, out + done, n, &e);
		if (err) {
			bsdkvm_err(kd, "kvm_read: invalid address 0x%llx: %s",
				   (unsigned long long)(va + done),
				   e.detail[0] ? e.detail : strerror(-err));
			return -1;
		}
		done += n;
	}
	return (ssize_t)done;
}

static ssize_t dump_write(kvm_t *kd, kvaddr_t va, const void *buf, size_t len)
{
	(void)va;
	(void)buf;
	(void)len;
	bsdkvm_err(kd, "kvm_write: a crash dump cannot be written");
	return -1;
}

static int visit(kvm_t *kd, uint64_t pa, uint64_t rank,
		 kvm_walk_pages_cb_t *cb, void *closure)
{
	const struct md_dump *d = kd->md;
	struct kvm_page p = {
		.kp_version = LIBKVM_WALK_PAGES_VERSION,
		.kp_paddr = pa,
		.kp_dmap_vaddr = d->h.hdr.dmapbase + pa,
		.kp_prot = VM_PROT_READ | VM_PROT_WRITE,
		.kp_len = MD_PAGE_SIZE,
	};

	/* Only an uncompressed file holds the page at a file offset. */
	if (d->info.fmt == MD_FMT_RAW && rank < d->pages_present)
		p.kp_offset = (off_t)(d->h.pages_off + rank * MD_PAGE_SIZE);
	return cb(&p, closure);
}

/* Every dumped page, in ascending physical order (the bitmap's). */
static int dump_walk_pages(kvm_t *kd, kvm_walk_pages_cb_t *cb, void *closure)
{
	const struct md_map *m = &kd->md->map;
	uint64_t rank = 0, bit, i, npages;
	size_t r;

	for (r = 0; r < m->nranges; r++) {
		npages = (m->ranges[r].end - m->ranges[r].start) / MD_PAGE_SIZE;
		for (i = 0; i < npages; i++) {
			bit = m->ranges[r].first_bit + i;
			if (!(m->words[bit / 64] >> (bit % 64) & 1))
				continue;
			if (!visit(kd, m->ranges[r].start + i * MD_PAGE_SIZE,
				   rank++, cb, closure)) {
				bsdkvm_err(kd, "kvm_walk_pages: stopped by the callback");
				return 0;
			}
		}
	}
	return 1;
}

/* OSRELEASE and KERNELOFFSET from the dump's VMCOREINFO, looked up once. */
static int load_vmcoreinfo(kvm_t *kd)
{
	struct md_vmcoreinfo vi = { 0 };
	struct md_error e = { { 0 }, { 0 } };
	char val[128];
	int err;

	if (kd->vi_loaded)
		return kd->vi_found ? 0 : -1;
	kd->vi_loaded = true;
	err = md_vmcoreinfo_from_dump(&vi, kd->md, &e);
	if (!err)
		err = md_vmcoreinfo_parse(&vi, &e);
	if (!err && !md_vmcoreinfo_get(&vi, "OSRELEASE", kd->osrelease,
				       sizeof(kd->osrelease)))
		err = md_fail(&e, -EBADMSG, "no-vmcoreinfo", "no OSRELEASE in it");
	if (!err && md_vmcoreinfo_get(&vi, "KERNELOFFSET", val, sizeof(val)))
		kd->kerneloffset = (int64_t)strtoull(val, NULL, 16);
	md_vmcoreinfo_free(&vi);
	if (err)
		return -1;
	snprintf(kd->syspath, sizeof(kd->syspath), "/boot/System.map-%s",
		 kd->osrelease);
	kd->vi_found = true;
	return 0;
}

static int dump_symfile(kvm_t *kd, const char **path, int64_t *disp)
{
	if (load_vmcoreinfo(kd)) {
		bsdkvm_err(kd, "kvm_nlist: the dump has no usable VMCOREINFO (OSRELEASE) to find its System.map: name one (or a vmlinux) as execfile");
		return -1;
	}
	*path = kd->syspath;
	*disp = kd->kerneloffset;
	return 0;
}

/* A dump without VMCOREINFO has no known slide: 0, as FreeBSD's default. */
static int dump_linkdisp(kvm_t *kd, int64_t *disp)
{
	*disp = load_vmcoreinfo(kd) ? 0 : kd->kerneloffset;
	return 0;
}

static void dump_close(kvm_t *kd)
{
	md_close(kd->md);
}

static const struct bsdkvm_ops dump_ops = {
	.name = "minidump",
	.read = dump_read,
	.write = dump_write,
	.walk_pages = dump_walk_pages,
	.symfile = dump_symfile,
	.linkdisp = dump_linkdisp,
	.close = dump_close,
};

int bsdkvm_dump_open(kvm_t *kd, const char *path)
{
	struct md_error e = { { 0 }, { 0 } };
	unsigned char magic[4];
	int fd, err;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		bsdkvm_syserr(kd, "kvm_open: %s", path);
		return -1;
	}
	if (pread(fd, magic, sizeof(magic), 0) == (ssize_t)sizeof(magic) &&
	    !memcmp(magic, "\177ELF", 4)) {
		close(fd);
		bsdkvm_err(kd, "kvm_open: %s: an ELF vmcore, which this libbsdkvm does not read yet: give it the minidump it was made from",
			   path);
		return -1;
	}
	err = md_open_fd(&kd->md, fd, &e);
	if (err) {
		bsdkvm_err(kd, "kvm_open: %s: not a bsdmem minidump (%s): %s",
			   path, e.rule[0] ? e.rule : "io",
			   e.detail[0] ? e.detail : strerror(-err));
		return -1;
	}
	kd->ops = &dump_ops;
	return 0;
}
