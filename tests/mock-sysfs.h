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
 * Besides binding it simulates SR-IOV (a PF's sriov_* files, VFs coming and
 * going with sriov_numvfs) and xen-pciback's own driver files (slots,
 * new_slot, remove_slot, permissive, quirks, irq_handlers).
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
 * (NULL: none, like vfio-pci, which takes devices only through
 * driver_override).  Like a driver registering, it is offered the devices
 * already there without a driver; add drivers first to avoid surprises.
 * A driver named "pciback" is xen-pciback: @ids is ignored, its table
 * matches every device, its probe() takes only those in its slot list or
 * whose driver_override names it, and its driver directory has its files. */
void mock_sysfs_add_driver(MockSysfs *ms, const char *name, const guint32 *ids);
/* a driver whose module is not loaded yet: no bus/pci/drivers/<name> until
 * the module loader installed by mock_sysfs_install() loads it by @name
 * ('-' and '_' alike; the mock knows no module aliases, but pciback's
 * module is xen-pciback, as in the kernel) */
void mock_sysfs_add_module(MockSysfs *ms, const char *name, const guint32 *ids);
/* an endpoint, or with class MOCK_PCI_CLASS_BRIDGE a bridge, at the
 * canonical address @bdf ("DDDD:BB:DD.F"), in @iommu_group (NULL: none),
 * bound to the loaded @driver (NULL: none): the state the host booted into,
 * so nothing is matched or probed.  Bound to pciback, it is seized and in
 * the slot list, as xen-pciback.hide= leaves it. */
void mock_sysfs_add_device(MockSysfs *ms,
			   const char *bdf,
			   guint16 vendor,
			   guint16 device,
			   guint32 class_code,
			   const char *iommu_group,
			   const char *driver);
/* the subsystem vendor and device (0 until set), which xen-pciback's
 * quirks are matched by; set them before the device reaches pciback */
void mock_sysfs_set_subsystem(MockSysfs *ms, const char *bdf, guint16 subvendor, guint16 subdevice);

/* makes the added device @pf_bdf an SR-IOV physical function: sriov_totalvfs
 * @total_vfs, sriov_offset @vf_offset, sriov_stride @vf_stride,
 * sriov_vf_device @vf_device, sriov_numvfs 0, sriov_drivers_autoprobe 1.
 * Writing N to sriov_numvfs then adds N devices, VF i at the routing ID
 * (bus << 8 | devfn) of the PF plus @vf_offset + i * @vf_stride, with the
 * PF's vendor, class and subsystem, @vf_device, an IOMMU group of its own
 * (the lowest free number) if the PF has one, and virtfn<i> and physfn
 * links; each is probed as it comes, if sriov_drivers_autoprobe allows. */
void mock_sysfs_add_sriov_pf(MockSysfs *ms,
			     const char *pf_bdf,
			     guint16 total_vfs,
			     guint16 vf_offset,
			     guint16 vf_stride,
			     guint16 vf_device);
/* whether @driver has an sriov_configure() callback, without which
 * sriov_numvfs fails with ENOENT; every driver has one but pciback and the
 * vfio drivers (vfio-pci without enable_sriov=1 answers ENOENT all the same) */
void mock_sysfs_set_sriov_configure(MockSysfs *ms, const char *driver, gboolean supported);
/* @driver's sriov_configure() fails with @errnum (0: never) to disable
 * SR-IOV while a VF is assigned, as pciback marks the devices it holds:
 * ixgbe answers EPERM; by default the VFs are taken away regardless */
void mock_sysfs_set_sriov_assigned_error(MockSysfs *ms, const char *driver, int errnum);

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
 * device, "<bdf> driver=<name|-> override=<value|(null)>", a PF's ending in
 * " numvfs=<n> autoprobe=<0|1>"; then "driver <name> bound=<bdfs|->" per
 * loaded driver; with pciback loaded, "pciback slots=<bdfs|->",
 * "pciback permissive=<bdfs|->", "pciback <bdf> quirks=<fields|->" per
 * device bound to it (from the mock's state, as mock_sysfs_get_quirks()
 * gives it) and "pciback entry <bb:dd.f> <ids>" per entry of the quirks
 * file; then "vfio <group>" per /dev/vfio node.  pciback's lists and
 * entries are in the kernel's order, everything else is sorted; equal
 * snapshots mean an identical host. */
gchar *mock_sysfs_snapshot(MockSysfs *ms);
/* the driver the tree shows bound to @bdf, NULL if none */
gchar *mock_sysfs_get_driver(MockSysfs *ms, const char *bdf);
/* the config fields written to pciback's quirks file for @bdf, as that
 * file shows them ("REG:SIZE:MASK", comma-separated; "" for none); NULL
 * when @bdf is not bound to pciback.  This is what the device's emulation
 * really has: the quirks file loses a device's entry when an identical
 * device seized after it leaves pciback first. */
gchar *mock_sysfs_get_quirks(MockSysfs *ms, const char *bdf);

/* every write to an attribute of this name (e.g. "unbind", "drivers_probe")
 * sleeps @usec first, outside the mock's lock, as a driver's remove or
 * probe sleeps while other devices' go on */
void mock_sysfs_set_write_latency(MockSysfs *ms, const char *attribute, guint usec);

/* proof that writes overlap: writers of @attribute wait until @parties of
 * them are waiting, then all go on (a party met); one that waits 10 s in
 * vain goes on alone (missed).  Only concurrent writers can ever meet.
 * A NULL @attribute ends it. */
void mock_sysfs_set_rendezvous(MockSysfs *ms, const char *attribute, guint parties);
void mock_sysfs_get_rendezvous(MockSysfs *ms, guint *met, guint *missed);
