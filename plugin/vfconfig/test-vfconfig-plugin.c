/*
 * test-vfconfig-plugin.c: the vfconfig plugin on the simulated kernel
 *
 * The simulated kernel has no netlink, so a simulation of the PF's link
 * and its VFs' settings is set in the plugin's place
 * (hd_context_set_plugin_ops()): it keeps each VF's settings, answers
 * EBUSY or EOPNOTSUPP when told to, and logs every write.  VFs are made by
 * the sriov plugin on an igb-like PF, as on a host.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/if_link.h>

#include "hd-vfconfig-netlink.h"
#include "plugin-fixture.h"

#define NIC	   "0000:01:00.0"
#define PF	   "0000:02:00.0"
#define VF0	   "0000:02:10.0"
#define VF1	   "0000:02:10.2"
#define PF_NETDEV  "enp2s0"
#define PF_IFINDEX 4
#define MAX_VFS	   7

#define HOSTDEV_AT(bus, slot, function)                                                                   \
	"<hostdev mode='subsystem' type='pci' managed='no'><source><address domain='0' bus='" bus "' slot='" \
	slot "' function='" function "'/></source></hostdev>"
#define HOSTDEV_VF1 HOSTDEV_AT("2", "0x10", "2")
#define INTERFACE_AT(managed, slot, function)                                                           \
	"<interface type='hostdev' managed='" managed "'><mac address='52:54:00:00:00:42'/><source><address " \
	"type='pci' domain='0' bus='2' slot='" slot "' function='" function "'/></source></interface>"
#define META(inner)	 "<hd:hostdev-hook xmlns:hd='urn:hostdev-hook:1'>" inner "</hd:hostdev-hook>"
#define SETTINGS(bdf, a) META("<hd:device address='" bdf "' " a "/>")
#define EVERY_SETTING                                                                                         \
	"mac='52:54:00:12:34:56' vlan='42' trust='yes' spoofchk='no' link-state='disable' min-tx-rate='10' " \
	"max-tx-rate='100' query-rss='yes'"

static const guint32 igb_ids[] = {MOCK_PCI_ID(0x8086, 0x10c9), 0};
static const guint32 igbvf_ids[] = {MOCK_PCI_ID(0x8086, 0x10ca), 0};
static const guint32 e1000e_ids[] = {MOCK_PCI_ID(0x8086, 0x10d3), 0};

/* ---- a process that dies just before its Nth change to the host ------------- */

typedef struct {
	HdContext *real; /* reaches the simulated kernel */
	gchar *journal;
	guint die_at; /* 0: never */
	guint changes;
	gboolean dead;
	gchar *left; /* the journal at the time */
} Crash;

/* count a change; FALSE once the process is dead */
static gboolean
crash_change(Crash *crash, GError **error)
{
	if (!crash->dead && ++crash->changes == crash->die_at) {
		crash->dead = TRUE;
		g_file_get_contents(crash->journal, &crash->left, NULL, NULL);
	}
	if (!crash->dead)
		return TRUE;
	g_set_error(error, HD_ERROR, HD_ERROR_FAILED, "the process is dead");
	return FALSE;
}

static gboolean
crash_write(const char *relpath, const char *value, gpointer user_data, GError **error)
{
	Crash *crash = user_data;

	return crash_change(crash, error) && hd_sysfs_write(crash->real->sysfs, relpath, value, error);
}

/* ---- the simulated PF link ---------------------------------------------------- */

typedef struct {
	Crash *crash;
	gboolean up;
	HdVfState vfs[MAX_VFS];
	GPtrArray *log;	 /* "set VF 1 trust", "link up" */
	gint fail_attr;	 /* this attribute's writes fail with fail_code; -1: none */
	HdError fail_code;
	guint fail_times; /* so many of them; 0: all */
	guint busy_macs; /* so many MAC writes answer EBUSY first */
} FakeNet;

static const char *const attr_names[] = {"mac", "vlan", "rate", "spoofchk", "trust", "link-state", "query-rss"};

static void
fake_vf_reset(HdVfState *vf)
{
	memset(vf, 0, sizeof(*vf));
	vf->vlan_proto = ETH_P_8021Q;
	vf->spoofchk = 1;
}

static gboolean
fake_check_link(int ifindex, GError **error)
{
	if (ifindex == PF_IFINDEX)
		return TRUE;
	g_set_error(error, HD_ERROR, HD_ERROR_NOT_FOUND, "no link %d", ifindex);
	return FALSE;
}

static gboolean
fake_link_get_up(gpointer data, int ifindex, gboolean *up, GError **error)
{
	FakeNet *net = data;

	*up = net->up;
	return fake_check_link(ifindex, error);
}

static gboolean
fake_link_set_up(gpointer data, int ifindex, gboolean up, GError **error)
{
	FakeNet *net = data;

	if (!fake_check_link(ifindex, error) || !crash_change(net->crash, error))
		return FALSE;
	g_ptr_array_add(net->log, g_strdup_printf("link %s", up ? "up" : "down"));
	net->up = up;
	return TRUE;
}

static gboolean
fake_vf_get(gpointer data, int ifindex, guint vf, HdVfState *state, GError **error)
{
	FakeNet *net = data;

	if (!fake_check_link(ifindex, error))
		return FALSE;
	g_assert_cmpuint(vf, <, MAX_VFS);
	*state = net->vfs[vf];
	return TRUE;
}

static void
fake_store(HdVfState *vf, HdVfAttr attr, const HdVfState *state)
{
	switch (attr) {
	case HD_VF_ATTR_MAC:
		memcpy(vf->mac, state->mac, sizeof(vf->mac));
		break;
	case HD_VF_ATTR_VLAN:
		vf->vlan = state->vlan;
		vf->qos = state->qos;
		vf->vlan_proto = state->vlan_proto;
		break;
	case HD_VF_ATTR_RATE:
		vf->min_tx_rate = state->min_tx_rate;
		vf->max_tx_rate = state->max_tx_rate;
		break;
	case HD_VF_ATTR_SPOOFCHK:
		vf->spoofchk = state->spoofchk;
		break;
	case HD_VF_ATTR_TRUST:
		vf->trust = state->trust;
		break;
	case HD_VF_ATTR_LINK_STATE:
		vf->link_state = state->link_state;
		break;
	case HD_VF_ATTR_QUERY_RSS:
	default:
		vf->query_rss = state->query_rss;
		break;
	}
}

static gboolean
fake_vf_set(gpointer data, int ifindex, guint vf, HdVfAttr attr, const HdVfState *state, GError **error)
{
	FakeNet *net = data;

	if (!fake_check_link(ifindex, error) || !crash_change(net->crash, error))
		return FALSE;
	g_assert_cmpuint(vf, <, MAX_VFS);
	g_ptr_array_add(net->log, g_strdup_printf("set VF %u %s", vf, attr_names[attr]));
	if (attr == HD_VF_ATTR_MAC && net->busy_macs > 0) {
		net->busy_macs--;
		g_set_error_literal(error, HD_ERROR, HD_ERROR_BUSY, "Device or resource busy");
		return FALSE;
	}
	if ((gint)attr == net->fail_attr) {
		if (net->fail_times > 0 && --net->fail_times == 0)
			net->fail_attr = -1;
		g_set_error_literal(error, HD_ERROR, net->fail_code,
				    net->fail_code == HD_ERROR_NOT_SUPPORTED ? "Operation not supported" : "failed");
		return FALSE;
	}
	fake_store(&net->vfs[vf], attr, state);
	return TRUE;
}

static const HdVfNetlinkOps fake_ops = {
	.link_get_up = fake_link_get_up,
	.link_set_up = fake_link_set_up,
	.vf_get = fake_vf_get,
	.vf_set = fake_vf_set,
};

/* ---- the fixture -------------------------------------------------------------- */

typedef struct {
	PluginFixture base;
	FakeNet net;
	Crash crash;
	gchar *before;
	HdVfState initial;
} VfFixture;

static void
make_file(VfFixture *fx, const char *relpath, const char *contents)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *path = g_build_filename(mock_sysfs_get_root(fx->base.ms), relpath, NULL);
	g_autofree gchar *dir = g_path_get_dirname(path);

	g_assert_cmpint(g_mkdir_with_parents(dir, 0755), ==, 0);
	g_assert_true(g_file_set_contents(path, contents, -1, &error));
}

/* the igb PF with its interface enp2s0, down, and no VFs; every change to
 * the host, sysfs or netlink, goes through one counter */
static void
vf_fixture_setup(VfFixture *fx, gconstpointer data)
{
	g_autoptr(GError) error = NULL;

	plugin_fixture_setup(&fx->base, data);
	mock_sysfs_add_driver(fx->base.ms, "vfio-pci", NULL);
	mock_sysfs_add_driver(fx->base.ms, "e1000e", e1000e_ids);
	mock_sysfs_add_driver(fx->base.ms, "igb", igb_ids);
	mock_sysfs_add_driver(fx->base.ms, "igbvf", igbvf_ids);
	mock_sysfs_add_device(fx->base.ms, NIC, 0x8086, 0x10d3, 0x020000, "1", "e1000e");
	mock_sysfs_add_device(fx->base.ms, PF, 0x8086, 0x10c9, 0x020000, "2", "igb");
	mock_sysfs_add_sriov_pf(fx->base.ms, PF, MAX_VFS, 0x80, 2, 0x10ca);
	make_file(fx, "bus/pci/devices/" PF "/net/" PF_NETDEV "/ifindex", "4\n");

	fx->crash.journal = g_build_filename(fx->base.state_dir, "guest.journal", NULL);
	fx->crash.real = hd_context_new(mock_sysfs_get_root(fx->base.ms), "/nonexistent", &error);
	g_assert_no_error(error);
	mock_sysfs_install(fx->base.ms, fx->crash.real);
	hd_sysfs_set_write_func(fx->base.ctx->sysfs, crash_write, &fx->crash);

	fx->net.crash = &fx->crash;
	fx->net.log = g_ptr_array_new_with_free_func(g_free);
	fx->net.fail_attr = -1;
	for (guint i = 0; i < MAX_VFS; i++)
		fake_vf_reset(&fx->net.vfs[i]);
	fake_vf_reset(&fx->initial);
	hd_context_set_plugin_ops(fx->base.ctx, "vfconfig", &fake_ops, &fx->net);
	fx->before = mock_sysfs_snapshot(fx->base.ms);
}

static void
vf_fixture_teardown(VfFixture *fx, gconstpointer data)
{
	g_free(fx->before);
	g_ptr_array_unref(fx->net.log);
	g_free(fx->crash.left);
	g_free(fx->crash.journal);
	plugin_fixture_teardown(&fx->base, data);
	hd_context_free(fx->crash.real);
}

/* ---- helpers -------------------------------------------------------------------- */

static void
prepare_refused(VfFixture *fx, const char *metadata, const char *devices, HdError code, const char *message)
{
	g_autoptr(GError) error = NULL;

	g_assert_false(plugin_prepare(&fx->base, "kvm", "guest", metadata, devices, &error));
	g_test_message("refused: %s", error->message);
	g_assert_error(error, HD_ERROR, (gint)code);
	g_assert_cmpstr(error->message, ==, message);
}

/* the log since entry @from, joined by ", " */
static gchar *
log_since(VfFixture *fx, guint from)
{
	g_autoptr(GString) out = g_string_new(NULL);

	for (guint i = from; i < fx->net.log->len; i++)
		g_string_append_printf(out, "%s%s", out->len > 0 ? ", " : "", (const char *)g_ptr_array_index(fx->net.log, i));
	return g_string_free(g_steal_pointer(&out), FALSE);
}

static void
assert_log(VfFixture *fx, guint from, const char *expected)
{
	g_autofree gchar *log = log_since(fx, from);

	g_assert_cmpstr(log, ==, expected);
}

static void
assert_vf_initial(VfFixture *fx, guint vf)
{
	g_assert_cmpmem(&fx->net.vfs[vf], sizeof(HdVfState), &fx->initial, sizeof(HdVfState));
}

/* the host exactly as the fixture made it: sysfs, the link and every VF */
static void
assert_as_before(VfFixture *fx)
{
	g_autofree gchar *now = mock_sysfs_snapshot(fx->base.ms);

	g_assert_cmpstr(now, ==, fx->before);
	g_assert_false(fx->net.up);
	for (guint i = 0; i < MAX_VFS; i++)
		assert_vf_initial(fx, i);
}

static const HdPlanDevice *
plan_device(HdPlan *plan, guint i)
{
	g_assert_cmpuint(i, <, plan->devices->len);
	return g_ptr_array_index(plan->devices, i);
}

/* ---- planning ------------------------------------------------------------------- */

static void
test_plan(VfFixture *fx, gconstpointer data)
{
	g_autoptr(HdPlan) plan = plugin_plan(&fx->base, "kvm", "guest",
					     SETTINGS(VF1, "trust='yes' spoofchk='no' max-tx-rate='100'"), HOSTDEV_VF1);
	const HdPlanDevice *dev = plan_device(plan, 0);
	g_autoptr(HdPlan) iface = plugin_plan(&fx->base, "kvm", "guest", NULL, INTERFACE_AT("no", "0x10", "0"));
	const HdPlanDevice *idev = plan_device(iface, 0);

	g_assert_cmpint(dev->action, ==, HD_ACTION_BIND);
	g_assert_cmpuint(dev->chain->len, ==, 3);
	g_assert_cmpstr(((const HdPlugin *)g_ptr_array_index(dev->chain, 2))->name, ==, "vfconfig");
	g_assert_cmpstr(g_ptr_array_index(dev->steps, dev->steps->len - 1), ==,
			"through " PF_NETDEV ", set the VF's max-tx-rate 100 Mbit/s, spoofchk off, trust on (where it "
			"differs)");
	g_assert_cmpstr(g_ptr_array_index(idev->steps, idev->steps->len - 1), ==,
			"bring " PF_NETDEV " up if it is down: libvirt sets the VF's MAC and VLAN through it");
	assert_as_before(fx);
}

/* ---- settings ------------------------------------------------------------------- */

/* every setting made after the bind, the VF's own read first; release
 * writes back each, in the reverse order */
static void
test_set_and_restore(VfFixture *fx, gconstpointer data)
{
	const HdVfState *vf = &fx->net.vfs[1];
	g_autofree gchar *journal = NULL;
	guint from = 0;

	plugin_prepare_ok(&fx->base, "guest", SETTINGS(VF1, EVERY_SETTING), HOSTDEV_VF1);
	plugin_assert_driver(&fx->base, VF1, "vfio-pci");
	assert_log(fx, 0,
		   "set VF 1 mac, set VF 1 vlan, set VF 1 rate, set VF 1 spoofchk, set VF 1 trust, set VF 1 link-state, "
		   "set VF 1 query-rss");
	g_assert_cmpmem(vf->mac, 6, "\x52\x54\x00\x12\x34\x56", 6);
	g_assert_cmpuint(vf->vlan, ==, 42);
	g_assert_cmpuint(vf->min_tx_rate, ==, 10);
	g_assert_cmpuint(vf->max_tx_rate, ==, 100);
	g_assert_cmpint(vf->spoofchk, ==, 0);
	g_assert_cmpint(vf->trust, ==, 1);
	g_assert_cmpint(vf->link_state, ==, IFLA_VF_LINK_STATE_DISABLE);
	g_assert_cmpint(vf->query_rss, ==, 1);
	/* the PF's link is not touched for a plain hostdev */
	g_assert_false(fx->net.up);
	g_assert_true(g_file_get_contents(fx->crash.journal, &journal, NULL, NULL));
	g_assert_nonnull(strstr(journal, "\"orig_mac\": \"00:00:00:00:00:00\""));
	g_assert_nonnull(strstr(journal, "\"changed_trust\": true"));

	from = fx->net.log->len;
	plugin_release_ok(&fx->base, "guest");
	assert_log(fx, from,
		   "set VF 1 query-rss, set VF 1 link-state, set VF 1 trust, set VF 1 spoofchk, set VF 1 rate, "
		   "set VF 1 vlan, set VF 1 mac");
	assert_as_before(fx);
}

/* a setting the VF already has is neither written nor restored */
static void
test_only_changes(VfFixture *fx, gconstpointer data)
{
	guint from = 0;

	plugin_prepare_ok(&fx->base, "guest", SETTINGS(VF1, "spoofchk='yes' trust='no' vlan='0' max-tx-rate='0' link-state='auto' "
						 "mac='52:54:00:00:00:07'"),
		   HOSTDEV_VF1);
	assert_log(fx, 0, "set VF 1 mac");
	from = fx->net.log->len;
	plugin_release_ok(&fx->base, "guest");
	assert_log(fx, from, "set VF 1 mac");
	assert_as_before(fx);
}

/* <interface type='hostdev'>: libvirt sets MAC and VLAN through the PF,
 * which must be up; the other settings are ours */
static void
test_interface(VfFixture *fx, gconstpointer data)
{
	guint from = 0;

	plugin_prepare_ok(&fx->base, "guest", SETTINGS(VF0, "trust='yes'"), INTERFACE_AT("no", "0x10", "0"));
	plugin_assert_driver(&fx->base, VF0, "vfio-pci");
	assert_log(fx, 0, "link up, set VF 0 trust");
	g_assert_true(fx->net.up);
	from = fx->net.log->len;
	plugin_release_ok(&fx->base, "guest");
	assert_log(fx, from, "set VF 0 trust, link down");
	assert_as_before(fx);
}

/* managed='yes': made, configured, left for libvirt to bind */
static void
test_interface_managed(VfFixture *fx, gconstpointer data)
{
	g_autoptr(HdPlan) plan = plugin_plan(&fx->base, "kvm", "guest", NULL, INTERFACE_AT("yes", "0x10", "2"));

	g_assert_cmpint(plan_device(plan, 0)->action, ==, HD_ACTION_PROVISION);
	plugin_prepare_ok(&fx->base, "guest", NULL, INTERFACE_AT("yes", "0x10", "2"));
	plugin_assert_driver(&fx->base, VF1, NULL);
	assert_log(fx, 0, "link up");
	plugin_release_ok(&fx->base, "guest");
	assert_log(fx, 0, "link up, link down");
	assert_as_before(fx);
}

/* a PF found up stays up */
static void
test_pf_found_up(VfFixture *fx, gconstpointer data)
{
	fx->net.up = TRUE;
	plugin_prepare_ok(&fx->base, "guest", NULL, INTERFACE_AT("no", "0x10", "0"));
	plugin_release_ok(&fx->base, "guest");
	assert_log(fx, 0, "");
	g_assert_true(fx->net.up);
	fx->net.up = FALSE;
	assert_as_before(fx);
}

/* two domains' interfaces on one PF: the link goes down with the last */
static void
test_pf_link_shared(VfFixture *fx, gconstpointer data)
{
	gboolean first_goes_first = GPOINTER_TO_UINT(data);

	plugin_prepare_ok(&fx->base, "first", META("<hd:vfs pf='" PF "' count='2'/>"), INTERFACE_AT("no", "0x10", "0"));
	plugin_prepare_ok(&fx->base, "second", SETTINGS(VF1, "trust='yes'"), INTERFACE_AT("no", "0x10", "2"));
	assert_log(fx, 0, "link up, set VF 1 trust");
	plugin_release_ok(&fx->base, first_goes_first ? "first" : "second");
	g_assert_true(fx->net.up);
	plugin_release_ok(&fx->base, first_goes_first ? "second" : "first");
	assert_log(fx, 0, "link up, set VF 1 trust, set VF 1 trust, link down");
	assert_as_before(fx);
}

/* ---- refusals and failures ------------------------------------------------------ */

static void
test_refusals(VfFixture *fx, gconstpointer data)
{
	g_autofree gchar *net = g_build_filename(mock_sysfs_get_root(fx->base.ms), "bus/pci/devices", PF, "net",
						 PF_NETDEV, NULL);
	g_autofree gchar *ifindex = g_build_filename(net, "ifindex", NULL);

	prepare_refused(fx, SETTINGS(NIC, "trust='yes'"), HOSTDEV_AT("1", "0", "0"), HD_ERROR_NOT_SUPPORTED,
			NIC ": vfconfig: " NIC " is not an SR-IOV virtual function, and the VF settings in the domain's "
			    "hostdev-hook metadata (mac=, vlan=, trust=, ...) need one: remove them");
	prepare_refused(fx, SETTINGS(VF1, "min-tx-rate='200' max-tx-rate='100'"), HOSTDEV_VF1,
			HD_ERROR_NOT_SUPPORTED,
			VF1 ": vfconfig: min-tx-rate='200' is above max-tx-rate='100' in the domain's hostdev-hook "
			    "metadata: lower it");
	g_assert_cmpint(g_unlink(ifindex), ==, 0);
	g_assert_cmpint(g_rmdir(net), ==, 0);
	prepare_refused(fx, SETTINGS(VF1, "trust='yes'"), HOSTDEV_VF1, HD_ERROR_NOT_SUPPORTED,
			VF1 ": vfconfig: PF " PF " has no network interface (driver: igb), and a VF's settings are made "
			    "through it: bind the PF to its network driver");
	assert_log(fx, 0, "");
	g_free(fx->before);
	fx->before = mock_sysfs_snapshot(fx->base.ms);
	assert_as_before(fx);
}

/* a MAC busy for a while is retried; one that stays busy is refused */
static void
test_mac_busy(VfFixture *fx, gconstpointer data)
{
	g_autoptr(GError) error = NULL;

	fx->net.busy_macs = 3;
	plugin_prepare_ok(&fx->base, "guest", SETTINGS(VF1, "mac='52:54:00:00:00:07'"), HOSTDEV_VF1);
	assert_log(fx, 0, "set VF 1 mac, set VF 1 mac, set VF 1 mac, set VF 1 mac");
	plugin_release_ok(&fx->base, "guest");
	assert_as_before(fx);

	/* busy through every try: the MAC never changed, so the rollback
	 * leaves it alone */
	fx->net.busy_macs = 20;
	g_ptr_array_set_size(fx->net.log, 0);
	g_assert_false(plugin_prepare(&fx->base, "kvm", "guest", SETTINGS(VF1, "mac='52:54:00:00:00:07'"), HOSTDEV_VF1,
				      &error));
	g_assert_error(error, HD_ERROR, HD_ERROR_BUSY);
	g_assert_cmpstr(error->message, ==,
			VF1 ": VF 1 of " PF_NETDEV " (" PF "): its MAC stayed busy (EBUSY) through 20 tries over 2000 ms: "
			    "Device or resource busy; retry once the VF's driver has settled");
	g_assert_cmpuint(fx->net.log->len, ==, 20);
	assert_as_before(fx);
}

/* igb has no link-state: refused with what to do, and what was set before
 * it is put back */
static void
test_unsupported(VfFixture *fx, gconstpointer data)
{
	fx->net.fail_attr = HD_VF_ATTR_LINK_STATE;
	fx->net.fail_code = HD_ERROR_NOT_SUPPORTED;
	prepare_refused(fx, SETTINGS(VF1, "trust='yes' link-state='enable'"), HOSTDEV_VF1, HD_ERROR_NOT_SUPPORTED,
			VF1 ": VF 1 of " PF_NETDEV " (" PF "): its PF's driver cannot set link-state (Operation not "
			    "supported): remove link-state from the domain's hostdev-hook metadata");
	assert_log(fx, 0, "set VF 1 trust, set VF 1 link-state, set VF 1 trust");
	assert_as_before(fx);
}

/* a setting the driver does not report could not be put back */
static void
test_unreported(VfFixture *fx, gconstpointer data)
{
	fx->net.vfs[1].trust = -1;
	fx->initial.trust = -1;
	for (guint i = 0; i < MAX_VFS; i++)
		fx->net.vfs[i].trust = -1;
	prepare_refused(fx, SETTINGS(VF1, "trust='yes'"), HOSTDEV_VF1, HD_ERROR_NOT_SUPPORTED,
			VF1 ": VF 1 of " PF_NETDEV " (" PF "): its PF's driver does not report trust, so it could not be "
			    "put back: remove trust from the domain's hostdev-hook metadata");
	assert_log(fx, 0, "");
	assert_as_before(fx);
}

/* settings went with their VF: nothing to restore, nothing refused */
static void
test_vf_gone(VfFixture *fx, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	HdOwner owner = {HD_OWNER_DOMAIN, (gchar *)"guest"};
	g_autoptr(HdJournal) journal = hd_journal_load(fx->base.state_dir, &owner, &error);
	HdEntry *entry = hd_journal_begin(journal, VF1, PF, "vfconfig", HD_PHASE_CONFIGURE);

	hd_entry_set_string(entry, "pf", PF);
	hd_entry_set_int(entry, "pf_original_up", 1);
	hd_entry_set_bool(entry, "changed_trust", TRUE);
	hd_entry_set_string(entry, "orig_mac", "00:00:00:00:00:00");
	g_assert_true(hd_entry_step(entry, "set-trust", &error));
	g_assert_no_error(error);
	plugin_release_ok(&fx->base, "guest");
	assert_log(fx, 0, "");
	assert_as_before(fx);
}

/* ---- every change failing, and a crash before each ---------------------------- */

#define EVERY_CHANGE_COUNT 11 /* autoprobe, numvfs, override, probe, 7 settings */

static guint
count_changes(VfFixture *fx)
{
	guint changes = 0;

	fx->crash.changes = 0;
	plugin_prepare_ok(&fx->base, "count", SETTINGS(VF1, EVERY_SETTING), HOSTDEV_VF1);
	changes = fx->crash.changes;
	plugin_release_ok(&fx->base, "count");
	assert_as_before(fx);
	fx->crash.changes = 0;
	g_ptr_array_set_size(fx->net.log, 0);
	return changes;
}

/* the @nth change fails: rolled back to the fixture's host */
static void
test_rollback(VfFixture *fx, gconstpointer data)
{
	guint nth = GPOINTER_TO_UINT(data);
	g_autoptr(GError) error = NULL;

	g_assert_cmpuint(count_changes(fx), ==, EVERY_CHANGE_COUNT);
	if (nth <= 4) {
		static const char *const suffixes[] = {"sriov_drivers_autoprobe", "sriov_numvfs", "driver_override",
						       "drivers_probe"};
		mock_sysfs_fail_write(fx->base.ms, suffixes[nth - 1], 1, EIO);
	} else {
		/* always: the rollback does not write what never changed */
		fx->net.fail_attr = (gint)(nth - 5);
		fx->net.fail_code = HD_ERROR_FAILED;
	}
	g_assert_false(plugin_prepare(&fx->base, "kvm", "guest", SETTINGS(VF1, EVERY_SETTING), HOSTDEV_VF1, &error));
	g_test_message("change %u failed: %s", nth, error->message);
	g_assert_cmpuint(plugin_log_count("WARNING", "rollback " VF1), ==, 1);
	fx->net.fail_attr = -1;
	assert_as_before(fx);
}

/* the process dies before its @nth change of a prepare of @devices: the
 * journal it leaves is enough for release to put everything back */
static void
crash_and_release(VfFixture *fx, const char *metadata, const char *devices, guint nth)
{
	g_autoptr(GError) error = NULL;

	fx->crash.die_at = nth;
	g_assert_false(plugin_prepare(&fx->base, "kvm", "guest", metadata, devices, &error));
	g_assert_true(fx->crash.dead);
	g_assert_nonnull(fx->crash.left);
	g_test_message("killed before change %u, journal:\n%s", fx->crash.die_at, fx->crash.left);
	g_clear_error(&error);
	g_assert_true(g_file_set_contents(fx->crash.journal, fx->crash.left, -1, &error));
	g_ptr_array_set_size(plugin_log, 0);
	fx->crash.dead = FALSE;
	fx->crash.die_at = 0;

	plugin_release_ok(&fx->base, "guest");
	g_assert_false(g_file_test(fx->crash.journal, G_FILE_TEST_EXISTS));
	assert_as_before(fx);
}

static void
test_crash(VfFixture *fx, gconstpointer data)
{
	g_assert_cmpuint(count_changes(fx), ==, EVERY_CHANGE_COUNT);
	crash_and_release(fx, SETTINGS(VF1, EVERY_SETTING), HOSTDEV_VF1, GPOINTER_TO_UINT(data));
}

/* a hostdev interface: autoprobe, numvfs, override, probe, the PF's link
 * up (before the VF's settings are read and recorded), trust */
#define INTERFACE_CHANGE_COUNT 6

static void
test_crash_interface(VfFixture *fx, gconstpointer data)
{
	fx->crash.changes = 0;
	plugin_prepare_ok(&fx->base, "count", SETTINGS(VF0, "trust='yes'"), INTERFACE_AT("no", "0x10", "0"));
	g_assert_cmpuint(fx->crash.changes, ==, INTERFACE_CHANGE_COUNT);
	plugin_release_ok(&fx->base, "count");
	assert_as_before(fx);
	fx->crash.changes = 0;
	g_ptr_array_set_size(fx->net.log, 0);
	crash_and_release(fx, SETTINGS(VF0, "trust='yes'"), INTERFACE_AT("no", "0x10", "0"), GPOINTER_TO_UINT(data));
}

/* ---- the tests' fault injection (HOSTDEV_HOOK_FAULT) counts netlink too ----- */

/* each of the EVERY_CHANGE_COUNT changes, as the knob names it: a sysfs
 * write of @value to @relpath, or @netlink */
static const struct {
	const char *value;
	const char *relpath;
	const char *netlink;
} every_change[EVERY_CHANGE_COUNT] = {
	{"0", "bus/pci/devices/" PF "/sriov_drivers_autoprobe", NULL},
	{"2", "bus/pci/devices/" PF "/sriov_numvfs", NULL},
	{"vfio-pci", "bus/pci/devices/" VF1 "/driver_override", NULL},
	{VF1, "bus/pci/drivers_probe", NULL},
	{NULL, NULL, "netlink: set mac of VF 1 of " PF_NETDEV},
	{NULL, NULL, "netlink: set vlan of VF 1 of " PF_NETDEV},
	{NULL, NULL, "netlink: set tx-rate of VF 1 of " PF_NETDEV},
	{NULL, NULL, "netlink: set spoofchk of VF 1 of " PF_NETDEV},
	{NULL, NULL, "netlink: set trust of VF 1 of " PF_NETDEV},
	{NULL, NULL, "netlink: set link-state of VF 1 of " PF_NETDEV},
	{NULL, NULL, "netlink: set query-rss of VF 1 of " PF_NETDEV},
};

static gchar *
every_change_named(VfFixture *fx, guint nth)
{
	if (every_change[nth - 1].netlink != NULL)
		return g_strdup(every_change[nth - 1].netlink);
	return g_strdup_printf("write '%s' to %s/%s", every_change[nth - 1].value, mock_sysfs_get_root(fx->base.ms),
			       every_change[nth - 1].relpath);
}

static void
fault_knob_set(const char *spec)
{
	if (spec != NULL)
		g_setenv("HOSTDEV_HOOK_FAULT", spec, TRUE);
	else
		g_unsetenv("HOSTDEV_HOOK_FAULT");
	hd_fault_reset();
}

/* HOSTDEV_HOOK_FAULT=fail:N fails the Nth of the changes the fixture's own
 * counter sees, sysfs and netlink alike, with the knob's message; the
 * rollback puts everything back; fail:12 fails none: there are no more */
static void
test_fault_knob(VfFixture *fx, gconstpointer data)
{
	guint nth = GPOINTER_TO_UINT(data);
	g_autofree gchar *spec = g_strdup_printf("fail:%u", nth);
	g_autoptr(GError) error = NULL;

	g_assert_cmpuint(count_changes(fx), ==, EVERY_CHANGE_COUNT);
	fault_knob_set(spec);
	if (nth > EVERY_CHANGE_COUNT) {
		plugin_prepare_ok(&fx->base, "guest", SETTINGS(VF1, EVERY_SETTING), HOSTDEV_VF1);
		fault_knob_set(NULL);
		plugin_release_ok(&fx->base, "guest");
	} else {
		g_autofree gchar *what = every_change_named(fx, nth);
		g_autofree gchar *expected =
			g_strdup_printf("fault injected at mutation %u: %s: %s", nth, what, g_strerror(EIO));

		g_assert_false(
			plugin_prepare(&fx->base, "kvm", "guest", SETTINGS(VF1, EVERY_SETTING), HOSTDEV_VF1, &error));
		fault_knob_set(NULL);
		g_test_message("mutation %u failed: %s", nth, error->message);
		g_assert_nonnull(strstr(error->message, expected));
		g_assert_cmpuint(plugin_log_count("WARNING", "rollback " VF1), ==, 1);
	}
	assert_as_before(fx);
}

#define ADD(path, func, data) g_test_add(path, VfFixture, data, vf_fixture_setup, func, vf_fixture_teardown)

int
main(int argc, char **argv)
{
	plugin_test_init(&argc, &argv);
	ADD("/vfconfig/plan", test_plan, NULL);
	ADD("/vfconfig/set-and-restore", test_set_and_restore, NULL);
	ADD("/vfconfig/only-changes", test_only_changes, NULL);
	ADD("/vfconfig/interface", test_interface, NULL);
	ADD("/vfconfig/interface-managed", test_interface_managed, NULL);
	ADD("/vfconfig/pf-found-up", test_pf_found_up, NULL);
	ADD("/vfconfig/pf-link-shared/first-released-first", test_pf_link_shared, GUINT_TO_POINTER(TRUE));
	ADD("/vfconfig/pf-link-shared/second-released-first", test_pf_link_shared, GUINT_TO_POINTER(FALSE));
	ADD("/vfconfig/refusals", test_refusals, NULL);
	ADD("/vfconfig/mac-busy", test_mac_busy, NULL);
	ADD("/vfconfig/unsupported", test_unsupported, NULL);
	ADD("/vfconfig/unreported", test_unreported, NULL);
	ADD("/vfconfig/vf-gone", test_vf_gone, NULL);
	for (guint n = 1; n <= EVERY_CHANGE_COUNT; n++) {
		g_autofree gchar *rollback = g_strdup_printf("/vfconfig/rollback/change-%u", n);
		g_autofree gchar *crash = g_strdup_printf("/vfconfig/crash/before-change-%u", n);
		ADD(rollback, test_rollback, GUINT_TO_POINTER(n));
		ADD(crash, test_crash, GUINT_TO_POINTER(n));
	}
	for (guint n = 1; n <= INTERFACE_CHANGE_COUNT; n++) {
		g_autofree gchar *path = g_strdup_printf("/vfconfig/crash/interface/before-change-%u", n);
		ADD(path, test_crash_interface, GUINT_TO_POINTER(n));
	}
	for (guint n = 1; n <= EVERY_CHANGE_COUNT + 1; n++) {
		g_autofree gchar *path = g_strdup_printf("/vfconfig/fault-knob/fail-%u", n);
		ADD(path, test_fault_knob, GUINT_TO_POINTER(n));
	}
	return g_test_run();
}
