// SPDX-License-Identifier: GPL-2.0
/*
 * libbsdkvm: kvm_nlist() and kvm_nlist2(). A name is asked of kvm_open2's
 * resolver first, then looked up in the symbol file: execfile if given
 * (its link-time addresses moved by the kernel's slide), else the
 * backend's default (/proc/kallsyms, or the dump's System.map moved by
 * KERNELOFFSET). "_name" also matches "name", as FreeBSD's ELF lookup does.
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

/* Which file, and what its addresses need to become run-time ones. */
static int symbol_source(kvm_t *kd, const char **path, int64_t *disp)
{
	if (!kd->execfile)
		return kd->ops->symfile(kd, path, disp);
	*path = kd->execfile;
	return kd->ops->linkdisp(kd, disp);
}

static int from_file(kvm_t *kd, struct bsdkvm_sym *syms, size_t n)
{
	const char *path;
	int64_t disp;
	size_t i;

	if (symbol_source(kd, &path, &disp) ||
	    bsdkvm_symfile_scan(kd, path, syms, n))
		return -1;
	for (i = 0; i < n; i++) {
		if (!syms[i].score)
			continue;
		/* kallsyms shows zeros to readers without CAP_SYSLOG. */
		if (!syms[i].value && !strcmp(path, BSDKVM_KALLSYMS)) {
			bsdkvm_err(kd, "kvm_nlist: %s hides its addresses (kptr_restrict): run as root",
				   path);
			return -1;
		}
		syms[i].value += (kvaddr_t)disp;
	}
	return 0;
}

/* Fills syms in; the number not found, or -1 with the error set. */
int bsdkvm_nlist(kvm_t *kd, struct bsdkvm_sym *syms, size_t n)
{
	struct bsdkvm_sym *rest;
	size_t i, nrest = 0;
	int missing = 0;

	rest = calloc(n ? n : 1, sizeof(*rest));
	if (!rest) {
		bsdkvm_err(kd, "kvm_nlist: out of memory");
		return -1;
	}
	for (i = 0; i < n; i++) {
		ask_resolver(kd, &syms[i]);
		if (!syms[i].score)
			rest[nrest++].name = syms[i].name;
	}
	if (nrest && from_file(kd, rest, nrest)) {
		free(rest);
		return -1;
	}
	for (i = 0, nrest = 0; i < n; i++) {
		if (!syms[i].score)
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
	for (i = 0; ret >= 0 && i < n; i++) {
		if (nl) {
			nl[i].n_value = (unsigned long)syms[i].value;
			nl[i].n_type = syms[i].type;
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
