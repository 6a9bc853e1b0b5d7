/* SPDX-License-Identifier: GPL-2.0 */
/*
 * libbsdkvm internals: the kvm_t handle, the two backends (the live kernel
 * through /dev/bsdkmem, a minidump through libminidump) behind one small
 * ops table, and the symbol sources. Internal names start with bsdkvm_ so
 * the version script (kvm_* only) keeps them out of the shared library.
 */
#ifndef BSDKVM_PRIVATE_H
#define BSDKVM_PRIVATE_H

#include <stdbool.h>
#include "kvm.h"
#include "minidump.h"

struct bsdkvm_ops {
	const char *name;	/* "live", "null" or "minidump", for messages */
	ssize_t (*read)(kvm_t *kd, kvaddr_t va, void *buf, size_t len);
	ssize_t (*write)(kvm_t *kd, kvaddr_t va, const void *buf, size_t len);
	int (*walk_pages)(kvm_t *kd, kvm_walk_pages_cb_t *cb, void *closure);
	/* The default symbol file, when there is no execfile. */
	int (*symfile)(kvm_t *kd, const char **path);
	/* What to add to the kernel addresses of symbol file path. */
	int (*filedisp)(kvm_t *kd, const char *path, int64_t *disp);
	/* The kernel's displacement from its link address (KASLR). */
	int (*kerndisp)(kvm_t *kd, int64_t *disp);
	int (*close)(kvm_t *kd);
};

struct __kvm {
	const struct bsdkvm_ops *ops;
	char errbuf[_POSIX2_LINE_MAX];
	char *program;			/* kvm_open's errstr: errors to stderr */
	int flags;			/* the open(2) access mode */
	char *execfile;			/* NULL: the backend's default */
	int (*resolver)(const char *name, kvaddr_t *addr);
	/* live */
	int kmem_fd;
	/* minidump */
	struct md_dump *md;
	bool vi_loaded;			/* VMCOREINFO looked for (once) */
	bool vi_found;
	char osrelease[128];
	int64_t kerneloffset;		/* KERNELOFFSET, 0 if absent */
	char syspath[192];		/* the dump's default symbol file */
	uint64_t uts_va;		/* SYMBOL(init_uts_ns), 0 if absent */
};

/* One requested symbol while kvm_nlist() looks for it. */
struct bsdkvm_sym {
	const char *name;
	kvaddr_t value;
	unsigned char type;
	int score;		/* how well it matched: 0 not found */
};

/* kvm.c */
void bsdkvm_err(kvm_t *kd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void bsdkvm_syserr(kvm_t *kd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* kvm_live.c, kvm_dump.c: 0, or -1 with kd->errbuf set. */
int bsdkvm_live_open(kvm_t *kd, int flags);
int bsdkvm_null_open(kvm_t *kd);
int bsdkvm_dump_open(kvm_t *kd, const char *path);
/* The running kernel's KERNELOFFSET, from its VMCOREINFO note. */
int bsdkvm_live_kerndisp(kvm_t *kd, int64_t *disp);
/* _text in /proc/kallsyms minus _text in path: what path's addresses need. */
int bsdkvm_live_filedisp(kvm_t *kd, const char *path, int64_t *disp);

/* kvm_nlist.c */
int bsdkvm_nlist(kvm_t *kd, struct bsdkvm_sym *syms, size_t n);
int bsdkvm_lookup(kvm_t *kd, const char *name, kvaddr_t *addr);

/* Kernel addresses have the top bit; Linux's per-CPU offsets and absolute
 * values in a symbol file do not, and no KASLR slide applies to them. */
#define BSDKVM_KERNEL_HALF	0x8000000000000000ull

/* kvm_symfile.c: raw (link or run-time) addresses from one file. */
void bsdkvm_sym_offer(struct bsdkvm_sym *syms, size_t n, const char *name,
		      kvaddr_t value, unsigned char type);
int bsdkvm_symfile_scan(kvm_t *kd, const char *path, struct bsdkvm_sym *syms,
			size_t n);

#define BSDKVM_KALLSYMS	"/proc/kallsyms"

#endif /* BSDKVM_PRIVATE_H */
