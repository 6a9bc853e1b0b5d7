// SPDX-License-Identifier: GPL-2.0
/*
 * Transfers through /dev/bsdmem and /dev/bsdkmem that must stop early
 * (SPEC §3.1, §4): a write to a page the kernel maps read-only in its
 * direct map (.rodata) is EFAULT and leaves the bytes /proc/kcore shows; a
 * signal that arrives while a read or write is under way ends it with the
 * partial count, and a handler installed with SA_RESTART does not restart
 * it. The signal comes from an event, not a timer: one page of the user
 * buffer is registered with userfaultfd, so the copy blocks there; the fault
 * thread signals the transferring thread and only then resolves the fault.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/userfaultfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include "bsdmem_harness.h"

#define XF_PAGES	4			/* pages per transfer */
#define XF_LEN		(XF_PAGES * BT_PAGE_SIZE)
#define XF_MARK		0xee			/* untouched user pages */

/* The physical address /proc/kcore's PT_LOAD segments give a kernel VA. */
static int kcore_paddr(uint64_t va, uint64_t *pa)
{
	Elf64_Ehdr eh;
	Elf64_Phdr ph;
	int fd, i, ret = -1;

	fd = open("/proc/kcore", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (pread(fd, &eh, sizeof(eh), 0) != sizeof(eh) ||
	    memcmp(eh.e_ident, ELFMAG, SELFMAG))
		goto out;
	for (i = 0; i < eh.e_phnum; i++) {
		if (pread(fd, &ph, sizeof(ph),
			  (off_t)(eh.e_phoff + (uint64_t)i * eh.e_phentsize)) !=
		    sizeof(ph))
			goto out;
		if (ph.p_type != PT_LOAD || ph.p_paddr == (Elf64_Addr)-1 ||
		    va < ph.p_vaddr || va - ph.p_vaddr >= ph.p_memsz)
			continue;
		*pa = ph.p_paddr + (va - ph.p_vaddr);
		ret = 0;
		break;
	}
out:
	close(fd);
	return ret;
}

/* page_offset_base, the direct map's start, as /proc/kcore holds it. */
static int direct_map_base(uint64_t *base)
{
	uint64_t va;

	if (bt_kallsyms("page_offset_base", NULL, &va) ||
	    bt_kcore_read(va, base, sizeof(*base)) != sizeof(*base))
		return -1;
	return (*base >> 56) == 0xff ? 0 : -1;
}

/* lseek to a 64-bit offset that may read back as a negative off_t. */
static int seek_to(int fd, uint64_t pos)
{
	off_t r;

	errno = 0;
	r = lseek(fd, (off_t)pos, SEEK_SET);
	if (r == -1 && errno)
		return -1;
	return (uint64_t)r == pos ? 0 : -1;
}

static uint64_t position(int fd)
{
	return (uint64_t)lseek(fd, 0, SEEK_CUR);
}

/* ---- a write to a read-only direct-map page (SPEC §3.1, §4) ---- */

FIXTURE(rodata) {
	int mem;		/* /dev/bsdmem, O_RDWR */
	int kmem;		/* /dev/bsdkmem, O_RDWR */
	int writable_old;
	uint64_t va;		/* linux_banner in the kernel image */
	uint64_t pa;		/* its physical address (/proc/kcore) */
	uint64_t dmap;		/* its direct-map alias */
	char orig[16];		/* its first bytes (/proc/kcore) */
	char poke[16];		/* the same with the case of each letter flipped */
};

FIXTURE_SETUP(rodata)
{
	uint64_t start, end, base;
	unsigned int i;

	self->mem = self->kmem = -1;
	self->writable_old = -1;
	if (geteuid())
		SETUP_SKIP("must run as root");
	if (access(_PATH_BSDMEM, F_OK))
		SETUP_SKIP("%s missing: is bsdmem loaded?", _PATH_BSDMEM);
	self->mem = open(_PATH_BSDMEM, O_RDWR);
	ASSERT_GE(self->mem, 0);
	self->kmem = open(_PATH_BSDKMEM, O_RDWR);
	ASSERT_GE(self->kmem, 0);
	ASSERT_EQ(0, bt_kallsyms("__start_rodata", NULL, &start));
	ASSERT_EQ(0, bt_kallsyms("__end_rodata", NULL, &end));
	ASSERT_EQ(0, bt_kallsyms("linux_banner", NULL, &self->va));
	ASSERT_TRUE(self->va >= start && self->va + sizeof(self->orig) <= end)
		TH_LOG("linux_banner %#llx is not inside .rodata [%#llx, %#llx)",
		       (unsigned long long)self->va, (unsigned long long)start,
		       (unsigned long long)end);
	ASSERT_EQ(0, kcore_paddr(self->va, &self->pa));
	ASSERT_EQ(0, direct_map_base(&base));
	self->dmap = base + self->pa;
	ASSERT_EQ((ssize_t)sizeof(self->orig),
		  bt_kcore_read(self->va, self->orig, sizeof(self->orig)));
	ASSERT_EQ(0, memcmp(self->orig, "Linux version ", 14));
	for (i = 0; i < sizeof(self->poke); i++)
		self->poke[i] = self->orig[i] ^ (self->orig[i] >= 'A' ? 0x20 : 0);
	self->writable_old = bt_get_writable();
	ASSERT_LE(0, self->writable_old);
	ASSERT_EQ(0, bt_set_writable(1));
}

FIXTURE_TEARDOWN(rodata)
{
	if (self->writable_old >= 0)
		bt_set_writable(self->writable_old);
	if (self->kmem >= 0)
		close(self->kmem);
	if (self->mem >= 0)
		close(self->mem);
}

/*
 * After a write that was expected to fail: the bytes are what they were,
 * as /proc/kcore reads them. A write that went through is then undone.
 */
static void expect_unchanged(struct __test_metadata *_metadata,
			     FIXTURE_DATA(rodata) *self, ssize_t r, int fd,
			     uint64_t pos)
{
	char now[sizeof(self->orig)];

	EXPECT_EQ((ssize_t)sizeof(now), bt_kcore_read(self->va, now, sizeof(now)));
	EXPECT_EQ(0, memcmp(now, self->orig, sizeof(now)))
		TH_LOG("linux_banner now starts \"%.14s\"", now);
	if (r > 0) {
		TH_LOG("the write went through (%zd bytes); putting them back", r);
		if (seek_to(fd, pos) || write(fd, self->orig, (size_t)r) != r)
			TH_LOG("and could not: %s", strerror(errno));
	}
}

/*
 * /dev/bsdmem at the physical address of linux_banner reads its bytes, and
 * a write there is EFAULT: the page is RAM, but its direct map is read-only.
 */
TEST_F(rodata, bsdmem_write_efault)
{
	char b[sizeof(self->orig)];
	ssize_t r;

	ASSERT_EQ((ssize_t)sizeof(b), pread(self->mem, b, sizeof(b), (off_t)self->pa));
	ASSERT_EQ(0, memcmp(b, self->orig, sizeof(b)));
	r = pwrite(self->mem, self->poke, sizeof(self->poke), (off_t)self->pa);
	EXPECT_EQ(-1, r);
	EXPECT_EQ(EFAULT, errno);
	expect_unchanged(_metadata, self, r, self->mem, self->pa);
}

/* /dev/bsdkmem at linux_banner's direct-map alias: readable, write EFAULT. */
TEST_F(rodata, bsdkmem_direct_map_write_efault)
{
	char b[sizeof(self->orig)];
	ssize_t r;

	ASSERT_EQ((ssize_t)sizeof(b), bt_kread(self->kmem, self->dmap, b, sizeof(b)));
	ASSERT_EQ(0, memcmp(b, self->orig, sizeof(b)));
	r = bt_kwrite(self->kmem, self->dmap, self->poke, sizeof(self->poke));
	EXPECT_EQ(-1, r);
	EXPECT_EQ(EFAULT, errno);
	expect_unchanged(_metadata, self, r, self->kmem, self->dmap);
}

/* ---- a signal during a transfer (SPEC §3.1, §4) ---- */

static volatile sig_atomic_t signals;

static void on_signal(int sig)
{
	(void)sig;
	signals++;
}

/* The thread that serves the user buffer's registered page. */
struct faulter {
	int uffd;
	int stop;		/* readable once the transfer has returned */
	pid_t tid;		/* the transferring thread */
	uint64_t page;		/* the registered page */
	const void *fill;	/* what the page gets when the fault comes */
	uint64_t fault_addr;	/* out: address of the fault, 0 if none came */
	int err;		/* out: errno of a step that failed */
};

/*
 * Wait for the fault (or for the transfer to end without one); on the
 * fault, signal the transferring thread first, then fill the page, which
 * wakes it: the signal is pending before the copy can go on.
 */
static void *faulter_run(void *arg)
{
	struct faulter *f = arg;
	struct pollfd pfd[2] = {
		{ .fd = f->uffd, .events = POLLIN },
		{ .fd = f->stop, .events = POLLIN },
	};
	struct uffdio_copy copy = {
		.dst = f->page, .src = (uintptr_t)f->fill, .len = BT_PAGE_SIZE,
	};
	struct uffdio_range range = { .start = f->page, .len = BT_PAGE_SIZE };
	struct uffd_msg msg;

	/* The userfaultfd is O_NONBLOCK: poll() on a blocking one is POLLERR. */
	for (;;) {
		if (poll(pfd, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			goto err;
		}
		errno = EIO;
		if (pfd[0].revents & ~POLLIN)
			goto err;
		if (pfd[0].revents && read(f->uffd, &msg, sizeof(msg)) == sizeof(msg))
			break;
		if (pfd[0].revents && errno != EAGAIN)
			goto err;
		if (!pfd[0].revents && pfd[1].revents)
			return NULL;
	}
	errno = EPROTO;
	if (msg.event != UFFD_EVENT_PAGEFAULT)
		goto err;
	f->fault_addr = msg.arg.pagefault.address;
	if (syscall(SYS_tgkill, getpid(), f->tid, SIGUSR1) ||
	    ioctl(f->uffd, UFFDIO_COPY, &copy))
		goto err;
	return NULL;
err:
	/* Let a blocked copy go on (with a zero page) rather than hang. */
	f->err = errno;
	ioctl(f->uffd, UFFDIO_UNREGISTER, &range);
	return NULL;
}

FIXTURE(sig) {
	int fd;			/* the device of the variant */
	int writable_old;
	char *pool;		/* 2 MiB of our memory, mlocked */
	char *scratch;		/* XF_PAGES of its pages, contiguous in RAM */
	uint64_t pa;		/* their physical address */
	uint64_t target;	/* their offset in the device */
	char *ubuf;		/* the user buffer, XF_PAGES pages */
	unsigned char fill[BT_PAGE_SIZE];
	unsigned char expect[XF_LEN];	/* what the destination should hold */
	int uffd;
};

FIXTURE_VARIANT(sig) {
	bool kmem;		/* /dev/bsdkmem at the direct map, else /dev/bsdmem */
	bool write;
};

FIXTURE_VARIANT_ADD(sig, bsdmem_read) { .kmem = false, .write = false };
FIXTURE_VARIANT_ADD(sig, bsdmem_write) { .kmem = false, .write = true };
FIXTURE_VARIANT_ADD(sig, bsdkmem_read) { .kmem = true, .write = false };
FIXTURE_VARIANT_ADD(sig, bsdkmem_write) { .kmem = true, .write = true };

struct frame {
	uint64_t pa;
	char *va;
};

static int frame_cmp(const void *a, const void *b)
{
	const struct frame *x = a, *y = b;

	return x->pa < y->pa ? -1 : x->pa > y->pa;
}

/*
 * XF_PAGES physically contiguous pages of our own, pinned: 2 MiB of our
 * memory is faulted in and mlocked (a THP if the kernel gives one), pagemap
 * finds XF_PAGES consecutive frames among its pages, in whatever order they
 * lie, and mremap moves those pages (the frames stay) into self->scratch in
 * frame order. 0, or -1 with the reason logged.
 */
static int scratch_alloc(struct __test_metadata *_metadata,
			 FIXTURE_DATA(sig) *self, uint64_t *pa)
{
	static struct frame f[BT_HPAGE_SIZE / BT_PAGE_SIZE];
	const size_t n = BT_HPAGE_SIZE / BT_PAGE_SIZE;
	size_t i, k, run = 1;
	char *p;

	p = mmap(NULL, BT_HPAGE_SIZE, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return -1;
	self->pool = p;
	madvise(p, BT_HPAGE_SIZE, MADV_HUGEPAGE);
	for (i = 0; i < n; i++)
		p[i * BT_PAGE_SIZE] = 1;
	if (mlock(p, BT_HPAGE_SIZE))
		return -1;
	for (i = 0; i < n; i++) {
		f[i].va = p + i * BT_PAGE_SIZE;
		if (bt_pagemap_paddr(f[i].va, &f[i].pa) || !f[i].pa)
			return -1;
	}
	qsort(f, n, sizeof(f[0]), frame_cmp);
	for (i = 1; i < n && run < XF_PAGES; i++)
		run = f[i].pa == f[i - 1].pa + BT_PAGE_SIZE ? run + 1 : 1;
	if (run < XF_PAGES) {
		TH_LOG("no %d physically contiguous pages in 2 MiB of our memory",
		       XF_PAGES);
		return -1;
	}
	i -= XF_PAGES;
	self->scratch = mmap(NULL, XF_LEN, PROT_NONE,
			     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (self->scratch == MAP_FAILED)
		return -1;
	for (k = 0; k < XF_PAGES; k++)
		if (mremap(f[i + k].va, BT_PAGE_SIZE, BT_PAGE_SIZE,
			   MREMAP_MAYMOVE | MREMAP_FIXED,
			   self->scratch + k * BT_PAGE_SIZE) == MAP_FAILED)
			return -1;
	*pa = f[i].pa;
	for (k = 0; k < XF_PAGES; k++)
		if (bt_pagemap_paddr(self->scratch + k * BT_PAGE_SIZE, &f[0].pa) ||
		    f[0].pa != *pa + k * BT_PAGE_SIZE)
			return -1;
	return 0;
}

FIXTURE_SETUP(sig)
{
	uint64_t pa, base;

	self->fd = self->uffd = -1;
	self->writable_old = -1;
	self->pool = self->scratch = MAP_FAILED;
	self->ubuf = MAP_FAILED;
	if (geteuid())
		SETUP_SKIP("must run as root");
	if (access(_PATH_BSDMEM, F_OK))
		SETUP_SKIP("%s missing: is bsdmem loaded?", _PATH_BSDMEM);
	self->fd = open(variant->kmem ? _PATH_BSDKMEM : _PATH_BSDMEM, O_RDWR);
	ASSERT_GE(self->fd, 0);
	ASSERT_EQ(0, scratch_alloc(_metadata, self, &pa));
	bt_fill(self->scratch, XF_LEN, 31);
	self->pa = self->target = pa;
	if (variant->kmem) {
		ASSERT_EQ(0, direct_map_base(&base));
		self->target = base + pa;
	}
	self->ubuf = mmap(NULL, XF_LEN, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->ubuf);
	ASSERT_EQ(0, madvise(self->ubuf, XF_LEN, MADV_NOHUGEPAGE));
	bt_fill(self->fill, sizeof(self->fill), 32);
	if (variant->write) {
		self->writable_old = bt_get_writable();
		ASSERT_LE(0, self->writable_old);
		ASSERT_EQ(0, bt_set_writable(1));
	}
}

FIXTURE_TEARDOWN(sig)
{
	if (self->writable_old >= 0)
		bt_set_writable(self->writable_old);
	if (self->uffd >= 0)
		close(self->uffd);
	if (self->ubuf != MAP_FAILED)
		munmap(self->ubuf, XF_LEN);
	if (self->scratch != MAP_FAILED)
		munmap(self->scratch, XF_LEN);
	if (self->pool != MAP_FAILED)
		munmap(self->pool, BT_HPAGE_SIZE);
	if (self->fd >= 0)
		close(self->fd);
}

/*
 * Fill the user buffer's pages except @upage (a read's destination gets a
 * mark, a write's source a pattern), register @upage with userfaultfd, and
 * work out what the destination must hold after a full transfer.
 */
static void prepare(struct __test_metadata *_metadata, FIXTURE_DATA(sig) *self,
		    const FIXTURE_VARIANT(sig) *variant, int upage)
{
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg = {
		.range = {
			.start = (uintptr_t)(self->ubuf + upage * BT_PAGE_SIZE),
			.len = BT_PAGE_SIZE,
		},
		.mode = UFFDIO_REGISTER_MODE_MISSING,
	};
	char *page;
	int i;

	for (i = 0; i < XF_PAGES; i++) {
		page = self->ubuf + i * BT_PAGE_SIZE;
		if (i == upage)
			memcpy(self->expect + i * BT_PAGE_SIZE, self->fill, BT_PAGE_SIZE);
		else if (variant->write)
			bt_fill(page, BT_PAGE_SIZE, 40 + i);
		else
			memset(page, XF_MARK, BT_PAGE_SIZE);
		if (variant->write && i != upage)
			memcpy(self->expect + i * BT_PAGE_SIZE, page, BT_PAGE_SIZE);
	}
	if (!variant->write)
		memcpy(self->expect, self->scratch, XF_LEN);
	self->uffd = syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	ASSERT_LE(0, self->uffd) TH_LOG("userfaultfd: %s", strerror(errno));
	ASSERT_EQ(0, ioctl(self->uffd, UFFDIO_API, &api));
	ASSERT_EQ(0, ioctl(self->uffd, UFFDIO_REGISTER, &reg));
}

struct outcome {
	ssize_t r;
	int err;
	uint64_t pos;		/* file position afterwards */
	uint64_t fault_addr;
	int signals;
};

/*
 * One read or write of XF_LEN bytes at the scratch pages, with SIGUSR1
 * handled (with @sa_flags) and sent when the copy reaches @upage.
 */
static void transfer(struct __test_metadata *_metadata, FIXTURE_DATA(sig) *self,
		     const FIXTURE_VARIANT(sig) *variant, int upage,
		     int sa_flags, struct outcome *o)
{
	struct sigaction sa = { .sa_handler = on_signal, .sa_flags = sa_flags };
	struct faulter f = {
		.uffd = self->uffd,
		.tid = (pid_t)syscall(SYS_gettid),
		.page = (uintptr_t)(self->ubuf + upage * BT_PAGE_SIZE),
		.fill = self->fill,
	};
	pthread_t thread;
	int stop[2];

	ASSERT_EQ(0, sigemptyset(&sa.sa_mask));
	ASSERT_EQ(0, sigaction(SIGUSR1, &sa, NULL));
	ASSERT_EQ(0, pipe(stop));
	f.stop = stop[0];
	signals = 0;
	ASSERT_EQ(0, pthread_create(&thread, NULL, faulter_run, &f));
	ASSERT_EQ(0, seek_to(self->fd, self->target));
	if (variant->write)
		o->r = write(self->fd, self->ubuf, XF_LEN);
	else
		o->r = read(self->fd, self->ubuf, XF_LEN);
	o->err = errno;
	o->pos = position(self->fd);
	ASSERT_EQ(1, write(stop[1], "", 1));
	ASSERT_EQ(0, pthread_join(thread, NULL));
	close(stop[0]);
	close(stop[1]);
	o->signals = signals;
	o->fault_addr = f.fault_addr;
	TH_LOG("%s of %lu bytes: %zd (%s), fault at page %ld, %d signal(s)",
	       variant->write ? "write" : "read", XF_LEN, o->r,
	       o->r < 0 ? strerror(o->err) : "count",
	       f.fault_addr ? (long)((f.fault_addr - (uintptr_t)self->ubuf) /
				     BT_PAGE_SIZE) : -1L, o->signals);
	ASSERT_EQ(0, f.err) TH_LOG("fault thread: %s", strerror(f.err));
	/* The copy reached the registered page and the signal was taken. */
	ASSERT_EQ(f.page, o->fault_addr & ~(uint64_t)(BT_PAGE_SIZE - 1));
	ASSERT_EQ(1, o->signals);
}

/*
 * What a transfer that ended after @done bytes leaves behind: the first
 * @done bytes moved, nothing after them (a read's destination still holds
 * its mark or the registered page's fill; a write's, the old pattern).
 */
static void expect_moved(struct __test_metadata *_metadata,
			 FIXTURE_DATA(sig) *self,
			 const FIXTURE_VARIANT(sig) *variant, int upage,
			 size_t done)
{
	unsigned char old[XF_LEN];
	const unsigned char *dst = variant->write ?
		(unsigned char *)self->scratch : (unsigned char *)self->ubuf;
	uint64_t pa;
	size_t i;

	EXPECT_EQ(0, memcmp(dst, self->expect, done));
	bt_fill(old, XF_LEN, 31);
	for (i = done / BT_PAGE_SIZE; i < XF_PAGES; i++) {
		const unsigned char *was = variant->write ? old + i * BT_PAGE_SIZE :
			(int)i == upage ? self->fill : NULL;

		if (was) {
			EXPECT_EQ(0, memcmp(dst + i * BT_PAGE_SIZE, was,
					    BT_PAGE_SIZE)) TH_LOG("page %zu", i);
		} else {
			EXPECT_EQ(XF_MARK, dst[i * BT_PAGE_SIZE]) TH_LOG("page %zu", i);
			EXPECT_EQ(XF_MARK, dst[(i + 1) * BT_PAGE_SIZE - 1]);
		}
	}
	/* The scratch pages did not move while we used their address. */
	ASSERT_EQ(0, bt_pagemap_paddr(self->scratch, &pa));
	EXPECT_EQ(self->pa, pa);
}

/*
 * The signal comes while the copy is at page 1 of 4: the transfer ends
 * with a partial count, one or two pages (the page under way may complete),
 * the position advances by it, and nothing past it moved.
 */
static void expect_partial(struct __test_metadata *_metadata,
			   FIXTURE_DATA(sig) *self,
			   const FIXTURE_VARIANT(sig) *variant, int sa_flags)
{
	struct outcome o;

	prepare(_metadata, self, variant, 1);
	transfer(_metadata, self, variant, 1, sa_flags, &o);
	ASSERT_GE(o.r, (ssize_t)BT_PAGE_SIZE) TH_LOG("errno %s", strerror(o.err));
	ASSERT_LE(o.r, (ssize_t)(2 * BT_PAGE_SIZE))
		TH_LOG("the transfer went on after the signal");
	ASSERT_EQ(self->target + (uint64_t)o.r, o.pos);
	expect_moved(_metadata, self, variant, 1, (size_t)o.r);
}

/* A handler without SA_RESTART: the partial count. */
TEST_F(sig, partial_count)
{
	expect_partial(_metadata, self, variant, 0);
}

/* With SA_RESTART the same: a transfer that moved bytes is never restarted. */
TEST_F(sig, partial_count_sa_restart)
{
	expect_partial(_metadata, self, variant, SA_RESTART);
}

/*
 * The signal comes while the very first page is under way, with SA_RESTART:
 * that page completes and is the partial count, or the call fails with
 * EINTR and the position stays; it is never restarted (a restart would
 * move all four pages).
 */
TEST_F(sig, first_page_sa_restart)
{
	struct outcome o;

	prepare(_metadata, self, variant, 0);
	transfer(_metadata, self, variant, 0, SA_RESTART, &o);
	if (o.r < 0) {
		ASSERT_EQ(EINTR, o.err) TH_LOG("errno %s", strerror(o.err));
		ASSERT_EQ(self->target, o.pos);
		expect_moved(_metadata, self, variant, 0, 0);
		return;
	}
	ASSERT_EQ((ssize_t)BT_PAGE_SIZE, o.r) TH_LOG("not stopped after page 0");
	ASSERT_EQ(self->target + BT_PAGE_SIZE, o.pos);
	expect_moved(_metadata, self, variant, 0, BT_PAGE_SIZE);
}

TEST_HARNESS_MAIN
