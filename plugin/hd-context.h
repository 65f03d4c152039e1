/*
 * hd-context.h: what every engine operation needs: roots and policy
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib.h>

#include "hd-pci.h"
#include "hd-policy.h"
#include "hd-sysfs.h"

typedef struct {
	HdSysfs *sysfs;
	HdPolicy *policy;
	gchar *state_dir;
	HdPci *pci; /* opened on first use: most hook runs never need it */
	/* pci.ids names are for people: loading the database costs the hook
	 * tens of milliseconds, so only the admin tool asks for them */
	gboolean want_names;
} HdContext;

HdContext *hd_context_new(const char *sysfs_root, const char *policy_path, GError **error);
void hd_context_free(HdContext *ctx);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(HdContext, hd_context_free)

HdPci *hd_context_get_pci(HdContext *ctx, GError **error);
