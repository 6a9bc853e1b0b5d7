// SPDX-License-Identifier: GPL-2.0
/*
 * bsdlivedump's progress: on a terminal, while the ioctl runs, a thread
 * reads the module's "pages_done pages_total bytes_out" from sysfs and
 * redraws one line on stderr (percent, bar, pages, bytes read and written,
 * MB/s, ETA); after the ioctl the final state is drawn, so a finished dump
 * ends at 100%. Without a terminal nothing is read while the dump runs.
 * The summary line's sizes come from the caller: what the dump file or
 * the relay says, not the module's counters.
 */
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>

#include "bsdlivedump.h"

#define PROGRESS_FILE	"/sys/class/misc/bsdmem/livedump_progress"
#define PROGRESS_MS	200	/* redraws */
#define SEARCH_MS	100	/* reads until the dump is first seen */
#define BAR_WIDTH	20
#define MB		1e6

double progress_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * Reads the three counters (a module without bytes_out gives 0 there);
 * false if the file is not there.
 */
static bool read_progress(uint64_t *done, uint64_t *total, uint64_t *out)
{
	char buf[96];
	ssize_t n;
	int fd = open(PROGRESS_FILE, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	*out = 0;
	return sscanf(buf, "%" SCNu64 " %" SCNu64 " %" SCNu64,
		      done, total, out) >= 2;
}

/* "m:ss" (or "h:mm:ss") of @secs, "-:--" when not known yet. */
static void format_eta(char *buf, size_t size, double secs)
{
	unsigned long s;

	if (secs < 0 || secs > 359999) {
		snprintf(buf, size, "-:--");
		return;
	}
	s = (unsigned long)(secs + 0.5);
	if (s >= 3600)
		snprintf(buf, size, "%lu:%02lu:%02lu", s / 3600, s / 60 % 60,
			 s % 60);
	else
		snprintf(buf, size, "%lu:%02lu", s / 60, s % 60);
}

/* Columns of the terminal on stderr; 0 if it does not say. */
static unsigned int term_columns(void)
{
	struct winsize ws;

	if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) || !ws.ws_col)
		return 0;
	return ws.ws_col;
}

/*
 * One line: " 45% [#########...........] 11842/26315 pages
 * 48.5 MB -> 8.1 MB 29.1 MB/s ETA 0:03". Bytes read are the data pages
 * copied out of memory; bytes written what the file took (bytes_out).
 * The bar goes when the terminal is too narrow, then the line is cut.
 */
static void draw(uint64_t done, uint64_t total, uint64_t out, double secs,
		 bool final)
{
	char line[256], bar[BAR_WIDTH + 4], eta[24];
	double rate = secs > 0 ? done * (double)MD_PAGE_SIZE / secs : 0;
	unsigned int pct, fill, i, cols = term_columns();
	int len;

	if (done > total)
		done = total;
	pct = (unsigned int)(done * 100 / total);
	fill = (unsigned int)(done * BAR_WIDTH / total);
	bar[0] = '[';
	for (i = 0; i < BAR_WIDTH; i++)
		bar[i + 1] = i < fill ? '#' : '.';
	snprintf(bar + BAR_WIDTH + 1, sizeof(bar) - BAR_WIDTH - 1, "] ");
	format_eta(eta, sizeof(eta),
		   final ? 0 : done && rate > 0 ?
		   (total - done) * (double)MD_PAGE_SIZE / rate : -1);
	for (i = 0; i < 2; i++) {
		len = snprintf(line, sizeof(line),
			       "\r%3u%% %s%" PRIu64 "/%" PRIu64
			       " pages %.1f MB -> %.1f MB %.1f MB/s ETA %s",
			       pct, i ? "" : bar, done, total,
			       done * (double)MD_PAGE_SIZE / MB, out / MB,
			       rate / MB, eta);
		if (len < 0)
			return;
		if ((size_t)len > sizeof(line) - 4)
			len = sizeof(line) - 4;
		/* the "\r" takes no column; the last column stays free */
		if (!cols || (unsigned int)len <= cols)
			break;
	}
	if (cols && (unsigned int)len > cols)
		len = cols;
	memcpy(line + len, "\033[K", 4);
	if (write(STDERR_FILENO, line, len + 3) < 0)
		return;
}

/*
 * The thread: reads every SEARCH_MS until the dump shows its total, then
 * every PROGRESS_MS, drawing, until told to stop.
 */
static void *progress_run(void *arg)
{
	struct progress *p = arg;
	struct pollfd pfd = { .fd = p->stop[0], .events = POLLIN };
	uint64_t done, total, out;

	for (;;) {
		if (read_progress(&done, &total, &out) && total) {
			p->done = done;
			p->total = total;
			p->out = out;
			draw(done, total, out, progress_now() - p->start, false);
			p->drawn = true;
		}
		if (poll(&pfd, 1, p->total ? PROGRESS_MS : SEARCH_MS) != 0)
			break;
	}
	return NULL;
}

/*
 * The thread blocks SIGINT and SIGTERM so that they reach the thread
 * sitting in the ioctl.
 */
void progress_start(struct progress *p)
{
	sigset_t block, old;

	memset(p, 0, sizeof(*p));
	p->tty = isatty(STDERR_FILENO);
	p->start = progress_now();
	if (!p->tty || pipe2(p->stop, O_CLOEXEC))
		return;
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &block, &old);
	p->running = !pthread_create(&p->thread, NULL, progress_run, p);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (!p->running) {
		close(p->stop[0]);
		close(p->stop[1]);
	}
}

void progress_stop(struct progress *p)
{
	if (!p->running)
		return;
	if (write(p->stop[1], "", 1) < 0)
		pthread_cancel(p->thread);
	pthread_join(p->thread, NULL);
	close(p->stop[0]);
	close(p->stop[1]);
	p->running = false;
}

uint64_t progress_read_total(void)
{
	uint64_t done, total, out;

	return read_progress(&done, &total, &out) ? total : 0;
}

void progress_end(struct progress *p, bool ok, uint64_t pages, uint64_t out)
{
	uint64_t total = pages ? pages : p->total;

	if (!p->tty)
		return;
	if (ok && total) {
		p->out = out;
		draw(total, total, out, progress_now() - p->start, true);
		if (write(STDERR_FILENO, "\n", 1) < 0)
			return;
	} else if (p->drawn && write(STDERR_FILENO, "\r\033[K", 4) < 0) {
		return;
	}
}

void progress_summary(const char *name, uint64_t pages, uint64_t out,
		      int compression, double secs)
{
	const char *how = compression ? md_format_name(compression) :
					"uncompressed";
	double mem = pages * (double)MD_PAGE_SIZE;

	if (pages)
		fprintf(stderr,
			"%s: %.1f MB of memory -> %.1f MB (%s) in %.1f s, %.0f MB/s\n",
			name, mem / MB, out / MB, how, secs,
			secs > 0 ? mem / MB / secs : 0);
	else	/* the page count could not be had */
		fprintf(stderr, "%s: %.1f MB (%s) in %.1f s\n", name, out / MB,
			how, secs);
}
