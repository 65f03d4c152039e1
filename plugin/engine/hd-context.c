/*
 * hd-context.c: what every engine operation needs: roots and policy
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "hd-context.h"

#include <sys/utsname.h>

#include "hd-config.h"
#include "hd-error.h"
#include "hd-kmod.h"
#include "hd-log.h"
#include "hd-testing.h"
#include "hd-usage.h"

/* everything but the policy */
static HdContext *
hd_context_new_bare(const char *sysfs_root, GError **error)
{
	g_autoptr(HdContext) ctx = g_new0(HdContext, 1);

	ctx->sysfs = hd_sysfs_new(sysfs_root, error);
	if (ctx->sysfs == NULL)
		return NULL;
	ctx->load_module = hd_kmod_load;
	ctx->netdev_use = hd_usage_netdev_netlink;
	ctx->proc_root = g_strdup("/proc");
	ctx->libvirt_run_dir = g_strdup("/run/libvirt");
	ctx->max_workers = HD_CONTEXT_MAX_WORKERS;
#ifdef HD_FAULT_INJECTION
	/* units one at a time, so that the Nth mutation names the same point
	 * on every run (hd-sysfs.c) */
	if (hd_fault_injection_active())
		ctx->max_workers = 1;
#endif
	g_mutex_init(&ctx->shared_lock);
	return g_steal_pointer(&ctx);
}

HdContext *
hd_context_new(const char *sysfs_root, const char *policy_path, GError **error)
{
	g_autoptr(HdContext) ctx = hd_context_new_bare(sysfs_root, error);

	if (ctx == NULL)
		return NULL;
	/* exactly what `hostdevctl policy check` shows: the file and its drop-ins */
	ctx->policy = hd_policy_load_dirs(policy_path, hd_policy_default_dropin_dirs(), error);
	if (ctx->policy == NULL)
		return NULL;
	return g_steal_pointer(&ctx);
}

HdContext *
hd_context_new_for_restore(const char *sysfs_root, const char *policy_path, GError **error)
{
	HdContext *ctx = hd_context_new_bare(sysfs_root, error);

	if (ctx != NULL)
		ctx->policy_path = g_strdup(policy_path);
	return ctx;
}

void
hd_context_free(HdContext *ctx)
{
	if (ctx == NULL)
		return;
	hd_sysfs_free(ctx->sysfs);
	hd_policy_free(ctx->policy);
	g_free(ctx->policy_path);
	g_free(ctx->state_dir);
	g_free(ctx->proc_root);
	g_free(ctx->modules_dir);
	g_free(ctx->libvirt_run_dir);
	if (ctx->plugin_ops != NULL)
		g_hash_table_unref(ctx->plugin_ops);
	hd_pci_free(ctx->pci);
	g_mutex_clear(&ctx->shared_lock);
	g_free(ctx);
}

/*
 * The engine's units run on threads (hd-engine.c) and share the context.
 * What a context makes lazily, libkmod's and libpci's handles among it, is
 * made under its lock, and modules are loaded under it: libkmod is not safe
 * to share.  libpci is used by planning alone, which runs on one thread.
 */
HdPci *
hd_context_get_pci(HdContext *ctx, GError **error)
{
	g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&ctx->shared_lock);

	if (ctx->pci == NULL)
		ctx->pci = hd_pci_new(hd_sysfs_get_root(ctx->sysfs), error);
	return ctx->pci;
}

/* the journals' directory; the state lock creates it when something acts */
gboolean
hd_context_set_state_dir(HdContext *ctx, const char *state_dir, GError **error)
{
	/* like the real /sys, the host's own journals are out of a test's reach */
	if (!hd_testing_guard_path("state directory", state_dir, HD_STATE_DIR, error))
		return FALSE;
	g_free(ctx->state_dir);
	ctx->state_dir = g_strdup(state_dir);
	return TRUE;
}

HdSysfs *
hd_context_get_sysfs(HdContext *ctx)
{
	return ctx->sysfs;
}

/* a restore's context reads it here, once, on the first thread to ask */
const HdPolicy *
hd_context_get_policy(HdContext *ctx)
{
	HdPolicy *policy = g_atomic_pointer_get(&ctx->policy);
	g_autoptr(GMutexLocker) locker = NULL;
	g_autoptr(GError) error = NULL;

	if (policy != NULL)
		return policy;
	locker = g_mutex_locker_new(&ctx->shared_lock);
	if (ctx->policy != NULL)
		return ctx->policy;
	policy = hd_policy_load_dirs(ctx->policy_path, hd_policy_default_dropin_dirs(), &error);
	if (policy == NULL) {
		hd_log_action(G_LOG_LEVEL_WARNING, NULL, NULL, "restore", "the policy's defaults instead: %s",
			      error->message);
		policy = hd_policy_new_default();
	}
	g_atomic_pointer_set(&ctx->policy, policy);
	return policy;
}

gboolean
hd_context_load_module(HdContext *ctx, const char *module, GError **error)
{
	g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&ctx->shared_lock);

	return ctx->load_module(module, ctx->load_module_data, error);
}

const char *
hd_context_get_modules_dir(HdContext *ctx)
{
	g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&ctx->shared_lock);
	struct utsname uts;

	/* the test suite sets its own, or does without: the host's module
	 * tree would make results depend on the machine */
	if (ctx->modules_dir == NULL && !hd_testing_active() && uname(&uts) == 0)
		ctx->modules_dir = g_build_filename("/lib/modules", uts.release, NULL);
	return ctx->modules_dir;
}

typedef struct {
	gconstpointer ops;
	gpointer data;
} HdPluginOps;

void
hd_context_set_plugin_ops(HdContext *ctx, const char *plugin, gconstpointer ops, gpointer data)
{
	HdPluginOps *entry = g_new0(HdPluginOps, 1);

	if (ctx->plugin_ops == NULL)
		ctx->plugin_ops = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	entry->ops = ops;
	entry->data = data;
	g_hash_table_replace(ctx->plugin_ops, g_strdup(plugin), entry);
}

gconstpointer
hd_context_get_plugin_ops(HdContext *ctx, const char *plugin, gpointer *data)
{
	const HdPluginOps *entry = ctx->plugin_ops != NULL ? g_hash_table_lookup(ctx->plugin_ops, plugin) : NULL;

	*data = entry != NULL ? entry->data : NULL;
	return entry != NULL ? entry->ops : NULL;
}
