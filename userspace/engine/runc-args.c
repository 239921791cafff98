// SPDX-License-Identifier: GPL-2.0
/*
 * runc-args.c - the command and the container id in a runc command line.
 *
 * runc (1.1.5, main.go and {create,run,restore,exec,delete}.go) parses
 * with urfave/cli 1.22.9 (Debian's, command.go and parse.go), which hands
 * each option list to Go's flag package:
 *  - an option is "-name" or "--name", never abbreviated and never
 *    grouped ("-dt" is an option named "dt"); "=value" may follow;
 *  - a boolean takes no value but "=value"; any other option takes
 *    "=value" or the next argument, whatever it looks like;
 *  - "--" ends the options, and so does the first operand;
 *  - an unknown option is an error: runc prints its usage and exits 1.
 * The global options are parsed as they come.  A command's options are
 * first reordered (urfave's reorderArgs, unless the command sets
 * SkipArgReorder, as exec does): every argument that is one of the
 * command's options moves to the front, with the argument after it if
 * that is no option, so "create ID --bundle B" means "create --bundle B
 * ID" and "create --no-pivot ID --bundle B" has three operands (runc
 * refuses it: create takes exactly one).  The tables are runc's, option
 * for option, with urfave's "help, h" on each.
 */
#include <string.h>

#include "engine.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

enum runc_flag_kind { FLAG_BOOL, FLAG_VALUE };

struct runc_flag {
	const char *name;
	const char *alias;	/* urfave's "name, alias", or NULL */
	enum runc_flag_kind kind;
	int stops;		/* --help, --version: runc prints and exits */
};

#define RUNC_HELP { "help", "h", FLAG_BOOL, 1 }

static const struct runc_flag runc_global_flags[] = {
	{ "debug", NULL, FLAG_BOOL },
	{ "log", NULL, FLAG_VALUE },
	{ "log-format", NULL, FLAG_VALUE },
	{ "root", NULL, FLAG_VALUE },
	{ "criu", NULL, FLAG_VALUE },
	{ "systemd-cgroup", NULL, FLAG_BOOL },
	{ "rootless", NULL, FLAG_VALUE },
	RUNC_HELP,
	{ "version", "v", FLAG_BOOL, 1 },
	{ NULL }
};

static const struct runc_flag runc_create_flags[] = {
	{ "bundle", "b", FLAG_VALUE },
	{ "console-socket", NULL, FLAG_VALUE },
	{ "pid-file", NULL, FLAG_VALUE },
	{ "no-pivot", NULL, FLAG_BOOL },
	{ "no-new-keyring", NULL, FLAG_BOOL },
	{ "preserve-fds", NULL, FLAG_VALUE },
	RUNC_HELP,
	{ NULL }
};

static const struct runc_flag runc_run_flags[] = {
	{ "bundle", "b", FLAG_VALUE },
	{ "console-socket", NULL, FLAG_VALUE },
	{ "detach", "d", FLAG_BOOL },
	{ "keep", NULL, FLAG_BOOL },
	{ "pid-file", NULL, FLAG_VALUE },
	{ "no-subreaper", NULL, FLAG_BOOL },
	{ "no-pivot", NULL, FLAG_BOOL },
	{ "no-new-keyring", NULL, FLAG_BOOL },
	{ "preserve-fds", NULL, FLAG_VALUE },
	RUNC_HELP,
	{ NULL }
};

static const struct runc_flag runc_exec_flags[] = {
	{ "console-socket", NULL, FLAG_VALUE },
	{ "cwd", NULL, FLAG_VALUE },
	{ "env", "e", FLAG_VALUE },
	{ "tty", "t", FLAG_BOOL },
	{ "user", "u", FLAG_VALUE },
	{ "additional-gids", "g", FLAG_VALUE },
	{ "process", "p", FLAG_VALUE },
	{ "detach", "d", FLAG_BOOL },
	{ "pid-file", NULL, FLAG_VALUE },
	{ "process-label", NULL, FLAG_VALUE },
	{ "apparmor", NULL, FLAG_VALUE },
	{ "no-new-privs", NULL, FLAG_BOOL },
	{ "cap", "c", FLAG_VALUE },
	{ "preserve-fds", NULL, FLAG_VALUE },
	{ "cgroup", NULL, FLAG_VALUE },
	{ "ignore-paused", NULL, FLAG_BOOL },
	RUNC_HELP,
	{ NULL }
};

static const struct runc_flag runc_restore_flags[] = {
	{ "console-socket", NULL, FLAG_VALUE },
	{ "image-path", NULL, FLAG_VALUE },
	{ "work-path", NULL, FLAG_VALUE },
	{ "tcp-established", NULL, FLAG_BOOL },
	{ "ext-unix-sk", NULL, FLAG_BOOL },
	{ "shell-job", NULL, FLAG_BOOL },
	{ "file-locks", NULL, FLAG_BOOL },
	{ "manage-cgroups-mode", NULL, FLAG_VALUE },
	{ "bundle", "b", FLAG_VALUE },
	{ "detach", "d", FLAG_BOOL },
	{ "pid-file", NULL, FLAG_VALUE },
	{ "no-subreaper", NULL, FLAG_BOOL },
	{ "no-pivot", NULL, FLAG_BOOL },
	{ "empty-ns", NULL, FLAG_VALUE },
	{ "auto-dedup", NULL, FLAG_BOOL },
	{ "lazy-pages", NULL, FLAG_BOOL },
	{ "lsm-profile", NULL, FLAG_VALUE },
	{ "lsm-mount-context", NULL, FLAG_VALUE },
	RUNC_HELP,
	{ NULL }
};

static const struct runc_flag runc_delete_flags[] = {
	{ "force", "f", FLAG_BOOL },
	RUNC_HELP,
	{ NULL }
};

static const struct runc_flag *runc_find(const struct runc_flag *table,
					 const char *name, size_t len)
{
	for (const struct runc_flag *f = table; f->name; f++)
		if ((strlen(f->name) == len && !strncmp(f->name, name, len)) ||
		    (f->alias && strlen(f->alias) == len && !strncmp(f->alias, name, len)))
			return f;
	return NULL;
}

/* urfave's argIsFlag(): is @arg one of @table's options, by its name? */
static int runc_arg_is_flag(const struct runc_flag *table, const char *arg)
{
	size_t len;

	if (arg[0] != '-' || strcmp(arg, "-") == 0 || strcmp(arg, "--") == 0)
		return 0;
	/* strings.Replace(arg, "-", "", 2) on "--x", then the same once. */
	arg += strncmp(arg, "--", 2) == 0 ? 2 : 0;
	arg += arg[0] == '-';
	len = strcspn(arg, "=");
	return !!runc_find(table, arg, len);
}

/* Go's strconv.ParseBool(). */
static int go_bool(const char *text, int *value)
{
	static const char *const yes[] = { "1", "t", "T", "TRUE", "true", "True" };
	static const char *const no[] = { "0", "f", "F", "FALSE", "false", "False" };

	for (size_t k = 0; k < ARRAY_LEN(yes); k++) {
		if (strcmp(text, yes[k]) == 0)
			return *value = 1, 0;
		if (strcmp(text, no[k]) == 0)
			return *value = 0, 0;
	}
	return -1;
}

enum go_parse { GO_OPERANDS, GO_STOPS, GO_ERROR };

/*
 * Go's flag.FlagSet.Parse() of @args[0..@n): leaves *@first at the first
 * operand (after a "--" it consumed), and notes the values the wrapper
 * needs in @cmd.
 */
static enum go_parse go_flag_parse(const struct runc_flag *table,
				   const char *const args[], int n, int *first,
				   struct runtime_command *cmd)
{
	int i = 0, stops = 0;

	while (i < n) {
		const char *arg = args[i], *name, *eq, *given;
		const struct runc_flag *f;
		int minuses = 1, value;
		size_t len;

		if (strlen(arg) < 2 || arg[0] != '-')
			break;
		if (arg[1] == '-') {
			minuses = 2;
			if (arg[2] == '\0') {
				i++;
				break;
			}
		}
		name = arg + minuses;
		if (name[0] == '-' || name[0] == '=')
			return GO_ERROR;	/* "bad flag syntax" */
		i++;
		/* Go looks for '=' from the name's second byte on. */
		eq = strchr(name + 1, '=');
		len = eq ? (size_t)(eq - name) : strlen(name);
		f = runc_find(table, name, len);
		if (!f)
			return GO_ERROR;	/* "flag provided but not defined" */
		if (f->kind == FLAG_BOOL) {
			value = 1;
			if (eq && go_bool(eq + 1, &value))
				return GO_ERROR;
			if (f->stops && value)
				stops = 1;
			continue;
		}
		if (eq) {
			given = eq + 1;
		} else {
			if (i >= n)
				return GO_ERROR;	/* "flag needs an argument" */
			given = args[i++];
		}
		/* Go's flag keeps the last value given. */
		runtime_note_value(cmd, f->name, given);
	}
	*first = i;
	/* urfave prints help or the version only once all options parsed. */
	return stops ? GO_STOPS : GO_OPERANDS;
}

static const struct {
	const char *name;
	enum runtime_action action;
	const struct runc_flag *flags;
	int skip_reorder;	/* urfave's SkipArgReorder */
	int exactly_one;	/* checkArgs(context, 1, exactArgs) */
} runc_labelled_commands[] = {
	{ "create", RUNTIME_NEW, runc_create_flags, 0, 1 },
	{ "run", RUNTIME_NEW, runc_run_flags, 0, 1 },
	{ "restore", RUNTIME_NEW, runc_restore_flags, 0, 1 },
	{ "exec", RUNTIME_JOIN, runc_exec_flags, 1, 0 },
	{ "delete", RUNTIME_FORGET, runc_delete_flags, 0, 1 },
};

/* urfave's reorderArgs(): the command's own options first. */
static void runc_reorder(const struct runc_flag *table, char *const in[], int n,
			 const char *out[])
{
	int k = 0, value_may_follow = 0, rest = 0, i;
	const char *remaining[ENGINE_ARGS_MAX];

	for (i = 0; i < n; i++) {
		if (value_may_follow && !runc_arg_is_flag(table, in[i])) {
			value_may_follow = 0;
			out[k++] = in[i];
		} else if (strcmp(in[i], "--") == 0) {
			/* "--" goes before the other operands, the rest after */
			memmove(remaining + 1, remaining, rest * sizeof(*remaining));
			remaining[0] = "--";
			rest++;
			for (i++; i < n; i++)
				remaining[rest++] = in[i];
			break;
		} else if (runc_arg_is_flag(table, in[i])) {
			out[k++] = in[i];
			value_may_follow = !strchr(in[i], '=');
		} else {
			remaining[rest++] = in[i];
		}
	}
	memcpy(out + k, remaining, rest * sizeof(*remaining));
}

void runc_parse(int argc, char *const argv[], struct runtime_command *cmd)
{
	const char *args[ENGINE_ARGS_MAX];
	const char *const *list;
	int first = 0, n, k;
	enum go_parse parsed;

	*cmd = (struct runtime_command){ .action = RUNTIME_PASS };
	if (argc < 1)
		return;
	parsed = go_flag_parse(runc_global_flags, (const char *const *)argv + 1,
			       argc - 1, &first, cmd);
	if (parsed == GO_ERROR) {
		/* runc refuses it; say so if it meant to make a container */
		for (int i = 1; i < argc; i++)
			for (k = 0; k < (int)ARRAY_LEN(runc_labelled_commands); k++)
				if (runc_labelled_commands[k].action != RUNTIME_FORGET &&
				    strcmp(argv[i], runc_labelled_commands[k].name) == 0) {
					cmd->action = RUNTIME_UNPARSED;
					cmd->error =
						"an unknown global option (runc refuses it too)";
					return;
				}
		return;
	}
	first++;	/* argv has the program's name first */
	if (parsed == GO_STOPS || first >= argc)
		return;
	cmd->command = argv[first++];
	for (k = 0; k < (int)ARRAY_LEN(runc_labelled_commands); k++)
		if (strcmp(cmd->command, runc_labelled_commands[k].name) == 0)
			break;
	if (k == (int)ARRAY_LEN(runc_labelled_commands))
		return;	/* state, start, kill, ...: nothing to label */

	n = argc - first;
	if (!runc_labelled_commands[k].skip_reorder && n > ENGINE_ARGS_MAX) {
		/* create, run, restore and delete take one operand */
		if (runc_labelled_commands[k].action != RUNTIME_FORGET) {
			cmd->action = RUNTIME_UNPARSED;
			cmd->error = "too many arguments";
		}
		return;
	}
	if (runc_labelled_commands[k].skip_reorder) {
		list = (const char *const *)argv + first;
	} else {
		runc_reorder(runc_labelled_commands[k].flags, argv + first, n, args);
		list = args;
	}
	parsed = go_flag_parse(runc_labelled_commands[k].flags, list, n, &first, cmd);
	if (parsed == GO_STOPS)
		return;
	if (parsed == GO_ERROR || first >= n ||
	    (runc_labelled_commands[k].exactly_one && first != n - 1)) {
		/* runc refuses these too; delete deletes nothing */
		if (runc_labelled_commands[k].action == RUNTIME_FORGET)
			return;
		cmd->action = RUNTIME_UNPARSED;
		cmd->error = parsed == GO_ERROR ?
			"an unknown option, or one missing its value (runc refuses it too)" :
			first >= n ? "no container id" :
			"more than one operand (runc takes exactly one container id here)";
		return;
	}
	cmd->action = runc_labelled_commands[k].action;
	cmd->oci_id = list[first];
}
