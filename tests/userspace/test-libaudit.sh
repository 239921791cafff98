#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# test-libaudit.sh - host checks of libaudit's container id calls in the
# audit userspace (3.0.9 or 4.2.1) built by scripts/build-audit-userspace (patch
# 0007): audit_get_capcontid(), audit_set_capcontid() and
# audit_get_containerid() are exported, declared in libaudit.h and
# documented, and say "not supported" (-2, errno ENOENT) on a kernel
# without audit container ids, such as the host's.
#
# Then the same calls run against a fake /proc: the C helper defines
# open() and access() itself, which takes precedence over libc's for
# libaudit too, and sends /proc/PID/audit_* to files in a directory of
# the test's making.  That checks what the library makes of what a kernel
# with container ids prints and how it writes, without one (no test runs
# these calls against a kernel with container ids yet).
#
# Prints TAP.  Exits non-zero if any check fails.  Needs a C compiler and
# nm, no root.
#
#   tests/userspace/test-libaudit.sh [PREFIX]
#
# PREFIX defaults to $AUDIT_PREFIX, else the prefix of $AUDIT_USERSPACE
# (3.0.9 or 4.2.1; scripts/audit-userspace.sh).
set -euo pipefail

. "$(dirname "${BASH_SOURCE[0]}")/tap.sh"
LIB=$P/lib/libaudit.so

[ -f "$LIB" ] && [ -f "$P/include/libaudit.h" ] ||
	bail "$LIB and $P/include/libaudit.h exist" "run scripts/build-audit-userspace"
CC=${CC:-cc}
command -v "$CC" >/dev/null 2>&1 || bail "a C compiler for the helper" "no $CC"

# 1-3: exported, 4-6: documented -----------------------------------------
syms=$(nm -D --defined-only "$LIB" 2>&1 || true)
for f in audit_get_capcontid audit_set_capcontid audit_get_containerid; do
	if grep -Eq "^[0-9a-f]+ T $f$" <<<"$syms"; then
		ok "libaudit.so exports $f (nm -D)"
	else
		not_ok "libaudit.so exports $f (nm -D)" "$(grep -i contid <<<"$syms")"
	fi
done
for f in audit_get_capcontid audit_set_capcontid audit_get_containerid; do
	if [ -s "$P/share/man/man3/$f.3" ]; then
		ok "man page $f.3 is installed"
	else
		not_ok "man page $f.3 is installed" "no $P/share/man/man3/$f.3"
	fi
done

# ---------------------------------------------------------------------------
# The helper.  Each command prints the call's result, the result as a
# signed number where -1/-2 are meant, and errno's name (0 if none).
cat >"$T/helper.c" <<'EOF'
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <libaudit.h>

/* With FAKE_PROC set, /proc/X/audit_* is $FAKE_PROC/X/audit_*. */
static const char *fake(const char *path, char *buf, size_t size)
{
	const char *dir = getenv("FAKE_PROC");

	if (!dir || strncmp(path, "/proc/", 6) || !strstr(path, "/audit_"))
		return path;
	snprintf(buf, size, "%s/%s", dir, path + 6);
	return buf;
}

int open(const char *path, int flags, ...)
{
	static int (*real)(const char *, int, ...);
	char buf[4096];
	mode_t mode = 0;
	va_list ap;

	if (!real)
		real = (int (*)(const char *, int, ...))dlsym(RTLD_NEXT, "open");
	if (flags & O_CREAT) {
		va_start(ap, flags);
		mode = va_arg(ap, mode_t);
		va_end(ap);
	}
	return real(fake(path, buf, sizeof(buf)), flags, mode);
}

int access(const char *path, int mode)
{
	static int (*real)(const char *, int);
	char buf[4096];

	if (!real)
		real = (int (*)(const char *, int))dlsym(RTLD_NEXT, "access");
	return real(fake(path, buf, sizeof(buf)), mode);
}

static const char *err(int e)
{
	return e ? strerrorname_np(e) : "0";
}

int main(int argc, char **argv)
{
	int e;

	if (argc == 3 && !strcmp(argv[1], "getcap")) {
		pid_t pid = *argv[2] == 's' ? getpid() : atoi(argv[2]);
		uint32_t r;

		errno = 0;
		r = audit_get_capcontid(pid);
		e = errno;
		printf("%" PRIu32 " %" PRId32 " %s\n", r, (int32_t)r, err(e));
		return 0;
	}
	if (argc == 4 && !strcmp(argv[1], "setcap")) {
		pid_t pid = *argv[2] == 's' ? getpid() : atoi(argv[2]);
		int r;

		errno = 0;
		r = audit_set_capcontid(pid, strtoul(argv[3], NULL, 10));
		e = errno;
		printf("%d %s\n", r, err(e));
		return 0;
	}
	if (argc == 2 && !strcmp(argv[1], "getcid")) {
		uint64_t r;

		errno = EBADF;	/* must be cleared on success */
		r = audit_get_containerid();
		e = errno;
		printf("%" PRIu64 " %" PRId64 " %s\n", r, (int64_t)r, err(e));
		return 0;
	}
	fprintf(stderr, "usage: helper getcap PID|self | setcap PID|self VALUE | getcid\n");
	return 2;
}
EOF
# -Werror=implicit-function-declaration: the header must declare them
if ! "$CC" -Wall -Werror=implicit-function-declaration -o "$T/helper" "$T/helper.c" \
	-I"$P/include" -L"$P/lib" -Wl,-rpath,"$P/lib" -laudit -ldl >"$T/cc.out" 2>&1; then
	bail "the helper builds against $P (prototypes in libaudit.h)" "$(cat "$T/cc.out")"
fi
ok "the helper builds against $P (prototypes in libaudit.h)"
H=$T/helper

# 8-11: the host kernel ----------------------------------------------------
if [ -e /proc/self/audit_capcontainerid ]; then
	for d in "audit_get_capcontid(getpid()) is -2, ENOENT" \
		 "audit_set_capcontid(getpid(), 1) is -2, ENOENT" \
		 "audit_set_capcontid(getpid(), 0) is -2, ENOENT" \
		 "audit_get_containerid() is -2, ENOENT"; do
		skip "$d" "this kernel has audit container ids"
	done
else
	is "$("$H" getcap self)" "4294967294 -2 ENOENT" \
		"audit_get_capcontid(getpid()) is -2, ENOENT (no /proc/PID/audit_capcontainerid)"
	is "$("$H" setcap self 1)" "-2 ENOENT" \
		"audit_set_capcontid(getpid(), 1) is -2, ENOENT"
	is "$("$H" setcap self 0)" "-2 ENOENT" \
		"audit_set_capcontid(getpid(), 0) is -2, ENOENT"
	if [ -e /proc/self/audit_containerid ]; then
		skip "audit_get_containerid() is -2, ENOENT" "this kernel has /proc/self/audit_containerid"
	else
		is "$("$H" getcid)" "18446744073709551614 -2 ENOENT" \
			"audit_get_containerid() is -2, ENOENT"
	fi
fi

# 12-25: a fake kernel with container ids -----------------------------------
F=$T/proc
export FAKE_PROC=$F
mkdir -p "$F/self" "$F/4242"
: >"$F/self/audit_capcontainerid"
printf 0 >"$F/4242/audit_capcontainerid"

is "$("$H" getcap 4242)" "0 0 0" "fake kernel: capcontid 0 reads 0"
printf 1 >"$F/4242/audit_capcontainerid"
is "$("$H" getcap 4242)" "1 1 0" "fake kernel: capcontid 1 reads 1"
printf '1\n' >"$F/4242/audit_capcontainerid"
is "$("$H" getcap 4242)" "1 1 0" "fake kernel: a trailing newline is taken"
printf 'x' >"$F/4242/audit_capcontainerid"
is "$("$H" getcap 4242)" "4294967295 -1 EINVAL" "fake kernel: text that is no number is -1, EINVAL"
printf '4294967296' >"$F/4242/audit_capcontainerid"
is "$("$H" getcap 4242)" "4294967295 -1 ERANGE" "fake kernel: a number beyond u32 is -1, ERANGE"
is "$("$H" getcap 4343)" "4294967295 -1 ESRCH" \
	"fake kernel: a pid without a /proc directory is -1, ESRCH (not -2)"

: >"$F/4242/audit_capcontainerid"
is "$("$H" setcap 4242 1)" "0 0" "fake kernel: audit_set_capcontid(pid, 1) returns 0"
is "$(od -An -c "$F/4242/audit_capcontainerid" | tr -s ' ')" " 1" \
	"fake kernel: it writes \"1\", no newline"
is "$("$H" setcap 4343 1)" "-1 ESRCH" "fake kernel: setting on a pid without a /proc directory is -1, ESRCH"
mkdir -p "$F/4444/audit_capcontainerid"
is "$("$H" setcap 4444 1)" "-1 EISDIR" "fake kernel: another error from open() is -1 with its errno"

printf 123456 >"$F/self/audit_containerid"
is "$("$H" getcid)" "123456 123456 0" "fake kernel: audit_get_containerid() reads the id, errno 0"
printf 18446744073709551615 >"$F/self/audit_containerid"
is "$("$H" getcid)" "18446744073709551615 -1 0" "fake kernel: unset reads -1 (AUDIT_CID_UNSET)"
printf 18446744073709551614 >"$F/self/audit_containerid"
is "$("$H" getcid)" "18446744073709551614 -2 0" "fake kernel: the id 2^64-2 reads with errno 0"
printf 18446744073709551616 >"$F/self/audit_containerid"
is "$("$H" getcid)" "18446744073709551614 -2 ERANGE" "fake kernel: a number beyond u64 is -2, ERANGE"

tap_done 25
