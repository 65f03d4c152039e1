/*
 * hd-engine.h: carrying out a plan, and undoing it
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "hd-plan.h"

/* The caller holds the state lock (hd_state_lock_acquire) across planning
 * and these calls, so that no other hook changes the journals in between. */
gboolean hd_engine_prepare(HdContext *ctx, HdPlan *plan, GError **error);
gboolean hd_engine_release(HdContext *ctx, const HdOwner *owner, GError **error);
