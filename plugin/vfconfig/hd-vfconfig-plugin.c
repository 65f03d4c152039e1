/*
 * hd-vfconfig-plugin.c: an SR-IOV VF's settings, made through its PF
 *
 * What libvirt does not set for a VF -- trust, spoofchk, link-state, tx
 * rates, query-rss, and for a plain <hostdev> also its MAC and VLAN -- comes
 * from our metadata and is written through the PF's link by VF index, as
 * `ip link set PF vf N ...` does.  The VF's settings are read first and
 * kept in the journal entry; release writes back only what was changed.
 *
 * An <interface type='hostdev'> has its MAC and VLAN set by libvirt through
 * the PF, after our prepare, and libvirt wants the PF's interface up for
 * that: if it is down, it is brought up, and the last user of the PF puts
 * it down again.
 *
 * The configurator is last in the chain: the VF exists (the provisioner
 * made it) and is on its stub when the settings are made.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <linux/if_ether.h>
#include <linux/if_link.h>
#include <stdio.h>
#include <string.h>

#include "hd-plugin.h"
#include "hd-vfconfig-netlink.h"

#define HD_VFCONFIG_PLUGIN "vfconfig"
/* sriov-cni's numbers: a VF's MAC may stay busy while its driver resets */
#define HD_VFCONFIG_MAC_TRIES	 20
#define HD_VFCONFIG_MAC_RETRY_MS 100

/* where a VF's settings are made: its PF's link, by the VF's index */
typedef struct {
	const HdVfNetlinkOps *ops;
	gpointer data;
	gchar *pf;     /* the PF's address */
	gchar *netdev; /* the PF's interface */
	int ifindex;
	guint vf;
} HdVfconfigTarget;

static void
hd_vfconfig_target_clear(HdVfconfigTarget *target)
{
	g_free(target->pf);
	g_free(target->netdev);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(HdVfconfigTarget, hd_vfconfig_target_clear)

/* in the order they are set; undone in the reverse */
static const struct {
	HdVfAttr attr;
	const char *name; /* in messages, and the step "set-NAME" */
} hd_vfconfig_attrs[] = {
	{HD_VF_ATTR_MAC, "mac"},
	{HD_VF_ATTR_VLAN, "vlan"},
	{HD_VF_ATTR_RATE, "tx-rate"},
	{HD_VF_ATTR_SPOOFCHK, "spoofchk"},
	{HD_VF_ATTR_TRUST, "trust"},
	{HD_VF_ATTR_LINK_STATE, "link-state"},
	{HD_VF_ATTR_QUERY_RSS, "query-rss"},
};

/* what the first user of a PF found its link as, adopted by the later ones */
static const char *const hd_vfconfig_link_keys[] = {"pf_original_up", NULL};

static const HdVfNetlinkOps *
hd_vfconfig_ops(HdContext *ctx, gpointer *data)
{
	const HdVfNetlinkOps *ops = hd_context_get_plugin_ops(ctx, HD_VFCONFIG_PLUGIN, data);

	return ops != NULL ? ops : &hd_vf_netlink_ops;
}

/* ---- finding the PF's link and the VF's index --------------------------------- */

static gchar *
hd_vfconfig_read_link(HdContext *ctx, const char *bdf, const char *name)
{
	g_autofree gchar *link = hd_function_attr_path(bdf, name);

	return hd_sysfs_read_link_name(hd_context_get_sysfs(ctx), link, NULL);
}

/* the VF's PF: the provisioner's word (the VF may not exist yet), or physfn */
static gchar *
hd_vfconfig_pf_of(HdContext *ctx, const HdDevice *dev)
{
	if (hd_device_get_parent(dev) != NULL)
		return g_strdup(hd_device_get_parent(dev));
	return hd_vfconfig_read_link(ctx, hd_device_get_bdf(dev), "physfn");
}

/* the PF's network interface, and its index */
static gboolean
hd_vfconfig_pf_netdev(HdContext *ctx, const char *pf, gchar **netdev, int *ifindex, GError **error)
{
	HdSysfs *sysfs = hd_context_get_sysfs(ctx);
	g_autofree gchar *net = hd_function_attr_path(pf, "net");
	g_autoptr(GPtrArray) names = hd_sysfs_list(sysfs, net, NULL);
	g_autofree gchar *driver = hd_vfconfig_read_link(ctx, pf, "driver");
	g_autofree gchar *path = NULL;
	g_autofree gchar *text = NULL;
	guint64 value = 0;

	if (names == NULL || names->len == 0) {
		g_set_error(error, HD_ERROR, HD_ERROR_NOT_SUPPORTED,
			    "PF %s has no network interface (driver: %s), and a VF's settings are made through it: "
			    "bind the PF to its network driver", pf, driver != NULL ? driver : "none");
		return FALSE;
	}
	path = g_build_filename(net, g_ptr_array_index(names, 0), "ifindex", NULL);
	text = hd_sysfs_read(sysfs, path, error);
	if (text == NULL)
		return FALSE;
	if (!g_ascii_string_to_unsigned(text, 10, 1, G_MAXINT, &value, NULL)) {
		g_set_error(error, HD_ERROR, HD_ERROR_INVALID_DATA, "%s: '%s' is not an interface index", path, text);
		return FALSE;
	}
	*netdev = g_strdup(g_ptr_array_index(names, 0));
	*ifindex = (int)value;
	return TRUE;
}

/* which virtfnN of @pf is @vf; FALSE with no error when none is */
static gboolean
hd_vfconfig_vf_index(HdContext *ctx, const char *pf, const char *vf, guint *index, GError **error)
{
	g_autofree gchar *path = hd_function_attr_path(pf, "sriov_numvfs");
	g_autofree gchar *text = hd_sysfs_read(hd_context_get_sysfs(ctx), path, error);
	guint64 numvfs = 0;

	if (text == NULL)
		return FALSE;
	if (!g_ascii_string_to_unsigned(text, 10, 0, G_MAXUINT16, &numvfs, NULL)) {
		g_set_error(error, HD_ERROR, HD_ERROR_INVALID_DATA, "%s: '%s' is not a number", path, text);
		return FALSE;
	}
	for (guint i = 0; i < numvfs; i++) {
		g_autofree gchar *virtfn = g_strdup_printf("virtfn%u", i);
		g_autofree gchar *name = hd_vfconfig_read_link(ctx, pf, virtfn);

		if (g_strcmp0(name, vf) == 0) {
			*index = i;
			return TRUE;
		}
	}
	return FALSE;
}

static gboolean
hd_vfconfig_target(HdContext *ctx, const char *pf, const char *vf, HdVfconfigTarget *target, GError **error)
{
	g_autoptr(GError) local = NULL;

	target->ops = hd_vfconfig_ops(ctx, &target->data);
	target->pf = g_strdup(pf);
	if (!hd_vfconfig_pf_netdev(ctx, pf, &target->netdev, &target->ifindex, error))
		return FALSE;
	if (hd_vfconfig_vf_index(ctx, pf, vf, &target->vf, &local))
		return TRUE;
	if (local == NULL)
		g_set_error(&local, HD_ERROR, HD_ERROR_NOT_FOUND, "%s is not among the virtual functions of %s", vf, pf);
	g_propagate_error(error, g_steal_pointer(&local));
	return FALSE;
}

/* ---- what the request asks for ----------------------------------------------- */

static gboolean
hd_vfconfig_mac_parse(const char *text, guint8 mac[6])
{
	return text != NULL && strlen(text) == 17 &&
	       sscanf(text, "%2hhx:%2hhx:%2hhx:%2hhx:%2hhx:%2hhx", &mac[0], &mac[1], &mac[2], &mac[3], &mac[4],
		      &mac[5]) == 6;
}

static gchar *
hd_vfconfig_mac_string(const guint8 mac[6])
{
	return g_strdup_printf("%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
}

static gint
hd_vfconfig_tristate(HdTristate value, gint unchanged)
{
	return value == HD_TRISTATE_ABSENT ? unchanged : value == HD_TRISTATE_YES;
}

/* @want with what @vf asks for of @attr; FALSE when it asks nothing of it */
static gboolean
hd_vfconfig_wants(const HdVfSettings *vf, HdVfAttr attr, HdVfState *want)
{
	switch (attr) {
	case HD_VF_ATTR_MAC:
		return vf->mac != NULL && hd_vfconfig_mac_parse(vf->mac, want->mac);
	case HD_VF_ATTR_VLAN:
		want->vlan = vf->vlan;
		want->qos = 0;
		want->vlan_proto = ETH_P_8021Q;
		return vf->has_vlan;
	case HD_VF_ATTR_RATE:
		want->min_tx_rate = vf->has_min_tx_rate ? vf->min_tx_rate : want->min_tx_rate;
		want->max_tx_rate = vf->has_max_tx_rate ? vf->max_tx_rate : want->max_tx_rate;
		return vf->has_min_tx_rate || vf->has_max_tx_rate;
	case HD_VF_ATTR_SPOOFCHK:
		want->spoofchk = hd_vfconfig_tristate(vf->spoofchk, want->spoofchk);
		return vf->spoofchk != HD_TRISTATE_ABSENT;
	case HD_VF_ATTR_TRUST:
		want->trust = hd_vfconfig_tristate(vf->trust, want->trust);
		return vf->trust != HD_TRISTATE_ABSENT;
	case HD_VF_ATTR_LINK_STATE:
		/* the model's values are the kernel's, plus one for "absent" */
		want->link_state = vf->link_state != HD_VF_LINK_STATE_ABSENT ? (gint)vf->link_state - 1 : want->link_state;
		return vf->link_state != HD_VF_LINK_STATE_ABSENT;
	case HD_VF_ATTR_QUERY_RSS:
	default:
		want->query_rss = hd_vfconfig_tristate(vf->query_rss, want->query_rss);
		return vf->query_rss != HD_TRISTATE_ABSENT;
	}
}

static gboolean
hd_vfconfig_differs(HdVfAttr attr, const HdVfState *a, const HdVfState *b)
{
	switch (attr) {
	case HD_VF_ATTR_MAC:
		return memcmp(a->mac, b->mac, sizeof(a->mac)) != 0;
	case HD_VF_ATTR_VLAN:
		return a->vlan != b->vlan || a->qos != b->qos || a->vlan_proto != b->vlan_proto;
	case HD_VF_ATTR_RATE:
		return a->min_tx_rate != b->min_tx_rate || a->max_tx_rate != b->max_tx_rate;
	case HD_VF_ATTR_SPOOFCHK:
		return a->spoofchk != b->spoofchk;
	case HD_VF_ATTR_TRUST:
		return a->trust != b->trust;
	case HD_VF_ATTR_LINK_STATE:
		return a->link_state != b->link_state;
	case HD_VF_ATTR_QUERY_RSS:
	default:
		return a->query_rss != b->query_rss;
	}
}

/* a setting the driver does not report could not be put back as it was */
static gboolean
hd_vfconfig_unreported(HdVfAttr attr, const HdVfState *have)
{
	return (attr == HD_VF_ATTR_SPOOFCHK && have->spoofchk < 0) || (attr == HD_VF_ATTR_TRUST && have->trust < 0) ||
	       (attr == HD_VF_ATTR_LINK_STATE && have->link_state < 0) ||
	       (attr == HD_VF_ATTR_QUERY_RSS && have->query_rss < 0);
}

/* ---- the VF's settings in the journal ----------------------------------------- */

static void
hd_vfconfig_save(HdEntry *entry, const HdVfState *state)
{
	g_autofree gchar *mac = hd_vfconfig_mac_string(state->mac);

	hd_entry_set_string(entry, "orig_mac", mac);
	hd_entry_set_int(entry, "orig_vlan", state->vlan);
	hd_entry_set_int(entry, "orig_qos", state->qos);
	hd_entry_set_int(entry, "orig_vlan_proto", state->vlan_proto);
	hd_entry_set_int(entry, "orig_min_tx_rate", state->min_tx_rate);
	hd_entry_set_int(entry, "orig_max_tx_rate", state->max_tx_rate);
	hd_entry_set_int(entry, "orig_spoofchk", state->spoofchk);
	hd_entry_set_int(entry, "orig_trust", state->trust);
	hd_entry_set_int(entry, "orig_link_state", state->link_state);
	hd_entry_set_int(entry, "orig_query_rss", state->query_rss);
}

/* @key within [@min, @max], or FALSE: the journal may have been edited */
static gboolean
hd_vfconfig_load_int(const HdEntry *entry, const char *key, gint64 min, gint64 max, gint64 *out)
{
	*out = hd_entry_get_int(entry, key, G_MININT64);
	return *out >= min && *out <= max;
}

static gboolean
hd_vfconfig_load(const HdEntry *entry, HdVfState *state, GError **error)
{
	gint64 v[9];
	gboolean ok = hd_vfconfig_mac_parse(hd_entry_get_string(entry, "orig_mac"), state->mac) &&
		      hd_vfconfig_load_int(entry, "orig_vlan", 0, 4095, &v[0]) &&
		      hd_vfconfig_load_int(entry, "orig_qos", 0, 7, &v[1]) &&
		      hd_vfconfig_load_int(entry, "orig_vlan_proto", 0, G_MAXUINT16, &v[2]) &&
		      hd_vfconfig_load_int(entry, "orig_min_tx_rate", 0, G_MAXUINT32, &v[3]) &&
		      hd_vfconfig_load_int(entry, "orig_max_tx_rate", 0, G_MAXUINT32, &v[4]) &&
		      hd_vfconfig_load_int(entry, "orig_spoofchk", -1, 1, &v[5]) &&
		      hd_vfconfig_load_int(entry, "orig_trust", -1, 1, &v[6]) &&
		      hd_vfconfig_load_int(entry, "orig_link_state", -1, IFLA_VF_LINK_STATE_DISABLE, &v[7]) &&
		      hd_vfconfig_load_int(entry, "orig_query_rss", -1, 1, &v[8]);

	if (!ok) {
		g_set_error(error, HD_ERROR, HD_ERROR_INVALID_DATA,
			    "%s: the journal's vfconfig entry lacks the VF's original settings, or they are damaged",
			    hd_entry_get_address(entry));
		return FALSE;
	}
	state->vlan = (guint)v[0];
	state->qos = (guint)v[1];
	state->vlan_proto = (guint)v[2];
	state->min_tx_rate = (guint)v[3];
	state->max_tx_rate = (guint)v[4];
	state->spoofchk = (gint)v[5];
	state->trust = (gint)v[6];
	state->link_state = (gint)v[7];
	state->query_rss = (gint)v[8];
	return TRUE;
}

static gchar *
hd_vfconfig_changed_key(guint i)
{
	return g_strconcat("changed_", hd_vfconfig_attrs[i].name, NULL);
}

/* ---- writing ------------------------------------------------------------------ */

static void
hd_vfconfig_explain(GError **error, GError *local, const HdVfconfigTarget *target, const char *verb,
		    const char *name)
{
	if (g_error_matches(local, HD_ERROR, HD_ERROR_NOT_SUPPORTED))
		g_set_error(error, HD_ERROR, local->code,
			    "VF %u of %s (%s): its PF's driver cannot %s %s (%s): remove %s from the domain's "
			    "hostdev-hook metadata", target->vf, target->netdev, target->pf, verb, name, local->message,
			    name);
	else if (g_error_matches(local, HD_ERROR, HD_ERROR_INVALID_DATA) && g_strcmp0(name, "tx-rate") == 0)
		g_set_error(error, HD_ERROR, local->code,
			    "VF %u of %s (%s): cannot %s tx-rate: %s; some drivers take a rate only while the PF's "
			    "link is up at full speed (igb: 1000 Mb/s), and lose it while VFs are being created",
			    target->vf, target->netdev, target->pf, verb, local->message);
	else
		g_set_error(error, HD_ERROR, local->code, "VF %u of %s (%s): cannot %s %s: %s", target->vf,
			    target->netdev, target->pf, verb, name, local->message);
}

/* one setting; a MAC the driver answers EBUSY to is retried, boundedly */
static gboolean
hd_vfconfig_write_retrying(const HdVfconfigTarget *target, guint i, const HdVfState *state, const char *verb,
			   GError **error)
{
	HdVfAttr attr = hd_vfconfig_attrs[i].attr;

	for (guint tries = 1;; tries++) {
		g_autoptr(GError) local = NULL;

		if (target->ops->vf_set(target->data, target->ifindex, target->vf, attr, state, &local))
			return TRUE;
		if (attr != HD_VF_ATTR_MAC || !g_error_matches(local, HD_ERROR, HD_ERROR_BUSY)) {
			hd_vfconfig_explain(error, local, target, verb, hd_vfconfig_attrs[i].name);
			return FALSE;
		}
		if (tries == HD_VFCONFIG_MAC_TRIES) {
			g_set_error(error, HD_ERROR, HD_ERROR_BUSY,
				    "VF %u of %s (%s): its MAC stayed busy (EBUSY) through %u tries over %u ms: %s; "
				    "retry once the VF's driver has settled", target->vf, target->netdev, target->pf,
				    HD_VFCONFIG_MAC_TRIES, HD_VFCONFIG_MAC_TRIES * HD_VFCONFIG_MAC_RETRY_MS,
				    local->message);
			return FALSE;
		}
		g_usleep(HD_VFCONFIG_MAC_RETRY_MS * 1000);
	}
}

/* one setting, one mutation point of the tests' fault injection however
 * many tries the driver makes it take */
static gboolean
hd_vfconfig_write(const HdVfconfigTarget *target, guint i, const HdVfState *state, const char *verb,
		  GError **error)
{
	gboolean ok;

	if (!hd_fault_point(error, "netlink: %s %s of VF %u of %s", verb, hd_vfconfig_attrs[i].name, target->vf,
			    target->netdev))
		return FALSE;
	ok = hd_vfconfig_write_retrying(target, i, state, verb, error);
	hd_fault_point_done();
	return ok;
}

/* the PF's link up or down: a mutation point too */
static gboolean
hd_vfconfig_set_link(const HdVfconfigTarget *target, gboolean up, GError **error)
{
	gboolean ok;

	if (!hd_fault_point(error, "netlink: set %s %s", target->netdev, up ? "up" : "down"))
		return FALSE;
	ok = target->ops->link_set_up(target->data, target->ifindex, up, error);
	hd_fault_point_done();
	return ok;
}

/* each setting asked for that differs, recorded before it is written */
static gboolean
hd_vfconfig_apply(const HdDeviceRequest *req, HdEntry *entry, const HdVfconfigTarget *target,
		  const HdVfState *have, GError **error)
{
	HdVfState want = *have;

	for (guint i = 0; i < G_N_ELEMENTS(hd_vfconfig_attrs); i++) {
		HdVfAttr attr = hd_vfconfig_attrs[i].attr;
		g_autofree gchar *key = hd_vfconfig_changed_key(i);
		g_autofree gchar *step = g_strconcat("set-", hd_vfconfig_attrs[i].name, NULL);

		if (!hd_vfconfig_wants(&req->vf, attr, &want) || !hd_vfconfig_differs(attr, have, &want))
			continue;
		if (hd_vfconfig_unreported(attr, have)) {
			g_set_error(error, HD_ERROR, HD_ERROR_NOT_SUPPORTED,
				    "VF %u of %s (%s): its PF's driver does not report %s, so it could not be put back: "
				    "remove %s from the domain's hostdev-hook metadata", target->vf, target->netdev,
				    target->pf, hd_vfconfig_attrs[i].name, hd_vfconfig_attrs[i].name);
			return FALSE;
		}
		hd_entry_set_bool(entry, key, TRUE);
		if (!hd_entry_step(entry, step, error) || !hd_vfconfig_write(target, i, &want, "set", error))
			return FALSE;
	}
	return TRUE;
}

/* the PF as the first of its users found it; up for libvirt's hostdev
 * interfaces, which have libvirt set the VF's MAC and VLAN through it */
static gboolean
hd_vfconfig_pf_link(HdContext *ctx, const HdDevice *dev, HdEntry *entry, const HdVfconfigTarget *target,
		    GError **error)
{
	g_autoptr(GError) local = NULL;
	gboolean adopted = FALSE;
	gboolean up = FALSE;

	if (!target->ops->link_get_up(target->data, target->ifindex, &up, &local)) {
		g_propagate_prefixed_error(error, g_steal_pointer(&local), "PF %s (%s): ", target->netdev, target->pf);
		return FALSE;
	}
	if (!hd_entry_adopt_from_sharers(ctx, entry, hd_vfconfig_link_keys, &adopted, error))
		return FALSE;
	if (!adopted)
		hd_entry_set_int(entry, "pf_original_up", up);
	if (up || hd_device_get_request(dev)->source != HD_SOURCE_INTERFACE)
		return TRUE;
	if (!hd_entry_step(entry, "pf-up", error))
		return FALSE;
	if (hd_vfconfig_set_link(target, TRUE, &local))
		return TRUE;
	g_propagate_prefixed_error(error, g_steal_pointer(&local), "PF %s (%s): cannot bring it up for libvirt: ",
				   target->netdev, target->pf);
	return FALSE;
}

static gboolean
hd_vfconfig_configure(HdContext *ctx, const HdDevice *dev, HdEntry *entry, GError **error)
{
	g_auto(HdVfconfigTarget) target = {0};
	g_autofree gchar *pf = hd_vfconfig_pf_of(ctx, dev);
	g_autoptr(GError) local = NULL;
	HdVfState have;

	if (pf == NULL) {
		g_set_error(error, HD_ERROR, HD_ERROR_NOT_FOUND, "%s is no virtual function", hd_device_get_bdf(dev));
		return FALSE;
	}
	if (!hd_vfconfig_target(ctx, pf, hd_device_get_bdf(dev), &target, error))
		return FALSE;
	hd_entry_set_string(entry, "pf", target.pf);
	hd_entry_set_string(entry, "pf_netdev", target.netdev);
	hd_entry_set_int(entry, "vf", target.vf);
	if (!hd_vfconfig_pf_link(ctx, dev, entry, &target, error))
		return FALSE;
	if (!target.ops->vf_get(target.data, target.ifindex, target.vf, &have, &local)) {
		hd_vfconfig_explain(error, local, &target, "read", "the settings");
		return FALSE;
	}
	hd_vfconfig_save(entry, &have);
	return hd_vfconfig_apply(hd_device_get_request(dev), entry, &target, &have, error);
}

/* ---- giving it back ----------------------------------------------------------- */

/* the settings go with a VF that is gone: nothing to restore */
static gboolean
hd_vfconfig_target_of_entry(HdContext *ctx, const HdEntry *entry, HdVfconfigTarget *target, gboolean *gone,
			    GError **error)
{
	const char *pf = hd_entry_get_string(entry, "pf");
	const char *vf = hd_entry_get_address(entry);
	g_autofree gchar *dir = NULL;
	g_autoptr(GError) local = NULL;
	HdAddress addr;

	*gone = FALSE;
	/* the journal may have been edited: the address must not climb out of sysfs */
	if (pf == NULL || !hd_address_parse_bdf(pf, &addr, NULL)) {
		g_set_error(error, HD_ERROR, HD_ERROR_INVALID_DATA, "%s: the journal's vfconfig entry lacks its PF", vf);
		return FALSE;
	}
	dir = hd_function_attr_path(pf, NULL);
	if (!hd_sysfs_exists(hd_context_get_sysfs(ctx), dir)) {
		*gone = TRUE;
		return TRUE;
	}
	if (hd_vfconfig_target(ctx, pf, vf, target, &local))
		return TRUE;
	*gone = g_error_matches(local, HD_ERROR, HD_ERROR_NOT_FOUND) && target->netdev != NULL;
	if (*gone)
		return TRUE;
	g_propagate_error(error, g_steal_pointer(&local));
	return FALSE;
}

/* has the entry marked any setting as written? */
static gboolean
hd_vfconfig_changed_any(const HdEntry *entry)
{
	for (guint i = 0; i < G_N_ELEMENTS(hd_vfconfig_attrs); i++) {
		g_autofree gchar *key = hd_vfconfig_changed_key(i);

		if (hd_entry_get_bool(entry, key))
			return TRUE;
	}
	return FALSE;
}

/*
 * Each setting changed that is not as it was, newest first.  One the write
 * of which failed, or a crash came before, is as it was already, and is
 * not written: a driver refusing the value (igb's rate while its link is
 * down) would refuse the original too.
 */
static gboolean
hd_vfconfig_restore_vf(const HdEntry *entry, const HdVfconfigTarget *target, GError **error)
{
	g_autoptr(GError) read_error = NULL;
	HdVfState original;
	HdVfState now;

	/* a crash while the PF's link came up, before the VF was read, left no
	 * originals, and needs none: every setting is marked before its write */
	if (!hd_vfconfig_changed_any(entry))
		return TRUE;
	if (!hd_vfconfig_load(entry, &original, error))
		return FALSE;
	if (!target->ops->vf_get(target->data, target->ifindex, target->vf, &now, &read_error)) {
		hd_vfconfig_explain(error, read_error, target, "read", "the settings");
		return FALSE;
	}
	for (guint i = G_N_ELEMENTS(hd_vfconfig_attrs); i-- > 0;) {
		g_autofree gchar *key = hd_vfconfig_changed_key(i);
		g_autoptr(GError) local = NULL;

		if (!hd_entry_get_bool(entry, key) || !hd_vfconfig_differs(hd_vfconfig_attrs[i].attr, &now, &original) ||
		    hd_vfconfig_write(target, i, &original, "restore", &local))
			continue;
		/* a driver that cannot set it refused our write too: nothing changed */
		if (g_error_matches(local, HD_ERROR, HD_ERROR_NOT_SUPPORTED)) {
			g_debug("%s", local->message);
			continue;
		}
		g_propagate_error(error, g_steal_pointer(&local));
		return FALSE;
	}
	return TRUE;
}

/* the last user of the PF puts its link down again if it found it down */
static gboolean
hd_vfconfig_restore_link(HdContext *ctx, const HdEntry *entry, const HdVfconfigTarget *target, GError **error)
{
	g_autoptr(GError) local = NULL;
	guint sharers = 0;
	gboolean up = FALSE;

	if (hd_entry_get_int(entry, "pf_original_up", 1) != 0)
		return TRUE;
	if (!hd_entry_count_sharers(ctx, entry, &sharers, error))
		return FALSE;
	if (sharers > 0)
		return TRUE;
	if (target->ops->link_get_up(target->data, target->ifindex, &up, &local) &&
	    (!up || hd_vfconfig_set_link(target, FALSE, &local)))
		return TRUE;
	g_propagate_prefixed_error(error, g_steal_pointer(&local), "PF %s (%s): cannot put it down again: ",
				   target->netdev, target->pf);
	return FALSE;
}

static gboolean
hd_vfconfig_unconfigure(HdContext *ctx, HdEntry *entry, GError **error)
{
	g_auto(HdVfconfigTarget) target = {0};
	gboolean gone = FALSE;

	if (!hd_vfconfig_target_of_entry(ctx, entry, &target, &gone, error))
		return FALSE;
	if (target.netdev == NULL)
		return TRUE;
	if (gone)
		g_debug("%s is no longer a VF of %s: its settings went with it", hd_entry_get_address(entry), target.pf);
	return (gone || hd_vfconfig_restore_vf(entry, &target, error)) &&
	       hd_vfconfig_restore_link(ctx, entry, &target, error);
}

/* ---- planning ----------------------------------------------------------------- */

static gboolean
hd_vfconfig_select(HdContext *ctx, const HdDevice *dev)
{
	const HdDeviceRequest *req = hd_device_get_request(dev);
	g_autofree gchar *physfn = NULL;

	if (req->provision_vfs > 0)
		return FALSE;
	if (hd_vf_settings_any(&req->vf))
		return TRUE;
	if (req->source != HD_SOURCE_INTERFACE)
		return FALSE;
	/* a hostdev interface that is, or will be, a VF */
	physfn = hd_vfconfig_read_link(ctx, hd_device_get_bdf(dev), "physfn");
	return physfn != NULL || !hd_device_exists(dev);
}

static gboolean
hd_vfconfig_check(HdContext *ctx, HdDevice *dev, GError **error)
{
	const HdVfSettings *vf = &hd_device_get_request(dev)->vf;
	g_autofree gchar *pf = hd_vfconfig_pf_of(ctx, dev);
	g_autofree gchar *netdev = NULL;
	int ifindex = 0;

	/* no PF will make it: the plan refuses it as missing */
	if (pf == NULL && !hd_device_exists(dev))
		return TRUE;
	if (pf == NULL) {
		g_set_error(error, HD_ERROR, HD_ERROR_NOT_SUPPORTED,
			    "%s is not an SR-IOV virtual function, and the VF settings in the domain's hostdev-hook "
			    "metadata (mac=, vlan=, trust=, ...) need one: remove them", hd_device_get_bdf(dev));
		return FALSE;
	}
	if (vf->has_min_tx_rate && vf->has_max_tx_rate && vf->max_tx_rate != 0 && vf->min_tx_rate > vf->max_tx_rate) {
		g_set_error(error, HD_ERROR, HD_ERROR_INVALID_DATA,
			    "min-tx-rate='%u' is above max-tx-rate='%u' in the domain's hostdev-hook metadata: lower it",
			    vf->min_tx_rate, vf->max_tx_rate);
		return FALSE;
	}
	return hd_vfconfig_pf_netdev(ctx, pf, &netdev, &ifindex, error);
}

/* "mac 52:54:00:00:00:01, vlan 42, trust on" */
static gchar *
hd_vfconfig_settings_text(const HdVfSettings *vf)
{
	g_autoptr(GString) text = g_string_new(NULL);
	static const char *const link_states[] = {NULL, "auto", "enable", "disable"};

	if (vf->mac != NULL)
		g_string_append_printf(text, ", mac %s", vf->mac);
	if (vf->has_vlan)
		g_string_append_printf(text, ", vlan %u", vf->vlan);
	if (vf->has_min_tx_rate)
		g_string_append_printf(text, ", min-tx-rate %u Mbit/s", vf->min_tx_rate);
	if (vf->has_max_tx_rate)
		g_string_append_printf(text, ", max-tx-rate %u Mbit/s", vf->max_tx_rate);
	if (vf->spoofchk != HD_TRISTATE_ABSENT)
		g_string_append_printf(text, ", spoofchk %s", vf->spoofchk == HD_TRISTATE_YES ? "on" : "off");
	if (vf->trust != HD_TRISTATE_ABSENT)
		g_string_append_printf(text, ", trust %s", vf->trust == HD_TRISTATE_YES ? "on" : "off");
	if (vf->link_state != HD_VF_LINK_STATE_ABSENT)
		g_string_append_printf(text, ", link-state %s", link_states[vf->link_state]);
	if (vf->query_rss != HD_TRISTATE_ABSENT)
		g_string_append_printf(text, ", query-rss %s", vf->query_rss == HD_TRISTATE_YES ? "on" : "off");
	return g_strdup(text->len > 0 ? text->str + 2 : "");
}

static void
hd_vfconfig_describe(HdContext *ctx, const HdDevice *dev, GPtrArray *steps)
{
	const HdDeviceRequest *req = hd_device_get_request(dev);
	g_autofree gchar *pf = hd_vfconfig_pf_of(ctx, dev);
	g_autofree gchar *netdev = NULL;
	g_autofree gchar *settings = hd_vfconfig_settings_text(&req->vf);
	int ifindex = 0;

	if (pf == NULL || !hd_vfconfig_pf_netdev(ctx, pf, &netdev, &ifindex, NULL))
		return;
	if (req->source == HD_SOURCE_INTERFACE)
		g_ptr_array_add(steps, g_strdup_printf("bring %s up if it is down: libvirt sets the VF's MAC and VLAN "
						       "through it", netdev));
	if (*settings != '\0')
		g_ptr_array_add(steps, g_strdup_printf("through %s, set the VF's %s (where it differs)", netdev, settings));
}

const HdPlugin hd_plugin_vfconfig = {
	.name = HD_VFCONFIG_PLUGIN,
	.select = hd_vfconfig_select,
	.check = hd_vfconfig_check,
	.describe = hd_vfconfig_describe,
	.configure = hd_vfconfig_configure,
	.unconfigure = hd_vfconfig_unconfigure,
};
