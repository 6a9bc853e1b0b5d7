// SPDX-License-Identifier: GPL-2.0
/*
 * bsdlivedump's progress bar: while the ioctl runs, a thread reads the
 * module's "pages_done pages_total" from sysfs every PROGRESS_MS and redraws
 * one line on stderr, only when stderr is a terminal; a pipe tells it to
 * stop and clear the line.
 */
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <unistd.h>

#include "bsdlivedump.h"

#define PROGRESS_FILE	"/sys/class/misc/bsdmem/livedump_progress"
#define PROGRESS_MS	200
#define BAR_WIDTH	30

/* Reads "pages_done pages_total"; false if the file is not there. */
static bool read_progress(uint64_t *done, uint64_t *total)
{
	char buf[64];
	ssize_t n;
	int fd = open(PROGRESS_FILE, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	return sscanf(buf, "%" SCNu64 " %" SCNu64, done, total) == 2;
}

static void draw_bar(uint64_t done, uint64_t total)
{
	char line[128];
	unsigned int pct, fill, i, len;

	if (done > total)
		done = total;
	pct = (unsigned int)(done * 100 / total);
	fill = (unsigned int)(done * BAR_WIDTH / total);
	len = (unsigned int)snprintf(line, sizeof(line), "\r[");
	for (i = 0; i < BAR_WIDTH; i++)
		line[len++] = i < fill ? '#' : '.';
	len += (unsigned int)snprintf(line + len, sizeof(line) - len,
				      "] %3u%% %" PRIu64 "/%" PRIu64 " pages",
				      pct, done, total);
	if (write(STDERR_FILENO, line, len) < 0)
		return;
}

/* The thread: redraws every PROGRESS_MS until told to stop, then clears. */
static void *progress_run(void *arg)
{
	struct progress *p = arg;
	struct pollfd pfd = { .fd = p->stop[0], .events = POLLIN };
	uint64_t done, total;
	bool drawn = false;

	for (;;) {
		if (read_progress(&done, &total) && total) {
			draw_bar(done, total);
			drawn = true;
		}
		if (poll(&pfd, 1, PROGRESS_MS) != 0)
			break;
	}
	if (drawn && write(STDERR_FILENO, "\r\033[K", 4) < 0)
		return NULL;
	return NULL;
}

/*
 * The thread blocks SIGINT and SIGTERM so that they reach the thread
 * sitting in the ioctl.
 */
void progress_start(struct progress *p)
{
	sigset_t block, old;

	p->running = false;
	if (!isatty(STDERR_FILENO) || pipe2(p->stop, O_CLOEXEC))
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
