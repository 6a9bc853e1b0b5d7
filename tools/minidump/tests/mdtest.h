// SPDX-License-Identifier: GPL-2.0
/*
 * Test-only: the TAP runner shared by the minidump host tests. Runs the
 * minidump binary as a child (file argument or data piped to stdin),
 * captures its exit status, stdout and stderr, and prints `ok N name`.
 */
#ifndef MDTEST_H
#define MDTEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "gen.h"

struct mdt {
	const char *bin;
	char dir[256];
	char path[512];		/* the last file mdt_file wrote */
	int n;
	int failed;
	const char *tmpdir;		/* if set, the minidump child's $TMPDIR */
	unsigned long as_limit;		/* if set, its RLIMIT_AS in bytes */
	unsigned long fsize_limit;	/* if set, its RLIMIT_FSIZE in bytes */
	unsigned int timeout;		/* if set, SIGALRM after that many s */
};

struct mdt_result {
	int status;		/* exit status, or 128 + signal */
	char *out;
	size_t outlen;
	char *err;
};

void mdt_ok(struct mdt *t, bool ok, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Diagnostics: every line printed as "# line", never glued to a result. */
void mdt_diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* argv without the program name; stdin is data if given, else /dev/null. */
void mdt_run(struct mdt *t, const char *const *args, const uint8_t *data,
	     size_t len, struct mdt_result *r);
/* Another program (absolute path), stdin /dev/null, args without argv[0]. */
void mdt_exec(struct mdt *t, const char *prog, const char *const *args,
	      struct mdt_result *r);
void mdt_free(struct mdt_result *r);
const char *mdt_file(struct mdt *t, const char *name, const uint8_t *data,
		     size_t len);
/* Expects exit 1 and stderr "minidump: <cmd>: <rule>: ..." */
bool mdt_rule(const struct mdt_result *r, const char *cmd, const char *rule);

void mdt_corrupt_tests(struct mdt *t);
void mdt_elf_tests(struct mdt *t);
void mdt_frames_tests(struct mdt *t);

#endif /* MDTEST_H */
