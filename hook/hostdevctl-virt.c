/*
 * hostdevctl-virt.c: the libvirt calls of `hostdevctl attach` and `detach`
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "hostdevctl-virt.h"

#include <libvirt/virterror.h>

#include "hd-error.h"
#include "hd-log.h"
#include "hostdevctl.h"

/* how often the live XML is read while a guest lets a device go */
#define HDCTL_VIRT_POLL_US (200 * G_TIME_SPAN_MILLISECOND)

void
hdctl_virt_options_clear(HdctlVirtOptions *options)
{
	g_clear_pointer(&options->uri, g_free);
}

void
hdctl_virt_domain_clear(HdctlVirtDomain *vd)
{
	g_clear_pointer(&vd->name, g_free);
	g_clear_pointer(&vd->dom, virDomainFree);
	g_clear_pointer(&vd->conn, virConnectClose);
}

/* libvirt prints every error to stderr unless told otherwise; ours is one line */
static void
hdctl_virt_silence(void *user_data, virErrorPtr error)
{
}

/* libvirt's own words for its last failure, on one line */
static void
hdctl_virt_set_error(GError **error, HdError code, const char *format, ...) G_GNUC_PRINTF(3, 4);

static void
hdctl_virt_set_error(GError **error, HdError code, const char *format, ...)
{
	g_autofree gchar *what = NULL;
	g_autofree gchar *why = g_strdup(virGetLastErrorMessage());
	va_list args;

	va_start(args, format);
	what = g_strdup_vprintf(format, args);
	va_end(args);
	g_strdelimit(why, "\r\n", ' ');
	g_set_error(error, HD_ERROR, code, "%s%s", what, why);
}

static virDomainPtr
hdctl_virt_lookup(virConnectPtr conn, const char *domain)
{
	virDomainPtr dom = virDomainLookupByName(conn, domain);

	/* a name may look like a UUID: the name wins, as in virsh */
	if (dom == NULL && g_uuid_string_is_valid(domain))
		dom = virDomainLookupByUUIDString(conn, domain);
	return dom;
}

gboolean
hdctl_virt_open(HdctlVirtDomain *vd, const char *uri, const char *domain, GError **error)
{
	int active;

	virSetErrorFunc(NULL, hdctl_virt_silence);
	vd->conn = virConnectOpen(uri);
	if (vd->conn == NULL) {
		hdctl_virt_set_error(error, HD_ERROR_NOT_FOUND, "cannot connect to libvirt at %s: ",
				     uri != NULL ? uri : "its default URI");
		return FALSE;
	}
	vd->dom = hdctl_virt_lookup(vd->conn, domain);
	if (vd->dom == NULL) {
		hdctl_virt_set_error(error, HD_ERROR_NOT_FOUND, "no such domain, by name or UUID: ");
		return FALSE;
	}
	vd->name = g_strdup(virDomainGetName(vd->dom));
	active = virDomainIsActive(vd->dom);
	if (vd->name == NULL || active < 0) {
		hdctl_virt_set_error(error, HD_ERROR_FAILED, "cannot read the domain's state: ");
		return FALSE;
	}
	vd->running = active == 1;
	return TRUE;
}

HdDomain *
hdctl_virt_read_domain(HdctlVirtDomain *vd, GError **error)
{
	g_autofree gchar *xml = virDomainGetXMLDesc(vd->dom, 0);

	if (xml == NULL) {
		hdctl_virt_set_error(error, HD_ERROR_FAILED, "cannot read the domain's XML: ");
		return NULL;
	}
	return hd_domain_parse(xml, strlen(xml), error);
}

unsigned int
hdctl_virt_flags(const HdctlScope *scope)
{
	return (scope->live ? VIR_DOMAIN_AFFECT_LIVE : 0) | (scope->config ? VIR_DOMAIN_AFFECT_CONFIG : 0);
}

gboolean
hdctl_virt_attach(HdctlVirtDomain *vd, const char *xml, unsigned int flags, GError **error)
{
	if (virDomainAttachDeviceFlags(vd->dom, xml, flags) == 0)
		return TRUE;
	hdctl_virt_set_error(error, HD_ERROR_FAILED, "%s", "");
	return FALSE;
}

gboolean
hdctl_virt_detach(HdctlVirtDomain *vd, const char *xml, unsigned int flags, GError **error)
{
	if (virDomainDetachDeviceFlags(vd->dom, xml, flags) == 0)
		return TRUE;
	hdctl_virt_set_error(error, HD_ERROR_FAILED, "%s", "");
	return FALSE;
}

/* has the guest let go?  A guest that stopped has: its release hook ran */
static gboolean
hdctl_virt_has_left(HdctlVirtDomain *vd, const HdAddress *addr, HdDomain **remaining, gboolean *left, GError **error)
{
	int active = virDomainIsActive(vd->dom);
	g_autoptr(HdDomain) live = NULL;

	if (active < 0) {
		hdctl_virt_set_error(error, HD_ERROR_FAILED, "cannot read the domain's state: ");
		return FALSE;
	}
	if (active == 0) {
		*remaining = NULL;
		*left = TRUE;
		return TRUE;
	}
	live = hdctl_virt_read_domain(vd, error);
	if (live == NULL)
		return FALSE;
	*left = hd_domain_find_request(live, addr) == NULL;
	*remaining = *left ? g_steal_pointer(&live) : NULL;
	return TRUE;
}

/*
 * Polling the live XML rather than waiting for libvirt's DEVICE_REMOVED
 * event: no event loop to run, the same answer when the domain stops
 * meanwhile, and after a timeout a second run finds the device gone the
 * same way.
 */
gboolean
hdctl_virt_wait_removed(HdctlVirtDomain *vd, const HdAddress *addr, guint timeout_s, HdDomain **remaining,
			GError **error)
{
	gint64 deadline = g_get_monotonic_time() + (gint64)timeout_s * G_TIME_SPAN_SECOND;
	g_autofree gchar *message = NULL;
	char bdf[HD_ADDRESS_STRLEN];
	gboolean left = FALSE;

	for (;;) {
		if (!hdctl_virt_has_left(vd, addr, remaining, &left, error))
			return FALSE;
		if (left)
			return TRUE;
		if (g_get_monotonic_time() >= deadline)
			break;
		g_usleep(HDCTL_VIRT_POLL_US);
	}
	hd_address_format(addr, bdf);
	message = hdctl_hotplug_timeout_message(vd->name, bdf, timeout_s);
	g_set_error_literal(error, HD_ERROR, HD_ERROR_TIMED_OUT, message);
	return FALSE;
}

void
hdctl_virt_request_clear(HdctlVirtRequest *req)
{
	hdctl_virt_domain_clear(&req->vd);
	g_clear_pointer(&req->domain, hd_domain_free);
	g_clear_pointer(&req->device, hd_domain_free);
	g_clear_pointer(&req->xml, g_free);
}

int
hdctl_virt_open_request(const char *command,
			const HdctlVirtOptions *options,
			const char *domain,
			const char *file,
			HdctlVirtRequest *req)
{
	g_autoptr(GError) error = NULL;

	if (!hdctl_scope_check_options(options->live, options->config, options->current, &error)) {
		hdctl_report_error(command, error);
		return 2;
	}
	req->xml = hdctl_hotplug_read_device(file, &req->len, &error);
	if (req->xml == NULL)
		return hdctl_report_error(file, error);
	/* the engine's actions go where the hook's go; stderr stays one line */
	hd_log_use_system_log("hostdevctl");
	if (!hdctl_virt_open(&req->vd, options->uri, domain, &error))
		return hdctl_report_error(domain, error);
	req->domain = hdctl_virt_read_domain(&req->vd, &error);
	if (req->domain == NULL)
		return hdctl_report_error(req->vd.name, error);
	req->device = hd_domain_parse_device(req->domain, req->xml, req->len, &error);
	if (req->device == NULL || !hdctl_hotplug_check_requests(req->device, &error) ||
	    !hdctl_scope_resolve(options->live, options->config, req->vd.running, req->vd.name, &req->scope, &error))
		return hdctl_report_error(req->vd.name, error);
	return -1;
}
