// SPDX-License-Identifier: GPL-2.0
/*
 * One worker of the mixed-load stress test (tests/guest/t/62-stress-mix.t):
 *
 *   stress-worker SEED OPS IDBASE NETNS_PATH PORT
 *
 * performs OPS random operations (a seeded PRNG picks them) on a pool of
 * up to POOL children it forked itself.  Each child is in a process group
 * of its own and runs a command loop: it reads one byte per command from
 * a pipe, does it and acks with one byte (0, or the errno).  The
 * operations:
 *
 *   set          label an idle unlabelled child with a new id (IDBASE + n)
 *   set-fork     the same while the child forks a grandchild (EBUSY or OK)
 *   set-exit     the same while a fresh child exits (ESRCH or OK)
 *   set-kill     the same while a fresh child is killed (ESRCH or OK)
 *   set-netns    the same while the child unshares or setns()es
 *   inject       the worker, as owner, writes the id of a live container
 *                onto an unlabelled child (it joins the container)
 *   inject-fork  the same while the child forks (EBUSY or OK)
 *   reset        write a new id onto a labelled child (always EEXIST)
 *   fork         a child forks a grandchild that exits at once, and reaps it
 *   exit         a child exits; the worker reaps it
 *   unshare      a child unshare(CLONE_NEWNET)s (and brings lo up there)
 *   setns        a child setns()es into NETNS_PATH, or back to its own
 *   kill         kill(-pgid, SIGKILL) a child's group, and reap
 *   fork-kill    a child forks while its group is killed
 *   capcontid    write "1", then "0" to /proc/CHILD/audit_capcontainerid
 *   packet       a child sends a UDP packet to 127.0.0.1:PORT
 *
 * Every id written is new except for injections, which only use the id of
 * a container that has a live child in the pool: so each id that a write
 * created is one container, with one op=drop record, and every successful
 * write is one op=set res=1 record.  At the end the worker kills and reaps
 * everything and prints one line of "name value" pairs: for each
 * operation OP, OP_ok and OP_failed, and OP_err_NAME for each errno NAME
 * that failed it (OP_err_open_NAME when the open failed); then
 * writes_ok (successful contid writes), ids_created, packets_audited
 * (sent from a namespace with the AUDIT rule: the initial one or
 * NETNS_PATH), ids_used (ids IDBASE .. IDBASE + ids_used - 1 were
 * written), ops, and unexpected (children that died on their own, and
 * other things that should not happen).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define POOL 8

enum where { HOME, TARGET, PRIVATE };

struct kid {
	pid_t pid;		/* 0: free slot */
	int cmd, ack;		/* the worker's ends of the two pipes */
	uint64_t id;		/* 0: unlabelled */
	enum where where;
};

enum op {
	OP_SET, OP_SET_FORK, OP_SET_EXIT, OP_SET_KILL, OP_SET_NETNS,
	OP_INJECT, OP_INJECT_FORK, OP_RESET,
	OP_FORK, OP_EXIT, OP_UNSHARE, OP_SETNS, OP_KILL, OP_FORK_KILL,
	OP_CAPCONTID, OP_PACKET, N_OPS
};

static const struct {
	const char *name;
	unsigned int weight;
} ops[N_OPS] = {
	[OP_SET] = { "set", 12 },
	[OP_SET_FORK] = { "set_fork", 5 },
	[OP_SET_EXIT] = { "set_exit", 3 },
	[OP_SET_KILL] = { "set_kill", 3 },
	[OP_SET_NETNS] = { "set_netns", 4 },
	[OP_INJECT] = { "inject", 8 },
	[OP_INJECT_FORK] = { "inject_fork", 3 },
	[OP_RESET] = { "reset", 3 },
	[OP_FORK] = { "fork", 10 },
	[OP_EXIT] = { "exit", 5 },
	[OP_UNSHARE] = { "unshare", 4 },
	[OP_SETNS] = { "setns", 8 },
	[OP_KILL] = { "kill", 5 },
	[OP_FORK_KILL] = { "fork_kill", 2 },
	[OP_CAPCONTID] = { "capcontid", 5 },
	[OP_PACKET] = { "packet", 10 },
};

/* errno histograms; index errno + 256 for a failed open */
static unsigned long op_ok[N_OPS], op_failed[N_OPS], op_err[N_OPS][512];
static unsigned long writes_ok, ids_created, packets_audited, unexpected;

static struct kid pool[POOL];
static uint64_t idbase, ids_used;
static int target_ns_fd, port;
static uint64_t rng;

static void die(const char *what)
{
	perror(what);
	exit(2);
}

static uint64_t next_random(void)
{
	/* xorshift64* */
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 2685821657736338717ULL;
}

static unsigned int below(unsigned int n)
{
	return (unsigned int)(next_random() >> 33) % n;
}

/*
 * A short random busy wait, to spread a write over a child's action: most
 * often tens of microseconds (under TCG), else up to a few milliseconds,
 * about as long as a fork and its reaping take there.
 */
static void jitter(void)
{
	unsigned int spin = below(4) ? below(20000) : below(1000000);

	for (; spin; spin--)
		__asm__ __volatile__("" ::: "memory");
}

static const char *errno_name(int e)
{
	static char buf[16];
	const char *name = strerrorname_np(e);

	if (name)
		return name;
	snprintf(buf, sizeof(buf), "E%d", e);
	return buf;
}

/*
 * err: 0, an errno, 256 + errno for a failed open, or -1 if the child
 * died instead of acking (printed as OP_err_died).
 */
static void count(enum op op, int err)
{
	if (err < 0) {
		unexpected++;
		err = 0;
		op_failed[op]++;
		op_err[op][0]++;
		return;
	}
	if (!err) {
		op_ok[op]++;
		return;
	}
	op_failed[op]++;
	op_err[op][err & 511]++;
}

/* --- the children ------------------------------------------------------ */

static void lo_up(void)
{
	struct ifreq ifr;
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (s < 0)
		return;
	memset(&ifr, 0, sizeof(ifr));
	memcpy(ifr.ifr_name, "lo", 3);
	if (!ioctl(s, SIOCGIFFLAGS, &ifr)) {
		ifr.ifr_flags |= IFF_UP;
		ioctl(s, SIOCSIFFLAGS, &ifr);
	}
	close(s);
}

static int send_packet(void)
{
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(port) };
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), err = 0;

	if (s < 0)
		return errno;
	to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (sendto(s, "contid", 6, 0, (struct sockaddr *)&to, sizeof(to)) != 6)
		err = errno;
	close(s);
	return err;
}

static int fork_grandchild(void)
{
	pid_t pid = fork();

	if (pid < 0)
		return errno;
	if (pid == 0)
		_exit(0);
	if (waitpid(pid, NULL, 0) != pid)
		return errno;
	return 0;
}

static void kid_main(int cmd, int ack, int home)
{
	unsigned char c, e;

	for (;;) {
		int err = 0;

		if (read(cmd, &c, 1) != 1)
			_exit(0);
		switch (c) {
		case 'f':
			err = fork_grandchild();
			break;
		case 'x':
			_exit(0);
		case 'u':
			if (unshare(CLONE_NEWNET))
				err = errno;
			else
				lo_up();
			break;
		case 's':
			if (setns(target_ns_fd, CLONE_NEWNET))
				err = errno;
			break;
		case 'h':
			if (setns(home, CLONE_NEWNET))
				err = errno;
			break;
		case 'p':
			err = send_packet();
			break;
		default:
			err = EINVAL;
		}
		e = err > 255 ? 255 : err;
		if (write(ack, &e, 1) != 1)
			_exit(1);
	}
}

static struct kid *free_slot(void)
{
	for (int i = 0; i < POOL; i++)
		if (!pool[i].pid)
			return &pool[i];
	return NULL;
}

/* Forks a child into slot k; it runs kid_main in a group of its own. */
static void spawn(struct kid *k)
{
	int cmd[2], ack[2];
	pid_t pid;

	if (pipe2(cmd, O_CLOEXEC) || pipe2(ack, O_CLOEXEC))
		die("pipe");
	pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		int home = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
		int null = open("/dev/null", O_WRONLY | O_CLOEXEC);

		setpgid(0, 0);
		/* The test reads our stdout until EOF: children keep none. */
		if (null >= 0)
			dup2(null, 1);
		signal(SIGPIPE, SIG_DFL);
		/* The other children's pipes are not ours to hold. */
		for (int i = 0; i < POOL; i++) {
			if (pool[i].pid) {
				close(pool[i].cmd);
				close(pool[i].ack);
			}
		}
		close(cmd[1]);
		close(ack[0]);
		if (home < 0)
			_exit(3);
		kid_main(cmd[0], ack[1], home);
	}
	setpgid(pid, pid);	/* as the child does: whichever runs first */
	close(cmd[0]);
	close(ack[1]);
	*k = (struct kid){ .pid = pid, .cmd = cmd[1], .ack = ack[0], .where = HOME };
}

/* A child that died meanwhile does not ack: get_ack() says so. */
static void send_cmd(struct kid *k, char c)
{
	if (write(k->cmd, &c, 1) != 1)
		return;
}

/* The child's ack: 0 or an errno; -1 if it died instead. */
static int get_ack(struct kid *k)
{
	unsigned char e;

	if (read(k->ack, &e, 1) != 1)
		return -1;
	return e;
}

static void forget(struct kid *k)
{
	close(k->cmd);
	close(k->ack);
	k->pid = 0;
}

static void reap(struct kid *k)
{
	int status;

	if (waitpid(k->pid, &status, 0) != k->pid)
		die("waitpid");
	forget(k);
}

static void kill_group(struct kid *k)
{
	if (kill(-k->pid, SIGKILL))
		unexpected++;
	reap(k);
}

/* Orphaned grandchildren come to us (a subreaper): reap them. */
static void reap_strays(void)
{
	pid_t pid;

	while ((pid = waitpid(-1, NULL, WNOHANG)) > 0) {
		for (int i = 0; i < POOL; i++) {
			if (pool[i].pid == pid) {
				/* A pool child died on its own. */
				unexpected++;
				forget(&pool[i]);
			}
		}
	}
}

/* --- the writes ------------------------------------------------------- */

/*
 * Writes text to /proc/PID/NAME: 0, errno, or 256 + errno if the open
 * failed.
 */
static int proc_write(pid_t pid, const char *name, const char *text)
{
	char path[64];
	int fd, err = 0;
	ssize_t len = strlen(text);

	snprintf(path, sizeof(path), "/proc/%d/%s", pid, name);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return 256 + errno;
	if (write(fd, text, len) != len)
		err = errno ? errno : EIO;
	close(fd);
	return err;
}

static int write_contid(pid_t pid, uint64_t id)
{
	char text[24];

	snprintf(text, sizeof(text), "%llu", (unsigned long long)id);
	return proc_write(pid, "audit_containerid", text);
}

static uint64_t new_id(void)
{
	return idbase + ids_used++;
}

/* Random pool children by predicate. */
static struct kid *pick(int (*want)(struct kid *))
{
	struct kid *c[POOL];
	int n = 0;

	for (int i = 0; i < POOL; i++)
		if (pool[i].pid && want(&pool[i]))
			c[n++] = &pool[i];
	return n ? c[below(n)] : NULL;
}

static int any(struct kid *k)
{
	(void)k;
	return 1;
}

static int labelled(struct kid *k)
{
	return k->id != 0;
}

static int unlabelled(struct kid *k)
{
	return !k->id;
}

/*
 * An idle unlabelled child: one from the pool, or a new one (NULL if the
 * pool is full of labelled ones).
 */
static struct kid *unlabelled_child(int fresh)
{
	struct kid *k = fresh ? NULL : pick(unlabelled);

	if (!k && (k = free_slot()))
		spawn(k);
	return k;
}

/*
 * A write while the child does `c`: the command goes first, the write
 * follows after a random short wait.
 */
static int racing_write(struct kid *k, char c, uint64_t id, int *ack)
{
	int err;

	send_cmd(k, c);
	jitter();
	err = write_contid(k->pid, id);
	*ack = get_ack(k);
	return err;
}

/*
 * Counts a write of id by op: its errno, or a success that labelled k (if
 * still ours) and, when created, made a new container.
 */
static void written(enum op op, int err, struct kid *k, uint64_t id, int created)
{
	count(op, err);
	if (err)
		return;
	writes_ok++;
	if (created)
		ids_created++;
	if (k)
		k->id = id;
}

static void do_op(enum op op)
{
	struct kid *k, *src;
	int err, ack;
	uint64_t id;

	switch (op) {
	case OP_SET:
		if (!(k = unlabelled_child(0)))
			goto retire;
		id = new_id();
		err = write_contid(k->pid, id);
		written(op, err, k, id, 1);
		return;
	case OP_SET_FORK:
		if (!(k = unlabelled_child(below(2))))
			goto retire;
		id = new_id();
		err = racing_write(k, 'f', id, &ack);
		if (ack)
			unexpected++;
		written(op, err, k, id, 1);
		return;
	case OP_SET_EXIT:
	case OP_SET_KILL:
		if (!(k = unlabelled_child(1)))
			goto retire;
		id = new_id();
		if (op == OP_SET_EXIT) {
			send_cmd(k, 'x');
		} else if (kill(-k->pid, SIGKILL)) {
			unexpected++;
		}
		jitter();
		err = write_contid(k->pid, id);
		reap(k);
		written(op, err, NULL, id, 1);
		return;
	case OP_SET_NETNS: {
		static const char moves[] = "ush";
		char c;

		if (!(k = unlabelled_child(below(2))))
			goto retire;
		c = moves[below(3)];
		if (c == 'h' && k->where == HOME)
			c = 's';
		if (c == 's' && k->where == TARGET)
			c = 'h';
		id = new_id();
		err = racing_write(k, c, id, &ack);
		if (ack)
			unexpected++;
		else
			k->where = c == 'u' ? PRIVATE : c == 's' ? TARGET : HOME;
		written(op, err, k, id, 1);
		return;
	}
	case OP_INJECT:
	case OP_INJECT_FORK:
		if (!(src = pick(labelled)))
			goto fallback_set;
		id = src->id;
		if (!(k = unlabelled_child(below(2))))
			goto retire;
		if (op == OP_INJECT) {
			err = write_contid(k->pid, id);
		} else {
			err = racing_write(k, 'f', id, &ack);
			if (ack)
				unexpected++;
		}
		written(op, err, k, id, 0);
		return;
	case OP_RESET:
		if (!(k = pick(labelled)))
			goto fallback_set;
		/* A new id, or one of ours that is live: EEXIST either way. */
		src = pick(labelled);
		id = below(2) ? new_id() : src->id;
		err = write_contid(k->pid, id);
		/* A success is a bug (the child had a contid): count it
		 * as what the log will show. */
		written(op, err, k, id, id != src->id);
		return;
	case OP_FORK:
		if (!(k = pick(any)))
			goto fallback_set;
		send_cmd(k, 'f');
		count(op, get_ack(k));
		return;
	case OP_EXIT:
		if (!(k = pick(any)))
			goto fallback_set;
		send_cmd(k, 'x');
		reap(k);
		count(op, 0);
		return;
	case OP_UNSHARE:
		if (!(k = pick(any)))
			goto fallback_set;
		send_cmd(k, 'u');
		err = get_ack(k);
		if (!err)
			k->where = PRIVATE;
		count(op, err);
		return;
	case OP_SETNS:
		if (!(k = pick(any)))
			goto fallback_set;
		send_cmd(k, k->where == TARGET ? 'h' : 's');
		err = get_ack(k);
		if (!err)
			k->where = k->where == TARGET ? HOME : TARGET;
		count(op, err);
		return;
	case OP_KILL:
		if (!(k = pick(labelled)) && !(k = pick(any)))
			goto fallback_set;
		kill_group(k);
		count(op, 0);
		return;
	case OP_FORK_KILL:
		if (!(k = pick(labelled)) && !(k = pick(any)))
			goto fallback_set;
		send_cmd(k, 'f');
		jitter();
		kill_group(k);
		count(op, 0);
		return;
	case OP_CAPCONTID:
		if (!(k = pick(any)))
			goto fallback_set;
		err = proc_write(k->pid, "audit_capcontainerid", "1");
		if (!err)
			err = proc_write(k->pid, "audit_capcontainerid", "0");
		count(op, err);
		return;
	case OP_PACKET:
		if (!(k = pick(labelled)) && !(k = pick(any)))
			goto fallback_set;
		send_cmd(k, 'p');
		err = get_ack(k);
		if (!err && k->where != PRIVATE)
			packets_audited++;
		count(op, err);
		return;
	case N_OPS:
		break;
	}
	return;
fallback_set:
	do_op(OP_SET);
	return;
retire:
	/* The pool is full of labelled children: one exits. */
	do_op(below(2) ? OP_EXIT : OP_KILL);
}

static enum op choose(void)
{
	static unsigned int total;
	unsigned int r;
	int op;

	if (!total)
		for (op = 0; op < N_OPS; op++)
			total += ops[op].weight;
	r = below(total);
	for (op = 0; op < N_OPS - 1; op++) {
		if (r < ops[op].weight)
			break;
		r -= ops[op].weight;
	}
	return op;
}

int main(int argc, char **argv)
{
	unsigned long n_ops, i;

	if (argc != 6) {
		fprintf(stderr, "usage: %s SEED OPS IDBASE NETNS_PATH PORT\n", argv[0]);
		return 2;
	}
	rng = strtoull(argv[1], NULL, 0) * 0x9E3779B97F4A7C15ULL + 1;
	n_ops = strtoul(argv[2], NULL, 0);
	idbase = strtoull(argv[3], NULL, 0);
	target_ns_fd = open(argv[4], O_RDONLY | O_CLOEXEC);
	if (target_ns_fd < 0)
		die(argv[4]);
	port = atoi(argv[5]);
	if (!idbase || port <= 0 || port > 65535) {
		fprintf(stderr, "bad IDBASE or PORT\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	if (prctl(PR_SET_CHILD_SUBREAPER, 1))
		die("PR_SET_CHILD_SUBREAPER");

	for (i = 0; i < n_ops; i++) {
		do_op(choose());
		reap_strays();
	}
	for (i = 0; i < POOL; i++)
		if (pool[i].pid)
			kill_group(&pool[i]);
	while (waitpid(-1, NULL, 0) > 0)
		;

	for (int op = 0; op < N_OPS; op++) {
		printf("%s_ok %lu %s_failed %lu ", ops[op].name, op_ok[op],
		       ops[op].name, op_failed[op]);
		if (op_err[op][0])
			printf("%s_err_died %lu ", ops[op].name, op_err[op][0]);
		for (int e = 1; e < 512; e++)
			if (op_err[op][e])
				printf("%s_err_%s%s %lu ", ops[op].name,
				       e >= 256 ? "open_" : "",
				       errno_name(e & 255), op_err[op][e]);
	}
	printf("writes_ok %lu ids_created %lu packets_audited %lu ids_used %llu "
	       "ops %lu unexpected %lu\n", writes_ok, ids_created, packets_audited,
	       (unsigned long long)ids_used, n_ops, unexpected);
	return 0;
}
