// SPDX-License-Identifier: GPL-2.0
/*
 * bsdmemdemo: what `make run` shows. Reads linux_banner through /dev/bsdkmem
 * (address from /proc/kallsyms), then finds a buffer's physical address with
 * MEM_EXTRACT_PADDR and reads it back through /dev/bsdmem. Exits nonzero if
 * anything fails or the bytes read back do not match.
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

static int kallsyms(const char *name, uint64_t *addr)
{
	char line[512], sym[256];
	unsigned long long a;
	char type;
	FILE *f = fopen("/proc/kallsyms", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%llx %c %255s", &a, &type, sym) == 3 &&
		    !strcmp(sym, name) && !strchr(line, '[')) {
			fclose(f);
			*addr = a;
			return a ? 0 : -1;
		}
	}
	fclose(f);
	return -1;
}

static int show_banner(void)
{
	char text[256];
	uint64_t va;
	ssize_t n;
	int fd;

	if (kallsyms("linux_banner", &va)) {
		fprintf(stderr, "bsdmemdemo: linux_banner not in /proc/kallsyms\n");
		return -1;
	}
	fd = open(_PATH_BSDKMEM, O_RDONLY);
	if (fd < 0) {
		fprintf(stderr, "bsdmemdemo: %s: %s\n", _PATH_BSDKMEM, strerror(errno));
		return -1;
	}
	/* A kernel address is a negative off_t: pread refuses it, lseek doesn't. */
	errno = 0;
	if (lseek(fd, (off_t)va, SEEK_SET) == -1 && errno) {
		fprintf(stderr, "bsdmemdemo: lseek: %s\n", strerror(errno));
		close(fd);
		return -1;
	}
	n = read(fd, text, sizeof(text) - 1);
	close(fd);
	if (n <= 0) {
		fprintf(stderr, "bsdmemdemo: read %s: %s\n", _PATH_BSDKMEM,
			n ? strerror(errno) : "nothing");
		return -1;
	}
	text[n] = '\0';
	text[strcspn(text, "\n")] = '\0';
	printf("linux_banner is at 0x%" PRIx64 "; through %s it reads:\n  %s\n",
	       va, _PATH_BSDKMEM, text);
	return 0;
}

static int show_buffer(void)
{
	const char msg[] = "Hello from bsdmem: these bytes live in physical memory";
	struct mem_extract me;
	char back[sizeof(msg)];
	char *buf;
	int fd, ok;

	buf = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		   -1, 0);
	if (buf == MAP_FAILED || mlock(buf, 4096)) {
		fprintf(stderr, "bsdmemdemo: buffer: %s\n", strerror(errno));
		return -1;
	}
	memcpy(buf, msg, sizeof(msg));
	fd = open(_PATH_BSDMEM, O_RDONLY);
	if (fd < 0) {
		fprintf(stderr, "bsdmemdemo: %s: %s\n", _PATH_BSDMEM, strerror(errno));
		return -1;
	}
	memset(&me, 0, sizeof(me));
	me.me_vaddr = (uintptr_t)buf;
	if (ioctl(fd, MEM_EXTRACT_PADDR, &me) || me.me_state != ME_STATE_MAPPED) {
		fprintf(stderr, "bsdmemdemo: MEM_EXTRACT_PADDR: %s, state %d\n",
			strerror(errno), me.me_state);
		close(fd);
		return -1;
	}
	printf("a buffer at virtual 0x%" PRIx64 " is at physical 0x%" PRIx64
	       " (NUMA domain %d)\n", me.me_vaddr, me.me_paddr, me.me_domain);
	ok = pread(fd, back, sizeof(back), (off_t)me.me_paddr) == sizeof(back) &&
	     !memcmp(back, msg, sizeof(msg));
	close(fd);
	back[sizeof(back) - 1] = '\0';
	printf("%s at that physical address reads:\n  %s\n  -> %s\n",
	       _PATH_BSDMEM, back, ok ? "match" : "MISMATCH");
	munmap(buf, 4096);
	return ok ? 0 : -1;
}

int main(void)
{
	int err = 0;

	if (show_banner())
		err = 1;
	if (show_buffer())
		err = 1;
	return err;
}
