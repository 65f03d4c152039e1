/*
 * hd-plugin.c: finding plugins, and the runners that call their slots
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "hd-plugin-private.h"

#include "hd-error.h"

const HdPlugin *
hd_plugin_by_name(const char *name)
{
	for (guint i = 0; hd_builtin_plugins[i] != NULL; i++) {
		if (g_strcmp0(hd_builtin_plugins[i]->name, name) == 0)
			return hd_builtin_plugins[i];
	}
	return NULL;
}

gboolean
hd_plugin_has_phase(const HdPlugin *plugin, HdPhase phase)
{
	switch (phase) {
	case HD_PHASE_PROVISION:
		return plugin->provision != NULL;
	case HD_PHASE_BIND:
		return plugin->bind != NULL;
	case HD_PHASE_CONFIGURE:
	default:
		return plugin->configure != NULL;
	}
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
		g_set_error(error, HD_ERROR, HD_ERROR_INTERNAL, "plugin %s failed in %s() without an error",
			    plugin->name, slot);
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
#define HD_PLUGIN_RUN(plugin, slot, ...)                                           \
	G_STMT_START                                                               \
	{                                                                          \
		GError *local = NULL;                                              \
		gboolean ok;                                                       \
		if ((plugin)->slot == NULL)                                        \
			return TRUE;                                               \
		ok = (plugin)->slot(__VA_ARGS__, &local);                          \
		return hd_plugin_runner_finish((plugin), #slot, ok, local, error); \
	}                                                                          \
	G_STMT_END

gboolean
hd_plugin_runner_select(const HdPlugin *plugin, HdContext *ctx, const HdDevice *dev)
{
	return plugin->select != NULL && plugin->select(ctx, dev);
}

gboolean
hd_plugin_runner_check(const HdPlugin *plugin, HdContext *ctx, HdDevice *dev, GError **error)
{
	HD_PLUGIN_RUN(plugin, check, ctx, dev);
}

gboolean
hd_plugin_runner_expand(const HdPlugin *plugin, HdContext *ctx, HdDevice *dev, GError **error)
{
	HD_PLUGIN_RUN(plugin, expand, ctx, dev);
}

void
hd_plugin_runner_describe(const HdPlugin *plugin, HdContext *ctx, const HdDevice *dev, GPtrArray *steps)
{
	if (plugin->describe != NULL)
		plugin->describe(ctx, dev, steps);
}

static gboolean
hd_plugin_runner_provision(const HdPlugin *plugin, HdContext *ctx, const HdDevice *dev, HdEntry *entry, GError **error)
{
	HD_PLUGIN_RUN(plugin, provision, ctx, dev, entry);
}

static gboolean
hd_plugin_runner_bind(const HdPlugin *plugin, HdContext *ctx, const HdDevice *dev, HdEntry *entry, GError **error)
{
	HD_PLUGIN_RUN(plugin, bind, ctx, dev, entry);
}

static gboolean
hd_plugin_runner_configure(const HdPlugin *plugin, HdContext *ctx, const HdDevice *dev, HdEntry *entry, GError **error)
{
	HD_PLUGIN_RUN(plugin, configure, ctx, dev, entry);
}

gboolean
hd_plugin_runner_do(const HdPlugin *plugin,
		    HdPhase phase,
		    HdContext *ctx,
		    const HdDevice *dev,
		    HdEntry *entry,
		    GError **error)
{
	switch (phase) {
	case HD_PHASE_PROVISION:
		return hd_plugin_runner_provision(plugin, ctx, dev, entry, error);
	case HD_PHASE_BIND:
		return hd_plugin_runner_bind(plugin, ctx, dev, entry, error);
	case HD_PHASE_CONFIGURE:
	default:
		return hd_plugin_runner_configure(plugin, ctx, dev, entry, error);
	}
}

static gboolean
hd_plugin_runner_unprovision(const HdPlugin *plugin, HdContext *ctx, HdEntry *entry, GError **error)
{
	HD_PLUGIN_RUN(plugin, unprovision, ctx, entry);
}

static gboolean
hd_plugin_runner_unbind(const HdPlugin *plugin, HdContext *ctx, HdEntry *entry, GError **error)
{
	HD_PLUGIN_RUN(plugin, unbind, ctx, entry);
}

static gboolean
hd_plugin_runner_unconfigure(const HdPlugin *plugin, HdContext *ctx, HdEntry *entry, GError **error)
{
	HD_PLUGIN_RUN(plugin, unconfigure, ctx, entry);
}

gboolean
hd_plugin_runner_undo(const HdPlugin *plugin, HdPhase phase, HdContext *ctx, HdEntry *entry, GError **error)
{
	switch (phase) {
	case HD_PHASE_PROVISION:
		return hd_plugin_runner_unprovision(plugin, ctx, entry, error);
	case HD_PHASE_BIND:
		return hd_plugin_runner_unbind(plugin, ctx, entry, error);
	case HD_PHASE_CONFIGURE:
	default:
		return hd_plugin_runner_unconfigure(plugin, ctx, entry, error);
	}
}
