/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The state every MEMRANGE selftest fixture holds (struct mru_fix), its
 * setup and cleanup without the harness, and the questions the tests ask
 * GET about the ranges they made ("ours": active, not BUSY, not fixed).
 * memrange_harness.h turns setup and teardown into harness results.
 */
#ifndef BSDMEM_MEMRANGE_FIXTURE_H
#define BSDMEM_MEMRANGE_FIXTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/memrange.h>

#define MRU_SNAP_SIZE	16384
#define MRU_KEEP_OWNER	"mtkeep"	/* ranges left for the unload test */

/* What every fixture holds. */
struct mru_fix {
	int fd;			/* /dev/bsdmem, O_RDWR */
	char backend[16];
	int slots;		/* memrange_slots */
	int count;		/* GET's count */
	int nsoft;		/* software slots shown at the end of GET */
	uint64_t hole;		/* 1 MiB of unused MMIO, 0 if not needed */
	char pat0[MRU_SNAP_SIZE];	/* PAT table and /proc/mtrr at setup */
	char mtrr0[MRU_SNAP_SIZE];
};

/* What mru_fix_open() found. */
enum mru_fix_result {
	MRU_FIX_OK,
	MRU_FIX_SKIP,		/* not for this boot or this user */
	MRU_FIX_FAIL,
};

/*
 * Open /dev/bsdmem and fill m for a fixture that tests the backends listed
 * in backends ("pat,mtrr"); need_hole asks for 1 MiB of unused MMIO. Skips
 * and failures say why in why.
 */
enum mru_fix_result mru_fix_open(struct mru_fix *m, const char *backends,
				 bool need_hole, char *why, size_t size);
/* Remove every range of owner "mt*" but MRU_KEEP_OWNER. */
void mru_fix_cleanup(int fd);
/* The PAT table and /proc/mtrr, each "" if missing. */
void mru_snapshot(char *pat, char *mtrr);

/* Lines removed ("-line") and added ("+line") from before to after. */
void mru_snap_diff(const char *before, const char *after, char *out,
		   size_t size);

/* Index in d of the range of ours at base/len, or -1. */
int mru_find_ours(const struct mem_range_desc *d, int n, uint64_t base,
		  uint64_t len);
/* The same, from a fresh GET. */
int mru_index_ours(int fd, uint64_t base, uint64_t len);
/* Is the range of ours at base/len active with these flags and owner? */
bool mru_has_ours(int fd, uint64_t base, uint64_t len, int flags,
		  const char *owner);
/* Number of active ranges of ours, or -errno. */
int mru_count_ours(int fd);
/* Does [base, base+len) contain System RAM (/proc/iomem)? */
bool mru_has_ram(uint64_t base, uint64_t len);
/* GET index of the first variable MTRR and (nvar) their number, or -1. */
int mru_var_part(const struct mru_fix *m, int *nvar);

#endif /* BSDMEM_MEMRANGE_FIXTURE_H */
