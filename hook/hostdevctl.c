/*
 * hostdevctl: status, dry-run plans, recovery and imports for hostdev-hook
 *
 * One file per subcommand; this one only dispatches.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <stdio.h>
#include <stdlib.h>

#include "hd-config.h"
#include "hostdevctl.h"

static const struct {
	const char *name;
	HdctlCommand run;
	const char *summary;
} hdctl_commands[] = {
	{"plan", hdctl_plan, "Show what prepare would do for a domain, changing nothing"},
	{"status", hdctl_status, "List the devices lent to domains, with their drivers"},
	{"recover", hdctl_recover, "Restore the devices of a domain that is not running"},
	{"policy", hdctl_policy, "Check the policy and its drop-ins as the hook loads them: 'policy check'"},
	{"boot", hdctl_boot, "Bind the policy's [boot] devices and create its VFs; --undo gives them back"},
	{"assign", hdctl_assign, "Make a device assignable to domains (xl pci-assignable-add)"},
	{"unassign", hdctl_unassign, "Give an assigned device back to its driver (xl pci-assignable-remove)"},
	{"list-assignable", hdctl_list_assignable, "List the devices held assignable, at boot or by assign"},
	{"import-xend", hdctl_import_xend, "Turn xend's PCI permissive and quirks files into a policy drop-in"},
	{"attach", hdctl_attach, "Hot-plug a PCI device into a running domain, bound as prepare would"},
	{"detach", hdctl_detach, "Hot-unplug a PCI device and give it back to the host"},
};

/* --sysfs-root, --policy and --state-dir, which every subcommand takes */
static void
hdctl_common_add_entries(GOptionContext *context, HdctlCommon *common)
{
	const GOptionEntry entries[] = {
		{"sysfs-root", 0, 0, G_OPTION_ARG_FILENAME, &common->sysfs_root,
		 "Read devices under DIR instead of /sys", "DIR"},
		{"policy", 0, 0, G_OPTION_ARG_FILENAME, &common->policy_path,
		 "Policy file (default " HD_POLICY_FILE ")", "FILE"},
		{"state-dir", 0, 0, G_OPTION_ARG_FILENAME, &common->state_dir,
		 "Journal directory (default " HD_STATE_DIR ")", "DIR"},
		{NULL},
	};

	g_option_context_add_main_entries(context, entries, NULL);
}

void
hdctl_common_clear(HdctlCommon *common)
{
	g_clear_pointer(&common->sysfs_root, g_free);
	g_clear_pointer(&common->policy_path, g_free);
	g_clear_pointer(&common->state_dir, g_free);
}

typedef HdContext *(*HdctlContextNew)(const char *sysfs_root, const char *policy_path, GError **error);

/* the engine's context, made by @context_new, with names for people to read */
static HdContext *
hdctl_common_open_with(const HdctlCommon *common, HdctlContextNew context_new, GError **error)
{
	g_autoptr(HdContext) ctx = context_new(common->sysfs_root != NULL ? common->sysfs_root : "/sys",
					       common->policy_path != NULL ? common->policy_path : HD_POLICY_FILE,
					       error);

	if (ctx == NULL ||
	    !hd_context_set_state_dir(ctx, common->state_dir != NULL ? common->state_dir : HD_STATE_DIR, error))
		return NULL;
	ctx->want_names = TRUE;
	return g_steal_pointer(&ctx);
}

HdContext *
hdctl_common_open(const HdctlCommon *common, GError **error)
{
	return hdctl_common_open_with(common, hd_context_new, error);
}

HdContext *
hdctl_common_open_for_restore(const HdctlCommon *common, GError **error)
{
	return hdctl_common_open_with(common, hd_context_new_for_restore, error);
}

int
hdctl_report_error(const char *subject, const GError *error)
{
	fprintf(stderr, "hostdevctl: %s: %s\n", subject, error->message);
	return EXIT_FAILURE;
}

/* a subcommand's own options and the common ones; FALSE once reported */
gboolean
hdctl_parse_options(const char *command,
		    const char *parameter,
		    const char *summary,
		    const GOptionEntry *entries,
		    HdctlCommon *common,
		    int *argc,
		    char ***argv)
{
	g_autoptr(GOptionContext) context = g_option_context_new(parameter);
	g_autoptr(GError) error = NULL;

	g_option_context_set_summary(context, summary);
	g_option_context_add_main_entries(context, entries, NULL);
	hdctl_common_add_entries(context, common);
	if (g_option_context_parse(context, argc, argv, &error))
		return TRUE;
	hdctl_report_error(command, error);
	return FALSE;
}

int
hdctl_print_report(const char *command, const char *summary, HdctlReportFunc report, int argc, char **argv)
{
	g_auto(HdctlCommon) common = {0};
	g_autoptr(GError) error = NULL;
	g_autoptr(HdContext) ctx = NULL;
	g_autofree gchar *output = NULL;
	gboolean json = FALSE;
	const GOptionEntry entries[] = {
		{"json", 0, 0, G_OPTION_ARG_NONE, &json, "Print one JSON object", NULL},
		{NULL},
	};

	if (!hdctl_parse_options(command, NULL, summary, entries, &common, &argc, &argv))
		return EXIT_FAILURE;
	ctx = hdctl_common_open(&common, &error);
	if (ctx == NULL)
		return hdctl_report_error(command, error);
	output = report(ctx, json, &error);
	if (output == NULL)
		return hdctl_report_error(command, error);
	fputs(output, stdout);
	if (json)
		fputc('\n', stdout);
	return EXIT_SUCCESS;
}

static void
hdctl_usage(FILE *out)
{
	fprintf(out, "usage: hostdevctl COMMAND [OPTIONS...]\n\ncommands:\n");
	for (guint i = 0; i < G_N_ELEMENTS(hdctl_commands); i++)
		fprintf(out, "  %-12s %s\n", hdctl_commands[i].name, hdctl_commands[i].summary);
	fprintf(out, "\nRun 'hostdevctl COMMAND --help' for a command's options.\n");
}

int
main(int argc, char **argv)
{
	if (argc < 2) {
		hdctl_usage(stderr);
		return 2;
	}
	if (g_strcmp0(argv[1], "--help") == 0 || g_strcmp0(argv[1], "-h") == 0) {
		hdctl_usage(stdout);
		return EXIT_SUCCESS;
	}
	if (g_strcmp0(argv[1], "--version") == 0) {
		printf("hostdevctl %s\n", HD_VERSION);
		return EXIT_SUCCESS;
	}
	for (guint i = 0; i < G_N_ELEMENTS(hdctl_commands); i++) {
		if (g_strcmp0(argv[1], hdctl_commands[i].name) == 0)
			return hdctl_commands[i].run(argc - 1, argv + 1);
	}
	fprintf(stderr, "hostdevctl: unknown command '%s'\n\n", argv[1]);
	hdctl_usage(stderr);
	return 2;
}
