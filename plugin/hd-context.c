/*
 * hd-context.c: what every engine operation needs: roots and policy
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "hd-context.h"

#include "hd-config.h"
#include "hd-error.h"
#include "hd-kmod.h"
#include "hd-usage.h"

HdContext *
hd_context_new(const char *sysfs_root, const char *policy_path, GError **error)
{
	g_autoptr(HdContext) ctx = g_new0(HdContext, 1);

	ctx->sysfs = hd_sysfs_new(sysfs_root, error);
	if (ctx->sysfs == NULL)
		return NULL;
	ctx->policy = hd_policy_load(policy_path, error);
	if (ctx->policy == NULL)
		return NULL;
	ctx->load_module = hd_kmod_load;
	ctx->netdev_use = hd_usage_netdev_netlink;
	ctx->proc_root = g_strdup("/proc");
	return g_steal_pointer(&ctx);
}

void
hd_context_free(HdContext *ctx)
{
	if (ctx == NULL)
		return;
	hd_sysfs_free(ctx->sysfs);
	hd_policy_free(ctx->policy);
	g_free(ctx->state_dir);
	g_free(ctx->proc_root);
	hd_pci_free(ctx->pci);
	g_free(ctx);
}

HdPci *
hd_context_get_pci(HdContext *ctx, GError **error)
{
	if (ctx->pci == NULL)
		ctx->pci = hd_pci_new(hd_sysfs_get_root(ctx->sysfs), error);
	return ctx->pci;
}

/* the journals' directory; the state lock creates it when something acts */
gboolean
hd_context_set_state_dir(HdContext *ctx, const char *state_dir, GError **error)
{
	/* like the real /sys, the host's own journals are out of a test's reach */
	if (g_getenv(HD_TESTING_ENV) != NULL && g_strcmp0(state_dir, HD_STATE_DIR) == 0) {
		g_set_error(error, HD_ERROR, HD_ERROR_PERMISSION_DENIED,
			    "refusing state directory %s under the test suite (%s is set)", state_dir, HD_TESTING_ENV);
		return FALSE;
	}
	g_free(ctx->state_dir);
	ctx->state_dir = g_strdup(state_dir);
	return TRUE;
}
