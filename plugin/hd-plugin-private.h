/*
 * hd-plugin-private.h: the engine's side of the plugin interface
 *
 * Plugins do not include this: they cannot call each other or the runners.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "hd-plugin.h"

const HdPlugin *hd_plugin_for_hypervisor(HdHypervisor hypervisor);
const HdPlugin *hd_plugin_by_name(const char *name);

gboolean hd_plugin_runner_check(const HdPlugin *plugin, HdContext *ctx, const HdPlanDevice *dev, GError **error);
gboolean hd_plugin_runner_provision(const HdPlugin *plugin, HdContext *ctx, const HdPlanDevice *dev, GError **error);
gboolean hd_plugin_runner_bind(const HdPlugin *plugin,
			       HdContext *ctx,
			       const HdPlanDevice *dev,
			       HdStepFunc step,
			       gpointer step_data,
			       GError **error);
gboolean hd_plugin_runner_configure(const HdPlugin *plugin, HdContext *ctx, const HdPlanDevice *dev, GError **error);
gboolean hd_plugin_runner_unconfigure(const HdPlugin *plugin, HdContext *ctx, const HdJournalEntry *entry, GError **error);
gboolean hd_plugin_runner_unbind(const HdPlugin *plugin, HdContext *ctx, const HdJournalEntry *entry, GError **error);
gboolean hd_plugin_runner_unprovision(const HdPlugin *plugin, HdContext *ctx, const HdJournalEntry *entry, GError **error);
