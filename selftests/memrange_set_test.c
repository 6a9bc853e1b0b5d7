// SPDX-License-Identifier: GPL-2.0
/*
 * MEMRANGE_SET (SPEC §6) on either backend, with write-combining (the one
 * attribute both can give): ranges in GET until REMOVE, every error row
 * (EINVAL, EBUSY, ENOENT, EPERM, EOPNOTSUPP, EFAULT, ENOSPC), owners, and
 * GET racing SET. Skips in the nomtrr boot, where there is no backend.
 */
#define _FILE_OFFSET_BITS 64
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>

#include "memrange_harness.h"

FIXTURE(set) {
	struct mru_fix m;
};
FIXTURE_SETUP(set) { mru_setup(_metadata, &self->m, "pat,mtrr", true); }
FIXTURE_TEARDOWN(set) { mru_teardown(_metadata, &self->m); }

/* This program's ABI is the one its name promises (see memrange_test). */
TEST(abi_matches_binary_name)
{
	char why[256];

	ASSERT_EQ(0, bt_abi_check(why, sizeof(why))) TH_LOG("%s", why);
}

/* A range shows in GET as ours (ACTIVE|attr, its owner) until REMOVE. */
TEST_F(set, set_then_remove)
{
	int fd = self->m.fd;
	uint64_t b = self->m.hole;

	ASSERT_EQ(0, mru_set(fd, UPD, b, PG, WC, OWNER));
	EXPECT_TRUE(mru_has_ours(fd, b, PG, MDF_ACTIVE | WC, OWNER));
	EXPECT_EQ(0, mru_set(fd, REM, b, PG, 0, NULL));
	EXPECT_FALSE(mru_has_ours(fd, b, PG, MDF_ACTIVE | WC, OWNER));
	EXPECT_EQ(-ENOENT, mru_set(fd, REM, b, PG, 0, NULL));
}

/* The fd's open mode does not matter: memcontrol sets through O_RDONLY. */
TEST_F(set, rdonly_fd_sets)
{
	int fd = open(_PATH_BSDMEM, O_RDONLY | O_CLOEXEC);
	uint64_t b = self->m.hole;

	ASSERT_LE(0, fd);
	EXPECT_EQ(0, mru_set(fd, UPD, b, PG, WC, OWNER));
	EXPECT_TRUE(mru_has_ours(fd, b, PG, MDF_ACTIVE | WC, OWNER));
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
		    mru_has_ram(d[i].mr_base, d[i].mr_len))
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
	i = mru_find_ours(d, n, self->m.hole, PG);
	ASSERT_LE(0, i);
	EXPECT_EQ(0, memcmp(d[i].mr_owner, "mtowner", 8));
	free(d);
}

/* SET exactly on a range of ours takes it over: new owner, same slot. */
TEST_F(set, exact_update_changes_owner)
{
	int fd = self->m.fd, before = mru_count_ours(fd);

	ASSERT_EQ(0, mru_set(fd, UPD, self->m.hole, PG, WC, "mtone"));
	ASSERT_EQ(0, mru_set(fd, UPD, self->m.hole, PG, WC, "mttwo"));
	EXPECT_TRUE(mru_has_ours(fd, self->m.hole, PG, MDF_ACTIVE | WC, "mttwo"));
	EXPECT_EQ(before + 1, mru_count_ours(fd));
}

/* Free slots (software ones, or MTRRs with nopat) run out: ENOSPC. */
TEST_F(set, slots_exhausted_enospc)
{
	struct mem_range_desc *d;
	int fd = self->m.fd, n = mru_get_all(fd, &d), nvar, first, free_ = 0;
	int ours = mru_count_ours(fd), i, err = 0;

	ASSERT_LT(0, n);
	if (self->m.nsoft) {
		for (i = n - self->m.nsoft; i < n; i++)
			free_ += !(d[i].mr_flags & MDF_ACTIVE);
	} else {
		first = mru_var_part(&self->m, &nvar);
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

TEST_HARNESS_MAIN
