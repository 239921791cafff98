// SPDX-License-Identifier: GPL-2.0
/*
 * Compiled to assembly only, against each kernel of `make bench`
 * (tests/bench/compare), which reads the sizes off the labels.
 */
#include <linux/sched.h>

const unsigned long bench_task_struct = sizeof(struct task_struct);
#ifdef CONFIG_AUDIT_CONTID
/* Proof that the project's fields are in the struct measured. */
const unsigned long bench_task_audit_contid_offset =
	offsetof(struct task_struct, audit_contid);
#endif
