/*
 * hd-usage.c: is the host visibly using a device it is asked to give away?
 *
 * Unbinding a NIC that carries the host's address, or the controller of a
 * mounted disk, takes the host down with the guest's start.  These checks
 * look for what an administrator would see: addresses and routes over
 * netlink, mounts and swap in /proc, block holders and the console's
 * framebuffer in sysfs.  Link-local addresses and routes do not count:
 * every interface that is up has them.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "hd-usage.h"

#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/route.h>

#include "hd-autocleanups.h"
#include "hd-error.h"

/* sysfs nests a disk's partitions and a controller's disks a few levels
 * below the PCI function; deeper than this is not a block device of ours */
#define HD_USAGE_MAX_DEPTH 6

/* ---- network interfaces ------------------------------------------------ */

static gboolean
hd_netlink_fail(GError **error, const char *what, int rc)
{
	g_set_error(error, HD_ERROR, HD_ERROR_FAILED, "netlink: cannot %s: %s", what, nl_geterror(rc));
	return FALSE;
}

static gchar *
hd_netlink_addr_string(struct nl_addr *addr)
{
	char buf[128];

	return g_strdup(nl_addr2str(addr, buf, sizeof(buf)));
}

static gchar *
hd_usage_find_address(struct nl_cache *addrs, int ifindex)
{
	for (struct nl_object *o = nl_cache_get_first(addrs); o != NULL; o = nl_cache_get_next(o)) {
		struct rtnl_addr *addr = (struct rtnl_addr *)o;

		if (rtnl_addr_get_ifindex(addr) == ifindex && rtnl_addr_get_scope(addr) != RT_SCOPE_LINK &&
		    rtnl_addr_get_scope(addr) != RT_SCOPE_HOST)
			return hd_netlink_addr_string(rtnl_addr_get_local(addr));
	}
	return NULL;
}

/* a route of the main table through the interface, other than fe80::/64 */
static gchar *
hd_usage_find_route(struct nl_cache *routes, int ifindex)
{
	for (struct nl_object *o = nl_cache_get_first(routes); o != NULL; o = nl_cache_get_next(o)) {
		struct rtnl_route *route = (struct rtnl_route *)o;
		g_autofree gchar *dst = NULL;

		if (rtnl_route_get_table(route) != RT_TABLE_MAIN)
			continue;
		dst = hd_netlink_addr_string(rtnl_route_get_dst(route));
		if (g_str_has_prefix(dst, "fe80:"))
			continue;
		for (int i = 0; i < rtnl_route_get_nnexthops(route); i++) {
			if (rtnl_route_nh_get_ifindex(rtnl_route_nexthop_n(route, i)) == ifindex)
				return g_steal_pointer(&dst);
		}
	}
	return NULL;
}

gboolean
hd_usage_netdev_netlink(int ifindex, gpointer user_data, gchar **reason, GError **error)
{
	g_autoptr(HdNlSock) sock = nl_socket_alloc();
	g_autoptr(HdNlCache) addrs = NULL;
	g_autoptr(HdNlCache) routes = NULL;
	g_autofree gchar *address = NULL;
	g_autofree gchar *route = NULL;
	int rc;

	if (sock == NULL)
		return hd_netlink_fail(error, "allocate a socket", -NLE_NOMEM);
	if ((rc = nl_connect(sock, NETLINK_ROUTE)) < 0)
		return hd_netlink_fail(error, "connect", rc);
	if ((rc = rtnl_addr_alloc_cache(sock, &addrs)) < 0)
		return hd_netlink_fail(error, "list addresses", rc);
	address = hd_usage_find_address(addrs, ifindex);
	if (address != NULL) {
		*reason = g_strdup_printf("has address %s", address);
		return TRUE;
	}
	if ((rc = rtnl_route_alloc_cache(sock, AF_UNSPEC, 0, &routes)) < 0)
		return hd_netlink_fail(error, "list routes", rc);
	route = hd_usage_find_route(routes, ifindex);
	if (route != NULL)
		*reason = g_strdup_printf("carries a route to %s", route);
	return TRUE;
}

static gboolean
hd_usage_check_netdevs(HdContext *ctx, const char *dir, gchar **reason, GError **error)
{
	g_autofree gchar *net = g_build_filename(dir, "net", NULL);
	g_autoptr(GPtrArray) names = hd_sysfs_list(ctx->sysfs, net, NULL);

	for (guint i = 0; names != NULL && i < names->len && *reason == NULL; i++) {
		const char *name = g_ptr_array_index(names, i);
		g_autofree gchar *ifindex_path = g_build_filename(net, name, "ifindex", NULL);
		g_autofree gchar *ifindex = hd_sysfs_read(ctx->sysfs, ifindex_path, error);
		g_autofree gchar *why = NULL;
		guint64 index = 0;

		if (ifindex == NULL)
			return FALSE;
		if (!g_ascii_string_to_unsigned(ifindex, 10, 1, G_MAXINT, &index, NULL)) {
			g_set_error(error, HD_ERROR, HD_ERROR_INVALID_DATA, "%s: '%s' is not an interface index",
				    ifindex_path, ifindex);
			return FALSE;
		}
		if (!ctx->netdev_use(index, ctx->netdev_use_data, &why, error))
			return FALSE;
		if (why != NULL)
			*reason = g_strdup_printf("network interface %s %s", name, why);
	}
	return TRUE;
}

/* ---- block devices ----------------------------------------------------- */

/* "/dev/sda1 ..." lines of /proc/swaps */
static gboolean
hd_usage_is_swap(const char *swaps, const char *name)
{
	g_autofree gchar *needle = g_strdup_printf("/dev/%s ", name);
	g_autofree gchar *tabbed = g_strdup_printf("/dev/%s\t", name);

	for (const char *line = swaps; line != NULL && *line != '\0';) {
		const char *next = strchr(line, '\n');
		if (g_str_has_prefix(line, needle) || g_str_has_prefix(line, tabbed))
			return TRUE;
		line = next != NULL ? next + 1 : NULL;
	}
	return FALSE;
}

/* the mount point of "maj:min" in /proc/self/mountinfo (its 3rd field) */
static gchar *
hd_usage_mount_point(const char *mountinfo, const char *dev)
{
	g_auto(GStrv) lines = g_strsplit(mountinfo, "\n", -1);

	for (guint i = 0; lines[i] != NULL; i++) {
		g_auto(GStrv) fields = g_strsplit(lines[i], " ", 6);
		if (g_strv_length(fields) >= 5 && g_strcmp0(fields[2], dev) == 0)
			return g_strdup(fields[4]);
	}
	return NULL;
}

typedef struct {
	gchar *mountinfo;
	gchar *swaps;
} HdProcState;

static void
hd_proc_state_clear(HdProcState *state)
{
	g_clear_pointer(&state->mountinfo, g_free);
	g_clear_pointer(&state->swaps, g_free);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(HdProcState, hd_proc_state_clear)

/* read once per device, and only when it has a block device at all */
static gboolean
hd_proc_state_load(HdContext *ctx, HdProcState *proc, GError **error)
{
	g_autofree gchar *mountinfo = g_build_filename(ctx->proc_root, "self", "mountinfo", NULL);
	g_autofree gchar *swaps = g_build_filename(ctx->proc_root, "swaps", NULL);
	g_autoptr(GError) local = NULL;

	if (g_file_get_contents(mountinfo, &proc->mountinfo, NULL, &local) &&
	    g_file_get_contents(swaps, &proc->swaps, NULL, &local))
		return TRUE;
	hd_proc_state_clear(proc);
	g_set_error(error, HD_ERROR, HD_ERROR_FAILED, "%s", local->message);
	return FALSE;
}

static gboolean
hd_usage_check_block(HdContext *ctx, HdProcState *proc, const char *dir, gchar **reason, GError **error)
{
	g_autofree gchar *name = g_path_get_basename(dir);
	g_autofree gchar *dev_path = g_build_filename(dir, "dev", NULL);
	g_autofree gchar *holders_path = g_build_filename(dir, "holders", NULL);
	g_autofree gchar *dev = NULL;
	g_autoptr(GPtrArray) holders = NULL;
	g_autofree gchar *mount_point = NULL;

	dev = hd_sysfs_read(ctx->sysfs, dev_path, error);
	if (dev == NULL)
		return FALSE;
	holders = hd_sysfs_list(ctx->sysfs, holders_path, error);
	if (holders == NULL || (proc->mountinfo == NULL && !hd_proc_state_load(ctx, proc, error)))
		return FALSE;
	mount_point = hd_usage_mount_point(proc->mountinfo, dev);
	if (mount_point != NULL)
		*reason = g_strdup_printf("block device %s is mounted on %s", name, mount_point);
	else if (hd_usage_is_swap(proc->swaps, name))
		*reason = g_strdup_printf("block device %s is in use as swap", name);
	else if (holders->len > 0)
		*reason = g_strdup_printf("block device %s is held by %s", name,
					  (const char *)g_ptr_array_index(holders, 0));
	return TRUE;
}

/*
 * Walk below the PCI function for block devices (directories with both a
 * "dev" and a "holders" entry: disks and their partitions), never following
 * a symlink, which in sysfs leads out of the device (driver, subsystem ...).
 */
static gboolean
hd_usage_walk_block(HdContext *ctx, HdProcState *proc, const char *dir, guint depth, gchar **reason, GError **error)
{
	g_autoptr(GPtrArray) entries = NULL;
	g_autofree gchar *dev = g_build_filename(dir, "dev", NULL);
	g_autofree gchar *holders = g_build_filename(dir, "holders", NULL);

	if (depth > 0 && hd_sysfs_exists(ctx->sysfs, dev) && hd_sysfs_exists(ctx->sysfs, holders) &&
	    !hd_usage_check_block(ctx, proc, dir, reason, error))
		return FALSE;
	if (*reason != NULL || depth == HD_USAGE_MAX_DEPTH)
		return TRUE;
	entries = hd_sysfs_list(ctx->sysfs, dir, error);
	if (entries == NULL)
		return FALSE;
	for (guint i = 0; i < entries->len && *reason == NULL; i++) {
		g_autofree gchar *child = g_build_filename(dir, g_ptr_array_index(entries, i), NULL);

		if (!hd_sysfs_is_dir(ctx->sysfs, child))
			continue;
		if (!hd_usage_walk_block(ctx, proc, child, depth + 1, reason, error))
			return FALSE;
	}
	return TRUE;
}

/* ---- the console --------------------------------------------------------- */

/* fbcon on a framebuffer of this device: the console the admin looks at */
static gboolean
hd_usage_check_console(HdContext *ctx, const char *dir, gchar **reason, GError **error)
{
	g_autofree gchar *graphics = g_build_filename(dir, "graphics", NULL);
	g_autoptr(GPtrArray) fbs = hd_sysfs_list(ctx->sysfs, graphics, NULL);
	g_autoptr(GPtrArray) consoles = NULL;

	if (fbs == NULL || fbs->len == 0)
		return TRUE;
	consoles = hd_sysfs_list(ctx->sysfs, "class/vtconsole", NULL);
	for (guint i = 0; consoles != NULL && i < consoles->len; i++) {
		g_autofree gchar *name_path = g_build_filename("class/vtconsole", g_ptr_array_index(consoles, i), "name", NULL);
		g_autofree gchar *bind_path = g_build_filename("class/vtconsole", g_ptr_array_index(consoles, i), "bind", NULL);
		g_autofree gchar *name = hd_sysfs_read(ctx->sysfs, name_path, NULL);
		g_autofree gchar *bind = hd_sysfs_read(ctx->sysfs, bind_path, NULL);

		if (name != NULL && strstr(name, "frame buffer") != NULL && g_strcmp0(bind, "1") == 0) {
			*reason = g_strdup_printf("its framebuffer %s shows the host's console",
						  (const char *)g_ptr_array_index(fbs, 0));
			return TRUE;
		}
	}
	return TRUE;
}

gboolean
hd_usage_check(HdContext *ctx, const HdDeviceInfo *info, gchar **reason, GError **error)
{
	g_autofree gchar *dir = hd_function_attr_path(info->bdf, NULL);
	g_auto(HdProcState) proc = {NULL, NULL};

	*reason = NULL;
	return hd_usage_check_netdevs(ctx, dir, reason, error) &&
	       (*reason != NULL || hd_usage_walk_block(ctx, &proc, dir, 0, reason, error)) &&
	       (*reason != NULL || hd_usage_check_console(ctx, dir, reason, error));
}
