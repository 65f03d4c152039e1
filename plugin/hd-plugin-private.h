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

gboolean hd_plugin_runner_check(const HdPlugin *plugin,
				HdContext *ctx,
				const HdPlanDevice *dev,
				GError **error);
