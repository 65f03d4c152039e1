/*
 * mock-sysfs.h: a simulated PCI sysfs that reacts inside the write call
 *
 * The engine reads the tree under mock_sysfs_get_root() with ordinary file
 * calls, and every write it makes reaches mock_sysfs through the write hook
 * of HdSysfs, which changes the tree there and then, the way the kernel's
 * store() handlers do: a bind creates the driver links before the write
 * returns, a refused bind fails the write with the kernel's errno, and
 * drivers_probe succeeds even when nothing binds.
 *
 * Setup mistakes (an unknown driver, a device added twice) are bugs in the
 * test and abort it; only what the kernel would report comes back as a
 * GError.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib.h>

#include "hd-context.h"

typedef struct _MockSysfs MockSysfs;

/* keep the tree after mock_sysfs_free(), and say where it is */
#define MOCK_SYSFS_KEEP_ENV "MOCK_SYSFS_KEEP"

/* vendor and device as a driver's ID table holds them */
#define MOCK_PCI_ID(vendor, device) ((guint32)(vendor) << 16 | (guint32)(device))

/* the class code that makes a device a PCI-to-PCI bridge (header type 1) */
#define MOCK_PCI_CLASS_BRIDGE 0x060400

/* a mkdtemp'd root with bus/pci/{devices,drivers}, bus/pci/drivers_probe,
 * kernel/iommu_groups and dev/vfio */
MockSysfs *mock_sysfs_new(void);
/* removes the tree unless MOCK_SYSFS_KEEP is set (then prints its path) */
void mock_sysfs_free(MockSysfs *ms);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(MockSysfs, mock_sysfs_free)

const char *mock_sysfs_get_root(MockSysfs *ms);

/* a loaded driver; @ids is a 0-terminated list of MOCK_PCI_ID()s it claims
 * (NULL: none, like vfio-pci and pciback, which take devices only through
 * driver_override).  Like a driver registering, it is offered the devices
 * already there without a driver; add drivers first to avoid surprises. */
void mock_sysfs_add_driver(MockSysfs *ms, const char *name, const guint32 *ids);
/* a driver whose module is not loaded yet: no bus/pci/drivers/<name> until
 * the module loader installed by mock_sysfs_install() loads it by @name
 * ('-' and '_' alike; the mock knows no module aliases) */
void mock_sysfs_add_module(MockSysfs *ms, const char *name, const guint32 *ids);
/* an endpoint, or with class MOCK_PCI_CLASS_BRIDGE a bridge, in
 * @iommu_group (NULL: none), bound to the loaded @driver (NULL: none):
 * the state the host booted into, so nothing is matched or probed */
void mock_sysfs_add_device(MockSysfs *ms,
			   const char *bdf,
			   guint16 vendor,
			   guint16 device,
			   guint32 class_code,
			   const char *iommu_group,
			   const char *driver);

/* route @ctx's sysfs writes and module loads to @ms, which must outlive it */
void mock_sysfs_install(MockSysfs *ms, HdContext *ctx);

/* the @nth (1-based) write whose relpath ends with @suffix fails with
 * @errnum and changes nothing; later ones behave normally */
void mock_sysfs_fail_write(MockSysfs *ms, const char *suffix, guint nth, int errnum);
/* drivers_probe succeeds but binds nothing for @bdf, and a bind fails with
 * ENODEV: a driver that rejects the device in its probe() */
void mock_sysfs_set_probe_refused(MockSysfs *ms, const char *bdf, gboolean refused);
/* the module loader fails for @module with @errnum */
void mock_sysfs_fail_module(MockSysfs *ms, const char *module, int errnum);

/* every write attempted so far, failed ones included, as "relpath=value"
 * (a newline in the value shown as \n); owned by @ms */
GPtrArray *mock_sysfs_get_writes(MockSysfs *ms);
/* what the tree shows, read back from its files and links: one line per
 * device, "<bdf> driver=<name|-> override=<value|(null)>", then
 * "driver <name>" per loaded driver and "vfio <group>" per /dev/vfio node,
 * each part sorted; equal snapshots mean an identical host */
gchar *mock_sysfs_snapshot(MockSysfs *ms);
/* the driver the tree shows bound to @bdf, NULL if none */
gchar *mock_sysfs_get_driver(MockSysfs *ms, const char *bdf);
