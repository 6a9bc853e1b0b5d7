// SPDX-License-Identifier: GPL-2.0
/*
 * Unloading bsdmem while something still uses it (issue 10): an open fd
 * of either device, a mapping whose fd is closed, a dump whose fd is
 * closed, opens racing the unload. delete_module(2) with O_NONBLOCK (what
 * busybox rmmod does) refuses with EWOULDBLOCK, the kernel's answer for a
 * module whose count is not zero, and the user keeps working; once it is
 * done, the unload succeeds, undoes the memory ranges, and a reload
 * (modprobe) gives working devices. Every test leaves bsdmem loaded.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <sys/kerneldump.h>

#include "bsdmem_harness.h"
#include "mdview.h"
#include "memrange_fixture.h"
#include "memrange_util.h"

#define UL_MOD		"bsdmem"
#define UL_SYS		"/sys/module/bsdmem"
#define UL_PG		4096UL
#define UL_GATE		(16ULL << 20)

/*
 * The per-test timeouts add up to 360 s, the program's is 400 s in
 * selftests/suites; the whole program takes under a minute.
 */

/* rmmod as busybox does it: 0 or the errno. */
static int ul_rmmod(void)
{
	return syscall(SYS_delete_module, UL_MOD, O_NONBLOCK) ? errno : 0;
}

static bool ul_loaded(void)
{
	char v[32];

	return bt_read_file(UL_SYS "/initstate", v, sizeof(v)) > 0 &&
	       !strcmp(v, "live\n");
}

/* The module's reference count (sysfs), or -1. */
static int ul_refcnt(void)
{
	char v[32];

	return bt_read_file(UL_SYS "/refcnt", v, sizeof(v)) > 0 ? atoi(v) : -1;
}

FIXTURE(unload) {
	int unused;
};

FIXTURE_SETUP(unload)
{
	char v[128];

	if (geteuid())
		SETUP_SKIP("must run as root");
	if (!ul_loaded())
		SETUP_SKIP("bsdmem is not loaded");
	if (bt_read_file("/sys/kernel/security/lockdown", v, sizeof(v)) > 0 &&
	    !strstr(v, "[none]"))
		SETUP_SKIP("lockdown is on: bsdmem could not be loaded again");
}

/* Whatever happened, bsdmem is loaded when the test ends. */
FIXTURE_TEARDOWN(unload)
{
	if (!ul_loaded())
		EXPECT_EQ(0, system("modprobe " UL_MOD));
	EXPECT_TRUE(ul_loaded());
}

/*
 * Both devices work: /dev/bsdmem translates and reads a page of ours,
 * /dev/bsdkmem reads linux_banner as /proc/version shows it.
 */
static void ul_devices_work(struct __test_metadata *_metadata)
{
	char *buf = bt_alloc_pinned(UL_PG), got[UL_PG], ver[256];
	int fd = open(_PATH_BSDMEM, O_RDONLY | O_CLOEXEC);
	int kfd = open(_PATH_BSDKMEM, O_RDONLY | O_CLOEXEC);
	struct mem_extract me;
	uint64_t pa, banner;

	ASSERT_LE(0, fd) TH_LOG("open %s: %s", _PATH_BSDMEM, strerror(errno));
	ASSERT_LE(0, kfd) TH_LOG("open %s: %s", _PATH_BSDKMEM, strerror(errno));
	ASSERT_NE(NULL, buf);
	bt_fill(buf, UL_PG, 10);
	ASSERT_EQ(0, bt_pagemap_paddr(buf, &pa));
	ASSERT_EQ(0, bt_extract(fd, (uintptr_t)buf, 0, 0, &me));
	EXPECT_EQ(ME_STATE_MAPPED, me.me_state);
	EXPECT_EQ(pa, me.me_paddr);
	EXPECT_EQ((ssize_t)UL_PG, pread(fd, got, UL_PG, (off_t)pa));
	EXPECT_EQ(0, memcmp(got, buf, UL_PG));
	ASSERT_EQ(0, bt_kallsyms("linux_banner", NULL, &banner));
	ASSERT_LT(0, bt_read_file("/proc/version", ver, sizeof(ver)));
	EXPECT_EQ((ssize_t)strlen(ver), bt_kread(kfd, banner, got, strlen(ver)));
	EXPECT_EQ(0, memcmp(got, ver, strlen(ver)));
	close(kfd);
	close(fd);
	bt_free_pinned(buf, UL_PG);
}

/* The unload happened: module and device nodes are gone. */
static void ul_gone(struct __test_metadata *_metadata)
{
	EXPECT_FALSE(ul_loaded());
	EXPECT_EQ(-1, access(_PATH_BSDMEM, F_OK));
	EXPECT_EQ(-1, access(_PATH_BSDKMEM, F_OK));
}

/* modprobe bsdmem, and both devices work again. */
static void ul_reload(struct __test_metadata *_metadata)
{
	ASSERT_EQ(0, system("modprobe " UL_MOD));
	ASSERT_TRUE(ul_loaded());
	ul_devices_work(_metadata);
}

/*
 * An open fd of /dev/bsdmem and one of /dev/bsdkmem hold the module: the
 * unload is refused while either is open, and both keep working.
 */
TEST_F_TIMEOUT(unload, open_fds_refuse, 30)
{
	int fd = open(_PATH_BSDMEM, O_RDONLY | O_CLOEXEC);
	int kfd = open(_PATH_BSDKMEM, O_RDONLY | O_CLOEXEC);
	struct mem_extract me;
	uint64_t banner;
	char got[16];
	int here = 1;

	ASSERT_LE(0, fd);
	ASSERT_LE(0, kfd);
	EXPECT_EQ(EWOULDBLOCK, ul_rmmod());
	EXPECT_TRUE(ul_loaded());
	EXPECT_LE(2, ul_refcnt());
	ASSERT_EQ(0, bt_extract(fd, (uintptr_t)&here, 0, 0, &me));
	EXPECT_EQ(ME_STATE_MAPPED, me.me_state);
	close(fd);
	EXPECT_EQ(EWOULDBLOCK, ul_rmmod());
	ASSERT_EQ(0, bt_kallsyms("linux_banner", NULL, &banner));
	EXPECT_EQ(14, bt_kread(kfd, banner, got, 14));
	EXPECT_EQ(0, memcmp(got, "Linux version ", 14));
	close(kfd);
	ASSERT_EQ(0, ul_rmmod());
	ul_gone(_metadata);
	ul_reload(_metadata);
}

/*
 * A mapping of /dev/bsdmem holds the module after its fd is closed: the
 * unload is refused, the mapping (and /proc/self/mem through our access
 * handler) still reads the page; after munmap the unload works.
 */
TEST_F_TIMEOUT(unload, mapping_refuses, 30)
{
	char *buf = bt_alloc_pinned(UL_PG), *m, got[64];
	int fd = open(_PATH_BSDMEM, O_RDONLY | O_CLOEXEC), mem;
	uint64_t pa;

	ASSERT_LE(0, fd);
	ASSERT_NE(NULL, buf);
	bt_fill(buf, UL_PG, 11);
	ASSERT_EQ(0, bt_pagemap_paddr(buf, &pa));
	m = mmap(NULL, UL_PG, PROT_READ, MAP_SHARED, fd, (off_t)pa);
	ASSERT_NE(MAP_FAILED, m);
	close(fd);
	EXPECT_EQ(EWOULDBLOCK, ul_rmmod());
	EXPECT_TRUE(ul_loaded());
	EXPECT_EQ(0, memcmp(m, buf, UL_PG));
	mem = open("/proc/self/mem", O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, mem);
	EXPECT_EQ(64, pread(mem, got, 64, (off_t)(uintptr_t)(m + 100)));
	EXPECT_EQ(0, memcmp(got, buf + 100, 64));
	close(mem);
	ASSERT_EQ(0, munmap(m, UL_PG));
	ASSERT_EQ(0, ul_rmmod());
	ul_gone(_metadata);
	bt_free_pinned(buf, UL_PG);
	ul_reload(_metadata);
}

struct ul_dump {
	int dev, out, err;
};

static void *ul_dump_run(void *arg)
{
	struct ul_dump *d = arg;

	d->err = mdv_dump(d->dev, d->out, 0, KERNELDUMP_COMP_NONE);
	close(d->out);
	return NULL;
}

/*
 * A dump whose /dev/bsdmem fd was closed once it started (only the
 * running ioctl holds the file): every unload tried while it runs (at its
 * first bytes and every 16 MiB) is refused; it completes and passes
 * `minidump check -`; then the unload works.
 */
TEST_F_TIMEOUT(unload, running_dump_refuses, 120)
{
	static uint8_t buf[1 << 16];
	struct ul_dump d = { .err = -1 };
	struct pollfd pf;
	struct mdv_checker c;
	uint64_t total = 0, done, all;
	int p[2], tries = 0, refused = 0, other = 0, err;
	pthread_t t;
	ssize_t n;

	signal(SIGPIPE, SIG_IGN);
	mdv_checker_start(&c, NULL);
	ASSERT_LT(0, c.pid) TH_LOG("%s", c.text);
	ASSERT_EQ(0, pipe2(p, O_CLOEXEC));
	d.dev = open(_PATH_BSDMEM, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, d.dev);
	d.out = p[1];
	ASSERT_EQ(0, pthread_create(&t, NULL, ul_dump_run, &d));
	pf = (struct pollfd){ .fd = p[0], .events = POLLIN };
	ASSERT_EQ(1, poll(&pf, 1, -1));
	close(d.dev);		/* the ioctl holds the file now */
	mdv_progress(&done, &all);
	EXPECT_LT(0ULL, all);
	while ((n = read(p[0], buf, sizeof(buf))) > 0) {
		if (!total || total / UL_GATE != (total + n) / UL_GATE) {
			err = ul_rmmod();
			tries++;
			refused += err == EWOULDBLOCK;
			if (err != EWOULDBLOCK && !other)
				other = err ? err : -1;
		}
		if (c.in >= 0 && write(c.in, buf, n) != n)
			c.in = -1;
		total += n;
	}
	pthread_join(t, NULL);
	close(p[0]);
	EXPECT_TRUE(mdv_checker_finish(&c)) TH_LOG("%s", c.text);
	TH_LOG("%llu bytes; %d unloads tried during the dump, %d refused; %s",
	       (unsigned long long)total, tries, refused, c.text);
	EXPECT_EQ(0, other) TH_LOG("unload during the dump: %s",
				   other < 0 ? "succeeded" : strerror(other));
	EXPECT_EQ(0, d.err) TH_LOG("dump: %s", strerror(d.err));
	EXPECT_LT(0, tries);
	if (ul_loaded())
		ASSERT_EQ(0, ul_rmmod());
	ul_gone(_metadata);
	ul_reload(_metadata);
}

/*
 * Open sysfs files of the module (its device's livedump_progress, a
 * parameter) do not hold it: the unload works, and reading them then
 * fails with ENODEV (the kernel's answer for a removed attribute).
 */
TEST_F_TIMEOUT(unload, sysfs_fds_do_not_hold, 30)
{
	const char *path[2] = { MDV_PROGRESS, UL_SYS "/parameters/writable" };
	int fd[2], i;
	char v[64];

	for (i = 0; i < 2; i++) {
		fd[i] = open(path[i], O_RDONLY | O_CLOEXEC);
		ASSERT_LE(0, fd[i]) TH_LOG("%s: %s", path[i], strerror(errno));
		EXPECT_LT(0, read(fd[i], v, sizeof(v)));
	}
	ASSERT_EQ(0, ul_rmmod());
	ul_gone(_metadata);
	for (i = 0; i < 2; i++) {
		EXPECT_EQ(-1, pread(fd[i], v, sizeof(v), 0)) TH_LOG("%s", path[i]);
		EXPECT_EQ(ENODEV, errno) TH_LOG("%s: %s", path[i], strerror(errno));
		close(fd[i]);
	}
	ul_reload(_metadata);
}

#define UL_OPENS	20000	/* at most, in one round */
#define UL_REFUSED	20	/* refused opens that end a round */
#define UL_ROUNDS	3

/* A thread opening /dev/bsdmem while the module is unloaded. */
struct ul_opener {
	unsigned long opened, refused, done;
	int bad_errno, bad_answer;
};

/*
 * Each open either works, and the fd answers MEM_EXTRACT_PADDR, or fails
 * as opening a device that is going away does (ENOENT: no node any
 * more, ENODEV/ENXIO: the node without its driver).
 */
static void *ul_open_loop(void *arg)
{
	struct ul_opener *o = arg;
	struct mem_extract me;
	int i, fd, here = 1;

	for (i = 0; i < UL_OPENS &&
	     __atomic_load_n(&o->refused, __ATOMIC_SEQ_CST) < UL_REFUSED; i++) {
		fd = open(_PATH_BSDMEM, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			if (errno != ENOENT && errno != ENODEV && errno != ENXIO)
				o->bad_errno = errno;
			__atomic_fetch_add(&o->refused, 1, __ATOMIC_SEQ_CST);
			continue;
		}
		if (bt_extract(fd, (uintptr_t)&here, 0, 0, &me) ||
		    me.me_state != ME_STATE_MAPPED)
			o->bad_answer = 1;
		close(fd);
		__atomic_fetch_add(&o->opened, 1, __ATOMIC_SEQ_CST);
	}
	__atomic_store_n(&o->done, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

/*
 * Opens race unloads: UL_ROUNDS times, a thread opens and uses the device
 * over and over (until opens have failed UL_REFUSED times, the device
 * being gone) while this one unloads it as soon as it can (each try
 * succeeds or is refused with EWOULDBLOCK), then loads it again.
 */
TEST_F_TIMEOUT(unload, opens_race_unload, 120)
{
	unsigned long refused = 0;

	for (int r = 0; r < UL_ROUNDS; r++) {
		struct ul_opener o = { 0 };
		int err, tries = 0, other = 0;
		pthread_t t;

		ASSERT_EQ(0, pthread_create(&t, NULL, ul_open_loop, &o));
		while (!__atomic_load_n(&o.opened, __ATOMIC_SEQ_CST) &&
		       !__atomic_load_n(&o.done, __ATOMIC_SEQ_CST))
			sched_yield();
		do {
			err = ul_rmmod();
			tries++;
			if (err && err != EWOULDBLOCK && !other)
				other = err;
		} while (err && !__atomic_load_n(&o.done, __ATOMIC_SEQ_CST));
		pthread_join(t, NULL);
		if (err)
			err = ul_rmmod();
		TH_LOG("round %d: %lu opens worked, %lu refused; unloaded after %d tries",
		       r, o.opened, o.refused, tries);
		EXPECT_EQ(0, other) TH_LOG("rmmod: %s", strerror(other));
		EXPECT_EQ(0, o.bad_errno) TH_LOG("open: %s", strerror(o.bad_errno));
		EXPECT_EQ(0, o.bad_answer);
		ASSERT_EQ(0, err) TH_LOG("rmmod after the opens: %s", strerror(err));
		refused += o.refused;
		ul_gone(_metadata);
		ul_reload(_metadata);
	}
	/* the opener ran on past an unload at least once */
	EXPECT_LT(0UL, refused);
}

/*
 * The unload undoes every memory range (SPEC §6): ours and any another
 * program left (memrange_backend_test leaves two for this). The PAT table
 * afterwards is the one before, less exactly those ranges' entries; after
 * the reload no software slot is active.
 */
TEST_F_TIMEOUT(unload, unload_undoes_ranges, 30)
{
	static struct mru_pat before[512], after[512];
	struct mem_range_desc *d;
	uint64_t hole, base[256], len[256];
	int fd = open(_PATH_BSDMEM, O_RDONLY | O_CLOEXEC), n, nb, na, i, j;
	int nours = 0, nsoft, slots;
	char backend[16];

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, mru_backend(backend, sizeof(backend)));
	if (strcmp(backend, "pat")) {
		close(fd);
		SKIP(return, "backend %s: PAT ranges only", backend);
	}
	ASSERT_EQ(0, mru_find_hole(&hole, false));
	ASSERT_EQ(0, mru_set(fd, MEMRANGE_SET_UPDATE, hole, UL_PG,
			     MDF_WRITECOMBINE, "mtunld"));
	slots = mru_slots();
	n = mru_get_all(fd, &d);
	ASSERT_LT(slots, n);
	for (i = n - slots; i < n; i++)
		if (d[i].mr_flags & MDF_ACTIVE) {
			base[nours] = d[i].mr_base;
			len[nours++] = d[i].mr_len;
		}
	free(d);
	close(fd);
	nb = mru_pat_list(before, 512);
	ASSERT_LT(0, nb);
	ASSERT_EQ(0, ul_rmmod());
	na = mru_pat_list(after, 512);
	/* drop from "before" one entry per range of ours */
	for (j = 0; j < nours; j++) {
		for (i = 0; i < nb; i++)
			if (before[i].start == base[j] &&
			    before[i].end == base[j] + len[j])
				break;
		EXPECT_LT(i, nb) TH_LOG("no PAT entry for range %#llx/%#llx",
					(unsigned long long)base[j],
					(unsigned long long)len[j]);
		if (i < nb)
			memmove(&before[i], &before[i + 1],
				(--nb - i) * sizeof(before[0]));
	}
	TH_LOG("%d ranges undone; PAT entries %d after", nours, na);
	EXPECT_LE(1, nours);
	ASSERT_EQ(nb, na);
	for (i = 0; i < nb; i++) {
		EXPECT_TRUE(before[i].start == after[i].start &&
			    before[i].end == after[i].end &&
			    !strcmp(before[i].type, after[i].type))
			TH_LOG("entry %d: %#llx-%#llx %s, now %#llx-%#llx %s", i,
			       (unsigned long long)before[i].start,
			       (unsigned long long)before[i].end, before[i].type,
			       (unsigned long long)after[i].start,
			       (unsigned long long)after[i].end, after[i].type);
	}
	ul_reload(_metadata);
	fd = open(_PATH_BSDMEM, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, fd);
	n = mru_get_all(fd, &d);
	for (i = n - slots, nsoft = 0; i < n; i++)
		nsoft += !!(d[i].mr_flags & MDF_ACTIVE);
	EXPECT_EQ(0, nsoft);
	free(d);
	close(fd);
}

TEST_HARNESS_MAIN
