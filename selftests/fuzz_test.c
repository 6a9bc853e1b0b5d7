// SPDX-License-Identifier: GPL-2.0
/*
 * A seeded fuzzer of both devices (SPEC §2-§7). FZ_THREADS threads run
 * random open/close/read/write/lseek/mmap/munmap/mprotect/ioctl calls on a
 * shared table of /dev/bsdmem and /dev/bsdkmem descriptors, with offsets,
 * lengths, flags, ioctl numbers, structure fields and user pointers chosen
 * at the edges, and hold every result against the errors SPEC lists for
 * that call. Writes reach only this program's own mlock'ed page, through its
 * physical address and its direct-map alias; MEMRANGE_SET succeeds only in
 * 1 MiB of unused MMIO. FUZZ_SEED=N replays a run (each thread's sequence
 * is a function of the seed), FUZZ_OPS=N and FUZZ_SECONDS=N bound it.
 */
#define _FILE_OFFSET_BITS 64
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/kerneldump.h>

#include "bsdmem_harness.h"
#include "kcore.h"
#include "memrange_fixture.h"
#include "memrange_util.h"

/*
 * Two tests of at most FUZZ_SECONDS (default 600) each plus setup and
 * checks: their timeouts (2 x 660 s) and abi_matches_binary_name's 30 s
 * add up to less than the program's 1400 s in selftests/suites.
 */
#define FZ_DEFAULT_OPS		100000UL
#define FZ_DEFAULT_SECONDS	600U

#define FZ_THREADS	4
#define FZ_SLOTS	8		/* the shared descriptor table */
#define FZ_MAPS		6		/* mappings each thread keeps */
#define FZ_PG		4096ULL		/* 64-bit: it meets addresses */
#define FZ_MAX_LEN	(1UL << 20)	/* longest transfer of one call */
#define FZ_ARENA	(FZ_MAX_LEN + FZ_PG)
#define FZ_SLOT_SIZE	(4UL << 20)	/* address space of one thread */
#define FZ_WINDOW	(2UL << 20)	/* MAP_FIXED_NOREPLACE hints go here */
#define FZ_MAP_PAGES	16		/* longest mapping of an ordinary mmap */
#define FZ_REAL_DUMPS	1		/* whole dumps per test */
#define FZ_FAILING_DUMPS 2		/* dumps that fail once they run */
#define FZ_LOGGED	20		/* failures printed in full */
#define FZ_TOP_ZONE	4095ULL		/* lseek's EOVERFLOW positions */
#define FZ_HOLE_LEN	(1ULL << 20)
#define FZ_PROT_SEM	0x8		/* asm-generic/mman-common.h */

/* Our own fixed addresses, far from where the kernel puts mappings. */
#if UINTPTR_MAX > 0xffffffffUL
#define FZ_BASE		0x200000000000UL
#define FZ_KERNEL_PTR	((void *)(uintptr_t)0xffff888000000000ULL)
#else
#define FZ_BASE		0x30000000UL
#define FZ_KERNEL_PTR	((void *)(uintptr_t)0xfffff000UL)
#endif

#define FZ_ABI_COMPAT	(UINTPTR_MAX == 0xffffffffUL)
#if defined(__i386__)
#define FZ_I386		1	/* _llseek cannot return offsets >= 2^63 */
#else
#define FZ_I386		0
#endif

/* ---- a private PRNG: splitmix64, a stream per thread and per op ---- */

static uint64_t fz_mix(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t fz_next(uint64_t *s)
{
	*s += 0x9e3779b97f4a7c15ULL;
	return fz_mix(*s);
}

static uint64_t fz_below(uint64_t *s, uint64_t n)
{
	return n ? fz_next(s) % n : 0;
}

static bool fz_chance(uint64_t *s, unsigned int percent)
{
	return fz_below(s, 100) < percent;
}

/* ---- errno sets ---- */

#define FZ_ERRNOS(X) X(EPERM) X(ENOENT) X(EINTR) X(EIO) X(ENXIO) X(EBADF) \
	X(EAGAIN) X(ENOMEM) X(EACCES) X(EFAULT) X(EBUSY) X(EEXIST) \
	X(ENODEV) X(ENOTDIR) X(EISDIR) X(EINVAL) X(ENOSPC) X(EPIPE) \
	X(ENOTTY) X(EOVERFLOW) X(EOPNOTSUPP)

enum {
#define FZ_EIDX(e) FZ_I_##e,
	FZ_ERRNOS(FZ_EIDX)
	FZ_NERR		/* any other errno: never allowed */
};
#define FZ_E(e)		(1ULL << FZ_I_##e)

static const int fz_errno_val[] = {
#define FZ_EVAL(e) e,
	FZ_ERRNOS(FZ_EVAL)
};

static const char *const fz_errno_name[] = {
#define FZ_ENAME(e) #e,
	FZ_ERRNOS(FZ_ENAME)
	"other"
};

static int fz_eidx(int e)
{
	int i;

	for (i = 0; i < FZ_NERR; i++)
		if (fz_errno_val[i] == e)
			return i;
	return FZ_NERR;
}

/* What SPEC (and the VFS in front of us) allows one call to return. */
struct fz_exp {
	uint64_t allowed;	/* FZ_E() bits */
	bool must_fail;
	bool must_succeed;
};

/* ---- the operations: name and weight ---- */

#define FZ_OP_LIST(X)						\
	X(OPEN, "open", 4) X(CLOSE, "close", 2)			\
	X(READ, "read", 12) X(PREAD, "pread", 14)		\
	X(WRITE, "write", 6) X(PWRITE, "pwrite", 8)		\
	X(LSEEK, "lseek", 8) X(MMAP, "mmap", 8)			\
	X(MUNMAP, "munmap", 4) X(MPROTECT, "mprotect", 4)	\
	X(TOUCH, "touch", 5) X(PROCMEM, "procmem", 3)		\
	X(GET, "MEMRANGE_GET", 5) X(SET, "MEMRANGE_SET", 5)	\
	X(EXTRACT, "MEM_EXTRACT_PADDR", 8)			\
	X(DUMP, "MEM_KERNELDUMP", 1) X(NEAR, "ioctl-near", 6)

enum fz_op {
#define FZ_OPID(id, name, w) FZ_OP_##id,
	FZ_OP_LIST(FZ_OPID)
	FZ_NOPS
};

static const char *const fz_op_name[] = {
#define FZ_OPNAME(id, name, w) name,
	FZ_OP_LIST(FZ_OPNAME)
};

static const unsigned int fz_op_weight[] = {
#define FZ_OPW(id, name, w) w,
	FZ_OP_LIST(FZ_OPW)
};

/* ---- state ---- */

struct fz_slot {
	pthread_rwlock_t lock;	/* write-held to open or close fd */
	int fd;			/* -1: closed */
	int flags;		/* the open flags in effect */
	bool kmem;
};

struct fz_map {
	unsigned char *addr;	/* NULL: unused */
	size_t len;
	uint64_t pa;		/* physical address of addr */
	int prot;		/* now */
	bool shared;
	bool maywrite;		/* private, or shared and made writable */
};

struct fz_world;

struct fz_thread {
	struct fz_world *w;
	int id;
	uint64_t rng;
	unsigned long want, done, opno;
	unsigned char *arena;	/* FZ_ARENA read-write, then guard, ro */
	unsigned char *guard;	/* PROT_NONE, never touched */
	unsigned char *ro;	/* PROT_READ */
	unsigned char *unmapped; /* never mapped */
	unsigned char *window;	/* MAP_FIXED_NOREPLACE hints */
	int pm, pk, procmem;	/* private descriptors */
	struct fz_map map[FZ_MAPS];
	unsigned long count[FZ_NOPS][FZ_NERR + 2];	/* [0]: success */
	char desc[320];		/* the call under way, for failures */
	pthread_t tid;
};

enum fz_sink {
	SK_BADFD, SK_PATH, SK_DIR, SK_CHR, SK_DEV, SK_RDONLY, SK_APPEND,
	SK_PIPE_NB, SK_PIPE_R, SK_DGRAM, SK_SEQPACKET, SK_EVENTFD,
	SK_CHEAP,		/* the ones above are checked without a dump */
	SK_SEALED = SK_CHEAP, SK_EPIPE, SK_REAL, SK_N
};

struct fz_world {
	uint64_t seed;
	unsigned long ops;		/* per test */
	bool ops_explicit;
	unsigned int seconds;
	bool writable;
	struct timespec deadline;
	bool timed_out;

	/* the machine, from /proc and /proc/kcore */
	int phys_bits, levels, nodes;
	uint64_t phys_limit, ram_top, pob, vmalloc, vmemmap, text, text_pa;
	uint64_t module, banner, canon;	/* canon: lowest kernel address */
	struct bt_iomem iomem[256];
	int niomem;
	uint64_t ram[64][2];		/* System RAM, [start, end) */
	int nram;
	struct bt_vmarea vm[128];
	int nvm;

	/* memory ranges */
	bool pat;
	uint64_t hole;			/* 0: no room to set ranges */
	int range_count;
	bool fixed;
	struct mem_range_desc fw;	/* a firmware MTRR outside RAM */
	bool have_fw;
	uint64_t theirs[32][2];		/* active ranges others set */
	int ntheirs;
	char pat0[MRU_SNAP_SIZE];	/* PAT table and /proc/mtrr before */
	char mtrr0[MRU_SNAP_SIZE];

	/* this program's page: user, physical and direct-map addresses */
	unsigned char *own;
	uint64_t own_pa, own_kva;
	unsigned char pattern[FZ_PG];
	unsigned char *own_map;		/* /dev/bsdmem mapping of own_pa */
	bool own_map_rw;

	int sink[SK_CHEAP];
	int sink_other[2];		/* the other ends of the sink pipes */
	char tmpfile[64];
	int real_dumps, failing_dumps;

	struct fz_slot slot[FZ_SLOTS];
	pthread_mutex_t lock;		/* the failure log */
	int fails;
	bool stop;
	struct fz_thread thr[FZ_THREADS];
};

static __thread struct fz_thread *fz_self;

/* ---- failures ---- */

static void __attribute__((format(printf, 2, 3)))
fz_fail(struct fz_thread *t, const char *fmt, ...)
{
	struct fz_world *w = t->w;
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	pthread_mutex_lock(&w->lock);
	if (w->fails++ < FZ_LOGGED)
		fprintf(stderr,
			"# FAIL seed %" PRIu64 " writable=%d thread %d op %lu: %s: %s\n",
			w->seed, w->writable, t->id, t->opno, t->desc, msg);
	if (w->fails >= 200)
		__atomic_store_n(&w->stop, true, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&w->lock);
}

static void __attribute__((format(printf, 2, 3)))
fz_desc(struct fz_thread *t, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(t->desc, sizeof(t->desc), fmt, ap);
	va_end(ap);
}

static void fz_eset_str(uint64_t set, char *buf, size_t size)
{
	size_t used = 0;
	int i;

	buf[0] = '\0';
	for (i = 0; i < FZ_NERR && used < size; i++)
		if (set & (1ULL << i))
			used += snprintf(buf + used, size - used, "%s%s",
					 used ? "," : "", fz_errno_name[i]);
}

/*
 * Count one result and hold it against what SPEC allows. @failed and @err
 * describe the call; success is whatever is not a failure.
 */
static bool fz_result(struct fz_thread *t, enum fz_op op, bool failed,
		      int err, const struct fz_exp *e)
{
	int i = failed ? fz_eidx(err) : -1;
	char set[256];

	t->count[op][i + 1]++;
	if (!failed && e->must_fail) {
		fz_fail(t, "succeeded; SPEC requires an error here");
		return false;
	}
	if (failed && e->must_succeed) {
		fz_fail(t, "failed with %s (%d); SPEC requires success here",
			fz_errno_name[i], err);
		return false;
	}
	if (failed && !(e->allowed & (1ULL << i))) {
		fz_eset_str(e->allowed, set, sizeof(set));
		fz_fail(t, "errno %s (%d) is not one SPEC allows here (%s)",
			fz_errno_name[i], err, set[0] ? set : "none");
		return false;
	}
	return true;
}

/* ---- offsets, lengths and user buffers ---- */

/* A small step around an interesting address. */
static uint64_t fz_delta(uint64_t *r)
{
	switch (fz_below(r, 10)) {
	case 0: case 1: case 2: return 0;
	case 3: return 1;
	case 4: return -1ULL;
	case 5: return FZ_PG;
	case 6: return -FZ_PG;
	case 7: return FZ_PG - 1;
	case 8: return fz_below(r, FZ_PG);
	default: return fz_below(r, 1 << 20) - (1 << 19);
	}
}

/* A System RAM address, any page of any range. */
static uint64_t fz_ram(const struct fz_world *w, uint64_t *r)
{
	const uint64_t *range = w->ram[fz_below(r, w->nram)];

	return range[0] + fz_below(r, range[1] - range[0]);
}

/* A physical address worth trying (SPEC §3). */
static uint64_t fz_phys_target(const struct fz_world *w, uint64_t *r)
{
	static const uint64_t fixed[] = {
		0xa0000, 0xc0000, 0xf0000, 0x9f000, 0xfec00000, 0xfed00000,
		0xfee00000, 0x100000000ULL,
	};
	uint64_t base;

	switch (fz_below(r, 15)) {
	case 0: base = 0; break;
	case 1: base = 1 << 20; break;
	case 2: base = w->ram_top; break;
	case 3: base = w->phys_limit; break;
	case 4: base = 1ULL << 63; break;
	case 5: base = -FZ_PG * fz_below(r, 3); break;	/* negative */
	case 6: case 7: base = w->own_pa; break;
	case 8: case 9: base = fz_ram(w, r); break;
	case 10: base = w->iomem[fz_below(r, w->niomem)].start; break;
	case 11: base = fixed[fz_below(r, sizeof(fixed) / sizeof(fixed[0]))]; break;
	case 12: base = w->text_pa; break;
	case 13: base = w->hole ? w->hole + fz_below(r, FZ_HOLE_LEN) : 0; break;
	default: return fz_next(r);
	}
	return base + fz_delta(r);
}

/* A kernel virtual address worth trying (SPEC §4), or one that is not. */
static uint64_t fz_kmem_target(const struct fz_world *w, uint64_t *r)
{
	static const uint64_t fixed[] = {
		0xffffffffff600000ULL,		/* vsyscall page */
		0xffffffffff5fc000ULL,		/* fixmap: the local APIC */
		0xfffffe0000000000ULL,		/* cpu_entry_area */
		0x8000000000000000ULL,		/* non-canonical */
		0x0100000000000000ULL,
		0xfe00000000000000ULL,
		0xffff800000000000ULL, 0, 0x1000,
	};
	const struct bt_vmarea *a;
	uint64_t base;

	switch (fz_below(r, 14)) {
	case 0: case 1: base = w->pob + fz_phys_target(w, r); break;
	case 2: base = w->pob + fz_ram(w, r); break;
	case 3: base = w->text + fz_below(r, 48 << 20); break;
	case 4: base = w->banner; break;
	case 5:
		if (!w->nvm)
			return w->vmalloc;
		a = &w->vm[fz_below(r, w->nvm)];
		base = a->start + fz_below(r, a->end - a->start);
		break;
	case 6: base = w->vmemmap + fz_below(r, w->ram_top / FZ_PG * 64); break;
	case 7: base = w->module; break;
	case 8: base = fixed[fz_below(r, sizeof(fixed) / sizeof(fixed[0]))]; break;
	case 9: case 10: base = w->own_kva; break;
	case 11: base = (uintptr_t)w->own; break;	/* a user address */
	case 12: base = -FZ_PG * fz_below(r, 3); break;
	default: return fz_next(r);
	}
	return base + fz_delta(r);
}

static size_t fz_len(uint64_t *r)
{
	switch (fz_below(r, 13)) {
	case 0: return 0;
	case 1: return 1;
	case 2: return FZ_PG - 1;
	case 3: return FZ_PG;
	case 4: return FZ_PG + 1;
	case 5: return 2 * FZ_PG;
	case 6: return 8;
	case 7: case 8: return fz_below(r, 4 * FZ_PG) + 1;
	case 9: return fz_below(r, 64 << 10) + 1;
	case 10: return fz_chance(r, 25) ? FZ_MAX_LEN : fz_below(r, FZ_MAX_LEN) + 1;
	default: return 64;
	}
}

/*
 * A user buffer for @len bytes. For a destination (read(2) fills it) or a
 * source, @valid is how many bytes from the start the kernel can access in
 * that direction; @exact says that the byte after them faults.
 */
struct fz_buf {
	unsigned char *p;
	size_t valid;
	bool exact;
	bool access_bad;	/* access_ok() refuses it: EFAULT before anything */
	const char *kind;
};

/* One of the thread's mappings: the first in use from a random slot on. */
static struct fz_map *fz_map_pick(struct fz_thread *t, uint64_t *r)
{
	unsigned int i, k = fz_below(r, FZ_MAPS);

	for (i = 0; i < FZ_MAPS; i++)
		if (t->map[(k + i) % FZ_MAPS].addr)
			return &t->map[(k + i) % FZ_MAPS];
	return &t->map[k];
}

static bool fz_map_readable(const struct fz_map *m)
{
	return m->addr && m->prot != PROT_NONE;	/* x86: W and X imply R */
}

static void fz_buf_arena(struct fz_thread *t, uint64_t *r, size_t len,
			 struct fz_buf *b)
{
	b->p = t->arena + fz_below(r, FZ_ARENA - len + 1);
	b->valid = len;
	b->exact = true;
	b->kind = "arena";
}

static void fz_buf_pick(struct fz_thread *t, uint64_t *r, size_t len,
			bool dst, struct fz_buf *b)
{
	struct fz_world *w = t->w;
	size_t off = fz_below(r, FZ_PG), k;
	struct fz_map *m;

	b->exact = true;
	b->valid = 0;
	b->access_bad = false;
	switch (fz_below(r, 20)) {
	case 0:		/* ends in the guard page */
		k = len ? fz_below(r, len < FZ_ARENA ? len : FZ_ARENA) : 0;
		b->p = t->arena + FZ_ARENA - k;
		b->valid = k;
		b->kind = "half-guard";
		return;
	case 1:
		b->p = NULL;
		b->kind = "NULL";
		return;
	case 2:
		b->p = FZ_KERNEL_PTR;
		b->access_bad = !FZ_ABI_COMPAT;
		b->kind = "kernel";
		return;
	case 3:
		b->p = t->guard + off;
		b->kind = "PROT_NONE";
		return;
	case 4:		/* then an unmapped page */
		b->p = t->ro + off;
		b->valid = dst ? 0 : FZ_PG - off;
		b->kind = "read-only";
		break;
	case 5:
		b->p = t->unmapped + off;
		b->kind = "unmapped";
		return;
	case 6:		/* guard pages around it */
		if (dst && !w->writable)
			break;
		b->p = w->own + off;
		b->valid = FZ_PG - off;
		b->kind = "own page";
		break;
	case 7:
		b->p = w->own_map + off;
		b->valid = dst && !w->own_map_rw ? 0 : FZ_PG - off;
		b->kind = "own mapping";
		break;
	case 8:		/* a source only: never written into */
		m = fz_map_pick(t, r);
		if (dst || !m->addr)
			break;
		off = fz_below(r, m->len);
		b->p = m->addr + off;
		b->valid = fz_map_readable(m) ? m->len - off : 0;
		b->exact = !b->valid || len <= b->valid;
		b->kind = "mmap of /dev/bsdmem";
		break;
	default:
		break;
	}
	if (!b->p) {
		fz_buf_arena(t, r, len, b);
		return;
	}
	if (b->valid > len)
		b->valid = len;
}

/* The physical page to be written: clamped to this program's page. */
static uint64_t fz_own_target(struct fz_thread *t, uint64_t *r, bool kmem,
			      size_t *len)
{
	struct fz_world *w = t->w;
	uint64_t off;

	switch (fz_below(r, 4)) {
	case 0: off = 0; break;
	case 1: off = FZ_PG - 1 - fz_below(r, 8); break;
	default: off = fz_below(r, FZ_PG); break;
	}
	if (*len > FZ_PG - off)
		*len = FZ_PG - off;
	return (kmem ? w->own_kva : w->own_pa) + off;
}

/*
 * Where a write goes: this program's page, or (writable=0 only, where the
 * module must refuse any write) addresses that are no memory at all.
 */
static uint64_t fz_write_target(struct fz_thread *t, uint64_t *r, bool kmem,
				size_t *len)
{
	struct fz_world *w = t->w;

	if (w->writable || fz_chance(r, 75))
		return fz_own_target(t, r, kmem, len);
	switch (fz_below(r, 4)) {
	case 0: return kmem ? 0x8000000000000000ULL : w->phys_limit;
	case 1: return kmem ? (uintptr_t)w->own : 1ULL << 63;
	case 2: return -FZ_PG;
	default: return kmem ? 0x0100000000000000ULL : -1ULL;
	}
}


/* ---- descriptors ---- */

/* The descriptor an op uses, and what is known about it. */
struct fz_fd {
	int fd;
	int flags;	/* open flags; -1: not one of ours (EBADF) */
	bool kmem;
	bool private;	/* the thread's own: its position is known */
	int slot;	/* read-held slot, or -1 */
};

static bool fz_can_read(int flags)
{
	return flags >= 0 && !(flags & O_PATH) &&
	       ((flags & O_ACCMODE) == O_RDONLY || (flags & O_ACCMODE) == O_RDWR);
}

static bool fz_can_write(int flags)
{
	return flags >= 0 && !(flags & O_PATH) &&
	       ((flags & O_ACCMODE) == O_WRONLY || (flags & O_ACCMODE) == O_RDWR);
}

static void fz_fd_get(struct fz_thread *t, uint64_t *r, struct fz_fd *f)
{
	static const int bogus[] = { -1, 9999, INT_MAX, -100 };
	unsigned int k = fz_below(r, 20);
	struct fz_slot *s;

	f->slot = -1;
	f->private = false;
	f->kmem = false;
	if (k < 11) {
		f->slot = fz_below(r, FZ_SLOTS);
		s = &t->w->slot[f->slot];
		pthread_rwlock_rdlock(&s->lock);
		f->fd = s->fd;
		f->flags = s->fd < 0 ? -1 : s->flags;
		f->kmem = s->kmem;
	} else if (k < 19) {
		f->private = true;
		f->kmem = k >= 16;
		f->fd = f->kmem ? t->pk : t->pm;
		f->flags = O_RDWR;
	} else {
		f->fd = bogus[fz_below(r, 4)];
		f->flags = -1;
		f->kmem = fz_chance(r, 50);
	}
}

static void fz_fd_put(struct fz_thread *t, struct fz_fd *f)
{
	if (f->slot >= 0)
		pthread_rwlock_unlock(&t->w->slot[f->slot].lock);
	f->slot = -1;
}

static const char *fz_dev(const struct fz_fd *f)
{
	if (f->flags < 0)
		return "bad fd";
	return f->kmem ? _PATH_BSDKMEM : _PATH_BSDMEM;
}

/* ---- read and write ---- */

/* Is the whole of [pos, pos + len) this program's page (at @base)? */
static bool fz_in_page(uint64_t pos, size_t len, uint64_t base)
{
	return pos >= base && pos - base < FZ_PG && len <= FZ_PG - (pos - base);
}

/* Would rw_verify_area() refuse a count this large at a "negative" pos? */
static bool fz_overflows(uint64_t pos, size_t len)
{
	return pos >= (1ULL << 63) && len && len >= -pos;
}

/* A kernel address of the paging depth in use? (SPEC §4: else EFAULT) */
static bool fz_kernel_va(const struct fz_world *w, uint64_t va)
{
	return va >= w->canon;
}

/* One transfer, described for the oracle. */
struct fz_xfer {
	bool write, kmem;
	bool known;		/* the position is pos */
	bool explicit_pos;	/* pread/pwrite family */
	bool v2, vectored, vec_cnt0, bad_rwf, bad_iov, bad_iovcnt;
	int flags;		/* of the fd, -1 for none */
	uint64_t pos;
	size_t len;
	struct fz_buf buf;
};

static void fz_exp_only(struct fz_exp *e, uint64_t allowed)
{
	e->allowed = allowed;
	e->must_fail = true;
	e->must_succeed = false;
}

/* The VFS's checks in front of the driver, in its order; true if one hit. */
static bool fz_xfer_vfs(const struct fz_xfer *x, struct fz_exp *e)
{
	memset(e, 0, sizeof(*e));
	if (x->explicit_pos && x->pos >= (1ULL << 63) &&
	    !(x->v2 && x->pos == -1ULL))
		fz_exp_only(e, FZ_E(EINVAL));	/* before the fd is looked up */
	else if (x->write ? !fz_can_write(x->flags) : !fz_can_read(x->flags))
		/* 6.1 imports the iovecs before it looks at the open mode */
		fz_exp_only(e, FZ_E(EBADF) | (x->flags >= 0 && !(x->flags & O_PATH) &&
			    x->vectored && (x->bad_iovcnt || x->bad_iov || x->buf.access_bad) ?
			    FZ_E(EINVAL) | FZ_E(EFAULT) : 0));
	else if (x->bad_iovcnt)
		fz_exp_only(e, FZ_E(EINVAL));
	else if (x->bad_iov)
		fz_exp_only(e, FZ_E(EFAULT));
	else if (x->vec_cnt0)
		e->must_succeed = true;
	else if (x->buf.access_bad)
		fz_exp_only(e, FZ_E(EFAULT));
	else if (x->vectored && !x->len)
		e->must_succeed = true;		/* nothing to move: 0 */
	else if (x->known && fz_overflows(x->pos, x->len))
		fz_exp_only(e, FZ_E(EOVERFLOW));
	else if (x->bad_rwf)
		fz_exp_only(e, FZ_E(EOPNOTSUPP) | FZ_E(EOVERFLOW));
	else
		return false;
	return true;
}

/* What SPEC §3.1, §4 (and the VFS) allow for a transfer. */
static void fz_xfer_exp(const struct fz_world *w, const struct fz_xfer *x,
			struct fz_exp *e)
{
	uint64_t base = x->kmem ? w->own_kva : w->own_pa;
	bool own = x->known && fz_in_page(x->pos, x->len, base);

	if (fz_xfer_vfs(x, e))
		return;
	e->allowed = FZ_E(EOVERFLOW) | FZ_E(EFAULT);
	if (x->write && !w->writable) {		/* SPEC §2 */
		fz_exp_only(e, own ? FZ_E(EPERM) : e->allowed | FZ_E(EPERM));
		return;
	}
	if (!x->len) {
		e->must_succeed = true;
		return;
	}
	if (!x->kmem)
		e->allowed |= FZ_E(EPERM);	/* driver-claimed memory */
	if (x->buf.exact && !x->buf.valid)
		e->must_fail = true;
	if (!x->known)
		return;
	if (own && x->buf.exact && x->buf.valid >= x->len)
		e->must_succeed = true;
	if (!x->kmem && x->pos >= w->phys_limit)
		fz_exp_only(e, FZ_E(EFAULT));	/* beyond the CPU's limit */
	if (x->kmem && !fz_kernel_va(w, x->pos & ~(FZ_PG - 1)))
		fz_exp_only(e, FZ_E(EFAULT));	/* user or non-canonical */
}

/* Check a transfer's count (@n >= 0) and, for reads of our page, the bytes. */
static void fz_xfer_count(struct fz_thread *t, const struct fz_xfer *x,
			  const struct fz_exp *e, ssize_t n)
{
	struct fz_world *w = t->w;
	uint64_t base = x->kmem ? w->own_kva : w->own_pa;
	size_t len = x->vec_cnt0 ? 0 : x->len;

	if ((size_t)n > len || (len && !n))
		fz_fail(t, "returned %zd for %zu bytes", n, len);
	else if (x->buf.exact && (size_t)n > x->buf.valid)
		fz_fail(t, "returned %zd, but only %zu bytes of the buffer are accessible",
			n, x->buf.valid);
	else if (e->must_succeed && (size_t)n != len)
		fz_fail(t, "returned %zd of %zu bytes of this program's page",
			n, len);
	else if (!x->write && !w->writable && x->known && n > 0 &&
		 fz_in_page(x->pos, n, base) &&
		 memcmp(x->buf.p, w->pattern + (x->pos - base), n))
		fz_fail(t, "read other bytes than this program's page holds");
}

/* Put a private descriptor at @pos; false when lseek refuses (checked). */
static bool fz_seek_private(struct fz_thread *t, int fd, uint64_t pos)
{
	struct fz_exp e = { .allowed = FZ_E(EOVERFLOW) };
	bool zone = pos >= -FZ_TOP_ZONE;
	off_t got;
	int err;

	errno = 0;
	got = lseek(fd, (off_t)pos, SEEK_SET);
	err = errno;
	if (FZ_I386 && pos >= (1ULL << 63) && !zone)
		return true;		/* _llseek's answer is garbage here */
	e.must_fail = zone;
	e.must_succeed = !zone;
	if (!fz_result(t, FZ_OP_LSEEK, got == -1 && err, err, &e))
		return false;
	if (got != -1 && (uint64_t)got != pos) {
		fz_fail(t, "lseek to %#" PRIx64 " returned %#" PRIx64, pos,
			(uint64_t)got);
		return false;
	}
	return !zone;
}

/* The iovecs of a vectored transfer: @x's buffer cut in up to 3 pieces. */
static int fz_iov(struct fz_xfer *x, struct iovec *iov, uint64_t *r,
		  const struct iovec **v)
{
	int cnt = 1 + fz_below(r, 3);
	size_t cut1 = cnt > 1 ? fz_below(r, x->len + 1) : x->len;
	size_t cut2 = cnt > 2 ? cut1 + fz_below(r, x->len - cut1 + 1) : x->len;

	iov[0] = (struct iovec){ x->buf.p, cut1 };
	iov[1] = (struct iovec){ x->buf.p + cut1, cut2 - cut1 };
	iov[2] = (struct iovec){ x->buf.p + cut2, x->len - cut2 };
	*v = iov;
	x->vectored = true;
	switch (fz_below(r, 16)) {
	case 0: x->vec_cnt0 = true; return 0;
	case 1: x->bad_iovcnt = true; return 1025;	/* > UIO_MAXIOV */
	case 2: x->bad_iovcnt = true; return -1;
	case 3: x->bad_iov = true; *v = NULL; return cnt;
	default: return cnt;
	}
}

/* preadv2/pwritev2 flags: mostly none; anything but RWF_HIPRI is refused. */
static int fz_rwf(uint64_t *r, bool *bad)
{
	static const int flags[] = {
		0, 0, 0, RWF_HIPRI, RWF_NOWAIT, RWF_DSYNC, RWF_SYNC, RWF_APPEND,
		0x40000000, -1,
	};
	int f = flags[fz_below(r, sizeof(flags) / sizeof(flags[0]))];

	*bad = f & ~RWF_HIPRI;
	return f;
}

enum fz_how { FZ_PLAIN, FZ_VEC, FZ_VEC2 };
static const char *const fz_how_name[] = { "", "v", "v2" };

/* Make the call: read/write, p- when explicit_pos, v or v2 by @how. */
static ssize_t fz_xfer_call(int fd, struct fz_xfer *x, enum fz_how how,
			    int rwf, uint64_t *r)
{
	const struct iovec *v;
	struct iovec iov[3];
	off_t pos = (off_t)x->pos;
	int cnt;

	if (how == FZ_PLAIN && x->explicit_pos)
		return x->write ? pwrite(fd, x->buf.p, x->len, pos) :
				  pread(fd, x->buf.p, x->len, pos);
	if (how == FZ_PLAIN)
		return x->write ? write(fd, x->buf.p, x->len) :
				  read(fd, x->buf.p, x->len);
	cnt = fz_iov(x, iov, r, &v);
	if (how == FZ_VEC2)
		return x->write ? pwritev2(fd, v, cnt, pos, rwf) :
				  preadv2(fd, v, cnt, pos, rwf);
	if (x->explicit_pos)
		return x->write ? pwritev(fd, v, cnt, pos) :
				  preadv(fd, v, cnt, pos);
	return x->write ? writev(fd, v, cnt) : readv(fd, v, cnt);
}

static void fz_xfer_run(struct fz_thread *t, enum fz_op op, int fd,
			struct fz_xfer *x, enum fz_how how, uint64_t *r)
{
	struct fz_exp e;
	ssize_t n;
	int rwf = 0, err;

	if (how == FZ_VEC2) {
		x->v2 = true;
		rwf = fz_rwf(r, &x->bad_rwf);
		/* -1: at the file position (callers never write there) */
		if (!x->write && fz_chance(r, 20))
			x->pos = -1ULL;
		if (x->pos == -1ULL)
			x->known = false;
	}
	fz_desc(t, "%s%s%s%s(%s fd %d flags %#x, %s buf %p, len %zu, pos %#" PRIx64 ", rwf %#x)",
		x->explicit_pos ? "p" : "", x->write ? "write" : "read",
		fz_how_name[how], x->known ? "" : " at its position",
		x->flags < 0 ? "bad fd" : x->kmem ? _PATH_BSDKMEM : _PATH_BSDMEM,
		fd, x->flags, x->buf.kind, (void *)x->buf.p, x->len, x->pos,
		rwf);
	errno = 0;
	n = fz_xfer_call(fd, x, how, rwf, r);
	err = errno;
	fz_xfer_exp(t->w, x, &e);
	if (fz_result(t, op, n < 0, err, &e) && n >= 0)
		fz_xfer_count(t, x, &e, n);
}

static enum fz_how fz_pick_how(uint64_t *r, bool explicit_pos)
{
	if (!fz_chance(r, 25))
		return FZ_PLAIN;
	return explicit_pos && fz_chance(r, 50) ? FZ_VEC2 : FZ_VEC;
}

/*
 * read(2) family. At the position: the private descriptors are put at a
 * target first, the shared ones read wherever they are. pread: anywhere.
 */
static void fz_op_read(struct fz_thread *t, uint64_t *r, bool explicit_pos)
{
	struct fz_world *w = t->w;
	struct fz_xfer x = { 0 };
	enum fz_how how = fz_pick_how(r, explicit_pos);
	struct fz_fd f;

	fz_fd_get(t, r, &f);
	x.len = fz_len(r);
	x.pos = f.kmem ? fz_kmem_target(w, r) : fz_phys_target(w, r);
	/* pread of a kernel address is the VFS's EINVAL: mostly lseek */
	if (explicit_pos && f.kmem && x.pos >= (1ULL << 63) && fz_chance(r, 80)) {
		explicit_pos = false;
		how = how == FZ_VEC2 ? FZ_VEC : how;
		fz_fd_put(t, &f);
		f = (struct fz_fd){ .fd = t->pk, .flags = O_RDWR, .kmem = true,
				    .private = true, .slot = -1 };
	}
	x.kmem = f.kmem;
	x.flags = f.flags;
	x.explicit_pos = explicit_pos;
	x.known = explicit_pos || f.private;
	fz_buf_pick(t, r, x.len, true, &x.buf);
	fz_desc(t, "lseek(fd %d, %#" PRIx64 ", SEEK_SET)", f.fd, x.pos);
	if (explicit_pos || !f.private || fz_seek_private(t, f.fd, x.pos))
		fz_xfer_run(t, explicit_pos ? FZ_OP_PREAD : FZ_OP_READ, f.fd,
			    &x, how, r);
	fz_fd_put(t, &f);
}

/*
 * write(2) family: only to this program's page, or (writable=0) to no
 * memory at all. At the position only through the thread's private
 * descriptors, whose position nobody else moves; pwrite through any.
 */
static void fz_op_write(struct fz_thread *t, uint64_t *r, bool explicit_pos)
{
	struct fz_xfer x = { .write = true, .known = true };
	enum fz_how how;
	struct fz_fd f;

	fz_fd_get(t, r, &f);
	x.len = fz_len(r);
	x.pos = fz_write_target(t, r, f.kmem, &x.len);
	/* pwrite of a kernel address is the VFS's EINVAL: mostly lseek */
	if (explicit_pos && f.kmem && x.pos >= (1ULL << 63) && fz_chance(r, 80))
		explicit_pos = false;
	if (!explicit_pos && !f.private) {
		fz_fd_put(t, &f);
		f.private = true;
		f.fd = f.kmem ? t->pk : t->pm;
		f.flags = O_RDWR;
	}
	x.kmem = f.kmem;
	x.flags = f.flags;
	x.explicit_pos = explicit_pos;
	how = fz_pick_how(r, explicit_pos);
	if (how == FZ_VEC2 && x.pos == -1ULL)
		how = FZ_VEC;	/* pwritev2 at -1 writes at the file position */
	fz_buf_pick(t, r, x.len, false, &x.buf);
	fz_desc(t, "lseek(fd %d, %#" PRIx64 ", SEEK_SET)", f.fd, x.pos);
	if (explicit_pos || fz_seek_private(t, f.fd, x.pos))
		fz_xfer_run(t, explicit_pos ? FZ_OP_PWRITE : FZ_OP_WRITE, f.fd,
			    &x, how, r);
	fz_fd_put(t, &f);
}

/* ---- lseek, open, close ---- */

static void fz_op_lseek(struct fz_thread *t, uint64_t *r)
{
	static const int whences[] = {
		SEEK_SET, SEEK_SET, SEEK_SET, SEEK_CUR, SEEK_CUR, SEEK_END,
		SEEK_DATA, SEEK_HOLE, -1, 5, 100,
	};
	int whence = whences[fz_below(r, sizeof(whences) / sizeof(whences[0]))];
	struct fz_exp e = { 0 };
	struct fz_fd f;
	uint64_t off;
	off_t got;
	int err;

	fz_fd_get(t, r, &f);
	off = f.kmem ? fz_kmem_target(t->w, r) : fz_phys_target(t->w, r);
	if (whence == SEEK_CUR && fz_chance(r, 50))
		off = fz_delta(r);
	fz_desc(t, "lseek(%s fd %d flags %#x, %#" PRIx64 ", %d)", fz_dev(&f),
		f.fd, f.flags, off, whence);
	errno = 0;
	got = lseek(f.fd, (off_t)off, whence);
	err = errno;
	if (f.flags < 0 || (f.flags & O_PATH))
		fz_exp_only(&e, FZ_E(EBADF));
	else if (whence != SEEK_SET && whence != SEEK_CUR)
		fz_exp_only(&e, FZ_E(EINVAL));		/* SPEC §3.2 */
	else if (whence == SEEK_SET && off >= -FZ_TOP_ZONE)
		fz_exp_only(&e, FZ_E(EOVERFLOW));
	else if (whence == SEEK_CUR)
		e.allowed = FZ_E(EOVERFLOW);
	else
		e.must_succeed = true;
	if (FZ_I386 && !e.must_fail && (whence == SEEK_CUR || off >= (1ULL << 63))) {
		/* _llseek turns positions >= 2^63 into garbage: no answer */
		t->count[FZ_OP_LSEEK][0]++;
	} else if (fz_result(t, FZ_OP_LSEEK, got == -1 && err, err, &e) &&
		   whence == SEEK_SET && got != -1 && (uint64_t)got != off) {
		fz_fail(t, "returned %#" PRIx64, (uint64_t)got);
	}
	fz_fd_put(t, &f);
}

/* Open flags: an access mode and a random set of the others. */
static int fz_open_flags(uint64_t *r)
{
	static const int extra[] = {
		O_NONBLOCK, O_SYNC, O_DSYNC, O_APPEND, O_CLOEXEC, O_NOCTTY,
		O_CREAT, O_TRUNC, O_NOATIME, O_LARGEFILE, O_NOFOLLOW,
		O_DIRECT, O_DIRECTORY, O_CREAT | O_EXCL, O_PATH, O_TMPFILE,
	};
	static const int acc[] = { O_RDONLY, O_WRONLY, O_RDWR, O_ACCMODE };
	int flags = acc[fz_below(r, 4)];
	unsigned int i, n = fz_below(r, 4);

	if (fz_chance(r, 40))
		flags = O_RDWR;
	for (i = 0; i < n; i++) {
		unsigned int k = fz_below(r, sizeof(extra) / sizeof(extra[0]));

		/* the ones that make open fail: rarely */
		if (k >= 11 && fz_chance(r, 70))
			continue;
		flags |= extra[k];
	}
	return flags;
}

/* What open(2) of a character device gives with these flags (VFS rules). */
static void fz_open_exp(int flags, struct fz_exp *e, int *effective)
{
	memset(e, 0, sizeof(*e));
	*effective = flags;
	if (flags & O_PATH) {
		/* O_PATH beats everything else: only these stay with it */
		*effective = flags & (O_PATH | O_CLOEXEC | O_DIRECTORY | O_NOFOLLOW);
		if (flags & O_DIRECTORY)
			fz_exp_only(e, FZ_E(ENOTDIR));
		else
			e->must_succeed = true;
	} else if ((flags & O_TMPFILE) == O_TMPFILE) {
		fz_exp_only(e, FZ_E(EINVAL) | FZ_E(ENOTDIR) | FZ_E(EISDIR) |
			    FZ_E(EOPNOTSUPP));
	} else if ((flags & O_DIRECTORY) || (flags & (O_CREAT | O_EXCL)) ==
		   (O_CREAT | O_EXCL) || (flags & O_DIRECT)) {
		fz_exp_only(e, FZ_E(ENOTDIR) | FZ_E(EEXIST) | FZ_E(EINVAL));
	} else {
		e->must_succeed = true;		/* SPEC §2: root may open */
	}
}

/* Close the slot's descriptor, if any (with the slot write-held). */
static void fz_slot_close(struct fz_thread *t, struct fz_slot *s)
{
	struct fz_exp e = { .must_succeed = true };
	int ret, err;

	if (s->fd < 0)
		fz_exp_only(&e, FZ_E(EBADF));
	fz_desc(t, "close(fd %d)", s->fd);
	errno = 0;
	ret = close(s->fd);
	err = errno;
	fz_result(t, FZ_OP_CLOSE, ret < 0, err, &e);
	s->fd = -1;
}

static void fz_op_open(struct fz_thread *t, uint64_t *r, bool open_too)
{
	struct fz_slot *s = &t->w->slot[fz_below(r, FZ_SLOTS)];
	bool kmem = fz_chance(r, 40);
	int flags = fz_open_flags(r), effective, fd, err;
	const char *path = kmem ? _PATH_BSDKMEM : _PATH_BSDMEM;
	bool close_closed = fz_chance(r, 10);	/* EBADF */
	struct fz_exp e;

	pthread_rwlock_wrlock(&s->lock);
	if (s->fd >= 0 || !open_too || close_closed)
		fz_slot_close(t, s);
	if (!open_too)
		goto out;
	fz_open_exp(flags, &e, &effective);
	fz_desc(t, "open(%s, %#x)", path, flags);
	errno = 0;
	fd = open(path, flags, 0600);
	err = errno;
	fz_result(t, FZ_OP_OPEN, fd < 0, err, &e);
	if (fd >= 0) {
		s->fd = fd;
		s->flags = effective;
		s->kmem = kmem;
	}
out:
	pthread_rwlock_unlock(&s->lock);
}

/* ---- mmap, munmap, mprotect, and touching the mappings ---- */

struct fz_mmap_args {
	size_t len;
	uint64_t off;
	int prot, flags;
	void *hint;
};

static size_t fz_page_up(size_t len)
{
	return (len + FZ_PG - 1) & ~(FZ_PG - 1);
}

static void fz_mmap_pick(struct fz_thread *t, uint64_t *r,
			 struct fz_mmap_args *a)
{
	static const int prots[] = {
		PROT_READ, PROT_READ, PROT_READ, PROT_READ | PROT_WRITE,
		PROT_READ | PROT_WRITE, PROT_NONE, PROT_WRITE,
		PROT_READ | PROT_EXEC, PROT_READ | PROT_WRITE | PROT_EXEC,
		PROT_READ | 0x10,
	};
	static const int types[] = {
		MAP_SHARED, MAP_SHARED, MAP_SHARED, MAP_PRIVATE, MAP_PRIVATE,
		MAP_SHARED_VALIDATE, 0, 0x08, 0x0f,
	};
	static const int extras[] = {
		MAP_POPULATE, MAP_NORESERVE, MAP_LOCKED, MAP_FIXED_NOREPLACE,
		MAP_HUGETLB, MAP_SYNC, 0x800000,
#if UINTPTR_MAX > 0xffffffffUL
		MAP_32BIT,
#endif
	};
	struct fz_world *w = t->w;
	unsigned int i, n = fz_below(r, 3);

	switch (fz_below(r, 10)) {
	case 0: a->len = 0; break;
	case 1: a->len = FZ_PG - 1; break;
	case 2: a->len = 2 * FZ_PG; break;
	case 3: case 4: a->len = FZ_PG * (1 + fz_below(r, FZ_MAP_PAGES)); break;
	case 5: a->len = 2UL << 20; break;
	case 6: a->len = FZ_ABI_COMPAT ? 0xfffff000UL : (size_t)(1ULL << 47); break;
	default: a->len = FZ_PG; break;
	}
	a->off = fz_phys_target(w, r);
	if (fz_chance(r, 30))
		a->off = w->own_pa;
	if (!fz_chance(r, 5))
		a->off &= ~(uint64_t)(FZ_PG - 1);
	if (FZ_I386)		/* mmap2 carries a 32-bit page number */
		a->off &= (1ULL << 44) - 1;
	a->prot = prots[fz_below(r, sizeof(prots) / sizeof(prots[0]))];
	a->flags = types[fz_below(r, sizeof(types) / sizeof(types[0]))];
	for (i = 0; i < n; i++)
		if (fz_chance(r, 40))
			a->flags |= extras[fz_below(r, sizeof(extras) / sizeof(extras[0]))];
	a->hint = t->window + fz_below(r, FZ_WINDOW / FZ_PG) * FZ_PG;
	if (!(a->flags & MAP_FIXED_NOREPLACE))
		a->hint = NULL;
}

static bool fz_mmap_shared(int flags)
{
	int type = flags & 0x0f;

	return type == MAP_SHARED || type == MAP_SHARED_VALIDATE;
}

/* Mapping exactly this program's page? */
static bool fz_mmap_own(const struct fz_world *w, const struct fz_mmap_args *a)
{
	return a->off == w->own_pa && fz_page_up(a->len) == FZ_PG;
}

/* What mmap(2) of our devices may give (SPEC §3.3, §4, and mm's checks). */
static void fz_mmap_exp(const struct fz_world *w, const struct fz_fd *f,
			const struct fz_mmap_args *a, struct fz_exp *e)
{
	int type = a->flags & 0x0f, clean_extra = MAP_POPULATE |
		   MAP_NORESERVE | MAP_LOCKED;
	bool shared_write = fz_mmap_shared(a->flags) && (a->prot & PROT_WRITE);
	uint64_t end = a->off + fz_page_up(a->len);

	memset(e, 0, sizeof(*e));
	e->allowed = FZ_E(EINVAL) | FZ_E(ENOMEM) | FZ_E(EOVERFLOW) |
		     FZ_E(EOPNOTSUPP) | FZ_E(EEXIST) | FZ_E(EACCES) |
		     FZ_E(EPERM) | FZ_E(EAGAIN) | FZ_E(EFAULT);
	if (a->off & (FZ_PG - 1)) {
		fz_exp_only(e, FZ_E(EINVAL));
		return;
	}
	if (f->flags < 0 || (f->flags & O_PATH)) {
		fz_exp_only(e, FZ_E(EBADF));
		return;
	}
	if (f->kmem) {
		fz_exp_only(e, e->allowed | FZ_E(ENODEV));	/* SPEC §4 */
		return;
	}
	if (!a->len || (a->flags & MAP_HUGETLB) || !fz_can_read(f->flags) ||
	    (type != MAP_SHARED && type != MAP_PRIVATE && type != MAP_SHARED_VALIDATE) ||
	    (shared_write && (!w->writable || !fz_can_write(f->flags))) ||
	    end > w->phys_limit || end < a->off)
		e->must_fail = true;
	if (!fz_can_read(f->flags) || (shared_write && !fz_can_write(f->flags)))
		return;
	/* the clean call that must work: this program's page */
	if (fz_mmap_own(w, a) && (type == MAP_SHARED || type == MAP_PRIVATE) &&
	    !(a->flags & ~(type | clean_extra)) && !(a->prot & ~(PROT_READ | PROT_WRITE)) &&
	    (!shared_write || (w->writable && !(f->flags & O_APPEND))))
		e->must_succeed = true;
}

static void fz_unmap(struct fz_thread *t, struct fz_map *m)
{
	struct fz_exp e = { .must_succeed = true };
	int ret, err;

	fz_desc(t, "munmap(%p, %zu) of pa %#" PRIx64, (void *)m->addr, m->len,
		m->pa);
	errno = 0;
	ret = munmap(m->addr, m->len);
	err = errno;
	fz_result(t, FZ_OP_MUNMAP, ret, err, &e);
	m->addr = NULL;
}

static void fz_op_mmap(struct fz_thread *t, uint64_t *r)
{
	struct fz_world *w = t->w;
	struct fz_map *m = &t->map[fz_below(r, FZ_MAPS)];
	struct fz_mmap_args a;
	struct fz_exp e;
	struct fz_fd f;
	void *p;
	int err;

	fz_fd_get(t, r, &f);
	fz_mmap_pick(t, r, &a);
	/* writes reach only this program's page (writable=1) */
	if (w->writable && fz_mmap_shared(a.flags) && !fz_mmap_own(w, &a))
		a.prot &= ~PROT_WRITE;
	if (m->addr)
		fz_unmap(t, m);
	fz_desc(t, "mmap(%p, %#zx, prot %#x, flags %#x, %s fd %d flags %#x, %#" PRIx64 ")",
		a.hint, a.len, a.prot, a.flags, fz_dev(&f), f.fd, f.flags,
		a.off);
	errno = 0;
	p = mmap(a.hint, a.len, a.prot, a.flags, f.fd, (off_t)a.off);
	err = errno;
	fz_fd_put(t, &f);
	fz_mmap_exp(w, &f, &a, &e);
	fz_result(t, FZ_OP_MMAP, p == MAP_FAILED, err, &e);
	if (p == MAP_FAILED)
		return;
	if (a.hint && p != a.hint)
		fz_fail(t, "MAP_FIXED_NOREPLACE mapped at %p", p);
	*m = (struct fz_map){
		.addr = p, .len = fz_page_up(a.len), .pa = a.off,
		.prot = a.prot & (PROT_READ | PROT_WRITE | PROT_EXEC),
		.shared = fz_mmap_shared(a.flags),
		.maywrite = !fz_mmap_shared(a.flags) || (a.prot & PROT_WRITE),
	};
}

/*
 * Does the kernel's PAT keep no entry of its own for this range? Only such
 * mappings are cut in two: unmapping part of a PFN mapping with an entry
 * frees a piece that was never reserved ("freeing invalid memtype") and
 * leaks the whole reservation, a kernel limitation (untrack_pfn() of a
 * split VMA) that /dev/mem shares. No entry: the legacy ISA hole
 * [0xa0000, 1 MiB), and System RAM above 1 MiB (its type lives in struct
 * page).
 */
static bool fz_pat_untracked(const struct fz_world *w, uint64_t pa,
			     uint64_t len)
{
	uint64_t end = pa + len;
	int i;

	if (pa >= 0xa0000 && end <= (1 << 20))
		return true;
	for (i = 0; i < w->nram; i++)
		if (pa >= (1 << 20) && pa >= w->ram[i][0] && end <= w->ram[i][1])
			return true;
	return false;
}

static void fz_op_munmap(struct fz_thread *t, uint64_t *r)
{
	struct fz_map *m = fz_map_pick(t, r);
	unsigned int how = fz_below(r, 8);
	struct fz_exp e = { 0 };
	int ret, err;

	if (m->addr && how < 2) {
		fz_unmap(t, m);
		return;
	}
	if (m->addr && how < 5 && m->len > FZ_PG &&	/* its first page */
	    fz_pat_untracked(t->w, m->pa, m->len)) {
		e.must_succeed = true;
		fz_desc(t, "munmap(%p, 4096)", (void *)m->addr);
		errno = 0;
		ret = munmap(m->addr, FZ_PG);
		err = errno;
		if (fz_result(t, FZ_OP_MUNMAP, ret, err, &e) && !ret) {
			m->addr += FZ_PG;
			m->len -= FZ_PG;
			m->pa += FZ_PG;
		}
		return;
	}
	fz_exp_only(&e, FZ_E(EINVAL));		/* unaligned, or no length */
	fz_desc(t, "munmap(%p, %d)", (void *)(t->arena + 1), (int)(how & 1));
	errno = 0;
	ret = munmap(how & 1 ? t->arena + 1 : t->arena, 0);
	err = errno;
	fz_result(t, FZ_OP_MUNMAP, ret, err, &e);
}

static void fz_op_mprotect(struct fz_thread *t, uint64_t *r)
{
	static const int prots[] = {
		PROT_NONE, PROT_READ, PROT_READ | PROT_WRITE, PROT_WRITE,
		PROT_READ | PROT_EXEC, PROT_READ | PROT_WRITE | PROT_EXEC,
		PROT_READ | FZ_PROT_SEM, 0x10, PROT_READ | PROT_GROWSDOWN,
	};
	struct fz_map *m = fz_map_pick(t, r);
	int prot = prots[fz_below(r, sizeof(prots) / sizeof(prots[0]))];
	bool unaligned = fz_chance(r, 5);
	unsigned char *addr = m->addr ? m->addr : t->unmapped;
	size_t len = m->addr ? m->len : FZ_PG;
	struct fz_exp e = { .must_succeed = true };
	int ret, err;

	if (unaligned)
		addr++;
	if (!m->addr)
		fz_exp_only(&e, FZ_E(ENOMEM) | FZ_E(EINVAL));
	else if (unaligned || (prot & (0x10 | PROT_GROWSDOWN)))
		fz_exp_only(&e, FZ_E(EINVAL));
	else if (m->addr && (prot & PROT_WRITE) && !m->maywrite)
		fz_exp_only(&e, FZ_E(EACCES));	/* SPEC §2: stays read-only */
	else if (m->addr && (prot & PROT_EXEC))
		e = (struct fz_exp){ .allowed = FZ_E(EACCES) };	/* noexec /dev */
	fz_desc(t, "mprotect(%p, %zu, %#x) of pa %#" PRIx64 "%s", (void *)addr,
		len, prot, m->pa, m->shared ? " shared" : " private");
	errno = 0;
	ret = mprotect(addr, len, prot);
	err = errno;
	if (fz_result(t, FZ_OP_MPROTECT, ret, err, &e) && !ret && m->addr)
		m->prot = prot & (PROT_READ | PROT_WRITE | PROT_EXEC);
}

/* A mapping of this program's page that writes may go through (writable=1). */
static bool fz_map_own_rw(const struct fz_world *w, const struct fz_map *m)
{
	return w->writable && m->addr && m->pa == w->own_pa &&
	       m->len == FZ_PG && m->shared && (m->prot & PROT_WRITE);
}

/* One of the thread's mappings, or (1 in 8) the program's own_map. */
static struct fz_map *fz_any_map(struct fz_thread *t, uint64_t *r,
				 struct fz_map *own)
{
	struct fz_world *w = t->w;

	*own = (struct fz_map){
		.addr = w->own_map, .len = FZ_PG, .pa = w->own_pa,
		.prot = PROT_READ | (w->own_map_rw ? PROT_WRITE : 0),
		.shared = true, .maywrite = w->own_map_rw,
	};
	if (fz_chance(r, 12))
		return own;
	return fz_map_pick(t, r);
}

/* Load (and with writable=1 store) through a mapping, as a program would. */
static void fz_op_touch(struct fz_thread *t, uint64_t *r)
{
	struct fz_world *w = t->w;
	struct fz_map own, *m = fz_any_map(t, r, &own);
	size_t off = fz_below(r, m->len ? m->len : 1);
	unsigned char v = fz_next(r);
	bool store = fz_chance(r, 50);
	volatile unsigned char *p;
	unsigned char got;

	if (!fz_map_readable(m))
		return;
	p = m->addr + off;
	fz_desc(t, "touch %p (pa %#" PRIx64 "%s)", (void *)p, m->pa + off,
		store && fz_map_own_rw(w, m) ? ", store" : "");
	if (store && fz_map_own_rw(w, m)) {
		*p = v;
	} else {
		got = *p;
		if (!w->writable && m->pa == w->own_pa && off < FZ_PG &&
		    got != w->pattern[off])
			fz_fail(t, "the mapping of this program's page reads %#x, the page %#x",
				got, w->pattern[off]);
	}
	t->count[FZ_OP_TOUCH][0]++;
}

/*
 * /proc/self/mem on a mapping: ptrace's path, which for VM_PFNMAP reaches
 * the module's access handler (SPEC §3.3). Writes only where a store may go.
 */
static void fz_op_procmem(struct fz_thread *t, uint64_t *r)
{
	struct fz_world *w = t->w;
	struct fz_map own, *m = fz_any_map(t, r, &own);
	size_t off = fz_below(r, m->len ? m->len : 1);
	size_t len = 1 + fz_below(r, fz_chance(r, 10) ? 2 * FZ_PG : 256);
	bool write = fz_chance(r, 30);
	struct fz_exp e = { .allowed = FZ_E(EIO) };
	bool inside, ownpage;
	unsigned char *buf = t->arena;
	ssize_t n;
	int err;

	if (!m->addr)
		return;
	if (write && !fz_map_own_rw(w, m) && m != &own)
		write = false;
	if (write && len > m->len - off)	/* never into whatever comes next */
		len = m->len - off;
	inside = len <= m->len - off;
	ownpage = m->pa == w->own_pa && inside && off + len <= FZ_PG;
	if (ownpage && (!write || fz_map_own_rw(w, m)))
		e.must_succeed = true;
	if (write && !fz_map_own_rw(w, m))
		fz_exp_only(&e, FZ_E(EIO));	/* the handler says EPERM */
	if (write)
		memcpy(buf, w->pattern, len > FZ_PG ? FZ_PG : len);
	fz_desc(t, "p%s(/proc/self/mem, %zu, %p) of pa %#" PRIx64 " prot %#x%s",
		write ? "write" : "read", len, (void *)(m->addr + off),
		m->pa + off, m->prot, m->shared ? " shared" : " private");
	errno = 0;
	n = write ? pwrite(t->procmem, buf, len, (off_t)(uintptr_t)(m->addr + off)) :
		    pread(t->procmem, buf, len, (off_t)(uintptr_t)(m->addr + off));
	err = errno;
	if (!fz_result(t, FZ_OP_PROCMEM, n < 0, err, &e) || n < 0)
		return;
	if ((size_t)n > len || (e.must_succeed && (size_t)n != len))
		fz_fail(t, "returned %zd of %zu bytes", n, len);
	else if (!write && ownpage && !w->writable && memcmp(buf, w->pattern + off, n))
		fz_fail(t, "read other bytes than this program's page holds");
}

/* ---- ioctls ---- */

/* Where an ioctl's structure lies: in the arena, or bad in one way. */
enum fz_ptr { FP_OK, FP_HALF, FP_NULL, FP_KERNEL, FP_NONE, FP_RO };
static const char *const fz_ptr_name[] = {
	"ok", "half in PROT_NONE", "NULL", "kernel", "PROT_NONE", "read-only",
};

static void *fz_ioctl_ptr(struct fz_thread *t, uint64_t *r, size_t size,
			  size_t at, enum fz_ptr *kind)
{
	switch (fz_below(r, 24)) {
	case 0:
		*kind = FP_HALF;
		return t->arena + FZ_ARENA - 1 - fz_below(r, size - 1);
	case 1: *kind = FP_NULL; return NULL;
	case 2: *kind = FP_KERNEL; return FZ_KERNEL_PTR;
	case 3: *kind = FP_NONE; return t->guard + fz_below(r, FZ_PG - size);
	case 4: *kind = FP_RO; return t->ro + fz_below(r, FZ_PG - size);
	default:
		*kind = FP_OK;
		return t->arena + at + (fz_chance(r, 10) ? 1 + fz_below(r, 7) : 0);
	}
}

static void fz_ioctl_fd(struct fz_thread *t, uint64_t *r, struct fz_fd *f,
			struct fz_exp *e)
{
	fz_fd_get(t, r, f);
	memset(e, 0, sizeof(*e));
	if (f->flags < 0 || (f->flags & O_PATH))
		fz_exp_only(e, FZ_E(EBADF));
}

static int fz_ioctl(struct fz_thread *t, enum fz_op op, int fd,
		    unsigned long cmd, void *arg, struct fz_exp *e)
{
	int ret, err;

	errno = 0;
	ret = ioctl(fd, cmd, arg);
	err = errno;
	fz_result(t, op, ret < 0, err, e);
	return ret < 0 ? -err : ret;
}

/* The MEMRANGE commands a caller of the other ABI sends: ENOTTY for us. */
#define FZ_GET_OTHER	(FZ_ABI_COMPAT ? 0xC0106D32UL : 0xC00C6D32UL)
#define FZ_SET_OTHER	(FZ_ABI_COMPAT ? 0x80106D33UL : 0x800C6D33UL)

/* MEM_EXTRACT_PADDR (SPEC §5) of an address whose answer is known. */
static void fz_op_extract(struct fz_thread *t, uint64_t *r)
{
	struct fz_world *w = t->w;
	struct fz_map *m = fz_map_pick(t, r);
	uint64_t va, pa = 0, sentinel = 0x5a5a000000000000ULL | (fz_next(r) & ~0xfffULL);
	int state, domain = 0x5eed + (int)fz_below(r, 1000);
	size_t off = fz_below(r, FZ_PG);
	struct mem_extract *me;
	enum fz_ptr kind;
	struct fz_exp e;
	struct fz_fd f;

	switch (fz_below(r, 10)) {
	case 0: va = (uintptr_t)w->own + off; pa = w->own_pa + off; state = 2; break;
	case 1: va = (uintptr_t)w->own_map + off; pa = w->own_pa + off; state = 2; break;
	case 2: case 3:
		if (!m->addr) {
			va = (uintptr_t)t->ro + off;
			state = 2;
			break;
		}
		off = fz_below(r, m->len);
		va = (uintptr_t)m->addr + off;
		pa = m->pa + off;
		state = 2;
		break;
	case 4: va = (uintptr_t)t->arena + fz_below(r, FZ_ARENA); state = 2; break;
	case 5: va = (uintptr_t)t->guard + off; state = 1; break;	/* never touched */
	case 6: va = fz_chance(r, 50) ? (uintptr_t)t->unmapped + off : off; state = 0; break;
	case 7: va = fz_kmem_target(w, r); state = va >= w->canon || va >= (1ULL << 47) ? 0 : -1; break;
	case 8: va = w->own_kva; state = 0; break;
	default: va = fz_next(r); state = -1; break;
	}
	fz_ioctl_fd(t, r, &f, &e);
	me = fz_ioctl_ptr(t, r, sizeof(*me), 0, &kind);
	if (kind == FP_OK) {
		memset(me, 0, sizeof(*me));
		me->me_vaddr = va;
		me->me_paddr = sentinel;
		me->me_domain = domain;
		me->me_state = -1;
		e.must_succeed = !e.must_fail;
	} else if (!e.must_fail) {
		fz_exp_only(&e, FZ_E(EFAULT));
	}
	fz_desc(t, "MEM_EXTRACT_PADDR(%s fd %d, struct %s %p, vaddr %#" PRIx64 ")",
		fz_dev(&f), f.fd, fz_ptr_name[kind], (void *)me, va);
	if (fz_ioctl(t, FZ_OP_EXTRACT, f.fd, MEM_EXTRACT_PADDR, me, &e) == 0 &&
	    kind == FP_OK) {
		if (me->me_state < 0 || me->me_state > 2 || (state >= 0 && me->me_state != state))
			fz_fail(t, "me_state %d, expected %d", me->me_state, state);
		else if (me->me_state == ME_STATE_INVALID &&
			 (me->me_paddr != sentinel || me->me_domain != domain))
			fz_fail(t, "INVALID changed me_paddr/me_domain to %#" PRIx64 "/%d",
				me->me_paddr, me->me_domain);
		else if (me->me_state == ME_STATE_VALID &&
			 (me->me_paddr || me->me_domain != domain))
			fz_fail(t, "VALID with me_paddr %#" PRIx64 " me_domain %d",
				me->me_paddr, me->me_domain);
		else if (me->me_state == ME_STATE_MAPPED && pa && me->me_paddr != pa)
			fz_fail(t, "me_paddr %#" PRIx64 ", the mapping says %#" PRIx64,
				me->me_paddr, pa);
		else if (me->me_state == ME_STATE_MAPPED && w->nodes == 1 && me->me_domain)
			fz_fail(t, "me_domain %d on a single-node machine", me->me_domain);
	}
	fz_fd_put(t, &f);
}

/* What GET handed back: owners always end in NUL, fixed ranges in place. */
static void fz_get_check(struct fz_thread *t, const unsigned char *desc,
			 int n)
{
	struct mem_range_desc d;
	int i;

	for (i = 0; i < n; i++) {
		memcpy(&d, desc + i * sizeof(d), sizeof(d));
		if (d.mr_owner[7]) {
			fz_fail(t, "descriptor %d: mr_owner without NUL", i);
			return;
		}
		if (i == 0 && t->w->fixed && (d.mr_base || d.mr_len != 0x10000 ||
					      !(d.mr_flags & MDF_FIXACTIVE))) {
			fz_fail(t, "descriptor 0 is not the first fixed-range MTRR");
			return;
		}
	}
}

/* MEMRANGE_GET (SPEC §6): count, copy, and every bad pointer. */
static void fz_op_get(struct fz_thread *t, uint64_t *r)
{
	struct fz_world *w = t->w;
	const int args[] = {
		INT_MIN, -1, 0, 1, 2, w->range_count - 1, w->range_count,
		w->range_count + 1, 88, 1000, INT_MAX, (int)fz_next(r),
	};
	int arg0 = args[fz_below(r, sizeof(args) / sizeof(args[0]))];
	int cap = fz_below(r, w->range_count + 3), n, ret;
	bool other = fz_chance(r, 4);
	unsigned int dk = fz_below(r, 10);
	unsigned char *desc = t->arena + FZ_ARENA - cap * sizeof(struct mem_range_desc);
	struct mem_range_op *op;
	enum fz_ptr kind;
	struct fz_exp e;
	struct fz_fd f;

	if (dk < 4)
		desc -= 1 + fz_below(r, 7);	/* unaligned, same room */
	else if (dk == 4 || dk == 5)
		cap = 0;
	if (dk == 4)
		desc = fz_chance(r, 50) ? NULL : t->ro;
	else if (dk == 5)
		desc = fz_chance(r, 50) ? (unsigned char *)FZ_KERNEL_PTR : t->guard;
	fz_ioctl_fd(t, r, &f, &e);
	op = fz_ioctl_ptr(t, r, sizeof(*op), 0, &kind);
	n = arg0 < w->range_count ? arg0 : w->range_count;
	if (kind == FP_OK) {
		op->mo_desc = (struct mem_range_desc *)desc;
		op->mo_arg[0] = arg0;
		op->mo_arg[1] = (int)fz_next(r);
	}
	if (e.must_fail)
		;
	else if (other)
		fz_exp_only(&e, FZ_E(ENOTTY));
	else if (kind != FP_OK || (arg0 > 0 && n > cap))
		fz_exp_only(&e, FZ_E(EFAULT));
	else
		e.must_succeed = true;
	fz_desc(t, "MEMRANGE_GET(%s fd %d, op %s %p, mo_arg[0] %d, mo_desc %p with room for %d)%s",
		fz_dev(&f), f.fd, fz_ptr_name[kind], (void *)op, arg0,
		(void *)desc, cap, other ? " with the other ABI's number" : "");
	ret = fz_ioctl(t, FZ_OP_GET, f.fd, other ? FZ_GET_OTHER : MEMRANGE_GET,
		       op, &e);
	if (!ret && kind == FP_OK) {
		if (op->mo_arg[0] != (arg0 <= 0 ? w->range_count : n))
			fz_fail(t, "mo_arg[0] came back %d (count %d)",
				op->mo_arg[0], w->range_count);
		else if (arg0 > 0)
			fz_get_check(t, desc, n);
	}
	fz_fd_put(t, &f);
}

/* Owners of 8 bytes and no NUL: SET must cut them (SPEC §6). */
static void fz_owner(uint64_t *r, struct mem_range_desc *d)
{
	unsigned int i;

	for (i = 0; i < sizeof(d->mr_owner); i++)
		d->mr_owner[i] = (char)(fz_chance(r, 80) ? 'a' + fz_below(r, 26) :
					1 + fz_below(r, 255));
}

static const int fz_attrs[] = {
	MDF_UNCACHEABLE, MDF_WRITECOMBINE, MDF_WRITETHROUGH, MDF_WRITEPROTECT,
	MDF_WRITEBACK,
};

/* A range SET cannot accept (SPEC §6), whatever else is in the table. */
static void fz_set_invalid(struct fz_world *w, uint64_t *r,
			   struct mem_range_desc *d)
{
	static const int bad_attrs[] = {
		0, MDF_WRITECOMBINE | MDF_WRITEBACK, MDF_UNKNOWN, 0x40,
		0x800000, MDF_UNCACHEABLE | MDF_WRITEPROTECT, MDF_ATTRMASK,
	};
	static const uint64_t low[] = { 0xa0000, 0xc0000, 0xe0000, 0xf0000, 0 };
	uint64_t room = w->hole ? w->hole : 0xfeb00000ULL;
	uint64_t len = FZ_PG << fz_below(r, 8);

	d->mr_base = room;
	d->mr_len = len;
	switch (fz_below(r, 9)) {
	case 0: d->mr_base += 1 + fz_below(r, FZ_PG - 1); break;
	case 1: d->mr_len = len * 3; break;
	case 2: d->mr_len = fz_below(r, FZ_PG); break;
	case 3: d->mr_len = len * 2; d->mr_base += len; break;
	case 4: d->mr_base = -len; d->mr_len = len * 2; break;	/* wraps */
	case 5: d->mr_base = fz_chance(r, 50) ? w->phys_limit : 1ULL << 62; break;
	case 6:
		d->mr_flags = bad_attrs[fz_below(r, sizeof(bad_attrs) / sizeof(bad_attrs[0]))];
		return;
	case 7:		/* RAM: write-back only, what RAM is anyway */
		d->mr_len = FZ_PG;
		d->mr_base = fz_ram(w, r) & ~(FZ_PG - 1);
		d->mr_flags = MDF_WRITEBACK;
		return;
	default:	/* the first MiB, the fixed MTRRs' */
		d->mr_base = low[fz_below(r, 5)];
		d->mr_len = fz_chance(r, 50) ? FZ_PG : 0x10000;
		d->mr_flags = fz_chance(r, 50) ? MDF_WRITEBACK : MDF_UNCACHEABLE;
		return;
	}
	d->mr_flags = fz_attrs[fz_below(r, 5)];
	if (fz_chance(r, 30))	/* state bits: nothing SET looks at */
		d->mr_flags |= (int)(fz_next(r) & 0xff000000U);
}

/* A range someone else set (another program's): never removed here. */
static bool fz_set_theirs(const struct fz_world *w, uint64_t base,
			  uint64_t len)
{
	int i;

	for (i = 0; i < w->ntheirs; i++)
		if (w->theirs[i][0] == base && w->theirs[i][1] == len)
			return true;
	return false;
}

enum fz_set_kind { FS_HOLE, FS_HOLE_REMOVE, FS_INVALID, FS_REMOVE_NONE,
		   FS_REMOVE_FIXED, FS_FIRMWARE, FS_OTHER_OP };

/* Pick a SET and what SPEC allows for it. */
static int fz_set_pick(struct fz_world *w, uint64_t *r,
		       struct mem_range_desc *d, struct fz_exp *e)
{
	static const int other[] = { 2, 3, -1, INT_MIN, INT_MAX, 0x100 };
	unsigned int k = fz_below(r, 20);
	uint64_t len = FZ_PG << fz_below(r, 9);
	enum fz_set_kind kind = k < 5 ? FS_HOLE : k < 7 ? FS_HOLE_REMOVE :
		k < 13 ? FS_INVALID : k < 16 ? FS_REMOVE_NONE :
		k < 17 ? FS_REMOVE_FIXED : k < 19 ? FS_FIRMWARE : FS_OTHER_OP;

	memset(d, 0, sizeof(*d));
	fz_owner(r, d);
	if ((kind == FS_HOLE || kind == FS_HOLE_REMOVE) && (!w->hole || !w->pat))
		kind = FS_INVALID;
	if (kind == FS_FIRMWARE && !w->have_fw)
		kind = FS_REMOVE_NONE;
	memset(e, 0, sizeof(*e));
	switch (kind) {
	case FS_HOLE:		/* 1 MiB nobody uses: ours to play with */
	case FS_HOLE_REMOVE:
		d->mr_base = w->hole + fz_below(r, FZ_HOLE_LEN / len) * len;
		d->mr_len = len;
		d->mr_flags = fz_attrs[fz_below(r, 5)];
		e->allowed = kind == FS_HOLE ?
			FZ_E(EINVAL) | FZ_E(EBUSY) | FZ_E(ENOSPC) : FZ_E(ENOENT);
		return kind == FS_HOLE ? MEMRANGE_SET_UPDATE : MEMRANGE_SET_REMOVE;
	case FS_INVALID:
		fz_set_invalid(w, r, d);
		fz_exp_only(e, FZ_E(EINVAL) | FZ_E(EBUSY));
		return MEMRANGE_SET_UPDATE;
	case FS_REMOVE_NONE:	/* nothing of ours lies outside the hole */
		d->mr_len = len;
		d->mr_base = fz_phys_target(w, r) & ~(len - 1);
		if ((w->hole && d->mr_base >= w->hole &&
		     d->mr_base < w->hole + FZ_HOLE_LEN) ||
		    fz_set_theirs(w, d->mr_base, d->mr_len))
			d->mr_base = w->phys_limit;	/* can't be anyone's */
		fz_exp_only(e, FZ_E(ENOENT) | FZ_E(EPERM) | FZ_E(EBUSY));
		return MEMRANGE_SET_REMOVE;
	case FS_REMOVE_FIXED:
		d->mr_len = 0x10000;
		fz_exp_only(e, w->fixed ? FZ_E(EPERM) : FZ_E(ENOENT));
		return MEMRANGE_SET_REMOVE;
	case FS_FIRMWARE:	/* BUSY: refused either way, never changed */
		*d = w->fw;
		d->mr_flags &= MDF_ATTRMASK;
		fz_owner(r, d);
		fz_exp_only(e, FZ_E(EBUSY));
		return fz_chance(r, 50) ? MEMRANGE_SET_UPDATE : MEMRANGE_SET_REMOVE;
	default:
		fz_set_invalid(w, r, d);
		fz_exp_only(e, FZ_E(EOPNOTSUPP));
		return other[fz_below(r, 6)];
	}
}

/* MEMRANGE_SET (SPEC §6): only refusals, and ranges in the unused hole. */
static void fz_op_set(struct fz_thread *t, uint64_t *r)
{
	struct fz_world *w = t->w;
	struct mem_range_desc d, *dp;
	struct mem_range_op *op;
	struct fz_exp e, want;
	int arg0 = fz_set_pick(w, r, &d, &want);
	bool other = fz_chance(r, 4), bad_desc = fz_chance(r, 8);
	enum fz_ptr kind, dkind = FP_OK;
	struct fz_fd f;

	dp = (struct mem_range_desc *)(t->arena + 1024);
	if (bad_desc)
		dp = fz_ioctl_ptr(t, r, sizeof(d), 1024, &dkind);
	if (dkind == FP_OK)
		memcpy(dp, &d, sizeof(d));
	fz_ioctl_fd(t, r, &f, &e);
	op = fz_ioctl_ptr(t, r, sizeof(*op), 0, &kind);
	if (kind == FP_OK) {
		op->mo_desc = dp;
		op->mo_arg[0] = arg0;
		op->mo_arg[1] = (int)fz_next(r);
	}
	if (e.must_fail)
		;
	else if (other)
		fz_exp_only(&e, FZ_E(ENOTTY));
	else if (kind != FP_OK && kind != FP_RO)
		fz_exp_only(&e, FZ_E(EFAULT));
	else if (kind == FP_RO)		/* zeros: UPDATE from NULL */
		fz_exp_only(&e, FZ_E(EFAULT));
	else if (dkind != FP_OK && dkind != FP_RO)
		fz_exp_only(&e, FZ_E(EFAULT) | (want.allowed & FZ_E(EOPNOTSUPP)));
	else if (dkind == FP_RO)	/* a zero descriptor: never valid */
		fz_exp_only(&e, FZ_E(EINVAL) | FZ_E(ENOENT) | FZ_E(EOPNOTSUPP) |
			    FZ_E(EPERM) | FZ_E(EBUSY));
	else
		e = want;
	fz_desc(t, "MEMRANGE_SET(%s fd %d, op %s %p, mo_arg[0] %d, desc %s %p: %#" PRIx64 "/%#" PRIx64 " flags %#x)%s",
		fz_dev(&f), f.fd, fz_ptr_name[kind], (void *)op, arg0,
		fz_ptr_name[dkind], (void *)dp, d.mr_base, d.mr_len,
		d.mr_flags, other ? " with the other ABI's number" : "");
	fz_ioctl(t, FZ_OP_SET, f.fd, other ? FZ_SET_OTHER : MEMRANGE_SET, op,
		 &e);
	fz_fd_put(t, &f);
}

/* The reader of a dump's pipe: counts bytes and keeps the last 512. */
struct fz_drain {
	int fd;
	uint64_t total;
	unsigned char tail[sizeof(struct kerneldumpheader)];
};

static void *fz_drain_main(void *arg)
{
	struct fz_drain *d = arg;
	size_t size = 1 << 16, keep = sizeof(d->tail);
	unsigned char *buf = malloc(size);
	ssize_t n;

	while (buf && (n = read(d->fd, buf, size)) > 0) {
		if ((size_t)n >= keep) {
			memcpy(d->tail, buf + n - keep, keep);
		} else {
			memmove(d->tail, d->tail + n, keep - n);
			memcpy(d->tail + keep - n, buf, n);
		}
		d->total += n;
	}
	free(buf);
	return NULL;
}

/* A whole dump came through the pipe: its trailer is sound (SPEC §7.2). */
static void fz_dump_check(struct fz_thread *t, const struct fz_drain *d,
			  int comp)
{
	struct kerneldumpheader kdh;

	memcpy(&kdh, d->tail, sizeof(kdh));
	if (d->total < 2 * FZ_PG || d->total % FZ_PG != sizeof(kdh))
		fz_fail(t, "the dump is %" PRIu64 " bytes", d->total);
	else if (memcmp(kdh.magic, KERNELDUMPMAGIC, sizeof(KERNELDUMPMAGIC)) ||
		 kerneldump_parity(&kdh) || kdh.compression != comp)
		fz_fail(t, "the dump's trailer is not a kerneldumpheader for compression %d",
			comp);
}

/* A descriptor to dump to, and the first error SPEC §7.1 gives for it. */
static int fz_sink(struct fz_thread *t, enum fz_sink sk, int pipefd[2],
		   uint64_t *errs)
{
	int fd = -1;

	*errs = 0;
	switch (sk) {
	case SK_BADFD: *errs = FZ_E(EBADF); return 1000;
	case SK_PATH: case SK_RDONLY: case SK_PIPE_R:
		*errs = FZ_E(EBADF);
		return t->w->sink[sk];
	case SK_DEV:
		*errs = FZ_E(EINVAL);
		return t->pm;
	case SK_SEALED:		/* cannot be emptied: EPERM once it runs */
		fd = memfd_create("fuzz-sealed", MFD_ALLOW_SEALING);
		if (fd < 0 || write(fd, "x", 1) != 1 ||
		    fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK))
			fz_fail(t, "a sealed memfd: %s", strerror(errno));
		*errs = FZ_E(EPERM) | FZ_E(EBUSY);
		return fd;
	case SK_EPIPE:
	case SK_REAL:
		if (pipe(pipefd)) {
			fz_fail(t, "pipe: %s", strerror(errno));
			return -1;
		}
		if (sk == SK_EPIPE)
			close(pipefd[0]);
		*errs = sk == SK_EPIPE ? FZ_E(EPIPE) | FZ_E(EBUSY) : FZ_E(EBUSY);
		return pipefd[1];
	default:		/* not a regular file, pipe or stream socket */
		*errs = FZ_E(EINVAL);
		return t->w->sink[sk];
	}
}

/* Budgets: at most a few dumps that really run, per test. */
static enum fz_sink fz_sink_budget(struct fz_world *w, enum fz_sink sk)
{
	int *used = sk == SK_REAL ? &w->real_dumps : &w->failing_dumps;
	int max = sk == SK_REAL ? FZ_REAL_DUMPS : FZ_FAILING_DUMPS;

	if (sk < SK_CHEAP || __atomic_fetch_add(used, 1, __ATOMIC_RELAXED) < max)
		return sk;
	return SK_RDONLY;
}

/*
 * MEM_KERNELDUMP (SPEC §7.1): bad arguments in the order FreeBSD checks
 * them, rarely a dump that fails once it runs, and at most FZ_REAL_DUMPS
 * whole dumps through a pipe.
 */
static void fz_op_dump(struct fz_thread *t, uint64_t *r)
{
	static const int bad_flags[] = { 1, 1 << 17, 1 << 15, INT_MIN, -1 };
	struct fz_world *w = t->w;
	enum fz_sink sk = fz_below(r, 100) < 94 ? (enum fz_sink)fz_below(r, SK_CHEAP) :
			  (enum fz_sink)(SK_CHEAP + fz_below(r, SK_N - SK_CHEAP));
	int flags = fz_chance(r, 70) ? 0 : fz_chance(r, 50) ? MEM_KERNELDUMP_ALLRAM :
		    bad_flags[fz_below(r, 5)];
	int comp = fz_chance(r, 80) ? (int)fz_below(r, 3) : 3 + (int)fz_below(r, 253);
	struct fz_drain drain = { .fd = -1 };
	struct mem_livedump_arg *a;
	int pipefd[2] = { -1, -1 }, fd, ret;
	pthread_t reader;
	uint64_t errs;
	enum fz_ptr kind;
	struct fz_exp e;
	struct fz_fd f;

	if (flags & ~MEM_KERNELDUMP_FLAGS || comp > 2)
		sk = (enum fz_sink)fz_below(r, SK_CHEAP);	/* never runs */
	if (sk == SK_REAL && (flags & MEM_KERNELDUMP_ALLRAM) && comp == 1)
		comp = 2;	/* every page through gzip: minutes under TCG */
	sk = fz_sink_budget(w, sk);
	fz_ioctl_fd(t, r, &f, &e);
	a = fz_ioctl_ptr(t, r, sizeof(*a), 0, &kind);
	if (sk >= SK_CHEAP) {	/* it runs: long, so on our own fd */
		fz_fd_put(t, &f);
		f = (struct fz_fd){ .fd = t->pm, .flags = O_RDWR, .private = true, .slot = -1 };
		memset(&e, 0, sizeof(e));
		a = (struct mem_livedump_arg *)t->arena;
		kind = FP_OK;
	}
	fd = fz_sink(t, sk, pipefd, &errs);
	if (kind == FP_OK) {
		memset(a, 0, sizeof(*a));
		a->fd = fd;
		a->flags = flags;
		a->compression = comp;
		a->pad2[0] = fz_next(r);	/* padding: ignored */
	}
	if (e.must_fail)
		;
	else if (kind != FP_OK && kind != FP_RO)
		fz_exp_only(&e, FZ_E(EFAULT));
	else if (kind == FP_RO)		/* zeros: fd 0, stdin, never writable */
		fz_exp_only(&e, FZ_E(EINVAL) | FZ_E(EBADF));
	else if (flags & ~MEM_KERNELDUMP_FLAGS)
		fz_exp_only(&e, FZ_E(EINVAL));
	else if (errs & (FZ_E(EBADF) | FZ_E(EINVAL)) || comp > 2)
		fz_exp_only(&e, errs & (FZ_E(EBADF) | FZ_E(EINVAL)) ? errs : FZ_E(EINVAL));
	else if (sk == SK_REAL)
		e.allowed = errs;
	else
		fz_exp_only(&e, errs);
	if (sk == SK_REAL) {
		drain.fd = pipefd[0];
		if (pthread_create(&reader, NULL, fz_drain_main, &drain))
			fz_fail(t, "no reader thread");
	}
	fz_desc(t, "MEM_KERNELDUMP(%s fd %d, arg %s %p: fd %d (sink %d), flags %#x, compression %d)",
		fz_dev(&f), f.fd, fz_ptr_name[kind], (void *)a, fd, sk, flags,
		comp);
	ret = fz_ioctl(t, FZ_OP_DUMP, f.fd, MEM_KERNELDUMP, a, &e);
	fz_fd_put(t, &f);
	if (pipefd[1] >= 0)
		close(pipefd[1]);
	if (sk == SK_REAL) {
		pthread_join(reader, NULL);
		close(pipefd[0]);
		if (!ret && kind == FP_OK)
			fz_dump_check(t, &drain, comp);
	}
	if (sk == SK_SEALED && fd >= 0)
		close(fd);
}

/* Our four commands as this ABI spells them, and the ones it must not. */
static bool fz_ours(unsigned long cmd)
{
	return cmd == MEMRANGE_GET || cmd == MEMRANGE_SET ||
	       cmd == MEM_EXTRACT_PADDR || cmd == MEM_KERNELDUMP;
}

/*
 * Commands next to ours: every direction bit pattern, sizes, numbers and
 * types around them, single bits flipped, the other ABI's MEMRANGE
 * numbers, and isatty()'s TCGETS. All ENOTTY (SPEC §1.3).
 */
static unsigned long fz_near_cmd(uint64_t *r)
{
	static const unsigned long ours[] = {
		MEMRANGE_GET, MEMRANGE_SET, MEM_EXTRACT_PADDR, MEM_KERNELDUMP,
	};
	static const unsigned int sizes[] = {
		0, 1, 8, 12, 15, 16, 17, 24, 31, 32, 33, 63, 64, 65, 0x1fff, 0x3fff,
	};
	unsigned long cmd = ours[fz_below(r, 4)];
	unsigned int i, n = 1 + fz_below(r, 2);

	if (fz_chance(r, 4))
		return TCGETS;
	for (i = 0; i < n; i++) {
		switch (fz_below(r, 7)) {
		case 0: cmd = (cmd & 0x3fffffffUL) | (fz_below(r, 4) << 30); break;
		case 1: cmd = (cmd & ~(0x3fffUL << 16)) | ((unsigned long)sizes[fz_below(r, 16)] << 16); break;
		case 2: cmd = (cmd & ~0xffUL) | ((cmd + fz_below(r, 7) - 3) & 0xff); break;
		case 3: cmd = (cmd & ~0xffUL) | fz_below(r, 256); break;
		case 4: cmd = (cmd & ~0xff00UL) | ((('m' + fz_below(r, 5) - 2) & 0xff) << 8); break;
		case 5: cmd ^= 1UL << fz_below(r, 32); break;
		default: cmd = fz_chance(r, 50) ? FZ_GET_OTHER : FZ_SET_OTHER; break;
		}
	}
	/* a bit flip must not reach the VFS's own ('T', 'X', 'f', 0x94...) */
	if (!strchr("klmno", (int)((cmd >> 8) & 0xff)) || !((cmd >> 8) & 0xff))
		cmd = (cmd & ~0xff00UL) | ('m' << 8);
	return cmd & 0xffffffffUL;
}

static void fz_op_near(struct fz_thread *t, uint64_t *r)
{
	unsigned long cmd = fz_near_cmd(r);
	enum fz_ptr kind;
	struct fz_exp e;
	struct fz_fd f;
	void *arg;

	if (fz_ours(cmd))
		cmd ^= 1UL << 29;	/* a size bit: still next to ours */
	fz_ioctl_fd(t, r, &f, &e);
	arg = fz_ioctl_ptr(t, r, 64, 0, &kind);
	if (kind == FP_OK)
		memset(arg, 0, 64);
	if (!e.must_fail)
		fz_exp_only(&e, FZ_E(ENOTTY));
	fz_desc(t, "ioctl(%s fd %d, %#lx, %s %p)", fz_dev(&f), f.fd, cmd,
		fz_ptr_name[kind], arg);
	fz_ioctl(t, FZ_OP_NEAR, f.fd, cmd, arg, &e);
	fz_fd_put(t, &f);
}

/* ---- the threads ---- */

static void fz_one(struct fz_thread *t, uint64_t *r)
{
	unsigned int i, k, total = 0;

	for (i = 0; i < FZ_NOPS; i++)
		total += fz_op_weight[i];
	k = fz_below(r, total);
	for (i = 0; i + 1 < FZ_NOPS && k >= fz_op_weight[i]; i++)
		k -= fz_op_weight[i];
	switch ((enum fz_op)i) {
	case FZ_OP_OPEN: fz_op_open(t, r, true); break;
	case FZ_OP_CLOSE: fz_op_open(t, r, false); break;
	case FZ_OP_READ: fz_op_read(t, r, false); break;
	case FZ_OP_PREAD: fz_op_read(t, r, true); break;
	case FZ_OP_WRITE: fz_op_write(t, r, false); break;
	case FZ_OP_PWRITE: fz_op_write(t, r, true); break;
	case FZ_OP_LSEEK: fz_op_lseek(t, r); break;
	case FZ_OP_MMAP: fz_op_mmap(t, r); break;
	case FZ_OP_MUNMAP: fz_op_munmap(t, r); break;
	case FZ_OP_MPROTECT: fz_op_mprotect(t, r); break;
	case FZ_OP_TOUCH: fz_op_touch(t, r); break;
	case FZ_OP_PROCMEM: fz_op_procmem(t, r); break;
	case FZ_OP_GET: fz_op_get(t, r); break;
	case FZ_OP_SET: fz_op_set(t, r); break;
	case FZ_OP_EXTRACT: fz_op_extract(t, r); break;
	case FZ_OP_DUMP: fz_op_dump(t, r); break;
	default: fz_op_near(t, r); break;
	}
}

static bool fz_past(const struct timespec *deadline)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return now.tv_sec > deadline->tv_sec ||
	       (now.tv_sec == deadline->tv_sec && now.tv_nsec >= deadline->tv_nsec);
}

static void *fz_thread_main(void *arg)
{
	struct fz_thread *t = arg;
	struct fz_world *w = t->w;
	unsigned int i;
	uint64_t r;

	fz_self = t;
	while (t->done < t->want && !__atomic_load_n(&w->stop, __ATOMIC_RELAXED)) {
		if (fz_past(&w->deadline)) {
			__atomic_store_n(&w->timed_out, true, __ATOMIC_RELAXED);
			break;
		}
		r = fz_next(&t->rng);	/* each op its own stream */
		t->opno = t->done;
		fz_one(t, &r);
		t->done++;
	}
	for (i = 0; i < FZ_MAPS; i++)
		if (t->map[i].addr)
			fz_unmap(t, &t->map[i]);
	return NULL;
}

/* A fault in a thread: say which call it was making, then die of it. */
static void fz_fatal(int sig)
{
	struct fz_thread *t = fz_self;
	char msg[512];
	int n;

	n = snprintf(msg, sizeof(msg), "# FATAL signal %d in thread %d op %lu: %s\n",
		     sig, t ? t->id : -1, t ? t->opno : 0, t ? t->desc : "?");
	if (n > 0 && write(STDERR_FILENO, msg, n) < 0)
		n = 0;
	signal(sig, SIG_DFL);
	raise(sig);
}

/* ---- the world: what the machine looks like, our page, descriptors ---- */

static uint64_t fz_program_seed;

static void __attribute__((constructor)) fz_pick_seed(void)
{
	uint64_t s;

	if (getrandom(&s, sizeof(s), 0) != sizeof(s))
		s = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
	fz_program_seed = s;
}

/* A number from the environment; false if unset (then *v is untouched). */
static bool fz_env(const char *name, uint64_t *v)
{
	const char *s = getenv(name);
	char *end;

	if (!s || !*s)
		return false;
	*v = strtoull(s, &end, 0);
	return !*end;
}

static void *fz_map_fixed(uintptr_t at, size_t len, int prot)
{
	void *p = mmap((void *)at, len, prot, MAP_PRIVATE | MAP_ANONYMOUS |
		       MAP_FIXED_NOREPLACE, -1, 0);

	return p == (void *)at ? p : NULL;
}

/* The physical layout from /proc/iomem and /proc/cpuinfo. */
static const char *fz_world_phys(struct fz_world *w)
{
	int i;

	w->phys_bits = bt_phys_bits();
	if (w->phys_bits < 32 || w->phys_bits > 52)
		return "no physical address size in /proc/cpuinfo";
	w->phys_limit = 1ULL << w->phys_bits;
	w->niomem = bt_iomem(w->iomem, sizeof(w->iomem) / sizeof(w->iomem[0]));
	if (w->niomem <= 0)
		return "no /proc/iomem";
	for (i = 0; i < w->niomem && w->nram < 64; i++) {
		if (w->iomem[i].depth || strcmp(w->iomem[i].name, "System RAM"))
			continue;
		w->ram[w->nram][0] = w->iomem[i].start;
		w->ram[w->nram][1] = w->iomem[i].end + 1;
		if (w->ram[w->nram][1] > w->ram_top)
			w->ram_top = w->ram[w->nram][1];
		w->nram++;
	}
	if (!w->nram || !w->iomem[0].end)
		return "no System RAM in /proc/iomem (addresses hidden?)";
	w->nodes = bt_numa_nodes();
	return NULL;
}

/* The kernel's layout through /proc/kallsyms and /proc/kcore (kcore.c). */
static const char *fz_world_kernel(struct fz_world *w)
{
	static struct kc k;
	struct kc_layout l;
	const char *why;

	if (kc_open(&k))
		return "cannot open /proc/kcore and /proc/kallsyms";
	why = kc_layout(&k, &l);
	if (strcmp(why, KC_OK)) {
		kc_close(&k);
		return why;
	}
	w->pob = l.page_offset_base;
	w->vmalloc = l.vmalloc_base;
	w->vmemmap = l.vmemmap_base;
	w->text_pa = l.text_pa;
	w->text = k.sym[KC_TEXT];
	w->banner = k.sym[KC_LINUX_BANNER];
	w->levels = l.levels;
	w->canon = l.levels == 5 ? 0xff00000000000000ULL : 0xffff800000000000ULL;
	kc_close(&k);
	if (bt_kallsyms("__this_module", "bsdmem", &w->module))
		return "bsdmem's __this_module not in /proc/kallsyms";
	w->nvm = bt_vmallocinfo("", w->vm, sizeof(w->vm) / sizeof(w->vm[0]));
	if (w->nvm < 0)
		w->nvm = 0;
	return NULL;
}

/* Memory ranges: the backend, the count, the hole we may set ranges in. */
static const char *fz_world_ranges(struct fz_world *w, int fd)
{
	struct mem_range_desc *d;
	char backend[16] = "";
	int i, n;

	mru_backend(backend, sizeof(backend));
	w->pat = !strcmp(backend, "pat");
	if (w->pat && mru_find_hole(&w->hole, false))
		w->hole = 0;
	n = mru_get_all(fd, &d);
	if (n < 0)
		return "MEMRANGE_GET of all descriptors failed";
	w->range_count = n;
	w->fixed = n > 0 && (d[0].mr_flags & MDF_FIXACTIVE);
	for (i = 0; i < n; i++) {
		int fl = d[i].mr_flags;

		if (!(fl & MDF_ACTIVE))
			continue;
		if (!(fl & (MDF_BUSY | MDF_FIXACTIVE)) && w->ntheirs < 32) {
			w->theirs[w->ntheirs][0] = d[i].mr_base;
			w->theirs[w->ntheirs++][1] = d[i].mr_len;
		}
		if (!w->have_fw && (fl & MDF_FIRMWARE) && (fl & MDF_BUSY) &&
		    !(fl & MDF_FIXACTIVE) && d[i].mr_base >= (1 << 20) &&
		    !mru_has_ram(d[i].mr_base, d[i].mr_len)) {
			w->fw = d[i];
			w->have_fw = true;
		}
	}
	free(d);
	return NULL;
}

/*
 * This program's page: mlock'ed, between two PROT_NONE pages, its
 * physical address from MEM_EXTRACT_PADDR checked against
 * /proc/self/pagemap, and its direct-map alias read through /proc/kcore.
 */
static const char *fz_world_own(struct fz_world *w, int fd)
{
	static struct kc k;
	unsigned char *region = fz_map_fixed(FZ_BASE, 3 * FZ_PG, PROT_NONE);
	unsigned char alias[FZ_PG];
	struct mem_extract me;
	uint64_t pm;

	if (!region)
		return "no room for this program's page";
	w->own = region + FZ_PG;
	if (mprotect(w->own, FZ_PG, PROT_READ | PROT_WRITE) ||
	    madvise(w->own, FZ_PG, MADV_NOHUGEPAGE))
		return "mprotect/madvise of this program's page";
	bt_fill(w->pattern, FZ_PG, (unsigned int)w->seed);
	memcpy(w->own, w->pattern, FZ_PG);
	if (mlock(w->own, FZ_PG))
		return "mlock of this program's page";
	if (bt_extract(fd, (uintptr_t)w->own, 1, -1, &me) ||
	    me.me_state != ME_STATE_MAPPED)
		return "MEM_EXTRACT_PADDR does not map this program's page";
	if (bt_pagemap_paddr(w->own, &pm) || pm != me.me_paddr)
		return "MEM_EXTRACT_PADDR and /proc/self/pagemap disagree";
	w->own_pa = me.me_paddr;
	w->own_kva = w->pob + w->own_pa;
	if (kc_open(&k))
		return "cannot open /proc/kcore";
	if (kc_read(&k, w->own_kva, alias, FZ_PG) ||
	    memcmp(alias, w->pattern, FZ_PG)) {
		kc_close(&k);
		return "/proc/kcore reads other bytes at page_offset_base + paddr";
	}
	kc_close(&k);
	return NULL;
}

/* Descriptors to dump to: each wrong in one of SPEC §7.1's ways. */
static const char *fz_world_sinks(struct fz_world *w)
{
	int p[2], q[2], i;

	snprintf(w->tmpfile, sizeof(w->tmpfile), "/tmp/fuzz-sink-%d", getpid());
	w->sink[SK_BADFD] = -1;
	w->sink[SK_RDONLY] = open(w->tmpfile, O_RDONLY | O_CREAT | O_CLOEXEC, 0600);
	w->sink[SK_PATH] = open(w->tmpfile, O_PATH | O_CLOEXEC);
	w->sink[SK_DIR] = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	w->sink[SK_CHR] = open("/dev/null", O_WRONLY | O_CLOEXEC);
	w->sink[SK_DEV] = -1;		/* the thread's /dev/bsdmem */
	w->sink[SK_APPEND] = open(w->tmpfile, O_WRONLY | O_APPEND | O_CLOEXEC);
	w->sink_other[0] = w->sink_other[1] = -1;
	if (!pipe2(p, O_CLOEXEC | O_NONBLOCK)) {
		w->sink[SK_PIPE_NB] = p[1];
		w->sink_other[0] = p[0];
	}
	if (!pipe2(q, O_CLOEXEC)) {
		w->sink[SK_PIPE_R] = q[0];
		w->sink_other[1] = q[1];
	}
	w->sink[SK_DGRAM] = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	w->sink[SK_SEQPACKET] = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	w->sink[SK_EVENTFD] = eventfd(0, EFD_CLOEXEC);
	for (i = 0; i < SK_CHEAP; i++)
		if (w->sink[i] < 0 && i != SK_BADFD && i != SK_DEV)
			return "cannot create the dump sinks";
	return NULL;
}

/* A thread's address space: arena, guard, read-only page, mapping window. */
static const char *fz_thread_init(struct fz_world *w, struct fz_thread *t,
				  int id)
{
	uintptr_t at = FZ_BASE + (id + 1) * FZ_SLOT_SIZE;

	t->w = w;
	t->id = id;
	t->arena = fz_map_fixed(at, FZ_ARENA + 2 * FZ_PG, PROT_READ | PROT_WRITE);
	if (!t->arena)
		return "no room for a thread's arena";
	madvise(t->arena, FZ_ARENA + 2 * FZ_PG, MADV_NOHUGEPAGE);
	t->guard = t->arena + FZ_ARENA;
	t->ro = t->guard + FZ_PG;
	t->unmapped = t->ro + FZ_PG;
	t->window = t->arena + FZ_WINDOW;
	memset(t->arena, 0xa5, FZ_ARENA);
	memset(t->ro, 0, FZ_PG);
	if (mprotect(t->guard, FZ_PG, PROT_NONE) || mprotect(t->ro, FZ_PG, PROT_READ))
		return "mprotect of a thread's guard pages";
	t->pm = open(_PATH_BSDMEM, O_RDWR | O_CLOEXEC);
	t->pk = open(_PATH_BSDKMEM, O_RDWR | O_CLOEXEC);
	t->procmem = open("/proc/self/mem", O_RDWR | O_CLOEXEC);
	if (t->pm < 0 || t->pk < 0 || t->procmem < 0)
		return "cannot open a thread's private descriptors";
	return NULL;
}

static const char *fz_world_init(struct fz_world *w, int fd)
{
	pthread_rwlockattr_t attr;
	const char *why;
	uint64_t v;
	int i;

	w->seed = fz_program_seed;
	fz_env("FUZZ_SEED", &w->seed);
	w->ops = FZ_DEFAULT_OPS;
	if (fz_env("FUZZ_OPS", &v)) {
		w->ops = v;
		w->ops_explicit = true;
	}
	w->seconds = FZ_DEFAULT_SECONDS;
	if (fz_env("FUZZ_SECONDS", &v))
		w->seconds = v;
	pthread_mutex_init(&w->lock, NULL);
	pthread_rwlockattr_init(&attr);
	pthread_rwlockattr_setkind_np(&attr,
				      PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	for (i = 0; i < FZ_SLOTS; i++) {
		pthread_rwlock_init(&w->slot[i].lock, &attr);
		w->slot[i].fd = -1;
	}
	why = fz_world_phys(w);
	if (!why)
		why = fz_world_kernel(w);
	if (!why)
		why = fz_world_ranges(w, fd);
	if (!why)
		why = fz_world_own(w, fd);
	if (!why)
		why = fz_world_sinks(w);
	for (i = 0; !why && i < FZ_THREADS; i++)
		why = fz_thread_init(w, &w->thr[i], i);
	return why;
}

/* own_map: this program's page through /dev/bsdmem, read-write if allowed. */
static const char *fz_world_own_map(struct fz_world *w)
{
	uintptr_t at = FZ_BASE + 16 * FZ_PG;
	unsigned char *region = fz_map_fixed(at, 3 * FZ_PG, PROT_NONE);
	int fd = open(_PATH_BSDMEM, (w->writable ? O_RDWR : O_RDONLY) | O_CLOEXEC);
	void *p;

	if (!region || fd < 0)
		return "cannot open /dev/bsdmem for this program's mapping";
	p = mmap(region + FZ_PG, FZ_PG, PROT_READ | (w->writable ? PROT_WRITE : 0),
		 MAP_SHARED | MAP_FIXED, fd, (off_t)w->own_pa);
	close(fd);
	if (p != region + FZ_PG)
		return "mmap of this program's page through /dev/bsdmem failed";
	w->own_map = p;
	w->own_map_rw = w->writable;
	return NULL;
}

/* Ranges this run set in the hole: removed, so nothing is left behind. */
static void fz_world_ranges_clean(struct fz_world *w, int fd)
{
	struct mem_range_desc *d;
	int i, n;

	if (!w->hole)
		return;
	n = mru_get_all(fd, &d);
	for (i = 0; i < n; i++)
		if ((d[i].mr_flags & MDF_ACTIVE) &&
		    !(d[i].mr_flags & (MDF_BUSY | MDF_FIXACTIVE)) &&
		    d[i].mr_base >= w->hole &&
		    d[i].mr_base + d[i].mr_len <= w->hole + FZ_HOLE_LEN)
			mru_set_desc(fd, MEMRANGE_SET_REMOVE, &d[i]);
	if (n > 0)
		free(d);
}

static void fz_close(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static void fz_world_free(struct fz_world *w, int fd)
{
	int i;

	for (i = 0; i < FZ_SLOTS; i++)
		fz_close(&w->slot[i].fd);
	for (i = 0; i < FZ_THREADS; i++) {
		fz_close(&w->thr[i].pm);
		fz_close(&w->thr[i].pk);
		fz_close(&w->thr[i].procmem);
		if (w->thr[i].arena)
			munmap(w->thr[i].arena, FZ_ARENA + 2 * FZ_PG);
	}
	for (i = 0; i < SK_CHEAP; i++)
		fz_close(&w->sink[i]);
	fz_close(&w->sink_other[0]);
	fz_close(&w->sink_other[1]);
	if (w->tmpfile[0])
		unlink(w->tmpfile);
	if (w->own_map)
		munmap(w->own_map - FZ_PG, 3 * FZ_PG);
	if (w->own)
		munmap(w->own - FZ_PG, 3 * FZ_PG);
	fz_world_ranges_clean(w, fd);
	free(w);
}

/* ---- the report ---- */

static void fz_report(struct fz_world *w, double secs, unsigned long *total)
{
	unsigned long sum[FZ_NERR + 2] = { 0 }, op[FZ_NERR + 2];
	char line[1024];
	size_t used;
	int i, j, k;

	*total = 0;
	for (k = 0; k < FZ_THREADS; k++) {
		printf("# thread %d: ops %lu\n", k, w->thr[k].done);
		*total += w->thr[k].done;
	}
	for (i = 0; i < FZ_NOPS; i++) {
		memset(op, 0, sizeof(op));
		for (k = 0; k < FZ_THREADS; k++)
			for (j = 0; j < FZ_NERR + 2; j++)
				op[j] += w->thr[k].count[i][j];
		used = snprintf(line, sizeof(line), "#   %-17s ok %lu", fz_op_name[i], op[0]);
		for (j = 1; j < FZ_NERR + 2; j++) {
			sum[j] += op[j];
			if (op[j] && used < sizeof(line))
				used += snprintf(line + used, sizeof(line) - used,
						 ", %s %lu", fz_errno_name[j - 1], op[j]);
		}
		printf("%s\n", line);
	}
	used = snprintf(line, sizeof(line), "# ops %lu, errors by errno:", *total);
	for (j = 1; j < FZ_NERR + 2; j++)
		if (sum[j] && used < sizeof(line))
			used += snprintf(line + used, sizeof(line) - used, " %s %lu",
					 fz_errno_name[j - 1], sum[j]);
	printf("%s\n", line);
	printf("# %.1f s, %.0f ops/s, %d real dumps, %d failing dumps\n", secs,
	       secs > 0 ? *total / secs : 0.0,
	       w->real_dumps < FZ_REAL_DUMPS ? w->real_dumps : FZ_REAL_DUMPS,
	       w->failing_dumps < FZ_FAILING_DUMPS ? w->failing_dumps : FZ_FAILING_DUMPS);
	fflush(stdout);
}

/* ---- the tests ---- */

FIXTURE(fuzz) {
	struct fz_world *w;
	int fd;			/* /dev/bsdmem, for setup and checks */
	char compact[16];	/* vm.compact_unevictable_allowed before */
};

#define FZ_COMPACT	"/proc/sys/vm/compact_unevictable_allowed"

FIXTURE_SETUP(fuzz)
{
	const char *why;

	self->fd = -1;
	if (geteuid())
		SETUP_SKIP("must run as root");
	if (access(_PATH_BSDMEM, F_OK) || access(_PATH_BSDKMEM, F_OK))
		SETUP_SKIP("%s missing: is bsdmem loaded?", _PATH_BSDMEM);
	self->fd = open(_PATH_BSDMEM, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->fd);
	self->w = calloc(1, sizeof(*self->w));
	ASSERT_NE(NULL, self->w);
	why = fz_world_init(self->w, self->fd);
	ASSERT_EQ(NULL, why) TH_LOG("%s", why);
	/* compaction must not move the mlock'ed page we write to */
	if (bt_read_file(FZ_COMPACT, self->compact, sizeof(self->compact)) > 0)
		bt_write_file(FZ_COMPACT, "0");
}

FIXTURE_TEARDOWN(fuzz)
{
	if (bt_set_writable(0))
		TH_LOG("could not set writable back to 0: %s", strerror(errno));
	if (self->compact[0])
		bt_write_file(FZ_COMPACT, self->compact);
	if (self->w)
		fz_world_free(self->w, self->fd);
	if (self->fd >= 0)
		close(self->fd);
}

/* Fill the shared table: a few descriptors of each device to start with. */
static void fz_slots_fill(struct fz_world *w)
{
	static const int flags[] = { O_RDONLY, O_RDWR, O_WRONLY, O_RDWR | O_DSYNC };
	int i;

	for (i = 0; i < FZ_SLOTS; i++) {
		w->slot[i].kmem = i % 4 == 2;
		w->slot[i].flags = flags[(i / 2) % 4];
		w->slot[i].fd = open(w->slot[i].kmem ? _PATH_BSDKMEM : _PATH_BSDMEM,
				     w->slot[i].flags | O_CLOEXEC);
		w->slot[i].flags |= O_CLOEXEC;
	}
}

/* Run every thread to its count or to the deadline; the ops that ran. */
static unsigned long fz_go(struct __test_metadata *_metadata,
			   struct fz_world *w, int test)
{
	struct timespec t0, t1;
	unsigned long total;
	int i;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	w->deadline = t0;
	w->deadline.tv_sec += w->seconds;
	for (i = 0; i < FZ_THREADS; i++) {
		struct fz_thread *t = &w->thr[i];

		t->rng = fz_mix(w->seed ^ fz_mix(0x100 * (test + 1) + i));
		t->want = w->ops / FZ_THREADS + ((unsigned long)i < w->ops % FZ_THREADS);
		ASSERT_EQ(0, pthread_create(&t->tid, NULL, fz_thread_main, t));
	}
	for (i = 0; i < FZ_THREADS; i++)
		pthread_join(w->thr[i].tid, NULL);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	fz_report(w, (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9,
		  &total);
	return total;
}

/* bt_kread/bt_kwrite, but i386's _llseek cannot report such a position. */
static ssize_t fz_kxfer(int fd, uint64_t va, void *buf, size_t len, bool out)
{
	off_t got = lseek(fd, (off_t)va, SEEK_SET);

	if (!FZ_I386 && (uint64_t)got != va)
		return -1;
	return out ? write(fd, buf, len) : read(fd, buf, len);
}

/* Every mapping is gone: the kernel's memory types are what they were. */
static void fz_pat_same(struct __test_metadata *_metadata, struct fz_world *w)
{
	static char pat[MRU_SNAP_SIZE], mtrr[MRU_SNAP_SIZE], diff[2048];

	mru_snapshot(pat, mtrr);
	mru_snap_diff(w->pat0, pat, diff, sizeof(diff));
	EXPECT_STREQ("", diff) TH_LOG("the PAT table changed");
	mru_snap_diff(w->mtrr0, mtrr, diff, sizeof(diff));
	EXPECT_STREQ("", diff) TH_LOG("/proc/mtrr changed");
}

/* After the run: the module still answers, and our page is where it was. */
static void fz_after(struct __test_metadata *_metadata, struct fz_world *w)
{
	unsigned char a[FZ_PG], b[FZ_PG];
	struct mem_extract me;
	char progress[64];
	uint64_t pm;
	int fd, kfd;

	EXPECT_EQ(0, bt_pagemap_paddr(w->own, &pm));
	EXPECT_EQ(w->own_pa, pm) TH_LOG("this program's page moved");
	fd = open(_PATH_BSDMEM, O_RDWR | O_CLOEXEC);
	kfd = open(_PATH_BSDKMEM, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd) TH_LOG("the module no longer opens: %s", strerror(errno));
	ASSERT_LE(0, kfd);
	EXPECT_EQ(0, bt_extract(fd, (uintptr_t)w->own, 1, -1, &me));
	EXPECT_EQ(w->own_pa, me.me_paddr);
	memcpy(a, w->own, FZ_PG);
	EXPECT_EQ((ssize_t)FZ_PG, pread(fd, b, FZ_PG, (off_t)w->own_pa));
	EXPECT_EQ(0, memcmp(a, b, FZ_PG)) TH_LOG("/dev/bsdmem reads other bytes");
	EXPECT_EQ((ssize_t)FZ_PG, fz_kxfer(kfd, w->own_kva, b, FZ_PG, false));
	EXPECT_EQ(0, memcmp(a, b, FZ_PG)) TH_LOG("/dev/bsdkmem reads other bytes");
	if (!w->writable) {
		EXPECT_EQ(0, memcmp(w->own, w->pattern, FZ_PG))
			TH_LOG("a write went through with writable=0");
	} else {		/* and both devices still write */
		bt_fill(a, FZ_PG, (unsigned int)w->seed + 1);
		EXPECT_EQ((ssize_t)FZ_PG, pwrite(fd, a, FZ_PG, (off_t)w->own_pa));
		EXPECT_EQ(0, memcmp(w->own, a, FZ_PG));
		bt_fill(a, FZ_PG, (unsigned int)w->seed + 2);
		EXPECT_EQ((ssize_t)FZ_PG, fz_kxfer(kfd, w->own_kva, a, FZ_PG, true));
		EXPECT_EQ(0, memcmp(w->own, a, FZ_PG));
	}
	EXPECT_EQ(w->writable, bt_get_writable());
	EXPECT_LT(0, bt_read_file("/sys/class/misc/bsdmem/livedump_progress",
				  progress, sizeof(progress)));
	/* "0 0 N": no dump runs (N, the last dump's bytes, may be anything) */
	EXPECT_EQ(0, strncmp("0 0 ", progress, 4)) TH_LOG("%s", progress);
	fz_world_ranges_clean(w, fd);
	EXPECT_EQ(w->range_count, mru_get_count(fd, 0));
	close(kfd);
	close(fd);
	fz_pat_same(_metadata, w);
}

static void fz_test(struct __test_metadata *_metadata, struct fz_world *w,
		    bool writable)
{
	struct sigaction sa = { .sa_handler = fz_fatal };
	unsigned long total, need;
	const char *why;

	ASSERT_EQ(0, bt_set_writable(writable));
	ASSERT_EQ(writable, bt_get_writable());
	w->writable = writable;
	why = fz_world_own_map(w);
	ASSERT_EQ(NULL, why) TH_LOG("%s", why);
	fz_slots_fill(w);
	mru_snapshot(w->pat0, w->mtrr0);
	signal(SIGPIPE, SIG_IGN);	/* a dump into a closed pipe: EPIPE */
	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);
	printf("# seed %" PRIu64 "\n", w->seed);
	printf("# writable=%d: %d threads, FUZZ_OPS %lu%s, FUZZ_SECONDS %u, ABI %s, hole %#" PRIx64 "\n",
	       writable, FZ_THREADS, w->ops, w->ops_explicit ? "" : " (default)",
	       w->seconds, BT_ABI, w->hole);
	fflush(stdout);
	total = fz_go(_metadata, w, writable);
	printf("# ops %lu\n", total);
	fflush(stdout);
	EXPECT_EQ(0, w->fails) TH_LOG("%d calls gave what SPEC does not allow (seed %" PRIu64 ")",
				      w->fails, w->seed);
	/* only an explicitly lowered FUZZ_OPS may end short */
	need = w->ops_explicit && w->ops < FZ_DEFAULT_OPS ? 0 : w->ops;
	EXPECT_LE(need, total) TH_LOG("FUZZ_SECONDS=%u stopped the run after %lu of %lu ops",
				      w->seconds, total, w->ops);
	fz_after(_metadata, w);
}

/* This program's ABI is the one its name promises (see memrange_test). */
TEST(abi_matches_binary_name)
{
	char why[256];

	ASSERT_EQ(0, bt_abi_check(why, sizeof(why))) TH_LOG("%s", why);
}

/* writable=0: every write and shared writable mmap is refused (SPEC §2). */
TEST_F_TIMEOUT(fuzz, writable_0_writes_refused, 660)
{
	fz_test(_metadata, self->w, false);
}

/* writable=1: writes, only ever to this program's page, work. */
TEST_F_TIMEOUT(fuzz, writable_1_own_page_only, 660)
{
	fz_test(_metadata, self->w, true);
}

TEST_HARNESS_MAIN
