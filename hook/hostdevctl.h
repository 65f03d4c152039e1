/*
 * hostdevctl.h: what every subcommand of the admin tool shares
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib.h>

#include "hd-context.h"

typedef struct {
	gchar *sysfs_root;
	gchar *policy_path;
	gchar *state_dir;
} HdctlCommon;

typedef int (*HdctlCommand)(int argc, char **argv);

/* --sysfs-root and --policy, for every subcommand's option context */
void hdctl_common_add_entries(GOptionContext *context, HdctlCommon *common);
void hdctl_common_clear(HdctlCommon *common);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(HdctlCommon, hdctl_common_clear)

int hdctl_report_error(const char *subject, const GError *error);
HdContext *hdctl_common_open(const HdctlCommon *common, GError **error);

int hdctl_plan(int argc, char **argv);
int hdctl_status(int argc, char **argv);
int hdctl_recover(int argc, char **argv);
