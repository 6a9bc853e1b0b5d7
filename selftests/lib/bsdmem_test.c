// SPDX-License-Identifier: GPL-2.0
/*
 * Shared helpers for the bsdmem selftests: parsers for the /proc and /sys
 * files the tests use as oracles, capability dropping through raw syscalls
 * (the guest has no libcap), the `writable` parameter and pinned buffers.
 */
#include <ctype.h>
#include <dirent.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>
#include <linux/bpf.h>
#include <linux/capability.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "bsdmem_test.h"

const char *bt_boot(void)
{
	const char *b = getenv("BSDMEM_BOOT");

	return b && *b ? b : "default";
}

bool bt_boot_is(const char *name)
{
	return strcmp(bt_boot(), name) == 0;
}

/* What each ABI looks like from inside and on disk. */
static const struct bt_abi_desc {
	const char *name;
	const char *suffix;	/* of the program's file name */
	unsigned char elf_class;
	uint16_t machine;
	size_t long_size;
	uint32_t get, set;	/* MEMRANGE_GET/SET as this ABI sends them */
} bt_abis[] = {
	{ "x32", "_x32", ELFCLASS32, EM_X86_64, 4, 0xC00C6D32, 0x800C6D33 },
	{ "i386", "_32", ELFCLASS32, EM_386, 4, 0xC00C6D32, 0x800C6D33 },
	{ "amd64", "", ELFCLASS64, EM_X86_64, 8, 0xC0106D32, 0x80106D33 },
};

/* The ABI the file name promises: the first whose suffix ends it. */
static const struct bt_abi_desc *bt_abi_of_name(const char *path)
{
	size_t n = strlen(path), i, k;

	for (i = 0; i + 1 < sizeof(bt_abis) / sizeof(bt_abis[0]); i++) {
		k = strlen(bt_abis[i].suffix);
		if (n >= k && !strcmp(path + n - k, bt_abis[i].suffix))
			break;
	}
	return &bt_abis[i];
}

static int __attribute__((format(printf, 3, 4)))
bt_abi_fail(char *why, size_t size, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, size, fmt, ap);
	va_end(ap);
	return -1;
}

int bt_abi_check(char *why, size_t size)
{
	const struct bt_abi_desc *a;
	unsigned char eh[20];
	char exe[256];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	unsigned int machine;
	int fd;

	if (n <= 0)
		return bt_abi_fail(why, size, "readlink /proc/self/exe: %s",
				   strerror(errno));
	exe[n] = '\0';
	a = bt_abi_of_name(exe);
	if (strcmp(a->name, BT_ABI))
		return bt_abi_fail(why, size, "%s is named for %s, built for %s",
				   exe, a->name, BT_ABI);
	fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	n = fd < 0 ? -1 : pread(fd, eh, sizeof(eh), 0);
	if (fd >= 0)
		close(fd);
	if (n != (ssize_t)sizeof(eh) || memcmp(eh, ELFMAG, SELFMAG))
		return bt_abi_fail(why, size, "%s: no ELF header", exe);
	/* e_machine is at offset 18 in both ELF classes (little-endian). */
	machine = eh[18] | eh[19] << 8;
	if (eh[EI_CLASS] != a->elf_class || machine != a->machine)
		return bt_abi_fail(why, size, "%s: ELF class %u machine %u, not %s",
				   exe, eh[EI_CLASS], machine, a->name);
	if (sizeof(long) != a->long_size || MEMRANGE_GET != a->get ||
	    MEMRANGE_SET != a->set)
		return bt_abi_fail(why, size, "%s: long %zu bytes, GET 0x%x, SET 0x%x",
				   a->name, sizeof(long),
				   (unsigned int)MEMRANGE_GET,
				   (unsigned int)MEMRANGE_SET);
	return 0;
}

int bt_kallsyms(const char *name, const char *module, uint64_t *addr)
{
	char line[512], sym[256], mod[128];
	unsigned long long a;
	char type;
	FILE *f;
	int n, ret = -1;

	f = fopen("/proc/kallsyms", "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		mod[0] = '\0';
		n = sscanf(line, "%llx %c %255s [%127[^]]]", &a, &type, sym, mod);
		if (n < 3 || strcmp(sym, name))
			continue;
		if (module ? (n < 4 || strcmp(mod, module)) : n == 4)
			continue;
		if (!a)
			break;		/* kptr_restrict hides it */
		*addr = a;
		ret = 0;
		break;
	}
	fclose(f);
	return ret;
}

int bt_phys_bits(void)
{
	char line[256];
	int bits = -1;
	FILE *f;

	f = fopen("/proc/cpuinfo", "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		char *p = strstr(line, "address sizes");

		if (p && (p = strchr(p, ':')) && sscanf(p + 1, "%d", &bits) == 1)
			break;
	}
	fclose(f);
	return bits;
}

int bt_cpu_flag(const char *flag)
{
	char line[8192], *w, *save;
	int cpus = 0, with = 0;
	FILE *f;

	f = fopen("/proc/cpuinfo", "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "flags", 5) || !(w = strchr(line, ':')))
			continue;
		cpus++;
		for (w = strtok_r(w + 1, " \t\n", &save); w;
		     w = strtok_r(NULL, " \t\n", &save))
			if (!strcmp(w, flag)) {
				with++;
				break;
			}
	}
	fclose(f);
	if (!cpus || (with && with != cpus))
		return -1;
	return with ? 1 : 0;
}

int bt_numa_nodes(void)
{
	struct dirent *de;
	int n = 0;
	DIR *d;

	d = opendir("/sys/devices/system/node");
	if (!d)
		return 1;
	while ((de = readdir(d)))
		if (!strncmp(de->d_name, "node", 4) && isdigit(de->d_name[4]))
			n++;
	closedir(d);
	return n ? n : 1;
}

long bt_cached_pages(int fd, off_t size)
{
	long pg = sysconf(_SC_PAGESIZE), pages = (size + pg - 1) / pg, n = 0, i;
	unsigned char *vec;
	void *map;

	if (size <= 0)
		return 0;
	/* mincore() of a shared mapping: the page cache, nothing faulted in */
	map = mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED)
		return -1;
	vec = malloc(pages);
	if (!vec || mincore(map, size, vec))
		n = -1;
	for (i = 0; n >= 0 && i < pages; i++)
		n += vec[i] & 1;
	free(vec);
	munmap(map, size);
	return n;
}

ssize_t bt_read_file(const char *path, char *buf, size_t size)
{
	ssize_t r, done = 0;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	while ((size_t)done < size - 1) {
		r = read(fd, buf + done, size - 1 - done);
		if (r < 0) {
			close(fd);
			return -1;
		}
		if (!r)
			break;
		done += r;
	}
	buf[done] = '\0';
	close(fd);
	return done;
}

int bt_write_file(const char *path, const char *s)
{
	ssize_t r;
	int fd, err;

	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	r = write(fd, s, strlen(s));
	err = errno;
	close(fd);
	errno = err;
	if (r < 0)
		return -1;
	return (size_t)r == strlen(s) ? 0 : -1;
}

void bt_thp_allow(const char *file, char *saved, size_t len)
{
	char v[128], *a, *b;

	if (bt_read_file(file, v, sizeof(v)) <= 0)
		return;
	a = strchr(v, '[');
	b = a ? strchr(a, ']') : NULL;
	if (!b || (strncmp(a + 1, "never", 5) && strncmp(a + 1, "defer]", 6)))
		return;
	*b = '\0';
	snprintf(saved, len, "%s", a + 1);
	bt_write_file(file, "madvise");
}

int bt_set_writable(int on)
{
	return bt_write_file(BT_WRITABLE_PARAM, on ? "1" : "0");
}

int bt_get_writable(void)
{
	char v[8];

	if (bt_read_file(BT_WRITABLE_PARAM, v, sizeof(v)) <= 0)
		return -1;
	if (v[0] == '1' || v[0] == 'Y' || v[0] == 'y')
		return 1;
	if (v[0] == '0' || v[0] == 'N' || v[0] == 'n')
		return 0;
	return -1;
}

#define BT_PARAMS	"/sys/module/bsdmem/parameters/"

int bt_param(const char *name)
{
	char v[24] = "", path[128];

	snprintf(path, sizeof(path), BT_PARAMS "%s", name);
	if (bt_read_file(path, v, sizeof(v)) <= 0)
		return -1;
	return atoi(v);
}

int bt_set_param(const char *name, int value)
{
	char v[24], path[128];

	snprintf(v, sizeof(v), "%d", value);
	snprintf(path, sizeof(path), BT_PARAMS "%s", name);
	return bt_write_file(path, v) ? (errno ? errno : EIO) : 0;
}

int bt_gzip_fastest(void)
{
	int saved = bt_param("gzip_level");

	if (saved < 0 || bt_set_param("gzip_level", 1))
		return -1;
	return saved;
}

int bt_pagemap(const void *va, uint64_t *entry)
{
	off64_t off = (off64_t)((uintptr_t)va / BT_PAGE_SIZE) * 8;
	ssize_t r;
	int fd;

	fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	r = pread64(fd, entry, sizeof(*entry), off);
	close(fd);
	return r == sizeof(*entry) ? 0 : -1;
}

int bt_pagemap_paddr(const void *va, uint64_t *paddr)
{
	uint64_t e;

	if (bt_pagemap(va, &e))
		return -1;
	if (!(e & BT_PAGEMAP_PRESENT)) {
		*paddr = 0;
		return 0;
	}
	*paddr = (e & BT_PAGEMAP_PFN_MASK) * BT_PAGE_SIZE +
		 (uintptr_t)va % BT_PAGE_SIZE;
	return 0;
}

int bt_kpageflags(uint64_t pfn, uint64_t *flags)
{
	ssize_t r;
	int fd;

	fd = open("/proc/kpageflags", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	r = pread64(fd, flags, sizeof(*flags), (off64_t)(pfn * 8));
	close(fd);
	return r == sizeof(*flags) ? 0 : -1;
}

int bt_iomem(struct bt_iomem *out, int max)
{
	unsigned long long s, e;
	char line[256], *p;
	int n = 0, depth;
	FILE *f;

	f = fopen("/proc/iomem", "re");
	if (!f)
		return -1;
	while (n < max && fgets(line, sizeof(line), f)) {
		for (depth = 0; line[depth] == ' '; depth++)
			;
		if (sscanf(line + depth, "%llx-%llx", &s, &e) != 2)
			continue;
		p = strstr(line, " : ");
		if (!p)
			continue;
		out[n].start = s;
		out[n].end = e;
		out[n].depth = depth / 2;
		snprintf(out[n].name, sizeof(out[n].name), "%s", p + 3);
		out[n].name[strcspn(out[n].name, "\n")] = '\0';
		n++;
	}
	fclose(f);
	return n;
}

bool bt_iomem_find(const char *prefix, struct bt_iomem *out)
{
	static struct bt_iomem res[512];
	int i, n;

	n = bt_iomem(res, 512);
	for (i = 0; i < n; i++) {
		if (!strncmp(res[i].name, prefix, strlen(prefix))) {
			*out = res[i];
			return true;
		}
	}
	return false;
}

/*
 * /proc/vmallocinfo prints %pK addresses: hashed while kptr_restrict is 0,
 * real for root at 1. Raise it for the read and put it back.
 */
int bt_vmallocinfo(const char *word, struct bt_vmarea *out, int max)
{
	static const char kptr[] = "/proc/sys/kernel/kptr_restrict";
	unsigned long long s, e;
	char line[512], saved[16];
	int n = 0;
	FILE *f;

	if (bt_read_file(kptr, saved, sizeof(saved)) > 0 && saved[0] == '0')
		bt_write_file(kptr, "1");
	else
		saved[0] = '\0';
	f = fopen("/proc/vmallocinfo", "re");
	while (f && n < max && fgets(line, sizeof(line), f)) {
		if (!strstr(line, word))
			continue;
		/* Hashed (or hidden) addresses are not kernel addresses. */
		if (sscanf(line, "0x%llx-0x%llx", &s, &e) != 2 || s < (1ULL << 63))
			continue;
		out[n].start = s;
		out[n].end = e;
		line[strcspn(line, "\n")] = '\0';
		line[sizeof(out[n].line) - 1] = '\0';
		memcpy(out[n].line, line, sizeof(out[n].line));
		n++;
	}
	if (saved[0])
		bt_write_file(kptr, "0");
	if (!f)
		return -1;
	fclose(f);
	return n;
}

void bt_fill(void *buf, size_t len, unsigned int seed)
{
	unsigned char *p = buf;
	uint32_t x = seed * 2654435761u + 12345;
	size_t i;

	for (i = 0; i < len; i++) {
		x = x * 1103515245u + 12345;
		p[i] = (unsigned char)(x >> 16);
	}
}

void *bt_alloc_pinned(size_t len)
{
	size_t i;
	char *p;

	p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	if (madvise(p, len, MADV_NOHUGEPAGE))
		goto err;
	for (i = 0; i < len; i += BT_PAGE_SIZE)
		p[i] = 1;
	if (mlock(p, len))
		goto err;
	return p;
err:
	munmap(p, len);
	return NULL;
}

void bt_free_pinned(void *p, size_t len)
{
	if (p)
		munmap(p, len);
}

int bt_drop_rawio(void)
{
	return bt_drop_cap(CAP_SYS_RAWIO);
}

int bt_drop_cap(int cap)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[2];
	uint32_t bit = 1u << (cap % 32);
	int i = cap / 32;

	if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0))
		return -1;
	if (syscall(SYS_capget, &hdr, data))
		return -1;
	data[i].effective &= ~bit;
	data[i].permitted &= ~bit;
	data[i].inheritable &= ~bit;
	return syscall(SYS_capset, &hdr, data) ? -1 : 0;
}

int bt_extract(int fd, uint64_t va, uint64_t sentinel_paddr,
	       int sentinel_domain, struct mem_extract *me)
{
	memset(me, 0, sizeof(*me));
	me->me_vaddr = va;
	me->me_paddr = sentinel_paddr;
	me->me_domain = sentinel_domain;
	me->me_state = -1;
	return ioctl(fd, MEM_EXTRACT_PADDR, me);
}

ssize_t bt_kcore_read(uint64_t va, void *buf, size_t len)
{
	Elf64_Ehdr eh;
	Elf64_Phdr ph;
	ssize_t r = -1;
	int fd, i;

	fd = open("/proc/kcore", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (pread64(fd, &eh, sizeof(eh), 0) != sizeof(eh) ||
	    memcmp(eh.e_ident, ELFMAG, SELFMAG) ||
	    eh.e_ident[EI_CLASS] != ELFCLASS64)
		goto out;
	for (i = 0; i < eh.e_phnum; i++) {
		if (pread64(fd, &ph, sizeof(ph),
			    (off64_t)(eh.e_phoff + (uint64_t)i * eh.e_phentsize)) !=
		    sizeof(ph))
			goto out;
		if (ph.p_type != PT_LOAD || va < ph.p_vaddr ||
		    va + len > ph.p_vaddr + ph.p_memsz)
			continue;
		r = pread64(fd, buf, len, (off64_t)(ph.p_offset + va - ph.p_vaddr));
		break;
	}
out:
	close(fd);
	return r;
}

static int bt_kseek(int fd, uint64_t va)
{
	off64_t r;

	errno = 0;
	r = lseek64(fd, (off64_t)va, SEEK_SET);
	if (r == -1 && errno)
		return -1;
	if ((uint64_t)r != va) {
		errno = ERANGE;
		return -1;
	}
	return 0;
}

ssize_t bt_kread(int fd, uint64_t va, void *buf, size_t len)
{
	if (bt_kseek(fd, va))
		return -1;
	return read(fd, buf, len);
}

ssize_t bt_kwrite(int fd, uint64_t va, const void *buf, size_t len)
{
	if (bt_kseek(fd, va))
		return -1;
	return write(fd, buf, len);
}

int bt_open_pty(int *master, int *slave)
{
	struct termios t;
	char name[64];

	if (access("/dev/pts/ptmx", F_OK)) {
		mkdir("/dev/pts", 0755);
		mount("devpts", "/dev/pts", "devpts", 0, "ptmxmode=0666");
	}
	*master = posix_openpt(O_RDWR | O_NOCTTY);
	if (*master < 0)
		return -1;
	if (grantpt(*master) || unlockpt(*master) ||
	    ptsname_r(*master, name, sizeof(name)))
		goto err;
	*slave = open(name, O_RDWR | O_NOCTTY);
	if (*slave < 0)
		goto err;
	if (!tcgetattr(*slave, &t)) {
		cfmakeraw(&t);
		tcsetattr(*slave, TCSANOW, &t);
	}
	return 0;
err:
	close(*master);
	return -1;
}

int bt_bpf_page(void)
{
	union bpf_attr attr;

	memset(&attr, 0, sizeof(attr));
	attr.map_type = BPF_MAP_TYPE_ARRAY;
	attr.key_size = 4;
	attr.value_size = 4096;
	attr.max_entries = 1;
	attr.map_flags = BPF_F_MMAPABLE;
	return syscall(__NR_bpf, BPF_MAP_CREATE, &attr, sizeof(attr));
}
