/*
 * hd-policy.h: the administrator's rules for what the hook may do
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib.h>

#include "hd-address.h"

typedef struct {
	gchar *kvm_stub;	/* driver for KVM domains, "vfio-pci" */
	gchar *xen_stub;	/* driver for Xen domains, "pciback" */
	guint bind_timeout_ms;	/* how long a bind may take to show in sysfs */
	GArray *protected_devices; /* of HdAddress: never taken, even when forced */
	/* the file as read, for the plugins' own sections; NULL: none */
	gchar *path;
	GKeyFile *file;
} HdPolicy;

HdPolicy *hd_policy_new_default(void);
HdPolicy *hd_policy_load(const char *path, GError **error);
void hd_policy_free(HdPolicy *policy);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(HdPolicy, hd_policy_free)

gboolean hd_policy_is_protected(const HdPolicy *policy, const HdAddress *addr);
gboolean hd_policy_get_boolean(const HdPolicy *policy,
			       const char *group,
			       const char *key,
			       gboolean default_value,
			       gboolean *out,
			       GError **error);
