/*
 * test-plan.c: what prepare would do, against the fake sysfs in fixtures/
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <unistd.h>

#include "hd-plan.h"
#include "test-helpers.h"
#include "test-json.h"

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

static json_object *
json_device(json_object *root, guint index)
{
	return test_json_index(test_json_array(root, "devices"), index);
}

static void
test_plan_json(PlanFixture *fx, gconstpointer data)
{
	static const char *const keys[] = {"address", "source", "managed", "driver", "permissive",
					   "mac", "vlan", "exists", "current_driver", "iommu_group",
					   "action"};
	g_autoptr(HdPlan) plan = plan_for(
	    fx, "kvm", NULL,
	    TEST_HOSTDEV("no", "bus='1'")
	    "<interface type='hostdev'><mac address='52:54:00:AA:bb:01'/>"
	    "<source><address type='pci' bus='4'/></source>"
	    "<vlan trunk='yes'><tag id='42'/><tag id='7' nativeMode='untagged'/></vlan></interface>"
	    TEST_HOSTDEV("no", "bus='9'"));
	g_autofree gchar *json = hd_plan_to_json(plan);
	g_autoptr(json_object) root = test_json_parse(json);
	json_object *nic = json_device(root, 0);
	json_object *iface = json_device(root, 1);
	json_object *missing = json_device(root, 2);
	json_object *vlan, *steps;

	for (guint i = 0; i < G_N_ELEMENTS(keys); i++) {
		g_assert_true(json_object_object_get_ex(nic, keys[i], NULL));
		g_assert_true(json_object_object_get_ex(missing, keys[i], NULL));
	}
	g_assert_cmpstr(test_json_string(nic, "address"), ==, "0000:01:00.0");
	g_assert_cmpstr(test_json_string(nic, "source"), ==, "hostdev");
	g_assert_false(test_json_bool(nic, "managed"));
	g_assert_true(test_json_is_null(nic, "driver"));
	g_assert_true(test_json_is_null(nic, "mac"));
	g_assert_true(test_json_is_null(nic, "vlan"));
	g_assert_cmpstr(test_json_string(nic, "action"), ==, "vfio-pci");
	g_assert_cmpstr(test_json_string(nic, "iommu_group"), ==, "1");
	steps = test_json_array(nic, "steps");
	g_assert_cmpuint(json_object_array_length(steps), ==, 4);
	g_assert_cmpstr(json_object_get_string(test_json_index(steps, 0)), ==, "write vfio-pci to driver_override");
	g_assert_cmpstr(json_object_get_string(test_json_index(steps, 1)), ==, "unbind from e1000e");
	g_assert_cmpstr(json_object_get_string(test_json_index(steps, 2)), ==, "write 0000:01:00.0 to drivers_probe");
	g_assert_cmpstr(json_object_get_string(test_json_index(steps, 3)), ==,
			"wait up to 5000 ms for vfio-pci to bind");

	g_assert_cmpstr(test_json_string(iface, "source"), ==, "interface");
	g_assert_cmpstr(test_json_string(iface, "mac"), ==, "52:54:00:aa:bb:01");
	vlan = test_json_array(iface, "vlan");
	g_assert_cmpuint(json_object_array_length(vlan), ==, 2);
	g_assert_cmpint(json_object_get_int64(test_json_index(vlan, 0)), ==, 42);
	g_assert_cmpint(json_object_get_int64(test_json_index(vlan, 1)), ==, 7);
	g_assert_true(json_object_is_type(test_json_index(vlan, 0), json_type_int));
	g_assert_true(test_json_bool(iface, "already_bound"));
	g_assert_cmpuint(json_object_array_length(test_json_array(iface, "steps")), ==, 0);

	g_assert_false(test_json_bool(missing, "exists"));
	g_assert_true(test_json_is_null(missing, "current_driver"));
	g_assert_true(test_json_is_null(missing, "iommu_group"));
	g_assert_cmpstr(test_json_string(missing, "action"), ==, "error: no such PCI device on this host");
	g_assert_cmpuint(json_object_array_length(test_json_array(missing, "steps")), ==, 0);
}

/* ---- the host's own use of a device ------------------------------------- */

typedef struct {
	gchar *tmpdir;
	gchar *sysfs;
	HdContext *ctx;
	GHashTable *addresses; /* ifindex -> what netlink would say of it */
} UsageFixture;

/* only the interfaces in fx->addresses are in use; ifindex 7 always is */
static gboolean
fake_netdev_use(int ifindex, gpointer user_data, gchar **reason, GError **error)
{
	UsageFixture *fx = user_data;

	*reason = g_strdup(g_hash_table_lookup(fx->addresses, GINT_TO_POINTER(ifindex)));
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

/* sysfs's @link -> @target, both relative to the sysfs root, the link
 * relative as the kernel makes them ("../../devices/...") */
static void
usage_link(UsageFixture *fx, const char *link, const char *target)
{
	g_autofree gchar *path = g_build_filename(fx->sysfs, link, NULL);
	g_autofree gchar *dir = g_path_get_dirname(path);
	g_autoptr(GString) relative = g_string_new(NULL);

	for (const char *slash = strchr(link, '/'); slash != NULL; slash = strchr(slash + 1, '/'))
		g_string_append(relative, "../");
	g_string_append(relative, target);
	g_assert_cmpint(g_mkdir_with_parents(dir, 0755), ==, 0);
	g_assert_cmpint(symlink(relative->str, path), ==, 0);
}

/* where a class link leads, relative to the sysfs root */
static gchar *
usage_device_dir(UsageFixture *fx, const char *class_link)
{
	g_autofree gchar *path = g_build_filename(fx->sysfs, class_link, NULL);
	g_autofree gchar *real_root = realpath(fx->sysfs, NULL);
	g_autofree gchar *real = realpath(path, NULL);

	g_assert_nonnull(real);
	g_assert_true(g_str_has_prefix(real, real_root));
	return g_strdup(real + strlen(real_root) + 1);
}

/* a block device in sysfs's @dir, named by its last component, with its
 * class/block and dev/block links */
static void
usage_block(UsageFixture *fx, const char *dir, const char *majmin)
{
	g_autofree gchar *name = g_path_get_basename(dir);
	g_autofree gchar *dev = g_build_filename("sys", dir, "dev", NULL);
	g_autofree gchar *holders = g_build_filename("sys", dir, "holders", NULL);
	g_autofree gchar *slaves = g_build_filename("sys", dir, "slaves", NULL);
	g_autofree gchar *class_link = g_build_filename("class/block", name, NULL);
	g_autofree gchar *dev_link = g_build_filename("dev/block", majmin, NULL);
	g_autofree gchar *contents = g_strconcat(majmin, "\n", NULL);

	usage_write(fx, dev, contents);
	usage_mkdir(fx, holders);
	usage_mkdir(fx, slaves);
	usage_link(fx, class_link, dir);
	usage_link(fx, dev_link, dir);
}

/* a device-mapper or md device @upper, built on @lower: its slaves/ and the
 * lower one's holders/ say so */
static void
usage_stack(UsageFixture *fx, const char *upper, const char *lower)
{
	g_autofree gchar *upper_link = g_build_filename("class/block", upper, NULL);
	g_autofree gchar *lower_link = g_build_filename("class/block", lower, NULL);
	g_autofree gchar *upper_dir = usage_device_dir(fx, upper_link);
	g_autofree gchar *lower_dir = usage_device_dir(fx, lower_link);
	g_autofree gchar *slave = g_build_filename(upper_dir, "slaves", lower, NULL);
	g_autofree gchar *holder = g_build_filename(lower_dir, "holders", upper, NULL);

	usage_link(fx, slave, lower_dir);
	usage_link(fx, holder, upper_dir);
}

/* a network interface in sysfs's @dir, with its class/net link */
static void
usage_netdev(UsageFixture *fx, const char *dir, const char *ifindex)
{
	g_autofree gchar *name = g_path_get_basename(dir);
	g_autofree gchar *index = g_build_filename("sys", dir, "ifindex", NULL);
	g_autofree gchar *class_link = g_build_filename("class/net", name, NULL);
	g_autofree gchar *contents = g_strconcat(ifindex, "\n", NULL);

	usage_write(fx, index, contents);
	usage_link(fx, class_link, dir);
}

/* the interface @upper (a bond, a VLAN) is built on @lower */
static void
usage_net_lower(UsageFixture *fx, const char *upper, const char *lower)
{
	g_autofree gchar *upper_class = g_build_filename("class/net", upper, NULL);
	g_autofree gchar *lower_class = g_build_filename("class/net", lower, NULL);
	g_autofree gchar *upper_dir = usage_device_dir(fx, upper_class);
	g_autofree gchar *lower_dir = usage_device_dir(fx, lower_class);
	g_autofree gchar *lower_name = g_strconcat("lower_", lower, NULL);
	g_autofree gchar *link = g_build_filename(upper_dir, lower_name, NULL);

	usage_link(fx, link, lower_dir);
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
	usage_netdev(fx, "bus/pci/devices/0000:01:00.0/net/eth0", "3");
	usage_block(fx, "bus/pci/devices/0000:02:00.0/nvme/nvme0/nvme0n1", "259:0");
	usage_block(fx, "bus/pci/devices/0000:02:00.0/nvme/nvme0/nvme0n1/nvme0n1p1", "259:1");
	usage_write(fx, "proc/self/mountinfo", "22 1 0:21 / / rw - 9p hostroot rw\n");
	usage_write(fx, "proc/swaps", "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n");

	fx->addresses = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, g_free);
	g_hash_table_insert(fx->addresses, GINT_TO_POINTER(7), g_strdup("has address 192.0.2.1/24"));
	fx->ctx = hd_context_new(fx->sysfs, "/nonexistent/policy.conf", &error);
	g_assert_no_error(error);
	fx->ctx->netdev_use = fake_netdev_use;
	fx->ctx->netdev_use_data = fx;
	proc = g_build_filename(fx->tmpdir, "proc", NULL);
	g_free(fx->ctx->proc_root);
	fx->ctx->proc_root = g_steal_pointer(&proc);
}

static void
usage_fixture_teardown(UsageFixture *fx, gconstpointer data)
{
	hd_context_free(fx->ctx);
	g_hash_table_unref(fx->addresses);
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

/* ---- the layouts a host has: reverse resolution ------------------------ */

/*
 * A PCI function where the kernel puts one, devices/pci0000:00/BDF, reached
 * through the bus/pci/devices link, alone in IOMMU group @group and bound
 * to @driver.  Its identity is the fixture's NIC's: only its place matters.
 */
static void
usage_function(UsageFixture *fx, const char *bdf, const char *driver, const char *group)
{
	static const char *const copied[] = {"class", "config", "device", "vendor"};
	g_autofree gchar *dir = g_build_filename("devices/pci0000:00", bdf, NULL);
	g_autofree gchar *bus_link = g_build_filename("bus/pci/devices", bdf, NULL);
	g_autofree gchar *driver_link = g_build_filename(dir, "driver", NULL);
	g_autofree gchar *driver_dir = g_build_filename("bus/pci/drivers", driver, NULL);
	g_autofree gchar *group_link = g_build_filename(dir, "iommu_group", NULL);
	g_autofree gchar *group_dir = g_build_filename("kernel/iommu_groups", group, NULL);
	g_autofree gchar *member = g_build_filename(group_dir, "devices", bdf, NULL);
	g_autofree gchar *override = g_build_filename("sys", dir, "driver_override", NULL);
	g_autofree gchar *function_dir = g_build_filename("sys", dir, NULL);
	g_autofree gchar *driver_sys_dir = g_build_filename("sys", driver_dir, NULL);

	usage_mkdir(fx, function_dir);
	for (guint i = 0; i < G_N_ELEMENTS(copied); i++) {
		g_autofree gchar *from = g_build_filename(fx->sysfs, "bus/pci/devices/0000:01:00.0", copied[i], NULL);
		g_autofree gchar *to = g_build_filename(fx->tmpdir, function_dir, copied[i], NULL);
		g_autofree gchar *contents = NULL;
		gsize len = 0;

		g_assert_true(g_file_get_contents(from, &contents, &len, NULL));
		g_assert_true(g_file_set_contents(to, contents, (gssize)len, NULL));
	}
	usage_write(fx, override, "(null)\n");
	usage_mkdir(fx, driver_sys_dir);
	usage_link(fx, bus_link, dir);
	usage_link(fx, driver_link, driver_dir);
	usage_link(fx, group_link, group_dir);
	usage_link(fx, member, dir);
}

#define AHCI "devices/pci0000:00/0000:00:1f.2/ata1/host0/target0:0:0/0:0:0:0/block/sda"
#define USB_DISK "devices/pci0000:00/0000:00:14.0/usb2/2-1/2-1:1.0/host6/target6:0:0/6:0:0:0/block/sdb"
#define SAS_DISK "devices/pci0000:00/0000:00:10.0/host2/port-2:0/end_device-2:0/target2:0:0/2:0:0:0/block/sdc"

/*
 * Besides the fixture's NIC (01:00.0, eth0) and NVMe disk (02:00.0): an
 * AHCI controller with a SATA disk of two partitions, its idle sibling
 * function, a virtio-net NIC, an xHCI controller with a USB disk and a SAS
 * HBA with a disk; nothing in use yet, nothing stacked.
 */
static void
usage_layout_setup(UsageFixture *fx, gconstpointer data)
{
	usage_fixture_setup(fx, data);
	usage_function(fx, "0000:00:1f.2", "ahci", "20");
	usage_function(fx, "0000:00:1f.3", "i801_smbus", "21");
	usage_function(fx, "0000:00:03.0", "virtio-pci", "22");
	usage_function(fx, "0000:00:14.0", "xhci_hcd", "23");
	usage_function(fx, "0000:00:10.0", "mpt3sas", "24");
	usage_block(fx, AHCI, "8:0");
	usage_block(fx, AHCI "/sda1", "8:1");
	usage_block(fx, AHCI "/sda2", "8:2");
	usage_block(fx, USB_DISK, "8:16");
	usage_block(fx, USB_DISK "/sdb1", "8:17");
	usage_block(fx, SAS_DISK, "8:32");
	usage_block(fx, SAS_DISK "/sdc1", "8:33");
	usage_netdev(fx, "devices/pci0000:00/0000:00:03.0/virtio0/net/eth1", "4");
}

/* what the plan does with the function at @bdf, asked for alone */
static gchar *
usage_action_for(UsageFixture *fx, const char *bdf, gboolean managed, gboolean force)
{
	g_autofree gchar *meta = force ? g_strdup_printf(META("address='%s' force='yes'"), bdf) : NULL;
	g_autofree gchar *hostdev = g_strdup_printf("<hostdev mode='subsystem' type='pci' managed='%s'><source>"
						    "<address domain='0x0000' bus='0x%.2s' slot='0x%.2s' "
						    "function='0x%.1s'/></source></hostdev>",
						    managed ? "yes" : "no", bdf + 5, bdf + 8, bdf + 11);

	return usage_action(fx, meta, hostdev);
}

/* @bdf is refused, managed or not, with @why; force='yes' takes it anyway */
static void
usage_assert_refused(UsageFixture *fx, const char *bdf, const char *why)
{
	g_autofree gchar *expected = g_strdup_printf(IN_USE("%s"), why);
	g_autofree gchar *refused = usage_action_for(fx, bdf, FALSE, FALSE);
	g_autofree gchar *managed = usage_action_for(fx, bdf, TRUE, FALSE);
	g_autofree gchar *forced = usage_action_for(fx, bdf, FALSE, TRUE);

	g_assert_cmpstr(refused, ==, expected);
	g_assert_cmpstr(managed, ==, expected);
	g_assert_cmpstr(forced, ==, "vfio-pci");
}

/* the neighbours: every other function, but those listed, is free to go */
static void
usage_assert_free_but(UsageFixture *fx, const char *const *refused)
{
	static const char *const all[] = {"0000:00:1f.2", "0000:00:1f.3", "0000:00:03.0", "0000:00:14.0",
					  "0000:00:10.0", "0000:01:00.0", "0000:02:00.0"};

	for (guint i = 0; i < G_N_ELEMENTS(all); i++) {
		g_autofree gchar *action = NULL;

		if (g_strv_contains(refused, all[i]))
			continue;
		action = usage_action_for(fx, all[i], FALSE, FALSE);
		g_assert_cmpstr(action, ==, "vfio-pci");
	}
}

#define REFUSED(...) ((const char *const[]){__VA_ARGS__, NULL})
#define NONE_REFUSED ((const char *const[]){NULL})

static void
usage_mounts(UsageFixture *fx, const char *lines)
{
	g_autofree gchar *mountinfo = g_strconcat("22 1 0:21 / / rw - 9p hostroot rw\n", lines, NULL);

	usage_write(fx, "proc/self/mountinfo", mountinfo);
}

static void
usage_swaps(UsageFixture *fx, const char *lines)
{
	g_autofree gchar *swaps = g_strconcat("Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n", lines, NULL);

	usage_write(fx, "proc/swaps", swaps);
}

static void
usage_address(UsageFixture *fx, int ifindex, const char *address)
{
	g_hash_table_insert(fx->addresses, GINT_TO_POINTER(ifindex), g_strdup_printf("has address %s", address));
}

static void
test_layout_idle(UsageFixture *fx, gconstpointer data)
{
	usage_assert_free_but(fx, NONE_REFUSED);
}

/* depth 7 below the function: the partition the old walk never reached */
static void
test_layout_sata_partition_mounted(UsageFixture *fx, gconstpointer data)
{
	usage_mounts(fx, "41 22 8:1 / /srv rw,relatime - ext4 /dev/sda1 rw\n");
	usage_assert_refused(fx, "0000:00:1f.2", "block device sda1 is mounted on /srv");
	usage_assert_free_but(fx, REFUSED("0000:00:1f.2"));
}

static void
test_layout_usb_disk_mounted(UsageFixture *fx, gconstpointer data)
{
	usage_mounts(fx, "41 22 8:17 / /media/usb rw - vfat /dev/sdb1 rw\n");
	usage_assert_refused(fx, "0000:00:14.0", "block device sdb1 is mounted on /media/usb");
	usage_assert_free_but(fx, REFUSED("0000:00:14.0"));
}

static void
test_layout_sas_disk_swap(UsageFixture *fx, gconstpointer data)
{
	usage_swaps(fx, "/dev/sdc                                partition\t1048572\t\t0\t\t-2\n");
	usage_assert_refused(fx, "0000:00:10.0", "block device sdc is in use as swap");
	usage_assert_free_but(fx, REFUSED("0000:00:10.0"));
}

/* btrfs shows an anonymous device number: the source names the disk */
static void
test_layout_mount_by_source(UsageFixture *fx, gconstpointer data)
{
	usage_mounts(fx, "41 22 0:45 / /home rw - btrfs /dev/sda1 rw,space_cache=v2\n");
	usage_assert_refused(fx, "0000:00:1f.2", "block device sda1 is mounted on /home");
	usage_assert_free_but(fx, REFUSED("0000:00:1f.2"));
}

static void
test_layout_dm_over_partition(UsageFixture *fx, gconstpointer data)
{
	usage_block(fx, "devices/virtual/block/dm-0", "253:0");
	usage_stack(fx, "dm-0", "sda2");
	usage_mounts(fx, "41 22 253:0 / / rw - ext4 /dev/mapper/vg-root rw\n");
	usage_assert_refused(fx, "0000:00:1f.2", "block device sda2 is a member of dm-0, mounted on /");
	usage_assert_free_but(fx, REFUSED("0000:00:1f.2"));
}

/* LVM on RAID on partitions of two controllers: both are the array's */
static void
test_layout_lvm_on_raid(UsageFixture *fx, gconstpointer data)
{
	usage_block(fx, "devices/virtual/block/md0", "9:0");
	usage_block(fx, "devices/virtual/block/dm-1", "253:1");
	usage_stack(fx, "md0", "sda1");
	usage_stack(fx, "md0", "sdc1");
	usage_stack(fx, "dm-1", "md0");
	usage_mounts(fx, "41 22 253:1 / /data rw - xfs /dev/mapper/data-lv rw\n");
	usage_assert_refused(fx, "0000:00:1f.2",
			     "block device sda1 is a member of md0, a member of dm-1, mounted on /data");
	usage_assert_refused(fx, "0000:00:10.0",
			     "block device sdc1 is a member of md0, a member of dm-1, mounted on /data");
	usage_assert_free_but(fx, REFUSED("0000:00:1f.2", "0000:00:10.0"));
}

/* a stack nothing mounts still holds its members */
static void
test_layout_raid_held(UsageFixture *fx, gconstpointer data)
{
	usage_block(fx, "devices/virtual/block/md0", "9:0");
	usage_stack(fx, "md0", "sda1");
	usage_stack(fx, "md0", "sdc1");
	usage_assert_refused(fx, "0000:00:1f.2", "block device sda1 is held by md0");
	usage_assert_refused(fx, "0000:00:10.0", "block device sdc1 is held by md0");
	usage_assert_free_but(fx, REFUSED("0000:00:1f.2", "0000:00:10.0"));
}

/* swap on an LVM volume, named as older systems name it in /proc/swaps */
static void
test_layout_swap_on_mapper(UsageFixture *fx, gconstpointer data)
{
	usage_block(fx, "devices/virtual/block/dm-2", "253:2");
	usage_write(fx, "sys/devices/virtual/block/dm-2/dm/name", "vg-swap\n");
	usage_stack(fx, "dm-2", "sdb1");
	usage_swaps(fx, "/dev/mapper/vg-swap                     partition\t1048572\t\t0\t\t-2\n");
	usage_assert_refused(fx, "0000:00:14.0", "block device sdb1 is a member of dm-2, in use as swap");
	usage_assert_free_but(fx, REFUSED("0000:00:14.0"));
}

/* the NIC is the virtio device's, not the PCI function's: <dev>/virtio0/net */
static void
test_layout_virtio_net(UsageFixture *fx, gconstpointer data)
{
	usage_address(fx, 4, "192.0.2.4/24");
	usage_assert_refused(fx, "0000:00:03.0", "network interface eth1 has address 192.0.2.4/24");
	usage_assert_free_but(fx, REFUSED("0000:00:03.0"));
}

static void
test_layout_bond(UsageFixture *fx, gconstpointer data)
{
	usage_netdev(fx, "devices/virtual/net/bond0", "20");
	usage_mkdir(fx, "sys/devices/virtual/net/bond0/bonding");
	usage_net_lower(fx, "bond0", "eth0");
	usage_net_lower(fx, "bond0", "eth1");
	usage_assert_free_but(fx, NONE_REFUSED);
	usage_address(fx, 20, "198.51.100.20/24");
	usage_assert_refused(fx, "0000:01:00.0", "network interface eth0 is a member of bond0, which has address "
						 "198.51.100.20/24");
	usage_assert_refused(fx, "0000:00:03.0", "network interface eth1 is a member of bond0, which has address "
						 "198.51.100.20/24");
	usage_assert_free_but(fx, REFUSED("0000:01:00.0", "0000:00:03.0"));
}

/* a bridge's ports, as brif/ lists them: PORT -> ../../eth1/brport */
static void
test_layout_bridge(UsageFixture *fx, gconstpointer data)
{
	usage_netdev(fx, "devices/virtual/net/br0", "30");
	usage_mkdir(fx, "sys/devices/virtual/net/br0/bridge");
	usage_mkdir(fx, "sys/devices/pci0000:00/0000:00:03.0/virtio0/net/eth1/brport");
	usage_link(fx, "devices/virtual/net/br0/brif/eth1", "devices/pci0000:00/0000:00:03.0/virtio0/net/eth1/brport");
	usage_assert_free_but(fx, NONE_REFUSED);
	usage_address(fx, 30, "203.0.113.30/24");
	usage_assert_refused(fx, "0000:00:03.0", "network interface eth1 is a port of br0, which has address "
						 "203.0.113.30/24");
	usage_assert_free_but(fx, REFUSED("0000:00:03.0"));
}

/* a VLAN on a bond in a bridge: the whole way down is named */
static void
test_layout_vlan_bond_bridge(UsageFixture *fx, gconstpointer data)
{
	usage_netdev(fx, "devices/virtual/net/bond0", "20");
	usage_mkdir(fx, "sys/devices/virtual/net/bond0/bonding");
	usage_net_lower(fx, "bond0", "eth0");
	usage_netdev(fx, "devices/virtual/net/bond0.10", "21");
	usage_net_lower(fx, "bond0.10", "bond0");
	usage_netdev(fx, "devices/virtual/net/br10", "31");
	usage_mkdir(fx, "sys/devices/virtual/net/br10/bridge");
	usage_net_lower(fx, "br10", "bond0.10");
	usage_address(fx, 31, "203.0.113.31/24");
	usage_assert_refused(fx, "0000:01:00.0", "network interface eth0 is a member of bond0, the lower device of "
						 "bond0.10, a port of br10, which has address 203.0.113.31/24");
	usage_assert_free_but(fx, REFUSED("0000:01:00.0"));
}

/* its own address says it plainest, even where a bridge has one too */
static void
test_layout_own_address_first(UsageFixture *fx, gconstpointer data)
{
	usage_netdev(fx, "devices/virtual/net/br0", "30");
	usage_mkdir(fx, "sys/devices/virtual/net/br0/bridge");
	usage_net_lower(fx, "br0", "eth1");
	usage_address(fx, 30, "203.0.113.30/24");
	usage_address(fx, 4, "192.0.2.4/24");
	usage_assert_refused(fx, "0000:00:03.0", "network interface eth1 has address 192.0.2.4/24");
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
	g_autoptr(json_object) root = NULL;

	run_plan(&run, xml, TRUE);
	g_assert_cmpint(run.exit_status, ==, 0);
	root = test_json_parse(run.out);
	g_assert_cmpstr(test_json_string(json_device(root, 0), "current_driver"), ==, "e1000e");
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
#define ADD_LAYOUT_TEST(path, func) \
	g_test_add(path, UsageFixture, NULL, usage_layout_setup, func, usage_fixture_teardown)
	ADD_LAYOUT_TEST("/plan/in-use/layout/idle", test_layout_idle);
	ADD_LAYOUT_TEST("/plan/in-use/layout/sata-partition-mounted", test_layout_sata_partition_mounted);
	ADD_LAYOUT_TEST("/plan/in-use/layout/usb-disk-mounted", test_layout_usb_disk_mounted);
	ADD_LAYOUT_TEST("/plan/in-use/layout/sas-disk-swap", test_layout_sas_disk_swap);
	ADD_LAYOUT_TEST("/plan/in-use/layout/mount-by-source", test_layout_mount_by_source);
	ADD_LAYOUT_TEST("/plan/in-use/layout/dm-over-partition", test_layout_dm_over_partition);
	ADD_LAYOUT_TEST("/plan/in-use/layout/lvm-on-raid", test_layout_lvm_on_raid);
	ADD_LAYOUT_TEST("/plan/in-use/layout/raid-held", test_layout_raid_held);
	ADD_LAYOUT_TEST("/plan/in-use/layout/swap-on-mapper", test_layout_swap_on_mapper);
	ADD_LAYOUT_TEST("/plan/in-use/layout/virtio-net", test_layout_virtio_net);
	ADD_LAYOUT_TEST("/plan/in-use/layout/bond", test_layout_bond);
	ADD_LAYOUT_TEST("/plan/in-use/layout/bridge", test_layout_bridge);
	ADD_LAYOUT_TEST("/plan/in-use/layout/vlan-bond-bridge", test_layout_vlan_bond_bridge);
	ADD_LAYOUT_TEST("/plan/in-use/layout/own-address-first", test_layout_own_address_first);
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
