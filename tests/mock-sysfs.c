/*
 * mock-sysfs.c: a simulated PCI sysfs that reacts inside the write call
 *
 * Each write goes through the two halves a real write(2) to sysfs goes
 * through: the VFS and kernfs decide whether the file can be opened for
 * writing at all (mock_sysfs_open), then the attribute's store() handler
 * does its work (the mock_sysfs_store_* functions, after
 * drivers/pci/pci-sysfs.c and drivers/base/{bus,dd,driver}.c; SR-IOV after
 * drivers/pci/iov.c, and pciback's files, the mock_pciback_* functions,
 * after drivers/xen/xen-pciback/pci_stub.c and conf_space*.c).  The state
 * lives in memory and every change is mirrored into the tree at once, so
 * the engine's reads, readlinks and listings see what the kernel would show.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "mock-sysfs.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hd-error.h"

/* kernfs hands store() at most a page, and driver_override keeps room for
 * the newline its show() adds */
#define MOCK_PAGE_SIZE 4096

/* xen-pciback's PCI driver: PCISTUB_DRIVER_NAME, in the module xen-pciback */
#define MOCK_PCIBACK        "pciback"
#define MOCK_PCIBACK_MODULE "xen-pciback"

typedef struct {
	gchar *name;
	GArray *ids; /* of guint32 MOCK_PCI_ID() */
	gboolean loaded;
	gboolean sriov_configure;  /* has the callback sriov_numvfs needs */
	int sriov_assigned_errnum; /* its refusal to disable assigned VFs, or 0 */
} MockDriver;

/* a config space register xen-pciback handles itself (struct config_field) */
typedef struct {
	guint32 offset;
	guint32 size;
	guint32 mask;
} MockConfigField;

/* the dev_data pcistub_init_device() gives a device it seizes; it is freed
 * when the device leaves pciback, and nothing in it survives that */
typedef struct {
	gboolean permissive;
	GArray *quirks; /* of MockConfigField, written to the quirks file */
} MockPcibackData;

/* a PF's struct pci_sriov */
typedef struct {
	guint16 total_vfs;
	guint16 offset;
	guint16 stride;
	guint16 vf_device;
	gboolean drivers_autoprobe;
	GPtrArray *vfs; /* the enabled VFs by number, owned by ms->devices */
} MockSriov;

typedef struct _MockDevice MockDevice;

struct _MockDevice {
	gchar *bdf;
	guint domain;
	guint bus;
	guint devfn;
	guint16 vendor;
	guint16 device;
	guint16 subvendor;
	guint16 subdevice;
	guint32 class_code;
	gchar *iommu_group; /* NULL: none */
	MockDriver *driver; /* NULL: unbound */
	gchar *override;    /* NULL: unset */
	gboolean probe_refused;
	MockSriov *sriov;         /* NULL: not a PF */
	MockDevice *physfn;       /* NULL: not a VF */
	MockPcibackData *pciback; /* NULL: not bound to pciback */
};

/* an entry of pciback's slot list (struct pcistub_device_id) */
typedef struct {
	guint domain;
	guint bus;
	guint devfn;
} MockSlot;

/* an entry of pciback's quirks list (struct xen_pcibk_config_quirk): the
 * device that made it, by name, and the IDs it had then */
typedef struct {
	gchar *bdf;
	guint bus;
	guint devfn;
	guint16 ids[4]; /* vendor, device, subsystem vendor, subsystem device */
} MockQuirkEntry;

typedef struct {
	gchar *suffix;
	guint nth;  /* which matching write fails, from 1 */
	guint seen; /* matching writes so far */
	int errnum;
} MockFault;

struct _MockSysfs {
	gchar *root; /* resolved, so that resolved attribute paths start with it */
	gchar *shown_root; /* the root as the engine's HdSysfs spells it, for messages */
	/* loaded drivers in registration order, which is the order the
	 * kernel's bus list offers them to a device being probed */
	GPtrArray *drivers;
	GPtrArray *devices;
	GPtrArray *faults;
	GHashTable *module_errors; /* mock_sysfs_module_key() → errno */
	GPtrArray *writes;
	/* xen-pciback's lists, each in the order the kernel keeps it */
	GArray *pciback_slots;      /* of MockSlot: pcistub_device_ids */
	GPtrArray *pciback_devices; /* seized MockDevice, newest first: pcistub_devices */
	GPtrArray *pciback_quirks;  /* of MockQuirkEntry: xen_pcibk_quirks */
	/* the engine runs units on threads: one store() at a time, as if the
	 * kernel's device and driver locks were one big lock */
	GMutex lock;
	GHashTable *latencies; /* attribute name -> microseconds a write of it sleeps */
	/* mock_sysfs_set_rendezvous() */
	GMutex rendezvous_lock;
	GCond rendezvous_cond;
	gchar *rendezvous_attribute;
	guint rendezvous_parties;
	guint rendezvous_waiting;
	guint rendezvous_met;
	guint rendezvous_missed;
};

/* a store() handler: 0 or the errno the write fails with; @object is the
 * device or driver the attribute belongs to */
typedef int (*MockStoreFunc)(MockSysfs *ms, const char *object, const char *value);

typedef struct {
	MockStoreFunc store;
	gchar *object;
} MockAttribute;

/* --- the tree ---------------------------------------------------------- */

/* the tree is the test's scaffolding: if it cannot be built, nothing the
 * test goes on to check would mean anything */
static void
mock_sysfs_check(gboolean ok, const char *what, const char *path)
{
	if (!ok)
		g_error("mock-sysfs: cannot %s %s: %s", what, path, g_strerror(errno));
}

static gchar *
mock_sysfs_path(MockSysfs *ms, const char *relpath)
{
	return g_build_filename(ms->root, relpath, NULL);
}

static void
mock_sysfs_mkdir(MockSysfs *ms, const char *relpath)
{
	g_autofree gchar *path = mock_sysfs_path(ms, relpath);

	mock_sysfs_check(g_mkdir_with_parents(path, 0755) == 0, "create directory", path);
}

/* open, truncate, write: GLib 2.74's g_file_set_contents_full() either
 * fsyncs every rewrite or rewrites in place without truncating */
static void
mock_sysfs_put_file(MockSysfs *ms, const char *relpath, const char *data, gsize len, int mode)
{
	g_autofree gchar *path = mock_sysfs_path(ms, relpath);
	int fd = g_open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	gssize written = 0;

	mock_sysfs_check(fd >= 0, "create", path);
	while ((gsize)written < len) {
		gssize n = write(fd, data + written, len - (gsize)written);

		mock_sysfs_check(n >= 0 || errno == EINTR, "write", path);
		written += n > 0 ? n : 0;
	}
	mock_sysfs_check(g_close(fd, NULL), "close", path);
}

static void
mock_sysfs_put_text(MockSysfs *ms, const char *relpath, const char *text, int mode)
{
	mock_sysfs_put_file(ms, relpath, text, strlen(text), mode);
}

/* sysfs links are relative, so the tree can be moved or kept and inspected */
static void
mock_sysfs_link(MockSysfs *ms, const char *target, const char *relpath)
{
	g_autofree gchar *path = mock_sysfs_path(ms, relpath);

	mock_sysfs_check(symlink(target, path) == 0, "create link", path);
}

static void
mock_sysfs_remove(MockSysfs *ms, const char *relpath)
{
	g_autofree gchar *path = mock_sysfs_path(ms, relpath);

	mock_sysfs_check(g_unlink(path) == 0, "remove", path);
}

static gboolean
mock_sysfs_present(MockSysfs *ms, const char *relpath)
{
	g_autofree gchar *path = mock_sysfs_path(ms, relpath);
	struct stat st;

	return lstat(path, &st) == 0;
}

static gint
mock_sysfs_compare_names(gconstpointer a, gconstpointer b)
{
	return g_strcmp0(*(const char *const *)a, *(const char *const *)b);
}

/* a directory's entries, sorted; @links_only keeps the symbolic links */
static GPtrArray *
mock_sysfs_list(MockSysfs *ms, const char *relpath, gboolean links_only)
{
	g_autofree gchar *path = mock_sysfs_path(ms, relpath);
	g_autoptr(GError) error = NULL;
	g_autoptr(GDir) dir = g_dir_open(path, 0, &error);
	g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
	const char *name;

	if (dir == NULL)
		g_error("mock-sysfs: %s", error->message);
	while ((name = g_dir_read_name(dir)) != NULL) {
		g_autofree gchar *entry = g_build_filename(path, name, NULL);

		if (!links_only || g_file_test(entry, G_FILE_TEST_IS_SYMLINK))
			g_ptr_array_add(names, g_strdup(name));
	}
	g_ptr_array_sort(names, mock_sysfs_compare_names);
	return g_steal_pointer(&names);
}

/* rm -r that never follows a link: the tree links to itself everywhere */
static void
mock_sysfs_remove_tree(const char *path)
{
	g_autoptr(GDir) dir = NULL;
	const char *name;
	struct stat st;

	if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
		dir = g_dir_open(path, 0, NULL);
		while (dir != NULL && (name = g_dir_read_name(dir)) != NULL) {
			g_autofree gchar *child = g_build_filename(path, name, NULL);

			mock_sysfs_remove_tree(child);
		}
	}
	if (g_remove(path) != 0)
		g_warning("mock-sysfs: cannot remove %s: %s", path, g_strerror(errno));
}

static gchar *
mock_sysfs_device_dir(const char *bdf, const char *attribute)
{
	return g_build_filename("bus", "pci", "devices", bdf, attribute, NULL);
}

static gchar *
mock_sysfs_driver_dir(const char *driver, const char *attribute)
{
	return g_build_filename("bus", "pci", "drivers", driver, attribute, NULL);
}

/* --- objects ----------------------------------------------------------- */

static void
mock_driver_free(MockDriver *drv)
{
	g_free(drv->name);
	g_array_unref(drv->ids);
	g_free(drv);
}

static void
mock_pciback_data_free(MockPcibackData *data)
{
	g_array_unref(data->quirks);
	g_free(data);
}

static void
mock_sriov_free(MockSriov *iov)
{
	g_ptr_array_unref(iov->vfs);
	g_free(iov);
}

static void
mock_device_free(MockDevice *dev)
{
	g_free(dev->bdf);
	g_free(dev->iommu_group);
	g_free(dev->override);
	g_clear_pointer(&dev->sriov, mock_sriov_free);
	g_clear_pointer(&dev->pciback, mock_pciback_data_free);
	g_free(dev);
}

static void
mock_quirk_entry_free(MockQuirkEntry *entry)
{
	g_free(entry->bdf);
	g_free(entry);
}

static void
mock_fault_free(MockFault *fault)
{
	g_free(fault->suffix);
	g_free(fault);
}

static void
mock_attribute_clear(MockAttribute *attr)
{
	g_clear_pointer(&attr->object, g_free);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(MockAttribute, mock_attribute_clear)

static MockDriver *
mock_sysfs_find_driver(MockSysfs *ms, const char *name)
{
	for (guint i = 0; i < ms->drivers->len; i++) {
		MockDriver *drv = g_ptr_array_index(ms->drivers, i);

		if (g_strcmp0(drv->name, name) == 0)
			return drv;
	}
	return NULL;
}

static MockDevice *
mock_sysfs_find_device(MockSysfs *ms, const char *bdf)
{
	for (guint i = 0; i < ms->devices->len; i++) {
		MockDevice *dev = g_ptr_array_index(ms->devices, i);

		if (g_strcmp0(dev->bdf, bdf) == 0)
			return dev;
	}
	return NULL;
}

/* the kernel's sysfs_streq(): equal, but for one trailing newline on either */
static gboolean
mock_sysfs_streq(const char *s1, const char *s2)
{
	while (*s1 != '\0' && *s1 == *s2) {
		s1++;
		s2++;
	}
	if (*s1 == *s2)
		return TRUE;
	if (*s1 == '\0' && s2[0] == '\n' && s2[1] == '\0')
		return TRUE;
	return s1[0] == '\n' && s1[1] == '\0' && *s2 == '\0';
}

/* bus_find_device_by_name(), as bind, unbind and drivers_probe look up
 * the address written to them */
static MockDevice *
mock_sysfs_lookup_device(MockSysfs *ms, const char *value)
{
	for (guint i = 0; i < ms->devices->len; i++) {
		MockDevice *dev = g_ptr_array_index(ms->devices, i);

		if (mock_sysfs_streq(dev->bdf, value))
			return dev;
	}
	return NULL;
}

/* kmod spells '-' and '_' alike: "vfio-pci" loads vfio_pci.ko */
static gchar *
mock_sysfs_module_key(const char *module)
{
	return g_strdelimit(g_strdup(module), "-", '_');
}

static gboolean
mock_driver_is_pciback(const MockDriver *drv)
{
	return g_strcmp0(drv->name, MOCK_PCIBACK) == 0;
}

/* the module of a driver, by the driver's name: the mock has no aliases,
 * but pciback is the one driver not named after its module */
static MockDriver *
mock_sysfs_find_module(MockSysfs *ms, const char *module)
{
	g_autofree gchar *key = mock_sysfs_module_key(module);

	for (guint i = 0; i < ms->drivers->len; i++) {
		MockDriver *drv = g_ptr_array_index(ms->drivers, i);
		g_autofree gchar *name =
		    mock_sysfs_module_key(mock_driver_is_pciback(drv) ? MOCK_PCIBACK_MODULE : drv->name);

		if (g_strcmp0(name, key) == 0)
			return drv;
	}
	return NULL;
}

/* vfio-pci and its variant drivers (mlx5_vfio_pci, ...) register vfio
 * devices, which is what makes /dev/vfio/<group> appear */
static gboolean
mock_driver_is_vfio(const MockDriver *drv)
{
	return g_str_has_suffix(drv->name, "vfio-pci") || g_str_has_suffix(drv->name, "vfio_pci");
}

static gboolean
mock_device_is_bridge(const MockDevice *dev)
{
	return dev->class_code >> 8 == MOCK_PCI_CLASS_BRIDGE >> 8;
}

/* pci_name(): the address a device's directory is named by */
static gchar *
mock_pci_name(guint domain, guint bus, guint devfn)
{
	return g_strdup_printf("%04x:%02x:%02x.%u", domain, bus, devfn >> 3, devfn & 7);
}

/* a test's device address, which must have pci_name()'s shape */
static gboolean
mock_parse_pci_name(const char *bdf, guint *domain, guint *bus, guint *devfn)
{
	static const char shape[] = "xxxx:xx:xx.x";
	guint64 slot;
	gint func;

	if (strlen(bdf) != strlen(shape))
		return FALSE;
	for (guint i = 0; shape[i] != '\0'; i++) {
		if (shape[i] == 'x' ? !g_ascii_isxdigit(bdf[i]) : bdf[i] != shape[i])
			return FALSE;
	}
	slot = g_ascii_strtoull(bdf + 8, NULL, 16);
	func = g_ascii_xdigit_value(bdf[11]);
	if (slot > 0x1f || func > 7)
		return FALSE;
	*domain = (guint)g_ascii_strtoull(bdf, NULL, 16);
	*bus = (guint)g_ascii_strtoull(bdf + 5, NULL, 16);
	*devfn = (guint)slot << 3 | (guint)func;
	return TRUE;
}

/* --- what the kernel shows ---------------------------------------------- */

static void
mock_sysfs_show_override(MockSysfs *ms, const MockDevice *dev)
{
	g_autofree gchar *relpath = mock_sysfs_device_dir(dev->bdf, "driver_override");
	g_autofree gchar *text = g_strdup_printf("%s\n", dev->override != NULL ? dev->override : "(null)");

	mock_sysfs_put_text(ms, relpath, text, 0644);
}

/* the first 64 bytes of config space, little-endian as the hardware has
 * them: libpci reads the header type from here to tell bridges apart */
static void
mock_sysfs_show_config(MockSysfs *ms, const MockDevice *dev)
{
	g_autofree gchar *relpath = mock_sysfs_device_dir(dev->bdf, "config");
	guint8 config[64] = {0};

	config[0x00] = dev->vendor & 0xff;
	config[0x01] = dev->vendor >> 8;
	config[0x02] = dev->device & 0xff;
	config[0x03] = dev->device >> 8;
	config[0x09] = dev->class_code & 0xff;
	config[0x0a] = (dev->class_code >> 8) & 0xff;
	config[0x0b] = (dev->class_code >> 16) & 0xff;
	config[0x0e] = mock_device_is_bridge(dev) ? 1 : 0;
	/* a bridge keeps its subsystem IDs in a capability, the mock's in none */
	if (!mock_device_is_bridge(dev)) {
		config[0x2c] = dev->subvendor & 0xff;
		config[0x2d] = dev->subvendor >> 8;
		config[0x2e] = dev->subdevice & 0xff;
		config[0x2f] = dev->subdevice >> 8;
	}
	mock_sysfs_put_file(ms, relpath, (const char *)config, sizeof(config), 0644);
}

static void
mock_sysfs_show_ids(MockSysfs *ms, const MockDevice *dev)
{
	static const char *const names[] = {"vendor", "device", "subsystem_vendor", "subsystem_device", "class"};
	g_autofree gchar *vendor = g_strdup_printf("0x%04x\n", dev->vendor);
	g_autofree gchar *device = g_strdup_printf("0x%04x\n", dev->device);
	g_autofree gchar *subvendor = g_strdup_printf("0x%04x\n", dev->subvendor);
	g_autofree gchar *subdevice = g_strdup_printf("0x%04x\n", dev->subdevice);
	g_autofree gchar *class_code = g_strdup_printf("0x%06x\n", dev->class_code);
	const char *values[] = {vendor, device, subvendor, subdevice, class_code};

	for (guint i = 0; i < G_N_ELEMENTS(names); i++) {
		g_autofree gchar *relpath = mock_sysfs_device_dir(dev->bdf, names[i]);

		mock_sysfs_put_text(ms, relpath, values[i], 0444);
	}
}

static void
mock_sysfs_show_iommu_group(MockSysfs *ms, const MockDevice *dev)
{
	g_autofree gchar *group_dir = g_build_filename("kernel/iommu_groups", dev->iommu_group, "devices", NULL);
	g_autofree gchar *member = g_build_filename(group_dir, dev->bdf, NULL);
	g_autofree gchar *member_target = g_build_filename("../../../../bus/pci/devices", dev->bdf, NULL);
	g_autofree gchar *link = mock_sysfs_device_dir(dev->bdf, "iommu_group");
	g_autofree gchar *link_target = g_build_filename("../../../../kernel/iommu_groups", dev->iommu_group, NULL);

	mock_sysfs_mkdir(ms, group_dir);
	mock_sysfs_link(ms, member_target, member);
	mock_sysfs_link(ms, link_target, link);
}

/* a PF's files (sriov_pf_dev_attrs in drivers/pci/iov.c), as their show()
 * functions print them: sriov_vf_device in hex without "0x", the rest in
 * decimal; sriov_vf_total_msix, which needs an MSI-X-aware PF driver, is
 * not simulated */
static void
mock_sysfs_show_sriov(MockSysfs *ms, const MockDevice *dev)
{
	static const char *const names[] = {"sriov_totalvfs", "sriov_numvfs", "sriov_offset",
					    "sriov_stride", "sriov_vf_device", "sriov_drivers_autoprobe"};
	/* sriov_numvfs and sriov_drivers_autoprobe have a store() */
	static const int modes[] = {0444, 0644, 0444, 0444, 0444, 0644};
	const MockSriov *iov = dev->sriov;
	g_autofree gchar *total = g_strdup_printf("%u\n", iov->total_vfs);
	g_autofree gchar *num = g_strdup_printf("%u\n", iov->vfs->len);
	g_autofree gchar *offset = g_strdup_printf("%u\n", iov->offset);
	g_autofree gchar *stride = g_strdup_printf("%u\n", iov->stride);
	g_autofree gchar *vf_device = g_strdup_printf("%x\n", iov->vf_device);
	g_autofree gchar *autoprobe = g_strdup_printf("%u\n", iov->drivers_autoprobe ? 1 : 0);
	const char *values[] = {total, num, offset, stride, vf_device, autoprobe};

	for (guint i = 0; i < G_N_ELEMENTS(names); i++) {
		g_autofree gchar *relpath = mock_sysfs_device_dir(dev->bdf, names[i]);

		mock_sysfs_put_text(ms, relpath, values[i], modes[i]);
	}
}

/* /dev/vfio/<group> exists while at least one device of the group is
 * bound to a vfio driver: vfio creates it with the group's first vfio
 * device and removes it with the last */
static void
mock_sysfs_sync_vfio_node(MockSysfs *ms, const char *group)
{
	g_autofree gchar *relpath = g_build_filename("dev", "vfio", group, NULL);
	gboolean wanted = FALSE;

	for (guint i = 0; i < ms->devices->len && !wanted; i++) {
		MockDevice *dev = g_ptr_array_index(ms->devices, i);

		wanted = dev->driver != NULL && mock_driver_is_vfio(dev->driver) &&
			 g_strcmp0(dev->iommu_group, group) == 0;
	}
	if (wanted && !mock_sysfs_present(ms, relpath))
		mock_sysfs_put_text(ms, relpath, "", 0600);
	else if (!wanted && mock_sysfs_present(ms, relpath))
		mock_sysfs_remove(ms, relpath);
}

/* --- xen-pciback's state ------------------------------------------------- */

/* the fields xen_pcibk_config_header_add_fields() emulates for every device
 * it seizes, in its order: header_common, then header_0 or header_1
 * (conf_space_header.c); capabilities would add theirs after them, but the
 * mock's devices have none */
static const MockConfigField mock_pciback_header_common[] = {
	{0x00, 2, 0}, /* PCI_VENDOR_ID */
	{0x02, 2, 0}, /* PCI_DEVICE_ID */
	{0x04, 2, 0}, /* PCI_COMMAND */
	{0x3c, 1, 0}, /* PCI_INTERRUPT_LINE */
	{0x3d, 1, 0}, /* PCI_INTERRUPT_PIN */
	{0x0c, 1, 0}, /* PCI_CACHE_LINE_SIZE */
	{0x0d, 1, 0}, /* PCI_LATENCY_TIMER */
	{0x0f, 1, 0}, /* PCI_BIST */
};
static const MockConfigField mock_pciback_header_0[] = {
	{0x10, 4, 0}, {0x14, 4, 0}, {0x18, 4, 0}, {0x1c, 4, 0}, {0x20, 4, 0}, {0x24, 4, 0}, /* the BARs */
	{0x30, 4, 0}, /* PCI_ROM_ADDRESS */
};
static const MockConfigField mock_pciback_header_1[] = {
	{0x10, 4, 0}, {0x14, 4, 0}, /* the BARs */
	{0x38, 4, 0}, /* PCI_ROM_ADDRESS1 */
};

/* every field pciback handles for @dev, in its dev_data's list order: the
 * emulated header, then what the quirks file added */
static GArray *
mock_pciback_fields(const MockDevice *dev)
{
	GArray *fields = g_array_new(FALSE, FALSE, sizeof(MockConfigField));

	g_array_append_vals(fields, mock_pciback_header_common, G_N_ELEMENTS(mock_pciback_header_common));
	if (mock_device_is_bridge(dev))
		g_array_append_vals(fields, mock_pciback_header_1, G_N_ELEMENTS(mock_pciback_header_1));
	else
		g_array_append_vals(fields, mock_pciback_header_0, G_N_ELEMENTS(mock_pciback_header_0));
	g_array_append_vals(fields, dev->pciback->quirks->data, dev->pciback->quirks->len);
	return fields;
}

/* a driver attribute's show() writes at most a page, NUL included, and
 * cuts the line it is in the middle of */
static void
mock_pciback_put_page(MockSysfs *ms, const char *name, GString *text, int mode)
{
	g_autofree gchar *relpath = mock_sysfs_driver_dir(MOCK_PCIBACK, name);

	g_string_truncate(text, MIN(text->len, MOCK_PAGE_SIZE - 1));
	mock_sysfs_put_text(ms, relpath, text->str, mode);
}

/*
 * pciback's readable files, from its lists: slots_show(), permissive_show()
 * and irq_handlers_show() (a fresh dev_data's fake IRQ handler is off,
 * acks nothing and has handled nothing; irq_handler_state, which toggles
 * it, is not simulated), and quirks_show(): per entry of the quirks list,
 * the device's bus:slot.func and the IDs of the entry, then every field of
 * the device's dev_data.  When the entry's device is no longer on pciback
 * (see mock_pciback_release()) the kernel follows its NULL dev_data; the
 * mock stops after the IDs.
 */
static void
mock_pciback_show(MockSysfs *ms)
{
	MockDriver *drv = mock_sysfs_find_driver(ms, MOCK_PCIBACK);
	g_autoptr(GString) slots = g_string_new(NULL);
	g_autoptr(GString) permissive = g_string_new(NULL);
	g_autoptr(GString) irq_handlers = g_string_new(NULL);
	g_autoptr(GString) quirks = g_string_new(NULL);

	if (drv == NULL || !drv->loaded)
		return;
	for (guint i = 0; i < ms->pciback_slots->len; i++) {
		const MockSlot *slot = &g_array_index(ms->pciback_slots, MockSlot, i);
		g_autofree gchar *name = mock_pci_name(slot->domain, slot->bus, slot->devfn);

		g_string_append_printf(slots, "%s\n", name);
	}
	for (guint i = 0; i < ms->pciback_devices->len; i++) {
		const MockDevice *dev = g_ptr_array_index(ms->pciback_devices, i);

		if (dev->pciback->permissive)
			g_string_append_printf(permissive, "%s\n", dev->bdf);
		g_string_append_printf(irq_handlers, "%s:off:not acking:0\n", dev->bdf);
	}
	for (guint i = 0; i < ms->pciback_quirks->len; i++) {
		const MockQuirkEntry *entry = g_ptr_array_index(ms->pciback_quirks, i);
		const MockDevice *dev = mock_sysfs_find_device(ms, entry->bdf);
		g_autoptr(GArray) fields = NULL;

		g_string_append_printf(quirks, "%02x:%02x.%01x\n\t%04x:%04x:%04x:%04x\n", entry->bus,
				       entry->devfn >> 3, entry->devfn & 7, entry->ids[0], entry->ids[1],
				       entry->ids[2], entry->ids[3]);
		if (dev == NULL || dev->pciback == NULL)
			continue;
		fields = mock_pciback_fields(dev);
		for (guint j = 0; j < fields->len; j++) {
			const MockConfigField *field = &g_array_index(fields, MockConfigField, j);

			g_string_append_printf(quirks, "\t\t%08x:%01x:%08x\n", field->offset, field->size,
					       field->mask);
		}
	}
	mock_pciback_put_page(ms, "slots", slots, 0444);
	mock_pciback_put_page(ms, "permissive", permissive, 0644);
	mock_pciback_put_page(ms, "irq_handlers", irq_handlers, 0444);
	mock_pciback_put_page(ms, "quirks", quirks, 0644);
}

static gboolean
mock_pciback_slot_listed(MockSysfs *ms, guint domain, guint bus, guint devfn)
{
	for (guint i = 0; i < ms->pciback_slots->len; i++) {
		const MockSlot *slot = &g_array_index(ms->pciback_slots, MockSlot, i);

		if (slot->domain == domain && slot->bus == bus && slot->devfn == devfn)
			return TRUE;
	}
	return FALSE;
}

/* pcistub_device_id_add_list(): appended, unless already listed */
static void
mock_pciback_add_slot(MockSysfs *ms, guint domain, guint bus, guint devfn)
{
	MockSlot slot = {domain, bus, devfn};

	if (!mock_pciback_slot_listed(ms, domain, bus, devfn))
		g_array_append_val(ms->pciback_slots, slot);
	mock_pciback_show(ms);
}

/*
 * pcistub_seize() and pcistub_init_device(): a fresh dev_data, nothing
 * permissive and no quirk fields; the device at the head of the seized
 * devices' list; and xen_pcibk_config_quirks_init()'s entry in the quirks
 * list, with the IDs the device has now.
 */
static void
mock_pciback_seize(MockSysfs *ms, MockDevice *dev)
{
	MockQuirkEntry *entry = g_new0(MockQuirkEntry, 1);

	dev->pciback = g_new0(MockPcibackData, 1);
	dev->pciback->quirks = g_array_new(FALSE, FALSE, sizeof(MockConfigField));
	g_ptr_array_insert(ms->pciback_devices, 0, dev);
	entry->bdf = g_strdup(dev->bdf);
	entry->bus = dev->bus;
	entry->devfn = dev->devfn;
	entry->ids[0] = dev->vendor;
	entry->ids[1] = dev->device;
	entry->ids[2] = dev->subvendor;
	entry->ids[3] = dev->subdevice;
	g_ptr_array_add(ms->pciback_quirks, entry);
	mock_pciback_show(ms);
}

/*
 * pcistub_remove().  xen_pcibk_config_quirk_release() drops the first
 * entry of the quirks list whose vendor, device and subsystem IDs are the
 * device's: with two identical devices on pciback, the one seized later
 * leaving drops the other's entry and keeps its own, whose device then has
 * no dev_data (mock_pciback_show()).  The other device's fields are in its
 * own dev_data, so its emulation does not change.  This device's dev_data
 * goes (pcistub_device_release()), and with it the permissive flag and the
 * quirk fields; the slot stays listed.
 */
static void
mock_pciback_release(MockSysfs *ms, MockDevice *dev)
{
	for (guint i = 0; i < ms->pciback_quirks->len; i++) {
		const MockQuirkEntry *entry = g_ptr_array_index(ms->pciback_quirks, i);

		if (entry->ids[0] == dev->vendor && entry->ids[1] == dev->device &&
		    entry->ids[2] == dev->subvendor && entry->ids[3] == dev->subdevice) {
			g_ptr_array_remove_index(ms->pciback_quirks, i);
			break;
		}
	}
	g_ptr_array_remove(ms->pciback_devices, dev);
	g_clear_pointer(&dev->pciback, mock_pciback_data_free);
	mock_pciback_show(ms);
}

/* the links a bound device has: devices/<bdf>/driver and drivers/<drv>/<bdf> */
static void
mock_sysfs_attach(MockSysfs *ms, MockDevice *dev, MockDriver *drv)
{
	g_autofree gchar *driver_link = mock_sysfs_device_dir(dev->bdf, "driver");
	g_autofree gchar *driver_target = g_build_filename("..", "..", "drivers", drv->name, NULL);
	g_autofree gchar *device_link = mock_sysfs_driver_dir(drv->name, dev->bdf);
	g_autofree gchar *device_target = g_build_filename("..", "..", "devices", dev->bdf, NULL);

	dev->driver = drv;
	mock_sysfs_link(ms, driver_target, driver_link);
	mock_sysfs_link(ms, device_target, device_link);
	if (mock_driver_is_pciback(drv))
		mock_pciback_seize(ms, dev);
	if (dev->iommu_group != NULL)
		mock_sysfs_sync_vfio_node(ms, dev->iommu_group);
}

static void mock_sysfs_sriov_disable(MockSysfs *ms, MockDevice *pf);

/* device_driver_detach(): the driver's remove() runs, the links go,
 * driver_override stays.  A PF driver's remove() disables SR-IOV, which
 * takes the VFs away (pci_device_remove() complains of one that does not). */
static void
mock_sysfs_detach(MockSysfs *ms, MockDevice *dev)
{
	g_autofree gchar *driver_link = mock_sysfs_device_dir(dev->bdf, "driver");
	g_autofree gchar *device_link = mock_sysfs_driver_dir(dev->driver->name, dev->bdf);

	if (dev->sriov != NULL && dev->sriov->vfs->len > 0)
		mock_sysfs_sriov_disable(ms, dev);
	if (mock_driver_is_pciback(dev->driver))
		mock_pciback_release(ms, dev);
	mock_sysfs_remove(ms, driver_link);
	mock_sysfs_remove(ms, device_link);
	dev->driver = NULL;
	if (dev->iommu_group != NULL)
		mock_sysfs_sync_vfio_node(ms, dev->iommu_group);
}

/* --- matching and probing ------------------------------------------------ */

/* pci_match_device(): with driver_override set, the driver of that name
 * and no other matches, whatever its ID table says (that is how vfio-pci,
 * which claims no IDs, gets a device; and "none" matches nothing); without
 * it, the ID table decides, and pciback's (pcistub_ids, all PCI_ANY_ID)
 * matches every device: its probe() picks */
static gboolean
mock_driver_matches(const MockDriver *drv, const MockDevice *dev)
{
	guint32 id = MOCK_PCI_ID(dev->vendor, dev->device);

	if (dev->override != NULL)
		return g_strcmp0(dev->override, drv->name) == 0;
	if (mock_driver_is_pciback(drv))
		return TRUE;
	for (guint i = 0; i < drv->ids->len; i++) {
		if (g_array_index(drv->ids, guint32, i) == id)
			return TRUE;
	}
	return FALSE;
}

/*
 * pcistub_probe(): a device in the slot list, or one whose driver_override
 * names pciback, which then joins the slot list and so goes back to
 * pciback at its next probe until remove_slot.  The slot list is matched
 * against the device's own address only: the mock has no parent bridges
 * for pcistub_match_one() to climb to, and no header type but 0 and 1 to
 * refuse.
 */
static int
mock_pciback_probe(MockSysfs *ms, MockDriver *drv, MockDevice *dev)
{
	gboolean listed = mock_pciback_slot_listed(ms, dev->domain, dev->bus, dev->devfn);

	if (!listed && g_strcmp0(dev->override, MOCK_PCIBACK) != 0)
		return ENODEV;
	mock_sysfs_attach(ms, dev, drv);
	if (!listed)
		mock_pciback_add_slot(ms, dev->domain, dev->bus, dev->devfn);
	return 0;
}

/* pci_device_probe(), then the driver's probe(): 0 and the device is
 * bound, or the refusal */
static int
mock_sysfs_probe(MockSysfs *ms, MockDriver *drv, MockDevice *dev)
{
	/* pci_device_can_probe(): the VFs of a PF whose sriov_drivers_autoprobe
	 * is 0 now go only where their driver_override sends them */
	if (dev->physfn != NULL && !dev->physfn->sriov->drivers_autoprobe && dev->override == NULL)
		return ENODEV;
	if (dev->probe_refused)
		return ENODEV;
	/* vfio_pci_core_register_device() takes endpoints only, and needs an
	 * IOMMU group to put the device in */
	if (mock_driver_is_vfio(drv) && (mock_device_is_bridge(dev) || dev->iommu_group == NULL))
		return EINVAL;
	if (mock_driver_is_pciback(drv))
		return mock_pciback_probe(ms, drv, dev);
	mock_sysfs_attach(ms, dev, drv);
	return 0;
}

/* device_attach(): the loaded drivers, in registration order, until one
 * matches and its probe() accepts; a refusal only lets the next one try */
static void
mock_sysfs_device_attach(MockSysfs *ms, MockDevice *dev)
{
	for (guint i = 0; i < ms->drivers->len; i++) {
		MockDriver *drv = g_ptr_array_index(ms->drivers, i);

		if (drv->loaded && mock_driver_matches(drv, dev) && mock_sysfs_probe(ms, drv, dev) == 0)
			return;
	}
}

/* driver_register(): the driver appears under bus/pci/drivers, last in the
 * bus's list, and is offered every device that has no driver yet; pciback
 * adds its own files (pcistub_init()), of which allow_interrupt_control
 * and irq_handler_state are not simulated */
static void
mock_sysfs_register_driver(MockSysfs *ms, MockDriver *drv)
{
	static const char *const attributes[] = {"bind", "unbind", "new_id", "remove_id"};
	static const char *const pciback_attributes[] = {"new_slot", "remove_slot"};
	g_autofree gchar *dir = mock_sysfs_driver_dir(drv->name, NULL);
	guint index;

	g_assert_true(g_ptr_array_find(ms->drivers, drv, &index));
	g_ptr_array_add(ms->drivers, g_ptr_array_steal_index(ms->drivers, index));
	drv->loaded = TRUE;
	mock_sysfs_mkdir(ms, dir);
	for (guint i = 0; i < G_N_ELEMENTS(attributes); i++) {
		g_autofree gchar *relpath = mock_sysfs_driver_dir(drv->name, attributes[i]);

		mock_sysfs_put_text(ms, relpath, "", 0200);
	}
	if (mock_driver_is_pciback(drv)) {
		for (guint i = 0; i < G_N_ELEMENTS(pciback_attributes); i++) {
			g_autofree gchar *relpath = mock_sysfs_driver_dir(drv->name, pciback_attributes[i]);

			mock_sysfs_put_text(ms, relpath, "", 0200);
		}
		mock_pciback_show(ms);
	}
	for (guint i = 0; i < ms->devices->len; i++) {
		MockDevice *dev = g_ptr_array_index(ms->devices, i);

		if (dev->driver == NULL && mock_driver_matches(drv, dev))
			mock_sysfs_probe(ms, drv, dev);
	}
}

/* --- devices coming and going --------------------------------------------- */

/* pci_device_add(): the device in the tree and in its IOMMU group, unbound,
 * with no subsystem IDs; the caller sets the rest and shows it again */
static MockDevice *
mock_sysfs_new_device(MockSysfs *ms,
		      const char *bdf,
		      guint16 vendor,
		      guint16 device,
		      guint32 class_code,
		      const char *iommu_group)
{
	g_autofree gchar *dir = mock_sysfs_device_dir(bdf, NULL);
	MockDevice *dev = g_new0(MockDevice, 1);

	if (!mock_parse_pci_name(bdf, &dev->domain, &dev->bus, &dev->devfn))
		g_error("mock-sysfs: device %s: not a DDDD:BB:DD.F address", bdf);
	dev->bdf = g_strdup(bdf);
	dev->vendor = vendor;
	dev->device = device;
	dev->class_code = class_code;
	dev->iommu_group = g_strdup(iommu_group);
	g_ptr_array_add(ms->devices, dev);

	mock_sysfs_mkdir(ms, dir);
	mock_sysfs_show_ids(ms, dev);
	mock_sysfs_show_config(ms, dev);
	mock_sysfs_show_override(ms, dev);
	if (iommu_group != NULL)
		mock_sysfs_show_iommu_group(ms, dev);
	return dev;
}

/* pci_stop_and_remove_bus_device() of an unbound device: its directory
 * goes, and its IOMMU group with the group's last device */
static void
mock_sysfs_delete_device(MockSysfs *ms, MockDevice *dev)
{
	g_autofree gchar *dir = mock_sysfs_device_dir(dev->bdf, NULL);
	g_autofree gchar *path = mock_sysfs_path(ms, dir);

	g_assert_null(dev->driver);
	if (dev->iommu_group != NULL) {
		g_autofree gchar *group = g_build_filename("kernel/iommu_groups", dev->iommu_group, NULL);
		g_autofree gchar *member = g_build_filename(group, "devices", dev->bdf, NULL);
		g_autofree gchar *group_path = mock_sysfs_path(ms, group);
		gboolean last = TRUE;

		mock_sysfs_remove(ms, member);
		for (guint i = 0; i < ms->devices->len && last; i++) {
			MockDevice *other = g_ptr_array_index(ms->devices, i);

			last = other == dev || g_strcmp0(other->iommu_group, dev->iommu_group) != 0;
		}
		if (last)
			mock_sysfs_remove_tree(group_path);
	}
	mock_sysfs_remove_tree(path);
	g_ptr_array_remove(ms->devices, dev);
}

/* the kernel numbers IOMMU groups with an IDA: a new one gets the lowest
 * number no group has */
static gchar *
mock_sysfs_new_group(MockSysfs *ms)
{
	for (guint n = 0;; n++) {
		g_autofree gchar *name = g_strdup_printf("%u", n);
		gboolean taken = FALSE;

		for (guint i = 0; i < ms->devices->len && !taken; i++) {
			MockDevice *dev = g_ptr_array_index(ms->devices, i);

			taken = g_strcmp0(dev->iommu_group, name) == 0;
		}
		if (!taken)
			return g_steal_pointer(&name);
	}
}

/* --- SR-IOV -------------------------------------------------------------- */

/*
 * sriov_enable() as the PF driver's sriov_configure() calls it, enabling
 * all it is asked for.  VF i's routing ID is the PF's plus the offset and i
 * strides; the last VF's bus must exist behind the PF's bridge, which for
 * the mock, without bridges, is any bus up to ff.  Then pci_iov_add_virtfn()
 * per VF, in order: the device (the PF's vendor and class and subsystem,
 * sriov_vf_device as its device, an IOMMU group of its own if the PF has
 * one), its virtfn<i> and physfn links, and only then pci_bus_add_device(),
 * which offers it to the drivers like any new device.
 */
static int
mock_sysfs_sriov_enable(MockSysfs *ms, MockDevice *pf, guint16 num_vfs)
{
	MockSriov *iov = pf->sriov;
	guint32 first = (pf->bus << 8 | pf->devfn) + iov->offset;

	if ((first + (guint32)iov->stride * (num_vfs - 1u)) >> 8 > 0xff)
		return ENOMEM;
	for (guint i = 0; i < num_vfs; i++) {
		guint32 routing_id = first + (guint32)iov->stride * i;
		g_autofree gchar *bdf = mock_pci_name(pf->domain, routing_id >> 8, routing_id & 0xff);
		g_autofree gchar *group = pf->iommu_group != NULL ? mock_sysfs_new_group(ms) : NULL;
		g_autofree gchar *virtfn = g_strdup_printf("virtfn%u", i);
		g_autofree gchar *virtfn_link = mock_sysfs_device_dir(pf->bdf, virtfn);
		g_autofree gchar *virtfn_target = g_build_filename("..", bdf, NULL);
		g_autofree gchar *physfn_link = mock_sysfs_device_dir(bdf, "physfn");
		g_autofree gchar *physfn_target = g_build_filename("..", pf->bdf, NULL);
		MockDevice *vf;

		if (mock_sysfs_find_device(ms, bdf) != NULL)
			g_error("mock-sysfs: VF %u of %s would be %s, which is another device", i, pf->bdf, bdf);
		vf = mock_sysfs_new_device(ms, bdf, pf->vendor, iov->vf_device, pf->class_code, group);
		vf->subvendor = pf->subvendor;
		vf->subdevice = pf->subdevice;
		vf->physfn = pf;
		mock_sysfs_show_ids(ms, vf);
		mock_sysfs_show_config(ms, vf);
		g_ptr_array_add(iov->vfs, vf);
		mock_sysfs_link(ms, virtfn_target, virtfn_link);
		mock_sysfs_link(ms, physfn_target, physfn_link);
		mock_sysfs_device_attach(ms, vf);
	}
	mock_sysfs_show_sriov(ms, pf);
	return 0;
}

/* sriov_disable(): pci_iov_remove_virtfn() per VF, in order: its links,
 * then the device, released from its driver first */
static void
mock_sysfs_sriov_disable(MockSysfs *ms, MockDevice *pf)
{
	MockSriov *iov = pf->sriov;

	for (guint i = 0; i < iov->vfs->len; i++) {
		MockDevice *vf = g_ptr_array_index(iov->vfs, i);
		g_autofree gchar *virtfn = g_strdup_printf("virtfn%u", i);
		g_autofree gchar *virtfn_link = mock_sysfs_device_dir(pf->bdf, virtfn);
		g_autofree gchar *physfn_link = mock_sysfs_device_dir(vf->bdf, "physfn");

		mock_sysfs_remove(ms, virtfn_link);
		mock_sysfs_remove(ms, physfn_link);
		if (vf->driver != NULL)
			mock_sysfs_detach(ms, vf);
		mock_sysfs_delete_device(ms, vf);
	}
	g_ptr_array_set_size(iov->vfs, 0);
	mock_sysfs_show_sriov(ms, pf);
}

/* --- the store() handlers ------------------------------------------------ */

/* driver_set_override(): up to the first newline; "\n" clears it */
static int
mock_sysfs_store_driver_override(MockSysfs *ms, const char *bdf, const char *value)
{
	MockDevice *dev = mock_sysfs_find_device(ms, bdf);
	gsize len = strlen(value);
	const char *newline = strchr(value, '\n');

	/* the attribute's directory exists, so the device does */
	g_assert_nonnull(dev);
	if (len >= MOCK_PAGE_SIZE - 1)
		return EINVAL;
	if (newline != NULL)
		len = (gsize)(newline - value);
	g_clear_pointer(&dev->override, g_free);
	if (len > 0)
		dev->override = g_strndup(value, len);
	mock_sysfs_show_override(ms, dev);
	return 0;
}

/* unbind_store(): only the driver the device is bound to can let it go */
static int
mock_sysfs_store_unbind(MockSysfs *ms, const char *driver, const char *value)
{
	MockDevice *dev = mock_sysfs_lookup_device(ms, value);

	if (dev == NULL || dev->driver == NULL || g_strcmp0(dev->driver->name, driver) != 0)
		return ENODEV;
	mock_sysfs_detach(ms, dev);
	return 0;
}

/* bind_store(): the driver must match the device (driver_override first,
 * then IDs) before the kernel even looks at whether it is taken; then
 * device_driver_attach() refuses a bound device and passes probe()'s
 * refusal back as the write's error */
static int
mock_sysfs_store_bind(MockSysfs *ms, const char *driver, const char *value)
{
	MockDriver *drv = mock_sysfs_find_driver(ms, driver);
	MockDevice *dev = mock_sysfs_lookup_device(ms, value);

	g_assert_nonnull(drv);
	if (dev == NULL || !mock_driver_matches(drv, dev))
		return ENODEV;
	if (dev->driver != NULL)
		return EBUSY;
	return mock_sysfs_probe(ms, drv, dev);
}

/* drivers_probe_store(): an unknown device is an error; anything else
 * succeeds, bound or not afterwards, so only the driver link tells */
static int
mock_sysfs_store_drivers_probe(MockSysfs *ms, const char *unused, const char *value)
{
	MockDevice *dev = mock_sysfs_lookup_device(ms, value);

	if (dev == NULL)
		return ENODEV;
	if (dev->driver == NULL)
		mock_sysfs_device_attach(ms, dev);
	return 0;
}

/* new_id and remove_id change which devices a driver claims behind every
 * device's back; the engine binds through driver_override only, so a
 * write here is an engine bug and fails as a malformed ID would */
static int
mock_sysfs_store_dynamic_id(MockSysfs *ms, const char *driver, const char *value)
{
	return EINVAL;
}

/* kstrtou16(s, 0, ...): an optional '+', then digits in the base the C
 * prefix gives ("0x" only before a hex digit, "0" for octal), at least one,
 * at most one newline after them, and the value in 16 bits */
static gboolean
mock_kstrtou16(const char *s, guint16 *value)
{
	guint base = 10;
	guint64 result = 0;
	const char *digits;

	if (*s == '+')
		s++;
	if (s[0] == '0' && g_ascii_tolower(s[1]) == 'x' && g_ascii_isxdigit(s[2])) {
		base = 16;
		s += 2;
	} else if (s[0] == '0') {
		base = 8;
	}
	for (digits = s; g_ascii_isxdigit(*s) && (guint)g_ascii_xdigit_value(*s) < base; s++) {
		result = result * base + (guint)g_ascii_xdigit_value(*s);
		if (result > G_MAXUINT16)
			return FALSE;
	}
	if (s == digits)
		return FALSE;
	if (*s == '\n')
		s++;
	if (*s != '\0')
		return FALSE;
	*value = (guint16)result;
	return TRUE;
}

/* kstrtobool(): the first character decides, or the first two for "on" and
 * "off"; what follows is not looked at */
static gboolean
mock_kstrtobool(const char *s, gboolean *value)
{
	switch (s[0]) {
	case 'y':
	case 'Y':
	case 't':
	case 'T':
	case '1':
		*value = TRUE;
		return TRUE;
	case 'n':
	case 'N':
	case 'f':
	case 'F':
	case '0':
		*value = FALSE;
		return TRUE;
	case 'o':
	case 'O':
		if (s[1] == 'n' || s[1] == 'N' || s[1] == 'f' || s[1] == 'F') {
			*value = s[1] == 'n' || s[1] == 'N';
			return TRUE;
		}
		return FALSE;
	default:
		return FALSE;
	}
}

/*
 * The kernel's sscanf() as pciback's parsers call it: @format is theirs
 * with ' ' for white space, '#' for "%x" and a final " %n", whose result
 * they accept only at the end of the buffer.  As in vsscanf(), a number may
 * follow white space and a "0x", and keeps the low 32 bits of its value.
 * TRUE when the whole of @buf matches, with the numbers in @values.
 */
static gboolean
mock_scan(const char *buf, const char *format, gint32 *values)
{
	const char *s = buf;
	guint n = 0;

	for (const char *f = format; *f != '\0'; f++) {
		if (*f == ' ' || *f == '#') {
			while (g_ascii_isspace(*s))
				s++;
		}
		if (*f == '#') {
			guint32 value = 0;

			if (!g_ascii_isxdigit(*s))
				return FALSE;
			if (s[0] == '0' && g_ascii_tolower(s[1]) == 'x')
				s += 2;
			for (; g_ascii_isxdigit(*s); s++)
				value = value << 4 | (guint32)g_ascii_xdigit_value(*s);
			values[n++] = (gint32)value;
		} else if (*f != ' ') {
			if (*s != *f)
				return FALSE;
			s++;
		}
	}
	return *s == '\0';
}

/* str_to_slot(): "domain:bus:slot.func", the domain optional (0), "*" for
 * the function or for slot and function (-1); EINVAL for anything else */
static gboolean
mock_pciback_parse_slot(const char *buf, gint32 *slot)
{
	static const struct {
		const char *format;
		gboolean domain;
	} forms[] = {
		{" #:#:#.# ", TRUE}, {" #:#:#.* ", TRUE}, {" #:#:*.* ", TRUE},
		{" #:#.# ", FALSE},  {" #:#.* ", FALSE},  {" #:*.* ", FALSE},
	};

	for (guint i = 0; i < G_N_ELEMENTS(forms); i++) {
		gint32 values[4] = {0, -1, -1, -1};

		if (mock_scan(buf, forms[i].format, forms[i].domain ? values : values + 1)) {
			memcpy(slot, values, sizeof(values));
			return TRUE;
		}
	}
	return FALSE;
}

/* pcistub_device_find(): a device pciback holds, by its address; a
 * wildcard matches none */
static MockDevice *
mock_pciback_find_device(MockSysfs *ms, const gint32 *slot)
{
	for (guint i = 0; i < ms->pciback_devices->len; i++) {
		MockDevice *dev = g_ptr_array_index(ms->pciback_devices, i);

		if (slot[0] == (gint32)dev->domain && slot[1] == (gint32)dev->bus &&
		    slot[2] == (gint32)(dev->devfn >> 3) && slot[3] == (gint32)(dev->devfn & 7))
			return dev;
	}
	return NULL;
}

/* pcistub_device_id_add(): a wildcard adds every slot or function it
 * stands for, in order; an address out of range is EINVAL.  The device
 * need not exist. */
static int
mock_pciback_add_slots(MockSysfs *ms, gint32 domain, gint32 bus, gint32 slot, gint32 func)
{
	int errnum = 0;

	if (slot < 0) {
		for (slot = 0; errnum == 0 && slot < 32; slot++)
			errnum = mock_pciback_add_slots(ms, domain, bus, slot, func);
		return errnum;
	}
	if (func < 0) {
		for (func = 0; errnum == 0 && func < 8; func++)
			errnum = mock_pciback_add_slots(ms, domain, bus, slot, func);
		return errnum;
	}
	if (domain < 0 || domain > 0xffff || bus < 0 || bus > 0xff || slot > 0x1f || func > 7)
		return EINVAL;
	mock_pciback_add_slot(ms, (guint)domain, (guint)bus, (guint)(slot << 3 | func));
	return 0;
}

/* new_slot_store(): the slot list, where a device must be for pciback's
 * probe() to take it; listing one twice changes nothing */
static int
mock_pciback_store_new_slot(MockSysfs *ms, const char *unused, const char *value)
{
	gint32 slot[4];

	if (!mock_pciback_parse_slot(value, slot))
		return EINVAL;
	return mock_pciback_add_slots(ms, slot[0], slot[1], slot[2], slot[3]);
}

/* remove_slot_store(): every entry the address, or wildcard, covers; ENOENT
 * when there is none.  A device pciback holds stays bound. */
static int
mock_pciback_store_remove_slot(MockSysfs *ms, const char *unused, const char *value)
{
	gint32 slot[4];
	int errnum = ENOENT;

	if (!mock_pciback_parse_slot(value, slot))
		return EINVAL;
	for (guint i = ms->pciback_slots->len; i-- > 0;) {
		const MockSlot *entry = &g_array_index(ms->pciback_slots, MockSlot, i);

		if ((gint32)entry->domain == slot[0] && (gint32)entry->bus == slot[1] &&
		    (slot[2] < 0 || (gint32)(entry->devfn >> 3) == slot[2]) &&
		    (slot[3] < 0 || (gint32)(entry->devfn & 7) == slot[3])) {
			g_array_remove_index(ms->pciback_slots, i);
			errnum = 0;
		}
	}
	mock_pciback_show(ms);
	return errnum;
}

/* permissive_store(): only for a device pciback holds, ENODEV otherwise
 * (its ENXIO, for one without dev_data, cannot happen here); nothing
 * writes it back to 0, the flag goes with the dev_data when the device
 * leaves pciback */
static int
mock_pciback_store_permissive(MockSysfs *ms, const char *unused, const char *value)
{
	gint32 slot[4];
	MockDevice *dev;

	if (!mock_pciback_parse_slot(value, slot))
		return EINVAL;
	dev = mock_pciback_find_device(ms, slot);
	if (dev == NULL)
		return ENODEV;
	dev->pciback->permissive = TRUE;
	mock_pciback_show(ms);
	return 0;
}

/*
 * quirks_store(): str_to_quirk() reads "domain:bus:slot.func-reg:size:mask",
 * the domain optional, all in hex; then pcistub_reg_add() checks the
 * register and that the mask fits the size before it looks for the device
 * (ENODEV when pciback does not hold it), and the size last
 * (xen_pcibk_config_quirks_add_field()).  A field at an offset the device
 * already has one at is dropped, and the write still succeeds
 * (xen_pcibk_config_add_field_offset()).  Permissive mode is not needed.
 */
static int
mock_pciback_store_quirks(MockSysfs *ms, const char *unused, const char *value)
{
	gint32 values[7] = {0};
	MockConfigField field;
	g_autoptr(GArray) fields = NULL;
	MockDevice *dev;

	if (!mock_scan(value, " #:#:#.#-#:#:# ", values)) {
		values[0] = 0;
		if (!mock_scan(value, " #:#.#-#:#:# ", values + 1))
			return EINVAL;
	}
	field.offset = (guint32)values[4];
	field.size = (guint32)values[5];
	field.mask = (guint32)values[6];
	if (field.offset > 0xfff || (field.size < 4 && field.mask >> (field.size * 8) != 0))
		return EINVAL;
	dev = mock_pciback_find_device(ms, values);
	if (dev == NULL)
		return ENODEV;
	if (field.size != 1 && field.size != 2 && field.size != 4)
		return EINVAL;
	fields = mock_pciback_fields(dev);
	for (guint i = 0; i < fields->len; i++) {
		if (g_array_index(fields, MockConfigField, i).offset == field.offset)
			return 0;
	}
	g_array_append_val(dev->pciback->quirks, field);
	mock_pciback_show(ms);
	return 0;
}

/* sriov_numvfs_store() (drivers/pci/iov.c), in its order: a number or
 * EINVAL, at most sriov_totalvfs or ERANGE, the current count a success
 * that does nothing even without a driver, then ENOENT without a driver
 * or without its sriov_configure(); 0 disables, and enabling needs 0 VFs
 * first or fails with EBUSY */
static int
mock_sysfs_store_sriov_numvfs(MockSysfs *ms, const char *bdf, const char *value)
{
	MockDevice *pf = mock_sysfs_find_device(ms, bdf);
	guint16 num_vfs;

	/* the attribute's directory exists, so the device does */
	g_assert_nonnull(pf);
	if (!mock_kstrtou16(value, &num_vfs))
		return EINVAL;
	if (num_vfs > pf->sriov->total_vfs)
		return ERANGE;
	if (num_vfs == pf->sriov->vfs->len)
		return 0;
	if (pf->driver == NULL || !pf->driver->sriov_configure)
		return ENOENT;
	if (num_vfs == 0) {
		/* pciback marks the devices it holds assigned (pci_set_dev_assigned()),
		 * and some PF drivers will not take assigned VFs away */
		for (guint i = 0; i < pf->sriov->vfs->len; i++) {
			MockDevice *vf = g_ptr_array_index(pf->sriov->vfs, i);

			if (vf->pciback != NULL && pf->driver->sriov_assigned_errnum != 0)
				return pf->driver->sriov_assigned_errnum;
		}
		mock_sysfs_sriov_disable(ms, pf);
		return 0;
	}
	if (pf->sriov->vfs->len > 0)
		return EBUSY;
	return mock_sysfs_sriov_enable(ms, pf, num_vfs);
}

/* sriov_drivers_autoprobe_store(): kstrtobool(); it only matters when a
 * VF is next probed, so the VFs there now keep their drivers */
static int
mock_sysfs_store_sriov_autoprobe(MockSysfs *ms, const char *bdf, const char *value)
{
	MockDevice *pf = mock_sysfs_find_device(ms, bdf);
	gboolean autoprobe;

	g_assert_nonnull(pf);
	if (!mock_kstrtobool(value, &autoprobe))
		return EINVAL;
	pf->sriov->drivers_autoprobe = autoprobe;
	mock_sysfs_show_sriov(ms, pf);
	return 0;
}

/*
 * The writable attributes; '*' is the device or driver they belong to.
 * Everything else is refused at open() as a read-only attribute is, which
 * includes config: the kernel lets root write config space, but the engine
 * has no business there, and the mock does not simulate it.
 */
static const struct {
	const char *pattern;
	MockStoreFunc store;
} mock_sysfs_attributes[] = {
	{"bus/pci/drivers_probe", mock_sysfs_store_drivers_probe},
	{"bus/pci/devices/*/driver_override", mock_sysfs_store_driver_override},
	{"bus/pci/drivers/*/bind", mock_sysfs_store_bind},
	{"bus/pci/drivers/*/unbind", mock_sysfs_store_unbind},
	{"bus/pci/drivers/*/new_id", mock_sysfs_store_dynamic_id},
	{"bus/pci/drivers/*/remove_id", mock_sysfs_store_dynamic_id},
	{"bus/pci/devices/*/sriov_numvfs", mock_sysfs_store_sriov_numvfs},
	{"bus/pci/devices/*/sriov_drivers_autoprobe", mock_sysfs_store_sriov_autoprobe},
	{"bus/pci/drivers/" MOCK_PCIBACK "/new_slot", mock_pciback_store_new_slot},
	{"bus/pci/drivers/" MOCK_PCIBACK "/remove_slot", mock_pciback_store_remove_slot},
	{"bus/pci/drivers/" MOCK_PCIBACK "/permissive", mock_pciback_store_permissive},
	{"bus/pci/drivers/" MOCK_PCIBACK "/quirks", mock_pciback_store_quirks},
};

static gboolean
mock_sysfs_match_attribute(const char *pattern, const char *relpath, gchar **object)
{
	g_auto(GStrv) want = g_strsplit(pattern, "/", -1);
	g_auto(GStrv) have = g_strsplit(relpath, "/", -1);
	const char *captured = NULL;

	if (g_strv_length(want) != g_strv_length(have))
		return FALSE;
	for (guint i = 0; want[i] != NULL; i++) {
		if (g_strcmp0(want[i], "*") == 0)
			captured = have[i];
		else if (g_strcmp0(want[i], have[i]) != 0)
			return FALSE;
	}
	*object = g_strdup(captured);
	return TRUE;
}

static gboolean
mock_sysfs_lookup_attribute(const char *relpath, MockAttribute *attr)
{
	for (guint i = 0; i < G_N_ELEMENTS(mock_sysfs_attributes); i++) {
		if (mock_sysfs_match_attribute(mock_sysfs_attributes[i].pattern, relpath, &attr->object)) {
			attr->store = mock_sysfs_attributes[i].store;
			return TRUE;
		}
	}
	return FALSE;
}

/*
 * What open(@relpath, O_WRONLY | O_NOFOLLOW) does before any store() runs:
 * a missing file (devices/<bdf>/driver/unbind of an unbound device) is
 * ENOENT, a link as the last component ELOOP, a directory EISDIR, and
 * kernfs refuses write access to an attribute without a store(), even to
 * root, with EACCES.  Returns 0 or that errno.
 */
static int
mock_sysfs_open(MockSysfs *ms, const char *relpath, MockAttribute *attr)
{
	g_autofree gchar *path = mock_sysfs_path(ms, relpath);
	g_autofree gchar *resolved = NULL;
	gsize root_len = strlen(ms->root);
	struct stat st;

	if (lstat(path, &st) < 0)
		return errno;
	if (S_ISLNK(st.st_mode))
		return ELOOP;
	if (S_ISDIR(st.st_mode))
		return EISDIR;
	resolved = realpath(path, NULL);
	if (resolved == NULL)
		return errno;
	/* the attribute is known by where the links lead: devices/<bdf>/driver/unbind
	 * is drivers/<drv>/unbind */
	if (strncmp(resolved, ms->root, root_len) != 0 || resolved[root_len] != '/' ||
	    !mock_sysfs_lookup_attribute(resolved + root_len + 1, attr))
		return EACCES;
	return 0;
}

/* the @nth write ending in @suffix, counted across all writes */
static int
mock_sysfs_take_fault(MockSysfs *ms, const char *relpath)
{
	for (guint i = 0; i < ms->faults->len; i++) {
		MockFault *fault = g_ptr_array_index(ms->faults, i);

		if (g_str_has_suffix(relpath, fault->suffix) && ++fault->seen == fault->nth)
			return fault->errnum;
	}
	return 0;
}

static void
mock_sysfs_record_write(MockSysfs *ms, const char *relpath, const char *value)
{
	g_autoptr(GString) entry = g_string_new(relpath);

	g_string_append_c(entry, '=');
	g_string_append(entry, value);
	g_string_replace(entry, "\n", "\\n", 0);
	g_ptr_array_add(ms->writes, g_string_free(g_steal_pointer(&entry), FALSE));
}

/* worded exactly as hd_sysfs_write() words a real failing open() or write() */
static void
mock_sysfs_set_error(MockSysfs *ms,
		     GError **error,
		     int errnum,
		     const char *relpath,
		     const char *value,
		     gboolean opening)
{
	g_autofree gchar *path = g_build_filename(ms->shown_root, relpath, NULL);
	gsize len = strlen(value);
	int shown = (int)(len > 0 && value[len - 1] == '\n' ? len - 1 : len);
	g_autofree gchar *what = opening ? g_strdup("open") : g_strdup_printf("write '%.*s' to", shown, value);

	g_set_error(error, HD_ERROR, hd_error_from_errno(errnum), "cannot %s %s: %s", what, path,
		    g_strerror(errnum));
}

/* a driver's probe or remove sleeps outside the big lock, as the kernel's
 * do while holding only their own device's lock */
static void
mock_sysfs_sleep_like_a_driver(MockSysfs *ms, const char *relpath)
{
	g_autofree gchar *name = g_path_get_basename(relpath);
	guint usec = GPOINTER_TO_UINT(g_hash_table_lookup(ms->latencies, name));

	if (usec > 0)
		g_usleep(usec);
}

/*
 * Writers of the rendezvous attribute wait for each other in parties: the
 * last to arrive lets its party go.  Writers that run one after another
 * never make a party, and each gives up after MOCK_RENDEZVOUS_WAIT_S, so a
 * serial engine costs the test time and a count, never a hang.
 */
#define MOCK_RENDEZVOUS_WAIT_S 10

static void
mock_sysfs_rendezvous(MockSysfs *ms, const char *relpath)
{
	g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&ms->rendezvous_lock);
	g_autofree gchar *name = g_path_get_basename(relpath);
	gint64 deadline = g_get_monotonic_time() + MOCK_RENDEZVOUS_WAIT_S * G_TIME_SPAN_SECOND;
	guint party;

	if (g_strcmp0(name, ms->rendezvous_attribute) != 0)
		return;
	party = ms->rendezvous_met;
	if (++ms->rendezvous_waiting == ms->rendezvous_parties) {
		ms->rendezvous_waiting = 0;
		ms->rendezvous_met++;
		g_cond_broadcast(&ms->rendezvous_cond);
		return;
	}
	while (ms->rendezvous_met == party) {
		if (!g_cond_wait_until(&ms->rendezvous_cond, &ms->rendezvous_lock, deadline)) {
			ms->rendezvous_waiting--;
			ms->rendezvous_missed++;
			return;
		}
	}
}

static gboolean
mock_sysfs_write(const char *relpath, const char *value, gpointer user_data, GError **error)
{
	MockSysfs *ms = user_data;
	g_autoptr(GMutexLocker) locker = NULL;
	g_auto(MockAttribute) attr = {0};
	int errnum;

	mock_sysfs_rendezvous(ms, relpath);
	mock_sysfs_sleep_like_a_driver(ms, relpath);
	locker = g_mutex_locker_new(&ms->lock);
	mock_sysfs_record_write(ms, relpath, value);
	errnum = mock_sysfs_take_fault(ms, relpath);
	if (errnum != 0) {
		mock_sysfs_set_error(ms, error, errnum, relpath, value, FALSE);
		return FALSE;
	}
	errnum = mock_sysfs_open(ms, relpath, &attr);
	if (errnum != 0) {
		mock_sysfs_set_error(ms, error, errnum, relpath, value, TRUE);
		return FALSE;
	}
	/* sysfs_kf_write() does not call store() for a write of 0 bytes: it
	 * succeeds and changes nothing, so "" never clears driver_override */
	if (*value == '\0')
		return TRUE;
	errnum = attr.store(ms, attr.object, value);
	if (errnum != 0) {
		mock_sysfs_set_error(ms, error, errnum, relpath, value, FALSE);
		return FALSE;
	}
	return TRUE;
}

/* kmod's answers, worded as hd_kmod_load() words them */
static gboolean
mock_sysfs_load_module(const char *module, gpointer user_data, GError **error)
{
	MockSysfs *ms = user_data;
	g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&ms->lock);
	g_autofree gchar *key = mock_sysfs_module_key(module);
	int errnum = GPOINTER_TO_INT(g_hash_table_lookup(ms->module_errors, key));
	MockDriver *drv;

	if (errnum != 0) {
		g_set_error(error, HD_ERROR, hd_error_from_errno(errnum), "module %s: %s", module,
			    g_strerror(errnum));
		return FALSE;
	}
	drv = mock_sysfs_find_module(ms, module);
	if (drv == NULL) {
		g_set_error(error, HD_ERROR, HD_ERROR_NOT_FOUND, "module %s: not found for this kernel", module);
		return FALSE;
	}
	/* modprobe of a loaded module succeeds and does nothing */
	if (!drv->loaded)
		mock_sysfs_register_driver(ms, drv);
	return TRUE;
}

/* --- the API ------------------------------------------------------------- */

MockSysfs *
mock_sysfs_new(void)
{
	static const char *const dirs[] = {"bus/pci/devices", "bus/pci/drivers", "kernel/iommu_groups",
					   "dev/vfio"};
	g_autoptr(GError) error = NULL;
	g_autofree gchar *tmp = g_dir_make_tmp("mock-sysfs-XXXXXX", &error);
	MockSysfs *ms;

	if (tmp == NULL)
		g_error("mock-sysfs: %s", error->message);
	ms = g_new0(MockSysfs, 1);
	ms->root = realpath(tmp, NULL);
	mock_sysfs_check(ms->root != NULL, "resolve", tmp);
	ms->shown_root = g_strdup(ms->root);
	ms->drivers = g_ptr_array_new_with_free_func((GDestroyNotify)mock_driver_free);
	ms->devices = g_ptr_array_new_with_free_func((GDestroyNotify)mock_device_free);
	ms->faults = g_ptr_array_new_with_free_func((GDestroyNotify)mock_fault_free);
	ms->module_errors = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	ms->writes = g_ptr_array_new_with_free_func(g_free);
	g_mutex_init(&ms->lock);
	g_mutex_init(&ms->rendezvous_lock);
	g_cond_init(&ms->rendezvous_cond);
	ms->latencies = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	ms->pciback_slots = g_array_new(FALSE, FALSE, sizeof(MockSlot));
	ms->pciback_devices = g_ptr_array_new();
	ms->pciback_quirks = g_ptr_array_new_with_free_func((GDestroyNotify)mock_quirk_entry_free);
	for (guint i = 0; i < G_N_ELEMENTS(dirs); i++)
		mock_sysfs_mkdir(ms, dirs[i]);
	mock_sysfs_put_text(ms, "bus/pci/drivers_probe", "", 0200);
	return ms;
}

void
mock_sysfs_free(MockSysfs *ms)
{
	if (ms == NULL)
		return;
	if (g_getenv(MOCK_SYSFS_KEEP_ENV) != NULL)
		g_printerr("mock-sysfs: kept %s\n", ms->root);
	else
		mock_sysfs_remove_tree(ms->root);
	g_free(ms->root);
	g_free(ms->shown_root);
	g_ptr_array_unref(ms->pciback_devices);
	g_ptr_array_unref(ms->pciback_quirks);
	g_array_unref(ms->pciback_slots);
	g_ptr_array_unref(ms->drivers);
	g_ptr_array_unref(ms->devices);
	g_ptr_array_unref(ms->faults);
	g_hash_table_unref(ms->module_errors);
	g_ptr_array_unref(ms->writes);
	g_hash_table_unref(ms->latencies);
	g_mutex_clear(&ms->lock);
	g_mutex_clear(&ms->rendezvous_lock);
	g_cond_clear(&ms->rendezvous_cond);
	g_free(ms->rendezvous_attribute);
	g_free(ms);
}

const char *
mock_sysfs_get_root(MockSysfs *ms)
{
	return ms->root;
}

static MockDriver *
mock_sysfs_new_driver(MockSysfs *ms, const char *name, const guint32 *ids)
{
	MockDriver *drv;

	if (mock_sysfs_find_driver(ms, name) != NULL)
		g_error("mock-sysfs: driver %s added twice", name);
	drv = g_new0(MockDriver, 1);
	drv->name = g_strdup(name);
	drv->ids = g_array_new(FALSE, FALSE, sizeof(guint32));
	for (guint i = 0; ids != NULL && ids[i] != 0; i++)
		g_array_append_val(drv->ids, ids[i]);
	/* pciback has no sriov_configure(), and vfio-pci's answers ENOENT
	 * unless loaded with enable_sriov=1 */
	drv->sriov_configure = !mock_driver_is_pciback(drv) && !mock_driver_is_vfio(drv);
	g_ptr_array_add(ms->drivers, drv);
	return drv;
}

void
mock_sysfs_add_driver(MockSysfs *ms, const char *name, const guint32 *ids)
{
	mock_sysfs_register_driver(ms, mock_sysfs_new_driver(ms, name, ids));
}

void
mock_sysfs_add_module(MockSysfs *ms, const char *name, const guint32 *ids)
{
	mock_sysfs_new_driver(ms, name, ids);
}

void
mock_sysfs_add_device(MockSysfs *ms,
		      const char *bdf,
		      guint16 vendor,
		      guint16 device,
		      guint32 class_code,
		      const char *iommu_group,
		      const char *driver)
{
	MockDriver *drv = NULL;
	MockDevice *dev;

	if (mock_sysfs_find_device(ms, bdf) != NULL)
		g_error("mock-sysfs: device %s added twice", bdf);
	if (driver != NULL) {
		drv = mock_sysfs_find_driver(ms, driver);
		if (drv == NULL || !drv->loaded)
			g_error("mock-sysfs: device %s: driver %s is not loaded", bdf, driver);
	}
	dev = mock_sysfs_new_device(ms, bdf, vendor, device, class_code, iommu_group);
	/* the state the host booted into, however it got there: no matching;
	 * pciback's slot list has what xen-pciback.hide= put there */
	if (drv != NULL && mock_driver_is_pciback(drv))
		mock_pciback_add_slot(ms, dev->domain, dev->bus, dev->devfn);
	if (drv != NULL)
		mock_sysfs_attach(ms, dev, drv);
}

void
mock_sysfs_set_subsystem(MockSysfs *ms, const char *bdf, guint16 subvendor, guint16 subdevice)
{
	MockDevice *dev = mock_sysfs_find_device(ms, bdf);

	if (dev == NULL)
		g_error("mock-sysfs: no device %s", bdf);
	dev->subvendor = subvendor;
	dev->subdevice = subdevice;
	mock_sysfs_show_ids(ms, dev);
	mock_sysfs_show_config(ms, dev);
}

void
mock_sysfs_add_sriov_pf(MockSysfs *ms,
			const char *pf_bdf,
			guint16 total_vfs,
			guint16 vf_offset,
			guint16 vf_stride,
			guint16 vf_device)
{
	MockDevice *dev = mock_sysfs_find_device(ms, pf_bdf);

	if (dev == NULL)
		g_error("mock-sysfs: no device %s", pf_bdf);
	if (dev->sriov != NULL || dev->physfn != NULL)
		g_error("mock-sysfs: %s is a PF or a VF already", pf_bdf);
	/* sriov_init() and compute_max_vf_buses() give up on a capability
	 * without VFs, without an offset, or without a stride for several */
	if (total_vfs == 0 || vf_offset == 0 || (total_vfs > 1 && vf_stride == 0))
		g_error("mock-sysfs: %s: the kernel would not enable SR-IOV with %u VFs, offset %u, stride %u",
			pf_bdf, total_vfs, vf_offset, vf_stride);
	dev->sriov = g_new0(MockSriov, 1);
	dev->sriov->total_vfs = total_vfs;
	dev->sriov->offset = vf_offset;
	dev->sriov->stride = vf_stride;
	dev->sriov->vf_device = vf_device;
	dev->sriov->drivers_autoprobe = TRUE;
	dev->sriov->vfs = g_ptr_array_new();
	mock_sysfs_show_sriov(ms, dev);
}

void
mock_sysfs_set_sriov_configure(MockSysfs *ms, const char *driver, gboolean supported)
{
	MockDriver *drv = mock_sysfs_find_driver(ms, driver);

	if (drv == NULL)
		g_error("mock-sysfs: no driver %s", driver);
	drv->sriov_configure = supported;
}

void
mock_sysfs_set_sriov_assigned_error(MockSysfs *ms, const char *driver, int errnum)
{
	MockDriver *drv = mock_sysfs_find_driver(ms, driver);

	if (drv == NULL)
		g_error("mock-sysfs: no driver %s", driver);
	g_return_if_fail(errnum >= 0);
	drv->sriov_assigned_errnum = errnum;
}

void
mock_sysfs_install(MockSysfs *ms, HdContext *ctx)
{
	const char *root = hd_sysfs_get_root(ctx->sysfs);
	g_autofree gchar *resolved = realpath(root, NULL);

	/* a context reading another tree would never see what the writes did */
	if (g_strcmp0(resolved, ms->root) != 0)
		g_error("mock-sysfs: the context's sysfs root %s is not %s", root, ms->root);
	g_free(ms->shown_root);
	ms->shown_root = g_strdup(root);
	hd_sysfs_set_write_func(ctx->sysfs, mock_sysfs_write, ms);
	ctx->load_module = mock_sysfs_load_module;
	ctx->load_module_data = ms;
	/* units one at a time, so that the write log's order is the test's to
	 * check; the concurrency tests raise it */
	ctx->max_workers = 1;
}

void
mock_sysfs_set_rendezvous(MockSysfs *ms, const char *attribute, guint parties)
{
	g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&ms->rendezvous_lock);

	g_return_if_fail(attribute == NULL || parties >= 2);
	g_free(ms->rendezvous_attribute);
	ms->rendezvous_attribute = g_strdup(attribute);
	ms->rendezvous_parties = parties;
}

void
mock_sysfs_get_rendezvous(MockSysfs *ms, guint *met, guint *missed)
{
	g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&ms->rendezvous_lock);

	*met = ms->rendezvous_met;
	*missed = ms->rendezvous_missed;
}

void
mock_sysfs_set_write_latency(MockSysfs *ms, const char *attribute, guint usec)
{
	g_hash_table_insert(ms->latencies, g_strdup(attribute), GUINT_TO_POINTER(usec));
}

void
mock_sysfs_fail_write(MockSysfs *ms, const char *suffix, guint nth, int errnum)
{
	MockFault *fault;

	g_return_if_fail(nth >= 1 && errnum > 0);
	fault = g_new0(MockFault, 1);
	fault->suffix = g_strdup(suffix);
	fault->nth = nth;
	fault->errnum = errnum;
	g_ptr_array_add(ms->faults, fault);
}

void
mock_sysfs_set_probe_refused(MockSysfs *ms, const char *bdf, gboolean refused)
{
	MockDevice *dev = mock_sysfs_find_device(ms, bdf);

	if (dev == NULL)
		g_error("mock-sysfs: no device %s", bdf);
	dev->probe_refused = refused;
}

void
mock_sysfs_fail_module(MockSysfs *ms, const char *module, int errnum)
{
	g_return_if_fail(errnum > 0);
	g_hash_table_insert(ms->module_errors, mock_sysfs_module_key(module), GINT_TO_POINTER(errnum));
}

GPtrArray *
mock_sysfs_get_writes(MockSysfs *ms)
{
	return ms->writes;
}

gchar *
mock_sysfs_get_driver(MockSysfs *ms, const char *bdf)
{
	g_autofree gchar *relpath = mock_sysfs_device_dir(bdf, "driver");
	g_autofree gchar *path = mock_sysfs_path(ms, relpath);
	g_autofree gchar *target = g_file_read_link(path, NULL);

	return target != NULL ? g_path_get_basename(target) : NULL;
}

gchar *
mock_sysfs_get_quirks(MockSysfs *ms, const char *bdf)
{
	MockDevice *dev = mock_sysfs_find_device(ms, bdf);
	g_autoptr(GString) out = g_string_new(NULL);

	if (dev == NULL || dev->pciback == NULL)
		return NULL;
	for (guint i = 0; i < dev->pciback->quirks->len; i++) {
		const MockConfigField *field = &g_array_index(dev->pciback->quirks, MockConfigField, i);

		g_string_append_printf(out, "%s%08x:%01x:%08x", i > 0 ? "," : "", field->offset, field->size,
				       field->mask);
	}
	return g_string_free(g_steal_pointer(&out), FALSE);
}

/* a file of the tree, which must be there, without its last newline */
static gchar *
mock_sysfs_read(MockSysfs *ms, const char *relpath)
{
	g_autofree gchar *path = mock_sysfs_path(ms, relpath);
	gchar *contents = NULL;

	mock_sysfs_check(g_file_get_contents(path, &contents, NULL, NULL), "read", path);
	return g_strchomp(contents);
}

/* a file of one entry per line as "a,b,c", or "-" when it is empty */
static gchar *
mock_sysfs_read_list(MockSysfs *ms, const char *relpath)
{
	g_autofree gchar *text = mock_sysfs_read(ms, relpath);
	g_auto(GStrv) lines = g_strsplit(text, "\n", -1);

	return *text != '\0' ? g_strjoinv(",", lines) : g_strdup("-");
}

static gchar *
mock_sysfs_snapshot_device(MockSysfs *ms, const char *bdf)
{
	g_autofree gchar *driver = mock_sysfs_get_driver(ms, bdf);
	g_autofree gchar *override_relpath = mock_sysfs_device_dir(bdf, "driver_override");
	g_autofree gchar *override = mock_sysfs_read(ms, override_relpath);
	g_autofree gchar *numvfs_relpath = mock_sysfs_device_dir(bdf, "sriov_numvfs");
	g_autofree gchar *sriov = NULL;

	if (mock_sysfs_present(ms, numvfs_relpath)) {
		g_autofree gchar *autoprobe_relpath = mock_sysfs_device_dir(bdf, "sriov_drivers_autoprobe");
		g_autofree gchar *numvfs = mock_sysfs_read(ms, numvfs_relpath);
		g_autofree gchar *autoprobe = mock_sysfs_read(ms, autoprobe_relpath);

		sriov = g_strdup_printf(" numvfs=%s autoprobe=%s", numvfs, autoprobe);
	}
	return g_strdup_printf("%s driver=%s override=%s%s", bdf, driver != NULL ? driver : "-", override,
			       sriov != NULL ? sriov : "");
}

/* a driver with the devices its directory links to */
static gchar *
mock_sysfs_snapshot_driver(MockSysfs *ms, const char *name)
{
	g_autofree gchar *dir = mock_sysfs_driver_dir(name, NULL);
	g_autoptr(GPtrArray) bound = mock_sysfs_list(ms, dir, TRUE);
	g_autofree gchar *joined = NULL;

	g_ptr_array_add(bound, NULL);
	joined = g_strjoinv(",", (gchar **)bound->pdata);
	return g_strdup_printf("driver %s bound=%s", name, *joined != '\0' ? joined : "-");
}

/* pciback's lists: the slots and the permissive devices as their files
 * show them; the quirk fields each device bound to pciback has, which the
 * quirks file can leave out (mock_pciback_release()); and the entries of
 * the quirks file, by their first two lines, the fields being the device's */
static void
mock_sysfs_snapshot_pciback(MockSysfs *ms, GString *out)
{
	g_autofree gchar *dir = mock_sysfs_driver_dir(MOCK_PCIBACK, NULL);
	g_autofree gchar *slots_relpath = mock_sysfs_driver_dir(MOCK_PCIBACK, "slots");
	g_autofree gchar *permissive_relpath = mock_sysfs_driver_dir(MOCK_PCIBACK, "permissive");
	g_autofree gchar *quirks_relpath = mock_sysfs_driver_dir(MOCK_PCIBACK, "quirks");
	g_autofree gchar *slots = NULL;
	g_autofree gchar *permissive = NULL;
	g_autofree gchar *quirks = NULL;
	g_autoptr(GPtrArray) bound = NULL;
	g_auto(GStrv) lines = NULL;

	if (!mock_sysfs_present(ms, dir))
		return;
	slots = mock_sysfs_read_list(ms, slots_relpath);
	permissive = mock_sysfs_read_list(ms, permissive_relpath);
	g_string_append_printf(out, "pciback slots=%s\npciback permissive=%s\n", slots, permissive);
	bound = mock_sysfs_list(ms, dir, TRUE);
	for (guint i = 0; i < bound->len; i++) {
		const char *bdf = g_ptr_array_index(bound, i);
		g_autofree gchar *fields = mock_sysfs_get_quirks(ms, bdf);

		g_string_append_printf(out, "pciback %s quirks=%s\n", bdf, *fields != '\0' ? fields : "-");
	}
	quirks = mock_sysfs_read(ms, quirks_relpath);
	lines = g_strsplit(quirks, "\n", -1);
	for (guint i = 0; lines[i] != NULL && lines[i + 1] != NULL; i++) {
		if (lines[i][0] != '\t' && lines[i][0] != '\0')
			g_string_append_printf(out, "pciback entry %s %s\n", lines[i],
					       lines[i + 1] + strspn(lines[i + 1], "\t"));
	}
}

gchar *
mock_sysfs_snapshot(MockSysfs *ms)
{
	g_autoptr(GPtrArray) devices = mock_sysfs_list(ms, "bus/pci/devices", FALSE);
	g_autoptr(GPtrArray) drivers = mock_sysfs_list(ms, "bus/pci/drivers", FALSE);
	g_autoptr(GPtrArray) nodes = mock_sysfs_list(ms, "dev/vfio", FALSE);
	g_autoptr(GString) out = g_string_new(NULL);

	for (guint i = 0; i < devices->len; i++) {
		g_autofree gchar *line = mock_sysfs_snapshot_device(ms, g_ptr_array_index(devices, i));

		g_string_append_printf(out, "%s\n", line);
	}
	for (guint i = 0; i < drivers->len; i++) {
		g_autofree gchar *line = mock_sysfs_snapshot_driver(ms, g_ptr_array_index(drivers, i));

		g_string_append_printf(out, "%s\n", line);
	}
	mock_sysfs_snapshot_pciback(ms, out);
	for (guint i = 0; i < nodes->len; i++)
		g_string_append_printf(out, "vfio %s\n", (const char *)g_ptr_array_index(nodes, i));
	return g_string_free(g_steal_pointer(&out), FALSE);
}
