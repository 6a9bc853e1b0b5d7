// SPDX-License-Identifier: GPL-2.0
/*
 * Host tests for minidump(1) and libminidump, TAP on stdout: every valid
 * variant (4/5-level, raw/gzip/zstd, with/without trailer, file and pipe)
 * passes `check`; `read` returns the right bytes through each translation
 * path; `log` and `info`; corruptions live in corrupt.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include "internal.h"
#include "mdtest.h"

static const enum md_format fmts[] = { MD_FMT_RAW, MD_FMT_GZIP, MD_FMT_ZSTD };

struct variant {
	bool la57;
	enum md_format fmt;
	bool trailer;
	bool pipe;
};

static void check_ok(struct mdt *t, const uint8_t *f, size_t n,
		     const struct variant *v, const char *name)
{
	const char *args[] = { "check", v->pipe ? "-" : mdt_file(t, "v.dump", f, n), NULL };
	struct mdt_result r;
	char want[64];

	snprintf(want, sizeof(want), "ok: %s, %s, ", md_format_name(v->fmt),
		 v->trailer ? "trailer" : "no trailer");
	mdt_run(t, args, v->pipe ? f : NULL, n, &r);
	if (r.status || strncmp(r.out, want, strlen(want)))
		mdt_diag("exit %d, stdout: %s\nstderr: %s", r.status, r.out, r.err);
	mdt_ok(t, r.status == 0 && !strncmp(r.out, want, strlen(want)),
	       "check %s %d-level %s %s via %s", name, v->la57 ? 5 : 4,
	       md_format_name(v->fmt), v->trailer ? "trailer" : "no-trailer",
	       v->pipe ? "stdin" : "file");
	mdt_free(&r);
}

static void valid_tests(struct mdt *t)
{
	struct gen_layout lay;
	struct variant v;
	struct gen g;
	uint8_t *b, *f;
	size_t bl, fl;
	int la57, i, tr, p;

	for (la57 = 0; la57 < 2; la57++) {
		gen_init(&g, la57, 0);
		gen_body(&g, &b, &bl, &lay);
		for (i = 0; i < 3; i++)
			for (tr = 1; tr >= 0; tr--) {
				gen_pack(b, bl, fmts[i], tr, &f, &fl);
				for (p = 0; p < 2; p++) {
					v = (struct variant){ la57, fmts[i], tr, p };
					check_ok(t, f, fl, &v, "valid");
				}
				free(f);
			}
		free(b);
		gen_free(&g);
	}
	/* 303 ranges: dump_avail takes two pages. */
	gen_init(&g, false, 300);
	gen_body(&g, &b, &bl, &lay);
	for (i = 0; i < 3; i += 2) {
		gen_pack(b, bl, fmts[i], true, &f, &fl);
		v = (struct variant){ false, fmts[i], true, i == 2 };
		check_ok(t, f, fl, &v, "303-ranges");
		free(f);
	}
	free(b);
	gen_free(&g);
}

/* Reads va/len from the dump at path (or piped data) and compares. */
static void read_expect(struct mdt *t, const char *path, const uint8_t *f,
			size_t n, uint64_t va, const uint8_t *want, size_t len,
			const char *name)
{
	char a[32], l[32];
	const char *args[] = { "read", path, a, l, NULL };
	struct mdt_result r;
	bool ok;

	snprintf(a, sizeof(a), "0x%llx", (unsigned long long)va);
	snprintf(l, sizeof(l), "%zu", len);
	mdt_run(t, args, strcmp(path, "-") ? NULL : f, n, &r);
	ok = r.status == 0 && r.outlen == len && !memcmp(r.out, want, len);
	if (!ok)
		mdt_diag("exit %d, %zu bytes out, stderr: %s", r.status, r.outlen,
		       r.err);
	mdt_ok(t, ok, "read %s", name);
	mdt_free(&r);
}

static void read_fail(struct mdt *t, const char *path, const uint8_t *f,
		      size_t n, uint64_t va, const char *rule, const char *name)
{
	char a[32];
	const char *args[] = { "read", path, a, "16", NULL };
	struct mdt_result r;
	bool ok;

	snprintf(a, sizeof(a), "0x%llx", (unsigned long long)va);
	mdt_run(t, args, strcmp(path, "-") ? NULL : f, n, &r);
	ok = mdt_rule(&r, "read", rule) && r.outlen == 0;
	mdt_ok(t, ok, "read %s fails with %s", name, rule);
	mdt_free(&r);
}

static void two(const struct gen *g, uint64_t pa1, size_t n1, uint64_t pa2,
		size_t n2, uint8_t *out)
{
	if (!gen_lookup(g, pa1, out, n1) || !gen_lookup(g, pa2, out + n1, n2))
		abort();
}

static void read_tests_one(struct mdt *t, const struct gen *g, const char *path,
			   const uint8_t *f, size_t n, const char *tag)
{
	const struct gen_addrs *a = &g->a;
	uint8_t w[64];
	char name[96];

#define NAME(s) (snprintf(name, sizeof(name), "%s %s", tag, s), name)
	two(g, 0x3000ff0, 16, 0x3005000, 16, w);
	read_expect(t, path, f, n, a->k4k + 0xff0, w, 32, NAME("kernbase 4K across two PTEs"));
	read_expect(t, path, f, n, a->k2m, (const uint8_t *)"Linux version 6.1.0-mdtest", 26,
		    NAME("kernbase 2M leaf banner"));
	two(g, 0x4003010, 16, 0x4003020, 0, w);
	read_expect(t, path, f, n, a->k2m + 0x3010, w, 16, NAME("kernbase 2M leaf page 3"));
	two(g, 0x3100008, 16, 0x3100018, 0, w);
	read_expect(t, path, f, n, a->kmod + 8, w, 16, NAME("kernbase second pmap page"));
	two(g, 0x3000010, 16, 0x3000020, 0, w);
	read_expect(t, path, f, n, a->dmap + 0x10, w, 16, NAME("dmap"));
	two(g, 0x5000ffc, 4, 0x100002000ull, 4, w);
	read_expect(t, path, f, n, a->l4k + 0xffc, w, 8, NAME("linux walk 4K across pages"));
	two(g, 0x6001008, 16, 0x6001018, 0, w);
	read_expect(t, path, f, n, a->l2m + 0x1008, w, 16, NAME("linux walk 2M leaf"));
	two(g, 0x40004000, 32, 0x40004020, 0, w);
	read_expect(t, path, f, n, a->l1g + 0x1000, w, 32, NAME("linux walk 1G leaf"));
	read_fail(t, path, f, n, a->k_nopde, "not-mapped", NAME("kernbase PDE invalid"));
	read_fail(t, path, f, n, a->k_nopte, "not-mapped", NAME("kernbase PTE invalid"));
	read_fail(t, path, f, n, a->k_notdumped, "not-dumped", NAME("kernbase page not dumped"));
	read_fail(t, path, f, n, g->dmapbase + 0x3001000, "not-dumped", NAME("dmap page not dumped"));
	read_fail(t, path, f, n, g->dmapbase + 0xa0000, "not-dumped", NAME("dmap hole (not RAM)"));
	read_fail(t, path, f, n, a->l_unmapped, "not-mapped", NAME("linux walk unmapped"));
	read_fail(t, path, f, n, a->l_nopt, "not-dumped", NAME("linux walk PT page not dumped"));
	read_fail(t, path, f, n, 0x00007fff00000000ull, "not-mapped", NAME("user address"));
#undef NAME
}

static void hex_test(struct mdt *t, const struct gen *g, const char *path)
{
	char a[32];
	const char *args[] = { "read", "-x", path, a, "20", NULL };
	const char *want =
		"ffffffff81000000  4c 69 6e 75 78 20 76 65  72 73 69 6f 6e 20 36 2e  |Linux version 6.|\n"
		"ffffffff81000010  31 2e 30 2d                                       |1.0-|\n";
	struct mdt_result r;

	snprintf(a, sizeof(a), "0x%llx", (unsigned long long)g->a.k2m);
	mdt_run(t, args, NULL, 0, &r);
	if (strcmp(r.out, want))
		mdt_diag("got:\n%s", r.out);
	mdt_ok(t, r.status == 0 && !strcmp(r.out, want), "read -x hex dump format");
	mdt_free(&r);
}

static void log_info_tests(struct mdt *t, const struct gen *g, const char *path,
			   const uint8_t *f, size_t fl, bool la57, bool trailer,
			   const char *fmt)
{
	const uint8_t *data = strcmp(path, "-") ? NULL : f;
	const char *via = data ? " stdin" : "";
	const char *la = "log", *in = "info";
	const char *args[] = { la, path, NULL };
	char want[4][96];
	struct mdt_result r;
	char *text;
	bool ok;
	int i;

	mdt_run(t, args, data, fl, &r);
	mdt_ok(t, r.status == 0 && r.outlen == g->msglen &&
	       !memcmp(r.out, g->msgbuf, g->msglen), "log %s%s %d-level", fmt, via,
	       la57 ? 5 : 4);
	mdt_free(&r);
	args[0] = in;
	snprintf(want[0], 96, "\nformat: %s\n", fmt);
	snprintf(want[1], 96, "\nlinux.flags: 0x%s\n", la57 ? "1 (la57)" : "0");
	snprintf(want[2], 96, "\ndmapbase: 0x%llx\n", (unsigned long long)g->dmapbase);
	snprintf(want[3], 96, "\nlinux.pgtable_root: 0x%llx\n", (unsigned long long)g->root);
	mdt_run(t, args, data, fl, &r);
	/* A leading newline, so that "\nname: value\n" matches line 1 too. */
	text = malloc(r.outlen + 2);
	text[0] = '\n';
	memcpy(text + 1, r.out, r.outlen + 1);
	for (ok = r.status == 0, i = 0; i < 4; i++)
		ok = ok && strstr(text, want[i]);
	ok = ok && strstr(text, la57 ? "\nlinux.pgtable_levels: 5\n" :
				      "\nlinux.pgtable_levels: 4\n") &&
	     strstr(text, "\nvmcoreinfo.OSRELEASE: 6.1.0-mdtest\n") &&
	     strstr(text, "\nvmcoreinfo.KERNELOFFSET: 0x2000000\n") &&
	     strstr(text, la57 ? "\nvmcoreinfo.pgtable_l5_enabled: 1\n" :
				 "\nvmcoreinfo.pgtable_l5_enabled: 0\n");
	ok = ok && strstr(text, "\nkernbase: 0xffffffff80000000\n") &&
	     strstr(text, "\ndump_avail.1: 0x100000-0x80000000\n") &&
	     (trailer ? strstr(text, "\nkdh.architecture: amd64\n") &&
		       strstr(text, "\nkdh.hostname: mdtest-host\n") &&
		       strstr(text, "\ntrailer: yes\n") :
		       strstr(text, "\ntrailer: no\n") && !strstr(text, "kdh."));
	if (!ok)
		mdt_diag("info output:\n%s", r.out);
	free(text);
	mdt_ok(t, ok, "info %s%s %d-level", fmt, via, la57 ? 5 : 4);
	mdt_free(&r);
}

/* A child writing f into the FIFO path once; its pid, or -1. */
static pid_t fifo_writer(const char *path, const uint8_t *f, size_t fl)
{
	size_t done = 0;
	ssize_t n;
	pid_t pid = fork();
	int fd;

	if (pid)
		return pid;
	alarm(30);	/* a reader that never comes */
	fd = open(path, O_WRONLY);
	while (fd >= 0 && done < fl) {
		n = write(fd, f + done, fl - done);
		if (n < 0 && errno != EINTR)
			_exit(1);	/* EPIPE: the reader closed it early */
		done += n > 0 ? (size_t)n : 0;
	}
	_exit(fd >= 0 ? 0 : 1);
}

/*
 * CMD of a named FIFO: the writer's one stream is read to its end (opened
 * once: a second open would have cut it), and says what CMD of the same
 * bytes on stdin says.
 */
static void fifo_test(struct mdt *t, const char *cmd, const uint8_t *f,
		      size_t fl, const char *name)
{
	char path[300];
	const char *args[] = { cmd, path, NULL }, *piped[] = { cmd, "-", NULL };
	struct mdt_result r, want;
	int status = -1;
	pid_t pid;
	bool ok;

	snprintf(path, sizeof(path), "%s/in.fifo", t->dir);
	unlink(path);
	pid = mkfifo(path, 0600) ? -1 : fifo_writer(path, f, fl);
	if (pid < 0) {
		mdt_ok(t, false, "%s of a FIFO (%s): %s", cmd, name, strerror(errno));
		return;
	}
	t->timeout = 20;	/* a second open waits for a writer gone */
	mdt_run(t, args, NULL, 0, &r);
	t->timeout = 0;
	waitpid(pid, &status, 0);
	mdt_run(t, piped, f, fl, &want);
	ok = WIFEXITED(status) && WEXITSTATUS(status) == 0 && r.status == 0 &&
	     want.status == 0 && r.outlen == want.outlen &&
	     !memcmp(r.out, want.out, r.outlen);
	mdt_ok(t, ok, "%s of a FIFO (%s): one open, the whole stream, as on stdin",
	       cmd, name);
	if (!ok)
		mdt_diag("writer status 0x%x; exit %d: %s", status, r.status, r.err);
	mdt_free(&r);
	mdt_free(&want);
	unlink(path);
}

static void fifo_tests(struct mdt *t)
{
	struct gen_layout lay;
	struct gen g;
	uint8_t *b, *f;
	size_t bl, fl;
	int i;

	gen_init(&g, false, 0);
	gen_body(&g, &b, &bl, &lay);
	for (i = 0; i < 3; i += 2) {
		gen_pack(b, bl, fmts[i], true, &f, &fl);
		fifo_test(t, "info", f, fl, md_format_name(fmts[i]));
		fifo_test(t, "vmcoreinfo", f, fl, md_format_name(fmts[i]));
		free(f);
	}
	free(b);
	gen_free(&g);
}

static void read_tests(struct mdt *t)
{
	struct gen_layout lay;
	struct gen g;
	uint8_t *b, *f;
	size_t bl, fl;
	char tag[64];
	int la57, i;

	for (la57 = 0; la57 < 2; la57++) {
		gen_init(&g, la57, 0);
		gen_body(&g, &b, &bl, &lay);
		for (i = 0; i < 3; i++) {
			gen_pack(b, bl, fmts[i], i != 1, &f, &fl);
			snprintf(tag, sizeof(tag), "%d-level %s", la57 ? 5 : 4,
				 md_format_name(fmts[i]));
			read_tests_one(t, &g, mdt_file(t, "r.dump", f, fl), f, fl, tag);
			if (i == 0 && !la57)
				hex_test(t, &g, mdt_file(t, "r.dump", f, fl));
			log_info_tests(t, &g, mdt_file(t, "r.dump", f, fl), f, fl,
				       la57, i != 1, md_format_name(fmts[i]));
			if (i != 1)
				log_info_tests(t, &g, "-", f, fl, la57, true,
					       md_format_name(fmts[i]));
			if (i == 2) {
				strcat(tag, " stdin");
				read_tests_one(t, &g, "-", f, fl, tag);
			}
			free(f);
		}
		free(b);
		gen_free(&g);
	}
}

/* Library: rank through the bins against a naive count. */
static void rank_test(struct mdt *t)
{
	uint8_t avail[MD_PAGE_SIZE] = { 0 }, *bm;
	struct md_error e;
	struct md_map m;
	uint64_t i, naive = 0, rank, seed = 12345;
	bool ok;

	md_put_le64(avail, 0x0);
	md_put_le64(avail + 8, 0x1000000);		/* 4096 pages */
	md_put_le64(avail + 16, 0x2000000);
	md_put_le64(avail + 24, 0x2800000);		/* 2048 pages */
	bm = calloc(1, MD_PAGE_SIZE);
	for (i = 0; i < 6144; i++) {
		seed = seed * 6364136223846793005ull + 1442695040888963407ull;
		if (seed >> 62)
			bm[i / 8] |= (uint8_t)(1u << (i % 8));
	}
	ok = !md_avail_parse(avail, sizeof(avail), &m, &e) &&
	     !md_bitmap_load(&m, bm, MD_PAGE_SIZE, &e);
	for (i = 0; ok && i < 6144; i++) {
		uint64_t pa = i < 4096 ? i * MD_PAGE_SIZE :
			      0x2000000 + (i - 4096) * MD_PAGE_SIZE;
		bool set = bm[i / 8] >> (i % 8) & 1;
		int err = md_pa_rank(&m, pa, &rank);

		ok = set ? (!err && rank == naive) : err == -ENOENT;
		naive += set;
	}
	ok = ok && m.popcount == naive && md_pa_rank(&m, 0x1800000, &rank) == -ENOENT;
	mdt_ok(t, ok, "library: rank via bins equals a naive count (%llu pages)",
	       (unsigned long long)naive);
	md_map_free(&m);
	free(bm);
}

static void usage_tests(struct mdt *t)
{
	const char *a1[] = { NULL }, *a2[] = { "check", "/nonexistent/dump", NULL };
	const char *a3[] = { "read", "x", "zz", "1", NULL };
	struct mdt_result r;

	mdt_run(t, a1, NULL, 0, &r);
	mdt_ok(t, r.status == 2 && strstr(r.err, "usage:"), "usage: no command exits 2");
	mdt_free(&r);
	mdt_run(t, a2, NULL, 0, &r);
	mdt_ok(t, r.status == 2 && strstr(r.err, "minidump: check: io: "),
	       "missing file exits 2");
	mdt_free(&r);
	mdt_run(t, a3, NULL, 0, &r);
	mdt_ok(t, r.status == 2, "read with a bad ADDR exits 2");
	mdt_free(&r);
}

/* The library's spool file is not left open across an exec. */
static void util_tests(struct mdt *t)
{
	struct md_error e;
	int fd = md_tmpfile(&e), flags;

	flags = fd < 0 ? -1 : fcntl(fd, F_GETFD);
	mdt_ok(t, flags >= 0 && (flags & FD_CLOEXEC),
	       "the spool file from md_tmpfile is close-on-exec");
	if (fd >= 0)
		close(fd);
}

int main(int argc, char **argv)
{
	struct mdt t = { .bin = argc > 1 ? argv[1] : "./minidump" };
	const char *tmp = getenv("TMPDIR");
	char cmd[300];

	snprintf(t.dir, sizeof(t.dir), "%s/mdtest.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(t.dir) || access(t.bin, X_OK)) {
		perror(t.bin);
		return 2;
	}
	/* A child that exits early must not kill us with SIGPIPE. */
	signal(SIGPIPE, SIG_IGN);
	valid_tests(&t);
	read_tests(&t);
	rank_test(&t);
	usage_tests(&t);
	util_tests(&t);
	fifo_tests(&t);
	mdt_corrupt_tests(&t);
	mdt_elf_tests(&t);
	mdt_frames_tests(&t);
	printf("1..%d\n", t.n);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", t.dir);
	if (system(cmd))
		fprintf(stderr, "mdtest: could not remove %s\n", t.dir);
	fprintf(stderr, "mdtest: %d passed, %d failed\n", t.n - t.failed, t.failed);
	return t.failed ? 1 : 0;
}
