// SPDX-License-Identifier: GPL-2.0
/*
 * bsdmem: FreeBSD's mem(4) for Linux. Registers /dev/bsdmem (physical
 * memory) and /dev/bsdkmem (kernel virtual memory) and holds the access
 * policy every operation applies: CAP_SYS_RAWIO in the initial namespace,
 * kernel lockdown, and the "writable" parameter for anything that writes.
 *
 *	fd = open("/dev/bsdmem", O_RDONLY);
 *	pread(fd, buf, len, physical_address);
 *	ioctl(fd, MEM_EXTRACT_PADDR, &me);
 */
#include <linux/capability.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/security.h>
#include <sys/memrange.h>

#include "bsdmem.h"
#include "livedump.h"

static bool writable;
module_param(writable, bool, 0644);
MODULE_PARM_DESC(writable,
		 "allow write(2) and shared writable mmap (default 0; not revoked)");

/**
 * bsdmem_main_writable() - may memory be written right now?
 *
 * The parameter may change at run time, so it is read at each operation.
 */
bool bsdmem_main_writable(void)
{
	return READ_ONCE(writable);
}

/**
 * bsdmem_main_param_range() - set an unsigned int parameter in [@min, @max]
 * @val: the text given at load or written to sysfs
 * @kp: the parameter
 * @min: lowest value allowed
 * @max: highest value allowed
 *
 * Anything else, a number too big for kstrtouint included (it would say
 * -ERANGE), is refused with -EINVAL as SPEC §8 says; the kernel then logs
 * the parameter and the value.
 *
 * Return: 0 or -EINVAL.
 */
int bsdmem_main_param_range(const char *val, const struct kernel_param *kp,
			    unsigned int min, unsigned int max)
{
	unsigned int n;

	if (kstrtouint(val, 0, &n) || n < min || n > max)
		return -EINVAL;
	*(unsigned int *)kp->arg = n;
	return 0;
}

/**
 * bsdmem_main_check_access() - the check every open, read, mmap and ioctl makes
 *
 * Return: 0, or -EPERM without CAP_SYS_RAWIO in the initial user namespace
 * or once kernel lockdown forbids /dev/mem access.
 */
int bsdmem_main_check_access(void)
{
	if (!capable(CAP_SYS_RAWIO))
		return -EPERM;
	if (security_locked_down(LOCKDOWN_DEV_MEM))
		return -EPERM;
	return 0;
}

/**
 * bsdmem_main_check_write() - bsdmem_main_check_access() plus "writable=1"
 *
 * Return: 0 or -EPERM.
 */
int bsdmem_main_check_write(void)
{
	int err = bsdmem_main_check_access();

	if (err)
		return err;
	return bsdmem_main_writable() ? 0 : -EPERM;
}

/* Shown in /sys/class/misc/bsdmem/. */
static const struct attribute_group *bsdmem_groups[] = {
	&bsdmem_memrange_group,
	&bsdmem_livedump_group,
	NULL,
};

static struct miscdevice bsdmem_misc = {
	.minor	= MISC_DYNAMIC_MINOR,
	.name	= "bsdmem",
	.fops	= &bsdmem_fops,
	.groups	= bsdmem_groups,
	.mode	= 0640,
};

static struct miscdevice bsdkmem_misc = {
	.minor	= MISC_DYNAMIC_MINOR,
	.name	= "bsdkmem",
	.fops	= &bsdkmem_fops,
	.mode	= 0640,
};

static void bsdmem_main_check_layouts(void)
{
	BUILD_BUG_ON(sizeof(struct mem_range_desc) != 32);
	BUILD_BUG_ON(sizeof(struct mem_range_op) != 16);
	BUILD_BUG_ON(sizeof(struct mem_extract) != 64);
	BUILD_BUG_ON(sizeof(struct mem_livedump_arg) != 32);
	BUILD_BUG_ON(MEMRANGE_GET != 0xC0106D32);
	BUILD_BUG_ON(MEMRANGE_SET != 0x80106D33);
	BUILD_BUG_ON(MEM_EXTRACT_PADDR != 0xC0406D34);
	BUILD_BUG_ON(MEM_KERNELDUMP != 0x80206D35);
}

static int __init bsdmem_init(void)
{
	int err;

	bsdmem_main_check_layouts();

	err = bsdmem_memrange_init();
	if (err)
		return err;
	err = bsdmem_dumpset_init();
	if (err)
		goto err_uninit_memrange;
	err = misc_register(&bsdmem_misc);
	if (err)
		goto err_uninit_dumpset;
	err = misc_register(&bsdkmem_misc);
	if (err)
		goto err_deregister_mem;
	return 0;

err_deregister_mem:
	misc_deregister(&bsdmem_misc);
err_uninit_dumpset:
	bsdmem_dumpset_uninit();
err_uninit_memrange:
	bsdmem_memrange_uninit();
	return err;
}

static void __exit bsdmem_exit(void)
{
	misc_deregister(&bsdkmem_misc);
	misc_deregister(&bsdmem_misc);
	bsdmem_dumpset_uninit();
	bsdmem_memrange_uninit();
}

module_init(bsdmem_init);
module_exit(bsdmem_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("FreeBSD mem(4) interface: /dev/bsdmem and /dev/bsdkmem");
MODULE_AUTHOR("The bsdmem developers");
MODULE_VERSION(BSDMEM_VERSION);
