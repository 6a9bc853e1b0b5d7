// SPDX-License-Identifier: GPL-2.0
/*
 * MEMRANGE_SET (SPEC §6) on either backend, with write-combining (the one
 * attribute both can give): ranges in GET until REMOVE, every error row
 * (EINVAL, EBUSY, ENOENT, EPERM, EOPNOTSUPP, EFAULT, ENOSPC), owners, and
 * GET racing SET (a fixed number of rounds, each range seen by a GET).
 * Skips in the nomtrr boot, where there is no backend.
 * With PAT, 4-level paging and 46 physical address bits (the no5lvl boot),
 * ranges as large as the kernel's vmalloc space cannot exhaust it; in any
 * boot with PAT, the largest range costs the machine little memory.
 */
#define _FILE_OFFSET_BITS 64
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>

#include "memrange_harness.h"

/*
 * The per-test timeouts add up to the program's 720 s in selftests/suites:
 * 22 tests of the harness's 30 s and concurrent_get_and_set's 60 s.
 */

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

#define RACE_GETTERS	8
#define RACE_SETTERS	2
#define RACE_ROUNDS	25	/* SET + REMOVE pairs per setter */

/* What the racing threads share. */
struct mrt_race {
	int fd;
	int count, nsoft;
	const struct mem_range_desc *fixed;	/* first nfixed, from setup */
	int nfixed;
	uint64_t base[RACE_SETTERS];		/* each setter's range */
	pthread_barrier_t start;		/* all threads begin together */
	unsigned long gets;			/* GETs done by all getters */
	int setters_left;			/* getters run until it is 0 */
	int seen[RACE_SETTERS];		/* GET answers showing setter i's range */
	int fails;
	char why[160];
};

/* One setter: the shared state and its index. */
struct mrt_setter {
	struct mrt_race *r;
	int i;
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

/* Check one GET answer; count the setters' ranges it shows. */
static void mrt_race_check(struct mrt_race *r, const struct mem_range_desc *d,
			   int n)
{
	if (n != r->count) {
		mrt_race_fail(r, "GET returned %d, count %d", n, r->count);
		return;
	}
	if (memcmp(d, r->fixed, r->nfixed * sizeof(*d)))
		mrt_race_fail(r, "fixed part changed");
	for (int i = r->nfixed; i < n; i++) {
		if (!mrt_desc_sane(&d[i], i >= n - r->nsoft))
			mrt_race_fail(r, "descriptor %d flags 0x%x", i,
				      d[i].mr_flags);
		if (!(d[i].mr_flags & MDF_ACTIVE) || d[i].mr_len != PG ||
		    strcmp(d[i].mr_owner, "mtrace"))
			continue;
		for (int k = 0; k < RACE_SETTERS; k++)
			if (d[i].mr_base == r->base[k])
				__atomic_fetch_add(&r->seen[k], 1, __ATOMIC_SEQ_CST);
	}
}

/* A getter: GET and check until every setter is done. */
static void *mrt_race_get(void *arg)
{
	struct mrt_race *r = arg;
	struct mem_range_desc *d = calloc(r->count, sizeof(*d));

	pthread_barrier_wait(&r->start);
	do {
		if (d)
			mrt_race_check(r, d, mru_get(r->fd, d, r->count));
		__atomic_fetch_add(&r->gets, 1, __ATOMIC_SEQ_CST);
	} while (__atomic_load_n(&r->setters_left, __ATOMIC_SEQ_CST));
	if (!d)
		mrt_race_fail(r, "getter: out of memory");
	free(d);
	return NULL;
}

/*
 * A setter: RACE_ROUNDS times SET its range, let a whole GET run (one that
 * began after the SET: more GETs end than getters were running), REMOVE.
 */
static void *mrt_race_set(void *arg)
{
	static const int attrs[] = {
		MDF_UNCACHEABLE, WC, MDF_WRITETHROUGH, MDF_WRITEPROTECT,
		MDF_WRITEBACK,
	};
	struct mrt_setter *s = arg;
	struct mrt_race *r = s->r;
	unsigned long gets;
	int err, attr;

	pthread_barrier_wait(&r->start);
	for (int i = 0; i < RACE_ROUNDS; i++) {
		attr = r->nsoft ? attrs[i % 5] : WC;
		err = mru_set(r->fd, UPD, r->base[s->i], PG, attr, "mtrace");
		if (err)
			mrt_race_fail(r, "SET: errno %d (attr 0x%x)", -err, attr);
		gets = __atomic_load_n(&r->gets, __ATOMIC_SEQ_CST);
		while (__atomic_load_n(&r->gets, __ATOMIC_SEQ_CST) <=
		       gets + RACE_GETTERS)
			sched_yield();
		err = mru_set(r->fd, REM, r->base[s->i], PG, 0, NULL);
		if (err)
			mrt_race_fail(r, "REMOVE: errno %d", -err);
	}
	__atomic_fetch_sub(&r->setters_left, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

/*
 * 8 threads GET while 2 SET and REMOVE their own ranges, a fixed number of
 * rounds, all started together: every GET answer is consistent, and each
 * range that was set shows up in the GETs that ran while it was.
 */
TEST_F_TIMEOUT(set, concurrent_get_and_set, 60)
{
	struct mrt_race r = { .fd = self->m.fd, .count = self->m.count,
			      .nsoft = self->m.nsoft,
			      .setters_left = RACE_SETTERS };
	struct mrt_setter s[RACE_SETTERS];
	pthread_t tg[RACE_GETTERS], ts[RACE_SETTERS];
	struct mem_range_desc *d;
	int n = mru_get_all(self->m.fd, &d);

	ASSERT_EQ(self->m.count, n);
	r.fixed = d;
	while (r.nfixed < n && (d[r.nfixed].mr_flags & MDF_FIXACTIVE))
		r.nfixed++;
	ASSERT_EQ(0, pthread_barrier_init(&r.start, NULL,
					  RACE_GETTERS + RACE_SETTERS));
	for (int i = 0; i < RACE_SETTERS; i++) {
		r.base[i] = self->m.hole + 0x10000 * (i + 1);
		s[i] = (struct mrt_setter){ .r = &r, .i = i };
	}
	for (int i = 0; i < RACE_GETTERS; i++) {
		ASSERT_EQ(0, pthread_create(&tg[i], NULL, mrt_race_get, &r));
	}
	for (int i = 0; i < RACE_SETTERS; i++) {
		ASSERT_EQ(0, pthread_create(&ts[i], NULL, mrt_race_set, &s[i]));
	}
	for (int i = 0; i < RACE_SETTERS; i++)
		pthread_join(ts[i], NULL);
	for (int i = 0; i < RACE_GETTERS; i++)
		pthread_join(tg[i], NULL);
	TH_LOG("%lu GETs; setter ranges seen %d and %d times", r.gets,
	       r.seen[0], r.seen[1]);
	EXPECT_EQ(0, r.fails) TH_LOG("%s", r.why);
	for (int i = 0; i < RACE_SETTERS; i++) {
		EXPECT_LE(RACE_ROUNDS, r.seen[i])
			TH_LOG("range %d set %d times, seen in %d GETs", i,
			       RACE_ROUNDS, r.seen[i]);
	}
	pthread_barrier_destroy(&r.start);
	free(d);
}

/* ---- ranges larger than the kernel's vmalloc space (PAT backend) ---- */

#define TIB		(1ULL << 40)
#define VM_BITS		46	/* the no5lvl boot's CPU */
#define VMALLOC_L4	(32 * TIB)	/* vmalloc space with 4-level paging */

/* The no5lvl boot is what the vmap tests need: 46 bits, 4-level paging. */
TEST(no5lvl_boot_identity)
{
	if (!bt_boot_is("no5lvl"))
		SKIP(return, "boot is %s, not no5lvl", bt_boot());
	EXPECT_EQ(VM_BITS, bt_phys_bits());
	EXPECT_FALSE(mru_cpu_flag("la57")) TH_LOG("5-level paging is on");
}

FIXTURE(vmap) {
	struct mru_fix m;
	int kmsg;		/* /dev/kmsg, after the records before the test */
};

FIXTURE_SETUP(vmap)
{
	int bits = bt_phys_bits();

	self->kmsg = -1;
	mru_setup(_metadata, &self->m, "pat", true);
	if (mru_cpu_flag("la57"))
		SETUP_SKIP("5-level paging: its vmalloc space dwarfs any physical range");
	if (bits < VM_BITS)
		SETUP_SKIP("%d physical address bits: a range cannot outgrow vmalloc space (need %d)",
			   bits, VM_BITS);
	self->kmsg = mru_kmsg_open();
	ASSERT_LE(0, self->kmsg);
}

FIXTURE_TEARDOWN(vmap)
{
	if (self->kmsg >= 0)
		close(self->kmsg);
	mru_teardown(_metadata, &self->m);
}

/*
 * The kernel logged no failed vmap allocation since the test began (6.1
 * says "vmap allocation for size N failed", 6.12 "vmalloc_node_range for
 * size N failed").
 */
static void vm_no_vmap_failure(struct __test_metadata *_metadata, int kmsg)
{
	static const char *const needle[2] = {
		"vmap allocation for size", "vmalloc_node_range for size",
	};
	char line[256];

	EXPECT_FALSE(mru_kmsg_grep(kmsg, needle, 2, line, sizeof(line)))
		TH_LOG("kernel log: %s", line);
}

/* Is [base, base + len) clear of PAT entries and resources but PCI windows? */
static bool vm_unused(uint64_t base, uint64_t len)
{
	static struct mru_iomem r[512];
	int n = mru_iomem(r, 512);

	if (n < 0 || mru_pat_overlaps(base, len))
		return false;
	for (int i = 0; i < n; i++)
		if (r[i].start < base + len && base <= r[i].end &&
		    (r[i].depth || strncmp(r[i].name, "PCI Bus", 7)))
			return false;
	return true;
}

/* Free software slots in GET's answer. */
static int vm_free_slots(const struct mru_fix *m)
{
	struct mem_range_desc *d;
	int n = mru_get_all(m->fd, &d), nfree = 0;

	for (int i = n - m->nsoft; n > 0 && i < n; i++)
		nfree += !(d[i].mr_flags & MDF_ACTIVE);
	free(d);
	return nfree;
}

/*
 * A range as large as all of the 4-level vmalloc space (2^45 bytes at
 * 2^45) cannot be held as one ioremap: ENOSPC (not EBUSY, not a vmap
 * failure in the kernel log).
 */
TEST_F(vmap, range_as_large_as_vmalloc_enospc)
{
	uint64_t b = VMALLOC_L4, len = VMALLOC_L4;

	if (!vm_unused(b, len))
		SKIP(return, "[2^45, 2^46) is in use (/proc/iomem or PAT)");
	EXPECT_EQ(-ENOSPC, mru_set(self->m.fd, UPD, b, len, MDF_UNCACHEABLE,
				   OWNER));
	EXPECT_EQ(-1, mru_index_ours(self->m.fd, b, len));
	vm_no_vmap_failure(_metadata, self->kmsg);
}

/*
 * 1 TiB ranges one after another: each SET is 0 or ENOSPC, and ENOSPC
 * comes before the ranges add up to half the vmalloc space (16 TiB).
 * After removing them a small range still sets.
 */
TEST_F(vmap, terabyte_ranges_stop_before_half_vmalloc)
{
	int fd = self->m.fd, nfree = vm_free_slots(&self->m), err = 0, set = 0;
	uint64_t base[64], limit = 1ULL << VM_BITS;
	int nbase = 0, other = 0;

	if (nfree * TIB < VMALLOC_L4 / 2)
		SKIP(return, "%d free slots of 1 TiB cannot reach 16 TiB", nfree);
	for (uint64_t b = TIB; b + TIB <= limit && nbase < 64; b += TIB)
		if (vm_unused(b, TIB))
			base[nbase++] = b;
	if (nbase <= nfree)
		SKIP(return, "%d unused 1 TiB ranges below 2^%d for %d free slots",
		     nbase, VM_BITS, nfree);
	for (int i = 0; i < nbase && err != -ENOSPC; i++) {
		err = mru_set(fd, UPD, base[i], TIB, MDF_UNCACHEABLE, OWNER);
		if (!err)
			base[set++] = base[i];
		else if (err != -ENOSPC && !other)
			other = err;
	}
	EXPECT_EQ(0, other) TH_LOG("SET of 1 TiB: %s", strerror(-other));
	EXPECT_EQ(-ENOSPC, err);
	EXPECT_LT(set * TIB, VMALLOC_L4 / 2)
		TH_LOG("%d TiB accepted before ENOSPC", set);
	for (int i = 0; i < set; i++) {
		EXPECT_EQ(0, mru_set(fd, REM, base[i], TIB, 0, NULL));
	}
	EXPECT_EQ(0, mru_set(fd, UPD, self->m.hole, PG, MDF_UNCACHEABLE, OWNER));
	EXPECT_EQ(0, mru_set(fd, REM, self->m.hole, PG, 0, NULL));
	vm_no_vmap_failure(_metadata, self->kmsg);
}

/* @key's value in /proc/meminfo, in bytes; 0 if it is not there. */
static uint64_t meminfo(const char *key)
{
	FILE *f = fopen("/proc/meminfo", "r");
	size_t n = strlen(key);
	unsigned long long kb;
	uint64_t v = 0;
	char line[128];

	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, key, n) && line[n] == ':' &&
		    sscanf(line + n + 1, "%llu", &kb) == 1)
			v = kb * 1024;
	if (f)
		fclose(f);
	return v;
}

/* ---- what a range costs the machine (PAT backend, any boot) ---- */

FIXTURE(pat) {
	struct mru_fix m;
	int kmsg;		/* /dev/kmsg, after the records before the test */
};

FIXTURE_SETUP(pat)
{
	self->kmsg = -1;
	mru_setup(_metadata, &self->m, "pat", true);
	self->kmsg = mru_kmsg_open();
	ASSERT_LE(0, self->kmsg);
}

FIXTURE_TEARDOWN(pat)
{
	if (self->kmsg >= 0)
		close(self->kmsg);
	mru_teardown(_metadata, &self->m);
}

/* An unused range of @len (a power of two) aligned to it, highest first; 0. */
static uint64_t vm_unused_top(uint64_t len, int bits)
{
	for (uint64_t b = (1ULL << bits) - len; b >= len; b -= len)
		if (vm_unused(b, len))
			return b;
	return 0;
}

/*
 * The largest range a SET will hold costs the machine little memory: from
 * 1 TiB down to 16 MiB, a power-of-two range of unused physical space
 * aligned to its size is asked for until one is held (ENOSPC: too much for
 * the budget, try half); one must be, and while it is held MemAvailable
 * has not dropped by an eighth of MemTotal. Its page tables take a few MiB;
 * a KASAN_VMALLOC kernel backs a mapping with shadow an eighth of its size,
 * and 512 GiB there asked 64 GiB of a 1 GiB guest: the OOM killer ran until
 * the guest panicked. A small range sets afterwards.
 */
TEST_F(pat, largest_range_keeps_memory)
{
	uint64_t total = meminfo("MemTotal"), before = 0, after = 0, len;
	int fd = self->m.fd, bits = bt_phys_bits(), err = -ENOSPC, refused = 0;
	uint64_t base = 0;

	ASSERT_LT(0ULL, total);
	ASSERT_LT(30, bits);
	for (len = TIB; len >= (16ULL << 20) && err == -ENOSPC; len >>= 1) {
		if (len >= 1ULL << bits)
			continue;
		base = vm_unused_top(len, bits);
		if (!base)
			continue;
		before = meminfo("MemAvailable");
		err = mru_set(fd, UPD, base, len, MDF_UNCACHEABLE, OWNER);
		after = meminfo("MemAvailable");
		refused += err == -ENOSPC;
	}
	len <<= 1;	/* the loop halved it once more */
	ASSERT_EQ(0, err) TH_LOG("SET of %llu MiB at 0x%llx: %s (%d larger refused)",
				 (unsigned long long)(len >> 20),
				 (unsigned long long)base, strerror(-err), refused);
	TH_LOG("%d larger ranges refused (ENOSPC); %llu MiB at 0x%llx held; MemAvailable %llu -> %llu MiB of %llu",
	       refused, (unsigned long long)(len >> 20), (unsigned long long)base,
	       (unsigned long long)(before >> 20), (unsigned long long)(after >> 20),
	       (unsigned long long)(total >> 20));
	EXPECT_LT(before > after ? before - after : 0, total / 8);
	EXPECT_EQ(0, mru_set(fd, REM, base, len, 0, NULL));
	EXPECT_EQ(0, mru_set(fd, UPD, self->m.hole, PG, MDF_UNCACHEABLE, OWNER));
	EXPECT_EQ(0, mru_set(fd, REM, self->m.hole, PG, 0, NULL));
	vm_no_vmap_failure(_metadata, self->kmsg);
}

TEST_HARNESS_MAIN
