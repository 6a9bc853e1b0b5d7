// SPDX-License-Identifier: GPL-2.0
/*
 * libbsdkvm: opening and closing a kvm_t, its error text, and the calls
 * that only dispatch to the backend (kvm_read, kvm_write). Which backend a
 * corefile gets is decided here once: NULL, /dev/bsdmem, or the /dev/mem and
 * /dev/kmem FreeBSD tools name, is the running kernel; /dev/null is the
 * running kernel's symbols with no memory (as FreeBSD's ps and netstat use
 * it); anything else a minidump (kvm_dump.c turns ELF vmcores away).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/memrange.h>
#include "kvm_private.h"

/* kvm_open()'s callers never ask kvm_geterr(): their errors go to stderr. */
static void print_err(kvm_t *kd)
{
	if (kd->program)
		fprintf(stderr, "%s: %s\n", kd->program, kd->errbuf);
}

void bsdkvm_err(kvm_t *kd, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(kd->errbuf, sizeof(kd->errbuf), fmt, ap);
	va_end(ap);
	print_err(kd);
}

/* The message, ": ", and the text of the current errno. */
void bsdkvm_syserr(kvm_t *kd, const char *fmt, ...)
{
	const char *why = strerror(errno);
	va_list ap;
	size_t n;

	va_start(ap, fmt);
	vsnprintf(kd->errbuf, sizeof(kd->errbuf), fmt, ap);
	va_end(ap);
	n = strlen(kd->errbuf);
	snprintf(kd->errbuf + n, sizeof(kd->errbuf) - n, ": %s", why);
	print_err(kd);
}

static bool is_live(const char *corefile)
{
	return !corefile || !strcmp(corefile, _PATH_BSDMEM) ||
	       !strcmp(corefile, "/dev/mem") || !strcmp(corefile, "/dev/kmem");
}

static void copy_err(char *errbuf, const char *msg)
{
	if (errbuf)
		snprintf(errbuf, _POSIX2_LINE_MAX, "%s", msg);
}

/*
 * The common part of the three kvm_open*: NULL with the reason in errout
 * (_POSIX2_LINE_MAX bytes) on failure.
 */
static kvm_t *open_common(const char *execfile, const char *corefile,
			  int flags, char *errout,
			  int (*resolver)(const char *, kvaddr_t *))
{
	kvm_t *kd = calloc(1, sizeof(*kd));
	int err;

	if (!kd) {
		copy_err(errout, "kvm_open: out of memory");
		return NULL;
	}
	kd->kmem_fd = -1;
	kd->resolver = resolver;
	kd->flags = flags & O_ACCMODE;
	if ((flags & ~O_ACCMODE) || kd->flags == O_ACCMODE) {
		bsdkvm_err(kd, "kvm_open: bad flags 0x%x: only O_RDONLY, O_WRONLY or O_RDWR",
			   flags);
		goto err_free;
	}
	if (execfile) {
		kd->execfile = strdup(execfile);
		if (!kd->execfile) {
			bsdkvm_err(kd, "kvm_open: out of memory");
			goto err_free;
		}
	}
	if (is_live(corefile))
		err = bsdkvm_live_open(kd, kd->flags);
	else if (!strcmp(corefile, "/dev/null"))
		err = bsdkvm_null_open(kd);
	else
		err = bsdkvm_dump_open(kd, corefile);
	if (err)
		goto err_free;
	return kd;

err_free:
	copy_err(errout, kd->errbuf);
	free(kd->execfile);
	free(kd);
	return NULL;
}

kvm_t *kvm_openfiles(const char *execfile, const char *corefile,
		     const char *swapfile, int flags, char *errbuf)
{
	(void)swapfile;
	return open_common(execfile, corefile, flags, errbuf, NULL);
}

kvm_t *kvm_open(const char *execfile, const char *corefile,
		const char *swapfile, int flags, const char *errstr)
{
	char errbuf[_POSIX2_LINE_MAX];
	kvm_t *kd;

	(void)swapfile;
	kd = open_common(execfile, corefile, flags, errbuf, NULL);
	if (!kd && errstr)
		fprintf(stderr, "%s: %s\n", errstr, errbuf);
	if (kd && errstr && !(kd->program = strdup(errstr))) {
		fprintf(stderr, "%s: kvm_open: out of memory\n", errstr);
		kvm_close(kd);
		kd = NULL;
	}
	return kd;
}

kvm_t *kvm_open2(const char *execfile, const char *corefile, int flags,
		 char *errbuf, int (*resolver)(const char *, kvaddr_t *))
{
	return open_common(execfile, corefile, flags, errbuf, resolver);
}

int kvm_close(kvm_t *kd)
{
	int ret;

	if (!kd) {
		errno = EINVAL;
		return -1;
	}
	ret = kd->ops->close(kd);
	free(kd->execfile);
	free(kd->program);
	free(kd);
	return ret;
}

char *kvm_geterr(kvm_t *kd)
{
	static char none[1];

	return kd ? kd->errbuf : none;
}

/* Our only targets are amd64 kernels read on an amd64 host. */
int kvm_native(kvm_t *kd)
{
	(void)kd;
	return sizeof(void *) == 8 && sizeof(long) == 8;
}

ssize_t kvm_read2(kvm_t *kd, kvaddr_t addr, void *buf, size_t nbytes)
{
	return kd->ops->read(kd, addr, buf, nbytes);
}

ssize_t kvm_read(kvm_t *kd, unsigned long addr, void *buf, size_t nbytes)
{
	return kd->ops->read(kd, addr, buf, nbytes);
}

ssize_t kvm_write(kvm_t *kd, unsigned long addr, const void *buf,
		  size_t nbytes)
{
	if (kd->flags == O_RDONLY) {
		bsdkvm_err(kd, "kvm_write: the kernel was opened O_RDONLY");
		return -1;
	}
	return kd->ops->write(kd, addr, buf, nbytes);
}

int kvm_walk_pages(kvm_t *kd, kvm_walk_pages_cb_t *cb, void *closure)
{
	return kd->ops->walk_pages(kd, cb, closure);
}
