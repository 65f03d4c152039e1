/*
 * hostdevctl status: every device lent to a domain, with its drivers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <stdio.h>
#include <stdlib.h>

#include "hd-status.h"
#include "hostdevctl.h"

static gchar *
hdctl_status_report(HdContext *ctx, gboolean json, GError **error)
{
	return json ? hd_status_to_json(ctx, error) : hd_status_to_text(ctx, error);
}

int
hdctl_status(int argc, char **argv)
{
	static const char summary[] =
	    "List every PCI device hostdev-hook has lent to a domain: "
	    "its current and original driver, owner, IOMMU group and state.";

	return hdctl_print_report("status", summary, hdctl_status_report, argc, argv);
}
