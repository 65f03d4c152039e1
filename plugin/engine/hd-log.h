/*
 * hd-log.h: one structured log record per action the hook takes
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib.h>

/* Send GLib logging to the journal, or to syslog where there is none, and
 * never to stderr: libvirt shows the hook's stderr to the user as the
 * error, and that must stay one line. */
void hd_log_use_system_log(const char *ident);

/* journal fields HOSTDEV_DOMAIN, HOSTDEV_DEVICE and HOSTDEV_ACTION */
#define hd_log_action(level, domain, device, action, ...)                       \
	g_log_structured(G_LOG_DOMAIN, level,                                   \
			 "HOSTDEV_DOMAIN", (domain) != NULL ? (domain) : "-",   \
			 "HOSTDEV_DEVICE", (device) != NULL ? (device) : "-",   \
			 "HOSTDEV_ACTION", (action),                            \
			 "MESSAGE", __VA_ARGS__)
