// SPDX-License-Identifier: GPL-2.0
/*
 * The C glue of the Rust contid registry (registry.rs): its lock, the work
 * item that retires ids from process context, and a warning.
 */

#include <linux/audit_contid.h>
#include <linux/bug.h>
#include <linux/mutex.h>
#include <linux/workqueue.h>

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

/*
 * A network namespace freed with containers still counted in it: a
 * counting bug.  Warns once (with a backtrace) for netns.rs, which then
 * leaks the list rather than free what an exit may still uncount from.
 */
void audit_contid_warn_netns_occupied(void)
{
	WARN_ONCE(1, "audit_contid: a network namespace went away with containers in it\n");
}

/*
 * Retires, in process context, the ids of dropped containers whose last
 * reservation was given back in atomic context (the signal path), where
 * the registry's mutex cannot be taken; see registry.rs.
 */
static void audit_contid_retire_workfn(struct work_struct *work)
{
	audit_contid_retire_deferred();
}

static DECLARE_WORK(audit_contid_retire_work, audit_contid_retire_workfn);

void audit_contid_schedule_retire(void)
{
	schedule_work(&audit_contid_retire_work);
}
