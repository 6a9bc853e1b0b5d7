// SPDX-License-Identifier: GPL-2.0
/*
 * The mem(4) ioctls on both devices (FreeBSD does not check the minor).
 * Each command re-checks the access policy at call time, since a file
 * descriptor can be passed to a less privileged process; the fd's open
 * mode is not looked at (memcontrol sets ranges through an O_RDONLY fd).
 */
#include <linux/compat.h>
#include <linux/fs.h>
#include <linux/uaccess.h>
#include <sys/memrange.h>

#include "bsdmem.h"

static long bsdmem_ioctl_extract(void __user *uarg)
{
	struct mem_extract me;

	if (copy_from_user(&me, uarg, sizeof(me)))
		return -EFAULT;
	bsdmem_extract_paddr(&me);
	if (copy_to_user(uarg, &me, sizeof(me)))
		return -EFAULT;
	return 0;
}

static long bsdmem_ioctl_dispatch(unsigned int cmd, void __user *uarg)
{
	long err;

	switch (cmd) {
	case MEM_EXTRACT_PADDR:
		err = bsdmem_main_check_access();
		return err ? err : bsdmem_ioctl_extract(uarg);
	case MEM_KERNELDUMP:
		return bsdmem_livedump_ioctl(uarg);
	default:
		return -ENOTTY;
	}
}

/**
 * bsdmem_ioctl() - unlocked_ioctl of /dev/bsdmem and /dev/bsdkmem
 * @file: the open device
 * @cmd: FreeBSD command number
 * @arg: user pointer to the command's structure
 *
 * Return: 0 or -errno (-ENOTTY for unknown commands).
 */
long bsdmem_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	return bsdmem_ioctl_dispatch(cmd, (void __user *)arg);
}

/**
 * bsdmem_compat_ioctl() - the same for 32-bit callers
 * @file: the open device
 * @cmd: FreeBSD command number as a 32-bit caller encodes it
 * @arg: 32-bit user pointer
 *
 * struct mem_extract and struct mem_livedump_arg have the same layout for
 * 32-bit callers, so only the pointer needs converting.
 *
 * Return: 0 or -errno.
 */
long bsdmem_compat_ioctl(struct file *file, unsigned int cmd,
			 unsigned long arg)
{
	return bsdmem_ioctl_dispatch(cmd, compat_ptr(arg));
}
