/*
 * test-plugin.c: the plugin runners, the registry, and the journal's v2 format
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <glib/gstdio.h>

#include "hd-context.h"
#include "hd-error.h"
#include "hd-journal.h"
#include "hd-plan.h"
#include "hd-plugin-private.h"

static gboolean
check_fails_silently(HdContext *ctx, HdDevice *dev, GError **error)
{
	return FALSE;
}

static gboolean
configure_fails_silently(HdContext *ctx, const HdDevice *dev, HdEntry *entry, GError **error)
{
	return FALSE;
}

static gboolean
refuse(HdContext *ctx, HdDevice *dev, GError **error)
{
	g_set_error_literal(error, HD_ERROR, HD_ERROR_NOT_SUPPORTED, "not this one");
	return FALSE;
}

static gboolean
bind_fails(HdContext *ctx, const HdDevice *dev, HdEntry *entry, GError **error)
{
	g_set_error_literal(error, HD_ERROR, HD_ERROR_FAILED, "vfio-pci did not take the device");
	return FALSE;
}

static const HdPlugin empty_plugin = {.name = "empty"};
static const HdPlugin silent_plugin = {
    .name = "silent",
    .check = check_fails_silently,
    .configure = configure_fails_silently,
};
static const HdPlugin refusing_plugin = {.name = "refusing", .check = refuse, .bind = bind_fails};

/* an empty slot is success: a plugin fills in only what it needs */
static void
test_runner_empty_slots(void)
{
	GPtrArray *steps = g_ptr_array_new();

	g_assert_false(hd_plugin_runner_select(&empty_plugin, NULL, NULL));
	g_assert_true(hd_plugin_runner_check(&empty_plugin, NULL, NULL, NULL));
	g_assert_true(hd_plugin_runner_expand(&empty_plugin, NULL, NULL, NULL));
	hd_plugin_runner_describe(&empty_plugin, NULL, NULL, steps);
	g_assert_cmpuint(steps->len, ==, 0);
	for (HdPhase phase = HD_PHASE_PROVISION; phase <= HD_PHASE_CONFIGURE; phase++) {
		g_assert_false(hd_plugin_has_phase(&empty_plugin, phase));
		g_assert_true(hd_plugin_runner_do(&empty_plugin, phase, NULL, NULL, NULL, NULL));
		g_assert_true(hd_plugin_runner_undo(&empty_plugin, phase, NULL, NULL, NULL));
	}
	g_ptr_array_unref(steps);
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
	g_assert_false(hd_plugin_runner_do(&silent_plugin, HD_PHASE_CONFIGURE, NULL, NULL, NULL, &configure));
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
	g_assert_false(hd_plugin_runner_do(&refusing_plugin, HD_PHASE_BIND, NULL, NULL, NULL, &bind));
	g_assert_cmpstr(bind->message, ==, "vfio-pci did not take the device");
}

/* the list in plugin/meson.build, in its order; each plugin binds and
 * undoes its bind, and says which devices it serves */
static void
test_registry(void)
{
	guint n = 0;

	/* the provisioner first, so its VFs exist before any binder runs */
	g_assert_cmpstr(hd_builtin_plugins[0]->name, ==, "sriov");
	g_assert_cmpstr(hd_builtin_plugins[1]->name, ==, "vfio-pci");
	g_assert_cmpstr(hd_builtin_plugins[2]->name, ==, "pciback");
	/* the configurator last: the VF exists, and is on its stub, by then */
	g_assert_cmpstr(hd_builtin_plugins[3]->name, ==, "vfconfig");
	for (; hd_builtin_plugins[n] != NULL; n++) {
		const HdPlugin *plugin = hd_builtin_plugins[n];

		g_assert_true(hd_plugin_by_name(plugin->name) == plugin);
		g_assert_nonnull(plugin->select);
		g_assert_true((plugin->bind == NULL) == (plugin->unbind == NULL));
		g_assert_true((plugin->provision == NULL) == (plugin->unprovision == NULL));
		g_assert_true((plugin->configure == NULL) == (plugin->unconfigure == NULL));
	}
	g_assert_cmpuint(n, >=, 2);
	g_assert_null(hd_plugin_by_name("vfio"));
}

static gchar *
make_state_dir(void)
{
	g_autoptr(GError) error = NULL;
	gchar *dir = g_dir_make_tmp("hd-journal-XXXXXX", &error);

	g_assert_no_error(error);
	return dir;
}

static void
remove_state_dir(const char *dir)
{
	g_autofree gchar *host = g_build_filename(dir, "host", NULL);
	g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
	const char *name;

	g_rmdir(host);
	while (d != NULL && (name = g_dir_read_name(d)) != NULL) {
		g_autofree gchar *path = g_build_filename(dir, name, NULL);
		g_unlink(path);
	}
	g_rmdir(dir);
}

/* entries of every phase, their parent, steps and plugin data survive a
 * save and a load, in order */
static void
test_journal_round_trip(void)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *dir = make_state_dir();
	HdOwner owner = {HD_OWNER_DOMAIN, (gchar *)"vm 1.ü"};
	g_autoptr(HdJournal) journal = hd_journal_load(dir, &owner, &error);
	g_autoptr(HdJournal) loaded = NULL;
	HdEntry *pf;
	HdEntry *vf;
	HdEntry *cfg;

	g_assert_no_error(error);
	g_assert_cmpuint(journal->loaded_version, ==, 0);
	pf = hd_journal_begin(journal, "0000:05:00.0", NULL, "sriov", HD_PHASE_PROVISION);
	hd_entry_set_int(pf, "original_numvfs", 0);
	hd_entry_set_bool(pf, "original_autoprobe", TRUE);
	g_assert_true(hd_entry_step(pf, "write-numvfs", &error));
	vf = hd_journal_begin(journal, "0000:05:10.0", "0000:05:00.0", "vfio-pci", HD_PHASE_BIND);
	hd_entry_set_string(vf, "original_driver", NULL);
	hd_entry_set_string(vf, "target_driver", "vfio-pci");
	g_assert_true(hd_entry_step(vf, "done", &error));
	cfg = hd_journal_begin(journal, "0000:05:10.0", "0000:05:00.0", "vf-config", HD_PHASE_CONFIGURE);
	g_assert_true(hd_journal_save(journal, &error));
	g_assert_no_error(error);

	loaded = hd_journal_load(dir, &owner, &error);
	g_assert_no_error(error);
	g_assert_cmpuint(loaded->loaded_version, ==, 2);
	g_assert_cmpuint(loaded->entries->len, ==, 3);
	pf = g_ptr_array_index(loaded->entries, 0);
	vf = g_ptr_array_index(loaded->entries, 1);
	cfg = g_ptr_array_index(loaded->entries, 2);
	g_assert_cmpstr(pf->plugin, ==, "sriov");
	g_assert_cmpint(pf->phase, ==, HD_PHASE_PROVISION);
	g_assert_cmpstr(hd_entry_get_step(pf), ==, "write-numvfs");
	g_assert_cmpint(hd_entry_get_int(pf, "original_numvfs", -1), ==, 0);
	g_assert_true(hd_entry_get_bool(pf, "original_autoprobe"));
	g_assert_null(hd_entry_get_parent(pf));
	g_assert_cmpstr(hd_entry_get_parent(vf), ==, "0000:05:00.0");
	g_assert_null(hd_entry_get_string(vf, "original_driver"));
	g_assert_cmpstr(hd_entry_get_string(vf, "target_driver"), ==, "vfio-pci");
	g_assert_true(hd_entry_is_done(vf));
	g_assert_cmpint(cfg->phase, ==, HD_PHASE_CONFIGURE);
	g_assert_cmpstr(hd_entry_get_step(cfg), ==, "begin");
	g_assert_true(hd_owner_equal(hd_entry_get_owner(cfg), &owner));
	g_assert_true(hd_journal_find_binding(loaded, "0000:05:10.0") == vf);
	g_assert_null(hd_journal_find_binding(loaded, "0000:05:00.0"));

	/* an empty journal is no file at all */
	g_ptr_array_set_size(loaded->entries, 0);
	g_assert_true(hd_journal_save(loaded, &error));
	g_assert_false(g_file_test(loaded->path, G_FILE_TEST_EXISTS));
	remove_state_dir(dir);
}

/* a plugin names its own steps, but cannot smuggle anything else in */
static void
test_journal_step_names(void)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *dir = make_state_dir();
	HdOwner owner = {HD_OWNER_DOMAIN, (gchar *)"vm1"};
	g_autoptr(HdJournal) journal = hd_journal_load(dir, &owner, &error);
	HdEntry *entry = hd_journal_begin(journal, "0000:01:00.0", NULL, "vfio-pci", HD_PHASE_BIND);
	const char *bad[] = {"", "Unbind", "un bind", "../x", "a-step-name-that-is-far-too-long-to-keep"};

	for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
		g_autoptr(GError) local = NULL;

		g_assert_false(hd_entry_step(entry, bad[i], &local));
		g_assert_error(local, HD_ERROR, HD_ERROR_INTERNAL);
	}
	g_assert_cmpstr(hd_entry_get_step(entry), ==, "begin");
	g_assert_false(g_file_test(journal->path, G_FILE_TEST_EXISTS));
	remove_state_dir(dir);
}

/* a domain and a host owner of the same name never share a journal, and
 * both are found when every journal is read */
static void
test_journal_owner_spaces(void)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *dir = make_state_dir();
	HdOwner domain = {HD_OWNER_DOMAIN, (gchar *)"boot"};
	HdOwner host = {HD_OWNER_HOST, (gchar *)"boot"};
	g_autoptr(HdJournal) a = hd_journal_load(dir, &domain, &error);
	g_autoptr(HdJournal) b = hd_journal_load(dir, &host, &error);
	g_autoptr(GPtrArray) all = NULL;
	g_autofree gchar *owner_path = NULL;
	HdOwner bad_host = {HD_OWNER_HOST, (gchar *)"../boot"};

	g_assert_no_error(error);
	g_assert_cmpstr(a->path, !=, b->path);
	hd_journal_begin(a, "0000:01:00.0", NULL, "vfio-pci", HD_PHASE_BIND);
	hd_journal_begin(b, "0000:02:00.0", NULL, "vfio-pci", HD_PHASE_BIND);
	g_assert_true(hd_journal_save(a, &error));
	g_assert_true(hd_journal_save(b, &error));
	all = hd_journal_load_all(dir, &error);
	g_assert_no_error(error);
	g_assert_cmpuint(all->len, ==, 2);
	for (guint i = 0; i < all->len; i++) {
		HdJournal *j = g_ptr_array_index(all, i);
		HdEntry *entry = g_ptr_array_index(j->entries, 0);

		g_assert_cmpstr(j->owner.name, ==, "boot");
		g_assert_cmpstr(entry->address, ==, j->owner.kind == HD_OWNER_HOST ? "0000:02:00.0" : "0000:01:00.0");
	}
	g_assert_false(hd_journal_owner_path(dir, &bad_host, &owner_path));
	g_ptr_array_set_size(a->entries, 0);
	g_ptr_array_set_size(b->entries, 0);
	g_assert_true(hd_journal_save(a, &error) && hd_journal_save(b, &error));
	remove_state_dir(dir);
}

/* a v2 journal whose owner is another's, or an entry of another owner, is
 * damaged: it would let one domain release another's device */
static void
test_journal_owner_mismatch(void)
{
	static const char *const files[] = {
	    "{\"version\": 2, \"owner\": {\"kind\": \"domain\", \"name\": \"vm2\"}, \"entries\": []}",
	    "{\"version\": 2, \"owner\": {\"kind\": \"domain\", \"name\": \"vm1\"}, \"entries\": [{\"owner\": "
	    "{\"kind\": \"host\", \"name\": \"vm1\"}, \"address\": \"0000:01:00.0\", \"plugin\": \"vfio-pci\", "
	    "\"phase\": \"bind\", \"step\": \"done\", \"data\": {}}]}",
	};
	g_autofree gchar *dir = make_state_dir();
	HdOwner owner = {HD_OWNER_DOMAIN, (gchar *)"vm1"};
	g_autofree gchar *path = g_build_filename(dir, "vm1.journal", NULL);

	for (guint i = 0; i < G_N_ELEMENTS(files); i++) {
		g_autoptr(GError) error = NULL;
		g_autoptr(HdJournal) journal = NULL;

		g_assert_true(g_file_set_contents(path, files[i], -1, NULL));
		journal = hd_journal_load(dir, &owner, &error);
		g_assert_null(journal);
		g_assert_error(error, HD_ERROR, HD_ERROR_INVALID_DATA);
	}
	g_unlink(path);
	remove_state_dir(dir);
}

/* the users of one PF's VFs, across owners: what lets the last one restore
 * the PF and no other */
static void
test_journal_sharers(void)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *dir = make_state_dir();
	HdOwner a_owner = {HD_OWNER_DOMAIN, (gchar *)"a"};
	HdOwner b_owner = {HD_OWNER_DOMAIN, (gchar *)"b"};
	g_autoptr(HdJournal) a = hd_journal_load(dir, &a_owner, &error);
	g_autoptr(HdJournal) b = hd_journal_load(dir, &b_owner, &error);
	HdContext ctx = {.state_dir = dir};
	HdEntry *a1 = hd_journal_begin(a, "0000:05:10.0", "0000:05:00.0", "sriov", HD_PHASE_PROVISION);
	HdEntry *a2 = hd_journal_begin(a, "0000:05:10.2", "0000:05:00.0", "sriov", HD_PHASE_PROVISION);
	guint count = 99;

	/* not sharers: another phase, another plugin, another PF */
	hd_journal_begin(a, "0000:05:10.0", "0000:05:00.0", "vfio-pci", HD_PHASE_BIND);
	hd_journal_begin(a, "0000:06:10.0", "0000:06:00.0", "sriov", HD_PHASE_PROVISION);
	g_assert_true(hd_journal_save(a, &error));
	g_assert_true(hd_entry_count_sharers(&ctx, a1, &count, &error));
	g_assert_cmpuint(count, ==, 1);
	/* another owner's VF of the same PF, and its <hd:vfs> on the PF itself */
	hd_journal_begin(b, "0000:05:10.4", "0000:05:00.0", "sriov", HD_PHASE_PROVISION);
	hd_journal_begin(b, "0000:05:00.0", NULL, "sriov", HD_PHASE_PROVISION);
	g_assert_true(hd_journal_save(b, &error));
	g_assert_true(hd_entry_count_sharers(&ctx, a2, &count, &error));
	g_assert_cmpuint(count, ==, 3);
	/* in memory, the own journal counts as it is now */
	hd_journal_remove(a, a1);
	g_assert_true(hd_entry_count_sharers(&ctx, a2, &count, &error));
	g_assert_cmpuint(count, ==, 2);
	g_ptr_array_set_size(a->entries, 0);
	g_ptr_array_set_size(b->entries, 0);
	g_assert_true(hd_journal_save(a, &error) && hd_journal_save(b, &error));
	remove_state_dir(dir);
}

/* the last of a PF's users restores it, so a later one takes over the
 * first one's record of the PF as it was; no sharer, nothing adopted */
static void
test_journal_adopt(void)
{
	static const char *const keys[] = {"original_numvfs", "original_autoprobe", NULL};
	g_autoptr(GError) error = NULL;
	g_autofree gchar *dir = make_state_dir();
	HdOwner a_owner = {HD_OWNER_DOMAIN, (gchar *)"a"};
	HdOwner b_owner = {HD_OWNER_DOMAIN, (gchar *)"b"};
	g_autoptr(HdJournal) a = hd_journal_load(dir, &a_owner, &error);
	g_autoptr(HdJournal) b = hd_journal_load(dir, &b_owner, &error);
	HdContext ctx = {.state_dir = dir};
	HdEntry *first = hd_journal_begin(a, "0000:05:00.0", NULL, "sriov", HD_PHASE_PROVISION);
	HdEntry *started = hd_journal_begin(a, "0000:05:10.2", "0000:05:00.0", "sriov", HD_PHASE_PROVISION);
	HdEntry *later = hd_journal_begin(b, "0000:05:10.0", "0000:05:00.0", "sriov", HD_PHASE_PROVISION);
	HdEntry *other_pf = hd_journal_begin(b, "0000:06:10.0", "0000:06:00.0", "sriov", HD_PHASE_PROVISION);
	HdEntry *own = hd_journal_begin(b, "0000:05:10.4", "0000:05:00.0", "sriov", HD_PHASE_PROVISION);
	gboolean adopted = TRUE;

	/* another PF's entry, and one that began without recording, give nothing */
	hd_entry_set_int(first, "original_numvfs", 2);
	hd_entry_set_int(first, "original_autoprobe", 1);
	hd_entry_set_string(first, "pf", "0000:05:00.0");
	g_assert_true(hd_entry_step(first, "numvfs", &error));
	g_assert_no_error(error);
	g_assert_true(hd_entry_adopt_from_sharers(&ctx, other_pf, keys, &adopted, &error));
	g_assert_false(adopted);
	g_assert_false(json_object_object_get_ex(other_pf->data, "original_numvfs", NULL));
	/* from another owner's journal, as on disk: only the keys asked for */
	g_assert_true(hd_entry_adopt_from_sharers(&ctx, later, keys, &adopted, &error));
	g_assert_true(adopted);
	g_assert_cmpint(hd_entry_get_int(later, "original_numvfs", -1), ==, 2);
	g_assert_cmpint(hd_entry_get_int(later, "original_autoprobe", -1), ==, 1);
	g_assert_null(hd_entry_get_string(later, "pf"));
	/* the own journal first, as it is in memory */
	hd_entry_set_int(later, "original_numvfs", 5);
	g_assert_true(hd_entry_adopt_from_sharers(&ctx, own, keys, &adopted, &error));
	g_assert_true(adopted);
	g_assert_cmpint(hd_entry_get_int(own, "original_numvfs", -1), ==, 5);
	g_assert_cmpstr(hd_entry_get_step(started), ==, "begin");

	g_ptr_array_set_size(a->entries, 0);
	g_ptr_array_set_size(b->entries, 0);
	g_assert_true(hd_journal_save(a, &error) && hd_journal_save(b, &error));
	remove_state_dir(dir);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/plugin/runner/empty-slots", test_runner_empty_slots);
	g_test_add_func("/plugin/runner/failure-without-error", test_runner_failure_without_error);
	g_test_add_func("/plugin/runner/prefixes", test_runner_prefixes);
	g_test_add_func("/plugin/registry", test_registry);
	g_test_add_func("/plugin/journal/round-trip", test_journal_round_trip);
	g_test_add_func("/plugin/journal/step-names", test_journal_step_names);
	g_test_add_func("/plugin/journal/owner-spaces", test_journal_owner_spaces);
	g_test_add_func("/plugin/journal/owner-mismatch", test_journal_owner_mismatch);
	g_test_add_func("/plugin/journal/sharers", test_journal_sharers);
	g_test_add_func("/plugin/journal/adopt", test_journal_adopt);
	return g_test_run();
}
