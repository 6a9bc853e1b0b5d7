// SPDX-License-Identifier: GPL-2.0
/*
 * libbsdkvm: the kvm(3) calls that read a named Linux variable (load
 * averages from avenrun, the CPU limit from nr_cpu_ids), kvm_kerndisp(),
 * and those that need FreeBSD's own kernel structures: these fail, with
 * FreeBSD's failure value and a kvm_geterr() text that says why.
 */
#include <errno.h>
#include <string.h>
#include "kvm_private.h"

/* Linux keeps load averages as fixed point with 11 fractional bits. */
#define LINUX_FSHIFT	11
#define LINUX_NLOADAVG	3

/* len bytes of the variable name, or -1 with the error set. */
static int read_var(kvm_t *kd, const char *fn, const char *name, void *buf,
		    size_t len)
{
	char why[_POSIX2_LINE_MAX];
	kvaddr_t addr;

	if (bsdkvm_lookup(kd, name, &addr))
		goto err;
	if (kvm_read2(kd, addr, buf, len) != (ssize_t)len)
		goto err;
	return 0;
err:
	memcpy(why, kd->errbuf, sizeof(why));
	bsdkvm_err(kd, "%s: %s", fn, why);
	return -1;
}

int kvm_getloadavg(kvm_t *kd, double loadavg[], int nelem)
{
	uint64_t avenrun[LINUX_NLOADAVG];
	int i;

	if (nelem < 0) {
		bsdkvm_err(kd, "kvm_getloadavg: negative nelem %d", nelem);
		return -1;
	}
	if (read_var(kd, "kvm_getloadavg", "avenrun", avenrun, sizeof(avenrun)))
		return -1;
	if (nelem > LINUX_NLOADAVG)
		nelem = LINUX_NLOADAVG;
	for (i = 0; i < nelem; i++)
		loadavg[i] = (double)avenrun[i] / (1 << LINUX_FSHIFT);
	return nelem;
}

int kvm_getmaxcpu(kvm_t *kd)
{
	uint32_t n;

	if (read_var(kd, "kvm_getmaxcpu", "nr_cpu_ids", &n, sizeof(n)))
		return -1;
	return (int)n;
}

/*
 * How far the kernel runs from its link address (KASLR): KERNELOFFSET of
 * the dump's VMCOREINFO, or of the running kernel's (read through
 * /dev/bsdmem). 0 on error, with the error set.
 */
kssize_t kvm_kerndisp(kvm_t *kd)
{
	int64_t disp;

	if (kd->ops->kerndisp(kd, &disp))
		return 0;
	return disp;
}

static void unavailable(kvm_t *kd, const char *fn, const char *why)
{
	bsdkvm_err(kd, "%s is not available on Linux: %s", fn, why);
	errno = ENOSYS;
}

struct kinfo_proc *kvm_getprocs(kvm_t *kd, int op, int arg, int *cnt)
{
	(void)op;
	(void)arg;
	if (cnt)
		*cnt = 0;
	unavailable(kd, "kvm_getprocs", "it reads FreeBSD's proc structures; use /proc");
	return NULL;
}

char **kvm_getargv(kvm_t *kd, const struct kinfo_proc *p, int nchr)
{
	(void)p;
	(void)nchr;
	unavailable(kd, "kvm_getargv", "it needs FreeBSD's kinfo_proc; use /proc/PID/cmdline");
	return NULL;
}

char **kvm_getenvv(kvm_t *kd, const struct kinfo_proc *p, int nchr)
{
	(void)p;
	(void)nchr;
	unavailable(kd, "kvm_getenvv", "it needs FreeBSD's kinfo_proc; use /proc/PID/environ");
	return NULL;
}

int kvm_getswapinfo(kvm_t *kd, struct kvm_swap *swap_ary, int swap_max,
		    int flags)
{
	(void)swap_ary;
	(void)swap_max;
	(void)flags;
	unavailable(kd, "kvm_getswapinfo", "it reads FreeBSD's swap structures; use /proc/swaps");
	return -1;
}

int kvm_getcptime(kvm_t *kd, long *cp_time)
{
	(void)cp_time;
	unavailable(kd, "kvm_getcptime", "it reads FreeBSD's per-CPU counters; use /proc/stat");
	return -1;
}

/* FreeBSD's failure value here is (void *)-1; NULL means "no such CPU". */
void *kvm_getpcpu(kvm_t *kd, int cpu)
{
	(void)cpu;
	unavailable(kd, "kvm_getpcpu", "it reads FreeBSD's struct pcpu");
	return (void *)-1;
}

int kvm_dpcpu_setcpu(kvm_t *kd, unsigned int cpu)
{
	(void)cpu;
	unavailable(kd, "kvm_dpcpu_setcpu", "it needs FreeBSD's dynamic per-CPU areas");
	return -1;
}

ssize_t kvm_read_zpcpu(kvm_t *kd, unsigned long base, void *buf, size_t size,
		       int cpu)
{
	(void)base;
	(void)buf;
	(void)size;
	(void)cpu;
	unavailable(kd, "kvm_read_zpcpu", "it needs FreeBSD's UMA per-CPU zones");
	return -1;
}

uint64_t kvm_counter_u64_fetch(kvm_t *kd, unsigned long base)
{
	(void)base;
	unavailable(kd, "kvm_counter_u64_fetch", "it reads FreeBSD's counter(9) layout");
	return 0;
}

int kvm_getncpus(kvm_t *kd)
{
	unavailable(kd, "kvm_getncpus", "it reads FreeBSD's mp_ncpus; kvm_getmaxcpu gives Linux's nr_cpu_ids");
	return -1;
}
