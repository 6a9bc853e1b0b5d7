// SPDX-License-Identifier: GPL-2.0
/*
 * bsdlivedump's view of the kerneldumpheader at the end of a dump: decoded
 * from big-endian into struct trailer, checked the way savecore checks it
 * (magic, version, architecture, parity, no key, the compression asked for,
 * dumplength within the file), and printed as the text of info.N.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/kerneldump.h>

#include "bsdlivedump.h"
#include "bsdmem_version.h"

static uint32_t be32(const unsigned char *b)
{
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 |
	       (uint32_t)b[2] << 8 | b[3];
}

static uint64_t be64(const unsigned char *b)
{
	return (uint64_t)be32(b) << 32 | be32(b + 4);
}

static void copy_field(char *dst, const char *src, size_t size)
{
	memcpy(dst, src, size);
	dst[size] = '\0';
	dst[strcspn(dst, "\n")] = '\0';
}

static void decode_trailer(const struct kerneldumpheader *h,
			   struct trailer *t)
{
	const unsigned char *b = (const unsigned char *)h;

	t->version = be32(b + offsetof(struct kerneldumpheader, version));
	t->archver = be32(b + offsetof(struct kerneldumpheader,
				       architectureversion));
	t->length = be64(b + offsetof(struct kerneldumpheader, dumplength));
	t->time = be64(b + offsetof(struct kerneldumpheader, dumptime));
	t->keysize = be32(b + offsetof(struct kerneldumpheader, dumpkeysize));
	t->blocksize = be32(b + offsetof(struct kerneldumpheader, blocksize));
	t->extent = be64(b + offsetof(struct kerneldumpheader, dumpextent));
	t->compression = h->compression;
	copy_field(t->hostname, h->hostname, sizeof(h->hostname));
	copy_field(t->versionstring, h->versionstring,
		   sizeof(h->versionstring));
}

/*
 * Reads the last 512 bytes of fd (size bytes long) and checks what savecore
 * checks; prints why and returns false if the trailer is not valid.
 */
bool trailer_check(int fd, uint64_t size, int compression, struct trailer *t)
{
	struct kerneldumpheader h;
	ssize_t n;

	if (size < sizeof(h) + KERNELDUMP_BLOCKSIZE) {
		fail("dump is only %" PRIu64 " bytes long", size);
		return false;
	}
	n = pread(fd, &h, sizeof(h), (off_t)(size - sizeof(h)));
	if (n != (ssize_t)sizeof(h)) {
		fail_errno("reading the trailer", n < 0 ? errno : EIO);
		return false;
	}
	decode_trailer(&h, t);
	if (memcmp(h.magic, KERNELDUMPMAGIC, sizeof(KERNELDUMPMAGIC)))
		fail("trailer: bad magic, not \"%s\"", KERNELDUMPMAGIC);
	else if (t->version != KERNELDUMPVERSION)
		fail("trailer: version %" PRIu32 ", expected %d",
		     t->version, KERNELDUMPVERSION);
	else if (strncmp(h.architecture, "amd64", sizeof(h.architecture)))
		fail("trailer: architecture \"%.12s\", expected amd64",
		     h.architecture);
	else if (kerneldump_parity(&h))
		fail("trailer: parity error (0x%08" PRIx32 ")",
		     kerneldump_parity(&h));
	else if (t->keysize)
		fail("trailer: encryption key size %" PRIu32 ", expected 0",
		     t->keysize);
	else if (t->compression != compression)
		fail("trailer: compression %s, asked for %s",
		     comp_name(t->compression), comp_name(compression));
	else if (t->length > size - sizeof(h))
		fail("trailer: dumplength %" PRIu64 " beyond the file (%"
		     PRIu64 " bytes)", t->length, size);
	else
		return true;
	return false;
}

/*
 * One "Key: value" a line, the trailer's fields with the file's name and,
 * last, the bsdmem version of the bsdlivedump that wrote it.
 */
void trailer_format_info(char *buf, size_t size, const char *file,
			 const struct trailer *t)
{
	char date[64] = "?";
	time_t when = (time_t)t->time;
	struct tm tm;

	if (localtime_r(&when, &tm))
		strftime(date, sizeof(date), "%Y-%m-%d %H:%M:%S %Z", &tm);
	snprintf(buf, size,
		 "File: %s\n"
		 "Hostname: %s\n"
		 "Versionstring: %s\n"
		 "Architecture: amd64\n"
		 "Architectureversion: %" PRIu32 "\n"
		 "Dumptime: %s (%" PRIu64 ")\n"
		 "Dumplength: %" PRIu64 "\n"
		 "Dumpextent: %" PRIu64 "\n"
		 "Blocksize: %" PRIu32 "\n"
		 "Compression: %s\n"
		 "Bsdmemversion: %s\n",
		 file, t->hostname, t->versionstring, t->archver, date, t->time,
		 t->length, t->extent, t->blocksize, comp_name(t->compression),
		 BSDMEM_VERSION);
}
