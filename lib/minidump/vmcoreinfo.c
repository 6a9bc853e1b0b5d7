// SPDX-License-Identifier: GPL-2.0
/*
 * libminidump: the kernel's VMCOREINFO note, at the physical extent the
 * Linux extension block names. Its bytes are gathered page by page (from
 * the stream, or from an open dump), then read as one ELF note: a 12-byte
 * header (namesz, descsz, type; little-endian), the name "VMCOREINFO" and
 * its NUL padded to 4 bytes, and the desc, KEY=VALUE lines, padded to 4.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"

#define NOTE_NAME	"VMCOREINFO"
#define NOTE_NAMESZ	(sizeof(NOTE_NAME))	/* with its NUL */

static uint64_t align4(uint64_t x)
{
	return (x + 3) & ~3ull;
}

int md_vmcoreinfo_init(struct md_vmcoreinfo *v, const struct md_header *h,
		       struct md_error *e)
{
	memset(v, 0, sizeof(*v));
	v->pa = h->ext.vmcoreinfo_paddr;
	v->size = h->ext.vmcoreinfo_size;
	if (v->size == 0 || v->size > MD_VMCOREINFO_MAX)
		return md_fail(e, -EBADMSG, "ext-vmcoreinfo",
			       "note size %llu is not in [1, %u]",
			       (unsigned long long)v->size, MD_VMCOREINFO_MAX);
	v->buf = calloc(1, v->size);
	if (!v->buf)
		return md_fail(e, -ENOMEM, "io", "out of memory");
	return 0;
}

void md_vmcoreinfo_page(struct md_vmcoreinfo *v, uint64_t pa,
			const uint8_t *data)
{
	uint64_t from, to;

	if (!v->buf || pa + MD_PAGE_SIZE <= v->pa || pa >= v->pa + v->size)
		return;
	from = pa > v->pa ? pa : v->pa;
	to = pa + MD_PAGE_SIZE < v->pa + v->size ? pa + MD_PAGE_SIZE :
						    v->pa + v->size;
	memcpy(v->buf + (from - v->pa), data + (from - pa), to - from);
	v->got += to - from;
}

int md_vmcoreinfo_from_dump(struct md_vmcoreinfo *v, const struct md_dump *d,
			    struct md_error *e)
{
	uint8_t page[MD_PAGE_SIZE];
	struct md_error ignore;
	uint64_t pa;
	int err;

	err = md_vmcoreinfo_init(v, &d->h, e);
	for (pa = v->pa & ~MD_PAGE_MASK; !err && pa < v->pa + v->size;
	     pa += MD_PAGE_SIZE) {
		/* An absent page leaves a gap: parse reports it. */
		if (md_read_pa(d, pa, NULL, 0, &ignore))
			continue;
		err = md_read_pa(d, pa, page, MD_PAGE_SIZE, e);
		if (!err)
			md_vmcoreinfo_page(v, pa, page);
	}
	return err;
}

int md_vmcoreinfo_parse(struct md_vmcoreinfo *v, struct md_error *e)
{
	const uint8_t *p = v->buf;
	uint64_t namesz, descsz, len;

	if (!p || v->got != v->size)
		return md_fail(e, -EBADMSG, "no-vmcoreinfo",
			       "the VMCOREINFO note [0x%llx, +0x%llx) is not in the dump (%llu of its bytes present)",
			       (unsigned long long)v->pa, (unsigned long long)v->size,
			       (unsigned long long)v->got);
	namesz = v->size >= 12 ? md_le32(p) : 0;
	descsz = v->size >= 12 ? md_le32(p + 4) : 0;
	len = 12 + align4(namesz) + align4(descsz);
	/* the extent first: the name is compared only inside the buffer */
	if (namesz != NOTE_NAMESZ || len > v->size ||
	    memcmp(p + 12, NOTE_NAME, NOTE_NAMESZ))
		return md_fail(e, -EBADMSG, "no-vmcoreinfo",
			       "no ELF note named VMCOREINFO at 0x%llx (namesz %llu, descsz %llu, extent %llu bytes)",
			       (unsigned long long)v->pa, (unsigned long long)namesz,
			       (unsigned long long)descsz, (unsigned long long)v->size);
	v->note_len = (size_t)len;
	v->text = (const char *)p + 12 + align4(namesz);
	v->text_len = (size_t)descsz;
	while (v->text_len && v->text[v->text_len - 1] == '\0')
		v->text_len--;
	if (memchr(v->text, '\0', v->text_len))
		return md_fail(e, -EBADMSG, "no-vmcoreinfo",
			       "the VMCOREINFO note at 0x%llx holds a NUL byte inside its text",
			       (unsigned long long)v->pa);
	return 0;
}

bool md_vmcoreinfo_get(const struct md_vmcoreinfo *v, const char *key,
		       char *out, size_t outsz)
{
	const char *s = v->text, *end = v->text + v->text_len, *nl;
	size_t k = strlen(key), n;

	for (; s && s < end; s = nl + 1) {
		nl = memchr(s, '\n', (size_t)(end - s));
		if (!nl)
			nl = end;
		if ((size_t)(nl - s) > k && !memcmp(s, key, k) && s[k] == '=') {
			n = (size_t)(nl - s) - k - 1;
			if (n >= outsz)
				n = outsz - 1;
			memcpy(out, s + k + 1, n);
			out[n] = '\0';
			return true;
		}
	}
	return false;
}

void md_vmcoreinfo_free(struct md_vmcoreinfo *v)
{
	free(v->buf);
	memset(v, 0, sizeof(*v));
}
