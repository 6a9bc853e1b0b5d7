// SPDX-License-Identifier: GPL-2.0
/*
 * libminidump: error reporting (struct md_error), full-length read/write
 * helpers that retry on EINTR and short transfers, and unlinked temporary
 * files for spooling compressed or piped dumps.
 */
#define _GNU_SOURCE		/* mkostemp */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "internal.h"

int md_fail(struct md_error *e, int err, const char *rule, const char *fmt, ...)
{
	va_list ap;

	if (e) {
		snprintf(e->rule, sizeof(e->rule), "%s", rule);
		va_start(ap, fmt);
		vsnprintf(e->detail, sizeof(e->detail), fmt, ap);
		va_end(ap);
	}
	return err;
}

const char *md_format_name(enum md_format fmt)
{
	switch (fmt) {
	case MD_FMT_RAW:
		return "raw";
	case MD_FMT_GZIP:
		return "gzip";
	case MD_FMT_ZSTD:
		return "zstd";
	}
	return "?";
}

const char *md_format_suffix(enum md_format fmt)
{
	switch (fmt) {
	case MD_FMT_RAW:
		return "";
	case MD_FMT_GZIP:
		return ".gz";
	case MD_FMT_ZSTD:
		return ".zst";
	}
	return "";
}

ssize_t md_read_full(int fd, void *buf, size_t len)
{
	size_t done = 0;
	ssize_t n;

	while (done < len) {
		n = read(fd, (char *)buf + done, len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		done += (size_t)n;
	}
	return (ssize_t)done;
}

int md_pread_full(int fd, void *buf, size_t len, uint64_t off)
{
	size_t done = 0;
	ssize_t n;

	while (done < len) {
		n = pread(fd, (char *)buf + done, len - done,
			  (off_t)(off + done));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -ENODATA;
		done += (size_t)n;
	}
	return 0;
}

/* write(2), or pwrite(2) at *off, until all of buf is written. */
static int write_all(int fd, const void *buf, size_t len, const uint64_t *off)
{
	const char *p = buf;
	size_t done = 0;
	ssize_t n;

	while (done < len) {
		if (off)
			n = pwrite(fd, p + done, len - done, (off_t)(*off + done));
		else
			n = write(fd, p + done, len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		/* nothing written and no error: not to be retried forever */
		if (n == 0)
			return -EIO;
		done += (size_t)n;
	}
	return 0;
}

int md_write_full(int fd, const void *buf, size_t len)
{
	return write_all(fd, buf, len, NULL);
}

int md_pwrite_full(int fd, const void *buf, size_t len, uint64_t off)
{
	return write_all(fd, buf, len, &off);
}

int md_tmpfile(struct md_error *e)
{
	/* not from the environment of a set-id caller (kvm tools are setgid kmem) */
	const char *dir = secure_getenv("TMPDIR");
	char path[4096];
	int fd, err;

	if (!dir || !*dir)
		dir = "/tmp";
	if (snprintf(path, sizeof(path), "%s/minidump.XXXXXX", dir) >=
	    (int)sizeof(path))
		return md_fail(e, -ENAMETOOLONG, "io", "TMPDIR too long");
	fd = mkostemp(path, O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		return md_fail(e, err, "io", "cannot create a temporary file in %s: %s",
			       dir, strerror(-err));
	}
	unlink(path);
	return fd;
}
