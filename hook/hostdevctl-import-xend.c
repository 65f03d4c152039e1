/*
 * hostdevctl import-xend: xend's PCI policy files as a policy drop-in
 *
 * For hosts moving from xend (Xen 4.4 and before) that still have
 * /etc/xen/xend-pci-permissive.sxp and xend-pci-quirks.sxp.  Nothing is
 * written unless both files import whole: a policy half-imported would
 * lend a device with fewer quirks than xend gave it.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <stdio.h>
#include <stdlib.h>

#include "hd-xend-import.h"
#include "hostdevctl.h"

/* the drop-in, replacing @path in one rename: a reader sees old or new */
static gboolean
hdctl_import_xend_write(const char *path, const char *text, GError **error)
{
	return g_file_set_contents_full(path, text, -1,
					G_FILE_SET_CONTENTS_CONSISTENT | G_FILE_SET_CONTENTS_DURABLE, 0644, error);
}

int
hdctl_import_xend(int argc, char **argv)
{
	static const char summary[] =
	    "Turn xend's xend-pci-permissive.sxp and xend-pci-quirks.sxp into a "
	    "hostdev-hook policy drop-in, matching devices as xend did, and print "
	    "it.  On any error nothing is written.";
	g_auto(HdctlCommon) common = {0};
	g_autoptr(GError) error = NULL;
	g_autofree gchar *output_path = NULL;
	g_autofree gchar *text = NULL;
	const GOptionEntry entries[] = {
		{"output", 'o', 0, G_OPTION_ARG_FILENAME, &output_path, "Write the drop-in to FILE, not stdout",
		 "FILE"},
		{NULL},
	};

	if (!hdctl_parse_options("import-xend", "PERMISSIVE.sxp QUIRKS.sxp", summary, entries, &common, &argc,
				 &argv))
		return EXIT_FAILURE;
	if (argc != 3) {
		fprintf(stderr, "hostdevctl: import-xend: expected PERMISSIVE.sxp and QUIRKS.sxp\n");
		return 2;
	}

	text = hd_xend_import(argv[1], argv[2], &error);
	if (text == NULL)
		return hdctl_report_error("import-xend", error);
	if (output_path != NULL) {
		if (!hdctl_import_xend_write(output_path, text, &error))
			return hdctl_report_error("import-xend", error);
		return EXIT_SUCCESS;
	}
	/* a full disk behind stdout is an error too, not a short policy */
	if (fputs(text, stdout) == EOF || fflush(stdout) != 0) {
		fprintf(stderr, "hostdevctl: import-xend: cannot write to stdout\n");
		return EXIT_FAILURE;
	}
	return EXIT_SUCCESS;
}
