// SPDX-License-Identifier: GPL-2.0
/*
 * A write to a /proc file of a task that is reaped, with its parent, while
 * the write is stalled in copy_from_user() (tests/guest/t/35-stalled-write.t).
 *
 *   uffd-write FILE TEXT
 *
 * FILE is a path under /proc/%d/ (the %d is the target's pid).  The helper
 * (the writer) forks a parent, which forks the target; it opens the
 * target's FILE, then write()s TEXT from a page that userfaultfd keeps
 * missing, on a thread of its own, so that the kernel has looked the target
 * up and waits in copy_from_user().  Then the parent kills and reaps the
 * target and exits, and the helper reaps the parent: both task_structs go
 * but the target's, which the open /proc file holds.  After two RCU grace
 * periods (membarrier), the page is filled in and the write goes on.
 *
 * Prints "target PID", then "result OK" or "result ERRNAME", and exits 0;
 * anything else (a step that failed) exits 1 with a message.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/membarrier.h>
#include <linux/userfaultfd.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static void die(const char *what)
{
	fprintf(stderr, "uffd-write: %s: %s\n", what, strerror(errno));
	exit(1);
}

struct stalled_write {
	int fd;
	char *page;
	size_t len;
	int err;		/* 0, or the errno of the write */
};

static void *write_thread(void *arg)
{
	struct stalled_write *w = arg;
	ssize_t n = write(w->fd, w->page, w->len);

	w->err = n < 0 ? errno : (size_t)n == w->len ? 0 : EIO;
	return NULL;
}

/* The parent of the target: reports it, then on a byte kills and reaps it. */
static void parent(int report, int go)
{
	pid_t target = fork();
	char byte;

	if (target < 0)
		die("fork target");
	if (target == 0) {
		for (;;)
			pause();
	}
	if (write(report, &target, sizeof(target)) != sizeof(target))
		die("report target");
	if (read(go, &byte, 1) != 1)
		die("wait for go");
	kill(target, SIGKILL);
	if (waitpid(target, NULL, 0) != target)
		die("reap target");
	_exit(0);
}

static const char *errname(int err)
{
	static char buf[16];

	switch (err) {
	case 0: return "OK";
	case ESRCH: return "ESRCH";
	case EPERM: return "EPERM";
	case EXDEV: return "EXDEV";
	case EINVAL: return "EINVAL";
	case EBUSY: return "EBUSY";
	case EFAULT: return "EFAULT";
	}
	snprintf(buf, sizeof(buf), "%d", err);
	return buf;
}

int main(int argc, char **argv)
{
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg;
	struct uffdio_copy copy;
	struct stalled_write w;
	struct uffd_msg msg;
	int report[2], go[2];
	long page_size = sysconf(_SC_PAGESIZE);
	char path[256], *fill;
	pid_t p, target;
	pthread_t thread;
	int uffd;

	if (argc != 3) {
		fprintf(stderr, "usage: uffd-write FILE TEXT\n");
		return 2;
	}
	if (pipe(report) || pipe(go))
		die("pipe");
	p = fork();
	if (p < 0)
		die("fork parent");
	if (p == 0)
		parent(report[1], go[0]);
	if (read(report[0], &target, sizeof(target)) != sizeof(target))
		die("read target");
	printf("target %d\n", target);
	fflush(stdout);

	snprintf(path, sizeof(path), argv[1], target);
	w.fd = open(path, O_WRONLY);
	if (w.fd < 0)
		die(path);
	w.len = strlen(argv[2]);

	uffd = syscall(SYS_userfaultfd, O_CLOEXEC);
	if (uffd < 0)
		die("userfaultfd");
	if (ioctl(uffd, UFFDIO_API, &api))
		die("UFFDIO_API");
	w.page = mmap(NULL, page_size, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (w.page == MAP_FAILED)
		die("mmap");
	reg.range.start = (uintptr_t)w.page;
	reg.range.len = page_size;
	reg.mode = UFFDIO_REGISTER_MODE_MISSING;
	if (ioctl(uffd, UFFDIO_REGISTER, &reg))
		die("UFFDIO_REGISTER");
	if (pthread_create(&thread, NULL, write_thread, &w))
		die("pthread_create");

	/* The write has found the target and waits for its bytes. */
	if (read(uffd, &msg, sizeof(msg)) != sizeof(msg) ||
	    msg.event != UFFD_EVENT_PAGEFAULT)
		die("read the fault");

	/* The target is reaped by its parent, the parent by us. */
	if (write(go[1], "x", 1) != 1)
		die("go");
	if (waitpid(p, NULL, 0) != p)
		die("reap parent");
	/* Their task_structs are freed after a grace period (call_rcu). */
	syscall(SYS_membarrier, MEMBARRIER_CMD_GLOBAL, 0, 0);
	syscall(SYS_membarrier, MEMBARRIER_CMD_GLOBAL, 0, 0);

	fill = aligned_alloc(page_size, page_size);
	if (!fill)
		die("aligned_alloc");
	memset(fill, 0, page_size);
	memcpy(fill, argv[2], w.len);
	copy.dst = (uintptr_t)w.page;
	copy.src = (uintptr_t)fill;
	copy.len = page_size;
	copy.mode = 0;
	if (ioctl(uffd, UFFDIO_COPY, &copy))
		die("UFFDIO_COPY");
	pthread_join(thread, NULL);
	printf("result %s\n", errname(w.err));
	return 0;
}
