// SPDX-License-Identifier: GPL-2.0
/*
 * MEM_KERNELDUMP_ALLRAM dumps while another thread keeps making, writing and
 * releasing memfd_secret mappings, so pages keep leaving and re-entering
 * the direct map (SPEC §7.3: one classification, a fault-safe copy): every
 * dump succeeds and is well formed, and no secret byte is in any of them.
 * Also that the noerms boot (where copy_mc_to_kernel() is a plain memcpy)
 * really runs on a CPU without ERMS.
 *
 * The race this exercises, a page leaving the direct map between the
 * dump's check that it is there and its copy, cannot be forced from
 * userspace, so these tests cannot be relied on to fail on a driver that
 * has it; they guard against the oops (or the leak) when it does happen.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include <machine/minidump.h>
#include <sys/kerneldump.h>
#include <sys/memrange.h>

#include "bsdmem_harness.h"
#include "mdview.h"

#define RING		4	/* mappings alive at once */
#define RING_PAGES	64	/* pages in each */
#define WORDS		(MDV_PG / 8)
#define RAW_ROUNDS	3

/* The thread that keeps secret pages coming and going. */
struct churn {
	pthread_t thread;
	uint64_t key;		/* the secret pattern's */
	atomic_int stop;
	pthread_mutex_t lock;	/* protects made, err and ended */
	pthread_cond_t moved;	/* broadcast when one of them changes */
	unsigned long made;	/* mappings written so far */
	int err;		/* errno of a failed step, else 0 */
	bool ended;		/* churn_run() has returned */
};

/* Mappings made so far. */
static unsigned long churn_made(struct churn *c)
{
	unsigned long made;

	pthread_mutex_lock(&c->lock);
	made = c->made;
	pthread_mutex_unlock(&c->lock);
	return made;
}

/*
 * Wait until the churn has made @target mappings, or stopped (an error):
 * an event the churn sends, not a delay. Return: the count reached.
 */
static unsigned long churn_wait(struct churn *c, unsigned long target)
{
	unsigned long made;

	pthread_mutex_lock(&c->lock);
	while (c->made < target && !c->ended)
		pthread_cond_wait(&c->moved, &c->lock);
	made = c->made;
	pthread_mutex_unlock(&c->lock);
	return made;
}

/*
 * Word @i of each secret page under @key: a 64-bit mix of both, so the
 * pattern exists only where it is written and where it is recomputed.
 */
static uint64_t secret_word(uint64_t key, uint64_t i)
{
	uint64_t z = key ^ (i + 1) * 0x9e3779b97f4a7c15ULL;

	z = (z ^ z >> 31) * 0xd6e8feb86659fd93ULL;
	z = (z ^ z >> 29) * 0xbf58476d1ce4e5b9ULL;
	return z ^ z >> 32;
}

/*
 * Fill @pages secret pages: one computed word per volatile store, words in
 * a scattered order (167 is odd, so j * 167 covers a page), so the pattern
 * is never assembled in ordinary memory and adjacent words are never in
 * registers together (an interrupt saves registers on the kernel stack,
 * and the dump holds kernel stacks).
 */
static void fill_secret(volatile uint64_t *p, size_t pages, uint64_t key)
{
	size_t pg, j, i;

	for (pg = 0; pg < pages; pg++)
		for (j = 0; j < WORDS; j++) {
			i = j * 167 % WORDS;
			p[pg * WORDS + i] = secret_word(key, i);
		}
}

/* A written secret mapping of RING_PAGES, its fd in *fd; NULL on error. */
static void *secret_map(int *fd)
{
	size_t len = RING_PAGES * MDV_PG;
	void *p;

	*fd = syscall(__NR_memfd_secret, 0);
	if (*fd < 0)
		return NULL;
	p = ftruncate(*fd, len) ? MAP_FAILED :
	    mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, *fd, 0);
	if (p == MAP_FAILED) {
		close(*fd);
		return NULL;
	}
	return p;
}

/*
 * Keep RING mappings alive, replacing the oldest each time: its pages go
 * back to the direct map (zeroed by the kernel), the new ones leave it.
 */
static void *churn_run(void *arg)
{
	struct churn *c = arg;
	void *map[RING] = { NULL };
	int fd[RING], slot = 0;

	while (!atomic_load(&c->stop)) {
		if (map[slot]) {
			munmap(map[slot], RING_PAGES * MDV_PG);
			close(fd[slot]);
		}
		map[slot] = secret_map(&fd[slot]);
		if (!map[slot]) {
			pthread_mutex_lock(&c->lock);
			c->err = errno;
			pthread_mutex_unlock(&c->lock);
			break;
		}
		fill_secret(map[slot], RING_PAGES, c->key);
		pthread_mutex_lock(&c->lock);
		c->made++;
		pthread_cond_broadcast(&c->moved);
		pthread_mutex_unlock(&c->lock);
		slot = (slot + 1) % RING;
	}
	for (slot = 0; slot < RING; slot++)
		if (map[slot]) {
			munmap(map[slot], RING_PAGES * MDV_PG);
			close(fd[slot]);
		}
	pthread_mutex_lock(&c->lock);
	c->ended = true;
	pthread_cond_broadcast(&c->moved);
	pthread_mutex_unlock(&c->lock);
	return NULL;
}

FIXTURE(race) {
	int dev;
	bool running;
	struct churn c;
	char path[300];
};

/* Whether the harness booted with secretmem on (6.1 has it off by default). */
static bool secretmem_wanted(void)
{
	char cmdline[4096];

	return bt_read_file("/proc/cmdline", cmdline, sizeof(cmdline)) > 0 &&
	       strstr(cmdline, "secretmem.enable=1");
}

FIXTURE_SETUP(race)
{
	const char *disk = getenv("BSDMEM_DISK");
	int fd;

	if (geteuid())
		SETUP_SKIP("must run as root");
	self->dev = open(_PATH_BSDMEM, O_RDONLY);
	if (self->dev < 0)
		SETUP_SKIP("%s missing: is bsdmem loaded?", _PATH_BSDMEM);
	fd = syscall(__NR_memfd_secret, 0);
	if (fd < 0 && !secretmem_wanted())
		SETUP_SKIP("memfd_secret: %s (boot with secretmem.enable=1)",
			   strerror(errno));
	ASSERT_LE(0, fd);
	close(fd);
	/* an ALLRAM dump is about all of RAM: more than tmpfs can hold */
	if (!disk || !*disk)
		SETUP_SKIP("no $BSDMEM_DISK for ALLRAM dumps");
	snprintf(self->path, sizeof(self->path), "%s/race.%d", disk, getpid());
}

/* Start the churn with a fresh key, and wait for its first mapping. */
static void churn_start(struct __test_metadata *_metadata,
			FIXTURE_DATA(race) *self)
{
	struct churn *c = &self->c;

	memset(c, 0, sizeof(*c));
	pthread_mutex_init(&c->lock, NULL);
	pthread_cond_init(&c->moved, NULL);
	ASSERT_EQ((ssize_t)sizeof(c->key), getrandom(&c->key, sizeof(c->key), 0));
	ASSERT_EQ(0, pthread_create(&c->thread, NULL, churn_run, c));
	self->running = true;
	churn_wait(c, 1);
	ASSERT_EQ(0, c->err) {
		TH_LOG("secret mapping: %s", strerror(c->err));
	}
}

static void churn_stop(FIXTURE_DATA(race) *self)
{
	if (!self->running)
		return;
	atomic_store(&self->c.stop, 1);
	pthread_join(self->c.thread, NULL);
	self->running = false;
}

FIXTURE_TEARDOWN(race)
{
	churn_stop(self);
	if (self->path[0])
		unlink(self->path);
	close(self->dev);
}

#define SCAN_HITS	64	/* word-0 hits kept for after the dump */

/*
 * A raw dump read as it streams by, instead of stored on the disk and read
 * again (under TCG that costs more than the dump): the front (header to the
 * last section before the pages) kept, the last 512 bytes (the trailer)
 * kept, and every 8-byte word after the front compared with word 0 of the
 * secret pattern alone, the 3 words after each hit kept. One word is not
 * the pattern (32 bytes), so holding it while the dump runs cannot plant
 * the pattern in the dump; words 1 to 3 are computed only after the dump.
 */
struct rawscan {
	uint8_t *front;		/* the first front_len bytes */
	uint64_t front_len;	/* the pages' offset once the header is in */
	uint64_t got;		/* bytes so far */
	uint8_t tail[512];	/* the last 512 of them */
	uint64_t word0;		/* word 0 of the secret pattern */
	uint8_t part[8];	/* a word cut between two reads */
	unsigned int npart;
	struct {
		uint64_t off;	/* of the word, from the first page's */
		uint64_t next[3];
		unsigned int have;	/* of next[] */
	} hit[SCAN_HITS];
	unsigned int nhit;	/* hits kept */
	unsigned long dropped;	/* hits past SCAN_HITS */
};

/* The offset of the pages, from the header at the front; 0 while short. */
static uint64_t scan_data_off(const struct rawscan *r)
{
	struct minidumphdr h;

	if (r->got < MDV_PG)
		return 0;
	memcpy(&h, r->front, sizeof(h));
	return MDV_PG + mdv_pg_round(h.msgbufsize) + h.dumpavailsize +
	       h.bitmapsize + h.pmapsize;
}

/* One 8-byte word of the pages, at @off from the first page. */
static void scan_word(struct rawscan *r, uint64_t w, uint64_t off)
{
	unsigned int i;

	for (i = r->nhit; i-- > 0 && r->hit[i].have < 3; )
		r->hit[i].next[r->hit[i].have++] = w;
	if (w != r->word0)
		return;
	if (r->nhit == SCAN_HITS) {
		r->dropped++;
		return;
	}
	r->hit[r->nhit].off = off;
	r->hit[r->nhit].have = 0;
	r->nhit++;
}

/* @n more bytes of the dump. Return: 0, or ENOMEM (the front). */
static int scan_bytes(struct rawscan *r, const uint8_t *p, size_t n)
{
	uint64_t data_off = scan_data_off(r), want, w;
	size_t k;

	/* the front: the first page, then up to the pages */
	while (n && (r->got < MDV_PG || r->got < data_off)) {
		want = r->got < MDV_PG ? MDV_PG : data_off;
		k = want - r->got < n ? want - r->got : n;
		if (r->got + k > r->front_len) {
			uint8_t *f = realloc(r->front, want);

			if (!f)
				return ENOMEM;
			r->front = f;
			r->front_len = want;
		}
		memcpy(r->front + r->got, p, k);
		r->got += k;
		p += k;
		n -= k;
		data_off = scan_data_off(r);
	}
	if (!n)
		return 0;
	/* the tail: the last 512 bytes of everything */
	if (n >= sizeof(r->tail)) {
		memcpy(r->tail, p + n - sizeof(r->tail), sizeof(r->tail));
	} else {
		memmove(r->tail, r->tail + n, sizeof(r->tail) - n);
		memcpy(r->tail + sizeof(r->tail) - n, p, n);
	}
	/* the pages, word by word (data_off is page aligned) */
	while (n) {
		if (r->npart || n < 8) {
			k = 8 - r->npart < n ? 8 - r->npart : n;
			memcpy(r->part + r->npart, p, k);
			r->npart += k;
			r->got += k;
			p += k;
			n -= k;
			if (r->npart == 8) {
				memcpy(&w, r->part, 8);
				scan_word(r, w, r->got - 8 - data_off);
				r->npart = 0;
			}
			continue;
		}
		memcpy(&w, p, 8);
		r->got += 8;
		scan_word(r, w, r->got - 8 - data_off);
		p += 8;
		n -= 8;
	}
	return 0;
}

/* Copies a dump's pipe into its file, holding the dump up once. */
struct copier {
	struct churn *c;
	int in, out;		/* the pipe's read end; the file (-1: scan) */
	struct rawscan *scan;	/* or reads it as it comes */
	unsigned long at_first;	/* mappings made when the first bytes came */
	int err;		/* errno of a failed read or write */
};

/*
 * Once the dump's first bytes came, its pages are classified and it is
 * copying them; it waits for this reader while the churn replaces a whole
 * ring of secret mappings (their pages leave the direct map, the old ones
 * return to it). So mappings come and go while the dump runs: an event,
 * not a hope about the scheduler. Then the rest is copied as it comes.
 */
static void *copy_run(void *arg)
{
	static uint8_t buf[1 << 16];
	struct copier *k = arg;
	bool first = true;
	ssize_t n, w;

	while ((n = read(k->in, buf, sizeof(buf))) > 0) {
		if (first) {
			k->at_first = churn_made(k->c);
			churn_wait(k->c, k->at_first + RING);
			first = false;
		}
		if (k->scan) {
			k->err = scan_bytes(k->scan, buf, n);
			if (k->err)
				return NULL;
			continue;
		}
		for (w = 0; w < n; ) {
			ssize_t r = write(k->out, buf + w, n - w);

			if (r <= 0) {
				k->err = r < 0 ? errno : EIO;
				return NULL;
			}
			w += r;
		}
	}
	if (n < 0)
		k->err = errno;
	return NULL;
}

/*
 * One ALLRAM dump of compression @comp while the churn runs, through a
 * pipe into self->path, or into @scan when given. Return: the dump's
 * errno; *during: mappings made from its first bytes to its end.
 */
static int dump_during_churn(struct __test_metadata *_metadata,
			     FIXTURE_DATA(race) *self, int comp,
			     struct rawscan *scan, unsigned long *during)
{
	struct copier k = { .c = &self->c, .scan = scan, .out = -1 };
	int p[2], err;
	pthread_t t;

	*during = 0;
	churn_start(_metadata, self);
	if (scan)
		scan->word0 = secret_word(self->c.key, 0);
	ASSERT_EQ(0, pipe2(p, O_CLOEXEC));
	k.in = p[0];
	if (!scan) {
		k.out = open(self->path,
			     O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		ASSERT_LE(0, k.out);
	}
	ASSERT_EQ(0, pthread_create(&t, NULL, copy_run, &k));
	err = mdv_dump(self->dev, p[1], MEM_KERNELDUMP_ALLRAM, comp);
	close(p[1]);
	pthread_join(t, NULL);
	*during = churn_made(&self->c) - k.at_first;
	churn_stop(self);
	close(p[0]);
	if (k.out >= 0)
		close(k.out);
	EXPECT_EQ(0, k.err) {
		TH_LOG("copying the dump to %s: %s", scan ? "the scan" : self->path,
		       strerror(k.err));
	}
	EXPECT_EQ(0, self->c.err) {
		TH_LOG("secret mapping: %s", strerror(self->c.err));
	}
	return err;
}

/* Physical address of the @k-th dumped page (0 if there is none). */
static uint64_t data_page_pa(const struct mdv *m, uint64_t k)
{
	const uint64_t *a;
	uint64_t pa;

	for (a = m->avail; a[1]; a += 2)
		for (pa = a[0]; pa < a[1]; pa += MDV_PG)
			if (mdv_bit(m, pa) == 1 && !k--)
				return pa;
	return 0;
}

/*
 * Offset in the data pages (@pages bytes of them) of the first 32 bytes of
 * the secret pattern under @key, at any 8-byte boundary; -1 if absent:
 * the scan's word-0 hits, their next 3 words compared with words 1 to 3,
 * which are computed only now, after the dump is complete, so the dump
 * cannot have taken them from here.
 */
static int64_t find_secret(const struct rawscan *r, uint64_t pages,
			   uint64_t key)
{
	uint64_t needle[3];
	int64_t at = -1;
	unsigned int i;

	for (i = 0; i < 3; i++)
		needle[i] = secret_word(key, i + 1);
	for (i = 0; i < r->nhit && at < 0; i++)
		if (r->hit[i].have == 3 && r->hit[i].off + 32 <= pages &&
		    !memcmp(r->hit[i].next, needle, sizeof(needle)))
			at = r->hit[i].off;
	memset(needle, 0, sizeof(needle));
	return at;
}

/* Every page table the pmap points to (non-leaf entries) is dumped. */
static int pmap_tables_missing(const struct mdv *m)
{
	uint64_t i, e;
	int missing = 0;

	for (i = 0; i < m->h.pmapsize / 8; i++) {
		e = m->pmap[i];
		if ((e & 1) && !(e & 0x80) && mdv_bit(m, e & MDV_FRAME) != 1)
			missing++;
	}
	return missing;
}

/*
 * Raw ALLRAM dumps taken while secret pages come and go succeed, are well
 * formed (trailer, sections, popcount, the pmap's page tables dumped), and
 * hold none of the secret pattern: a page out of the direct map is never
 * read. (A released secret page rejoins the direct map and is then zeroed
 * from its first byte on, so the first 32 bytes searched for are readable
 * there for a few instructions only: not a false alarm to expect.)
 */
TEST_F_TIMEOUT(race, raw_allram_no_secret, 420)
{
	struct rawscan *r;
	unsigned long during;
	uint64_t extent;
	struct mdv m;
	int64_t at;
	int round;

	for (round = 0; round < RAW_ROUNDS; round++) {
		r = calloc(1, sizeof(*r));
		ASSERT_NE(NULL, r);
		ASSERT_EQ(0, dump_during_churn(_metadata, self,
					       KERNELDUMP_COMP_NONE, r, &during));
		TH_LOG("round %d: %lu secret mappings made during the dump, %"
		       PRIu64 " bytes, %u word-0 hits (%lu past the %d kept)",
		       round + 1, during, r->got, r->nhit, r->dropped,
		       SCAN_HITS);
		EXPECT_LT(0UL, during);
		ASSERT_LT(MDV_PG + 512, r->got);
		ASSERT_STREQ(MDV_OK, mdv_check_trailer(r->tail, r->got, 0,
						       &extent));
		ASSERT_STREQ(MDV_OK, mdv_check_body(&m, r->front, r->front_len,
						    extent));
		ASSERT_EQ(m.data_off, r->front_len);
		EXPECT_EQ(0, pmap_tables_missing(&m));
		/* more hits than kept: the pattern may be among the lost */
		EXPECT_EQ(0UL, r->dropped);
		at = find_secret(r, extent - m.data_off, self->c.key);
		EXPECT_EQ(-1, at) {
			TH_LOG("secret bytes in the page at 0x%" PRIx64
			       ", offset %" PRId64, data_page_pa(&m, at / MDV_PG),
			       at % (int64_t)MDV_PG);
		}
		free(r->front);
		free(r);
	}
}

/* A zstd ALLRAM dump under the same churn succeeds and passes the reader. */
TEST_F_TIMEOUT(race, zstd_allram_valid, 240)
{
	unsigned long during;
	char cmd[400];
	uint8_t kdh[512];
	uint64_t extent;
	struct stat st;
	int fd;

	ASSERT_EQ(0, dump_during_churn(_metadata, self, KERNELDUMP_COMP_ZSTD,
				       NULL, &during));
	TH_LOG("%lu secret mappings made during the dump", during);
	EXPECT_LT(0UL, during);
	fd = open(self->path, O_RDONLY);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, fstat(fd, &st));
	ASSERT_EQ(512, pread(fd, kdh, 512, st.st_size - 512));
	close(fd);
	EXPECT_STREQ(MDV_OK, mdv_check_trailer(kdh, st.st_size,
					       KERNELDUMP_COMP_ZSTD, &extent));
	snprintf(cmd, sizeof(cmd), "%s check %s", mdv_reader(), self->path);
	EXPECT_EQ(0, system(cmd));
}

/*
 * The raw dumps' scan can see: a stream with the front of a minidump and
 * the pattern planted in its pages (whole, or with its last word wrong),
 * fed in pieces that cut words and the pattern, gives the pattern's offset
 * (and -1 for the wrong one), its hits in order, and the last 512 bytes.
 */
TEST(scan_finds_planted_pattern)
{
	const uint64_t key = 0x0123456789abcdefULL, front = 3 * MDV_PG;
	const uint64_t at[2] = { 5 * MDV_PG + 8 * 37, 9 * MDV_PG - 16 };
	const size_t piece[] = { 1, 7, 4093, 3, 8, 65536, 13 };
	uint64_t len = front + 12 * MDV_PG + 512, w, off, i;
	struct minidumphdr h = { .msgbufsize = 0 };
	struct rawscan *r;
	uint8_t *stream;
	size_t k, n;
	int wrong;

	for (wrong = 0; wrong < 2; wrong++) {
		stream = calloc(1, len);
		r = calloc(1, sizeof(*r));
		ASSERT_NE(NULL, stream);
		ASSERT_NE(NULL, r);
		h.dumpavailsize = MDV_PG;
		h.bitmapsize = MDV_PG;
		h.pmapsize = 0;
		memcpy(stream, &h, sizeof(h));
		memset(stream + len - 512, 0xa5, 512);
		for (k = 0; k < 2; k++)
			for (i = 0; i < 4; i++) {
				w = secret_word(key, i) ^ (wrong && i == 3);
				memcpy(stream + front + at[k] + 8 * i, &w, 8);
			}
		r->word0 = secret_word(key, 0);
		for (off = 0, k = 0; off < len; off += n, k++) {
			n = piece[k % (sizeof(piece) / sizeof(piece[0]))];
			if (n > len - off)
				n = len - off;
			ASSERT_EQ(0, scan_bytes(r, stream + off, n));
		}
		EXPECT_EQ(len, r->got);
		EXPECT_EQ(front, r->front_len);
		EXPECT_EQ(2U, r->nhit);
		EXPECT_EQ(at[0], r->hit[0].off);
		EXPECT_EQ(at[1], r->hit[1].off);
		EXPECT_EQ(0, memcmp(r->tail, stream + len - 512, 512));
		EXPECT_EQ(wrong ? -1 : (int64_t)at[0],
			  find_secret(r, len - 512 - front, key));
		free(r->front);
		free(r);
		free(stream);
	}
}

/*
 * The noerms boot is what it claims: no CPU lists erms in /proc/cpuinfo,
 * while a flag every x86-64 CPU has (fpu) is found, so the check can see.
 */
TEST(noerms_boot_lacks_erms)
{
	if (!bt_boot_is("noerms"))
		SKIP(return, "the noerms boot only (erms here: %d)",
		     bt_cpu_flag("erms"));
	EXPECT_EQ(1, bt_cpu_flag("fpu"));
	EXPECT_EQ(0, bt_cpu_flag("erms"));
}

TEST_HARNESS_MAIN
