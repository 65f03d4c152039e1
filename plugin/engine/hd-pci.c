/*
 * hd-pci.c: libpci, for device identity and the pci.ids names
 *
 * libpci reports fatal errors through a callback that must not return; its
 * default prints and calls exit(), which in a libvirt hook would abort a
 * domain start with no message at all.  Ours jumps back to the guarded call
 * and turns the message into a GError.  libpci is not thread-safe, so the
 * jump target is per thread and each call is guarded separately.
 *
 * Only planning identifies devices, so libpci, and libudev with it, is
 * opened when the first plan needs it (hd-lazy-library.h), not at every
 * hook run's start.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "hd-pci.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include <pci/pci.h>

#include "hd-error.h"
#include "hd-lazy-library.h"

typedef struct {
	__typeof__(pci_alloc) *alloc;
	__typeof__(pci_init) *init;
	__typeof__(pci_cleanup) *cleanup;
	__typeof__(pci_set_param) *set_param;
	__typeof__(pci_get_dev) *get_dev;
	__typeof__(pci_free_dev) *free_dev;
	__typeof__(pci_fill_info) *fill_info;
	__typeof__(pci_read_byte) *read_byte;
	__typeof__(pci_lookup_name) *lookup_name;
} HdPciApi;

static const HdLazySymbol hd_pci_symbols[] = {
	HD_LAZY_SYMBOL(HdPciApi, alloc, pci_alloc),
	HD_LAZY_SYMBOL(HdPciApi, init, pci_init),
	HD_LAZY_SYMBOL(HdPciApi, cleanup, pci_cleanup),
	HD_LAZY_SYMBOL(HdPciApi, set_param, pci_set_param),
	HD_LAZY_SYMBOL(HdPciApi, get_dev, pci_get_dev),
	HD_LAZY_SYMBOL(HdPciApi, free_dev, pci_free_dev),
	HD_LAZY_SYMBOL(HdPciApi, fill_info, pci_fill_info),
	HD_LAZY_SYMBOL(HdPciApi, read_byte, pci_read_byte),
	HD_LAZY_SYMBOL(HdPciApi, lookup_name, pci_lookup_name),
};

static HdPciApi hd_pci_api;

static HdLazyLibrary hd_pci_library = {
	.soname = "libpci.so.3",
	.package = "libpci3",
	.symbols = hd_pci_symbols,
	.n_symbols = G_N_ELEMENTS(hd_pci_symbols),
	.table = &hd_pci_api,
	.table_size = sizeof(hd_pci_api),
};

/* callable only once hd_pci_new() has opened the library */
static void
hd_pci_access_free(struct pci_access *access)
{
	hd_pci_api.cleanup(access);
}

typedef struct pci_access HdPciAccess;
G_DEFINE_AUTOPTR_CLEANUP_FUNC(HdPciAccess, hd_pci_access_free)

struct _HdPci {
	struct pci_access *access;
};

static _Thread_local jmp_buf *hd_pci_jump;
static _Thread_local char hd_pci_message[256];

static void G_GNUC_NORETURN G_GNUC_PRINTF(1, 2)
hd_pci_error(char *msg, ...)
{
	va_list args;

	va_start(args, msg);
	vsnprintf(hd_pci_message, sizeof(hd_pci_message), msg, args);
	va_end(args);
	if (hd_pci_jump != NULL)
		longjmp(*hd_pci_jump, 1);
	/* a libpci call outside hd_pci_guarded(): a bug of ours */
	g_critical("unguarded libpci error: %s", hd_pci_message);
	abort();
}

static void G_GNUC_PRINTF(1, 2)
hd_pci_debug(char *msg, ...)
{
	g_autofree gchar *text = NULL;
	va_list args;

	va_start(args, msg);
	text = g_strdup_vprintf(msg, args);
	va_end(args);
	g_debug("libpci: %s", text);
}

typedef void (*HdPciCall)(gpointer data);

/* run one libpci call with the error callback pointed at this frame */
static gboolean
hd_pci_guarded(HdPciCall call, gpointer data, GError **error)
{
	jmp_buf env;

	if (setjmp(env) != 0) {
		hd_pci_jump = NULL;
		g_set_error(error, HD_ERROR, HD_ERROR_FAILED, "libpci: %s", hd_pci_message);
		return FALSE;
	}
	hd_pci_jump = &env;
	call(data);
	hd_pci_jump = NULL;
	return TRUE;
}

static void
hd_pci_call_init(gpointer data)
{
	hd_pci_api.init(data);
}

HdPci *
hd_pci_new(const char *sysfs_root, GError **error)
{
	const HdPciApi *api = hd_lazy_library_get(&hd_pci_library, error);
	g_autoptr(HdPciAccess) access = NULL;
	g_autofree gchar *sysfs_path = g_build_filename(sysfs_root, "bus", "pci", NULL);
	HdPci *pci;

	if (api == NULL)
		return NULL;
	access = api->alloc();
	access->error = hd_pci_error;
	access->warning = hd_pci_debug;
	access->debug = hd_pci_debug;
	/* sysfs only: never fall back to /proc/bus/pci or raw I/O ports, which
	 * would read the real hardware whatever our root says */
	access->method = PCI_ACCESS_SYS_BUS_PCI;
	/* libpci 3.9 takes non-const names; it copies the value */
	api->set_param(access, (char *)"sysfs.path", sysfs_path);
	if (!hd_pci_guarded(hd_pci_call_init, access, error))
		return NULL;
	pci = g_new0(HdPci, 1);
	pci->access = g_steal_pointer(&access);
	return pci;
}

void
hd_pci_free(HdPci *pci)
{
	if (pci == NULL)
		return;
	g_clear_pointer(&pci->access, hd_pci_access_free);
	g_free(pci);
}

typedef struct {
	struct pci_dev *dev;
	guint8 header_type;
} HdPciFill;

static void
hd_pci_call_fill(gpointer data)
{
	HdPciFill *fill = data;

	hd_pci_api.fill_info(fill->dev, PCI_FILL_IDENT | PCI_FILL_CLASS | PCI_FILL_RESCAN);
	fill->header_type = hd_pci_api.read_byte(fill->dev, PCI_HEADER_TYPE);
}

static gchar *
hd_pci_lookup(HdPci *pci, int what, guint16 vendor_id, guint16 device_id)
{
	char buf[256];
	const char *name;

	/* pci.ids only: the udev hwdb would make the answer depend on the host */
	name = hd_pci_api.lookup_name(pci->access, buf, sizeof(buf),
			       what | PCI_LOOKUP_NO_NUMBERS | PCI_LOOKUP_NO_HWDB,
			       vendor_id, device_id);
	return name != NULL ? g_strdup(name) : NULL;
}

/* vendor, device and class of a device the caller knows to exist, and
 * with @with_names their pci.ids names */
gboolean
hd_pci_identify(HdPci *pci, const HdAddress *addr, gboolean with_names, HdPciIdentity *out, GError **error)
{
	HdPciFill fill = {0};
	gboolean ok;

	fill.dev = hd_pci_api.get_dev(pci->access, (int)addr->domain, (int)addr->bus,
			       (int)addr->slot, (int)addr->function);
	ok = hd_pci_guarded(hd_pci_call_fill, &fill, error);
	if (ok) {
		out->vendor_id = fill.dev->vendor_id;
		out->device_id = fill.dev->device_id;
		out->class_code = fill.dev->device_class;
		/* 0xff: config space unreadable (not root, or a sparse test
		 * tree); then the class code is all we can go by */
		if (fill.header_type != 0xff)
			out->is_bridge = (fill.header_type & 0x7f) == PCI_HEADER_TYPE_BRIDGE ||
					 (fill.header_type & 0x7f) == PCI_HEADER_TYPE_CARDBUS;
		else
			out->is_bridge = out->class_code == PCI_CLASS_BRIDGE_PCI ||
					 out->class_code == PCI_CLASS_BRIDGE_CARDBUS;
		if (with_names) {
			out->vendor_name = hd_pci_lookup(pci, PCI_LOOKUP_VENDOR, out->vendor_id, 0);
			out->device_name = hd_pci_lookup(pci, PCI_LOOKUP_DEVICE, out->vendor_id, out->device_id);
		}
	}
	hd_pci_api.free_dev(fill.dev);
	return ok;
}

void
hd_pci_identity_clear(HdPciIdentity *identity)
{
	g_clear_pointer(&identity->vendor_name, g_free);
	g_clear_pointer(&identity->device_name, g_free);
}
