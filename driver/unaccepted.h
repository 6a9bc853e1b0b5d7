/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The one question bsdmem asks of the EFI unaccepted-memory table (TDX and
 * SNP guests): does a physical range touch a unit the firmware has not
 * accepted yet? A header of its own so that phys.c and a host unit test
 * (selftests/host/unaccepted_test.c) compile the same code: the guests we
 * can boot under QEMU TCG never have unaccepted memory.
 */
#ifndef _BSDMEM_UNACCEPTED_H
#define _BSDMEM_UNACCEPTED_H

/**
 * bsdmem_unaccepted_range() - is part of [pa, pa + len) still unaccepted?
 * @t: the EFI table (efi_get_unaccepted_table()), or NULL: none
 * @pa: first physical address
 * @len: bytes, at least 1
 *
 * Bit i of @t->bitmap stands for the @t->unit_size bytes at
 * @t->phys_base + i * @t->unit_size; the bitmap is @t->size bytes long and
 * says nothing about memory outside it.
 *
 * Return: true if a set bit covers any byte of the range.
 */
static inline bool
bsdmem_unaccepted_range(const struct efi_unaccepted_memory *t, u64 pa, u64 len)
{
	u64 unit, bit, last, nbits;

	if (!t || !t->unit_size || pa + len <= t->phys_base)
		return false;
	unit = t->unit_size;
	nbits = t->size * BITS_PER_BYTE;
	bit = pa > t->phys_base ? (pa - t->phys_base) / unit : 0;
	last = (pa + len - 1 - t->phys_base) / unit;
	for (; bit <= last && bit < nbits; bit++)
		if (test_bit(bit, t->bitmap))
			return true;
	return false;
}

#endif /* _BSDMEM_UNACCEPTED_H */
