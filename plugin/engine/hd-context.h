/*
 * hd-context.h: what every engine operation needs: roots and policy
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib.h>

#include "hd-pci.h"
#include "hd-plugin.h"
#include "hd-policy.h"
#include "hd-sysfs.h"

/* loads a kernel module: libkmod on a host, a simulated kernel in tests */
typedef gboolean (*HdModuleLoadFunc)(const char *module, gpointer user_data, GError **error);

/* how the host uses network interface @ifindex: netlink on a host */
typedef gboolean (*HdNetdevUseFunc)(int ifindex, gpointer user_data, gchar **reason, GError **error);

struct _HdContext {
	HdSysfs *sysfs;
	gchar *proc_root; /* "/proc": mounts and swaps, for the in-use checks */
	HdPolicy *policy; /* NULL until first asked for, in a restore's context */
	gchar *policy_path; /* a restore's, read when first asked for */
	gchar *state_dir;
	HdPci *pci; /* opened on first use: most hook runs never need it */
	/* pci.ids names are for people: loading the database costs the hook
	 * tens of milliseconds, so only the admin tool asks for them */
	gboolean want_names;
	HdModuleLoadFunc load_module;
	gpointer load_module_data;
	HdNetdevUseFunc netdev_use;
	gpointer netdev_use_data;
	gchar *modules_dir; /* NULL: /lib/modules/$(uname -r) */
	gchar *libvirt_run_dir; /* "/run/libvirt": the domains' pid files */
	GHashTable *plugin_ops; /* plugin name -> HdPluginOps: the tests' simulations */
	/* threads the engine may run units on at once: 1 runs them in order */
	guint max_workers;
	GMutex shared_lock; /* what units share: see hd_context_get_pci() */
};

/* IOMMU groups are few per domain; past this, threads only add contention */
#define HD_CONTEXT_MAX_WORKERS 8

HdContext *hd_context_new(const char *sysfs_root, const char *policy_path, GError **error);
/*
 * For giving devices back from a journal, which needs no permission: the
 * policy is read only if a restore asks for it (a driver that binds late
 * is waited for as long as [bind] timeout-ms says), and one that cannot
 * be read gives way to the defaults, with a warning, rather than keep
 * devices from going back.
 */
HdContext *hd_context_new_for_restore(const char *sysfs_root, const char *policy_path, GError **error);
gboolean hd_context_set_state_dir(HdContext *ctx, const char *state_dir, GError **error);
void hd_context_free(HdContext *ctx);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(HdContext, hd_context_free)

HdPci *hd_context_get_pci(HdContext *ctx, GError **error);
