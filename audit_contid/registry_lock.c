// SPDX-License-Identifier: GPL-2.0
/*
 * The lock of the Rust contid registry (registry.rs).
 */

#include <linux/audit_contid.h>
#include <linux/mutex.h>

/*
 * Protects the registry's tree; see registry.rs.  Defined statically, so
 * that it is ready before the first task runs and the subsystem needs no
 * initcall that a set could race with.
 */
static DEFINE_MUTEX(registry_lock);

void audit_contid_registry_lock(void)
{
	mutex_lock(&registry_lock);
}

void audit_contid_registry_unlock(void)
{
	mutex_unlock(&registry_lock);
}
