// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit test of driver/unaccepted.h, the driver's reading of the EFI
 * unaccepted-memory bitmap: no guest QEMU can boot under TCG has unaccepted
 * memory (TDX, SNP), so the arithmetic is checked here against tables built
 * by hand. The kernel types and test_bit() it needs are defined below.
 * Prints TAP; exit 0 when every case passes.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

typedef uint64_t u64;
typedef uint32_t u32;
#define BITS_PER_BYTE	8
#define BITS_PER_LONG	(8 * (int)sizeof(unsigned long))

struct efi_unaccepted_memory {
	u32 version;
	u32 unit_size;
	u64 phys_base;
	u64 size;		/* bytes of bitmap */
	unsigned long bitmap[];
};

static bool test_bit(u64 nr, const unsigned long *addr)
{
	return addr[nr / BITS_PER_LONG] >> (nr % BITS_PER_LONG) & 1;
}

#include "../../driver/unaccepted.h"

#define MIB		(1ULL << 20)
#define GIB		(1ULL << 30)
#define PG		4096ULL

static int n, failed;

static void check(bool got, bool want, const char *what)
{
	n++;
	if (got == want) {
		printf("ok %d %s\n", n, what);
		return;
	}
	printf("not ok %d %s\n# got %d, want %d\n", n, what, got, want);
	failed++;
}

int main(void)
{
	/* 2 MiB units from 4 GiB, 16 bytes of bitmap: 128 units (256 MiB). */
	struct efi_unaccepted_memory *t =
		calloc(1, sizeof(*t) + 16);
	u64 base = 4 * GIB, unit = 2 * MIB;

	if (!t)
		return 2;
	t->unit_size = unit;
	t->phys_base = base;
	t->size = 16;
	t->bitmap[0] = 1UL << 0 | 1UL << 5;	/* units 0 and 5 */
	t->bitmap[1] = 1UL << (127 - BITS_PER_LONG);	/* the last unit */

	check(bsdmem_unaccepted_range(NULL, base, PG), false, "no-table");
	check(bsdmem_unaccepted_range(t, base, PG), true, "first-page-unit-0");
	check(bsdmem_unaccepted_range(t, base + unit - PG, PG), true,
	      "last-page-unit-0");
	check(bsdmem_unaccepted_range(t, base + unit, PG), false,
	      "first-page-unit-1-accepted");
	check(bsdmem_unaccepted_range(t, base + 5 * unit - PG, PG), false,
	      "page-before-unit-5");
	check(bsdmem_unaccepted_range(t, base + 5 * unit, PG), true,
	      "first-page-unit-5");
	check(bsdmem_unaccepted_range(t, base + 6 * unit, PG), false,
	      "first-page-unit-6");
	check(bsdmem_unaccepted_range(t, base - PG, PG), false,
	      "page-below-the-bitmap");
	check(bsdmem_unaccepted_range(t, base - PG, 2 * PG), true,
	      "range-reaching-into-unit-0");
	check(bsdmem_unaccepted_range(t, base + 2 * unit, 3 * unit + 1), true,
	      "range-reaching-one-byte-into-unit-5");
	check(bsdmem_unaccepted_range(t, base + 127 * unit + unit - PG, PG),
	      true, "last-page-of-the-last-unit");
	check(bsdmem_unaccepted_range(t, base + 128 * unit, PG), false,
	      "page-past-the-bitmap");
	check(bsdmem_unaccepted_range(t, 0, 64 * GIB), true,
	      "range-over-everything");
	t->unit_size = 0;
	check(bsdmem_unaccepted_range(t, base, PG), false, "zero-unit-table");
	free(t);
	printf("1..%d\n", n);
	return failed ? 1 : 0;
}
