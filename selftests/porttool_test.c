// SPDX-License-Identifier: GPL-2.0
/*
 * A program written the way a FreeBSD tool is: FreeBSD's include names,
 * _PATH_BSDMEM, MEM_EXTRACT_PADDR, PRIx64 on the fields, no kselftest
 * harness. It must build with only -I include/uapi -Wall -Wextra -Werror
 * (SPEC §1) and prints TAP itself.
 */
#include <sys/types.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/memrange.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NTESTS	5

static int failed;
static int testno;

static void
result(int ok, const char *what)
{
	testno++;
	printf("%sok %d %s\n", ok ? "" : "not ", testno, what);
	if (!ok)
		failed++;
}

int
main(void)
{
	struct mem_extract me;
	char *buf, copy[256];
	int fd, kfd, ok;

	printf("TAP version 13\n");
	if (geteuid() != 0 || access(_PATH_BSDMEM, F_OK) != 0) {
		printf("1..0 # SKIP needs root and %s\n", _PATH_BSDMEM);
		return 4;
	}
	printf("1..%d\n", NTESTS);

	fd = open(_PATH_BSDMEM, O_RDONLY);
	result(fd >= 0, "open " _PATH_BSDMEM " read-only");
	if (fd < 0) {
		printf("# open: %s\n", strerror(errno));
		return 1;
	}

	buf = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_ANON | MAP_PRIVATE,
	    -1, 0);
	if (buf == MAP_FAILED || mlock(buf, 4096) != 0) {
		printf("# buffer: %s\n", strerror(errno));
		return 1;
	}
	snprintf(buf, 4096, "bsdmem porttool pattern %d", (int)getpid());

	memset(&me, 0, sizeof(me));
	me.me_vaddr = (uintptr_t)buf;
	ok = ioctl(fd, MEM_EXTRACT_PADDR, &me) == 0 &&
	    me.me_state == ME_STATE_MAPPED && me.me_paddr != 0;
	printf("# vaddr 0x%" PRIx64 " paddr 0x%" PRIx64 " domain %d state %d\n",
	    me.me_vaddr, me.me_paddr, me.me_domain, me.me_state);
	result(ok, "MEM_EXTRACT_PADDR finds the buffer");

	ok = ok && pread(fd, copy, sizeof(copy), (off_t)me.me_paddr) ==
	    (ssize_t)sizeof(copy) && memcmp(copy, buf, sizeof(copy)) == 0;
	result(ok, "the physical address reads the buffer");

	memset(&me, 0, sizeof(me));
	me.me_vaddr = 0;
	ok = ioctl(fd, MEM_EXTRACT_PADDR, &me) == 0 &&
	    me.me_state == ME_STATE_INVALID;
	result(ok, "address 0 is ME_STATE_INVALID");

	kfd = open(_PATH_BSDKMEM, O_RDONLY);
	memset(&me, 0, sizeof(me));
	me.me_vaddr = (uintptr_t)buf;
	ok = kfd >= 0 && ioctl(kfd, MEM_EXTRACT_PADDR, &me) == 0 &&
	    me.me_state == ME_STATE_MAPPED;
	result(ok, "the ioctl also works on " _PATH_BSDKMEM);
	if (kfd >= 0)
		close(kfd);

	munmap(buf, 4096);
	close(fd);
	printf("# %d of %d failed\n", failed, NTESTS);
	return failed ? 1 : 0;
}
