// SPDX-License-Identifier: GPL-2.0
/*
 * crun-args.c - the command and the container id in a crun command line.
 *
 * crun (1.8.1, src/crun.c and src/{create,run,restore,exec,delete}.c)
 * parses its global options with argp in order and stops at the first
 * operand, the command; the command parses its own options the same way
 * and stops at the first operand, the container id.  argp hands the rest
 * to getopt, so long options take "--opt=value" or "--opt value", may be
 * abbreviated to an unambiguous prefix, and short options may be grouped
 * ("-dt").  The tables below are crun's, option for option: an option
 * that is not in them may or may not take a value, so the id after it
 * cannot be known.
 */
#include <string.h>

#include "engine.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

enum arg_kind { ARG_NONE, ARG_REQUIRED, ARG_OPTIONAL };

struct option_spec {
	const char *name;	/* long name, or NULL */
	char short_name;	/* or 0 */
	enum arg_kind arg;
	int stops;		/* --help, --version: crun prints and exits */
	int names_many;		/* delete --regex: the id is a pattern */
	int same_as;		/* an alias: the same option as this other one */
};

/* argp adds these to every parser (the table's last entries). */
#define ARGP_STANDARD_OPTION(name, short_name, arg, stops) { name, short_name, arg, stops }
#define ARGP_HELP ARGP_STANDARD_OPTION("help", '?', ARG_NONE, 1)
#define ARGP_USAGE ARGP_STANDARD_OPTION("usage", 0, ARG_NONE, 1)
#define ARGP_PROGRAM_NAME ARGP_STANDARD_OPTION("program-name", 0, ARG_REQUIRED, 0)
#define ARGP_HANG ARGP_STANDARD_OPTION("HANG", 0, ARG_OPTIONAL, 0)

static const struct option_spec global_options[] = {
	{ "debug", 0, ARG_NONE, 0 },
	{ "cgroup-manager", 0, ARG_REQUIRED, 0 },
	{ "systemd-cgroup", 0, ARG_NONE, 0 },
	{ "log", 0, ARG_REQUIRED, 0 },
	{ "log-format", 0, ARG_REQUIRED, 0 },
	{ "root", 0, ARG_REQUIRED, 0, 0, 'R' },
	/* crun gives it root's key, so "--ro" is not ambiguous. */
	{ "rootless", 0, ARG_REQUIRED, 0, 0, 'R' },
	{ "version", 'v', ARG_NONE, 1 },
	{ NULL, 'V', ARG_NONE, 1 },
	ARGP_HELP, ARGP_USAGE, ARGP_PROGRAM_NAME, ARGP_HANG,
	{ NULL }
};

/* create and run share crun's options but for run's --detach. */
static const struct option_spec create_options[] = {
	{ "bundle", 'b', ARG_REQUIRED, 0 },
	{ "config", 'f', ARG_REQUIRED, 0 },
	{ "console-socket", 0, ARG_REQUIRED, 0 },
	{ "preserve-fds", 0, ARG_REQUIRED, 0 },
	{ "no-pivot", 0, ARG_NONE, 0 },
	{ "pid-file", 0, ARG_REQUIRED, 0 },
	{ "no-subreaper", 0, ARG_NONE, 0 },
	{ "no-new-keyring", 0, ARG_NONE, 0 },
	ARGP_HELP, ARGP_USAGE, ARGP_PROGRAM_NAME, ARGP_HANG,
	{ NULL }
};

static const struct option_spec run_options[] = {
	{ "bundle", 'b', ARG_REQUIRED, 0 },
	{ "config", 'f', ARG_REQUIRED, 0 },
	{ "detach", 'd', ARG_NONE, 0 },
	{ "console-socket", 0, ARG_REQUIRED, 0 },
	{ "preserve-fds", 0, ARG_REQUIRED, 0 },
	{ "pid-file", 0, ARG_REQUIRED, 0 },
	{ "no-subreaper", 0, ARG_NONE, 0 },
	{ "no-new-keyring", 0, ARG_NONE, 0 },
	{ "no-pivot", 0, ARG_NONE, 0 },
	ARGP_HELP, ARGP_USAGE, ARGP_PROGRAM_NAME, ARGP_HANG,
	{ NULL }
};

static const struct option_spec exec_options[] = {
	{ "console-socket", 0, ARG_REQUIRED, 0 },
	{ "tty", 't', ARG_OPTIONAL, 0 },
	{ "process", 'p', ARG_REQUIRED, 0 },
	{ "cwd", 0, ARG_REQUIRED, 0 },
	{ "cgroup", 0, ARG_REQUIRED, 0 },
	{ "detach", 'd', ARG_NONE, 0 },
	{ "user", 'u', ARG_REQUIRED, 0 },
	{ "env", 'e', ARG_REQUIRED, 0 },
	{ "cap", 'c', ARG_REQUIRED, 0 },
	{ "pid-file", 0, ARG_REQUIRED, 0 },
	{ "preserve-fds", 0, ARG_REQUIRED, 0 },
	{ "no-new-privs", 0, ARG_NONE, 0 },
	{ "process-label", 0, ARG_REQUIRED, 0 },
	{ "apparmor", 0, ARG_REQUIRED, 0 },
	ARGP_HELP, ARGP_USAGE, ARGP_PROGRAM_NAME, ARGP_HANG,
	{ NULL }
};

/* restore (src/restore.c): CRIU recreates the container's processes. */
static const struct option_spec restore_options[] = {
	{ "bundle", 'b', ARG_REQUIRED, 0 },
	{ "image-path", 0, ARG_REQUIRED, 0 },
	{ "work-path", 0, ARG_REQUIRED, 0 },
	{ "tcp-established", 0, ARG_NONE, 0 },
	{ "ext-unix-sk", 0, ARG_NONE, 0 },
	{ "shell-job", 0, ARG_NONE, 0 },
	{ "detach", 'd', ARG_NONE, 0 },
	{ "pid-file", 0, ARG_REQUIRED, 0 },
	{ "console-socket", 0, ARG_REQUIRED, 0 },
	{ "file-locks", 0, ARG_NONE, 0 },
	{ "manage-cgroups-mode", 0, ARG_REQUIRED, 0 },
	ARGP_HELP, ARGP_USAGE, ARGP_PROGRAM_NAME, ARGP_HANG,
	{ NULL }
};

static const struct option_spec delete_options[] = {
	{ "force", 'f', ARG_NONE, 0 },
	{ "regex", 'r', ARG_NONE, 0, 1 },
	ARGP_HELP, ARGP_USAGE, ARGP_PROGRAM_NAME, ARGP_HANG,
	{ NULL }
};

/*
 * getopt_long's matching: an exact name, else a prefix of names that all
 * are the same option (getopt refuses any other ambiguous prefix).
 */
static const struct option_spec *find_long(const struct option_spec *table,
					   const char *name, size_t len)
{
	const struct option_spec *found = NULL, *o;

	for (o = table; o->name || o->short_name; o++)
		if (o->name && strlen(o->name) == len && !strncmp(o->name, name, len))
			return o;
	for (o = table; o->name || o->short_name; o++) {
		if (!o->name || strncmp(o->name, name, len))
			continue;
		if (found && !(found->same_as && found->same_as == o->same_as))
			return NULL;
		found = o;
	}
	return found;
}

static const struct option_spec *find_short(const struct option_spec *table,
					    char c)
{
	const struct option_spec *o;

	for (o = table; o->name || o->short_name; o++)
		if (o->short_name == c)
			return o;
	return NULL;
}

void runtime_note_value(struct runtime_command *cmd, const char *name, const char *value)
{
	if (strcmp(name, "bundle") == 0)
		cmd->bundle = value;
	else if (strcmp(name, "log") == 0)
		cmd->log = value;
	else if (strcmp(name, "log-format") == 0)
		cmd->log_format = value;
}

enum scan_result { SCAN_OPERAND, SCAN_NO_OPERAND, SCAN_STOPS, SCAN_UNKNOWN };

/* The values the wrapper needs; the last one given wins, as in crun. */
static void note_value(const struct option_spec *o, const char *value,
		       struct runtime_command *cmd)
{
	if (o->name)
		runtime_note_value(cmd, o->name, value);
}

/*
 * Skips the options of @table from argv[*i] on, as argp with
 * ARGP_IN_ORDER does, and leaves *i at the first operand.  Sets
 * *@names_many if an option says the operand is a pattern, and notes
 * the values of --bundle, --log and --log-format in @cmd.
 */
static enum scan_result skip_options(const struct option_spec *table,
				     int argc, char *const argv[], int *i,
				     int *names_many, struct runtime_command *cmd)
{
	while (*i < argc) {
		const char *arg = argv[*i];
		const struct option_spec *o;

		if (strcmp(arg, "--") == 0) {
			(*i)++;
			return *i < argc ? SCAN_OPERAND : SCAN_NO_OPERAND;
		}
		if (arg[0] != '-' || arg[1] == '\0')
			return SCAN_OPERAND;
		if (arg[1] == '-') {
			const char *name = arg + 2, *eq = strchr(name, '=');
			size_t len = eq ? (size_t)(eq - name) : strlen(name);

			o = find_long(table, name, len);
			if (!o || (eq && o->arg == ARG_NONE))
				return SCAN_UNKNOWN;
			if (o->stops)
				return SCAN_STOPS;
			*names_many |= o->names_many;
			(*i)++;
			if (eq)
				note_value(o, eq + 1, cmd);
			if (o->arg == ARG_REQUIRED && !eq) {
				if (*i >= argc)
					return SCAN_UNKNOWN;
				note_value(o, argv[*i], cmd);
				(*i)++;
			}
			continue;
		}
		/* A group of short options: "-d", "-dt", "-bDIR", "-b DIR". */
		(*i)++;
		for (const char *c = arg + 1; *c; c++) {
			o = find_short(table, *c);
			if (!o)
				return SCAN_UNKNOWN;
			if (o->stops)
				return SCAN_STOPS;
			*names_many |= o->names_many;
			if (o->arg == ARG_NONE)
				continue;
			if (c[1] == '\0' && o->arg == ARG_REQUIRED) {
				if (*i >= argc)
					return SCAN_UNKNOWN;
				note_value(o, argv[*i], cmd);
				(*i)++;
			} else if (c[1] != '\0') {
				note_value(o, c + 1, cmd);
			}
			break;	/* the rest of the group is the value */
		}
	}
	return SCAN_NO_OPERAND;
}

static const struct {
	const char *name;
	enum runtime_action action;
	const struct option_spec *options;
} labelled_commands[] = {
	{ "create", RUNTIME_NEW, create_options },
	{ "run", RUNTIME_NEW, run_options },
	{ "restore", RUNTIME_NEW, restore_options },
	{ "exec", RUNTIME_JOIN, exec_options },
	{ "delete", RUNTIME_FORGET, delete_options },
};

void crun_parse(int argc, char *const argv[], struct runtime_command *cmd)
{
	int i = 1, names_many = 0;
	size_t k;

	*cmd = (struct runtime_command){ .action = RUNTIME_PASS };
	switch (skip_options(global_options, argc, argv, &i, &names_many, cmd)) {
	case SCAN_OPERAND:
		break;
	case SCAN_UNKNOWN:
		/* Its value, if any, is unknown: refuse only if a command
		 * that makes or enters a container could follow.
		 */
		for (; i < argc; i++)
			for (k = 0; k < ARRAY_LEN(labelled_commands); k++)
				if (labelled_commands[k].action != RUNTIME_FORGET &&
				    strcmp(argv[i], labelled_commands[k].name) == 0) {
					cmd->action = RUNTIME_UNPARSED;
					cmd->error = "an unknown global option";
					return;
				}
		return;
	default:	/* no command, or --help/--version: crun answers */
		return;
	}
	cmd->command = argv[i++];
	for (k = 0; k < ARRAY_LEN(labelled_commands); k++)
		if (strcmp(cmd->command, labelled_commands[k].name) == 0)
			break;
	if (k == ARRAY_LEN(labelled_commands))
		return;	/* state, start, kill, ...: nothing to label */

	switch (skip_options(labelled_commands[k].options, argc, argv, &i,
			     &names_many, cmd)) {
	case SCAN_OPERAND:
		cmd->action = labelled_commands[k].action;
		cmd->oci_id = argv[i];
		break;
	case SCAN_STOPS:	/* --help: crun prints it and makes nothing */
		return;
	case SCAN_NO_OPERAND:
		/* crun refuses it too; delete makes nothing either way */
		if (labelled_commands[k].action == RUNTIME_FORGET)
			return;
		cmd->action = RUNTIME_UNPARSED;
		cmd->error = "no container id";
		return;
	case SCAN_UNKNOWN:
		if (labelled_commands[k].action == RUNTIME_FORGET)
			return;
		cmd->action = RUNTIME_UNPARSED;
		cmd->error = "an unknown option, or one missing its value";
		return;
	}
	/* delete --regex names many containers: their entries stay. */
	if (names_many) {
		cmd->action = RUNTIME_PASS;
		cmd->oci_id = NULL;
	}
}
