/*
 * test-pciback-plugin.c: the pciback plugin on the simulated kernel
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "plugin-fixture.h"

#define NIC "0000:01:00.0"
#define HOSTDEV(driver)                                                         \
	"<hostdev mode='subsystem' type='pci' managed='no'>" driver             \
	"<source><address domain='0' bus='1' slot='0' function='0'/></source>" \
	"</hostdev>"

static const guint32 e1000e_ids[] = {MOCK_PCI_ID(0x8086, 0x10d3), 0};

static void
pciback_fixture_setup(PluginFixture *fx, gconstpointer data)
{
	plugin_fixture_setup(fx, data);
	mock_sysfs_add_driver(fx->ms, "pciback", NULL);
	mock_sysfs_add_driver(fx->ms, "e1000e", e1000e_ids);
	/* Xen's dom0 has no IOMMU groups to show: pciback does not need them */
	mock_sysfs_add_device(fx->ms, NIC, 0x8086, 0x10d3, 0x020000, NULL, "e1000e");
}

/* a Xen domain's device goes to pciback and back, with the plan's steps */
static void
test_bind_release(PluginFixture *fx, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *before = mock_sysfs_snapshot(fx->ms);
	g_autofree gchar *after = NULL;
	g_autoptr(HdPlan) plan = plugin_plan(fx, "xen", "guest", NULL, HOSTDEV(""));
	const HdPlanDevice *dev = g_ptr_array_index(plan->devices, 0);

	g_assert_cmpint(dev->action, ==, HD_ACTION_BIND);
	g_assert_cmpuint(dev->chain->len, ==, 1);
	g_assert_cmpstr(((const HdPlugin *)g_ptr_array_index(dev->chain, 0))->name, ==, "pciback");
	g_assert_cmpstr(dev->target_driver, ==, "pciback");
	g_assert_cmpuint(dev->steps->len, ==, 4);
	g_assert_cmpstr(g_ptr_array_index(dev->steps, 0), ==, "write pciback to driver_override");

	g_assert_true(plugin_prepare(fx, "xen", "guest", NULL, HOSTDEV(""), &error));
	g_assert_no_error(error);
	plugin_assert_driver(fx, NIC, "pciback");
	plugin_release_ok(fx, "guest");
	after = mock_sysfs_snapshot(fx->ms);
	g_assert_cmpstr(after, ==, before);
}

/* libxl forces the 'xen' backend: anything else was written by hand */
static void
test_refuses_kvm_backend(PluginFixture *fx, gconstpointer data)
{
	g_autoptr(HdPlan) plan = plugin_plan(fx, "xen", "guest", NULL, HOSTDEV("<driver name='vfio'/>"));
	const HdPlanDevice *dev = g_ptr_array_index(plan->devices, 0);

	g_assert_cmpint(dev->action, ==, HD_ACTION_ERROR);
	g_assert_cmpstr(dev->reason, ==, "pciback: <driver name='vfio'/> is for KVM domains, not Xen");
}

/* a version 1 journal left by a crash mid-bind, as main wrote it for a Xen
 * domain, is undone through this plugin */
static void
test_v1_journal(PluginFixture *fx, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *before = mock_sysfs_snapshot(fx->ms);
	g_autofree gchar *after = NULL;
	g_autofree gchar *path = g_build_filename(fx->state_dir, "guest.journal", NULL);
	static const char v1[] =
	    "{\"version\": 1, \"domain\": \"guest\", \"uuid\": null, \"devices\": [{\"address\": \"" NIC "\", "
	    "\"original_driver\": \"e1000e\", \"original_override\": null, \"target_driver\": \"pciback\", "
	    "\"plugin\": \"pciback\", \"found_bound\": false, \"step\": \"probe\"}]}";
	g_autoptr(GPtrArray) writes = NULL;

	/* what main had done when it was killed: override written, unbound, probed */
	g_assert_true(hd_sysfs_write(fx->ctx->sysfs, "bus/pci/devices/" NIC "/driver_override", "pciback", &error));
	g_assert_true(hd_sysfs_write(fx->ctx->sysfs, "bus/pci/devices/" NIC "/driver/unbind", NIC, &error));
	g_assert_true(hd_sysfs_write(fx->ctx->sysfs, "bus/pci/drivers_probe", NIC, &error));
	plugin_assert_driver(fx, NIC, "pciback");
	g_assert_true(g_file_set_contents(path, v1, -1, &error));

	plugin_release_ok(fx, "guest");
	after = mock_sysfs_snapshot(fx->ms);
	g_assert_cmpstr(after, ==, before);
	g_assert_false(g_file_test(path, G_FILE_TEST_EXISTS));
	g_assert_cmpuint(plugin_log_count("INFO", "restore " NIC ": back on e1000e"), ==, 1);
}

#define ADD(path, func) g_test_add(path, PluginFixture, NULL, pciback_fixture_setup, func, plugin_fixture_teardown)

int
main(int argc, char **argv)
{
	plugin_test_init(&argc, &argv);
	ADD("/pciback/bind-release", test_bind_release);
	ADD("/pciback/refuses-kvm-backend", test_refuses_kvm_backend);
	ADD("/pciback/v1-journal", test_v1_journal);
	return g_test_run();
}
