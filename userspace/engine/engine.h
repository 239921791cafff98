/* SPDX-License-Identifier: GPL-2.0 */
/*
 * engine.h - what contid-broker and audit-contid-runtime share: the
 * request protocol, how a container's audit id is derived from its OCI id,
 * and where in crun's command line the container id is.
 *
 * Everything declared here is pure (no system calls), so test-engine runs
 * it on the host.
 */
#ifndef AUDIT_CONTID_ENGINE_H
#define AUDIT_CONTID_ENGINE_H

#include <stddef.h>
#include <stdint.h>

/* The unset id: never written, never handed out. */
#define CONTID_UNSET UINT64_MAX

/* Where the broker listens unless AUDIT_CONTID_BROKER says otherwise. */
#define BROKER_SOCKET_DEFAULT "/run/audit-contid/broker.sock"
#define BROKER_SOCKET_ENV "AUDIT_CONTID_BROKER"

/* One request or reply is one SOCK_SEQPACKET message of at most this. */
#define ENGINE_MSG_MAX 1024
/* OCI ids are short ([A-Za-z0-9_+.-], 64 hex for podman); bound them. */
#define OCI_ID_MAX 256

enum request_verb {
	REQUEST_NEW,	/* label the requesting process: a new container */
	REQUEST_JOIN,	/* label it with an existing container's id */
	REQUEST_FORGET,	/* the container was deleted: drop its entry */
	REQUEST_LOOKUP,	/* the audit id of the container's current life */
};

struct request {
	enum request_verb verb;
	char oci_id[OCI_ID_MAX + 1];
	/* forget: the life meant (its audit id), or CONTID_UNSET for any */
	uint64_t contid;
};

/*
 * "new ID", "join ID", "forget ID[ CONTID]", "lookup ID".  Returns 0, or
 * -1 if the text is no request (unknown verb, bad or missing id, a CONTID
 * that is no decimal id, trailing bytes).
 */
int request_parse(const char *msg, size_t len, struct request *req);
/* The message for @req into @buf; its length, or -1 if it does not fit. */
int request_format(const struct request *req, char *buf, size_t size);
const char *request_verb_name(enum request_verb verb);

/*
 * A valid OCI id, as crun accepts them: 1..OCI_ID_MAX bytes of letters,
 * digits, '_', '+', '-' and '.', not starting with '.'.
 */
int oci_id_valid(const char *id);

/*
 * The @attempt'th candidate audit id for container @oci_id: 64-bit FNV-1a
 * of the id, plus @attempt to step past a collision, never CONTID_UNSET.
 * The same OCI id gives the same first candidate on every host.
 */
uint64_t contid_candidate(const char *oci_id, unsigned int attempt);
/* @first stepped @attempt times, skipping CONTID_UNSET (and wrapping). */
uint64_t contid_step(uint64_t first, unsigned int attempt);

/*
 * Replies: "ok CONTID" or "error ERRNO MESSAGE" (ERRNO as a decimal).
 * reply_parse() takes the reply as a string and returns 0 and fills
 * @contid, or the positive errno and points @message into @msg; -1 if the
 * text is no reply.
 */
int reply_parse(const char *msg, uint64_t *contid, const char **message);

/* What the wrapper does with a crun command line. */
enum crun_action {
	CRUN_PASS,	/* no container is made or entered: run crun as is */
	CRUN_NEW,	/* create, run: label a new container */
	CRUN_JOIN,	/* exec: join the container */
	CRUN_FORGET,	/* delete: crun, then forget the container */
	CRUN_UNPARSED,	/* an option we do not know: no safe id */
};

struct crun_command {
	enum crun_action action;
	const char *command;	/* e.g. "create", or NULL */
	const char *oci_id;	/* the container id argument, or NULL */
	const char *error;	/* why CRUN_UNPARSED */
};

/*
 * Finds the command and the container id in crun's argv the way crun's
 * argp parsing does: global options (long, --opt=value or --opt value,
 * unambiguous prefixes), the command, the command's options, then the
 * first operand is the id.  An unknown option, or a missing id, on a
 * command line that makes or enters a container gives CRUN_UNPARSED with
 * @error set.
 */
void crun_parse(int argc, char *const argv[], struct crun_command *cmd);

#endif
