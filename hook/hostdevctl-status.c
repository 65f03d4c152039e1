/*
 * hostdevctl status: every device lent to a domain, with its drivers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <stdio.h>
#include <stdlib.h>

#include "hd-status.h"
#include "hostdevctl.h"

int
hdctl_status(int argc, char **argv)
{
	static const char summary[] =
	    "List every PCI device hostdev-hook has lent to a domain: "
	    "its current and original driver, owner, IOMMU group and state.";
	g_auto(HdctlCommon) common = {0};
	g_autoptr(GError) error = NULL;
	g_autoptr(HdContext) ctx = NULL;
	g_autofree gchar *output = NULL;
	gboolean json = FALSE;
	const GOptionEntry entries[] = {
		{"json", 0, 0, G_OPTION_ARG_NONE, &json, "Print one JSON object", NULL},
		{NULL},
	};

	if (!hdctl_parse_options("status", NULL, summary, entries, &common, &argc, &argv))
		return EXIT_FAILURE;
	ctx = hdctl_common_open(&common, &error);
	if (ctx == NULL)
		return hdctl_report_error("status", error);
	output = json ? hd_status_to_json(ctx, &error) : hd_status_to_text(ctx, &error);
	if (output == NULL)
		return hdctl_report_error("status", error);
	fputs(output, stdout);
	if (json)
		fputc('\n', stdout);
	return EXIT_SUCCESS;
}
