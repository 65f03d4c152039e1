/*
 * test-admin.c: hostdevctl boot, assign, unassign and list-assignable on
 * the simulated kernel
 *
 * The host's own owners go through the hook's plan, journal and restore:
 * these tests drive them under the state lock as hostdevctl does, and
 * compare the whole simulated host before and after, so that "restored
 * exactly" and "refused, nothing changed" mean an identical snapshot.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "hd-admin.h"
#include "hd-status.h"
#include "plugin-fixture.h"
#include "test-helpers.h"
#include "test-json.h"

/*
 * The host: two e1000e NICs, each alone in its IOMMU group; an NVMe SR-IOV
 * PF with 4 VFs at offset 1, stride 1 (03:00.1 ..), none enabled; two
 * e1000 functions sharing group 5; a USB controller.
 */
#define NIC1   "0000:01:00.0"
#define NIC2   "0000:02:00.0"
#define PF     "0000:03:00.0"
#define VF1    "0000:03:00.1"
#define VF2    "0000:03:00.2"
#define E1000A "0000:06:00.0"
#define E1000B "0000:06:00.1"
#define USB    "0000:07:00.0"

#define HOSTDEV_AT(bus, slot, function)                                                                   \
	"<hostdev mode='subsystem' type='pci' managed='no'><source><address domain='0' bus='" bus "' slot='" \
	slot "' function='" function "'/></source></hostdev>"
#define HOSTDEV_NIC1 HOSTDEV_AT("1", "0", "0")
#define HOSTDEV_VF1  HOSTDEV_AT("3", "0", "1")

#define NUMVFS "bus/pci/devices/" PF "/sriov_numvfs"

static const guint32 e1000e_ids[] = {MOCK_PCI_ID(0x8086, 0x10d3), 0};
static const guint32 e1000_ids[] = {MOCK_PCI_ID(0x8086, 0x100e), 0};
static const guint32 nvme_ids[] = {MOCK_PCI_ID(0x1b36, 0x0010), 0};
static const guint32 xhci_ids[] = {MOCK_PCI_ID(0x1b36, 0x000d), 0};

typedef struct {
	PluginFixture base;
	gchar *before; /* the host as it booted */
	GHashTable *addresses; /* ifindex -> what the fake netlink says of it */
} AdminFixture;

static gboolean
fake_netdev_use(int ifindex, gpointer user_data, gchar **reason, GError **error)
{
	AdminFixture *fx = user_data;

	*reason = g_strdup(g_hash_table_lookup(fx->addresses, GINT_TO_POINTER(ifindex)));
	return TRUE;
}

static void
admin_fixture_build(AdminFixture *fx, gboolean xen)
{
	MockSysfs *ms;

	plugin_fixture_setup(&fx->base, NULL);
	ms = fx->base.ms;
	mock_sysfs_add_driver(ms, xen ? "pciback" : "vfio-pci", NULL);
	mock_sysfs_add_driver(ms, "e1000e", e1000e_ids);
	mock_sysfs_add_driver(ms, "e1000", e1000_ids);
	mock_sysfs_add_driver(ms, "nvme", nvme_ids);
	mock_sysfs_add_driver(ms, "xhci_hcd", xhci_ids);
	/* a Xen dom0 has no IOMMU groups to show */
	mock_sysfs_add_device(ms, NIC1, 0x8086, 0x10d3, 0x020000, xen ? NULL : "1", "e1000e");
	mock_sysfs_add_device(ms, NIC2, 0x8086, 0x10d3, 0x020000, xen ? NULL : "2", "e1000e");
	mock_sysfs_add_device(ms, PF, 0x1b36, 0x0010, 0x010802, xen ? NULL : "3", "nvme");
	mock_sysfs_add_sriov_pf(ms, PF, 4, 1, 1, 0x0010);
	mock_sysfs_add_device(ms, E1000A, 0x8086, 0x100e, 0x020000, xen ? NULL : "5", "e1000");
	mock_sysfs_add_device(ms, E1000B, 0x8086, 0x100e, 0x020000, xen ? NULL : "5", "e1000");
	mock_sysfs_add_device(ms, USB, 0x1b36, 0x000d, 0x0c0330, xen ? NULL : "7", "xhci_hcd");
	fx->addresses = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, g_free);
	fx->base.ctx->netdev_use = fake_netdev_use;
	fx->base.ctx->netdev_use_data = fx;
	fx->before = mock_sysfs_snapshot(ms);
}

static void
admin_fixture_setup(AdminFixture *fx, gconstpointer data)
{
	admin_fixture_build(fx, FALSE);
}

static void
admin_fixture_setup_xen(AdminFixture *fx, gconstpointer data)
{
	admin_fixture_build(fx, TRUE);
}

static void
admin_fixture_teardown(AdminFixture *fx, gconstpointer data)
{
	g_free(fx->before);
	g_hash_table_unref(fx->addresses);
	/* checks that no journal is left: every test gives everything back */
	plugin_fixture_teardown(&fx->base, data);
}

#define ADMIN_TEST(path, func) \
	g_test_add(path, AdminFixture, NULL, admin_fixture_setup, func, admin_fixture_teardown)
#define ADMIN_TEST_XEN(path, func) \
	g_test_add(path, AdminFixture, NULL, admin_fixture_setup_xen, func, admin_fixture_teardown)

/* ---- driving hostdevctl's library as hostdevctl does: under the lock ------------- */

static HdStateLock *
admin_lock(AdminFixture *fx)
{
	g_autoptr(GError) error = NULL;
	HdStateLock *lock = hd_state_lock_acquire(fx->base.state_dir, &error);

	g_assert_no_error(error);
	return lock;
}

/* boot; the report, NULL on an error */
static gchar *
admin_boot(AdminFixture *fx, HdHypervisor hypervisor, gboolean *already, GError **error)
{
	g_autoptr(HdStateLock) lock = admin_lock(fx);
	g_autoptr(GString) report = g_string_new(NULL);
	gboolean done = FALSE;

	if (!hd_admin_boot(fx->base.ctx, hypervisor, report, already != NULL ? already : &done, error))
		return NULL;
	return g_string_free(g_steal_pointer(&report), FALSE);
}

static gchar *
admin_boot_ok(AdminFixture *fx, gboolean *already)
{
	g_autoptr(GError) error = NULL;
	gchar *report = admin_boot(fx, HD_HYPERVISOR_KVM, already, &error);

	g_assert_no_error(error);
	return report;
}

static gchar *
admin_boot_undo(AdminFixture *fx, GError **error)
{
	g_autoptr(HdStateLock) lock = admin_lock(fx);
	g_autoptr(GString) report = g_string_new(NULL);

	if (!hd_admin_boot_undo(fx->base.ctx, report, error))
		return NULL;
	return g_string_free(g_steal_pointer(&report), FALSE);
}

static void
admin_boot_undo_ok(AdminFixture *fx)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *report = admin_boot_undo(fx, &error);

	g_assert_no_error(error);
}

static gchar *
admin_assign(AdminFixture *fx,
	     const char *bdf,
	     const char *driver,
	     HdHypervisor hypervisor,
	     gboolean *already,
	     GError **error)
{
	g_autoptr(HdStateLock) lock = admin_lock(fx);
	g_autoptr(GString) report = g_string_new(NULL);
	gboolean done = FALSE;
	HdAddress addr;

	g_assert_true(hd_address_parse_bdf(bdf, &addr, NULL));
	if (!hd_admin_assign(fx->base.ctx, &addr, driver, FALSE, hypervisor, report, already != NULL ? already : &done,
			     error))
		return NULL;
	return g_string_free(g_steal_pointer(&report), FALSE);
}

static void
admin_assign_ok(AdminFixture *fx, const char *bdf, const char *driver, HdHypervisor hypervisor)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *report = admin_assign(fx, bdf, driver, hypervisor, NULL, &error);

	g_assert_no_error(error);
}

static gchar *
admin_unassign(AdminFixture *fx, const char *bdf, GError **error)
{
	g_autoptr(HdStateLock) lock = admin_lock(fx);
	g_autoptr(GString) report = g_string_new(NULL);
	HdAddress addr;

	g_assert_true(hd_address_parse_bdf(bdf, &addr, NULL));
	if (!hd_admin_unassign(fx->base.ctx, &addr, report, error))
		return NULL;
	return g_string_free(g_steal_pointer(&report), FALSE);
}

static void
admin_unassign_ok(AdminFixture *fx, const char *bdf)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *report = admin_unassign(fx, bdf, &error);

	g_assert_no_error(error);
}

static gchar *
admin_list(AdminFixture *fx, gboolean json)
{
	g_autoptr(GError) error = NULL;
	gchar *list = hd_admin_list_assignable(fx->base.ctx, json, &error);

	g_assert_no_error(error);
	return list;
}

static void
assert_as_booted(AdminFixture *fx)
{
	g_autofree gchar *now = mock_sysfs_snapshot(fx->base.ms);

	g_assert_cmpstr(now, ==, fx->before);
}

static void
assert_numvfs(AdminFixture *fx, const char *expected)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *numvfs = hd_sysfs_read(fx->base.ctx->sysfs, NUMVFS, &error);

	g_assert_no_error(error);
	g_assert_cmpstr(g_strstrip(numvfs), ==, expected);
}

/* a refusal: one line, exactly @expected, and the host as it was */
static void
assert_refused(AdminFixture *fx, const GError *error, const char *snapshot, const char *expected)
{
	g_autofree gchar *line = NULL;
	g_autofree gchar *now = mock_sysfs_snapshot(fx->base.ms);

	g_assert_nonnull(error);
	line = g_strconcat(error->message, "\n", NULL);
	test_assert_one_line(line);
	g_assert_cmpstr(error->message, ==, expected);
	g_assert_cmpstr(now, ==, snapshot);
}

static void
write_tree(AdminFixture *fx, const char *relpath, const char *contents)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *path = g_build_filename(mock_sysfs_get_root(fx->base.ms), relpath, NULL);
	g_autofree gchar *dir = g_path_get_dirname(path);

	g_assert_cmpint(g_mkdir_with_parents(dir, 0755), ==, 0);
	g_assert_true(g_file_set_contents(path, contents, -1, &error));
	g_assert_no_error(error);
}

/* ---- boot ------------------------------------------------------------------------------ */

/* by address, by ids (a whole IOMMU group, viable together), by class,
 * and VFs; then undone to the very same host */
static void
test_boot_binds_and_undo_restores(AdminFixture *fx, gconstpointer data)
{
	g_autofree gchar *report = NULL;
	g_autofree gchar *list = NULL;
	gboolean already = TRUE;

	plugin_fixture_set_policy(&fx->base, "[boot]\ndevices=" NIC1 "\nids=8086:100e\nclasses=0x0c03\n"
					     "vfs=" PF "=2\n");
	report = admin_boot_ok(fx, &already);
	g_assert_false(already);
	g_assert_cmpstr(report, ==,
			PF ": provision 2 virtual functions\n" NIC1 ": on vfio-pci (was e1000e)\n" E1000A
			": on vfio-pci (was e1000)\n" E1000B ": on vfio-pci (was e1000)\n" USB
			": on vfio-pci (was xhci_hcd)\n");
	plugin_assert_driver(&fx->base, NIC1, "vfio-pci");
	plugin_assert_driver(&fx->base, NIC2, "e1000e");
	plugin_assert_driver(&fx->base, E1000A, "vfio-pci");
	plugin_assert_driver(&fx->base, E1000B, "vfio-pci");
	plugin_assert_driver(&fx->base, USB, "vfio-pci");
	plugin_assert_driver(&fx->base, PF, "nvme");
	assert_numvfs(fx, "2");

	list = admin_list(fx, FALSE);
	g_assert_cmpstr(list, ==,
			"ADDRESS       OWNER   DRIVER         ORIGINAL       USED BY\n"
			PF "  boot    PF with 2 virtual function(s), 0 before\n"
			NIC1 "  boot    vfio-pci       e1000e         -\n"
			E1000A "  boot    vfio-pci       e1000          -\n"
			E1000B "  boot    vfio-pci       e1000          -\n"
			USB "  boot    vfio-pci       xhci_hcd       -\n");

	admin_boot_undo_ok(fx);
	assert_as_booted(fx);
}

/* a second boot changes nothing: it would have to undo the first, under
 * domains that may be using its devices */
static void
test_boot_twice_is_harmless(AdminFixture *fx, gconstpointer data)
{
	g_autofree gchar *first = NULL;
	g_autofree gchar *second = NULL;
	gboolean already = FALSE;
	guint writes;

	plugin_fixture_set_policy(&fx->base, "[boot]\ndevices=" NIC1 "\n");
	first = admin_boot_ok(fx, &already);
	g_assert_false(already);
	writes = mock_sysfs_get_writes(fx->base.ms)->len;
	second = admin_boot_ok(fx, &already);
	g_assert_true(already);
	g_assert_cmpstr(second, ==, "already applied: 1 change(s) held for the host; to apply a changed [boot], run "
				    "'hostdevctl boot --undo' first\n");
	g_assert_cmpuint(mock_sysfs_get_writes(fx->base.ms)->len, ==, writes);
	plugin_assert_driver(&fx->base, NIC1, "vfio-pci");
	admin_boot_undo_ok(fx);
	assert_as_booted(fx);
}

static void
test_boot_nothing_to_do(AdminFixture *fx, gconstpointer data)
{
	g_autofree gchar *report = admin_boot_ok(fx, NULL);
	g_autoptr(GError) error = NULL;
	g_autofree gchar *undo = admin_boot_undo(fx, &error);

	g_assert_cmpstr(report, ==, "nothing to do: the policy's [boot] names no device and no VFs\n");
	g_assert_no_error(error);
	g_assert_cmpstr(undo, ==, "nothing to undo: no device is held by boot-time binding\n");
	assert_as_booted(fx);
}

/* one device refused refuses the whole set: nothing changes */
static void
test_boot_refused_whole(AdminFixture *fx, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *report = NULL;

	plugin_fixture_set_policy(&fx->base, "[boot]\ndevices=" NIC1 ";" NIC2 "\nvfs=" PF "=2\n"
					     "[protect]\ndevices=" NIC2 "\n");
	report = admin_boot(fx, HD_HYPERVISOR_KVM, NULL, &error);
	g_assert_null(report);
	assert_refused(fx, error, fx->before, NIC2 ": protected by the host's hostdev-hook policy");
}

/* a boot killed half-way is not "applied": --undo first, which finds an
 * entry that never got past "begin" and so changed nothing */
static void
test_boot_unfinished(AdminFixture *fx, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *report = NULL;
	HdOwner owner = {HD_OWNER_HOST, (gchar *)HD_ADMIN_BOOT_OWNER};

	{
		g_autoptr(HdStateLock) lock = admin_lock(fx);
		g_autoptr(HdJournal) journal = hd_journal_load(fx->base.state_dir, &owner, &error);

		g_assert_no_error(error);
		hd_journal_begin(journal, NIC1, NULL, "vfio-pci", HD_PHASE_BIND);
		g_assert_true(hd_journal_save(journal, &error));
		g_assert_no_error(error);
	}
	plugin_fixture_set_policy(&fx->base, "[boot]\ndevices=" NIC1 "\n");
	report = admin_boot(fx, HD_HYPERVISOR_KVM, NULL, &error);
	g_assert_null(report);
	assert_refused(fx, error, fx->before,
		       NIC1 ": an earlier boot stopped half-way (bind by vfio-pci at step begin); run 'hostdevctl boot "
			    "--undo', then boot again");
	admin_boot_undo_ok(fx);
	g_free(admin_boot_ok(fx, NULL));
	plugin_assert_driver(&fx->base, NIC1, "vfio-pci");
	admin_boot_undo_ok(fx);
	assert_as_booted(fx);
}

/* a domain may use what boot bound; it gives it back to the stub, and boot
 * --undo waits for it */
static void
test_boot_device_lent_to_domain(AdminFixture *fx, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *bound = NULL;
	g_autofree gchar *report = NULL;
	g_autofree gchar *list = NULL;

	plugin_fixture_set_policy(&fx->base, "[boot]\ndevices=" NIC1 "\n");
	g_free(admin_boot_ok(fx, NULL));
	bound = mock_sysfs_snapshot(fx->base.ms);

	plugin_prepare_ok(&fx->base, "vm1", NULL, HOSTDEV_NIC1);
	list = admin_list(fx, FALSE);
	g_assert_nonnull(strstr(list, NIC1 "  boot    vfio-pci       e1000e         vm1\n"));

	/* one domain at a time */
	plugin_prepare(&fx->base, "kvm", "vm2", NULL, HOSTDEV_NIC1, &error);
	g_assert_error(error, HD_ERROR, HD_ERROR_NOT_SUPPORTED);
	g_assert_cmpstr(error->message, ==, NIC1 ": in use by domain 'vm1', which hostdev-hook prepared it for");
	g_clear_error(&error);

	/* not from under the domain */
	report = admin_boot_undo(fx, &error);
	g_assert_null(report);
	assert_refused(fx, error, bound, NIC1 ": in use by domain 'vm1'; stop the domain first");
	g_clear_error(&error);

	/* the domain leaves it where it found it: on the stub, still assignable */
	plugin_release_ok(&fx->base, "vm1");
	plugin_assert_driver(&fx->base, NIC1, "vfio-pci");
	{
		g_autofree gchar *now = mock_sysfs_snapshot(fx->base.ms);
		g_assert_cmpstr(now, ==, bound);
	}
	admin_boot_undo_ok(fx);
	assert_as_booted(fx);
}

/* VFs created at boot serve domains; the PF keeps them after a domain's
 * release, and boot --undo waits for the last domain */
static void
test_boot_vfs_lent_to_domain(AdminFixture *fx, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *report = NULL;
	g_autofree gchar *provisioned = NULL;

	plugin_fixture_set_policy(&fx->base, "[boot]\nvfs=" PF "=2\n");
	g_free(admin_boot_ok(fx, NULL));
	assert_numvfs(fx, "2");
	provisioned = mock_sysfs_snapshot(fx->base.ms);

	plugin_prepare_ok(&fx->base, "vm1", NULL, HOSTDEV_VF1);
	plugin_assert_driver(&fx->base, VF1, "vfio-pci");
	report = admin_boot_undo(fx, &error);
	g_assert_null(report);
	g_assert_nonnull(error);
	g_assert_cmpstr(error->message, ==,
			PF ": domain 'vm1' uses its virtual function " VF1 "; stop the domain first");
	g_clear_error(&error);
	assert_numvfs(fx, "2");

	plugin_release_ok(&fx->base, "vm1");
	assert_numvfs(fx, "2");
	{
		g_autofree gchar *now = mock_sysfs_snapshot(fx->base.ms);
		g_assert_cmpstr(now, ==, provisioned);
	}
	admin_boot_undo_ok(fx);
	assert_as_booted(fx);
}

/* a VF that vfs= creates can be named in devices= */
static void
test_boot_binds_created_vf(AdminFixture *fx, gconstpointer data)
{
	g_autofree gchar *report = NULL;

	plugin_fixture_set_policy(&fx->base, "[boot]\nvfs=" PF "=2\ndevices=" VF2 "\n");
	report = admin_boot_ok(fx, NULL);
	g_assert_cmpstr(report, ==, PF ": provision 2 virtual functions\n" VF2 ": on vfio-pci (was no driver)\n");
	plugin_assert_driver(&fx->base, VF2, "vfio-pci");
	assert_numvfs(fx, "2");
	admin_boot_undo_ok(fx);
	assert_as_booted(fx);
}

/* ---- assign and unassign -------------------------------------------------------------- */

/* the original driver and driver_override come back exactly */
static void
test_assign_round_trip(AdminFixture *fx, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *before = NULL;
	g_autofree gchar *report = NULL;
	g_autofree gchar *undo = NULL;
	g_autofree gchar *json = NULL;
	g_autoptr(json_object) root = NULL;
	json_object *device;

	/* an administrator pinned the NIC to its driver */
	g_assert_true(
	    hd_sysfs_write(fx->base.ctx->sysfs, "bus/pci/devices/" NIC2 "/driver_override", "e1000e", &error));
	g_assert_no_error(error);
	before = mock_sysfs_snapshot(fx->base.ms);
	g_assert_nonnull(strstr(before, NIC2 " driver=e1000e override=e1000e"));

	report = admin_assign(fx, NIC2, NULL, HD_HYPERVISOR_KVM, NULL, &error);
	g_assert_no_error(error);
	g_assert_cmpstr(report, ==, NIC2 ": on vfio-pci (was e1000e)\n");
	plugin_assert_driver(&fx->base, NIC2, "vfio-pci");

	json = admin_list(fx, TRUE);
	root = test_json_parse(json);
	device = test_json_index(test_json_array(root, "devices"), 0);
	g_assert_cmpstr(test_json_string(device, "address"), ==, NIC2);
	g_assert_cmpstr(test_json_string(device, "owner"), ==, "assign");
	g_assert_cmpstr(test_json_string(device, "journal"), ==, "assign-0000-02-00-0");
	g_assert_cmpstr(test_json_string(device, "current_driver"), ==, "vfio-pci");
	g_assert_cmpstr(test_json_string(device, "original_driver"), ==, "e1000e");
	g_assert_cmpstr(test_json_string(device, "original_override"), ==, "e1000e");
	g_assert_true(test_json_is_null(device, "used_by"));

	undo = admin_unassign(fx, NIC2, &error);
	g_assert_no_error(error);
	g_assert_cmpstr(undo, ==, NIC2 ": back on e1000e\n");
	{
		g_autofree gchar *now = mock_sysfs_snapshot(fx->base.ms);
		g_assert_cmpstr(now, ==, before);
	}
}

/* as xl pci-assignable-add: pciback, its slot list given back too */
static void
test_assign_xen(AdminFixture *fx, gconstpointer data)
{
	g_autofree gchar *list = NULL;

	admin_assign_ok(fx, NIC1, NULL, HD_HYPERVISOR_XEN);
	plugin_assert_driver(&fx->base, NIC1, "pciback");
	list = admin_list(fx, FALSE);
	g_assert_cmpstr(list, ==, "ADDRESS       OWNER   DRIVER         ORIGINAL       USED BY\n"
				  NIC1 "  assign  pciback        e1000e         -\n");
	admin_unassign_ok(fx, NIC1);
	assert_as_booted(fx);
}

/* assign again: said so, exit 0 as xl does; another driver: refused */
static void
test_assign_twice(AdminFixture *fx, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *again = NULL;
	g_autofree gchar *other = NULL;
	g_autofree gchar *assigned = NULL;
	gboolean already = FALSE;

	admin_assign_ok(fx, NIC1, NULL, HD_HYPERVISOR_KVM);
	assigned = mock_sysfs_snapshot(fx->base.ms);
	again = admin_assign(fx, NIC1, "vfio-pci", HD_HYPERVISOR_KVM, &already, &error);
	g_assert_no_error(error);
	g_assert_true(already);
	g_assert_cmpstr(again, ==, NIC1 ": already assignable on vfio-pci (hostdevctl assign)\n");

	other = admin_assign(fx, NIC1, "pci-stub", HD_HYPERVISOR_KVM, NULL, &error);
	g_assert_null(other);
	assert_refused(fx, error, assigned,
		       NIC1 ": already assignable on vfio-pci (hostdevctl assign); unassign it first to move it to "
			    "pci-stub");
	admin_unassign_ok(fx, NIC1);
	assert_as_booted(fx);
}

/* a device found on the stub is journalled as found, and left there */
static void
test_assign_found_on_stub(AdminFixture *fx, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *report = NULL;
	g_autofree gchar *undo = NULL;
	g_autofree gchar *before = NULL;

	mock_sysfs_add_device(fx->base.ms, "0000:08:00.0", 0x8086, 0x10d3, 0x020000, "8", "vfio-pci");
	before = mock_sysfs_snapshot(fx->base.ms);
	report = admin_assign(fx, "0000:08:00.0", NULL, HD_HYPERVISOR_KVM, NULL, &error);
	g_assert_no_error(error);
	g_assert_cmpstr(report, ==, "0000:08:00.0: on vfio-pci (was vfio-pci)\n");
	undo = admin_unassign(fx, "0000:08:00.0", &error);
	g_assert_no_error(error);
	g_assert_cmpstr(undo, ==, "0000:08:00.0: left on vfio-pci, where it was found\n");
	{
		g_autofree gchar *now = mock_sysfs_snapshot(fx->base.ms);
		g_assert_cmpstr(now, ==, before);
	}
}

/* boot's devices are assignable already; unassign is boot --undo's job */
static void
test_assign_boot_device(AdminFixture *fx, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *again = NULL;
	g_autofree gchar *undo = NULL;
	g_autofree gchar *bound = NULL;
	gboolean already = FALSE;

	plugin_fixture_set_policy(&fx->base, "[boot]\ndevices=" NIC1 "\n");
	g_free(admin_boot_ok(fx, NULL));
	bound = mock_sysfs_snapshot(fx->base.ms);
	again = admin_assign(fx, NIC1, NULL, HD_HYPERVISOR_KVM, &already, &error);
	g_assert_no_error(error);
	g_assert_true(already);
	g_assert_cmpstr(again, ==, NIC1 ": already assignable on vfio-pci (bound at boot)\n");

	undo = admin_unassign(fx, NIC1, &error);
	g_assert_null(undo);
	assert_refused(fx, error, bound,
		       NIC1 ": bound at boot by the policy's [boot], not by hostdevctl assign; remove it from [boot] "
			    "and run 'hostdevctl boot --undo' to give it back");
	g_clear_error(&error);
	admin_boot_undo_ok(fx);
	assert_as_booted(fx);
}

/* ---- refusals: one line naming the device and the cause, nothing changed ------------- */

static void
assert_assign_refused(AdminFixture *fx, const char *bdf, const char *expected)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *report = admin_assign(fx, bdf, NULL, HD_HYPERVISOR_KVM, NULL, &error);

	g_assert_null(report);
	assert_refused(fx, error, fx->before, expected);
}

static void
test_refuse_in_use(AdminFixture *fx, gconstpointer data)
{
	g_autofree gchar *class_link = g_build_filename(mock_sysfs_get_root(fx->base.ms), "class", "net", "eth0", NULL);

	/* eth0 of NIC1, as the kernel links it from class/net */
	write_tree(fx, "bus/pci/devices/" NIC1 "/net/eth0/ifindex", "7\n");
	write_tree(fx, "class/net/.keep", "");
	g_assert_cmpint(symlink("../../bus/pci/devices/" NIC1 "/net/eth0", class_link), ==, 0);
	g_hash_table_insert(fx->addresses, GINT_TO_POINTER(7), g_strdup("has address 192.0.2.1/24"));
	g_free(fx->before);
	fx->before = mock_sysfs_snapshot(fx->base.ms);
	assert_assign_refused(fx, NIC1,
			      NIC1 ": in use by the host: network interface eth0 has address 192.0.2.1/24; stop using "
				   "it first");
}

static void
test_refuse_protected(AdminFixture *fx, gconstpointer data)
{
	plugin_fixture_set_policy(&fx->base, "[protect]\ndevices=" NIC1 "\n");
	assert_assign_refused(fx, NIC1, NIC1 ": protected by the host's hostdev-hook policy");
}

static void
test_refuse_denied(AdminFixture *fx, gconstpointer data)
{
	g_autofree gchar *expected = NULL;

	plugin_fixture_set_policy(&fx->base, "[deny]\nids=8086:10d3\n");
	expected = g_strdup_printf(NIC1 ": denied by the host's hostdev-hook policy (%s:2: [deny] ids=8086:10d3)",
				   fx->base.policy_path);
	assert_assign_refused(fx, NIC1, expected);
}

static void
test_refuse_group_not_viable(AdminFixture *fx, gconstpointer data)
{
	assert_assign_refused(fx, E1000A,
			      E1000A ": IOMMU group 5 is not viable: " E1000B " (e1000) still serves the host; ask for "
				     "it too, or set take-group='yes' in the domain's hostdev-hook metadata");
}

/* --take-group takes the group's other endpoints too, and gives them back */
static void
test_assign_take_group(AdminFixture *fx, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(HdStateLock) lock = admin_lock(fx);
	g_autoptr(GString) report = g_string_new(NULL);
	gboolean already = FALSE;
	HdAddress addr;

	g_assert_true(hd_address_parse_bdf(E1000A, &addr, NULL));
	g_assert_true(hd_admin_assign(fx->base.ctx, &addr, NULL, TRUE, HD_HYPERVISOR_KVM, report, &already, &error));
	g_assert_no_error(error);
	g_assert_cmpstr(report->str, ==, E1000A ": on vfio-pci (was e1000)\n" E1000B ": on vfio-pci (was e1000)\n");
	g_clear_pointer(&lock, hd_state_lock_release);
	admin_unassign_ok(fx, E1000A);
	assert_as_booted(fx);
}

static void
test_refuse_unassign_in_use(AdminFixture *fx, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *assigned = NULL;
	g_autofree gchar *report = NULL;

	admin_assign_ok(fx, NIC1, NULL, HD_HYPERVISOR_KVM);
	plugin_prepare_ok(&fx->base, "vm1", NULL, HOSTDEV_NIC1);
	assigned = mock_sysfs_snapshot(fx->base.ms);
	report = admin_unassign(fx, NIC1, &error);
	g_assert_null(report);
	assert_refused(fx, error, assigned, NIC1 ": in use by domain 'vm1'; stop the domain first");
	plugin_release_ok(&fx->base, "vm1");
	plugin_assert_driver(&fx->base, NIC1, "vfio-pci");
	admin_unassign_ok(fx, NIC1);
	assert_as_booted(fx);
}

static void
test_refuse_unassign_unknown(AdminFixture *fx, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *report = admin_unassign(fx, NIC1, &error);

	g_assert_null(report);
	assert_refused(fx, error, fx->before,
		       NIC1 ": not assigned: hostdevctl assign holds no such device (see hostdevctl list-assignable)");
}

/* a domain's device cannot be assigned from under it */
static void
test_refuse_assign_domain_device(AdminFixture *fx, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *lent = NULL;
	g_autofree gchar *report = NULL;

	plugin_prepare_ok(&fx->base, "vm1", NULL, HOSTDEV_NIC1);
	lent = mock_sysfs_snapshot(fx->base.ms);
	report = admin_assign(fx, NIC1, NULL, HD_HYPERVISOR_KVM, NULL, &error);
	g_assert_null(report);
	assert_refused(fx, error, lent, NIC1 ": in use by domain 'vm1', which hostdev-hook prepared it for");
	plugin_release_ok(&fx->base, "vm1");
	assert_as_booted(fx);
}

/* ---- status, recover and the hypervisor ---------------------------------------------------- */

/* status shows the host's owners; recover --all's loop gives them back */
static void
test_status_and_recover(AdminFixture *fx, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *status = NULL;
	g_autoptr(HdStateLock) lock = NULL;
	g_autoptr(GPtrArray) journals = NULL;

	admin_assign_ok(fx, NIC1, NULL, HD_HYPERVISOR_KVM);
	status = hd_status_to_text(fx->base.ctx, &error);
	g_assert_no_error(error);
	g_assert_nonnull(strstr(status, NIC1 "  host:assign-0000-01-00-0 "));
	lock = admin_lock(fx);
	journals = hd_journal_load_all(fx->base.state_dir, &error);
	g_assert_no_error(error);
	g_assert_cmpuint(journals->len, ==, 1);
	g_assert_true(hd_engine_release(fx->base.ctx, &((HdJournal *)g_ptr_array_index(journals, 0))->owner, &error));
	g_assert_no_error(error);
	assert_as_booted(fx);
}

/* auto: Xen's dom0 by xenfs, anything else KVM; the policy may say */
static void
test_host_hypervisor(AdminFixture *fx, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *proc = g_dir_make_tmp("test-admin-proc-XXXXXX", &error);
	g_autofree gchar *xenfs = g_build_filename(proc, "xen", NULL);
	g_autofree gchar *capabilities = g_build_filename(xenfs, "capabilities", NULL);
	HdHypervisor hypervisor = HD_HYPERVISOR_UNKNOWN;

	g_free(fx->base.ctx->proc_root);
	fx->base.ctx->proc_root = g_strdup(proc);
	g_assert_true(hd_admin_host_hypervisor(fx->base.ctx, &hypervisor, &error));
	g_assert_cmpint(hypervisor, ==, HD_HYPERVISOR_KVM);

	/* a domU has xenfs too, without control_d */
	g_assert_cmpint(g_mkdir_with_parents(xenfs, 0755), ==, 0);
	g_assert_true(g_file_set_contents(capabilities, "", -1, &error));
	g_assert_true(hd_admin_host_hypervisor(fx->base.ctx, &hypervisor, &error));
	g_assert_cmpint(hypervisor, ==, HD_HYPERVISOR_KVM);

	g_assert_true(g_file_set_contents(capabilities, "control_d\n", -1, &error));
	g_assert_true(hd_admin_host_hypervisor(fx->base.ctx, &hypervisor, &error));
	g_assert_cmpint(hypervisor, ==, HD_HYPERVISOR_XEN);
	/* a driver that is one hypervisor's stub decides */
	g_assert_true(hd_admin_hypervisor_for_driver(fx->base.ctx, "vfio-pci", &hypervisor, &error));
	g_assert_cmpint(hypervisor, ==, HD_HYPERVISOR_KVM);

	plugin_fixture_set_policy(&fx->base, "[boot]\nhypervisor=kvm\n");
	g_assert_true(hd_admin_host_hypervisor(fx->base.ctx, &hypervisor, &error));
	g_assert_cmpint(hypervisor, ==, HD_HYPERVISOR_KVM);
	g_assert_true(hd_admin_hypervisor_for_driver(fx->base.ctx, "pciback", &hypervisor, &error));
	g_assert_cmpint(hypervisor, ==, HD_HYPERVISOR_XEN);

	/* under Xen without xenfs a dom0 cannot be told apart: refused */
	plugin_fixture_set_policy(&fx->base, "[boot]\nhypervisor=auto\n");
	test_remove_tree(proc);
	write_tree(fx, "hypervisor/type", "xen\n");
	g_assert_false(hd_admin_host_hypervisor(fx->base.ctx, &hypervisor, &error));
	g_assert_error(error, HD_ERROR, HD_ERROR_NOT_FOUND);
	g_assert_true(g_str_has_prefix(error->message, "this host runs on Xen, but "));
	g_assert_nonnull(strstr(error->message, "mount xenfs there"));
}

/* hostdevctl COMMAND OPTION on the fixture's tree and state, with @policy */
static void
admin_run_cli_with_policy(AdminFixture *fx, TestRun *run, const char *command, const char *option,
			  const char *policy)
{
	g_autofree gchar *bin = test_bin("hostdevctl");
	const char *argv[] = {bin,
			      command,
			      option,
			      "--sysfs-root",
			      mock_sysfs_get_root(fx->base.ms),
			      "--state-dir",
			      fx->base.state_dir,
			      "--policy",
			      policy,
			      NULL};

	test_run(run, argv, NULL, NULL);
}

/* ... and no policy */
static void
admin_run_cli(AdminFixture *fx, TestRun *run, const char *command, const char *option)
{
	admin_run_cli_with_policy(fx, run, command, option, "/nonexistent");
}

/* the command line: list-assignable reads only, so it runs on the tree */
static void
test_cli_list_assignable(AdminFixture *fx, gconstpointer data)
{
	g_auto(TestRun) run = {0};
	g_autoptr(json_object) root = NULL;
	json_object *device;

	admin_assign_ok(fx, NIC1, NULL, HD_HYPERVISOR_KVM);
	admin_run_cli(fx, &run, "list-assignable", "--json");
	g_assert_cmpstr(run.err, ==, "");
	g_assert_cmpint(run.exit_status, ==, 0);
	root = test_json_parse(run.out);
	device = test_json_index(test_json_array(root, "devices"), 0);
	g_assert_cmpstr(test_json_string(device, "address"), ==, NIC1);
	g_assert_cmpstr(test_json_string(device, "owner"), ==, "assign");
	g_assert_cmpstr(test_json_string(device, "original_driver"), ==, "e1000e");
	admin_unassign_ok(fx, NIC1);
}

/* recover --all is for domains that are gone: the host's owners stay */
static void
test_cli_recover_all_leaves_host(AdminFixture *fx, gconstpointer data)
{
	g_auto(TestRun) run = {0};
	g_autofree gchar *assigned = NULL;

	admin_assign_ok(fx, NIC1, NULL, HD_HYPERVISOR_KVM);
	assigned = mock_sysfs_snapshot(fx->base.ms);
	admin_run_cli(fx, &run, "recover", "--all");
	g_assert_cmpstr(run.err, ==, "");
	g_assert_cmpint(run.exit_status, ==, 0);
	g_assert_cmpstr(run.out, ==, "host:assign-0000-01-00-0: left alone, held for domains; 'hostdevctl boot --undo' "
				     "or 'hostdevctl unassign' gives it back\n");
	{
		g_autofree gchar *now = mock_sysfs_snapshot(fx->base.ms);
		g_assert_cmpstr(now, ==, assigned);
	}
	admin_unassign_ok(fx, NIC1);
	assert_as_booted(fx);
}

/* recover gives devices back whatever the policy says: a broken one is
 * no reason to keep them, and boot, which needs it, still refuses */
static void
test_cli_recover_broken_policy(AdminFixture *fx, gconstpointer data)
{
	g_autofree gchar *policy = g_build_filename(fx->base.state_dir, "broken.conf", NULL);
	g_autoptr(GError) error = NULL;
	g_auto(TestRun) recover = {0};
	g_auto(TestRun) boot = {0};

	g_assert_true(g_file_set_contents(policy, "[bind]\ntimeout-ms=soon\n", -1, &error));
	g_assert_no_error(error);
	admin_run_cli_with_policy(fx, &recover, "recover", "--all", policy);
	g_assert_cmpstr(recover.err, ==, "");
	g_assert_cmpint(recover.exit_status, ==, 0);
	admin_run_cli_with_policy(fx, &boot, "boot", "--undo", policy);
	g_assert_cmpint(boot.exit_status, !=, 0);
	g_assert_true(g_str_has_prefix(boot.err, "hostdevctl: boot"));
	g_assert_nonnull(strstr(boot.err, "timeout-ms"));
	g_assert_cmpint(g_unlink(policy), ==, 0);
}

int
main(int argc, char **argv)
{
	plugin_test_init(&argc, &argv);
	ADMIN_TEST("/admin/boot/binds-and-undo-restores", test_boot_binds_and_undo_restores);
	ADMIN_TEST("/admin/boot/twice-is-harmless", test_boot_twice_is_harmless);
	ADMIN_TEST("/admin/boot/nothing-to-do", test_boot_nothing_to_do);
	ADMIN_TEST("/admin/boot/refused-whole", test_boot_refused_whole);
	ADMIN_TEST("/admin/boot/unfinished", test_boot_unfinished);
	ADMIN_TEST("/admin/boot/device-lent-to-domain", test_boot_device_lent_to_domain);
	ADMIN_TEST("/admin/boot/vfs-lent-to-domain", test_boot_vfs_lent_to_domain);
	ADMIN_TEST("/admin/boot/binds-created-vf", test_boot_binds_created_vf);
	ADMIN_TEST("/admin/assign/round-trip", test_assign_round_trip);
	ADMIN_TEST_XEN("/admin/assign/xen", test_assign_xen);
	ADMIN_TEST("/admin/assign/twice", test_assign_twice);
	ADMIN_TEST("/admin/assign/boot-device", test_assign_boot_device);
	ADMIN_TEST("/admin/assign/found-on-stub", test_assign_found_on_stub);
	ADMIN_TEST("/admin/assign/take-group", test_assign_take_group);
	ADMIN_TEST("/admin/refuse/in-use", test_refuse_in_use);
	ADMIN_TEST("/admin/refuse/protected", test_refuse_protected);
	ADMIN_TEST("/admin/refuse/denied", test_refuse_denied);
	ADMIN_TEST("/admin/refuse/group-not-viable", test_refuse_group_not_viable);
	ADMIN_TEST("/admin/refuse/unassign-in-use", test_refuse_unassign_in_use);
	ADMIN_TEST("/admin/refuse/unassign-unknown", test_refuse_unassign_unknown);
	ADMIN_TEST("/admin/refuse/assign-domain-device", test_refuse_assign_domain_device);
	ADMIN_TEST("/admin/status-and-recover", test_status_and_recover);
	ADMIN_TEST("/admin/host-hypervisor", test_host_hypervisor);
	ADMIN_TEST("/admin/cli/list-assignable", test_cli_list_assignable);
	ADMIN_TEST("/admin/cli/recover-all-leaves-host", test_cli_recover_all_leaves_host);
	ADMIN_TEST("/admin/cli/recover-broken-policy", test_cli_recover_broken_policy);
	return g_test_run();
}
