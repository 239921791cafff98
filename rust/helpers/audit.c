// SPDX-License-Identifier: GPL-2.0

/*
 * Helpers for the audit abstractions and the audit_contid subsystem:
 * inline functions and macros of the audit and task-tree APIs.
 */

#include <linux/audit.h>
#include <linux/audit_contid.h>
#include <linux/preempt.h>
#include <linux/rculist.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>

struct audit_context *rust_helper_audit_context(void)
{
	return audit_context();
}

bool rust_helper_in_task(void)
{
	return in_task();
}

#ifdef CONFIG_AUDIT_CONTID
struct audit_contid **rust_helper_audit_contid_slot(struct task_struct *tsk)
{
	return audit_contid_slot(tsk);
}

bool *rust_helper_audit_contid_capcontid_slot(struct task_struct *tsk)
{
	return audit_contid_capcontid_slot(tsk);
}

bool *rust_helper_audit_contid_uncounted_slot(struct task_struct *tsk)
{
	return audit_contid_uncounted_slot(tsk);
}

bool rust_helper_audit_contid_opener_delegated(struct file *file)
{
	return audit_contid_opener_delegated(file);
}

bool rust_helper_audit_contid_task_exiting(struct task_struct *tsk)
{
	return audit_contid_task_exiting(tsk);
}

bool rust_helper_audit_contid_task_has_children(struct task_struct *tsk)
{
	return audit_contid_task_has_children(tsk);
}

struct task_struct *rust_helper_audit_contid_real_parent(struct task_struct *tsk)
{
	return audit_contid_real_parent(tsk);
}

struct task_struct *rust_helper_audit_contid_group_leader(struct task_struct *tsk)
{
	return audit_contid_group_leader(tsk);
}

struct net *rust_helper_audit_contid_task_net(struct task_struct *tsk)
{
	return audit_contid_task_net(tsk);
}

/* The RCU list of a network namespace's containers (netns.rs). */
void rust_helper_audit_contid_list_init(struct list_head *head)
{
	INIT_LIST_HEAD(head);
}

void rust_helper_audit_contid_list_add_rcu(struct list_head *entry,
					   struct list_head *head)
{
	list_add_rcu(entry, head);
}

void rust_helper_audit_contid_list_del_rcu(struct list_head *entry)
{
	list_del_rcu(entry);
}

unsigned long rust_helper_audit_contid_irq_save(void)
{
	unsigned long flags;

	local_irq_save(flags);
	return flags;
}

void rust_helper_audit_contid_irq_restore(unsigned long flags)
{
	local_irq_restore(flags);
}
#endif

pid_t rust_helper_task_tgid_nr(struct task_struct *tsk)
{
	return task_tgid_nr(tsk);
}

pid_t rust_helper_task_pid_nr(struct task_struct *tsk)
{
	return task_pid_nr(tsk);
}

void rust_helper_task_lock(struct task_struct *p)
{
	task_lock(p);
}

void rust_helper_task_unlock(struct task_struct *p)
{
	task_unlock(p);
}

bool rust_helper_thread_group_leader(struct task_struct *p)
{
	return thread_group_leader(p);
}

int rust_helper_get_nr_threads(struct task_struct *p)
{
	return get_nr_threads(p);
}

void rust_helper_read_lock(rwlock_t *lock)
{
	read_lock(lock);
}

void rust_helper_read_unlock(rwlock_t *lock)
{
	read_unlock(lock);
}
