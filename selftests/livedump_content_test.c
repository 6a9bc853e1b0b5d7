// SPDX-License-Identifier: GPL-2.0
/*
 * What a kernel-only MEM_KERNELDUMP holds (SPEC §7.2, §7.3), judged by
 * Linux's own answers, and built -m32 and -mx32 too, so every dump and
 * error here also goes through compat_ioctl: the trailer's hostname comes
 * from init_uts_ns while the caller sits in another UTS namespace; user
 * anonymous, page-cache and free (buddy) pages are not in the bitmap
 * (also where the kernel image's kernbase alias maps them), kernel data is
 * (/proc/kpageflags, /proc/self/pagemap, /proc/kcore); dump_avail is
 * /proc/iomem's System RAM; dmapend follows page_offset_base (kallsyms +
 * /proc/kcore); the zstd frame has the header flags and the one-frame
 * shape SPEC gives; a block device is refused before a byte is written;
 * bad arguments give livedump_test's errors in every ABI.
 */
#define _FILE_OFFSET_BITS 64	/* /dev/bsdmem offsets past 2 GiB in the i386 build */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/kernel-page-flags.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>

#include <machine/minidump.h>
#include <sys/kerneldump.h>
#include <sys/memrange.h>

#include "bsdmem_harness.h"
#include "mdview.h"

#define SCENE_ANON	2048	/* pages of an mlocked anonymous buffer */
#define SCENE_CACHE	1024	/* pages of a file in the page cache */
#define SCENE_FREED	16384	/* pages unmapped just before the dump */
#define SCENE_SLAB	4096	/* slab pages of the kernel, at most */
#define SCENE_KERNEL	(SCENE_ANON + SCENE_CACHE + SCENE_FREED)	/* its index */
#define SCENE_CANDS	(SCENE_KERNEL + 1 + SCENE_SLAB)
#define SCENE_NODE	"bsdmem-content-utsns"
#define KPF(bit)	(1ULL << KPF_##bit)
#ifndef KPF_RESERVED
#define KPF_RESERVED	32	/* PG_reserved; not in the uapi header */
#endif
#define GIB		(1ULL << 30)

_Static_assert(sizeof(struct mem_livedump_arg) == 32, "mem_livedump_arg");
_Static_assert(MEM_KERNELDUMP == 0x80206D35, "MEM_KERNELDUMP");

/* Where big files go: the scratch disk if there is one, else /tmp. */
static const char *big_dir(void)
{
	const char *disk = getenv("BSDMEM_DISK");

	return disk && *disk ? disk : "/tmp";
}

/*
 * The shared dump of this program run: made once by the first dump test
 * (the harness's process is the parent of every test) and removed when the
 * harness exits.
 */
static void scene_path(char *buf, size_t size, pid_t harness, const char *ext)
{
	snprintf(buf, size, "%s/content.%d.%s", big_dir(), (int)harness, ext);
}

static void __attribute__((destructor)) scene_remove(void)
{
	char path[300];

	scene_path(path, sizeof(path), getpid(), "core");
	unlink(path);
	scene_path(path, sizeof(path), getpid(), "scene");
	unlink(path);
	scene_path(path, sizeof(path), getpid(), "cache");
	unlink(path);
}

/* The binary is the ABI its name says (NAME_32 i386, NAME_x32 x32). */
TEST(abi_matches_binary_name)
{
	char why[256];

	ASSERT_EQ(0, bt_abi_check(why, sizeof(why))) TH_LOG("%s", why);
	TH_LOG("MEM_KERNELDUMP from an %s caller", BT_ABI);
}

FIXTURE(args) {
	int dev;
	int pipe[2];
};

FIXTURE_SETUP(args)
{
	if (geteuid())
		SETUP_SKIP("must run as root");
	self->dev = open(_PATH_BSDMEM, O_RDONLY);
	if (self->dev < 0)
		SETUP_SKIP("%s missing: is bsdmem loaded?", _PATH_BSDMEM);
	signal(SIGPIPE, SIG_IGN);
	ASSERT_EQ(0, pipe(self->pipe));
}

FIXTURE_TEARDOWN(args)
{
	close(self->pipe[0]);
	close(self->pipe[1]);
	close(self->dev);
}

/* MEM_KERNELDUMP with the argument at @arg (not through mdv_dump). */
static int dump_at(int dev, void *arg)
{
	return ioctl(dev, MEM_KERNELDUMP, arg) ? errno : 0;
}

/*
 * Every argument error of SPEC §7.1 gives the errno livedump_test expects
 * of a 64-bit caller, in FreeBSD's order; an argument the kernel cannot
 * read is EFAULT. (The one table serves every ABI this program is built
 * for: a compat path that answers differently fails here.)
 */
TEST_F(args, same_errors_as_64bit)
{
	int dir = open("/", O_RDONLY | O_DIRECTORY);
	int null = open("/dev/null", O_WRONLY);
	int ro = open("/proc/self/exe", O_RDONLY);
	int opath = open("/", O_PATH);
	int closed;
	char path[300];
	int app, dg[2], sp[2], nb[2];
	uint8_t *page;

	ASSERT_LE(0, dir);
	ASSERT_LE(0, null);
	ASSERT_LE(0, ro);
	ASSERT_LE(0, opath);
	snprintf(path, sizeof(path), "/tmp/content.append.%d", getpid());
	app = open(path, O_WRONLY | O_CREAT | O_APPEND, 0600);
	ASSERT_LE(0, app);
	unlink(path);
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_DGRAM, 0, dg));
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sp));
	ASSERT_EQ(0, pipe2(nb, O_NONBLOCK));

	/* flags, before anything else */
	EXPECT_EQ(EINVAL, mdv_dump(self->dev, self->pipe[1], 1, 0));
	EXPECT_EQ(EINVAL, mdv_dump(self->dev, self->pipe[1], 1 << 17, 0));
	EXPECT_EQ(EINVAL, mdv_dump(self->dev, self->pipe[1],
				   MEM_KERNELDUMP_ALLRAM | (int)(1U << 31), 0));
	EXPECT_EQ(EINVAL, mdv_dump(self->dev, -1, 2, 0));
	/* the descriptor: none, just closed, never open, O_PATH */
	closed = dup(self->pipe[1]);
	ASSERT_LE(0, closed);
	close(closed);
	EXPECT_EQ(EBADF, mdv_dump(self->dev, -1, 0, 0));
	EXPECT_EQ(EBADF, mdv_dump(self->dev, closed, 0, 0));
	EXPECT_EQ(EBADF, mdv_dump(self->dev, 1 << 30, 0, 0));
	EXPECT_EQ(EBADF, mdv_dump(self->dev, opath, 0, 0));
	/* its kind */
	EXPECT_EQ(EINVAL, mdv_dump(self->dev, dir, 0, 0));
	EXPECT_EQ(EINVAL, mdv_dump(self->dev, null, 0, 0));
	EXPECT_EQ(EINVAL, mdv_dump(self->dev, self->dev, 0, 0));
	EXPECT_EQ(EINVAL, mdv_dump(self->dev, app, 0, 0));
	EXPECT_EQ(EINVAL, mdv_dump(self->dev, nb[1], 0, 0));
	EXPECT_EQ(EINVAL, mdv_dump(self->dev, dg[1], 0, 0));
	EXPECT_EQ(EINVAL, mdv_dump(self->dev, sp[1], 0, 0));
	/* its open mode, before the compression */
	EXPECT_EQ(EBADF, mdv_dump(self->dev, ro, 0, 0));
	EXPECT_EQ(EBADF, mdv_dump(self->dev, self->pipe[0], 0, 0));
	EXPECT_EQ(EBADF, mdv_dump(self->dev, ro, 0, 3));
	/* the compression */
	EXPECT_EQ(EINVAL, mdv_dump(self->dev, self->pipe[1], 0, 3));
	EXPECT_EQ(EINVAL, mdv_dump(self->dev, self->pipe[1], 0, 255));

	/* an argument that cannot be read: NULL, unmapped, cut by a hole */
	page = mmap(NULL, 2 * MDV_PG, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, page);
	ASSERT_EQ(0, munmap(page + MDV_PG, MDV_PG));
	EXPECT_EQ(EFAULT, dump_at(self->dev, NULL));
	EXPECT_EQ(EFAULT, dump_at(self->dev, page + MDV_PG));
	EXPECT_EQ(EFAULT, dump_at(self->dev, page + MDV_PG - 16));
	munmap(page, MDV_PG);

	close(nb[0]);
	close(nb[1]);
	close(sp[0]);
	close(sp[1]);
	close(dg[0]);
	close(dg[1]);
	close(app);
	close(opath);
	close(ro);
	close(null);
	close(dir);
}

/* Without CAP_SYS_RAWIO (even as root): EPERM, before any argument check. */
TEST_F(args, no_rawio_eperm)
{
	int status;
	pid_t pid = fork();

	ASSERT_LE(0, pid);
	if (!pid) {
		if (bt_drop_rawio())
			_exit(2);
		_exit(mdv_dump(self->dev, -1, 1, 9) == EPERM &&
		      dump_at(self->dev, NULL) == EPERM ? 0 : 1);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
}

#define BLKDEV		"/dev/vda"
#define BLK_HEAD	1024	/* ext4 never writes its first 1024 bytes */

/* The first BLK_HEAD bytes of BLKDEV through the page cache; 0 or -1. */
static int blk_head(uint8_t *buf)
{
	int fd = open(BLKDEV, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = pread(fd, buf, BLK_HEAD, 0);
	close(fd);
	return n == BLK_HEAD ? 0 : -1;
}

/*
 * A block device (the guest's scratch disk; block devices are not dump
 * targets, SPEC §7.1) is EINVAL, opened in any mode, whatever the codec or
 * flags, and before a byte is written: its first sectors (ext4's unused
 * boot area, read through the block device's page cache, which a write
 * would have gone to) are unchanged. The first accepted call ends the
 * test: a dump written over the disk is not repeated.
 */
TEST_F_TIMEOUT(args, block_device_einval, 120)
{
	static const int modes[] = { O_WRONLY, O_RDWR, O_RDONLY };
	static const int comps[] = { KERNELDUMP_COMP_NONE, KERNELDUMP_COMP_GZIP,
				     KERNELDUMP_COMP_ZSTD };
	uint8_t before[BLK_HEAD], after[BLK_HEAD];
	unsigned int m, c;
	struct stat st;
	int fd, err = EINVAL;

	ASSERT_EQ(0, stat(BLKDEV, &st)) {
		TH_LOG("%s: %s (the harness gives every boot a scratch disk)",
		       BLKDEV, strerror(errno));
	}
	ASSERT_TRUE(S_ISBLK(st.st_mode));
	ASSERT_EQ(0, blk_head(before));
	for (m = 0; m < 3 && err == EINVAL; m++) {
		for (c = 0; c < 3 && err == EINVAL; c++) {
			fd = open(BLKDEV, modes[m]);
			ASSERT_LE(0, fd);
			err = mdv_dump(self->dev, fd,
				       c == 2 ? MEM_KERNELDUMP_ALLRAM : 0,
				       comps[c]);
			close(fd);
			EXPECT_EQ(EINVAL, err) {
				TH_LOG("%s opened with mode %d, codec %d: %s",
				       BLKDEV, modes[m], comps[c], strerror(err));
			}
		}
	}
	ASSERT_EQ(0, blk_head(after));
	EXPECT_EQ(0, memcmp(before, after, BLK_HEAD)) {
		TH_LOG("%s's first %d bytes changed: now they start \"%.24s\"",
		       BLKDEV, BLK_HEAD, (const char *)after);
	}
}

/* One page the shared dump is judged on. */
enum cand_kind { CAND_ANON, CAND_CACHE, CAND_FREED, CAND_KERNEL, CAND_SLAB };

struct cand {
	uint64_t pfn;
	uint64_t flags0;	/* /proc/kpageflags before the dump */
	uint64_t flags1;	/* and while it held its snapshot */
	uint64_t pfn1;		/* the mapping's pfn then (0 if not mapped) */
	uint32_t kind;
	uint32_t unlisted;	/* freed, slab: looks that found it otherwise */
	uint32_t unreadable;	/* slab: samples /dev/bsdmem could not read */
	uint32_t sig;		/* freed: still held its signature then */
};

/* What the maker of the shared dump saw (written next to it). */
struct scene {
	char init_node[65];	/* nodename before unshare(CLONE_NEWUTS) */
	char child_node[65];	/* the maker's own, after sethostname() */
	char pad[6];
	int32_t err;		/* MEM_KERNELDUMP's result */
	int32_t busy_err;	/* a second dump's, while the first ran */
	int32_t sampled;	/* flags1 taken while the dump was blocked */
	int32_t looks;		/* at the freed and slab pages, before that */
	uint32_t slab_seen;	/* slab pages in /proc/kpageflags then */
	uint32_t ncand;
	uint8_t kernel_pattern[64];	/* what the CAND_KERNEL page holds */
	struct cand cand[SCENE_CANDS];
};

/* Reads the mapping's and the page's state of every candidate. */
struct sampler {
	struct scene *s;
	const uint8_t *anon, *cache, *kernel;	/* the mappings, in order */
	int kpf;		/* /proc/kpageflags */
	int pagemap;		/* /proc/self/pagemap */
	int mem;		/* /dev/bsdmem */
	struct pfn_idx *freed;	/* the freed and slab candidates by pfn */
	uint32_t nfreed;
};

/* A freed candidate's pfn and index, to read kpageflags in runs. */
struct pfn_idx {
	uint64_t pfn;
	uint32_t i;
};

static int pfn_idx_cmp(const void *a, const void *b)
{
	const struct pfn_idx *x = a, *y = b;

	return x->pfn < y->pfn ? -1 : x->pfn > y->pfn;
}

static uint64_t pagemap_pfn(int pagemap, const void *va)
{
	uint64_t e = 0;

	if (pread(pagemap, &e, 8, (off_t)((uintptr_t)va / MDV_PG) * 8) != 8 ||
	    !(e & BT_PAGEMAP_PRESENT))
		return 0;
	return e & BT_PAGEMAP_PFN_MASK;
}

static uint64_t kpageflags(int kpf, uint64_t pfn)
{
	uint64_t f = 0;

	if (pread(kpf, &f, 8, (off_t)(pfn * 8)) != 8)
		return KPF(NOPAGE);
	return f;
}

/* The mapping of candidate @i (NULL for freed pages). */
static const uint8_t *cand_va(const struct sampler *sm, uint32_t i)
{
	if (i < SCENE_ANON)
		return sm->anon + i * MDV_PG;
	i -= SCENE_ANON;
	if (i < SCENE_CACHE)
		return sm->cache + i * MDV_PG;
	i -= SCENE_CACHE;
	if (i < SCENE_FREED)
		return NULL;
	return i == SCENE_FREED ? sm->kernel : NULL;	/* slab pages: none */
}

/*
 * What freed_pages() writes at the start of each page before it unmaps it:
 * a page that still holds it was not given to anyone since (nothing
 * allocated it and wrote it, or zeroed it).
 */
#define FREED_SIG	"bsdmem freed pg"	/* 16 bytes with its NUL */
struct freed_sig {
	char magic[16];
	uint32_t index;
};

static uint32_t freed_sig_intact(int mem, uint64_t pfn, uint32_t index)
{
	struct freed_sig got;

	return pread(mem, &got, sizeof(got), (off_t)(pfn * MDV_PG)) ==
		       (ssize_t)sizeof(got) &&
	       !memcmp(got.magic, FREED_SIG, sizeof(got.magic)) &&
	       got.index == index;
}

/* Take the state of every candidate, @late: the second time. */
static void sample(struct sampler *sm, bool late)
{
	struct cand *c;
	const uint8_t *va;
	uint8_t byte;
	uint32_t i;

	for (i = 0; i < sm->s->ncand; i++) {
		c = &sm->s->cand[i];
		va = cand_va(sm, i);
		if (late) {
			c->flags1 = kpageflags(sm->kpf, c->pfn);
			c->pfn1 = va ? pagemap_pfn(sm->pagemap, va) : 0;
		} else {
			c->flags0 = kpageflags(sm->kpf, c->pfn);
		}
		/* a slab page /dev/bsdmem cannot read is out of the direct map */
		if (c->kind == CAND_SLAB && pread(sm->mem, &byte, 1,
						  (off_t)(c->pfn * MDV_PG)) != 1)
			c->unreadable++;
		if (late && c->kind == CAND_FREED && c->pfn)
			c->sig = freed_sig_intact(sm->mem, c->pfn, i);
	}
}

/*
 * One look at every freed and slab candidate while the dump takes its
 * snapshot: a page that is buddy before and after may still have left the
 * buddy lists in between (a CPU's free list refilled from them holds free
 * pages that are not buddy, and SPEC's "free" is the buddy lists'), and a
 * slab page may have gone back to the allocator and come out again, so
 * count the looks that found it otherwise. Return: how many were.
 */
#define LOOK_SPAN	512	/* pfns one pread covers */
static int sample_freed(struct sampler *sm)
{
	static uint64_t f[LOOK_SPAN];
	uint64_t want;
	uint32_t i, j, k;
	struct cand *c;
	uint64_t first;
	ssize_t got;
	int n = 0;

	if (!sm->freed) {
		sm->freed = calloc(sm->s->ncand, sizeof(*sm->freed));
		if (!sm->freed)
			return -1;
		for (i = 0; i < sm->s->ncand; i++)
			if ((sm->s->cand[i].kind == CAND_FREED ||
			     sm->s->cand[i].kind == CAND_SLAB) && sm->s->cand[i].pfn)
				sm->freed[sm->nfreed++] = (struct pfn_idx){
					sm->s->cand[i].pfn, i };
		qsort(sm->freed, sm->nfreed, sizeof(*sm->freed), pfn_idx_cmp);
	}
	/* one pread per LOOK_SPAN pfns that hold any: a look is quick */
	for (i = 0; i < sm->nfreed; i = j) {
		first = sm->freed[i].pfn;
		for (j = i; j < sm->nfreed && sm->freed[j].pfn - first < LOOK_SPAN; j++)
			;
		got = pread(sm->kpf, f, (sm->freed[j - 1].pfn - first + 1) * 8,
			    (off_t)(first * 8));
		for (k = i; k < j; k++) {
			c = &sm->s->cand[sm->freed[k].i];
			want = c->kind == CAND_FREED ? KPF(BUDDY) : KPF(SLAB);
			if (got >= (ssize_t)((c->pfn - first + 1) * 8) &&
			    f[c->pfn - first] & want)
				continue;
			c->unlisted++;
			n++;
		}
	}
	return n;
}

struct scene_run {
	struct sampler *sm;
	int dev;
	int rd;			/* the dump's pipe, read end */
	int out;		/* the core file */
	int ended;		/* the dump's ioctl returned */
	int write_err;
	int looks;		/* sample_freed() passes until the snapshot */
};

/*
 * Until the dump has taken its snapshot (the progress file shows a total)
 * look at the freed pages over and over; then, with the dump blocked on
 * the full pipe nobody reads, sample every candidate again and try a
 * second dump, then drain the pipe into the core file.
 */
static void *scene_reader(void *arg)
{
	static uint8_t buf[1 << 16];
	struct scene_run *r = arg;
	uint64_t done = 0, total = 0;
	int p[2];
	ssize_t n;

	while (!total && !__atomic_load_n(&r->ended, __ATOMIC_ACQUIRE)) {
		sample_freed(r->sm);
		r->looks++;
		mdv_progress(&done, &total);
	}
	if (total && total != ~0ULL) {
		sample(r->sm, true);
		r->sm->s->sampled = 1;
		if (pipe(p) == 0) {
			r->sm->s->busy_err = mdv_dump(r->dev, p[1], 0, 0);
			close(p[0]);
			close(p[1]);
		}
	}
	while ((n = read(r->rd, buf, sizeof(buf))) > 0)
		if (write(r->out, buf, n) != n && !r->write_err)
			r->write_err = errno ? errno : EIO;
	return NULL;
}

/* @n pages of a new file at @path, in the page cache, mapped (populated). */
static uint8_t *cache_pages(const char *path, size_t n)
{
	uint8_t *buf = malloc(n * MDV_PG), *map;
	int fd;

	if (!buf)
		return NULL;
	bt_fill(buf, n * MDV_PG, 4242);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || write(fd, buf, n * MDV_PG) != (ssize_t)(n * MDV_PG) ||
	    fsync(fd)) {
		if (fd >= 0)
			close(fd);
		free(buf);
		return NULL;
	}
	free(buf);
	map = mmap(NULL, n * MDV_PG, PROT_READ, MAP_SHARED | MAP_POPULATE, fd, 0);
	close(fd);
	return map == MAP_FAILED ? NULL : map;
}

/*
 * The pfns of @n anonymous pages, written (each with its signature: its
 * candidate's index from @first), then unmapped. 0 or -1.
 */
static int freed_pages(int pagemap, const struct cand *first, struct cand *c,
		       size_t n)
{
	uint8_t *p = mmap(NULL, n * MDV_PG, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	size_t i;

	if (p == MAP_FAILED)
		return -1;
	madvise(p, n * MDV_PG, MADV_NOHUGEPAGE);
	for (i = 0; i < n; i++) {
		struct freed_sig sig = { FREED_SIG, (uint32_t)(c + i - first) };

		memcpy(p + i * MDV_PG, &sig, sizeof(sig));
	}
	for (i = 0; i < n; i++) {
		c[i].kind = CAND_FREED;
		c[i].pfn = pagemap_pfn(pagemap, p + i * MDV_PG);
	}
	munmap(p, n * MDV_PG);
	return 0;
}

/*
 * Up to @max slab pages of the kernel, spread over memory, from
 * /proc/kpageflags (KPF_SLAB: a slab's first page); how many there were
 * in *@seen. The count of candidates, or -1.
 */
static int slab_pages(int kpf, struct cand *c, uint32_t max, uint32_t *seen)
{
	static uint64_t f[65536];
	uint64_t *all = NULL, *more, pfn = 0;
	size_t n = 0, cap = 0, k, i;
	ssize_t got;

	while ((got = pread(kpf, f, sizeof(f), (off_t)(pfn * 8))) > 0) {
		for (k = 0; k < (size_t)got / 8; k++) {
			if (!(f[k] & KPF(SLAB)) || f[k] & (KPF(BUDDY) | KPF(NOPAGE)))
				continue;
			if (n == cap) {
				cap = cap ? cap * 2 : 4096;
				more = realloc(all, cap * sizeof(*all));
				if (!more) {
					free(all);
					return -1;
				}
				all = more;
			}
			all[n++] = pfn + k;
		}
		pfn += got / 8;
	}
	*seen = n;
	for (i = 0; i < max && i < n; i++) {
		c[i].kind = CAND_SLAB;
		c[i].pfn = all[n <= max ? i : i * n / max];
	}
	free(all);
	return (int)i;
}

/* The pages of the scene: anonymous, page cache, kernel (BPF), slab, freed last. */
static void scene_pages(struct __test_metadata *_metadata, struct sampler *sm,
			pid_t harness)
{
	struct scene *s = sm->s;
	char path[300];
	uint8_t *k;
	uint32_t i;
	int map, nslab;

	sm->anon = bt_alloc_pinned(SCENE_ANON * MDV_PG);
	ASSERT_NE(NULL, sm->anon);
	scene_path(path, sizeof(path), harness, "cache");
	sm->cache = cache_pages(path, SCENE_CACHE);
	ASSERT_NE(NULL, sm->cache) TH_LOG("%s: %s", path, strerror(errno));
	map = bt_bpf_page();
	ASSERT_LE(0, map) TH_LOG("BPF_MAP_CREATE: %s", strerror(errno));
	k = mmap(NULL, MDV_PG, PROT_READ | PROT_WRITE, MAP_SHARED, map, 0);
	ASSERT_NE(MAP_FAILED, k);
	bt_fill(k, MDV_PG, 1717);
	memcpy(s->kernel_pattern, k, sizeof(s->kernel_pattern));
	sm->kernel = k;

	for (i = 0; i < SCENE_ANON + SCENE_CACHE; i++) {
		s->cand[i].kind = i < SCENE_ANON ? CAND_ANON : CAND_CACHE;
		s->cand[i].pfn = pagemap_pfn(sm->pagemap, cand_va(sm, i));
		ASSERT_NE(0ULL, s->cand[i].pfn) TH_LOG("no pfn for page %u", i);
	}
	s->cand[SCENE_KERNEL].kind = CAND_KERNEL;
	s->cand[SCENE_KERNEL].pfn = pagemap_pfn(sm->pagemap, k);
	ASSERT_NE(0ULL, s->cand[SCENE_KERNEL].pfn);
	nslab = slab_pages(sm->kpf, &s->cand[SCENE_KERNEL + 1], SCENE_SLAB,
			   &s->slab_seen);
	ASSERT_LE(0, nslab);
	ASSERT_EQ(0, freed_pages(sm->pagemap, s->cand,
				 &s->cand[SCENE_ANON + SCENE_CACHE], SCENE_FREED));
	s->ncand = SCENE_KERNEL + 1 + nslab;
}

/* Leave the initial UTS namespace, under another nodename. */
static void scene_utsns(struct __test_metadata *_metadata, struct scene *s)
{
	struct utsname u;

	ASSERT_EQ(0, uname(&u));
	snprintf(s->init_node, sizeof(s->init_node), "%s", u.nodename);
	ASSERT_EQ(0, unshare(CLONE_NEWUTS));
	ASSERT_EQ(0, sethostname(SCENE_NODE, strlen(SCENE_NODE)));
	ASSERT_EQ(0, uname(&u));
	snprintf(s->child_node, sizeof(s->child_node), "%s", u.nodename);
	ASSERT_STRNE(s->init_node, s->child_node);
}

/*
 * Make the shared dump (this test process is thrown away afterwards): in a
 * UTS namespace of its own, with the scene's pages in place and their state
 * taken just before, a raw dump goes through a pipe into the core file; the
 * scene's facts go next to it. Both appear under their names only when
 * complete.
 */
static void scene_make(struct __test_metadata *_metadata, int dev,
		       pid_t harness)
{
	struct scene *s = calloc(1, sizeof(*s));
	struct sampler sm = { .s = s, .mem = dev };
	struct scene_run r = { .sm = &sm, .dev = dev };
	char core[300], tmp[310], facts[300];
	pthread_t t;
	int p[2], fd;

	ASSERT_NE(NULL, s);
	scene_utsns(_metadata, s);
	sm.kpf = open("/proc/kpageflags", O_RDONLY);
	sm.pagemap = open("/proc/self/pagemap", O_RDONLY);
	ASSERT_LE(0, sm.kpf);
	ASSERT_LE(0, sm.pagemap);
	scene_pages(_metadata, &sm, harness);

	scene_path(core, sizeof(core), harness, "core");
	snprintf(tmp, sizeof(tmp), "%s.tmp", core);
	r.out = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ASSERT_LE(0, r.out);
	ASSERT_EQ(0, pipe(p));
	r.rd = p[0];
	sample(&sm, false);
	ASSERT_EQ(0, pthread_create(&t, NULL, scene_reader, &r));
	s->err = mdv_dump(dev, p[1], 0, KERNELDUMP_COMP_NONE);
	__atomic_store_n(&r.ended, 1, __ATOMIC_RELEASE);
	close(p[1]);
	pthread_join(t, NULL);
	s->looks = r.looks;
	close(p[0]);
	ASSERT_EQ(0, close(r.out));
	ASSERT_EQ(0, r.write_err) TH_LOG("%s: %s", tmp, strerror(r.write_err));
	ASSERT_EQ(0, rename(tmp, core));

	scene_path(facts, sizeof(facts), harness, "scene");
	snprintf(tmp, sizeof(tmp), "%s.tmp", facts);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ASSERT_LE(0, fd);
	ASSERT_EQ((ssize_t)sizeof(*s), write(fd, s, sizeof(*s)));
	ASSERT_EQ(0, close(fd));
	ASSERT_EQ(0, rename(tmp, facts));
	free(sm.freed);
	free(s);
}

FIXTURE(dump) {
	int dev;
	struct scene *s;
	uint8_t *core;
	off_t size;
	uint64_t extent;
	struct mdv m;
};

FIXTURE_SETUP(dump)
{
	if (geteuid())
		SETUP_SKIP("must run as root");
	self->dev = open(_PATH_BSDMEM, O_RDONLY);
	if (self->dev < 0)
		SETUP_SKIP("%s missing: is bsdmem loaded?", _PATH_BSDMEM);
	signal(SIGPIPE, SIG_IGN);
	self->core = MAP_FAILED;
}

FIXTURE_TEARDOWN(dump)
{
	if (self->core != MAP_FAILED)
		munmap(self->core, self->size);
	free(self->s);
	close(self->dev);
}

/*
 * The shared dump and its scene, mapped, with the trailer and the body's
 * structure checked. Made by dump.taken_and_valid, the first dump test.
 */
static void scene_open(struct __test_metadata *_metadata,
		       FIXTURE_DATA(dump) *self)
{
	char core[300], facts[300];
	struct stat st;
	int fd;

	scene_path(core, sizeof(core), getppid(), "core");
	scene_path(facts, sizeof(facts), getppid(), "scene");
	self->s = calloc(1, sizeof(*self->s));
	ASSERT_NE(NULL, self->s);
	fd = open(facts, O_RDONLY);
	ASSERT_LE(0, fd) TH_LOG("%s: %s: dump.taken_and_valid did not make it",
				facts, strerror(errno));
	ASSERT_EQ((ssize_t)sizeof(*self->s), read(fd, self->s, sizeof(*self->s)));
	close(fd);
	ASSERT_EQ(0, self->s->err) TH_LOG("the dump: %s", strerror(self->s->err));
	fd = open(core, O_RDONLY);
	ASSERT_LE(0, fd) TH_LOG("%s: %s", core, strerror(errno));
	ASSERT_EQ(0, fstat(fd, &st));
	ASSERT_LT(512, st.st_size);
	self->size = st.st_size;
	self->core = mmap(NULL, st.st_size, PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	ASSERT_NE(MAP_FAILED, self->core);
	ASSERT_STREQ(MDV_OK, mdv_check_trailer(self->core + st.st_size - 512,
					       st.st_size, 0, &self->extent));
	ASSERT_STREQ(MDV_OK, mdv_check_body(&self->m, self->core, self->extent,
					    self->extent));
}

/*
 * Made from this ABI (compat_ioctl for NAME_32 and NAME_x32), the dump is
 * well formed: trailer, header, sections and popcount (mdview), no bit set
 * past the last dump_avail page, and linux_banner read through the pmap and
 * the bitmap is /proc/version (§7.3's consistency rule). While it ran, a
 * second dump was EBUSY.
 */
TEST_F_TIMEOUT(dump, taken_and_valid, 500)
{
	char version[512];
	const uint8_t *b;
	uint64_t banner = 0, i;
	ssize_t n;

	scene_make(_metadata, self->dev, getppid());
	scene_open(_metadata, self);
	TH_LOG("%s caller: %" PRIu64 " data pages, %lld bytes", BT_ABI,
	       self->m.ndata, (long long)self->size);
	ASSERT_TRUE(self->s->sampled);
	EXPECT_EQ(EBUSY, self->s->busy_err);
	for (i = self->m.nbits; i < (uint64_t)self->m.h.bitmapsize * 8; i++)
		if (self->m.bitmap[i / 64] >> (i % 64) & 1)
			break;
	EXPECT_EQ((uint64_t)self->m.h.bitmapsize * 8, i) {
		TH_LOG("bit %" PRIu64 " set, past the %" PRIu64 " pages of dump_avail",
		       i, self->m.nbits);
	}
	ASSERT_EQ(0, bt_kallsyms("linux_banner", NULL, &banner));
	n = bt_read_file("/proc/version", version, sizeof(version));
	ASSERT_LT(20, n);
	b = mdv_va(&self->m, banner);
	ASSERT_NE(NULL, b);
	if ((uint64_t)n > MDV_PG - banner % MDV_PG)
		n = MDV_PG - banner % MDV_PG;
	EXPECT_EQ(0, memcmp(version, b, n));
}

/*
 * The trailer's hostname is the initial UTS namespace's nodename (what
 * this test, in that namespace, reads), not the one of the namespace the
 * dumping process had entered and renamed.
 */
TEST_F_TIMEOUT(dump, hostname_from_init_uts_ns, 60)
{
	const struct kerneldumpheader *kdh;
	struct utsname u;
	char host[65];

	scene_open(_metadata, self);
	kdh = (const void *)(self->core + self->size - 512);
	snprintf(host, sizeof(host), "%.64s", kdh->hostname);
	ASSERT_EQ(0, uname(&u));
	EXPECT_STREQ(SCENE_NODE, self->s->child_node);
	EXPECT_STREQ(u.nodename, self->s->init_node);
	EXPECT_STREQ(u.nodename, host);
	EXPECT_STRNE(self->s->child_node, host);
}

/* Which candidates kept their state from before the dump to its snapshot. */
static bool cand_stable(const struct cand *c)
{
	switch (c->kind) {
	case CAND_ANON:
		return c->pfn1 == c->pfn && (c->flags0 & c->flags1 & KPF(ANON));
	case CAND_CACHE:
		return c->pfn1 == c->pfn && (c->flags0 & c->flags1 & KPF(LRU)) &&
		       !((c->flags0 | c->flags1) & KPF(ANON));
	case CAND_FREED:
		return (c->flags0 & c->flags1 & KPF(BUDDY)) && !c->unlisted;
	case CAND_SLAB:
		return (c->flags0 & c->flags1 & KPF(SLAB)) &&
		       !((c->flags0 | c->flags1) & (KPF(BUDDY) | KPF(RESERVED))) &&
		       !c->unlisted && !c->unreadable;
	default:
		return c->pfn1 == c->pfn;
	}
}

/* The physical address of the kernel image's @va, from Linux; 0 or -1. */
static int image_pa(uint64_t va, uint64_t *pa)
{
	uint64_t sym = 0, phys_base = 0;

	if (bt_kallsyms("phys_base", NULL, &sym) ||
	    bt_kcore_read(sym, &phys_base, 8) != 8)
		return -1;
	*pa = va - MDV_KERNBASE + phys_base;	/* phys_base may be "negative" */
	return 0;
}

/*
 * The physical pages the kernel image's mapping at kernbase covers (2 MiB
 * pages from _text to _end): without PTI Linux keeps that alias over the
 * parts of the image it frees at boot (init memory, the gaps between
 * sections), whose pages go back to the allocator and may hold user data;
 * they are judged like any other page, and counted apart in the log.
 * 0 or -1.
 */
static int image_range(uint64_t *start, uint64_t *end)
{
	uint64_t text = 0, last = 0;

	if (bt_kallsyms("_text", NULL, &text) || bt_kallsyms("_end", NULL, &last) ||
	    image_pa(text, start) || image_pa(last, end))
		return -1;
	*start &= ~(BT_HPAGE_SIZE - 1);
	*end = (*end + BT_HPAGE_SIZE - 1) & ~(BT_HPAGE_SIZE - 1);
	return 0;
}

/*
 * The candidates of @kind that kept their state must all have bitmap bit
 * @want: 0, left out of the dump (those the kernel image's kernbase
 * mapping covers too), or 1, in it; at least one must be judged.
 */
static void check_bits(struct __test_metadata *_metadata,
		       FIXTURE_DATA(dump) *self, uint32_t kind, int want)
{
	int judged = 0, wrong = 0, all = 0, image = 0, image_in = 0, alias = 0;
	const struct cand *c;
	uint64_t lo, hi, pa;
	uint32_t i;
	int bit;

	ASSERT_EQ(0, image_range(&lo, &hi));
	for (i = 0; i < self->s->ncand; i++) {
		c = &self->s->cand[i];
		if (c->kind != kind)
			continue;
		all++;
		if (!cand_stable(c))
			continue;
		pa = c->pfn * MDV_PG;
		bit = mdv_bit(&self->m, pa);
		if (pa >= lo && pa < hi) {
			image++;
			image_in += bit == 1;
			/* the dump's own pmap: for the log only */
			alias += bit == 1 && mdv_va(&self->m, MDV_KERNBASE + pa -
						    self->m.ext->phys_base);
		}
		judged++;
		if (bit == want)
			continue;
		if (wrong++ < 8)
			TH_LOG("pfn 0x%" PRIx64 ": bit %d, kpageflags 0x%" PRIx64
			       " then 0x%" PRIx64, c->pfn, bit, c->flags0,
			       c->flags1);
	}
	TH_LOG("%d pages, %d kept their state; %d of those in the image's kernbase mapping [0x%"
	       PRIx64 ", 0x%" PRIx64 ") (%d dumped, %d of them through the pmap)",
	       all, judged, image, lo, hi, image_in, alias);
	TH_LOG("%d judged, %d %s", judged, wrong, want ? "not dumped" : "dumped");
	EXPECT_LT(0, judged);
	EXPECT_EQ(0, wrong);
}

static void check_absent(struct __test_metadata *_metadata,
			 FIXTURE_DATA(dump) *self, uint32_t kind)
{
	check_bits(_metadata, self, kind, 0);
}

/* A user anonymous page (mlocked, KPF_ANON throughout) is not in the dump. */
TEST_F_TIMEOUT(dump, user_anon_absent, 60)
{
	scene_open(_metadata, self);
	check_absent(_metadata, self, CAND_ANON);
}

/*
 * A page-cache page of a file (mapped, on the LRU before the dump and
 * while it held its snapshot) is not in the dump. Pages that were off the
 * LRU at either time (in a per-CPU batch) are not judged.
 */
TEST_F_TIMEOUT(dump, page_cache_absent, 60)
{
	scene_open(_metadata, self);
	check_absent(_metadata, self, CAND_CACHE);
}

/*
 * A freed page on a CPU's free list is not in the dump (SPEC §7.3 as this
 * change reads it: free means the buddy allocator and the CPUs' free
 * lists). Judged: freed pages in no
 * state at all in either look (not buddy, LRU, anonymous, slab, compound,
 * page table) that still held the signature freed_pages() wrote while the
 * dump held its snapshot: nobody took them, so they were free and, not
 * being buddy, on a CPU's free list. One taken and not yet written in
 * between is kernel memory and may be dumped: at most 1 in 20. Before
 * bsdmem walked those lists, all of them were dumped.
 */
TEST_F_TIMEOUT(dump, pcp_free_page_absent, 60)
{
	const uint64_t state = KPF(BUDDY) | KPF(LRU) | KPF(ANON) | KPF(SLAB) |
			       KPF(COMPOUND_HEAD) | KPF(COMPOUND_TAIL) |
			       KPF(NOPAGE) | KPF(PGTABLE);
	int judged = 0, wrong = 0, sig = 0, bit;
	const struct cand *c;
	uint32_t i;

	scene_open(_metadata, self);
	for (i = 0; i < self->s->ncand; i++) {
		c = &self->s->cand[i];
		if (c->kind != CAND_FREED || !c->pfn)
			continue;
		sig += !!c->sig;
		if (!c->sig || ((c->flags0 | c->flags1) & state))
			continue;
		judged++;
		bit = mdv_bit(&self->m, c->pfn * MDV_PG);
		if (bit && wrong++ < 8)
			TH_LOG("pfn 0x%" PRIx64 ": bit %d, kpageflags 0x%" PRIx64
			       " then 0x%" PRIx64, c->pfn, bit, c->flags0,
			       c->flags1);
	}
	TH_LOG("of %d freed pages, %d still held their signature; %d of those on a CPU's free list judged, %d dumped",
	       SCENE_FREED, sig, judged, wrong);
	EXPECT_LT(0, judged);
	EXPECT_LE(wrong * 20, judged);
}

/*
 * A freed page is not in the dump. Only pages that were free in the buddy
 * allocator (KPF_BUDDY) just before the ioctl, in every look while the dump
 * took its snapshot, and while it held it (after its own allocations) are
 * judged: one the kernel took meanwhile is kernel memory again, and one a
 * CPU's free list took is pcp_free_page_absent's. 64 MiB are freed, more
 * than the per-CPU free lists keep (6.12 lets them grow to 1/8 of the zone), so
 * that most reach the buddy allocator.
 */
TEST_F_TIMEOUT(dump, freed_page_absent, 60)
{
	int before = 0, during = 0, left = 0;
	const struct cand *c;
	uint32_t i;

	scene_open(_metadata, self);
	for (i = 0; i < self->s->ncand; i++) {
		c = &self->s->cand[i];
		if (c->kind != CAND_FREED)
			continue;
		before += !!(c->flags0 & KPF(BUDDY));
		during += !!(c->flags1 & KPF(BUDDY));
		left += (c->flags0 & c->flags1 & KPF(BUDDY)) && c->unlisted;
	}
	TH_LOG("of %d freed pages, %d were buddy before the dump, %d during it",
	       SCENE_FREED, before, during);
	TH_LOG("%d looks while it took its snapshot: %d of the pages buddy before and during were not buddy in some look",
	       self->s->looks, left);
	EXPECT_LT(0, self->s->looks);
	check_absent(_metadata, self, CAND_FREED);
}

/*
 * Kernel memory is in the dump: the page of init_uts_ns (a data symbol,
 * physical address from phys_base read through /proc/kcore) with the
 * kernel's release string where /proc/kcore has it; and a vmalloc'ed
 * kernel page (a BPF array's value, which the dumping process had mapped
 * too) with what was written to it.
 */
TEST_F_TIMEOUT(dump, kernel_data_present, 60)
{
	uint64_t va = 0, pa;
	const struct cand *k;
	uint8_t live[512];
	const uint8_t *d;
	struct utsname u;
	size_t n;
	char *rel;

	scene_open(_metadata, self);
	ASSERT_EQ(0, uname(&u));
	ASSERT_EQ(0, bt_kallsyms("init_uts_ns", NULL, &va));
	ASSERT_EQ((ssize_t)sizeof(live), bt_kcore_read(va, live, sizeof(live)));
	rel = memmem(live, sizeof(live), u.release, strlen(u.release) + 1);
	ASSERT_NE(NULL, rel);
	ASSERT_EQ(0, image_pa(va + (rel - (char *)live), &pa));
	EXPECT_EQ(1, mdv_bit(&self->m, pa));
	d = mdv_pa(&self->m, pa);
	ASSERT_NE(NULL, d);
	n = strlen(u.release) + 1;
	if (n > MDV_PG - pa % MDV_PG)
		n = MDV_PG - pa % MDV_PG;	/* its page's part */
	EXPECT_EQ(0, memcmp(d, u.release, n));

	k = &self->s->cand[SCENE_KERNEL];
	ASSERT_EQ(CAND_KERNEL, k->kind);
	ASSERT_TRUE(cand_stable(k));
	EXPECT_EQ(0ULL, k->flags0 & (KPF(ANON) | KPF(LRU) | KPF(BUDDY)));
	EXPECT_EQ(1, mdv_bit(&self->m, k->pfn * MDV_PG));
	d = mdv_pa(&self->m, k->pfn * MDV_PG);
	ASSERT_NE(NULL, d);
	EXPECT_EQ(0, memcmp(d, self->s->kernel_pattern,
			    sizeof(self->s->kernel_pattern)));
}

/*
 * The kernel's slab pages are in the dump: up to SCENE_SLAB of them, spread
 * over memory, that /proc/kpageflags showed as slab (not buddy) before the
 * ioctl, in every look while the dump took its snapshot, and while it held
 * it, and that /dev/bsdmem could read before and then. Slab memory is
 * kernel memory (task_structs, the pid tree's nodes): a debugger walking
 * the task list needs every page of it. (On 6.12 a slab's struct slab
 * keeps a count where a page's mapping word is, and read as a page's
 * "anonymous" bit it left such pages out.) Not judged: KFENCE's pool
 * (boot memory, PG_reserved, whose object pages KFENCE takes out of the
 * direct map while they are free: SPEC's unreadable RAM, left out of every
 * dump; a debug kernel has it) and any other slab page /dev/bsdmem could
 * not read.
 */
TEST_F_TIMEOUT(dump, slab_page_present, 60)
{
	int reserved = 0, unreadable = 0, unlisted = 0, kfence_live = 0, lost = 0;
	const struct cand *c;
	uint32_t i;

	scene_open(_metadata, self);
	for (i = 0; i < self->s->ncand; i++) {
		c = &self->s->cand[i];
		if (c->kind != CAND_SLAB)
			continue;
		reserved += !!((c->flags0 | c->flags1) & KPF(RESERVED));
		unreadable += !!c->unreadable;
		unlisted += !!c->unlisted;
		kfence_live += ((c->flags0 | c->flags1) & KPF(RESERVED)) &&
			       !c->unreadable;
		/* only KFENCE's free objects leave the direct map */
		if (c->unreadable && !((c->flags0 | c->flags1) & KPF(RESERVED)) &&
		    (c->flags0 & c->flags1 & KPF(SLAB)) && lost++ < 8)
			TH_LOG("slab pfn 0x%" PRIx64 " (kpageflags 0x%" PRIx64
			       ") unreadable by /dev/bsdmem", c->pfn, c->flags0);
	}
	TH_LOG("%u slab pages in memory; of those watched, %d reserved (KFENCE's pool; %d of them readable, not judged: a sampled object can be freed and unmapped at any time), %d unreadable by /dev/bsdmem, %d not slab in some look",
	       self->s->slab_seen, reserved, kfence_live, unreadable, unlisted);
	EXPECT_EQ(0, lost);
	check_bits(_metadata, self, CAND_SLAB, 1);
}

/*
 * The Linux block's pgtable_root is the kernel's own top-level table,
 * init_top_pgt in the kernel image (from /proc/kallsyms and phys_base),
 * and that page is in the dump: not the dumping process's PGD, which may
 * sit in memory the dump leaves out (a virtio-mem block).
 */
TEST_F_TIMEOUT(dump, pgtable_root_is_init_top_pgt, 60)
{
	uint64_t va = 0, pa = 0;

	scene_open(_metadata, self);
	ASSERT_EQ(0, bt_kallsyms("init_top_pgt", NULL, &va));
	ASSERT_EQ(0, image_pa(va, &pa));
	EXPECT_EQ(pa, self->m.ext->pgtable_root) {
		TH_LOG("pgtable_root 0x%" PRIx64 ", init_top_pgt at 0x%" PRIx64,
		       (uint64_t)self->m.ext->pgtable_root, pa);
	}
	EXPECT_EQ(1, mdv_bit(&self->m, pa));
}

/*
 * System RAM from /proc/iomem as SPEC §7.3 makes dump_avail of it: each
 * range cut inwards to whole pages, touching ranges merged, ascending.
 * Return: the number of pairs in @out.
 */
static int iomem_ram(uint64_t *out, int max)
{
	static struct bt_iomem r[512];
	int i, k = 0, n = bt_iomem(r, 512);
	uint64_t start, end;

	for (i = 0; i < n; i++) {
		if (strcmp(r[i].name, "System RAM"))
			continue;
		start = mdv_pg_round(r[i].start);
		end = (r[i].end + 1) & ~(MDV_PG - 1);
		if (end <= start)
			continue;
		if (k && start <= out[2 * k - 1]) {
			if (end > out[2 * k - 1])
				out[2 * k - 1] = end;
			continue;
		}
		if (k == max)
			return -1;
		out[2 * k] = start;
		out[2 * k + 1] = end;
		k++;
	}
	return k;
}

/*
 * dump_avail is /proc/iomem's System RAM, pair for pair, ended by 0,0 in
 * the fewest whole pages of 255 pairs; the bitmap has a bit for each of
 * its pages.
 */
TEST_F_TIMEOUT(dump, dump_avail_is_iomem_ram, 60)
{
	uint64_t want[2 * 256];
	const uint64_t *a;
	int i, n = iomem_ram(want, 255);

	scene_open(_metadata, self);
	ASSERT_LT(0, n);
	a = self->m.avail;
	for (i = 0; i < n; i++) {
		EXPECT_EQ(want[2 * i], a[2 * i]);
		EXPECT_EQ(want[2 * i + 1], a[2 * i + 1]) {
			TH_LOG("pair %d: iomem [0x%" PRIx64 ", 0x%" PRIx64
			       "), dump [0x%" PRIx64 ", 0x%" PRIx64 ")", i,
			       want[2 * i], want[2 * i + 1], a[2 * i], a[2 * i + 1]);
		}
		if (!a[2 * i + 1])
			break;
	}
	if (i == n) {
		EXPECT_EQ(0ULL, a[2 * n]);
		EXPECT_EQ(0ULL, a[2 * n + 1]);
	}
	EXPECT_EQ(mdv_pg_round((uint64_t)(n + 1) * 16),
		  (uint64_t)self->m.h.dumpavailsize);
	EXPECT_LE((self->m.nbits + 7) / 8, (uint64_t)self->m.h.bitmapsize);
}

/*
 * dmapbase is page_offset_base and dmapend is dmapbase plus the end of
 * the highest System RAM range rounded up to 1 GiB, both from Linux:
 * page_offset_base read through /proc/kallsyms and /proc/kcore, RAM from
 * /proc/iomem.
 */
TEST_F_TIMEOUT(dump, dmapbase_dmapend, 60)
{
	uint64_t want[2 * 256], va = 0, pob = 0, end;
	int n = iomem_ram(want, 255);

	scene_open(_metadata, self);
	ASSERT_LT(0, n);
	ASSERT_EQ(0, bt_kallsyms("page_offset_base", NULL, &va));
	ASSERT_EQ(8, bt_kcore_read(va, &pob, 8));
	end = (want[2 * n - 1] + GIB - 1) & ~(GIB - 1);
	EXPECT_EQ(pob, self->m.h.dmapbase);
	EXPECT_EQ(pob, self->m.ext->page_offset_base);
	EXPECT_EQ(pob + end, self->m.h.dmapend) {
		TH_LOG("RAM ends at 0x%" PRIx64 ": dmapend - dmapbase 0x%" PRIx64
		       ", want 0x%" PRIx64, want[2 * n - 1],
		       self->m.h.dmapend - self->m.h.dmapbase, end);
	}
}

FIXTURE(codec) {
	int dev;
	char path[300];
	uint8_t *p;
	off_t size;
};

FIXTURE_VARIANT(codec) {
	int comp;
	const char *ext;
};

FIXTURE_VARIANT_ADD(codec, gzip) { .comp = KERNELDUMP_COMP_GZIP, .ext = "gz" };
FIXTURE_VARIANT_ADD(codec, zstd) { .comp = KERNELDUMP_COMP_ZSTD, .ext = "zst" };

FIXTURE_SETUP(codec)
{
	if (geteuid())
		SETUP_SKIP("must run as root");
	self->dev = open(_PATH_BSDMEM, O_RDONLY);
	if (self->dev < 0)
		SETUP_SKIP("%s missing: is bsdmem loaded?", _PATH_BSDMEM);
	signal(SIGPIPE, SIG_IGN);
}

FIXTURE_TEARDOWN(codec)
{
	free(self->p);
	if (self->path[0] && !getenv("BSDMEM_SHARE"))
		unlink(self->path);
	close(self->dev);
}

/*
 * A compressed dump to a file, read back whole (9p shares cannot mmap),
 * with its trailer checked. Kept in $BSDMEM_SHARE as livecore.* so that
 * the host's real gzip and zstd test it. Return: dumplength.
 */
static uint64_t codec_dump(struct __test_metadata *_metadata,
			   FIXTURE_DATA(codec) *self, int comp, const char *ext,
			   uint64_t *extent)
{
	struct stat st;
	int fd;

	snprintf(self->path, sizeof(self->path), "%s/livecore.content-%s.%s",
		 mdv_outdir(), BT_ABI, ext);
	fd = open(self->path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	ASSERT_LE(0, fd) TH_LOG("%s: %s", self->path, strerror(errno));
	ASSERT_EQ(0, mdv_dump(self->dev, fd, 0, comp));
	ASSERT_EQ(0, fstat(fd, &st));
	ASSERT_LT(MDV_PG + 512, st.st_size);
	self->size = st.st_size;
	self->p = malloc(st.st_size);
	ASSERT_NE(NULL, self->p);
	ASSERT_EQ(st.st_size, pread(fd, self->p, st.st_size, 0));
	close(fd);
	ASSERT_STREQ(MDV_OK, mdv_check_trailer(self->p + st.st_size - 512,
					       st.st_size, comp, extent));
	return mdv_be64(self->p + st.st_size - 512 + 40);
}

static uint32_t le32(const uint8_t *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

/*
 * Walk a zstd frame (RFC 8878 §3.1.1) at @p of @len bytes without
 * decoding it: header, blocks up to the last one, checksum if the header
 * says so. Return: the frame's size, or 0 if it is malformed.
 */
static uint64_t zstd_frame_size(const uint8_t *p, uint64_t len)
{
	static const int fcs_bytes[4] = { 0, 2, 4, 8 };
	static const int did_bytes[4] = { 0, 1, 2, 4 };
	uint8_t fhd = p[4];
	bool single = fhd >> 5 & 1;
	uint64_t off, size;
	uint32_t bh;
	int fcs = fcs_bytes[fhd >> 6];

	if (!fcs && single)
		fcs = 1;
	off = 5 + !single + did_bytes[fhd & 3] + fcs;
	for (;;) {
		if (off + 3 > len)
			return 0;
		bh = p[off] | p[off + 1] << 8 | p[off + 2] << 16;
		off += 3;
		if ((bh >> 1 & 3) == 3 || bh >> 3 > 128 * 1024)
			return 0;	/* reserved type, too big */
		size = (bh >> 1 & 3) == 1 ? 1 : bh >> 3;	/* RLE: 1 byte */
		off += size;
		if (bh & 1)
			break;
	}
	off += fhd & 4 ? 4 : 0;
	return off <= len ? off : 0;
}

/* The driver's default chunk when threads compress: one stream per chunk. */
#define PAR_CHUNK	(2ULL << 20)

/*
 * Each codec, from this ABI: the dump's streams are what SPEC §7.2 (as
 * bsdmem.4 words it) says and fill exactly dumplength bytes, zeros follow
 * up to the next 4 KiB. With one stream (one thread, or memory for no
 * more) it holds the whole body; with several, one per 2 MiB chunk.
 * gzip: the 10-byte header first, and the last member's ISIZE is the
 * body's size mod 2^32 (one member) or its last chunk's size (several).
 * zstd: frames back to back, each with the magic and a
 * Frame_Header_Descriptor (RFC 8878) with Frame_Content_Size_flag 0 and
 * Single_Segment_flag 0 (size unknown), Content_Checksum_flag 1,
 * Dictionary_ID_flag 0 and the reserved bit 0; their blocks and checksums
 * end at dumplength, and there is one frame or one per chunk.
 */
TEST_F_TIMEOUT(codec, stream_shape, 300)
{
	static const uint8_t gz[10] = { 0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3 };
	static const uint8_t zs[4] = { 0x28, 0xb5, 0x2f, 0xfd };
	uint64_t extent, len, i, off, size, frames = 0, chunks, last;
	uint32_t isize;
	uint8_t fhd;

	len = codec_dump(_metadata, self, variant->comp, variant->ext, &extent);
	TH_LOG("%s: %" PRIu64 " bytes for a %" PRIu64 "-byte body", self->path,
	       len, extent);
	for (i = len; i < mdv_pg_round(len); i++)
		if (self->p[i])
			break;
	EXPECT_EQ(mdv_pg_round(len), i) TH_LOG("byte %" PRIu64 " of the padding", i);
	chunks = (extent + PAR_CHUNK - 1) / PAR_CHUNK;
	last = extent - (chunks - 1) * PAR_CHUNK;
	if (variant->comp == KERNELDUMP_COMP_GZIP) {
		EXPECT_EQ(0, memcmp(self->p, gz, sizeof(gz)));
		isize = le32(self->p + len - 4);
		EXPECT_TRUE(isize == (uint32_t)extent || isize == (uint32_t)last)
			TH_LOG("last ISIZE %u: neither the body's %" PRIu64
			       " nor its last chunk's %" PRIu64, isize, extent,
			       last);
		return;
	}
	for (off = 0; off < len; off += size, frames++) {
		ASSERT_LE(off + 6, len);
		ASSERT_EQ(0, memcmp(self->p + off, zs, sizeof(zs)))
			TH_LOG("frame %" PRIu64 " at %" PRIu64, frames + 1, off);
		fhd = self->p[off + 4];
		EXPECT_EQ(0, fhd >> 6) TH_LOG("Frame_Content_Size_flag: size given");
		EXPECT_EQ(0, fhd >> 5 & 1) TH_LOG("Single_Segment_flag set");
		EXPECT_EQ(0, fhd >> 3 & 1) TH_LOG("reserved bit set");
		EXPECT_EQ(1, fhd >> 2 & 1) TH_LOG("Content_Checksum_flag clear");
		EXPECT_EQ(0, fhd & 3) TH_LOG("Dictionary_ID_flag set");
		size = zstd_frame_size(self->p + off, len - off);
		ASSERT_NE(0ULL, size) TH_LOG("frame %" PRIu64 " at %" PRIu64
					     " is malformed", frames + 1, off);
	}
	EXPECT_EQ(len, off);
	TH_LOG("%" PRIu64 " frames for %" PRIu64 " chunks", frames, chunks);
	EXPECT_TRUE(frames == 1 || frames == chunks);
}

TEST_HARNESS_MAIN
