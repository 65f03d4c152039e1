/*
 * hd-plan.h: what prepare would do, computed before anything changes
 *
 * `hostdevctl plan` prints this, and the hook executes it, so the two can
 * never disagree.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "hd-device.h"
#include "hd-domain.h"
#include "hd-plugin.h"

typedef enum {
	HD_ACTION_BIND,	 /* bind to target_driver (already_bound: nothing to do) */
	HD_ACTION_SKIP,	 /* libvirt handles it; reason says why */
	HD_ACTION_ERROR, /* refuse the domain; reason says why */
} HdAction;

struct _HdPlanDevice {
	const HdDeviceRequest *request; /* owned by the plan's domain */
	HdDeviceInfo *info;
	const HdPlugin *plugin;
	HdAction action;
	gchar *target_driver;
	gboolean already_bound;
	GPtrArray *steps; /* what binding will do, in words; empty unless BIND */
	gchar *reason;
};

typedef struct {
	HdDomain *domain;
	HdHypervisor hypervisor;
	GPtrArray *devices; /* of HdPlanDevice, in request order */
	GHashTable *owners; /* address -> domain, from every journal */
} HdPlan;

/* takes @domain, which the plan frees */
HdPlan *hd_plan_new(HdContext *ctx, HdDomain *domain, GError **error);
void hd_plan_free(HdPlan *plan);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(HdPlan, hd_plan_free)

const HdPlanDevice *hd_plan_first_error(const HdPlan *plan);
gchar *hd_plan_device_action_string(const HdPlanDevice *dev);

gchar *hd_plan_to_text(const HdPlan *plan);
gchar *hd_plan_to_json(const HdPlan *plan);
