// SPDX-License-Identifier: GPL-2.0
/*
 * libminidump: the 512-byte kerneldumpheader trailer. Integers are
 * big-endian ("dump byte order") and decoded byte by byte at the offsets
 * of struct kerneldumpheader; md_trailer_check enforces SPEC §7.2.
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include "internal.h"

_Static_assert(sizeof(struct kerneldumpheader) == MD_TRAILER_SIZE,
	       "kerneldumpheader must be 512 bytes");

#define KDH(f) offsetof(struct kerneldumpheader, f)

static void copy_str(char *dst, const uint8_t *src, size_t n)
{
	memcpy(dst, src, n);
	dst[n] = '\0';
}

void md_trailer_decode(const uint8_t raw[MD_TRAILER_SIZE], struct md_trailer *t)
{
	uint32_t x = 0;
	unsigned int i;

	memset(t, 0, sizeof(*t));
	copy_str(t->magic, raw + KDH(magic), 20);
	copy_str(t->architecture, raw + KDH(architecture), 12);
	t->version = md_be32(raw + KDH(version));
	t->architectureversion = md_be32(raw + KDH(architectureversion));
	t->dumplength = md_be64(raw + KDH(dumplength));
	t->dumptime = md_be64(raw + KDH(dumptime));
	t->dumpkeysize = md_be32(raw + KDH(dumpkeysize));
	t->blocksize = md_be32(raw + KDH(blocksize));
	copy_str(t->hostname, raw + KDH(hostname), 64);
	copy_str(t->versionstring, raw + KDH(versionstring), 192);
	copy_str(t->panicstring, raw + KDH(panicstring), 175);
	t->compression = raw[KDH(compression)];
	t->dumpextent = md_be64(raw + KDH(dumpextent));
	t->parity = md_be32(raw + KDH(parity));
	/* The XOR is byte-order independent: fold the words in any one order. */
	for (i = 0; i < MD_TRAILER_SIZE; i += 4)
		x ^= md_be32(raw + i);
	t->xor_all = x;
}

bool md_trailer_has_magic(const uint8_t raw[MD_TRAILER_SIZE])
{
	return memcmp(raw, KERNELDUMPMAGIC, sizeof(KERNELDUMPMAGIC)) == 0;
}

static bool field_is(const char *got, size_t size, const char *want)
{
	/* Exactly want, NUL-padded to the field's size. */
	return strlen(got) == strlen(want) && strlen(want) < size &&
	       strcmp(got, want) == 0;
}

int md_trailer_check(const struct md_trailer *t, enum md_format fmt,
		     struct md_error *e)
{
	if (!field_is(t->magic, 20, KERNELDUMPMAGIC))
		return md_fail(e, -EBADMSG, "trailer-magic",
			       "magic is \"%.20s\", expected \"%s\"", t->magic,
			       KERNELDUMPMAGIC);
	if (t->version != KERNELDUMPVERSION)
		return md_fail(e, -EBADMSG, "trailer-version",
			       "version %u, expected %u", t->version,
			       KERNELDUMPVERSION);
	if (!field_is(t->architecture, 12, "amd64"))
		return md_fail(e, -EBADMSG, "trailer-architecture",
			       "architecture \"%.12s\", expected \"amd64\"",
			       t->architecture);
	if (t->architectureversion != KERNELDUMP_AMD64_VERSION)
		return md_fail(e, -EBADMSG, "trailer-architectureversion",
			       "architectureversion %u, expected %u",
			       t->architectureversion, KERNELDUMP_AMD64_VERSION);
	if (t->blocksize != KERNELDUMP_BLOCKSIZE)
		return md_fail(e, -EBADMSG, "trailer-blocksize",
			       "blocksize %u, expected %u", t->blocksize,
			       KERNELDUMP_BLOCKSIZE);
	if (t->dumpkeysize != 0)
		return md_fail(e, -EBADMSG, "trailer-dumpkeysize",
			       "dumpkeysize %u, expected 0 (no encryption)",
			       t->dumpkeysize);
	if (t->xor_all != 0)
		return md_fail(e, -EBADMSG, "trailer-parity",
			       "XOR of the 128 header words is 0x%08x, expected 0 (parity field 0x%08x)",
			       t->xor_all, t->parity);
	if (t->compression > KERNELDUMP_COMP_ZSTD)
		return md_fail(e, -EBADMSG, "trailer-compression",
			       "unknown compression code %u", t->compression);
	if (t->compression != (uint8_t)fmt)
		return md_fail(e, -EBADMSG, "trailer-compression",
			       "compression %u (%s) but the file is %s",
			       t->compression,
			       md_format_name((enum md_format)t->compression),
			       md_format_name(fmt));
	return 0;
}

int md_trailer_read(int fd, uint64_t size, enum md_format fmt,
		    struct md_trailer *t, struct md_error *e)
{
	uint8_t raw[MD_TRAILER_SIZE];
	int err;

	if (size < MD_TRAILER_SIZE + MD_PAGE_SIZE)
		return md_fail(e, -EBADMSG, "truncated",
			       "the file is only %llu bytes long",
			       (unsigned long long)size);
	err = md_pread_full(fd, raw, sizeof(raw), size - MD_TRAILER_SIZE);
	if (err)
		return md_fail(e, err, "io", "reading the trailer: %s",
			       strerror(-err));
	md_trailer_decode(raw, t);
	err = md_trailer_check(t, fmt, e);
	if (err)
		return err;
	if (t->dumplength > size - MD_TRAILER_SIZE)
		return md_fail(e, -EBADMSG, "trailer-dumplength",
			       "dumplength %llu beyond the file's %llu bytes before the trailer",
			       (unsigned long long)t->dumplength,
			       (unsigned long long)(size - MD_TRAILER_SIZE));
	return 0;
}
