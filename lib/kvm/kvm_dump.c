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

/* A hex VMCOREINFO value into *out: false unless it is all hex digits. */
static bool hex_value(const char *val, uint64_t *out)
{
	char *end;

	if (!val[0])
		return false;
	errno = 0;
	*out = strtoull(val, &end, 16);
	return !errno && !*end;
}

/*
 * OSRELEASE, KERNELOFFSET and SYMBOL(init_uts_ns) from the dump's
 * VMCOREINFO, looked up once. OSRELEASE names a file: a release with a
 * '/' or too long for the path is refused.
 */
static int load_vmcoreinfo(kvm_t *kd)
{
	struct md_vmcoreinfo vi = { 0 };
	struct md_error e = { { 0 }, { 0 } };
	char val[160];
	uint64_t x;
	int err;

	if (kd->vi_loaded)
		return kd->vi_found ? 0 : -1;
	kd->vi_loaded = true;
	err = md_vmcoreinfo_from_dump(&vi, kd->md, &e);
	if (!err)
		err = md_vmcoreinfo_parse(&vi, &e);
	if (!err && (!md_vmcoreinfo_get(&vi, "OSRELEASE", val, sizeof(val)) ||
		     !val[0] || strchr(val, '/') ||
		     strlen(val) >= sizeof(kd->osrelease)))
		err = md_fail(&e, -EBADMSG, "no-vmcoreinfo",
			      "no usable OSRELEASE in it");
	if (!err)
		snprintf(kd->osrelease, sizeof(kd->osrelease), "%s", val);
	if (!err && md_vmcoreinfo_get(&vi, "KERNELOFFSET", val, sizeof(val))) {
		if (hex_value(val, &x))
			kd->kerneloffset = (int64_t)x;
		else
			err = md_fail(&e, -EBADMSG, "no-vmcoreinfo",
				      "KERNELOFFSET=%s is not a hex number", val);
	}
	if (!err && md_vmcoreinfo_get(&vi, "SYMBOL(init_uts_ns)", val,
				      sizeof(val)) && hex_value(val, &x))
		kd->uts_va = x;
	md_vmcoreinfo_free(&vi);
	if (err) {
		bsdkvm_err(kd, "the dump's VMCOREINFO: %s", e.detail);
		return -1;
	}
	/* Debian's System.map is a stub: the -dbg package's vmlinux first. */
	snprintf(kd->syspath, sizeof(kd->syspath),
		 "/usr/lib/debug/boot/vmlinux-%s", kd->osrelease);
	if (access(kd->syspath, R_OK))
		snprintf(kd->syspath, sizeof(kd->syspath),
			 "/boot/System.map-%s", kd->osrelease);
	kd->vi_found = true;
	return 0;
}

static int dump_symfile(kvm_t *kd, const char **path)
{
	char why[_POSIX2_LINE_MAX];

	if (load_vmcoreinfo(kd)) {
		memcpy(why, kd->errbuf, sizeof(why));
		bsdkvm_err(kd, "kvm_nlist: %s: so no default symbol file (/usr/lib/debug/boot/vmlinux-<release> or /boot/System.map-<release>): name one as execfile",
			   why);
		return -1;
	}
	*path = kd->syspath;
	return 0;
}

/*
 * What a symbol file's kernel addresses need: the dump's own init_uts_ns
 * (SYMBOL(init_uts_ns), a run-time address) minus the file's, right for a
 * link-time System.map or vmlinux and a run-time kallsyms copy alike; else
 * KERNELOFFSET, which assumes link-time addresses.
 */
static int dump_filedisp(kvm_t *kd, const char *path, int64_t *disp)
{
	struct bsdkvm_sym uts = { .name = "init_uts_ns" };

	*disp = 0;
	if (load_vmcoreinfo(kd))
		return 0;	/* no VMCOREINFO: no known slide, as FreeBSD */
	*disp = kd->kerneloffset;
	if (!kd->uts_va)
		return 0;
	if (bsdkvm_symfile_scan(kd, path, &uts, 1))
		return -1;
	if (uts.score && uts.value >= BSDKVM_KERNEL_HALF)
		*disp = (int64_t)(kd->uts_va - uts.value);
	return 0;
}

/* KERNELOFFSET; 0 for a dump without VMCOREINFO or KASLR. */
static int dump_kerndisp(kvm_t *kd, int64_t *disp)
{
	*disp = load_vmcoreinfo(kd) ? 0 : kd->kerneloffset;
	return 0;
}

static int dump_close(kvm_t *kd)
{
	md_close(kd->md);
	return 0;
}

static const struct bsdkvm_ops dump_ops = {
	.name = "minidump",
	.read = dump_read,
	.write = dump_write,
	.walk_pages = dump_walk_pages,
	.symfile = dump_symfile,
	.filedisp = dump_filedisp,
	.kerndisp = dump_kerndisp,
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
