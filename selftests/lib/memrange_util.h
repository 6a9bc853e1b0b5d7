/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers for the MEMRANGE_GET/SET and memcontrol selftests: the ioctls
 * wrapped to return -errno, and the oracles Linux gives userspace for
 * memory types (/proc/mtrr, the MTRR MSRs through /dev/cpu/N/msr, the PAT
 * table in debugfs, /proc/iomem, /dev/kmsg). Every name starts with mru_.
 */
#ifndef BSDMEM_MEMRANGE_UTIL_H
#define BSDMEM_MEMRANGE_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/memrange.h>

#define MRU_BACKEND_PATH	"/sys/class/misc/bsdmem/memrange_backend"
#define MRU_SLOTS_PATH		"/sys/module/bsdmem/parameters/memrange_slots"
#define MRU_PAT_LIST		"/sys/kernel/debug/x86/pat_memtype_list"
#define MRU_NFIXED		88
#define MRU_MSR_MTRRCAP		0xfe
#define MRU_MSR_DEFTYPE		0x2ff
#define MRU_MSR_PHYSBASE0	0x200
#define MRU_MTRRCAP_VCNT	0xff
#define MRU_MTRRCAP_FIXED	(1 << 8)
#define MRU_DEFTYPE_FE		(1 << 10)
#define MRU_DEFTYPE_E		(1 << 11)
#define MRU_MASK_VALID		(1 << 11)
#define MRU_ATTRS		(MDF_UNCACHEABLE | MDF_WRITECOMBINE | \
				 MDF_WRITETHROUGH | MDF_WRITEBACK | \
				 MDF_WRITEPROTECT)

/* MEMRANGE_GET asking for the count (mo_arg[0] = arg <= 0): count or -errno. */
int mru_get_count(int fd, int arg);
/* MEMRANGE_GET of up to n descriptors into d: mo_arg[0] afterwards or -errno. */
int mru_get(int fd, struct mem_range_desc *d, int n);
/* Every descriptor, in a malloc'ed array: the count or -errno. */
int mru_get_all(int fd, struct mem_range_desc **out);
/* MEMRANGE_SET with mo_arg[0] = op; owner copied with strncpy (8 bytes). */
int mru_set(int fd, int op, uint64_t base, uint64_t len, int flags,
	    const char *owner);
/* The same with a whole descriptor. */
int mru_set_desc(int fd, int op, const struct mem_range_desc *d);

/* Number of attribute bits set in flags. */
int mru_nattrs(int flags);
/* Attribute of an MTRR type byte as FreeBSD maps it. */
int mru_type2attr(unsigned int type);
/* Word for an attribute in pat_memtype_list / in /proc/mtrr. */
const char *mru_pat_word(int attr);
const char *mru_mtrr_word(int attr);
/* Short name of one attribute (uc, wc, wt, wp, wb), "?" otherwise. */
const char *mru_attr_name(int attr);

/* The backend name from sysfs into buf ("pat", "mtrr", "none"); 0 or -1. */
int mru_backend(char *buf, size_t size);
/* The backend the kernel's command line and CPU flags call for. */
const char *mru_expected_backend(void);
/* MTRRs present (cpuinfo) but MTRRdefType.E clear in the MSR. */
bool mru_mtrr_disabled(void);
/* memrange_slots module parameter, or -1. */
int mru_slots(void);
/* CPU physical address bits (/proc/cpuinfo), or -1. */
int mru_phys_bits(void);
/* Does /proc/cpuinfo list this CPU flag / /proc/cmdline this word? */
bool mru_cpu_flag(const char *flag);
bool mru_cmdline_has(const char *word);

/* Read an MSR of CPU 0 through /dev/cpu/0/msr: 0 or -errno. */
int mru_rdmsr(uint32_t msr, uint64_t *val);

/* Read a whole small file into buf, NUL-terminated: length or -1. */
long mru_read_file(const char *path, char *buf, size_t size);

/* One line of the kernel's PAT table. */
struct mru_pat {
	uint64_t start;
	uint64_t end;		/* exclusive */
	char type[24];
};
/* Lines of pat_memtype_list: number filled or -1 (errno set). */
int mru_pat_list(struct mru_pat *out, int max);
/* Entries exactly [base, base+len) (of type, NULL for any): count or -1. */
int mru_pat_count(uint64_t base, uint64_t len, const char *type);
/* Entries overlapping [base, base+len): count or -1. */
int mru_pat_overlaps(uint64_t base, uint64_t len);

/* One line of /proc/mtrr. */
struct mru_mtrr {
	int reg;
	uint64_t base;
	uint64_t size;
	char type[24];
};
/* Lines of /proc/mtrr: number filled, 0 if it does not exist, -1. */
int mru_proc_mtrr(struct mru_mtrr *out, int max);
/* The same from a saved copy of /proc/mtrr: number filled or -1 (errno). */
int mru_mtrr_file(const char *path, struct mru_mtrr *out, int max);

/* One line of /proc/iomem; depth 0 for top-level lines. */
struct mru_iomem {
	uint64_t start;
	uint64_t end;		/* inclusive */
	int depth;
	char name[64];
};
int mru_iomem(struct mru_iomem *out, int max);
/* First line whose name starts with prefix (any depth); true if found. */
bool mru_iomem_find(const char *prefix, struct mru_iomem *out);
/*
 * A 1 MiB-aligned, 1 MiB-long piece of a top-level "PCI Bus" window that
 * no resource and no PAT entry touches, and no variable MTRR (in_uc false)
 * or only an uncachable one that covers it all (in_uc true): 0 or -1.
 */
int mru_find_hole(uint64_t *base, bool in_uc);
/* A System RAM page at or above 16 MiB (else the first above 1 MiB). */
int mru_find_ram(uint64_t *base);

/* /dev/kmsg positioned after the last record: fd or -1. */
int mru_kmsg_open(void);
/* Read new records; true if one contains any needle (copied to line). */
bool mru_kmsg_grep(int fd, const char *const *needles, int n, char *line,
		   size_t size);

#endif /* BSDMEM_MEMRANGE_UTIL_H */
