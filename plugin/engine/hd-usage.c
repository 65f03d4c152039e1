/*
 * hd-usage.c: is the host visibly using a device it is asked to give away?
 *
 * Unbinding a NIC that carries the host's address, or the controller of a
 * mounted disk, takes the host down with the guest's start.  These checks
 * look for what an administrator would see: addresses and routes over
 * netlink, mounts and swap as libmount reads them from /proc, block holders
 * and the console's framebuffer in sysfs.  Link-local addresses and routes
 * do not count: every interface that is up has them.
 *
 * Only planning checks, so libmount (and libblkid and libselinux with it)
 * is opened by the first check that reads a mount table, and libnl by the
 * first that asks about an interface (hd-libnl.h), not at every hook run's
 * start (hd-lazy-library.h).
 *
 * The checks start from what is used and trace it down to the hardware:
 * the class link of every block device and network interface resolves to
 * where the device sits in /sys/devices, and that is below the PCI function
 * serving it, however many devices lie in between (ATA ports and SCSI
 * targets, virtio, USB, NVMe namespaces).  Stacked devices -- LVM and RAID,
 * bonds, bridges and VLANs -- are followed down through their members.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "hd-usage.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <libmount.h>

#include "hd-error.h"
#include "hd-lazy-library.h"
#include "hd-libnl.h"

/* ---- where a device sits ---------------------------------------------- */

/* @relpath with every link resolved: the device's place in /sys/devices */
static gchar *
hd_usage_resolve(HdContext *ctx, const char *relpath, GError **error)
{
	g_autofree gchar *path = hd_sysfs_path(ctx->sysfs, relpath);
	char *resolved = realpath(path, NULL);
	gchar *copy;

	if (resolved == NULL) {
		int errnum = errno;
		g_set_error(error, HD_ERROR, hd_error_from_errno(errnum), "cannot resolve %s: %s", path,
			    g_strerror(errnum));
		return NULL;
	}
	copy = g_strdup(resolved);
	free(resolved);
	return copy;
}

/* the kernel's MAXSYMLINKS: more links than this in one path is a loop (ELOOP) */
#define HD_USAGE_MAX_LINKS 40

static gchar *hd_usage_realpath_memo(GHashTable *memo, const char *path, guint *links);

/* one component @part after the resolved @prefix, through @memo */
static gchar *
hd_usage_realpath_step(GHashTable *memo, const char *prefix, const char *part, guint *links)
{
	g_autofree gchar *candidate = g_strconcat(prefix, "/", part, NULL);
	const char *known = g_hash_table_lookup(memo, candidate);
	g_autofree gchar *joined = NULL;
	char target[PATH_MAX];
	gssize len;
	gchar *resolved;

	if (known != NULL)
		return g_strdup(known);
	len = readlink(candidate, target, sizeof(target) - 1);
	if (len < 0 && errno != EINVAL)
		return NULL;
	if (len < 0) {
		resolved = g_strdup(candidate); /* there, and no link */
	} else {
		target[len] = '\0';
		if (++*links > HD_USAGE_MAX_LINKS)
			return NULL;
		joined = g_path_is_absolute(target) ? g_strdup(target) : g_strconcat(prefix, "/", target, NULL);
		resolved = hd_usage_realpath_memo(memo, joined, links);
		if (resolved == NULL)
			return NULL;
	}
	g_hash_table_insert(memo, g_steal_pointer(&candidate), g_strdup(resolved));
	return resolved;
}

/*
 * What realpath() makes of the absolute @path, keeping every prefix it
 * resolves in @memo: the class entries of a host share all but their last
 * components, which realpath() resolves again for each (a dozen readlinks
 * for each of thousands of interfaces).  NULL where realpath() fails.
 * ".." after a resolved prefix is its parent, as the prefix has no links.
 */
static gchar *
hd_usage_realpath_memo(GHashTable *memo, const char *path, guint *links)
{
	g_auto(GStrv) parts = g_strsplit(path, "/", -1);
	g_autoptr(GString) resolved = g_string_new(""); /* "" is "/" */

	for (guint i = 0; parts[i] != NULL; i++) {
		const char *part = parts[i];
		g_autofree gchar *next = NULL;

		if (*part == '\0' || strcmp(part, ".") == 0)
			continue;
		if (strcmp(part, "..") == 0) {
			const char *slash = strrchr(resolved->str, '/');

			g_string_truncate(resolved, slash != NULL ? (gsize)(slash - resolved->str) : 0);
			continue;
		}
		next = hd_usage_realpath_step(memo, resolved->str, part, links);
		if (next == NULL)
			return NULL;
		g_string_assign(resolved, next);
	}
	return resolved->len > 0 ? g_strdup(resolved->str) : g_strdup("/");
}

/* hd_usage_resolve() of a class entry, NULL where it fails, through @memo */
static gchar *
hd_usage_resolve_memo(HdContext *ctx, GHashTable *memo, const char *relpath)
{
	g_autofree gchar *path = hd_sysfs_path(ctx->sysfs, relpath);
	g_autofree gchar *cwd = NULL;
	g_autofree gchar *absolute = NULL;
	guint links = 0;

	if (g_path_is_absolute(path))
		return hd_usage_realpath_memo(memo, path, &links);
	cwd = g_get_current_dir();
	absolute = g_build_filename(cwd, path, NULL);
	return hd_usage_realpath_memo(memo, absolute, &links);
}

static gboolean
hd_usage_is_under(const char *path, const char *function)
{
	gsize len = strlen(function);

	return strncmp(path, function, len) == 0 && path[len] == '/';
}

/* ---- the host's classes, read once per plan ------------------------------ */

/* an entry of class/net or class/block, and where it sits */
typedef struct {
	gchar *path; /* resolved: the device's place in /sys/devices */
	gchar *name;
} HdUsageEntry;

typedef struct {
	GPtrArray *names;   /* the class's entries, in hd_sysfs_list()'s order */
	GPtrArray *by_path; /* of HdUsageEntry, sorted by path; unresolvable ones left out */
} HdUsageClass;

/*
 * What every in-use check of a plan reads again and again: where each
 * interface and block device sits (a realpath() each), and what each
 * interface is built on.  A plan changes nothing on the host, so each is
 * read once and kept for the plan's other devices; a host with thousands
 * of VF interfaces would otherwise have them all resolved per device.
 */
struct _HdUsageIndex {
	HdUsageClass *net;
	HdUsageClass *block;
	GHashTable *lowers; /* interface -> GPtrArray of the interfaces it is built on */
	GHashTable *uppers; /* interface -> GPtrArray of those built on it; NULL until needed */
	GHashTable *resolved; /* path -> what realpath() makes of it */
};

static void
hd_usage_entry_free(HdUsageEntry *entry)
{
	g_free(entry->path);
	g_free(entry->name);
	g_free(entry);
}

static void
hd_usage_class_free(HdUsageClass *class)
{
	if (class == NULL)
		return;
	g_ptr_array_unref(class->names);
	g_ptr_array_unref(class->by_path);
	g_free(class);
}

HdUsageIndex *
hd_usage_index_new(void)
{
	HdUsageIndex *index = g_new0(HdUsageIndex, 1);

	index->lowers = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify)g_ptr_array_unref);
	index->resolved = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	return index;
}

void
hd_usage_index_free(HdUsageIndex *index)
{
	if (index == NULL)
		return;
	hd_usage_class_free(index->net);
	hd_usage_class_free(index->block);
	g_hash_table_unref(index->lowers);
	g_hash_table_unref(index->resolved);
	if (index->uppers != NULL)
		g_hash_table_unref(index->uppers);
	g_free(index);
}

static gint
hd_usage_entry_compare(gconstpointer a, gconstpointer b)
{
	const HdUsageEntry *x = *(const HdUsageEntry *const *)a;
	const HdUsageEntry *y = *(const HdUsageEntry *const *)b;

	return strcmp(x->path, y->path);
}

static gint
hd_usage_compare_names(gconstpointer a, gconstpointer b)
{
	return g_strcmp0(*(const char *const *)a, *(const char *const *)b);
}

/* the entries of the open directory @fd, sorted as hd_sysfs_list() sorts them */
static GPtrArray *
hd_usage_list_fd(int fd)
{
	g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
	g_autofree gchar *buf = g_malloc(16384);
	gssize n;

	while ((n = getdents64(fd, buf, 16384)) > 0) {
		for (gssize off = 0; off < n;) {
			const struct dirent64 *d = (const struct dirent64 *)(buf + off);

			if (strcmp(d->d_name, ".") != 0 && strcmp(d->d_name, "..") != 0)
				g_ptr_array_add(names, g_strdup(d->d_name));
			off += d->d_reclen;
		}
	}
	if (n < 0)
		return NULL;
	g_ptr_array_sort(names, hd_usage_compare_names);
	return g_steal_pointer(&names);
}

/* @dir (canonical) joined with a link's @target of the shape sysfs makes,
 * "../../devices/...": leading ".." only, then plain names; NULL otherwise */
static gchar *
hd_usage_join_plain(const char *dir, const char *target)
{
	g_autoptr(GString) joined = g_string_new(dir);
	g_auto(GStrv) parts = g_strsplit(target, "/", -1);
	gboolean names = FALSE;

	if (g_path_is_absolute(target))
		return NULL;
	for (guint i = 0; parts[i] != NULL; i++) {
		const char *part = parts[i];

		if (*part == '\0' || strcmp(part, ".") == 0 || (names && strcmp(part, "..") == 0))
			return NULL;
		if (strcmp(part, "..") == 0) {
			const char *slash = strrchr(joined->str, '/');

			g_string_truncate(joined, slash != NULL ? (gsize)(slash - joined->str) : 0);
			continue;
		}
		names = TRUE;
		g_string_append_printf(joined, "/%s", part);
	}
	return names ? g_strdup(joined->str) : NULL;
}

/* @path opened as a directory, if none of its components is a link; -1 if
 * one is, or this kernel or its seccomp filter has no openat2() */
static int
hd_usage_open_unlinked_dir(const char *path)
{
	struct open_how how = {.flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC, .resolve = RESOLVE_NO_SYMLINKS};

	return (int)syscall(SYS_openat2, AT_FDCWD, path, &how, sizeof(how));
}

/*
 * The quick way to resolve the entry @name of a class directory whose
 * realpath() is @class_dir: its link's target joined to @class_dir is its
 * own realpath() when no component of it is a link, which one openat2()
 * proves, in place of a readlink per component.  With @entries, the
 * directory is listed too (an interface's, for its lower devices).  FALSE:
 * not proven, resolve it the slow way.
 */
static gboolean
hd_usage_resolve_entry_quick(const char *class_dir, const char *name, gchar **path, GPtrArray **entries)
{
	g_autofree gchar *link = g_strconcat(class_dir, "/", name, NULL);
	g_autofree gchar *joined = NULL;
	char target[PATH_MAX];
	gssize len = readlink(link, target, sizeof(target) - 1);
	int fd;

	if (len < 0)
		return FALSE;
	target[len] = '\0';
	joined = hd_usage_join_plain(class_dir, target);
	fd = joined != NULL ? hd_usage_open_unlinked_dir(joined) : -1;
	if (fd < 0)
		return FALSE;
	if (entries != NULL)
		*entries = hd_usage_list_fd(fd);
	close(fd);
	*path = g_steal_pointer(&joined);
	return TRUE;
}

static GPtrArray *hd_usage_net_lowers_from(HdContext *ctx, const char *name, GPtrArray *entries);

/* where @name of @class sits, and for an interface what it is built on */
static gchar *
hd_usage_class_resolve(HdContext *ctx, HdUsageIndex *index, const char *class, const char *class_dir, const char *name)
{
	gboolean net = g_str_equal(class, "class/net");
	g_autoptr(GPtrArray) entries = NULL;
	g_autofree gchar *link = NULL;
	gchar *path = NULL;

	if (class_dir != NULL && hd_usage_resolve_entry_quick(class_dir, name, &path, net ? &entries : NULL)) {
		if (entries != NULL && !g_hash_table_contains(index->lowers, name))
			g_hash_table_insert(index->lowers, g_strdup(name), hd_usage_net_lowers_from(ctx, name, entries));
		return path;
	}
	link = g_build_filename(class, name, NULL);
	return hd_usage_resolve_memo(ctx, index->resolved, link);
}

static HdUsageClass *
hd_usage_class_read(HdContext *ctx, HdUsageIndex *index, const char *class)
{
	HdUsageClass *read = g_new0(HdUsageClass, 1);
	g_autofree gchar *class_dir = NULL;

	/* a tree without the class (a minimal test fixture) has none of them */
	read->names = hd_sysfs_list(ctx->sysfs, class, NULL);
	if (read->names == NULL)
		read->names = g_ptr_array_new_with_free_func(g_free);
	read->by_path = g_ptr_array_new_with_free_func((GDestroyNotify)hd_usage_entry_free);
	if (read->names->len > 0)
		class_dir = hd_usage_resolve_memo(ctx, index->resolved, class);
	for (guint i = 0; i < read->names->len; i++) {
		const char *name = g_ptr_array_index(read->names, i);
		gchar *path = hd_usage_class_resolve(ctx, index, class, class_dir, name);
		HdUsageEntry *entry;

		if (path == NULL)
			continue;
		entry = g_new0(HdUsageEntry, 1);
		entry->path = path;
		entry->name = g_strdup(name);
		g_ptr_array_add(read->by_path, entry);
	}
	g_ptr_array_sort(read->by_path, hd_usage_entry_compare);
	return read;
}

static HdUsageClass *
hd_usage_index_class(HdContext *ctx, HdUsageIndex *index, const char *class)
{
	HdUsageClass **slot = g_str_equal(class, "class/net") ? &index->net : &index->block;

	if (*slot == NULL)
		*slot = hd_usage_class_read(ctx, index, class);
	return *slot;
}

/* the entries of @class (class/block, class/net) below @function, in the
 * class's order: the paths below it are one run of the sorted ones */
static GPtrArray *
hd_usage_class_under(HdContext *ctx, HdUsageIndex *index, const char *class, const char *function)
{
	HdUsageClass *read = hd_usage_index_class(ctx, index, class);
	g_autofree gchar *prefix = g_strconcat(function, "/", NULL);
	GPtrArray *under = g_ptr_array_new_with_free_func(g_free);
	guint lo = 0, hi = read->by_path->len;

	while (lo < hi) {
		guint mid = lo + (hi - lo) / 2;
		const HdUsageEntry *entry = g_ptr_array_index(read->by_path, mid);

		if (strcmp(entry->path, prefix) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (guint i = lo; i < read->by_path->len; i++) {
		const HdUsageEntry *entry = g_ptr_array_index(read->by_path, i);

		if (!hd_usage_is_under(entry->path, function))
			break;
		g_ptr_array_add(under, g_strdup(entry->name));
	}
	g_ptr_array_sort(under, hd_usage_compare_names);
	return under;
}

static gboolean
hd_usage_contains(GPtrArray *names, const char *name)
{
	return g_ptr_array_find_with_equal_func(names, name, g_str_equal, NULL);
}

/* the devices @name is built on: a block device's slaves, an interface's lower devices */
typedef GPtrArray *(*HdUsageLowerFunc)(HdContext *ctx, HdUsageIndex *index, const char *name);

/*
 * Down from @name through its lower devices to one of @leaves, appending
 * the names on the way to @chain.  @seen ends a loop in a damaged tree.
 */
static gboolean
hd_usage_trace(HdContext *ctx,
	       HdUsageIndex *index,
	       HdUsageLowerFunc lower,
	       GPtrArray *leaves,
	       const char *name,
	       GHashTable *seen,
	       GPtrArray *chain)
{
	g_autoptr(GPtrArray) below = NULL;

	if (!g_hash_table_add(seen, g_strdup(name)))
		return FALSE;
	g_ptr_array_add(chain, g_strdup(name));
	if (hd_usage_contains(leaves, name))
		return TRUE;
	below = lower(ctx, index, name);
	for (guint i = 0; below != NULL && i < below->len; i++) {
		if (hd_usage_trace(ctx, index, lower, leaves, g_ptr_array_index(below, i), seen, chain))
			return TRUE;
	}
	g_ptr_array_remove_index(chain, chain->len - 1);
	return FALSE;
}

/* @name, what it is built on, and so on down to one of @leaves; NULL if it is not */
static GPtrArray *
hd_usage_chain(HdContext *ctx, HdUsageIndex *index, HdUsageLowerFunc lower, GPtrArray *leaves, const char *name)
{
	g_autoptr(GHashTable) seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	g_autoptr(GPtrArray) chain = g_ptr_array_new_with_free_func(g_free);

	if (name == NULL || !hd_usage_trace(ctx, index, lower, leaves, name, seen, chain))
		return NULL;
	return g_steal_pointer(&chain);
}

/* ---- network interfaces ------------------------------------------------ */

static gboolean
hd_netlink_fail(const HdLibnl *nl, GError **error, const char *what, int rc)
{
	g_set_error(error, HD_ERROR, HD_ERROR_FAILED, "netlink: cannot %s: %s", what, nl->nl.geterror(rc));
	return FALSE;
}

static gchar *
hd_netlink_addr_string(const HdLibnl *nl, struct nl_addr *addr)
{
	char buf[128];

	return g_strdup(nl->nl.addr2str(addr, buf, sizeof(buf)));
}

static gchar *
hd_usage_find_address(const HdLibnl *nl, struct nl_cache *addrs, int ifindex)
{
	for (struct nl_object *o = nl->nl.cache_get_first(addrs); o != NULL; o = nl->nl.cache_get_next(o)) {
		struct rtnl_addr *addr = (struct rtnl_addr *)o;

		if (nl->route.addr_get_ifindex(addr) == ifindex && nl->route.addr_get_scope(addr) != RT_SCOPE_LINK &&
		    nl->route.addr_get_scope(addr) != RT_SCOPE_HOST)
			return hd_netlink_addr_string(nl, nl->route.addr_get_local(addr));
	}
	return NULL;
}

/* a route of the main table through the interface, other than fe80::/64 */
static gchar *
hd_usage_find_route(const HdLibnl *nl, struct nl_cache *routes, int ifindex)
{
	for (struct nl_object *o = nl->nl.cache_get_first(routes); o != NULL; o = nl->nl.cache_get_next(o)) {
		struct rtnl_route *route = (struct rtnl_route *)o;
		g_autofree gchar *dst = NULL;

		if (nl->route.route_get_table(route) != RT_TABLE_MAIN)
			continue;
		dst = hd_netlink_addr_string(nl, nl->route.route_get_dst(route));
		if (g_str_has_prefix(dst, "fe80:"))
			continue;
		for (int i = 0; i < nl->route.route_get_nnexthops(route); i++) {
			if (nl->route.route_nh_get_ifindex(nl->route.route_nexthop_n(route, i)) == ifindex)
				return g_steal_pointer(&dst);
		}
	}
	return NULL;
}

gboolean
hd_usage_netdev_netlink(int ifindex, gpointer user_data, gchar **reason, GError **error)
{
	const HdLibnl *nl = hd_libnl_get(error);
	g_autoptr(HdNlSock) sock = NULL;
	g_autoptr(HdNlCache) addrs = NULL;
	g_autoptr(HdNlCache) routes = NULL;
	g_autofree gchar *address = NULL;
	g_autofree gchar *route = NULL;
	int rc;

	if (nl == NULL)
		return FALSE;
	sock = nl->nl.socket_alloc();
	if (sock == NULL)
		return hd_netlink_fail(nl, error, "allocate a socket", -NLE_NOMEM);
	if ((rc = nl->nl.connect(sock, NETLINK_ROUTE)) < 0)
		return hd_netlink_fail(nl, error, "connect", rc);
	if ((rc = nl->route.addr_alloc_cache(sock, &addrs)) < 0)
		return hd_netlink_fail(nl, error, "list addresses", rc);
	address = hd_usage_find_address(nl, addrs, ifindex);
	if (address != NULL) {
		*reason = g_strdup_printf("has address %s", address);
		return TRUE;
	}
	if ((rc = nl->route.route_alloc_cache(sock, AF_UNSPEC, 0, &routes)) < 0)
		return hd_netlink_fail(nl, error, "list routes", rc);
	route = hd_usage_find_route(nl, routes, ifindex);
	if (route != NULL)
		*reason = g_strdup_printf("carries a route to %s", route);
	return TRUE;
}

static gboolean
hd_usage_ask_netdev(HdContext *ctx, const char *name, gchar **why, GError **error)
{
	g_autofree gchar *ifindex_path = g_build_filename("class/net", name, "ifindex", NULL);
	g_autofree gchar *ifindex = hd_sysfs_read(ctx->sysfs, ifindex_path, error);
	guint64 index = 0;

	if (ifindex == NULL)
		return FALSE;
	if (!g_ascii_string_to_unsigned(ifindex, 10, 1, G_MAXINT, &index, NULL)) {
		g_set_error(error, HD_ERROR, HD_ERROR_INVALID_DATA, "%s: '%s' is not an interface index",
			    ifindex_path, ifindex);
		return FALSE;
	}
	return ctx->netdev_use(index, ctx->netdev_use_data, why, error);
}

/*
 * A stacked interface's lower devices: its lower_NAME links (bonds, bridges,
 * VLANs, macvlans) and a bridge's brif/, its ports.
 */
static GPtrArray *
hd_usage_net_lowers_from(HdContext *ctx, const char *name, GPtrArray *entries)
{
	g_autofree gchar *brif = g_build_filename("class/net", name, "brif", NULL);
	/* only a bridge has brif/: most interfaces need not be asked */
	GPtrArray *lowers = entries != NULL && hd_usage_contains(entries, "brif") ? hd_sysfs_list(ctx->sysfs, brif, NULL)
										   : NULL;

	if (lowers == NULL)
		lowers = g_ptr_array_new_with_free_func(g_free);
	for (guint i = 0; entries != NULL && i < entries->len; i++) {
		const char *entry = g_ptr_array_index(entries, i);

		if (g_str_has_prefix(entry, "lower_"))
			g_ptr_array_add(lowers, g_strdup(entry + strlen("lower_")));
	}
	return lowers;
}

static GPtrArray *
hd_usage_net_read_lowers(HdContext *ctx, const char *name)
{
	g_autofree gchar *dir = g_build_filename("class/net", name, NULL);
	g_autoptr(GPtrArray) entries = hd_sysfs_list(ctx->sysfs, dir, NULL);

	return hd_usage_net_lowers_from(ctx, name, entries);
}

/* the same, read once per index; a new reference */
static GPtrArray *
hd_usage_net_lowers(HdContext *ctx, HdUsageIndex *index, const char *name)
{
	GPtrArray *lowers = g_hash_table_lookup(index->lowers, name);

	if (lowers == NULL) {
		lowers = hd_usage_net_read_lowers(ctx, name);
		g_hash_table_insert(index->lowers, g_strdup(name), lowers);
	}
	return g_ptr_array_ref(lowers);
}

/* interface -> the interfaces built directly on it, from every one's lowers */
static GHashTable *
hd_usage_net_uppers(HdContext *ctx, HdUsageIndex *index, HdUsageClass *net)
{
	if (index->uppers != NULL)
		return index->uppers;
	index->uppers = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify)g_ptr_array_unref);
	for (guint i = 0; i < net->names->len; i++) {
		const char *upper = g_ptr_array_index(net->names, i);
		g_autoptr(GPtrArray) lowers = hd_usage_net_lowers(ctx, index, upper);

		for (guint j = 0; j < lowers->len; j++) {
			const char *lower = g_ptr_array_index(lowers, j);
			GPtrArray *uppers = g_hash_table_lookup(index->uppers, lower);

			if (uppers == NULL) {
				uppers = g_ptr_array_new_with_free_func(g_free);
				g_hash_table_insert(index->uppers, g_strdup(lower), uppers);
			}
			g_ptr_array_add(uppers, g_strdup(upper));
		}
	}
	return index->uppers;
}

/* every interface from which one of @leaves is reached through lowers:
 * those, and only those, have a chain down to a leaf */
static GHashTable *
hd_usage_net_above(HdContext *ctx, HdUsageIndex *index, HdUsageClass *net, GPtrArray *leaves)
{
	GHashTable *uppers = hd_usage_net_uppers(ctx, index, net);
	GHashTable *above = g_hash_table_new(g_str_hash, g_str_equal);
	g_autoptr(GPtrArray) queue = g_ptr_array_new();

	for (guint i = 0; i < leaves->len; i++)
		g_ptr_array_add(queue, g_ptr_array_index(leaves, i));
	for (guint i = 0; i < queue->len; i++) {
		GPtrArray *built_on = g_hash_table_lookup(uppers, g_ptr_array_index(queue, i));

		for (guint j = 0; built_on != NULL && j < built_on->len; j++) {
			char *upper = g_ptr_array_index(built_on, j);

			if (g_hash_table_add(above, upper))
				g_ptr_array_add(queue, upper);
		}
	}
	return above;
}

/* what a lower device is to @upper */
static const char *
hd_usage_net_relation(HdContext *ctx, const char *upper)
{
	g_autofree gchar *bridge = g_build_filename("class/net", upper, "bridge", NULL);
	g_autofree gchar *bonding = g_build_filename("class/net", upper, "bonding", NULL);

	if (hd_sysfs_exists(ctx->sysfs, bridge))
		return "a port of";
	if (hd_sysfs_exists(ctx->sysfs, bonding))
		return "a member of";
	return "the lower device of";
}

/* "network interface eth0 is a member of bond0, a port of br0, which has address ..." */
static gchar *
hd_usage_net_reason(HdContext *ctx, GPtrArray *chain, const char *why)
{
	GString *reason = g_string_new("network interface ");

	g_string_append(reason, g_ptr_array_index(chain, chain->len - 1));
	if (chain->len == 1) {
		g_string_append_printf(reason, " %s", why);
		return g_string_free(reason, FALSE);
	}
	g_string_append(reason, " is ");
	for (guint i = chain->len - 1; i-- > 0;) {
		const char *upper = g_ptr_array_index(chain, i);
		g_string_append_printf(reason, "%s %s, ", hd_usage_net_relation(ctx, upper), upper);
	}
	g_string_append_printf(reason, "which %s", why);
	return g_string_free(reason, FALSE);
}

/* the interface @name, if it is built on one of @leaves, and the host uses it */
static gboolean
hd_usage_check_netdev(HdContext *ctx, HdUsageIndex *index, GPtrArray *leaves, const char *name, gchar **reason,
		      GError **error)
{
	g_autoptr(GPtrArray) chain = hd_usage_chain(ctx, index, hd_usage_net_lowers, leaves, name);
	g_autofree gchar *why = NULL;

	if (chain == NULL)
		return TRUE;
	if (!hd_usage_ask_netdev(ctx, name, &why, error))
		return FALSE;
	if (why != NULL)
		*reason = hd_usage_net_reason(ctx, chain, why);
	return TRUE;
}

/* the function's own interfaces first, then the stacks built on them, in
 * class/net's order */
static gboolean
hd_usage_check_netdevs_once(HdContext *ctx, HdUsageIndex *index, const char *function, gchar **reason,
			    GError **error)
{
	g_autoptr(GPtrArray) leaves = hd_usage_class_under(ctx, index, "class/net", function);
	g_autoptr(GHashTable) above = NULL;
	HdUsageClass *net;

	for (guint i = 0; i < leaves->len && *reason == NULL; i++) {
		if (!hd_usage_check_netdev(ctx, index, leaves, g_ptr_array_index(leaves, i), reason, error))
			return FALSE;
	}
	if (leaves->len == 0 || *reason != NULL)
		return TRUE;
	net = hd_usage_index_class(ctx, index, "class/net");
	above = hd_usage_net_above(ctx, index, net, leaves);
	for (guint i = 0; i < net->names->len && *reason == NULL; i++) {
		const char *name = g_ptr_array_index(net->names, i);

		if (g_hash_table_contains(above, name) && !hd_usage_contains(leaves, name) &&
		    !hd_usage_check_netdev(ctx, index, leaves, name, reason, error))
			return FALSE;
	}
	return TRUE;
}

/* a few listings: each rename needs another, and udev renames once */
#define HD_USAGE_NET_LISTINGS 3

/*
 * udev renames a NIC's interface just after its driver binds it, which
 * may be while another hook runs: an interface listed under one name may
 * be gone under it when its ifindex is read.  It is not gone, it has
 * another name, which only a new listing shows.  Any other error, or a
 * name that keeps vanishing, is the host's answer.
 */
static gboolean
hd_usage_check_netdevs(HdContext *ctx, HdUsageIndex *index, const char *function, gchar **reason, GError **error)
{
	for (guint listing = 1;; listing++) {
		g_autoptr(GError) local = NULL;

		if (hd_usage_check_netdevs_once(ctx, index, function, reason, &local))
			return TRUE;
		if (listing == HD_USAGE_NET_LISTINGS || !g_error_matches(local, HD_ERROR, HD_ERROR_NOT_FOUND)) {
			g_propagate_error(error, g_steal_pointer(&local));
			return FALSE;
		}
		g_clear_pointer(&index->net, hd_usage_class_free);
		g_clear_pointer(&index->uppers, g_hash_table_unref);
		g_hash_table_remove_all(index->lowers);
		g_free(*reason);
		*reason = NULL;
	}
}

/* ---- block devices ----------------------------------------------------- */

static GPtrArray *
hd_usage_block_slaves(HdContext *ctx, HdUsageIndex *index, const char *name)
{
	g_autofree gchar *slaves = g_build_filename("class/block", name, "slaves", NULL);

	return hd_sysfs_list(ctx->sysfs, slaves, NULL);
}

/* the device-mapper device /dev/mapper/@dm_name is, by its dm/name */
static gchar *
hd_usage_block_by_dm_name(HdContext *ctx, const char *dm_name)
{
	g_autoptr(GPtrArray) names = hd_sysfs_list(ctx->sysfs, "class/block", NULL);

	for (guint i = 0; names != NULL && i < names->len; i++) {
		const char *name = g_ptr_array_index(names, i);
		g_autofree gchar *path = g_build_filename("class/block", name, "dm", "name", NULL);
		g_autofree gchar *value = g_str_has_prefix(name, "dm-") ? hd_sysfs_read(ctx->sysfs, path, NULL) : NULL;

		if (g_strcmp0(value, dm_name) == 0)
			return g_strdup(name);
	}
	return NULL;
}

/* the block device a /dev path names: /dev/sda1, /dev/dm-0, /dev/mapper/vg-root */
static gchar *
hd_usage_block_by_path(HdContext *ctx, const char *source)
{
	const char *name = source + strlen("/dev/");
	g_autofree gchar *link = NULL;

	if (g_str_has_prefix(source, "/dev/mapper/"))
		return hd_usage_block_by_dm_name(ctx, source + strlen("/dev/mapper/"));
	if (!g_str_has_prefix(source, "/dev/") || *name == '.' || strchr(name, '/') != NULL)
		return NULL;
	link = g_build_filename("class/block", name, NULL);
	return hd_sysfs_exists(ctx->sysfs, link) ? g_strdup(name) : NULL;
}

/* ---- libmount, opened when a mount table is first read ----------------- */

typedef struct {
	__typeof__(mnt_new_table) *new_table;
	__typeof__(mnt_unref_table) *unref_table;
	__typeof__(mnt_table_parse_file) *parse_file;
	__typeof__(mnt_table_parse_swaps) *parse_swaps;
	__typeof__(mnt_new_iter) *new_iter;
	__typeof__(mnt_free_iter) *free_iter;
	__typeof__(mnt_table_next_fs) *next_fs;
	__typeof__(mnt_fs_get_devno) *fs_get_devno;
	__typeof__(mnt_fs_get_source) *fs_get_source;
	__typeof__(mnt_fs_get_target) *fs_get_target;
	__typeof__(mnt_fs_is_swaparea) *fs_is_swaparea;
} HdMntApi;

static const HdLazySymbol hd_mnt_symbols[] = {
	HD_LAZY_SYMBOL(HdMntApi, new_table, mnt_new_table),
	HD_LAZY_SYMBOL(HdMntApi, unref_table, mnt_unref_table),
	HD_LAZY_SYMBOL(HdMntApi, parse_file, mnt_table_parse_file),
	HD_LAZY_SYMBOL(HdMntApi, parse_swaps, mnt_table_parse_swaps),
	HD_LAZY_SYMBOL(HdMntApi, new_iter, mnt_new_iter),
	HD_LAZY_SYMBOL(HdMntApi, free_iter, mnt_free_iter),
	HD_LAZY_SYMBOL(HdMntApi, next_fs, mnt_table_next_fs),
	HD_LAZY_SYMBOL(HdMntApi, fs_get_devno, mnt_fs_get_devno),
	HD_LAZY_SYMBOL(HdMntApi, fs_get_source, mnt_fs_get_source),
	HD_LAZY_SYMBOL(HdMntApi, fs_get_target, mnt_fs_get_target),
	HD_LAZY_SYMBOL(HdMntApi, fs_is_swaparea, mnt_fs_is_swaparea),
};

static HdMntApi hd_mnt;

static HdLazyLibrary hd_mnt_library = {
	.soname = "libmount.so.1",
	.package = "libmount1",
	.symbols = hd_mnt_symbols,
	.n_symbols = G_N_ELEMENTS(hd_mnt_symbols),
	.table = &hd_mnt,
	.table_size = sizeof(hd_mnt),
};

typedef struct libmnt_table HdMntTable;
typedef struct libmnt_iter HdMntIter;

/* callable only once the library is open, as whatever made them did */
static void
hd_mnt_table_unref(HdMntTable *table)
{
	hd_mnt.unref_table(table);
}

static void
hd_mnt_iter_free(HdMntIter *iter)
{
	hd_mnt.free_iter(iter);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC(HdMntTable, hd_mnt_table_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(HdMntIter, hd_mnt_iter_free)

/*
 * The block device a mount or swap is on: by device number, where it is a
 * block device's (btrfs shows an anonymous one, swap none), or else by the
 * /dev path it was given.
 */
static gchar *
hd_usage_block_of(HdContext *ctx, struct libmnt_fs *fs)
{
	dev_t devno = hd_mnt.fs_get_devno(fs);
	const char *source = hd_mnt.fs_get_source(fs);

	if (major(devno) != 0) {
		g_autofree gchar *link = g_strdup_printf("dev/block/%u:%u", major(devno), minor(devno));
		g_autofree gchar *path = hd_usage_resolve(ctx, link, NULL);

		if (path != NULL)
			return g_path_get_basename(path);
	}
	return source != NULL ? hd_usage_block_by_path(ctx, source) : NULL;
}

/* @file under ctx->proc_root: self/mountinfo, or swaps */
static HdMntTable *
hd_usage_proc_table(HdContext *ctx, const char *file, GError **error)
{
	g_autofree gchar *path = g_build_filename(ctx->proc_root, file, NULL);
	const HdMntApi *mnt = hd_lazy_library_get(&hd_mnt_library, error);
	g_autoptr(HdMntTable) table = NULL;
	gboolean swaps = g_str_equal(file, "swaps");
	int rc;

	if (mnt == NULL)
		return NULL;
	table = mnt->new_table();
	rc = swaps ? mnt->parse_swaps(table, path) : mnt->parse_file(table, path);
	/* a kernel built without swap has no /proc/swaps */
	if (rc == 0 || (swaps && rc == -ENOENT))
		return g_steal_pointer(&table);
	g_set_error(error, HD_ERROR, HD_ERROR_FAILED, "cannot read %s: %s", path, g_strerror(-rc));
	return NULL;
}

/* "block device sda2 is a member of md0, a member of dm-0, mounted on /" */
static gchar *
hd_usage_block_reason(GPtrArray *chain, const char *use)
{
	GString *reason = g_string_new(NULL);

	g_string_printf(reason, "block device %s is ", (const char *)g_ptr_array_index(chain, chain->len - 1));
	for (guint i = chain->len - 1; i-- > 0;)
		g_string_append_printf(reason, "a member of %s, ", (const char *)g_ptr_array_index(chain, i));
	g_string_append(reason, use);
	return g_string_free(reason, FALSE);
}

/* the first mount (or swap) on a block device built on one of @leaves */
static gboolean
hd_usage_check_table(HdContext *ctx, HdUsageIndex *index, GPtrArray *leaves, const char *file, gchar **reason,
		     GError **error)
{
	g_autoptr(HdMntTable) table = hd_usage_proc_table(ctx, file, error);
	g_autoptr(HdMntIter) iter = NULL;
	struct libmnt_fs *fs;

	if (table == NULL)
		return FALSE;
	iter = hd_mnt.new_iter(MNT_ITER_FORWARD);
	while (*reason == NULL && hd_mnt.next_fs(table, iter, &fs) == 0) {
		g_autofree gchar *name = hd_usage_block_of(ctx, fs);
		g_autoptr(GPtrArray) chain = hd_usage_chain(ctx, index, hd_usage_block_slaves, leaves, name);
		g_autofree gchar *use = NULL;

		if (chain == NULL)
			continue;
		use = hd_mnt.fs_is_swaparea(fs) ? g_strdup("in use as swap")
						: g_strdup_printf("mounted on %s", hd_mnt.fs_get_target(fs));
		*reason = hd_usage_block_reason(chain, use);
	}
	return TRUE;
}

/* a stack nothing mounts still holds its members: an LVM volume, a RAID array */
static void
hd_usage_check_held(HdContext *ctx, GPtrArray *leaves, gchar **reason)
{
	for (guint i = 0; i < leaves->len && *reason == NULL; i++) {
		const char *name = g_ptr_array_index(leaves, i);
		g_autofree gchar *path = g_build_filename("class/block", name, "holders", NULL);
		g_autoptr(GPtrArray) holders = hd_sysfs_list(ctx->sysfs, path, NULL);

		if (holders != NULL && holders->len > 0)
			*reason = g_strdup_printf("block device %s is held by %s", name,
						  (const char *)g_ptr_array_index(holders, 0));
	}
}

static gboolean
hd_usage_check_blocks(HdContext *ctx, HdUsageIndex *index, const char *function, gchar **reason, GError **error)
{
	g_autoptr(GPtrArray) leaves = hd_usage_class_under(ctx, index, "class/block", function);

	/* most devices have no disk: /proc is not even read for them */
	if (leaves->len == 0)
		return TRUE;
	if (!hd_usage_check_table(ctx, index, leaves, "self/mountinfo", reason, error) ||
	    (*reason == NULL && !hd_usage_check_table(ctx, index, leaves, "swaps", reason, error)))
		return FALSE;
	if (*reason == NULL)
		hd_usage_check_held(ctx, leaves, reason);
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
hd_usage_check_indexed(HdContext *ctx, HdUsageIndex *index, const HdDeviceInfo *info, gchar **reason, GError **error)
{
	g_autofree gchar *dir = hd_function_attr_path(info->bdf, NULL);
	g_autofree gchar *function = hd_usage_resolve(ctx, dir, error);

	*reason = NULL;
	if (function == NULL)
		return FALSE;
	return hd_usage_check_netdevs(ctx, index, function, reason, error) &&
	       (*reason != NULL || hd_usage_check_blocks(ctx, index, function, reason, error)) &&
	       (*reason != NULL || hd_usage_check_console(ctx, dir, reason, error));
}

gboolean
hd_usage_check(HdContext *ctx, const HdDeviceInfo *info, gchar **reason, GError **error)
{
	g_autoptr(HdUsageIndex) index = hd_usage_index_new();

	return hd_usage_check_indexed(ctx, index, info, reason, error);
}
