// SPDX-License-Identifier: GPL-2.0
/*
 * Live dumps for the host's debuggers: this program takes the dumps and
 * writes down what they must show; scripts/host-checks/debuggers converts
 * each with `minidump elf` and opens it with drgn and crash against
 * Debian's debug vmlinux (scripts/debugger-check.sh). Here only what the
 * guest can know is asserted: the ioctl succeeded, the facts are complete
 * and still true after the dump.
 *
 * Into $BSDMEM_SHARE/debugger/ (else /tmp/debugger/), per dump, first
 * DUMP.facts (the format is debugger-check.sh's), then the dump DUMP:
 *   release=  uname -r            version=  /proc/version's line
 *   marker=   a unique line written to /dev/kmsg just before the ioctl
 *   pid= comm=  this process, the one that dumps
 *   paddr= bytes=  a page of random bytes: its physical address and its
 *             first 64 bytes in hex
 *   tasks=    the tasks (threads) under /proc/PID/task, counted just before
 *             the facts are written (the host's drgn walk must reach it)
 * kernel.zst: a kernel-only zstd dump, in every boot that runs this. User
 * pages are not in such a dump, so its page of random bytes is the value
 * of a one-page mmapable BPF array (vmalloc'ed kernel memory), located
 * with MEM_EXTRACT_PADDR through this process's mapping of it. (A pipe's
 * buffer, found by scanning RAM for its bytes, was ambiguous: a freed page
 * can keep a stale copy.)
 * allram.raw: an ALLRAM raw dump (a RAM-sized file), in the nopat boot
 * only (scripts/host-checks/debuggers expects it there); its page is an
 * mlock'ed user page, located with MEM_EXTRACT_PADDR.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/utsname.h>

#include <sys/kerneldump.h>
#include <sys/memrange.h>

#include "bsdmem_harness.h"
#include "mdview.h"

#define PG		4096
#define NBYTES		64	/* of the page, in the facts */
#define ALLRAM_BOOT	"nopat"	/* also in scripts/host-checks/debuggers */

FIXTURE(debugger) {
	int dev;
	char dir[512];
};

FIXTURE_SETUP(debugger)
{
	if (geteuid())
		SETUP_SKIP("must run as root");
	self->dev = open(_PATH_BSDMEM, O_RDONLY);
	if (self->dev < 0)
		SETUP_SKIP("%s missing: is bsdmem loaded?", _PATH_BSDMEM);
	snprintf(self->dir, sizeof(self->dir), "%s/debugger", mdv_outdir());
	if (mkdir(self->dir, 0755) && errno != EEXIST)
		TH_LOG("mkdir %s: %s", self->dir, strerror(errno));
}

FIXTURE_TEARDOWN(debugger)
{
	close(self->dev);
}

/* @s without its trailing newline (and CR). */
static void chomp(char *s)
{
	size_t n = strlen(s);

	while (n && (s[n - 1] == '\n' || s[n - 1] == '\r'))
		s[--n] = 0;
}

/* The physical address of user address @p (MEM_EXTRACT_PADDR), or 0. */
static uint64_t user_paddr(int dev, const void *p)
{
	struct mem_extract me;

	if (bt_extract(dev, (uintptr_t)p, 0, -1, &me) ||
	    me.me_state != ME_STATE_MAPPED)
		return 0;
	return me.me_paddr;
}

/* The tasks (threads) in /proc now, or -1. */
static int count_tasks(void)
{
	char path[300];
	struct dirent *p, *t;
	DIR *proc, *task;
	int n = 0;

	proc = opendir("/proc");
	if (!proc)
		return -1;
	while ((p = readdir(proc))) {
		if (p->d_name[0] < '1' || p->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/task", p->d_name);
		task = opendir(path);
		if (!task)
			continue;	/* it exited meanwhile */
		while ((t = readdir(task)))
			if (t->d_name[0] >= '1' && t->d_name[0] <= '9')
				n++;
		closedir(task);
	}
	closedir(proc);
	return n;
}

/*
 * Write @dir/@dump.facts (before the dump): every fact, the marker line
 * being @marker, the page at @paddr holding @page.
 */
static int write_facts(const char *dir, const char *dump, const char *marker,
		       uint64_t paddr, const uint8_t *page)
{
	char path[600], version[512] = "", comm[64] = "";
	struct utsname u;
	FILE *f;
	int i, tasks = count_tasks();

	if (tasks < 1 || uname(&u) || bt_read_file("/proc/version", version,
				     sizeof(version)) <= 0 ||
	    bt_read_file("/proc/self/comm", comm, sizeof(comm)) <= 0)
		return -1;
	chomp(version);
	chomp(comm);
	snprintf(path, sizeof(path), "%s/%s.facts", dir, dump);
	f = fopen(path, "w");
	if (!f)
		return -1;
	fprintf(f, "dump=%s\nrelease=%s\nversion=%s\nmarker=%s\npid=%d\n"
		"comm=%s\ntasks=%d\npaddr=%#" PRIx64 "\nbytes=", dump, u.release,
		version, marker, (int)getpid(), comm, tasks, paddr);
	for (i = 0; i < NBYTES; i++)
		fprintf(f, "%02x", page[i]);
	fputc('\n', f);
	if (fflush(f) || fsync(fileno(f))) {
		fclose(f);
		return -1;
	}
	return fclose(f) ? -1 : 0;
}

/* Every key of a facts file has a non-empty value. */
static const char *facts_complete(const char *dir, const char *dump)
{
	static const char *const keys[] = {
		"dump=", "release=", "version=", "marker=", "pid=", "comm=",
		"tasks=", "paddr=", "bytes=",
	};
	char path[600], text[2048], *line;
	unsigned int k;

	snprintf(path, sizeof(path), "%s/%s.facts", dir, dump);
	if (bt_read_file(path, text, sizeof(text)) <= 0)
		return "unreadable";
	for (k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
		line = text;
		while (line && strncmp(line, keys[k], strlen(keys[k]))) {
			line = strchr(line, '\n');
			line = line ? line + 1 : NULL;
		}
		if (!line || line[strlen(keys[k])] == '\n' ||
		    !line[strlen(keys[k])])
			return keys[k];
	}
	return MDV_OK;
}

/* A line for /dev/kmsg that no other run writes. */
static void make_marker(char *buf, size_t size, const char *dump)
{
	uint8_t r[8];
	char hex[17];
	int i;

	if (getrandom(r, sizeof(r), 0) != sizeof(r))
		memset(r, 0, sizeof(r));
	for (i = 0; i < 8; i++)
		sprintf(hex + 2 * i, "%02x", r[i]);
	snprintf(buf, size, "debugger_test: marker %s, pid %d, before %s",
		 hex, (int)getpid(), dump);
}

static int kmsg(const char *line)
{
	int fd = open("/dev/kmsg", O_WRONLY | O_CLOEXEC);
	ssize_t n = fd < 0 ? -1 : write(fd, line, strlen(line));

	if (fd >= 0)
		close(fd);
	return n == (ssize_t)strlen(line) ? 0 : -1;
}

/* Dump to @dir/@name; the facts are written first, then the marker. */
static void take_dump(struct __test_metadata *_metadata, int dev,
		      const char *dir, const char *name, int flags, int comp,
		      uint64_t paddr, const uint8_t *page)
{
	char path[600], marker[160];
	struct stat st;
	int fd;

	make_marker(marker, sizeof(marker), name);
	ASSERT_EQ(0, write_facts(dir, name, marker, paddr, page));
	ASSERT_STREQ(MDV_OK, facts_complete(dir, name));
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, kmsg(marker));
	EXPECT_EQ(0, mdv_dump(dev, fd, flags, comp));
	EXPECT_EQ(0, fsync(fd));
	ASSERT_EQ(0, fstat(fd, &st));
	close(fd);
	EXPECT_LT(PG, st.st_size);
	TH_LOG("%s: %lld bytes, page of random bytes at %#" PRIx64,
	       path, (long long)st.st_size, paddr);
}

/* The page at @pa still holds @page (read through /dev/bsdmem). */
static bool page_still(int dev, uint64_t pa, const uint8_t *page)
{
	uint8_t now[PG];

	return pread(dev, now, PG, pa) == PG && !memcmp(now, page, PG);
}

/*
 * The kernel-only zstd dump; its page of random bytes is a BPF array's
 * value, kernel memory that this process maps too.
 */
TEST_F_TIMEOUT(debugger, kernel_zstd, 300)
{
	uint64_t pa;
	uint8_t *k;
	int map;

	map = bt_bpf_page();
	ASSERT_LE(0, map) TH_LOG("BPF_MAP_CREATE: %s", strerror(errno));
	k = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED, map, 0);
	ASSERT_NE(MAP_FAILED, k);
	ASSERT_EQ(PG, getrandom(k, PG, 0));
	pa = user_paddr(self->dev, k);
	ASSERT_NE(0ULL, pa);
	take_dump(_metadata, self->dev, self->dir, "kernel.zst", 0,
		  KERNELDUMP_COMP_ZSTD, pa, k);
	/* The facts still hold: the page is where they say. */
	EXPECT_TRUE(page_still(self->dev, pa, k));
	munmap(k, PG);
	close(map);
}

/*
 * The ALLRAM raw dump (nopat boot only: see the head comment); its page
 * of random bytes is an mlock'ed user page.
 */
TEST_F_TIMEOUT(debugger, allram_raw, 600)
{
	uint64_t pa;
	uint8_t *buf;

	if (!bt_boot_is(ALLRAM_BOOT))
		SKIP(return, "the ALLRAM dump is the %s boot's (a RAM-sized file)",
		     ALLRAM_BOOT);
	buf = bt_alloc_pinned(PG);
	ASSERT_NE(NULL, buf);
	ASSERT_EQ(PG, getrandom(buf, PG, 0));
	pa = user_paddr(self->dev, buf);
	ASSERT_NE(0ULL, pa);
	take_dump(_metadata, self->dev, self->dir, "allram.raw",
		  MEM_KERNELDUMP_ALLRAM, KERNELDUMP_COMP_NONE, pa, buf);
	/* Not migrated during the dump: the facts still hold. */
	EXPECT_EQ(pa, user_paddr(self->dev, buf));
	EXPECT_TRUE(page_still(self->dev, pa, buf));
	bt_free_pinned(buf, PG);
}

TEST_HARNESS_MAIN
