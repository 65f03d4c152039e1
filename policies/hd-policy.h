/*
 * hd-policy.h: the administrator's rules for what the hook may do
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib.h>
#include <sys/types.h>

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
	GArray *fields;	 /* of HdQuirkField; empty: matches and writes nothing */
	gchar *file;	 /* where its group is */
	guint line;
} HdQuirk;

/* one entry of [allow] or [deny] */
typedef enum {
	HD_POLICY_MATCH_ADDRESS, /* devices= */
	HD_POLICY_MATCH_IDS,	 /* ids= */
	HD_POLICY_MATCH_CLASS,	 /* classes= */
} HdPolicyMatchKind;

typedef struct {
	HdPolicyMatchKind kind;
	HdAddress address;
	HdIdMatch ids;
	guint32 class_code;	    /* 0xCCSS, or 0xCCSSPP with has_prog_if */
	gboolean has_prog_if;
	gchar *text;		    /* as written, for messages */
	gchar *file;
	guint line;
} HdPolicyMatch;

/* [boot] vfs=BDF=COUNT: a PF that gets COUNT virtual functions at boot */
typedef struct {
	HdAddress pf;
	guint count;
	gchar *text; /* as written, for messages */
	gchar *file;
	guint line;
} HdBootVfs;

/* [boot] hypervisor=: whose stub boot-time binding uses */
typedef enum {
	HD_BOOT_HYPERVISOR_AUTO, /* a Xen dom0 gets pciback, any other host vfio-pci */
	HD_BOOT_HYPERVISOR_KVM,
	HD_BOOT_HYPERVISOR_XEN,
} HdBootHypervisor;

/* one setting as it applies, for `hostdevctl policy check`: a scalar's
 * value, or one item of a list; @file NULL for a built-in default (and
 * @value NULL for a list nothing added to) */
typedef struct {
	gchar *group;
	gchar *key;
	gchar *value;
	gchar *file;
	guint line;
} HdPolicySetting;

typedef struct {
	gchar *kvm_stub;	/* driver for KVM domains, "vfio-pci" */
	gchar *xen_stub;	/* driver for Xen domains, "pciback" */
	guint bind_timeout_ms;	/* how long a bind may take to show in sysfs */
	GArray *protected_devices; /* of HdAddress: never taken, even when forced */
	GArray *permissive_ids; /* of HdIdMatch: [pciback] permissive */
	GPtrArray *allowed_drivers; /* [drivers] allow: host drivers a domain may name */
	GPtrArray *quirks;	/* of HdQuirk, in the merged order: the first match wins */
	GPtrArray *allow;	/* of HdPolicyMatch: when not empty, nothing else is lent */
	GPtrArray *deny;	/* of HdPolicyMatch: never lent; wins over allow */
	GPtrArray *boot_bind;	/* of HdPolicyMatch: [boot] devices, ids, classes */
	GPtrArray *boot_vfs;	/* of HdBootVfs: [boot] vfs, one per PF */
	HdBootHypervisor boot_hypervisor;
	/* the main file's path, and the merged scalar settings for the
	 * plugins' own booleans; NULL: none */
	gchar *path;
	GKeyFile *file;
	/* what was read, for `hostdevctl policy check` */
	GPtrArray *sources;	/* of gchar *: the files applied, in order */
	GPtrArray *skipped;	/* of gchar *: "FILE: why it was not read" */
	GPtrArray *settings;	/* of HdPolicySetting, group by group */
} HdPolicy;

/*
 * How a policy is loaded.  Only the tests set this: the hook and
 * hostdevctl pass NULL, which wants every file and directory owned by
 * root and not writable by group or others.
 */
typedef struct {
	uid_t owner;
} HdPolicyLoadOptions;

HdPolicy *hd_policy_new_default(void);
void hd_policy_free(HdPolicy *policy);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(HdPolicy, hd_policy_free)

/* the drop-in directories the hook reads, lowest precedence first */
const char *const *hd_policy_default_dropin_dirs(void);

/*
 * @main_file (missing: the defaults), then every *.conf in @dropin_dirs
 * (NULL-terminated, lowest precedence first; NULL: none) by name, a name
 * in a later directory hiding the same name in an earlier one.  Any
 * error, down to one unknown key, fails the whole load.
 */
HdPolicy *hd_policy_load_full(const char *main_file,
			      const char *const *dropin_dirs,
			      const HdPolicyLoadOptions *options,
			      GError **error);
HdPolicy *hd_policy_load_dirs(const char *main_file, const char *const *dropin_dirs, GError **error);
/* @path alone, without drop-ins */
HdPolicy *hd_policy_load(const char *path, GError **error);

gboolean hd_policy_is_protected(const HdPolicy *policy, const HdAddress *addr);
gboolean hd_policy_driver_allowed(const HdPolicy *policy, const char *driver);
gboolean hd_policy_wants_permissive(const HdPolicy *policy, const HdPciIds *ids);
const HdQuirk *hd_policy_find_quirk(const HdPolicy *policy, const HdPciIds *ids);
gboolean hd_id_match_parse(const char *text, HdIdMatch *out, GError **error);
gboolean hd_quirk_field_parse(const char *text, HdQuirkField *out, GError **error);

/*
 * [allow] and [deny]: may the device at @addr, with @ids and the 24-bit
 * @class_code sysfs shows (0xCCSSPP), be lent at all?  FALSE with a
 * one-line @reason (may be NULL) naming the file when it may not.  All of
 * @addr, @ids and @class_code are needed: read them before deciding.
 * [protect] is separate: see hd_policy_is_protected().
 */
gboolean hd_policy_check_device(const HdPolicy *policy,
				const HdAddress *addr,
				const HdPciIds *ids,
				guint32 class_code,
				gchar **reason);

/* does [boot] devices=, ids= or classes= name this device? */
const HdPolicyMatch *hd_policy_boot_match(const HdPolicy *policy,
					  const HdAddress *addr,
					  const HdPciIds *ids,
					  guint32 class_code);

gboolean hd_policy_get_boolean(const HdPolicy *policy,
			       const char *group,
			       const char *key,
			       gboolean default_value,
			       gboolean *out,
			       GError **error);
