/*
 * test-vfio-plugin.c: the vfio-pci plugin on the simulated kernel
 *
 * Which driver it picks (metadata, <driver model>, a variant from
 * modules.alias, the policy's stub), that it binds the device there and
 * puts it back exactly, and what happens when a variant cannot be loaded.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <errno.h>

#include "plugin-fixture.h"

#define VF	 "0000:03:00.1"
#define MODALIAS "pci:v000015B3d0000101Esv000015B3sd00000001bc02sc00i00\n"

static const guint32 mlx5_ids[] = {MOCK_PCI_ID(0x15b3, 0x101e), 0};

/* the generic alias first, as the kernel's files have it, then a vendor
 * wide one and the device's own: fewest wildcards must win */
static const char modules_alias[] =
    "alias pci:v000015B3d0000101Esv*sd*bc*sc*i* mlx5_core\n"
    "alias vfio_pci:v*d*sv*sd*bc*sc*i* vfio_pci\n"
    "alias vfio_pci:v000015B3d*sv*sd*bc*sc*i* vendor_vfio_pci\n"
    "alias vfio_pci:v000015B3d0000101Esv*sd*bc*sc*i* mlx5_vfio_pci\n"
    "alias vfio_pci:v00001234d00005678sv*sd*bc*sc*i* forced_vfio_pci\n";

/* the VF as a domain asks for it, with @driver_element inside <hostdev> */
static gchar *
hostdev_vf(const char *driver_element)
{
	return g_strdup_printf("<hostdev mode='subsystem' type='pci' managed='no'>%s"
			       "<source><address domain='0' bus='3' slot='0' function='1'/></source>"
			       "</hostdev>",
			       driver_element);
}

typedef struct {
	PluginFixture base;
	gchar *before;
} VfioFixture;

/* an mlx5 VF on mlx5_core, alone in its group, its variant's module and
 * the vendor-wide one installed but not loaded */
static void
vfio_fixture_setup(VfioFixture *fx, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *modalias = NULL;
	g_autofree gchar *modules = NULL;
	g_autofree gchar *alias_path = NULL;

	plugin_fixture_setup(&fx->base, data);
	mock_sysfs_add_driver(fx->base.ms, "vfio-pci", NULL);
	mock_sysfs_add_driver(fx->base.ms, "mlx5_core", mlx5_ids);
	mock_sysfs_add_module(fx->base.ms, "mlx5_vfio_pci", NULL);
	mock_sysfs_add_module(fx->base.ms, "vendor_vfio_pci", NULL);
	mock_sysfs_add_module(fx->base.ms, "forced_vfio_pci", NULL);
	mock_sysfs_add_device(fx->base.ms, VF, 0x15b3, 0x101e, 0x020000, "7", "mlx5_core");
	/* the kernel's modalias of that device, and a modules tree to match */
	modalias = g_build_filename(mock_sysfs_get_root(fx->base.ms), "bus/pci/devices", VF, "modalias", NULL);
	g_assert_true(g_file_set_contents(modalias, MODALIAS, -1, &error));
	modules = g_build_filename(mock_sysfs_get_root(fx->base.ms), "lib-modules", NULL);
	g_assert_cmpint(g_mkdir(modules, 0700), ==, 0);
	alias_path = g_build_filename(modules, "modules.alias", NULL);
	g_assert_true(g_file_set_contents(alias_path, modules_alias, -1, &error));
	fx->base.ctx->modules_dir = g_steal_pointer(&modules);
	fx->before = mock_sysfs_snapshot(fx->base.ms);
}

static void
vfio_fixture_teardown(VfioFixture *fx, gconstpointer data)
{
	g_free(fx->before);
	plugin_fixture_teardown(&fx->base, data);
}

static void
assert_host_as_before(VfioFixture *fx)
{
	g_autofree gchar *now = mock_sysfs_snapshot(fx->base.ms);

	/* modules stay loaded, as libvirt leaves them: compare devices only */
	g_assert_cmpstr(strstr(now, "\ndriver "), !=, NULL);
	g_assert_cmpint(strncmp(now, fx->before, strstr(fx->before, "\ndriver ") - fx->before), ==, 0);
	plugin_assert_driver(&fx->base, VF, "mlx5_core");
}

static gchar *
plan_target(VfioFixture *fx, const char *metadata, const char *driver_element)
{
	g_autofree gchar *devices = hostdev_vf(driver_element);
	g_autoptr(HdPlan) plan = plugin_plan(&fx->base, "kvm", "vm1", metadata, devices);
	const HdPlanDevice *dev = g_ptr_array_index(plan->devices, 0);

	return hd_plan_device_action_string(dev);
}

/* the plan shows the variant and its module load; prepare binds it, release
 * puts the device back on mlx5_core */
static void
test_variant_auto(VfioFixture *fx, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *devices = hostdev_vf("");
	g_autoptr(HdPlan) plan = plugin_plan(&fx->base, "kvm", "vm1", NULL, devices);
	const HdPlanDevice *dev = g_ptr_array_index(plan->devices, 0);
	g_autoptr(HdJournal) journal = NULL;
	HdOwner owner = {HD_OWNER_DOMAIN, (gchar *)"vm1"};

	g_assert_cmpint(dev->action, ==, HD_ACTION_BIND);
	g_assert_cmpstr(dev->target_driver, ==, "mlx5_vfio_pci");
	g_assert_cmpstr(g_ptr_array_index(dev->steps, 0), ==, "load module mlx5_vfio_pci for mlx5_vfio_pci");

	g_assert_true(plugin_prepare(&fx->base, "kvm", "vm1", NULL, devices, &error));
	g_assert_no_error(error);
	plugin_assert_driver(&fx->base, VF, "mlx5_vfio_pci");
	journal = hd_journal_load(fx->base.state_dir, &owner, &error);
	g_assert_no_error(error);
	g_assert_cmpstr(hd_entry_get_string(g_ptr_array_index(journal->entries, 0), "target_driver"), ==,
			"mlx5_vfio_pci");
	plugin_release_ok(&fx->base, "vm1");
	assert_host_as_before(fx);
}

/* libvirt's precedence: our metadata's driver, then <driver model>, where
 * 'vfio-pci' forces the generic driver, then modules.alias */
static void
test_variant_precedence(VfioFixture *fx, gconstpointer data)
{
	g_autofree gchar *generic = plan_target(fx, NULL, "<driver name='vfio' model='vfio-pci'/>");
	g_autofree gchar *forced = plan_target(fx, NULL, "<driver name='vfio' model='forced_vfio_pci'/>");
	g_autofree gchar *metadata = plan_target(
	    fx, "<hd:hostdev-hook xmlns:hd='urn:hostdev-hook:1'><hd:device address='" VF "' driver='vfio-pci'/>"
		"</hd:hostdev-hook>",
	    "<driver name='vfio' model='forced_vfio_pci'/>");

	g_assert_cmpstr(generic, ==, "vfio-pci");
	g_assert_cmpstr(forced, ==, "forced_vfio_pci");
	g_assert_cmpstr(metadata, ==, "vfio-pci");
}

/* a forced model binds even where modules.alias names another */
static void
test_variant_forced_binds(VfioFixture *fx, gconstpointer data)
{
	g_autoptr(GError) error = NULL;

	g_autofree gchar *devices = hostdev_vf("<driver name='vfio' model='forced_vfio_pci'/>");

	g_assert_true(plugin_prepare(&fx->base, "kvm", "vm1", NULL, devices, &error));
	g_assert_no_error(error);
	plugin_assert_driver(&fx->base, VF, "forced_vfio_pci");
	plugin_release_ok(&fx->base, "vm1");
	assert_host_as_before(fx);
}

/* a forced model that will not load fails the start, naming it, and
 * changes nothing */
static void
test_variant_forced_unloadable(VfioFixture *fx, gconstpointer data)
{
	g_autoptr(GError) error = NULL;

	mock_sysfs_fail_module(fx->base.ms, "forced_vfio_pci", ENOENT);
	g_autofree gchar *devices = hostdev_vf("<driver name='vfio' model='forced_vfio_pci'/>");

	g_assert_false(plugin_prepare(&fx->base, "kvm", "vm1", NULL, devices, &error));
	g_assert_nonnull(strstr(error->message, "VFIO variant forced_vfio_pci: "));
	g_assert_cmpuint(plugin_log_count("WARNING", "rollback " VF ": bind to forced_vfio_pci failed"), ==, 1);
	assert_host_as_before(fx);
}

/* an automatic choice that will not load falls back to plain vfio-pci,
 * which serves every device, with a warning in the log */
static void
test_variant_auto_unloadable(VfioFixture *fx, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *devices = hostdev_vf("");

	mock_sysfs_fail_module(fx->base.ms, "mlx5_vfio_pci", ENOENT);
	g_test_expect_message("hostdev-hook-vfio", G_LOG_LEVEL_WARNING,
			      VF ": VFIO variant mlx5_vfio_pci is unusable (*); binding plain vfio-pci instead");
	g_assert_true(plugin_prepare(&fx->base, "kvm", "vm1", NULL, devices, &error));
	g_test_assert_expected_messages();
	g_assert_no_error(error);
	plugin_assert_driver(&fx->base, VF, "vfio-pci");
	plugin_release_ok(&fx->base, "vm1");
	assert_host_as_before(fx);
}

/* the policy turns variants off; a misspelt value is an error when the
 * policy is read, never the default */
static void
test_variant_policy(VfioFixture *fx, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *off = NULL;
	g_autoptr(HdPolicy) policy = NULL;

	plugin_fixture_set_policy(&fx->base, "[vfio]\nvariant-drivers=false\n");
	off = plan_target(fx, NULL, "");
	g_assert_cmpstr(off, ==, "vfio-pci");

	g_assert_true(g_file_set_contents_full(fx->base.policy_path, "[vfio]\nvariant-drivers=maybe\n", -1,
					     G_FILE_SET_CONTENTS_NONE, 0644, &error));
	policy = hd_policy_load(fx->base.policy_path, &error);
	g_assert_null(policy);
	g_assert_error(error, HD_ERROR, HD_ERROR_INVALID_DATA);
	g_assert_true(g_str_has_suffix(error->message, ":2: [vfio] variant-drivers: expected true or false"));
}

/* no modules tree, or no alias that matches: plain vfio-pci */
static void
test_variant_fallback(VfioFixture *fx, gconstpointer data)
{
	g_autofree gchar *without_tree = NULL;
	g_autofree gchar *alias_path = g_build_filename(fx->base.ctx->modules_dir, "modules.alias", NULL);
	g_autofree gchar *without_match = NULL;

	g_assert_true(g_file_set_contents(alias_path, "alias vfio_pci:v00008086d*sv*sd*bc*sc*i* intel_vfio_pci\n",
					  -1, NULL));
	without_match = plan_target(fx, NULL, "");
	g_assert_cmpstr(without_match, ==, "vfio-pci");
	g_unlink(alias_path);
	g_rmdir(fx->base.ctx->modules_dir);
	g_clear_pointer(&fx->base.ctx->modules_dir, g_free);
	without_tree = plan_target(fx, NULL, "");
	g_assert_cmpstr(without_tree, ==, "vfio-pci");
}

/* a name is not a driver: only stubs, listed variants and what the policy
 * allows (finding 2 of the review) */
static void
test_requested_driver(VfioFixture *fx, gconstpointer data)
{
	g_autofree gchar *nvme = plan_target(fx, NULL, "<driver name='vfio' model='nvme'/>");
	g_autofree gchar *meta = plan_target(
	    fx, "<hd:hostdev-hook xmlns:hd='urn:hostdev-hook:1'><hd:device address='" VF "' driver='mlx5_core'/>"
		"</hd:hostdev-hook>",
	    "");
	g_autofree gchar *stub = plan_target(
	    fx, "<hd:hostdev-hook xmlns:hd='urn:hostdev-hook:1'><hd:device address='" VF "' driver='pci-stub'/>"
		"</hd:hostdev-hook>",
	    "");
	g_autofree gchar *allowed = NULL;

	g_assert_cmpstr(nvme, ==,
			"error: vfio-pci: driver 'nvme' is not a VFIO driver: a device is bound only to vfio-pci, "
			"pci-stub, a VFIO variant that modules.alias lists, or a driver the host's policy allows "
			"([drivers] allow)");
	g_assert_true(g_str_has_prefix(meta, "error: vfio-pci: driver 'mlx5_core' is not a VFIO driver"));
	g_assert_cmpstr(stub, ==, "pci-stub");
	plugin_fixture_set_policy(&fx->base, "[drivers]\nallow=mlx5_core\n");
	allowed = plan_target(
	    fx, "<hd:hostdev-hook xmlns:hd='urn:hostdev-hook:1'><hd:device address='" VF "' driver='mlx5_core'/>"
		"</hd:hostdev-hook>",
	    "");
	g_assert_cmpstr(allowed, ==, "mlx5_core");
}

#define ADD(path, func) g_test_add(path, VfioFixture, NULL, vfio_fixture_setup, func, vfio_fixture_teardown)

int
main(int argc, char **argv)
{
	plugin_test_init(&argc, &argv);
	ADD("/vfio/variant/auto", test_variant_auto);
	ADD("/vfio/variant/precedence", test_variant_precedence);
	ADD("/vfio/variant/forced-binds", test_variant_forced_binds);
	ADD("/vfio/variant/forced-unloadable", test_variant_forced_unloadable);
	ADD("/vfio/variant/auto-unloadable", test_variant_auto_unloadable);
	ADD("/vfio/variant/policy", test_variant_policy);
	ADD("/vfio/variant/fallback", test_variant_fallback);
	ADD("/vfio/requested-driver", test_requested_driver);
	return g_test_run();
}
