// SPDX-License-Identifier: GPL-2.0
/*
 * What a user of an installed bsdmem meets, in the guest. README's porting
 * example, built static on the host against a DESTDIR install through
 * pkg-config ("make port-example" puts it beside this program as
 * port-example; a missing one fails), runs, exits 0 and prints. The module
 * (/sys/module/bsdmem/version, from MODULE_VERSION), the tools' --version
 * ($BSDMEM_TOOLS or /tools) and the info.N that bsdlivedump writes all say
 * one version.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "bsdmem_harness.h"

#define MODVER		"/sys/module/bsdmem/version"
#define OUT_SIZE	8192

/* One run of a program: exit status (128 + signal if killed), its output. */
struct run {
	int status;
	char out[OUT_SIZE];
	char err[OUT_SIZE];
};

static void tool_path(char *buf, const char *name)
{
	const char *d = getenv("BSDMEM_TOOLS");

	snprintf(buf, PATH_MAX, "%s/%s", d && *d ? d : "/tools", name);
}

static void slurp_fd(int fd, char *buf)
{
	int n = (int)pread(fd, buf, OUT_SIZE - 1, 0);

	buf[n > 0 ? n : 0] = '\0';
	close(fd);
}

/*
 * Runs bin with argv (argv[0] first, NULL last), stdin /dev/null; stdout
 * into r->out, stderr into r->err.
 */
static void run(const char *bin, char *const argv[], struct run *r)
{
	int out = memfd_create("out", 0), err = memfd_create("err", 0), st;
	pid_t pid;

	r->status = -1;
	r->out[0] = r->err[0] = '\0';
	if (out < 0 || err < 0)
		return;
	fflush(NULL);
	pid = fork();
	if (!pid) {
		int null = open("/dev/null", O_RDWR);

		dup2(null, 0);
		dup2(out, 1);
		dup2(err, 2);
		execv(bin, argv);
		_exit(127);
	}
	if (pid > 0 && waitpid(pid, &st, 0) == pid)
		r->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	slurp_fd(out, r->out);
	slurp_fd(err, r->err);
}

/* The first line of a small file, without its newline; 0 or -1. */
static int first_line(const char *path, char *buf, size_t size)
{
	FILE *f = fopen(path, "r");
	bool ok;

	if (!f)
		return -1;
	ok = fgets(buf, (int)size, f) != NULL;
	fclose(f);
	buf[ok ? strcspn(buf, "\n") : 0] = '\0';
	return ok ? 0 : -1;
}

FIXTURE(rel) {
	char modver[128];
	char tmp[PATH_MAX];
};

FIXTURE_SETUP(rel)
{
	if (geteuid())
		SETUP_SKIP("needs root (CAP_SYS_RAWIO)");
	/* The guest always loads bsdmem: no device means it failed to. */
	ASSERT_EQ(0, access("/dev/bsdmem", F_OK))
		TH_LOG("no /dev/bsdmem: the module did not load");
	ASSERT_EQ(0, first_line(MODVER, self->modver, sizeof(self->modver)))
		TH_LOG("%s: %s (no MODULE_VERSION?)", MODVER, strerror(errno));
	ASSERT_NE('\0', self->modver[0]);
	TH_LOG("bsdmem %s", self->modver);
}

FIXTURE_TEARDOWN(rel)
{
	char path[PATH_MAX + 16];
	const char *names[] = { "info.0", "info.last", "livecore.0.zst",
				"livecore.last", "bounds" };

	if (!self->tmp[0])
		return;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", self->tmp, names[i]);
		unlink(path);
	}
	rmdir(self->tmp);
}

/* README's example, as a porter builds it, works on the real devices. */
TEST_F(rel, port_example_runs)
{
	char bin[PATH_MAX], *slash;
	char *argv[] = { (char *)"port-example", NULL };
	struct run r;
	ssize_t n;

	n = readlink("/proc/self/exe", bin, sizeof(bin) - 32);
	ASSERT_LT(0, n);
	bin[n] = '\0';
	slash = strrchr(bin, '/');
	ASSERT_NE(NULL, slash);
	strcpy(slash + 1, "port-example");
	ASSERT_EQ(0, access(bin, X_OK))
		TH_LOG("%s: %s (make port-example builds it)", bin,
		       strerror(errno));
	run(bin, argv, &r);
	TH_LOG("port-example: exit %d, output: %s%s", r.status, r.out, r.err);
	EXPECT_EQ(0, r.status);
	EXPECT_NE('\0', r.out[0]) TH_LOG("port-example printed nothing");
}

/* memcontrol, bsdlivedump and minidump say the module's version. */
TEST_F(rel, tools_say_the_module_version)
{
	const char *tools[] = { "memcontrol", "bsdlivedump", "minidump" };
	char bin[PATH_MAX], want[256];
	char *argv[] = { NULL, (char *)"--version", NULL };
	struct run r;

	for (size_t i = 0; i < sizeof(tools) / sizeof(tools[0]); i++) {
		tool_path(bin, tools[i]);
		argv[0] = (char *)tools[i];
		run(bin, argv, &r);
		snprintf(want, sizeof(want), "%s (bsdmem) %s\n", tools[i],
			 self->modver);
		EXPECT_EQ(0, r.status) TH_LOG("%s --version: %s", bin, r.err);
		EXPECT_STREQ(want, r.out);
	}
}

/* The info.N of a live dump names the version that wrote it. */
TEST_F_TIMEOUT(rel, info_names_the_version, 150)
{
	char bin[PATH_MAX], path[PATH_MAX + 16], want[256], text[4096];
	char *argv[] = { (char *)"bsdlivedump", (char *)"-Z", self->tmp, NULL };
	struct run r;
	ssize_t n;
	int fd;

	strcpy(self->tmp, "/tmp/release_test.XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->tmp));
	tool_path(bin, "bsdlivedump");
	run(bin, argv, &r);
	ASSERT_EQ(0, r.status) TH_LOG("bsdlivedump -Z %s: %s", self->tmp, r.err);
	snprintf(path, sizeof(path), "%s/info.0", self->tmp);
	fd = open(path, O_RDONLY);
	ASSERT_LE(0, fd) TH_LOG("%s: %s", path, strerror(errno));
	n = read(fd, text, sizeof(text) - 1);
	close(fd);
	ASSERT_LT(0, n);
	text[n] = '\0';
	snprintf(want, sizeof(want), "\nBsdmemversion: %s\n", self->modver);
	EXPECT_NE(NULL, strstr(text, want)) TH_LOG("info.0:\n%s", text);
}

TEST_HARNESS_MAIN
