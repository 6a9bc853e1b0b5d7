// SPDX-License-Identifier: GPL-2.0
/*
 * The mem(4) ioctls on both devices (FreeBSD does not check the minor).
 * The access policy is checked again at every call, since a file
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

/* What a 32-bit (i386 or x32) caller passes: a 12-byte mem_range_op. */
struct bsdmem_mem_range_op32 {
	compat_uptr_t	mo_desc;
	s32		mo_arg[2];
};

#define BSDMEM_MEMRANGE_GET32	_BSDMEM_IOC(_BSDMEM_IOC_IN | _BSDMEM_IOC_OUT, \
					    'm', 50, \
					    sizeof(struct bsdmem_mem_range_op32))
#define BSDMEM_MEMRANGE_SET32	_BSDMEM_IOC(_BSDMEM_IOC_IN, 'm', 51, \
					    sizeof(struct bsdmem_mem_range_op32))

/* MEMRANGE_GET/SET with the operation already read from the caller. */
static long bsdmem_ioctl_memrange(bool get, struct mem_range_desc __user *udesc,
				  s32 __user *uarg0, s32 arg0)
{
	long err;

	if (!get)
		return bsdmem_memrange_set(udesc, arg0);
	err = bsdmem_memrange_get(udesc, &arg0);
	if (!err && put_user(arg0, uarg0))
		err = -EFAULT;
	return err;
}

static long bsdmem_ioctl_memrange_native(bool get, void __user *uarg)
{
	struct mem_range_op __user *uop = uarg;
	struct mem_range_op op;

	if (copy_from_user(&op, uop, sizeof(op)))
		return -EFAULT;
	return bsdmem_ioctl_memrange(get, op.mo_desc, &uop->mo_arg[0],
				     op.mo_arg[0]);
}

static long bsdmem_ioctl_memrange_compat(bool get, void __user *uarg)
{
	struct bsdmem_mem_range_op32 __user *uop = uarg;
	struct bsdmem_mem_range_op32 op;

	if (copy_from_user(&op, uop, sizeof(op)))
		return -EFAULT;
	return bsdmem_ioctl_memrange(get, compat_ptr(op.mo_desc),
				     &uop->mo_arg[0], op.mo_arg[0]);
}

/* Is @cmd one of ours, as a caller of this ABI spells it? */
static bool bsdmem_ioctl_known(unsigned int cmd, bool compat)
{
	switch (cmd) {
	case MEMRANGE_GET:
	case MEMRANGE_SET:
		return !compat;
	case BSDMEM_MEMRANGE_GET32:
	case BSDMEM_MEMRANGE_SET32:
		return compat;
	case MEM_EXTRACT_PADDR:
	case MEM_KERNELDUMP:
		return true;
	default:
		return false;
	}
}

/*
 * Anything else (isatty()'s TCGETS included) is -ENOTTY for everyone; each
 * of ours re-checks the access policy first, since fds can be passed on.
 */
static long bsdmem_ioctl_dispatch(unsigned int cmd, void __user *uarg,
				  bool compat)
{
	long err;

	if (!bsdmem_ioctl_known(cmd, compat))
		return -ENOTTY;
	err = bsdmem_main_check_access();
	if (err)
		return err;
	switch (cmd) {
	case MEMRANGE_GET:
	case MEMRANGE_SET:
		return bsdmem_ioctl_memrange_native(cmd == MEMRANGE_GET, uarg);
	case BSDMEM_MEMRANGE_GET32:
	case BSDMEM_MEMRANGE_SET32:
		return bsdmem_ioctl_memrange_compat(cmd == BSDMEM_MEMRANGE_GET32,
						    uarg);
	case MEM_EXTRACT_PADDR:
		return bsdmem_ioctl_extract(uarg);
	default:
		return bsdmem_livedump_ioctl(uarg);
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
	return bsdmem_ioctl_dispatch(cmd, (void __user *)arg, false);
}

/**
 * bsdmem_compat_ioctl() - the same for 32-bit callers
 * @file: the open device
 * @cmd: FreeBSD command number as a 32-bit caller encodes it
 * @arg: 32-bit user pointer
 *
 * struct mem_extract and struct mem_livedump_arg have the same layout for
 * 32-bit callers, so only the pointer needs converting; struct
 * mem_range_op is 12 bytes there and comes with its own command numbers.
 *
 * Return: 0 or -errno.
 */
long bsdmem_compat_ioctl(struct file *file, unsigned int cmd,
			 unsigned long arg)
{
	return bsdmem_ioctl_dispatch(cmd, compat_ptr(arg), true);
}
