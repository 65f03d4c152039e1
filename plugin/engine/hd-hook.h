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

typedef struct {
	const char *argv0;	   /* where libvirt found us: tells qemu.d from libxl.d */
	const char *domain_name;   /* argv[1] */
	const char *operation;	   /* argv[2] */
	const char *sub_operation; /* argv[3] */
	const char *sysfs_root;
	const char *policy_path;
	const char *state_dir;
} HdHookArgs;

/*
 * Run one hook invocation.  On failure the error's message is the line for
 * libvirt, without our program name: "<domain>: <device>: <reason>".
 */
gboolean hd_hook_run(const HdHookArgs *args, const char *xml, gsize len, GError **error);

/* prepare begin and release end on a context of the caller's (the tests'
 * simulated kernel); prepare takes @domain */
gboolean hd_hook_prepare_domain(HdContext *ctx, const char *name, HdDomain *domain, GError **error);
gboolean hd_hook_release_domain(HdContext *ctx, const char *name, GError **error);
