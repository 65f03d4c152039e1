/*
 * hostdevctl-hotplug.h: the host's side of `hostdevctl attach` and `detach`
 *
 * Everything here works on the engine and the state directory only; the
 * libvirt calls are in hostdevctl-virt.c.  Kept apart so that the unit
 * tests drive the same code on the simulated sysfs, with no libvirt.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib.h>

#include "hd-context.h"
#include "hd-domain.h"
#include "hd-plan.h"

/* what an attach or detach changes, once --live, --config, --current and
 * the domain's state are weighed as virsh weighs them */
typedef struct {
	gboolean live;	 /* the running guest: we bind now, or restore after */
	gboolean config; /* the persistent definition: the hook acts at the next start */
} HdctlScope;

gboolean hdctl_scope_check_options(gboolean live, gboolean config, gboolean current, GError **error);
gboolean hdctl_scope_resolve(gboolean live,
			     gboolean config,
			     gboolean running,
			     const char *domain,
			     HdctlScope *scope,
			     GError **error);

/* the element to hot-plug, from FILE or "-" for stdin */
gchar *hdctl_hotplug_read_device(const char *path, gsize *len, GError **error);
/* the first device a hot-plug element asks for, for messages: "0000:01:00.0" */
const char *hdctl_hotplug_bdf(const HdDomain *device, char bdf[HD_ADDRESS_STRLEN]);
/* refuse an element that asks for no PCI device: libvirt alone handles it */
gboolean hdctl_hotplug_check_requests(const HdDomain *device, GError **error);

/* plan @device (taken) for the running domain @name and bind it as prepare
 * would, under the state lock, which is released on return */
HdPlan *hdctl_hotplug_bind(HdContext *ctx, const char *name, HdDomain *device, GError **error);
/* libvirt refused the attach: give back what hdctl_hotplug_bind() changed */
gboolean hdctl_hotplug_unbind(HdContext *ctx, const HdPlan *plan, GError **error);
/* the guest let @device go: give back what it brought that @remaining (the
 * domain as it runs now; NULL once it stopped) does not need; takes both */
gboolean hdctl_hotplug_release(HdContext *ctx,
			       const char *name,
			       HdDomain *device,
			       HdDomain *remaining,
			       GError **error);

/* one line for each way hot-plug ends short; tests check them */
gchar *hdctl_hotplug_attach_refused_message(const char *domain,
					    const char *bdf,
					    const char *libvirt_message,
					    const GError *undo_error);
gchar *hdctl_hotplug_detach_refused_message(const char *bdf, const char *libvirt_message, gboolean in_guest);
gchar *hdctl_hotplug_timeout_message(const char *domain, const char *bdf, guint seconds);
