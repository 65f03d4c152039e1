/*
 * hd-bind.h: moving one PCI device between drivers through sysfs
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "hd-context.h"
#include "hd-journal.h"

/* called with the step about to happen, before the write that makes it:
 * the engine journals it, durably, there */
typedef gboolean (*HdStepFunc)(HdJournalStep step, gpointer user_data, GError **error);

gboolean hd_bind_read_state(HdContext *ctx, const char *bdf, gchar **driver, gchar **override, GError **error);
gboolean hd_bind_ensure_driver(HdContext *ctx, const char *driver, GError **error);
gboolean hd_bind_with_override(HdContext *ctx,
			       const char *bdf,
			       const char *driver,
			       HdStepFunc step,
			       gpointer step_data,
			       GError **error);
gboolean hd_bind_restore(HdContext *ctx, const HdJournalEntry *entry, GError **error);

/* the steps hd_bind_with_override() will take, in words, for plans */
GPtrArray *hd_bind_describe(HdContext *ctx, const char *bdf, const char *current_driver, const char *driver);
