// SPDX-License-Identifier: GPL-2.0
/*
 * memcontrol: list, set and clear memory-range attributes (MTRR and PAT
 * cache types) through MEMRANGE_GET/SET on /dev/bsdmem, with FreeBSD
 * memcontrol(8)'s commands and output. Errors go to stderr as
 * "memcontrol: <what>: <reason>"; exit 0 on success, 1 when the kernel
 * refuses, 2 on bad usage.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/memrange.h>

#include "bsdmem_version.h"

#define EXIT_USAGE	2
#define OWNER_MAX	7		/* the kernel keeps 7 chars and a NUL */
#define DEFAULT_OWNER	"user"

/* Flag words in the order list prints them; settable ones can be given. */
static const struct {
	const char *word;
	int flag;
	bool settable;
} flag_words[] = {
	{ "uncacheable",	MDF_UNCACHEABLE,	true },
	{ "write-combine",	MDF_WRITECOMBINE,	true },
	{ "write-through",	MDF_WRITETHROUGH,	true },
	{ "write-back",		MDF_WRITEBACK,		true },
	{ "write-protect",	MDF_WRITEPROTECT,	true },
	{ "force",		MDF_FORCE,		true },
	{ "unknown",		MDF_UNKNOWN,		false },
	{ "fixed-base",		MDF_FIXBASE,		false },
	{ "fixed-length",	MDF_FIXLEN,		false },
	{ "set-by-firmware",	MDF_FIRMWARE,		false },
	{ "active",		MDF_ACTIVE,		false },
	{ "bogus",		MDF_BOGUS,		false },
};

#define NWORDS	(sizeof(flag_words) / sizeof(flag_words[0]))

static void usage(FILE *f)
{
	fprintf(f,
		"usage: memcontrol list [-a] [-o owner]\n"
		"       memcontrol set -b base -l length [-o owner] attribute...\n"
		"       memcontrol clear -o owner\n"
		"       memcontrol clear -b base -l length\n"
		"       memcontrol --version\n"
		"attributes: uncacheable write-combine write-through write-back\n"
		"            write-protect force\n");
}

static int usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("memcontrol: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	usage(stderr);
	return EXIT_USAGE;
}

/* "memcontrol: what: strerror(errno)"; returns the exit status 1. */
static int fail(const char *what)
{
	fprintf(stderr, "memcontrol: %s: %s\n", what, strerror(errno));
	return EXIT_FAILURE;
}

/* /dev/bsdmem, read-only: the ioctls do not look at the open mode. */
static int open_dev(void)
{
	int fd = open(_PATH_BSDMEM, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		fail("can't open " _PATH_BSDMEM);
	return fd;
}

static bool parse_u64(const char *s, uint64_t *v)
{
	char *end;

	if (!*s || *s == '-')
		return false;
	errno = 0;
	*v = strtoull(s, &end, 0);
	return !errno && !*end;
}

/* Does the 8-byte owner field hold exactly this string? */
static bool owner_is(const char *field, const char *owner)
{
	size_t n = strnlen(field, sizeof(((struct mem_range_desc *)0)->mr_owner));

	return n == strlen(owner) && !memcmp(field, owner, n);
}

/* Every descriptor, malloc'ed; the count, or -1 after printing why. */
static int get_all(int fd, struct mem_range_desc **out)
{
	struct mem_range_op op = { .mo_desc = NULL, .mo_arg = { 0, 0 } };
	int n;

	if (ioctl(fd, MEMRANGE_GET, &op) < 0) {
		fail("can't size range descriptor array");
		return -1;
	}
	n = op.mo_arg[0];
	*out = calloc(n ? n : 1, sizeof(**out));
	if (!*out) {
		fail("can't allocate the range descriptor array");
		return -1;
	}
	op.mo_desc = *out;
	op.mo_arg[0] = n;
	if (n && ioctl(fd, MEMRANGE_GET, &op) < 0) {
		fail("can't fetch range descriptor array");
		free(*out);
		return -1;
	}
	return n ? op.mo_arg[0] : 0;
}

static void print_desc(const struct mem_range_desc *d)
{
	printf("0x%" PRIx64 "/0x%" PRIx64 " %.8s ", d->mr_base, d->mr_len,
	       d->mr_owner[0] ? d->mr_owner : "-");
	for (size_t i = 0; i < NWORDS; i++)
		if (d->mr_flags & flag_words[i].flag)
			printf("%s ", flag_words[i].word);
	putchar('\n');
}

static int cmd_list(int argc, char **argv)
{
	const char *owner = NULL;
	struct mem_range_desc *d;
	bool all = false;
	int c, n, fd;

	while ((c = getopt(argc, argv, "+ao:")) != -1) {
		if (c == 'a')
			all = true;
		else if (c == 'o')
			owner = optarg;
		else
			return usage_error("list: bad option '-%c'", optopt);
	}
	if (optind != argc)
		return usage_error("list: unexpected argument '%s'", argv[optind]);
	fd = open_dev();
	if (fd < 0)
		return EXIT_FAILURE;
	n = get_all(fd, &d);
	close(fd);
	if (n < 0)
		return EXIT_FAILURE;
	for (int i = 0; i < n; i++) {
		if (!all && !(d[i].mr_flags & MDF_ACTIVE))
			continue;
		if (owner && !owner_is(d[i].mr_owner, owner))
			continue;
		print_desc(&d[i]);
	}
	free(d);
	return fflush(stdout) ? fail("can't write the list") : EXIT_SUCCESS;
}

/* -b, -l and -o of set and clear. */
struct range_args {
	bool have_base, have_len;
	uint64_t base, len;
	const char *owner;
};

static int parse_range_args(int argc, char **argv, struct range_args *r)
{
	int c;

	while ((c = getopt(argc, argv, "+b:l:o:")) != -1) {
		switch (c) {
		case 'b':
			if (!parse_u64(optarg, &r->base))
				return usage_error("bad base '%s'", optarg);
			r->have_base = true;
			break;
		case 'l':
			if (!parse_u64(optarg, &r->len) || !r->len)
				return usage_error("bad length '%s'", optarg);
			r->have_len = true;
			break;
		case 'o':
			if (!*optarg || strlen(optarg) > OWNER_MAX)
				return usage_error("owner must be 1 to %d characters",
						   OWNER_MAX);
			r->owner = optarg;
			break;
		default:
			return usage_error("bad option '-%c' or missing value",
					   optopt);
		}
	}
	return 0;
}

static int set_range(int fd, int op, uint64_t base, uint64_t len, int flags,
		     const char *owner)
{
	struct mem_range_desc d = { .mr_base = base, .mr_len = len,
				    .mr_flags = flags };
	struct mem_range_op mo = { .mo_desc = &d, .mo_arg = { op, 0 } };

	if (owner)
		memcpy(d.mr_owner, owner, strnlen(owner, OWNER_MAX));
	return ioctl(fd, MEMRANGE_SET, &mo);
}

static int cmd_set(int argc, char **argv)
{
	struct range_args r = { .owner = DEFAULT_OWNER };
	int flags = 0, err = parse_range_args(argc, argv, &r), fd;
	size_t w;

	if (err)
		return err;
	if (!r.have_base || !r.have_len)
		return usage_error("set: -b base and -l length are required");
	if (optind == argc)
		return usage_error("set: no attribute given");
	for (int i = optind; i < argc; i++) {
		for (w = 0; w < NWORDS; w++)
			if (flag_words[w].settable &&
			    !strcmp(argv[i], flag_words[w].word))
				break;
		if (w == NWORDS)
			return usage_error("set: unknown attribute '%s'", argv[i]);
		flags |= flag_words[w].flag;
	}
	fd = open_dev();
	if (fd < 0)
		return EXIT_FAILURE;
	err = set_range(fd, MEMRANGE_SET_UPDATE, r.base, r.len, flags, r.owner);
	close(fd);
	return err ? fail("can't set range") : EXIT_SUCCESS;
}

/* Remove every active range of this owner that can be turned off. */
static int clear_owner(const char *owner)
{
	struct mem_range_desc *d;
	int fd = open_dev(), n, status = EXIT_SUCCESS;

	if (fd < 0)
		return EXIT_FAILURE;
	n = get_all(fd, &d);
	if (n < 0) {
		close(fd);
		return EXIT_FAILURE;
	}
	for (int i = 0; i < n; i++) {
		if (!(d[i].mr_flags & MDF_ACTIVE) ||
		    (d[i].mr_flags & MDF_FIXACTIVE) ||
		    !owner_is(d[i].mr_owner, owner))
			continue;
		if (set_range(fd, MEMRANGE_SET_REMOVE, d[i].mr_base,
			      d[i].mr_len, 0, owner)) {
			fprintf(stderr,
				"memcontrol: couldn't clear range 0x%" PRIx64
				"/0x%" PRIx64 " owned by '%s': %s\n",
				d[i].mr_base, d[i].mr_len, owner,
				strerror(errno));
			status = EXIT_FAILURE;
		}
	}
	free(d);
	close(fd);
	return status;
}

static int cmd_clear(int argc, char **argv)
{
	struct range_args r = { .owner = NULL };
	int err = parse_range_args(argc, argv, &r), fd;

	if (err)
		return err;
	if (optind != argc)
		return usage_error("clear: unexpected argument '%s'", argv[optind]);
	if (r.owner && !r.have_base && !r.have_len)
		return clear_owner(r.owner);
	if (r.owner || !r.have_base || !r.have_len)
		return usage_error("clear: give either -o owner or -b base -l length");
	fd = open_dev();
	if (fd < 0)
		return EXIT_FAILURE;
	err = set_range(fd, MEMRANGE_SET_REMOVE, r.base, r.len, 0, NULL);
	close(fd);
	return err ? fail("couldn't clear range") : EXIT_SUCCESS;
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(int argc, char **argv);
	} cmds[] = {
		{ "list", cmd_list }, { "set", cmd_set }, { "clear", cmd_clear },
	};

	if (argc < 2)
		return usage_error("no command given");
	if (argc == 2 && !strcmp(argv[1], "--version")) {
		printf("memcontrol (bsdmem) %s\n", BSDMEM_VERSION);
		return EXIT_SUCCESS;
	}
	opterr = 0;
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (!strcmp(argv[1], cmds[i].name))
			return cmds[i].fn(argc - 1, argv + 1);
	return usage_error("unknown command '%s'", argv[1]);
}
