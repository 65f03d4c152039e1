/*
 * test-sriov-plugin.c: the sriov plugin on the simulated kernel
 *
 * An igb-like PF (82576: 7 VFs at routing ID offset 0x80, stride 2) whose
 * VFs are made when a domain asks for one that does not exist, or for a
 * count with <hd:vfs>; then: the count grows only through 0 and only when
 * no VF is in use, two domains share a PF and the last one restores it,
 * every refusal names its cause, and a failure or a crash at any write
 * leaves the host exactly as it was once rolled back or recovered.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <errno.h>
#include <unistd.h>

#include "plugin-fixture.h"

#define NIC "0000:01:00.0"
#define PF  "0000:02:00.0"
#define VF0 "0000:02:10.0"
#define VF1 "0000:02:10.2"
#define VF2 "0000:02:10.4"
#define VF3 "0000:02:10.6"
#define VF4 "0000:02:11.0"
#define VF6 "0000:02:11.4"

#define NUMVFS	  "bus/pci/devices/" PF "/sriov_numvfs"
#define AUTOPROBE "bus/pci/devices/" PF "/sriov_drivers_autoprobe"

/* a managed='no' hostdev at 0000:BUS:SLOT.FUNCTION */
#define HOSTDEV_AT(bus, slot, function)                                                                   \
	"<hostdev mode='subsystem' type='pci' managed='no'><source><address domain='0' bus='" bus "' slot='" \
	slot "' function='" function "'/></source></hostdev>"
#define HOSTDEV_VF0 HOSTDEV_AT("2", "0x10", "0")
#define HOSTDEV_VF1 HOSTDEV_AT("2", "0x10", "2")
#define HOSTDEV_VF2 HOSTDEV_AT("2", "0x10", "4")
#define HOSTDEV_VF3 HOSTDEV_AT("2", "0x10", "6")
#define HOSTDEV_VF6 HOSTDEV_AT("2", "0x11", "4")
#define META(inner)  "<hd:hostdev-hook xmlns:hd='urn:hostdev-hook:1'>" inner "</hd:hostdev-hook>"
#define VFS(pf, count) META("<hd:vfs pf='" pf "' count='" count "'/>")

static const guint32 igb_ids[] = {MOCK_PCI_ID(0x8086, 0x10c9), 0};
static const guint32 igbvf_ids[] = {MOCK_PCI_ID(0x8086, 0x10ca), 0};
static const guint32 e1000e_ids[] = {MOCK_PCI_ID(0x8086, 0x10d3), 0};

typedef struct {
	PluginFixture base;
	gchar *before;
} SriovFixture;

/* a host after boot: the PF on igb without VFs, autoprobe on, each device
 * in an IOMMU group of its own, vfio-pci loaded */
static void
sriov_fixture_setup(SriovFixture *fx, gconstpointer data)
{
	plugin_fixture_setup(&fx->base, data);
	mock_sysfs_add_driver(fx->base.ms, "vfio-pci", NULL);
	mock_sysfs_add_driver(fx->base.ms, "e1000e", e1000e_ids);
	mock_sysfs_add_driver(fx->base.ms, "igb", igb_ids);
	mock_sysfs_add_driver(fx->base.ms, "igbvf", igbvf_ids);
	mock_sysfs_add_device(fx->base.ms, NIC, 0x8086, 0x10d3, 0x020000, "1", "e1000e");
	mock_sysfs_add_device(fx->base.ms, PF, 0x8086, 0x10c9, 0x020000, "2", "igb");
	mock_sysfs_add_sriov_pf(fx->base.ms, PF, 7, 0x80, 2, 0x10ca);
	fx->before = mock_sysfs_snapshot(fx->base.ms);
}

static void
sriov_fixture_teardown(SriovFixture *fx, gconstpointer data)
{
	g_free(fx->before);
	plugin_fixture_teardown(&fx->base, data);
}

/* ---- helpers ----------------------------------------------------------------- */

static void
write_ok(SriovFixture *fx, const char *relpath, const char *value)
{
	g_autoptr(GError) error = NULL;

	g_assert_true(hd_sysfs_write(fx->base.ctx->sysfs, relpath, value, &error));
	g_assert_no_error(error);
}

static gchar *
read_attr(SriovFixture *fx, const char *relpath)
{
	g_autoptr(GError) error = NULL;
	gchar *value = hd_sysfs_read(fx->base.ctx->sysfs, relpath, &error);

	g_assert_no_error(error);
	return value;
}

static void
assert_pf(SriovFixture *fx, const char *numvfs, const char *autoprobe)
{
	g_autofree gchar *n = read_attr(fx, NUMVFS);
	g_autofree gchar *a = read_attr(fx, AUTOPROBE);

	g_assert_cmpstr(n, ==, numvfs);
	g_assert_cmpstr(a, ==, autoprobe);
}

static void
assert_as_before(SriovFixture *fx)
{
	g_autofree gchar *now = mock_sysfs_snapshot(fx->base.ms);

	g_assert_cmpstr(now, ==, fx->before);
}

/* the VFs an administrator made at boot: autoprobe on, so on igbvf */
static void
make_vfs_at_boot(SriovFixture *fx, const char *count)
{
	write_ok(fx, NUMVFS, count);
	g_free(fx->before);
	fx->before = mock_sysfs_snapshot(fx->base.ms);
}

/* the writes since @from, as "relpath=value" */
static gchar *
writes_since(SriovFixture *fx, guint from)
{
	GPtrArray *writes = mock_sysfs_get_writes(fx->base.ms);
	g_autoptr(GString) out = g_string_new(NULL);

	for (guint i = from; i < writes->len; i++)
		g_string_append_printf(out, "%s%s", out->len > 0 ? "\n" : "", (const char *)g_ptr_array_index(writes, i));
	return g_string_free(g_steal_pointer(&out), FALSE);
}

static const HdPlanDevice *
plan_device(HdPlan *plan, guint i)
{
	g_assert_cmpuint(i, <, plan->devices->len);
	return g_ptr_array_index(plan->devices, i);
}

static gchar *
chain_names(const HdPlanDevice *dev)
{
	g_autoptr(GString) out = g_string_new(NULL);

	for (guint i = 0; i < dev->chain->len; i++)
		g_string_append_printf(out, "%s%s", i > 0 ? "," : "", ((const HdPlugin *)g_ptr_array_index(dev->chain, i))->name);
	return g_string_free(g_steal_pointer(&out), FALSE);
}

static void
prepare_refused(SriovFixture *fx, const char *name, const char *metadata, const char *devices, const char *message)
{
	g_autoptr(GError) error = NULL;

	g_assert_false(plugin_prepare(&fx->base, "kvm", name, metadata, devices, &error));
	g_assert_nonnull(error);
	g_test_message("refused: %s", error->message);
	g_assert_cmpstr(error->message, ==, message);
}

static gchar *
journal_path(SriovFixture *fx, const char *name)
{
	g_autofree gchar *file = g_strconcat(name, ".journal", NULL);

	return g_build_filename(fx->base.state_dir, file, NULL);
}

/* ---- planning ------------------------------------------------------------------- */

/* a VF that does not exist yet belongs to the PF whose routing ID, offset
 * and stride produce it; an address no PF produces stays missing */
static void
test_plan(SriovFixture *fx, gconstpointer data)
{
	g_autoptr(HdPlan) plan = plugin_plan(&fx->base, "kvm", "guest", NULL,
					     HOSTDEV_VF2 HOSTDEV_AT("2", "0x10", "1") HOSTDEV_AT("2", "0x12", "0")
						 HOSTDEV_AT("1", "0", "0"));
	const HdPlanDevice *vf = plan_device(plan, 0);
	g_autofree gchar *chain = chain_names(vf);
	g_autofree gchar *nic_chain = chain_names(plan_device(plan, 3));

	g_assert_cmpint(vf->action, ==, HD_ACTION_BIND);
	g_assert_cmpstr(chain, ==, "sriov,vfio-pci");
	g_assert_cmpstr(vf->parent, ==, PF);
	g_assert_cmpstr(vf->target_driver, ==, "vfio-pci");
	g_assert_cmpuint(vf->steps->len, >=, 3);
	g_assert_cmpstr(g_ptr_array_index(vf->steps, 0), ==, "write 0 to sriov_drivers_autoprobe of " PF);
	g_assert_cmpstr(g_ptr_array_index(vf->steps, 1), ==, "write 3 to sriov_numvfs of " PF);
	g_assert_cmpstr(g_ptr_array_index(vf->steps, 2), ==, "wait up to 50 ms for virtfn0..virtfn2");
	/* odd functions are not this PF's (stride 2), nor is VF 8 of 7 */
	g_assert_cmpint(plan_device(plan, 1)->action, ==, HD_ACTION_ERROR);
	g_assert_cmpstr(plan_device(plan, 1)->reason, ==, "no such PCI device on this host");
	g_assert_null(plan_device(plan, 1)->parent);
	g_assert_cmpstr(plan_device(plan, 2)->reason, ==, "no such PCI device on this host");
	/* a device that is no VF is not the provisioner's */
	g_assert_cmpstr(nic_chain, ==, "vfio-pci");
	assert_as_before(fx);
}

/* ---- provisioning ------------------------------------------------------------- */

/* VF 2 asked for by address: three VFs made with autoprobe off, VF 2 bound
 * straight to vfio-pci, the others left without a driver; release puts
 * the PF back as it was */
static void
test_vf_on_demand(SriovFixture *fx, gconstpointer data)
{
	guint from = mock_sysfs_get_writes(fx->base.ms)->len;
	g_autofree gchar *writes = NULL;

	plugin_prepare_ok(&fx->base, "guest", NULL, HOSTDEV_VF2);
	writes = writes_since(fx, from);
	g_assert_cmpstr(writes, ==,
			AUTOPROBE "=0\n" NUMVFS "=3\n"
				  "bus/pci/devices/" VF2 "/driver_override=vfio-pci\n"
				  "bus/pci/drivers_probe=" VF2);
	assert_pf(fx, "3", "0");
	plugin_assert_driver(&fx->base, VF2, "vfio-pci");
	plugin_assert_driver(&fx->base, VF0, NULL);
	plugin_assert_driver(&fx->base, VF1, NULL);
	plugin_release_ok(&fx->base, "guest");
	assert_as_before(fx);
}

/* <hd:vfs>: at least N VFs for the domain's lifetime, nothing bound */
static void
test_vfs_request(SriovFixture *fx, gconstpointer data)
{
	g_autoptr(HdPlan) plan = plugin_plan(&fx->base, "kvm", "guest", VFS(PF, "4"), "");
	const HdPlanDevice *dev = plan_device(plan, 0);
	g_autofree gchar *chain = chain_names(dev);
	g_autofree gchar *action = hd_plan_device_action_string(dev);

	g_assert_cmpint(dev->action, ==, HD_ACTION_PROVISION);
	g_assert_cmpstr(chain, ==, "sriov");
	g_assert_cmpstr(action, ==, "provision 4 virtual functions");
	plugin_prepare_ok(&fx->base, "guest", VFS(PF, "4"), "");
	assert_pf(fx, "4", "0");
	plugin_assert_driver(&fx->base, VF3, NULL);
	plugin_release_ok(&fx->base, "guest");
	assert_as_before(fx);
}

/* <hd:vfs pf='NAME'>: the PF by its network interface */
static void
test_vfs_by_netdev(SriovFixture *fx, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	const char *root = mock_sysfs_get_root(fx->base.ms);
	g_autofree gchar *pf_net = g_build_filename(root, "bus/pci/devices", PF, "net", "enp2s0", NULL);
	g_autofree gchar *class_net = g_build_filename(root, "class", "net", NULL);
	g_autofree gchar *link = g_build_filename(class_net, "enp2s0", NULL);
	g_autofree gchar *device = g_build_filename(pf_net, "device", NULL);
	g_autofree gchar *subsystem = g_build_filename(root, "bus/pci/devices", PF, "subsystem", NULL);
	g_autofree gchar *xml = plugin_domain_xml("kvm", "guest", VFS("enp9s0", "2"), "");
	g_autoptr(HdDomain) domain = NULL;
	g_autoptr(HdPlan) refused = NULL;

	/* what the kernel shows: class/net/NAME -> the interface below its
	 * device, whose device link leads to the PCI function */
	g_assert_cmpint(g_mkdir_with_parents(pf_net, 0755), ==, 0);
	g_assert_cmpint(g_mkdir_with_parents(class_net, 0755), ==, 0);
	g_assert_cmpint(symlink("../../../" PF, device), ==, 0);
	g_assert_cmpint(symlink("../../../../bus/pci", subsystem), ==, 0);
	g_assert_cmpint(symlink("../../bus/pci/devices/" PF "/net/enp2s0", link), ==, 0);
	g_free(fx->before);
	fx->before = mock_sysfs_snapshot(fx->base.ms);

	plugin_prepare_ok(&fx->base, "guest", VFS("enp2s0", "2"), "");
	assert_pf(fx, "2", "0");
	plugin_release_ok(&fx->base, "guest");
	assert_as_before(fx);

	domain = hd_domain_parse(xml, strlen(xml), &error);
	g_assert_no_error(error);
	refused = hd_plan_new_for_domain(fx->base.ctx, "guest", g_steal_pointer(&domain), &error);
	g_assert_null(refused);
	g_assert_error(error, HD_ERROR, HD_ERROR_NOT_FOUND);
	g_assert_cmpstr(error->message, ==,
			"<hd:vfs pf='enp9s0'> at line 1: this host has no network interface enp9s0 of a PCI device; "
			"name the PF by its address instead");
}

/* the first request for a PF makes every VF the plan names: one write */
static void
test_plan_wide_count(SriovFixture *fx, gconstpointer data)
{
	guint from = mock_sysfs_get_writes(fx->base.ms)->len;
	g_autofree gchar *writes = NULL;

	plugin_prepare_ok(&fx->base, "guest", VFS(PF, "2"), HOSTDEV_VF0 HOSTDEV_VF6);
	writes = writes_since(fx, from);
	g_assert_cmpstr(writes, ==,
			AUTOPROBE "=0\n" NUMVFS "=7\n"
				  "bus/pci/devices/" VF0 "/driver_override=vfio-pci\n"
				  "bus/pci/drivers_probe=" VF0 "\n"
				  "bus/pci/devices/" VF6 "/driver_override=vfio-pci\n"
				  "bus/pci/drivers_probe=" VF6);
	plugin_release_ok(&fx->base, "guest");
	assert_as_before(fx);
}

/* too few VFs, none in use: through 0 (with autoprobe off meanwhile), and
 * back to the boot's count, on igbvf again, on release */
static void
test_regrow_through_zero(SriovFixture *fx, gconstpointer data)
{
	guint from = 0;
	g_autofree gchar *writes = NULL;

	make_vfs_at_boot(fx, "2");
	plugin_assert_driver(&fx->base, VF1, "igbvf");
	from = mock_sysfs_get_writes(fx->base.ms)->len;
	plugin_prepare_ok(&fx->base, "guest", NULL, HOSTDEV_VF3);
	writes = writes_since(fx, from);
	g_assert_cmpstr(writes, ==,
			NUMVFS "=0\n" AUTOPROBE "=0\n" NUMVFS "=4\n"
			       "bus/pci/devices/" VF3 "/driver_override=vfio-pci\n"
			       "bus/pci/drivers_probe=" VF3);
	plugin_assert_driver(&fx->base, VF1, NULL);
	plugin_release_ok(&fx->base, "guest");
	assert_pf(fx, "2", "1");
	plugin_assert_driver(&fx->base, VF1, "igbvf");
	assert_as_before(fx);
}

/* enough VFs already (the boot's, on igbvf): used as they are, the PF
 * untouched, and left so on release */
static void
test_existing_vfs_used(SriovFixture *fx, gconstpointer data)
{
	g_autoptr(HdPlan) plan = NULL;
	guint from = 0;
	g_autofree gchar *writes = NULL;

	make_vfs_at_boot(fx, "2");
	plan = plugin_plan(&fx->base, "kvm", "guest", NULL, HOSTDEV_VF1);
	g_assert_cmpstr(g_ptr_array_index(plan_device(plan, 0)->steps, 0), ==,
			"use the 2 virtual functions " PF " has (2 needed)");
	from = mock_sysfs_get_writes(fx->base.ms)->len;
	plugin_prepare_ok(&fx->base, "guest", NULL, HOSTDEV_VF1);
	writes = writes_since(fx, from);
	g_assert_cmpstr(writes, ==,
			"bus/pci/devices/" VF1 "/driver_override=vfio-pci\n"
			"bus/pci/devices/" VF1 "/driver/unbind=" VF1 "\n"
			"bus/pci/drivers_probe=" VF1);
	plugin_release_ok(&fx->base, "guest");
	assert_as_before(fx);
}

/* managed='yes': libvirt binds the VF after our prepare; it only has to
 * exist, and the PF is restored on release as for any other user */
static void
test_managed(SriovFixture *fx, gconstpointer data)
{
	static const char managed[] = "<hostdev mode='subsystem' type='pci' managed='yes'><source><address "
				      "domain='0' bus='2' slot='0x10' function='2'/></source></hostdev>";
	g_autoptr(HdPlan) plan = plugin_plan(&fx->base, "kvm", "guest", NULL, managed);
	const HdPlanDevice *dev = plan_device(plan, 0);
	g_autofree gchar *action = hd_plan_device_action_string(dev);

	g_assert_cmpint(dev->action, ==, HD_ACTION_PROVISION);
	g_assert_cmpstr(action, ==, "provision, then libvirt binds it (managed)");
	g_assert_cmpstr(dev->parent, ==, PF);
	plugin_prepare_ok(&fx->base, "guest", NULL, managed);
	assert_pf(fx, "2", "0");
	plugin_assert_driver(&fx->base, VF1, NULL);
	/* what libvirt does with it, and undoes before our release */
	write_ok(fx, "bus/pci/devices/" VF1 "/driver_override", "vfio-pci");
	write_ok(fx, "bus/pci/drivers_probe", VF1);
	write_ok(fx, "bus/pci/devices/" VF1 "/driver_override", "\n");
	write_ok(fx, "bus/pci/drivers/vfio-pci/unbind", VF1);
	plugin_release_ok(&fx->base, "guest");
	assert_as_before(fx);
}

/* ---- refusals ---------------------------------------------------------------- */

/* growing goes through 0, which would pull a VF from under its user: the
 * refusal names the VF and why it is in use */
static void
test_grow_refused_in_use(SriovFixture *fx, gconstpointer data)
{
	const char *root = mock_sysfs_get_root(fx->base.ms);
	g_autofree gchar *flags_dir = g_build_filename(root, "bus/pci/devices", VF0, "net", "enp2s16", NULL);
	g_autofree gchar *flags = g_build_filename(flags_dir, "flags", NULL);
	g_autofree gchar *second = journal_path(fx, "second");
	g_autoptr(GError) error = NULL;

	/* lent to another domain through us */
	plugin_prepare_ok(&fx->base, "first", NULL, HOSTDEV_VF0);
	prepare_refused(fx, "second", NULL, HOSTDEV_VF2,
			VF2 ": sriov: growing " PF " from 1 to 3 virtual functions goes through 0, which would remove "
			VF0 ", in use (lent to domain 'first') (EBUSY): stop its user first, or ask only for VFs that exist");
	prepare_refused(fx, "second", VFS(PF, "5"), "",
			PF ": sriov: growing " PF " from 1 to 5 virtual functions goes through 0, which would remove "
			VF0 ", in use (lent to domain 'first') (EBUSY): stop its user first, or ask only for VFs that exist");
	g_assert_false(g_file_test(second, G_FILE_TEST_EXISTS));
	plugin_release_ok(&fx->base, "first");
	assert_as_before(fx);

	/* on a stub without us */
	write_ok(fx, AUTOPROBE, "0");
	write_ok(fx, NUMVFS, "1");
	write_ok(fx, "bus/pci/devices/" VF0 "/driver_override", "vfio-pci");
	write_ok(fx, "bus/pci/drivers_probe", VF0);
	prepare_refused(fx, "second", NULL, HOSTDEV_VF2,
			VF2 ": sriov: growing " PF " from 1 to 3 virtual functions goes through 0, which would remove "
			VF0 ", in use (on vfio-pci) (EBUSY): stop its user first, or ask only for VFs that exist");
	write_ok(fx, "bus/pci/devices/" VF0 "/driver_override", "\n");
	write_ok(fx, "bus/pci/drivers/vfio-pci/unbind", VF0);
	write_ok(fx, NUMVFS, "0");
	write_ok(fx, AUTOPROBE, "1");

	/* on its host driver, with its interface up */
	write_ok(fx, NUMVFS, "1");
	plugin_assert_driver(&fx->base, VF0, "igbvf");
	g_assert_cmpint(g_mkdir_with_parents(flags_dir, 0755), ==, 0);
	g_assert_true(g_file_set_contents(flags, "0x1003\n", -1, &error));
	prepare_refused(fx, "second", NULL, HOSTDEV_VF2,
			VF2 ": sriov: growing " PF " from 1 to 3 virtual functions goes through 0, which would remove "
			VF0 ", in use (on igbvf, with its interface enp2s16 up) (EBUSY): stop its user first, or ask "
			    "only for VFs that exist");
	/* down, it is free: the VF goes, and comes back on release */
	g_assert_true(g_file_set_contents(flags, "0x1002\n", -1, &error));
	g_free(fx->before);
	fx->before = mock_sysfs_snapshot(fx->base.ms);
	plugin_prepare_ok(&fx->base, "second", NULL, HOSTDEV_VF2);
	plugin_release_ok(&fx->base, "second");
	assert_pf(fx, "1", "1");
	plugin_assert_driver(&fx->base, VF0, "igbvf");
	write_ok(fx, NUMVFS, "0");
}

/* more than sriov_totalvfs, a device that is no PF, a PF without driver */
static void
test_refusals(SriovFixture *fx, gconstpointer data)
{
	prepare_refused(fx, "guest", VFS(PF, "9"), "",
			PF ": sriov: " PF " allows at most 7 virtual functions (sriov_totalvfs), and 9 are needed "
			   "(ERANGE): ask for fewer");
	prepare_refused(fx, "guest", VFS(NIC, "2"), "",
			NIC ": sriov: " NIC " is not an SR-IOV physical function (it has no sriov_totalvfs): name the "
			    "PF whose VFs the domain needs in <hd:vfs pf=...>");
	prepare_refused(fx, "guest", VFS("0000:09:00.0", "2"), "", "0000:09:00.0: no such PCI device on this host");
	write_ok(fx, "bus/pci/drivers/igb/unbind", PF);
	prepare_refused(fx, "guest", NULL, HOSTDEV_VF0,
			VF0 ": sriov: " PF " has no driver, and only a PF's driver creates virtual functions: bind it "
			    "to its host driver first");
	write_ok(fx, "bus/pci/drivers/igb/bind", PF);
	assert_as_before(fx);
}

/* [allow] and [deny] apply to a VF before it exists, by the ids it will have */
static void
test_policy_lists(SriovFixture *fx, gconstpointer data)
{
	g_autofree gchar *message = NULL;

	plugin_fixture_set_policy(&fx->base, "[deny]\nids=8086:10ca\n");
	message = g_strdup_printf(VF2 ": sriov: " VF2 ", a VF " PF " would create (8086:10ca), is denied by the "
				  "host's hostdev-hook policy (%s:2: [deny] ids=8086:10ca)", fx->base.policy_path);
	prepare_refused(fx, "guest", NULL, HOSTDEV_VF2, message);
	/* the PF itself is not lent: its <hd:vfs> is no concern of the lists */
	plugin_prepare_ok(&fx->base, "guest", VFS(PF, "2"), "");
	plugin_release_ok(&fx->base, "guest");
	plugin_fixture_set_policy(&fx->base, "[allow]\nids=8086:10ca\n");
	plugin_prepare_ok(&fx->base, "guest", NULL, HOSTDEV_VF2);
	plugin_release_ok(&fx->base, "guest");
	assert_as_before(fx);
}

/* the kernel's answers to sriov_numvfs, in words, each rolled back */
static const struct {
	const char *name;
	int errnum;
	const char *message;
} errno_cases[] = {
    {"enomem", ENOMEM,
     PF " could not place 3 virtual functions (ENOMEM): the bus numbers or memory windows behind it are too "
	"small; boot with pci=realloc, or ask for fewer"},
    {"enospc", ENOSPC, PF " has no interrupt vectors (MSI-X) left for 3 virtual functions (ENOSPC): ask for fewer"},
    {"ebusy", EBUSY,
     PF " refused to change its VF count to 3 (EBUSY): VFs are still enabled or assigned; release them and retry"},
    {"erange", ERANGE, PF " refused 3 virtual functions (ERANGE): its driver allows at most 7; ask for fewer"},
    {"enoent", ENOENT,
     PF ": its driver does not support SR-IOV (writing sriov_numvfs gave ENOENT): bind the PF to a driver that "
	"can create VFs"},
};

static void
test_errno(SriovFixture *fx, gconstpointer data)
{
	guint i = GPOINTER_TO_UINT(data);
	g_autoptr(GError) error = NULL;
	g_autofree gchar *expected = g_strdup_printf(VF2 ": %s", errno_cases[i].message);

	mock_sysfs_fail_write(fx->base.ms, "sriov_numvfs", 1, errno_cases[i].errnum);
	g_assert_false(plugin_prepare(&fx->base, "kvm", "guest", NULL, HOSTDEV_VF2, &error));
	g_assert_cmpstr(error->message, ==, expected);
	g_assert_cmpuint(plugin_log_count("WARNING", "rollback " VF2), ==, 1);
	assert_as_before(fx);
}

/* a PF driver without sriov_configure(): the kernel's own ENOENT */
static void
test_no_sriov_configure(SriovFixture *fx, gconstpointer data)
{
	g_autoptr(GError) error = NULL;

	mock_sysfs_set_sriov_configure(fx->base.ms, "igb", FALSE);
	g_assert_false(plugin_prepare(&fx->base, "kvm", "guest", VFS(PF, "2"), "", &error));
	g_assert_error(error, HD_ERROR, HD_ERROR_NOT_SUPPORTED);
	g_assert_cmpstr(error->message, ==,
			PF ": " PF ": its driver does not support SR-IOV (writing sriov_numvfs gave ENOENT): bind the "
			   "PF to a driver that can create VFs");
	assert_as_before(fx);
}

/* ---- sharing a PF ----------------------------------------------------------------- */

/* two domains on one PF, released in either order: the first release
 * keeps the other's VFs, the last puts the PF back */
static void
test_two_domains(SriovFixture *fx, gconstpointer data)
{
	gboolean first_goes_first = GPOINTER_TO_UINT(data);

	plugin_prepare_ok(&fx->base, "first", VFS(PF, "4"), HOSTDEV_VF0);
	plugin_prepare_ok(&fx->base, "second", NULL, HOSTDEV_VF2 HOSTDEV_VF3);
	assert_pf(fx, "4", "0");
	plugin_assert_driver(&fx->base, VF3, "vfio-pci");
	plugin_release_ok(&fx->base, first_goes_first ? "first" : "second");
	assert_pf(fx, "4", "0");
	plugin_assert_driver(&fx->base, first_goes_first ? VF2 : VF0, "vfio-pci");
	plugin_assert_driver(&fx->base, first_goes_first ? VF0 : VF2, NULL);
	plugin_release_ok(&fx->base, first_goes_first ? "second" : "first");
	assert_as_before(fx);
}

/* the last user cannot restore the count while a VF is still in use
 * (writing 0 would block while a guest holds it): the entry stays for
 * recover, which succeeds once the VF is free */
static void
test_release_refused_in_use(SriovFixture *fx, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	HdOwner owner = {HD_OWNER_DOMAIN, (gchar *)"guest"};
	g_autofree gchar *journal = journal_path(fx, "guest");

	plugin_prepare_ok(&fx->base, "guest", VFS(PF, "3"), HOSTDEV_VF0);
	/* someone else put VF 1 on vfio-pci meanwhile */
	write_ok(fx, "bus/pci/devices/" VF1 "/driver_override", "vfio-pci");
	write_ok(fx, "bus/pci/drivers_probe", VF1);
	{
		g_autoptr(HdStateLock) lock = hd_state_lock_acquire(fx->base.state_dir, &error);

		g_assert_false(hd_engine_release(fx->base.ctx, &owner, &error));
	}
	g_assert_cmpstr(error->message, ==,
			PF ": cannot give " PF " its 0 virtual functions back: " VF1 " is still in use (on vfio-pci); "
			   "stop its user, then run hostdevctl recover");
	g_assert_cmpuint(plugin_log_count("CRITICAL", "cannot undo provision by sriov"), ==, 1);
	g_ptr_array_set_size(plugin_log, 0);
	g_assert_true(g_file_test(journal, G_FILE_TEST_EXISTS));
	plugin_assert_driver(&fx->base, VF0, NULL);
	assert_pf(fx, "3", "0");

	write_ok(fx, "bus/pci/devices/" VF1 "/driver_override", "\n");
	write_ok(fx, "bus/pci/drivers/vfio-pci/unbind", VF1);
	plugin_release_ok(&fx->base, "guest");
	g_assert_false(g_file_test(journal, G_FILE_TEST_EXISTS));
	assert_as_before(fx);
}

/* ---- failures and crashes at every write ---------------------------------------- */

/* the regrow case, which writes the most: the boot's two VFs go, four come */
#define EVERY_WRITE_DEVICES HOSTDEV_VF3
#define EVERY_WRITE_COUNT   5

/* the @nth write of the prepare fails: rolled back to the boot's host */
static void
test_rollback(SriovFixture *fx, gconstpointer data)
{
	guint nth = GPOINTER_TO_UINT(data);
	g_autoptr(GError) error = NULL;
	GPtrArray *writes = NULL;
	g_autofree gchar *failed = NULL;
	g_autofree gchar *relpath = NULL;
	guint same = 0;
	guint from = 0;

	make_vfs_at_boot(fx, "2");
	from = mock_sysfs_get_writes(fx->base.ms)->len;
	plugin_prepare_ok(&fx->base, "probe", NULL, EVERY_WRITE_DEVICES);
	writes = mock_sysfs_get_writes(fx->base.ms);
	g_assert_cmpuint(writes->len - from, ==, EVERY_WRITE_COUNT);
	failed = g_strdup(g_ptr_array_index(writes, from + nth - 1));
	relpath = g_strndup(failed, strchr(failed, '=') - failed);
	for (guint i = from; i < from + nth; i++)
		same += g_str_has_prefix(g_ptr_array_index(writes, i), relpath);
	plugin_release_ok(&fx->base, "probe");
	assert_as_before(fx);

	g_test_message("failing write %u: %s", nth, failed);
	mock_sysfs_fail_write(fx->base.ms, relpath, same, EIO);
	g_assert_false(plugin_prepare(&fx->base, "kvm", "guest", NULL, EVERY_WRITE_DEVICES, &error));
	g_assert_nonnull(error);
	g_assert_cmpuint(plugin_log_count("WARNING", "rollback " VF3), ==, 1);
	assert_as_before(fx);
}

/*
 * A crash: the process dies just before its @nth write.  The journal on
 * disk is what it had written by then (every step is durable before its
 * write); the host is as those writes left it.  Simulated by a sysfs that
 * stops at the @nth write: it keeps the journal as it was then, and
 * refuses everything after, so the engine's own rollback changes nothing.
 */
typedef struct {
	HdContext *real; /* the simulated kernel, reached through its own context */
	gchar *journal;
	guint crash_at;
	guint writes;
	gboolean dead;
	gchar *left; /* the journal at the crash, NULL for none */
} Crash;

static gboolean
crash_write(const char *relpath, const char *value, gpointer user_data, GError **error)
{
	Crash *crash = user_data;

	if (!crash->dead && ++crash->writes == crash->crash_at) {
		crash->dead = TRUE;
		g_file_get_contents(crash->journal, &crash->left, NULL, NULL);
	}
	if (crash->dead) {
		g_set_error(error, HD_ERROR, HD_ERROR_FAILED, "the process is dead");
		return FALSE;
	}
	return hd_sysfs_write(crash->real->sysfs, relpath, value, error);
}

static void
test_crash(SriovFixture *fx, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	Crash crash = {.crash_at = GPOINTER_TO_UINT(data)};

	make_vfs_at_boot(fx, "2");
	crash.journal = journal_path(fx, "guest");
	crash.real = hd_context_new(mock_sysfs_get_root(fx->base.ms), "/nonexistent", &error);
	g_assert_no_error(error);
	mock_sysfs_install(fx->base.ms, crash.real);
	hd_sysfs_set_write_func(fx->base.ctx->sysfs, crash_write, &crash);

	g_assert_false(plugin_prepare(&fx->base, "kvm", "guest", NULL, EVERY_WRITE_DEVICES, &error));
	g_assert_true(crash.dead);
	g_assert_nonnull(crash.left);
	g_test_message("killed before write %u, journal:\n%s", crash.crash_at, crash.left);
	/* what the dead process left, for the next one to find */
	g_clear_error(&error);
	g_assert_true(g_file_set_contents(crash.journal, crash.left, -1, &error));
	g_ptr_array_set_size(plugin_log, 0);
	crash.dead = FALSE;
	crash.crash_at = 0;

	plugin_release_ok(&fx->base, "guest");
	g_assert_false(g_file_test(crash.journal, G_FILE_TEST_EXISTS));
	assert_as_before(fx);
	hd_context_free(crash.real);
	g_free(crash.journal);
	g_free(crash.left);
}

/* a release killed before its @nth write: recover finishes it */
#define RELEASE_WRITE_COUNT 5

static void
test_crash_in_release(SriovFixture *fx, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	HdOwner owner = {HD_OWNER_DOMAIN, (gchar *)"guest"};
	Crash crash = {0};

	make_vfs_at_boot(fx, "2");
	crash.journal = journal_path(fx, "guest");
	crash.real = hd_context_new(mock_sysfs_get_root(fx->base.ms), "/nonexistent", &error);
	g_assert_no_error(error);
	mock_sysfs_install(fx->base.ms, crash.real);
	hd_sysfs_set_write_func(fx->base.ctx->sysfs, crash_write, &crash);
	plugin_prepare_ok(&fx->base, "guest", NULL, EVERY_WRITE_DEVICES);

	crash.crash_at = crash.writes + GPOINTER_TO_UINT(data);
	{
		g_autoptr(HdStateLock) lock = hd_state_lock_acquire(fx->base.state_dir, &error);

		g_assert_false(hd_engine_release(fx->base.ctx, &owner, &error));
	}
	g_assert_true(crash.dead);
	g_test_message("killed before write %u of the release, journal:\n%s", GPOINTER_TO_UINT(data), crash.left);
	g_clear_error(&error);
	g_assert_true(g_file_set_contents(crash.journal, crash.left, -1, &error));
	g_ptr_array_set_size(plugin_log, 0);
	crash.dead = FALSE;
	crash.crash_at = 0;

	plugin_release_ok(&fx->base, "guest");
	g_assert_false(g_file_test(crash.journal, G_FILE_TEST_EXISTS));
	assert_as_before(fx);
	hd_context_free(crash.real);
	g_free(crash.journal);
	g_free(crash.left);
}

/* a killed prepare found by the next prepare of the same domain: undone
 * first, then done afresh */
static void
test_crash_then_prepare(SriovFixture *fx, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	Crash crash = {.crash_at = 3};

	crash.journal = journal_path(fx, "guest");
	crash.real = hd_context_new(mock_sysfs_get_root(fx->base.ms), "/nonexistent", &error);
	g_assert_no_error(error);
	mock_sysfs_install(fx->base.ms, crash.real);
	hd_sysfs_set_write_func(fx->base.ctx->sysfs, crash_write, &crash);
	g_assert_false(plugin_prepare(&fx->base, "kvm", "guest", NULL, HOSTDEV_VF2, &error));
	g_clear_error(&error);
	g_assert_true(g_file_set_contents(crash.journal, crash.left, -1, &error));
	g_ptr_array_set_size(plugin_log, 0);
	crash.dead = FALSE;
	crash.crash_at = 0;

	plugin_prepare_ok(&fx->base, "guest", NULL, HOSTDEV_VF2);
	g_assert_cmpuint(plugin_log_count("WARNING", "undoing"), ==, 1);
	plugin_assert_driver(&fx->base, VF2, "vfio-pci");
	plugin_release_ok(&fx->base, "guest");
	assert_as_before(fx);
	hd_context_free(crash.real);
	g_free(crash.journal);
	g_free(crash.left);
}

#define ADD(path, func, data) \
	g_test_add(path, SriovFixture, data, sriov_fixture_setup, func, sriov_fixture_teardown)

int
main(int argc, char **argv)
{
	plugin_test_init(&argc, &argv);
	ADD("/sriov/plan", test_plan, NULL);
	ADD("/sriov/vf-on-demand", test_vf_on_demand, NULL);
	ADD("/sriov/vfs-request", test_vfs_request, NULL);
	ADD("/sriov/vfs-by-netdev", test_vfs_by_netdev, NULL);
	ADD("/sriov/plan-wide-count", test_plan_wide_count, NULL);
	ADD("/sriov/regrow-through-zero", test_regrow_through_zero, NULL);
	ADD("/sriov/existing-vfs-used", test_existing_vfs_used, NULL);
	ADD("/sriov/managed", test_managed, NULL);
	ADD("/sriov/grow-refused-in-use", test_grow_refused_in_use, NULL);
	ADD("/sriov/refusals", test_refusals, NULL);
	ADD("/sriov/policy-lists", test_policy_lists, NULL);
	ADD("/sriov/no-sriov-configure", test_no_sriov_configure, NULL);
	ADD("/sriov/two-domains/first-released-first", test_two_domains, GUINT_TO_POINTER(TRUE));
	ADD("/sriov/two-domains/second-released-first", test_two_domains, GUINT_TO_POINTER(FALSE));
	ADD("/sriov/release-refused-in-use", test_release_refused_in_use, NULL);
	ADD("/sriov/crash-then-prepare", test_crash_then_prepare, NULL);
	for (guint i = 0; i < G_N_ELEMENTS(errno_cases); i++) {
		g_autofree gchar *path = g_strdup_printf("/sriov/errno/%s", errno_cases[i].name);
		ADD(path, test_errno, GUINT_TO_POINTER(i));
	}
	for (guint n = 1; n <= EVERY_WRITE_COUNT; n++) {
		g_autofree gchar *rollback = g_strdup_printf("/sriov/rollback/write-%u", n);
		g_autofree gchar *crash = g_strdup_printf("/sriov/crash/before-write-%u", n);
		ADD(rollback, test_rollback, GUINT_TO_POINTER(n));
		ADD(crash, test_crash, GUINT_TO_POINTER(n));
	}
	for (guint n = 1; n <= RELEASE_WRITE_COUNT; n++) {
		g_autofree gchar *path = g_strdup_printf("/sriov/crash/release-before-write-%u", n);
		ADD(path, test_crash_in_release, GUINT_TO_POINTER(n));
	}
	return g_test_run();
}
