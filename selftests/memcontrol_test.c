// SPDX-License-Identifier: GPL-2.0
/*
 * memcontrol end to end (SPEC §9): runs the memcontrol binary
 * ($BSDMEM_TOOLS/memcontrol, else /tools/memcontrol) and checks its output
 * line by line against MEMRANGE_GET, that set and clear change the ranges,
 * and its error messages and exit codes.
 */
#define _FILE_OFFSET_BITS 64
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "bsdmem_harness.h"
#include "memrange_util.h"

#define OUT_SIZE	65536
#define PG		0x1000ULL

/* One run of memcontrol. */
struct mct_run {
	int status;		/* exit status, or -1 if it did not exit */
	char out[OUT_SIZE];
	char err[OUT_SIZE];
};

FIXTURE(mc) {
	int fd;
	char bin[256];
	char backend[16];
	uint64_t hole;
	struct mct_run r;
};

/* Read all of a memfd into buf. */
static void mct_slurp(int mfd, char *buf)
{
	ssize_t n = pread(mfd, buf, OUT_SIZE - 1, 0);

	buf[n > 0 ? n : 0] = '\0';
	close(mfd);
}

/* Run bin with the NULL-terminated args (after argv[0]); output into r. */
static void mct_runv(const char *bin, struct mct_run *r,
		     const char *const *args)
{
	char *argv[32] = { (char *)"memcontrol" };
	int out = memfd_create("out", 0), err = memfd_create("err", 0), st;
	pid_t pid;

	for (int n = 0; n < 30 && args[n]; n++)
		argv[n + 1] = (char *)args[n];
	r->status = -1;
	r->out[0] = r->err[0] = '\0';
	if (out < 0 || err < 0)
		return;
	fflush(NULL);
	pid = fork();
	if (!pid) {
		dup2(out, 1);
		dup2(err, 2);
		execv(bin, argv);
		_exit(127);
	}
	if (pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st))
		r->status = WEXITSTATUS(st);
	mct_slurp(out, r->out);
	mct_slurp(err, r->err);
}

/* The same with the arguments listed, ending with NULL. */
static void mct_run(const char *bin, struct mct_run *r, ...)
{
	const char *args[31];
	va_list ap;
	int n = 0;

	va_start(ap, r);
	while (n < 30 && (args[n] = va_arg(ap, const char *)))
		n++;
	va_end(ap);
	args[n] = NULL;
	mct_runv(bin, r, args);
}

/* The line SPEC §9 wants for a descriptor, appended to buf. */
static void mct_format(const struct mem_range_desc *d, char *buf, size_t size)
{
	static const struct { int flag; const char *word; } w[] = {
		{ MDF_UNCACHEABLE, "uncacheable" },
		{ MDF_WRITECOMBINE, "write-combine" },
		{ MDF_WRITETHROUGH, "write-through" },
		{ MDF_WRITEBACK, "write-back" },
		{ MDF_WRITEPROTECT, "write-protect" },
		{ MDF_FORCE, "force" },
		{ MDF_UNKNOWN, "unknown" },
		{ MDF_FIXBASE, "fixed-base" },
		{ MDF_FIXLEN, "fixed-length" },
		{ MDF_FIRMWARE, "set-by-firmware" },
		{ MDF_ACTIVE, "active" },
		{ MDF_BOGUS, "bogus" },
	};
	size_t len = strlen(buf);

	len += snprintf(buf + len, size - len, "0x%llx/0x%llx %.8s ",
			(unsigned long long)d->mr_base,
			(unsigned long long)d->mr_len,
			d->mr_owner[0] ? d->mr_owner : "-");
	for (size_t i = 0; i < sizeof(w) / sizeof(w[0]) && len < size; i++)
		if (d->mr_flags & w[i].flag)
			len += snprintf(buf + len, size - len, "%s ", w[i].word);
	if (len < size)
		snprintf(buf + len, size - len, "\n");
}

/* What "list" should print, from GET: active only unless all; owner filter. */
static int mct_expected(int fd, bool all, const char *owner, char *buf)
{
	struct mem_range_desc *d;
	int n = mru_get_all(fd, &d), lines = 0;

	buf[0] = '\0';
	for (int i = 0; i < n; i++) {
		if (!all && !(d[i].mr_flags & MDF_ACTIVE))
			continue;
		if (owner && strncmp(d[i].mr_owner, owner, 8))
			continue;
		mct_format(&d[i], buf, OUT_SIZE);
		lines++;
	}
	free(d);
	return n < 0 ? n : lines;
}

/* Is the active range base/len there with this owner? */
static bool mct_has(int fd, uint64_t base, uint64_t len, const char *owner)
{
	struct mem_range_desc *d;
	int n = mru_get_all(fd, &d);
	bool found = false;

	for (int i = 0; i < n; i++)
		found |= (d[i].mr_flags & MDF_ACTIVE) && d[i].mr_base == base &&
			 d[i].mr_len == len && !strncmp(d[i].mr_owner, owner, 8);
	free(d);
	return found;
}

FIXTURE_SETUP(mc)
{
	const char *dir = getenv("BSDMEM_TOOLS");

	self->fd = -1;
	snprintf(self->bin, sizeof(self->bin), "%s/memcontrol",
		 dir ? dir : "/tools");
	if (geteuid())
		SETUP_SKIP("must run as root");
	/* The tool is part of the image: missing, it is a failure. */
	ASSERT_EQ(0, access(self->bin, X_OK))
		TH_LOG("%s not found (set BSDMEM_TOOLS)", self->bin);
	self->fd = open(_PATH_BSDMEM, O_RDONLY | O_CLOEXEC);
	if (self->fd < 0)
		SETUP_SKIP("open %s: %s", _PATH_BSDMEM, strerror(errno));
	ASSERT_EQ(0, mru_backend(self->backend, sizeof(self->backend)));
	if (!strcmp(self->backend, "none"))
		return;
	if (mru_find_hole(&self->hole, false))
		SETUP_SKIP("no unused 1 MiB in a PCI window of /proc/iomem");
}

/* Remove what the tests set (owners "mc*" and the default "user"). */
FIXTURE_TEARDOWN(mc)
{
	struct mem_range_desc *d;
	int n;

	if (self->fd < 0)
		return;
	n = mru_get_all(self->fd, &d);
	for (int i = 0; i < n; i++)
		if ((d[i].mr_flags & MDF_ACTIVE) &&
		    !(d[i].mr_flags & (MDF_BUSY | MDF_FIXACTIVE)) &&
		    (!strncmp(d[i].mr_owner, "mc", 2) ||
		     !strcmp(d[i].mr_owner, "user")))
			mru_set_desc(self->fd, MEMRANGE_SET_REMOVE, &d[i]);
	free(d);
	close(self->fd);
}

#define NEED_RANGES() do { \
	if (!strcmp(self->backend, "none")) \
		SKIP(return, "no memory ranges with the none backend"); \
} while (0)

/* "list" prints the active descriptors of GET in SPEC §9's format. */
TEST_F(mc, list_matches_get)
{
	static char want[OUT_SIZE];

	NEED_RANGES();
	ASSERT_LT(0, mct_expected(self->fd, false, NULL, want));
	mct_run(self->bin, &self->r, "list", NULL);
	EXPECT_EQ(0, self->r.status);
	EXPECT_STREQ(want, self->r.out);
	EXPECT_STREQ("", self->r.err);
}

/* "list -a" adds the inactive slots. */
TEST_F(mc, list_all_shows_inactive)
{
	static char want[OUT_SIZE];
	int n;

	NEED_RANGES();
	n = mct_expected(self->fd, true, NULL, want);
	ASSERT_EQ(mru_get_count(self->fd, 0), n);
	mct_run(self->bin, &self->r, "list", "-a", NULL);
	EXPECT_EQ(0, self->r.status);
	EXPECT_STREQ(want, self->r.out);
}

/* "list -o BIOS" shows only the firmware's ranges. */
TEST_F(mc, list_owner_filter)
{
	static char want[OUT_SIZE];

	NEED_RANGES();
	ASSERT_LE(0, mct_expected(self->fd, false, "BIOS", want));
	mct_run(self->bin, &self->r, "list", "-o", "BIOS", NULL);
	EXPECT_EQ(0, self->r.status);
	EXPECT_STREQ(want, self->r.out);
	mct_run(self->bin, &self->r, "list", "-o", "nobody", NULL);
	EXPECT_EQ(0, self->r.status);
	EXPECT_STREQ("", self->r.out);
}

/* "set" makes a range that "list" then shows; "clear -b -l" removes it. */
TEST_F(mc, set_list_clear)
{
	char b[32], line[128];

	NEED_RANGES();
	snprintf(b, sizeof(b), "0x%llx", (unsigned long long)self->hole);
	mct_run(self->bin, &self->r, "set", "-b", b, "-l", "0x1000", "-o",
		"mctest", "write-combine", NULL);
	ASSERT_EQ(0, self->r.status) TH_LOG("stderr: %s", self->r.err);
	EXPECT_STREQ("", self->r.out);
	EXPECT_TRUE(mct_has(self->fd, self->hole, PG, "mctest"));
	snprintf(line, sizeof(line), "\n%s/0x1000 mctest write-combine active \n",
		 b);
	mct_run(self->bin, &self->r, "list", NULL);
	EXPECT_NE(NULL, strstr(self->r.out, line + 1)) TH_LOG("%s", self->r.out);
	mct_run(self->bin, &self->r, "clear", "-b", b, "-l", "4096", NULL);
	EXPECT_EQ(0, self->r.status) TH_LOG("stderr: %s", self->r.err);
	EXPECT_FALSE(mct_has(self->fd, self->hole, PG, "mctest"));
}

/* Without -o the owner is "user". */
TEST_F(mc, set_default_owner_user)
{
	char b[32];

	NEED_RANGES();
	snprintf(b, sizeof(b), "%llu", (unsigned long long)self->hole);
	mct_run(self->bin, &self->r, "set", "-b", b, "-l", "0x1000",
		"write-combine", NULL);
	ASSERT_EQ(0, self->r.status) TH_LOG("stderr: %s", self->r.err);
	EXPECT_TRUE(mct_has(self->fd, self->hole, PG, "user"));
}

/* "clear -o" removes every range of that owner and no other. */
TEST_F(mc, clear_owner_removes_all_of_it)
{
	char b1[32], b2[32], b3[32];
	uint64_t h = self->hole;

	NEED_RANGES();
	snprintf(b1, sizeof(b1), "0x%llx", (unsigned long long)h);
	snprintf(b2, sizeof(b2), "0x%llx", (unsigned long long)(h + 0x10000));
	snprintf(b3, sizeof(b3), "0x%llx", (unsigned long long)(h + 0x20000));
	mct_run(self->bin, &self->r, "set", "-b", b1, "-l", "0x1000", "-o",
		"mctest", "write-combine", NULL);
	ASSERT_EQ(0, self->r.status) TH_LOG("stderr: %s", self->r.err);
	mct_run(self->bin, &self->r, "set", "-b", b2, "-l", "0x2000", "-o",
		"mctest", "write-combine", NULL);
	ASSERT_EQ(0, self->r.status) TH_LOG("stderr: %s", self->r.err);
	mct_run(self->bin, &self->r, "set", "-b", b3, "-l", "0x1000", "-o",
		"mcother", "write-combine", NULL);
	ASSERT_EQ(0, self->r.status) TH_LOG("stderr: %s", self->r.err);
	mct_run(self->bin, &self->r, "clear", "-o", "mctest", NULL);
	EXPECT_EQ(0, self->r.status) TH_LOG("stderr: %s", self->r.err);
	EXPECT_FALSE(mct_has(self->fd, h, PG, "mctest"));
	EXPECT_FALSE(mct_has(self->fd, h + 0x10000, 0x2000, "mctest"));
	EXPECT_TRUE(mct_has(self->fd, h + 0x20000, PG, "mcother"));
}

/* A range the kernel refuses (RAM): one message, exit status 1. */
TEST_F(mc, set_ram_fails)
{
	uint64_t ram;
	char b[32];

	NEED_RANGES();
	ASSERT_EQ(0, mru_find_ram(&ram));
	snprintf(b, sizeof(b), "0x%llx", (unsigned long long)ram);
	mct_run(self->bin, &self->r, "set", "-b", b, "-l", "0x1000",
		"write-back", NULL);
	EXPECT_EQ(1, self->r.status);
	EXPECT_STREQ("memcontrol: can't set range: Invalid argument\n",
		     self->r.err);
	EXPECT_STREQ("", self->r.out);
}

/* Clearing a range nobody set: ENOENT's message, exit status 1. */
TEST_F(mc, clear_unknown_fails)
{
	char b[32];

	NEED_RANGES();
	snprintf(b, sizeof(b), "0x%llx", (unsigned long long)self->hole);
	mct_run(self->bin, &self->r, "clear", "-b", b, "-l", "0x1000", NULL);
	EXPECT_EQ(1, self->r.status);
	EXPECT_STREQ("memcontrol: couldn't clear range: No such file or directory\n",
		     self->r.err);
}

/* Bad usage prints the usage and exits 2 without touching anything. */
TEST_F(mc, usage_errors_exit_2)
{
	static const char *const bad[][10] = {
		{ NULL },
		{ "bogus", NULL },
		{ "list", "-z", NULL },
		{ "list", "extra", NULL },
		{ "set", "-b", "0x20000000", "write-combine", NULL },
		{ "set", "-b", "0x20000000", "-l", "0", "write-combine", NULL },
		{ "set", "-b", "0x2000zz", "-l", "0x1000", "write-combine", NULL },
		{ "set", "-b", "0x20000000", "-l", "0x1000", "-o", "toolong8",
		  "write-combine", NULL },
		{ "set", "-b", "0x20000000", "-l", "0x1000", "active", NULL },
		{ "set", "-b", "0x20000000", "-l", "0x1000", NULL },
		{ "set", "-b", "0x20000000", "-l", "0x1000", "-o", "",
		  "write-combine", NULL },
		{ "clear", NULL },
		{ "clear", "-o", "mctest", "-b", "0x20000000", "-l", "0x1000",
		  NULL },
	};
	int before = mru_get_count(self->fd, 0);

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		mct_runv(self->bin, &self->r, bad[i]);
		EXPECT_EQ(2, self->r.status) TH_LOG("case %zu", i);
		EXPECT_NE(NULL, strstr(self->r.err, "usage:")) TH_LOG("case %zu", i);
		EXPECT_STREQ("", self->r.out) TH_LOG("case %zu", i);
	}
	if (before > 0) {
		EXPECT_FALSE(mct_has(self->fd, 0x20000000, PG, "user"));
	}
}

/*
 * Without MTRR and PAT, "list" reports the kernel's EOPNOTSUPP; with the
 * MTRRs disabled, its ENXIO.
 */
TEST_F(mc, list_without_backend_fails)
{
	if (strcmp(self->backend, "none"))
		SKIP(return, "backend is %s, not none", self->backend);
	mct_run(self->bin, &self->r, "list", NULL);
	EXPECT_EQ(1, self->r.status);
	EXPECT_STREQ(mru_mtrr_disabled() ?
		     "memcontrol: can't size range descriptor array: No such device or address\n" :
		     "memcontrol: can't size range descriptor array: Operation not supported\n",
		     self->r.err);
}

TEST_HARNESS_MAIN
