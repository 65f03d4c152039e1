/*
 * hd-vfio-variant.h: which VFIO driver a PCI device should use
 *
 * A VFIO variant driver (mlx5_vfio_pci, hisi_acc_vfio_pci, ...) is vfio-pci
 * plus device-specific code, live migration above all.  The kernel announces
 * them in modules.alias as "alias vfio_pci:<pattern> <module>" lines that
 * udev and modprobe ignore; picking one is left to userspace.  The rule here
 * is libvirt's for managed='yes' (since 10.0): the matching alias with the
 * fewest wildcards wins, the first one seen wins a tie.
 *
 * Nothing here binds or loads anything: these are pure functions of a
 * modalias string, a modules.alias file and a sysfs tree.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib.h>

/* the module of the generic driver, as modules.alias names it */
#define HD_VFIO_VARIANT_GENERIC_MODULE "vfio_pci"

/* the seven fields of a PCI modalias, in the order the kernel writes them */
typedef enum {
	HD_VFIO_MODALIAS_VENDOR,	/* v */
	HD_VFIO_MODALIAS_DEVICE,	/* d */
	HD_VFIO_MODALIAS_SUBVENDOR,	/* sv */
	HD_VFIO_MODALIAS_SUBDEVICE,	/* sd */
	HD_VFIO_MODALIAS_BASECLASS,	/* bc */
	HD_VFIO_MODALIAS_SUBCLASS,	/* sc */
	HD_VFIO_MODALIAS_INTERFACE,	/* i */
	HD_VFIO_MODALIAS_N_FIELDS,
} HdVfioModaliasField;

/*
 * Each field as upper-case hex digits (8 for the ids, 2 for the class
 * bytes), or "*" in a modules.alias pattern.
 */
typedef struct {
	gchar field[HD_VFIO_MODALIAS_N_FIELDS][9];
} HdVfioModalias;

/*
 * Parse a device's sysfs modalias, "pci:v000015B3d0000101Esv...i00", as
 * read (a trailing newline is allowed).  Hex digits may be of either case
 * and are stored upper-case.  Anything else, a wildcard included, is
 * HD_ERROR_INVALID_DATA naming the string.
 */
gboolean hd_vfio_variant_parse_modalias(const char *modalias, HdVfioModalias *out, GError **error);

/*
 * The module of the best VFIO driver for the device with @modalias, by the
 * "alias vfio_pci:" lines of @modules_alias_path.  The generic alias
 * matches every device, so on kernels that have it the worst answer is
 * HD_VFIO_VARIANT_GENERIC_MODULE.
 *
 * A line counts only as depmod writes it: "alias vfio_pci:" from column 0,
 * the seven fields in order, each "*" or all its hex digits (either case),
 * then one module name of [A-Za-z0-9_-].  Extra blanks between or after
 * them (and a CR) are tolerated; any other line is skipped, as is one
 * longer than 64 KiB.  The file is streamed, not held in memory.
 *
 * NULL without an error: no vfio_pci alias matches (older kernels have
 * none at all); the caller falls back to plain vfio-pci, as libvirt does.
 * NULL with an error: @modalias is malformed (HD_ERROR_INVALID_DATA, the
 * file is then not read), or the file cannot be read (the error names it).
 */
gchar *hd_vfio_variant_find(const char *modalias, const char *modules_alias_path, GError **error);

/*
 * Does any "alias vfio_pci:" line of @modules_alias_path name @module ('-'
 * and '_' alike)?  That is what makes a module a VFIO variant driver, and
 * not just any module a domain's XML names.
 */
gboolean hd_vfio_variant_is_listed(const char *module, const char *modules_alias_path, gboolean *listed,
				   GError **error);

/* /lib/modules/$(uname -r)/modules.alias, below @modules_dir if not NULL */
gchar *hd_vfio_variant_modules_alias_path(const char *modules_dir);

/* whether @module (module or driver name, '-' or '_') is plain vfio-pci */
gboolean hd_vfio_variant_is_generic(const char *module);

/*
 * The PCI driver that @module registers, from the "pci:<driver>" entries
 * of <sysfs_root>/module/<module>/drivers/, trying @module as given, with
 * '-' as '_' and with '_' as '-'.  Module and driver names differ
 * (vfio_pci registers vfio-pci), so a driver_override needs this.  If a
 * module registers several PCI drivers, the one named like the module
 * wins, else the first in sorted order.
 *
 * NULL with HD_ERROR_NOT_FOUND: the module is not loaded, or registers no
 * PCI driver.  HD_ERROR_INVALID_DATA: @module is not a module name.
 */
gchar *hd_vfio_variant_driver_name(const char *sysfs_root, const char *module, GError **error);
