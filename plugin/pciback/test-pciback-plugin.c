/*
 * test-pciback-plugin.c: the pciback plugin on the simulated kernel
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <errno.h>

#include "plugin-fixture.h"

#define NIC  "0000:01:00.0"
#define NIC2 "0000:02:00.0"
#define TG3  "0000:03:00.0"
#define TG3B "0000:04:00.0"
#define HOSTDEV_AT(bus, inner)                                                                       \
	"<hostdev mode='subsystem' type='pci' managed='no'><source" inner "><address domain='0' bus='" \
	bus "' slot='0' function='0'/></source></hostdev>"
#define HOSTDEV(driver)                                                         \
	"<hostdev mode='subsystem' type='pci' managed='no'>" driver             \
	"<source><address domain='0' bus='1' slot='0' function='0'/></source>" \
	"</hostdev>"
#define META_PERMISSIVE(bdf) \
	"<hd:hostdev-hook xmlns:hd='urn:hostdev-hook:1'><hd:device address='" bdf "' permissive='yes'/></hd:hostdev-hook>"

/* the tg3 block of xend's upstream xend-pci-quirks.sxp, as import-xend writes it */
#define TG3_POLICY                                                                  \
	"[quirk tg3]\n"                                                             \
	"devices=14e4:1644;14e4:1645\n"                                             \
	"fields=00000078:4:00000000;0000007c:4:00000000;00000080:4:00000000\n"

static const guint32 e1000e_ids[] = {MOCK_PCI_ID(0x8086, 0x10d3), 0};
static const guint32 tg3_ids[] = {MOCK_PCI_ID(0x14e4, 0x1644), 0};

static void
pciback_fixture_setup(PluginFixture *fx, gconstpointer data)
{
	plugin_fixture_setup(fx, data);
	mock_sysfs_add_driver(fx->ms, "pciback", NULL);
	mock_sysfs_add_driver(fx->ms, "e1000e", e1000e_ids);
	mock_sysfs_add_driver(fx->ms, "tg3", tg3_ids);
	/* Xen's dom0 has no IOMMU groups to show: pciback does not need them */
	mock_sysfs_add_device(fx->ms, NIC, 0x8086, 0x10d3, 0x020000, NULL, "e1000e");
	/* hidden at boot with xen-pciback.hide=(0000:02:00.0); another model than
	 * NIC's, since pciback's quirks file mixes up identical devices (see
	 * test_quirks_identical_devices) */
	mock_sysfs_add_device(fx->ms, NIC2, 0x8086, 0x1533, 0x020000, NULL, "pciback");
	/* two identical Broadcom NICs, for quirks */
	mock_sysfs_add_device(fx->ms, TG3, 0x14e4, 0x1644, 0x020000, NULL, "tg3");
	mock_sysfs_add_device(fx->ms, TG3B, 0x14e4, 0x1644, 0x020000, NULL, "tg3");
	mock_sysfs_set_subsystem(fx->ms, TG3, 0x14e4, 0x0001);
	mock_sysfs_set_subsystem(fx->ms, TG3B, 0x14e4, 0x0001);
}

/* the lines of pciback's @file, joined by ',', "" when empty */
static gchar *
pciback_list(PluginFixture *fx, const char *file)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *path = g_strconcat("bus/pci/drivers/pciback/", file, NULL);
	g_autofree gchar *text = hd_sysfs_read(fx->ctx->sysfs, path, &error);

	g_assert_no_error(error);
	g_strdelimit(g_strstrip(text), "\n", ',');
	return g_steal_pointer(&text);
}

static void
assert_pciback_list(PluginFixture *fx, const char *file, const char *expected)
{
	g_autofree gchar *have = pciback_list(fx, file);

	g_assert_cmpstr(have, ==, expected);
}

static void
assert_snapshot(PluginFixture *fx, const char *before)
{
	g_autofree gchar *now = mock_sysfs_snapshot(fx->ms);

	g_assert_cmpstr(now, ==, before);
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

	assert_pciback_list(fx, "slots", NIC2);
	g_assert_true(plugin_prepare(fx, "xen", "guest", NULL, HOSTDEV(""), &error));
	g_assert_no_error(error);
	plugin_assert_driver(fx, NIC, "pciback");
	/* seized through driver_override, so in the slot list while lent */
	assert_pciback_list(fx, "slots", NIC2 "," NIC);
	assert_pciback_list(fx, "permissive", "");
	plugin_release_ok(fx, "guest");
	/* out of the slot list again, or a reprobe would hand it back to pciback */
	assert_pciback_list(fx, "slots", NIC2);
	after = mock_sysfs_snapshot(fx->ms);
	g_assert_cmpstr(after, ==, before);
}

/* permissive from the metadata, on a PV guest: set after the bind, gone
 * with the unbind of release */
static void
test_permissive(PluginFixture *fx, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *before = mock_sysfs_snapshot(fx->ms);
	g_autoptr(HdPlan) plan = plugin_plan(fx, "xen", "guest", META_PERMISSIVE(NIC), HOSTDEV(""));
	const HdPlanDevice *dev = g_ptr_array_index(plan->devices, 0);

	g_assert_cmpstr(g_ptr_array_index(dev->steps, dev->steps->len - 1), ==, "write " NIC " to pciback/permissive");
	g_assert_true(plugin_prepare(fx, "xen", "guest", META_PERMISSIVE(NIC), HOSTDEV(""), &error));
	g_assert_no_error(error);
	assert_pciback_list(fx, "permissive", NIC);
	plugin_release_ok(fx, "guest");
	assert_pciback_list(fx, "permissive", "");
	assert_snapshot(fx, before);
}

/* writeFiltering='no' is libvirt's spelling, and the policy can ask by ids */
static void
test_permissive_sources(PluginFixture *fx, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *before = mock_sysfs_snapshot(fx->ms);

	g_assert_true(plugin_prepare(fx, "xen", "guest", NULL, HOSTDEV_AT("1", " writeFiltering='no'"), &error));
	g_assert_no_error(error);
	assert_pciback_list(fx, "permissive", NIC);
	plugin_release_ok(fx, "guest");
	assert_snapshot(fx, before);

	plugin_fixture_set_policy(fx, "[pciback]\npermissive=8086:10d3:ffff:ffff\n");
	g_assert_true(plugin_prepare(fx, "xen", "guest", NULL, HOSTDEV(""), &error));
	g_assert_no_error(error);
	assert_pciback_list(fx, "permissive", NIC);
	plugin_release_ok(fx, "guest");
	assert_snapshot(fx, before);
}

/* an HVM guest's QEMU filters config space itself and hears of permissive
 * mode only through writeFiltering='no' */
static void
test_permissive_hvm(PluginFixture *fx, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *before = mock_sysfs_snapshot(fx->ms);
	g_autofree gchar *hvm_without = g_strdup("<domain type='xen'><name>hvm</name><os><type>hvm</type></os>"
						 "<metadata>" META_PERMISSIVE(NIC) "</metadata>"
						 "<devices>" HOSTDEV("") "</devices></domain>");
	g_autoptr(HdDomain) domain = hd_domain_parse(hvm_without, strlen(hvm_without), &error);
	g_autoptr(HdPlan) plan = NULL;
	const HdPlanDevice *dev;

	g_assert_no_error(error);
	plan = hd_plan_new_for_domain(fx->ctx, "hvm", g_steal_pointer(&domain), &error);
	g_assert_no_error(error);
	dev = g_ptr_array_index(plan->devices, 0);
	g_assert_cmpint(dev->action, ==, HD_ACTION_ERROR);
	g_assert_cmpstr(dev->reason, ==,
			"pciback: permissive mode for an HVM guest needs <source writeFiltering='no'> on the hostdev, "
			"which is how libxl tells QEMU; add it");
	assert_snapshot(fx, before);
}

/* a device hidden at boot stays in the slot list and on pciback; what we
 * set on it goes, by seizing it afresh */
static void
test_hidden_at_boot(PluginFixture *fx, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *before = mock_sysfs_snapshot(fx->ms);
	g_autofree gchar *quirks = NULL;

	plugin_fixture_set_policy(fx, "[quirk i210]\ndevices=8086:1533\nfields=000000e0:2:0000ffff\n");
	g_assert_true(plugin_prepare(fx, "xen", "guest", META_PERMISSIVE(NIC2),
				     HOSTDEV_AT("2", ""), &error));
	g_assert_no_error(error);
	assert_pciback_list(fx, "permissive", NIC2);
	quirks = mock_sysfs_get_quirks(fx->ms, NIC2);
	g_assert_nonnull(strstr(quirks, "000000e0:2:0000ffff"));
	plugin_release_ok(fx, "guest");
	plugin_assert_driver(fx, NIC2, "pciback");
	assert_pciback_list(fx, "slots", NIC2);
	assert_pciback_list(fx, "permissive", "");
	assert_snapshot(fx, before);
}

/* quirks from a [quirk] group, matched by ids, written after the bind */
static void
test_quirks(PluginFixture *fx, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *before = mock_sysfs_snapshot(fx->ms);
	g_autofree gchar *quirks = NULL;

	plugin_fixture_set_policy(fx, TG3_POLICY);
	g_assert_true(plugin_prepare(fx, "xen", "guest", NULL, HOSTDEV_AT("3", ""), &error));
	g_assert_no_error(error);
	quirks = mock_sysfs_get_quirks(fx->ms, TG3);
	g_assert_nonnull(strstr(quirks, "00000078:4:00000000"));
	g_assert_nonnull(strstr(quirks, "0000007c:4:00000000"));
	g_assert_nonnull(strstr(quirks, "00000080:4:00000000"));
	plugin_release_ok(fx, "guest");
	plugin_assert_driver(fx, TG3, "tg3");
	assert_snapshot(fx, before);
}

/*
 * pciback matches quirks by ids: two identical NICs lent to two domains,
 * and releasing one leaves the other's quirks in place.  (The kernel's
 * quirks file then lists the staying device by the other's address, as
 * pcistub drops the first entry with the same ids: a listing wart of the
 * kernel's that no order of writes avoids, and that the device's actual
 * config-space fields, checked here, do not share.)
 */
static void
test_quirks_identical_devices(PluginFixture *fx, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *before = mock_sysfs_snapshot(fx->ms);
	g_autofree gchar *kept = NULL;

	plugin_fixture_set_policy(fx, TG3_POLICY);
	g_assert_true(plugin_prepare(fx, "xen", "one", NULL, HOSTDEV_AT("3", ""), &error));
	g_assert_true(plugin_prepare(fx, "xen", "two", NULL, HOSTDEV_AT("4", ""), &error));
	g_assert_no_error(error);
	plugin_release_ok(fx, "one");
	kept = mock_sysfs_get_quirks(fx->ms, TG3B);
	g_assert_nonnull(kept);
	g_assert_nonnull(strstr(kept, "00000078:4:00000000"));
	g_assert_nonnull(strstr(kept, "00000080:4:00000000"));
	plugin_release_ok(fx, "two");
	assert_snapshot(fx, before);
}

/* a failure at each write of a permissive, quirky lend undoes it all */
static const struct {
	const char *name;
	const char *suffix;
	guint nth;
} failure_cases[] = {
    {"override", "driver_override", 1},
    {"unbind", "driver/unbind", 1},
    {"probe", "drivers_probe", 1},
    {"permissive", "pciback/permissive", 1},
    {"first-quirk", "pciback/quirks", 1},
    {"last-quirk", "pciback/quirks", 3},
};

static void
test_rollback(PluginFixture *fx, gconstpointer data)
{
	guint i = GPOINTER_TO_UINT(data);
	g_autoptr(GError) error = NULL;
	g_autofree gchar *before = mock_sysfs_snapshot(fx->ms);

	plugin_fixture_set_policy(fx, TG3_POLICY);
	mock_sysfs_fail_write(fx->ms, failure_cases[i].suffix, failure_cases[i].nth, EINVAL);
	g_assert_false(plugin_prepare(fx, "xen", "guest", META_PERMISSIVE(TG3), HOSTDEV_AT("3", ""), &error));
	g_assert_error(error, HD_ERROR, HD_ERROR_INVALID_DATA);
	g_assert_cmpuint(plugin_log_count("WARNING", "rollback " TG3), ==, 1);
	assert_snapshot(fx, before);
}

/* another tool's driver_override comes back as it was */
static void
test_foreign_override(PluginFixture *fx, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *before = NULL;

	g_assert_true(hd_sysfs_write(fx->ctx->sysfs, "bus/pci/devices/" NIC "/driver_override", "e1000e", &error));
	before = mock_sysfs_snapshot(fx->ms);
	g_assert_true(plugin_prepare(fx, "xen", "guest", NULL, HOSTDEV(""), &error));
	g_assert_no_error(error);
	plugin_assert_driver(fx, NIC, "pciback");
	plugin_release_ok(fx, "guest");
	assert_snapshot(fx, before);
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
	ADD("/pciback/permissive", test_permissive);
	ADD("/pciback/permissive-sources", test_permissive_sources);
	ADD("/pciback/permissive-hvm", test_permissive_hvm);
	ADD("/pciback/hidden-at-boot", test_hidden_at_boot);
	ADD("/pciback/quirks", test_quirks);
	ADD("/pciback/quirks-identical-devices", test_quirks_identical_devices);
	ADD("/pciback/foreign-override", test_foreign_override);
	for (guint i = 0; i < G_N_ELEMENTS(failure_cases); i++) {
		g_autofree gchar *path = g_strdup_printf("/pciback/rollback/%s", failure_cases[i].name);
		g_test_add(path, PluginFixture, GUINT_TO_POINTER(i), pciback_fixture_setup, test_rollback,
			   plugin_fixture_teardown);
	}
	return g_test_run();
}
