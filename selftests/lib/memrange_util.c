// SPDX-License-Identifier: GPL-2.0
/*
 * Helpers for the MEMRANGE_GET/SET and memcontrol selftests (see
 * memrange_util.h): ioctl wrappers returning -errno, and parsers for the
 * files Linux uses to show memory types: /proc/mtrr, the PAT table in
 * debugfs, /proc/iomem, /proc/cpuinfo, /dev/kmsg and the MTRR MSRs.
 */
#define _FILE_OFFSET_BITS 64
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "memrange_util.h"

#define MRU_MIB		(1ULL << 20)
#define MRU_MAX_IOMEM	512
#define MRU_MAX_LIST	512

int mru_get_count(int fd, int arg)
{
	struct mem_range_op op = { .mo_desc = NULL, .mo_arg = { arg, 0 } };

	if (ioctl(fd, MEMRANGE_GET, &op) < 0)
		return -errno;
	return op.mo_arg[0];
}

int mru_get(int fd, struct mem_range_desc *d, int n)
{
	struct mem_range_op op = { .mo_desc = d, .mo_arg = { n, 0 } };

	if (ioctl(fd, MEMRANGE_GET, &op) < 0)
		return -errno;
	return op.mo_arg[0];
}

int mru_get_all(int fd, struct mem_range_desc **out)
{
	int n = mru_get_count(fd, 0), got;

	*out = NULL;
	if (n < 0)
		return n;
	*out = calloc(n + 1, sizeof(**out));
	if (!*out)
		return -ENOMEM;
	got = mru_get(fd, *out, n);
	if (got < 0) {
		free(*out);
		*out = NULL;
	}
	return got;
}

int mru_set_desc(int fd, int op, const struct mem_range_desc *d)
{
	struct mem_range_op mo = {
		.mo_desc = (struct mem_range_desc *)d,
		.mo_arg = { op, 0 },
	};

	if (ioctl(fd, MEMRANGE_SET, &mo) < 0)
		return -errno;
	return 0;
}

int mru_set(int fd, int op, uint64_t base, uint64_t len, int flags,
	    const char *owner)
{
	struct mem_range_desc d;

	memset(&d, 0, sizeof(d));
	d.mr_base = base;
	d.mr_len = len;
	d.mr_flags = flags;
	if (owner)	/* 8 characters fill the field with no NUL */
		memcpy(d.mr_owner, owner, strnlen(owner, sizeof(d.mr_owner)));
	return mru_set_desc(fd, op, &d);
}

int mru_nattrs(int flags)
{
	return __builtin_popcount((unsigned int)flags & MDF_ATTRMASK);
}

int mru_type2attr(unsigned int type)
{
	switch (type) {
	case 0:
		return MDF_UNCACHEABLE;
	case 1:
		return MDF_WRITECOMBINE;
	case 4:
		return MDF_WRITETHROUGH;
	case 5:
		return MDF_WRITEPROTECT;
	case 6:
		return MDF_WRITEBACK;
	default:
		return MDF_UNKNOWN;
	}
}

static const struct {
	int attr;
	const char *name, *pat, *mtrr;
} mru_attr_words[] = {
	{ MDF_UNCACHEABLE, "uc", "uncached", "uncachable" },
	{ MDF_WRITECOMBINE, "wc", "write-combining", "write-combining" },
	{ MDF_WRITETHROUGH, "wt", "write-through", "write-through" },
	{ MDF_WRITEPROTECT, "wp", "write-protected", "write-protect" },
	{ MDF_WRITEBACK, "wb", "write-back", "write-back" },
};

#define MRU_NWORDS (sizeof(mru_attr_words) / sizeof(mru_attr_words[0]))

const char *mru_pat_word(int attr)
{
	for (size_t i = 0; i < MRU_NWORDS; i++)
		if (mru_attr_words[i].attr == attr)
			return mru_attr_words[i].pat;
	return "?";
}

const char *mru_mtrr_word(int attr)
{
	for (size_t i = 0; i < MRU_NWORDS; i++)
		if (mru_attr_words[i].attr == attr)
			return mru_attr_words[i].mtrr;
	return "?";
}

const char *mru_attr_name(int attr)
{
	for (size_t i = 0; i < MRU_NWORDS; i++)
		if (mru_attr_words[i].attr == attr)
			return mru_attr_words[i].name;
	return "?";
}

long mru_read_file(const char *path, char *buf, size_t size)
{
	size_t done = 0;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	while (done + 1 < size) {
		n = read(fd, buf + done, size - 1 - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		done += n;
	}
	close(fd);
	buf[done] = '\0';
	return done;
}

int mru_backend(char *buf, size_t size)
{
	if (mru_read_file(MRU_BACKEND_PATH, buf, size) < 0)
		return -1;
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

bool mru_mtrr_disabled(void)
{
	uint64_t def;

	return mru_cpu_flag("mtrr") && !mru_rdmsr(MRU_MSR_DEFTYPE, &def) &&
	       !(def & MRU_DEFTYPE_E);
}

const char *mru_expected_backend(void)
{
	if (!mru_cmdline_has("nopat") && mru_cpu_flag("pat"))
		return "pat";
	return mru_cpu_flag("mtrr") && !mru_mtrr_disabled() ? "mtrr" : "none";
}

int mru_slots(void)
{
	char buf[32];

	if (mru_read_file(MRU_SLOTS_PATH, buf, sizeof(buf)) <= 0)
		return -1;
	return atoi(buf);
}

/* The first line of /proc/cpuinfo starting with key, into line. */
static bool mru_cpuinfo_line(const char *key, char *line, size_t size)
{
	FILE *f = fopen("/proc/cpuinfo", "re");
	bool found = false;

	if (!f)
		return false;
	while (!found && fgets(line, size, f))
		found = !strncmp(line, key, strlen(key));
	fclose(f);
	return found;
}

int mru_phys_bits(void)
{
	char line[256];
	int bits;

	if (!mru_cpuinfo_line("address sizes", line, sizeof(line)) ||
	    sscanf(line, "address sizes : %d bits physical", &bits) != 1)
		return -1;
	return bits;
}

/* Is word a whole blank-separated word of text? */
static bool mru_has_word(const char *text, const char *word)
{
	size_t n = strlen(word);
	const char *p = text;

	while ((p = strstr(p, word))) {
		bool start = p == text || p[-1] == ' ' || p[-1] == '\t';
		bool end = !p[n] || p[n] == ' ' || p[n] == '\n' || p[n] == '\t';

		if (start && end)
			return true;
		p += n;
	}
	return false;
}

bool mru_cpu_flag(const char *flag)
{
	static char line[4096];
	char *colon;

	if (!mru_cpuinfo_line("flags", line, sizeof(line)))
		return false;
	colon = strchr(line, ':');
	return colon && mru_has_word(colon + 1, flag);
}

bool mru_cmdline_has(const char *word)
{
	char buf[4096];

	return mru_read_file("/proc/cmdline", buf, sizeof(buf)) > 0 &&
	       mru_has_word(buf, word);
}

int mru_rdmsr(uint32_t msr, uint64_t *val)
{
	int fd = open("/dev/cpu/0/msr", O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = pread(fd, val, sizeof(*val), msr);
	if (n < 0)
		n = -errno;
	close(fd);
	if (n < 0)
		return n;
	return n == sizeof(*val) ? 0 : -EIO;
}

int mru_pat_list(struct mru_pat *out, int max)
{
	FILE *f = fopen(MRU_PAT_LIST, "re");
	char line[256];
	unsigned long long s, e;
	int n = 0;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f) && n < max) {
		if (sscanf(line, "PAT: [mem 0x%llx-0x%llx] %23s",
			   &s, &e, out[n].type) != 3)
			continue;
		out[n].start = s;
		out[n].end = e;
		n++;
	}
	fclose(f);
	return n;
}

int mru_pat_count(uint64_t base, uint64_t len, const char *type)
{
	static struct mru_pat p[MRU_MAX_LIST];
	int n = mru_pat_list(p, MRU_MAX_LIST), c = 0;

	for (int i = 0; i < n; i++)
		if (p[i].start == base && p[i].end == base + len &&
		    (!type || !strcmp(p[i].type, type)))
			c++;
	return n < 0 ? -1 : c;
}

int mru_pat_overlaps(uint64_t base, uint64_t len)
{
	static struct mru_pat p[MRU_MAX_LIST];
	int n = mru_pat_list(p, MRU_MAX_LIST), c = 0;

	for (int i = 0; i < n; i++)
		if (p[i].start < base + len && base < p[i].end)
			c++;
	return n < 0 ? -1 : c;
}

int mru_proc_mtrr(struct mru_mtrr *out, int max)
{
	int n = mru_mtrr_file("/proc/mtrr", out, max);

	return n < 0 && errno == ENOENT ? 0 : n;
}

int mru_mtrr_file(const char *path, struct mru_mtrr *out, int max)
{
	FILE *f = fopen(path, "re");
	unsigned long long base, size;
	char line[256], unit;
	int n = 0, reg, count;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f) && n < max) {
		if (sscanf(line, "reg%d: base=0x%llx (%*[^)]), size=%llu%cB, count=%d: %23[^\n]",
			   &reg, &base, &size, &unit, &count, out[n].type) != 6)
			continue;
		out[n].reg = reg;
		out[n].base = base;
		out[n].size = size << (unit == 'M' ? 20 : unit == 'G' ? 30 : 10);
		n++;
	}
	fclose(f);
	return n;
}

int mru_iomem(struct mru_iomem *out, int max)
{
	FILE *f = fopen("/proc/iomem", "re");
	unsigned long long s, e;
	char line[256];
	int n = 0, depth;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f) && n < max) {
		depth = strspn(line, " ") / 2;
		if (sscanf(line, " %llx-%llx : %63[^\n]", &s, &e,
			   out[n].name) != 3)
			continue;
		out[n].start = s;
		out[n].end = e;
		out[n].depth = depth;
		n++;
	}
	fclose(f);
	return n;
}

bool mru_iomem_find(const char *prefix, struct mru_iomem *out)
{
	static struct mru_iomem r[MRU_MAX_IOMEM];
	int n = mru_iomem(r, MRU_MAX_IOMEM);

	for (int i = 0; i < n; i++) {
		if (!strncmp(r[i].name, prefix, strlen(prefix))) {
			*out = r[i];
			return true;
		}
	}
	return false;
}

/*
 * Is [a, a + 1 MiB) unusable: touched by anything but the window w itself,
 * by a PAT entry, or (in_uc) not inside an uncachable MTRR / (!in_uc)
 * touched by any MTRR?
 */
static bool mru_piece_used(const struct mru_iomem *r, int n, int w,
			   const struct mru_mtrr *m, int nm, uint64_t a,
			   bool in_uc)
{
	uint64_t end = a + MRU_MIB;
	bool inside = false;

	for (int i = 0; i < n; i++)
		if (i != w && r[i].start < end && a <= r[i].end)
			return true;
	for (int i = 0; i < nm; i++) {
		if (!(m[i].base < end && a < m[i].base + m[i].size))
			continue;
		if (!in_uc || strcmp(m[i].type, "uncachable"))
			return true;
		inside |= m[i].base <= a && end <= m[i].base + m[i].size;
	}
	if (in_uc && !inside)
		return true;
	return mru_pat_overlaps(a, MRU_MIB) > 0;
}

int mru_find_hole(uint64_t *base, bool in_uc)
{
	static struct mru_iomem r[MRU_MAX_IOMEM];
	static struct mru_mtrr m[256];
	int n = mru_iomem(r, MRU_MAX_IOMEM), nm = mru_proc_mtrr(m, 256);
	int bits = mru_phys_bits();
	uint64_t limit = bits > 0 ? 1ULL << bits : 1ULL << 36, a;

	if (n <= 0 || nm < 0)
		return -1;
	for (int w = 0; w < n; w++) {
		if (r[w].depth || strncmp(r[w].name, "PCI Bus", 7))
			continue;
		a = (r[w].start + MRU_MIB - 1) & ~(MRU_MIB - 1);
		for (; a >= MRU_MIB && a + MRU_MIB - 1 <= r[w].end &&
		       a + MRU_MIB <= limit; a += MRU_MIB) {
			if (!mru_piece_used(r, n, w, m, nm, a, in_uc)) {
				*base = a;
				return 0;
			}
		}
	}
	return -1;
}

int mru_find_ram(uint64_t *base)
{
	static struct mru_iomem r[MRU_MAX_IOMEM];
	int n = mru_iomem(r, MRU_MAX_IOMEM);
	const uint64_t want = 16 * MRU_MIB;

	for (int i = 0; i < n; i++) {
		if (r[i].depth || strcmp(r[i].name, "System RAM") ||
		    r[i].end < MRU_MIB)
			continue;
		if (r[i].start <= want && want + 0xfff <= r[i].end)
			*base = want;
		else
			*base = (r[i].start + 0xfff) & ~0xfffULL;
		if (*base + 0xfff <= r[i].end)
			return 0;
	}
	return -1;
}

int mru_kmsg_open(void)
{
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	if (fd >= 0 && lseek(fd, 0, SEEK_END) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

bool mru_kmsg_grep(int fd, const char *const *needles, int n, char *line,
		   size_t size)
{
	char rec[2048];
	ssize_t len;

	for (;;) {
		len = read(fd, rec, sizeof(rec) - 1);
		if (len < 0 && errno == EPIPE)
			continue;	/* overwritten records: go on */
		if (len <= 0)
			return false;
		rec[len] = '\0';
		for (int i = 0; i < n; i++) {
			if (strstr(rec, needles[i])) {
				snprintf(line, size, "%s", rec);
				return true;
			}
		}
	}
}
