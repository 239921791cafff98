// SPDX-License-Identifier: GPL-2.0
/*
 * Moves tasks between network namespaces for tests/guest/t/45-netns.t.
 * Runs its arguments as steps, in order:
 *
 *   ready            print "ready", wait for a line on stdin (to be labelled)
 *   unshare          unshare(CLONE_NEWNET)
 *   setns PATH       setns() into the network namespace PATH
 *   fork             fork a child that prints "child PID" and pauses
 *   clone-newnet     the same, the child in a new namespace (clone)
 *   spawn N PATH     fork N children that setns() into PATH, print
 *                    "child PID" and pause
 *   churn N SEED PATH...
 *                    N tasks, forked or cloned into a new namespace, that
 *                    move between the PATHs by setns() and unshare(),
 *                    fork children that do the same, and exit; the helper
 *                    itself moves too and comes back; prints "churned"
 *   flip N PATH      move into PATH and back home by setns() N times,
 *                    then print "flipped N"
 *   park             print "parked PID" and pause
 *
 * Output is written unbuffered, so children's lines are not duplicated.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static void die(const char *what)
{
	perror(what);
	exit(1);
}

static void say(const char *fmt, long value)
{
	char line[64];
	int len = snprintf(line, sizeof(line), fmt, value);

	if (write(1, line, len) != len)
		die("write");
}

static void enter(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		die(path);
	if (setns(fd, CLONE_NEWNET))
		die("setns");
	close(fd);
}

static pid_t fork_with(unsigned long flags)
{
	pid_t pid = syscall(SYS_clone, flags | SIGCHLD, 0, NULL, NULL, 0);

	if (pid < 0)
		die("clone");
	return pid;
}

static void park_forever(void)
{
	say("child %ld\n", getpid());
	for (;;)
		pause();
}

static unsigned int next_random(unsigned int *state)
{
	*state = *state * 1103515245 + 12345;
	return *state >> 16;
}

/* One churning task: a few random moves, maybe a child, then exit. */
static void churn_task(unsigned int seed, char **paths, int npaths)
{
	int moves = 1 + next_random(&seed) % 4;

	while (moves--) {
		switch (next_random(&seed) % 4) {
		case 0:
			if (unshare(CLONE_NEWNET))
				die("unshare");
			break;
		case 1:
			if (fork_with(0) == 0) {
				enter(paths[next_random(&seed) % npaths]);
				_exit(0);
			}
			break;
		default:
			enter(paths[next_random(&seed) % npaths]);
			break;
		}
	}
	while (wait(NULL) > 0)
		;
	_exit(0);
}

static void churn(int n, unsigned int seed, char **paths, int npaths)
{
	int home = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	int running = 0, i;

	if (home < 0)
		die("/proc/self/ns/net");
	for (i = 0; i < n; i++) {
		unsigned int r = next_random(&seed);
		pid_t pid = fork_with(r % 3 == 0 ? CLONE_NEWNET : 0);

		if (pid == 0)
			churn_task(r, paths, npaths);
		if (++running == 16) {
			if (wait(NULL) < 0)
				die("wait");
			running--;
		}
		/* The helper moves too, now and then. */
		if (i % 50 == 25)
			enter(paths[r % npaths]);
	}
	while (wait(NULL) > 0)
		;
	if (setns(home, CLONE_NEWNET))
		die("setns home");
	close(home);
	say("churned %ld\n", n);
}

/* In and out of one namespace, as fast as setns() goes. */
static void flip(int n, const char *path)
{
	int home = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	int away = open(path, O_RDONLY | O_CLOEXEC);
	int i;

	if (home < 0 || away < 0)
		die("open a namespace");
	for (i = 0; i < n; i++) {
		if (setns(away, CLONE_NEWNET) || setns(home, CLONE_NEWNET))
			die("setns");
	}
	close(home);
	close(away);
	say("flipped %ld\n", n);
}

int main(int argc, char **argv)
{
	int i = 1;

	while (i < argc) {
		const char *step = argv[i++];

		if (!strcmp(step, "ready")) {
			char line[16];

			say("ready\n", 0);
			if (!fgets(line, sizeof(line), stdin))
				die("stdin");
		} else if (!strcmp(step, "unshare")) {
			if (unshare(CLONE_NEWNET))
				die("unshare");
		} else if (!strcmp(step, "setns") && i < argc) {
			enter(argv[i++]);
		} else if (!strcmp(step, "fork")) {
			if (fork_with(0) == 0)
				park_forever();
		} else if (!strcmp(step, "clone-newnet")) {
			if (fork_with(CLONE_NEWNET) == 0)
				park_forever();
		} else if (!strcmp(step, "spawn") && i + 1 < argc) {
			int n = atoi(argv[i++]);
			const char *path = argv[i++];

			while (n--) {
				if (fork_with(0) == 0) {
					enter(path);
					park_forever();
				}
			}
		} else if (!strcmp(step, "churn") && i + 1 < argc) {
			int n = atoi(argv[i]);
			unsigned int seed = atoi(argv[i + 1]);

			churn(n, seed, argv + i + 2, argc - i - 2);
			i = argc;
		} else if (!strcmp(step, "flip") && i + 1 < argc) {
			int n = atoi(argv[i++]);

			flip(n, argv[i++]);
		} else if (!strcmp(step, "park")) {
			say("parked %ld\n", getpid());
			for (;;)
				pause();
		} else {
			fprintf(stderr, "unknown step %s\n", step);
			return 2;
		}
	}
	return 0;
}
