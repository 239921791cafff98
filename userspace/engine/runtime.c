// SPDX-License-Identifier: GPL-2.0
/*
 * audit-contid-runtime - an OCI runtime that is crun or runc, with audit
 * container ids: register it where an engine names its runtime (podman's
 * [engine.runtimes], Docker's daemon.json "runtimes", containerd's
 * BinaryName or ctr --runc-binary), or call it instead of the runtime.
 *
 *   create ID, run ID,  asks contid-broker to label this process as a new
 *   restore ID          container, then execs the runtime: the container's
 *                       init (or the processes CRIU restores) and
 *                       everything below it inherit the id, and so does
 *                       the runtime's own work for the container
 *   exec ID             asks the broker to add this process to container
 *                       ID, then execs the runtime
 *   delete ID           runs the runtime; if it succeeds, tells the broker
 *                       to forget ID
 *   anything else       execs the runtime unchanged
 *
 * Which runtime: AUDIT_CONTID_RUNTIME (a path whose file is named runc*
 * or crun*: its command line is read as that runtime's) if set; else
 * runc (/usr/sbin/runc) when called as audit-contid-runc, and crun
 * (AUDIT_CONTID_CRUN, default /usr/bin/crun) otherwise.
 *
 * Each label is also logged as a TRUSTED_APP user record, sent after the
 * label is set so that its event carries the container's CONTAINER_ID:
 * "ausearch --contid" then shows which OCI container an id stands for,
 * and for a new container what the engine says about it (engine, name,
 * image, Kubernetes pod: see names.c).
 *
 * If the container cannot be labelled (no broker, a broker that restarted
 * or does not know the container, an engine started outside the broker, a
 * command line it cannot read), it refuses, says why on stderr and exits
 * 1, before the runtime runs.  With AUDIT_CONTID_UNLABELLED=warn it says
 * why, logs a TRUSTED_APP record with res=failed, and runs the runtime
 * unlabelled.
 *
 * Environment: AUDIT_CONTID_BROKER (the broker's socket; default: a user's
 * broker's in $XDG_RUNTIME_DIR/audit-contid/ if there is one, else root's),
 * AUDIT_CONTID_RUNTIME, AUDIT_CONTID_CRUN, AUDIT_CONTID_UNLABELLED,
 * AUDIT_CONTID_BROKER_TIMEOUT (seconds to wait for the broker to accept
 * the connection, and again for its answer; default 30).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/audit.h>
#include <linux/netlink.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "engine.h"

#define CRUN_DEFAULT "/usr/bin/crun"
#define RUNC_DEFAULT "/usr/sbin/runc"
#define RUNC_WRAPPER_NAME "audit-contid-runc"
/* libaudit.h's freestyle record of a trusted application. */
#define AUDIT_TRUSTED_APP 1121
#define PROG "audit-contid-runtime"

/* A record's text: oci-id and six names of NAME_TEXT_MAX, hex at worst. */
#define AUDIT_NOTE_MAX 4096

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

/* The runtime this wrapper stands for, and how it reads its arguments. */
struct runtime {
	const char *path;
	const char *name;	/* "crun" or "runc" */
	void (*parse)(int argc, char *const argv[], struct runtime_command *cmd);
};

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

/* 0, or -1 if AUDIT_CONTID_RUNTIME is named neither runc* nor crun*. */
static int choose_runtime(const char *argv0, struct runtime *rt)
{
	const char *path = getenv("AUDIT_CONTID_RUNTIME"), *name;

	if (!path || !*path) {
		if (strcmp(base_name(argv0), RUNC_WRAPPER_NAME) == 0) {
			*rt = (struct runtime){ RUNC_DEFAULT, "runc", runc_parse };
		} else {
			/* AUDIT_CONTID_CRUN names crun, whatever its file's name */
			path = getenv("AUDIT_CONTID_CRUN");
			*rt = (struct runtime){ path && *path ? path : CRUN_DEFAULT, "crun",
						crun_parse };
		}
		return 0;
	}
	name = base_name(path);
	if (strncmp(name, "runc", 4) == 0)
		*rt = (struct runtime){ path, "runc", runc_parse };
	else if (strncmp(name, "crun", 4) == 0)
		*rt = (struct runtime){ path, "crun", crun_parse };
	else
		return -1;
	return 0;
}

static struct runtime runtime;

static void exec_runtime(char *argv[])
{
	/* crun takes a handler from a "crun-*" argv[0]: give it its own. */
	argv[0] = (char *)runtime.path;
	execv(runtime.path, argv);
	fprintf(stderr, PROG ": cannot run %s: %s\n", runtime.path, strerror(errno));
	exit(127);
}

/*
 * A TRUSTED_APP record: op=OP oci-id="ID"[ NAMES] res=RES[ reason="REASON"].
 * The kernel adds the sender's subject (pid, uid, auid, ses: who asked)
 * and, if it has one, its CONTAINER_ID.  Best effort: a kernel without
 * audit, or no CAP_AUDIT_WRITE, loses it.
 */
static void audit_note(const char *op, const char *oci_id, const char *names,
		       const char *reason)
{
	struct {
		struct nlmsghdr nlh;
		char text[AUDIT_NOTE_MAX];
	} msg = { 0 };
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	int fd, len;

	/* Quoted: auparse prints a quoted value as it is.  Both are checked
	 * to hold no quote or space (oci_id_valid(), the callers' words);
	 * @names are escaped (audit_field_append()).
	 */
	len = snprintf(msg.text, sizeof(msg.text), "op=%s oci-id=\"%s\"%s res=%s%s%s%s",
		       op, oci_id ? oci_id : "?", names ? names : "",
		       reason ? "failed" : "success",
		       reason ? " reason=\"" : "", reason ? reason : "", reason ? "\"" : "");
	if (len < 0 || len >= (int)sizeof(msg.text))
		return;
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

/* A JSON file the engine wrote, parsed into @doc and @text (freed by the caller). */
static int read_json(const char *path, struct json_doc *doc, char **text)
{
	size_t len = 0, cap = 0;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);

	*text = NULL;
	if (fd < 0)
		return -1;
	for (;;) {
		if (len == cap) {
			char *more = NULL;

			if (cap < JSON_TEXT_MAX) {
				cap = cap ? 2 * cap : 16384;
				more = realloc(*text, cap);
			}
			if (!more)
				goto fail;
			*text = more;
		}
		n = read(fd, *text + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			goto fail;
		if (n == 0)
			break;
		len += n;
	}
	close(fd);
	if (json_parse(doc, *text, len) == 0)
		return 0;
	free(*text);
	*text = NULL;
	return -1;
fail:
	close(fd);
	free(*text);
	*text = NULL;
	return -1;
}

/*
 * The boot the container is made in, /proc/sys/kernel/random/boot_id,
 * as a field into @fields: a container id names one container per host,
 * and only while it lives; with the node, the boot tells one life from
 * another after a reboot (README, "A fleet").  Left out if unreadable.
 */
static void boot_id_field(char *fields, size_t size)
{
	char boot_id[64];
	ssize_t n;
	int fd;

	fd = open("/proc/sys/kernel/random/boot_id", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	n = read(fd, boot_id, sizeof(boot_id) - 1);
	close(fd);
	if (n <= 0)
		return;
	boot_id[n] = '\0';
	boot_id[strcspn(boot_id, "\n")] = '\0';
	audit_field_append(fields, size, "boot-id", boot_id);
}

/*
 * The names a new container's mapping record carries, as record fields
 * into @fields: what the bundle's config.json and the engine's own files
 * say (names.c).  Nothing it cannot read stops the container.
 */
static void container_fields(const struct runtime_command *cmd, char *fields, size_t size)
{
	char bundle[PATH_MAX], path[PATH_MAX + 32], *config_text = NULL, *file_text = NULL;
	struct container_names names;
	struct json_doc config, file;
	int have_config;

	fields[0] = '\0';
	if (!realpath(cmd->bundle ? cmd->bundle : ".", bundle))
		snprintf(bundle, sizeof(bundle), "%s", cmd->bundle ? cmd->bundle : ".");
	snprintf(path, sizeof(path), "%s/config.json", bundle);
	have_config = read_json(path, &config, &config_text) == 0;
	names_from_config(have_config ? &config : NULL, bundle, runtime.name, &names);
	if (names_file(have_config ? &config : NULL, bundle, &names, path, sizeof(path)) == 0 &&
	    read_json(path, &file, &file_text) == 0) {
		int found = names_from_file(&file, cmd->oci_id, &names);
		char *base = strrchr(path, '/');

		json_free(&file);
		free(file_text);
		/* podman keeps a --rm container in volatile-containers.json */
		if (!found && strcmp(names.engine, "podman") == 0 && base &&
		    snprintf(base + 1, sizeof(path) - (base + 1 - path),
			     "volatile-containers.json") > 0 &&
		    read_json(path, &file, &file_text) == 0) {
			names_from_file(&file, cmd->oci_id, &names);
			json_free(&file);
			free(file_text);
		}
	}
	if (have_config) {
		json_free(&config);
		free(config_text);
	}
	audit_field_append(fields, size, "engine", names.engine);
	if (names.name[0])
		audit_field_append(fields, size, "container-name", names.name);
	if (names.image[0])
		audit_field_append(fields, size, "image", names.image);
	if (names.pod[0])
		audit_field_append(fields, size, "pod", names.pod);
	if (names.pod_namespace[0])
		audit_field_append(fields, size, "pod-namespace", names.pod_namespace);
	if (names.pod_uid[0])
		audit_field_append(fields, size, "pod-uid", names.pod_uid);
	boot_id_field(fields, size);
}

/*
 * Where the broker listens: AUDIT_CONTID_BROKER; else a user's own
 * broker's socket in XDG_RUNTIME_DIR if there is one (rootless podman
 * gives conmon, and so the runtime, XDG_RUNTIME_DIR but not the rest of
 * its environment); else root's.
 */
static const char *broker_socket(void)
{
	static char user_path[PATH_MAX];
	const char *path = getenv(BROKER_SOCKET_ENV), *run = getenv("XDG_RUNTIME_DIR");
	struct stat st;

	if (path && *path)
		return path;
	if (run && *run &&
	    snprintf(user_path, sizeof(user_path), "%s/audit-contid/broker.sock", run) <
		    (int)sizeof(user_path) &&
	    stat(user_path, &st) == 0 && S_ISSOCK(st.st_mode))
		return user_path;
	return BROKER_SOCKET_DEFAULT;
}

/*
 * Sends @req to the broker and waits for its answer.  Returns 0 and sets
 * @contid, or an errno with @why set to what went wrong and @reason to
 * one word for it.
 */
static int ask_broker(const struct request *req, uint64_t *contid,
		      char *why, size_t why_size, const char **reason)
{
	const char *path = broker_socket();
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	char msg[ENGINE_MSG_MAX + 1];
	int fd, err, len, seconds = broker_timeout();
	struct timeval timeout = { .tv_sec = seconds };
	const char *message;
	ssize_t n;

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
	n = request_exchange(fd, msg, len, sizeof(msg));
	if (n < 0) {
		err = errno ? errno : ECONNRESET;
		snprintf(why, why_size, "the broker at %s did not answer within %d s (%s)",
			 path, seconds, strerror(err));
		close(fd);
		return err;
	}
	close(fd);
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

/*
 * The refusal, also where the engine reads the runtime's errors: the
 * --log file (containerd's shim and conmon read its last line, in the
 * --log-format the engine asked for) as the runtime would have written it.
 */
static void log_refusal(const struct runtime_command *cmd, const char *message)
{
	const char *path = cmd->log;
	char line[ENGINE_MSG_MAX * 2 + 256], stamp[32];
	size_t n = 0;
	time_t now = time(NULL);
	struct tm tm;
	int fd;

	if (!path || !*path)
		return;
	if (strncmp(path, "file:", 5) == 0)	/* crun's own form */
		path += 5;
	else if (strchr(path, ':') && path[0] != '/')
		return;				/* journald:, syslog: */
	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (cmd->log_format && strcmp(cmd->log_format, "json") == 0) {
		n = snprintf(line, sizeof(line), "{\"level\":\"error\",\"msg\":\"");
		for (const unsigned char *c = (const unsigned char *)message;
		     *c && n + 8 < sizeof(line); c++) {
			if (*c == '"' || *c == '\\')
				n += snprintf(line + n, sizeof(line) - n, "\\%c", *c);
			else if (*c < 0x20)
				n += snprintf(line + n, sizeof(line) - n, "\\u%04x", *c);
			else
				line[n++] = *c;
		}
		n += snprintf(line + n, sizeof(line) - n, "\",\"time\":\"%s\"}\n", stamp);
	} else {
		n = snprintf(line, sizeof(line), "time=\"%s\" level=error msg=\"%s\"\n", stamp,
			     message);
	}
	if (n >= sizeof(line))
		n = sizeof(line) - 1;
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0)
		return;
	if (write(fd, line, n) < 0)
		fprintf(stderr, PROG ": cannot write to %s: %s\n", path, strerror(errno));
	close(fd);
}

/* A container that cannot be labelled: refuse, or warn and go on. */
static void unlabelled(char *argv[], const struct runtime_command *cmd,
		       const char *op, const char *reason, const char *why)
{
	if (!warn_only()) {
		char message[ENGINE_MSG_MAX * 2];

		snprintf(message, sizeof(message),
			 "audit-contid-runtime: %s; refusing to %s container %s unlabelled (AUDIT_CONTID_UNLABELLED=warn runs it unlabelled)",
			 why, cmd->command ? cmd->command : "run", cmd->oci_id ? cmd->oci_id : "?");
		fprintf(stderr, "%s\n", message);
		log_refusal(cmd, message);
		exit(1);
	}
	fprintf(stderr, PROG ": warning: %s; container %s runs WITHOUT an audit container id\n",
		why, cmd->oci_id ? cmd->oci_id : "?");
	audit_note(op, oci_id_valid(cmd->oci_id ? cmd->oci_id : "") ? cmd->oci_id : NULL,
		   NULL, reason);
	exec_runtime(argv);
}

/*
 * delete: the broker forgets the container only once the runtime has deleted it,
 * and only the life that it deleted (looked up before), not one made
 * again under its name meanwhile.
 */
static int delete_then_forget(char *argv[], const struct runtime_command *cmd)
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
		exec_runtime(argv);
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
	struct runtime_command cmd;
	struct request req;
	char why[ENGINE_MSG_MAX + 128], fields[AUDIT_NOTE_MAX] = "";
	const char *op, *reason;
	uint64_t contid;

	if (choose_runtime(argv[0], &runtime)) {
		fprintf(stderr, PROG ": cannot tell whose command line %s reads: %s\n",
			getenv("AUDIT_CONTID_RUNTIME"),
			"AUDIT_CONTID_RUNTIME must name a file whose name starts with runc or crun");
		return 1;
	}
	runtime.parse(argc, argv, &cmd);
	if (cmd.command && strcmp(cmd.command, "exec") == 0)
		op = "container-exec";
	else if (cmd.command && strcmp(cmd.command, "restore") == 0)
		op = "container-restore";
	else
		op = "container-create";
	switch (cmd.action) {
	case RUNTIME_PASS:
		exec_runtime(argv);
		break;
	case RUNTIME_FORGET:
		return delete_then_forget(argv, &cmd);
	case RUNTIME_UNPARSED:
		snprintf(why, sizeof(why),
			 "cannot find the container id in this %s command line: %s",
			 cmd.command ? cmd.command : runtime.name, cmd.error);
		unlabelled(argv, &cmd, op, "unreadable-command-line", why);
		break;
	case RUNTIME_NEW:
	case RUNTIME_JOIN:
		break;
	}

	if (!oci_id_valid(cmd.oci_id)) {
		snprintf(why, sizeof(why), "\"%s\" is not a valid container id", cmd.oci_id);
		unlabelled(argv, &cmd, op, "invalid-container-id", why);
	}
	req.verb = cmd.action == RUNTIME_NEW ? REQUEST_NEW : REQUEST_JOIN;
	req.contid = CONTID_UNSET;
	strcpy(req.oci_id, cmd.oci_id);
	if (ask_broker(&req, &contid, why, sizeof(why), &reason))
		unlabelled(argv, &cmd, op, reason, why);
	if (cmd.action == RUNTIME_NEW)
		container_fields(&cmd, fields, sizeof(fields));
	audit_note(op, cmd.oci_id, fields, NULL);
	exec_runtime(argv);
	return 127;
}
