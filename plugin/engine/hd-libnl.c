/*
 * hd-libnl.c: libnl-3 and libnl-route-3, opened the first time they are needed
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "hd-libnl.h"

#include "hd-lazy-library.h"

static const HdLazySymbol hd_libnl_core_symbols[] = {
	HD_LAZY_SYMBOL(HdLibnlCore, socket_alloc, nl_socket_alloc),
	HD_LAZY_SYMBOL(HdLibnlCore, socket_free, nl_socket_free),
	HD_LAZY_SYMBOL(HdLibnlCore, socket_enable_msg_peek, nl_socket_enable_msg_peek),
	HD_LAZY_SYMBOL(HdLibnlCore, connect, nl_connect),
	HD_LAZY_SYMBOL(HdLibnlCore, geterror, nl_geterror),
	HD_LAZY_SYMBOL(HdLibnlCore, send_auto, nl_send_auto),
	HD_LAZY_SYMBOL(HdLibnlCore, wait_for_ack, nl_wait_for_ack),
	HD_LAZY_SYMBOL(HdLibnlCore, cache_free, nl_cache_free),
	HD_LAZY_SYMBOL(HdLibnlCore, cache_get_first, nl_cache_get_first),
	HD_LAZY_SYMBOL(HdLibnlCore, cache_get_next, nl_cache_get_next),
	HD_LAZY_SYMBOL(HdLibnlCore, addr2str, nl_addr2str),
	HD_LAZY_SYMBOL(HdLibnlCore, addr_get_binary_addr, nl_addr_get_binary_addr),
	HD_LAZY_SYMBOL(HdLibnlCore, addr_get_len, nl_addr_get_len),
	HD_LAZY_SYMBOL(HdLibnlCore, msg_alloc_simple, nlmsg_alloc_simple),
	HD_LAZY_SYMBOL(HdLibnlCore, msg_append, nlmsg_append),
	HD_LAZY_SYMBOL(HdLibnlCore, msg_free, nlmsg_free),
	HD_LAZY_SYMBOL(HdLibnlCore, attr_put, nla_put),
	HD_LAZY_SYMBOL(HdLibnlCore, attr_nest_start, nla_nest_start),
	HD_LAZY_SYMBOL(HdLibnlCore, attr_nest_end, nla_nest_end),
};

static const HdLazySymbol hd_libnl_route_symbols[] = {
	HD_LAZY_SYMBOL(HdLibnlRoute, addr_alloc_cache, rtnl_addr_alloc_cache),
	HD_LAZY_SYMBOL(HdLibnlRoute, addr_get_ifindex, rtnl_addr_get_ifindex),
	HD_LAZY_SYMBOL(HdLibnlRoute, addr_get_scope, rtnl_addr_get_scope),
	HD_LAZY_SYMBOL(HdLibnlRoute, addr_get_local, rtnl_addr_get_local),
	HD_LAZY_SYMBOL(HdLibnlRoute, route_alloc_cache, rtnl_route_alloc_cache),
	HD_LAZY_SYMBOL(HdLibnlRoute, route_get_table, rtnl_route_get_table),
	HD_LAZY_SYMBOL(HdLibnlRoute, route_get_dst, rtnl_route_get_dst),
	HD_LAZY_SYMBOL(HdLibnlRoute, route_get_nnexthops, rtnl_route_get_nnexthops),
	HD_LAZY_SYMBOL(HdLibnlRoute, route_nexthop_n, rtnl_route_nexthop_n),
	HD_LAZY_SYMBOL(HdLibnlRoute, route_nh_get_ifindex, rtnl_route_nh_get_ifindex),
	HD_LAZY_SYMBOL(HdLibnlRoute, link_get_kernel, rtnl_link_get_kernel),
	HD_LAZY_SYMBOL(HdLibnlRoute, link_put, rtnl_link_put),
	HD_LAZY_SYMBOL(HdLibnlRoute, link_get_flags, rtnl_link_get_flags),
	HD_LAZY_SYMBOL(HdLibnlRoute, link_has_vf_list, rtnl_link_has_vf_list),
	HD_LAZY_SYMBOL(HdLibnlRoute, link_vf_get, rtnl_link_vf_get),
	HD_LAZY_SYMBOL(HdLibnlRoute, link_vf_put, rtnl_link_vf_put),
	HD_LAZY_SYMBOL(HdLibnlRoute, link_vf_get_addr, rtnl_link_vf_get_addr),
	HD_LAZY_SYMBOL(HdLibnlRoute, link_vf_get_vlans, rtnl_link_vf_get_vlans),
	HD_LAZY_SYMBOL(HdLibnlRoute, link_vf_get_rate, rtnl_link_vf_get_rate),
	HD_LAZY_SYMBOL(HdLibnlRoute, link_vf_get_spoofchk, rtnl_link_vf_get_spoofchk),
	HD_LAZY_SYMBOL(HdLibnlRoute, link_vf_get_trust, rtnl_link_vf_get_trust),
	HD_LAZY_SYMBOL(HdLibnlRoute, link_vf_get_linkstate, rtnl_link_vf_get_linkstate),
	HD_LAZY_SYMBOL(HdLibnlRoute, link_vf_get_rss_query_en, rtnl_link_vf_get_rss_query_en),
};

static HdLibnl hd_libnl;

static HdLazyLibrary hd_libnl_core_library = {
	.soname = "libnl-3.so.200",
	.package = "libnl-3-200",
	.symbols = hd_libnl_core_symbols,
	.n_symbols = G_N_ELEMENTS(hd_libnl_core_symbols),
	.table = &hd_libnl.nl,
	.table_size = sizeof(hd_libnl.nl),
};

/* its own handle: opening it finds libnl-3 already loaded, by its soname */
static HdLazyLibrary hd_libnl_route_library = {
	.soname = "libnl-route-3.so.200",
	.package = "libnl-route-3-200",
	.symbols = hd_libnl_route_symbols,
	.n_symbols = G_N_ELEMENTS(hd_libnl_route_symbols),
	.table = &hd_libnl.route,
	.table_size = sizeof(hd_libnl.route),
};

/* libnl-3 first: were it missing, libnl-route-3's open would fail naming
 * its dependency, and the error the package that does not provide it */
const HdLibnl *
hd_libnl_get(GError **error)
{
	if (hd_lazy_library_get(&hd_libnl_core_library, error) == NULL ||
	    hd_lazy_library_get(&hd_libnl_route_library, error) == NULL)
		return NULL;
	return &hd_libnl;
}

void
hd_nl_sock_free(HdNlSock *sock)
{
	hd_libnl.nl.socket_free(sock);
}

void
hd_nl_cache_free(HdNlCache *cache)
{
	hd_libnl.nl.cache_free(cache);
}

void
hd_nl_msg_free(HdNlMsg *msg)
{
	hd_libnl.nl.msg_free(msg);
}

void
hd_rtnl_link_put(HdRtnlLink *link)
{
	hd_libnl.route.link_put(link);
}
