/*
 * hostdev-hook-engine.so: the part of the hook that prepares and reconnects
 *
 * Opened only by hostdev-hook, in its own process, once it has seen that
 * PCI devices may be involved in a "prepare begin" or "reconnect begin":
 * it parses the domain, plans and acts.  A module rather than a program,
 * because a second exec() is, under TCG, about 50 ms of every domain
 * start and stop that involves a device; the front stays libc-only and
 * loads GLib and the rest only through this.  A release opens
 * hostdev-hook-release.so instead, which has no XML parser.
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
	hd_hook_run(&args, xml, len, &error);
	return hd_hook_exit_status(&args, g_steal_pointer(&error));
}
