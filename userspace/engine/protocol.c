// SPDX-License-Identifier: GPL-2.0
/*
 * protocol.c - the broker's requests and replies, and the audit id a
 * container gets from its OCI id.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "engine.h"

static const char *const verb_names[] = {
	[REQUEST_NEW] = "new",
	[REQUEST_JOIN] = "join",
	[REQUEST_FORGET] = "forget",
	[REQUEST_LOOKUP] = "lookup",
	[REQUEST_CAPCONTID] = "capcontid",
};

const char *request_verb_name(enum request_verb verb)
{
	return verb_names[verb];
}

int oci_id_valid(const char *id)
{
	size_t len = strlen(id);

	if (len == 0 || len > OCI_ID_MAX || id[0] == '.')
		return 0;
	for (const char *c = id; *c; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
		      (*c >= '0' && *c <= '9') || strchr("_+-.", *c)))
			return 0;
	return 1;
}

/* A decimal audit id of @len bytes (no sign, no leading zero, not unset). */
static int parse_contid(const char *text, size_t len, uint64_t *contid)
{
	uint64_t value = 0;

	if (len == 0 || len > 20 || (text[0] == '0' && len > 1))
		return -1;
	for (size_t i = 0; i < len; i++) {
		unsigned int digit = text[i] - '0';

		if (digit > 9 || value > (UINT64_MAX - digit) / 10)
			return -1;
		value = value * 10 + digit;
	}
	if (value == CONTID_UNSET)
		return -1;
	*contid = value;
	return 0;
}

int request_parse(const char *msg, size_t len, struct request *req)
{
	const char *space = memchr(msg, ' ', len), *id, *life;
	size_t verb_len, id_len;
	unsigned int v;

	if (!space)
		return -1;
	verb_len = space - msg;
	for (v = 0; v < sizeof(verb_names) / sizeof(verb_names[0]); v++)
		if (strlen(verb_names[v]) == verb_len &&
		    memcmp(msg, verb_names[v], verb_len) == 0)
			break;
	if (v == sizeof(verb_names) / sizeof(verb_names[0]))
		return -1;
	id = space + 1;
	life = memchr(id, ' ', len - (id - msg));
	id_len = (life ? life : msg + len) - id;
	if (id_len > OCI_ID_MAX || memchr(id, '\0', id_len))
		return -1;
	req->verb = v;
	req->contid = CONTID_UNSET;
	if (life && (v != REQUEST_FORGET ||
		     parse_contid(life + 1, len - (life + 1 - msg), &req->contid)))
		return -1;
	memcpy(req->oci_id, id, id_len);
	req->oci_id[id_len] = '\0';
	return oci_id_valid(req->oci_id) ? 0 : -1;
}

int request_format(const struct request *req, char *buf, size_t size)
{
	int n;

	if (req->verb == REQUEST_FORGET && req->contid != CONTID_UNSET)
		n = snprintf(buf, size, "%s %s %llu", request_verb_name(req->verb),
			     req->oci_id, (unsigned long long)req->contid);
	else
		n = snprintf(buf, size, "%s %s", request_verb_name(req->verb), req->oci_id);
	return n < 0 || (size_t)n >= size ? -1 : n;
}

uint64_t contid_step(uint64_t first, unsigned int attempt)
{
	uint64_t id = first + attempt;

	/* Past the unset value (at it, or wrapped beyond it): one more. */
	if (id < first || id == CONTID_UNSET)
		id++;
	return id;
}

uint64_t contid_candidate(const char *oci_id, unsigned int attempt)
{
	uint64_t hash = 0xcbf29ce484222325ULL;	/* FNV-1a, 64 bit */

	for (const unsigned char *c = (const unsigned char *)oci_id; *c; c++)
		hash = (hash ^ *c) * 0x100000001b3ULL;
	return contid_step(hash, attempt);
}

ssize_t request_exchange(int fd, char *msg, size_t len, size_t size)
{
	int resets = 0;
	ssize_t n;

	errno = 0;
	n = send(fd, msg, len, MSG_NOSIGNAL);
	if (n != (ssize_t)len && !(n < 0 && (errno == EPIPE || errno == ECONNRESET)))
		return -1;
	/* A broker that closed with our request unread leaves ECONNRESET,
	 * which the first recv() reports (and clears) before the answer
	 * queued ahead of it.
	 */
	do
		n = recv(fd, msg, size - 1, 0);
	while (n < 0 && (errno == EINTR || (errno == ECONNRESET && !resets++)));
	if (n <= 0)
		return -1;
	msg[n] = '\0';
	return n;
}

int reply_parse(const char *msg, uint64_t *contid, const char **message)
{
	unsigned long long value;
	char *end;
	long err;

	if (strncmp(msg, "ok ", 3) == 0) {
		if (msg[3] < '0' || msg[3] > '9')
			return -1;
		errno = 0;
		value = strtoull(msg + 3, &end, 10);
		if (errno || *end || value == CONTID_UNSET)
			return -1;
		*contid = value;
		return 0;
	}
	if (strncmp(msg, "error ", 6) == 0) {
		if (msg[6] < '1' || msg[6] > '9')
			return -1;
		err = strtol(msg + 6, &end, 10);
		if (err > 4095 || *end != ' ')
			return -1;
		*message = end + 1;
		return (int)err;
	}
	return -1;
}
