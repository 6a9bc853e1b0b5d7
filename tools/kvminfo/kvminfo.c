// SPDX-License-Identifier: GPL-2.0
/*
 * kvminfo: a kvm(3) program written the way FreeBSD's are (vmstat -M/-N):
 * -M core (default: the running kernel) and -N system (the symbol file),
 * kvm_openfiles(), one kvm_nlist() of the variables it needs, kvm_read()s.
 * Prints the kernel's release, host name and banner, the load averages and
 * CPU limit, and the kernel's KASLR displacement, one "key: value" a line.
 * libbsdkvm's example: `make run` shows it live and on the dump it took,
 * and make check reads guests' dumps with it on the host.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kvm.h"
#include "bsdmem_version.h"

#define UTS_LEN		65	/* struct new_utsname's fields */

enum { X_BANNER, X_UTS, X_N };

static void usage(void)
{
	fprintf(stderr, "usage: kvminfo [-M core] [-N system]\n"
		"       kvminfo --version\n");
	exit(2);
}

/* Up to len - 1 bytes of a NUL-ended kernel string at va. */
static int read_string(kvm_t *kd, unsigned long va, char *buf, size_t len)
{
	size_t i;

	if (kvm_read(kd, va, buf, len - 1) != (ssize_t)(len - 1))
		return -1;
	buf[len - 1] = '\0';
	for (i = 0; buf[i]; i++)
		if (buf[i] == '\n' && !buf[i + 1])
			buf[i] = '\0';
	return 0;
}

int main(int argc, char **argv)
{
	struct nlist nl[] = {
		[X_BANNER] = { .n_name = "_linux_banner" },
		[X_UTS] = { .n_name = "_init_uts_ns" },
		[X_N] = { .n_name = NULL },
	};
	char errbuf[_POSIX2_LINE_MAX], banner[512], uts[3 * UTS_LEN];
	const char *core = NULL, *system = NULL;
	double la[3];
	int c, ret = 0;
	kvm_t *kd;

	if (argc == 2 && !strcmp(argv[1], "--version")) {
		printf("kvminfo (bsdmem) %s\n", BSDMEM_VERSION);
		return 0;
	}
	while ((c = getopt(argc, argv, "M:N:")) != -1) {
		switch (c) {
		case 'M':
			core = optarg;
			break;
		case 'N':
			system = optarg;
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();

	kd = kvm_openfiles(system, core, NULL, O_RDONLY, errbuf);
	if (!kd) {
		fprintf(stderr, "kvminfo: %s\n", errbuf);
		return 1;
	}
	if (kvm_nlist(kd, nl) != 0) {
		fprintf(stderr, "kvminfo: kvm_nlist: %s\n",
			kvm_geterr(kd)[0] ? kvm_geterr(kd) :
			"linux_banner or init_uts_ns not found");
		kvm_close(kd);
		return 1;
	}
	if (kvm_read(kd, nl[X_UTS].n_value, uts, sizeof(uts)) != sizeof(uts) ||
	    read_string(kd, nl[X_BANNER].n_value, banner, sizeof(banner))) {
		fprintf(stderr, "kvminfo: kvm_read: %s\n", kvm_geterr(kd));
		kvm_close(kd);
		return 1;
	}
	uts[UTS_LEN - 1] = uts[2 * UTS_LEN - 1] = uts[3 * UTS_LEN - 1] = '\0';
	printf("release: %s\n", uts + 2 * UTS_LEN);
	printf("hostname: %s\n", uts + UTS_LEN);
	printf("banner: %s\n", banner);
	if (kvm_getloadavg(kd, la, 3) == 3) {
		printf("loadavg: %.2f %.2f %.2f\n", la[0], la[1], la[2]);
	} else {
		fprintf(stderr, "kvminfo: kvm_getloadavg: %s\n", kvm_geterr(kd));
		ret = 1;
	}
	c = kvm_getmaxcpu(kd);
	if (c > 0) {
		printf("maxcpu: %d\n", c);
	} else {
		fprintf(stderr, "kvminfo: kvm_getmaxcpu: %s\n", kvm_geterr(kd));
		ret = 1;
	}
	printf("kerndisp: %#llx\n", (unsigned long long)kvm_kerndisp(kd));
	if (kvm_close(kd))
		ret = 1;
	return ret;
}
