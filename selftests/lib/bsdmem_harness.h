/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kselftest harness as the bsdmem selftests include it. The 6.1 harness
 * expands to functions with unused parameters (the variant of a plain TEST,
 * the SIGALRM handler's ucontext), which -Wextra -Werror would refuse; that
 * one warning is silenced for the harness's sake, every other one stays.
 * Also a SKIP that cannot hide a failed check, and SETUP_SKIP(), the
 * setup-time SKIP that works with every harness.
 */
#ifndef BSDMEM_HARNESS_H
#define BSDMEM_HARNESS_H

#pragma GCC diagnostic ignored "-Wunused-parameter"
#include <stdlib.h>
#include <unistd.h>

/*
 * The harness arms alarm() with each test's timeout. On a slower kernel (the
 * debug kernel of make check-debug: KASAN and lockdep under TCG) the guest
 * sets BSDMEM_TIMEOUT_SCALE, and every test's timeout is stretched by it, as
 * the program's own timeout is (scripts/guest-init.sh).
 */
static inline unsigned int bsdmem_scaled_alarm(unsigned int seconds)
{
	const char *e = getenv("BSDMEM_TIMEOUT_SCALE");
	long k = e ? strtol(e, NULL, 10) : 1;

	if (k < 1 || k > 100)
		k = 1;
	return alarm(seconds * k);
}

#define alarm(s)	bsdmem_scaled_alarm(s)
#include "kselftest_harness.h"
#undef alarm

#include "bsdmem_test.h"

/*
 * A SKIP after a failed check would hide the failure: the 6.1 harness sets
 * "passed" again and exits the test as skipped, newer ones overwrite the
 * exit code. So SKIP here says "refused", keeps the failure and still runs
 * its statement. BSDMEM_TEST_FAILED() is the harness's own failure flag.
 */
#ifdef XFAIL
#define BSDMEM_TEST_FAILED()	(_metadata->exit_code == KSFT_FAIL)
#define BSDMEM_MARK_SKIP()	(_metadata->exit_code = KSFT_SKIP)
#else
#define BSDMEM_TEST_FAILED()	(!_metadata->passed)
#define BSDMEM_MARK_SKIP()	(_metadata->skip = 1)
#endif

#undef SKIP
#define SKIP(statement, fmt, ...) do {					\
	if (BSDMEM_TEST_FAILED()) {					\
		fprintf(TH_LOG_STREAM,					\
			"#      SKIP refused: this test already failed\n");	\
	} else {							\
		snprintf(_metadata->results->reason,			\
			 sizeof(_metadata->results->reason),		\
			 fmt, ##__VA_ARGS__);				\
		if (TH_LOG_ENABLED)					\
			fprintf(TH_LOG_STREAM, "#      SKIP      %s\n",	\
				_metadata->results->reason);		\
		BSDMEM_MARK_SKIP();					\
		_metadata->trigger = 0;					\
	}								\
	statement;							\
} while (0)

/*
 * SKIP() for a FIXTURE_SETUP. After a setup SKIP the 6.1 harness still runs
 * the test body (it only stops on failure), so end the test's process with
 * the status that harness reads as "skipped" (255), or as failed when the
 * SKIP was refused; the reason is already in the shared results. Newer
 * harnesses (those with XFAIL) stop by themselves.
 */
#ifdef XFAIL
#define SETUP_SKIP(fmt, ...)	SKIP(return, fmt, ##__VA_ARGS__)
#else
#define SETUP_SKIP(fmt, ...)	\
	SKIP(_exit(_metadata->skip ? 255 : 1), fmt, ##__VA_ARGS__)
#endif

/*
 * A boot may run only some of a program's tests: the guest sets
 * BSDMEM_TESTS to the globs of selftests/suites' tests@BOOT option
 * (space-separated, fnmatch(3) against the name the TAP line gives:
 * fixture.test, fixture.variant.test, global.test for a plain TEST), and
 * only the tests one of them matches are planned and run. A glob that
 * matches no test fails the program before anything runs: a misspelt
 * selection must not pass by running nothing. Without BSDMEM_TESTS the
 * harness's own runner runs everything.
 */
#include <fnmatch.h>
#include <stdio.h>
#include <string.h>

#define BSDMEM_SELECT_MAX	32

/* The name of @t in variant @v of fixture @f, as its TAP line gives it. */
static inline void bsdmem_test_name(char *buf, size_t size,
				    const struct __fixture_metadata *f,
				    const struct __fixture_variant_metadata *v,
				    const struct __test_metadata *t)
{
	snprintf(buf, size, "%s%s%s.%s", f->name, v->name[0] ? "." : "",
		 v->name, t->name);
}

/* Does @name match one of the @n globs? Mark each glob that does in @used. */
static inline bool bsdmem_test_selected(const char *name, char **globs,
					int n, bool *used)
{
	bool hit = false;
	int i;

	for (i = 0; i < n; i++) {
		if (fnmatch(globs[i], name, 0) == 0) {
			used[i] = true;
			hit = true;
		}
	}
	return hit;
}

/* One failing TAP test saying why the selection cannot run, then exit. */
static inline int bsdmem_select_refused(const char *fmt, const char *what)
{
	ksft_print_header();
	ksft_set_plan(1);
	ksft_print_msg(fmt, what);
	ksft_test_result_fail("BSDMEM_TESTS selects tests of this program\n");
	ksft_exit_fail();
	return KSFT_FAIL;
}

static inline int bsdmem_harness_run(int argc, char **argv)
{
	struct __fixture_variant_metadata none = { .name = "" };
	struct __fixture_variant_metadata *v;
	struct __fixture_metadata *f;
	struct __test_results *results;
	struct __test_metadata *t;
	char *globs[BSDMEM_SELECT_MAX], *copy, *save, *g;
	bool used[BSDMEM_SELECT_MAX] = { false };
	unsigned int planned = 0, all = 0, passed = 0;
	const char *sel = getenv("BSDMEM_TESTS");
	char name[512];
	int n = 0, i;

	if (!sel || !sel[strspn(sel, " ")])
		return test_harness_run(argc, argv);
#ifdef XFAIL
	/* Newer harnesses filter by themselves (-t); ours is 6.1's. */
	return bsdmem_select_refused("# BSDMEM_TESTS=%s needs the 6.1 harness\n",
				     sel);
#endif
	copy = strdup(sel);
	if (!copy)
		return bsdmem_select_refused("# BSDMEM_TESTS=%s: out of memory\n",
					     sel);
	for (g = strtok_r(copy, " ", &save); g; g = strtok_r(NULL, " ", &save)) {
		if (n == BSDMEM_SELECT_MAX)
			return bsdmem_select_refused("# BSDMEM_TESTS=%s: more than 32 globs\n",
						     sel);
		globs[n++] = g;
	}
	for (f = __fixture_list; f; f = f->next)
		for (v = f->variant ?: &none; v; v = v->next)
			for (t = f->tests; t; t = t->next) {
				all++;
				bsdmem_test_name(name, sizeof(name), f, v, t);
				if (bsdmem_test_selected(name, globs, n, used))
					planned++;
			}
	for (i = 0; i < n; i++)
		if (!used[i])
			return bsdmem_select_refused("# BSDMEM_TESTS: '%s' matches no test of this program\n",
						     globs[i]);

	results = mmap(NULL, sizeof(*results), PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (results == MAP_FAILED)
		return bsdmem_select_refused("# BSDMEM_TESTS=%s: no memory for the results\n",
					     sel);
	ksft_print_header();
	ksft_set_plan(planned);
	ksft_print_msg("Running %u of %u tests, those BSDMEM_TESTS=%s selects\n",
		       planned, all, sel);
	for (f = __fixture_list; f; f = f->next)
		for (v = f->variant ?: &none; v; v = v->next)
			for (t = f->tests; t; t = t->next) {
				bsdmem_test_name(name, sizeof(name), f, v, t);
				if (!bsdmem_test_selected(name, globs, n, used))
					continue;
				t->results = results;
				__run_test(f, v, t);
				t->results = NULL;
				passed += !!t->passed;
			}
	munmap(results, sizeof(*results));
	free(copy);
	ksft_print_msg("%s: %u / %u tests passed.\n",
		       passed == planned ? "PASSED" : "FAILED", passed, planned);
	ksft_exit(passed == planned);
	return KSFT_FAIL;
}

/* The harness's main, with the selection above in front of its runner. */
#undef TEST_HARNESS_MAIN
#define TEST_HARNESS_MAIN						\
	static void __attribute__((constructor))			\
	__constructor_order_last(void)					\
	{								\
		if (!__constructor_order)				\
			__constructor_order = _CONSTRUCTOR_ORDER_BACKWARD; \
	}								\
	int main(int argc, char **argv)					\
	{								\
		return bsdmem_harness_run(argc, argv);			\
	}

#endif /* BSDMEM_HARNESS_H */
