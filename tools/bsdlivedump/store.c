// SPDX-License-Identifier: GPL-2.0
/*
 * bsdlivedump's dump directory, laid out as savecore leaves it: the
 * temporary livecore.tmp.XXXXXX, the number N from "bounds" moved past
 * files already there, livecore.N[.gz|.zst], info.N, bounds and the
 * livecore.last and info.last links, each replaced by a rename.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>

#include "bsdlivedump.h"
#include "bsdmem_version.h"

#define TMP_TEMPLATE	"livecore.tmp.XXXXXX"
#define MAX_TRIES	100000		/* livecore numbers skipped if taken */

/* Joins dir and name into buf (PATH_MAX); false if too long. */
static bool path_join(char *buf, const char *dir, const char *name)
{
	int n = snprintf(buf, PATH_MAX, "%s/%s", dir, name);

	if (n < 0 || n >= PATH_MAX) {
		fail("%s/%s: %s", dir, name, strerror(ENAMETOOLONG));
		return false;
	}
	return true;
}

int store_open_tmp(const char *dir, char *tmp)
{
	int fd;

	if (!path_join(tmp, dir, TMP_TEMPLATE))
		return -1;
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		fail_errno(dir, errno);
	return fd;
}

/* Writes s to dir/name through dir/name.new and a rename; 0 or -1. */
static int write_small(const char *dir, const char *name, const char *s,
		       mode_t mode)
{
	char path[PATH_MAX], tmp[PATH_MAX + 8];
	size_t len = strlen(s);
	int fd, err = 0;

	if (!path_join(path, dir, name))
		return -1;
	snprintf(tmp, sizeof(tmp), "%s.new", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0) {
		fail_errno(tmp, errno);
		return -1;
	}
	if (write(fd, s, len) != (ssize_t)len)
		err = errno ? errno : EIO;
	if (close(fd) && !err)
		err = errno;
	if (!err && rename(tmp, path))
		err = errno;
	if (err) {
		unlink(tmp);
		fail_errno(path, err);
		return -1;
	}
	return 0;
}

/* Points dir/name at target, replacing what was there; 0 or -1. */
static int update_link(const char *dir, const char *name, const char *target)
{
	char path[PATH_MAX], tmp[PATH_MAX + 8];

	if (!path_join(path, dir, name))
		return -1;
	snprintf(tmp, sizeof(tmp), "%s.new", path);
	unlink(tmp);
	if (symlink(target, tmp) || rename(tmp, path)) {
		fail_errno(path, errno);
		unlink(tmp);
		return -1;
	}
	return 0;
}

/* True if some file of dump n is in dir (a dangling link included). */
static bool number_taken(const char *dir, unsigned long n)
{
	static const char *const names[] = {
		"info.%lu", "livecore.%lu", "livecore.%lu.gz", "livecore.%lu.zst",
	};
	char path[PATH_MAX], name[64];
	struct stat st;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(names); i++) {
		snprintf(name, sizeof(name), names[i], n);
		if (path_join(path, dir, name) && !lstat(path, &st))
			return true;
	}
	return false;
}

/*
 * The dump's number: what dir/bounds says (0 if it is missing), moved on
 * past numbers some earlier file already uses.
 */
static int next_number(const char *dir, unsigned long *np)
{
	char path[PATH_MAX], buf[32];
	unsigned long n = 0;
	unsigned int tries;
	ssize_t len;
	int fd;

	if (!path_join(path, dir, "bounds"))
		return -1;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 && errno != ENOENT) {
		fail_errno(path, errno);
		return -1;
	}
	if (fd >= 0) {
		len = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		buf[len > 0 ? len : 0] = '\0';
		if (sscanf(buf, "%lu", &n) != 1) {
			fprintf(stderr, "bsdlivedump: %s: no number in it, starting from 0\n",
				path);
			n = 0;
		}
	}
	for (tries = 0; tries < MAX_TRIES && number_taken(dir, n); tries++)
		n++;
	*np = n;
	return 0;
}

/*
 * The text of info.N: one "Key: value" a line, the trailer's fields with
 * the file's name and, last, the bsdmem version of the bsdlivedump that
 * wrote it. No compression is savecore's "none".
 */
static void format_info(char *buf, size_t size, const char *file,
			const struct md_trailer *t)
{
	char date[64] = "?";
	time_t when = (time_t)t->dumptime;
	struct tm tm;

	if (localtime_r(&when, &tm))
		strftime(date, sizeof(date), "%Y-%m-%d %H:%M:%S %Z", &tm);
	snprintf(buf, size,
		 "File: %s\n"
		 "Hostname: %.*s\n"
		 "Versionstring: %.*s\n"
		 "Architecture: amd64\n"
		 "Architectureversion: %" PRIu32 "\n"
		 "Dumptime: %s (%" PRIu64 ")\n"
		 "Dumplength: %" PRIu64 "\n"
		 "Dumpextent: %" PRIu64 "\n"
		 "Blocksize: %" PRIu32 "\n"
		 "Compression: %s\n"
		 "Bsdmemversion: %s\n",
		 file, (int)strcspn(t->hostname, "\n"), t->hostname,
		 (int)strcspn(t->versionstring, "\n"), t->versionstring,
		 t->architectureversion, date, t->dumptime, t->dumplength,
		 t->dumpextent, t->blocksize,
		 t->compression ? md_format_name(t->compression) : "none",
		 BSDMEM_VERSION);
}

int store_dump(const char *dir, const char *tmp, const struct md_trailer *t,
	       char *name, size_t size)
{
	char path[PATH_MAX], info[64], text[1024], bounds[32];
	unsigned long n;

	if (next_number(dir, &n))
		return EXIT_FAILURE;
	snprintf(name, size, "livecore.%lu%s", n, md_format_suffix(t->compression));
	snprintf(info, sizeof(info), "info.%lu", n);
	if (!path_join(path, dir, name))
		return EXIT_FAILURE;
	if (rename(tmp, path))
		return fail_errno(path, errno);
	format_info(text, sizeof(text), name, t);
	snprintf(bounds, sizeof(bounds), "%lu\n", n + 1);
	if (write_small(dir, info, text, 0644) ||
	    write_small(dir, "bounds", bounds, 0644) ||
	    update_link(dir, "livecore.last", name) ||
	    update_link(dir, "info.last", info))
		return EXIT_FAILURE;
	return EXIT_SUCCESS;
}
