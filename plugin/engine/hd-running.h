/*
 * hd-running.h: is an owner's guest still using what its journal lent?
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "hd-context.h"
#include "hd-journal.h"

/*
 * Whether @journal's devices are still in a guest's hands: the domain's
 * libvirt pid file names a live process, or any process holds the
 * /dev/vfio node of one of the devices' IOMMU groups.  @why says which,
 * in words; NULL when nothing is.  Restoring such a device would yank it
 * from a running guest (and vfio-pci's unbind would block until the guest
 * let go).
 */
gboolean hd_running_check(HdContext *ctx, const HdJournal *journal, gchar **why, GError **error);
