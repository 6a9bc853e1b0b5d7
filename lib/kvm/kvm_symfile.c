// SPDX-License-Identifier: GPL-2.0
/*
 * libbsdkvm: the symbol files kvm_nlist() reads, as they are (no
 * displacement): System.map format ("ADDR TYPE NAME", /proc/kallsyms too)
 * or the .symtab of an ELF64 little-endian vmlinux. The ELF reading is our
 * own, with <elf.h>'s layouts: libelf would be a dependency for the sake of
 * two tables.
 */
#include <ctype.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "kvm_private.h"

/* Exact names beat "_name" matched as "name"; global beats local. */
void bsdkvm_sym_offer(struct bsdkvm_sym *syms, size_t n, const char *name,
		      kvaddr_t value, unsigned char type)
{
	int score;
	size_t i;

	for (i = 0; i < n; i++) {
		if (!strcmp(syms[i].name, name))
			score = 4;
		else if (syms[i].name[0] == '_' && !strcmp(syms[i].name + 1, name))
			score = 2;
		else
			continue;
		score += type & N_EXT;
		if (score > syms[i].score) {
			syms[i].score = score;
			syms[i].value = value;
			syms[i].type = type;
		}
	}
}

static unsigned char map_type(char c)
{
	unsigned char ext = isupper((unsigned char)c) ? N_EXT : 0;

	switch (tolower((unsigned char)c)) {
	case 't':
		return N_TEXT | ext;
	case 'b':
	case 's':
		return N_BSS | ext;
	case 'a':
		return N_ABS | ext;
	default:
		return N_DATA | ext;
	}
}

/* 1 if the line was a symbol, 2 if one at ~0 (a placeholder), 0 if not. */
static int map_line(char *line, struct bsdkvm_sym *syms, size_t n)
{
	char *p = line, *name;
	kvaddr_t value;
	char type;

	if (!isxdigit((unsigned char)*p))
		return 0;
	errno = 0;
	value = strtoull(p, &p, 16);
	if (errno || !isspace((unsigned char)*p))
		return 0;
	while (*p == ' ' || *p == '\t')
		p++;
	type = *p++;
	if (!isalpha((unsigned char)type) || (*p != ' ' && *p != '\t'))
		return 0;
	while (*p == ' ' || *p == '\t')
		p++;
	name = p;
	p += strcspn(p, " \t\r\n");
	if (p == name)
		return 0;
	*p = '\0';
	if (value == ~0ull)
		return 2;
	bsdkvm_sym_offer(syms, n, name, value, map_type(type));
	return 1;
}

static int scan_map(kvm_t *kd, const char *path, FILE *f,
		    struct bsdkvm_sym *syms, size_t n)
{
	char line[1024];
	size_t good = 0, stub = 0, len;
	bool whole = true, ends;
	int r;

	while (fgets(line, sizeof(line), f)) {
		len = strlen(line);
		/* the rest of an over-long line is not a line of its own */
		ends = len && line[len - 1] == '\n';
		r = whole ? map_line(line, syms, n) : 0;
		whole = ends;
		good += r == 1;
		stub += r == 2;
	}
	if (ferror(f)) {
		bsdkvm_syserr(kd, "kvm_nlist: %s", path);
		return -1;
	}
	if (!good && stub) {
		bsdkvm_err(kd, "kvm_nlist: %s is a placeholder without addresses (Debian's: the symbols are in linux-image-<release>-dbg's vmlinux): name a symbol file as execfile",
			   path);
		return -1;
	}
	if (!good) {
		bsdkvm_err(kd, "kvm_nlist: %s: neither a System.map nor an ELF vmlinux",
			   path);
		return -1;
	}
	return 0;
}

/*
 * len bytes at off into a new buffer with a NUL after them (which ends the
 * last name of a string table), or NULL with the error set.
 */
static void *read_at(kvm_t *kd, const char *path, int fd, uint64_t off,
		     uint64_t len)
{
	char *buf = len < (1ull << 31) ? malloc(len + 1) : NULL;

	if (!buf) {
		bsdkvm_err(kd, "kvm_nlist: %s: a table of %llu bytes is too large",
			   path, (unsigned long long)len);
		return NULL;
	}
	if (pread(fd, buf, len, (off_t)off) != (ssize_t)len) {
		bsdkvm_err(kd, "kvm_nlist: %s: truncated ELF file", path);
		free(buf);
		return NULL;
	}
	buf[len] = '\0';
	return buf;
}

static unsigned char elf_type(const Elf64_Sym *s, const Elf64_Shdr *sh,
			      size_t shnum)
{
	unsigned char bind = ELF64_ST_BIND(s->st_info);
	unsigned char ext = bind == STB_GLOBAL || bind == STB_WEAK ? N_EXT : 0;
	const Elf64_Shdr *sec;

	if (s->st_shndx == SHN_ABS)
		return N_ABS | ext;
	if (s->st_shndx >= shnum)
		return N_DATA | ext;
	sec = &sh[s->st_shndx];
	if (sec->sh_flags & SHF_EXECINSTR)
		return N_TEXT | ext;
	return (sec->sh_type == SHT_NOBITS ? N_BSS : N_DATA) | ext;
}

static void elf_offer(const Elf64_Sym *sym, size_t nsym, const char *str,
		      size_t strsz, const Elf64_Shdr *sh, size_t shnum,
		      struct bsdkvm_sym *syms, size_t n)
{
	unsigned char t;
	size_t i;

	for (i = 1; i < nsym; i++) {
		t = ELF64_ST_TYPE(sym[i].st_info);
		if (sym[i].st_shndx == SHN_UNDEF || t == STT_SECTION ||
		    t == STT_FILE || !sym[i].st_name || sym[i].st_name >= strsz)
			continue;
		bsdkvm_sym_offer(syms, n, str + sym[i].st_name, sym[i].st_value,
				 elf_type(&sym[i], sh, shnum));
	}
}

static int scan_elf(kvm_t *kd, const char *path, int fd,
		    struct bsdkvm_sym *syms, size_t n)
{
	Elf64_Shdr *sh = NULL, *symsec = NULL;
	void *sym = NULL;
	char *str = NULL;
	Elf64_Ehdr eh;
	size_t i;
	int ret = -1;

	if (pread(fd, &eh, sizeof(eh), 0) != (ssize_t)sizeof(eh) ||
	    eh.e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh.e_ident[EI_DATA] != ELFDATA2LSB ||
	    eh.e_shentsize != sizeof(Elf64_Shdr) || !eh.e_shnum) {
		bsdkvm_err(kd, "kvm_nlist: %s: not a little-endian ELF64 file with section headers",
			   path);
		return -1;
	}
	sh = read_at(kd, path, fd, eh.e_shoff, (uint64_t)eh.e_shnum * sizeof(*sh));
	if (!sh)
		return -1;
	for (i = 0; i < eh.e_shnum && !symsec; i++)
		if (sh[i].sh_type == SHT_SYMTAB && sh[i].sh_link < eh.e_shnum &&
		    sh[i].sh_entsize == sizeof(Elf64_Sym))
			symsec = &sh[i];
	if (!symsec) {
		bsdkvm_err(kd, "kvm_nlist: %s: no .symtab (a stripped vmlinux?)", path);
		goto out;
	}
	sym = read_at(kd, path, fd, symsec->sh_offset, symsec->sh_size);
	str = sym ? read_at(kd, path, fd, sh[symsec->sh_link].sh_offset,
			    sh[symsec->sh_link].sh_size) : NULL;
	if (!str)
		goto out;
	elf_offer(sym, symsec->sh_size / sizeof(Elf64_Sym), str,
		  sh[symsec->sh_link].sh_size, sh, eh.e_shnum, syms, n);
	ret = 0;
out:
	free(str);
	free(sym);
	free(sh);
	return ret;
}

int bsdkvm_symfile_scan(kvm_t *kd, const char *path, struct bsdkvm_sym *syms,
			size_t n)
{
	unsigned char magic[SELFMAG];
	FILE *f;
	int ret;

	f = fopen(path, "re");
	if (!f) {
		bsdkvm_syserr(kd, "kvm_nlist: %s", path);
		return -1;
	}
	if (fread(magic, 1, SELFMAG, f) == SELFMAG &&
	    !memcmp(magic, ELFMAG, SELFMAG)) {
		ret = scan_elf(kd, path, fileno(f), syms, n);
	} else {
		rewind(f);
		ret = scan_map(kd, path, f, syms, n);
	}
	fclose(f);
	return ret;
}
