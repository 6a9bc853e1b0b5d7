// SPDX-License-Identifier: GPL-2.0
/*
 * Test-only: TAP output and the child-process runner for the minidump
 * host tests. stdout and stderr of the child go to anonymous temporary
 * files, so a child that fails early can never deadlock the writer.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include "mdtest.h"

void mdt_ok(struct mdt *t, bool ok, const char *fmt, ...)
{
	va_list ap;

	t->n++;
	if (!ok)
		t->failed++;
	printf("%sok %d ", ok ? "" : "not ", t->n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

void mdt_diag(const char *fmt, ...)
{
	char buf[8192], *line, *save = NULL;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save))
		printf("# %s\n", line);
}

static char *slurp(FILE *f, size_t *len)
{
	long n;
	char *s;

	fflush(f);
	n = ftell(f);
	s = calloc(1, (size_t)(n > 0 ? n : 0) + 1);
	rewind(f);
	if (s && n > 0 && fread(s, 1, (size_t)n, f) != (size_t)n)
		n = 0;
	if (len)
		*len = n > 0 ? (size_t)n : 0;
	fclose(f);
	return s;
}

static void child(struct mdt *t, const char *prog, const char *const *args,
		  int in, int wr, FILE *out, FILE *err)
{
	const char *argv[16] = { prog ? prog : t->bin };
	struct rlimit rl;
	int i;

	for (i = 0; args[i] && i < 14; i++)
		argv[i + 1] = args[i];
	close(wr);	/* or stdin never reaches EOF */
	signal(SIGPIPE, SIG_DFL);
	dup2(in, 0);
	dup2(fileno(out), 1);
	dup2(fileno(err), 2);
	if (!prog && t->tmpdir)
		setenv("TMPDIR", t->tmpdir, 1);
	if (!prog && t->as_limit) {
		rl.rlim_cur = rl.rlim_max = t->as_limit;
		setrlimit(RLIMIT_AS, &rl);
	}
	if (!prog && t->fsize_limit) {
		rl.rlim_cur = rl.rlim_max = t->fsize_limit;
		setrlimit(RLIMIT_FSIZE, &rl);
	}
	if (!prog && t->timeout)
		alarm(t->timeout);
	execv(argv[0], (char *const *)argv);
	_exit(127);
}

static void run(struct mdt *t, const char *prog, const char *const *args,
		const uint8_t *data, size_t len, struct mdt_result *r);

void mdt_run(struct mdt *t, const char *const *args, const uint8_t *data,
	     size_t len, struct mdt_result *r)
{
	run(t, NULL, args, data, len, r);
}

void mdt_exec(struct mdt *t, const char *prog, const char *const *args,
	      struct mdt_result *r)
{
	run(t, prog, args, NULL, 0, r);
}

static void run(struct mdt *t, const char *prog, const char *const *args,
		const uint8_t *data, size_t len, struct mdt_result *r)
{
	FILE *out = tmpfile(), *err = tmpfile();
	int p[2], st = 0;
	size_t done = 0;
	ssize_t n;
	pid_t pid;

	if (!out || !err || pipe(p) < 0) {
		perror("mdtest");
		exit(2);
	}
	if (!data) {
		close(p[0]);
		p[0] = open("/dev/null", O_RDONLY);
	}
	pid = fork();
	if (pid == 0)
		child(t, prog, args, p[0], p[1], out, err);
	close(p[0]);
	while (data && done < len) {
		n = write(p[1], data + done, len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;	/* the child stopped reading: fine */
		done += (size_t)n;
	}
	close(p[1]);
	waitpid(pid, &st, 0);
	r->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	r->out = slurp(out, &r->outlen);
	r->err = slurp(err, NULL);
}

void mdt_free(struct mdt_result *r)
{
	free(r->out);
	free(r->err);
}

const char *mdt_file(struct mdt *t, const char *name, const uint8_t *data,
		     size_t len)
{
	FILE *f;

	snprintf(t->path, sizeof(t->path), "%s/%s", t->dir, name);
	f = fopen(t->path, "wb");
	if (!f || fwrite(data, 1, len, f) != len || fclose(f)) {
		perror(t->path);
		exit(2);
	}
	return t->path;
}

bool mdt_rule(const struct mdt_result *r, const char *cmd, const char *rule)
{
	char want[128];
	bool ok;

	snprintf(want, sizeof(want), "minidump: %s: %s: ", cmd, rule);
	ok = r->status == 1 && !strncmp(r->err, want, strlen(want));
	if (!ok)
		mdt_diag("expected exit 1 and \"%s...\", got exit %d: %s", want,
		       r->status, r->err[0] ? r->err : "(no stderr)\n");
	return ok;
}
