// SPDX-License-Identifier: GPL-2.0
/*
 * The actor of tests/guest/t/55-standalone.t: prints "ready PID", waits
 * for a line on stdin (so that the test can label it first), then causes
 * one record that audit logs outside a syscall event, or in one:
 *
 *   segv                 a segmentation fault (ANOM_ABEND sig=11)
 *   seccomp-log          getppid() under a SECCOMP_RET_LOG filter (SECCOMP)
 *   seccomp-kill         getppid() under SECCOMP_RET_KILL_PROCESS (SECCOMP)
 *   bpf                  loads a socket filter program and closes it (BPF
 *                        op=LOAD, op=UNLOAD); prints "prog-id N"
 *   open PATH            opens PATH for reading (an AppArmor denial when
 *                        confined); prints "open ERRNO-NAME"
 *   confine PROFILE ACT  enters AppArmor profile PROFILE at the exec of
 *                        this program again, which then does ACT
 *   exec PROG ARGS...    runs PROG (modprobe, say)
 *
 * With "nest VALUE" first, it forks, labels its child VALUE (a nested
 * container: it is itself labelled by then), prints "nested PID RESULT"
 * and lets the child do the rest; it exits with the child's status.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "seccomp-getppid.h"

static void die(const char *what)
{
	perror(what);
	exit(2);
}

/* The child of "nest": its pid, labelled by its parent. */
static int nest(const char *value)
{
	char path[64], go;
	int pipefd[2], fd, status;
	const char *result = "OK";
	pid_t pid;

	if (pipe(pipefd))
		die("pipe");
	pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		close(pipefd[1]);
		if (read(pipefd[0], &go, 1) != 1)
			_exit(2);
		return 0;
	}
	snprintf(path, sizeof(path), "/proc/%d/audit_containerid", pid);
	fd = open(path, O_WRONLY);
	if (fd < 0 || write(fd, value, strlen(value)) < 0)
		result = strerrorname_np(errno);
	if (fd >= 0)
		close(fd);
	printf("nested %d %s\n", pid, result);
	fflush(stdout);
	if (write(pipefd[1], "x", 1) != 1)
		die("write");
	if (waitpid(pid, &status, 0) < 0)
		die("waitpid");
	if (WIFSIGNALED(status))
		exit(128 + WTERMSIG(status));
	exit(WEXITSTATUS(status));
}

static int load_and_unload_bpf(void)
{
	struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = 0, .imm = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	struct bpf_prog_info info = { 0 };
	union bpf_attr attr;
	int fd;

	memset(&attr, 0, sizeof(attr));
	attr.prog_type = BPF_PROG_TYPE_SOCKET_FILTER;
	attr.insns = (unsigned long)insns;
	attr.insn_cnt = 2;
	attr.license = (unsigned long)"GPL";
	fd = syscall(SYS_bpf, BPF_PROG_LOAD, &attr, sizeof(attr));
	if (fd < 0)
		die("BPF_PROG_LOAD");
	memset(&attr, 0, sizeof(attr));
	attr.info.bpf_fd = fd;
	attr.info.info_len = sizeof(info);
	attr.info.info = (unsigned long)&info;
	if (syscall(SYS_bpf, BPF_OBJ_GET_INFO_BY_FD, &attr, sizeof(attr)))
		die("BPF_OBJ_GET_INFO_BY_FD");
	printf("prog-id %u\n", info.id);
	fflush(stdout);
	close(fd);
	return 0;
}

static int act(char **argv)
{
	const struct rlimit no_core = { 0, 0 };
	char line[256];
	int fd;

	if (!strcmp(argv[0], "segv")) {
		/* The record is logged whatever the core limit; no file. */
		setrlimit(RLIMIT_CORE, &no_core);
		*(volatile int *)0 = 0;
		return 2;
	}
	if (!strcmp(argv[0], "seccomp-log")) {
		if (filter_getppid(SECCOMP_RET_LOG))
			die("seccomp");
		syscall(SYS_getppid);
		return 0;
	}
	if (!strcmp(argv[0], "seccomp-kill")) {
		setrlimit(RLIMIT_CORE, &no_core);
		if (filter_getppid(SECCOMP_RET_KILL_PROCESS))
			die("seccomp");
		syscall(SYS_getppid);
		return 2;
	}
	if (!strcmp(argv[0], "bpf"))
		return load_and_unload_bpf();
	if (!strcmp(argv[0], "open") && argv[1]) {
		fd = open(argv[1], O_RDONLY);
		printf("open %s\n", fd < 0 ? strerrorname_np(errno) : "OK");
		return 0;
	}
	if (!strcmp(argv[0], "confine") && argv[1] && argv[2]) {
		snprintf(line, sizeof(line), "exec %s", argv[1]);
		fd = open("/proc/self/attr/apparmor/exec", O_WRONLY);
		if (fd < 0 || write(fd, line, strlen(line)) < 0)
			die("/proc/self/attr/apparmor/exec");
		close(fd);
		/* argv: "confine" PROFILE ACT... -> exe "--now" ACT... */
		argv[0] = "/proc/self/exe";
		argv[1] = "--now";
		execv("/proc/self/exe", argv);
		die("execv");
	}
	if (!strcmp(argv[0], "exec") && argv[1]) {
		execvp(argv[1], argv + 1);
		die("execvp");
	}
	fprintf(stderr, "standalone: unknown action %s\n", argv[0]);
	return 2;
}

int main(int argc, char **argv)
{
	char line[16];

	if (argc < 2) {
		fprintf(stderr, "usage: standalone [nest VALUE] ACTION [ARGS]\n");
		return 2;
	}
	/* Re-executed by "confine": act at once, as the confined program. */
	if (!strcmp(argv[1], "--now"))
		return act(argv + 2);
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("ready %d\n", getpid());
	if (!fgets(line, sizeof(line), stdin))
		return 2;
	argv++;
	if (!strcmp(argv[0], "nest") && argv[1]) {
		nest(argv[1]);
		argv += 2;
	}
	return act(argv);
}
