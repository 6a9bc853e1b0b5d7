// SPDX-License-Identifier: GPL-2.0
/*
 * libminidump: the header page (minidumphdr at 0 and bsdmem's Linux
 * extension at 0x100, both little-endian, decoded byte by byte), the
 * section layout it implies, and the body rules of SPEC §7.3 that need
 * the header with dump_avail, the bitmap or the pmap.
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include "internal.h"

#define MDH(f) offsetof(struct minidumphdr, f)
#define MDL(f) (MINIDUMP_LINUX_OFFSET + offsetof(struct minidump_linux, f))
#define MDL_END (MINIDUMP_LINUX_OFFSET + sizeof(struct minidump_linux))
#define HDR_END (offsetof(struct minidumphdr, dumpavailsize) + 4)

_Static_assert(sizeof(struct minidumphdr) == 72, "minidumphdr is 72 bytes");
_Static_assert(MDL_END <= MD_PAGE_SIZE, "extension fits the header page");

static int zeros(const uint8_t *p, size_t from, size_t to, const char *what,
		 struct md_error *e)
{
	size_t i;

	for (i = from; i < to; i++)
		if (p[i])
			return md_fail(e, -EBADMSG, "header",
				       "non-zero byte at header page offset 0x%zx (%s)",
				       i, what);
	return 0;
}

static void decode(const uint8_t *p, struct md_header *h)
{
	struct minidumphdr *m = &h->hdr;
	struct minidump_linux *x = &h->ext;
	unsigned int i;

	memset(h, 0, sizeof(*h));
	memcpy(m->magic, p + MDH(magic), sizeof(m->magic));
	m->version = md_le32(p + MDH(version));
	m->msgbufsize = md_le32(p + MDH(msgbufsize));
	m->bitmapsize = md_le32(p + MDH(bitmapsize));
	m->pmapsize = md_le32(p + MDH(pmapsize));
	m->kernbase = md_le64(p + MDH(kernbase));
	m->dmapbase = md_le64(p + MDH(dmapbase));
	m->dmapend = md_le64(p + MDH(dmapend));
	m->dumpavailsize = md_le32(p + MDH(dumpavailsize));
	memcpy(x->magic, p + MDL(magic), sizeof(x->magic));
	x->version = md_le32(p + MDL(version));
	x->flags = md_le32(p + MDL(flags));
	x->pgtable_root = md_le64(p + MDL(pgtable_root));
	x->page_offset_base = md_le64(p + MDL(page_offset_base));
	x->vmalloc_base = md_le64(p + MDL(vmalloc_base));
	x->vmemmap_base = md_le64(p + MDL(vmemmap_base));
	x->phys_base = md_le64(p + MDL(phys_base));
	x->vmcoreinfo_paddr = md_le64(p + MDL(vmcoreinfo_paddr));
	x->vmcoreinfo_size = md_le64(p + MDL(vmcoreinfo_size));
	for (i = 0; i < 6; i++)
		x->reserved[i] = md_le64(p + MDL(reserved) + 8 * i);
	h->msgbuf_off = MD_PAGE_SIZE;
	h->avail_off = h->msgbuf_off + md_round_page(m->msgbufsize);
	h->bitmap_off = h->avail_off + m->dumpavailsize;
	h->pmap_off = h->bitmap_off + m->bitmapsize;
	h->pages_off = h->pmap_off + m->pmapsize;
}

static int check_sizes(const struct minidumphdr *m, struct md_error *e)
{
	if (m->dumpavailsize < MD_PAGE_SIZE || m->dumpavailsize % MD_PAGE_SIZE ||
	    m->dumpavailsize > MD_DUMPAVAIL_MAX)
		return md_fail(e, -EBADMSG, "dumpavailsize",
			       "%u is not a multiple of 4096 in [4096, %u]",
			       m->dumpavailsize, MD_DUMPAVAIL_MAX);
	if (m->bitmapsize == 0 || m->bitmapsize % MD_PAGE_SIZE)
		return md_fail(e, -EBADMSG, "bitmapsize",
			       "%u is not a non-zero multiple of 4096", m->bitmapsize);
	if (m->pmapsize == 0 || m->pmapsize % MD_PAGE_SIZE)
		return md_fail(e, -EBADMSG, "pmapsize",
			       "%u is not a non-zero multiple of 4096", m->pmapsize);
	if (m->kernbase != MD_KERNBASE)
		return md_fail(e, -EBADMSG, "kernbase",
			       "0x%llx, expected __START_KERNEL_map 0x%llx",
			       (unsigned long long)m->kernbase, MD_KERNBASE);
	/* One page of PDEs per GiB from kernbase; none past 2^64. */
	if (m->pmapsize / MD_PAGE_SIZE > (0 - m->kernbase) / MD_GIB)
		return md_fail(e, -EBADMSG, "pmapsize",
			       "%u bytes cover %u GiB from 0x%llx, past the top of the address space (at most %llu pages)",
			       m->pmapsize, m->pmapsize / MD_PAGE_SIZE,
			       (unsigned long long)m->kernbase,
			       (unsigned long long)((0 - m->kernbase) / MD_GIB));
	return 0;
}

static int check_dmap_static(const struct md_header *h, struct md_error *e)
{
	const struct minidumphdr *m = &h->hdr;
	uint64_t low = (h->ext.flags & MINIDUMP_LINUX_LA57) ?
		0xff00000000000000ull : 0xffff800000000000ull;

	if (m->dmapbase < low || m->dmapbase % MD_GIB)
		return md_fail(e, -EBADMSG, "dmap",
			       "dmapbase 0x%llx is not a 1 GiB-aligned kernel address (>= 0x%llx)",
			       (unsigned long long)m->dmapbase,
			       (unsigned long long)low);
	if (m->dmapend <= m->dmapbase || (m->dmapend - m->dmapbase) % MD_GIB ||
	    m->dmapend > m->kernbase)
		return md_fail(e, -EBADMSG, "dmap",
			       "dmapend 0x%llx: must be above dmapbase 0x%llx by a multiple of 1 GiB and not above kernbase",
			       (unsigned long long)m->dmapend,
			       (unsigned long long)m->dmapbase);
	return 0;
}

static int check_ext_static(const struct md_header *h, struct md_error *e)
{
	const struct minidump_linux *x = &h->ext;
	char want[16] = MINIDUMP_LINUX_MAGIC;
	unsigned int i;

	if (memcmp(x->magic, want, sizeof(want)))
		return md_fail(e, -EBADMSG, "ext-magic",
			       "extension magic \"%.16s\" at 0x%x, expected \"%s\"",
			       x->magic, MINIDUMP_LINUX_OFFSET, MINIDUMP_LINUX_MAGIC);
	if (x->version != MINIDUMP_LINUX_VERSION)
		return md_fail(e, -EBADMSG, "ext-version",
			       "extension version %u, expected %u", x->version,
			       MINIDUMP_LINUX_VERSION);
	if (x->flags & ~(uint32_t)MINIDUMP_LINUX_LA57)
		return md_fail(e, -EBADMSG, "ext-flags",
			       "unknown flag bits 0x%x", x->flags & ~MINIDUMP_LINUX_LA57);
	if (x->pgtable_root & MD_PAGE_MASK || x->pgtable_root & ~MD_PHYS_MASK)
		return md_fail(e, -EBADMSG, "ext-pgtable_root",
			       "0x%llx is not a page-aligned physical address",
			       (unsigned long long)x->pgtable_root);
	if (x->page_offset_base != h->hdr.dmapbase)
		return md_fail(e, -EBADMSG, "ext-page_offset_base",
			       "0x%llx differs from dmapbase 0x%llx",
			       (unsigned long long)x->page_offset_base,
			       (unsigned long long)h->hdr.dmapbase);
	for (i = 0; i < 6; i++)
		if (x->reserved[i])
			return md_fail(e, -EBADMSG, "ext-reserved",
				       "reserved[%u] is 0x%llx, expected 0", i,
				       (unsigned long long)x->reserved[i]);
	return 0;
}

int md_header_parse(const uint8_t page[MD_PAGE_SIZE], struct md_header *h,
		    struct md_error *e)
{
	char want[24] = MINIDUMP_MAGIC;
	int err;

	decode(page, h);
	if (memcmp(h->hdr.magic, want, sizeof(want)))
		return md_fail(e, -EBADMSG, "magic",
			       "body starts with \"%.24s\", expected \"%s\"",
			       h->hdr.magic, MINIDUMP_MAGIC);
	if (h->hdr.version != MINIDUMP_VERSION)
		return md_fail(e, -EBADMSG, "version",
			       "minidump version %u, expected %u", h->hdr.version,
			       MINIDUMP_VERSION);
	err = check_sizes(&h->hdr, e);
	if (!err)
		err = zeros(page, HDR_END, MINIDUMP_LINUX_OFFSET,
			    "between minidumphdr and the extension", e);
	if (!err)
		err = check_ext_static(h, e);
	if (!err)
		err = zeros(page, MDL_END, MD_PAGE_SIZE, "after the extension", e);
	if (!err)
		err = check_dmap_static(h, e);
	return err;
}

int md_msgbuf_check(const uint8_t *buf, uint64_t len, uint64_t msgbufsize,
		    struct md_error *e)
{
	const uint8_t *nul = memchr(buf, 0, msgbufsize);
	uint64_t i;

	if (nul)
		return md_fail(e, -EBADMSG, "msgbuf",
			       "NUL byte at offset %llu of the %llu-byte kernel log",
			       (unsigned long long)(nul - buf),
			       (unsigned long long)msgbufsize);
	for (i = msgbufsize; i < len; i++)
		if (buf[i])
			return md_fail(e, -EBADMSG, "msgbuf",
				       "non-zero padding byte at section offset %llu",
				       (unsigned long long)i);
	return 0;
}

int md_check_dmap(const struct md_header *h, const struct md_map *m,
		  struct md_error *e)
{
	uint64_t top = m->ranges[m->nranges - 1].end;
	uint64_t want = (top + MD_GIB - 1) / MD_GIB * MD_GIB;

	if (h->hdr.dmapend - h->hdr.dmapbase != want)
		return md_fail(e, -EBADMSG, "dmap",
			       "dmapend - dmapbase = 0x%llx, expected 0x%llx (RAM end 0x%llx rounded up to 1 GiB)",
			       (unsigned long long)(h->hdr.dmapend - h->hdr.dmapbase),
			       (unsigned long long)want, (unsigned long long)top);
	return 0;
}

int md_check_ext(const struct md_header *h, const struct md_map *m,
		 struct md_error *e)
{
	const struct minidump_linux *x = &h->ext;
	uint64_t pa = x->vmcoreinfo_paddr, size = x->vmcoreinfo_size;
	size_t i;

	if (!md_pa_dumped(m, x->pgtable_root))
		return md_fail(e, -EBADMSG, "ext-pgtable_root",
			       "top-level page table 0x%llx is %s",
			       (unsigned long long)x->pgtable_root,
			       md_pa_in_ram(m, x->pgtable_root) ?
			       "not in the bitmap" : "not in RAM");
	for (i = 0; i < m->nranges; i++)
		if (pa >= m->ranges[i].start && pa < m->ranges[i].end)
			break;
	if (size == 0 || i == m->nranges || size > m->ranges[i].end - pa)
		return md_fail(e, -EBADMSG, "ext-vmcoreinfo",
			       "note [0x%llx, +0x%llx) is not a non-empty extent inside one RAM range",
			       (unsigned long long)pa, (unsigned long long)size);
	return 0;
}

static bool overlaps_ram(const struct md_map *m, uint64_t pa, uint64_t len)
{
	size_t i;

	for (i = 0; i < m->nranges; i++)
		if (m->ranges[i].start < pa + len && m->ranges[i].end > pa)
			return true;
	return false;
}

int md_check_pmap(const struct md_header *h, const struct md_map *m,
		  const uint8_t *pmap, struct md_error *e)
{
	uint64_t i, pde, pa, va, n = h->hdr.pmapsize / 8;

	for (i = 0; i < n; i++) {
		pde = md_le64(pmap + 8 * i);
		va = h->hdr.kernbase + (i << 21);
		if (!(pde & MD_PTE_P))
			continue;
		if (pde & MD_PTE_PS) {
			pa = pde & MD_PHYS_MASK_2M;
			if ((pde >> 13 & 0xff) || !overlaps_ram(m, pa, 2u << 20))
				return md_fail(e, -EBADMSG, "pmap-leaf",
					       "2 MiB PDE 0x%llx for va 0x%llx: %s",
					       (unsigned long long)pde,
					       (unsigned long long)va,
					       (pde >> 13 & 0xff) ? "reserved bits 13-20 set" :
					       "maps no RAM");
			continue;
		}
		pa = pde & MD_PHYS_MASK;
		if (!md_pa_dumped(m, pa))
			return md_fail(e, -EBADMSG, "pmap-pt-page",
				       "PDE for va 0x%llx points to page table page 0x%llx, which is %s",
				       (unsigned long long)va, (unsigned long long)pa,
				       md_pa_in_ram(m, pa) ? "not in the bitmap" :
				       "not in RAM");
	}
	return 0;
}
