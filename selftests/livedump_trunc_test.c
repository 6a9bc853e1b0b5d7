// SPDX-License-Identifier: GPL-2.0
/*
 * MEM_KERNELDUMP into a regular file ends with the file cut at the trailer
 * (SPEC §7.1), as ftruncate(2) on the caller's descriptor would cut it: the
 * open file's write access decides, not the caller's permission on the
 * path, and a file that cannot be cut is refused before anything is written.
 * ftruncate(2) on the same descriptor, from the same caller, is the oracle.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/capability.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <sys/kerneldump.h>
#include <sys/memrange.h>

#include "bsdmem_harness.h"
#include "mdview.h"

#define MARKER		"livedump_trunc_test: the old tail"
#define OTHER_UID	1234

FIXTURE(trunc) {
	int dev;
	int fd;
	char path[300];
};

static void open_dev(struct __test_metadata *_metadata,
		     FIXTURE_DATA(trunc) *self)
{
	if (geteuid())
		SETUP_SKIP("must run as root");
	self->fd = -1;
	self->dev = open(_PATH_BSDMEM, O_RDONLY);
	if (self->dev < 0)
		SETUP_SKIP("%s missing: is bsdmem loaded?", _PATH_BSDMEM);
	signal(SIGPIPE, SIG_IGN);
}

static void close_all(FIXTURE_DATA(trunc) *self)
{
	if (self->fd >= 0)
		close(self->fd);
	if (self->path[0])
		unlink(self->path);
	close(self->dev);
}

FIXTURE_SETUP(trunc) { open_dev(_metadata, self); }
FIXTURE_TEARDOWN(trunc) { close_all(self); }

/* The file @fd ends at a valid @comp trailer: MDV_OK or what is wrong. */
static const char *ends_at_trailer(int fd, int comp)
{
	uint8_t kdh[512];
	uint64_t extent;
	struct stat st;

	if (fstat(fd, &st) || st.st_size < 512 ||
	    pread(fd, kdh, 512, st.st_size - 512) != 512)
		return "no 512-byte trailer to read";
	return mdv_check_trailer(kdh, st.st_size, comp, &extent);
}

/* Whether @len bytes of @fd at @off read as @want. */
static bool reads_as(int fd, off_t off, const void *want, size_t len)
{
	char got[4096];

	return len <= sizeof(got) && pread(fd, got, len, off) == (ssize_t)len &&
	       !memcmp(got, want, len);
}

/* What the child below reports through its exit status. */
enum {
	CHILD_CAPS = 201,	/* dropping the capabilities failed */
	CHILD_PATH_OPEN,	/* the path still opened for writing */
	CHILD_PATH_TRUNC,	/* truncate(2) of the path was not EACCES */
	CHILD_FTRUNC,		/* ftruncate(2) of the descriptor failed */
};

/* Lose the file-permission capabilities, keep CAP_SYS_RAWIO: 0 or -1. */
static int drop_file_caps(void)
{
	static const int caps[] = {
		CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER,
	};
	unsigned int i;

	for (i = 0; i < sizeof(caps) / sizeof(caps[0]); i++)
		if (bt_drop_cap(caps[i]))
			return -1;
	return 0;
}

/*
 * Wait for a child that dumped into the file at self->path, then check, as
 * root through a new descriptor, that the file ends at a zstd trailer and
 * lost its old tail (the marker at @marker).
 */
static void expect_child_cut(struct __test_metadata *_metadata,
			     FIXTURE_DATA(trunc) *self, pid_t pid, off_t marker)
{
	struct stat st;
	int status;

	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_GT(CHILD_CAPS, WEXITSTATUS(status)) {
		TH_LOG("child setup step %d failed", WEXITSTATUS(status));
	}
	EXPECT_EQ(0, WEXITSTATUS(status)) {
		TH_LOG("dump: %s", strerror(WEXITSTATUS(status)));
	}
	if (self->fd >= 0)
		close(self->fd);
	self->fd = open(self->path, O_RDONLY);
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, fstat(self->fd, &st));
	TH_LOG("file: %lld bytes", (long long)st.st_size);
	EXPECT_STREQ(MDV_OK, ends_at_trailer(self->fd, KERNELDUMP_COMP_ZSTD));
	EXPECT_GT(marker, st.st_size) {
		TH_LOG("the old tail is still there");
	}
	EXPECT_FALSE(reads_as(self->fd, marker, MARKER, sizeof(MARKER)));
}

/*
 * Without the file-permission capabilities (CAP_SYS_RAWIO kept), the path
 * is closed to this caller but the descriptor is not: show both, then
 * dump. Return: the exit status (the dump's errno, or CHILD_*).
 */
static int unprivileged_dump(int dev, int fd, const char *path, off_t size)
{
	int other;

	if (drop_file_caps())
		return CHILD_CAPS;
	other = open(path, O_WRONLY);
	if (other >= 0 || errno != EACCES)
		return CHILD_PATH_OPEN;
	if (!truncate(path, size) || errno != EACCES)
		return CHILD_PATH_TRUNC;
	if (ftruncate(fd, size - 4096))
		return CHILD_FTRUNC;
	return mdv_dump(dev, fd, 0, KERNELDUMP_COMP_ZSTD);
}

/* self->path: a file named @name.PID on the scratch disk, else in /tmp. */
static void scratch_path(FIXTURE_DATA(trunc) *self, const char *name)
{
	const char *disk = getenv("BSDMEM_DISK");

	snprintf(self->path, sizeof(self->path), "%s/%s.%d",
		 disk && *disk ? disk : "/tmp", name, getpid());
}

/*
 * A file size no kernel dump reaches: all of RAM (a debug kernel's dump is
 * far bigger than a production one's; a fixed size would not do).
 */
static off_t past_any_dump(void)
{
	return (off_t)sysconf(_SC_PHYS_PAGES) * sysconf(_SC_PAGESIZE);
}

/*
 * A file owned by someone else (0644), opened for writing by a caller that
 * then lost the file-permission capabilities, is cut at the trailer like
 * ftruncate(2) on that descriptor (which works here) would cut it: the
 * descriptor's write access decides, not the path's permission.
 */
TEST_F_TIMEOUT(trunc, others_file_cut_through_fd, 150)
{
	off_t size = past_any_dump(), marker = size - 3 * 4096;
	pid_t pid;

	scratch_path(self, "trunc");
	self->fd = open(self->path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, ftruncate(self->fd, size));
	ASSERT_EQ((ssize_t)sizeof(MARKER),
		  pwrite(self->fd, MARKER, sizeof(MARKER), marker));
	ASSERT_EQ(0, fchown(self->fd, OTHER_UID, OTHER_UID));
	ASSERT_EQ(0, fchmod(self->fd, 0644));

	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		_exit(unprivileged_dump(self->dev, self->fd, self->path, size));
	expect_child_cut(_metadata, self, pid, marker);
}

/*
 * Child of readonly_after_open_cut_through_fd: without the file-permission
 * capabilities, create and open a file, make it read-only (mode 0444), then
 * dump into the descriptor. Return: the exit status (0, the dump's errno,
 * or CHILD_*).
 */
static int readonly_after_open_dump(int dev, const char *path, off_t size,
				    off_t marker)
{
	int fd;

	if (drop_file_caps())
		return CHILD_CAPS;
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || ftruncate(fd, size) ||
	    pwrite(fd, MARKER, sizeof(MARKER), marker) != sizeof(MARKER) ||
	    fchmod(fd, 0444))
		return CHILD_CAPS;
	if (open(path, O_WRONLY) >= 0 || errno != EACCES)
		return CHILD_PATH_OPEN;
	if (ftruncate(fd, size - 4096))
		return CHILD_FTRUNC;
	return mdv_dump(dev, fd, 0, KERNELDUMP_COMP_ZSTD);
}

/*
 * A file made read-only after its descriptor was opened for writing, by a
 * caller without the file-permission capabilities: nobody may write its
 * path any more, the opener's credentials included, yet ftruncate(2) on
 * the descriptor works, so the dump cuts the file the same way.
 */
TEST_F_TIMEOUT(trunc, readonly_after_open_cut_through_fd, 150)
{
	off_t size = past_any_dump(), marker = size - 3 * 4096;
	pid_t pid;

	scratch_path(self, "trunc-ro");
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		_exit(readonly_after_open_dump(self->dev, self->path, size,
					       marker));
	expect_child_cut(_metadata, self, pid, marker);
}

/*
 * Child of sealed_keeps_setid_bits: without CAP_FSETID, a set-user-ID memfd
 * sealed against shrinking. Return: the dump's errno (or CHILD_CAPS), with
 * the mode afterwards in *mode.
 */
static int setid_sealed_dump(int dev, mode_t *mode)
{
	struct stat st;
	int fd, err;

	if (bt_drop_cap(CAP_FSETID))
		return CHILD_CAPS;
	fd = memfd_create("bsdmem-setid", MFD_ALLOW_SEALING);
	if (fd < 0 || ftruncate(fd, 1 << 30) || fchmod(fd, 04755) ||
	    fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK))
		return CHILD_CAPS;
	err = mdv_dump(dev, fd, 0, KERNELDUMP_COMP_ZSTD);
	if (fstat(fd, &st))
		return CHILD_CAPS;
	*mode = st.st_mode & 07777;
	close(fd);
	return err;
}

/*
 * A refused truncation changes nothing, as ftruncate(2) changes nothing:
 * the set-user-ID bit a successful one would drop is still there.
 */
TEST_F_TIMEOUT(trunc, sealed_keeps_setid_bits, 150)
{
	int status, pipefd[2];
	mode_t mode = 0;
	pid_t pid;

	ASSERT_EQ(0, pipe(pipefd));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		status = setid_sealed_dump(self->dev, &mode);
		if (write(pipefd[1], &mode, sizeof(mode)) != sizeof(mode))
			status = CHILD_CAPS;
		_exit(status);
	}
	close(pipefd[1]);
	ASSERT_EQ((ssize_t)sizeof(mode), read(pipefd[0], &mode, sizeof(mode)));
	close(pipefd[0]);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_NE(CHILD_CAPS, WEXITSTATUS(status));
	EXPECT_EQ(EPERM, WEXITSTATUS(status));
	EXPECT_EQ(04755U, (unsigned int)mode);
}

/*
 * A memfd sealed against shrinking, larger than any dump: ftruncate(2)
 * gives EPERM, so the dump is refused with EPERM before its first byte
 * (the first page still reads as zeros, the old tail is intact), not
 * written whole and refused at its end.
 */
TEST_F_TIMEOUT(trunc, shrink_sealed_refused_before_writing, 150)
{
	static const char zero[4096];
	off_t size = 1LL << 30, marker = size - 4096;
	struct stat st;
	int err;

	self->fd = memfd_create("livedump_trunc", MFD_ALLOW_SEALING);
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, ftruncate(self->fd, size));
	ASSERT_EQ((ssize_t)sizeof(MARKER),
		  pwrite(self->fd, MARKER, sizeof(MARKER), marker));
	ASSERT_EQ(0, fcntl(self->fd, F_ADD_SEALS, F_SEAL_SHRINK));
	errno = 0;
	EXPECT_EQ(-1, ftruncate(self->fd, size - 4096));
	EXPECT_EQ(EPERM, errno);

	err = mdv_dump(self->dev, self->fd, 0, KERNELDUMP_COMP_ZSTD);
	EXPECT_EQ(EPERM, err) {
		TH_LOG("dump: %s", err ? strerror(err) : "no error");
	}
	ASSERT_EQ(0, fstat(self->fd, &st));
	EXPECT_EQ(size, st.st_size);
	EXPECT_TRUE(reads_as(self->fd, 0, zero, sizeof(zero))) {
		TH_LOG("the dump was written before it was refused");
	}
	EXPECT_TRUE(reads_as(self->fd, marker, MARKER, sizeof(MARKER)));
}

/*
 * An empty memfd sealed against shrinking, reopened O_DIRECT (tmpfs takes
 * the flag from Linux 6.6): a dump to an O_DIRECT file pads its last page
 * and cuts the padding off at its end, which this file refuses. The dump
 * must find out at its start (EPERM), not write itself whole first: the
 * file holds at most the one zero page the check wrote.
 */
TEST_F_TIMEOUT(trunc, direct_shrink_sealed_refused_at_start, 150)
{
	char path[64];
	struct stat st;
	int sealed, err;

	sealed = memfd_create("livedump_trunc", MFD_ALLOW_SEALING);
	ASSERT_LE(0, sealed);
	ASSERT_EQ(0, fcntl(sealed, F_ADD_SEALS, F_SEAL_SHRINK));
	snprintf(path, sizeof(path), "/proc/self/fd/%d", sealed);
	self->fd = open(path, O_WRONLY | O_DIRECT);
	if (self->fd < 0 && errno == EINVAL) {
		close(sealed);
		SKIP(return, "tmpfs takes O_DIRECT only from Linux 6.6 (shmem_file_open sets FMODE_CAN_ODIRECT): the sealed memfd cannot be reopened O_DIRECT, so there is nothing to refuse");
	}
	ASSERT_LE(0, self->fd) TH_LOG("%s: %s", path, strerror(errno));
	close(sealed);

	err = mdv_dump(self->dev, self->fd, 0, KERNELDUMP_COMP_ZSTD);
	EXPECT_EQ(EPERM, err) {
		TH_LOG("dump: %s", err ? strerror(err) : "no error");
	}
	ASSERT_EQ(0, fstat(self->fd, &st));
	EXPECT_LE(st.st_size, 4096) {
		TH_LOG("%lld bytes: the dump was written before it was refused",
		       (long long)st.st_size);
	}
}

/* The same, for memfds that may be cut (no size seal). */
FIXTURE(unsealed) {
	FIXTURE_DATA(trunc) t;
};

FIXTURE_VARIANT(unsealed) {
	unsigned int flags;	/* memfd_create() */
	int seals;		/* what F_GET_SEALS gives */
};

FIXTURE_VARIANT_ADD(unsealed, plain) { .flags = 0, .seals = F_SEAL_SEAL };
FIXTURE_VARIANT_ADD(unsealed, sealable) {
	.flags = MFD_ALLOW_SEALING, .seals = 0,
};

FIXTURE_SETUP(unsealed) { open_dev(_metadata, &self->t); }
FIXTURE_TEARDOWN(unsealed) { close_all(&self->t); }

/*
 * An empty memfd without a size seal (F_SEAL_SEAL alone, or no seal at
 * all) takes a dump: being a sealable file is no reason to refuse it.
 */
TEST_F_TIMEOUT(unsealed, memfd_takes_dump, 150)
{
	int err, fd;

	fd = memfd_create("livedump_trunc", variant->flags);
	ASSERT_LE(0, fd);
	self->t.fd = fd;
	ASSERT_EQ(variant->seals, fcntl(fd, F_GET_SEALS));
	err = mdv_dump(self->t.dev, fd, 0, KERNELDUMP_COMP_ZSTD);
	ASSERT_EQ(0, err) {
		TH_LOG("dump: %s", strerror(err));
	}
	EXPECT_STREQ(MDV_OK, ends_at_trailer(fd, KERNELDUMP_COMP_ZSTD));
}

TEST_HARNESS_MAIN
