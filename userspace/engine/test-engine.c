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

/*
 * @parts joined, with ' for " and ` for \" (JSON in JSON), so that a
 * long line or document can be written a piece a line.
 */
static const char *cat(const char *parts[])
{
	static char text[4][1024];
	static int which;
	char *out = text[which++ % 4];
	size_t n = 0;

	for (; *parts; parts++)
		for (const char *c = *parts; *c && n + 2 < sizeof(text[0]); c++) {
			if (*c == '`')
				out[n++] = '\\';
			out[n++] = *c == '\'' || *c == '`' ? '"' : *c;
		}
	out[n] = '\0';
	return out;
}

static const char *const action_names[] = {
	[RUNTIME_PASS] = "pass", [RUNTIME_NEW] = "new", [RUNTIME_JOIN] = "join",
	[RUNTIME_FORGET] = "forget", [RUNTIME_UNPARSED] = "unparsed",
};

/* @line split at spaces into @argv (NULL-terminated); the count. */
static int split_line(char *line, char *argv[])
{
	int argc = 0;

	for (char *tok = strtok(line, " "); tok; tok = strtok(NULL, " "))
		argv[argc++] = tok;
	argv[argc] = NULL;
	return argc;
}

/*
 * "ACTION [ID]" for a command line of @runtime given as one string, split
 * at spaces.
 */
static void check_line(const char *runtime,
		       void (*parse)(int, char *const[], struct runtime_command *),
		       const char *line, const char *want)
{
	char copy[512], got[600], what[1200], *argv[64];
	struct runtime_command cmd;

	snprintf(copy, sizeof(copy), "%s %s", runtime, line);
	parse(split_line(copy, argv), argv, &cmd);
	snprintf(got, sizeof(got), "%s%s%s", action_names[cmd.action],
		 cmd.oci_id && cmd.action != RUNTIME_PASS ? " " : "",
		 cmd.oci_id && cmd.action != RUNTIME_PASS ? cmd.oci_id : "");
	snprintf(what, sizeof(what), "%s %s -> %s", runtime, line, want);
	check(strcmp(got, want) == 0, what);
	if (strcmp(got, want))
		printf("#   got: %s\n", got);
	if (cmd.action == RUNTIME_UNPARSED)
		check(!!cmd.error, "  ... and says why");
}

static void check_crun(const char *line, const char *want)
{
	check_line("crun", crun_parse, line, want);
}

static void check_runc(const char *line, const char *want)
{
	check_line("runc", runc_parse, line, want);
}

/* The bundle @parse finds in @line (as check_line splits it). */
static void check_bundle(void (*parse)(int, char *const[], struct runtime_command *),
			 const char *line, const char *want)
{
	char copy[512], what[700], *argv[64];
	struct runtime_command cmd;

	snprintf(copy, sizeof(copy), "%s", line);
	parse(split_line(copy, argv), argv, &cmd);
	snprintf(what, sizeof(what), "%s: bundle %s", line, want ? want : "(none)");
	check(want ? cmd.bundle && strcmp(cmd.bundle, want) == 0 : !cmd.bundle, what);
}

static void test_bundles(void)
{
	check_bundle(crun_parse, "crun create --bundle /b c1", "/b");
	check_bundle(crun_parse, "crun create --bundle=/b c1", "/b");
	check_bundle(crun_parse, "crun create -b /b c1", "/b");
	check_bundle(crun_parse, "crun run -db/b c1", "/b");
	check_bundle(crun_parse, "crun create --bun /a -b /b c1", "/b");
	check_bundle(crun_parse, "crun create c1", NULL);
	check_bundle(runc_parse, "runc create --bundle /b c1", "/b");
	check_bundle(runc_parse, "runc create -bundle=/b c1", "/b");
	check_bundle(runc_parse, "runc create c1 -b /b", "/b");
	check_bundle(runc_parse, "runc run -b /a --bundle /b c1", "/b");
	check_bundle(runc_parse, "runc create c1", NULL);
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

static void test_runc_parse(void)
{
	/* What containerd's shim (go-runc) sends, with Docker's runtimeArgs. */
	check_runc(cat((const char *[]){
			"--root /run/containerd/runc/moby --log /b/log.json --log-format json",
			" --systemd-cgroup create --bundle /b --pid-file /b/init.pid",
			" --console-socket /s --no-pivot --no-new-keyring c1", NULL }), "new c1");
	check_runc(cat((const char *[]){
			"--root /r --log /l --log-format json exec --process /tmp/p.json",
			" --detach --pid-file /p --console-socket /s c1", NULL }), "join c1");
	check_runc("--root /r --log /l --log-format json delete --force c1", "forget c1");
	check_runc("--root /r delete c1", "forget c1");
	/* runc run, exec, restore by hand. */
	check_runc("run c2", "new c2");
	check_runc("run -d -b /b --keep c2", "new c2");
	check_runc("-root=/r -debug run -bundle=/b c2", "new c2");
	check_runc("run --detach=true --pid-file=/p c2", "new c2");
	check_runc("create --preserve-fds 3 c2", "new c2");
	check_runc("restore --image-path /i --lsm-profile apparmor:x --empty-ns network c3",
		   "new c3");
	check_runc("restore --auto-dedup --lazy-pages -d c3", "new c3");
	check_runc("exec -t c1 sh", "join c1");
	check_runc("exec --tty --user 0:0 -e A=B --cwd / --cap CAP_KILL c1 sh", "join c1");
	check_runc("exec -g 10 --cgroup x --ignore-paused c1 ls", "join c1");
	check_runc("exec -- c1 sh", "join c1");
	/* exec sets SkipArgReorder: options after the id are the command's. */
	check_runc("exec c1 ls --tty -la", "join c1");
	/* The other commands reorder: their own options may follow the id. */
	check_runc("create c1 --bundle /b", "new c1");
	check_runc("create c1 -b /b --pid-file=/p", "new c1");
	check_runc("delete c1 --force", "forget c1");
	check_runc("delete c1 -f", "forget c1");
	/* "--" after an option is its value, else the end of the options. */
	check_runc("create --bundle -- c1", "new c1");
	check_runc("create -- c1", "new c1");
	check_runc("create -- --bundle", "new --bundle");
	/* A boolean takes the next operand into the front: three operands. */
	check_runc("create --no-pivot c1 --bundle /b", "unparsed");
	/* No abbreviations and no grouping: unknown options. */
	check_runc("run --bun /b c2", "unparsed");
	check_runc("run -db /b c2", "unparsed");
	check_runc("exec -ti c1 sh", "unparsed");
	check_runc("--ro /r create c1", "unparsed");
	/* A value option takes the next argument, whatever it looks like. */
	check_runc("create --bundle --no-pivot c1", "new c1");
	check_runc("--root --debug create c1", "new c1");
	check_runc("exec --process -t c1", "join c1");
	/* Lines runc refuses that would make or enter a container. */
	check_runc("--frobnicate create c1", "unparsed");
	check_runc("create --frob c1", "unparsed");
	check_runc("create c1 --frob", "unparsed");
	check_runc("create --root /r c1", "unparsed");	/* a global option */
	check_runc("create c1 c2", "unparsed");
	check_runc("create", "unparsed");
	check_runc("create --bundle", "unparsed");
	check_runc("create ---bundle /b c1", "unparsed");
	check_runc("create --no-pivot=yes c1", "unparsed");
	check_runc("create --no-pivot=false c1", "new c1");
	check_runc("exec", "unparsed");
	check_runc("exec --detach", "unparsed");
	/* Commands that make and enter nothing, and help. */
	check_runc("--frobnicate state c1", "pass");
	check_runc("--frobnicate delete c1", "pass");
	check_runc("delete", "pass");
	check_runc("delete c1 c2", "pass");	/* runc refuses: deletes nothing */
	check_runc("delete --regex c1", "pass");	/* no such option in runc */
	check_runc("checkpoint --image-path /i c1", "pass");
	check_runc("state c1", "pass");
	check_runc("start c1", "pass");
	check_runc("kill c1 TERM", "pass");
	check_runc("features", "pass");
	check_runc("", "pass");
	check_runc("--version", "pass");
	check_runc("-v", "pass");
	check_runc("--help create c1", "pass");
	check_runc("create --help c1", "pass");
	check_runc("create c1 -h", "pass");
	check_runc("create --help=false c1", "new c1");
	check_runc("exec -h c1", "pass");
	check_runc("-", "pass");
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
	check_request("capcontid self", 1, REQUEST_CAPCONTID, "self");
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

/* The string at "a.b.c" (keys) in @text, or "(none)", or "(invalid)". */
static void check_json(const char *text, const char *path, const char *want)
{
	char got[NAME_TEXT_MAX], keys[128], what[600], *key, *save;
	struct json_doc doc;
	int t = 0;

	if (json_parse(&doc, text, strlen(text))) {
		snprintf(got, sizeof(got), "(invalid)");
	} else {
		snprintf(keys, sizeof(keys), "%s", path);
		for (key = strtok_r(keys, ".", &save); key; key = strtok_r(NULL, ".", &save))
			t = json_get(&doc, t, key);
		if (json_string(&doc, t, got, sizeof(got)) < 0)
			snprintf(got, sizeof(got), "(none)");
		json_free(&doc);
	}
	snprintf(what, sizeof(what), "json %s at %s -> %s", text, path, want);
	check(strcmp(got, want) == 0, what);
	if (strcmp(got, want))
		printf("#   got: %s\n", got);
}

static void test_json(void)
{
	check_json("{\"a\":\"x\"}", "a", "x");
	check_json(" { \"n\" : 1 , \"a\" : { \"b\" : [1, {\"c\":\"d\"}, null], \"c\": \"y\" } } ",
		   "a.c", "y");
	check_json("{\"a\":[\"x\"],\"b\":true,\"c\":false,\"d\":-1.5e3,\"e\":\"z\"}", "e", "z");
	check_json("{\"a\":\"\\\"q\\\\ \\/\\t\"}", "a", "\"q\\ /\t");
	check_json("{\"a\":\"\\u00e9\\u20ac\\ud83d\\ude00\"}", "a",
		   "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");
	check_json("{\"a\":\"\\ud800x\"}", "a", "\xef\xbf\xbdx");	/* lone surrogate */
	check_json("{\"a\":\"x\\u0000y\"}", "a", "(none)");	/* no NUL */
	check_json("{\"a\":1}", "a", "(none)");
	check_json("{\"a\":\"x\"}", "b", "(none)");
	check_json("{\"a\":{}}", "a.b", "(none)");
	check_json("[]", "a", "(none)");
	/* Not JSON: refused whole. */
	check_json("{\"a\":\"x\"", "a", "(invalid)");
	check_json("{\"a\":\"x\"}}", "a", "(invalid)");
	check_json("{\"a\":\"x\",}", "a", "(invalid)");
	check_json("{\"a\" \"x\"}", "a", "(invalid)");
	check_json("{\"a\":\"x\ty\"}", "a", "(invalid)");	/* raw control byte */
	check_json("{\"a\":\"\\x\"}", "a", "(invalid)");
	check_json("{\"a\":\"\\u12g4\"}", "a", "(invalid)");
	check_json("{\"a\":tru}", "a", "(invalid)");
	check_json("{\"a\":nul,\"b\":\"x\"}", "b", "(invalid)");
	check_json("{\"a\":@}", "a", "(invalid)");
	check_json("", "a", "(invalid)");
	{
		char deep[2 * JSON_DEPTH_MAX + 8];
		int d;

		for (d = 0; d <= JSON_DEPTH_MAX; d++)
			deep[d] = '[';
		for (; d <= 2 * JSON_DEPTH_MAX + 1; d++)
			deep[d] = ']';
		deep[d] = '\0';
		check_json(deep, "a", "(invalid)");	/* too deep */
		deep[JSON_DEPTH_MAX] = ' ';
		deep[JSON_DEPTH_MAX + 1] = ' ';
		check_json(deep, "a", "(none)");	/* just deep enough */
	}
}

/* The names of a bundle: "engine|name|image|pod|namespace|uid". */
static void check_names(const char *config_text, const char *bundle, const char *file_text,
			const char *want)
{
	struct container_names names;
	struct json_doc config, file;
	char got[1600], path[256], what[2400];
	int have_config = config_text && !json_parse(&config, config_text, strlen(config_text));

	names_from_config(have_config ? &config : NULL, bundle, "runc", &names);
	path[0] = '\0';
	if (names_file(have_config ? &config : NULL, bundle, &names, path, sizeof(path)) == 0 &&
	    file_text && !json_parse(&file, file_text, strlen(file_text))) {
		names_from_file(&file, "c1", &names);
		json_free(&file);
	}
	snprintf(got, sizeof(got), "%s|%s|%s|%s|%s|%s%s%s", names.engine, names.name, names.image,
		 names.pod, names.pod_namespace, names.pod_uid, path[0] ? " @ " : "", path);
	snprintf(what, sizeof(what), "names of %s -> %s", bundle, want);
	check(strcmp(got, want) == 0, what);
	if (strcmp(got, want))
		printf("#   got: %s\n", got);
	if (have_config)
		json_free(&config);
}

static void test_names(void)
{
	char buf[64];

	check_names(cat((const char *[]){
			"{'annotations':{'io.kubernetes.cri.container-type':'container',",
			"'io.kubernetes.cri.container-name':'web',",
			"'io.kubernetes.cri.image-name':'docker.io/library/nginx:1',",
			"'io.kubernetes.cri.sandbox-name':'web-7f',",
			"'io.kubernetes.cri.sandbox-namespace':'shop',",
			"'io.kubernetes.cri.sandbox-uid':'0b1c'}}", NULL }),
		    "/run/containerd/io.containerd.runtime.v2.task/k8s.io/c1", NULL,
		    "containerd|web|docker.io/library/nginx:1|web-7f|shop|0b1c");
	check_names(cat((const char *[]){
			"{'annotations':{'io.kubernetes.pod.name':'p',",
			"'io.kubernetes.pod.namespace':'n','io.kubernetes.pod.uid':'u',",
			"'io.kubernetes.container.name':'c',",
			"'io.kubernetes.cri-o.ImageName':'i'}}", NULL }),
		    "/run/b", NULL, "cri-o|c|i|p|n|u");
	check_names(cat((const char *[]){
			"{'annotations':{'io.container.manager':'libpod',",
			"'io.kubernetes.cri-o.TTY':'false'}}", NULL }),
		    "/var/lib/containers/storage/overlay-containers/c1/userdata",
		    cat((const char *[]){
			"[{'id':'c0','names':['other']},{'id':'c1','names':['web'],",
			"'metadata':'{`image-name`:`localhost/bb:1`,`name`:`web`}'}]", NULL }),
		    cat((const char *[]){
			"podman|web|localhost/bb:1||| @ ",
			"/var/lib/containers/storage/overlay-containers/containers.json", NULL }));
	check_names(cat((const char *[]){
			"{'mounts':[{'destination':'/proc','source':'proc'},",
			"{'destination':'/etc/hostname',",
			"'source':'/var/lib/docker/containers/c1/hostname'}]}", NULL }),
		    "/run/containerd/io.containerd.runtime.v2.task/moby/c1",
		    "{\"Name\":\"/web 1\",\"Config\":{\"Image\":\"bb:1\"}}",
		    "docker|web 1|bb:1||| @ /var/lib/docker/containers/c1/config.v2.json");
	check_names("{\"mounts\":[]}", "/run/containerd/io.containerd.runtime.v2.task/moby/c1",
		    NULL,
		    "docker|||||");
	check_names("{}", "/run/containerd/io.containerd.runtime.v2.task/default/c1", NULL,
		    "containerd|||||");
	check_names("{}", "/tmp/bundle", NULL, "runc|||||");
	check_names(NULL, "/run/containerd/io.containerd.runtime.v2.task/moby/c1", NULL,
		    "docker|||||");
	check_names("{\"annotations\":[]}", "/b", NULL, "runc|||||");

	buf[0] = '\0';
	check(audit_field_append(buf, sizeof(buf), "name", "web") == 0 &&
	      strcmp(buf, " name=\"web\"") == 0, "a plain field is quoted");
	buf[0] = '\0';
	check(audit_field_append(buf, sizeof(buf), "name", "a b\"\xc3\xa9") == 0 &&
	      strcmp(buf, " name=61206222C3A9") == 0, "space, quote, non-ASCII: hex");
	check(audit_field_append(buf, 20, "image", "x") == -1 &&
	      strcmp(buf, " name=61206222C3A9") == 0, "a field that does not fit: none");
}

int main(void)
{
	test_crun_parse();
	test_runc_parse();
	test_bundles();
	test_json();
	test_names();
	test_requests();
	test_replies();
	test_contids();
	printf("1..%d\n# %d passed, %d failed\n", checks, checks - failures, failures);
	return failures != 0;
}
