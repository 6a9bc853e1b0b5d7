// SPDX-License-Identifier: GPL-2.0
/*
 * libbsdkvm (lib/kvm) in the guest, used the way a FreeBSD kvm(3) tool
 * uses it: kvm_openfiles(NULL, NULL, NULL, O_RDONLY, errbuf) reads the
 * running kernel through /dev/bsdkmem, kvm_nlist() finds linux_banner,
 * init_uts_ns, avenrun and nr_cpu_ids where /proc/kallsyms has them, the
 * banner reads as /proc/version, the load averages as /proc/loadavg, an
 * unknown symbol is counted and left 0, a bad address is -1 with a text,
 * and kvm_write() works only with writable=1. Then a kernel-only dump in
 * each codec, taken while the host name was one only those dumps hold:
 * kvm_open2() on each (symbols from a resolver over /proc/kallsyms) gives
 * that name, the banner, and the same answers whatever the codec;
 * kvm_walk_pages() visits the pages `minidump info` counts; /proc/kallsyms
 * as the execfile of a dump (run-time addresses) is not moved twice.
 * kvm_kerndisp() is KERNELOFFSET, which on x86-64 is _text's distance from
 * where Debian's kernels are linked, live and in the dumps. The zstd dump
 * goes to $BSDMEM_SHARE/bsdkvm/kvm.zst with what tools/kvminfo must print
 * of it (kvm.zst.expect): the host reads it there with the kernel's debug
 * vmlinux as the symbol file (scripts/host-checks/kvm).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/utsname.h>

#include <sys/kerneldump.h>
#include <sys/memrange.h>

#include "bsdmem_harness.h"
#include "kvm.h"
#include "mdview.h"

#define UTS_LEN		65	/* __NEW_UTS_LEN + 1: new_utsname's fields */
#define UTS_SIZE	(6 * UTS_LEN)
/* Debian's x86-64 kernels are linked with _text at __START_KERNEL. */
#define LINK_TEXT	0xffffffff81000000ull

struct sym {
	const char *name;
	uint64_t va;
};

/* /proc/kallsyms's address of @name, or 0. */
static uint64_t kallsyms(const char *name)
{
	uint64_t va = 0;

	bt_kallsyms(name, NULL, &va);
	return va;
}

/* kvm_open2()'s resolver: /proc/kallsyms, the running kernel's addresses. */
static int resolve(const char *name, kvaddr_t *addr)
{
	*addr = kallsyms(name);
	return *addr ? 0 : -1;
}

static int read_line(const char *path, char *buf, size_t len)
{
	ssize_t n = bt_read_file(path, buf, len);

	if (n <= 0)
		return -1;
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

/* nr_cpu_ids: one more than the last CPU in the possible mask. */
static int possible_cpus(void)
{
	char buf[64], *last;

	if (read_line("/sys/devices/system/cpu/possible", buf, sizeof(buf)))
		return -1;
	last = strrchr(buf, '-');
	last = last ? last + 1 : buf;
	if (strrchr(last, ','))
		last = strrchr(last, ',') + 1;
	return atoi(last) + 1;
}

FIXTURE(live) {
	kvm_t *kd;
	char hostname[UTS_LEN];
	bool restore;
};

FIXTURE_SETUP(live)
{
	char errbuf[_POSIX2_LINE_MAX] = "";

	if (geteuid())
		SETUP_SKIP("must run as root");
	if (access(_PATH_BSDKMEM, F_OK))
		SETUP_SKIP("%s missing: is bsdmem loaded?", _PATH_BSDKMEM);
	ASSERT_EQ(0, gethostname(self->hostname, sizeof(self->hostname)));
	self->kd = kvm_openfiles(NULL, NULL, NULL, O_RDONLY, errbuf);
	ASSERT_NE(NULL, self->kd) TH_LOG("kvm_openfiles: %s", errbuf);
}

FIXTURE_TEARDOWN(live)
{
	bt_set_writable(0);
	if (self->restore)
		sethostname(self->hostname, strlen(self->hostname));
	if (self->kd)
		kvm_close(self->kd);
}

/*
 * kvm_nlist() of three symbols /proc/kallsyms has, one with FreeBSD's
 * leading underscore, and one nobody has: 1 not found, its n_value 0, the
 * others where kallsyms says; the banner and init_uts_ns read as the
 * kernel reports them.
 */
TEST_F(live, nlist_and_read)
{
	struct nlist nl[] = {
		{ .n_name = "linux_banner" },
		{ .n_name = "_init_uts_ns" },
		{ .n_name = "avenrun" },
		{ .n_name = "bsdkvm_test_no_such_symbol", .n_value = 0xdead },
		{ .n_name = NULL },
	};
	char version[512] = "", banner[512] = "", uts[UTS_SIZE];
	struct utsname u;

	ASSERT_EQ(1, kvm_nlist(self->kd, nl)) TH_LOG("%s", kvm_geterr(self->kd));
	EXPECT_EQ(kallsyms("linux_banner"), nl[0].n_value);
	EXPECT_EQ(kallsyms("init_uts_ns"), nl[1].n_value);
	EXPECT_EQ(kallsyms("avenrun"), nl[2].n_value);
	EXPECT_EQ(0UL, nl[3].n_value);
	EXPECT_EQ(N_UNDF, nl[3].n_type);
	ASSERT_NE(0UL, nl[0].n_value);
	ASSERT_NE(0UL, nl[1].n_value);

	ASSERT_LT(0, bt_read_file("/proc/version", version,
				  sizeof(version) - 1));
	ASSERT_EQ((ssize_t)strlen(version),
		  kvm_read(self->kd, nl[0].n_value, banner, strlen(version)))
		TH_LOG("%s", kvm_geterr(self->kd));
	EXPECT_STREQ(version, banner);

	ASSERT_EQ(0, uname(&u));
	ASSERT_EQ((ssize_t)sizeof(uts),
		  kvm_read2(self->kd, nl[1].n_value, uts, sizeof(uts)));
	EXPECT_STREQ(u.sysname, uts);
	EXPECT_STREQ(u.nodename, uts + UTS_LEN);
	EXPECT_STREQ(u.release, uts + 2 * UTS_LEN);
}

/* The three load averages of /proc/loadavg: 0, or -1. */
static int proc_loadavg(double la[3])
{
	char line[128];

	if (read_line("/proc/loadavg", line, sizeof(line)) ||
	    sscanf(line, "%lf %lf %lf", &la[0], &la[1], &la[2]) != 3)
		return -1;
	return 0;
}

/*
 * /proc/loadavg prints avenrun rounded to hundredths; the kernel updates it
 * every 5 s. A reading between two equal /proc/loadavg lines (tried until
 * they are) is within a hundredth of them.
 */
TEST_F(live, loadavg_and_cpus)
{
	double want[3], again[3], la[3] = { -1, -1, -1 };
	int i, tries;

	for (tries = 0; tries < 20; tries++) {
		ASSERT_EQ(0, proc_loadavg(want));
		ASSERT_EQ(3, kvm_getloadavg(self->kd, la, 3))
			TH_LOG("%s", kvm_geterr(self->kd));
		ASSERT_EQ(0, proc_loadavg(again));
		if (!memcmp(want, again, sizeof(want)))
			break;
	}
	for (i = 0; i < 3; i++) {
		TH_LOG("load %d: kvm %.4f, /proc/loadavg %.2f", i, la[i], want[i]);
		EXPECT_TRUE(la[i] >= want[i] - 0.0051 && la[i] <= want[i] + 0.0051);
	}
	EXPECT_EQ(possible_cpus(), kvm_getmaxcpu(self->kd));
}

/* KERNELOFFSET of the live VMCOREINFO: _text minus its link address. */
TEST_F(live, kerndisp)
{
	EXPECT_EQ((kssize_t)(kallsyms("_text") - LINK_TEXT),
		  kvm_kerndisp(self->kd)) TH_LOG("%s", kvm_geterr(self->kd));
}

/* /dev/null as the core, as FreeBSD's ps passes it: symbols, no memory. */
TEST(null_core_symbols_only)
{
	struct nlist nl[] = { { .n_name = "linux_banner" }, { .n_name = NULL } };
	char errbuf[_POSIX2_LINE_MAX] = "", buf[8];
	kvm_t *kd;

	kd = kvm_openfiles(NULL, "/dev/null", NULL, O_RDONLY, errbuf);
	ASSERT_NE(NULL, kd) TH_LOG("%s", errbuf);
	EXPECT_EQ(0, kvm_nlist(kd, nl)) TH_LOG("%s", kvm_geterr(kd));
	EXPECT_EQ(kallsyms("linux_banner"), nl[0].n_value);
	EXPECT_EQ(-1, kvm_read(kd, nl[0].n_value, buf, sizeof(buf)));
	EXPECT_NE(NULL, strstr(kvm_geterr(kd), "/dev/null"));
	EXPECT_EQ(0, kvm_close(kd));
}

/* A user address and a non-canonical one: -1, and kvm_geterr() says why. */
TEST_F(live, bad_address)
{
	char buf[16];

	EXPECT_EQ(-1, kvm_read(self->kd, 0x10000UL, buf, sizeof(buf)));
	EXPECT_NE(0, kvm_geterr(self->kd)[0]);
	TH_LOG("user address: %s", kvm_geterr(self->kd));
	EXPECT_EQ(-1, kvm_read2(self->kd, 0x8000000000000000ULL, buf,
				sizeof(buf)));
	EXPECT_NE(NULL, strstr(kvm_geterr(self->kd), "0x8000000000000000"));
}

static int count_any(struct kvm_page *p, void *closure)
{
	(void)p;
	(*(int *)closure)++;
	return 1;
}

/* The running kernel has no page list: 0 (FreeBSD's failure), a text. */
TEST_F(live, walk_pages_dumps_only)
{
	int n = 0;

	EXPECT_EQ(0, kvm_walk_pages(self->kd, count_any, &n));
	EXPECT_EQ(0, n);
	EXPECT_NE(0, kvm_geterr(self->kd)[0]);
}

/*
 * kvm_write() on an O_RDWR handle: refused (EPERM) while writable=0; with
 * writable=1 a new host name written into init_uts_ns is what
 * gethostname() returns.
 */
TEST_F(live, write_needs_writable)
{
	static const char name[] = "BSDKVMTEST";
	char errbuf[_POSIX2_LINE_MAX] = "", got[UTS_LEN] = "";
	uint64_t uts = kallsyms("init_uts_ns");
	kvm_t *rw;

	ASSERT_NE(0ULL, uts);
	ASSERT_EQ(0, bt_set_writable(0));
	rw = kvm_openfiles(NULL, NULL, NULL, O_RDWR, errbuf);
	ASSERT_NE(NULL, rw) TH_LOG("kvm_openfiles O_RDWR: %s", errbuf);
	self->restore = true;
	EXPECT_EQ(-1, kvm_write(rw, uts + UTS_LEN, name, sizeof(name)));
	EXPECT_NE(NULL, strstr(kvm_geterr(rw), strerror(EPERM)))
		TH_LOG("%s", kvm_geterr(rw));
	ASSERT_EQ(0, gethostname(got, sizeof(got)));
	EXPECT_STREQ(self->hostname, got);

	ASSERT_EQ(0, bt_set_writable(1));
	EXPECT_EQ((ssize_t)sizeof(name),
		  kvm_write(rw, uts + UTS_LEN, name, sizeof(name)))
		TH_LOG("%s", kvm_geterr(rw));
	ASSERT_EQ(0, gethostname(got, sizeof(got)));
	EXPECT_STREQ(name, got);
	EXPECT_EQ(-1, kvm_write(self->kd, uts + UTS_LEN, name, sizeof(name)));
	kvm_close(rw);
}

/* ---- a kernel-only dump in each codec ---- */

#define DUMP_HOST	"bsdkvm-dump"

struct answers {
	uint64_t banner_va, uts_va, avenrun_va;
	char banner[512];
	char uts[UTS_SIZE];
	double la[3];
	int maxcpu;
	int64_t disp;
	uint64_t walked;
};

struct walk {
	uint64_t n, last, bad;
	uint64_t dmapbase;
};

static int count_page(struct kvm_page *p, void *closure)
{
	struct walk *w = closure;

	if (p->kp_version != LIBKVM_WALK_PAGES_VERSION ||
	    (w->n && p->kp_paddr <= w->last) || p->kp_len != 4096 ||
	    (p->kp_paddr & 4095) || p->kp_dmap_vaddr < p->kp_paddr)
		w->bad++;
	if (!w->n)
		w->dmapbase = p->kp_dmap_vaddr - p->kp_paddr;
	else if (p->kp_dmap_vaddr - p->kp_paddr != w->dmapbase)
		w->bad++;
	w->last = p->kp_paddr;
	w->n++;
	return 1;
}

static void ask(struct __test_metadata *_metadata, const char *path,
		struct answers *a)
{
	struct kvm_nlist nl[] = {
		{ .n_name = "linux_banner" },
		{ .n_name = "init_uts_ns" },
		{ .n_name = "avenrun" },
		{ .n_name = "bsdkvm_test_no_such_symbol" },
		{ .n_name = NULL },
	};
	char errbuf[_POSIX2_LINE_MAX] = "";
	struct walk w = { 0 };
	kvm_t *kd;

	kd = kvm_open2(NULL, path, O_RDONLY, errbuf, resolve);
	ASSERT_NE(NULL, kd) TH_LOG("kvm_open2 %s: %s", path, errbuf);
	EXPECT_EQ(1, kvm_nlist2(kd, nl)) TH_LOG("%s", kvm_geterr(kd));
	a->banner_va = nl[0].n_value;
	a->uts_va = nl[1].n_value;
	a->avenrun_va = nl[2].n_value;
	EXPECT_EQ(0ULL, nl[3].n_value);
	EXPECT_EQ((ssize_t)sizeof(a->banner) - 1,
		  kvm_read2(kd, a->banner_va, a->banner, sizeof(a->banner) - 1))
		TH_LOG("%s", kvm_geterr(kd));
	a->banner[sizeof(a->banner) - 1] = '\0';
	EXPECT_EQ((ssize_t)sizeof(a->uts),
		  kvm_read2(kd, a->uts_va, a->uts, sizeof(a->uts)))
		TH_LOG("%s", kvm_geterr(kd));
	EXPECT_EQ(3, kvm_getloadavg(kd, a->la, 3)) TH_LOG("%s", kvm_geterr(kd));
	a->maxcpu = kvm_getmaxcpu(kd);
	a->disp = kvm_kerndisp(kd);
	EXPECT_EQ(-1, kvm_write(kd, a->uts_va, "x", 1));
	EXPECT_EQ(1, kvm_walk_pages(kd, count_page, &w))
		TH_LOG("%s", kvm_geterr(kd));
	EXPECT_EQ(0ULL, w.bad);
	a->walked = w.n;
	EXPECT_EQ(mdv_info_field(path, "pages.dumped"), w.n);
	EXPECT_EQ(0, kvm_close(kd));
}

/*
 * /proc/kallsyms as a dump's execfile: run-time addresses, which the
 * dump's SYMBOL(init_uts_ns) shows need no KASLR slide (adding
 * KERNELOFFSET would move them twice).
 */
static void execfile_kallsyms(struct __test_metadata *_metadata,
			      const char *path, uint64_t banner_va)
{
	struct kvm_nlist nl[] = { { .n_name = "linux_banner" },
				  { .n_name = NULL } };
	char errbuf[_POSIX2_LINE_MAX] = "";
	kvm_t *kd;

	kd = kvm_openfiles("/proc/kallsyms", path, NULL, O_RDONLY, errbuf);
	ASSERT_NE(NULL, kd) TH_LOG("%s: %s", path, errbuf);
	EXPECT_EQ(0, kvm_nlist2(kd, nl)) TH_LOG("%s", kvm_geterr(kd));
	EXPECT_EQ(banner_va, nl[0].n_value);
	EXPECT_EQ(kallsyms("linux_banner"), nl[0].n_value);
	kvm_close(kd);
}

/*
 * The zstd dump and kvminfo's expected output of it into the share, for
 * the host (scripts/host-checks/kvm). The load averages are the ones read
 * here from the same file: the host must read the same.
 */
static void to_share(struct __test_metadata *_metadata, const char *path,
		     const struct answers *a, const char *release,
		     const char *version)
{
	const char *share = getenv("BSDMEM_SHARE");
	char dir[512], dst[600];
	struct stat st;
	int in, out;
	off_t off = 0;
	FILE *f;

	if (!share || !*share)
		return;		/* run by hand: nothing for a host */
	snprintf(dir, sizeof(dir), "%s/bsdkvm", share);
	ASSERT_TRUE(!mkdir(dir, 0755) || errno == EEXIST);
	snprintf(dst, sizeof(dst), "%s/kvm.zst", dir);
	in = open(path, O_RDONLY);
	ASSERT_LE(0, in);
	ASSERT_EQ(0, fstat(in, &st));
	out = open(dst, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	ASSERT_LE(0, out);
	while (off < st.st_size)
		if (sendfile(out, in, &off, st.st_size - off) <= 0)
			break;
	close(in);
	ASSERT_EQ(0, close(out));
	ASSERT_EQ(st.st_size, off);
	snprintf(dst, sizeof(dst), "%s/kvm.zst.expect", dir);
	f = fopen(dst, "w");
	ASSERT_NE(NULL, f);
	fprintf(f, "release: %s\nhostname: %s\nbanner: %.*s\n"
		"loadavg: %.2f %.2f %.2f\nmaxcpu: %d\nkerndisp: %#llx\n",
		release, DUMP_HOST, (int)strcspn(version, "\n"), version,
		a->la[0], a->la[1], a->la[2], a->maxcpu,
		(unsigned long long)a->disp);
	ASSERT_EQ(0, fclose(f));
}

/*
 * Three dumps (raw, gzip, zstd) taken while the host name is DUMP_HOST,
 * which is put back before they are read: what libbsdkvm reads from each
 * is the kernel as it was then, and the same from all three.
 */
FIXTURE(dump) {
	int dev;
	char host[UTS_LEN];
	char path[3][256];
};

/*
 * The dumps go to the scratch disk (three kernel-only dumps, and the
 * reader spools a compressed one there too: TMPDIR), not to tmpfs.
 */
FIXTURE_SETUP(dump)
{
	const char *dir = getenv("BSDMEM_DISK");
	int i;

	if (geteuid())
		SETUP_SKIP("must run as root");
	self->dev = open(_PATH_BSDMEM, O_RDONLY);
	if (self->dev < 0)
		SETUP_SKIP("%s missing: is bsdmem loaded?", _PATH_BSDMEM);
	ASSERT_TRUE(dir && *dir) TH_LOG("no BSDMEM_DISK: the dumps need a disk");
	ASSERT_EQ(0, setenv("TMPDIR", dir, 1));
	ASSERT_EQ(0, gethostname(self->host, sizeof(self->host)));
	for (i = 0; i < 3; i++)
		snprintf(self->path[i], sizeof(self->path[i]), "%s/bsdkvm.%d",
			 dir, i);
}

FIXTURE_TEARDOWN(dump)
{
	int i;

	if (self->host[0])
		sethostname(self->host, strlen(self->host));
	for (i = 0; i < 3; i++)
		if (self->path[i][0])
			unlink(self->path[i]);
	close(self->dev);
}

TEST_F_TIMEOUT(dump, answers_each_codec, 300)
{
	static const int codecs[] = { KERNELDUMP_COMP_NONE,
				      KERNELDUMP_COMP_GZIP,
				      KERNELDUMP_COMP_ZSTD };
	char version[512] = "", (*path)[256] = self->path;
	const char *host = self->host;
	struct answers a[3];
	struct utsname u;
	int fd, i, err;

	ASSERT_EQ(0, uname(&u));
	ASSERT_LT(0, bt_read_file("/proc/version", version,
				  sizeof(version) - 1));
	memset(a, 0, sizeof(a));
	for (i = 0; i < 3; i++) {
		fd = open(path[i], O_RDWR | O_CREAT | O_TRUNC, 0600);
		ASSERT_LE(0, fd);
		ASSERT_EQ(0, sethostname(DUMP_HOST, strlen(DUMP_HOST)));
		err = mdv_dump(self->dev, fd, 0, codecs[i]);
		sethostname(host, strlen(host));
		close(fd);
		ASSERT_EQ(0, err) TH_LOG("dump %d: %s", i, strerror(err));
	}
	for (i = 0; i < 3; i++) {
		ask(_metadata, path[i], &a[i]);
		TH_LOG("%s: banner at 0x%" PRIx64 ", %d CPUs, load %.2f, "
		       "KASLR 0x%" PRIx64 ", %" PRIu64 " pages", path[i],
		       a[i].banner_va, a[i].maxcpu, a[i].la[0],
		       (uint64_t)a[i].disp, a[i].walked);
		EXPECT_EQ(0, strncmp(version, a[i].banner, strlen(version)));
		EXPECT_STREQ(u.sysname, a[i].uts);
		EXPECT_STREQ(DUMP_HOST, a[i].uts + UTS_LEN);
		EXPECT_STREQ(u.release, a[i].uts + 2 * UTS_LEN);
		EXPECT_EQ(possible_cpus(), a[i].maxcpu);
		EXPECT_EQ((int64_t)(kallsyms("_text") - LINK_TEXT), a[i].disp);
		EXPECT_TRUE(a[i].la[0] >= 0 && a[i].la[0] < 1000);
		if (i) {
			EXPECT_EQ(a[0].banner_va, a[i].banner_va);
			EXPECT_EQ(0, memcmp(a[0].uts, a[i].uts, sizeof(a[i].uts)));
			EXPECT_EQ(a[0].maxcpu, a[i].maxcpu);
			EXPECT_EQ(a[0].disp, a[i].disp);
		}
	}
	execfile_kallsyms(_metadata, path[2], a[2].banner_va);
	to_share(_metadata, path[2], &a[2], u.release, version);
}

TEST_HARNESS_MAIN
