// SPDX-License-Identifier: GPL-2.0
/*
 * audit-contid-runtime - an OCI runtime that is crun, with audit container
 * ids: register it where an engine names its runtime (podman's
 * [engine.runtimes], or call it instead of crun).
 *
 *   create ID, run ID,  asks contid-broker to label this process as a new
 *   restore ID          container, then execs crun: the container's init
 *                       (or the processes CRIU restores) and everything
 *                       below it inherit the id
 *   exec ID             asks the broker to add this process to container
 *                       ID, then execs crun
 *   delete ID           runs crun; if it succeeds, tells the broker to
 *                       forget ID
 *   anything else       execs crun unchanged
 *
 * Each label is also logged as a TRUSTED_APP user record, sent after the
 * label is set so that its event carries the container's CONTAINER_ID:
 * "ausearch --contid" then shows which OCI container an id stands for.
 *
 * If the container cannot be labelled (no broker, a broker that restarted
 * or does not know the container, an engine started outside the broker, a
 * command line it cannot read), it refuses, says why on stderr and exits
 * 1, before crun runs.  With AUDIT_CONTID_UNLABELLED=warn it says why,
 * logs a TRUSTED_APP record with res=failed, and runs crun unlabelled.
 *
 * Environment: AUDIT_CONTID_BROKER (the broker's socket), AUDIT_CONTID_CRUN
 * (the real crun, default /usr/bin/crun), AUDIT_CONTID_UNLABELLED,
 * AUDIT_CONTID_BROKER_TIMEOUT (seconds to wait for the broker to accept
 * the connection, and again for its answer; default 30).
 */
#include <errno.h>
#include <linux/audit.h>
#include <linux/netlink.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "engine.h"

#define CRUN_DEFAULT "/usr/bin/crun"
/* libaudit.h's freestyle record of a trusted application. */
#define AUDIT_TRUSTED_APP 1121
#define PROG "audit-contid-runtime"

#define BROKER_TIMEOUT_DEFAULT 30
#define BROKER_TIMEOUT_MAX 3600

/* AUDIT_CONTID_BROKER_TIMEOUT in seconds, or -1 if it is no such number. */
static int broker_timeout(void)
{
	const char *text = getenv("AUDIT_CONTID_BROKER_TIMEOUT");
	char *end;
	long seconds;

	if (!text || !*text)
		return BROKER_TIMEOUT_DEFAULT;
	errno = 0;
	seconds = strtol(text, &end, 10);
	if (errno || *end || seconds < 1 || seconds > BROKER_TIMEOUT_MAX)
		return -1;
	return seconds;
}

static const char *crun_path(void)
{
	const char *crun = getenv("AUDIT_CONTID_CRUN");

	return crun && *crun ? crun : CRUN_DEFAULT;
}

static void exec_crun(char *argv[])
{
	const char *crun = crun_path();

	/* crun takes a handler from a "crun-*" argv[0]: give it its own. */
	argv[0] = (char *)crun;
	execv(crun, argv);
	fprintf(stderr, PROG ": cannot run %s: %s\n", crun, strerror(errno));
	exit(127);
}

/*
 * A TRUSTED_APP record: op=OP oci-id="ID" res=RES[ reason="REASON"].  The
 * kernel adds the sender's subject and, if it has one, its CONTAINER_ID.
 * Best effort: a kernel without audit, or no CAP_AUDIT_WRITE, loses it.
 */
static void audit_note(const char *op, const char *oci_id, const char *reason)
{
	struct {
		struct nlmsghdr nlh;
		char text[512];
	} msg = { 0 };
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	int fd, len;

	/* Quoted: auparse prints a quoted value as it is.  Both are checked
	 * to hold no quote or space (oci_id_valid(), the callers' words).
	 */
	len = snprintf(msg.text, sizeof(msg.text), "op=%s oci-id=\"%s\" res=%s%s%s%s",
		       op, oci_id ? oci_id : "?", reason ? "failed" : "success",
		       reason ? " reason=\"" : "", reason ? reason : "", reason ? "\"" : "");
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_AUDIT);
	if (fd < 0)
		return;
	msg.nlh.nlmsg_len = NLMSG_LENGTH(len + 1);
	msg.nlh.nlmsg_type = AUDIT_TRUSTED_APP;
	msg.nlh.nlmsg_flags = NLM_F_REQUEST;
	sendto(fd, &msg, msg.nlh.nlmsg_len, 0, (struct sockaddr *)&kernel,
	       sizeof(kernel));
	close(fd);
}

/*
 * Sends @req to the broker and waits for its answer.  Returns 0 and sets
 * @contid, or an errno with @why set to what went wrong and @reason to
 * one word for it.
 */
static int ask_broker(const struct request *req, uint64_t *contid,
		      char *why, size_t why_size, const char **reason)
{
	const char *path = getenv(BROKER_SOCKET_ENV);
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	char msg[ENGINE_MSG_MAX + 1];
	int fd, err, len, seconds = broker_timeout();
	struct timeval timeout = { .tv_sec = seconds };
	const char *message;
	ssize_t n;

	if (!path || !*path)
		path = BROKER_SOCKET_DEFAULT;
	*reason = "no-broker";
	if (seconds < 0) {
		snprintf(why, why_size,
			 "AUDIT_CONTID_BROKER_TIMEOUT is not a number of seconds from 1 to %d",
			 BROKER_TIMEOUT_MAX);
		return EINVAL;
	}
	if (strlen(path) >= sizeof(addr.sun_path)) {
		snprintf(why, why_size, "broker socket path too long: %s", path);
		return ENAMETOOLONG;
	}
	strcpy(addr.sun_path, path);
	len = request_format(req, msg, sizeof(msg));
	if (len < 0) {
		snprintf(why, why_size, "container id too long for a request");
		return EINVAL;
	}
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		err = errno;
		snprintf(why, why_size, "cannot make a socket: %s", strerror(err));
		return err;
	}
	/*
	 * A stopped or wedged broker must not hang the engine: a unix
	 * socket's connect() to a full backlog waits at most SO_SNDTIMEO,
	 * and the answer at most SO_RCVTIMEO.
	 */
	if (setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof(timeout)) ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout))) {
		err = errno;
		snprintf(why, why_size, "cannot bound the wait for the broker: %s", strerror(err));
		close(fd);
		return err;
	}
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		err = errno;
		if (err == EAGAIN)
			snprintf(why, why_size,
				 "the broker at %s did not accept the connection within %d s (its backlog is full: is it stopped or wedged?)",
				 path, seconds);
		else
			snprintf(why, why_size,
				 "no broker at %s (%s): is the engine running under contid-broker?",
				 path, strerror(err));
		close(fd);
		return err;
	}
	errno = 0;
	n = send(fd, msg, len, MSG_NOSIGNAL);
	if (n == len)
		n = recv(fd, msg, sizeof(msg) - 1, 0);
	else
		n = -1;
	if (n <= 0) {
		err = n < 0 && errno ? errno : ECONNRESET;
		snprintf(why, why_size, "the broker at %s did not answer within %d s (%s)",
			 path, seconds, strerror(err));
		close(fd);
		return err;
	}
	close(fd);
	msg[n] = '\0';
	*reason = "broker-refused";
	err = reply_parse(msg, contid, &message);
	if (err < 0) {
		snprintf(why, why_size, "the broker at %s sent an unreadable reply", path);
		return EPROTO;
	}
	if (err)
		snprintf(why, why_size, "the broker refused: %s", message);
	return err;
}

static int warn_only(void)
{
	const char *policy = getenv("AUDIT_CONTID_UNLABELLED");

	return policy && strcmp(policy, "warn") == 0;
}

/* A container that cannot be labelled: refuse, or warn and go on. */
static void unlabelled(char *argv[], const struct crun_command *cmd,
		       const char *op, const char *reason, const char *why)
{
	if (!warn_only()) {
		fprintf(stderr,
			"audit-contid-runtime: %s; refusing to %s container %s unlabelled (AUDIT_CONTID_UNLABELLED=warn runs it unlabelled)\n",
			why, cmd->command ? cmd->command : "run", cmd->oci_id ? cmd->oci_id : "?");
		exit(1);
	}
	fprintf(stderr, PROG ": warning: %s; container %s runs WITHOUT an audit container id\n",
		why, cmd->oci_id ? cmd->oci_id : "?");
	audit_note(op, oci_id_valid(cmd->oci_id ? cmd->oci_id : "") ? cmd->oci_id : NULL,
		   reason);
	exec_crun(argv);
}

/*
 * delete: the broker forgets the container only once crun has deleted it,
 * and only the life that crun deleted (looked up before), not one made
 * again under its name meanwhile.
 */
static int delete_then_forget(char *argv[], const struct crun_command *cmd)
{
	struct request req = { .verb = REQUEST_LOOKUP, .contid = CONTID_UNSET };
	char why[ENGINE_MSG_MAX];
	const char *reason;
	uint64_t contid, life = CONTID_UNSET;
	int status;
	pid_t pid;

	/* Unknown to the broker, or no broker: nothing to forget after. */
	if (oci_id_valid(cmd->oci_id)) {
		strcpy(req.oci_id, cmd->oci_id);
		if (ask_broker(&req, &life, why, sizeof(why), &reason))
			life = CONTID_UNSET;
	}

	pid = fork();
	if (pid < 0) {
		fprintf(stderr, PROG ": fork: %s\n", strerror(errno));
		return 1;
	}
	if (pid == 0)
		exec_crun(argv);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return 1;
	if (!WIFEXITED(status))
		return 128 + WTERMSIG(status);
	if (WEXITSTATUS(status) == 0 && life != CONTID_UNSET) {
		req.verb = REQUEST_FORGET;
		req.contid = life;
		ask_broker(&req, &contid, why, sizeof(why), &reason);
	}
	return WEXITSTATUS(status);
}

int main(int argc, char *argv[])
{
	struct crun_command cmd;
	struct request req;
	char why[ENGINE_MSG_MAX + 128];
	const char *op, *reason;
	uint64_t contid;

	crun_parse(argc, argv, &cmd);
	if (cmd.command && strcmp(cmd.command, "exec") == 0)
		op = "container-exec";
	else if (cmd.command && strcmp(cmd.command, "restore") == 0)
		op = "container-restore";
	else
		op = "container-create";
	switch (cmd.action) {
	case CRUN_PASS:
		exec_crun(argv);
		break;
	case CRUN_FORGET:
		return delete_then_forget(argv, &cmd);
	case CRUN_UNPARSED:
		snprintf(why, sizeof(why),
			 "cannot find the container id in this %s command line: %s",
			 cmd.command ? cmd.command : "crun", cmd.error);
		unlabelled(argv, &cmd, op, "unreadable-command-line", why);
		break;
	case CRUN_NEW:
	case CRUN_JOIN:
		break;
	}

	if (!oci_id_valid(cmd.oci_id)) {
		snprintf(why, sizeof(why), "\"%s\" is not a valid container id", cmd.oci_id);
		unlabelled(argv, &cmd, op, "invalid-container-id", why);
	}
	req.verb = cmd.action == CRUN_NEW ? REQUEST_NEW : REQUEST_JOIN;
	req.contid = CONTID_UNSET;
	strcpy(req.oci_id, cmd.oci_id);
	if (ask_broker(&req, &contid, why, sizeof(why), &reason))
		unlabelled(argv, &cmd, op, reason, why);
	audit_note(op, cmd.oci_id, NULL);
	exec_crun(argv);
	return 127;
}
