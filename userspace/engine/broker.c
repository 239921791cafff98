// SPDX-License-Identifier: GPL-2.0
/*
 * contid-broker - sets the audit container ids of the containers an engine
 * starts below it.
 *
 *   contid-broker [-v] [--socket PATH] [--request-timeout MS]
 *                 [--allow-user USER]... [--grant-from PATH] [--] COMMAND [ARG...]
 *
 * The kernel lets a task label another only if the target is its
 * descendant, is alone (no children, one thread), and, to add a task to an
 * existing container, only the thread that made the container may do it.
 * No OCI hook can meet that (README: "Using it with crun and podman"), so
 * the broker does every write itself:
 *
 *   - it is a child subreaper and runs COMMAND (the shell or service that
 *     starts the engine) as its child, so engines, conmons, runtimes and
 *     containers stay below it even when their parents exit;
 *   - it is single-threaded, so the thread that made each container is the
 *     one that later adds exec sessions to it;
 *   - it listens on a unix socket only its own user may use (mode 0600
 *     and SO_PEERCRED), where audit-contid-runtime asks it to label itself
 *     ("new ID", "join ID") just before it execs the runtime, and to
 *     forget a deleted container ("forget ID CONTID", the life it looked
 *     up with "lookup ID" before the runtime deleted it).
 *
 * Rootless engines: root's broker, given --allow-user, grants capcontid
 * ("capcontid self") to a broker that a user it allows runs below it;
 * that broker, the user's own, then labels the containers of the user's
 * engines below it.  A broker not run by root asks for the grant itself
 * (from --grant-from, default root's socket) before it starts.
 *
 * It exits when COMMAND has exited and nothing is left below it, with
 * COMMAND's status.  Requests are answered one at a time: each is a few
 * system calls, and a client gets 2 seconds (--request-timeout) to send
 * its request.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "engine.h"

#ifndef SO_PEERPIDFD
#define SO_PEERPIDFD 77		/* Linux 6.5 */
#endif

/* Candidates tried for a new container before giving up (ENOTUNIQ). */
#define NEW_ATTEMPTS 64
#define REQUEST_TIMEOUT_MS 2000

/*
 * Every id the broker handed out in its life, one entry each.  A deleted
 * container's entry keeps its id (and its name, to count the name's
 * lives) so that the id is never handed out again: its last task may
 * still run, and the broker, as its owner, would add the new container's
 * tasks to the old one.  A name's lives take the candidates of its hash
 * in turn (life N starts at candidate N), so a name may be made again
 * any number of times.
 */
struct container {
	char *oci_id;
	uint64_t contid;
	int live;		/* 0 once forgotten, or made again */
};

static struct container *containers;
static size_t container_count, container_capacity;
static int verbose;
static int request_timeout_ms = REQUEST_TIMEOUT_MS;
/* The kernel has SO_PEERPIDFD: a requester without one is refused. */
static int have_peerpidfd;
/* --allow-user: the uids whose own broker root's broker grants capcontid. */
#define ALLOWED_USERS_MAX 64
static uid_t allowed_users[ALLOWED_USERS_MAX];
static size_t allowed_user_count;
/* Kept for accept()ing and closing a connection when out of fds. */
static int reserve_fd = -1;

static void vnote(const char *fmt, va_list ap)
{
	fputs("contid-broker: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

__attribute__((format(printf, 1, 2)))
static void note(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vnote(fmt, ap);
	va_end(ap);
}

__attribute__((format(printf, 1, 2), noreturn))
static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vnote(fmt, ap);
	va_end(ap);
	exit(125);
}

static struct container *find_container(const char *oci_id)
{
	for (size_t i = 0; i < container_count; i++)
		if (containers[i].live && strcmp(containers[i].oci_id, oci_id) == 0)
			return &containers[i];
	return NULL;
}

/* How many containers of this name the broker made (its lives). */
static unsigned int lives_of(const char *oci_id)
{
	unsigned int lives = 0;

	for (size_t i = 0; i < container_count; i++)
		lives += strcmp(containers[i].oci_id, oci_id) == 0;
	return lives;
}

static int contid_handed_out(uint64_t contid)
{
	for (size_t i = 0; i < container_count; i++)
		if (containers[i].contid == contid)
			return 1;
	return 0;
}

/*
 * Room for one more entry, and its name: made before a process is
 * labelled, so that a label never stands without its entry (a later "new"
 * of the name would join the running container).  NULL if out of memory.
 */
static char *reserve_entry(const char *oci_id)
{
	if (container_count == container_capacity) {
		size_t capacity = container_capacity ? 2 * container_capacity : 16;
		struct container *grown = realloc(containers, capacity * sizeof(*grown));

		if (!grown)
			return NULL;
		containers = grown;
		container_capacity = capacity;
	}
	return strdup(oci_id);
}

/* The entry for @name (from reserve_entry()), labelled @contid. */
static void add_container(char *name, uint64_t contid)
{
	containers[container_count++] = (struct container){ name, contid, 1 };
}

static void forget_container(struct container *c)
{
	c->live = 0;
}

/* The parent of @pid from /proc/PID/stat, or -1. */
static pid_t parent_of(pid_t pid)
{
	char path[64], buf[512], *close_paren;
	int ppid, fd;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	/* "PID (COMM) STATE PPID ...": COMM may hold anything but ends at
	 * the last ')'.
	 */
	close_paren = strrchr(buf, ')');
	if (!close_paren || sscanf(close_paren + 1, " %*c %d", &ppid) != 1)
		return -1;
	return ppid;
}

static int below_broker(pid_t pid)
{
	pid_t self = getpid();

	for (int depth = 0; depth < 4096 && pid > 1; depth++) {
		pid = parent_of(pid);
		if (pid == self)
			return 1;
	}
	return 0;
}

/*
 * Writes @text to /proc/@pid/@file: 0 or the errno.  With the requester's
 * @pidfd (or -1 on a kernel without SO_PEERPIDFD), checks that the file
 * opened is the requester's: if the requester is still alive once the
 * file is open, its pid was not reused in between.
 */
static int write_proc_file(pid_t pid, int pidfd, const char *file, const char *text)
{
	size_t len = strlen(text);
	char path[64];
	int fd, err = 0;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/%s", pid, file);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return errno;
	if (pidfd >= 0 && syscall(SYS_pidfd_send_signal, pidfd, 0, NULL, 0) < 0) {
		close(fd);
		return ESRCH;
	}
	n = write(fd, text, len);
	if (n < 0)
		err = errno;
	else if ((size_t)n != len)
		err = EIO;
	close(fd);
	return err;
}

static int write_contid(pid_t pid, int pidfd, uint64_t contid)
{
	char text[24];

	snprintf(text, sizeof(text), "%llu", (unsigned long long)contid);
	return write_proc_file(pid, pidfd, "audit_containerid", text);
}

/* Whether a task still carries @contid (a container still running). */
static int contid_in_use(uint64_t contid)
{
	char path[300], text[24], want[24];
	DIR *proc = opendir("/proc");
	struct dirent *d;
	int found = 0;

	if (!proc)
		return 1;	/* cannot tell: assume it is */
	snprintf(want, sizeof(want), "%llu", (unsigned long long)contid);
	while (!found && (d = readdir(proc))) {
		ssize_t n;
		int fd;

		if (d->d_name[0] < '1' || d->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/audit_containerid", d->d_name);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		n = read(fd, text, sizeof(text) - 1);
		close(fd);
		if (n > 0) {
			text[n] = '\0';
			found = strcmp(text, want) == 0;
		}
	}
	closedir(proc);
	return found;
}

/* What a failed write means here, for the engine's user. */
static const char *explain_write_error(int err)
{
	switch (err) {
	case ESRCH:
		return "the process is gone";
	case EPERM:
		return "the broker lacks CAP_AUDIT_CONTROL";
	case EBUSY:
		return "the process has children or threads; only a lone process can be labelled";
	case EXDEV:
		return "the process is not below the broker";
	case EEXIST:
		return "the process has an audit container id the broker may not replace";
	case ENOTUNIQ:
		return "the id is another orchestrator's, or still kept for auditd";
	default:
		return strerror(err);
	}
}

static int user_allowed(uid_t uid)
{
	for (size_t k = 0; k < allowed_user_count; k++)
		if (allowed_users[k] == uid)
			return 1;
	return 0;
}

/* Whether @pid runs this very program (a broker, not anything the user has). */
static int runs_broker(pid_t pid)
{
	char path[64];
	struct stat self, peer;

	snprintf(path, sizeof(path), "/proc/%d/exe", pid);
	return stat("/proc/self/exe", &self) == 0 && stat(path, &peer) == 0 &&
	       self.st_dev == peer.st_dev && self.st_ino == peer.st_ino;
}

/* Whether every uid and gid of @pid is @uid's and its own (no set-id). */
static int plain_user(pid_t pid, uid_t uid)
{
	char path[64], line[256];
	unsigned int r, e, s, fs;
	int uids_ok = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	f = fopen(path, "re");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Uid: %u %u %u %u", &r, &e, &s, &fs) == 4)
			uids_ok = r == uid && e == uid && s == uid && fs == uid;
	fclose(f);
	return uids_ok;
}

/* An "error ERRNO MESSAGE" reply; returns @err. */
__attribute__((format(printf, 4, 5)))
static int reply_error(char *reply, size_t size, int err, const char *fmt, ...)
{
	int n = snprintf(reply, size, "error %d ", err);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(reply + n, size - n, fmt, ap);
	va_end(ap);
	return err;
}

/*
 * "capcontid self" from a user this broker allows (serve_connection()
 * answered the others): the requester must be a broker (this program),
 * below this one, running as that user alone.
 * It may then label and grant only its own descendants (the kernel's
 * rule) that it may open (its user's, by procfs's modes).
 */
static int handle_capcontid(pid_t pid, uid_t uid, int pidfd, char *reply, size_t size)
{
	int err;

	if (!below_broker(pid))
		return reply_error(reply, size, EXDEV,
				   "pid %d is not below this broker (pid %d): capcontid reaches only the granter's descendants",
				   pid, getpid());
	if (!runs_broker(pid))
		return reply_error(reply, size, EPERM,
				   "pid %d is not a contid-broker: only a broker is granted capcontid",
				   pid);
	if (!plain_user(pid, uid))
		return reply_error(reply, size, EPERM,
				   "pid %d does not run as uid %u alone (set-id?)", pid, uid);
	err = write_proc_file(pid, pidfd, "audit_capcontainerid", "1");
	if (err)
		return reply_error(reply, size, err, "cannot grant pid %d capcontid: %s", pid,
				   explain_write_error(err));
	snprintf(reply, size, "ok 1");
	return 0;
}

static int handle_new(const struct request *req, pid_t pid, int pidfd, char *reply,
		      size_t size)
{
	struct container *old = find_container(req->oci_id);
	unsigned int first = lives_of(req->oci_id);
	int err = ENOTUNIQ;
	char *name;

	/* A name made again is a new container, unless the old one runs. */
	if (old && contid_in_use(old->contid))
		return reply_error(reply, size, EEXIST,
				   "container %s already runs with audit container id %llu",
				   req->oci_id, (unsigned long long)old->contid);
	name = reserve_entry(req->oci_id);
	if (!name)
		return reply_error(reply, size, ENOMEM,
				   "out of memory recording container %s: not labelled",
				   req->oci_id);

	for (unsigned int attempt = first; attempt < first + NEW_ATTEMPTS; attempt++) {
		uint64_t contid = contid_candidate(req->oci_id, attempt);

		/* Ours already, for this container's last life or another. */
		if (contid_handed_out(contid))
			continue;
		err = write_contid(pid, pidfd, contid);
		if (err == ENOTUNIQ)
			continue;
		if (err)
			break;
		/* A container made again under its old name is a new one. */
		if (old)
			forget_container(old);
		add_container(name, contid);
		snprintf(reply, size, "ok %llu", (unsigned long long)contid);
		return 0;
	}
	free(name);
	if (err == ENOTUNIQ)
		return reply_error(reply, size, err,
				   "no free audit container id for %s after %d candidates",
				   req->oci_id, NEW_ATTEMPTS);
	return reply_error(reply, size, err, "cannot label pid %d for container %s: %s",
			   pid, req->oci_id, explain_write_error(err));
}

static int handle_request(const struct request *req, pid_t pid, int pidfd, char *reply,
			  size_t size)
{
	struct container *c = find_container(req->oci_id);
	int err;

	if (req->verb == REQUEST_FORGET || req->verb == REQUEST_LOOKUP) {
		if (!c)
			return reply_error(reply, size, ENOENT,
					   "container %s is not known to this broker", req->oci_id);
		/* A late forget must not forget the name's next life. */
		if (req->contid != CONTID_UNSET && req->contid != c->contid)
			return reply_error(reply, size, ESTALE,
					   "container %s is another life now (audit container id %llu, not %llu): not forgotten",
					   req->oci_id, (unsigned long long)c->contid,
					   (unsigned long long)req->contid);
		snprintf(reply, size, "ok %llu", (unsigned long long)c->contid);
		if (req->verb == REQUEST_FORGET)
			forget_container(c);
		return 0;
	}
	/* The kernel says EXDEV too; this says what to do about it. */
	if (!below_broker(pid))
		return reply_error(reply, size, EXDEV,
				   "pid %d is not below the broker (pid %d): start the engine under contid-broker",
				   pid, getpid());
	if (req->verb == REQUEST_NEW)
		return handle_new(req, pid, pidfd, reply, size);

	if (!c)
		return reply_error(reply, size, ENOENT,
				   "container %s is not known to this broker: it was not created under it, or the broker restarted since",
				   req->oci_id);
	/*
	 * Its last task gone, the id is free in the kernel: writing it would
	 * make a second container of that id, not join the first.  (The
	 * window between this check and the write stays: the kernel has no
	 * write that only joins.)
	 */
	if (!contid_in_use(c->contid))
		return reply_error(reply, size, ESRCH,
				   "container %s has no task left (audit container id %llu): it has exited",
				   req->oci_id, (unsigned long long)c->contid);
	err = write_contid(pid, pidfd, c->contid);
	if (err)
		return reply_error(reply, size, err,
				   "cannot add pid %d to container %s (audit container id %llu): %s",
				   pid, req->oci_id, (unsigned long long)c->contid,
				   explain_write_error(err));
	snprintf(reply, size, "ok %llu", (unsigned long long)c->contid);
	return 0;
}

/*
 * Out of file descriptors: the connection would stay queued, keep poll()
 * ready and spin the broker.  Accept it on the fd kept for this, and
 * close it: the requester is refused (its connection reset).
 */
static void refuse_for_want_of_fds(int listen_fd, int err)
{
	int fd;

	if (reserve_fd >= 0) {
		close(reserve_fd);
		reserve_fd = -1;
	}
	fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
	if (fd >= 0)
		close(fd);
	reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	note("refused a connection: %s", strerror(err));
}

static void serve_connection(int listen_fd)
{
	char msg[ENGINE_MSG_MAX + 1], reply[ENGINE_MSG_MAX];
	struct ucred cred;
	socklen_t cred_len = sizeof(cred);
	socklen_t pidfd_len = sizeof(int);
	struct request req = { .verb = REQUEST_NEW };
	struct pollfd pfd;
	int fd, err, pidfd = -1;
	ssize_t n;

	fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0) {
		if (errno == EMFILE || errno == ENFILE)
			refuse_for_want_of_fds(listen_fd, errno);
		return;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &cred_len) < 0)
		goto out;
	/*
	 * The requester itself, whatever reuses its pid later.  On a kernel
	 * that has SO_PEERPIDFD, failing to get one means the requester was
	 * reaped already: its pid may be another process's by now.
	 */
	if (getsockopt(fd, SOL_SOCKET, SO_PEERPIDFD, &pidfd, &pidfd_len) < 0) {
		pidfd = -1;
		if (have_peerpidfd) {
			note("refused pid %d: %s (gone already?)", cred.pid, strerror(errno));
			goto out;
		}
	}
	/*
	 * A user who may ask nothing is answered at once: with --allow-user
	 * the socket is open to all, and one who connects and sends nothing
	 * must not hold the broker for --request-timeout.
	 */
	if (cred.uid != getuid() && !user_allowed(cred.uid)) {
		if (getuid() == 0)
			reply_error(reply, sizeof(reply), EPERM,
				    "only root may use the broker (uid %u is not in its --allow-user)",
				    cred.uid);
		else
			reply_error(reply, sizeof(reply), EPERM,
				    "only uid %u may use this broker", getuid());
		send(fd, reply, strlen(reply), MSG_NOSIGNAL);
		goto out;
	}
	pfd = (struct pollfd){ .fd = fd, .events = POLLIN };
	if (poll(&pfd, 1, request_timeout_ms) != 1)
		goto out;
	n = recv(fd, msg, sizeof(msg), MSG_TRUNC);
	if (n < 0)
		goto out;
	if ((size_t)n >= sizeof(msg) || request_parse(msg, n, &req)) {
		err = reply_error(reply, sizeof(reply), EINVAL, "malformed request");
	} else if (req.verb == REQUEST_CAPCONTID) {
		err = handle_capcontid(cred.pid, cred.uid, pidfd, reply, sizeof(reply));
		note("capcontid for pid %d (uid %u): %s", cred.pid, cred.uid, reply);
	} else if (cred.uid != getuid()) {
		/* an allowed user (the others were answered above) */
		err = reply_error(reply, sizeof(reply), EPERM,
				  "only root may use the broker (an allowed user may only ask for capcontid)");
	} else {
		err = handle_request(&req, cred.pid, pidfd, reply, sizeof(reply));
		if (verbose || err)
			note("%s %s from pid %d: %s", request_verb_name(req.verb),
			     req.oci_id, cred.pid, reply);
	}
	if (err && cred.uid != getuid() && req.verb != REQUEST_CAPCONTID)
		note("refused uid %u (pid %d): %s", cred.uid, cred.pid, reply);
	send(fd, reply, strlen(reply), MSG_NOSIGNAL);
out:
	if (pidfd >= 0)
		close(pidfd);
	close(fd);
}

/* Whether this kernel has SO_PEERPIDFD (Linux 6.5). */
static int kernel_has_peerpidfd(void)
{
	int pair[2], pidfd = -1, has;
	socklen_t len = sizeof(pidfd);

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) < 0)
		return 0;
	has = getsockopt(pair[0], SOL_SOCKET, SO_PEERPIDFD, &pidfd, &len) == 0 ||
	      errno != ENOPROTOOPT;
	if (pidfd >= 0)
		close(pidfd);
	close(pair[0]);
	close(pair[1]);
	return has;
}

static int open_socket(const char *path)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	char dir[sizeof(addr.sun_path)], *slash;
	mode_t old_umask;
	int fd, probe;

	if (strlen(path) >= sizeof(addr.sun_path))
		die("socket path too long: %s", path);
	strcpy(addr.sun_path, path);

	/*
	 * The socket's own directory, its user's alone, if it is missing;
	 * others may pass through to the socket if they may ask for capcontid.
	 */
	strcpy(dir, path);
	slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = '\0';
		if (mkdir(dir, 0700) < 0 && errno != EEXIST)
			die("mkdir %s: %s", dir, strerror(errno));
		if (allowed_user_count && chmod(dir, 0711) < 0)
			die("chmod %s: %s", dir, strerror(errno));
	}

	probe = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (probe < 0)
		die("socket: %s", strerror(errno));
	if (connect(probe, (struct sockaddr *)&addr, sizeof(addr)) == 0)
		die("a broker already listens on %s", path);
	if (errno == ECONNREFUSED) {
		struct stat st;

		/* A dead broker's socket; anything else is not ours. */
		if (lstat(path, &st) == 0 && !S_ISSOCK(st.st_mode))
			die("%s exists and is no socket", path);
		unlink(path);
	}
	close(probe);

	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		die("socket: %s", strerror(errno));
	old_umask = umask(077);
	if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0)
		die("bind %s: %s", path, strerror(errno));
	umask(old_umask);
	/* Who may ask what is decided by SO_PEERCRED, request by request. */
	if (chmod(path, allowed_user_count ? 0666 : 0600) < 0 || listen(fd, 64) < 0)
		die("listen on %s: %s", path, strerror(errno));
	return fd;
}

/* Refuses early, and clearly, on a kernel or a user that cannot label. */
static void check_can_label(void)
{
	int fd = open("/proc/self/audit_containerid", O_RDONLY | O_CLOEXEC);
	char buf[32];

	if (fd < 0 && errno == ENOENT)
		die("this kernel has no audit container ids (/proc/self/audit_containerid)");
	if (fd < 0)
		die("/proc/self/audit_containerid: %s", strerror(errno));
	if (read(fd, buf, sizeof(buf)) < 0)
		die("cannot read audit container ids (%s): the broker needs CAP_AUDIT_CONTROL",
		    strerror(errno));
	close(fd);
}

static void usage(int status)
{
	fprintf(status ? stderr : stdout,
		"usage: contid-broker [-v] [--socket PATH] [--request-timeout MS]\n"
		"                     [--allow-user USER]... [--grant-from PATH] [--] COMMAND [ARG...]\n"
		"Runs COMMAND below a broker that labels the containers it starts\n"
		"through audit-contid-runtime.  The socket defaults to\n"
		"$" BROKER_SOCKET_ENV " or " BROKER_SOCKET_DEFAULT " (root), and\n"
		"$XDG_RUNTIME_DIR/audit-contid/broker.sock (another user);\n"
		"COMMAND finds it in $" BROKER_SOCKET_ENV ".\n"
		"--allow-user: root's broker grants capcontid to USER's own broker\n"
		"below it; a broker not run by root asks the one at --grant-from\n"
		"(default " BROKER_SOCKET_DEFAULT ") for it before it starts.\n");
	exit(status);
}

/* --allow-user: a user name or a uid. */
static void allow_user(const char *name)
{
	struct passwd *pw = getpwnam(name);
	char *end;
	unsigned long uid;

	if (allowed_user_count == ALLOWED_USERS_MAX)
		die("--allow-user: at most %d users", ALLOWED_USERS_MAX);
	if (pw) {
		allowed_users[allowed_user_count++] = pw->pw_uid;
		return;
	}
	errno = 0;
	uid = strtoul(name, &end, 10);
	if (errno || *end || !*name || uid == 0 || uid >= (uid_t)-1)
		die("--allow-user: %s is no user name nor a uid other than 0", name);
	allowed_users[allowed_user_count++] = uid;
}

/*
 * A broker run by a user other than root: root's broker, above it, must
 * grant it capcontid before it can label anything.  Asked after the
 * broker's last execve() (which would clear the grant), for itself.
 */
static void ask_for_capcontid(const char *granter)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	struct request req = { .verb = REQUEST_CAPCONTID, .oci_id = "self" };
	char msg[ENGINE_MSG_MAX + 1];
	struct timeval timeout = { .tv_sec = 30 };
	const char *message;
	uint64_t granted;
	int fd, len, err;
	ssize_t n;

	if (strlen(granter) >= sizeof(addr.sun_path))
		die("--grant-from: path too long: %s", granter);
	strcpy(addr.sun_path, granter);
	len = request_format(&req, msg, sizeof(msg));
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		die("socket: %s", strerror(errno));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof(timeout));
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0)
		die("uid %u needs capcontid from root's broker, and there is none at %s (%s): %s",
		    getuid(), granter, strerror(errno),
		    "run this broker below one started with --allow-user");
	n = request_exchange(fd, msg, len, sizeof(msg));
	if (n < 0)
		die("root's broker at %s did not answer: %s", granter,
		    strerror(errno ? errno : ECONNRESET));
	close(fd);
	err = reply_parse(msg, &granted, &message);
	if (err < 0)
		die("root's broker at %s sent an unreadable reply", granter);
	if (err)
		die("root's broker refused capcontid to uid %u: %s", getuid(), message);
}

int main(int argc, char *argv[])
{
	static const struct option options[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "request-timeout", required_argument, NULL, 't' },
		{ "allow-user", required_argument, NULL, 'a' },
		{ "grant-from", required_argument, NULL, 'g' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL }
	};
	const char *path = getenv(BROKER_SOCKET_ENV), *granter = BROKER_SOCKET_DEFAULT;
	char user_path[PATH_MAX];
	int listen_fd, signal_fd, status = 0, command_done = 0, opt;
	pid_t command;
	sigset_t signals;

	if ((!path || !*path) && getuid() != 0) {
		const char *run = getenv("XDG_RUNTIME_DIR");

		if (run && *run) {
			snprintf(user_path, sizeof(user_path), "%s/audit-contid/broker.sock", run);
			path = user_path;
		}
	} else if (!path || !*path) {
		path = BROKER_SOCKET_DEFAULT;
	}
	while ((opt = getopt_long(argc, argv, "+s:t:a:g:vh", options, NULL)) != -1) {
		char *end;

		switch (opt) {
		case 's':
			path = optarg;
			break;
		case 't':
			errno = 0;
			request_timeout_ms = strtol(optarg, &end, 10);
			if (errno || *end || request_timeout_ms < 1 || request_timeout_ms > 60000)
				die("--request-timeout: %s is not 1 to 60000 ms", optarg);
			break;
		case 'a':
			allow_user(optarg);
			break;
		case 'g':
			granter = optarg;
			break;
		case 'v':
			verbose = 1;
			break;
		case 'h':
			usage(0);
			break;
		default:
			usage(2);
		}
	}
	if (optind == argc)
		usage(2);
	if (!path || !*path)
		die("--socket is needed: XDG_RUNTIME_DIR is not set");
	if (allowed_user_count && getuid() != 0)
		die("--allow-user: only root's broker grants capcontid");

	if (getuid() != 0)
		ask_for_capcontid(granter);
	check_can_label();
	have_peerpidfd = kernel_has_peerpidfd();
	reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	/* Reap as a parent must even if started with SIGCHLD ignored, and
	 * outlive a closed stderr.
	 */
	signal(SIGCHLD, SIG_DFL);
	signal(SIGPIPE, SIG_IGN);
	if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
		die("PR_SET_CHILD_SUBREAPER: %s", strerror(errno));
	listen_fd = open_socket(path);

	sigemptyset(&signals);
	sigaddset(&signals, SIGCHLD);
	sigaddset(&signals, SIGTERM);
	sigaddset(&signals, SIGINT);
	sigaddset(&signals, SIGHUP);
	sigaddset(&signals, SIGQUIT);
	sigprocmask(SIG_BLOCK, &signals, NULL);
	signal_fd = signalfd(-1, &signals, SFD_CLOEXEC);
	if (signal_fd < 0)
		die("signalfd: %s", strerror(errno));

	command = fork();
	if (command < 0)
		die("fork: %s", strerror(errno));
	if (command == 0) {
		sigprocmask(SIG_UNBLOCK, &signals, NULL);
		signal(SIGPIPE, SIG_DFL);
		setenv(BROKER_SOCKET_ENV, path, 1);
		execvp(argv[optind], argv + optind);
		fprintf(stderr, "contid-broker: %s: %s\n", argv[optind], strerror(errno));
		_exit(127);
	}
	if (verbose)
		note("listening on %s, running %s (pid %d)", path, argv[optind], command);

	for (;;) {
		struct pollfd pfds[2] = {
			{ .fd = listen_fd, .events = POLLIN },
			{ .fd = signal_fd, .events = POLLIN },
		};
		struct signalfd_siginfo si;
		int wstatus;
		pid_t pid;

		if (poll(pfds, 2, -1) < 0 && errno != EINTR)
			die("poll: %s", strerror(errno));
		if (pfds[0].revents & POLLIN)
			serve_connection(listen_fd);
		if (!(pfds[1].revents & POLLIN))
			continue;
		if (read(signal_fd, &si, sizeof(si)) != sizeof(si))
			continue;
		if (si.ssi_signo != SIGCHLD) {
			/* Stopping the broker stops what it runs first; once
			 * that is gone, it stops the broker, whose containers
			 * can then not be joined any more.
			 */
			if (!command_done) {
				kill(command, si.ssi_signo);
				continue;
			}
			note("signal %d: exiting; containers still running can no longer be joined",
			     si.ssi_signo);
			break;
		}
		while ((pid = waitpid(-1, &wstatus, WNOHANG)) > 0) {
			if (pid != command)
				continue;
			command_done = 1;
			status = WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) :
						      128 + WTERMSIG(wstatus);
		}
		if (pid < 0 && errno == ECHILD && command_done)
			break;
		if (command_done == 1) {
			note("%s exited; serving the processes it left until they exit",
			     argv[optind]);
			command_done = 2;
		}
	}
	unlink(path);
	return status;
}
