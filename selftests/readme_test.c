// SPDX-License-Identifier: GPL-2.0
/*
 * README.md's examples that need bsdmem, run as shipped: the blocks tagged
 * "guest" (scripts/readme-examples.sh writes them into the image's /readme,
 * or $BSDMEM_README) run under `sh -e -o pipefail` with the tools
 * ($BSDMEM_TOOLS, else /tools) on PATH, in a fresh directory, and what they
 * print is checked against what the kernel says on its own. The README's
 * `ssh host 'cat > core'` is run here: an `ssh` first on PATH drops the
 * host name and runs the command locally, so the stream really goes
 * through a pipe into `core`. selftests/host/readme_test.sh checks that
 * every guest block has a test here.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/memrange.h>

#include "bsdmem_harness.h"

#define OUT_MAX		(1 << 20)
#define CRASH_DIR	"/var/crash"
#define BACKEND		"/sys/class/misc/bsdmem/memrange_backend"
#define DIR_MAX		256	/* the directories below */
#define PATH_LEN	(DIR_MAX + 64)

/* The stand-in for ssh: "ssh HOST COMMAND..." runs COMMAND here. */
static const char ssh_shim[] =
	"#!/bin/sh\n"
	"# the README's remote end, run on this machine\n"
	"shift\n"
	"exec sh -c \"$*\"\n";

FIXTURE(readme) {
	char dir[DIR_MAX];	/* the block's working directory */
	char examples[DIR_MAX];
	char tools[DIR_MAX];
	char *out;		/* what the block printed, NUL-terminated */
	int status;		/* its exit status, 128 + signal if killed */
};

static void env_dir(char *buf, const char *var, const char *dflt)
{
	const char *d = getenv(var);

	snprintf(buf, DIR_MAX, "%s", d && *d ? d : dflt);
}

/* Reads a whole (small) file into buf, NUL-terminated; bytes or -1. */
static ssize_t slurp(const char *path, char *buf, size_t size)
{
	ssize_t n, len = 0;
	int fd = open(path, O_RDONLY);

	if (fd < 0)
		return -1;
	while ((size_t)len < size - 1 &&
	       (n = read(fd, buf + len, size - 1 - len)) > 0)
		len += n;
	close(fd);
	buf[len] = '\0';
	return len;
}

/* Runs the README block NAME in self->dir; output in self->out. */
static void run_block(struct __test_metadata *_metadata,
		      FIXTURE_DATA(readme) *self, const char *name)
{
	char block[PATH_LEN], cmd[6 * PATH_LEN], out[PATH_LEN];
	int st;

	snprintf(block, sizeof(block), "%s/%s", self->examples, name);
	ASSERT_EQ(0, access(block, R_OK))
		TH_LOG("%s: %s (is the README block in the image?)", block,
		       strerror(errno));
	snprintf(out, sizeof(out), "%s/out", self->dir);
	snprintf(cmd, sizeof(cmd),
		 "cd '%s' && PATH='%s/bin:%s':\"$PATH\" sh -e -o pipefail '%s' >'%s' 2>&1",
		 self->dir, self->dir, self->tools, block, out);
	st = system(cmd);
	self->status = WIFEXITED(st) ? WEXITSTATUS(st) :
		       WIFSIGNALED(st) ? 128 + WTERMSIG(st) : -1;
	ASSERT_LE(0, slurp(out, self->out, OUT_MAX));
	/* Shown as TAP comments: a line of it could read "ok ...". */
	fprintf(stderr, "# %s printed (exit %d):\n", name, self->status);
	for (const char *p = self->out; *p; ) {
		size_t n = strcspn(p, "\n");

		fprintf(stderr, "#   %.*s\n", (int)n, p);
		p += n + (p[n] == '\n');
	}
}

FIXTURE_SETUP(readme)
{
	char shim[PATH_LEN];
	FILE *f;

	if (geteuid())
		SETUP_SKIP("needs root (CAP_SYS_RAWIO)");
	if (access("/dev/bsdmem", F_OK))
		SETUP_SKIP("no /dev/bsdmem: module not loaded");
	env_dir(self->examples, "BSDMEM_README", "/readme");
	env_dir(self->tools, "BSDMEM_TOOLS", "/tools");
	self->out = malloc(OUT_MAX);
	ASSERT_NE(NULL, self->out);
	snprintf(self->dir, sizeof(self->dir), "/tmp/readme.XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->dir));
	snprintf(shim, sizeof(shim), "%s/bin", self->dir);
	ASSERT_EQ(0, mkdir(shim, 0755));
	strncat(shim, "/ssh", sizeof(shim) - strlen(shim) - 1);
	f = fopen(shim, "w");
	ASSERT_NE(NULL, f);
	fputs(ssh_shim, f);
	ASSERT_EQ(0, fclose(f));
	ASSERT_EQ(0, chmod(shim, 0755));
}

FIXTURE_TEARDOWN(readme)
{
	char cmd[PATH_LEN];

	if (self->dir[0]) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", self->dir);
		if (system(cmd))
			TH_LOG("could not remove %s", self->dir);
	}
	free(self->out);
}

/* The number of active descriptors, as MEMRANGE_GET gives them. */
static int active_ranges(void)
{
	struct mem_range_op op = { .mo_desc = NULL, .mo_arg = { 0, 0 } };
	struct mem_range_desc *d;
	int fd = open("/dev/bsdmem", O_RDONLY), n = -1, i;

	if (fd < 0 || ioctl(fd, MEMRANGE_GET, &op))
		goto out;
	d = calloc(op.mo_arg[0] + 1, sizeof(*d));
	op.mo_desc = d;
	if (d && !ioctl(fd, MEMRANGE_GET, &op))
		for (n = 0, i = 0; i < op.mo_arg[0]; i++)
			n += !!(d[i].mr_flags & MDF_ACTIVE);
	free(d);
out:
	if (fd >= 0)
		close(fd);
	return n;
}

/* Lines of text that look like memcontrol list's: 0xBASE/0xLEN OWNER ... */
static int range_lines(const char *text)
{
	unsigned long long base, len;
	const char *p = text;
	int n = 0;

	for (; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		n += sscanf(p, "0x%llx/0x%llx ", &base, &len) == 2;
	return n;
}

/* Lines of text that start with prefix. */
static int lines_starting(const char *text, const char *prefix)
{
	const char *p = text;
	int n = 0;

	for (; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		n += !strncmp(p, prefix, strlen(prefix));
	return n;
}

/*
 * first-look.sh: modprobe (already loaded: nothing to do), the two
 * character devices, the backend sysfs names, and one memcontrol line per
 * active range MEMRANGE_GET counts.
 */
TEST_F_TIMEOUT(readme, first_look_sh, 60)
{
	char backend[32], line[64];
	int active = active_ranges();

	run_block(_metadata, self, "first-look.sh");
	EXPECT_EQ(0, self->status);
	EXPECT_NE(NULL, strstr(self->out, "/dev/bsdmem\n"));
	EXPECT_NE(NULL, strstr(self->out, "/dev/bsdkmem\n"));
	EXPECT_EQ(2, lines_starting(self->out, "crw")) TH_LOG("two character devices");
	ASSERT_LT(0, slurp(BACKEND, backend, sizeof(backend)));
	snprintf(line, sizeof(line), "\n%s", backend);
	EXPECT_NE(NULL, strstr(self->out, line)) TH_LOG("backend %s not shown", backend);
	ASSERT_LT(0, active) TH_LOG("MEMRANGE_GET: %s", strerror(errno));
	EXPECT_EQ(active, range_lines(self->out));
}

/*
 * livedump.sh: a zstd dump into /var/crash, checked, its info file, the
 * banner read out of it equal to /proc/version's, its kernel log, and the
 * streamed dump in ./core, which must pass minidump check with its trailer.
 */
TEST_F_TIMEOUT(readme, livedump_sh, 400)
{
	char version[256], core[PATH_LEN], cmd[4 * PATH_LEN], check[512];
	struct stat st;

	/* The block writes there; dumps of someone else's must not mix in. */
	ASSERT_NE(0, lstat(CRASH_DIR, &st)) TH_LOG(CRASH_DIR " exists already");
	run_block(_metadata, self, "livedump.sh");
	if (system("rm -rf " CRASH_DIR))
		TH_LOG("could not remove " CRASH_DIR);
	EXPECT_EQ(0, self->status);
	EXPECT_NE(NULL, strstr(self->out, "bsdlivedump: livecore.0.zst: "));
	EXPECT_NE(NULL, strstr(self->out, "before compression) in "));
	EXPECT_NE(NULL, strstr(self->out, "\nok: zstd, no trailer, body "));
	EXPECT_NE(NULL, strstr(self->out, "\nCompression: zstd\n"));
	EXPECT_NE(NULL, strstr(self->out, "\nFile: livecore.0.zst\n"));
	/* linux_banner's first 64 bytes are /proc/version's. */
	ASSERT_LE(64, slurp("/proc/version", version, sizeof(version)));
	version[64] = '\0';
	EXPECT_NE(NULL, strstr(self->out, version)) TH_LOG("no \"%s\"", version);

	snprintf(core, sizeof(core), "%s/core", self->dir);
	ASSERT_EQ(0, stat(core, &st)) TH_LOG("no %s: %s", core, strerror(errno));
	EXPECT_LT(4096, st.st_size);
	snprintf(cmd, sizeof(cmd), "'%s/minidump' check '%s' >'%s/check' 2>&1",
		 self->tools, core, self->dir);
	EXPECT_EQ(0, system(cmd));
	snprintf(core, sizeof(core), "%s/check", self->dir);
	ASSERT_LT(0, slurp(core, check, sizeof(check)));
	EXPECT_EQ(0, strncmp(check, "ok: zstd, trailer, ", 19)) TH_LOG("%s", check);
}

TEST_HARNESS_MAIN
