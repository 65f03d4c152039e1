/*
 * test-plan.c: what prepare would do, against the fake sysfs in fixtures/
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <json-glib/json-glib.h>
#include <unistd.h>

#include "hd-plan.h"
#include "test-helpers.h"

typedef struct {
	HdContext *ctx;
} PlanFixture;

static void
plan_fixture_setup(PlanFixture *fx, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *sysfs = test_fixture_sysfs();

	fx->ctx = hd_context_new(sysfs, "/nonexistent/policy.conf", &error);
	g_assert_no_error(error);
	fx->ctx->want_names = TRUE;
}

static void
plan_fixture_teardown(PlanFixture *fx, gconstpointer data)
{
	hd_context_free(fx->ctx);
}

static HdPlan *
plan_for(PlanFixture *fx, const char *type, const char *metadata, const char *devices)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *xml = test_domain_xml(type, metadata, devices);
	g_autoptr(HdDomain) domain = hd_domain_parse(xml, strlen(xml), &error);
	HdPlan *plan;

	g_assert_no_error(error);
	plan = hd_plan_new_for_domain(fx->ctx, NULL, g_steal_pointer(&domain), &error);
	g_assert_no_error(error);
	return plan;
}

#define META(attrs) "<hd:hostdev-hook xmlns:hd='urn:hostdev-hook:1'><hd:device " attrs "/></hd:hostdev-hook>"

static const struct {
	const char *name;
	const char *type;
	const char *metadata;
	const char *devices;
	const char *action;
	const char *current_driver; /* NULL: none */
	gboolean already_bound;
} action_cases[] = {
	{"unmanaged-nic", "kvm", NULL, TEST_HOSTDEV("no", "bus='1'"), "vfio-pci", "e1000e", FALSE},
	{"qemu-type", "qemu", NULL, TEST_HOSTDEV("no", "bus='1'"), "vfio-pci", "e1000e", FALSE},
	{"managed", "kvm", NULL, TEST_HOSTDEV("yes", "bus='2'"), "skip: managed by libvirt", "nvme", FALSE},
	{"missing", "kvm", NULL, TEST_HOSTDEV("no", "bus='9'"), "error: no such PCI device on this host", NULL, FALSE},
	{"bridge", "kvm", NULL, TEST_HOSTDEV("no", "slot='0x1c'"),
	 "error: a PCI bridge cannot be assigned; only endpoints can", "pcieport", FALSE},
	{"already-vfio", "kvm", NULL, TEST_HOSTDEV("no", "bus='4'"), "vfio-pci", "vfio-pci", TRUE},
	{"unbound", "kvm", NULL, TEST_HOSTDEV("no", "bus='6'"), "vfio-pci", NULL, FALSE},
	{"group-not-viable", "kvm", NULL, TEST_HOSTDEV("no", "bus='3' function='1'"),
	 "error: IOMMU group 3 is not viable: 0000:03:00.0 (nouveau) still serves the host; ask for it too, "
	 "or set take-group='yes' in the domain's hostdev-hook metadata", "snd_hda_intel", FALSE},
	{"xen", "xen", NULL, TEST_HOSTDEV("no", "bus='1'"), "pciback", "e1000e", FALSE},
	{"xen-with-vfio-driver", "xen", NULL,
	 "<hostdev mode='subsystem' type='pci'><driver name='vfio'/><source><address bus='1'/></source></hostdev>",
	 "error: pciback: <driver name='vfio'/> is for KVM domains, not Xen", "e1000e", FALSE},
	{"kvm-with-xen-driver", "kvm", NULL,
	 "<hostdev mode='subsystem' type='pci'><driver name='xen'/><source><address bus='1'/></source></hostdev>",
	 "error: vfio-pci: <driver name='xen'/> is for Xen domains, not KVM", "e1000e", FALSE},
	{"legacy-kvm-driver", "kvm", NULL,
	 "<hostdev mode='subsystem' type='pci'><driver name='kvm'/><source><address bus='1'/></source></hostdev>",
	 "error: vfio-pci: <driver name='kvm'/> is legacy KVM assignment, removed from libvirt and Linux; "
	 "use <driver name='vfio'/> or no <driver>", "e1000e", FALSE},
	{"lxc", "lxc", NULL, TEST_HOSTDEV("no", "bus='1'"),
	 "error: domain type 'lxc' is not supported: hostdev-hook serves kvm, qemu and xen", "e1000e", FALSE},
	{"metadata-driver", "kvm", META("address='0000:01:00.0' driver='pci-stub'"),
	 TEST_HOSTDEV("no", "bus='1'"), "pci-stub", "e1000e", FALSE},
	/* finding 2 of the review: a domain cannot have root load any module */
	{"metadata-driver-not-a-stub", "kvm", META("address='0000:01:00.0' driver='nvme'"),
	 TEST_HOSTDEV("no", "bus='1'"),
	 "error: vfio-pci: driver 'nvme' is not a VFIO driver: a device is bound only to vfio-pci, pci-stub, "
	 "a VFIO variant that modules.alias lists, or a driver the host's policy allows ([drivers] allow)",
	 "e1000e", FALSE},
	{"xen-metadata-driver-not-a-stub", "xen", META("address='0000:01:00.0' driver='e1000e'"),
	 TEST_HOSTDEV("no", "bus='1'"),
	 "error: pciback: driver 'e1000e' is not a stub: a Xen device is bound only to pciback, pci-stub, or a "
	 "driver the host's policy allows ([drivers] allow)",
	 "e1000e", FALSE},
	{"metadata-only", "kvm", META("address='06:00.0'"), "", "vfio-pci", NULL, FALSE},
};

static void
test_plan_action(PlanFixture *fx, gconstpointer data)
{
	guint i = GPOINTER_TO_UINT(data);
	g_autoptr(HdPlan) plan = plan_for(fx, action_cases[i].type, action_cases[i].metadata,
					  action_cases[i].devices);
	const HdPlanDevice *dev;
	g_autofree gchar *action = NULL;

	g_assert_cmpuint(plan->devices->len, ==, 1);
	dev = g_ptr_array_index(plan->devices, 0);
	action = hd_plan_device_action_string(dev);
	g_assert_cmpstr(action, ==, action_cases[i].action);
	g_assert_cmpstr(dev->info->driver, ==, action_cases[i].current_driver);
	g_assert_cmpint(dev->already_bound, ==, action_cases[i].already_bound);
	g_assert_true((hd_plan_first_error(plan) == dev) == (dev->action == HD_ACTION_ERROR));
}

/* the GPU's function 0 is not a bridge, so it blocks its audio function's
 * group until it is asked for or taken along */
static void
test_plan_group_whole(PlanFixture *fx, gconstpointer data)
{
	g_autoptr(HdPlan) both = plan_for(fx, "kvm", NULL,
					  TEST_HOSTDEV("no", "bus='3' function='1'") TEST_HOSTDEV("no", "bus='3'"));
	g_autoptr(HdPlan) taken = plan_for(fx, "kvm", META("address='0000:03:00.1' take-group='yes'"),
					   TEST_HOSTDEV("no", "bus='3' function='1'"));
	const HdPlanDevice *companion;

	g_assert_null(hd_plan_first_error(both));
	g_assert_cmpuint(both->devices->len, ==, 2);

	g_assert_null(hd_plan_first_error(taken));
	g_assert_cmpuint(taken->devices->len, ==, 2);
	companion = g_ptr_array_index(taken->devices, 1);
	g_assert_cmpstr(companion->info->bdf, ==, "0000:03:00.0");
	g_assert_cmpint(companion->request->source, ==, HD_SOURCE_GROUP);
	g_assert_cmpint(companion->action, ==, HD_ACTION_BIND);
	g_assert_cmpstr(companion->target_driver, ==, "vfio-pci");
	g_assert_cmpstr(companion->info->driver, ==, "nouveau");
}

static void
test_plan_protected_by_policy(void)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *sysfs = test_fixture_sysfs();
	g_autofree gchar *policy_path = NULL;
	g_autoptr(HdContext) ctx = NULL;
	g_autofree gchar *xml = test_domain_xml("kvm", META("address='0000:01:00.0' force='yes'"),
						TEST_HOSTDEV("no", "bus='1'"));
	g_autoptr(HdDomain) domain = hd_domain_parse(xml, strlen(xml), &error);
	g_autoptr(HdPlan) plan = NULL;
	int fd = g_file_open_tmp("hd-policy-XXXXXX", &policy_path, &error);

	g_assert_no_error(error);
	close(fd);
	g_file_set_contents(policy_path, "[protect]\ndevices=0000:01:00.0\n", -1, &error);
	g_assert_no_error(error);
	ctx = hd_context_new(sysfs, policy_path, &error);
	g_assert_no_error(error);
	plan = hd_plan_new_for_domain(ctx, NULL, g_steal_pointer(&domain), &error);
	g_assert_no_error(error);
	g_assert_nonnull(hd_plan_first_error(plan));
	g_assert_cmpstr(hd_plan_first_error(plan)->reason, ==, "protected by the host's hostdev-hook policy");
	unlink(policy_path);
}

static void
test_plan_identity(PlanFixture *fx, gconstpointer data)
{
	g_autoptr(HdPlan) plan = plan_for(fx, "kvm", NULL, TEST_HOSTDEV("no", "bus='1'"));
	const HdPlanDevice *dev = g_ptr_array_index(plan->devices, 0);

	g_assert_true(dev->info->exists);
	g_assert_cmphex(dev->info->identity.vendor_id, ==, 0x8086);
	g_assert_cmphex(dev->info->identity.device_id, ==, 0x10d3);
	g_assert_cmphex(dev->info->identity.class_code, ==, 0x0200);
	g_assert_cmpstr(dev->info->identity.vendor_name, ==, "Intel Corporation");
	g_assert_cmpstr(dev->info->identity.device_name, ==, "82574L Gigabit Network Connection");
	g_assert_cmpstr(dev->info->iommu_group, ==, "1");
	g_assert_cmpstr(dev->info->bdf, ==, "0000:01:00.0");
}

static JsonObject *
json_device(JsonNode *root, guint index)
{
	JsonArray *devices = json_object_get_array_member(json_node_get_object(root), "devices");

	return json_array_get_object_element(devices, index);
}

static void
test_plan_json(PlanFixture *fx, gconstpointer data)
{
	static const char *const keys[] = {"address", "source", "managed", "driver", "permissive",
					   "mac", "vlan", "exists", "current_driver", "iommu_group",
					   "action"};
	g_autoptr(GError) error = NULL;
	g_autoptr(HdPlan) plan = plan_for(
	    fx, "kvm", NULL,
	    TEST_HOSTDEV("no", "bus='1'")
	    "<interface type='hostdev'><mac address='52:54:00:AA:bb:01'/>"
	    "<source><address type='pci' bus='4'/></source>"
	    "<vlan trunk='yes'><tag id='42'/><tag id='7' nativeMode='untagged'/></vlan></interface>"
	    TEST_HOSTDEV("no", "bus='9'"));
	g_autofree gchar *json = hd_plan_to_json(plan);
	g_autoptr(JsonParser) parser = json_parser_new();
	JsonObject *nic, *iface, *missing;
	JsonArray *vlan, *steps;

	json_parser_load_from_data(parser, json, -1, &error);
	g_assert_no_error(error);
	nic = json_device(json_parser_get_root(parser), 0);
	iface = json_device(json_parser_get_root(parser), 1);
	missing = json_device(json_parser_get_root(parser), 2);
	for (guint i = 0; i < G_N_ELEMENTS(keys); i++) {
		g_assert_true(json_object_has_member(nic, keys[i]));
		g_assert_true(json_object_has_member(missing, keys[i]));
	}
	g_assert_cmpstr(json_object_get_string_member(nic, "address"), ==, "0000:01:00.0");
	g_assert_cmpstr(json_object_get_string_member(nic, "source"), ==, "hostdev");
	g_assert_cmpint(json_node_get_value_type(json_object_get_member(nic, "managed")), ==, G_TYPE_BOOLEAN);
	g_assert_false(json_object_get_boolean_member(nic, "managed"));
	g_assert_true(json_object_get_null_member(nic, "driver"));
	g_assert_true(json_object_get_null_member(nic, "mac"));
	g_assert_true(json_object_get_null_member(nic, "vlan"));
	g_assert_cmpstr(json_object_get_string_member(nic, "action"), ==, "vfio-pci");
	g_assert_cmpstr(json_object_get_string_member(nic, "iommu_group"), ==, "1");
	steps = json_object_get_array_member(nic, "steps");
	g_assert_cmpuint(json_array_get_length(steps), ==, 4);
	g_assert_cmpstr(json_array_get_string_element(steps, 0), ==, "write vfio-pci to driver_override");
	g_assert_cmpstr(json_array_get_string_element(steps, 1), ==, "unbind from e1000e");
	g_assert_cmpstr(json_array_get_string_element(steps, 2), ==, "write 0000:01:00.0 to drivers_probe");
	g_assert_cmpstr(json_array_get_string_element(steps, 3), ==, "wait up to 5000 ms for vfio-pci to bind");

	g_assert_cmpstr(json_object_get_string_member(iface, "source"), ==, "interface");
	g_assert_cmpstr(json_object_get_string_member(iface, "mac"), ==, "52:54:00:aa:bb:01");
	vlan = json_object_get_array_member(iface, "vlan");
	g_assert_cmpuint(json_array_get_length(vlan), ==, 2);
	g_assert_cmpint(json_array_get_int_element(vlan, 0), ==, 42);
	g_assert_cmpint(json_array_get_int_element(vlan, 1), ==, 7);
	g_assert_true(json_object_get_boolean_member(iface, "already_bound"));
	g_assert_cmpuint(json_array_get_length(json_object_get_array_member(iface, "steps")), ==, 0);

	g_assert_false(json_object_get_boolean_member(missing, "exists"));
	g_assert_true(json_object_get_null_member(missing, "current_driver"));
	g_assert_true(json_object_get_null_member(missing, "iommu_group"));
	g_assert_cmpstr(json_object_get_string_member(missing, "action"), ==,
			"error: no such PCI device on this host");
	g_assert_cmpuint(json_array_get_length(json_object_get_array_member(missing, "steps")), ==, 0);
}

/* ---- the host's own use of a device ------------------------------------- */

typedef struct {
	gchar *tmpdir;
	gchar *sysfs;
	HdContext *ctx;
} UsageFixture;

/* ifindex 7 has an address; every other interface is idle */
static gboolean
fake_netdev_use(int ifindex, gpointer user_data, gchar **reason, GError **error)
{
	*reason = ifindex == 7 ? g_strdup("has address 192.0.2.1/24") : NULL;
	return TRUE;
}

static void
usage_write(UsageFixture *fx, const char *relpath, const char *contents)
{
	g_autofree gchar *path = g_build_filename(fx->tmpdir, relpath, NULL);
	g_autofree gchar *dir = g_path_get_dirname(path);

	g_assert_cmpint(g_mkdir_with_parents(dir, 0755), ==, 0);
	g_assert_true(g_file_set_contents(path, contents, -1, NULL));
}

static void
usage_mkdir(UsageFixture *fx, const char *relpath)
{
	g_autofree gchar *path = g_build_filename(fx->tmpdir, relpath, NULL);

	g_assert_cmpint(g_mkdir_with_parents(path, 0755), ==, 0);
}

/* the fixture tree, with an idle NIC and a disk, and a /proc of our own */
static void
usage_fixture_setup(UsageFixture *fx, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *fixture = test_fixture_sysfs();
	g_autofree gchar *proc = NULL;

	fx->tmpdir = g_dir_make_tmp("hd-usage-XXXXXX", &error);
	g_assert_no_error(error);
	fx->sysfs = g_build_filename(fx->tmpdir, "sys", NULL);
	test_copy_tree(fixture, fx->sysfs);
	usage_write(fx, "sys/bus/pci/devices/0000:01:00.0/net/eth0/ifindex", "3\n");
	usage_write(fx, "sys/bus/pci/devices/0000:02:00.0/nvme/nvme0/nvme0n1/dev", "259:0\n");
	usage_mkdir(fx, "sys/bus/pci/devices/0000:02:00.0/nvme/nvme0/nvme0n1/holders");
	usage_write(fx, "sys/bus/pci/devices/0000:02:00.0/nvme/nvme0/nvme0n1/nvme0n1p1/dev", "259:1\n");
	usage_mkdir(fx, "sys/bus/pci/devices/0000:02:00.0/nvme/nvme0/nvme0n1/nvme0n1p1/holders");
	usage_write(fx, "proc/self/mountinfo", "22 1 0:21 / / rw - 9p hostroot rw\n");
	usage_write(fx, "proc/swaps", "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n");

	fx->ctx = hd_context_new(fx->sysfs, "/nonexistent/policy.conf", &error);
	g_assert_no_error(error);
	fx->ctx->netdev_use = fake_netdev_use;
	proc = g_build_filename(fx->tmpdir, "proc", NULL);
	g_free(fx->ctx->proc_root);
	fx->ctx->proc_root = g_steal_pointer(&proc);
}

static void
usage_fixture_teardown(UsageFixture *fx, gconstpointer data)
{
	hd_context_free(fx->ctx);
	test_remove_tree(fx->tmpdir);
	g_free(fx->tmpdir);
	g_free(fx->sysfs);
}

static gchar *
usage_action(UsageFixture *fx, const char *metadata, const char *devices)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *xml = test_domain_xml("kvm", metadata, devices);
	g_autoptr(HdDomain) domain = hd_domain_parse(xml, strlen(xml), &error);
	g_autoptr(HdPlan) plan = NULL;

	g_assert_no_error(error);
	plan = hd_plan_new_for_domain(fx->ctx, NULL, g_steal_pointer(&domain), &error);
	g_assert_no_error(error);
	return hd_plan_device_action_string(g_ptr_array_index(plan->devices, 0));
}

#define IN_USE(why) "error: in use by the host: " why "; set force='yes' in the domain's hostdev-hook metadata to take it anyway"

static void
test_usage_idle_devices(UsageFixture *fx, gconstpointer data)
{
	g_autofree gchar *nic = usage_action(fx, NULL, TEST_HOSTDEV("no", "bus='1'"));
	g_autofree gchar *disk = usage_action(fx, NULL, TEST_HOSTDEV("no", "bus='2'"));

	g_assert_cmpstr(nic, ==, "vfio-pci");
	g_assert_cmpstr(disk, ==, "vfio-pci");
}

static void
test_usage_nic_with_address(UsageFixture *fx, gconstpointer data)
{
	g_autofree gchar *refused = NULL;
	g_autofree gchar *forced = NULL;

	usage_write(fx, "sys/bus/pci/devices/0000:01:00.0/net/eth0/ifindex", "7\n");
	refused = usage_action(fx, NULL, TEST_HOSTDEV("no", "bus='1'"));
	g_assert_cmpstr(refused, ==, IN_USE("network interface eth0 has address 192.0.2.1/24"));
	forced = usage_action(fx, META("address='0000:01:00.0' force='yes'"), TEST_HOSTDEV("no", "bus='1'"));
	g_assert_cmpstr(forced, ==, "vfio-pci");
}

/* libvirt detaches a managed='yes' device right after our prepare, and
 * asks nobody whether the host uses it: the same checks, the same escape */
static void
test_usage_managed(UsageFixture *fx, gconstpointer data)
{
	g_autofree gchar *idle = NULL;
	g_autofree gchar *refused = NULL;
	g_autofree gchar *forced = NULL;

	idle = usage_action(fx, NULL, TEST_HOSTDEV("yes", "bus='1'"));
	g_assert_cmpstr(idle, ==, "skip: managed by libvirt");
	usage_write(fx, "sys/bus/pci/devices/0000:01:00.0/net/eth0/ifindex", "7\n");
	refused = usage_action(fx, NULL, TEST_HOSTDEV("yes", "bus='1'"));
	g_assert_cmpstr(refused, ==, IN_USE("network interface eth0 has address 192.0.2.1/24"));
	forced = usage_action(fx, META("address='0000:01:00.0' force='yes'"), TEST_HOSTDEV("yes", "bus='1'"));
	g_assert_cmpstr(forced, ==, "skip: managed by libvirt");
}

static void
test_usage_partition_mounted(UsageFixture *fx, gconstpointer data)
{
	g_autofree gchar *action = NULL;

	usage_write(fx, "proc/self/mountinfo",
		    "22 1 0:21 / / rw - 9p hostroot rw\n41 22 259:1 / /srv rw,relatime - ext4 /dev/nvme0n1p1 rw\n");
	action = usage_action(fx, NULL, TEST_HOSTDEV("no", "bus='2'"));
	g_assert_cmpstr(action, ==, IN_USE("block device nvme0n1p1 is mounted on /srv"));
}

static void
test_usage_disk_is_swap(UsageFixture *fx, gconstpointer data)
{
	g_autofree gchar *action = NULL;

	usage_write(fx, "proc/swaps", "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n"
				      "/dev/nvme0n1                            disk\t\t1048572\t\t0\t\t-2\n");
	action = usage_action(fx, NULL, TEST_HOSTDEV("no", "bus='2'"));
	g_assert_cmpstr(action, ==, IN_USE("block device nvme0n1 is in use as swap"));
}

static void
test_usage_disk_held(UsageFixture *fx, gconstpointer data)
{
	g_autofree gchar *action = NULL;

	usage_mkdir(fx, "sys/bus/pci/devices/0000:02:00.0/nvme/nvme0/nvme0n1/holders/dm-0");
	action = usage_action(fx, NULL, TEST_HOSTDEV("no", "bus='2'"));
	g_assert_cmpstr(action, ==, IN_USE("block device nvme0n1 is held by dm-0"));
}

static void
test_usage_console_framebuffer(UsageFixture *fx, gconstpointer data)
{
	g_autofree gchar *bound = NULL;
	g_autofree gchar *unbound = NULL;
	const char *gpu = TEST_HOSTDEV("no", "bus='3'") TEST_HOSTDEV("no", "bus='3' function='1'");

	usage_mkdir(fx, "sys/bus/pci/devices/0000:03:00.0/graphics/fb0");
	usage_write(fx, "sys/class/vtconsole/vtcon0/name", "(S) dummy device\n");
	usage_write(fx, "sys/class/vtconsole/vtcon0/bind", "0\n");
	usage_write(fx, "sys/class/vtconsole/vtcon1/name", "(M) frame buffer device\n");
	usage_write(fx, "sys/class/vtconsole/vtcon1/bind", "1\n");
	bound = usage_action(fx, NULL, gpu);
	g_assert_cmpstr(bound, ==, IN_USE("its framebuffer fb0 shows the host's console"));
	usage_write(fx, "sys/class/vtconsole/vtcon1/bind", "0\n");
	unbound = usage_action(fx, NULL, gpu);
	g_assert_cmpstr(unbound, ==, "vfio-pci");
}

/* VFIO isolates a group; a device outside any cannot be given */
static void
test_plan_no_iommu_group(UsageFixture *fx, gconstpointer data)
{
	g_autofree gchar *link = g_build_filename(fx->sysfs, "bus/pci/devices/0000:06:00.0/iommu_group", NULL);
	g_autofree gchar *action = NULL;

	g_assert_cmpint(unlink(link), ==, 0);
	action = usage_action(fx, NULL, TEST_HOSTDEV("no", "bus='6'"));
	g_assert_cmpstr(action, ==, "error: vfio-pci: the device has no IOMMU group, so VFIO cannot isolate it");
}

/* intel_iommu=off: no groups at all, and a message that says what to do */
static void
test_plan_no_iommu(UsageFixture *fx, gconstpointer data)
{
	g_autofree gchar *groups = g_build_filename(fx->sysfs, "kernel", "iommu_groups", NULL);
	g_autofree gchar *link = g_build_filename(fx->sysfs, "bus/pci/devices/0000:06:00.0/iommu_group", NULL);
	g_autofree gchar *action = NULL;

	test_remove_tree(groups);
	g_assert_cmpint(g_mkdir_with_parents(groups, 0755), ==, 0);
	g_assert_cmpint(unlink(link), ==, 0);
	action = usage_action(fx, NULL, TEST_HOSTDEV("no", "bus='6'"));
	g_assert_cmpstr(action, ==, "error: vfio-pci: the host has no IOMMU groups (/sys/kernel/iommu_groups is "
				    "empty): enable VT-d or AMD-Vi in the firmware and boot with intel_iommu=on or "
				    "amd_iommu=on");
}

/* the GPU is lent to another domain: its audio function, alone unbound in
 * the same group, still cannot go to a second guest */
static void
test_plan_group_member_lent(UsageFixture *fx, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *state = g_build_filename(fx->tmpdir, "state", NULL);
	g_autofree gchar *journal = g_build_filename(state, "gpu-vm.journal", NULL);
	g_autofree gchar *action = NULL;

	g_assert_cmpint(g_mkdir_with_parents(state, 0700), ==, 0);
	g_assert_true(g_file_set_contents(journal,
					  "{\"version\": 1, \"domain\": \"gpu-vm\", \"devices\": [{"
					  "\"address\": \"0000:03:00.0\", \"original_driver\": \"nouveau\", "
					  "\"target_driver\": \"vfio-pci\", \"step\": \"bound\"}]}",
					  -1, NULL));
	g_assert_true(hd_context_set_state_dir(fx->ctx, state, &error));
	action = usage_action(fx, META("address='0000:03:00.1' take-group='yes'"), TEST_HOSTDEV("no", "bus='3' function='1'"));
	g_assert_cmpstr(action, ==, "error: IOMMU group 3 is not viable: 0000:03:00.0 in the same group is lent "
				    "to domain 'gpu-vm', and a group cannot serve two guests");
}

/* ---- the command line --------------------------------------------------- */

static void
run_plan(TestRun *run, const char *xml, gboolean json)
{
	g_autofree gchar *bin = test_bin("hostdevctl");
	g_autofree gchar *sysfs = test_fixture_sysfs();
	/* no journal to read: nobody owns anything */
	const char *argv[] = {bin, "plan", "--sysfs-root", sysfs, "--policy", "/nonexistent",
			      "--state-dir", "/nonexistent/state", json ? "--json" : "-", json ? "-" : NULL, NULL};
	g_autoptr(GBytes) input = g_bytes_new(xml, strlen(xml));

	test_run(run, argv, input, NULL);
}

static void
test_plan_cli_missing_device_is_not_an_error(void)
{
	g_auto(TestRun) run = {0};
	g_autofree gchar *xml = test_domain_xml("kvm", NULL, TEST_HOSTDEV("no", "bus='9'"));

	run_plan(&run, xml, FALSE);
	g_assert_cmpint(run.exit_status, ==, 0);
	g_assert_nonnull(strstr(run.out, "0000:09:00.0"));
	g_assert_nonnull(strstr(run.out, "action: error: no such PCI device"));
	g_assert_cmpstr(run.err, ==, "");
}

static void
test_plan_cli_json_is_one_object(void)
{
	g_auto(TestRun) run = {0};
	g_autofree gchar *xml = test_domain_xml("kvm", NULL, TEST_HOSTDEV("no", "bus='1'"));
	g_autoptr(JsonParser) parser = json_parser_new();
	g_autoptr(GError) error = NULL;

	run_plan(&run, xml, TRUE);
	g_assert_cmpint(run.exit_status, ==, 0);
	json_parser_load_from_data(parser, run.out, -1, &error);
	g_assert_no_error(error);
	g_assert_cmpstr(json_object_get_string_member(json_device(json_parser_get_root(parser), 0),
						      "current_driver"), ==, "e1000e");
}

static const struct {
	const char *name;
	const char *devices;
	const char *message;
} invalid_cases[] = {
	{"duplicate", TEST_HOSTDEV("no", "bus='1'") TEST_HOSTDEV("no", "bus='0x01'"),
	 "hostdevctl: -: 0000:01:00.0: requested twice, at lines 7 and 8\n"},
	{"slot-out-of-range", TEST_HOSTDEV("no", "slot='0x20'"),
	 "hostdevctl: -: <hostdev> at line 7: invalid slot '0x20': must be <= 0x1f\n"},
	{"malformed", "<hostdev>", NULL},
};

static void
test_plan_cli_invalid(gconstpointer data)
{
	guint i = GPOINTER_TO_UINT(data);
	g_auto(TestRun) run = {0};
	g_autofree gchar *xml = test_domain_xml("kvm", NULL, invalid_cases[i].devices);

	run_plan(&run, xml, FALSE);
	g_assert_cmpint(run.exit_status, !=, 0);
	g_assert_cmpstr(run.out, ==, "");
	test_assert_one_line(run.err);
	if (invalid_cases[i].message != NULL)
		g_assert_cmpstr(run.err, ==, invalid_cases[i].message);
	else
		g_assert_true(g_str_has_prefix(run.err, "hostdevctl: -: domain XML: line "));
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	for (guint i = 0; i < G_N_ELEMENTS(action_cases); i++) {
		g_autofree gchar *path = g_strdup_printf("/plan/action/%s", action_cases[i].name);
		g_test_add(path, PlanFixture, GUINT_TO_POINTER(i), plan_fixture_setup, test_plan_action,
			   plan_fixture_teardown);
	}
	g_test_add_func("/plan/protected-by-policy", test_plan_protected_by_policy);
	g_test_add("/plan/group-whole", PlanFixture, NULL, plan_fixture_setup, test_plan_group_whole,
		   plan_fixture_teardown);
	g_test_add("/plan/identity", PlanFixture, NULL, plan_fixture_setup, test_plan_identity,
		   plan_fixture_teardown);
	g_test_add("/plan/json", PlanFixture, NULL, plan_fixture_setup, test_plan_json, plan_fixture_teardown);
#define ADD_USAGE_TEST(path, func) \
	g_test_add(path, UsageFixture, NULL, usage_fixture_setup, func, usage_fixture_teardown)
	ADD_USAGE_TEST("/plan/in-use/idle-devices", test_usage_idle_devices);
	ADD_USAGE_TEST("/plan/in-use/nic-with-address", test_usage_nic_with_address);
	ADD_USAGE_TEST("/plan/in-use/managed-yes", test_usage_managed);
	ADD_USAGE_TEST("/plan/in-use/partition-mounted", test_usage_partition_mounted);
	ADD_USAGE_TEST("/plan/in-use/disk-is-swap", test_usage_disk_is_swap);
	ADD_USAGE_TEST("/plan/in-use/disk-held", test_usage_disk_held);
	ADD_USAGE_TEST("/plan/in-use/console-framebuffer", test_usage_console_framebuffer);
	ADD_USAGE_TEST("/plan/no-iommu-group", test_plan_no_iommu_group);
	ADD_USAGE_TEST("/plan/no-iommu", test_plan_no_iommu);
	ADD_USAGE_TEST("/plan/group-member-lent", test_plan_group_member_lent);
	g_test_add_func("/plan/cli/missing-device-is-not-an-error", test_plan_cli_missing_device_is_not_an_error);
	g_test_add_func("/plan/cli/json-is-one-object", test_plan_cli_json_is_one_object);
	for (guint i = 0; i < G_N_ELEMENTS(invalid_cases); i++) {
		g_autofree gchar *path = g_strdup_printf("/plan/cli/invalid/%s", invalid_cases[i].name);
		g_test_add_data_func(path, GUINT_TO_POINTER(i), test_plan_cli_invalid);
	}
	return g_test_run();
}
