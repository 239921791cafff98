// SPDX-License-Identifier: GPL-2.0
/*
 * Builds a chain of nested containers, one process per level, for
 * tests/guest/t/32-nesting.t:
 *
 *   nest-chain BASE LEVELS
 *
 * The helper (level 0) forks level 1 and labels it BASE+1; level 1, now in
 * container BASE+1, forks level 2 and labels it BASE+2, which nests it in
 * BASE+1 (level 1 does not own BASE+1, and its owner, level 0, is its
 * ancestor); and so on.  For each level it prints "level K PID RESULT"
 * (RESULT: OK or the errno's name), and stops at the first refusal or at
 * LEVELS; then it prints "done" and every level waits to be killed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void die(const char *what)
{
	perror(what);
	exit(1);
}

static void say(const char *text)
{
	size_t len = strlen(text);

	if (write(1, text, len) != (ssize_t)len)
		die("write");
}

static const char *label(pid_t pid, unsigned long long value)
{
	char path[64], text[32];
	int fd, len;

	snprintf(path, sizeof(path), "/proc/%d/audit_containerid", pid);
	len = snprintf(text, sizeof(text), "%llu", value);
	fd = open(path, O_WRONLY);
	if (fd < 0)
		die(path);
	if (write(fd, text, len) == len) {
		close(fd);
		return "OK";
	}
	close(fd);
	switch (errno) {
	case EMLINK: return "EMLINK";
	case EEXIST: return "EEXIST";
	case EXDEV: return "EXDEV";
	case EPERM: return "EPERM";
	case EBUSY: return "EBUSY";
	case ENOTUNIQ: return "ENOTUNIQ";
	case ENOMEM: return "ENOMEM";
	}
	return "other";
}

int main(int argc, char **argv)
{
	unsigned long long base;
	int levels, level;
	char line[96];

	if (argc != 3) {
		fprintf(stderr, "usage: nest-chain BASE LEVELS\n");
		return 2;
	}
	base = strtoull(argv[1], NULL, 10);
	levels = atoi(argv[2]);
	for (level = 1; level <= levels; level++) {
		const char *result;
		int go[2];
		char verdict;
		pid_t pid;

		if (pipe(go))
			die("pipe");
		pid = fork();
		if (pid < 0)
			die("fork");
		if (pid == 0) {
			/* The next level: wait for the label, then go on. */
			close(go[1]);
			if (read(go[0], &verdict, 1) != 1)
				die("read");
			close(go[0]);
			if (verdict == 'y')
				continue;
			for (;;)
				pause();
		}
		close(go[0]);
		result = label(pid, base + level);
		snprintf(line, sizeof(line), "level %d %d %s\n", level, pid, result);
		say(line);
		verdict = strcmp(result, "OK") || level == levels ? 'n' : 'y';
		if (write(go[1], &verdict, 1) != 1)
			die("go");
		close(go[1]);
		if (verdict == 'n')
			say("done\n");
		for (;;)
			pause();
	}
	return 0;
}
