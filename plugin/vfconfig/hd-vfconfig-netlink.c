/*
 * hd-vfconfig-netlink.c: a VF's settings over rtnetlink, with libnl-route-3
 *
 * Reading uses libnl's own VF API (rtnl_link_get_kernel() asks for
 * RTEXT_FILTER_VF; rtnl_link_vf_*() give the fields).  Writing does not:
 * Debian 12's libnl 3.7 fills IFLA_VF_VLAN_LIST with the VLAN protocol in
 * host byte order (an 802.1ad VLAN comes back EPROTONOSUPPORT, so such an
 * original could not be restored), and it sends its change as RTM_NEWLINK
 * built from a whole link object.  So each setting is one RTM_SETLINK of
 * our own, IFLA_VFINFO_LIST > IFLA_VF_INFO > one IFLA_VF_* attribute,
 * built with libnl's nl_msg; one attribute per message also makes a
 * refusal name the setting the driver refused.
 *
 * libnl 3.7's parser also drops what it takes for "unset": a VLAN or a rate
 * of 0, and spoofchk, trust and query-rss of -1 (the driver does not say);
 * absent is read back as 0, or -1 for those three.  rtnl_link_vf_get()
 * dereferences a missing VF list, so the list is checked first.
 *
 * libnl is opened by the first call that needs it (hd-libnl.h): most hook
 * runs configure no VF.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "hd-vfconfig-netlink.h"

#include <arpa/inet.h>
#include <linux/if.h>
#include <linux/if_ether.h>
#include <linux/if_link.h>
#include <string.h>

#include "hd-error.h"
#include "hd-libnl.h"
#include "hd-testing.h"

static HdError
hd_vfnl_code(int rc)
{
	switch (-rc) {
	case NLE_BUSY:
		return HD_ERROR_BUSY;
	case NLE_OPNOTSUPP:
		return HD_ERROR_NOT_SUPPORTED;
	case NLE_NODEV:
	case NLE_OBJ_NOTFOUND:
		return HD_ERROR_NOT_FOUND;
	case NLE_PERM:
		return HD_ERROR_PERMISSION_DENIED;
	case NLE_INVAL:
	case NLE_RANGE:
		return HD_ERROR_INVALID_DATA;
	default:
		return HD_ERROR_FAILED;
	}
}

static gboolean
hd_vfnl_fail(const HdLibnl *nl, GError **error, int rc, const char *what)
{
	g_set_error(error, HD_ERROR, hd_vfnl_code(rc), "netlink: %s: %s", what, nl->nl.geterror(rc));
	return FALSE;
}

static struct nl_sock *
hd_vfnl_connect(const HdLibnl *nl, GError **error)
{
	g_autoptr(HdNlSock) sk = NULL;
	int rc;

	/* like the real /sys, this machine's links are out of a test's reach:
	 * a test that forgets to set its simulation fails instead */
	if (hd_testing_active()) {
		g_set_error_literal(error, HD_ERROR, HD_ERROR_PERMISSION_DENIED,
				    "netlink: the test suite must not touch this machine's links; set a simulation "
				    "with hd_context_set_plugin_ops()");
		return NULL;
	}
	sk = nl->nl.socket_alloc();
	if (sk == NULL) {
		g_set_error_literal(error, HD_ERROR, HD_ERROR_FAILED, "netlink: cannot allocate a socket");
		return NULL;
	}
	rc = nl->nl.connect(sk, NETLINK_ROUTE);
	if (rc < 0) {
		hd_vfnl_fail(nl, error, rc, "cannot connect to rtnetlink");
		return NULL;
	}
	/* a PF with many VFs answers with more than a page */
	nl->nl.socket_enable_msg_peek(sk);
	return g_steal_pointer(&sk);
}

static struct rtnl_link *
hd_vfnl_get_link(const HdLibnl *nl, struct nl_sock *sk, int ifindex, GError **error)
{
	struct rtnl_link *link = NULL;
	int rc = nl->route.link_get_kernel(sk, ifindex, NULL, &link);

	if (rc < 0) {
		g_autofree gchar *what = g_strdup_printf("cannot read link %d", ifindex);
		hd_vfnl_fail(nl, error, rc, what);
		return NULL;
	}
	return link;
}

/* ---- reading ---------------------------------------------------------------- */

static gboolean
hd_vfnl_link_get_up(gpointer data, int ifindex, gboolean *up, GError **error)
{
	const HdLibnl *nl = hd_libnl_get(error);
	g_autoptr(HdNlSock) sk = nl != NULL ? hd_vfnl_connect(nl, error) : NULL;
	g_autoptr(HdRtnlLink) link = sk != NULL ? hd_vfnl_get_link(nl, sk, ifindex, error) : NULL;

	if (link == NULL)
		return FALSE;
	*up = (nl->route.link_get_flags(link) & IFF_UP) != 0;
	return TRUE;
}

/* an unreported setting reads as -1, as the kernel's ifla_vf_info has it */
static gint
hd_vfnl_setting(int (*get)(struct rtnl_link_vf *, uint32_t *), struct rtnl_link_vf *vf)
{
	uint32_t value = 0;

	return get(vf, &value) == 0 ? (gint)value : -1;
}

static void
hd_vfnl_read_vf(const HdLibnl *nl, struct rtnl_link_vf *vf, HdVfState *state)
{
	struct nl_addr *addr = NULL;
	nl_vf_vlans_t *vlans = NULL;
	struct nl_vf_rate rate = {0};

	memset(state, 0, sizeof(*state));
	state->vlan_proto = ETH_P_8021Q;
	if (nl->route.link_vf_get_addr(vf, &addr) == 0)
		memcpy(state->mac, nl->nl.addr_get_binary_addr(addr),
		       MIN(nl->nl.addr_get_len(addr), sizeof(state->mac)));
	if (nl->route.link_vf_get_vlans(vf, &vlans) == 0 && vlans->size > 0) {
		state->vlan = vlans->vlans[0].vf_vlan;
		state->qos = vlans->vlans[0].vf_vlan_qos;
		state->vlan_proto = vlans->vlans[0].vf_vlan_proto;
	}
	nl->route.link_vf_get_rate(vf, &rate);
	state->min_tx_rate = rate.api == RTNL_LINK_VF_RATE_API_NEW ? rate.min_tx_rate : 0;
	state->max_tx_rate = rate.api == RTNL_LINK_VF_RATE_API_NEW ? rate.max_tx_rate : rate.rate;
	state->spoofchk = hd_vfnl_setting(nl->route.link_vf_get_spoofchk, vf);
	state->trust = hd_vfnl_setting(nl->route.link_vf_get_trust, vf);
	state->link_state = hd_vfnl_setting(nl->route.link_vf_get_linkstate, vf);
	state->query_rss = hd_vfnl_setting(nl->route.link_vf_get_rss_query_en, vf);
}

static gboolean
hd_vfnl_vf_get(gpointer data, int ifindex, guint index, HdVfState *state, GError **error)
{
	const HdLibnl *nl = hd_libnl_get(error);
	g_autoptr(HdNlSock) sk = nl != NULL ? hd_vfnl_connect(nl, error) : NULL;
	g_autoptr(HdRtnlLink) link = sk != NULL ? hd_vfnl_get_link(nl, sk, ifindex, error) : NULL;
	struct rtnl_link_vf *vf;

	if (link == NULL)
		return FALSE;
	vf = nl->route.link_has_vf_list(link) ? nl->route.link_vf_get(link, index) : NULL;
	if (vf == NULL) {
		g_set_error(error, HD_ERROR, HD_ERROR_NOT_FOUND, "netlink: link %d shows no VF %u", ifindex, index);
		return FALSE;
	}
	hd_vfnl_read_vf(nl, vf, state);
	nl->route.link_vf_put(vf);
	return TRUE;
}

/* ---- writing ---------------------------------------------------------------- */

static struct nl_msg *
hd_vfnl_setlink(const HdLibnl *nl, int ifindex, guint flags, guint change, GError **error)
{
	struct ifinfomsg ifi = {.ifi_family = AF_UNSPEC, .ifi_index = ifindex, .ifi_flags = flags, .ifi_change = change};
	g_autoptr(HdNlMsg) msg = nl->nl.msg_alloc_simple(RTM_SETLINK, NLM_F_REQUEST | NLM_F_ACK);

	if (msg == NULL || nl->nl.msg_append(msg, &ifi, sizeof(ifi), NLMSG_ALIGNTO) < 0) {
		g_set_error_literal(error, HD_ERROR, HD_ERROR_FAILED, "netlink: cannot build a message");
		return NULL;
	}
	return g_steal_pointer(&msg);
}

static gboolean
hd_vfnl_send(const HdLibnl *nl, struct nl_msg *msg, const char *what, GError **error)
{
	g_autoptr(HdNlSock) sk = hd_vfnl_connect(nl, error);
	int rc;

	if (sk == NULL)
		return FALSE;
	rc = nl->nl.send_auto(sk, msg);
	if (rc >= 0)
		rc = nl->nl.wait_for_ack(sk);
	return rc >= 0 || hd_vfnl_fail(nl, error, rc, what);
}

static gboolean
hd_vfnl_link_set_up(gpointer data, int ifindex, gboolean up, GError **error)
{
	const HdLibnl *nl = hd_libnl_get(error);
	g_autoptr(HdNlMsg) msg = nl != NULL ? hd_vfnl_setlink(nl, ifindex, up ? IFF_UP : 0, IFF_UP, error) : NULL;
	g_autofree gchar *what = g_strdup_printf("cannot set link %d %s", ifindex, up ? "up" : "down");

	return msg != NULL && hd_vfnl_send(nl, msg, what, error);
}

/* 802.1Q in IFLA_VF_VLAN, which every driver takes; 802.1ad only in the
 * list, with the protocol in network byte order */
static int
hd_vfnl_put_vlan(const HdLibnl *nl, struct nl_msg *msg, guint vf, const HdVfState *s)
{
	struct ifla_vf_vlan vlan = {.vf = vf, .vlan = s->vlan, .qos = s->qos};
	struct ifla_vf_vlan_info info = {.vf = vf, .vlan = s->vlan, .qos = s->qos, .vlan_proto = htons(s->vlan_proto)};
	struct nlattr *list;

	if (s->vlan_proto == ETH_P_8021Q)
		return nl->nl.attr_put(msg, IFLA_VF_VLAN, sizeof(vlan), &vlan);
	list = nl->nl.attr_nest_start(msg, IFLA_VF_VLAN_LIST);
	if (list == NULL || nl->nl.attr_put(msg, IFLA_VF_VLAN_INFO, sizeof(info), &info) < 0)
		return -NLE_NOMEM;
	return nl->nl.attr_nest_end(msg, list);
}

static int
hd_vfnl_put_attr(const HdLibnl *nl, struct nl_msg *msg, guint vf, HdVfAttr attr, const HdVfState *s)
{
	struct ifla_vf_mac mac = {.vf = vf};
	struct ifla_vf_rate rate = {.vf = vf, .min_tx_rate = s->min_tx_rate, .max_tx_rate = s->max_tx_rate};
	struct ifla_vf_spoofchk spoofchk = {.vf = vf, .setting = (guint32)s->spoofchk};
	struct ifla_vf_trust trust = {.vf = vf, .setting = (guint32)s->trust};
	struct ifla_vf_link_state link_state = {.vf = vf, .link_state = (guint32)s->link_state};
	struct ifla_vf_rss_query_en rss = {.vf = vf, .setting = (guint32)s->query_rss};

	memcpy(mac.mac, s->mac, sizeof(s->mac));
	switch (attr) {
	case HD_VF_ATTR_MAC:
		return nl->nl.attr_put(msg, IFLA_VF_MAC, sizeof(mac), &mac);
	case HD_VF_ATTR_VLAN:
		return hd_vfnl_put_vlan(nl, msg, vf, s);
	case HD_VF_ATTR_RATE:
		return nl->nl.attr_put(msg, IFLA_VF_RATE, sizeof(rate), &rate);
	case HD_VF_ATTR_SPOOFCHK:
		return nl->nl.attr_put(msg, IFLA_VF_SPOOFCHK, sizeof(spoofchk), &spoofchk);
	case HD_VF_ATTR_TRUST:
		return nl->nl.attr_put(msg, IFLA_VF_TRUST, sizeof(trust), &trust);
	case HD_VF_ATTR_LINK_STATE:
		return nl->nl.attr_put(msg, IFLA_VF_LINK_STATE, sizeof(link_state), &link_state);
	case HD_VF_ATTR_QUERY_RSS:
	default:
		return nl->nl.attr_put(msg, IFLA_VF_RSS_QUERY_EN, sizeof(rss), &rss);
	}
}

static gboolean
hd_vfnl_vf_set(gpointer data, int ifindex, guint vf, HdVfAttr attr, const HdVfState *state, GError **error)
{
	const HdLibnl *nl = hd_libnl_get(error);
	g_autoptr(HdNlMsg) msg = nl != NULL ? hd_vfnl_setlink(nl, ifindex, 0, 0, error) : NULL;
	g_autofree gchar *what = g_strdup_printf("cannot configure VF %u of link %d", vf, ifindex);
	struct nlattr *list;
	struct nlattr *info;

	if (msg == NULL)
		return FALSE;
	list = nl->nl.attr_nest_start(msg, IFLA_VFINFO_LIST);
	info = list != NULL ? nl->nl.attr_nest_start(msg, IFLA_VF_INFO) : NULL;
	if (info == NULL || hd_vfnl_put_attr(nl, msg, vf, attr, state) < 0 || nl->nl.attr_nest_end(msg, info) < 0 ||
	    nl->nl.attr_nest_end(msg, list) < 0) {
		g_set_error_literal(error, HD_ERROR, HD_ERROR_FAILED, "netlink: cannot build a message");
		return FALSE;
	}
	return hd_vfnl_send(nl, msg, what, error);
}

const HdVfNetlinkOps hd_vf_netlink_ops = {
	.link_get_up = hd_vfnl_link_get_up,
	.link_set_up = hd_vfnl_link_set_up,
	.vf_get = hd_vfnl_vf_get,
	.vf_set = hd_vfnl_vf_set,
};
