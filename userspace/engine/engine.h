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
#include <sys/types.h>

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
	REQUEST_CAPCONTID,	/* "capcontid self": a user's broker asks for capcontid */
};

struct request {
	enum request_verb verb;
	char oci_id[OCI_ID_MAX + 1];
	/* forget: the life meant (its audit id), or CONTID_UNSET for any */
	uint64_t contid;
};

/*
 * "new ID", "join ID", "forget ID[ CONTID]", "lookup ID", "capcontid self".
 * Returns 0, or
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

/*
 * request_exchange() sends the @len bytes of the request in @msg on the
 * connected socket @fd and reads the reply into @msg (@size bytes, NUL
 * added).  Returns the reply's length, or -1 with errno set (possibly 0
 * if the broker closed without a word).  A broker may refuse from SO_PEERCRED
 * alone and close before the request arrives, or with it unread: its
 * answer is read even when the send fails with EPIPE or the first recv()
 * with ECONNRESET.
 */
ssize_t request_exchange(int fd, char *msg, size_t len, size_t size);

/* What the wrapper does with a crun or runc command line. */
enum runtime_action {
	RUNTIME_PASS,	/* no container is made or entered: run it as is */
	RUNTIME_NEW,	/* create, run: label a new container */
	RUNTIME_JOIN,	/* exec: join the container */
	RUNTIME_FORGET,	/* delete: the runtime, then forget the container */
	RUNTIME_UNPARSED,	/* an option we do not know: no safe id */
};

struct runtime_command {
	enum runtime_action action;
	const char *command;	/* e.g. "create", or NULL */
	const char *oci_id;	/* the container id argument, or NULL */
	const char *bundle;	/* --bundle's value, or NULL (the cwd) */
	const char *log;	/* the global --log, where engines read errors */
	const char *log_format;	/* the global --log-format ("json", "text") */
	const char *error;	/* why RUNTIME_UNPARSED */
};

/*
 * Finds the command and the container id in crun's argv the way crun's
 * argp parsing does: global options (long, --opt=value or --opt value,
 * unambiguous prefixes), the command, the command's options, then the
 * first operand is the id.  An unknown option, or a missing id, on a
 * command line that makes or enters a container gives RUNTIME_UNPARSED with
 * @error set.
 */
void crun_parse(int argc, char *const argv[], struct runtime_command *cmd);
/* Notes option @name's @value in @cmd if it is one the wrapper needs. */
void runtime_note_value(struct runtime_command *cmd, const char *name, const char *value);

/* The most arguments runc_parse() reorders (create, run, restore, delete). */
#define ENGINE_ARGS_MAX 4096

/*
 * The same for runc's command line, the way runc 1.1.5 (urfave/cli 1.22
 * over Go's flag package) parses it: no abbreviations or grouped short
 * options, and a command's options may follow its operand (but exec's).
 */
void runc_parse(int argc, char *const argv[], struct runtime_command *cmd);

/*
 * JSON, tokenized as jsmn does: each value one token, an object's keys
 * and values (or an array's values) in order after it, @next the index
 * after a value and all it holds.  Strings keep their escapes until
 * json_string() decodes them.
 */
#define JSON_DEPTH_MAX 64
#define JSON_TEXT_MAX (4 << 20)

enum json_type { JSON_OBJECT, JSON_ARRAY, JSON_STRING, JSON_PRIMITIVE };

struct json_token {
	enum json_type type;
	int start, end;		/* a string's: inside its quotes */
	int size;		/* members or elements */
	int next;
};

struct json_doc {
	const char *text;	/* not owned: must outlive the doc */
	struct json_token *tokens;
	int count;
};

/* 0, or -1 if @text is no strict JSON (or too deep, too big, no memory). */
int json_parse(struct json_doc *doc, const char *text, size_t len);
void json_free(struct json_doc *doc);
/* The token of @object's member @key (token 0 is the document), or -1. */
int json_get(const struct json_doc *doc, int object, const char *key);
/*
 * The string at @token decoded into @out (UTF-8, NUL-terminated); its
 * length, or -1 if it is no string, holds a NUL or does not fit.
 */
int json_string(const struct json_doc *doc, int token, char *out, size_t size);

/*
 * What the engine says about a container, for the mapping record: each
 * field empty if nobody said.
 */
#define NAME_TEXT_MAX 256

struct container_names {
	char engine[16];
	char name[NAME_TEXT_MAX];
	char image[NAME_TEXT_MAX];
	char pod[NAME_TEXT_MAX];
	char pod_namespace[NAME_TEXT_MAX];
	char pod_uid[NAME_TEXT_MAX];
};

/*
 * The engine and the names in a bundle's config.json (@config, may be
 * NULL) at @bundle (an absolute path), run by @runtime ("crun", "runc"):
 * Kubernetes' CRI annotations (containerd's io.kubernetes.cri.*, CRI-O's
 * io.kubernetes.pod.*), podman's io.container.manager, containerd's
 * bundle directory (namespace "moby" is Docker's).
 */
void names_from_config(const struct json_doc *config, const char *bundle,
		       const char *runtime, struct container_names *names);
/*
 * Where more names are: for podman, containers/storage's containers.json
 * (two directories above the bundle); for Docker, config.v2.json beside
 * the /etc/hostname the container mounts.  Writes the path to @path;
 * 0, or -1 if there is none.
 */
int names_file(const struct json_doc *config, const char *bundle,
	       const struct container_names *names, char *path, size_t size);
/*
 * The names in that file: podman's name and image, Docker's.  1 if it
 * has the container, else 0 (podman keeps a --rm container's in
 * volatile-containers.json beside it).
 */
int names_from_file(const struct json_doc *file, const char *oci_id,
		    struct container_names *names);

/*
 * " NAME=VALUE" appended to @buf (of @size, holding a string): VALUE
 * quoted if it is printable ASCII with no space or quote, else in hex as
 * the kernel logs untrusted text (auparse decodes it).  0, or -1 if it
 * does not fit (@buf unchanged).
 */
int audit_field_append(char *buf, size_t size, const char *name, const char *value);

#endif
