/* SPDX-License-Identifier: GPL-2.0 */
/*
 * libbsdkvm: FreeBSD's kvm(3) interface on Linux. Reads the running kernel
 * through bsdmem's /dev/bsdkmem, or a bsdmem minidump (raw, gzip or zstd,
 * with or without its trailer) through libminidump; resolves symbols from
 * /proc/kallsyms, a System.map or a vmlinux. Functions that need FreeBSD's
 * own kernel structures exist so that ported code links, and fail saying so.
 */
#ifndef _BSDKVM_KVM_H_
#define _BSDKVM_KVM_H_

#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

#ifndef _POSIX2_LINE_MAX
#define _POSIX2_LINE_MAX	2048
#endif

/* The version of struct kvm_page that kvm_walk_pages() fills in. */
#define LIBKVM_WALK_PAGES_VERSION	2

typedef uint64_t kvaddr_t;		/* a kernel virtual address */
typedef uint64_t kpaddr_t;		/* a physical address */
typedef int64_t kssize_t;

typedef struct __kvm kvm_t;

/* The a.out symbol list of nlist(3), as FreeBSD's kvm_nlist() takes it. */
struct nlist {
	const char *n_name;	/* symbol name, NULL (or "") ends the list */
	unsigned char n_type;	/* N_* type, N_UNDF if not found */
	char n_other;
	short n_desc;
	unsigned long n_value;	/* run-time address, 0 if not found */
};

/* kvm_nlist2()'s list: addresses as wide as any kernel's. */
struct kvm_nlist {
	const char *n_name;
	unsigned char n_type;
	kvaddr_t n_value;
};

#ifndef N_UNDF
#define N_UNDF	0x00		/* not found */
#define N_ABS	0x02		/* absolute */
#define N_TEXT	0x04		/* code */
#define N_DATA	0x06		/* data */
#define N_BSS	0x08		/* zero-filled data */
#define N_COMM	0x12
#define N_FN	0x1f
#define N_EXT	0x01		/* or'ed in: a global symbol */
#define N_TYPE	0x1e		/* mask of the type bits */
#endif

#ifndef VM_PROT_NONE
#define VM_PROT_NONE	0x00
#define VM_PROT_READ	0x01
#define VM_PROT_WRITE	0x02
#define VM_PROT_EXECUTE	0x04
#endif

/* One page of a crash dump, as kvm_walk_pages() reports it. */
struct kvm_page {
	unsigned int kp_version;	/* LIBKVM_WALK_PAGES_VERSION */
	kpaddr_t kp_paddr;		/* physical address */
	kvaddr_t kp_kmap_vaddr;		/* kernel-map address, 0 if unknown */
	kvaddr_t kp_dmap_vaddr;		/* direct-map address */
	unsigned char kp_prot;		/* VM_PROT_* */
	off_t kp_offset;		/* file offset of its bytes, 0 if none */
	size_t kp_len;			/* page size */
};

/* Return non-zero to go on to the next page, 0 to stop the walk. */
typedef int kvm_walk_pages_cb_t(struct kvm_page *page, void *closure);

/* kvm_getswapinfo()'s record (the function fails on Linux). */
struct kvm_swap {
	char ksw_devname[32];
	unsigned int ksw_used;
	unsigned int ksw_total;
	int ksw_flags;
	int ksw_reserved1;
	int ksw_reserved2;
};

#define SWIF_DEV_PREFIX	0x0002

struct kinfo_proc;

/*
 * Opening: corefile NULL or "/dev/bsdmem" is the running kernel (through
 * /dev/bsdkmem), anything else a bsdmem minidump. execfile (NULL: the
 * default, see kvm_nlist()) names the symbol source: a System.map-format
 * file or an ELF vmlinux with a .symtab. swapfile is ignored, as on
 * FreeBSD. flags: O_RDONLY, O_WRONLY or O_RDWR.
 */
kvm_t *kvm_open(const char *execfile, const char *corefile,
		const char *swapfile, int flags, const char *errstr);
kvm_t *kvm_openfiles(const char *execfile, const char *corefile,
		     const char *swapfile, int flags, char *errbuf);
kvm_t *kvm_open2(const char *execfile, const char *corefile, int flags,
		 char *errbuf, int (*resolver)(const char *, kvaddr_t *));
int kvm_close(kvm_t *kd);
char *kvm_geterr(kvm_t *kd);
int kvm_native(kvm_t *kd);
kssize_t kvm_kerndisp(kvm_t *kd);

ssize_t kvm_read(kvm_t *kd, unsigned long addr, void *buf, size_t nbytes);
ssize_t kvm_read2(kvm_t *kd, kvaddr_t addr, void *buf, size_t nbytes);
ssize_t kvm_write(kvm_t *kd, unsigned long addr, const void *buf,
		  size_t nbytes);

int kvm_nlist(kvm_t *kd, struct nlist *nl);
int kvm_nlist2(kvm_t *kd, struct kvm_nlist *nl);

int kvm_getloadavg(kvm_t *kd, double loadavg[], int nelem);
int kvm_getmaxcpu(kvm_t *kd);
int kvm_walk_pages(kvm_t *kd, kvm_walk_pages_cb_t *cb, void *closure);

/* FreeBSD kernel structures: not available on Linux, always fail. */
struct kinfo_proc *kvm_getprocs(kvm_t *kd, int op, int arg, int *cnt);
char **kvm_getargv(kvm_t *kd, const struct kinfo_proc *p, int nchr);
char **kvm_getenvv(kvm_t *kd, const struct kinfo_proc *p, int nchr);
int kvm_getswapinfo(kvm_t *kd, struct kvm_swap *swap_ary, int swap_max,
		    int flags);
int kvm_getcptime(kvm_t *kd, long *cp_time);
void *kvm_getpcpu(kvm_t *kd, int cpu);
int kvm_dpcpu_setcpu(kvm_t *kd, unsigned int cpu);
ssize_t kvm_read_zpcpu(kvm_t *kd, unsigned long base, void *buf, size_t size,
		       int cpu);
uint64_t kvm_counter_u64_fetch(kvm_t *kd, unsigned long base);
int kvm_getncpus(kvm_t *kd);

#ifdef __cplusplus
}
#endif

#endif /* _BSDKVM_KVM_H_ */
