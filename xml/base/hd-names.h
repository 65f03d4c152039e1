/*
 * hd-names.h: the names that travel between layers and must be checked once
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib.h>

/*
 * A kernel driver's or module's name, as /sys/bus/pci/drivers/<name> would
 * spell it: 1 to 64 of [A-Za-z0-9_.-], not starting with '.' or '-'.  The
 * XML model, the policy and the journal all accept exactly these, so a
 * name can never climb out of its sysfs directory.  @what names the
 * setting in the error, e.g. "driver='...'".
 */
gboolean hd_driver_name_check(const char *name, const char *what, GError **error);
