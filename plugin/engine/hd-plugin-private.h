/*
 * hd-plugin-private.h: the engine's side of the plugin interface
 *
 * Plugins do not include this: they cannot call each other or the runners.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "hd-plugin.h"

/* NULL-terminated, in plugin/meson.build's order; generated at build time */
extern const HdPlugin *const hd_builtin_plugins[];

const HdPlugin *hd_plugin_by_name(const char *name);
gboolean hd_plugin_has_phase(const HdPlugin *plugin, HdPhase phase);

gboolean hd_plugin_runner_select(const HdPlugin *plugin, HdContext *ctx, const HdDevice *dev);
gboolean hd_plugin_runner_check(const HdPlugin *plugin, HdContext *ctx, HdDevice *dev, GError **error);
gboolean hd_plugin_runner_expand(const HdPlugin *plugin, HdContext *ctx, HdDevice *dev, GError **error);
void hd_plugin_runner_describe(const HdPlugin *plugin, HdContext *ctx, const HdDevice *dev, GPtrArray *steps);
gboolean hd_plugin_runner_do(const HdPlugin *plugin,
			     HdPhase phase,
			     HdContext *ctx,
			     const HdDevice *dev,
			     HdEntry *entry,
			     GError **error);
gboolean hd_plugin_runner_undo(const HdPlugin *plugin, HdPhase phase, HdContext *ctx, HdEntry *entry, GError **error);
