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

void hdctl_common_clear(HdctlCommon *common);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(HdctlCommon, hdctl_common_clear)

int hdctl_report_error(const char *subject, const GError *error);

/* a read-only report, as text or with --json as one JSON object */
typedef gchar *(*HdctlReportFunc)(HdContext *ctx, gboolean json, GError **error);
int hdctl_print_report(const char *command, const char *summary, HdctlReportFunc report, int argc, char **argv);
gboolean hdctl_parse_options(const char *command,
			     const char *parameter,
			     const char *summary,
			     const GOptionEntry *entries,
			     HdctlCommon *common,
			     int *argc,
			     char ***argv);
HdContext *hdctl_common_open(const HdctlCommon *common, GError **error);
/* for giving devices back: the policy only if a restore waits, and its
 * defaults if it cannot be read (hd_context_new_for_restore()) */
HdContext *hdctl_common_open_for_restore(const HdctlCommon *common, GError **error);

int hdctl_plan(int argc, char **argv);
int hdctl_status(int argc, char **argv);
int hdctl_recover(int argc, char **argv);
int hdctl_import_xend(int argc, char **argv);
int hdctl_policy(int argc, char **argv);
int hdctl_attach(int argc, char **argv);
int hdctl_detach(int argc, char **argv);
int hdctl_boot(int argc, char **argv);
int hdctl_assign(int argc, char **argv);
int hdctl_unassign(int argc, char **argv);
int hdctl_list_assignable(int argc, char **argv);
/* --hypervisor NAME, else what @driver or the host says (hostdevctl-boot.c) */
gboolean hdctl_host_hypervisor(HdContext *ctx, const char *name, const char *driver, HdHypervisor *out,
			       GError **error);
