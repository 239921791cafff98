// SPDX-License-Identifier: GPL-2.0
/*
 * contid-bench: the cost of the operations the subsystem touches, in
 * nanoseconds per operation, for the calling task as it is (with or
 * without a contid; tests/bench/run labels it or not).
 *
 *   contid-bench fork N      fork + _exit + waitpid, N times
 *   contid-bench syscall N   getppid(), N times (syscall entry and exit,
 *                            with whatever audit rules are loaded)
 *
 * Prints one number: the fastest of 5 rounds, in ns per operation (the
 * round least disturbed by the rest of the machine).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <sys/wait.h>

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static double round_fork(long n)
{
	double start = now_ns();

	for (long i = 0; i < n; i++) {
		pid_t pid = fork();

		if (pid == 0)
			_exit(0);
		if (pid < 0 || waitpid(pid, NULL, 0) != pid) {
			perror("fork/waitpid");
			exit(2);
		}
	}
	return (now_ns() - start) / n;
}

static double round_syscall(long n)
{
	double start = now_ns();

	for (long i = 0; i < n; i++)
		syscall(SYS_getppid);
	return (now_ns() - start) / n;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	double rounds[5];
	long n;
	int i;

	n = argc == 3 ? atol(argv[2]) : 0;
	if (n <= 0 || (strcmp(argv[1], "fork") && strcmp(argv[1], "syscall"))) {
		fprintf(stderr, "usage: contid-bench fork|syscall N\n");
		return 2;
	}
	for (i = 0; i < 5; i++)
		rounds[i] = strcmp(argv[1], "fork") ? round_syscall(n) :
						      round_fork(n);
	qsort(rounds, 5, sizeof(rounds[0]), cmp);
	printf("%.0f\n", rounds[0]);
	return 0;
}
