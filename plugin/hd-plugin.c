/*
 * hd-plugin.c: the registry of built-in plugins and their runners
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "hd-plugin-private.h"

#include "hd-error.h"

/* each plugin directory defines one of these; no dlopen(), no ABI */
extern const HdPlugin hd_vfio_plugin;
extern const HdPlugin hd_pciback_plugin;

static const HdPlugin *const hd_plugins[] = {
	&hd_vfio_plugin,
	&hd_pciback_plugin,
};

const HdPlugin *
hd_plugin_for_hypervisor(HdHypervisor hypervisor)
{
	for (guint i = 0; i < G_N_ELEMENTS(hd_plugins); i++) {
		if (hd_plugins[i]->hypervisor == hypervisor)
			return hd_plugins[i];
	}
	return NULL;
}

/* a slot that failed without saying why is a plugin bug; say so */
static gboolean
hd_plugin_runner_finish(const HdPlugin *plugin, const char *slot, gboolean ok, GError *local, GError **error)
{
	if (ok) {
		g_clear_error(&local);
		return TRUE;
	}
	if (local == NULL) {
		g_set_error(error, HD_ERROR, HD_ERROR_INTERNAL,
			    "plugin %s failed in %s() without an error", plugin->name, slot);
		return FALSE;
	}
	g_propagate_prefixed_error(error, local, "%s: ", plugin->name);
	return FALSE;
}

gboolean
hd_plugin_runner_check(const HdPlugin *plugin, HdContext *ctx, const HdPlanDevice *dev, GError **error)
{
	GError *local = NULL;
	gboolean ok;

	if (plugin->check == NULL)
		return TRUE;
	/* two statements: argument evaluation order is unspecified in C */
	ok = plugin->check(ctx, dev, &local);
	return hd_plugin_runner_finish(plugin, "check", ok, local, error);
}
