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

/*
 * Run one hook invocation.  On failure the error's message is the line for
 * libvirt, without our program name: "<domain>: <device>: <reason>".
 */
gboolean hd_hook_run(const HdHookArgs *args, const char *xml, gsize len, GError **error);

/*
 * "release end" alone, from the domain's journal: hd-hook-release.c, apart
 * from the rest so that hostdev-hook-release.so links no XML parser.
 */
gboolean hd_hook_release(const HdHookArgs *args, GError **error);

/* the context of @args' roots, for any operation */
HdContext *hd_hook_open(const HdHookArgs *args, GError **error);

/* prepare begin and release end on a context of the caller's (the tests'
 * simulated kernel); prepare takes @domain */
gboolean hd_hook_prepare_domain(HdContext *ctx, const char *name, HdDomain *domain, GError **error);
gboolean hd_hook_release_domain(HdContext *ctx, const char *name, GError **error);
