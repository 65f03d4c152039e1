/*
 * hd-libnl.h: libnl-3 and libnl-route-3, opened the first time they are needed
 *
 * Two callers speak rtnetlink: the engine's in-use check (an interface's
 * addresses and routes, hd-usage.c) and the vfconfig plugin (a VF's
 * settings through its PF).  Both are planning or a VF's configuration; a
 * release of anything else needs neither, so libnl is not linked but opened
 * by the first caller (hd-lazy-library.h) and its functions reached through
 * the tables below, whose fields keep the prototypes of libnl's own headers.
 *
 * It is here, in the plugins' API, rather than in each caller, so that the
 * library names, the packages to install and the g_autoptr() cleanups are
 * in one place, and one test resolves every function either caller uses.
 *
 * Each library's functions are looked up in that library: dlsym() on
 * libnl-route-3's handle would find libnl-3's too (it searches a handle's
 * dependencies), but an error would then name the wrong library and
 * package.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib.h>

#include <netlink/attr.h>
#include <netlink/cache.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/sriov.h>
#include <netlink/route/route.h>
#include <netlink/socket.h>

/* libnl-3.so.200 (Debian: libnl-3-200) */
typedef struct {
	__typeof__(nl_socket_alloc) *socket_alloc;
	__typeof__(nl_socket_free) *socket_free;
	__typeof__(nl_socket_enable_msg_peek) *socket_enable_msg_peek;
	__typeof__(nl_connect) *connect;
	__typeof__(nl_geterror) *geterror;
	__typeof__(nl_send_auto) *send_auto;
	__typeof__(nl_wait_for_ack) *wait_for_ack;
	__typeof__(nl_cache_free) *cache_free;
	__typeof__(nl_cache_get_first) *cache_get_first;
	__typeof__(nl_cache_get_next) *cache_get_next;
	__typeof__(nl_addr2str) *addr2str;
	__typeof__(nl_addr_get_binary_addr) *addr_get_binary_addr;
	__typeof__(nl_addr_get_len) *addr_get_len;
	__typeof__(nlmsg_alloc_simple) *msg_alloc_simple;
	__typeof__(nlmsg_append) *msg_append;
	__typeof__(nlmsg_free) *msg_free;
	__typeof__(nla_put) *attr_put;
	__typeof__(nla_nest_start) *attr_nest_start;
	__typeof__(nla_nest_end) *attr_nest_end;
} HdLibnlCore;

/* libnl-route-3.so.200 (Debian: libnl-route-3-200) */
typedef struct {
	__typeof__(rtnl_addr_alloc_cache) *addr_alloc_cache;
	__typeof__(rtnl_addr_get_ifindex) *addr_get_ifindex;
	__typeof__(rtnl_addr_get_scope) *addr_get_scope;
	__typeof__(rtnl_addr_get_local) *addr_get_local;
	__typeof__(rtnl_route_alloc_cache) *route_alloc_cache;
	__typeof__(rtnl_route_get_table) *route_get_table;
	__typeof__(rtnl_route_get_dst) *route_get_dst;
	__typeof__(rtnl_route_get_nnexthops) *route_get_nnexthops;
	__typeof__(rtnl_route_nexthop_n) *route_nexthop_n;
	__typeof__(rtnl_route_nh_get_ifindex) *route_nh_get_ifindex;
	__typeof__(rtnl_link_get_kernel) *link_get_kernel;
	__typeof__(rtnl_link_put) *link_put;
	__typeof__(rtnl_link_get_flags) *link_get_flags;
	__typeof__(rtnl_link_has_vf_list) *link_has_vf_list;
	__typeof__(rtnl_link_vf_get) *link_vf_get;
	__typeof__(rtnl_link_vf_put) *link_vf_put;
	__typeof__(rtnl_link_vf_get_addr) *link_vf_get_addr;
	__typeof__(rtnl_link_vf_get_vlans) *link_vf_get_vlans;
	__typeof__(rtnl_link_vf_get_rate) *link_vf_get_rate;
	__typeof__(rtnl_link_vf_get_spoofchk) *link_vf_get_spoofchk;
	__typeof__(rtnl_link_vf_get_trust) *link_vf_get_trust;
	__typeof__(rtnl_link_vf_get_linkstate) *link_vf_get_linkstate;
	__typeof__(rtnl_link_vf_get_rss_query_en) *link_vf_get_rss_query_en;
} HdLibnlRoute;

typedef struct {
	HdLibnlCore nl;
	HdLibnlRoute route;
} HdLibnl;

/*
 * Both libraries' tables, opening them on the first call; they stay open
 * for the life of the process.  NULL, with an error naming the library
 * and the package to install, when one of them or of its functions is
 * missing.
 */
const HdLibnl *hd_libnl_get(GError **error);

/*
 * g_autoptr() for libnl's objects, through the tables: callable only once
 * hd_libnl_get() has succeeded, as it has for whatever made the object.
 */
typedef struct nl_sock HdNlSock;
typedef struct nl_cache HdNlCache;
typedef struct nl_msg HdNlMsg;
typedef struct rtnl_link HdRtnlLink;
void hd_nl_sock_free(HdNlSock *sock);
void hd_nl_cache_free(HdNlCache *cache);
void hd_nl_msg_free(HdNlMsg *msg);
void hd_rtnl_link_put(HdRtnlLink *link);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(HdNlSock, hd_nl_sock_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(HdNlCache, hd_nl_cache_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(HdNlMsg, hd_nl_msg_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(HdRtnlLink, hd_rtnl_link_put)
