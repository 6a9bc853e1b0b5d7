/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kselftest harness as the bsdmem selftests include it. The 6.1 harness
 * expands to functions with unused parameters (the variant of a plain TEST,
 * the SIGALRM handler's ucontext), which -Wextra -Werror would refuse; that
 * one warning is silenced for the harness's sake, every other one stays.
 * Also SETUP_SKIP(), the setup-time SKIP that works with every harness.
 */
#ifndef BSDMEM_HARNESS_H
#define BSDMEM_HARNESS_H

#pragma GCC diagnostic ignored "-Wunused-parameter"
#include <unistd.h>
#include "kselftest_harness.h"

#include "bsdmem_test.h"

/*
 * SKIP() for a FIXTURE_SETUP. After a setup SKIP the 6.1 harness still runs
 * the test body (it only stops on failure), so end the test's process with
 * the status that harness reads as "skipped" (255); the reason is already in
 * the shared results. Newer harnesses (those with XFAIL) stop by themselves.
 */
#ifdef XFAIL
#define SETUP_SKIP(fmt, ...)	SKIP(return, fmt, ##__VA_ARGS__)
#else
#define SETUP_SKIP(fmt, ...)	SKIP(_exit(255), fmt, ##__VA_ARGS__)
#endif

#endif /* BSDMEM_HARNESS_H */
