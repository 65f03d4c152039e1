/*
 * hostdevctl plan: what prepare would do for a domain, changing nothing
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <stdio.h>
#include <stdlib.h>

#include "hd-config.h"
#include "hd-plan.h"
#include "hostdevctl.h"

static HdDomain *
hdctl_plan_read_domain(const char *path, GError **error)
{
	g_autofree gchar *contents = NULL;
	gsize len = 0;

	if (g_strcmp0(path, "-") != 0)
		return hd_domain_parse_file(path, error);
	{
		g_autoptr(GIOChannel) in = g_io_channel_unix_new(0);
		if (g_io_channel_set_encoding(in, NULL, error) != G_IO_STATUS_NORMAL ||
		    g_io_channel_read_to_end(in, &contents, &len, error) != G_IO_STATUS_NORMAL)
			return NULL;
	}
	return hd_domain_parse(contents, len, error);
}

int
hdctl_plan(int argc, char **argv)
{
	static const char summary[] =
	    "Show every PCI device the domain asks for and what the hook's "
	    "prepare would do with it.  Nothing is changed.  DOMAIN.xml may be "
	    "'-' for stdin.";
	g_auto(HdctlCommon) common = {0};
	g_autoptr(GError) error = NULL;
	g_autoptr(HdDomain) domain = NULL;
	g_autoptr(HdContext) ctx = NULL;
	g_autoptr(HdPlan) plan = NULL;
	g_autofree gchar *output = NULL;
	gboolean json = FALSE;
	const GOptionEntry entries[] = {
		{"json", 0, 0, G_OPTION_ARG_NONE, &json, "Print one JSON object", NULL},
		{NULL},
	};

	if (!hdctl_parse_options("plan", "DOMAIN.xml", summary, entries, &common, &argc, &argv))
		return EXIT_FAILURE;
	if (argc != 2) {
		fprintf(stderr, "hostdevctl: plan: expected one DOMAIN.xml argument\n");
		return 2;
	}

	domain = hdctl_plan_read_domain(argv[1], &error);
	if (domain == NULL)
		return hdctl_report_error(argv[1], error);
	ctx = hdctl_common_open(&common, &error);
	if (ctx == NULL)
		return hdctl_report_error("plan", error);
	plan = hd_plan_new_for_domain(ctx, NULL, g_steal_pointer(&domain), &error);
	if (plan == NULL)
		return hdctl_report_error(argv[1], error);

	output = json ? hd_plan_to_json(plan) : hd_plan_to_text(plan);
	fputs(output, stdout);
	if (json)
		fputc('\n', stdout);
	return EXIT_SUCCESS;
}
