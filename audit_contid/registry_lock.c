// SPDX-License-Identifier: GPL-2.0
/*
 * The lock of the contid registry (registry.rs), defined statically so
 * that it is ready before the first task runs: the Rust side has no
 * initcall that a set could race with.
 */

#include <linux/audit_contid.h>
#include <linux/mutex.h>

DEFINE_MUTEX(audit_contid_registry_lock);
