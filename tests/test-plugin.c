/*
 * test-plugin.c: the plugin runners and the journal's record of plugins
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <glib/gstdio.h>

#include "hd-error.h"
#include "hd-journal.h"
#include "hd-plan.h"
#include "hd-plugin-private.h"

static gboolean
fail_silently(HdContext *ctx, const HdPlanDevice *dev, GError **error)
{
	return FALSE;
}

static gboolean
refuse(HdContext *ctx, const HdPlanDevice *dev, GError **error)
{
	g_set_error_literal(error, HD_ERROR, HD_ERROR_NOT_SUPPORTED, "not this one");
	return FALSE;
}

static gboolean
bind_fails(HdContext *ctx, const HdPlanDevice *dev, HdStepFunc step, gpointer data, GError **error)
{
	g_set_error_literal(error, HD_ERROR, HD_ERROR_FAILED, "vfio-pci did not take the device");
	return FALSE;
}

static const HdPlugin empty_plugin = {.name = "empty"};
static const HdPlugin silent_plugin = {.name = "silent", .check = fail_silently, .configure = fail_silently};
static const HdPlugin refusing_plugin = {.name = "refusing", .check = refuse, .bind = bind_fails};

/* an empty slot is success: a plugin fills in only what it needs */
static void
test_runner_empty_slots(void)
{
	g_assert_true(hd_plugin_runner_check(&empty_plugin, NULL, NULL, NULL));
	g_assert_true(hd_plugin_runner_provision(&empty_plugin, NULL, NULL, NULL));
	g_assert_true(hd_plugin_runner_bind(&empty_plugin, NULL, NULL, NULL, NULL, NULL));
	g_assert_true(hd_plugin_runner_configure(&empty_plugin, NULL, NULL, NULL));
	g_assert_true(hd_plugin_runner_unconfigure(&empty_plugin, NULL, NULL, NULL));
	g_assert_true(hd_plugin_runner_unbind(&empty_plugin, NULL, NULL, NULL));
	g_assert_true(hd_plugin_runner_unprovision(&empty_plugin, NULL, NULL, NULL));
}

/* FALSE without an error is the plugin's bug, and is reported as one */
static void
test_runner_failure_without_error(void)
{
	g_autoptr(GError) check = NULL;
	g_autoptr(GError) configure = NULL;

	g_assert_false(hd_plugin_runner_check(&silent_plugin, NULL, NULL, &check));
	g_assert_error(check, HD_ERROR, HD_ERROR_INTERNAL);
	g_assert_cmpstr(check->message, ==, "plugin silent failed in check() without an error");
	g_assert_false(hd_plugin_runner_configure(&silent_plugin, NULL, NULL, &configure));
	g_assert_cmpstr(configure->message, ==, "plugin silent failed in configure() without an error");
}

/* a refusal names the plugin; a sequence's error already names its driver */
static void
test_runner_prefixes(void)
{
	g_autoptr(GError) check = NULL;
	g_autoptr(GError) bind = NULL;

	g_assert_false(hd_plugin_runner_check(&refusing_plugin, NULL, NULL, &check));
	g_assert_error(check, HD_ERROR, HD_ERROR_NOT_SUPPORTED);
	g_assert_cmpstr(check->message, ==, "refusing: not this one");
	g_assert_false(hd_plugin_runner_bind(&refusing_plugin, NULL, NULL, NULL, NULL, &bind));
	g_assert_cmpstr(bind->message, ==, "vfio-pci did not take the device");
}

static void
test_registry(void)
{
	g_assert_cmpstr(hd_plugin_for_hypervisor(HD_HYPERVISOR_KVM)->name, ==, "vfio-pci");
	g_assert_cmpstr(hd_plugin_for_hypervisor(HD_HYPERVISOR_XEN)->name, ==, "pciback");
	g_assert_null(hd_plugin_for_hypervisor(HD_HYPERVISOR_UNKNOWN));
	g_assert_true(hd_plugin_by_name("pciback") == hd_plugin_for_hypervisor(HD_HYPERVISOR_XEN));
	g_assert_null(hd_plugin_by_name("vfio"));
	/* both bind and undo their bind; neither provisions or configures yet */
	for (HdHypervisor h = HD_HYPERVISOR_KVM; h <= HD_HYPERVISOR_XEN; h++) {
		const HdPlugin *plugin = hd_plugin_for_hypervisor(h);
		g_assert_nonnull(plugin->bind);
		g_assert_nonnull(plugin->unbind);
	}
}

/* every step and the plugin survive a save and a load */
static void
test_journal_round_trip(void)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *dir = g_dir_make_tmp("hd-journal-XXXXXX", &error);
	g_autoptr(HdJournal) journal = NULL;
	g_autoptr(HdJournal) loaded = NULL;
	g_autofree gchar *path = NULL;

	g_assert_no_error(error);
	journal = hd_journal_load(dir, "vm1", &error);
	g_assert_no_error(error);
	for (HdJournalStep step = HD_JOURNAL_RECORDED; step <= HD_JOURNAL_CONFIGURED; step++) {
		g_autofree gchar *address = g_strdup_printf("0000:0%u:00.0", step + 1);
		HdJournalEntry *entry = hd_journal_add(journal, address, step % 2 ? "e1000e" : NULL,
						       step == 3 ? "pci-stub" : NULL, "pciback", "pciback", FALSE);
		entry->step = step;
	}
	g_assert_true(hd_journal_save(journal, &error));
	g_assert_no_error(error);

	loaded = hd_journal_load(dir, "vm1", &error);
	g_assert_no_error(error);
	g_assert_cmpuint(loaded->entries->len, ==, HD_JOURNAL_CONFIGURED + 1);
	for (guint i = 0; i < loaded->entries->len; i++) {
		HdJournalEntry *a = g_ptr_array_index(journal->entries, i);
		HdJournalEntry *b = g_ptr_array_index(loaded->entries, i);
		g_assert_cmpstr(a->address, ==, b->address);
		g_assert_cmpstr(a->original_driver, ==, b->original_driver);
		g_assert_cmpstr(a->original_override, ==, b->original_override);
		g_assert_cmpstr(b->plugin, ==, "pciback");
		g_assert_cmpint(a->step, ==, b->step);
		g_assert_cmpint(hd_journal_entry_is_settled(b), ==,
				b->step == HD_JOURNAL_BOUND || b->step == HD_JOURNAL_CONFIGURED);
	}

	/* emptied, the journal is gone: no file means nothing is lent out */
	path = g_strdup(journal->path);
	g_ptr_array_set_size(journal->entries, 0);
	g_assert_true(hd_journal_save(journal, &error));
	g_assert_false(g_file_test(path, G_FILE_TEST_EXISTS));
	g_assert_cmpint(g_rmdir(dir), ==, 0);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/plugin/runner/empty-slots", test_runner_empty_slots);
	g_test_add_func("/plugin/runner/failure-without-error", test_runner_failure_without_error);
	g_test_add_func("/plugin/runner/prefixes", test_runner_prefixes);
	g_test_add_func("/plugin/registry", test_registry);
	g_test_add_func("/plugin/journal-round-trip", test_journal_round_trip);
	return g_test_run();
}
