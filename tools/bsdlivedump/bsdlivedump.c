// SPDX-License-Identifier: GPL-2.0
/*
 * bsdlivedump(8): take a live FreeBSD amd64 minidump of the running Linux
 * kernel with MEM_KERNELDUMP on /dev/bsdmem, the way FreeBSD's "savecore -L"
 * does. This file holds main, the command line and the messages; dump.c
 * does the rest. Exit 0 on success, 1 on failure, 2 on bad usage.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/kerneldump.h>
#include <sys/memrange.h>

#include "bsdlivedump.h"
#include "bsdmem_version.h"

int fail_errno(const char *what, int err)
{
	fprintf(stderr, "bsdlivedump: %s: %s\n", what, strerror(err));
	return EXIT_FAILURE;
}

int fail(const char *fmt, ...)
{
	va_list ap;

	fputs("bsdlivedump: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return EXIT_FAILURE;
}

static void usage(FILE *f)
{
	fputs("usage: bsdlivedump [-z | -Z] [--all] [--cached] [-v] [DIRECTORY | -]\n"
	      "       bsdlivedump --version\n"
	      "  -z       gzip-compressed dump (livecore.N.gz)\n"
	      "  -Z       zstd-compressed dump (livecore.N.zst)\n"
	      "  --all    every RAM page, not only the kernel's memory\n"
	      "  --cached write DIRECTORY's file through the page cache\n"
	      "           (by default around it, with O_DIRECT, where the\n"
	      "           file system allows)\n"
	      "  -v       verbose\n"
	      "  DIRECTORY  where to write (default .); - writes to stdout\n",
	      f);
}

static int usage_error(const char *msg)
{
	fprintf(stderr, "bsdlivedump: %s\n", msg);
	usage(stderr);
	return EXIT_USAGE;
}

/* getopt found an option it does not know: argv[optind - 1] holds it. */
static int unknown_option(char **argv)
{
	if (optopt)
		fprintf(stderr, "bsdlivedump: unknown option '-%c'\n", optopt);
	else
		fprintf(stderr, "bsdlivedump: unknown option '%s'\n",
			argv[optind - 1]);
	usage(stderr);
	return EXIT_USAGE;
}

/* Parses argv into o; returns -1 to go on, or an exit status. */
static int parse_args(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
		{ "all", no_argument, NULL, 'a' },
		{ "cached", no_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	memset(o, 0, sizeof(*o));
	o->dir = ".";
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+zZvh", longopts, NULL)) != -1) {
		switch (c) {
		case 'z':
		case 'Z':
			if (o->compression)
				return usage_error("-z and -Z exclude each other");
			o->compression = c == 'z' ? KERNELDUMP_COMP_GZIP :
						    KERNELDUMP_COMP_ZSTD;
			break;
		case 'a':
			o->flags |= MEM_KERNELDUMP_ALLRAM;
			break;
		case 'c':
			o->cached = true;
			break;
		case 'v':
			o->verbose = true;
			break;
		case 'h':
			usage(stdout);
			return EXIT_SUCCESS;
		case 'V':
			printf("bsdlivedump (bsdmem) %s\n", BSDMEM_VERSION);
			return EXIT_SUCCESS;
		default:
			return unknown_option(argv);
		}
	}
	if (argc - optind > 1)
		return usage_error("at most one DIRECTORY");
	if (argc - optind == 1)
		o->dir = argv[optind];
	if (!strcmp(o->dir, "-"))
		o->dir = NULL;
	return -1;
}

/* Refuses early what the dump could not go to; 0 or the exit status 1. */
static int check_target(const struct options *o)
{
	const char *problem;
	struct stat st;

	if (!o->dir) {
		problem = dump_stdout_problem();
		return problem ? fail("%s", problem) : 0;
	}
	if (stat(o->dir, &st))
		return fail_errno(o->dir, errno);
	if (!S_ISDIR(st.st_mode))
		return fail_errno(o->dir, ENOTDIR);
	return 0;
}

int main(int argc, char **argv)
{
	struct options o;
	int dev, ret;

	ret = parse_args(argc, argv, &o);
	if (ret >= 0)
		return ret;
	if (check_target(&o))
		return EXIT_FAILURE;
	dev = open(_PATH_BSDMEM, O_RDONLY | O_CLOEXEC);
	if (dev < 0)
		return fail_errno(_PATH_BSDMEM, errno);
	dump_install_signals();
	ret = o.dir ? dump_to_dir(dev, &o) : dump_to_stdout(dev, &o);
	close(dev);
	return ret;
}
