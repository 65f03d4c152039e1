/*
 * hd-domain.h: the PCI devices a libvirt domain asks for
 *
 * The model holds what the XML says and nothing about the host: whether a
 * device exists, and what to do with it, is the engine's business.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib.h>

#include "hd-address.h"

/* Our metadata namespace (schema: xml/hostdev-hook.rng) */
#define HD_METADATA_NS "urn:hostdev-hook:1"

typedef enum {
	HD_HYPERVISOR_UNKNOWN,
	HD_HYPERVISOR_KVM, /* <domain type='kvm'> or 'qemu' */
	HD_HYPERVISOR_XEN, /* <domain type='xen'> */
} HdHypervisor;

/* Which element asked for the device */
typedef enum {
	HD_SOURCE_HOSTDEV,   /* <hostdev mode='subsystem' type='pci'> */
	HD_SOURCE_INTERFACE, /* <interface type='hostdev'> */
	HD_SOURCE_METADATA,  /* <hd:device> with no libvirt element */
	HD_SOURCE_NETWORK,   /* <forward mode='hostdev'> pool or <plug type='hostdev-pci'> */
	HD_SOURCE_GROUP,     /* taken with a requested device, by take-group='yes' */
	HD_SOURCE_POLICY,    /* the host's boot policy, not a domain */
	HD_SOURCE_ADMIN,     /* hostdevctl, on the administrator's word */
	HD_SOURCE_COMPANION, /* added by a plugin's expand slot (a VF's PF, say) */
} HdSource;

/* libvirt's <driver name=...> on a hostdev (virDeviceHostdevPCIDriverName) */
typedef enum {
	HD_BACKEND_DEFAULT,
	HD_BACKEND_VFIO,
	HD_BACKEND_XEN,
	HD_BACKEND_KVM, /* legacy assignment, refused by libvirt since 5.7 */
} HdBackend;

typedef enum {
	HD_VLAN_NATIVE_NONE,
	HD_VLAN_NATIVE_TAGGED,
	HD_VLAN_NATIVE_UNTAGGED,
} HdVlanNative;

typedef struct {
	guint id;
	HdVlanNative native_mode;
} HdVlanTag;

/* our metadata's yes/no, where absent means "leave it as it is" */
typedef enum {
	HD_TRISTATE_ABSENT,
	HD_TRISTATE_YES,
	HD_TRISTATE_NO,
} HdTristate;

/* link-state='auto|enable|disable': the kernel's IFLA_VF_LINK_STATE values + 1 */
typedef enum {
	HD_VF_LINK_STATE_ABSENT,
	HD_VF_LINK_STATE_AUTO,
	HD_VF_LINK_STATE_ENABLE,
	HD_VF_LINK_STATE_DISABLE,
} HdVfLinkState;

/*
 * What an SR-IOV VF's PF is told about it (ip link set PF vf N ...), from
 * <hd:device>; all zero asks for nothing.  mac and vlan are for a plain
 * <hostdev>: an <interface type='hostdev'> has its own, which libvirt sets.
 */
typedef struct {
	gchar *mac; /* lower case, NULL when absent */
	gboolean has_vlan;
	guint vlan; /* 0 clears it */
	HdTristate trust;
	HdTristate spoofchk;
	HdTristate query_rss;
	HdVfLinkState link_state;
	gboolean has_min_tx_rate;
	guint min_tx_rate; /* Mbit/s */
	gboolean has_max_tx_rate;
	guint max_tx_rate; /* Mbit/s, 0: no limit */
} HdVfSettings;

typedef struct {
	HdAddress address;
	HdSource source;
	guint line; /* of the requesting element, for messages */
	gboolean managed;
	HdBackend backend;
	gchar *driver_model; /* <driver model='...'/>: a VFIO variant, NULL for automatic */
	gboolean permissive; /* writeFiltering='no', or our metadata */
	gboolean write_filtering_off; /* <source writeFiltering='no'>: libxl tells QEMU too */

	/* <interface type='hostdev'> only */
	gchar *mac;	   /* lower case, NULL when absent */
	GArray *vlan_tags; /* of HdVlanTag, empty when absent */
	gboolean vlan_trunk;
	gboolean has_virtualport;

	/* from <hd:device> */
	gboolean has_metadata;
	gchar *target_driver; /* stub driver to bind to, NULL for the default */
	gboolean take_group;
	gboolean force;
	HdVfSettings vf;

	/* > 0: from <hd:vfs>: the PF must have at least this many VFs while the
	 * domain lives; nothing is bound */
	guint provision_vfs;
} HdDeviceRequest;

/* <hd:vfs pf=... count=...>: create VFs on a PF before binding */
typedef struct {
	HdAddress pf;	/* unset when pf_name is set */
	gchar *pf_name; /* pf='enp2s0': the PF by its network interface, NULL */
	guint count;
	guint line;
} HdVfRequest;

typedef struct {
	gchar *root_element; /* "domain", "hostdev", "interface", ... */
	gchar *name;	     /* NULL for a device snippet */
	gchar *uuid;
	gchar *type; /* libvirt's domain type, verbatim */
	gchar *os_type; /* <os><type>: "hvm", "xen" (PV), "xenpvh"; NULL if absent */
	HdHypervisor hypervisor;
	GPtrArray *requests; /* of HdDeviceRequest, document order */
	GArray *vf_requests; /* of HdVfRequest */
	GHashTable *by_address; /* hd_address_key() -> HdDeviceRequest */
} HdDomain;

HdDomain *hd_domain_parse(const char *xml, gsize len, GError **error);
HdDomain *hd_domain_parse_file(const char *path, GError **error);
/* one <hostdev> or <interface> element, as a device of @domain: for hot-plug */
HdDomain *hd_domain_parse_device(const HdDomain *domain, const char *xml, gsize len, GError **error);
/* an empty domain, as a document whose root is @root_element starts */
HdDomain *hd_domain_new(const char *root_element);
void hd_domain_free(HdDomain *domain);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(HdDomain, hd_domain_free)

HdDeviceRequest *hd_domain_find_request(HdDomain *domain, const HdAddress *addr);
HdDeviceRequest *hd_device_request_new_companion(const HdAddress *addr, const HdDeviceRequest *of);
/* the request an <hd:vfs> stands for: provision the PF, bind nothing */
HdDeviceRequest *hd_device_request_new_vfs(const HdVfRequest *vfs);
void hd_device_request_free(HdDeviceRequest *req);
/* does the request ask for any VF setting? */
gboolean hd_vf_settings_any(const HdVfSettings *vf);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(HdDeviceRequest, hd_device_request_free)

const char *hd_hypervisor_to_string(HdHypervisor hypervisor);
gboolean hd_hypervisor_from_string(const char *name, HdHypervisor *out);
const char *hd_source_to_string(HdSource source);
const char *hd_backend_to_string(HdBackend backend);
gboolean hd_backend_from_string(const char *name, HdBackend *out);
