// SPDX-License-Identifier: GPL-2.0
/*
 * Races and stress (issue 10), each bounded by a count of rounds, not by
 * time. MEMRANGE GET/SET/REMOVE from many threads: a GET never shows a
 * half-written descriptor. MEM_EXTRACT_PADDR while the address space
 * changes under it (munmap, mremap, MADV_DONTNEED, THP split and
 * collapse, hugetlb faults, migration, fork with COW): every answer is
 * plausible (/proc/iomem), and the ones given while nothing moved equal
 * /proc/self/pagemap and lead to the bytes written there. Two dumps at
 * once, dumps while other processes allocate hard and while memory goes
 * offline: `minidump check -` passes each.
 */
#define _FILE_OFFSET_BITS 64
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <sys/kerneldump.h>

#include "memrange_harness.h"
#include "mdview.h"

/*
 * The per-test timeouts add up to 1860 s, the program's is 1900 s in
 * selftests/suites; the whole program takes 2-5 minutes.
 */

/* Record the first failure of a race in @why (@fails counts them all). */
static void __attribute__((format(printf, 4, 5)))
race_fail(int *fails, char *why, size_t size, const char *fmt, ...)
{
	va_list ap;

	if (__atomic_fetch_add(fails, 1, __ATOMIC_SEQ_CST))
		return;
	va_start(ap, fmt);
	vsnprintf(why, size, fmt, ap);
	va_end(ap);
}

static unsigned long ld(const unsigned long *p)
{
	return __atomic_load_n(p, __ATOMIC_SEQ_CST);
}

static void inc(unsigned long *p)
{
	__atomic_fetch_add(p, 1, __ATOMIC_SEQ_CST);
}

/* ---- MEMRANGE GET/SET/REMOVE from many threads ---- */

#define MR_SETTERS	4
#define MR_GETTERS	4
#define MR_READERS	2
#define MR_ROUNDS	40
#define MR_STEP		0x40000ULL	/* each setter's share of the hole */

static const int mr_attrs[] = {
	MDF_UNCACHEABLE, MDF_WRITECOMBINE, MDF_WRITETHROUGH,
	MDF_WRITEPROTECT, MDF_WRITEBACK,
};

/* What the threads share. */
struct mr_storm {
	int fd, count, nsoft, nfixed;
	bool pat;
	const struct mem_range_desc *fixed;	/* the first nfixed, from setup */
	uint64_t base[MR_SETTERS], len[MR_SETTERS];
	pthread_barrier_t start;
	unsigned long gets;		/* GETs done by all getters */
	unsigned long setters_left;	/* getters and readers run until 0 */
	unsigned long seen[MR_SETTERS];	/* descriptors of setter k seen */
	unsigned long seq[MR_SETTERS];	/* setter k's ioctls: odd during one */
	unsigned long failed[MR_SETTERS];	/* one failed: states unknown */
	unsigned long reads;
	int fails, set_fails, read_fails;	/* GETs, SET/REMOVEs, reads */
	char why[200], set_why[200], read_why[200];
};

struct mr_thread {
	struct mr_storm *s;
	int k;
};

#define mr_fail(s, ...)	race_fail(&(s)->fails, (s)->why, sizeof((s)->why), \
				  __VA_ARGS__)
#define mr_set_fail(s, ...) race_fail(&(s)->set_fails, (s)->set_why, \
				      sizeof((s)->set_why), __VA_ARGS__)

/*
 * Setter k's owners say who wrote what: "mt", the setter ('a' + k), the
 * attribute's index ('a' + i), the round (two digits) and the step.
 */
static void mr_owner(char *o, int k, int ai, int round, int step)
{
	const char w[8] = { 'm', 't', 'a' + k, 'a' + ai, '0' + round / 10 % 10,
			    '0' + round % 10, '0' + step, '\0' };

	memcpy(o, w, sizeof(w));
}

#define MR_SETS		8	/* a round: SET, changed MR_SETS - 1 times, */
#define MR_OPS		(MR_SETS + 2)	/* REMOVE, REMOVE */

/* The attribute index of setter k's SET @step of round @r. */
static int mr_attr_index(const struct mr_storm *s, int k, int r, int step)
{
	return s->pat ? (r + step * (k + 1)) % 5 : 1;
}

/*
 * Was @d (NULL: no range at setter k's base) setter k's range after its
 * ioctl number @op (0: before the first)? After a round's SETs the range
 * holds the last one's values; after its REMOVEs there is none.
 */
static bool mr_state_is(const struct mr_storm *s, int k, unsigned long op,
			const struct mem_range_desc *d)
{
	int r = (op - 1) / MR_OPS, step = (op - 1) % MR_OPS, ai;
	char o[8] = "";

	if (!op || step >= MR_SETS)
		return !d;
	if (!d)
		return false;
	ai = mr_attr_index(s, k, r, step);
	mr_owner(o, k, ai, r, step);
	return d->mr_len == s->len[k] &&
	       d->mr_flags == (MDF_ACTIVE | mr_attrs[ai]) &&
	       !memcmp(d->mr_owner, o, sizeof(o));
}

/*
 * Setter k's range in one GET (@d, NULL if absent) is its state after
 * one of the ioctls that ended while the GET ran, or the one before them:
 * setter k's seq read before the GET (@c1) and after it (@c2) bound them.
 * So a range being changed in place is never missing, a whole GET while
 * the setter waits shows exactly its last SET, and nothing shows a mix.
 */
static void mr_check_setter(struct mr_storm *s, int k,
			    const struct mem_range_desc *d,
			    unsigned long c1, unsigned long c2)
{
	if (ld(&s->failed[k]))
		return;		/* reported; its range is no longer predictable */
	for (unsigned long op = c1 / 2; op <= (c2 + 1) / 2; op++)
		if (mr_state_is(s, k, op, d))
			return;
	if (d)
		mr_fail(s, "setter %d between ioctls %lu and %lu: GET shows 0x%llx/0x%llx flags 0x%x owner '%.8s'",
			k, c1 / 2, (c2 + 1) / 2, (unsigned long long)d->mr_base,
			(unsigned long long)d->mr_len, d->mr_flags, d->mr_owner);
	else
		mr_fail(s, "setter %d between ioctls %lu and %lu: GET shows no range",
			k, c1 / 2, (c2 + 1) / 2);
}

/*
 * One descriptor of a GET, not in the fixed part: a free software slot is
 * all zero; one holding a setter's base is exactly what that setter wrote
 * in one SET (owner, attribute, base and length agree), never a mix.
 */
static void mr_check_desc(struct mr_storm *s, const struct mem_range_desc *d,
			  bool soft)
{
	static const struct mem_range_desc zero;
	const char *o = d->mr_owner;
	int k, ai;

	if (!(d->mr_flags & MDF_ACTIVE)) {
		if (soft && memcmp(d, &zero, sizeof(zero)))
			mr_fail(s, "free slot not zeroed: 0x%llx/0x%llx flags 0x%x",
				(unsigned long long)d->mr_base,
				(unsigned long long)d->mr_len, d->mr_flags);
		return;
	}
	for (k = 0; k < MR_SETTERS; k++)
		if (d->mr_base == s->base[k])
			break;
	if (k == MR_SETTERS) {
		/* not a setter's range, so not a setter's owner either */
		if (o[0] == 'm' && o[1] == 't' && o[2] >= 'a' &&
		    o[2] < 'a' + MR_SETTERS && strnlen(o, 8) == 7)
			mr_fail(s, "'%.8s' at 0x%llx/0x%llx, not its range", o,
				(unsigned long long)d->mr_base,
				(unsigned long long)d->mr_len);
		return;
	}
	ai = o[3] - 'a';
	if (o[0] != 'm' || o[1] != 't' || o[2] != 'a' + k || ai < 0 || ai > 4 ||
	    o[4] < '0' || o[4] > '9' || o[5] < '0' || o[5] > '9' ||
	    o[6] < '0' || o[6] >= '0' + MR_SETS || o[7]) {
		mr_fail(s, "range 0x%llx of setter %d has owner '%.8s'",
			(unsigned long long)d->mr_base, k, o);
		return;
	}
	if (d->mr_len != s->len[k] ||
	    d->mr_flags != (MDF_ACTIVE | mr_attrs[ai]))
		mr_fail(s, "'%.8s' wrote 0x%llx/0x%llx attr 0x%x, GET shows len 0x%llx flags 0x%x",
			o, (unsigned long long)s->base[k],
			(unsigned long long)s->len[k], mr_attrs[ai],
			(unsigned long long)d->mr_len, d->mr_flags);
	inc(&s->seen[k]);
}

static void *mr_getter(void *arg)
{
	struct mr_storm *s = arg;
	struct mem_range_desc *d = calloc(s->count, sizeof(*d));
	const struct mem_range_desc *at[MR_SETTERS];
	unsigned long c1[MR_SETTERS];
	int n, i, k;

	pthread_barrier_wait(&s->start);
	do {
		for (k = 0; k < MR_SETTERS; k++)
			c1[k] = ld(&s->seq[k]);
		n = d ? mru_get(s->fd, d, s->count) : -ENOMEM;
		if (n != s->count)
			mr_fail(s, "GET returned %d, count %d", n, s->count);
		else if (memcmp(d, s->fixed, s->nfixed * sizeof(*d)))
			mr_fail(s, "the fixed-range part changed");
		for (k = 0; k < MR_SETTERS; k++)
			at[k] = NULL;
		for (i = s->nfixed; n == s->count && i < n; i++) {
			mr_check_desc(s, &d[i], i >= n - s->nsoft);
			for (k = 0; k < MR_SETTERS; k++)
				if ((d[i].mr_flags & MDF_ACTIVE) &&
				    d[i].mr_base == s->base[k])
					at[k] = &d[i];
		}
		for (k = 0; n == s->count && k < MR_SETTERS; k++)
			mr_check_setter(s, k, at[k], c1[k], ld(&s->seq[k]));
		inc(&s->gets);
	} while (ld(&s->setters_left));
	free(d);
	return NULL;
}

/* Let a whole GET run: one that began after this call (more GETs end). */
static void mr_let_get_run(struct mr_storm *s)
{
	unsigned long g = ld(&s->gets);

	while (ld(&s->gets) <= g + MR_GETTERS)
		sched_yield();
}

/*
 * Setter k, MR_ROUNDS times: SET its range, SET it again MR_SETS - 1 times
 * with another attribute and owner each time (changed in place, back to
 * back), REMOVE it (then REMOVE gives ENOENT); a whole GET runs after the
 * first SET and after the last. With MTRRs only write-combining exists, so
 * only owners change. Its seq counts the ioctls' starts and ends.
 */
static void *mr_setter(void *arg)
{
	struct mr_thread *t = arg;
	struct mr_storm *s = t->s;
	uint64_t b = s->base[t->k], l = s->len[t->k];
	unsigned long *seq = &s->seq[t->k];
	int r, step, ai, err;
	char o[8];

	pthread_barrier_wait(&s->start);
	for (r = 0; r < MR_ROUNDS; r++) {
		for (step = 0; step < MR_SETS; step++) {
			ai = mr_attr_index(s, t->k, r, step);
			mr_owner(o, t->k, ai, r, step);
			inc(seq);
			err = mru_set(s->fd, UPD, b, l, mr_attrs[ai], o);
			if (err)
				inc(&s->failed[t->k]);
			inc(seq);
			if (err)
				mr_set_fail(s, "SET %s 0x%llx/0x%llx: %s", o,
					    (unsigned long long)b,
					    (unsigned long long)l, strerror(-err));
			if (!step || step == MR_SETS - 1)
				mr_let_get_run(s);
		}
		inc(seq);
		err = mru_set(s->fd, REM, b, l, 0, NULL);
		if (err)
			inc(&s->failed[t->k]);
		inc(seq);
		if (err)
			mr_set_fail(s, "REMOVE 0x%llx: %s",
				    (unsigned long long)b, strerror(-err));
		inc(seq);
		err = mru_set(s->fd, REM, b, l, 0, NULL);
		inc(seq);
		if (err != -ENOENT)
			mr_set_fail(s, "second REMOVE 0x%llx: %d, not ENOENT",
				    (unsigned long long)b, err);
	}
	__atomic_fetch_sub(&s->setters_left, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

/*
 * A reader of the setters' ranges through /dev/bsdmem: device memory
 * nobody claimed, so every read returns all it asked for (SPEC §3.1),
 * whatever type the range has at that moment.
 */
static void *mr_reader(void *arg)
{
	struct mr_thread *t = arg;
	struct mr_storm *s = t->s;
	char buf[PG << (MR_SETTERS - 1)];
	unsigned int k = t->k;
	ssize_t n;

	pthread_barrier_wait(&s->start);
	do {
		k = (k + 1) % MR_SETTERS;
		n = pread(s->fd, buf, s->len[k], (off_t)s->base[k]);
		if (n != (ssize_t)s->len[k])
			race_fail(&s->read_fails, s->read_why,
				  sizeof(s->read_why),
				  "read of 0x%llx/0x%llx: %zd (%s)",
				(unsigned long long)s->base[k],
				(unsigned long long)s->len[k], n,
				n < 0 ? strerror(errno) : "short");
		inc(&s->reads);
	} while (ld(&s->setters_left));
	return NULL;
}

FIXTURE(ranges) {
	struct mru_fix m;
};
FIXTURE_SETUP(ranges) { mru_setup(_metadata, &self->m, "pat,mtrr", true); }
FIXTURE_TEARDOWN(ranges) { mru_teardown(_metadata, &self->m); }

/*
 * MR_SETTERS setters (ranges of 4, 8, 16, 32 KiB, each in its own part of
 * an unused MMIO hole), MR_GETTERS getters and, with @readers, threads
 * reading the ranges, all started together. Every GET is whole and every
 * descriptor consistent; each setter's range was seen; at the end no range
 * of ours is left (and the teardown finds PAT and /proc/mtrr as before).
 */
static void mr_storm_run(struct __test_metadata *_metadata, struct mru_fix *m,
			 int readers)
{
	struct mr_storm s = { .fd = m->fd, .count = m->count, .nsoft = m->nsoft,
			      .setters_left = MR_SETTERS };
	struct mr_thread th[MR_SETTERS + MR_READERS];
	pthread_t tg[MR_GETTERS], ts[MR_SETTERS], tr[MR_READERS];
	struct mem_range_desc *d;
	int n = mru_get_all(m->fd, &d), ours = mru_count_ours(m->fd), i;

	ASSERT_EQ(m->count, n);
	s.pat = !strcmp(m->backend, "pat");
	s.fixed = d;
	while (s.nfixed < n && (d[s.nfixed].mr_flags & MDF_FIXACTIVE))
		s.nfixed++;
	for (i = 0; i < MR_SETTERS; i++) {
		s.base[i] = m->hole + MR_STEP * i;
		s.len[i] = PG << i;
		ASSERT_EQ(-1, mru_index_ours(m->fd, s.base[i], s.len[i]));
	}
	ASSERT_EQ(0, pthread_barrier_init(&s.start, NULL,
					  MR_GETTERS + MR_SETTERS + readers));
	for (i = 0; i < MR_GETTERS; i++)
		ASSERT_EQ(0, pthread_create(&tg[i], NULL, mr_getter, &s));
	for (i = 0; i < readers; i++) {
		th[MR_SETTERS + i] = (struct mr_thread){ .s = &s, .k = i };
		ASSERT_EQ(0, pthread_create(&tr[i], NULL, mr_reader,
					    &th[MR_SETTERS + i]));
	}
	for (i = 0; i < MR_SETTERS; i++) {
		th[i] = (struct mr_thread){ .s = &s, .k = i };
		ASSERT_EQ(0, pthread_create(&ts[i], NULL, mr_setter, &th[i]));
	}
	for (i = 0; i < MR_SETTERS; i++)
		pthread_join(ts[i], NULL);
	for (i = 0; i < MR_GETTERS; i++)
		pthread_join(tg[i], NULL);
	for (i = 0; i < readers; i++)
		pthread_join(tr[i], NULL);
	TH_LOG("%lu GETs, %lu reads; descriptors seen per setter: %lu %lu %lu %lu",
	       s.gets, s.reads, s.seen[0], s.seen[1], s.seen[2], s.seen[3]);
	EXPECT_EQ(0, s.fails) TH_LOG("%d wrong GET answers, the first: %s",
				     s.fails, s.why);
	EXPECT_EQ(0, s.set_fails) TH_LOG("%d SET/REMOVE failed, the first: %s",
					 s.set_fails, s.set_why);
	EXPECT_EQ(0, s.read_fails) TH_LOG("%d reads failed, the first: %s",
					  s.read_fails, s.read_why);
	for (i = 0; i < MR_SETTERS; i++) {
		/* a whole GET ran after the first and the last SET of a round */
		EXPECT_LE(2 * MR_ROUNDS, (int)s.seen[i]) TH_LOG("setter %d", i);
		EXPECT_EQ(-1, mru_index_ours(m->fd, s.base[i], s.len[i]));
	}
	EXPECT_EQ(ours, mru_count_ours(m->fd));
	pthread_barrier_destroy(&s.start);
	free(d);
}

TEST_F_TIMEOUT(ranges, get_set_remove_storm, 60)
{
	mr_storm_run(_metadata, &self->m, 0);
}

/* The same with reads of the ranges going on: they never fail, nor SETs. */
TEST_F_TIMEOUT(ranges, storm_while_reading, 60)
{
	mr_storm_run(_metadata, &self->m, MR_READERS);
}

/* ---- MEM_EXTRACT_PADDR while the address space changes ---- */

#define XR_PROBERS	2
#define XR_BATCH	32		/* probes in one pass */
#define XR_PAGES	64		/* pages in a 4 KiB window */
#define XR_MAGIC	0x5354524553533130ULL
#define XR_CHILD	0x4348494c44000000ULL
#define XR_SENT_PA	0x5a5a5a5a5a5a5000ULL
#define XR_SENT_DOM	77
#define XR_HP2M_DIR	"/sys/kernel/mm/hugepages/hugepages-2048kB/"
#define XR_COMPACT	"/proc/sys/vm/compact_memory"
#ifndef MADV_COLLAPSE
#define MADV_COLLAPSE	25
#endif
#define XR_MPOL_MF_MOVE	2

/* What a window holds, as the mutator last published it. */
enum xr_state {
	XR_NONE,	/* no VMA: INVALID */
	XR_EMPTY,	/* a VMA, nothing touched */
	XR_STAMPED,	/* every page written with xr_stamp() */
};

/* Published by the mutator; valid between two equal, even generations. */
struct xr_pub {
	int state;
	long hole;		/* a page without VMA, or -1 */
	int node;		/* the node of every page, or -1 */
	uint64_t stamp;
};

struct xr_win {
	char *va;
	size_t len;
	bool always_vma;	/* INVALID is wrong even while it changes */
	struct xr_pub pub;
};

struct xr {
	int dev, nodes;
	struct bt_iomem *ram;
	int nram;
	struct xr_win win[2];
	int nwin;
	unsigned long gen;		/* odd while the mutator changes things */
	unsigned long stop;
	unsigned long passes[XR_PROBERS];
	unsigned long answers[3];	/* INVALID, VALID, MAPPED */
	unsigned long strict;		/* checked against pagemap */
	unsigned long content;		/* ... and its bytes read back */
	unsigned long refused;		/* ... or its read refused (SPEC §3.1) */
	unsigned long moved;		/* pagemap changed under a probe */
	int fails;
	char why[256];
};

struct xr_thread {
	struct xr *x;
	int i;
	pthread_t t;
};

#define xr_fail(x, ...)	race_fail(&(x)->fails, (x)->why, sizeof((x)->why), \
				  __VA_ARGS__)

/* Each page of a stamped window starts with the stamp and its index. */
static void xr_stamp(char *p, size_t len, uint64_t stamp)
{
	for (size_t i = 0; i < len / PG; i++) {
		((volatile uint64_t *)(p + i * PG))[0] = XR_MAGIC ^ stamp;
		((volatile uint64_t *)(p + i * PG))[1] = i;
	}
}

static void xr_begin(struct xr *x)
{
	__atomic_fetch_add(&x->gen, 1, __ATOMIC_SEQ_CST);
}

/*
 * Let every prober run two whole passes from now on: at least one begins
 * and ends after this call (an event the probers count, not a delay).
 */
static void xr_settle(struct xr *x)
{
	unsigned long p0[XR_PROBERS];
	int i;

	for (i = 0; i < XR_PROBERS; i++)
		p0[i] = ld(&x->passes[i]);
	for (i = 0; i < XR_PROBERS; i++)
		while (ld(&x->passes[i]) < p0[i] + 2)
			sched_yield();
}

/* Publish window @w as @state, end the change and let the probers see it. */
static void xr_end(struct xr *x, int w, int state, uint64_t stamp)
{
	x->win[w].pub.state = state;
	x->win[w].pub.stamp = stamp;
	__atomic_fetch_add(&x->gen, 1, __ATOMIC_SEQ_CST);
	xr_settle(x);
}

/* What reading RAM at @pa through /dev/bsdmem gives (SPEC §3.1). */
enum xr_ram {
	XR_NOT_RAM,
	XR_READABLE,	/* "System RAM": the bytes */
	XR_EXCLUSIVE,	/* virtio-mem's, IORESOURCE_EXCLUSIVE: EFAULT */
	XR_OTHER_RAM,	/* another driver's RAM: not judged here */
};

static int xr_ram_class(const struct xr *x, uint64_t pa)
{
	for (int i = x->nram - 1; i >= 0; i--) {
		if (pa < x->ram[i].start || pa > x->ram[i].end)
			continue;
		if (!strcmp(x->ram[i].name, "System RAM"))
			return XR_READABLE;
		if (!strcmp(x->ram[i].name, "System RAM (virtio_mem)"))
			return XR_EXCLUSIVE;
		return XR_OTHER_RAM;
	}
	return XR_NOT_RAM;
}

static int xr_pagemap(int pm, uint64_t va, uint64_t *e)
{
	return pread(pm, e, 8, (off_t)(va / PG * 8)) == 8 ? 0 : -1;
}

/* What any answer must be, whatever moved meanwhile (SPEC §5). */
static void xr_plausible(struct xr *x, const struct xr_win *w, uint64_t va,
			 int rc, const struct mem_extract *me)
{
	if (rc) {
		xr_fail(x, "ioctl at %#llx: %s", (unsigned long long)va,
			strerror(errno));
		return;
	}
	switch (me->me_state) {
	case ME_STATE_INVALID:
		if (me->me_paddr != XR_SENT_PA || me->me_domain != XR_SENT_DOM)
			xr_fail(x, "INVALID at %#llx changed paddr/domain to %#llx/%d",
				(unsigned long long)va,
				(unsigned long long)me->me_paddr, me->me_domain);
		if (w->always_vma)
			xr_fail(x, "INVALID at %#llx, which always has a VMA",
				(unsigned long long)va);
		break;
	case ME_STATE_VALID:
		if (me->me_paddr || me->me_domain != XR_SENT_DOM)
			xr_fail(x, "VALID at %#llx with paddr %#llx domain %d",
				(unsigned long long)va,
				(unsigned long long)me->me_paddr, me->me_domain);
		break;
	case ME_STATE_MAPPED:
		if (me->me_paddr % PG != va % PG ||
		    xr_ram_class(x, me->me_paddr) == XR_NOT_RAM)
			xr_fail(x, "MAPPED %#llx -> %#llx: not System RAM or wrong offset",
				(unsigned long long)va,
				(unsigned long long)me->me_paddr);
		if (me->me_domain < 0 || me->me_domain >= x->nodes)
			xr_fail(x, "MAPPED %#llx: domain %d of %d nodes",
				(unsigned long long)va, me->me_domain, x->nodes);
		break;
	default:
		xr_fail(x, "me_state %d at %#llx", me->me_state,
			(unsigned long long)va);
		return;
	}
	inc(&x->answers[me->me_state]);
}

/*
 * The bytes at the answer's physical address are the stamp, read through
 * /dev/bsdmem, if nothing moved meanwhile (pagemap and the generation
 * unchanged after the read); in virtio-mem's RAM the read is EFAULT.
 */
static void xr_content(struct xr *x, int pm, uint64_t va, size_t idx,
		       const struct xr_pub *p, const struct mem_extract *me,
		       uint64_t e1, unsigned long g1)
{
	uint64_t word[2] = { 0, 0 }, e3;
	ssize_t n;

	n = pread(x->dev, word, sizeof(word), (off_t)(me->me_paddr & ~(PG - 1)));
	if (xr_pagemap(pm, va, &e3) || e3 != e1 || ld(&x->gen) != g1) {
		inc(&x->moved);
		return;
	}
	switch (xr_ram_class(x, me->me_paddr)) {
	case XR_EXCLUSIVE:
		if (n != -1 || errno != EFAULT)
			xr_fail(x, "read of %#llx (virtio-mem RAM): %zd, not EFAULT",
				(unsigned long long)me->me_paddr, n);
		else
			inc(&x->refused);
		return;
	case XR_READABLE:
		break;
	default:
		return;
	}
	if (n != sizeof(word))
		xr_fail(x, "read of %#llx (of %#llx): %zd %s",
			(unsigned long long)me->me_paddr,
			(unsigned long long)va, n, n < 0 ? strerror(errno) : "");
	else if (word[0] != (XR_MAGIC ^ p->stamp) || word[1] != idx)
		xr_fail(x, "%#llx -> %#llx holds %#llx %#llx, not stamp %#llx page %zu",
			(unsigned long long)va,
			(unsigned long long)me->me_paddr,
			(unsigned long long)word[0], (unsigned long long)word[1],
			(unsigned long long)p->stamp, idx);
	else
		inc(&x->content);
}

/*
 * An answer given while nothing was being changed: INVALID exactly where
 * there is no VMA; else what pagemap says before and after (unless the
 * kernel moved the page in between): MAPPED at its address, or VALID.
 */
static void xr_strict(struct xr *x, int pm, uint64_t va, size_t idx,
		      const struct xr_pub *p, const struct mem_extract *me,
		      uint64_t e1, uint64_t e2, unsigned long g1)
{
	uint64_t pa = (e1 & BT_PAGEMAP_PFN_MASK) * PG + va % PG;

	if (p->state == XR_NONE || (long)idx == p->hole) {
		if (me->me_state != ME_STATE_INVALID)
			xr_fail(x, "no VMA at %#llx, answer %d",
				(unsigned long long)va, me->me_state);
		return;
	}
	if (me->me_state == ME_STATE_INVALID) {
		xr_fail(x, "INVALID at %#llx inside a VMA", (unsigned long long)va);
		return;
	}
	if (e1 != e2) {
		inc(&x->moved);
		return;
	}
	if (!(e1 & BT_PAGEMAP_PRESENT)) {
		if (me->me_state != ME_STATE_VALID)
			xr_fail(x, "pagemap: %#llx not present, answer %d paddr %#llx",
				(unsigned long long)va, me->me_state,
				(unsigned long long)me->me_paddr);
		inc(&x->strict);
		return;
	}
	if (me->me_state != ME_STATE_MAPPED || me->me_paddr != pa) {
		xr_fail(x, "pagemap: %#llx at %#llx, answer %d paddr %#llx",
			(unsigned long long)va, (unsigned long long)pa,
			me->me_state, (unsigned long long)me->me_paddr);
		return;
	}
	if (p->node >= 0 && me->me_domain != p->node)
		xr_fail(x, "%#llx is on node %d, me_domain %d",
			(unsigned long long)va, p->node, me->me_domain);
	inc(&x->strict);
	if (p->state == XR_STAMPED)
		xr_content(x, pm, va, idx, p, me, e1, g1);
}

static uint32_t xr_rand(uint32_t *r)
{
	*r = *r * 1103515245u + 12345;
	return *r >> 8;
}

/* One probe of a random address of a random window. */
static void xr_probe(struct xr *x, int pm, uint32_t *rnd)
{
	int w = x->nwin > 1 ? xr_rand(rnd) & 1 : 0;
	const struct xr_win *win = &x->win[w];
	size_t idx = xr_rand(rnd) % (win->len / PG);
	uint64_t va = (uintptr_t)win->va + idx * PG + (xr_rand(rnd) % PG & ~7U);
	struct mem_extract me;
	unsigned long g1, g2;
	struct xr_pub p;
	uint64_t e1 = 0, e2 = 0;
	int rc, bad;

	g1 = ld(&x->gen);
	p = win->pub;
	bad = xr_pagemap(pm, va, &e1);
	rc = bt_extract(x->dev, va, XR_SENT_PA, XR_SENT_DOM, &me);
	bad |= xr_pagemap(pm, va, &e2);
	g2 = ld(&x->gen);
	if (bad)
		xr_fail(x, "pagemap read at %#llx: %s", (unsigned long long)va,
			strerror(errno));
	xr_plausible(x, win, va, rc, &me);
	if (g1 == g2 && !(g1 & 1) && !rc)
		xr_strict(x, pm, va, idx, &p, &me, e1, e2, g1);
}

/* A prober: passes of XR_BATCH probes until told to stop. */
static void *xr_prober(void *arg)
{
	struct xr_thread *t = arg;
	struct xr *x = t->x;
	uint32_t rnd = 2654435761u * (t->i + 1);
	int pm = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);

	if (pm < 0)
		xr_fail(x, "open pagemap: %s", strerror(errno));
	while (!ld(&x->stop)) {
		for (int i = 0; pm >= 0 && i < XR_BATCH; i++)
			xr_probe(x, pm, &rnd);
		inc(&x->passes[t->i]);
	}
	if (pm >= 0)
		close(pm);
	return NULL;
}

FIXTURE(xr) {
	struct xr x;
	struct bt_iomem ram[64];
	struct xr_thread th[XR_PROBERS];
	bool running;
	char *map[2];
	size_t map_len[2];
	char thp_enabled[16], thp_defrag[16];
	char hp_path[128];
	long hp_old;
};

FIXTURE_SETUP(xr)
{
	struct bt_iomem all[512];
	uint64_t pa;
	char *probe;
	int n, i;

	self->hp_old = -1;
	self->x.dev = -1;
	if (geteuid())
		SETUP_SKIP("must run as root");
	self->x.dev = open(_PATH_BSDMEM, O_RDONLY | O_CLOEXEC);
	if (self->x.dev < 0 && errno == ENOENT)
		SETUP_SKIP("%s missing: is bsdmem loaded?", _PATH_BSDMEM);
	ASSERT_LE(0, self->x.dev) TH_LOG("open: %s", strerror(errno));
	probe = bt_alloc_pinned(PG);
	ASSERT_NE(NULL, probe);
	ASSERT_EQ(0, bt_pagemap_paddr(probe, &pa));
	bt_free_pinned(probe, PG);
	ASSERT_NE(0ULL, pa) TH_LOG("pagemap shows no PFNs to root");
	n = bt_iomem(all, 512);
	for (i = 0; i < n && self->x.nram < 64; i++)
		if (!strncmp(all[i].name, "System RAM", 10))
			self->ram[self->x.nram++] = all[i];
	ASSERT_LT(0, self->x.nram);
	self->x.ram = self->ram;
	self->x.nodes = bt_numa_nodes();
}

/* Stop the probers; Return: whether they were running. */
static bool xr_stop(FIXTURE_DATA(xr) *self)
{
	if (!self->running)
		return false;
	__atomic_store_n(&self->x.stop, 1, __ATOMIC_SEQ_CST);
	for (int i = 0; i < XR_PROBERS; i++)
		pthread_join(self->th[i].t, NULL);
	self->running = false;
	return true;
}

FIXTURE_TEARDOWN(xr)
{
	char v[32];

	xr_stop(self);
	for (int i = 0; i < 2; i++)
		if (self->map[i])
			munmap(self->map[i], self->map_len[i]);
	if (self->hp_old >= 0) {
		snprintf(v, sizeof(v), "%ld", self->hp_old);
		bt_write_file(self->hp_path, v);
	}
	if (self->thp_enabled[0])
		bt_write_file(BT_THP_DIR "enabled", self->thp_enabled);
	if (self->thp_defrag[0])
		bt_write_file(BT_THP_DIR "defrag", self->thp_defrag);
	if (self->x.dev >= 0)
		close(self->x.dev);
}

/* A window of @len bytes at @va, published as @state (with @stamp). */
static void xr_window(FIXTURE_DATA(xr) *self, int w, char *va, size_t len,
		      int state, uint64_t stamp, bool always_vma)
{
	struct xr_win *win = &self->x.win[w];

	win->va = va;
	win->len = len;
	win->always_vma = always_vma;
	win->pub = (struct xr_pub){ .state = state, .hole = -1, .node = -1,
				    .stamp = stamp };
	if (w >= self->x.nwin)
		self->x.nwin = w + 1;
}

/* Anonymous memory kept by the fixture (unmapped by the teardown). */
static char *xr_map(FIXTURE_DATA(xr) *self, int i, size_t len)
{
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	self->map[i] = p;
	self->map_len[i] = len;
	return p;
}

/* Start the probers and wait for each to finish a pass. */
static void xr_start(struct __test_metadata *_metadata,
		     FIXTURE_DATA(xr) *self)
{
	int i;

	for (i = 0; i < XR_PROBERS; i++) {
		self->th[i] = (struct xr_thread){ .x = &self->x, .i = i };
		ASSERT_EQ(0, pthread_create(&self->th[i].t, NULL, xr_prober,
					    &self->th[i]));
	}
	self->running = true;
	xr_settle(&self->x);
}

/*
 * Stop the probers and judge: no failure, and the oracle ran (answers
 * checked against pagemap, and, for @stamped windows, their bytes).
 */
static void xr_finish(struct __test_metadata *_metadata,
		      FIXTURE_DATA(xr) *self, bool stamped)
{
	struct xr *x = &self->x;

	xr_stop(self);
	TH_LOG("answers: %lu INVALID, %lu VALID, %lu MAPPED; %lu checked against pagemap, %lu by content (%lu refused reads), %lu moved meanwhile",
	       x->answers[0], x->answers[1], x->answers[2], x->strict,
	       x->content, x->refused, x->moved);
	EXPECT_EQ(0, x->fails) TH_LOG("%d failures, the first: %s", x->fails,
				      x->why);
	EXPECT_LT(0UL, x->strict);
	if (stamped)
		EXPECT_LT(0UL, x->content + x->refused);
}

#define XR_ROUNDS	24

/* munmap and mmap again (MAP_FIXED_NOREPLACE) under the probers. */
TEST_F_TIMEOUT(xr, munmap, 60)
{
	size_t len = XR_PAGES * PG;
	char *p = xr_map(self, 0, len);

	ASSERT_NE(NULL, p);
	ASSERT_EQ(0, madvise(p, len, MADV_NOHUGEPAGE));
	xr_stamp(p, len, 0);
	xr_window(self, 0, p, len, XR_STAMPED, 0, false);
	xr_start(_metadata, self);
	for (int r = 1; r <= XR_ROUNDS; r++) {
		xr_begin(&self->x);
		ASSERT_EQ(0, munmap(p, len));
		self->map[0] = NULL;
		xr_end(&self->x, 0, XR_NONE, 0);
		xr_begin(&self->x);
		ASSERT_EQ(p, mmap(p, len, PROT_READ | PROT_WRITE, MAP_PRIVATE |
				  MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0));
		self->map[0] = p;
		ASSERT_EQ(0, madvise(p, len, MADV_NOHUGEPAGE));
		xr_stamp(p, len, r);
		xr_end(&self->x, 0, XR_STAMPED, r);
	}
	xr_finish(_metadata, self, true);
}

/* mremap moves the pages from one window to the other and back. */
TEST_F_TIMEOUT(xr, mremap, 60)
{
	size_t len = XR_PAGES * PG;
	char *a = xr_map(self, 0, 2 * len), *b = a + len, *from, *to;

	ASSERT_NE(NULL, a);
	ASSERT_EQ(0, madvise(a, 2 * len, MADV_NOHUGEPAGE));
	xr_stamp(a, len, 7);
	xr_window(self, 0, a, len, XR_STAMPED, 7, false);
	xr_window(self, 1, b, len, XR_EMPTY, 0, false);
	/* unmapped once the probers (and their stacks) exist */
	xr_start(_metadata, self);
	xr_begin(&self->x);
	ASSERT_EQ(0, munmap(b, len));
	xr_end(&self->x, 1, XR_NONE, 0);
	for (int r = 0; r < 2 * XR_ROUNDS; r++) {
		from = r % 2 ? b : a;
		to = r % 2 ? a : b;
		xr_begin(&self->x);
		ASSERT_EQ(to, mremap(from, len, len,
				     MREMAP_MAYMOVE | MREMAP_FIXED, to));
		self->x.win[r % 2].pub.state = XR_NONE;
		xr_end(&self->x, 1 - r % 2, XR_STAMPED, 7);
	}
	xr_finish(_metadata, self, true);
}

/* MADV_DONTNEED drops the pages; writing faults them in again. */
TEST_F_TIMEOUT(xr, dontneed, 60)
{
	size_t len = XR_PAGES * PG;
	char *p = xr_map(self, 0, len);

	ASSERT_NE(NULL, p);
	ASSERT_EQ(0, madvise(p, len, MADV_NOHUGEPAGE));
	xr_stamp(p, len, 0);
	xr_window(self, 0, p, len, XR_STAMPED, 0, true);
	xr_start(_metadata, self);
	for (int r = 1; r <= XR_ROUNDS; r++) {
		xr_begin(&self->x);
		ASSERT_EQ(0, madvise(p, len, MADV_DONTNEED));
		xr_end(&self->x, 0, XR_EMPTY, 0);
		xr_begin(&self->x);
		xr_stamp(p, len, r);
		xr_end(&self->x, 0, XR_STAMPED, r);
	}
	xr_finish(_metadata, self, true);
}

/* Is the page behind @p part of a THP (/proc/kpageflags)? */
static bool xr_is_thp(const void *p)
{
	uint64_t pa, kpf;

	return !bt_pagemap_paddr(p, &pa) && pa &&
	       !bt_kpageflags(pa / PG, &kpf) && (kpf & (1ULL << BT_KPF_THP));
}

#define XR_THP_ROUNDS	6

/*
 * A THP under the probers: mprotect of one page splits its PMD, and
 * MADV_COLLAPSE makes it huge again; munmap of one page splits it (and
 * the page is mapped back, and collapsed); MADV_DONTNEED of a few pages
 * splits it. The bytes of every 4 KiB page stay where the answers say.
 */
TEST_F_TIMEOUT(xr, thp_split_collapse, 60)
{
	size_t hp = BT_HPAGE_SIZE;
	char *r = xr_map(self, 0, 2 * hp), *p;
	int collapsed = 0, huge = 0, k;

	ASSERT_NE(NULL, r);
	p = (char *)(((uintptr_t)r + hp - 1) & ~(uintptr_t)(hp - 1));
	bt_thp_allow(BT_THP_DIR "enabled", self->thp_enabled,
		     sizeof(self->thp_enabled));
	bt_thp_allow(BT_THP_DIR "defrag", self->thp_defrag,
		     sizeof(self->thp_defrag));
	if (madvise(p, hp, MADV_HUGEPAGE))
		SKIP(return, "MADV_HUGEPAGE: %s", strerror(errno));
	xr_stamp(p, hp, 0);
	if (!xr_is_thp(p))
		SKIP(return, "the kernel gave no THP for an aligned, touched 2 MiB");
	xr_window(self, 0, p, hp, XR_STAMPED, 0, false);
	xr_start(_metadata, self);
	for (k = 0; k < XR_THP_ROUNDS; k++) {
		xr_begin(&self->x);
		ASSERT_EQ(0, mprotect(p + 256 * PG, PG, PROT_READ));
		xr_end(&self->x, 0, XR_STAMPED, 0);
		xr_begin(&self->x);
		ASSERT_EQ(0, mprotect(p + 256 * PG, PG, PROT_READ | PROT_WRITE));
		collapsed += !madvise(p, hp, MADV_COLLAPSE);
		huge += xr_is_thp(p);
		xr_end(&self->x, 0, XR_STAMPED, 0);
		xr_begin(&self->x);
		ASSERT_EQ(0, munmap(p + 100 * PG, PG));
		self->x.win[0].pub.hole = 100;
		xr_end(&self->x, 0, XR_STAMPED, 0);
		xr_begin(&self->x);
		ASSERT_EQ(p + 100 * PG,
			  mmap(p + 100 * PG, PG, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE,
			       -1, 0));
		ASSERT_EQ(0, madvise(p + 100 * PG, PG, MADV_HUGEPAGE));
		xr_stamp(p + 100 * PG, PG, 0);
		((uint64_t *)(p + 100 * PG))[1] = 100;
		self->x.win[0].pub.hole = -1;
		collapsed += !madvise(p, hp, MADV_COLLAPSE);
		huge += xr_is_thp(p);
		xr_end(&self->x, 0, XR_STAMPED, 0);
		xr_begin(&self->x);
		ASSERT_EQ(0, madvise(p + 300 * PG, 4 * PG, MADV_DONTNEED));
		for (int i = 300; i < 304; i++) {
			xr_stamp(p + i * PG, PG, 0);
			((uint64_t *)(p + i * PG))[1] = i;
		}
		xr_end(&self->x, 0, XR_STAMPED, 0);
	}
	TH_LOG("%d of %d MADV_COLLAPSE calls succeeded; a THP %d times after them",
	       collapsed, 2 * XR_THP_ROUNDS, huge);
	EXPECT_LT(0, huge);
	xr_finish(_metadata, self, true);
}

/* Have one more free 2 MiB hugetlb page if none is free; false if none. */
static bool xr_reserve_hugepage(FIXTURE_DATA(xr) *self)
{
	char v[32];

	if (bt_read_file(XR_HP2M_DIR "free_hugepages", v, sizeof(v)) > 0 &&
	    atol(v) > 0)
		return true;
	snprintf(self->hp_path, sizeof(self->hp_path), "%snr_hugepages",
		 XR_HP2M_DIR);
	if (bt_read_file(self->hp_path, v, sizeof(v)) <= 0)
		return false;
	self->hp_old = atol(v);
	snprintf(v, sizeof(v), "%ld", self->hp_old + 1);
	bt_write_file(self->hp_path, v);
	return bt_read_file(XR_HP2M_DIR "free_hugepages", v, sizeof(v)) > 0 &&
	       atol(v) > 0;
}

/*
 * A 2 MiB hugetlb mapping made, faulted in by writing it under the
 * probers, and unmapped, round after round; the page is given back after.
 */
TEST_F_TIMEOUT(xr, hugetlb_fault, 60)
{
	size_t hp = BT_HPAGE_SIZE;
	char *r, *p;

	if (!xr_reserve_hugepage(self))
		SKIP(return, "no free 2 MiB hugetlb page could be reserved");
	r = mmap(NULL, 2 * hp, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, r);
	p = (char *)(((uintptr_t)r + hp - 1) & ~(uintptr_t)(hp - 1));
	xr_window(self, 0, p, hp, XR_EMPTY, 0, false);
	/* unmapped once the probers (and their stacks) exist */
	xr_start(_metadata, self);
	xr_begin(&self->x);
	ASSERT_EQ(0, munmap(r, 2 * hp));
	xr_end(&self->x, 0, XR_NONE, 0);
	for (int k = 1; k <= XR_ROUNDS; k++) {
		xr_begin(&self->x);
		ASSERT_EQ(p, mmap(p, hp, PROT_READ | PROT_WRITE,
				  MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB |
				  (21 << MAP_HUGE_SHIFT) | MAP_FIXED_NOREPLACE,
				  -1, 0)) TH_LOG("hugetlb mmap: %s", strerror(errno));
		self->map[0] = p;
		self->map_len[0] = hp;
		xr_end(&self->x, 0, XR_EMPTY, 0);
		xr_begin(&self->x);
		xr_stamp(p, hp, k);
		xr_end(&self->x, 0, XR_STAMPED, k);
		xr_begin(&self->x);
		ASSERT_EQ(0, munmap(p, hp));
		self->map[0] = NULL;
		xr_end(&self->x, 0, XR_NONE, 0);
	}
	xr_finish(_metadata, self, true);
}

/*
 * move_pages() takes every page to the other node and back under the
 * probers; between moves me_domain is the node move_pages() put them on.
 */
TEST_F_TIMEOUT(xr, migrate_between_nodes, 60)
{
	size_t len = XR_PAGES * PG;
	void *pages[XR_PAGES];
	int nodes[XR_PAGES], status[XR_PAGES], i, r, moved;
	char *p;

	if (self->x.nodes < 2)
		SKIP(return, "one NUMA node in boot %s: no other node to move pages to",
		     bt_boot());
	p = xr_map(self, 0, len);
	ASSERT_NE(NULL, p);
	ASSERT_EQ(0, madvise(p, len, MADV_NOHUGEPAGE));
	xr_stamp(p, len, 3);
	for (i = 0; i < XR_PAGES; i++)
		pages[i] = p + i * PG;
	xr_window(self, 0, p, len, XR_STAMPED, 3, true);
	xr_start(_metadata, self);
	for (r = 0; r < XR_ROUNDS; r++) {
		xr_begin(&self->x);
		for (i = 0; i < XR_PAGES; i++)
			nodes[i] = (r + 1) % 2;
		ASSERT_EQ(0, syscall(SYS_move_pages, 0, XR_PAGES, pages, nodes,
				     status, XR_MPOL_MF_MOVE))
			TH_LOG("move_pages: %s", strerror(errno));
		for (i = 0, moved = 0; i < XR_PAGES; i++)
			moved += status[i] == nodes[i];
		ASSERT_EQ(XR_PAGES, moved) TH_LOG("round %d", r);
		self->x.win[0].pub.node = nodes[0];
		xr_end(&self->x, 0, XR_STAMPED, 3);
	}
	xr_finish(_metadata, self, true);
}

/* Present pages of [p, p + len) whose frame is not in pa[]; pa[] updated. */
static int xr_frames_changed(const char *p, size_t len, uint64_t *pa)
{
	int pm = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC), n = 0;
	uint64_t e;

	for (size_t i = 0; pm >= 0 && i < len / PG; i++) {
		if (xr_pagemap(pm, (uintptr_t)(p + i * PG), &e))
			break;
		e = e & BT_PAGEMAP_PRESENT ? e & BT_PAGEMAP_PFN_MASK : 0;
		n += e && pa[i] && e != pa[i];
		pa[i] = e;
	}
	if (pm >= 0)
		close(pm);
	return n;
}

#define XR_COMPACTIONS	3
#define XR_SPARSE	16384	/* pages in the compaction window */

/*
 * Fill the window anew and keep one page in eight: pageblocks with few
 * pages in use are what compaction empties.
 */
static void xr_sparse(char *p, size_t len, uint64_t stamp)
{
	madvise(p, len, MADV_DONTNEED);
	xr_stamp(p, len, stamp);
	for (size_t i = 0; i < len / PG; i += 8)
		madvise(p + (i + 1) * PG, 7 * PG, MADV_DONTNEED);
}

/*
 * Compaction (/proc/sys/vm/compact_memory) migrates movable pages within
 * their zone, so it moves pages on a single node too. How many of ours
 * it moves is the kernel's choice: logged, not asserted. A stamped window
 * here is one whose present pages hold the stamp.
 */
TEST_F_TIMEOUT(xr, migrate_by_compaction, 180)
{
	size_t len = XR_SPARSE * PG;
	uint64_t *pa;
	int moved = 0;
	char *p;

	if (access(XR_COMPACT, W_OK))
		SKIP(return, "no %s: kernel without CONFIG_COMPACTION", XR_COMPACT);
	p = xr_map(self, 0, len);
	pa = (uint64_t *)xr_map(self, 1, XR_SPARSE * sizeof(*pa));
	ASSERT_NE(NULL, p);
	ASSERT_NE(NULL, pa);
	ASSERT_EQ(0, madvise(p, len, MADV_NOHUGEPAGE));
	xr_sparse(p, len, 5);
	xr_window(self, 0, p, len, XR_STAMPED, 5, true);
	xr_start(_metadata, self);
	for (int r = 0; r < XR_COMPACTIONS; r++) {
		xr_begin(&self->x);
		xr_sparse(p, len, 5);
		xr_end(&self->x, 0, XR_STAMPED, 5);
		xr_frames_changed(p, len, pa);
		xr_begin(&self->x);
		ASSERT_EQ(0, bt_write_file(XR_COMPACT, "1"));
		xr_end(&self->x, 0, XR_STAMPED, 5);
		moved += xr_frames_changed(p, len, pa);
	}
	TH_LOG("compaction moved %d of our pages in %d runs", moved,
	       XR_COMPACTIONS);
	xr_finish(_metadata, self, true);
}

/* What a forked child found wrong, for its parent to print. */
struct xr_child_report {
	int line;		/* __LINE__ of the failed check, 0 if none */
	int page;
	uint64_t want, got;
};

/*
 * Check page @i of the child: answer = pagemap, bytes = @want (unless the
 * page is in virtio-mem's RAM, which no read reaches).
 */
static int xr_child_check(const struct xr *x, int pm, char *p, int i,
			  uint64_t want, struct xr_child_report *rep)
{
	uint64_t va = (uintptr_t)(p + i * PG) + 8, e, word[2];
	struct mem_extract me;
	int dev = x->dev;

	rep->page = i;
	rep->want = want;
	if (xr_pagemap(pm, va, &e) || !(e & BT_PAGEMAP_PRESENT))
		return rep->line = __LINE__;
	if (bt_extract(dev, va, XR_SENT_PA, XR_SENT_DOM, &me) ||
	    me.me_state != ME_STATE_MAPPED ||
	    me.me_paddr != (e & BT_PAGEMAP_PFN_MASK) * PG + 8) {
		rep->got = me.me_paddr;
		return rep->line = __LINE__;
	}
	if (xr_ram_class(x, me.me_paddr) != XR_READABLE)
		return 0;
	if (pread(dev, word, sizeof(word), (off_t)(me.me_paddr - 8)) != 16 ||
	    word[0] != want || word[1] != (uint64_t)i) {
		rep->got = word[0];
		return rep->line = __LINE__;
	}
	return 0;
}

/*
 * xr_child_check() until it holds, three times at most: the kernel may
 * migrate the page between the check's steps (compaction runs by itself).
 */
static int xr_child_check3(const struct xr *x, int pm, char *p, int i,
			   uint64_t want, struct xr_child_report *rep)
{
	for (int k = 0; k < 3; k++)
		if (!xr_child_check(x, pm, p, i, want, rep))
			return rep->line = 0;
	return rep->line;
}

/*
 * The child of a fork, alone in its address space: each page still holds
 * what the parent wrote before the fork, at the address the answer gives
 * (whether the parent wrote it again since or not); once the child writes
 * it (a COW copy), the answer moves to the copy.
 */
static void xr_child(const struct xr *x, char *p, size_t len, uint64_t stamp,
		     int out)
{
	struct xr_child_report rep = { 0 };
	int pm = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);

	for (int i = 0; pm >= 0 && i < (int)(len / PG); i++) {
		if (xr_child_check3(x, pm, p, i, XR_MAGIC ^ stamp, &rep))
			break;
		((volatile uint64_t *)(p + i * PG))[0] = XR_CHILD ^ stamp;
		if (xr_child_check3(x, pm, p, i, XR_CHILD ^ stamp, &rep))
			break;
	}
	if (pm < 0)
		rep.line = __LINE__;
	if (write(out, &rep, sizeof(rep)) != sizeof(rep))
		_exit(2);
	_exit(rep.line ? 1 : 0);
}

/*
 * fork() with the probers running, then parent and child both write every
 * page (each write a COW fault) at the same time: the parent's answers
 * stay plausible and match pagemap, the child's are its own.
 */
TEST_F_TIMEOUT(xr, fork_cow, 60)
{
	size_t len = XR_PAGES * PG;
	struct xr_child_report rep;
	int fds[2], status;
	char *p = xr_map(self, 0, len);
	pid_t pid;

	ASSERT_NE(NULL, p);
	ASSERT_EQ(0, madvise(p, len, MADV_NOHUGEPAGE));
	xr_stamp(p, len, 0);
	xr_window(self, 0, p, len, XR_STAMPED, 0, true);
	xr_start(_metadata, self);
	for (int r = 1; r <= XR_ROUNDS / 2; r++) {
		ASSERT_EQ(0, pipe(fds));
		xr_begin(&self->x);
		pid = fork();
		ASSERT_LE(0, pid);
		if (!pid)
			xr_child(&self->x, p, len, r - 1, fds[1]);
		close(fds[1]);
		xr_stamp(p, len, r);
		xr_end(&self->x, 0, XR_STAMPED, r);
		ASSERT_EQ(pid, waitpid(pid, &status, 0));
		ASSERT_EQ((ssize_t)sizeof(rep), read(fds[0], &rep, sizeof(rep)))
			TH_LOG("round %d: the child said nothing (status 0x%x)",
			       r, status);
		close(fds[0]);
		EXPECT_EQ(0, rep.line)
			TH_LOG("round %d: child check at line %d, page %d: want %#llx got %#llx",
			       r, rep.line, rep.page, (unsigned long long)rep.want,
			       (unsigned long long)rep.got);
		EXPECT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status));
	}
	xr_finish(_metadata, self, true);
}

/* ---- dumps: two at once, and while memory moves ---- */

#define DUMP_GATE	(16ULL << 20)	/* the copier pauses this often */
#define STORM_LEN	(8UL << 20)
#define OFFLINE_CYCLES	6
#define MEMBLK_DIR	"/sys/devices/system/memory/"

/* Progress of the workers that change memory while a dump runs. */
struct workers {
	unsigned long count[2];	/* rounds each has done */
	unsigned long stop;	/* set: end now */
	unsigned long ended;	/* workers that stopped (done or failed) */
	int err[2];		/* errno of a failed step */
	int n;			/* workers in use */
};

FIXTURE(dumps) {
	int dev;
	struct workers *w;	/* shared with the worker processes */
	pid_t pid[2];
	long block;		/* a memory block to put online again, or -1 */
	const char *online;	/* how: into the zone it was in */
};

FIXTURE_SETUP(dumps)
{
	self->pid[0] = -1;
	self->pid[1] = -1;
	self->block = -1;
	self->w = MAP_FAILED;
	self->dev = -1;
	if (geteuid())
		SETUP_SKIP("must run as root");
	self->dev = open(_PATH_BSDMEM, O_RDONLY | O_CLOEXEC);
	if (self->dev < 0 && errno == ENOENT)
		SETUP_SKIP("%s missing: is bsdmem loaded?", _PATH_BSDMEM);
	ASSERT_LE(0, self->dev) TH_LOG("open: %s", strerror(errno));
	signal(SIGPIPE, SIG_IGN);
	self->w = mmap(NULL, sizeof(*self->w), PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->w);
}

static void block_set(long n, const char *state, int *err)
{
	char path[96];

	snprintf(path, sizeof(path), MEMBLK_DIR "memory%ld/state", n);
	*err = bt_write_file(path, state) ? errno : 0;
}

/* Stop the worker processes and reap them; Return: how they ended. */
static void workers_stop(FIXTURE_DATA(dumps) *self, int *status)
{
	int i;

	if (self->w != MAP_FAILED)
		__atomic_store_n(&self->w->stop, 1, __ATOMIC_SEQ_CST);
	for (i = 0; i < 2; i++) {
		status[i] = 0;
		if (self->pid[i] > 0)
			waitpid(self->pid[i], &status[i], 0);
		self->pid[i] = -1;
	}
}

FIXTURE_TEARDOWN(dumps)
{
	int status[2], err;

	workers_stop(self, status);
	if (self->block >= 0)
		block_set(self->block, self->online, &err);
	if (self->w != MAP_FAILED)
		munmap(self->w, sizeof(*self->w));
	if (self->dev >= 0)
		close(self->dev);
}

static int write_all(int fd, const uint8_t *buf, size_t n)
{
	ssize_t w;

	while (n) {
		w = write(fd, buf, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return w < 0 ? errno : EIO;
		buf += w;
		n -= w;
	}
	return 0;
}

/* One of two dumps started together. */
struct contender {
	int go;			/* the start pipe: its end of file says go */
	int out;		/* the write end of its dump's pipe */
	int res;		/* where its result goes */
	int comp;
	pthread_t t;
};

/* Open the device, wait for the start, dump, report the errno. */
static void *contend(void *arg)
{
	struct contender *c = arg;
	int dev = open(_PATH_BSDMEM, O_RDONLY | O_CLOEXEC), err;
	char b;

	while (read(c->go, &b, 1) < 0 && errno == EINTR)
		;
	err = dev < 0 ? -errno : mdv_dump(dev, c->out, 0, c->comp);
	close(c->out);
	if (write(c->res, &err, sizeof(err)) != sizeof(err))
		err = -EIO;
	if (dev >= 0)
		close(dev);
	return NULL;
}

/*
 * Copy the dumps into their checkers, but only once one of the two has
 * returned: until then the one that won the busy lock waits for a reader
 * (its dump is far larger than a pipe), so the other must find it busy.
 */
static void collect(int res[2], int dump[2], struct mdv_checker *chk,
		    int err[2], int *first)
{
	static uint8_t buf[1 << 16];
	bool got[2] = { false, false }, eof[2] = { false, false };
	struct pollfd pf[4];
	int n, k, i, who[4];
	ssize_t r;

	*first = -1;
	while (!got[0] || !got[1] || !eof[0] || !eof[1]) {
		for (n = 0, k = 0; k < 2; k++) {
			if (!got[k]) {
				who[n] = k;
				pf[n++] = (struct pollfd){ res[k], POLLIN, 0 };
			}
			if (*first >= 0 && !eof[k]) {
				who[n] = k + 2;
				pf[n++] = (struct pollfd){ dump[k], POLLIN, 0 };
			}
		}
		if (poll(pf, n, -1) < 0 && errno != EINTR)
			break;
		for (i = 0; i < n; i++) {
			k = who[i] % 2;
			if (!pf[i].revents)
				continue;
			if (who[i] < 2) {
				got[k] = true;
				if (read(res[k], &err[k], sizeof(err[k])) !=
				    sizeof(err[k]))
					err[k] = -EIO;
				if (*first < 0)
					*first = k;
				continue;
			}
			r = read(dump[k], buf, sizeof(buf));
			if (r <= 0)
				eof[k] = true;
			else if (chk[k].in >= 0 && write_all(chk[k].in, buf, r))
				chk[k].in = -1;	/* it failed: it says why */
		}
	}
}

/*
 * Two dumps (threads of this process, or two processes) released at the
 * same moment: exactly one gets EBUSY, the first to return; the other's
 * output passes `minidump check -`.
 */
static void two_dumps(struct __test_metadata *_metadata, bool procs, int comp)
{
	struct mdv_checker chk[2];
	struct contender c[2];
	int go[2], dump[2][2], res[2][2], rd[2], rr[2], err[2] = { 1, 1 };
	int first, win, k, status;
	pid_t pid[2] = { -1, -1 };
	bool passed[2];

	/* the checkers first: they must not hold the dump pipes */
	for (k = 0; k < 2; k++) {
		mdv_checker_start(&chk[k], NULL);
		ASSERT_LT(0, chk[k].pid) TH_LOG("%s", chk[k].text);
	}
	ASSERT_EQ(0, pipe2(go, O_CLOEXEC));
	for (k = 0; k < 2; k++) {
		ASSERT_EQ(0, pipe2(dump[k], O_CLOEXEC));
		ASSERT_EQ(0, pipe2(res[k], O_CLOEXEC));
		c[k] = (struct contender){ .go = go[0], .out = dump[k][1],
					   .res = res[k][1], .comp = comp };
		rd[k] = dump[k][0];
		rr[k] = res[k][0];
	}
	fflush(NULL);
	for (k = 0; k < 2; k++) {
		if (!procs) {
			ASSERT_EQ(0, pthread_create(&c[k].t, NULL, contend, &c[k]));
			continue;
		}
		pid[k] = fork();
		ASSERT_LE(0, pid[k]);
		if (!pid[k]) {
			/* hold no other end: the readers must see EOF */
			close(go[1]);
			if (!k)
				close(dump[1][1]);
			close(chk[0].in);
			close(chk[1].in);
			contend(&c[k]);
			_exit(0);
		}
		close(dump[k][1]);
	}
	close(go[1]);		/* go */
	collect(rr, rd, chk, err, &first);
	for (k = 0; k < 2; k++) {
		if (procs)
			waitpid(pid[k], &status, 0);
		else
			pthread_join(c[k].t, NULL);
		passed[k] = mdv_checker_finish(&chk[k]);
		close(rd[k]);
		close(rr[k]);
		close(res[k][1]);
	}
	close(go[0]);
	win = err[0] ? 1 : 0;
	TH_LOG("results %d and %d (dump %d returned first); minidump check - of dump %d: %s",
	       err[0], err[1], first, win, chk[win].text);
	EXPECT_EQ(0, err[win]);
	EXPECT_EQ(EBUSY, err[1 - win]);
	EXPECT_EQ(1 - win, first);
	EXPECT_TRUE(passed[win]);
}

TEST_F_TIMEOUT(dumps, two_at_once_threads, 240)
{
	for (int r = 0; r < 2; r++)
		two_dumps(_metadata, false, KERNELDUMP_COMP_NONE);
}

TEST_F_TIMEOUT(dumps, two_at_once_processes, 180)
{
	for (int r = 0; r < 2; r++)
		two_dumps(_metadata, true, KERNELDUMP_COMP_ZSTD);
}

/* Wait until every worker has done one more round (or stopped). */
static void workers_wait(struct workers *w)
{
	unsigned long c0[2];
	int k;

	for (k = 0; k < w->n; k++)
		c0[k] = ld(&w->count[k]);
	for (k = 0; k < w->n; k++)
		while (ld(&w->count[k]) == c0[k] && !ld(&w->ended))
			sched_yield();
}

/* Copies a dump's pipe into its checker, pausing for the workers. */
struct gated {
	int in, out;
	struct workers *w;
	uint64_t total;
	int pauses, err;
};

/*
 * At the first bytes (every page classified, copying begins) and every
 * DUMP_GATE bytes after, the dump waits for this reader while each worker
 * finishes a round: memory changes mid-dump, as an event, not a hope.
 */
static void *gated_copy(void *arg)
{
	static uint8_t buf[1 << 16];
	struct gated *g = arg;
	ssize_t n;

	while ((n = read(g->in, buf, sizeof(buf))) > 0) {
		if (!g->total || g->total / DUMP_GATE != (g->total + n) / DUMP_GATE) {
			workers_wait(g->w);
			g->pauses++;
		}
		if (g->out >= 0)
			g->err = write_all(g->out, buf, n);
		if (g->err)
			g->out = -1;	/* the checker gave up: it says why */
		g->total += n;
	}
	if (n < 0)
		g->err = errno;
	return NULL;
}

/* A dump while the workers run, checked by `minidump check -`. */
static void gated_dump(struct __test_metadata *_metadata, int dev,
		       struct workers *w, int flags, int comp)
{
	struct gated g = { .w = w };
	struct mdv_checker c;
	unsigned long c0[2] = { ld(&w->count[0]), ld(&w->count[1]) };
	pthread_t t;
	int p[2], err;
	bool passed;

	mdv_checker_start(&c, NULL);
	ASSERT_LT(0, c.pid) TH_LOG("%s", c.text);
	ASSERT_EQ(0, pipe2(p, O_CLOEXEC));
	g.in = p[0];
	g.out = c.in;
	ASSERT_EQ(0, pthread_create(&t, NULL, gated_copy, &g));
	err = mdv_dump(dev, p[1], flags, comp);
	close(p[1]);
	pthread_join(t, NULL);
	close(p[0]);
	passed = mdv_checker_finish(&c);
	TH_LOG("%s dump, compression %d: %llu bytes, %d pauses, %lu and %lu worker rounds meanwhile; minidump check -: %s",
	       flags ? "ALLRAM" : "kernel", comp, (unsigned long long)g.total,
	       g.pauses, ld(&w->count[0]) - c0[0], ld(&w->count[1]) - c0[1],
	       c.text);
	EXPECT_EQ(0, err) TH_LOG("dump: %s", strerror(err));
	EXPECT_EQ(0, g.err) TH_LOG("copy to the checker: %s", strerror(g.err));
	EXPECT_TRUE(passed) TH_LOG("checker wait status 0x%x", c.status);
}

/* Worker 0: map, touch, split and unmap 8 MiB, THP every other round. */
static void storm_alloc(struct workers *w)
{
	for (unsigned long i = 0; !ld(&w->stop); i++) {
		char *p = mmap(NULL, STORM_LEN, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (p == MAP_FAILED) {
			w->err[0] = errno;
			break;
		}
		madvise(p, STORM_LEN, i % 2 ? MADV_HUGEPAGE : MADV_NOHUGEPAGE);
		for (size_t o = 0; o < STORM_LEN; o += PG)
			p[o] = (char)i;
		munmap(p + STORM_LEN / 2, STORM_LEN / 2);
		madvise(p, STORM_LEN / 4, MADV_DONTNEED);
		munmap(p, STORM_LEN / 2);
		inc(&w->count[0]);
	}
	inc(&w->ended);
	_exit(w->err[0] ? 1 : 0);
}

/* Worker 1: a fork storm, each child touching 1 MiB of its own. */
static void storm_fork(struct workers *w)
{
	while (!ld(&w->stop)) {
		pid_t pid = fork();

		if (pid < 0) {
			w->err[1] = errno;
			break;
		}
		if (!pid) {
			char *p = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE,
				       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

			for (size_t o = 0; p != MAP_FAILED && o < 1 << 20; o += PG)
				p[o] = 1;
			_exit(0);
		}
		waitpid(pid, NULL, 0);
		inc(&w->count[1]);
	}
	inc(&w->ended);
	_exit(w->err[1] ? 1 : 0);
}

/*
 * A kernel dump and an ALLRAM zstd dump while one process maps, touches
 * and unmaps memory as fast as it can and another forks children that do
 * the same: both dumps pass `minidump check -`.
 */
TEST_F_TIMEOUT(dumps, during_alloc_and_fork_storm, 420)
{
	void (*const fn[2])(struct workers *) = { storm_alloc, storm_fork };
	int status[2], k;

	self->w->n = 2;
	fflush(NULL);
	for (k = 0; k < 2; k++) {
		self->pid[k] = fork();
		ASSERT_LE(0, self->pid[k]);
		if (!self->pid[k])
			fn[k](self->w);
	}
	workers_wait(self->w);
	gated_dump(_metadata, self->dev, self->w, 0, KERNELDUMP_COMP_NONE);
	gated_dump(_metadata, self->dev, self->w, MEM_KERNELDUMP_ALLRAM,
		   KERNELDUMP_COMP_ZSTD);
	workers_stop(self, status);
	for (k = 0; k < 2; k++) {
		EXPECT_TRUE(WIFEXITED(status[k]) && !WEXITSTATUS(status[k]))
			TH_LOG("worker %d: status 0x%x, %s", k, status[k],
			       strerror(self->w->err[k]));
	}
}

/* Online memory blocks inside virtio-mem's RAM: their numbers. */
static int vmem_blocks(long *out, int max)
{
	struct bt_iomem r[256];
	unsigned long long bs;
	char v[64], path[96];
	int i, n = bt_iomem(r, 256), found = 0;

	if (bt_read_file(MEMBLK_DIR "block_size_bytes", v, sizeof(v)) <= 0)
		return 0;
	bs = strtoull(v, NULL, 16);
	for (i = 0; bs && i < n; i++) {
		if (strcmp(r[i].name, "System RAM (virtio_mem)"))
			continue;
		for (uint64_t b = r[i].start / bs; b <= r[i].end / bs &&
		     found < max; b++) {
			snprintf(path, sizeof(path), MEMBLK_DIR "memory%llu/state",
				 (unsigned long long)b);
			if (bt_read_file(path, v, sizeof(v)) > 0 &&
			    !strcmp(v, "online\n") &&
			    (!found || out[found - 1] != (long)b))
				out[found++] = b;
		}
	}
	return found;
}

struct cycler {
	struct workers *w;
	long block;
	const char *online;	/* what puts it back into its zone */
	int offlined;		/* offline steps that succeeded */
};

/* Take the block offline and online again, OFFLINE_CYCLES times. */
static void *offline_cycles(void *arg)
{
	struct cycler *c = arg;
	int err, i;

	for (i = 0; i < OFFLINE_CYCLES && !ld(&c->w->stop); i++) {
		block_set(c->block, "offline", &err);
		if (!err)
			c->offlined++;
		else if (err != EBUSY)
			c->w->err[0] = err;
		block_set(c->block, c->online, &err);
		if (err && err != EINVAL)	/* EINVAL: it stayed online */
			c->w->err[1] = err;
		inc(&c->w->count[0]);
	}
	inc(&c->w->ended);
	return NULL;
}

/*
 * An ALLRAM dump while a hot-pluggable memory block (virtio-mem's, in the
 * vmem boot) goes offline and online again: it passes `minidump check -`,
 * and the block ends online.
 */
TEST_F_TIMEOUT(dumps, during_memory_offline, 300)
{
	struct cycler c = { .w = self->w };
	char path[96], v[32];
	long blk[64];
	int n = vmem_blocks(blk, 64), i, err = 0;
	pthread_t t;

	if (n <= 0) {
		/* The vmem boots exist to have it. */
		ASSERT_FALSE(bt_boot_is("vmem") || bt_boot_is("vmemmov"))
			TH_LOG("no online virtio-mem block");
		SKIP(return, "no hot-pluggable memory block in boot %s (virtio-mem memory is in the vmem boots)",
		     bt_boot());
	}
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), MEMBLK_DIR "memory%ld/valid_zones",
			 blk[i]);
		if (bt_read_file(path, v, sizeof(v)) <= 0)
			v[0] = '\0';
		v[strcspn(v, "\n")] = '\0';
		/* "online" alone would choose the zone anew: keep it */
		self->online = !strcmp(v, "Movable") ? "online_movable" :
			       !strcmp(v, "Normal") ? "online_kernel" : "online";
		self->block = blk[i];
		block_set(blk[i], "offline", &err);
		if (!err)
			break;
		TH_LOG("memory%ld (zone %s): offline: %s", blk[i], v,
		       strerror(err));
		/* Movable memory must go: nothing may hold a page of it. */
		ASSERT_STRNE("Movable", v);
		ASSERT_EQ(EBUSY, err);
		self->block = -1;
	}
	/* vmemmov onlines it movable: some block of it must go offline. */
	ASSERT_FALSE(i == n && bt_boot_is("vmemmov"));
	if (i == n)
		SKIP(return, "no removable memory block in boot %s: virtio-mem's is in zone %s and holds unmovable pages (memhp_default_state=online_movable would make it removable)",
		     bt_boot(), v);
	c.block = self->block;
	c.online = self->online;
	TH_LOG("memory%ld (zone %s) goes offline", c.block, v);
	block_set(c.block, c.online, &err);
	ASSERT_EQ(0, err) TH_LOG("memory%ld: %s: %s", c.block, c.online,
				 strerror(err));
	self->w->n = 1;
	ASSERT_EQ(0, pthread_create(&t, NULL, offline_cycles, &c));
	gated_dump(_metadata, self->dev, self->w, MEM_KERNELDUMP_ALLRAM,
		   KERNELDUMP_COMP_NONE);
	pthread_join(t, NULL);
	TH_LOG("memory%ld went offline %d times in %d cycles", c.block,
	       c.offlined, OFFLINE_CYCLES);
	EXPECT_LT(0, c.offlined);
	EXPECT_EQ(0, self->w->err[0]) TH_LOG("offline: %s",
					     strerror(self->w->err[0]));
	EXPECT_EQ(0, self->w->err[1]) TH_LOG("online: %s",
					     strerror(self->w->err[1]));
	snprintf(path, sizeof(path), MEMBLK_DIR "memory%ld/state", c.block);
	ASSERT_LT(0, bt_read_file(path, v, sizeof(v)));
	EXPECT_STREQ("online\n", v);
	self->block = -1;
}

TEST_HARNESS_MAIN
