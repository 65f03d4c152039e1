/*
 * hd-vfconfig-netlink.h: what the vfconfig plugin asks of rtnetlink
 *
 * A VF's settings live in its PF's driver and are read and written through
 * the PF's link, by VF index (`ip link set PF vf N ...`).  This table is
 * the plugin's whole access to them, so that the unit tests, whose
 * simulated kernel has no netlink, can set a simulation in its place with
 * hd_context_set_plugin_ops(ctx, "vfconfig", &ops, data).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib.h>

/* one setting of a VF, written on its own so a refusal names it */
typedef enum {
	HD_VF_ATTR_MAC,
	HD_VF_ATTR_VLAN, /* vlan, qos and protocol together */
	HD_VF_ATTR_RATE, /* min and max tx rate together: IFLA_VF_RATE sets both */
	HD_VF_ATTR_SPOOFCHK,
	HD_VF_ATTR_TRUST,
	HD_VF_ATTR_LINK_STATE,
	HD_VF_ATTR_QUERY_RSS,
} HdVfAttr;

/* a VF as IFLA_VFINFO_LIST shows it */
typedef struct {
	guint8 mac[6];
	guint vlan;
	guint qos;
	guint vlan_proto; /* ETH_P_8021Q or ETH_P_8021AD */
	guint min_tx_rate; /* Mbit/s */
	guint max_tx_rate; /* Mbit/s, 0: no limit */
	gint spoofchk;	   /* 0 or 1; -1: the driver does not say */
	gint trust;
	gint link_state; /* IFLA_VF_LINK_STATE_AUTO, _ENABLE, _DISABLE; -1 */
	gint query_rss;
} HdVfState;

/*
 * Each returns FALSE with an HD_ERROR: HD_ERROR_BUSY for EBUSY (a MAC write
 * is retried), HD_ERROR_NOT_SUPPORTED for EOPNOTSUPP, HD_ERROR_NOT_FOUND
 * for a link or VF that is not there.
 */
typedef struct {
	gboolean (*link_get_up)(gpointer data, int ifindex, gboolean *up, GError **error);
	gboolean (*link_set_up)(gpointer data, int ifindex, gboolean up, GError **error);
	gboolean (*vf_get)(gpointer data, int ifindex, guint vf, HdVfState *state, GError **error);
	/* write @attr of @state, only it, to VF @vf of the PF link @ifindex */
	gboolean (*vf_set)(gpointer data, int ifindex, guint vf, HdVfAttr attr, const HdVfState *state,
			   GError **error);
} HdVfNetlinkOps;

/* the real one: libnl-route-3, opened on first use (hd-libnl.h) */
extern const HdVfNetlinkOps hd_vf_netlink_ops;
