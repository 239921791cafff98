// SPDX-License-Identifier: GPL-2.0
/*
 * The benchmark and stress hooks (CONFIG_AUDIT_CONTID_BENCH):
 *
 * /proc/audit_contid_synthetic: live ids that no task has, for `make bench`
 * (see synthetic.rs).  Writing N leaves exactly the ids
 * AUDIT_CONTID_SYNTHETIC_BASE .. + N - 1 of that range live; reading
 * gives N.
 *
 * /proc/audit_contid_synthetic_netns: writing M (at most N) counts the
 * first M of those ids as containers with a task in the writer's network
 * namespace, as `make bench` needs to time a fork in a namespace shared by
 * 10,000 containers; reading gives M.  Write 0 from the same namespace
 * before fewer ids are asked for (EBUSY until then).
 *
 * /proc/audit_contid_stats: counts of live objects (stats.rs).
 */

#include <linux/audit_contid.h>
#include <linux/bits.h>
#include <linux/init.h>
#include <linux/kernel.h>
#include <linux/mutex.h>
#include <linux/proc_fs.h>
#include <linux/sched/signal.h>
#include <linux/seq_file.h>
#include <linux/uaccess.h>

#define AUDIT_CONTID_SYNTHETIC_BASE	BIT_ULL(62)
#define AUDIT_CONTID_SYNTHETIC_MAX	BIT_ULL(24)

static DEFINE_MUTEX(synthetic_lock);
static u64 synthetic_count;	/* under synthetic_lock */
static u64 synthetic_netns_count;	/* under synthetic_lock */

/* Reads a count kept under synthetic_lock, as text. */
static ssize_t read_count(const u64 *value, char __user *ubuf, size_t count,
			  loff_t *ppos)
{
	char text[24];
	int len;

	mutex_lock(&synthetic_lock);
	len = scnprintf(text, sizeof(text), "%llu\n", *value);
	mutex_unlock(&synthetic_lock);
	return simple_read_from_buffer(ubuf, count, ppos, text, len);
}

static ssize_t synthetic_write(struct file *file, const char __user *ubuf,
			       size_t count, loff_t *ppos)
{
	u64 want;
	int err;

	err = kstrtou64_from_user(ubuf, count, 10, &want);
	if (err)
		return err;
	if (want > AUDIT_CONTID_SYNTHETIC_MAX)
		return -ERANGE;
	mutex_lock(&synthetic_lock);
	if (want < synthetic_netns_count) {
		mutex_unlock(&synthetic_lock);
		return -EBUSY;
	}
	while (synthetic_count < want) {
		/* A million ids take a while: let the writer be killed. */
		if (fatal_signal_pending(current)) {
			err = -EINTR;
			break;
		}
		err = audit_contid_synthetic_add(AUDIT_CONTID_SYNTHETIC_BASE +
						 synthetic_count);
		if (err)
			break;
		synthetic_count++;
		cond_resched();
	}
	while (synthetic_count > want) {
		synthetic_count--;
		audit_contid_synthetic_remove(AUDIT_CONTID_SYNTHETIC_BASE +
					      synthetic_count);
		cond_resched();
	}
	mutex_unlock(&synthetic_lock);
	return err ? err : count;
}

static ssize_t synthetic_read(struct file *file, char __user *ubuf,
			      size_t count, loff_t *ppos)
{
	return read_count(&synthetic_count, ubuf, count, ppos);
}

static ssize_t synthetic_netns_write(struct file *file,
				     const char __user *ubuf, size_t count,
				     loff_t *ppos)
{
	u64 want;
	int err;

	err = kstrtou64_from_user(ubuf, count, 10, &want);
	if (err)
		return err;
	mutex_lock(&synthetic_lock);
	if (want > synthetic_count)
		err = -ERANGE;
	while (!err && synthetic_netns_count < want) {
		err = audit_contid_synthetic_netns_enter(AUDIT_CONTID_SYNTHETIC_BASE +
							 synthetic_netns_count);
		if (!err)
			synthetic_netns_count++;
		cond_resched();
	}
	while (synthetic_netns_count > want) {
		synthetic_netns_count--;
		audit_contid_synthetic_netns_leave(AUDIT_CONTID_SYNTHETIC_BASE +
						   synthetic_netns_count);
		cond_resched();
	}
	mutex_unlock(&synthetic_lock);
	return err ? err : count;
}

static ssize_t synthetic_netns_read(struct file *file, char __user *ubuf,
				    size_t count, loff_t *ppos)
{
	return read_count(&synthetic_netns_count, ubuf, count, ppos);
}

static const struct proc_ops synthetic_netns_ops = {
	.proc_read	= synthetic_netns_read,
	.proc_write	= synthetic_netns_write,
	.proc_lseek	= default_llseek,
};

static const struct proc_ops synthetic_ops = {
	.proc_read	= synthetic_read,
	.proc_write	= synthetic_write,
	.proc_lseek	= default_llseek,
};

/*
 * /proc/audit_contid_stats: what the stress tests check is back where it
 * started once their tasks are gone (stats.rs).
 */
static int stats_show(struct seq_file *m, void *v)
{
	s64 contids, netns_members;
	u64 live_ids;

	audit_contid_stats(&live_ids, &contids, &netns_members);
	seq_printf(m, "live_ids %llu\ncontids %lld\nnetns_members %lld\n",
		   live_ids, contids, netns_members);
	mutex_lock(&synthetic_lock);
	seq_printf(m, "synthetic %llu\n", synthetic_count);
	mutex_unlock(&synthetic_lock);
	return 0;
}

static int __init synthetic_init(void)
{
	if (!proc_create("audit_contid_synthetic", 0600, NULL, &synthetic_ops) ||
	    !proc_create("audit_contid_synthetic_netns", 0600, NULL,
			 &synthetic_netns_ops) ||
	    !proc_create_single("audit_contid_stats", 0400, NULL, stats_show))
		return -ENOMEM;
	return 0;
}
late_initcall(synthetic_init);
