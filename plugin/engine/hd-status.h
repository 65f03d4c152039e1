/*
 * hd-status.h: every device hostdev-hook has lent out, as the host sees it now
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "hd-context.h"

gchar *hd_status_to_text(HdContext *ctx, GError **error);
gchar *hd_status_to_json(HdContext *ctx, GError **error);
