/*
 * hd-engine.h: carrying out a plan, and undoing it
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "hd-plan.h"

/* The caller holds the state lock (hd_state_lock_acquire) across planning
 * and these calls, so that no other hook changes the journals in between;
 * hd_engine_prepare_and_unlock() takes it, and lets it go as soon as the
 * plan's claims are durable, so other owners plan while this one binds.
 * The engine takes each unit's own lock while changing its devices. */
gboolean hd_engine_prepare(HdContext *ctx, HdPlan *plan, GError **error);
gboolean hd_engine_prepare_and_unlock(HdContext *ctx, HdPlan *plan, HdStateLock *planning_lock, GError **error);
gboolean hd_engine_release(HdContext *ctx, const HdOwner *owner, GError **error);
/* hot-plug: add the plan's devices to a running owner's journal, keeping
 * what it holds; a failure undoes only what this plan changed */
gboolean hd_engine_attach(HdContext *ctx, HdPlan *plan, GError **error);
/* hot-unplug: undo one device's entries (a VF made on demand goes too),
 * leaving the owner's other devices as they are */
gboolean hd_engine_release_device(HdContext *ctx, const HdOwner *owner, const char *address, GError **error);
