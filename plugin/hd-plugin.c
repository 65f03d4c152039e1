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

const HdPlugin *
hd_plugin_by_name(const char *name)
{
	for (guint i = 0; i < G_N_ELEMENTS(hd_plugins); i++) {
		if (g_strcmp0(hd_plugins[i]->name, name) == 0)
			return hd_plugins[i];
	}
	return NULL;
}

/*
 * A slot that failed without saying why is a plugin bug; say so.  A check's
 * refusal is prefixed with the plugin's name; the other slots' errors come
 * from sequences that name the driver and the file themselves, and a prefix
 * would only repeat the driver in the user's one line.
 */
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
	if (g_strcmp0(slot, "check") == 0)
		g_propagate_prefixed_error(error, local, "%s: ", plugin->name);
	else
		g_propagate_error(error, local);
	return FALSE;
}

/*
 * Every runner: an empty slot is success; the call and the check of its
 * result are separate statements because C leaves the evaluation order of
 * function arguments unspecified, and @local is written by the call.
 */
#define HD_PLUGIN_RUN(plugin, slot, ...)                                              \
	G_STMT_START                                                                  \
	{                                                                             \
		GError *local = NULL;                                                 \
		gboolean ok;                                                          \
		if ((plugin)->slot == NULL)                                           \
			return TRUE;                                                  \
		ok = (plugin)->slot(__VA_ARGS__, &local);                             \
		return hd_plugin_runner_finish((plugin), #slot, ok, local, error);    \
	}                                                                             \
	G_STMT_END

gboolean
hd_plugin_runner_check(const HdPlugin *plugin, HdContext *ctx, const HdPlanDevice *dev, GError **error)
{
	HD_PLUGIN_RUN(plugin, check, ctx, dev);
}

gboolean
hd_plugin_runner_provision(const HdPlugin *plugin, HdContext *ctx, const HdPlanDevice *dev, GError **error)
{
	HD_PLUGIN_RUN(plugin, provision, ctx, dev);
}

gboolean
hd_plugin_runner_bind(const HdPlugin *plugin,
		      HdContext *ctx,
		      const HdPlanDevice *dev,
		      HdStepFunc step,
		      gpointer step_data,
		      GError **error)
{
	HD_PLUGIN_RUN(plugin, bind, ctx, dev, step, step_data);
}

gboolean
hd_plugin_runner_configure(const HdPlugin *plugin, HdContext *ctx, const HdPlanDevice *dev, GError **error)
{
	HD_PLUGIN_RUN(plugin, configure, ctx, dev);
}

gboolean
hd_plugin_runner_unconfigure(const HdPlugin *plugin, HdContext *ctx, const HdJournalEntry *entry, GError **error)
{
	HD_PLUGIN_RUN(plugin, unconfigure, ctx, entry);
}

gboolean
hd_plugin_runner_unbind(const HdPlugin *plugin, HdContext *ctx, const HdJournalEntry *entry, GError **error)
{
	HD_PLUGIN_RUN(plugin, unbind, ctx, entry);
}

gboolean
hd_plugin_runner_unprovision(const HdPlugin *plugin, HdContext *ctx, const HdJournalEntry *entry, GError **error)
{
	HD_PLUGIN_RUN(plugin, unprovision, ctx, entry);
}
