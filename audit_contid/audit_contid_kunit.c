// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests of the contid registry and object lifetime: what set, fork
 * and exit do to it, without user space.
 */

#include <kunit/test.h>
#include <linux/audit.h>
#include <linux/audit_contid.h>
#include <linux/slab.h>

/* Ids far from any a test in user space would pick. */
#define KUNIT_ID_BASE	0xc0de000000000000ULL

static void audit_contid_lifetime(struct kunit *test)
{
	u64 id = KUNIT_ID_BASE + 1;
	struct audit_contid *first, *second;

	first = audit_contid_kunit_create(id);
	KUNIT_ASSERT_NOT_NULL(test, first);
	KUNIT_EXPECT_TRUE(test, audit_contid_kunit_is_live(id));
	KUNIT_EXPECT_EQ(test, audit_contid_kunit_live_tasks(first), 1);

	second = audit_contid_kunit_join(first);
	KUNIT_ASSERT_PTR_EQ(test, second, first);
	KUNIT_EXPECT_EQ(test, audit_contid_kunit_live_tasks(first), 2);

	/* The first task leaves: the container lives on. */
	audit_contid_kunit_leave(first);
	KUNIT_EXPECT_TRUE(test, audit_contid_kunit_is_live(id));
	KUNIT_EXPECT_EQ(test, audit_contid_kunit_live_tasks(second), 1);

	/* The last task leaves: the id is dropped. */
	audit_contid_kunit_leave(second);
	KUNIT_EXPECT_FALSE(test, audit_contid_kunit_is_live(id));
}

static void audit_contid_live_id_is_unique(struct kunit *test)
{
	u64 id = KUNIT_ID_BASE + 2;
	struct audit_contid *contid = audit_contid_kunit_create(id);

	KUNIT_ASSERT_NOT_NULL(test, contid);
	KUNIT_EXPECT_NULL(test, audit_contid_kunit_create(id));
	audit_contid_kunit_leave(contid);

	/* After the drop the id is free again. */
	contid = audit_contid_kunit_create(id);
	KUNIT_EXPECT_NOT_NULL(test, contid);
	audit_contid_kunit_leave(contid);
	KUNIT_EXPECT_FALSE(test, audit_contid_kunit_is_live(id));
}

/* Many live ids: each is found, none disturbs another, all go away. */
static void audit_contid_many_ids(struct kunit *test)
{
	const unsigned int n = 100000;
	struct audit_contid **contids;
	unsigned int i, found = 0;

	contids = kvcalloc(n, sizeof(*contids), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, contids);
	for (i = 0; i < n; i++) {
		/* Spread the ids so that no structure gets sorted input. */
		contids[i] = audit_contid_kunit_create(KUNIT_ID_BASE + 0x100 +
						       (u64)i * 2654435761u);
		if (!contids[i])
			break;
	}
	KUNIT_ASSERT_EQ(test, i, n);
	for (i = 0; i < n; i++)
		found += audit_contid_kunit_is_live(KUNIT_ID_BASE + 0x100 +
						    (u64)i * 2654435761u);
	KUNIT_EXPECT_EQ(test, found, n);
	KUNIT_EXPECT_FALSE(test, audit_contid_kunit_is_live(KUNIT_ID_BASE + 0xff));

	/* Drop every other one, then check both halves. */
	for (i = 0; i < n; i += 2)
		audit_contid_kunit_leave(contids[i]);
	found = 0;
	for (i = 0; i < n; i++)
		found += audit_contid_kunit_is_live(KUNIT_ID_BASE + 0x100 +
						    (u64)i * 2654435761u) == (i & 1);
	KUNIT_EXPECT_EQ(test, found, n);
	for (i = 1; i < n; i += 2)
		audit_contid_kunit_leave(contids[i]);
	KUNIT_EXPECT_FALSE(test, audit_contid_kunit_is_live(KUNIT_ID_BASE + 0x100));
	kvfree(contids);
}

/* What a "contid=" rule matches: the task's own id, and unset for none. */
static void audit_contid_filter(struct kunit *test)
{
	u64 id = KUNIT_ID_BASE + 3;
	struct audit_contid *contid = audit_contid_kunit_create(id);

	KUNIT_ASSERT_NOT_NULL(test, contid);
	KUNIT_EXPECT_TRUE(test, audit_contid_filter_match(contid, id));
	KUNIT_EXPECT_FALSE(test, audit_contid_filter_match(contid, id + 1));
	/* Not an id that shares a hash bucket (id % 32) with it. */
	KUNIT_EXPECT_FALSE(test, audit_contid_filter_match(contid, id + 32));
	KUNIT_EXPECT_FALSE(test, audit_contid_filter_match(contid,
							   AUDIT_CID_UNSET));
	KUNIT_EXPECT_TRUE(test, audit_contid_filter_match(NULL,
							  AUDIT_CID_UNSET));
	KUNIT_EXPECT_FALSE(test, audit_contid_filter_match(NULL, id));
	audit_contid_kunit_leave(contid);
}

static struct kunit_case audit_contid_cases[] = {
	KUNIT_CASE(audit_contid_lifetime),
	KUNIT_CASE(audit_contid_live_id_is_unique),
	KUNIT_CASE(audit_contid_many_ids),
	KUNIT_CASE(audit_contid_filter),
	{}
};

static struct kunit_suite audit_contid_suite = {
	.name = "audit_contid",
	.test_cases = audit_contid_cases,
};

kunit_test_suite(audit_contid_suite);
