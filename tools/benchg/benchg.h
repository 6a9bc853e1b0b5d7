/* SPDX-License-Identifier: GPL-2.0 */
/* What the parts of benchg (benchg.c, classes.c) share. */
#ifndef BENCHG_H
#define BENCHG_H

/* @what failed with errno: say so on stderr; return 1 (the exit status). */
int benchg_die(const char *what);
/* @what is wrong: say so on stderr; return 1. */
int benchg_bad(const char *what);

int benchg_classes(const char *path);

#endif /* BENCHG_H */
