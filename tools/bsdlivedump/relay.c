// SPDX-License-Identifier: GPL-2.0
/*
 * bsdlivedump's relay for a pipe or a socket on standard output: the
 * kernel writes the dump into a pipe of ours and a thread splices it on,
 * counting the bytes. So the summary's output size is what this process
 * passed on, not the module's bytes_out, which a dump started by another
 * process after ours may already have changed. The first bytes also show
 * that our dump runs: the module's page total is read then, once.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bsdlivedump.h"

#define RELAY_CHUNK	(1u << 20)

static void *relay_run(void *arg)
{
	struct relay *r = arg;
	ssize_t n;

	for (;;) {
		n = splice(r->pipe[0], NULL, r->out, NULL, RELAY_CHUNK,
			   SPLICE_F_MOVE);
		if (n > 0) {
			if (!r->bytes)
				r->total = progress_read_total();
			r->bytes += (uint64_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			r->err = errno;
		break;
	}
	/* A reader gone: the kernel's next write into our pipe gets EPIPE. */
	close(r->pipe[0]);
	return NULL;
}

/*
 * The thread blocks SIGINT and SIGTERM: they are for the thread in the
 * ioctl, which they stop.
 */
int relay_start(struct relay *r, int out)
{
	sigset_t block, old;
	int err;

	memset(r, 0, sizeof(*r));
	r->out = out;
	if (pipe2(r->pipe, O_CLOEXEC))
		return -1;
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &block, &old);
	err = pthread_create(&r->thread, NULL, relay_run, r);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err) {
		close(r->pipe[0]);
		close(r->pipe[1]);
		errno = err;
		return -1;
	}
	return r->pipe[1];
}

/*
 * Joined in 200 ms steps, so that a SIGINT or SIGTERM (*stop set) while a
 * stalled reader holds the last bytes cancels the thread: EINTR then.
 */
int relay_finish(struct relay *r, bool abort, const volatile sig_atomic_t *stop)
{
	struct timespec ts;
	void *ret = NULL;
	bool stopped = false;
	int err;

	close(r->pipe[1]);
	/* splice is a cancellation point: a stuck reader cannot hold us */
	if (abort)
		pthread_cancel(r->thread);
	for (;;) {
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 200 * 1000 * 1000L;
		if (ts.tv_nsec >= 1000 * 1000 * 1000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000 * 1000 * 1000L;
		}
		err = pthread_timedjoin_np(r->thread, &ret, &ts);
		if (err != ETIMEDOUT)
			break;
		if (*stop && !abort && !stopped) {
			pthread_cancel(r->thread);
			stopped = true;
		}
	}
	/* a cancelled thread did not close its end */
	if (ret == PTHREAD_CANCELED)
		close(r->pipe[0]);
	return stopped ? EINTR : r->err;
}
