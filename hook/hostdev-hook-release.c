/*
 * hostdev-hook-release.so: the part of the hook that gives devices back
 *
 * Opened only by hostdev-hook, in its own process, for "release end" of a
 * domain that has a journal.  The journal says everything a release
 * needs, so this module links neither the XML parser nor the libraries
 * only planning uses (hd-hook-release.c): it loads faster than
 * hostdev-hook-engine.so, and a release is on the path of every domain's
 * stop.  It never reads the domain XML.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "hd-hook.h"

int
hd_hook_module_main(int argc, char **argv, const char *xml, size_t len)
{
	g_autoptr(GError) error = NULL;
	HdHookArgs args;

	hd_hook_module_start(&args, argv);
	hd_hook_release(&args, &error);
	return hd_hook_exit_status(&args, g_steal_pointer(&error));
}
