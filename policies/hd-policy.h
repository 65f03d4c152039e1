/*
 * hd-policy.h: the administrator's rules for what the hook may do
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib.h>

#include "hd-address.h"

/* a device's identity, as pciback and xend match it */
typedef struct {
	guint16 vendor;
	guint16 device;
	guint16 subvendor;
	guint16 subdevice;
} HdPciIds;

/* "vvvv:dddd" or "vvvv:dddd:ssss:ssss", ffff a wildcard for the subsystem ids */
typedef struct {
	guint16 vendor;
	guint16 device;
	gboolean has_subsystem;
	guint16 subvendor;
	guint16 subdevice;
} HdIdMatch;

/* one config-space field pciback passes through: "REG:SIZE:MASK" */
typedef struct {
	guint reg;
	guint size;
	guint32 mask;
} HdQuirkField;

/* [quirk LABEL]: the fields of the devices it matches */
typedef struct {
	gchar *label;
	GArray *devices; /* of HdIdMatch */
	GArray *fields;	 /* of HdQuirkField */
} HdQuirk;

typedef struct {
	gchar *kvm_stub;	/* driver for KVM domains, "vfio-pci" */
	gchar *xen_stub;	/* driver for Xen domains, "pciback" */
	guint bind_timeout_ms;	/* how long a bind may take to show in sysfs */
	GArray *protected_devices; /* of HdAddress: never taken, even when forced */
	GArray *permissive_ids; /* of HdIdMatch: [pciback] permissive */
	GPtrArray *quirks;	/* of HdQuirk, in file order: the first match wins */
	/* the file as read, for the plugins' own sections; NULL: none */
	gchar *path;
	GKeyFile *file;
} HdPolicy;

HdPolicy *hd_policy_new_default(void);
HdPolicy *hd_policy_load(const char *path, GError **error);
void hd_policy_free(HdPolicy *policy);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(HdPolicy, hd_policy_free)

gboolean hd_policy_is_protected(const HdPolicy *policy, const HdAddress *addr);
gboolean hd_policy_wants_permissive(const HdPolicy *policy, const HdPciIds *ids);
const HdQuirk *hd_policy_find_quirk(const HdPolicy *policy, const HdPciIds *ids);
gboolean hd_id_match_parse(const char *text, HdIdMatch *out, GError **error);
gboolean hd_quirk_field_parse(const char *text, HdQuirkField *out, GError **error);

gboolean hd_policy_get_boolean(const HdPolicy *policy,
			       const char *group,
			       const char *key,
			       gboolean default_value,
			       gboolean *out,
			       GError **error);
