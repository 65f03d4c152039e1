/*
 * test-concurrency.c: units at once, hooks at once, on the simulated kernel
 *
 * The engine runs each IOMMU group as a unit on a thread pool, and hooks
 * of different domains plan under one lock but bind under their units'
 * locks.  These tests prove that work overlaps where it may (the mock's
 * rendezvous only lets writers through in parties, so a party can only
 * form if they run at the same time), that it stays in order where it
 * must, and that sixteen hooks fighting over the same devices never lend
 * one device twice and never strand one.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <glib/gstdio.h>
#include <string.h>

#include "hd-engine.h"
#include "hd-error.h"
#include "hd-hook.h"
#include "hd-journal.h"
#include "mock-sysfs.h"
#include "test-helpers.h"

/* six NICs, each alone in its IOMMU group, and two that share one */
#define NIC(n) "0000:0" #n ":00.0"
#define PAIR_A "0000:09:01.0"
#define PAIR_B "0000:09:02.0"
#define N_NICS 6

static const char *const nics[N_NICS] = {NIC(1), NIC(2), NIC(3), NIC(4), NIC(5), NIC(6)};
static const guint32 e1000e_ids[] = {MOCK_PCI_ID(0x8086, 0x10d3), 0};
static const guint32 e1000_ids[] = {MOCK_PCI_ID(0x8086, 0x100e), 0};

#define UUID "4b1c9d0e-2f3a-4e5b-8c6d-7e8f9a0b1c2d"

/*
 * The engine warns on every rollback and refusal, which g_test_init() makes
 * fatal: its records are counted here instead, criticals ("cannot
 * restore") apart, and the teardown allows none of those.
 */
static gint engine_criticals;

static GLogWriterOutput
log_writer(GLogLevelFlags level, const GLogField *fields, gsize n_fields, gpointer user_data)
{
	gboolean engine = FALSE;

	for (gsize i = 0; i < n_fields; i++)
		engine = engine || g_strcmp0(fields[i].key, "HOSTDEV_ACTION") == 0;
	if (!engine || (level & G_LOG_LEVEL_ERROR))
		return g_log_writer_default(level, fields, n_fields, user_data);
	if (level & G_LOG_LEVEL_CRITICAL)
		g_atomic_int_inc(&engine_criticals);
	if (g_test_verbose())
		g_log_writer_standard_streams(level, fields, n_fields, user_data);
	return G_LOG_WRITER_HANDLED;
}

typedef struct {
	MockSysfs *ms;
	gchar *state_dir;
	gchar *before; /* the tree as the test began */
} Fixture;

static HdContext *
fixture_context(Fixture *fx, guint workers)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(HdContext) ctx = hd_context_new(mock_sysfs_get_root(fx->ms), "/nonexistent", &error);

	g_assert_no_error(error);
	mock_sysfs_install(fx->ms, ctx);
	ctx->max_workers = workers;
	g_assert_true(hd_context_set_state_dir(ctx, fx->state_dir, &error));
	return g_steal_pointer(&ctx);
}

static void
fixture_setup(Fixture *fx, gconstpointer data)
{
	g_autoptr(GError) error = NULL;

	fx->ms = mock_sysfs_new();
	mock_sysfs_add_driver(fx->ms, "e1000e", e1000e_ids);
	mock_sysfs_add_driver(fx->ms, "e1000", e1000_ids);
	mock_sysfs_add_driver(fx->ms, "vfio-pci", NULL);
	for (guint i = 0; i < N_NICS; i++) {
		g_autofree gchar *group = g_strdup_printf("%u", i + 1);

		mock_sysfs_add_device(fx->ms, nics[i], 0x8086, 0x10d3, 0x020000, group, "e1000e");
	}
	mock_sysfs_add_device(fx->ms, PAIR_A, 0x8086, 0x100e, 0x020000, "9", "e1000");
	mock_sysfs_add_device(fx->ms, PAIR_B, 0x8086, 0x100e, 0x020000, "9", "e1000");
	fx->state_dir = g_dir_make_tmp("test-concurrency-state-XXXXXX", &error);
	g_assert_no_error(error);
	fx->before = mock_sysfs_snapshot(fx->ms);
}

static void
fixture_teardown(Fixture *fx, gconstpointer data)
{
	g_autofree gchar *after = mock_sysfs_snapshot(fx->ms);
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) journals = hd_journal_load_all(fx->state_dir, &error);

	/* every test ends with the host as it began and nothing lent out */
	g_assert_no_error(error);
	g_assert_cmpuint(journals->len, ==, 0);
	g_assert_cmpstr(after, ==, fx->before);
	g_assert_cmpint(g_atomic_int_get(&engine_criticals), ==, 0);
	mock_sysfs_free(fx->ms);
	test_remove_tree(fx->state_dir);
	g_free(fx->state_dir);
	g_free(fx->before);
}

#define TEST_ADD(path, func) g_test_add(path, Fixture, NULL, fixture_setup, func, fixture_teardown)

static HdDomain *
domain_for(const char *name, const char *const *devices, guint n)
{
	g_autoptr(GString) xml = g_string_new(NULL);
	g_autoptr(GError) error = NULL;
	HdDomain *domain;

	g_string_append_printf(xml, "<domain type='kvm'><name>%s</name><uuid>" UUID "</uuid><devices>\n", name);
	for (guint i = 0; i < n; i++) {
		HdAddress addr;

		g_assert_true(hd_address_parse_bdf(devices[i], &addr, NULL));
		g_string_append_printf(xml,
				       "<hostdev mode='subsystem' type='pci' managed='no'><source>"
				       "<address domain='0x%04x' bus='0x%02x' slot='0x%02x' function='0x%x'/>"
				       "</source></hostdev>\n",
				       addr.domain, addr.bus, addr.slot, addr.function);
	}
	g_string_append(xml, "</devices></domain>\n");
	domain = hd_domain_parse(xml->str, xml->len, &error);
	g_assert_no_error(error);
	return domain;
}

static gboolean
prepare(HdContext *ctx, const char *name, const char *const *devices, guint n, GError **error)
{
	return hd_hook_prepare_domain(ctx, name, domain_for(name, devices, n), error);
}

static void
assert_driver(Fixture *fx, const char *bdf, const char *expected)
{
	g_autofree gchar *link = g_strdup_printf("%s/bus/pci/devices/%s/driver", mock_sysfs_get_root(fx->ms), bdf);
	g_autofree gchar *target = g_file_read_link(link, NULL);
	g_autofree gchar *driver = target != NULL ? g_path_get_basename(target) : NULL;

	g_assert_cmpstr(driver, ==, expected);
}

static void
assert_rendezvous(Fixture *fx, guint met)
{
	guint got_met, missed;

	mock_sysfs_get_rendezvous(fx->ms, &got_met, &missed);
	g_assert_cmpuint(missed, ==, 0);
	g_assert_cmpuint(got_met, ==, met);
}

/* ---- units at once -------------------------------------------------------- */

/* four groups: all four unbinds are in flight together, at prepare (from
 * e1000e) and at release (from vfio-pci) */
static void
test_units_overlap(Fixture *fx, gconstpointer data)
{
	g_autoptr(HdContext) ctx = fixture_context(fx, 4);
	g_autoptr(GError) error = NULL;

	mock_sysfs_set_rendezvous(fx->ms, "unbind", 4);
	g_assert_true(prepare(ctx, "vm1", nics, 4, &error));
	g_assert_no_error(error);
	for (guint i = 0; i < 4; i++)
		assert_driver(fx, nics[i], "vfio-pci");
	assert_rendezvous(fx, 1);
	g_assert_true(hd_hook_release_domain(ctx, "vm1", &error));
	g_assert_no_error(error);
	assert_rendezvous(fx, 2);
}

/* the two functions of one group are one unit: the first is done with
 * before the second starts, at prepare and, newest first, at release */
static void
test_group_in_order(Fixture *fx, gconstpointer data)
{
	static const char *const devices[] = {PAIR_A, PAIR_B, NIC(1), NIC(2)};
	g_autoptr(HdContext) ctx = fixture_context(fx, 4);
	g_autoptr(GError) error = NULL;
	GPtrArray *writes = mock_sysfs_get_writes(fx->ms);
	gint last_a = -1, first_b = -1;

	g_assert_true(prepare(ctx, "vm1", devices, G_N_ELEMENTS(devices), &error));
	g_assert_no_error(error);
	for (guint i = 0; i < writes->len; i++) {
		const char *write = g_ptr_array_index(writes, i);

		if (strstr(write, PAIR_A) != NULL)
			last_a = (gint)i;
		if (strstr(write, PAIR_B) != NULL && first_b < 0)
			first_b = (gint)i;
	}
	g_assert_cmpint(last_a, >=, 0);
	g_assert_cmpint(first_b, >, last_a);
	g_assert_true(hd_hook_release_domain(ctx, "vm1", &error));
	g_assert_no_error(error);
}

/* one unit fails: the others stop, and every unit's changes are undone */
static void
test_failure_undoes_every_unit(Fixture *fx, gconstpointer data)
{
	g_autoptr(HdContext) ctx = fixture_context(fx, 4);
	g_autoptr(GError) error = NULL;

	mock_sysfs_fail_write(fx->ms, NIC(3) "/driver_override", 1, EIO);
	g_assert_false(prepare(ctx, "vm1", nics, 4, &error));
	g_assert_error(error, HD_ERROR, HD_ERROR_FAILED);
	g_assert_true(g_str_has_prefix(error->message, NIC(3) ": "));
	/* the fixture's teardown checks the tree and the journals */
}

/* ---- hooks at once ---------------------------------------------------------- */

typedef struct {
	Fixture *fx;
	const char *name;
	const char *const *devices;
	guint n;
	GError *error;
} PrepareJob;

static gpointer
prepare_thread(gpointer data)
{
	PrepareJob *job = data;
	g_autoptr(HdContext) ctx = fixture_context(job->fx, 1);

	prepare(ctx, job->name, job->devices, job->n, &job->error);
	return NULL;
}

/* two domains with disjoint devices bind at the same time: planning is
 * serialised, binding is not */
static void
test_disjoint_domains(Fixture *fx, gconstpointer data)
{
	PrepareJob jobs[] = {{fx, "vm1", nics, 2, NULL}, {fx, "vm2", nics + 2, 2, NULL}};
	GThread *threads[G_N_ELEMENTS(jobs)];
	g_autoptr(HdContext) ctx = fixture_context(fx, 1);
	g_autoptr(GError) error = NULL;

	mock_sysfs_set_rendezvous(fx->ms, "unbind", 2);
	for (guint i = 0; i < G_N_ELEMENTS(jobs); i++)
		threads[i] = g_thread_new(jobs[i].name, prepare_thread, &jobs[i]);
	for (guint i = 0; i < G_N_ELEMENTS(jobs); i++) {
		g_thread_join(threads[i]);
		g_assert_no_error(jobs[i].error);
	}
	/* each unit has one unbind: two parties of two */
	assert_rendezvous(fx, 2);
	mock_sysfs_set_rendezvous(fx->ms, NULL, 0);
	g_assert_true(hd_hook_release_domain(ctx, "vm1", &error));
	g_assert_true(hd_hook_release_domain(ctx, "vm2", &error));
	g_assert_no_error(error);
}

/* a prepare in flight owns what it claimed, before it has bound any of it;
 * a release clears claims a crash left */
static void
test_claims(Fixture *fx, gconstpointer data)
{
	g_autoptr(HdContext) ctx = fixture_context(fx, 1);
	HdOwner owner = {HD_OWNER_DOMAIN, (gchar *)"vm1"};
	g_autoptr(HdJournal) journal = hd_journal_load(fx->state_dir, &owner, NULL);
	g_autoptr(GError) error = NULL;

	hd_journal_claim(journal, NIC(1));
	g_assert_true(hd_journal_save(journal, &error));
	g_assert_no_error(error);

	g_assert_false(prepare(ctx, "vm2", nics, 1, &error));
	g_assert_error(error, HD_ERROR, HD_ERROR_NOT_SUPPORTED);
	g_assert_cmpstr(error->message, ==, NIC(1) ": in use by domain 'vm1', which hostdev-hook prepared it for");
	g_clear_error(&error);
	assert_driver(fx, NIC(1), "e1000e");

	g_assert_true(hd_hook_release_domain(ctx, "vm1", &error));
	g_assert_no_error(error);
	g_assert_true(prepare(ctx, "vm2", nics, 1, &error));
	g_assert_true(hd_hook_release_domain(ctx, "vm2", &error));
	g_assert_no_error(error);
}

/* ---- the journal shared by units ---------------------------------------------- */

#define JOURNAL_THREADS 8
#define JOURNAL_ENTRIES 25

static gpointer
journal_thread(gpointer data)
{
	HdJournal *journal = data;

	for (guint i = 0; i < JOURNAL_ENTRIES; i++) {
		g_autoptr(GError) error = NULL;
		HdEntry *entry = hd_journal_begin(journal, NIC(1), NULL, "vfio-pci", HD_PHASE_BIND);

		g_assert_true(hd_journal_save(journal, &error));
		hd_entry_set_string(entry, "original_driver", "e1000e");
		g_assert_true(hd_entry_step(entry, "probe", &error));
		g_assert_true(hd_entry_step(entry, HD_ENTRY_STEP_DONE, &error));
		g_assert_no_error(error);
	}
	return NULL;
}

/* every save is durable when it returns, whoever's write carried it; the
 * file holds every entry, each with its last step */
static void
test_journal_group_commit(Fixture *fx, gconstpointer data)
{
	HdOwner owner = {HD_OWNER_DOMAIN, (gchar *)"vm1"};
	g_autoptr(HdJournal) journal = hd_journal_load(fx->state_dir, &owner, NULL);
	g_autoptr(HdJournal) reread = NULL;
	GThread *threads[JOURNAL_THREADS];
	g_autoptr(GError) error = NULL;

	for (guint i = 0; i < JOURNAL_THREADS; i++)
		threads[i] = g_thread_new("journal", journal_thread, journal);
	for (guint i = 0; i < JOURNAL_THREADS; i++)
		g_thread_join(threads[i]);
	g_assert_cmpuint(journal->changes, ==, JOURNAL_THREADS * JOURNAL_ENTRIES * 3);
	g_assert_cmpuint(journal->commits, <=, journal->changes);
	g_test_message("%" G_GUINT64_FORMAT " saves in %u writes", journal->changes, journal->commits);

	reread = hd_journal_load(fx->state_dir, &owner, &error);
	g_assert_no_error(error);
	g_assert_cmpuint(reread->entries->len, ==, JOURNAL_THREADS * JOURNAL_ENTRIES);
	for (guint i = 0; i < reread->entries->len; i++) {
		HdEntry *entry = g_ptr_array_index(reread->entries, i);

		g_assert_true(hd_entry_is_done(entry));
		g_assert_cmpstr(hd_entry_get_string(entry, "original_driver"), ==, "e1000e");
	}
	g_ptr_array_set_size(journal->entries, 0);
	g_assert_true(hd_journal_save(journal, &error));
	g_assert_no_error(error);
}

/* ---- R3: sixteen hooks, overlapping claims ------------------------------------- */

#define STRESS_HOOKS	  16
#define STRESS_ITERATIONS 500 /* in all, spread over the hooks */

typedef struct {
	Fixture *fx;
	GMutex lock;
	const char *holder[N_NICS]; /* who the test saw each NIC lent to */
	guint next;		    /* iterations handed out */
	gint started;		    /* hooks, each named and seeded by its number */
	guint prepared, refused, double_lent;
	GError *unexpected;
} Stress;

static gboolean
stress_take_iteration(Stress *st)
{
	g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&st->lock);

	return st->next++ < STRESS_ITERATIONS;
}

static void
stress_note_unexpected(Stress *st, GError **error)
{
	g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&st->lock);

	if (st->unexpected == NULL)
		st->unexpected = g_steal_pointer(error);
}

/* while it holds them, a domain is the only one the NICs are lent to */
static void
stress_hold(Stress *st, const char *name, const guint *picked, guint n, gboolean hold)
{
	g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&st->lock);

	for (guint i = 0; i < n; i++) {
		const char **holder = &st->holder[picked[i]];

		if (hold && *holder != NULL)
			st->double_lent++;
		*holder = hold ? name : NULL;
	}
}

static gpointer
stress_thread(gpointer data)
{
	Stress *st = data;
	guint index = (guint)g_atomic_int_add(&st->started, 1);
	g_autofree gchar *name = g_strdup_printf("vm%u", index);
	g_autoptr(GRand) rand = g_rand_new_with_seed(index);
	g_autoptr(HdContext) ctx = fixture_context(st->fx, 2);

	while (stress_take_iteration(st)) {
		const char *devices[3];
		guint picked[3];
		guint n = (guint)g_rand_int_range(rand, 1, 4);
		g_autoptr(GError) error = NULL;

		guint start = (guint)g_rand_int_range(rand, 0, N_NICS);

		/* one to three neighbouring NICs: sixteen hooks over six NICs overlap */
		for (guint i = 0; i < n; i++) {
			picked[i] = (start + i) % N_NICS;
			devices[i] = nics[picked[i]];
		}
		if (!prepare(ctx, name, devices, n, &error)) {
			/* the only acceptable refusal: another domain has it */
			if (!g_error_matches(error, HD_ERROR, HD_ERROR_NOT_SUPPORTED) ||
			    strstr(error->message, "which hostdev-hook prepared it for") == NULL) {
				stress_note_unexpected(st, &error);
				break;
			}
			g_atomic_int_inc(&st->refused);
			/* back off, as a person retrying would: sixteen hooks
			 * refused in a tight loop would only race each other */
			g_usleep((gulong)g_rand_int_range(rand, 500, 2000));
			continue;
		}
		g_atomic_int_inc(&st->prepared);
		stress_hold(st, name, picked, n, TRUE);
		g_usleep((gulong)g_rand_int_range(rand, 0, 200));
		stress_hold(st, name, picked, n, FALSE);
		if (!hd_hook_release_domain(ctx, name, &error)) {
			stress_note_unexpected(st, &error);
			break;
		}
	}
	return NULL;
}

static void
test_stress_overlapping_claims(Fixture *fx, gconstpointer data)
{
	Stress st = {fx};
	GThread *threads[STRESS_HOOKS];

	g_mutex_init(&st.lock);
	for (guint i = 0; i < STRESS_HOOKS; i++)
		threads[i] = g_thread_new("hook", stress_thread, &st);
	for (guint i = 0; i < STRESS_HOOKS; i++)
		g_thread_join(threads[i]);
	g_mutex_clear(&st.lock);
	g_test_message("%u iterations: %u prepared, %u refused, %u lent twice", STRESS_ITERATIONS, st.prepared,
		       st.refused, st.double_lent);
	g_assert_no_error(st.unexpected);
	g_assert_cmpuint(st.prepared + st.refused, ==, STRESS_ITERATIONS);
	g_assert_cmpuint(st.double_lent, ==, 0);
	g_assert_cmpuint(st.prepared, >, 0);
	/* nothing stranded: the teardown compares the whole tree and finds no
	 * journal */
	for (guint i = 0; i < N_NICS; i++)
		assert_driver(fx, nics[i], "e1000e");
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_log_set_writer_func(log_writer, NULL, NULL);
	TEST_ADD("/concurrency/units/overlap", test_units_overlap);
	TEST_ADD("/concurrency/units/group-in-order", test_group_in_order);
	TEST_ADD("/concurrency/units/failure-undoes-every-unit", test_failure_undoes_every_unit);
	TEST_ADD("/concurrency/hooks/disjoint-domains", test_disjoint_domains);
	TEST_ADD("/concurrency/hooks/claims", test_claims);
	TEST_ADD("/concurrency/journal/group-commit", test_journal_group_commit);
	TEST_ADD("/concurrency/stress/overlapping-claims", test_stress_overlapping_claims);
	return g_test_run();
}
