// SPDX-License-Identifier: GPL-2.0
/*
 * Runs one operation with /proc/thread-self/fail-nth armed, for
 * tests/guest/t/64-failslab.t: the Nth fault-injectable call (slab or page
 * allocation, with failslab and fail_page_alloc set up to count every
 * one) that the operation's syscall makes fails.
 *
 *   failnth N [STEP...] OP [ARG...]
 *
 * N is written to fail-nth right before the operation's syscall and read
 * back right after it: 0 then means the fault was injected.  N = 0 arms
 * nothing; a large N counts the calls the syscall made.  Everything else
 * (files, sockets, children, device-mapper devices, the text to write) is
 * prepared before arming, so the Nth call is inside the operation.
 *
 * Steps, in order, none of them armed:
 *
 *   ready        print "ready", wait for a line on stdin (the test labels
 *                the helper meanwhile, so that its children inherit it)
 *   spawn        fork a child that pauses; print "child PID"
 *   group K      fork K children that pause, SIGUSR1 blocked, in a process
 *                group of their own; print "group PGID PID..."
 *   preset ID    write ID to the audit_containerid of the child of the
 *                last `spawn`; print "preset PID" (exits 2 if refused)
 *
 * Operations (the last step):
 *
 *   set PID ID   write ID to /proc/PID/audit_containerid; PID "child" is
 *                the child of `spawn` (the last one)
 *   fork         fork a child that exits at once, and reap it
 *   unshare      unshare(CLONE_NEWNET)
 *   setns PATH   setns() into the network namespace PATH
 *   kill PID     kill(PID, SIGUSR1); PID "group" is the group of `group`;
 *                then print how many of the group's children have it
 *                pending ("delivered D")
 *   usermsg TEXT send an AUDIT_USER message TEXT over audit netlink, with
 *                NLM_F_ACK; print the kernel's answer ("ack OK|ERRNO|none")
 *   seccomp      getppid() under a SECCOMP_RET_LOG filter (installed
 *                before arming): its SECCOMP record, outside a syscall
 *                event
 *   dm NAME DEV SECTORS [gap|none]
 *                DM_TABLE_LOAD of a dm-integrity target (internal hash
 *                crc32c, direct writes) of SECTORS sectors over DEV, into
 *                the device NAME, made before arming (DM_DEV_CREATE) and
 *                removed after (DM_DEV_REMOVE, whose calls are counted:
 *                "removed OK|ERRNO calls C"); with "gap", a second target
 *                after a gap makes the load fail (EINVAL) right after the
 *                first one's constructor; with "none", no table is loaded
 *
 * Output, one line each: the steps' lines, then
 *
 *   result OK|ERRNO fired 0|1 calls C [extra...]
 *
 * where C is how many fault-injectable calls the syscall made (N when the
 * fault fired).  Then the helper waits for EOF on stdin, kills and reaps
 * its children, and exits 0.  Exits 2 on a usage or setup error.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/dm-ioctl.h>
#include <linux/netlink.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "seccomp-getppid.h"

#define MAX_CHILDREN 16
/* An N that no operation here reaches: it counts the calls. */
#define COUNTING 1000000

static pid_t children[MAX_CHILDREN];
static int nchildren;
static pid_t group_pgid;
static int group_first, group_count;

static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, ": %s\n", strerror(errno));
	exit(2);
}

/* Unbuffered, so that children never repeat a line. */
static void say(const char *fmt, ...)
{
	char line[512];
	va_list ap;
	int len;

	va_start(ap, fmt);
	len = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (len < 0 || len >= (int)sizeof(line) || write(1, line, len) != len)
		exit(2);
}

static const char *errname(int err)
{
	const char *name = err ? strerrorname_np(err) : "OK";

	return name ? name : "UNKNOWN";
}

static void park(void)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	for (;;)
		pause();
}

static pid_t fork_child(void)
{
	pid_t pid;

	if (nchildren == MAX_CHILDREN) {
		errno = ENOSPC;
		die("too many children");
	}
	pid = fork();
	if (pid < 0)
		die("fork");
	if (pid > 0)
		children[nchildren++] = pid;
	return pid;
}

static void make_group(int k)
{
	sigset_t usr1, old;
	int i;

	if (k < 1 || nchildren + k > MAX_CHILDREN) {
		errno = EINVAL;
		die("group %d", k);
	}
	/* Blocked before the fork, so that a signal stays pending. */
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	sigprocmask(SIG_BLOCK, &usr1, &old);
	group_first = nchildren;
	for (i = 0; i < k; i++) {
		pid_t pid = fork_child();

		if (pid == 0) {
			setpgid(0, i ? group_pgid : 0);
			park();
		}
		if (i == 0)
			group_pgid = pid;
		/* By the parent too, so the group is whole when we go on. */
		if (setpgid(pid, group_pgid))
			die("setpgid");
	}
	group_count = k;
	sigprocmask(SIG_SETMASK, &old, NULL);
	say("group %d", group_pgid);
	for (i = 0; i < k; i++)
		say(" %d", children[group_first + i]);
	say("\n");
}

/* Whether SIGUSR1 is pending for the whole process of `fd`'s status. */
static int usr1_pending(int fd)
{
	char buf[4096], *p;
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);

	if (n <= 0)
		return 0;
	buf[n] = 0;
	p = strstr(buf, "\nShdPnd:");
	if (!p)
		return 0;
	return (strtoull(p + 8, NULL, 16) >> (SIGUSR1 - 1)) & 1;
}

/* The header of a device-mapper ioctl of `size` bytes for the device `name`. */
static struct dm_ioctl *dm_request(char *buf, size_t size, const char *name)
{
	struct dm_ioctl *io = (struct dm_ioctl *)buf;

	memset(buf, 0, size);
	io->version[0] = DM_VERSION_MAJOR;
	io->version[1] = 0;
	io->version[2] = 0;
	io->data_size = size;
	io->data_start = sizeof(*io);
	snprintf(io->name, sizeof(io->name), "%s", name);
	return io;
}

static int fail_fd = -1;
static char fail_buf[32];

static void arm(unsigned int n)
{
	char text[16];
	int len = snprintf(text, sizeof(text), "%u", n);

	if (n && write(fail_fd, text, len) != len)
		die("writing N to fail-nth");
}

/* Reads fail-nth back and disarms it; returns what was left. */
static unsigned long disarm(unsigned int n)
{
	ssize_t len;

	if (!n)
		return 1;
	len = pread(fail_fd, fail_buf, sizeof(fail_buf) - 1, 0);
	if (len <= 0)
		die("read fail-nth");
	fail_buf[len] = 0;
	if (write(fail_fd, "0", 1) != 1)
		die("writing 0 to fail-nth");
	return strtoul(fail_buf, NULL, 10);
}

/* Removes the device of `io`, counting the calls that takes. */
static void dm_remove(int control, struct dm_ioctl *io, char *extra, size_t size)
{
	unsigned int count = fail_fd < 0 ? 0 : COUNTING;
	unsigned long left;
	int err;

	arm(count);
	err = ioctl(control, DM_DEV_REMOVE, io) ? errno : 0;
	left = disarm(count);
	snprintf(extra, size, " removed %s calls %lu", errname(err),
		 count ? count - left : 0);
}

int main(int argc, char **argv)
{
	char extra[128] = "", text[64], *end;
	unsigned long left;
	unsigned int n;
	int i = 2, err = 0;

	if (argc < 3) {
		fprintf(stderr, "usage: failnth N [STEP...] OP [ARG...]\n");
		return 2;
	}
	n = strtoul(argv[1], &end, 10);
	if (*end) {
		fprintf(stderr, "bad N %s\n", argv[1]);
		return 2;
	}
	fail_fd = open("/proc/thread-self/fail-nth", O_RDWR | O_CLOEXEC);
	if (fail_fd < 0 && n)
		die("/proc/thread-self/fail-nth");
	/* Touched now: no page fault of ours is counted while armed. */
	memset(fail_buf, 0, sizeof(fail_buf));

	for (; i < argc; i++) {
		if (!strcmp(argv[i], "ready")) {
			char line[16];

			say("ready\n");
			if (!fgets(line, sizeof(line), stdin))
				die("stdin");
		} else if (!strcmp(argv[i], "spawn")) {
			pid_t pid = fork_child();

			if (pid == 0)
				park();
			say("child %d\n", pid);
		} else if (!strcmp(argv[i], "group") && i + 1 < argc) {
			make_group(atoi(argv[++i]));
		} else if (!strcmp(argv[i], "preset") && i + 1 < argc && nchildren) {
			pid_t pid = children[nchildren - 1];
			char path[64];
			int fd, len = strlen(argv[++i]);

			snprintf(path, sizeof(path), "/proc/%d/audit_containerid", pid);
			fd = open(path, O_WRONLY | O_CLOEXEC);
			if (fd < 0 || write(fd, argv[i], len) != len)
				die("preset %s", path);
			close(fd);
			say("preset %d\n", pid);
		} else {
			break;
		}
	}
	if (i >= argc) {
		fprintf(stderr, "no operation\n");
		return 2;
	}

	if (!strcmp(argv[i], "set") && i + 2 < argc) {
		const char *who = argv[i + 1];
		char path[64];
		int fd, len;

		if (!strcmp(who, "child") && nchildren)
			snprintf(path, sizeof(path), "/proc/%d/audit_containerid",
				 children[nchildren - 1]);
		else
			snprintf(path, sizeof(path), "/proc/%s/audit_containerid", who);
		fd = open(path, O_WRONLY | O_CLOEXEC);
		if (fd < 0)
			die("%s", path);
		len = snprintf(text, sizeof(text), "%s", argv[i + 2]);
		arm(n);
		if (write(fd, text, len) < 0)
			err = errno;
		left = disarm(n);
	} else if (!strcmp(argv[i], "fork")) {
		long pid;
		int status;

		arm(n);
		/* The bare syscall: no atfork work between it and disarm(). */
		pid = syscall(SYS_clone, SIGCHLD, 0, NULL, NULL, 0);
		if (pid == 0)
			syscall(SYS_exit_group, 0);
		if (pid < 0)
			err = errno;
		left = disarm(n);
		if (pid > 0) {
			if (waitpid(pid, &status, 0) != pid)
				die("waitpid");
			snprintf(extra, sizeof(extra), " exit %d",
				 WIFEXITED(status) ? WEXITSTATUS(status) : -1);
		}
	} else if (!strcmp(argv[i], "unshare")) {
		arm(n);
		if (unshare(CLONE_NEWNET))
			err = errno;
		left = disarm(n);
	} else if (!strcmp(argv[i], "setns") && i + 1 < argc) {
		int fd = open(argv[i + 1], O_RDONLY | O_CLOEXEC);

		if (fd < 0)
			die("%s", argv[i + 1]);
		arm(n);
		if (setns(fd, CLONE_NEWNET))
			err = errno;
		left = disarm(n);
	} else if (!strcmp(argv[i], "kill") && i + 1 < argc) {
		int status_fd[MAX_CHILDREN], k, delivered = 0;
		pid_t target;

		if (!strcmp(argv[i + 1], "group")) {
			if (!group_count) {
				errno = EINVAL;
				die("kill group without a group");
			}
			target = -group_pgid;
		} else {
			target = atoi(argv[i + 1]);
		}
		for (k = 0; k < group_count; k++) {
			snprintf(text, sizeof(text), "/proc/%d/status",
				 children[group_first + k]);
			status_fd[k] = open(text, O_RDONLY | O_CLOEXEC);
			if (status_fd[k] < 0)
				die("%s", text);
		}
		arm(n);
		if (kill(target, SIGUSR1))
			err = errno;
		left = disarm(n);
		for (k = 0; k < group_count; k++)
			delivered += usr1_pending(status_fd[k]);
		snprintf(extra, sizeof(extra), " delivered %d", delivered);
	} else if (!strcmp(argv[i], "usermsg") && i + 1 < argc) {
		struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
		struct {
			struct nlmsghdr hdr;
			char text[256];
		} msg;
		char reply[512];
		int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_AUDIT);
		ssize_t got;
		size_t len = strlen(argv[i + 1]) + 1;

		if (fd < 0)
			die("socket");
		/* Bound now: sendto() would autobind, which allocates. */
		if (bind(fd, (struct sockaddr *)&kernel, sizeof(kernel)))
			die("bind");
		if (len > sizeof(msg.text)) {
			errno = E2BIG;
			die("usermsg");
		}
		memset(&msg, 0, sizeof(msg));
		memset(reply, 0, sizeof(reply));
		msg.hdr.nlmsg_len = NLMSG_LENGTH(len);
		msg.hdr.nlmsg_type = AUDIT_USER;
		msg.hdr.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
		msg.hdr.nlmsg_seq = 1;
		memcpy(msg.text, argv[i + 1], len);
		arm(n);
		if (sendto(fd, &msg, msg.hdr.nlmsg_len, 0,
			   (struct sockaddr *)&kernel, sizeof(kernel)) < 0)
			err = errno;
		left = disarm(n);
		/* The kernel handled it in sendto(): its ack, if any, is here. */
		got = recv(fd, reply, sizeof(reply), MSG_DONTWAIT);
		if (got >= (ssize_t)NLMSG_LENGTH(sizeof(struct nlmsgerr)) &&
		    ((struct nlmsghdr *)reply)->nlmsg_type == NLMSG_ERROR) {
			struct nlmsgerr *e = NLMSG_DATA((struct nlmsghdr *)reply);

			snprintf(extra, sizeof(extra), " ack %s", errname(-e->error));
		} else {
			snprintf(extra, sizeof(extra), " ack none %s",
				 got < 0 ? errname(errno) : "short");
		}
	} else if (!strcmp(argv[i], "seccomp")) {
		if (filter_getppid(SECCOMP_RET_LOG))
			die("seccomp");
		arm(n);
		syscall(SYS_getppid);
		left = disarm(n);
	} else if (!strcmp(argv[i], "dm") && i + 3 < argc) {
		const char *name = argv[i + 1];
		char create[sizeof(struct dm_ioctl)], load[1024];
		char remove[sizeof(struct dm_ioctl)];
		struct dm_ioctl *io;
		struct dm_target_spec *spec;
		char *params;
		int control = open("/dev/mapper/control", O_RDWR | O_CLOEXEC);

		if (control < 0)
			die("/dev/mapper/control");
		io = dm_request(create, sizeof(create), name);
		if (ioctl(control, DM_DEV_CREATE, io))
			die("DM_DEV_CREATE %s", name);
		io = dm_request(load, sizeof(load), name);
		io->target_count = 1;
		spec = (struct dm_target_spec *)(load + sizeof(*io));
		spec->sector_start = 0;
		spec->length = strtoull(argv[i + 3], NULL, 10);
		snprintf(spec->target_type, sizeof(spec->target_type), "integrity");
		params = (char *)(spec + 1);
		snprintf(params, load + sizeof(load) - params,
			 "%s 0 4 D 1 internal_hash:crc32c", argv[i + 2]);
		if (i + 4 < argc && !strcmp(argv[i + 4], "gap")) {
			/*
			 * A second target that leaves a gap: refused once the
			 * first one is constructed, before the table is made.
			 */
			struct dm_target_spec *gap;

			spec->next = sizeof(*spec) + (strlen(params) + 8) / 8 * 8;
			gap = (struct dm_target_spec *)((char *)spec + spec->next);
			gap->sector_start = spec->length + 8;
			gap->length = 8;
			snprintf(gap->target_type, sizeof(gap->target_type), "error");
			io->target_count = 2;
		}
		io = dm_request(remove, sizeof(remove), name);
		if (i + 4 < argc && !strcmp(argv[i + 4], "none")) {
			left = n ? n : 1;
		} else {
			arm(n);
			if (ioctl(control, DM_TABLE_LOAD, load))
				err = errno;
			left = disarm(n);
		}
		dm_remove(control, io, extra, sizeof(extra));
	} else {
		fprintf(stderr, "unknown operation %s\n", argv[i]);
		return 2;
	}

	say("result %s fired %d calls %lu%s\n", errname(err), n && !left,
	    n ? n - left : 0, extra);

	/* Lingers until the test has looked, then takes its children along. */
	while (read(0, text, sizeof(text)) > 0)
		;
	for (i = 0; i < nchildren; i++)
		kill(children[i], SIGKILL);
	while (wait(NULL) > 0)
		;
	return 0;
}
