// SPDX-License-Identifier: GPL-2.0
/*
 * Access policy of /dev/bsdmem and /dev/bsdkmem (SPEC §2): open needs
 * CAP_SYS_RAWIO in the initial user namespace, O_RDWR opens are allowed with
 * writable=0, ioctls ignore the open mode but re-check the capability, and
 * unknown or Linux-spelled commands are ENOTTY. Each test runs on both devices.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/memrange.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "bsdmem_harness.h"

FIXTURE(open) {
	char *buf;
};

FIXTURE_VARIANT(open) {
	const char *path;
};

FIXTURE_VARIANT_ADD(open, bsdmem) {
	.path = _PATH_BSDMEM,
};

FIXTURE_VARIANT_ADD(open, bsdkmem) {
	.path = _PATH_BSDKMEM,
};

FIXTURE_SETUP(open)
{
	if (geteuid())
		SETUP_SKIP("must run as root");
	if (access(variant->path, F_OK))
		SETUP_SKIP("%s missing: is bsdmem loaded?", variant->path);
	self->buf = bt_alloc_pinned(BT_PAGE_SIZE);
	ASSERT_TRUE(self->buf != NULL);
}

FIXTURE_TEARDOWN(open)
{
	bt_free_pinned(self->buf, BT_PAGE_SIZE);
}

/* Root with CAP_SYS_RAWIO opens read-only. */
TEST_F(open, rdonly)
{
	int fd = open(variant->path, O_RDONLY);

	ASSERT_GE(fd, 0);
	close(fd);
}

/* O_RDWR opens even with writable=0: savecore opens O_RDWR (SPEC §2). */
TEST_F(open, rdwr_while_not_writable)
{
	int fd;

	ASSERT_EQ(0, bt_get_writable());
	fd = open(variant->path, O_RDWR);
	ASSERT_GE(fd, 0);
	close(fd);
}

/* Root without CAP_SYS_RAWIO is refused with EPERM by capable(). */
TEST_F(open, without_rawio_eperm)
{
	ASSERT_EQ(0, bt_drop_rawio());
	ASSERT_EQ(-1, open(variant->path, O_RDONLY));
	ASSERT_EQ(EPERM, errno);
	ASSERT_EQ(-1, open(variant->path, O_RDWR));
	ASSERT_EQ(EPERM, errno);
}

/*
 * Root of a new user namespace has every capability there but none in the
 * initial namespace: capable(), not ns_capable(), must refuse it.
 */
TEST_F(open, userns_root_eperm)
{
	if (unshare(CLONE_NEWUSER))
		SKIP(return, "unshare(CLONE_NEWUSER): %s", strerror(errno));
	ASSERT_EQ(-1, open(variant->path, O_RDONLY));
	ASSERT_EQ(EPERM, errno);
}

/* An ioctl works on an O_RDONLY fd (memcontrol sets ranges that way). */
TEST_F(open, ioctl_on_rdonly_fd)
{
	struct mem_extract me;
	int fd = open(variant->path, O_RDONLY);

	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, bt_extract(fd, (uintptr_t)self->buf, 0, 0, &me));
	EXPECT_EQ(ME_STATE_MAPPED, me.me_state);
	EXPECT_NE(0ULL, me.me_paddr);
	close(fd);
}

/* ioctls re-check CAP_SYS_RAWIO at call time: fds can be passed on. */
TEST_F(open, ioctl_rechecks_rawio)
{
	struct mem_extract me;
	int fd = open(variant->path, O_RDONLY);

	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, bt_drop_rawio());
	ASSERT_EQ(-1, bt_extract(fd, (uintptr_t)self->buf, 0, 0, &me));
	ASSERT_EQ(EPERM, errno);
	close(fd);
}

/* An O_PATH fd has no file operations: the VFS answers EBADF. */
TEST_F(open, ioctl_on_opath_ebadf)
{
	struct mem_extract me;
	int fd = open(variant->path, O_PATH);

	ASSERT_GE(fd, 0);
	ASSERT_EQ(-1, bt_extract(fd, (uintptr_t)self->buf, 0, 0, &me));
	ASSERT_EQ(EBADF, errno);
	close(fd);
}

/*
 * Commands other than FreeBSD's four numbers are ENOTTY: an unknown number
 * in the 'm' group, MEM_EXTRACT_PADDR with another size, and the Linux
 * spelling (_IOW) of MEM_KERNELDUMP and MEMRANGE_SET.
 */
TEST_F(open, unknown_cmd_enotty)
{
	static const unsigned long cmds[] = {
		0xC0406D63,	/* _IOWR('m', 99, 64 bytes) */
		0xC0386D34,	/* 'm' 52 with a 56-byte argument */
		0x40206D35,	/* Linux _IOW spelling of MEM_KERNELDUMP */
		0x40106D33,	/* Linux _IOW spelling of MEMRANGE_SET */
		0x00006D34,	/* _IO('m', 52) */
	};
	struct mem_extract me;
	unsigned int i;
	int fd = open(variant->path, O_RDONLY);

	ASSERT_GE(fd, 0);
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		memset(&me, 0, sizeof(me));
		me.me_vaddr = (uintptr_t)self->buf;
		errno = 0;
		EXPECT_EQ(-1, ioctl(fd, cmds[i], &me))
			TH_LOG("cmd %#lx", cmds[i]);
		EXPECT_EQ(ENOTTY, errno) TH_LOG("cmd %#lx", cmds[i]);
	}
	close(fd);
}

/*
 * Without CAP_SYS_RAWIO an fd opened before still answers ENOTTY to what
 * is not one of our commands (isatty()'s TCGETS included), and EPERM to
 * each of ours: the command is decoded before the policy is checked.
 */
TEST_F(open, unprivileged_unknown_cmd_enotty)
{
	struct mem_extract me;
	int fd = open(variant->path, O_RDONLY), status;
	pid_t pid;

	ASSERT_GE(fd, 0);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		if (bt_drop_rawio())
			_exit(10);
		if (isatty(fd) || errno != ENOTTY)
			_exit(11);
		if (ioctl(fd, 0xC0406D63, &me) != -1 || errno != ENOTTY)
			_exit(12);
		if (bt_extract(fd, 0, 0, 0, &me) != -1 || errno != EPERM)
			_exit(13);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status)) {
		TH_LOG("10: drop, 11: isatty, 12: unknown cmd, 13: known cmd");
	}
	close(fd);
}

/* A closed fd number gives EBADF before the driver is involved. */
TEST_F(open, ioctl_closed_fd_ebadf)
{
	struct mem_extract me;
	int fd = open(variant->path, O_RDONLY);

	ASSERT_GE(fd, 0);
	close(fd);
	ASSERT_EQ(-1, bt_extract(fd, (uintptr_t)self->buf, 0, 0, &me));
	ASSERT_EQ(EBADF, errno);
}

FIXTURE(param) {
};

FIXTURE_SETUP(param)
{
	if (geteuid())
		SETUP_SKIP("must run as root");
	if (bt_get_writable() < 0)
		SETUP_SKIP("%s missing: is bsdmem loaded?", BT_WRITABLE_PARAM);
}

FIXTURE_TEARDOWN(param)
{
	bt_set_writable(0);
}

/* `writable` is 0644 and refuses values other than 0 and 1 (SPEC §8). */
TEST_F(param, writable_range)
{
	struct stat st;

	ASSERT_EQ(0, stat(BT_WRITABLE_PARAM, &st));
	ASSERT_EQ(0644U, st.st_mode & 07777);
	ASSERT_EQ(-1, bt_write_file(BT_WRITABLE_PARAM, "2"));
	ASSERT_EQ(EINVAL, errno);
	ASSERT_EQ(-1, bt_write_file(BT_WRITABLE_PARAM, "-1"));
	ASSERT_EQ(EINVAL, errno);
	ASSERT_EQ(0, bt_set_writable(1));
	ASSERT_EQ(1, bt_get_writable());
	ASSERT_EQ(0, bt_set_writable(0));
	ASSERT_EQ(0, bt_get_writable());
}

TEST_HARNESS_MAIN
