/*
 * plugin-fixture.h: what a plugin's self-test needs of the engine
 *
 * A simulated kernel, an engine context on it, a state directory, and the
 * hook's own sequence (plan under the lock, prepare, release), so that a
 * plugin folder's test drives its plugin exactly as the hook would, and
 * checks the host it leaves behind.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib/gstdio.h>
#include <string.h>

#include "hd-engine.h"
#include "hd-journal.h"
#include "hd-plan.h"
#include "mock-sysfs.h"
#include "test-helpers.h"
#include "test-table.h"

/*
 * The engine logs a warning for every rollback, and under g_test_init()
 * a warning aborts: its records (those with a HOSTDEV_ACTION) are kept
 * here as "LEVEL ACTION DEVICE: MESSAGE" lines instead; anything else goes
 * to GLib's writer, where g_test_expect_message() sees it.
 */
static GPtrArray *plugin_log;

static inline const char *
plugin_log_field(const GLogField *fields, gsize n_fields, const char *key)
{
	for (gsize i = 0; i < n_fields; i++) {
		if (g_strcmp0(fields[i].key, key) == 0 && fields[i].length < 0)
			return fields[i].value;
	}
	return NULL;
}

static inline GLogWriterOutput
plugin_log_writer(GLogLevelFlags level, const GLogField *fields, gsize n_fields, gpointer user_data)
{
	const char *action = plugin_log_field(fields, n_fields, "HOSTDEV_ACTION");

	if (action == NULL || plugin_log == NULL)
		return g_log_writer_default(level, fields, n_fields, user_data);
	g_ptr_array_add(plugin_log,
			g_strdup_printf("%s %s %s: %s",
					(level & G_LOG_LEVEL_CRITICAL)	? "CRITICAL"
					: (level & G_LOG_LEVEL_WARNING) ? "WARNING"
									: "INFO",
					action, plugin_log_field(fields, n_fields, "HOSTDEV_DEVICE"),
					plugin_log_field(fields, n_fields, "MESSAGE")));
	return G_LOG_WRITER_HANDLED;
}

/* how many engine records at @level contain @needle */
static inline guint
plugin_log_count(const char *level, const char *needle)
{
	guint n = 0;

	for (guint i = 0; plugin_log != NULL && i < plugin_log->len; i++) {
		const char *line = g_ptr_array_index(plugin_log, i);

		if (g_str_has_prefix(line, level) && strstr(line, needle) != NULL)
			n++;
	}
	return n;
}

/* before g_test_init(): the writer can be set once per process */
static inline void
plugin_test_init(int *argc, char ***argv)
{
	g_setenv(HD_TESTING_ENV, "1", TRUE);
	g_log_set_writer_func(plugin_log_writer, NULL, NULL);
	g_test_init(argc, argv, NULL);
}

typedef struct {
	MockSysfs *ms;
	HdContext *ctx;
	gchar *state_dir;
	gchar *policy_path;
} PluginFixture;

/* the kernel writes nothing for a domain with no policy of its own */
static inline void
plugin_fixture_setup(PluginFixture *fx, gconstpointer data)
{
	g_autoptr(GError) error = NULL;

	fx->ms = mock_sysfs_new();
	fx->policy_path = g_build_filename(mock_sysfs_get_root(fx->ms), "policy.conf", NULL);
	fx->ctx = hd_context_new(mock_sysfs_get_root(fx->ms), "/nonexistent", &error);
	g_assert_no_error(error);
	mock_sysfs_install(fx->ms, fx->ctx);
	fx->state_dir = g_dir_make_tmp("test-plugin-state-XXXXXX", &error);
	g_assert_no_error(error);
	g_assert_true(hd_context_set_state_dir(fx->ctx, fx->state_dir, &error));
	fx->ctx->policy->bind_timeout_ms = 50;
	plugin_log = g_ptr_array_new_with_free_func(g_free);
}

static inline void
plugin_fixture_teardown(PluginFixture *fx, gconstpointer data)
{
	g_autofree gchar *host = g_build_filename(fx->state_dir, "host", NULL);
	g_autofree gchar *lock = g_build_filename(fx->state_dir, "lock", NULL);
	g_autofree gchar *units = g_build_filename(fx->state_dir, "units", NULL);

	hd_context_free(fx->ctx);
	mock_sysfs_free(fx->ms);
	g_unlink(lock);
	/* the units' lock files, which stay by design (hd_unit_lock_acquire()) */
	test_remove_tree(units);
	g_rmdir(host);
	/* every test ends with nothing lent out: no journal is left */
	g_assert_cmpint(g_rmdir(fx->state_dir), ==, 0);
	g_free(fx->state_dir);
	g_free(fx->policy_path);
	/* a device the engine could not put back is never an accident */
	g_assert_cmpuint(plugin_log_count("CRITICAL", ""), ==, 0);
	g_clear_pointer(&plugin_log, g_ptr_array_unref);
}

/* replace the context's policy with @text */
static inline void
plugin_fixture_set_policy(PluginFixture *fx, const char *text)
{
	g_autoptr(GError) error = NULL;
	HdPolicy *policy;

	/* 0644 whatever the umask: a group-writable policy is refused */
	g_assert_true(g_file_set_contents_full(fx->policy_path, text, -1, G_FILE_SET_CONTENTS_NONE, 0644, &error));
	policy = hd_policy_load(fx->policy_path, &error);
	g_assert_no_error(error);
	policy->bind_timeout_ms = fx->ctx->policy->bind_timeout_ms;
	hd_policy_free(fx->ctx->policy);
	fx->ctx->policy = policy;
}

static inline gchar *
plugin_domain_xml(const char *type, const char *name, const char *metadata, const char *devices)
{
	return g_strdup_printf("<domain type='%s'><name>%s</name>"
			       "<metadata>%s</metadata><devices>%s</devices></domain>",
			       type, name, metadata != NULL ? metadata : "", devices);
}

static inline HdPlan *
plugin_plan(PluginFixture *fx, const char *type, const char *name, const char *metadata, const char *devices)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *xml = plugin_domain_xml(type, name, metadata, devices);
	HdDomain *domain = hd_domain_parse(xml, strlen(xml), &error);
	HdPlan *plan;

	g_assert_no_error(error);
	plan = hd_plan_new_for_domain(fx->ctx, name, domain, &error);
	g_assert_no_error(error);
	return plan;
}

/* plan, refuse on the plan's first refusal as the hook does, prepare */
static inline gboolean
plugin_prepare(PluginFixture *fx,
	       const char *type,
	       const char *name,
	       const char *metadata,
	       const char *devices,
	       GError **error)
{
	g_autoptr(GError) local = NULL;
	g_autoptr(HdStateLock) lock = hd_state_lock_acquire(fx->state_dir, &local);
	g_autoptr(HdPlan) plan = NULL;
	const HdPlanDevice *refused;

	g_assert_no_error(local);
	plan = plugin_plan(fx, type, name, metadata, devices);
	refused = hd_plan_first_error(plan);
	if (refused != NULL) {
		g_set_error(error, HD_ERROR, HD_ERROR_NOT_SUPPORTED, "%s: %s", refused->info->bdf, refused->reason);
		return FALSE;
	}
	return hd_engine_prepare(fx->ctx, plan, error);
}

/* a KVM domain's prepare that must succeed */
static inline void
plugin_prepare_ok(PluginFixture *fx, const char *name, const char *metadata, const char *devices)
{
	g_autoptr(GError) error = NULL;

	plugin_prepare(fx, "kvm", name, metadata, devices, &error);
	g_assert_no_error(error);
}

static inline void
plugin_release_ok(PluginFixture *fx, const char *name)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(HdStateLock) lock = hd_state_lock_acquire(fx->state_dir, &error);
	HdOwner owner = {HD_OWNER_DOMAIN, (gchar *)name};

	g_assert_true(hd_engine_release(fx->ctx, &owner, &error));
	g_assert_no_error(error);
}

static inline void
plugin_assert_driver(PluginFixture *fx, const char *bdf, const char *driver)
{
	g_autofree gchar *have = mock_sysfs_get_driver(fx->ms, bdf);

	g_assert_cmpstr(have, ==, driver);
}
