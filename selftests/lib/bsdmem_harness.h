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

#endif /* BSDMEM_HARNESS_H */
