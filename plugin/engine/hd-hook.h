/*
 * hd-hook.h: the engine's side of libvirt's hook protocol
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib.h>

#include "hd-context.h"
#include "hd-domain.h"
#include "hd-hook-op.h"

/* Run one hook invocation; hd_hook_exit_status() reports its failure. */
gboolean hd_hook_run(const HdHookArgs *args, const char *xml, gsize len, GError **error);

/*
 * What both engine modules do around their run (hd-hook-release.c):
 * logging to the system log and @args from libvirt's @argv first; then
 * the exit status for @failure (NULL: success), which it takes.  Only a failed prepare may
 * stop the domain: it prints the one line libvirt shows the `virsh start`
 * user, "hostdev-hook: <domain>: <device>: <reason>", and fails; any
 * other failure is logged, since libvirt ignores it.
 */
void hd_hook_module_start(HdHookArgs *args, char **argv);
int hd_hook_exit_status(const HdHookArgs *args, GError *failure);

/*
 * "release end" alone, from the domain's journal: hd-hook-release.c, apart
 * from the rest so that hostdev-hook-release.so links no XML parser.
 */
gboolean hd_hook_release(const HdHookArgs *args, GError **error);

/* prepare begin and release end on a context of the caller's (the tests'
 * simulated kernel); prepare takes @domain */
gboolean hd_hook_prepare_domain(HdContext *ctx, const char *name, HdDomain *domain, GError **error);
gboolean hd_hook_release_domain(HdContext *ctx, const char *name, GError **error);
