// SPDX-License-Identifier: GPL-2.0
/*
 * contid-bench: the cost of the operations the subsystem touches, in
 * nanoseconds per operation, for the calling task as it is (with or
 * without a contid; tests/bench/guest.py labels it or not).
 *
 *   contid-bench fork N         fork + _exit + waitpid, N times
 *   contid-bench syscall N      getppid(), N times (syscall entry and exit,
 *                               with whatever audit rules are loaded)
 *   contid-bench set N FIRST    N sets of a new id (FIRST, FIRST + 1, ...),
 *                               each on a new child that waits on a pipe;
 *                               only the write to its audit_containerid is
 *                               timed
 *   contid-bench packet N PORT  N UDP datagrams to 127.0.0.1:PORT
 *   contid-bench seccomp N      getppid(), N times, under a seccomp filter
 *                               that logs it (SECCOMP_RET_LOG): a SECCOMP
 *                               record each, outside any syscall event
 *
 * Prints one number: the fastest of 5 rounds, in ns per operation (the
 * round least disturbed by the rest of the machine).
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../guest/seccomp-getppid.h"

static long n;
static unsigned long long next_id;
static int port;

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static void die(const char *what)
{
	perror(what);
	exit(2);
}

static double round_fork(void)
{
	double start = now_ns();

	for (long i = 0; i < n; i++) {
		pid_t pid = fork();

		if (pid == 0)
			_exit(0);
		if (pid < 0 || waitpid(pid, NULL, 0) != pid)
			die("fork/waitpid");
	}
	return (now_ns() - start) / n;
}

static double round_syscall(void)
{
	double start = now_ns();

	for (long i = 0; i < n; i++)
		syscall(SYS_getppid);
	return (now_ns() - start) / n;
}

static double round_set(void)
{
	double spent = 0;

	for (long i = 0; i < n; i++) {
		char path[64], id[24];
		int gate[2], fd, len;
		double start;
		pid_t pid;

		if (pipe(gate))
			die("pipe");
		pid = fork();
		if (pid < 0)
			die("fork");
		if (pid == 0) {
			close(gate[1]);
			if (read(gate[0], id, 1) < 0)
				_exit(1);
			_exit(0);
		}
		close(gate[0]);
		snprintf(path, sizeof(path), "/proc/%d/audit_containerid", pid);
		len = snprintf(id, sizeof(id), "%llu", next_id++);
		fd = open(path, O_WRONLY);
		if (fd < 0)
			die(path);
		start = now_ns();
		if (write(fd, id, len) != len)
			die("set");
		spent += now_ns() - start;
		close(fd);
		close(gate[1]);
		if (waitpid(pid, NULL, 0) != pid)
			die("waitpid");
	}
	return spent / n;
}

static double round_packet(void)
{
	struct sockaddr_in to = {
		.sin_family = AF_INET,
		.sin_port = htons(port),
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	};
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	double start;

	if (fd < 0)
		die("socket");
	start = now_ns();
	for (long i = 0; i < n; i++)
		if (sendto(fd, "x", 1, 0, (struct sockaddr *)&to, sizeof(to)) != 1)
			die("sendto");
	start = (now_ns() - start) / n;
	close(fd);
	return start;
}

/* Logs every getppid() of this process (SECCOMP_RET_LOG). */
static void log_getppid(void)
{
	if (filter_getppid(SECCOMP_RET_LOG))
		die("seccomp");
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	double (*round)(void) = NULL;
	double rounds[5];
	int i;

	n = argc >= 3 ? atol(argv[2]) : 0;
	if (n > 0 && argc == 3 && !strcmp(argv[1], "fork"))
		round = round_fork;
	else if (n > 0 && argc == 3 && !strcmp(argv[1], "syscall"))
		round = round_syscall;
	else if (n > 0 && argc == 4 && !strcmp(argv[1], "set"))
		round = round_set, next_id = strtoull(argv[3], NULL, 10);
	else if (n > 0 && argc == 4 && !strcmp(argv[1], "packet"))
		round = round_packet, port = atoi(argv[3]);
	else if (n > 0 && argc == 3 && !strcmp(argv[1], "seccomp"))
		round = round_syscall, log_getppid();
	if (!round) {
		fprintf(stderr, "usage: contid-bench fork|syscall|seccomp N |\n"
			"       contid-bench set N FIRST | packet N PORT\n");
		return 2;
	}
	for (i = 0; i < 5; i++)
		rounds[i] = round();
	qsort(rounds, 5, sizeof(rounds[0]), cmp);
	printf("%.0f\n", rounds[0]);
	return 0;
}
