// SPDX-License-Identifier: GPL-2.0
/*
 * LD_PRELOAD shim for tests/guest/t/81-broker.t: strdup() of the text in
 * $FAIL_STRDUP_ONCE fails once with ENOMEM, as when memory runs out; every
 * other call is glibc's.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

char *strdup(const char *s)
{
	static char *(*real)(const char *);
	static int failed;
	const char *victim = getenv("FAIL_STRDUP_ONCE");

	if (!failed && victim && strcmp(s, victim) == 0) {
		failed = 1;
		errno = ENOMEM;
		return NULL;
	}
	if (!real)
		real = (char *(*)(const char *))dlsym(RTLD_NEXT, "strdup");
	return real(s);
}
