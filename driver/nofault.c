// SPDX-License-Identifier: GPL-2.0
/*
 * Copies between kernel buffers and kernel memory that may vanish under
 * them (a page taken out of the direct map, a module unloaded, a read-only
 * mapping): each one survives the fault and reports it instead of oopsing.
 * Used by /dev/bsdmem, /dev/bsdkmem and the dump's page copy.
 */
#include <linux/kasan.h>
#include <linux/mm.h>
#include <linux/uaccess.h>
#include <asm/cpufeature.h>

#include "bsdmem.h"

/**
 * bsdmem_nofault_read() - copy from kernel memory that may be unmapped
 * @dst: kernel buffer
 * @src: kernel virtual address
 * @len: bytes
 *
 * Return: 0, or -EFAULT if any byte of @src is not mapped.
 */
int bsdmem_nofault_read(void *dst, const void *src, size_t len)
{
	return copy_from_kernel_nofault(dst, src, len) ? -EFAULT : 0;
}

/**
 * bsdmem_nofault_write() - store into kernel memory without risking an oops
 * @dst: kernel virtual address
 * @src: kernel buffer
 * @len: bytes
 *
 * copy_to_kernel_nofault() is not exported; this is the same idea: stores
 * that take the exception-table path when the page is unmapped or
 * read-only.
 *
 * Return: 0 or -EFAULT (then part of @dst may have been written).
 */
int bsdmem_nofault_write(void *dst, const void *src, size_t len)
{
	pagefault_disable();
	for (; len >= sizeof(u64); len -= sizeof(u64)) {
		__put_kernel_nofault(dst, src, u64, err_fault);
		dst += sizeof(u64);
		src += sizeof(u64);
	}
	for (; len; len--) {
		__put_kernel_nofault(dst, src, u8, err_fault);
		dst++;
		src++;
	}
	pagefault_enable();
	return 0;

err_fault:
	pagefault_enable();
	return -EFAULT;
}

/**
 * bsdmem_nofault_copy_page() - copy a RAM page for the dump
 * @dst: a page-sized kernel buffer
 * @src: the page's direct-map address
 *
 * copy_mc_to_kernel() also survives machine checks where the CPU can
 * recover from them, but it has an exception-table entry only on its
 * "fragile" and ERMS paths: on a CPU with neither (QEMU's qemu64, or
 * -cpu max,erms=off: the noerms test boot) it is a plain memcpy() that
 * oopses on a page that left the direct map. Without ERMS the copy that
 * survives faults wins, machine checks or not.
 *
 * A dump reads every byte of a page, whoever owns it: slab redzones, freed
 * objects. copy_mc_to_kernel() is instrumented, so KASAN would call that a
 * bug; it is not one here, and its reports are off for this copy (as
 * copy_from_kernel_nofault() never checks); the stores into @dst, our own
 * buffer, go unchecked in that one copy too.
 *
 * Return: 0, or -EIO if the page could not be read (@dst then holds part
 * of it).
 */
int bsdmem_nofault_copy_page(void *dst, const void *src)
{
	unsigned long left;

	if (!boot_cpu_has(X86_FEATURE_ERMS))
		return copy_from_kernel_nofault(dst, src, PAGE_SIZE) ? -EIO : 0;
	kasan_disable_current();
	left = copy_mc_to_kernel(dst, src, PAGE_SIZE);
	kasan_enable_current();
	return left ? -EIO : 0;
}
