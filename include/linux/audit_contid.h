/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Audit container identifiers: the C side's view of the Rust subsystem.
 *
 * C code sees a contid only as an opaque handle, struct audit_contid,
 * owned by the Rust code in audit_contid/.  A task's handle lives in
 * task_struct->audit_contid.
 *
 * Locking of task_struct->audit_contid:
 *  - NULL until a /proc/PID/audit_containerid write sets it.  Only a
 *    nested orchestrator's write replaces a set value while the task
 *    lives; the task itself clears it in do_exit().  (A child's slot holds
 *    a copy of its parent's from dup_task_struct() until
 *    audit_contid_fork() fills it; nothing reads it in between, and a
 *    failed fork never releases it.)
 *  - The child's slot is filled by copy_process() under
 *    write_lock(tasklist_lock), after the last fork failure point, so a
 *    concurrent setter (which checks for children, and stores, under
 *    read_lock(tasklist_lock)) cannot miss a child, and the parent's slot
 *    does not change while it is copied.
 *  - The setter and do_exit() change it under task_lock(task); other tasks
 *    read it under task_lock(); a task reads its own slot under
 *    rcu_read_lock(): a setter that replaces a value, or takes back one it
 *    stored into a task that turned out to be exiting, releases it only
 *    after an RCU grace period.  So the rule filters need no lock to order
 *    against their callers, and the records take a reference there.
 *
 * task_struct->audit_contid_uncounted: set while the task has a contid but
 * could not be counted in its network namespace (no memory); changed
 * with its count, under task_lock(task) (a child's at fork, before anyone
 * sees it).
 *
 * task_struct->audit_capcontid, the delegated permission (0 or 1): cleared
 * at fork (it is not inherited), written under task_lock(task) by a
 * /proc/PID/audit_capcontainerid write and by the task itself when it
 * execs or changes its uids or gids, read with READ_ONCE().
 *
 * The rest of the locking (the registry, records) is the Rust side's; see
 * audit_contid/audit_contid.rs.
 *
 * A task without a contid costs one NULL test on fork, exit and audited
 * syscall exit, and no call into Rust.
 */
#ifndef _LINUX_AUDIT_CONTID_H
#define _LINUX_AUDIT_CONTID_H

#include <linux/fs.h>
#include <linux/nsproxy.h>
#include <linux/sched.h>
#include <linux/sched/task.h>

struct audit_context;
struct audit_contid;
struct audit_contid_netns;
struct audit_contid_reservation;
struct file;
struct net;

#ifdef CONFIG_AUDIT_CONTID

/* Implemented in Rust (audit_contid/). */
void audit_contid_inherit(struct task_struct *child,
			  struct audit_contid *contid);
void audit_contid_exit(struct task_struct *tsk);
bool audit_contid_log_task(struct audit_context *ctx, unsigned int record,
			   bool atomic);
bool audit_contid_log_target(struct audit_context *ctx, unsigned int record,
			     struct audit_contid *contid);
struct audit_contid *audit_contid_hold_task(struct task_struct *tsk);
void audit_contid_release(struct audit_contid *contid);
bool audit_contid_filter_match(struct audit_contid *contid, u64 rule_value);
ssize_t audit_contid_proc_read(struct file *file, struct task_struct *task,
			       char __user *buf, size_t count, loff_t *ppos);
ssize_t audit_contid_proc_write(struct file *file, struct task_struct *task,
				const char __user *buf, size_t count,
				loff_t *ppos);
ssize_t audit_capcontid_proc_read(struct file *file, struct task_struct *task,
				  char __user *buf, size_t count,
				  loff_t *ppos);
ssize_t audit_capcontid_proc_write(struct file *file, struct task_struct *task,
				   const char __user *buf, size_t count,
				   loff_t *ppos);
struct audit_contid_reservation *audit_contid_reserve_current(void);
void audit_contid_unreserve(struct audit_contid_reservation *reservation,
			    bool may_sleep);
size_t
audit_contid_reservation_text(const struct audit_contid_reservation *reservation,
			      char *buf, size_t size);
bool
audit_contid_log_reservation(struct audit_context *ctx, unsigned int record,
			     const struct audit_contid_reservation *reservation);
bool audit_contid_file_audited(u64 file_key);
void audit_contid_note_file_audited(u64 file_key);
struct audit_contid_netns *audit_contid_netns_alloc(void);
void audit_contid_netns_free(struct audit_contid_netns *list);
void audit_contid_netns_switch(struct task_struct *tsk, struct net *from,
			       struct net *to);
bool audit_contid_netns_occupied(const struct audit_contid_netns *list);
bool audit_contid_log_netns(struct audit_context *ctx,
			    const struct audit_contid_netns *list);

/* Defined in kernel/audit.c, where the namespace data lives. */
struct audit_contid_netns *audit_net_contids(struct net *net);

/*
 * The lock of the Rust side's registry of live ids (audit_contid/registry.rs),
 * defined statically in C so that it exists from the first task on, with no
 * initcall.  Only the Rust side takes it.
 */
void audit_contid_registry_lock(void);
void audit_contid_registry_unlock(void);

/*
 * Also in registry_lock.c: a work item that retires ids whose last
 * reservation was given back in atomic context (it calls the Rust
 * audit_contid_retire_deferred()), and the warning of a network namespace
 * freed with containers still counted in it.
 */
void audit_contid_schedule_retire(void);
void audit_contid_retire_deferred(void);
void audit_contid_warn_netns_occupied(void);

/*
 * Task fields, for the Rust side: bindgen's idea of the layout of
 * task_struct need not match the C compiler's (with gcc it is off by a
 * cacheline in 6.12), so Rust reads them only through these.
 */
static inline struct audit_contid **audit_contid_slot(struct task_struct *tsk)
{
	return &tsk->audit_contid;
}

static inline bool *audit_contid_capcontid_slot(struct task_struct *tsk)
{
	return &tsk->audit_capcontid;
}

/* Set while the task has a contid but no count in its network namespace. */
static inline bool *audit_contid_uncounted_slot(struct task_struct *tsk)
{
	return &tsk->audit_contid_uncounted;
}

/*
 * The /proc files remember at open whether the opener had capcontid, as
 * they judge privilege on the opener (its credentials, file->f_cred, and
 * this), not on whoever reads or writes.
 */
static inline void audit_contid_note_opener(struct file *file)
{
	file->private_data = READ_ONCE(current->audit_capcontid) ?
			     (void *)1UL : NULL;
}

static inline bool audit_contid_opener_delegated(struct file *file)
{
	return file->private_data;
}

static inline bool audit_contid_task_exiting(struct task_struct *tsk)
{
	return READ_ONCE(tsk->flags) & PF_EXITING;
}

static inline bool audit_contid_task_has_children(struct task_struct *tsk)
{
	return !list_empty(&tsk->children);
}

/* Callers hold tasklist_lock, which keeps the process tree stable. */
static inline struct task_struct *audit_contid_real_parent(struct task_struct *tsk)
{
	return rcu_dereference_check(tsk->real_parent,
				     lockdep_is_held(&tasklist_lock));
}

static inline struct task_struct *audit_contid_group_leader(struct task_struct *tsk)
{
	return tsk->group_leader;
}

/*
 * The network namespace of @tsk: current, a task being created, or one
 * whose task_lock() the caller holds.  NULL once it has left them all.
 */
static inline struct net *audit_contid_task_net(struct task_struct *tsk)
{
	return tsk->nsproxy ? tsk->nsproxy->net_ns : NULL;
}

#ifdef CONFIG_AUDIT_CONTID_BENCH
/* Benchmark and stress hooks, for synthetic.c only. */
int audit_contid_synthetic_add(u64 id);
void audit_contid_synthetic_remove(u64 id);
int audit_contid_synthetic_netns_enter(u64 id);
void audit_contid_synthetic_netns_leave(u64 id);
void audit_contid_stats(u64 *live_ids, s64 *contids, s64 *netns_members);
#endif

#ifdef CONFIG_AUDIT_CONTID_KUNIT_TEST
/* Test entry points into the registry, for audit_contid_kunit.c only. */
struct audit_contid *audit_contid_kunit_create(u64 id);
struct audit_contid *audit_contid_kunit_join(struct audit_contid *contid);
void audit_contid_kunit_leave(struct audit_contid *contid);
bool audit_contid_kunit_is_live(u64 id);
size_t audit_contid_kunit_live_tasks(struct audit_contid *contid);
#endif

static inline struct audit_contid *audit_contid_of(struct task_struct *tsk)
{
	return READ_ONCE(tsk->audit_contid);
}

/*
 * Does current match the audit rule field "contid=@rule_value": is
 * @rule_value in its contid chain, or is it AUDIT_CID_UNSET and current
 * has no contid?  The caller negates the result for "!=".  The field is
 * only accepted on lists that filter on current (exit, user, exclude).
 * The slot is read under RCU (see above), so no lock is taken whatever
 * the caller holds: the exclude list runs for every record, in any
 * context.  In interrupt context current is whatever task was interrupted
 * (a netfilter packet in softirq, say), so there no task is assumed: only
 * "unset" matches.
 */
static inline bool audit_contid_current_matches(u64 rule_value)
{
	bool match;

	if (!in_task())
		return audit_contid_filter_match(NULL, rule_value);
	rcu_read_lock();
	match = audit_contid_filter_match(READ_ONCE(current->audit_contid),
					  rule_value);
	rcu_read_unlock();
	return match;
}

/*
 * Called by copy_process() under write_lock(tasklist_lock), after the last
 * failure point: the child joins its creator's container.
 */
static inline void audit_contid_fork(struct task_struct *child)
{
	struct audit_contid *contid = audit_contid_of(current);

	child->audit_contid = NULL;
	child->audit_capcontid = false;
	child->audit_contid_uncounted = false;
	if (unlikely(contid))
		audit_contid_inherit(child, contid);
}

/*
 * Called by begin_new_exec() and by commit_creds() when the uids or gids
 * change: like a capability that is not ambient, capcontid is not kept
 * by the program a granted helper execs (setuid, with file capabilities
 * or any other), nor across a change of identity.
 */
static inline void audit_contid_drop_capcontid(struct task_struct *tsk)
{
	if (unlikely(READ_ONCE(tsk->audit_capcontid))) {
		task_lock(tsk);
		WRITE_ONCE(tsk->audit_capcontid, false);
		task_unlock(tsk);
	}
}

/* Called by do_exit(): the task leaves its container. */
static inline void audit_contid_task_exit(struct task_struct *tsk)
{
	if (unlikely(audit_contid_of(tsk)))
		audit_contid_exit(tsk);
}

/*
 * Called by switch_task_namespaces() under task_lock(tsk), as @tsk moves
 * from @from to @to (unshare, setns): a task with a contid is counted in
 * the network namespace it is in.  Exit is not counted here: do_exit()
 * left the container before, and a failed fork never joined it.
 */
static inline void audit_contid_switch_net(struct task_struct *tsk,
					   struct nsproxy *from,
					   struct nsproxy *to)
{
	if (unlikely(audit_contid_of(tsk)) && from && to &&
	    from->net_ns != to->net_ns)
		audit_contid_netns_switch(tsk, from->net_ns, to->net_ns);
}

/*
 * The contid of a signal or ptrace target, for the records at the end of
 * the event: a handle that keeps the container from being dropped until
 * audit_contid_put().  NULL if the task has none (one NULL test), or if
 * its label's op=set record is not in the log yet.  Takes task_lock(tsk);
 * callable in atomic context.
 */
static inline struct audit_contid *audit_contid_get_target(struct task_struct *tsk)
{
	if (likely(!audit_contid_of(tsk)))
		return NULL;
	return audit_contid_hold_task(tsk);
}

/*
 * Releases a handle from audit_contid_get_target(); NULL is fine.  May
 * log the container's drop record, so it may sleep: call it in process
 * context (audit_reset_context() at the end of an event).
 */
static inline void audit_contid_put(struct audit_contid *contid)
{
	if (unlikely(contid))
		audit_contid_release(contid);
}

/*
 * Releases the signal or ptrace target's contid that *slot holds, if any,
 * and clears the slot.  audit_reset_context() calls it only for an event
 * that marked itself as having contid work (ctx->contid_work).
 */
static inline void audit_contid_put_target(struct audit_contid **slot)
{
	if (unlikely(*slot)) {
		audit_contid_release(*slot);
		*slot = NULL;
	}
}

/*
 * Current's container, reserved: a handle that keeps its id, and those of
 * the containers it is nested in, from being set again (ENOTUNIQ), though
 * not its drop record, until audit_contid_unreserve().  Taken for auditd
 * when a task signals it (AUDIT_SIGNAL_INFO2), and by a device mapping
 * for its integrity events.  NULL if current has no contid (one NULL
 * test).  Takes no lock; callable in atomic context.
 */
static inline struct audit_contid_reservation *audit_contid_reserve(void)
{
	if (likely(!audit_contid_of(current)))
		return NULL;
	return audit_contid_reserve_current();
}

#else /* !CONFIG_AUDIT_CONTID */

static inline struct audit_contid *audit_contid_of(struct task_struct *tsk)
{
	return NULL;
}

static inline void audit_contid_fork(struct task_struct *child) { }
static inline void audit_contid_drop_capcontid(struct task_struct *tsk) { }
static inline void audit_contid_task_exit(struct task_struct *tsk) { }
static inline void audit_contid_switch_net(struct task_struct *tsk,
					   struct nsproxy *from,
					   struct nsproxy *to) { }
static inline struct audit_contid_netns *audit_contid_netns_alloc(void)
{
	return NULL;
}

static inline void audit_contid_netns_free(struct audit_contid_netns *list) { }
static inline bool
audit_contid_netns_occupied(const struct audit_contid_netns *list)
{
	return false;
}

static inline bool audit_contid_log_netns(struct audit_context *ctx,
					  const struct audit_contid_netns *list)
{
	return false;
}

static inline struct audit_contid_netns *audit_net_contids(struct net *net)
{
	return NULL;
}

static inline struct audit_contid *audit_contid_get_target(struct task_struct *tsk)
{
	return NULL;
}

static inline void audit_contid_put(struct audit_contid *contid) { }
static inline void audit_contid_put_target(struct audit_contid **slot) { }
static inline bool audit_contid_log_target(struct audit_context *ctx,
					   unsigned int record,
					   struct audit_contid *contid)
{
	return false;
}

static inline bool audit_contid_log_task(struct audit_context *ctx,
					 unsigned int record, bool atomic)
{
	return false;
}

static inline struct audit_contid_reservation *audit_contid_reserve(void)
{
	return NULL;
}

static inline void
audit_contid_unreserve(struct audit_contid_reservation *reservation,
		       bool may_sleep) { }

static inline size_t
audit_contid_reservation_text(const struct audit_contid_reservation *reservation,
			      char *buf, size_t size)
{
	return 0;
}

static inline bool
audit_contid_log_reservation(struct audit_context *ctx, unsigned int record,
			     const struct audit_contid_reservation *reservation)
{
	return false;
}

/* The AUDIT_CONTID rule field is refused without CONFIG_AUDIT_CONTID. */
static inline bool audit_contid_current_matches(u64 rule_value)
{
	return false;
}

#endif /* CONFIG_AUDIT_CONTID */
#endif /* _LINUX_AUDIT_CONTID_H */
