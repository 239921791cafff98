// SPDX-License-Identifier: GPL-2.0
/*
 * test-engine - host unit test of what the broker and the runtime decide
 * without a kernel: where crun's command line names the container, the
 * request and reply texts, and the ids a container name gets.  Prints TAP.
 */
#include <stdio.h>
#include <string.h>

#include "engine.h"

static int checks, failures;

static void check(int ok, const char *what)
{
	checks++;
	if (!ok)
		failures++;
	printf("%sok %d - %s\n", ok ? "" : "not ", checks, what);
}

static const char *const action_names[] = {
	[CRUN_PASS] = "pass", [CRUN_NEW] = "new", [CRUN_JOIN] = "join",
	[CRUN_FORGET] = "forget", [CRUN_UNPARSED] = "unparsed",
};

/* "ACTION [ID]" for a command line given as one string, split at spaces. */
static void check_crun(const char *line, const char *want)
{
	char copy[512], got[600], what[1200], *argv[64];
	struct crun_command cmd;
	int argc = 0;

	snprintf(copy, sizeof(copy), "crun %s", line);
	for (char *tok = strtok(copy, " "); tok; tok = strtok(NULL, " "))
		argv[argc++] = tok;
	argv[argc] = NULL;
	crun_parse(argc, argv, &cmd);
	snprintf(got, sizeof(got), "%s%s%s", action_names[cmd.action],
		 cmd.oci_id && cmd.action != CRUN_PASS ? " " : "",
		 cmd.oci_id && cmd.action != CRUN_PASS ? cmd.oci_id : "");
	snprintf(what, sizeof(what), "crun %s -> %s", line, want);
	check(strcmp(got, want) == 0, what);
	if (strcmp(got, want))
		printf("#   got: %s\n", got);
	if (cmd.action == CRUN_UNPARSED)
		check(!!cmd.error, "  ... and says why");
}

static void test_crun_parse(void)
{
	/* What the engines send. */
	check_crun("create c1", "new c1");
	/* podman's: crun's global options, then create's. */
	check_crun("--root /run/crun --log /l --log-format json --systemd-cgroup create -b /b c1",
		   "new c1");
	check_crun("create --bundle /b --pid-file /p --console-socket /s --no-pivot c1", "new c1");
	check_crun("--cgroup-manager disabled run c2", "new c2");
	check_crun("--root=/r run -d -b /b c3", "new c3");
	check_crun("run -db/b c4", "new c4");
	check_crun("run --bun /b --no-piv c5", "new c5");
	check_crun("--debug create --console-socket /s --preserve-fds 2 --no-new-keyring c6",
		   "new c6");
	check_crun("exec --pid-file /p --process /f --detach c1", "join c1");
	check_crun("exec -t c1 sh", "join c1");
	check_crun("exec --tty c1 sh -c true", "join c1");
	check_crun("exec -e A=B -u 0 --cwd / -c CAP_KILL c1 sh", "join c1");
	check_crun("exec --env=A=B c1 -e x", "join c1");
	check_crun("exec -- c1 sh", "join c1");
	check_crun("exec -ti c1 sh", "join c1");	/* -t takes "i" */
	/* restore starts the container's processes again (CRIU, below crun). */
	check_crun("restore c1", "new c1");
	check_crun("--root /r restore --image-path /i --work-path /w -b /b --file-locks c1",
		   "new c1");
	check_crun("restore --tcp-established --ext-unix-sk --shell-job -d c1", "new c1");
	check_crun("restore --manage-cgroups-mode soft --pid-file /p --console-socket /s c1",
		   "new c1");
	check_crun("restore --image-path=/i -db/b c1", "new c1");
	check_crun("restore --lsm-profile x c1", "unparsed");	/* not in crun 1.8.1 */
	check_crun("restore", "unparsed");
	check_crun("restore --help", "pass");
	/* checkpoint starts no process in the container (CRIU runs below crun). */
	check_crun("checkpoint --image-path /i c1", "pass");
	check_crun("delete c1", "forget c1");
	check_crun("delete -f c1", "forget c1");
	check_crun("--root /r delete --force c1", "forget c1");
	/* Commands that make and enter nothing. */
	check_crun("delete -r c.*", "pass");
	check_crun("delete -fr c.*", "pass");
	check_crun("delete --regex c.*", "pass");
	check_crun("delete", "pass");
	check_crun("state c1", "pass");
	check_crun("start c1", "pass");
	check_crun("kill c1 TERM", "pass");
	check_crun("list", "pass");
	check_crun("", "pass");
	check_crun("--version", "pass");
	check_crun("-v", "pass");
	check_crun("create --help", "pass");
	check_crun("exec -? c1", "pass");
	check_crun("spec --rootless", "pass");
	/* Lines whose container id cannot be known. */
	check_crun("--ro /x create c1", "new c1");	/* root and rootless: one key */
	check_crun("--root= create c1", "new c1");
	check_crun("--log-f json --l /l create c1", "unparsed");	/* log, log-format */
	check_crun("--frobnicate create c1", "unparsed");
	check_crun("--frobnicate state c1", "pass");
	check_crun("--frobnicate x delete c1", "pass");
	check_crun("create --frob c1", "unparsed");
	check_crun("create -x c1", "unparsed");
	check_crun("create --bundle", "unparsed");
	check_crun("create -b", "unparsed");
	check_crun("create", "unparsed");
	check_crun("create --no-new-keyring=1 c1", "unparsed");
	check_crun("exec --detach", "unparsed");
	check_crun("--root", "pass");			/* crun says the value is missing */
}

static void check_request(const char *text, int want_ok, enum request_verb verb,
			  const char *id)
{
	struct request req;
	char what[600];
	int ret = request_parse(text, strlen(text), &req);

	snprintf(what, sizeof(what), "request \"%s\" %s", text, want_ok ? "parses" : "is refused");
	check(want_ok ? ret == 0 && req.verb == verb && strcmp(req.oci_id, id) == 0 : ret == -1,
	      what);
}

static void test_requests(void)
{
	char long_id[OCI_ID_MAX + 2], text[ENGINE_MSG_MAX];
	struct request req = { REQUEST_JOIN, "abc.1_2+3-4", CONTID_UNSET }, back;
	int len;

	check_request("new c1", 1, REQUEST_NEW, "c1");
	check_request("join 4f2a", 1, REQUEST_JOIN, "4f2a");
	check_request("forget my-ctr.1", 1, REQUEST_FORGET, "my-ctr.1");
	check_request("lookup c1", 1, REQUEST_LOOKUP, "c1");
	/* forget may name the life it means. */
	check_request("forget c1 42", 1, REQUEST_FORGET, "c1");
	check(request_parse("forget c1 18446744073709551614", 30, &back) == 0 &&
	      back.contid == 18446744073709551614ULL, "forget's life is read back");
	check(request_parse("forget c1", 9, &back) == 0 && back.contid == CONTID_UNSET,
	      "forget without a life means any");
	check_request("forget c1 18446744073709551615", 0, 0, NULL);	/* unset */
	check_request("forget c1 18446744073709551616", 0, 0, NULL);	/* too big */
	check_request("forget c1 042", 0, 0, NULL);
	check_request("forget c1 -1", 0, 0, NULL);
	check_request("forget c1 ", 0, 0, NULL);
	check_request("forget c1 42 x", 0, 0, NULL);
	check_request("join c1 42", 0, 0, NULL);
	check_request("lookup c1 42", 0, 0, NULL);
	check_request("new", 0, 0, NULL);
	check_request("new ", 0, 0, NULL);
	check_request("drop c1", 0, 0, NULL);
	check_request("new a b", 0, 0, NULL);
	check_request("new .hidden", 0, 0, NULL);
	check_request("new ../x", 0, 0, NULL);
	check_request("new a\tb", 0, 0, NULL);
	check_request("NEW c1", 0, 0, NULL);
	check(request_parse("new a\0b", 7, &back) == -1, "request with a NUL is refused");

	memset(long_id, 'x', sizeof(long_id) - 1);
	long_id[OCI_ID_MAX] = '\0';
	check(oci_id_valid(long_id), "an id of OCI_ID_MAX bytes is valid");
	long_id[OCI_ID_MAX] = 'x';
	long_id[OCI_ID_MAX + 1] = '\0';
	check(!oci_id_valid(long_id), "an id of OCI_ID_MAX + 1 bytes is not");
	snprintf(text, sizeof(text), "new %s", long_id);
	check(request_parse(text, strlen(text), &back) == -1, "nor is a request with it");

	len = request_format(&req, text, sizeof(text));
	check(len == (int)strlen("join abc.1_2+3-4") && strcmp(text, "join abc.1_2+3-4") == 0,
	      "request_format writes \"VERB ID\"");
	check(request_parse(text, len, &back) == 0 && back.verb == req.verb &&
	      strcmp(back.oci_id, req.oci_id) == 0, "and request_parse reads it back");
	check(request_format(&req, text, 8) == -1, "request_format says when it does not fit");
	req = (struct request){ REQUEST_FORGET, "c1", 7 };
	len = request_format(&req, text, sizeof(text));
	check(len > 0 && strcmp(text, "forget c1 7") == 0,
	      "a forget names its life: \"forget ID CONTID\"");
}

static void check_reply(const char *text, int want, uint64_t want_contid, const char *want_message)
{
	const char *message = NULL;
	uint64_t contid = 0;
	char what[300];
	int ret = reply_parse(text, &contid, &message);

	snprintf(what, sizeof(what), "reply \"%s\" -> %d", text, want);
	check(ret == want && (want != 0 || contid == want_contid) &&
	      (want <= 0 || strcmp(message, want_message) == 0), what);
}

static void test_replies(void)
{
	check_reply("ok 42", 0, 42, NULL);
	check_reply("ok 18446744073709551614", 0, 18446744073709551614ULL, NULL);
	check_reply("ok 18446744073709551615", -1, 0, NULL);	/* unset */
	check_reply("ok 18446744073709551616", -1, 0, NULL);
	check_reply("ok -1", -1, 0, NULL);
	check_reply("ok 12x", -1, 0, NULL);
	check_reply("ok ", -1, 0, NULL);
	check_reply("error 2 container c1 is not known", 2, 0, "container c1 is not known");
	check_reply("error 18 pid 7 is not below the broker", 18, 0,
		    "pid 7 is not below the broker");
	check_reply("error 0 x", -1, 0, NULL);
	check_reply("error -2 x", -1, 0, NULL);
	check_reply("error 2", -1, 0, NULL);
	check_reply("error x", -1, 0, NULL);
	check_reply("error 99999 x", -1, 0, NULL);
	check_reply("bogus", -1, 0, NULL);
}

static void test_contids(void)
{
	/* FNV-1a 64 test vectors (Fowler, Noll, Vo). */
	check(contid_candidate("a", 0) == 0xaf63dc4c8601ec8cULL,
	      "the first id of \"a\" is its FNV-1a");
	check(contid_candidate("foobar", 0) == 0x85944171f73967e8ULL,
	      "the first id of \"foobar\" is its FNV-1a");
	check(contid_candidate("a", 3) == 0xaf63dc4c8601ec8fULL, "later candidates step by one");
	check(contid_candidate("c1", 0) != contid_candidate("c2", 0), "c1 and c2 differ");
	check(contid_step(5, 0) == 5 && contid_step(5, 3) == 8, "contid_step adds");
	check(contid_step(CONTID_UNSET - 1, 0) == CONTID_UNSET - 1,
	      "the last id before unset is one");
	check(contid_step(CONTID_UNSET - 1, 1) == 0, "unset is skipped ...");
	check(contid_step(CONTID_UNSET - 1, 2) == 1,
	      "... and the steps after it wrap without a repeat");
	check(contid_step(CONTID_UNSET, 0) == 0 && contid_step(CONTID_UNSET, 1) == 1,
	      "a hash equal to unset starts at 0");
}

int main(void)
{
	test_crun_parse();
	test_requests();
	test_replies();
	test_contids();
	printf("1..%d\n# %d passed, %d failed\n", checks, checks - failures, failures);
	return failures != 0;
}
