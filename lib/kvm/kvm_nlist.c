// SPDX-License-Identifier: GPL-2.0
/*
 * libbsdkvm: kvm_nlist() and kvm_nlist2(). With kvm_open2's resolver, it
 * alone answers (as FreeBSD's does); else names are looked up in the symbol
 * file: execfile if given, else the backend's default (/proc/kallsyms, or
 * the dump's -dbg vmlinux or System.map), its kernel-image addresses moved
 * to where the kernel runs. Addresses below the kernel image (Linux's
 * per-CPU offsets, absolute values) stay as they are, as kallsyms shows
 * them. "_name" also matches "name", as FreeBSD's ELF lookup does.
 */
#include <stdlib.h>
#include <string.h>
#include "kvm_private.h"

static bool listed(const char *name)
{
	return name && name[0];
}

static void ask_resolver(kvm_t *kd, struct bsdkvm_sym *s)
{
	kvaddr_t addr;

	if (!kd->resolver)
		return;
	if (kd->resolver(s->name, &addr) == 0 ||
	    (s->name[0] == '_' && kd->resolver(s->name + 1, &addr) == 0)) {
		s->value = addr;
		s->type = N_DATA | N_EXT;
		s->score = 1;
	}
}

/* Which file, and what its kernel addresses need to become run-time ones. */
static int symbol_source(kvm_t *kd, const char **path, int64_t *disp)
{
	if (kd->execfile)
		*path = kd->execfile;
	else if (kd->ops->symfile(kd, path))
		return -1;
	return kd->ops->filedisp(kd, *path, disp);
}

/* syms[n] is room for one more: _text, which tells hidden addresses. */
static int from_file(kvm_t *kd, struct bsdkvm_sym *syms, size_t n)
{
	bool kallsyms;
	const char *path;
	int64_t disp;
	size_t i;

	if (symbol_source(kd, &path, &disp))
		return -1;
	kallsyms = !strcmp(path, BSDKVM_KALLSYMS);
	syms[n].name = "_text";
	if (bsdkvm_symfile_scan(kd, path, syms, kallsyms ? n + 1 : n))
		return -1;
	/* kallsyms shows zeros to readers without CAP_SYSLOG. */
	if (kallsyms && syms[n].score && !syms[n].value) {
		bsdkvm_err(kd, "kvm_nlist: %s hides its addresses (kptr_restrict): run as root",
			   path);
		return -1;
	}
	for (i = 0; i < n; i++)
		if (syms[i].score && syms[i].value >= BSDKVM_KERNEL_HALF)
			syms[i].value += (kvaddr_t)disp;
	return 0;
}

/* Fills syms in; the number not found, or -1 with the error set. */
int bsdkvm_nlist(kvm_t *kd, struct bsdkvm_sym *syms, size_t n)
{
	struct bsdkvm_sym *rest;
	size_t i, nrest = 0;
	int missing = 0;

	rest = calloc(n + 1, sizeof(*rest));
	if (!rest) {
		bsdkvm_err(kd, "kvm_nlist: out of memory");
		return -1;
	}
	for (i = 0; i < n; i++) {
		ask_resolver(kd, &syms[i]);
		if (!syms[i].score && !kd->resolver)
			rest[nrest++].name = syms[i].name;
	}
	if (nrest && from_file(kd, rest, nrest)) {
		free(rest);
		return -1;
	}
	for (i = 0, nrest = 0; i < n; i++) {
		if (!syms[i].score && !kd->resolver)
			syms[i] = rest[nrest++];
		if (!syms[i].score) {
			syms[i].value = 0;
			syms[i].type = N_UNDF;
			missing++;
		}
	}
	free(rest);
	return missing;
}

/* One symbol's run-time address, or -1 with the error set. */
int bsdkvm_lookup(kvm_t *kd, const char *name, kvaddr_t *addr)
{
	struct bsdkvm_sym s = { .name = name };
	int ret = bsdkvm_nlist(kd, &s, 1);

	if (ret > 0)
		bsdkvm_err(kd, "no symbol %s in the kernel's symbols", name);
	if (ret)
		return -1;
	*addr = s.value;
	return 0;
}

static struct bsdkvm_sym *alloc_syms(kvm_t *kd, size_t n)
{
	struct bsdkvm_sym *syms = calloc(n ? n : 1, sizeof(*syms));

	if (!syms)
		bsdkvm_err(kd, "kvm_nlist: out of memory");
	return syms;
}

/* kvm_nlist() (nl) and kvm_nlist2() (nl2): the same search, two layouts. */
static int nlist_either(kvm_t *kd, struct nlist *nl, struct kvm_nlist *nl2)
{
	struct bsdkvm_sym *syms;
	size_t n = 0, i;
	int ret;

	while (listed(nl ? nl[n].n_name : nl2[n].n_name))
		n++;
	syms = alloc_syms(kd, n);
	if (!syms)
		return -1;
	for (i = 0; i < n; i++)
		syms[i].name = nl ? nl[i].n_name : nl2[i].n_name;
	ret = bsdkvm_nlist(kd, syms, n);
	/* Every entry is written, found or not (0 and N_UNDF), error or not. */
	for (i = 0; i < n; i++) {
		if (ret < 0)
			syms[i].value = syms[i].type = 0;
		if (nl) {
			nl[i].n_value = (unsigned long)syms[i].value;
			nl[i].n_type = syms[i].type;
			nl[i].n_other = 0;
			nl[i].n_desc = 0;
		} else {
			nl2[i].n_value = syms[i].value;
			nl2[i].n_type = syms[i].type;
		}
	}
	free(syms);
	return ret;
}

int kvm_nlist(kvm_t *kd, struct nlist *nl)
{
	return nlist_either(kd, nl, NULL);
}

int kvm_nlist2(kvm_t *kd, struct kvm_nlist *nl)
{
	return nlist_either(kd, NULL, nl);
}
