// SPDX-License-Identifier: GPL-2.0
/*
 * The MEMRANGE selftests' fixture (see memrange_fixture.h): opening the
 * device for one backend, finding room to set ranges in, cleaning up after
 * a test, and finding a test's own ranges in GET's answer.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mount.h>

#include "memrange_fixture.h"
#include "memrange_util.h"

static enum mru_fix_result __attribute__((format(printf, 4, 5)))
mru_fix_say(enum mru_fix_result r, char *why, size_t size, const char *fmt,
	    ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, size, fmt, ap);
	va_end(ap);
	return r;
}

/* The backend's side of the setup: counts, the PAT table, the hole. */
static enum mru_fix_result mru_fix_backend(struct mru_fix *m, bool need_hole,
					   char *why, size_t size)
{
	bool pat = !strcmp(m->backend, "pat");

	m->slots = mru_slots();
	if (m->slots < 1)
		return mru_fix_say(MRU_FIX_FAIL, why, size,
				   "memrange_slots reads %d", m->slots);
	m->nsoft = pat ? m->slots : 0;
	if (strcmp(m->backend, "none")) {
		m->count = mru_get_count(m->fd, 0);
		if (m->count < m->nsoft)
			return mru_fix_say(MRU_FIX_FAIL, why, size,
					   "GET count: %d", m->count);
	}
	if (pat && access(MRU_PAT_LIST, R_OK))
		mount("debugfs", "/sys/kernel/debug", "debugfs", 0, NULL);
	if (pat && access(MRU_PAT_LIST, R_OK))
		return mru_fix_say(MRU_FIX_SKIP, why, size, "no %s (debugfs)",
				   MRU_PAT_LIST);
	if (need_hole && mru_find_hole(&m->hole, false))
		return mru_fix_say(MRU_FIX_SKIP, why, size,
				   "no unused 1 MiB in a PCI window of /proc/iomem");
	return MRU_FIX_OK;
}

enum mru_fix_result mru_fix_open(struct mru_fix *m, const char *backends,
				 bool need_hole, char *why, size_t size)
{
	enum mru_fix_result r;

	memset(m, 0, sizeof(*m));
	m->fd = -1;
	why[0] = '\0';
	if (geteuid())
		return mru_fix_say(MRU_FIX_SKIP, why, size, "must run as root");
	m->fd = open(_PATH_BSDMEM, O_RDWR | O_CLOEXEC);
	if (m->fd < 0 && errno == ENOENT)
		return mru_fix_say(MRU_FIX_SKIP, why, size,
				   "%s missing: is bsdmem loaded?", _PATH_BSDMEM);
	if (m->fd < 0)
		return mru_fix_say(MRU_FIX_FAIL, why, size, "open %s: %s",
				   _PATH_BSDMEM, strerror(errno));
	if (mru_backend(m->backend, sizeof(m->backend)))
		return mru_fix_say(MRU_FIX_FAIL, why, size, "no %s",
				   MRU_BACKEND_PATH);
	if (!strstr(backends, m->backend))
		return mru_fix_say(MRU_FIX_SKIP, why, size,
				   "backend is %s, these tests need %s",
				   m->backend, backends);
	r = mru_fix_backend(m, need_hole, why, size);
	if (r == MRU_FIX_OK)
		mru_snapshot(m->pat0, m->mtrr0);
	return r;
}

void mru_snapshot(char *pat, char *mtrr)
{
	if (mru_read_file(MRU_PAT_LIST, pat, MRU_SNAP_SIZE) < 0)
		pat[0] = '\0';
	if (mru_read_file("/proc/mtrr", mtrr, MRU_SNAP_SIZE) < 0)
		mtrr[0] = '\0';
}

void mru_fix_cleanup(int fd)
{
	struct mem_range_desc *d;
	int n = mru_get_all(fd, &d);

	for (int i = 0; i < n; i++) {
		if (!(d[i].mr_flags & MDF_ACTIVE) ||
		    (d[i].mr_flags & (MDF_BUSY | MDF_FIXACTIVE)) ||
		    strncmp(d[i].mr_owner, "mt", 2) ||
		    !strcmp(d[i].mr_owner, MRU_KEEP_OWNER))
			continue;
		mru_set_desc(fd, MEMRANGE_SET_REMOVE, &d[i]);
	}
	free(d);
}

/* Does the text hold this exact line? */
static bool mru_has_line(const char *text, const char *line, size_t len)
{
	for (const char *p = text; *p; ) {
		const char *nl = strchr(p, '\n');
		size_t l = nl ? (size_t)(nl - p) : strlen(p);

		if (l == len && !memcmp(p, line, len))
			return true;
		if (!nl)
			break;
		p = nl + 1;
	}
	return false;
}

/* Append to out ("-" or "+" and the line) the lines of a missing from b. */
static void mru_lines_missing(const char *a, const char *b, char sign,
			      char *out, size_t size)
{
	for (const char *p = a; *p; ) {
		const char *nl = strchr(p, '\n');
		size_t l = nl ? (size_t)(nl - p) : strlen(p), used = strlen(out);

		if (!mru_has_line(b, p, l) && used < size)
			snprintf(out + used, size - used, " %c%.*s", sign, (int)l,
				 p);
		if (!nl)
			break;
		p = nl + 1;
	}
}

void mru_snap_diff(const char *before, const char *after, char *out,
		   size_t size)
{
	out[0] = '\0';
	mru_lines_missing(before, after, '-', out, size);
	mru_lines_missing(after, before, '+', out, size);
}

int mru_find_ours(const struct mem_range_desc *d, int n, uint64_t base,
		  uint64_t len)
{
	for (int i = 0; i < n; i++)
		if ((d[i].mr_flags & MDF_ACTIVE) &&
		    !(d[i].mr_flags & (MDF_BUSY | MDF_FIXACTIVE)) &&
		    d[i].mr_base == base && d[i].mr_len == len)
			return i;
	return -1;
}

int mru_index_ours(int fd, uint64_t base, uint64_t len)
{
	struct mem_range_desc *d;
	int n = mru_get_all(fd, &d), i = -1;

	if (n > 0)
		i = mru_find_ours(d, n, base, len);
	free(d);
	return i;
}

bool mru_has_ours(int fd, uint64_t base, uint64_t len, int flags,
		  const char *owner)
{
	struct mem_range_desc *d;
	int n = mru_get_all(fd, &d), i = -1;
	bool ok;

	if (n > 0)
		i = mru_find_ours(d, n, base, len);
	ok = i >= 0 && d[i].mr_flags == flags &&
	     !strncmp(d[i].mr_owner, owner, sizeof(d[i].mr_owner));
	if (i >= 0 && !ok)
		fprintf(stderr, "# range 0x%llx/0x%llx: flags 0x%x owner '%.8s'\n",
			(unsigned long long)base, (unsigned long long)len,
			d[i].mr_flags, d[i].mr_owner);
	free(d);
	return ok;
}

int mru_count_ours(int fd)
{
	struct mem_range_desc *d;
	int n = mru_get_all(fd, &d), c = 0;

	for (int i = 0; i < n; i++)
		c += (d[i].mr_flags & MDF_ACTIVE) &&
		     !(d[i].mr_flags & (MDF_BUSY | MDF_FIXACTIVE));
	free(d);
	return n < 0 ? n : c;
}

bool mru_has_ram(uint64_t base, uint64_t len)
{
	static struct mru_iomem r[512];
	int n = mru_iomem(r, 512);

	for (int i = 0; i < n; i++)
		if (!strcmp(r[i].name, "System RAM") && r[i].start < base + len &&
		    base <= r[i].end)
			return true;
	return false;
}

int mru_var_part(const struct mru_fix *m, int *nvar)
{
	uint64_t cap, def;

	if (mru_rdmsr(MRU_MSR_MTRRCAP, &cap) || mru_rdmsr(MRU_MSR_DEFTYPE, &def))
		return -1;
	*nvar = cap & MRU_MTRRCAP_VCNT;
	return m->count - m->nsoft - *nvar;
}
