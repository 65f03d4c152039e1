/*
 * hostdevctl-virt.h: the libvirt calls of `hostdevctl attach` and `detach`
 *
 * Only hostdevctl links libvirt.  The hook never calls it: libvirt holds
 * the domain's job while a hook runs, so a call back would deadlock.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib.h>
#include <libvirt/libvirt.h>

#include "hd-domain.h"
#include "hostdevctl-hotplug.h"

/* the options attach and detach share */
typedef struct {
	gchar *uri;
	gboolean live;
	gboolean config;
	gboolean current;
	gint timeout_s; /* detach only */
} HdctlVirtOptions;

void hdctl_virt_options_clear(HdctlVirtOptions *options);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(HdctlVirtOptions, hdctl_virt_options_clear)

typedef struct {
	virConnectPtr conn;
	virDomainPtr dom;
	gchar *name; /* libvirt's name for it: the journal's owner */
	gboolean running;
} HdctlVirtDomain;

void hdctl_virt_domain_clear(HdctlVirtDomain *vd);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(HdctlVirtDomain, hdctl_virt_domain_clear)

/* what attach and detach work on */
typedef struct {
	HdctlVirtDomain vd;
	HdDomain *domain; /* as libvirt has it now */
	HdDomain *device; /* FILE.xml's device, as the domain's */
	gchar *xml;
	gsize len;
	HdctlScope scope;
} HdctlVirtRequest;

void hdctl_virt_request_clear(HdctlVirtRequest *req);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(HdctlVirtRequest, hdctl_virt_request_clear)

/* what attach and detach start with: FILE.xml read, the domain found
 * through libvirt, the device parsed as that domain's, and the scope the
 * flags and the domain's state give.  -1 when all is there; else the
 * exit status, the error reported on stderr. */
int hdctl_virt_open_request(const char *command,
			    const HdctlVirtOptions *options,
			    const char *domain,
			    const char *file,
			    HdctlVirtRequest *req);

/* connect to @uri (NULL: libvirt's default) and find the domain by name or UUID */
gboolean hdctl_virt_open(HdctlVirtDomain *vd, const char *uri, const char *domain, GError **error);
/* the domain as libvirt has it now: running, or as defined */
HdDomain *hdctl_virt_read_domain(HdctlVirtDomain *vd, GError **error);
unsigned int hdctl_virt_flags(const HdctlScope *scope);
/* libvirt's own message when they fail, and nothing else */
gboolean hdctl_virt_attach(HdctlVirtDomain *vd, const char *xml, unsigned int flags, GError **error);
gboolean hdctl_virt_detach(HdctlVirtDomain *vd, const char *xml, unsigned int flags, GError **error);
/* until the running guest no longer has @addr, or no longer runs, at most
 * @timeout_s; the domain as it runs then in @remaining (NULL if it stopped) */
gboolean hdctl_virt_wait_removed(HdctlVirtDomain *vd,
				 const HdAddress *addr,
				 guint timeout_s,
				 HdDomain **remaining,
				 GError **error);
