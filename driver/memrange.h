/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Between the machine-independent memory-range logic (memrange.c) and the
 * x86 hardware behind it (memrange_x86.c: MTRRs read from the kernel's
 * copy, ranges held as PAT-typed ioremap mappings or as write-combining
 * MTRRs).
 */
#ifndef _BSDMEM_MEMRANGE_H
#define _BSDMEM_MEMRANGE_H

#include <linux/types.h>
#include <sys/memrange.h>

enum bsdmem_memrange_backend {
	BSDMEM_MEMRANGE_NONE,		/* neither MTRR nor PAT: EOPNOTSUPP */
	BSDMEM_MEMRANGE_DISABLED,	/* MTRRs off in firmware, no PAT: ENXIO */
	BSDMEM_MEMRANGE_PAT,		/* ranges are PAT-typed mappings */
	BSDMEM_MEMRANGE_MTRR,		/* ranges are write-combining MTRRs */
};

#define BSDMEM_MEMRANGE_NFIXED	88

enum bsdmem_memrange_backend bsdmem_memrange_x86_init(void);
unsigned int bsdmem_memrange_x86_nfixed(void);
unsigned int bsdmem_memrange_x86_nvar(void);
void bsdmem_memrange_x86_fill(struct mem_range_desc *fixed,
			      struct mem_range_desc *var);
bool bsdmem_memrange_x86_attr_ok(enum bsdmem_memrange_backend backend,
				 s32 attr);
void __iomem *bsdmem_memrange_x86_ioremap(phys_addr_t base, u64 len,
					  s32 attr);
int bsdmem_memrange_x86_pat_hold(phys_addr_t base, u64 len, s32 attr,
				 void __iomem **map);
u64 bsdmem_memrange_x86_pat_budget(void);
int bsdmem_memrange_x86_mtrr_add(phys_addr_t base, u64 len, int *handle);
void bsdmem_memrange_x86_mtrr_del(int handle);
int bsdmem_memrange_x86_mtrr_index(int handle);
pgprot_t bsdmem_memrange_x86_pgprot(pgprot_t prot, s32 attr);

#endif /* _BSDMEM_MEMRANGE_H */
