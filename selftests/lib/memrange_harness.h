/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the MEMRANGE selftest programs (memrange_test, memrange_set_test,
 * memrange_backend_test, memrange_pte_test) share on top of the harness:
 * the fixture's setup and teardown as harness results, and the short names
 * their tests use.
 * Include it once, from the program's .c file, after the system headers.
 */
#ifndef BSDMEM_MEMRANGE_HARNESS_H
#define BSDMEM_MEMRANGE_HARNESS_H

#include <string.h>
#include <unistd.h>

#include "bsdmem_harness.h"
#include "memrange_fixture.h"
#include "memrange_util.h"

#define PG		0x1000ULL
#define OWNER		"mtest"		/* teardown removes owners "mt*" ... */
#define KEEP_OWNER	MRU_KEEP_OWNER	/* ... except this one (unload test) */
#define UPD		MEMRANGE_SET_UPDATE
#define REM		MEMRANGE_SET_REMOVE
#define WC		MDF_WRITECOMBINE

/* FIXTURE_SETUP: the fixture for these backends, or SKIP / fail. */
static inline void mru_setup(struct __test_metadata *_metadata,
			     struct mru_fix *m, const char *backends,
			     bool need_hole)
{
	char why[160];
	enum mru_fix_result r = mru_fix_open(m, backends, need_hole, why,
					     sizeof(why));

	if (r == MRU_FIX_SKIP)
		SETUP_SKIP("%s", why);
	ASSERT_EQ(MRU_FIX_OK, r) TH_LOG("%s", why);
}

/*
 * A check of the teardown failed: the test fails, even one that called
 * SKIP. The 6.1 harness ends a test that called SKIP as skipped whatever
 * failed afterwards (its child exits 255 when `skip` is set), so clear
 * that; newer harnesses (with XFAIL) let a later failure win by themselves.
 */
static inline void mru_teardown_failed(struct __test_metadata *_metadata)
{
#ifndef XFAIL
	_metadata->passed = 0;
	_metadata->skip = 0;
#else
	(void)_metadata;
#endif
}

/* FIXTURE_TEARDOWN: clean up, then nothing a test made may be left. */
static inline void mru_teardown(struct __test_metadata *_metadata,
				struct mru_fix *m)
{
	static char pat[MRU_SNAP_SIZE], mtrr[MRU_SNAP_SIZE], diff[512];

	if (m->fd < 0)
		return;
	mru_fix_cleanup(m->fd);
	mru_snapshot(pat, mtrr);
	/*
	 * Logged apart from the EXPECTs: after a failed ASSERT the 6.1
	 * harness would print an EXPECT's TH_LOG even when it holds.
	 */
	if (strcmp(m->pat0, pat)) {
		mru_snap_diff(m->pat0, pat, diff, sizeof(diff));
		TH_LOG("PAT table changed by the test:%s", diff);
	}
	EXPECT_STREQ(m->pat0, pat) mru_teardown_failed(_metadata);
	if (strcmp(m->mtrr0, mtrr)) {
		mru_snap_diff(m->mtrr0, mtrr, diff, sizeof(diff));
		TH_LOG("/proc/mtrr changed by the test:%s", diff);
	}
	EXPECT_STREQ(m->mtrr0, mtrr) mru_teardown_failed(_metadata);
	close(m->fd);
}

#endif /* BSDMEM_MEMRANGE_HARNESS_H */
