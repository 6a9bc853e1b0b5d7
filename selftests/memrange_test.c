// SPDX-License-Identifier: GPL-2.0
/*
 * MEMRANGE_GET and MEMRANGE_SET (SPEC §6, §1.3): the descriptor array
 * against the MTRR MSRs and /proc/mtrr, ranges against the kernel's PAT
 * table (PAT boots) or /proc/mtrr (nopat), every error row, and GET racing
 * SET. Fixtures skip when the boot's backend is not the one they test.
 */
#define _FILE_OFFSET_BITS 64
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/wait.h>

#pragma GCC diagnostic ignored "-Wunused-parameter"
#include "kselftest_harness.h"
#include "bsdmem_test.h"
#include "memrange_util.h"

/*
 * The 6.1 harness runs the test body even after a SKIP in FIXTURE_SETUP;
 * exit with the status it reads as "skipped" instead. Newer harnesses
 * (those with XFAIL) stop by themselves.
 */
#ifdef XFAIL
#define MRT_SETUP_SKIP(fmt, ...)	SKIP(return, fmt, ##__VA_ARGS__)
#else
#define MRT_SETUP_SKIP(fmt, ...)	SKIP(_exit(255), fmt, ##__VA_ARGS__)
#endif

#define PG		0x1000ULL
#define OWNER		"mtest"		/* teardown removes owners "mt*" ... */
#define KEEP_OWNER	"mtkeep"	/* ... except this one (unload test) */
#define SNAP_SIZE	16384

/* What every fixture holds. */
struct mrt {
	int fd;			/* /dev/bsdmem, O_RDWR */
	char backend[16];
	int slots;		/* memrange_slots */
	int count;		/* GET's count */
	int nsoft;		/* software slots shown at the end of GET */
	uint64_t hole;		/* 1 MiB of unused MMIO, 0 if not needed */
	char pat0[SNAP_SIZE];	/* PAT table and /proc/mtrr at setup */
	char mtrr0[SNAP_SIZE];
};

static void mrt_snapshot(char *pat, char *mtrr)
{
	if (mru_read_file(MRU_PAT_LIST, pat, SNAP_SIZE) < 0)
		pat[0] = '\0';
	if (mru_read_file("/proc/mtrr", mtrr, SNAP_SIZE) < 0)
		mtrr[0] = '\0';
}

/* Setup shared by the fixtures; backends lists the ones this fixture tests. */
static void mrt_setup(struct __test_metadata *_metadata, struct mrt *m,
		      const char *backends, bool need_hole)
{
	m->fd = -1;
	if (geteuid())
		MRT_SETUP_SKIP("must run as root");
	m->fd = open(_PATH_BSDMEM, O_RDWR | O_CLOEXEC);
	if (m->fd < 0 && errno == ENOENT)
		MRT_SETUP_SKIP("%s missing: is bsdmem loaded?", _PATH_BSDMEM);
	if (m->fd < 0 && errno == EPERM)
		MRT_SETUP_SKIP("open %s: EPERM (no CAP_SYS_RAWIO?)", _PATH_BSDMEM);
	ASSERT_LE(0, m->fd) TH_LOG("open %s: %s", _PATH_BSDMEM, strerror(errno));
	ASSERT_EQ(0, mru_backend(m->backend, sizeof(m->backend)));
	if (!strstr(backends, m->backend))
		MRT_SETUP_SKIP("backend is %s, these tests need %s", m->backend,
			       backends);
	m->slots = mru_slots();
	ASSERT_LE(1, m->slots);
	m->nsoft = strcmp(m->backend, "pat") ? 0 : m->slots;
	if (strcmp(m->backend, "none")) {
		m->count = mru_get_count(m->fd, 0);
		ASSERT_LE(m->nsoft, m->count) TH_LOG("GET count: %d", m->count);
	}
	if (!strcmp(m->backend, "pat") && access(MRU_PAT_LIST, R_OK))
		mount("debugfs", "/sys/kernel/debug", "debugfs", 0, NULL);
	if (!strcmp(m->backend, "pat") && access(MRU_PAT_LIST, R_OK))
		MRT_SETUP_SKIP("no %s (debugfs)", MRU_PAT_LIST);
	if (need_hole && mru_find_hole(&m->hole, false))
		MRT_SETUP_SKIP("no unused 1 MiB in a PCI window of /proc/iomem");
	mrt_snapshot(m->pat0, m->mtrr0);
}

/* Remove every range a test made (owners "mt*" but KEEP_OWNER). */
static void mrt_cleanup(int fd)
{
	struct mem_range_desc *d;
	int n = mru_get_all(fd, &d);

	for (int i = 0; i < n; i++) {
		if (!(d[i].mr_flags & MDF_ACTIVE) ||
		    (d[i].mr_flags & (MDF_BUSY | MDF_FIXACTIVE)) ||
		    strncmp(d[i].mr_owner, "mt", 2) ||
		    !strcmp(d[i].mr_owner, KEEP_OWNER))
			continue;
		mru_set_desc(fd, MEMRANGE_SET_REMOVE, &d[i]);
	}
	free(d);
}

/* Teardown: clean up, then nothing a test made may be left behind. */
static void mrt_teardown(struct __test_metadata *_metadata, struct mrt *m)
{
	static char pat[SNAP_SIZE], mtrr[SNAP_SIZE];

	if (m->fd < 0)
		return;
	mrt_cleanup(m->fd);
	mrt_snapshot(pat, mtrr);
	EXPECT_STREQ(m->pat0, pat) TH_LOG("PAT table changed by the test");
	EXPECT_STREQ(m->mtrr0, mtrr) TH_LOG("/proc/mtrr changed by the test");
	close(m->fd);
}

/* Index of the active range of ours (not BUSY) at base/len, or -1. */
static int mrt_find(const struct mem_range_desc *d, int n, uint64_t base,
		    uint64_t len)
{
	for (int i = 0; i < n; i++)
		if ((d[i].mr_flags & MDF_ACTIVE) &&
		    !(d[i].mr_flags & (MDF_BUSY | MDF_FIXACTIVE)) &&
		    d[i].mr_base == base && d[i].mr_len == len)
			return i;
	return -1;
}

/* GET index of the active range of ours at base/len, or -1. */
static int mrt_index(int fd, uint64_t base, uint64_t len)
{
	struct mem_range_desc *d;
	int n = mru_get_all(fd, &d), i = n > 0 ? mrt_find(d, n, base, len) : -1;

	free(d);
	return i;
}

/* Is the range of ours at base/len active with these flags and owner? */
static bool mrt_has(int fd, uint64_t base, uint64_t len, int flags,
		    const char *owner)
{
	struct mem_range_desc *d;
	int n = mru_get_all(fd, &d), i = -1;
	bool ok;

	if (n > 0)
		i = mrt_find(d, n, base, len);
	ok = i >= 0 && d[i].mr_flags == flags &&
	     !strncmp(d[i].mr_owner, owner, sizeof(d[i].mr_owner));
	if (i >= 0 && !ok)
		fprintf(stderr, "# range 0x%llx/0x%llx: flags 0x%x owner '%.8s'\n",
			(unsigned long long)base, (unsigned long long)len,
			d[i].mr_flags, d[i].mr_owner);
	free(d);
	return ok;
}

/* Number of active ranges of ours (software part or our own MTRRs). */
static int mrt_nours(int fd)
{
	struct mem_range_desc *d;
	int n = mru_get_all(fd, &d), c = 0;

	for (int i = 0; i < n; i++)
		c += (d[i].mr_flags & MDF_ACTIVE) &&
		     !(d[i].mr_flags & (MDF_BUSY | MDF_FIXACTIVE));
	free(d);
	return n < 0 ? n : c;
}

/* Does [base, base+len) contain System RAM? */
static bool mrt_has_ram(uint64_t base, uint64_t len)
{
	static struct mru_iomem r[512];
	int n = mru_iomem(r, 512);

	for (int i = 0; i < n; i++)
		if (!strcmp(r[i].name, "System RAM") && r[i].start < base + len &&
		    base <= r[i].end)
			return true;
	return false;
}

/* Both ABIs use FreeBSD's numbers; a 32-bit caller's op is 12 bytes. */
TEST(ioctl_numbers)
{
	if (sizeof(void *) == 8) {
		EXPECT_EQ(0xC0106D32U, MEMRANGE_GET);
		EXPECT_EQ(0x80106D33U, MEMRANGE_SET);
	} else {
		EXPECT_EQ(0xC00C6D32U, MEMRANGE_GET);
		EXPECT_EQ(0x800C6D33U, MEMRANGE_SET);
	}
	EXPECT_EQ((size_t)32, sizeof(struct mem_range_desc));
}

/* The backend follows the boot: pat, mtrr with nopat, none without either. */
TEST(backend_matches_boot)
{
	const char *boot = getenv("BSDMEM_BOOT");
	char backend[16];

	if (access(MRU_BACKEND_PATH, R_OK))
		SKIP(return, "%s missing: is bsdmem loaded?", MRU_BACKEND_PATH);
	ASSERT_EQ(0, mru_backend(backend, sizeof(backend)));
	EXPECT_STREQ(mru_expected_backend(), backend);
	if (!boot)
		return;
	if (!strcmp(boot, "nopat")) {
		EXPECT_STREQ("mtrr", backend);
	} else if (!strcmp(boot, "nomtrr")) {
		EXPECT_STREQ("none", backend);
	} else {
		EXPECT_STREQ("pat", backend);
	}
}

/* ---- any backend: policy checks that come before the backend ---- */

FIXTURE(dev) {
	struct mrt m;
};
FIXTURE_SETUP(dev) { mrt_setup(_metadata, &self->m, "pat,mtrr,none", false); }
FIXTURE_TEARDOWN(dev) { mrt_teardown(_metadata, &self->m); }

/* Unknown commands, Linux's own encoding and the other ABI's size: ENOTTY. */
TEST_F(dev, unknown_ioctl_enotty)
{
	struct mem_range_op op = { .mo_desc = NULL, .mo_arg = { 0, 0 } };
	unsigned int other = sizeof(void *) == 8 ? 0xC00C6D32U : 0xC0106D32U;
	unsigned int linux_set = (MEMRANGE_SET & ~0xC0000000U) | 0x40000000U;

	EXPECT_EQ(-1, ioctl(self->m.fd, other, &op));
	EXPECT_EQ(ENOTTY, errno);
	EXPECT_EQ(-1, ioctl(self->m.fd, linux_set, &op));
	EXPECT_EQ(ENOTTY, errno);
	EXPECT_EQ(-1, ioctl(self->m.fd, (MEMRANGE_GET & ~0xffU) | 60, &op));
	EXPECT_EQ(ENOTTY, errno);
}

/* Without CAP_SYS_RAWIO an fd opened earlier gets EPERM for GET and SET. */
TEST_F(dev, no_rawio_eperm)
{
	int status;
	pid_t pid = fork();

	ASSERT_LE(0, pid);
	if (!pid) {
		struct mem_range_desc d[4];

		if (bt_drop_rawio())
			_exit(10);
		if (mru_get_count(self->m.fd, 0) != -EPERM)
			_exit(11);
		if (mru_get(self->m.fd, d, 4) != -EPERM)
			_exit(12);
		if (mru_set(self->m.fd, MEMRANGE_SET_UPDATE, 0x80000000ULL, PG,
			    MDF_WRITECOMBINE, OWNER) != -EPERM)
			_exit(13);
		if (mru_set(self->m.fd, MEMRANGE_SET_REMOVE, 0, 0x10000, 0,
			    OWNER) != -EPERM)
			_exit(14);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status)) TH_LOG("child step %d failed",
						  WEXITSTATUS(status));
}

/* ---- no MTRR, no PAT (nomtrr boot) ---- */

FIXTURE(none) {
	struct mrt m;
};
FIXTURE_SETUP(none) { mrt_setup(_metadata, &self->m, "none", false); }
FIXTURE_TEARDOWN(none) { mrt_teardown(_metadata, &self->m); }

/* Neither MTRRs nor PAT: GET has nothing to describe, EOPNOTSUPP. */
TEST_F(none, get_eopnotsupp)
{
	struct mem_range_desc d[4];

	EXPECT_EQ(-EOPNOTSUPP, mru_get_count(self->m.fd, 0));
	EXPECT_EQ(-EOPNOTSUPP, mru_get(self->m.fd, d, 4));
}

/* ... and SET has nothing to set ranges with. */
TEST_F(none, set_eopnotsupp)
{
	EXPECT_EQ(-EOPNOTSUPP, mru_set(self->m.fd, MEMRANGE_SET_UPDATE,
				       0x80000000ULL, PG, MDF_UNCACHEABLE, OWNER));
	EXPECT_EQ(-EOPNOTSUPP, mru_set(self->m.fd, MEMRANGE_SET_REMOVE,
				       0, 0x10000, 0, OWNER));
}

/* ---- GET (PAT and MTRR backends) ---- */

FIXTURE(get) {
	struct mrt m;
};
FIXTURE_SETUP(get) { mrt_setup(_metadata, &self->m, "pat,mtrr", false); }
FIXTURE_TEARDOWN(get) { mrt_teardown(_metadata, &self->m); }

/* mo_arg[0] <= 0 asks for the count and copies nothing (even to NULL). */
TEST_F(get, count_query)
{
	int n = self->m.count;

	EXPECT_EQ(n, mru_get_count(self->m.fd, -1));
	EXPECT_EQ(n, mru_get_count(self->m.fd, -2147483647 - 1));
	EXPECT_EQ(n, mru_get_count(self->m.fd, 0));
}

/* The count is 88 fixed + VCNT variable (when enabled) + software slots. */
TEST_F(get, count_matches_msrs)
{
	uint64_t cap, def;
	int want;

	if (mru_rdmsr(MRU_MSR_MTRRCAP, &cap) || mru_rdmsr(MRU_MSR_DEFTYPE, &def))
		SKIP(return, "no /dev/cpu/0/msr (msr.ko not loaded?)");
	want = self->m.nsoft;
	if (def & MRU_DEFTYPE_E) {
		want += cap & MRU_MTRRCAP_VCNT;
		if ((cap & MRU_MTRRCAP_FIXED) && (def & MRU_DEFTYPE_FE))
			want += MRU_NFIXED;
	}
	EXPECT_EQ(want, self->m.count);
}

/* Asking for fewer copies that many, in order, and touches nothing else. */
TEST_F(get, clamps_small_request)
{
	struct mem_range_desc *all, part[8];
	int n = mru_get_all(self->m.fd, &all);

	ASSERT_LE(5, n);
	memset(part, 0xa5, sizeof(part));
	EXPECT_EQ(5, mru_get(self->m.fd, part, 5));
	EXPECT_EQ(0, memcmp(all, part, 5 * sizeof(*part)));
	for (size_t i = 5 * sizeof(*part); i < sizeof(part); i++) {
		ASSERT_EQ(0xa5, ((unsigned char *)part)[i]);
	}
	free(all);
}

/* Asking for more copies every descriptor and returns the real count. */
TEST_F(get, clamps_large_request)
{
	int n = self->m.count;
	struct mem_range_desc *d = calloc(10000, sizeof(*d));

	ASSERT_NE(NULL, d);
	memset(d, 0xa5, 10000 * sizeof(*d));
	EXPECT_EQ(n, mru_get(self->m.fd, d, 10000));
	EXPECT_EQ(0xa5, ((unsigned char *)&d[n])[0]);
	for (int i = 0; i < n; i++) {
		EXPECT_EQ(0, d[i].mr_owner[7]);
	}
	free(d);
}

/* A bad descriptor pointer, or a bad op pointer, is EFAULT. */
TEST_F(get, bad_pointer_efault)
{
	struct mem_range_op op = { .mo_desc = (void *)8, .mo_arg = { 5, 0 } };
	long pg = sysconf(_SC_PAGESIZE);
	char *p;

	EXPECT_EQ(-EFAULT, mru_get(self->m.fd, NULL, 5));
	EXPECT_EQ(-1, ioctl(self->m.fd, MEMRANGE_GET, &op));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-1, ioctl(self->m.fd, MEMRANGE_GET, (void *)8));
	EXPECT_EQ(EFAULT, errno);
	/* Room for one descriptor before an inaccessible page. */
	p = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(0, mprotect(p + pg, pg, PROT_NONE));
	EXPECT_EQ(-EFAULT, mru_get(self->m.fd,
				   (void *)(p + pg - sizeof(struct mem_range_desc)), 2));
	munmap(p, 2 * pg);
}

/* Fixed descriptors: FreeBSD's layout, attributes from MSRs 0x250-0x26f. */
TEST_F(get, fixed_ranges_match_msrs)
{
	static const uint32_t msr[11] = {
		0x250, 0x258, 0x259, 0x268, 0x269, 0x26a, 0x26b, 0x26c, 0x26d,
		0x26e, 0x26f,
	};
	struct mem_range_desc *d;
	uint64_t cap, def, v[11];
	int n, type, fl;

	if (mru_rdmsr(MRU_MSR_MTRRCAP, &cap) || mru_rdmsr(MRU_MSR_DEFTYPE, &def))
		SKIP(return, "no /dev/cpu/0/msr (msr.ko not loaded?)");
	if (!(cap & MRU_MTRRCAP_FIXED) || !(def & MRU_DEFTYPE_FE) ||
	    !(def & MRU_DEFTYPE_E))
		SKIP(return, "fixed-range MTRRs not enabled");
	for (int i = 0; i < 11; i++) {
		ASSERT_EQ(0, mru_rdmsr(msr[i], &v[i]));
	}
	n = mru_get_all(self->m.fd, &d);
	ASSERT_LE(MRU_NFIXED, n);
	for (int i = 0; i < MRU_NFIXED; i++) {
		/* MSR 0x250: 8 x 64K; 0x258/9: 16 x 16K; 0x268-f: 64 x 4K. */
		uint64_t base = i < 8 ? i * 0x10000ULL :
				i < 24 ? 0x80000 + (i - 8) * 0x4000ULL :
				0xc0000 + (i - 24) * 0x1000ULL;
		uint64_t len = i < 8 ? 0x10000 : i < 24 ? 0x4000 : 0x1000;

		type = (v[i / 8] >> (8 * (i % 8))) & 0xff;
		fl = MDF_FIXBASE | MDF_FIXLEN | MDF_FIXACTIVE | MDF_FIRMWARE |
		     MDF_ACTIVE | MDF_BUSY | mru_type2attr(type);
		EXPECT_EQ(base, d[i].mr_base) TH_LOG("fixed %d", i);
		EXPECT_EQ(len, d[i].mr_len) TH_LOG("fixed %d", i);
		EXPECT_EQ(fl, d[i].mr_flags) TH_LOG("fixed %d type %d", i, type);
		EXPECT_EQ(0, memcmp(d[i].mr_owner, "BIOS\0\0\0", 8));
	}
	free(d);
}

/* Start of the variable part, and its size from MTRRcap, or -1. */
static int mrt_var_part(const struct mrt *m, int *nvar)
{
	uint64_t cap, def;

	if (mru_rdmsr(MRU_MSR_MTRRCAP, &cap) || mru_rdmsr(MRU_MSR_DEFTYPE, &def))
		return -1;
	*nvar = cap & MRU_MTRRCAP_VCNT;
	return m->count - m->nsoft - *nvar;
}

/* Variable descriptors: base, length, type and VALID from MSRs 0x200+2n. */
TEST_F(get, variable_ranges_match_msrs)
{
	int bits = mru_phys_bits(), nvar, first = mrt_var_part(&self->m, &nvar);
	uint64_t physmask, b, mk, base, len;
	struct mem_range_desc *d, *v;
	int n, fl;

	if (first < 0)
		SKIP(return, "no /dev/cpu/0/msr (msr.ko not loaded?)");
	ASSERT_LT(0, bits);
	physmask = ((1ULL << bits) - 1) & ~0xfffULL;
	n = mru_get_all(self->m.fd, &d);
	ASSERT_EQ(self->m.count, n);
	for (int r = 0; r < nvar; r++) {
		v = &d[first + r];
		ASSERT_EQ(0, mru_rdmsr(MRU_MSR_PHYSBASE0 + 2 * r, &b));
		ASSERT_EQ(0, mru_rdmsr(MRU_MSR_PHYSBASE0 + 2 * r + 1, &mk));
		if (!(mk & MRU_MASK_VALID)) {
			EXPECT_EQ(0, v->mr_flags) TH_LOG("reg %d", r);
			continue;
		}
		base = b & physmask;
		len = (~(mk & physmask) & (physmask | 0xfff)) + 1;
		fl = MDF_ACTIVE | mru_type2attr(b & 0xff);
		if ((len & (len - 1)) || (base & (len - 1)))
			fl |= MDF_BOGUS;
		EXPECT_EQ(base, v->mr_base) TH_LOG("reg %d", r);
		EXPECT_EQ(len, v->mr_len) TH_LOG("reg %d", r);
		EXPECT_EQ(fl, v->mr_flags & ~(MDF_BUSY | MDF_FIRMWARE))
			TH_LOG("reg %d flags 0x%x", r, v->mr_flags);
		if (v->mr_flags & MDF_FIRMWARE) {
			/* Set before load: the firmware's, not ours to change. */
			EXPECT_TRUE(v->mr_flags & MDF_BUSY);
			EXPECT_STREQ("BIOS", v->mr_owner);
		} else if (v->mr_flags & MDF_BUSY) {
			EXPECT_STREQ("kernel", v->mr_owner);
		} else {
			EXPECT_EQ(0, strncmp(v->mr_owner, "mt", 2))
				TH_LOG("reg %d owner '%.8s'", r, v->mr_owner);
		}
	}
	free(d);
}

/* Each /proc/mtrr line is the active variable descriptor of that register. */
TEST_F(get, variable_ranges_match_proc_mtrr)
{
	int nvar, first = mrt_var_part(&self->m, &nvar), nm, active = 0;
	struct mem_range_desc *d, *v;
	struct mru_mtrr m[256];

	if (first < 0)
		SKIP(return, "no /dev/cpu/0/msr (msr.ko not loaded?)");
	nm = mru_proc_mtrr(m, 256);
	ASSERT_LE(0, nm);
	ASSERT_EQ(self->m.count, mru_get_all(self->m.fd, &d));
	for (int r = 0; r < nvar; r++)
		active += !!(d[first + r].mr_flags & MDF_ACTIVE);
	EXPECT_EQ(active, nm);
	for (int i = 0; i < nm; i++) {
		ASSERT_LT(m[i].reg, nvar);
		v = &d[first + m[i].reg];
		EXPECT_TRUE(v->mr_flags & MDF_ACTIVE) TH_LOG("reg %d", m[i].reg);
		EXPECT_EQ(m[i].base, v->mr_base) TH_LOG("reg %d", m[i].reg);
		EXPECT_EQ(m[i].size, v->mr_len) TH_LOG("reg %d", m[i].reg);
		EXPECT_STREQ(m[i].type, mru_mtrr_word(v->mr_flags & MDF_ATTRMASK));
	}
	free(d);
}

/* The software part has memrange_slots entries; free ones are all zero. */
TEST_F(get, idle_software_slots_are_zero)
{
	struct mem_range_desc *d, zero;
	int n;

	if (!self->m.nsoft)
		SKIP(return, "no software slots with the %s backend",
		     self->m.backend);
	memset(&zero, 0, sizeof(zero));
	n = mru_get_all(self->m.fd, &d);
	ASSERT_EQ(self->m.count, n);
	for (int i = n - self->m.nsoft; i < n; i++) {
		if (d[i].mr_flags & MDF_ACTIVE) {
			EXPECT_EQ(MDF_ACTIVE, d[i].mr_flags & ~MDF_ATTRMASK);
			EXPECT_EQ(1, mru_nattrs(d[i].mr_flags));
			continue;
		}
		EXPECT_EQ(0, memcmp(&zero, &d[i], sizeof(zero)))
			TH_LOG("slot %d", i - (n - self->m.nsoft));
	}
	free(d);
}


/* ---- SET, on either backend (write-combining works on both) ---- */

FIXTURE(set) {
	struct mrt m;
};
FIXTURE_SETUP(set) { mrt_setup(_metadata, &self->m, "pat,mtrr", true); }
FIXTURE_TEARDOWN(set) { mrt_teardown(_metadata, &self->m); }

#define UPD	MEMRANGE_SET_UPDATE
#define REM	MEMRANGE_SET_REMOVE
#define WC	MDF_WRITECOMBINE

/* A range shows in GET as ours (ACTIVE|attr, its owner) until REMOVE. */
TEST_F(set, set_then_remove)
{
	int fd = self->m.fd;
	uint64_t b = self->m.hole;

	ASSERT_EQ(0, mru_set(fd, UPD, b, PG, WC, OWNER));
	EXPECT_TRUE(mrt_has(fd, b, PG, MDF_ACTIVE | WC, OWNER));
	EXPECT_EQ(0, mru_set(fd, REM, b, PG, 0, NULL));
	EXPECT_FALSE(mrt_has(fd, b, PG, MDF_ACTIVE | WC, OWNER));
	EXPECT_EQ(-ENOENT, mru_set(fd, REM, b, PG, 0, NULL));
}

/* The fd's open mode does not matter: memcontrol sets through O_RDONLY. */
TEST_F(set, rdonly_fd_sets)
{
	int fd = open(_PATH_BSDMEM, O_RDONLY | O_CLOEXEC);
	uint64_t b = self->m.hole;

	ASSERT_LE(0, fd);
	EXPECT_EQ(0, mru_set(fd, UPD, b, PG, WC, OWNER));
	EXPECT_TRUE(mrt_has(fd, b, PG, MDF_ACTIVE | WC, OWNER));
	EXPECT_EQ(0, mru_set(fd, REM, b, PG, 0, NULL));
	close(fd);
}

/* Ranges containing System RAM are refused with EINVAL (SPEC §6). */
TEST_F(set, ram_einval)
{
	uint64_t ram;

	ASSERT_EQ(0, mru_find_ram(&ram));
	EXPECT_EQ(-EINVAL, mru_set(self->m.fd, UPD, ram, PG, WC, OWNER));
	EXPECT_EQ(-EINVAL, mru_set(self->m.fd, UPD, ram & ~0x1fffffULL,
				   0x200000, MDF_UNCACHEABLE, OWNER));
}

/* The first MiB belongs to the fixed MTRRs, which PAT does not track. */
TEST_F(set, first_mib_ebusy)
{
	EXPECT_EQ(-EBUSY, mru_set(self->m.fd, UPD, 0xa0000, PG, WC, OWNER));
	EXPECT_EQ(-EBUSY, mru_set(self->m.fd, UPD, 0xf0000, 0x10000, WC, OWNER));
}

/* Past the CPU's physical address bits: EINVAL. */
TEST_F(set, beyond_phys_bits_einval)
{
	int bits = mru_phys_bits();

	ASSERT_LT(0, bits);
	EXPECT_EQ(-EINVAL, mru_set(self->m.fd, UPD, 1ULL << bits, PG, WC, OWNER));
	EXPECT_EQ(-EINVAL, mru_set(self->m.fd, UPD, 1ULL << 62, PG, WC, OWNER));
}

/* base + len wrapping past 2^64: EINVAL. */
TEST_F(set, wrap_einval)
{
	EXPECT_EQ(-EINVAL, mru_set(self->m.fd, UPD, 0xfffffffffffff000ULL,
				   0x2000, WC, OWNER));
	EXPECT_EQ(-EINVAL, mru_set(self->m.fd, UPD, 1ULL << 63, 1ULL << 63,
				   WC, OWNER));
}

/* Not a power of two, not aligned to itself or to 4 KiB, under 4 KiB. */
TEST_F(set, bad_geometry_einval)
{
	uint64_t b = self->m.hole;
	const struct { uint64_t base, len; } bad[] = {
		{ b, 0x3000 }, { b + PG, 0x2000 }, { b + 0x800, PG },
		{ b, 0x800 }, { b, 0 },
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		EXPECT_EQ(-EINVAL, mru_set(self->m.fd, UPD, bad[i].base,
					   bad[i].len, WC, OWNER))
			TH_LOG("0x%llx/0x%llx", (unsigned long long)bad[i].base,
			       (unsigned long long)bad[i].len);
	}
	EXPECT_EQ(0, mru_pat_overlaps(b, 0x100000) > 0);
}

/* The attribute must be exactly one of UC, WC, WT, WP, WB. */
TEST_F(set, bad_attr_einval)
{
	const int bad[] = {
		0, MDF_ACTIVE, WC | MDF_WRITEBACK, MDF_UNKNOWN, 0x40, 0x800000,
		MDF_UNCACHEABLE | MDF_WRITEPROTECT,
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		EXPECT_EQ(-EINVAL, mru_set(self->m.fd, UPD, self->m.hole, PG,
					   bad[i], OWNER))
			TH_LOG("flags 0x%x", bad[i]);
	}
}

/* REMOVE of a range nobody set: ENOENT. */
TEST_F(set, remove_unknown_enoent)
{
	EXPECT_EQ(-ENOENT, mru_set(self->m.fd, REM, self->m.hole, PG, 0, NULL));
	EXPECT_EQ(-ENOENT, mru_set(self->m.fd, REM, self->m.hole, 0, 0, NULL));
}

/* Fixed-range descriptors cannot be turned off: EPERM. */
TEST_F(set, remove_fixed_eperm)
{
	struct mem_range_desc *d;
	int n = mru_get_all(self->m.fd, &d);

	ASSERT_LT(0, n);
	if (!(d[0].mr_flags & MDF_FIXACTIVE))
		SKIP(free(d); return, "no fixed-range MTRRs");
	EXPECT_EQ(-EPERM, mru_set(self->m.fd, REM, 0, 0x10000, 0, NULL));
	EXPECT_EQ(-EPERM, mru_set_desc(self->m.fd, REM, &d[87]));
	free(d);
}

/* The first active firmware variable MTRR outside RAM and the first MiB. */
static bool mrt_firmware_var(int fd, struct mem_range_desc *out)
{
	struct mem_range_desc *d;
	int n = mru_get_all(fd, &d);
	bool found = false;

	for (int i = 0; i < n && !found; i++) {
		if ((d[i].mr_flags & (MDF_FIRMWARE | MDF_FIXACTIVE |
				      MDF_ACTIVE)) != (MDF_FIRMWARE | MDF_ACTIVE) ||
		    d[i].mr_base < 0x100000 ||
		    mrt_has_ram(d[i].mr_base, d[i].mr_len))
			continue;
		*out = d[i];
		found = true;
	}
	free(d);
	return found;
}

/* The firmware's MTRRs are BUSY: REMOVE gives EBUSY. */
TEST_F(set, remove_firmware_mtrr_ebusy)
{
	struct mem_range_desc fw;

	if (!mrt_firmware_var(self->m.fd, &fw))
		SKIP(return, "no firmware variable MTRR outside RAM");
	EXPECT_EQ(-EBUSY, mru_set_desc(self->m.fd, REM, &fw));
}

/* ... and an UPDATE exactly on one gives EBUSY too. */
TEST_F(set, update_firmware_mtrr_ebusy)
{
	struct mem_range_desc fw;

	if (!mrt_firmware_var(self->m.fd, &fw))
		SKIP(return, "no firmware variable MTRR outside RAM");
	fw.mr_flags &= MDF_ATTRMASK;
	strcpy(fw.mr_owner, OWNER);
	EXPECT_EQ(-EBUSY, mru_set_desc(self->m.fd, UPD, &fw));
	fw.mr_flags = WC;
	EXPECT_EQ(-EBUSY, mru_set_desc(self->m.fd, UPD, &fw));
}

/* mo_arg[0] other than UPDATE (0) and REMOVE (1): EOPNOTSUPP. */
TEST_F(set, bad_op_eopnotsupp)
{
	const int ops[] = { 2, 7, -1 };

	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		EXPECT_EQ(-EOPNOTSUPP, mru_set(self->m.fd, ops[i], self->m.hole,
					       PG, WC, OWNER));
	}
}

/* A bad descriptor pointer: EFAULT. */
TEST_F(set, bad_pointer_efault)
{
	struct mem_range_op op = { .mo_desc = (void *)8, .mo_arg = { UPD, 0 } };

	EXPECT_EQ(-1, ioctl(self->m.fd, MEMRANGE_SET, &op));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-1, ioctl(self->m.fd, MEMRANGE_SET, (void *)8));
	EXPECT_EQ(EFAULT, errno);
}

/* An 8-character owner comes back as its first 7 and a NUL (FreeBSD). */
TEST_F(set, owner_truncated_to_seven)
{
	struct mem_range_desc *d;
	int n, i;

	ASSERT_EQ(0, mru_set(self->m.fd, UPD, self->m.hole, PG, WC, "mtowner8"));
	n = mru_get_all(self->m.fd, &d);
	i = mrt_find(d, n, self->m.hole, PG);
	ASSERT_LE(0, i);
	EXPECT_EQ(0, memcmp(d[i].mr_owner, "mtowner", 8));
	free(d);
}

/* SET exactly on a range of ours takes it over: new owner, same slot. */
TEST_F(set, exact_update_changes_owner)
{
	int fd = self->m.fd, before = mrt_nours(fd);

	ASSERT_EQ(0, mru_set(fd, UPD, self->m.hole, PG, WC, "mtone"));
	ASSERT_EQ(0, mru_set(fd, UPD, self->m.hole, PG, WC, "mttwo"));
	EXPECT_TRUE(mrt_has(fd, self->m.hole, PG, MDF_ACTIVE | WC, "mttwo"));
	EXPECT_EQ(before + 1, mrt_nours(fd));
}

/* Free slots (software ones, or MTRRs with nopat) run out: ENOSPC. */
TEST_F(set, slots_exhausted_enospc)
{
	struct mem_range_desc *d;
	int fd = self->m.fd, n = mru_get_all(fd, &d), nvar, first, free_ = 0;
	int ours = mrt_nours(fd), i, err = 0;

	ASSERT_LT(0, n);
	if (self->m.nsoft) {
		for (i = n - self->m.nsoft; i < n; i++)
			free_ += !(d[i].mr_flags & MDF_ACTIVE);
	} else {
		first = mrt_var_part(&self->m, &nvar);
		if (first < 0)
			SKIP(free(d); return, "no /dev/cpu/0/msr to count MTRRs");
		for (i = first; i < first + nvar; i++)
			free_ += !(d[i].mr_flags & MDF_ACTIVE);
		if (free_ > self->m.slots - ours)
			free_ = self->m.slots - ours;
	}
	free(d);
	if (free_ >= 256)
		SKIP(return, "%d free slots do not fit in a 1 MiB hole", free_);
	for (i = 0; i <= free_ && !err; i++)
		err = mru_set(fd, UPD, self->m.hole + i * PG, PG, WC, OWNER);
	EXPECT_EQ(-ENOSPC, err);
	EXPECT_EQ(free_ + 1, i) TH_LOG("%d ranges set before %s", i - 1,
				      strerror(-err));
	/* A full table still lets an existing range change hands. */
	EXPECT_EQ(0, mru_set(fd, UPD, self->m.hole, PG, WC, "mtfull"));
}

/* What the racing threads share. */
struct mrt_race {
	int fd;
	int count, nsoft;
	uint64_t base;
	int stop;
	int fails;
	char why[160];
	const struct mem_range_desc *fixed;	/* first nfixed, from setup */
	int nfixed;
};

static void __attribute__((format(printf, 2, 3)))
mrt_race_fail(struct mrt_race *r, const char *fmt, ...)
{
	va_list ap;

	if (__atomic_fetch_add(&r->fails, 1, __ATOMIC_SEQ_CST))
		return;
	va_start(ap, fmt);
	vsnprintf(r->why, sizeof(r->why), fmt, ap);
	va_end(ap);
}

/*
 * Is one descriptor of a GET self-consistent? Free software slots are all
 * zero; active ones have one attribute and a NUL-terminated owner; ours
 * (not BUSY) belong to this test ("mt...").
 */
static bool mrt_desc_sane(const struct mem_range_desc *d, bool soft)
{
	static const struct mem_range_desc zero;

	if (!(d->mr_flags & MDF_ACTIVE))
		return !soft || !memcmp(d, &zero, sizeof(zero));
	if (mru_nattrs(d->mr_flags) != 1 || !d->mr_owner[0] ||
	    !memchr(d->mr_owner, 0, sizeof(d->mr_owner)))
		return false;
	if (soft && (d->mr_flags & ~MDF_ATTRMASK) != MDF_ACTIVE)
		return false;
	return (d->mr_flags & MDF_BUSY) || !strncmp(d->mr_owner, "mt", 2);
}

static void *mrt_race_get(void *arg)
{
	struct mrt_race *r = arg;
	struct mem_range_desc *d = calloc(r->count, sizeof(*d));
	int n;

	while (d && !__atomic_load_n(&r->stop, __ATOMIC_SEQ_CST)) {
		n = mru_get(r->fd, d, r->count);
		if (n != r->count) {
			mrt_race_fail(r, "GET returned %d, count %d", n, r->count);
			break;
		}
		if (memcmp(d, r->fixed, r->nfixed * sizeof(*d)))
			mrt_race_fail(r, "fixed part changed");
		for (int i = r->nfixed; i < n; i++)
			if (!mrt_desc_sane(&d[i], i >= n - r->nsoft))
				mrt_race_fail(r, "descriptor %d flags 0x%x", i,
					      d[i].mr_flags);
	}
	free(d);
	return NULL;
}

static void *mrt_race_set(void *arg)
{
	static const int attrs[] = {
		MDF_UNCACHEABLE, WC, MDF_WRITETHROUGH, MDF_WRITEPROTECT,
		MDF_WRITEBACK,
	};
	struct mrt_race *r = arg;
	int err, attr;

	for (int i = 0; !__atomic_load_n(&r->stop, __ATOMIC_SEQ_CST); i++) {
		attr = r->nsoft ? attrs[i % 5] : WC;
		err = mru_set(r->fd, UPD, r->base, PG, attr, "mtrace");
		if (err)
			mrt_race_fail(r, "SET: errno %d (attr 0x%x)", -err, attr);
		err = mru_set(r->fd, REM, r->base, PG, 0, NULL);
		if (err)
			mrt_race_fail(r, "REMOVE: errno %d", -err);
	}
	return NULL;
}

/* 8 threads GET while 2 SET/REMOVE their own ranges: every GET is sane. */
TEST_F_TIMEOUT(set, concurrent_get_and_set, 30)
{
	struct mrt_race g = { .fd = self->m.fd, .count = self->m.count,
			      .nsoft = self->m.nsoft };
	struct mrt_race s[2];
	pthread_t tg[8], ts[2];
	struct mem_range_desc *d;
	int n = mru_get_all(self->m.fd, &d);

	ASSERT_EQ(self->m.count, n);
	g.fixed = d;
	while (g.nfixed < n && (d[g.nfixed].mr_flags & MDF_FIXACTIVE))
		g.nfixed++;
	for (int i = 0; i < 2; i++) {
		s[i] = g;
		s[i].base = self->m.hole + 0x10000 * (i + 1);
	}
	for (int i = 0; i < 8; i++) {
		ASSERT_EQ(0, pthread_create(&tg[i], NULL, mrt_race_get, &g));
	}
	for (int i = 0; i < 2; i++) {
		ASSERT_EQ(0, pthread_create(&ts[i], NULL, mrt_race_set, &s[i]));
	}
	sleep(2);
	__atomic_store_n(&g.stop, 1, __ATOMIC_SEQ_CST);
	for (int i = 0; i < 2; i++)
		__atomic_store_n(&s[i].stop, 1, __ATOMIC_SEQ_CST);
	for (int i = 0; i < 8; i++)
		pthread_join(tg[i], NULL);
	for (int i = 0; i < 2; i++)
		pthread_join(ts[i], NULL);
	EXPECT_EQ(0, g.fails) TH_LOG("GET: %s", g.why);
	EXPECT_EQ(0, s[0].fails + s[1].fails) TH_LOG("SET: %s%s", s[0].why,
						     s[1].why);
	free(d);
}

/* ---- PAT backend ---- */

FIXTURE(pat) {
	struct mrt m;
};
FIXTURE_SETUP(pat) { mrt_setup(_metadata, &self->m, "pat", true); }
FIXTURE_TEARDOWN(pat) { mrt_teardown(_metadata, &self->m); }

/* HPET: the kernel holds it uncached-minus, so WB or UC clash: EBUSY. */
TEST_F(pat, kernel_type_conflict_ebusy)
{
	static char pat0[SNAP_SIZE], pat1[SNAP_SIZE], mtrr[SNAP_SIZE];
	struct mem_range_desc *d0, *d1;
	struct mru_iomem hpet;
	int fd = self->m.fd, n0, n1;
	uint64_t b;

	if (!mru_iomem_find("HPET", &hpet))
		SKIP(return, "no HPET in /proc/iomem");
	b = hpet.start & ~0xfffULL;
	if (mru_pat_count(b, PG, "uncached-minus") < 1)
		SKIP(return, "the kernel holds no uncached-minus entry at HPET");
	mrt_snapshot(pat0, mtrr);
	n0 = mru_get_all(fd, &d0);
	EXPECT_EQ(-EBUSY, mru_set(fd, UPD, b, PG, MDF_WRITEBACK, OWNER));
	EXPECT_EQ(-EBUSY, mru_set(fd, UPD, b, PG, MDF_UNCACHEABLE, OWNER));
	/* Nothing left behind: GET and the PAT table are unchanged. */
	n1 = mru_get_all(fd, &d1);
	mrt_snapshot(pat1, mtrr);
	ASSERT_EQ(n0, n1);
	EXPECT_EQ(0, memcmp(d0, d1, n0 * sizeof(*d0)));
	EXPECT_STREQ(pat0, pat1);
	free(d0);
	free(d1);
}

/* Under the firmware's UC MTRR, WB cannot be had (UC- wins): EBUSY. */
TEST_F(pat, wb_under_uc_mtrr_ebusy)
{
	int fd = self->m.fd;
	uint64_t b;

	if (mru_find_hole(&b, true))
		SKIP(return, "no unused MMIO under an uncachable MTRR");
	EXPECT_EQ(-EBUSY, mru_set(fd, UPD, b, PG, MDF_WRITEBACK, OWNER));
	EXPECT_EQ(0, mru_pat_overlaps(b, PG));
	/* Write-combining does not clash with it. */
	EXPECT_EQ(0, mru_set(fd, UPD, b, PG, WC, OWNER));
	EXPECT_EQ(1, mru_pat_count(b, PG, "write-combining"));
	/* Retyping that range to WB fails and keeps it as it was. */
	EXPECT_EQ(-EBUSY, mru_set(fd, UPD, b, PG, MDF_WRITEBACK, "mtother"));
	EXPECT_TRUE(mrt_has(fd, b, PG, MDF_ACTIVE | WC, OWNER));
	EXPECT_EQ(1, mru_pat_count(b, PG, "write-combining"));
	EXPECT_EQ(1, mru_pat_overlaps(b, PG));
}

/* SET exactly on a range of ours with another type retypes it. */
TEST_F(pat, exact_update_changes_attribute)
{
	int fd = self->m.fd;
	uint64_t b = self->m.hole;

	ASSERT_EQ(0, mru_set(fd, UPD, b, PG, MDF_UNCACHEABLE, "mta"));
	EXPECT_EQ(1, mru_pat_count(b, PG, "uncached"));
	ASSERT_EQ(0, mru_set(fd, UPD, b, PG, WC, "mtb"));
	EXPECT_TRUE(mrt_has(fd, b, PG, MDF_ACTIVE | WC, "mtb"));
	EXPECT_EQ(1, mru_pat_count(b, PG, NULL));
	EXPECT_EQ(1, mru_pat_count(b, PG, "write-combining"));
}

/* A range overlapping one of ours with another attribute: EINVAL. */
TEST_F(pat, overlap_other_attr_einval)
{
	int fd = self->m.fd;
	uint64_t b = self->m.hole;

	ASSERT_EQ(0, mru_set(fd, UPD, b, 0x2000, WC, OWNER));
	EXPECT_EQ(-EINVAL, mru_set(fd, UPD, b + PG, PG, MDF_UNCACHEABLE, OWNER));
	EXPECT_EQ(-EINVAL, mru_set(fd, UPD, b, 0x4000, MDF_WRITETHROUGH, OWNER));
	EXPECT_EQ(0, mru_pat_count(b + PG, PG, NULL));
	EXPECT_EQ(1, mru_pat_overlaps(b, 0x4000));
}

/* ... with the same attribute: allowed, both ranges exist. */
TEST_F(pat, overlap_same_attr_allowed)
{
	int fd = self->m.fd;
	uint64_t b = self->m.hole;

	ASSERT_EQ(0, mru_set(fd, UPD, b, 0x2000, WC, OWNER));
	EXPECT_EQ(0, mru_set(fd, UPD, b + PG, PG, WC, OWNER));
	EXPECT_TRUE(mrt_has(fd, b, 0x2000, MDF_ACTIVE | WC, OWNER));
	EXPECT_TRUE(mrt_has(fd, b + PG, PG, MDF_ACTIVE | WC, OWNER));
	EXPECT_EQ(1, mru_pat_count(b + PG, PG, "write-combining"));
}

/* ---- PAT backend, once per attribute ---- */

/*
 * An mmap that a range covers only in part, or that straddles it, would
 * need two memory types in one mapping: EINVAL (SPEC 3.3). The range's
 * own page maps.
 */
TEST_F(pat, mmap_straddling_range_einval)
{
	int fd = self->m.fd;
	uint64_t b = self->m.hole;
	void *p;

	ASSERT_EQ(0, mru_set(fd, UPD, b + PG, PG, WC, OWNER));
	p = mmap(NULL, 2 * PG, PROT_READ, MAP_SHARED, fd, b);
	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(EINVAL, errno);
	p = mmap(NULL, 2 * PG, PROT_READ, MAP_SHARED, fd, b + PG);
	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(EINVAL, errno);
	p = mmap(NULL, PG, PROT_READ, MAP_SHARED, fd, b + PG);
	ASSERT_NE(MAP_FAILED, p);
	munmap(p, PG);
	EXPECT_EQ(0, mru_set(fd, REM, b + PG, PG, 0, NULL));
}

FIXTURE(pat_attr) {
	struct mrt m;
};
FIXTURE_VARIANT(pat_attr) {
	int attr;
};
FIXTURE_VARIANT_ADD(pat_attr, uc) { .attr = MDF_UNCACHEABLE };
FIXTURE_VARIANT_ADD(pat_attr, wc) { .attr = MDF_WRITECOMBINE };
FIXTURE_VARIANT_ADD(pat_attr, wt) { .attr = MDF_WRITETHROUGH };
FIXTURE_VARIANT_ADD(pat_attr, wp) { .attr = MDF_WRITEPROTECT };
FIXTURE_VARIANT_ADD(pat_attr, wb) { .attr = MDF_WRITEBACK };
FIXTURE_SETUP(pat_attr) { mrt_setup(_metadata, &self->m, "pat", true); }
FIXTURE_TEARDOWN(pat_attr) { mrt_teardown(_metadata, &self->m); }

/* The range is in GET and reserved in the PAT table with its type. */
TEST_F(pat_attr, reserved_in_pat_table)
{
	int fd = self->m.fd, a = variant->attr;
	uint64_t b = self->m.hole;

	ASSERT_EQ(0, mru_set(fd, UPD, b, PG, a, OWNER));
	EXPECT_TRUE(mrt_has(fd, b, PG, MDF_ACTIVE | a, OWNER));
	EXPECT_LE(self->m.count - self->m.nsoft, mrt_index(fd, b, PG))
		TH_LOG("not in the software part");
	EXPECT_EQ(1, mru_pat_count(b, PG, mru_pat_word(a)));
	EXPECT_EQ(1, mru_pat_overlaps(b, PG));
	/* REMOVE gives the reservation back. */
	EXPECT_EQ(0, mru_set(fd, REM, b, PG, 0, NULL));
	EXPECT_FALSE(mrt_has(fd, b, PG, MDF_ACTIVE | a, OWNER));
	EXPECT_EQ(0, mru_pat_overlaps(b, PG));
}

/*
 * mmap and read of the range use its type: a plain and an O_DSYNC mapping
 * both succeed and the kernel reports no clash with the reservation.
 */
TEST_F(pat_attr, mmap_and_read_use_its_type)
{
	static const char *const clash[4] = {
		"conflicting memory types", "map pfn expected", "ioremap error",
		"WARNING:",
	};
	int fd = self->m.fd, a = variant->attr, kmsg, fd2;
	uint64_t b = self->m.hole, v;
	volatile unsigned char *p1, *p2;
	struct mru_pat pl[64];
	char line[256];
	int n;

	ASSERT_EQ(0, mru_set(fd, UPD, b, PG, a, OWNER));
	kmsg = mru_kmsg_open();
	ASSERT_LE(0, kmsg);
	p1 = mmap(NULL, PG, PROT_READ, MAP_SHARED, fd, b);
	ASSERT_NE(MAP_FAILED, p1) TH_LOG("mmap: %s", strerror(errno));
	(void)p1[0];
	fd2 = open(_PATH_BSDMEM, O_RDONLY | O_DSYNC | O_CLOEXEC);
	ASSERT_LE(0, fd2);
	p2 = mmap(NULL, PG, PROT_READ, MAP_SHARED, fd2, b);
	ASSERT_NE(MAP_FAILED, p2) TH_LOG("O_DSYNC mmap: %s", strerror(errno));
	(void)p2[8];
	EXPECT_EQ((ssize_t)sizeof(v), pread(fd, &v, sizeof(v), b));
	/* Every reservation of the page has the range's type. */
	n = mru_pat_list(pl, 64);
	for (int i = 0; i < n; i++)
		if (pl[i].start < b + PG && b < pl[i].end) {
			EXPECT_STREQ(mru_pat_word(a), pl[i].type);
		}
	munmap((void *)p1, PG);
	munmap((void *)p2, PG);
	close(fd2);
	EXPECT_EQ(1, mru_pat_count(b, PG, mru_pat_word(a)));
	EXPECT_FALSE(mru_kmsg_grep(kmsg, clash, 4, line, sizeof(line)))
		TH_LOG("kernel log: %s", line);
	close(kmsg);
}

/* ---- MTRR backend (nopat) ---- */

FIXTURE(mtrr) {
	struct mrt m;
};
FIXTURE_SETUP(mtrr) { mrt_setup(_metadata, &self->m, "mtrr", true); }
FIXTURE_TEARDOWN(mtrr) { mrt_teardown(_metadata, &self->m); }

/* Register of the /proc/mtrr line for base/len of this type, or -1. */
static int mrt_proc_mtrr_reg(uint64_t base, uint64_t len, const char *type)
{
	struct mru_mtrr m[256];
	int n = mru_proc_mtrr(m, 256);

	for (int i = 0; i < n; i++)
		if (m[i].base == base && m[i].size == len &&
		    !strcmp(m[i].type, type))
			return m[i].reg;
	return -1;
}

/* WC programs a real MTRR: in /proc/mtrr, the MSRs and GET, as ours. */
TEST_F(mtrr, wc_programs_an_mtrr)
{
	int fd = self->m.fd, reg, nvar, first = mrt_var_part(&self->m, &nvar);
	uint64_t b = self->m.hole, msr;
	struct mem_range_desc *d;

	ASSERT_EQ(0, mru_set(fd, UPD, b, PG, WC, "mtwc"));
	reg = mrt_proc_mtrr_reg(b, PG, "write-combining");
	ASSERT_LE(0, reg) TH_LOG("no write-combining line in /proc/mtrr");
	if (first >= 0) {
		ASSERT_EQ(0, mru_rdmsr(MRU_MSR_PHYSBASE0 + 2 * reg, &msr));
		EXPECT_EQ(b | 1, msr);
		ASSERT_EQ(self->m.count, mru_get_all(fd, &d));
		EXPECT_EQ(b, d[first + reg].mr_base);
		EXPECT_EQ(PG, d[first + reg].mr_len);
		EXPECT_EQ(MDF_ACTIVE | WC, d[first + reg].mr_flags);
		EXPECT_STREQ("mtwc", d[first + reg].mr_owner);
		free(d);
	}
	EXPECT_TRUE(mrt_has(fd, b, PG, MDF_ACTIVE | WC, "mtwc"));
	/* REMOVE deletes the MTRR again. */
	EXPECT_EQ(0, mru_set(fd, REM, b, PG, 0, NULL));
	EXPECT_EQ(-1, mrt_proc_mtrr_reg(b, PG, "write-combining"));
}

/*
 * The kernel folds overlapping MTRRs into one, so with the MTRR backend a
 * range overlapping one of ours is refused (EINVAL) and the first stays.
 */
TEST_F(mtrr, overlapping_range_refused)
{
	int fd = self->m.fd;
	uint64_t b = self->m.hole;

	ASSERT_EQ(0, mru_set(fd, UPD, b, PG, WC, "mta"));
	EXPECT_EQ(-EINVAL, mru_set(fd, UPD, b, 0x2000, WC, "mtb"));
	EXPECT_TRUE(mrt_has(fd, b, PG, MDF_ACTIVE | WC, "mta"));
	EXPECT_FALSE(mrt_has(fd, b, 0x2000, MDF_ACTIVE | WC, "mtb"));
	EXPECT_EQ(-1, mrt_proc_mtrr_reg(b, 0x2000, "write-combining"));
	EXPECT_LE(0, mrt_proc_mtrr_reg(b, PG, "write-combining"));
	EXPECT_EQ(0, mru_set(fd, REM, b, PG, 0, NULL));
	EXPECT_EQ(-1, mrt_proc_mtrr_reg(b, PG, "write-combining"));
}

/* Linux can only add write-combining MTRRs: other attributes are EINVAL. */
TEST_F(mtrr, other_attrs_einval)
{
	const int attrs[] = {
		MDF_UNCACHEABLE, MDF_WRITETHROUGH, MDF_WRITEPROTECT, MDF_WRITEBACK,
	};

	for (size_t i = 0; i < sizeof(attrs) / sizeof(attrs[0]); i++) {
		EXPECT_EQ(-EINVAL, mru_set(self->m.fd, UPD, self->m.hole, PG,
					   attrs[i], OWNER))
			TH_LOG("attr 0x%x", attrs[i]);
	}
}

/* ---- last: ranges left for the module unload to undo ---- */

FIXTURE(unload) {
	struct mrt m;
};
FIXTURE_SETUP(unload) { mrt_setup(_metadata, &self->m, "pat,mtrr", true); }
FIXTURE_TEARDOWN(unload) { close(self->m.fd); }

/*
 * Two ranges stay active on purpose (owner "mtkeep"): the harness's rmmod
 * must undo them without a warning and leave no PAT entry or MTRR behind.
 */
TEST_F(unload, ranges_left_for_rmmod)
{
	int fd = self->m.fd, a = self->m.nsoft ? MDF_UNCACHEABLE : WC;
	uint64_t b = self->m.hole + 0x80000;

	ASSERT_EQ(0, mru_set(fd, UPD, b, PG, a, KEEP_OWNER));
	ASSERT_EQ(0, mru_set(fd, UPD, b + 0x10000, 0x10000, WC, KEEP_OWNER));
	EXPECT_TRUE(mrt_has(fd, b, PG, MDF_ACTIVE | a, KEEP_OWNER));
	EXPECT_TRUE(mrt_has(fd, b + 0x10000, 0x10000, MDF_ACTIVE | WC,
			    KEEP_OWNER));
}

TEST_HARNESS_MAIN
