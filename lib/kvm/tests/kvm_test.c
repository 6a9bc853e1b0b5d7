// SPDX-License-Identifier: GPL-2.0
/*
 * TAP test of libbsdkvm on synthetic dumps: the minidump test generator's
 * fake machine (tools/minidump/tests/gen.h), with load averages and a CPU
 * count put in its pages, packed raw, gzip and zstd with and without the
 * trailer, plus a System.map and a small ELF vmlinux written here. Expected
 * bytes come from the generator, never from libminidump.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "kvm.h"
#include "gen.h"

#define KOFF		0x2000000ull	/* gen's VMCOREINFO KERNELOFFSET */
#define AVENRUN_PA	0x4000800ull	/* in the banner's dumped 2 MiB leaf */
#define NRCPU_PA	0x4001010ull
#define LEAF_PA		0x4000000ull
#define NR_CPUS		6u

static const uint64_t avenrun[3] = { 3 << 10, 1234, 5633 };

struct tap {
	int n;
	int failed;
};

static bool ok(struct tap *t, bool cond, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static bool ok(struct tap *t, bool cond, const char *fmt, ...)
{
	va_list ap;

	printf("%sok %d ", cond ? "" : "not ", ++t->n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	if (!cond)
		t->failed++;
	return cond;
}

struct fixture {
	struct gen g;
	uint8_t *body;
	size_t body_len;
	struct gen_layout lay;
	char dir[64];
	char sysmap[128];
	char vmlinux[128];
	uint64_t popcount;
};

static void write_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "we");

	if (!f || fwrite(data, 1, len, f) != len || fclose(f)) {
		perror(path);
		exit(2);
	}
}

static uint64_t v_avenrun(const struct gen *g)
{
	return g->a.k2m + (AVENRUN_PA - LEAF_PA);
}

static uint64_t v_nrcpu(const struct gen *g)
{
	return g->a.k2m + (NRCPU_PA - LEAF_PA);
}

/*
 * Link-time addresses: run-time ones minus KERNELOFFSET. "text" comes
 * before "_text" and the local mdtest_dup before the global one, so that
 * the first match found is the wrong one for "_text" and "mdtest_dup".
 */
static void write_sysmap(struct fixture *f)
{
	const struct gen *g = &f->g;
	char buf[1024];
	int n;

	n = snprintf(buf, sizeof(buf),
		     "%016llx T text\n%016llx T _text\n%016llx d mdtest_dup\n"
		     "%016llx D avenrun\n%016llx D nr_cpu_ids\n"
		     "%016llx t mdtest_k4k\n%016llx D mdtest_dup\n"
		     "0000000000031c40 D mdtest_percpu\n"
		     "not a symbol line\n",
		     (unsigned long long)(g->a.k2m + 0x40 - KOFF),
		     (unsigned long long)(g->a.k2m - KOFF),
		     (unsigned long long)(g->a.k4k + 0x100 - KOFF),
		     (unsigned long long)(v_avenrun(g) - KOFF),
		     (unsigned long long)(v_nrcpu(g) - KOFF),
		     (unsigned long long)(g->a.k4k - KOFF),
		     (unsigned long long)(g->a.k4k + 0x200 - KOFF));
	write_file(f->sysmap, buf, (size_t)n);
}

/* An ELF64 file whose only content is a .symtab (and its sections). */
static void write_vmlinux(struct fixture *f)
{
	static const char shstr[] = "\0.text\0.bss\0.symtab\0.strtab\0.shstrtab";
	static const char str[] = "\0_text\0avenrun\0nr_cpu_ids\0mdtest_k4k";
	const struct gen *g = &f->g;
	Elf64_Sym sym[5];
	Elf64_Shdr sh[6];
	Elf64_Ehdr eh;
	uint8_t file[4096];
	size_t off;

	memset(sym, 0, sizeof(sym));
	sym[1] = (Elf64_Sym){ 1, ELF64_ST_INFO(STB_GLOBAL, STT_FUNC), 0, 1,
			      g->a.k2m - KOFF, 0 };
	sym[2] = (Elf64_Sym){ 7, ELF64_ST_INFO(STB_GLOBAL, STT_OBJECT), 0, 2,
			      v_avenrun(g) - KOFF, 24 };
	sym[3] = (Elf64_Sym){ 15, ELF64_ST_INFO(STB_GLOBAL, STT_OBJECT), 0, 2,
			      v_nrcpu(g) - KOFF, 4 };
	sym[4] = (Elf64_Sym){ 26, ELF64_ST_INFO(STB_LOCAL, STT_FUNC), 0, 1,
			      g->a.k4k - KOFF, 0 };
	memset(sh, 0, sizeof(sh));
	off = sizeof(eh);
	sh[1] = (Elf64_Shdr){ 1, SHT_PROGBITS, SHF_ALLOC | SHF_EXECINSTR, 0,
			      off, 0, 0, 0, 16, 0 };
	sh[2] = (Elf64_Shdr){ 7, SHT_NOBITS, SHF_ALLOC | SHF_WRITE, 0, off,
			      0x1000, 0, 0, 16, 0 };
	sh[3] = (Elf64_Shdr){ 12, SHT_SYMTAB, 0, 0, off, sizeof(sym), 4, 4, 8,
			      sizeof(Elf64_Sym) };
	off += sizeof(sym);
	sh[4] = (Elf64_Shdr){ 20, SHT_STRTAB, 0, 0, off, sizeof(str), 0, 0, 1, 0 };
	off += sizeof(str);
	sh[5] = (Elf64_Shdr){ 28, SHT_STRTAB, 0, 0, off, sizeof(shstr), 0, 0, 1, 0 };
	off += sizeof(shstr);
	off = (off + 7) & ~(size_t)7;
	memset(&eh, 0, sizeof(eh));
	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = ELFCLASS64;
	eh.e_ident[EI_DATA] = ELFDATA2LSB;
	eh.e_ident[EI_VERSION] = EV_CURRENT;
	eh.e_type = ET_EXEC;
	eh.e_machine = EM_X86_64;
	eh.e_version = EV_CURRENT;
	eh.e_ehsize = sizeof(eh);
	eh.e_shoff = off;
	eh.e_shentsize = sizeof(Elf64_Shdr);
	eh.e_shnum = 6;
	eh.e_shstrndx = 5;
	memset(file, 0, sizeof(file));
	memcpy(file, &eh, sizeof(eh));
	memcpy(file + sh[3].sh_offset, sym, sizeof(sym));
	memcpy(file + sh[4].sh_offset, str, sizeof(str));
	memcpy(file + sh[5].sh_offset, shstr, sizeof(shstr));
	memcpy(file + off, sh, sizeof(sh));
	write_file(f->vmlinux, file, off + sizeof(sh));
}

static void fixture_init(struct fixture *f)
{
	const char *tmp = getenv("TMPDIR");
	uint8_t *p;
	size_t i;
	int b;

	memset(f, 0, sizeof(*f));
	snprintf(f->dir, sizeof(f->dir), "%s/kvmtest.XXXXXX", tmp ? tmp : "/tmp");
	if (!mkdtemp(f->dir)) {
		perror("mkdtemp");
		exit(2);
	}
	gen_init(&f->g, false, 0);
	p = gen_page(&f->g, LEAF_PA);
	for (i = 0; i < 3; i++)
		md_put_le64(p + (AVENRUN_PA - LEAF_PA) + 8 * i, avenrun[i]);
	md_put_le32(gen_page(&f->g, NRCPU_PA & ~MD_PAGE_MASK) +
		    (NRCPU_PA & MD_PAGE_MASK), NR_CPUS);
	gen_body(&f->g, &f->body, &f->body_len, &f->lay);
	for (i = f->lay.bitmap; i < f->lay.pmap; i++)
		for (b = 0; b < 8; b++)
			f->popcount += f->body[i] >> b & 1;
	snprintf(f->sysmap, sizeof(f->sysmap), "%s/System.map", f->dir);
	snprintf(f->vmlinux, sizeof(f->vmlinux), "%s/vmlinux", f->dir);
	write_sysmap(f);
	write_vmlinux(f);
}

/* Reads that must give the generator's bytes: va, its pa, length. */
struct readcase {
	const char *what;
	uint64_t va;
	uint64_t pa;
	size_t len;
	bool wide;		/* kvm_read2 rather than kvm_read */
};

static void test_reads(struct tap *t, struct fixture *f, kvm_t *kd,
		       const char *tag)
{
	const struct gen_addrs *a = &f->g.a;
	const struct readcase rc[] = {
		{ "kernbase 4K", a->k4k + 0x100, 0x3000100, 64, false },
		{ "kernbase 4K across pages", a->k4k + 0xff0, 0, 32, true },
		{ "kernbase 2M", a->k2m + 0x3010, 0x4003010, 64, true },
		{ "kernbase second pmap page", a->kmod + 8, 0x3100008, 64, false },
		{ "direct map", a->dmap + 0x200, 0x3000200, 64, true },
		{ "linux walk 4K", a->l4k + 0x40, 0x5000040, 64, false },
		{ "linux walk 2M", a->l2m + 0x1008, 0x6001008, 64, true },
		{ "linux walk 1G", a->l1g + 0x80, 0x40003080, 64, false },
	};
	uint8_t got[64], want[64];
	ssize_t n;
	size_t i;
	bool have;

	for (i = 0; i < sizeof(rc) / sizeof(rc[0]); i++) {
		memset(got, 0, sizeof(got));
		if (rc[i].pa) {
			have = gen_lookup(&f->g, rc[i].pa, want, rc[i].len);
		} else {	/* k4k+0xff0: 16 bytes at 0x3000ff0, 16 at 0x3005000 */
			have = gen_lookup(&f->g, 0x3000ff0, want, 16) &&
			       gen_lookup(&f->g, 0x3005000, want + 16, 16);
		}
		n = rc[i].wide ? kvm_read2(kd, rc[i].va, got, rc[i].len) :
				 kvm_read(kd, (unsigned long)rc[i].va, got, rc[i].len);
		if (!ok(t, have && n == (ssize_t)rc[i].len &&
			!memcmp(got, want, rc[i].len),
			"%s: kvm_read %s at 0x%llx gives the generator's bytes",
			tag, rc[i].what, (unsigned long long)rc[i].va))
			printf("# got %zd: %s\n", n, kvm_geterr(kd));
	}
}

static void test_bad_reads(struct tap *t, struct fixture *f, kvm_t *kd,
			   const char *tag)
{
	const struct gen_addrs *a = &f->g.a;
	const uint64_t bad[][2] = {	/* where the read starts, where it fails */
		{ a->k_nopde, a->k_nopde }, { a->k_nopte, a->k_nopte },
		{ a->k_notdumped, a->k_notdumped }, { a->l_unmapped, a->l_unmapped },
		{ a->l_nopt, a->l_nopt }, { a->dmap + 0x1000, a->dmap + 0x1000 },
		{ a->k4k + 0x1ff0, a->k4k + 0x2000 },
	};
	char hex[32];
	uint8_t buf[32];
	bool good = true;
	size_t i;
	ssize_t n;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		n = kvm_read2(kd, bad[i][0], buf, sizeof(buf));
		snprintf(hex, sizeof(hex), "0x%llx", (unsigned long long)bad[i][1]);
		if (n != -1 || !strstr(kvm_geterr(kd), hex)) {
			printf("# 0x%llx: %zd, \"%s\"\n",
			       (unsigned long long)bad[i][0], n, kvm_geterr(kd));
			good = false;
		}
	}
	ok(t, good, "%s: unmapped and not-dumped addresses give -1 and an error naming them",
	   tag);
}

static void test_nlist(struct tap *t, struct fixture *f, kvm_t *kd,
		       const char *tag)
{
	const struct gen_addrs *a = &f->g.a;
	struct nlist nl[] = {
		{ "avenrun", 0, 0, 0, 0xdead }, { "_nr_cpu_ids", 0, 0, 0, 0xdead },
		{ "_text", 0, 0, 0, 0xdead }, { "mdtest_dup", 0, 0, 0, 0xdead },
		{ "mdtest_nosuch", 9, 0, 0, 0xdead },
		{ "_mdtest_nosuch2", 9, 0, 0, 0xdead },
		{ NULL, 0, 0, 0, 0 },
	};
	int ret = kvm_nlist(kd, nl);

	if (!ok(t, ret == 2 && nl[0].n_value == v_avenrun(&f->g) &&
		nl[0].n_type == (N_DATA | N_EXT) &&
		nl[1].n_value == v_nrcpu(&f->g) && nl[2].n_value == a->k2m &&
		nl[2].n_type == (N_TEXT | N_EXT) &&
		nl[3].n_value == a->k4k + 0x200 &&
		nl[4].n_value == 0 && nl[4].n_type == N_UNDF &&
		nl[5].n_value == 0 && nl[5].n_type == N_UNDF,
		"%s: kvm_nlist finds names (\"_\" stripped, exact and global first), counts and zeroes the rest",
		tag))
		printf("# ret %d: %lx %lx %lx %lx %lx %lx: %s\n", ret,
		       nl[0].n_value, nl[1].n_value, nl[2].n_value,
		       nl[3].n_value, nl[4].n_value, nl[5].n_value,
		       kvm_geterr(kd));
}

static void test_vars(struct tap *t, kvm_t *kd, const char *tag)
{
	double la[3] = { -1, -1, -1 }, two[3] = { -1, -1, -1 };
	int ret = kvm_getloadavg(kd, la, 3), ret2 = kvm_getloadavg(kd, two, 2);
	bool good = ret == 3 && ret2 == 2 && two[2] == -1;
	int i;

	for (i = 0; i < 3; i++)
		good = good && la[i] == avenrun[i] / 2048.0 &&
		       (i == 2 || two[i] == la[i]);
	if (!ok(t, good, "%s: kvm_getloadavg gives avenrun / 2048", tag))
		printf("# %d %d: %f %f %f: %s\n", ret, ret2, la[0], la[1], la[2],
		       kvm_geterr(kd));
	ret = kvm_getmaxcpu(kd);
	ok(t, ret == (int)NR_CPUS, "%s: kvm_getmaxcpu gives nr_cpu_ids (%d)", tag, ret);
	ok(t, kvm_kerndisp(kd) == (kssize_t)KOFF,
	   "%s: kvm_kerndisp gives KERNELOFFSET", tag);
}

struct walk {
	struct fixture *f;
	int fd;			/* the raw file, or -1 */
	uint64_t count;
	uint64_t last;
	uint64_t stop_after;	/* 0: never */
	bool good;
};

static int walk_cb(struct kvm_page *p, void *closure)
{
	struct walk *w = closure;
	uint8_t want[MD_PAGE_SIZE], got[MD_PAGE_SIZE];

	if (w->count && p->kp_paddr <= w->last)
		w->good = false;
	if (p->kp_version != LIBKVM_WALK_PAGES_VERSION || p->kp_len != MD_PAGE_SIZE ||
	    p->kp_dmap_vaddr != w->f->g.dmapbase + p->kp_paddr ||
	    !gen_lookup(&w->f->g, p->kp_paddr, want, MD_PAGE_SIZE))
		w->good = false;
	if (w->fd >= 0 && (pread(w->fd, got, MD_PAGE_SIZE, p->kp_offset) !=
			   MD_PAGE_SIZE || memcmp(got, want, MD_PAGE_SIZE)))
		w->good = false;
	if (w->fd < 0 && p->kp_offset != 0)
		w->good = false;
	w->last = p->kp_paddr;
	w->count++;
	return !w->stop_after || w->count < w->stop_after;
}

static void test_walk(struct tap *t, struct fixture *f, kvm_t *kd,
		      const char *tag, const char *path, bool raw)
{
	struct walk w = { f, raw ? open(path, O_RDONLY) : -1, 0, 0, 0, true };
	int ret = kvm_walk_pages(kd, walk_cb, &w);

	if (!ok(t, ret == 1 && w.good && w.count == f->popcount,
		"%s: kvm_walk_pages visits the %llu dumped pages in order%s", tag,
		(unsigned long long)f->popcount, raw ? ", at their file offsets" : ""))
		printf("# ret %d good %d count %llu: %s\n", ret, w.good,
		       (unsigned long long)w.count, kvm_geterr(kd));
	if (w.fd >= 0)
		close(w.fd);
}

static void test_dump(struct tap *t, struct fixture *f, enum md_format fmt,
		      bool trailer)
{
	char tag[32], path[160], errbuf[_POSIX2_LINE_MAX] = "";
	uint8_t *file, b = 0x5a;
	size_t len;
	kvm_t *kd;

	static const char *const name[] = { "raw", "gzip", "zstd" };
	static const char *const suffix[] = { "", ".gz", ".zst" };

	snprintf(tag, sizeof(tag), "%s%s", name[fmt], trailer ? "+trailer" : "");
	snprintf(path, sizeof(path), "%s/core.%s%s", f->dir, tag, suffix[fmt]);
	gen_pack(f->body, f->body_len, fmt, trailer, &file, &len);
	write_file(path, file, len);
	free(file);
	kd = kvm_openfiles(f->sysmap, path, NULL, O_RDONLY, errbuf);
	if (!ok(t, kd != NULL, "%s: kvm_openfiles", tag)) {
		printf("# %s\n", errbuf);
		return;
	}
	test_reads(t, f, kd, tag);
	test_bad_reads(t, f, kd, tag);
	test_nlist(t, f, kd, tag);
	test_vars(t, kd, tag);
	test_walk(t, f, kd, tag, path, fmt == MD_FMT_RAW);
	ok(t, kvm_close(kd) == 0, "%s: kvm_close", tag);
	kd = kvm_openfiles(f->sysmap, path, NULL, O_RDWR, errbuf);
	ok(t, kd && kvm_write(kd, f->g.a.k4k, &b, 1) == -1 &&
	   strstr(kvm_geterr(kd), "dump"),
	   "%s: kvm_write on a dump fails, saying why", tag);
	if (kd)
		kvm_close(kd);
}

static const char *resolver_asked;

/* Knows avenrun only, at a place of its own. */
static int resolver(const char *name, kvaddr_t *addr)
{
	if (strcmp(name, "avenrun"))
		return -1;
	resolver_asked = "avenrun";
	*addr = 0xffffffff81234000ull;
	return 0;
}

static void test_symbols(struct tap *t, struct fixture *f, const char *raw)
{
	char errbuf[_POSIX2_LINE_MAX] = "", path[160];
	struct kvm_nlist nl[] = {
		{ "_avenrun", 0, 1 }, { "nr_cpu_ids", 0, 1 }, { "_text", 0, 1 },
		{ "mdtest_k4k", 0, 1 }, { "nosuch", 0, 1 }, { "", 0, 0 },
	};
	struct kvm_nlist one[] = { { "avenrun", 0, 0 }, { "nr_cpu_ids", 0, 0 },
				   { NULL, 0, 0 } };
	struct kvm_nlist pcpu[] = { { "mdtest_percpu", 0, 7 }, { NULL, 0, 0 } };
	struct kvm_nlist longsyms[] = { { "mdtest_long", 0, 0 },
					{ "mdtest_planted", 0, 0 }, { NULL, 0, 0 } };
	static char longmap[1100];
	static const char stub[] = "ffffffffffffffff B The real System.map is in the linux-image-<version>-dbg package\n";
	kvm_t *kd;
	int ret;

	kd = kvm_openfiles(f->vmlinux, raw, NULL, O_RDONLY, errbuf);
	ret = kd ? kvm_nlist2(kd, nl) : -2;
	if (!ok(t, ret == 1 && nl[0].n_value == v_avenrun(&f->g) &&
		nl[0].n_type == (N_BSS | N_EXT) && nl[1].n_value == v_nrcpu(&f->g) &&
		nl[2].n_value == f->g.a.k2m && nl[2].n_type == (N_TEXT | N_EXT) &&
		nl[3].n_value == f->g.a.k4k && nl[3].n_type == N_TEXT &&
		nl[4].n_value == 0,
		"kvm_nlist2 reads an ELF vmlinux's .symtab, moved by KERNELOFFSET"))
		printf("# ret %d: %s%s\n", ret, errbuf, kd ? kvm_geterr(kd) : "");
	if (kd)
		kvm_close(kd);

	kd = kvm_openfiles(NULL, raw, NULL, O_RDONLY, errbuf);
	ret = kd ? kvm_nlist2(kd, one) : -2;
	ok(t, ret == -1 && strstr(kvm_geterr(kd), "/boot/System.map-6.1.0-mdtest") &&
	   kvm_kerndisp(kd) == (kssize_t)KOFF,
	   "without execfile a dump's symbols are /boot/System.map-<OSRELEASE> (absent here: -1)");
	if (kd)
		kvm_close(kd);

	snprintf(path, sizeof(path), "%s/absent-vmlinux", f->dir);
	kd = kvm_openfiles(path, raw, NULL, O_RDONLY, errbuf);
	ret = kd ? kvm_nlist2(kd, one) : -2;
	ok(t, ret == -1 && strstr(kvm_geterr(kd), "absent-vmlinux"),
	   "an execfile that cannot be read: -1 with text");
	if (kd)
		kvm_close(kd);

	kd = kvm_open2(f->sysmap, raw, O_RDONLY, errbuf, resolver);
	ret = kd ? kvm_nlist2(kd, one) : -2;
	ok(t, ret == 1 && resolver_asked && one[0].n_value == 0xffffffff81234000ull &&
	   one[1].n_value == 0 && one[1].n_type == N_UNDF,
	   "with kvm_open2's resolver, it alone answers (the execfile is not read)");
	if (kd)
		kvm_close(kd);

	/* No execfile and no /boot here: the resolver still answers. */
	one[0].n_value = one[1].n_value = 1;
	resolver_asked = NULL;
	kd = kvm_open2(NULL, raw, O_RDONLY, errbuf, resolver);
	ret = kd ? kvm_nlist2(kd, one) : -2;
	if (!ok(t, ret == 1 && resolver_asked &&
		one[0].n_value == 0xffffffff81234000ull && one[1].n_value == 0,
		"a dump with a resolver and no symbol file: found 1, missing 1"))
		printf("# ret %d: %s\n", ret, kd ? kvm_geterr(kd) : errbuf);
	if (kd)
		kvm_close(kd);

	/* Per-CPU offsets are not kernel addresses: no KASLR slide. */
	kd = kvm_openfiles(f->sysmap, raw, NULL, O_RDONLY, errbuf);
	ret = kd ? kvm_nlist2(kd, pcpu) : -2;
	ok(t, ret == 0 && pcpu[0].n_value == 0x31c40,
	   "a per-CPU symbol (0x31c40) is not moved by KERNELOFFSET");
	if (kd)
		kvm_close(kd);

	/* An over-long line: its tail (past 1023 bytes) is not a line. */
	snprintf(path, sizeof(path), "%s/System.map-long", f->dir);
	memset(longmap, 'x', sizeof(longmap));
	memcpy(longmap, "ffffffff81000100 T mdtest_long ", 31);
	memcpy(longmap + 1023, "ffffffff81000200 T mdtest_planted\n", 34);
	write_file(path, longmap, 1023 + 34);
	kd = kvm_openfiles(path, raw, NULL, O_RDONLY, errbuf);
	ret = kd ? kvm_nlist2(kd, longsyms) : -2;
	ok(t, ret == 1 && longsyms[0].n_value == 0xffffffff81000100ull + KOFF &&
	   longsyms[1].n_value == 0,
	   "the tail of an over-long System.map line is not read as a symbol");
	if (kd)
		kvm_close(kd);

	/* Debian's /boot/System.map-<release>: one placeholder line. */
	snprintf(path, sizeof(path), "%s/System.map-stub", f->dir);
	write_file(path, stub, strlen(stub));
	kd = kvm_openfiles(path, raw, NULL, O_RDONLY, errbuf);
	ret = kd ? kvm_nlist2(kd, pcpu) : -2;
	ok(t, ret == -1 && strstr(kvm_geterr(kd), "placeholder") &&
	   pcpu[0].n_value == 0,
	   "a placeholder System.map: -1 naming it, the entry zeroed");
	if (kd)
		kvm_close(kd);
}

static void test_opens(struct tap *t, struct fixture *f)
{
	char errbuf[_POSIX2_LINE_MAX], path[160], out[4096] = "";
	uint8_t junk[8192];
	kvm_t *kd;
	size_t i;
	int fd, saved;
	ssize_t n;

	strcpy(errbuf, "");
	kd = kvm_openfiles(NULL, f->vmlinux, NULL, O_RDONLY, errbuf);
	ok(t, !kd && strstr(errbuf, "ELF vmcore"), "an ELF file is refused as not supported yet");
	for (i = 0; i < sizeof(junk); i++)
		junk[i] = (uint8_t)(i * 131 + 7);
	snprintf(path, sizeof(path), "%s/garbage", f->dir);
	write_file(path, junk, sizeof(junk));
	strcpy(errbuf, "");
	kd = kvm_openfiles(NULL, path, NULL, O_RDONLY, errbuf);
	ok(t, !kd && strstr(errbuf, "not a bsdmem minidump"), "garbage is refused with text");
	snprintf(path, sizeof(path), "%s/absent", f->dir);
	strcpy(errbuf, "");
	kd = kvm_openfiles(NULL, path, NULL, O_RDONLY, errbuf);
	ok(t, !kd && strstr(errbuf, strerror(ENOENT)), "a missing corefile: NULL, errno text");
	strcpy(errbuf, "");
	kd = kvm_openfiles(NULL, path, NULL, O_RDONLY | O_CREAT, errbuf);
	ok(t, !kd && strstr(errbuf, "bad flags"), "flags other than the access mode are refused");
	strcpy(errbuf, "");
	kd = kvm_openfiles(NULL, path, NULL, O_ACCMODE, errbuf);
	ok(t, !kd && strstr(errbuf, "bad flags"), "access mode 3 (O_ACCMODE) is refused");

	/* /dev/null as the core (FreeBSD's ps): symbols, no memory. */
	strcpy(errbuf, "");
	kd = kvm_openfiles(NULL, "/dev/null", NULL, O_RDONLY, errbuf);
	ok(t, kd && kvm_read(kd, 0xffffffff81000000ul, out, 8) == -1 &&
	   strstr(kvm_geterr(kd), "/dev/null"),
	   "corefile /dev/null: a handle whose reads fail, saying why");
	if (kd && !access("/proc/kallsyms", R_OK) && !geteuid()) {
		struct kvm_nlist text[] = { { "_text", 0, 0 }, { NULL, 0, 0 } };

		ok(t, kvm_nlist2(kd, text) == 0 && text[0].n_value >= 0xffffffff80000000ull,
		   "corefile /dev/null: kvm_nlist finds _text in /proc/kallsyms");
	} else {
		printf("ok %d # SKIP /proc/kallsyms is not readable as root here\n", ++t->n);
	}
	if (kd)
		kvm_close(kd);

	snprintf(path, sizeof(path), "%s/stderr", f->dir);
	fflush(stderr);
	saved = dup(2);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	dup2(fd, 2);
	kd = kvm_open(NULL, f->vmlinux, NULL, O_RDONLY, "kvmtest-prefix");
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	n = pread(fd, out, sizeof(out) - 1, 0);
	close(fd);
	ok(t, !kd && n > 0 && !strncmp(out, "kvmtest-prefix: kvm_open: ", 26),
	   "kvm_open prints \"errstr: error\" to stderr");

	errno = 0;
	ok(t, kvm_close(NULL) == -1 && errno == EINVAL, "kvm_close(NULL): -1, EINVAL");
	ok(t, kvm_geterr(NULL) && !kvm_geterr(NULL)[0], "kvm_geterr(NULL): an empty string");

	if (access("/dev/bsdkmem", F_OK)) {
		strcpy(errbuf, "");
		kd = kvm_openfiles(NULL, NULL, NULL, O_RDONLY, errbuf);
		ok(t, !kd && strstr(errbuf, "/dev/bsdkmem"),
		   "the live kernel without /dev/bsdkmem: NULL, saying so");
		strcpy(errbuf, "");
		kd = kvm_openfiles(NULL, "/dev/mem", NULL, O_RDONLY, errbuf);
		ok(t, !kd && strstr(errbuf, "/dev/bsdkmem"),
		   "corefile /dev/mem (FreeBSD's _PATH_MEM) is the live kernel too");
	} else {
		printf("ok %d # SKIP /dev/bsdkmem exists: the guest tests cover it\n", ++t->n);
		printf("ok %d # SKIP /dev/bsdkmem exists: the guest tests cover it\n", ++t->n);
	}
}

static void test_unsupported(struct tap *t, struct fixture *f, const char *raw)
{
	char errbuf[_POSIX2_LINE_MAX] = "";
	kvm_t *kd = kvm_openfiles(f->sysmap, raw, NULL, O_RDONLY, errbuf);
	const char *names[10];
	bool fail[10];
	long cp[5];
	char buf[8];
	int cnt = 7, i;
	struct kvm_swap sw;

	if (!kd) {
		ok(t, false, "open for the unsupported functions: %s", errbuf);
		return;
	}
#define TRY(i, name, cond) do { names[i] = name; fail[i] = (cond) && \
	strstr(kvm_geterr(kd), name " is not available on Linux: "); } while (0)
	TRY(0, "kvm_getprocs", !kvm_getprocs(kd, 0, 0, &cnt) && cnt == 0);
	TRY(1, "kvm_getargv", !kvm_getargv(kd, NULL, 0));
	TRY(2, "kvm_getenvv", !kvm_getenvv(kd, NULL, 0));
	TRY(3, "kvm_getswapinfo", kvm_getswapinfo(kd, &sw, 1, 0) == -1);
	TRY(4, "kvm_getcptime", kvm_getcptime(kd, cp) == -1);
	TRY(5, "kvm_getpcpu", kvm_getpcpu(kd, 0) == (void *)-1);
	TRY(6, "kvm_dpcpu_setcpu", kvm_dpcpu_setcpu(kd, 0) == -1);
	TRY(7, "kvm_read_zpcpu", kvm_read_zpcpu(kd, 0, buf, 8, 0) == -1);
	TRY(8, "kvm_counter_u64_fetch", kvm_counter_u64_fetch(kd, 0) == 0);
	TRY(9, "kvm_getncpus", kvm_getncpus(kd) == -1);
#undef TRY
	for (i = 0; i < 10; i++)
		ok(t, fail[i], "%s fails with FreeBSD's value and says why", names[i]);
	ok(t, kvm_native(kd) == 1, "kvm_native: an amd64 dump on an amd64 host");
	kvm_close(kd);
}

/* Walking stops when the callback says so, and then returns 0. */
static void test_walk_stop(struct tap *t, struct fixture *f, const char *raw)
{
	char errbuf[_POSIX2_LINE_MAX] = "";
	kvm_t *kd = kvm_openfiles(f->sysmap, raw, NULL, O_RDONLY, errbuf);
	struct walk w = { f, -1, 0, 0, 3, true };
	int ret = kd ? kvm_walk_pages(kd, walk_cb, &w) : -2;

	ok(t, ret == 0 && w.count == 3 && kvm_geterr(kd)[0],
	   "kvm_walk_pages stops when the callback returns 0, and returns 0");
	if (kd)
		kvm_close(kd);
}

static void cleanup(struct fixture *f)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	if (system(cmd))
		fprintf(stderr, "kvm_test: could not remove %s\n", f->dir);
	free(f->body);
	gen_free(&f->g);
}

int main(void)
{
	static const enum md_format fmts[] = { MD_FMT_RAW, MD_FMT_GZIP, MD_FMT_ZSTD };
	struct tap t = { 0, 0 };
	struct fixture f;
	char raw[160];
	size_t i;

	fixture_init(&f);
	for (i = 0; i < 6; i++)
		test_dump(&t, &f, fmts[i / 2], i % 2);
	snprintf(raw, sizeof(raw), "%s/core.raw+trailer", f.dir);
	test_symbols(&t, &f, raw);
	test_opens(&t, &f);
	test_unsupported(&t, &f, raw);
	test_walk_stop(&t, &f, raw);
	printf("1..%d\n", t.n);
	cleanup(&f);
	return t.failed ? 1 : 0;
}
