// SPDX-License-Identifier: GPL-2.0
/*
 * MEMRANGE_GET (SPEC §6, §1.3) and the checks that come before any backend:
 * the ioctl numbers of this ABI, the backend each boot gets, ENOTTY and
 * EPERM, EOPNOTSUPP without MTRRs and PAT (ENXIO with MTRRs disabled), and the descriptor array against
 * the MTRR MSRs and /proc/mtrr. SET is in memrange_set_test.c, the PAT and
 * MTRR backends in memrange_backend_test.c.
 */
#define _FILE_OFFSET_BITS 64
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "memrange_harness.h"

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

/*
 * NAME_32 is i386 and NAME_x32 is x32 at run time: a build that silently
 * came out 64-bit would test the native path twice.
 */
TEST(abi_matches_binary_name)
{
	char why[256];

	ASSERT_EQ(0, bt_abi_check(why, sizeof(why))) TH_LOG("%s", why);
}

/*
 * The backend follows the boot: pat, mtrr with nopat, none without either
 * (nomtrr) or with the MTRRs left disabled by the firmware (mtrroff).
 */
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
	} else if (!strcmp(boot, "nomtrr") || !strcmp(boot, "mtrroff")) {
		EXPECT_STREQ("none", backend);
	} else {
		EXPECT_STREQ("pat", backend);
	}
}

/* ---- any backend: policy checks that come before the backend ---- */

FIXTURE(dev) {
	struct mru_fix m;
};
FIXTURE_SETUP(dev) { mru_setup(_metadata, &self->m, "pat,mtrr,none", false); }
FIXTURE_TEARDOWN(dev) { mru_teardown(_metadata, &self->m); }

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

/* ---- no backend (nomtrr and mtrroff boots) ---- */

FIXTURE(none) {
	struct mru_fix m;
	int err;		/* what GET and SET must return */
};
FIXTURE_SETUP(none)
{
	mru_setup(_metadata, &self->m, "none", false);
	self->err = mru_mtrr_disabled() ? -ENXIO : -EOPNOTSUPP;
}
FIXTURE_TEARDOWN(none) { mru_teardown(_metadata, &self->m); }

/*
 * Neither MTRRs nor PAT: GET has nothing to describe, EOPNOTSUPP; MTRRs
 * the firmware left disabled (MTRRdefType.E clear in the MSR) with PAT off:
 * ENXIO.
 */
TEST_F(none, get_no_backend)
{
	struct mem_range_desc d[4];

	TH_LOG("expecting %s", strerror(-self->err));
	EXPECT_EQ(self->err, mru_get_count(self->m.fd, 0));
	EXPECT_EQ(self->err, mru_get(self->m.fd, d, 4));
}

/* ... and SET has nothing to set ranges with. */
TEST_F(none, set_no_backend)
{
	EXPECT_EQ(self->err, mru_set(self->m.fd, MEMRANGE_SET_UPDATE,
				     0x80000000ULL, PG, MDF_UNCACHEABLE, OWNER));
	EXPECT_EQ(self->err, mru_set(self->m.fd, MEMRANGE_SET_REMOVE,
				     0, 0x10000, 0, OWNER));
}

/* The mtrroff boot is what it claims: MTRRs present, disabled in the MSR. */
TEST(mtrroff_boot_has_disabled_mtrrs)
{
	const char *boot = getenv("BSDMEM_BOOT");

	if (!boot || strcmp(boot, "mtrroff"))
		SKIP(return, "only in the mtrroff boot");
	EXPECT_TRUE(mru_cpu_flag("mtrr"));
	EXPECT_TRUE(mru_mtrr_disabled());
}

/* ---- GET (PAT and MTRR backends) ---- */

FIXTURE(get) {
	struct mru_fix m;
};
FIXTURE_SETUP(get) { mru_setup(_metadata, &self->m, "pat,mtrr", false); }
FIXTURE_TEARDOWN(get) { mru_teardown(_metadata, &self->m); }

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

/*
 * The variable MTRRs before bsdmem loaded: guest-init saves /proc/mtrr just
 * before modprobe and names the copy in $BSDMEM_MTRR_BEFORE. Return: the
 * number of registers it lists (0 if none), or -1 after a failed check.
 */
static int mtrr_before(struct __test_metadata *_metadata, struct mru_mtrr *m,
		       int max)
{
	const char *path = getenv("BSDMEM_MTRR_BEFORE");
	int n;

	EXPECT_NE(NULL, path) {
		TH_LOG("BSDMEM_MTRR_BEFORE is not set: without /proc/mtrr"
		       " from before the load, who set each MTRR is unknown");
		return -1;
	}
	n = mru_mtrr_file(path, m, max);
	EXPECT_LE(0, n) {
		TH_LOG("%s: %s", path, strerror(errno));
	}
	return n;
}

/* Register @reg with @base and @len is in the snapshot @m of @n lines. */
static const struct mru_mtrr *mtrr_find(const struct mru_mtrr *m, int n,
					int reg, uint64_t base, uint64_t len)
{
	for (int i = 0; i < n; i++)
		if (m[i].reg == reg && m[i].base == base && m[i].size == len)
			return &m[i];
	return NULL;
}

/*
 * Variable descriptors: base, length, type and VALID from MSRs 0x200+2n;
 * the owner from the /proc/mtrr of before bsdmem loaded: a register that
 * was set then is the firmware's (FIRMWARE|BUSY, "BIOS"), any other was
 * added since, through bsdmem by these tests (theirs, "mt*", not BUSY);
 * and every register of the snapshot is still there.
 */
TEST_F(get, variable_ranges_match_msrs)
{
	int bits = mru_phys_bits(), nvar, first = mru_var_part(&self->m, &nvar);
	uint64_t physmask, b, mk, base, len;
	struct mem_range_desc *d, *v;
	struct mru_mtrr before[256];
	const struct mru_mtrr *was;
	int n, fl, nb, seen = 0;

	if (first < 0)
		SKIP(return, "no /dev/cpu/0/msr (msr.ko not loaded?)");
	nb = mtrr_before(_metadata, before, 256);
	ASSERT_LE(0, nb);
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
		was = mtrr_find(before, nb, r, base, len);
		if (was) {
			seen++;
			EXPECT_STREQ(was->type, mru_mtrr_word(fl & MDF_ATTRMASK))
				TH_LOG("reg %d", r);
			EXPECT_EQ(MDF_FIRMWARE | MDF_BUSY,
				  v->mr_flags & (MDF_FIRMWARE | MDF_BUSY))
				TH_LOG("reg %d, set before the load: flags 0x%x",
				       r, v->mr_flags);
			EXPECT_STREQ("BIOS", v->mr_owner) TH_LOG("reg %d", r);
		} else {
			EXPECT_EQ(0, v->mr_flags & (MDF_FIRMWARE | MDF_BUSY))
				TH_LOG("reg %d, added since the load: flags 0x%x",
				       r, v->mr_flags);
			EXPECT_EQ(0, strncmp(v->mr_owner, "mt", 2))
				TH_LOG("reg %d owner '%.8s'", r, v->mr_owner);
		}
	}
	EXPECT_EQ(nb, seen) TH_LOG("registers of before the load are gone");
	free(d);
}

/* Each /proc/mtrr line is the active variable descriptor of that register. */
TEST_F(get, variable_ranges_match_proc_mtrr)
{
	int nvar, first = mru_var_part(&self->m, &nvar), nm, active = 0;
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

TEST_HARNESS_MAIN
