/*
 * hd-plan.h: what prepare would do, computed before anything changes
 *
 * A plan is made for one owner (a domain, or the host) from a list of
 * requests, whatever asked for them: the hook, boot-time binding or
 * hostdevctl.  `hostdevctl plan` prints it and the engine executes it, so
 * the two can never disagree.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "hd-context.h"
#include "hd-device.h"
#include "hd-domain.h"
#include "hd-journal.h"

typedef enum {
	HD_ACTION_BIND,	 /* bind to target_driver (already_bound: nothing to do) */
	HD_ACTION_SKIP,	 /* libvirt handles it; reason says why */
	HD_ACTION_ERROR, /* refuse the request; reason says why */
	HD_ACTION_PROVISION, /* <hd:vfs>: only the chain's provision slots run */
} HdAction;

typedef struct _HdPlan HdPlan;
typedef struct _HdPlanDevice HdPlanDevice;

struct _HdPlanDevice {
	HdPlan *plan;
	const HdDeviceRequest *request; /* the domain's, or the plan's own */
	HdDeviceInfo *info;
	GPtrArray *chain;	/* of const HdPlugin *, those whose select() said yes */
	const HdPlugin *binder; /* the one member with a bind slot */
	HdAction action;
	gchar *target_driver;
	gchar *target_module;
	gchar *parent; /* a VF's PF, NULL */
	gboolean already_bound;
	GPtrArray *steps; /* what executing will do, in words; empty unless BIND */
	gchar *reason;
};

struct _HdPlan {
	HdOwner owner;
	gchar *uuid;
	HdDomain *domain; /* NULL when the requests are not a domain's */
	HdHypervisor hypervisor;
	GPtrArray *devices;	 /* of HdPlanDevice, in request order, companions last */
	GHashTable *by_address;	 /* hd_address_key() -> HdPlanDevice */
	GPtrArray *own_requests; /* of HdDeviceRequest: companions, made by the plan */
	GHashTable *owners;	 /* bdf -> HdOwner, of every device some journal binds */
	/* key -> what planning read of the host once for all devices, while
	 * @planning (hd_device_get_planning_memo()) */
	GHashTable *memo;
	gboolean planning;
};

/* the phases a device of this action runs through */
gboolean hd_plan_device_runs_phase(const HdPlanDevice *dev, HdPhase phase);

/* requests of @owner, borrowed from @requests (of HdDeviceRequest), which
 * must outlive the plan */
HdPlan *hd_plan_new(HdContext *ctx,
		    const HdOwner *owner,
		    HdHypervisor hypervisor,
		    const GPtrArray *requests,
		    GError **error);
/* a domain's requests, the domain known to libvirt as @name (NULL: the
 * XML's own name); takes @domain, which the plan frees */
HdPlan *hd_plan_new_for_domain(HdContext *ctx, const char *name, HdDomain *domain, GError **error);
void hd_plan_free(HdPlan *plan);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(HdPlan, hd_plan_free)

const HdPlanDevice *hd_plan_first_error(const HdPlan *plan);
/* whether the plan may be carried out: the first refusal becomes @error,
 * "BDF: reason", and a warning "refusing to @operation"; otherwise each
 * device's action is logged as a @request */
gboolean hd_plan_accept(const HdPlan *plan, const char *operation, const char *request, GError **error);
gchar *hd_plan_device_action_string(const HdPlanDevice *dev);

gchar *hd_plan_to_text(const HdPlan *plan);
gchar *hd_plan_to_json(const HdPlan *plan);
