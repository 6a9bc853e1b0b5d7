// SPDX-License-Identifier: GPL-2.0
/*
 * The MEM_KERNELDUMP selftests' view of a dump (see mdview.h): streaming
 * into a reader thread, trailer and body checks that return what is wrong
 * instead of asserting, the bitmap rank lookup of a physical page, and the
 * page-table walks a Linux-aware reader does.
 * On purpose this file shares no code with lib/minidump (not even its byte
 * order helpers): it is the oracle the tests hold the kernel's dumps and
 * the minidump(1) reader against, so a mistake in the library cannot hide
 * by being made twice.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <sys/kerneldump.h>
#include <sys/memrange.h>

#include "bsdmem_test.h"
#include "mdview.h"

int mdv_dump(int dev, int fd, int flags, int compression)
{
	struct mem_livedump_arg arg = {
		.fd = fd, .flags = flags, .compression = (uint8_t)compression,
	};

	return ioctl(dev, MEM_KERNELDUMP, &arg) ? errno : 0;
}

uint32_t mdv_be32(const void *p)
{
	const uint8_t *b = p;

	return (uint32_t)b[0] << 24 | b[1] << 16 | b[2] << 8 | b[3];
}

uint64_t mdv_be64(const void *p)
{
	return (uint64_t)mdv_be32(p) << 32 | mdv_be32((const uint8_t *)p + 4);
}

uint64_t mdv_pg_round(uint64_t v)
{
	return (v + MDV_PG - 1) & ~(MDV_PG - 1);
}

const char *mdv_outdir(void)
{
	const char *d = getenv("BSDMEM_SHARE");

	return d && *d ? d : "/tmp";
}

void mdv_progress(uint64_t *done, uint64_t *total)
{
	char buf[64] = "";
	unsigned long long a = ~0ULL, b = ~0ULL;

	bt_read_file(MDV_PROGRESS, buf, sizeof(buf));
	sscanf(buf, "%llu %llu", &a, &b);
	*done = a;
	*total = b;
}

/*
 * Where the page @want_pa sits in a raw stream, from the headers in the
 * first MDV_HEAD_MAX bytes; bytes already past are taken from there.
 */
static void drain_locate(struct mdv_drain *d)
{
	const uint8_t *p;
	struct mdv m;

	d->located = true;
	d->want_off = -1;
	if (mdv_open(&m, d->head, UINT64_MAX / 2))
		return;
	p = mdv_pa(&m, d->want_pa & ~(MDV_PG - 1));
	if (!p)
		return;
	d->want_off = p - d->head;
	if (d->want_off + MDV_PG <= MDV_HEAD_MAX)
		memcpy(d->want, d->head + d->want_off, MDV_PG);
}

/* Keep what of [total, total + n) falls in the wanted page. */
static void drain_keep(struct mdv_drain *d, const uint8_t *buf, uint64_t n)
{
	uint64_t lo, hi, off = d->want_off;

	if (!d->located || d->want_off < 0 || off + MDV_PG <= MDV_HEAD_MAX)
		return;
	lo = d->total > off ? d->total : off;
	hi = d->total + n < off + MDV_PG ? d->total + n : off + MDV_PG;
	if (lo < hi)
		memcpy(d->want + (lo - off), buf + (lo - d->total), hi - lo);
}

static void drain_tail(struct mdv_drain *d, const uint8_t *buf, size_t n)
{
	if (n >= 512) {
		memcpy(d->tail, buf + n - 512, 512);
	} else {
		memmove(d->tail, d->tail + n, 512 - n);
		memcpy(d->tail + 512 - n, buf, n);
	}
}

/* Pass @n bytes on to d->tee; a reader that went away ends the tee only. */
static void drain_tee(struct mdv_drain *d, const uint8_t *buf, size_t n)
{
	ssize_t w;

	while (d->tee >= 0 && n) {
		w = write(d->tee, buf, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			d->tee_err = w < 0 ? errno : EIO;
			d->tee = -1;
			break;
		}
		buf += w;
		n -= w;
	}
}

static void *drain_run(void *arg)
{
	static uint8_t buf[1 << 16];
	struct mdv_drain *d = arg;
	size_t chunk = d->chunk && d->chunk < sizeof(buf) ? d->chunk : sizeof(buf);
	sigset_t pipe_sig;
	ssize_t n;

	/* A tee reader that exits early is an EPIPE here, not a SIGPIPE. */
	sigemptyset(&pipe_sig);
	sigaddset(&pipe_sig, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe_sig, NULL);
	while ((n = read(d->fd, buf, chunk)) > 0) {
		if (d->total < MDV_HEAD_MAX)
			memcpy(d->head + d->total, buf,
			       d->total + n > MDV_HEAD_MAX ?
			       MDV_HEAD_MAX - d->total : (size_t)n);
		if (d->want_pa && !d->located && d->total + n >= MDV_HEAD_MAX)
			drain_locate(d);
		drain_keep(d, buf, n);
		drain_tail(d, buf, n);
		drain_tee(d, buf, n);
		d->total += n;
	}
	return NULL;
}

/* Dump into fds[1], drained from fds[0] in @chunk-byte reads; closes both. */
static int dump_on(int dev, struct mdv_drain *d, const int fds[2], size_t chunk,
		   int flags, int comp, uint64_t want_pa, int tee)
{
	pthread_t t;
	int err;

	memset(d, 0, sizeof(*d));
	d->tee = tee;
	d->chunk = chunk;
	d->want_pa = want_pa;
	d->head = calloc(1, MDV_HEAD_MAX);
	d->fd = fds[0];
	if (!d->head || pthread_create(&t, NULL, drain_run, d)) {
		close(fds[0]);
		close(fds[1]);
		return ENOMEM;
	}
	err = mdv_dump(dev, fds[1], flags, comp);
	close(fds[1]);
	pthread_join(t, NULL);
	close(fds[0]);
	if (d->want_pa && !d->located)
		drain_locate(d);
	return err;
}

static int dump_stream(int dev, struct mdv_drain *d, int type, int flags,
		       int comp, uint64_t want_pa, int tee)
{
	int fds[2];

	memset(d, 0, sizeof(*d));
	if (type ? socketpair(AF_UNIX, type | SOCK_CLOEXEC, 0, fds) :
	    pipe2(fds, O_CLOEXEC))
		return errno;
	return dump_on(dev, d, fds, 0, flags, comp, want_pa, tee);
}

int mdv_dump_stream(int dev, struct mdv_drain *d, int type, int flags,
		    int comp, uint64_t want_pa)
{
	return dump_stream(dev, d, type, flags, comp, want_pa, -1);
}

void mdv_checker_start(struct mdv_checker *c, const char *reader)
{
	int p[2];

	memset(c, 0, sizeof(*c));
	c->pid = -1;
	c->in = -1;
	c->status = -1;
	if (!reader)
		reader = mdv_reader();
	snprintf(c->text, sizeof(c->text), "could not start %s check -", reader);
	c->out = memfd_create("minidump-check", MFD_CLOEXEC);
	if (c->out < 0 || pipe2(p, O_CLOEXEC))
		return;
	fflush(NULL);
	c->pid = fork();
	if (!c->pid) {
		dup2(p[0], 0);
		dup2(c->out, 1);
		dup2(c->out, 2);
		execl(reader, "minidump", "check", "-", (char *)NULL);
		_exit(127);
	}
	close(p[0]);
	if (c->pid < 0)
		close(p[1]);
	else
		c->in = p[1];
}

bool mdv_checker_finish(struct mdv_checker *c)
{
	ssize_t n = -1;

	if (c->in >= 0)
		close(c->in);
	c->in = -1;
	if (c->pid > 0 && waitpid(c->pid, &c->status, 0) != c->pid)
		c->status = -1;
	if (c->pid > 0 && c->out >= 0)
		n = pread(c->out, c->text, sizeof(c->text) - 1, 0);
	while (n > 0 && c->text[n - 1] == '\n')
		n--;
	if (n >= 0)
		c->text[n] = '\0';
	if (c->out >= 0)
		close(c->out);
	c->out = -1;
	return c->pid > 0 && c->status != -1 && WIFEXITED(c->status) &&
	       WEXITSTATUS(c->status) == 0;
}

int mdv_dump_checked(int dev, struct mdv_drain *d, int type, int flags,
		     int comp, uint64_t want_pa, struct mdv_checker *c,
		     bool *passed)
{
	int err;

	mdv_checker_start(c, NULL);
	err = dump_stream(dev, d, type, flags, comp, want_pa, c->in);
	*passed = mdv_checker_finish(c);
	return err;
}

int mdv_dump_checked_on(int dev, struct mdv_drain *d, const int fds[2],
			size_t chunk, int flags, int comp,
			struct mdv_checker *c, bool *passed)
{
	int err;

	mdv_checker_start(c, NULL);
	err = dump_on(dev, d, fds, chunk, flags, comp, 0, c->in);
	*passed = mdv_checker_finish(c);
	return err;
}

const char *mdv_check_trailer(const uint8_t *kdh, uint64_t size, int comp,
			      uint64_t *extent)
{
	struct kerneldumpheader h;
	uint64_t length;

	*extent = 0;
	memcpy(&h, kdh, sizeof(h));
	if (kerneldump_parity(&h))
		return "trailer parity is not 0";
	if (memcmp(h.magic, KERNELDUMPMAGIC, sizeof(KERNELDUMPMAGIC)) ||
	    strcmp(h.architecture, "amd64"))
		return "trailer magic or architecture";
	if (mdv_be32(&h.version) != 4 || mdv_be32(&h.architectureversion) != 2 ||
	    mdv_be32(&h.blocksize) != MDV_PG)
		return "trailer version, architectureversion or blocksize";
	if (h.compression != comp)
		return "trailer compression";
	if (strncmp(h.versionstring, "Linux version ", 14))
		return "trailer versionstring";
	length = mdv_be64(&h.dumplength);
	*extent = mdv_be64(&h.dumpextent);
	if (*extent % MDV_PG)
		return "dumpextent is not whole pages";
	if (comp == 0 && (length != *extent || size != length + 512))
		return "raw: dumplength, dumpextent and size disagree";
	if (comp && (size != mdv_pg_round(length) + 512 || length >= *extent))
		return "compressed: dumplength, dumpextent and size disagree";
	return MDV_OK;
}

/* dump_avail: sorted, page-aligned, non-empty ranges; sets m->nbits. */
static int mdv_open_avail(struct mdv *m)
{
	const uint64_t *a = m->avail;
	uint64_t i;

	for (i = 0, m->nbits = 0; a[2 * i + 1]; i++) {
		if (a[2 * i] % MDV_PG || a[2 * i + 1] % MDV_PG ||
		    a[2 * i] >= a[2 * i + 1] || (i && a[2 * i] <= a[2 * i - 1]))
			return __LINE__;
		m->nbits += (a[2 * i + 1] - a[2 * i]) / MDV_PG;
	}
	return 0;
}

int mdv_open(struct mdv *m, const uint8_t *p, uint64_t len)
{
	uint64_t off, i;

	m->p = p;
	m->len = len;
	memcpy(&m->h, p, sizeof(m->h));
	m->ext = (const void *)(p + MINIDUMP_LINUX_OFFSET);
	m->levels = m->ext->flags & MINIDUMP_LINUX_LA57 ? 5 : 4;
	if (strcmp(m->h.magic, MINIDUMP_MAGIC) || m->h.version != 3)
		return __LINE__;
	if (m->h.bitmapsize % MDV_PG || m->h.dumpavailsize % MDV_PG ||
	    m->h.pmapsize != 2 * MDV_PG || m->h.kernbase != MDV_KERNBASE)
		return __LINE__;
	off = MDV_PG + mdv_pg_round(m->h.msgbufsize);
	m->avail = (const uint64_t *)(p + off);
	off += m->h.dumpavailsize;
	m->bitmap = (const uint64_t *)(p + off);
	off += m->h.bitmapsize;
	m->pmap = (const uint64_t *)(p + off);
	m->data_off = off + m->h.pmapsize;
	if (m->data_off > len)
		return __LINE__;
	if (mdv_open_avail(m))
		return __LINE__;
	if (m->nbits > m->h.bitmapsize * 8)
		return __LINE__;
	for (i = 0, m->ndata = 0; i < m->h.bitmapsize / 8; i++)
		m->ndata += __builtin_popcountll(m->bitmap[i]);
	return 0;
}

const char *mdv_check_body(struct mdv *m, const uint8_t *p, uint64_t len,
			   uint64_t extent)
{
	static char why[64];
	int line = mdv_open(m, p, len);

	if (line) {
		snprintf(why, sizeof(why), "mdview.c:%d: bad minidump header", line);
		return why;
	}
	if (extent != m->data_off + m->ndata * MDV_PG)
		return "sections and popcount do not add up to dumpextent";
	if (m->ndata <= 1000)
		return "1000 pages or fewer in the dump";
	if (strcmp(m->ext->magic, MINIDUMP_LINUX_MAGIC) ||
	    m->ext->version != MINIDUMP_LINUX_VERSION)
		return "extension block magic or version";
	if (m->ext->page_offset_base != m->h.dmapbase)
		return "extension page_offset_base is not dmapbase";
	if (m->ext->pgtable_root % MDV_PG || !m->ext->pgtable_root)
		return "extension pgtable_root";
	if (!m->ext->vmcoreinfo_paddr || !m->ext->vmcoreinfo_size)
		return "extension VMCOREINFO address or size is 0";
	if ((m->h.dmapend - m->h.dmapbase) % (1ULL << 30))
		return "dmapend - dmapbase is not whole GiB";
	return MDV_OK;
}

/* The bitmap bit of @pa, or -1 outside dump_avail. */
static int64_t mdv_bitno(const struct mdv *m, uint64_t pa)
{
	uint64_t i, bit = 0;

	for (i = 0; m->avail[2 * i + 1]; i++) {
		if (pa >= m->avail[2 * i] && pa < m->avail[2 * i + 1])
			return bit + (pa - m->avail[2 * i]) / MDV_PG;
		bit += (m->avail[2 * i + 1] - m->avail[2 * i]) / MDV_PG;
	}
	return -1;
}

int mdv_bit(const struct mdv *m, uint64_t pa)
{
	int64_t bit = mdv_bitno(m, pa);

	return bit < 0 ? -1 : (int)(m->bitmap[bit / 64] >> (bit % 64) & 1);
}

const uint8_t *mdv_pa(const struct mdv *m, uint64_t pa)
{
	uint64_t i, bit, rank = 0, off;

	if (mdv_bit(m, pa) != 1)
		return NULL;
	bit = mdv_bitno(m, pa);
	for (i = 0; i < bit / 64; i++)
		rank += __builtin_popcountll(m->bitmap[i]);
	rank += __builtin_popcountll(m->bitmap[bit / 64] &
				     ((1ULL << (bit % 64)) - 1));
	off = m->data_off + rank * MDV_PG;
	return off + MDV_PG <= m->len ? m->p + off + pa % MDV_PG : NULL;
}

uint64_t mdv_leaf_pa(uint64_t leaf, int level, uint64_t va)
{
	uint64_t span = 1ULL << (12 + 9 * (level - 1));

	return (leaf & MDV_FRAME & ~(span - 1)) | (va & (span - 1));
}

int mdv_walk(mdv_read_entry rd, void *ctx, uint64_t root, int levels,
	     uint64_t va, uint64_t *leaf, int *level)
{
	uint64_t table = root, e = 0;
	int l;

	for (l = levels; l >= 1; l--) {
		if (rd(ctx, table + ((va >> (3 + 9 * l)) & 511) * 8, &e))
			return -1;
		if (!(e & 1))
			return 1;
		if (l == 1 || (l <= 3 && (e & 0x80)))
			break;
		table = e & MDV_FRAME;
	}
	*leaf = e;
	*level = l;
	return 0;
}

int mdv_read_dump_entry(void *ctx, uint64_t pa, uint64_t *entry)
{
	const uint8_t *p = mdv_pa(ctx, pa);

	if (!p)
		return -1;
	memcpy(entry, p, 8);
	return 0;
}

int mdv_read_live_entry(void *ctx, uint64_t pa, uint64_t *entry)
{
	return pread(*(int *)ctx, entry, 8, pa) == 8 ? 0 : -1;
}

const uint8_t *mdv_va(const struct mdv *m, uint64_t va)
{
	uint64_t leaf;
	int level;

	if (va >= m->h.kernbase) {
		leaf = m->pmap[(va - m->h.kernbase) >> 21];
		if (!(leaf & 1))
			return NULL;
		if (leaf & 0x80)
			return mdv_pa(m, mdv_leaf_pa(leaf, 2, va));
		if (mdv_read_dump_entry((void *)m, (leaf & MDV_FRAME) +
					((va >> 12) & 511) * 8, &leaf) ||
		    !(leaf & 1))
			return NULL;
		return mdv_pa(m, mdv_leaf_pa(leaf, 1, va));
	}
	if (va >= m->h.dmapbase && va < m->h.dmapend)
		return mdv_pa(m, va - m->h.dmapbase);
	if (mdv_walk(mdv_read_dump_entry, (void *)m, m->ext->pgtable_root,
		     m->levels, va, &leaf, &level))
		return NULL;
	return mdv_pa(m, mdv_leaf_pa(leaf, level, va));
}

const char *mdv_reader(void)
{
	const char *env = getenv("BSDMEM_MINIDUMP");

	return env && *env ? env : "/tools/minidump";
}

uint64_t mdv_info_field(const char *path, const char *name)
{
	char cmd[1400], line[256];
	size_t len = strlen(name);
	uint64_t v = 0;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "%s info %s", mdv_reader(), path);
	p = popen(cmd, "r");
	while (p && fgets(line, sizeof(line), p))
		if (!strncmp(line, name, len) && line[len] == ':')
			v = strtoull(line + len + 1, NULL, 0);
	if (p)
		pclose(p);
	return v;
}

size_t mdv_reader_read(const char *path, uint64_t va, void *buf, size_t len)
{
	char cmd[1400];
	size_t n;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "%s read %s 0x%" PRIx64 " %zu", mdv_reader(),
		 path, va, len);
	p = popen(cmd, "r");
	if (!p)
		return 0;
	n = fread(buf, 1, len, p);
	return pclose(p) ? 0 : n;
}
