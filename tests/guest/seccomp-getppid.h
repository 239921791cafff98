/* SPDX-License-Identifier: GPL-2.0 */
/*
 * seccomp-getppid.h - the seccomp filter of the tests and the bench that
 * need a record outside a syscall event (SECCOMP): getppid() gets
 * @action, every other syscall is allowed.  Returns 0, or -1 with errno.
 */
#ifndef CONTID_SECCOMP_GETPPID_H
#define CONTID_SECCOMP_GETPPID_H

#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

static inline int filter_getppid(unsigned int action)
{
	struct sock_filter code[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			 offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getppid, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, action),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = {
		.len = sizeof(code) / sizeof(code[0]),
		.filter = code,
	};

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) ||
	    syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog))
		return -1;
	return 0;
}

#endif
