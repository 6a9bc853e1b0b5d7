// SPDX-License-Identifier: GPL-2.0
/*
 * Kernel lockdown (SPEC §2): before any test runs, this program opens both
 * devices and maps a page, then raises lockdown to "integrity". New opens
 * and every operation on the old fds (read, write, mmap, kmem read, ioctl)
 * must then be EPERM; then "confidentiality" and a subset again. Lockdown
 * cannot be lowered: this is the last program of the lockdown boot.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/kerneldump.h>

#include "bsdmem_harness.h"

/*
 * The per-test timeouts add up to the program's 360 s in selftests/suites:
 * 12 tests of the harness's 30 s.
 */

#define SECURITYFS	"/sys/kernel/security"
#define LOCKDOWN	SECURITYFS "/lockdown"

/*
 * State made before lockdown, inherited by every test's forked child. The
 * harness gives no hook between its argument parsing and the first test,
 * so a constructor does the one-time step of this (inherently sequential)
 * program.
 */
static struct {
	int mem, kmem;			/* O_RDWR, opened before lockdown */
	unsigned char *buf;		/* pinned page with a pattern */
	uint64_t paddr;
	uint64_t banner;
	void *map;			/* mapping of buf, made before lockdown */
	bool other_boot;		/* not the lockdown boot: every test skips */
	char why[128];			/* why setup failed, if it did */
} pre = { .mem = -1, .kmem = -1 };

/* True if lockdown's current level (in brackets) is level. */
static bool lockdown_is(const char *level)
{
	char v[128], want[40];

	if (bt_read_file(LOCKDOWN, v, sizeof(v)) <= 0)
		return false;
	snprintf(want, sizeof(want), "[%s]", level);
	return strstr(v, want) != NULL;
}

static int raise_lockdown(const char *level)
{
	if (lockdown_is(level))
		return 0;
	return bt_write_file(LOCKDOWN, level);
}

static void __attribute__((constructor)) before_lockdown(void)
{
	struct mem_extract me = { 0 };

	/*
	 * Lockdown cannot be undone: never raise it outside its test boot.
	 * That is the one reason to skip; in the lockdown boot (root, the
	 * module loaded) every step below must work, and a step that fails
	 * fails every test.
	 */
	if (!bt_boot_is("lockdown")) {
		pre.other_boot = true;
		snprintf(pre.why, sizeof(pre.why),
			 "raises lockdown for good: runs only with BSDMEM_BOOT=lockdown");
		return;
	}
	if (geteuid() || access(_PATH_BSDMEM, F_OK)) {
		snprintf(pre.why, sizeof(pre.why), "needs root and %s: %s",
			 _PATH_BSDMEM, strerror(errno));
		return;
	}
	pre.mem = open(_PATH_BSDMEM, O_RDWR);
	pre.kmem = open(_PATH_BSDKMEM, O_RDWR);
	pre.buf = bt_alloc_pinned(BT_PAGE_SIZE);
	if (pre.mem < 0 || pre.kmem < 0 || !pre.buf ||
	    bt_kallsyms("linux_banner", NULL, &pre.banner)) {
		snprintf(pre.why, sizeof(pre.why), "setup before lockdown: %s",
			 strerror(errno));
		return;
	}
	bt_fill(pre.buf, BT_PAGE_SIZE, 21);
	if (bt_extract(pre.mem, (uintptr_t)pre.buf, 0, 0, &me) ||
	    me.me_state != ME_STATE_MAPPED) {
		snprintf(pre.why, sizeof(pre.why),
			 "MEM_EXTRACT_PADDR before lockdown: %s, me_state %d",
			 strerror(errno), me.me_state);
		return;
	}
	pre.paddr = me.me_paddr;
	pre.map = mmap(NULL, BT_PAGE_SIZE, PROT_READ, MAP_SHARED, pre.mem,
		       (off_t)pre.paddr);
	if (pre.map == MAP_FAILED) {
		snprintf(pre.why, sizeof(pre.why), "mmap before lockdown: %s",
			 strerror(errno));
		return;
	}
	if (mount("none", SECURITYFS, "securityfs", 0, NULL) && errno != EBUSY) {
		snprintf(pre.why, sizeof(pre.why), "mount securityfs: %s",
			 strerror(errno));
		return;
	}
	if (raise_lockdown("integrity"))
		snprintf(pre.why, sizeof(pre.why), "cannot raise lockdown: %s",
			 strerror(errno));
}

/*
 * Every fixture's setup: skip outside the lockdown boot, fail there when
 * the state before lockdown could not be made.
 */
#define PRE_LOCKDOWN_READY() do { \
	if (pre.other_boot) \
		SETUP_SKIP("%s", pre.why); \
	ASSERT_EQ('\0', pre.why[0]) TH_LOG("%s", pre.why); \
} while (0)

FIXTURE(integrity) {
};

FIXTURE_SETUP(integrity)
{
	PRE_LOCKDOWN_READY();
	ASSERT_TRUE(lockdown_is("integrity") || lockdown_is("confidentiality"));
}

FIXTURE_TEARDOWN(integrity)
{
	bt_set_writable(0);
}

/* New opens of either device are EPERM (LOCKDOWN_DEV_MEM). */
TEST_F(integrity, open_eperm)
{
	ASSERT_EQ(-1, open(_PATH_BSDMEM, O_RDONLY));
	ASSERT_EQ(EPERM, errno);
	ASSERT_EQ(-1, open(_PATH_BSDKMEM, O_RDONLY));
	ASSERT_EQ(EPERM, errno);
}

/* Sanity: the kernel's own /dev/mem is refused the same way. */
TEST_F(integrity, devmem_open_eperm)
{
	ASSERT_EQ(-1, open("/dev/mem", O_RDONLY));
	ASSERT_EQ(EPERM, errno);
}

/* An fd opened before lockdown no longer reads. */
TEST_F(integrity, old_fd_read_eperm)
{
	unsigned char b[16];

	ASSERT_EQ(-1, pread(pre.mem, b, sizeof(b), pre.paddr));
	ASSERT_EQ(EPERM, errno);
	ASSERT_EQ(-1, pread(pre.mem, b, sizeof(b), 0xf0000));
	ASSERT_EQ(EPERM, errno);
}

/* ... nor writes, even with writable=1. */
TEST_F(integrity, old_fd_write_eperm)
{
	unsigned char before[16];

	memcpy(before, pre.buf, sizeof(before));
	ASSERT_EQ(0, bt_set_writable(1));
	ASSERT_EQ(-1, pwrite(pre.mem, "lockdown", 8, pre.paddr));
	ASSERT_EQ(EPERM, errno);
	ASSERT_EQ(0, memcmp(before, pre.buf, sizeof(before)));
}

/* ... nor maps. */
TEST_F(integrity, old_fd_mmap_eperm)
{
	ASSERT_TRUE(mmap(NULL, BT_PAGE_SIZE, PROT_READ, MAP_SHARED, pre.mem,
			 (off_t)pre.paddr) == MAP_FAILED);
	ASSERT_EQ(EPERM, errno);
}

/* An old /dev/bsdkmem fd no longer reads kernel memory. */
TEST_F(integrity, old_kmem_read_eperm)
{
	char b[16];

	ASSERT_EQ(-1, bt_kread(pre.kmem, pre.banner, b, sizeof(b)));
	ASSERT_EQ(EPERM, errno);
}

/* ... nor writes it. */
TEST_F(integrity, old_kmem_write_eperm)
{
	ASSERT_EQ(0, bt_set_writable(1));
	ASSERT_EQ(-1, bt_kwrite(pre.kmem, pre.banner, "Linux", 5));
	ASSERT_EQ(EPERM, errno);
}

/* The ioctl is refused on old fds of both devices. */
TEST_F(integrity, old_fd_ioctl_eperm)
{
	struct mem_extract me;

	ASSERT_EQ(-1, bt_extract(pre.mem, (uintptr_t)pre.buf, 0, 0, &me));
	ASSERT_EQ(EPERM, errno);
	ASSERT_EQ(-1, bt_extract(pre.kmem, (uintptr_t)pre.buf, 0, 0, &me));
	ASSERT_EQ(EPERM, errno);
}

/* MEMRANGE_GET and MEMRANGE_SET are refused on old fds too. */
TEST_F(integrity, old_fd_memrange_eperm)
{
	struct mem_range_desc d = {
		.mr_base = 0x40000000, .mr_len = 0x1000,
		.mr_flags = MDF_WRITECOMBINE, .mr_owner = "lock",
	};
	struct mem_range_op op = { .mo_desc = &d };

	ASSERT_EQ(-1, ioctl(pre.mem, MEMRANGE_GET, &op));
	ASSERT_EQ(EPERM, errno);
	op.mo_arg[0] = MEMRANGE_SET_UPDATE;
	ASSERT_EQ(-1, ioctl(pre.kmem, MEMRANGE_SET, &op));
	ASSERT_EQ(EPERM, errno);
}

/* MEM_KERNELDUMP is refused on old fds, before anything is written. */
TEST_F(integrity, old_fd_kerneldump_eperm)
{
	struct mem_livedump_arg arg = { .compression = KERNELDUMP_COMP_NONE };
	struct stat st;

	arg.fd = open("/tmp/lockdown.core", O_RDWR | O_CREAT | O_TRUNC, 0600);
	ASSERT_LE(0, arg.fd);
	ASSERT_EQ(-1, ioctl(pre.mem, MEM_KERNELDUMP, &arg));
	ASSERT_EQ(EPERM, errno);
	ASSERT_EQ(-1, ioctl(pre.kmem, MEM_KERNELDUMP, &arg));
	ASSERT_EQ(EPERM, errno);
	ASSERT_EQ(0, fstat(arg.fd, &st));
	ASSERT_EQ(0, st.st_size);
	close(arg.fd);
	unlink("/tmp/lockdown.core");
}

FIXTURE(confidentiality) {
};

FIXTURE_SETUP(confidentiality)
{
	PRE_LOCKDOWN_READY();
	ASSERT_EQ(0, raise_lockdown("confidentiality"))
		TH_LOG("cannot raise lockdown to confidentiality: %s",
		       strerror(errno));
	ASSERT_TRUE(lockdown_is("confidentiality"));
}

FIXTURE_TEARDOWN(confidentiality)
{
}

/* The stricter level refuses opens too. */
TEST_F(confidentiality, open_eperm)
{
	ASSERT_EQ(-1, open(_PATH_BSDMEM, O_RDWR));
	ASSERT_EQ(EPERM, errno);
	ASSERT_EQ(-1, open(_PATH_BSDKMEM, O_RDWR));
	ASSERT_EQ(EPERM, errno);
}

/* Old fds: read, kmem read and ioctl stay refused. */
TEST_F(confidentiality, old_fds_eperm)
{
	struct mem_extract me;
	unsigned char b[16];

	ASSERT_EQ(-1, pread(pre.mem, b, sizeof(b), pre.paddr));
	ASSERT_EQ(EPERM, errno);
	ASSERT_EQ(-1, bt_kread(pre.kmem, pre.banner, b, sizeof(b)));
	ASSERT_EQ(EPERM, errno);
	ASSERT_EQ(-1, bt_extract(pre.mem, (uintptr_t)pre.buf, 0, 0, &me));
	ASSERT_EQ(EPERM, errno);
}

TEST_HARNESS_MAIN
