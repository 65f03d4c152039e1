/*
 * mock-sysfs.c: a simulated PCI sysfs that reacts inside the write call
 *
 * Each write goes through the two halves a real write(2) to sysfs goes
 * through: the VFS and kernfs decide whether the file can be opened for
 * writing at all (mock_sysfs_open), then the attribute's store() handler
 * does its work (the mock_sysfs_store_* functions, after
 * drivers/pci/pci-sysfs.c and drivers/base/{bus,dd,driver}.c).  The state
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

typedef struct {
	gchar *name;
	GArray *ids; /* of guint32 MOCK_PCI_ID() */
	gboolean loaded;
} MockDriver;

typedef struct {
	gchar *bdf;
	guint16 vendor;
	guint16 device;
	guint32 class_code;
	gchar *iommu_group; /* NULL: none */
	MockDriver *driver; /* NULL: unbound */
	gchar *override;    /* NULL: unset */
	gboolean probe_refused;
} MockDevice;

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
mock_device_free(MockDevice *dev)
{
	g_free(dev->bdf);
	g_free(dev->iommu_group);
	g_free(dev->override);
	g_free(dev);
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

/* the module of a driver, by the driver's name: the mock has no aliases */
static MockDriver *
mock_sysfs_find_module(MockSysfs *ms, const char *module)
{
	g_autofree gchar *key = mock_sysfs_module_key(module);

	for (guint i = 0; i < ms->drivers->len; i++) {
		MockDriver *drv = g_ptr_array_index(ms->drivers, i);
		g_autofree gchar *name = mock_sysfs_module_key(drv->name);

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
	mock_sysfs_put_file(ms, relpath, (const char *)config, sizeof(config), 0644);
}

static void
mock_sysfs_show_ids(MockSysfs *ms, const MockDevice *dev)
{
	static const char *const names[] = {"vendor", "device", "class"};
	g_autofree gchar *vendor = g_strdup_printf("0x%04x\n", dev->vendor);
	g_autofree gchar *device = g_strdup_printf("0x%04x\n", dev->device);
	g_autofree gchar *class_code = g_strdup_printf("0x%06x\n", dev->class_code);
	const char *values[] = {vendor, device, class_code};

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
	if (dev->iommu_group != NULL)
		mock_sysfs_sync_vfio_node(ms, dev->iommu_group);
}

/* device_driver_detach(): the links go, driver_override stays */
static void
mock_sysfs_detach(MockSysfs *ms, MockDevice *dev)
{
	g_autofree gchar *driver_link = mock_sysfs_device_dir(dev->bdf, "driver");
	g_autofree gchar *device_link = mock_sysfs_driver_dir(dev->driver->name, dev->bdf);

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
 * it, the ID table decides */
static gboolean
mock_driver_matches(const MockDriver *drv, const MockDevice *dev)
{
	guint32 id = MOCK_PCI_ID(dev->vendor, dev->device);

	if (dev->override != NULL)
		return g_strcmp0(dev->override, drv->name) == 0;
	for (guint i = 0; i < drv->ids->len; i++) {
		if (g_array_index(drv->ids, guint32, i) == id)
			return TRUE;
	}
	return FALSE;
}

/* the driver's probe(): 0 and the device is bound, or its refusal */
static int
mock_sysfs_probe(MockSysfs *ms, MockDriver *drv, MockDevice *dev)
{
	if (dev->probe_refused)
		return ENODEV;
	/* vfio_pci_core_register_device() takes endpoints only, and needs an
	 * IOMMU group to put the device in */
	if (mock_driver_is_vfio(drv) && (mock_device_is_bridge(dev) || dev->iommu_group == NULL))
		return EINVAL;
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
 * bus's list, and is offered every device that has no driver yet */
static void
mock_sysfs_register_driver(MockSysfs *ms, MockDriver *drv)
{
	static const char *const attributes[] = {"bind", "unbind", "new_id", "remove_id"};
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
	for (guint i = 0; i < ms->devices->len; i++) {
		MockDevice *dev = g_ptr_array_index(ms->devices, i);

		if (dev->driver == NULL && mock_driver_matches(drv, dev))
			mock_sysfs_probe(ms, drv, dev);
	}
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

static gboolean
mock_sysfs_write(const char *relpath, const char *value, gpointer user_data, GError **error)
{
	MockSysfs *ms = user_data;
	g_auto(MockAttribute) attr = {0};
	int errnum;

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
	g_ptr_array_unref(ms->drivers);
	g_ptr_array_unref(ms->devices);
	g_ptr_array_unref(ms->faults);
	g_hash_table_unref(ms->module_errors);
	g_ptr_array_unref(ms->writes);
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
	g_autofree gchar *dir = mock_sysfs_device_dir(bdf, NULL);
	MockDriver *drv = NULL;
	MockDevice *dev;

	if (mock_sysfs_find_device(ms, bdf) != NULL)
		g_error("mock-sysfs: device %s added twice", bdf);
	if (driver != NULL) {
		drv = mock_sysfs_find_driver(ms, driver);
		if (drv == NULL || !drv->loaded)
			g_error("mock-sysfs: device %s: driver %s is not loaded", bdf, driver);
	}
	dev = g_new0(MockDevice, 1);
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
	/* the state the host booted into, however it got there: no matching */
	if (drv != NULL)
		mock_sysfs_attach(ms, dev, drv);
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

static gchar *
mock_sysfs_snapshot_device(MockSysfs *ms, const char *bdf)
{
	g_autofree gchar *driver = mock_sysfs_get_driver(ms, bdf);
	g_autofree gchar *relpath = mock_sysfs_device_dir(bdf, "driver_override");
	g_autofree gchar *path = mock_sysfs_path(ms, relpath);
	g_autofree gchar *override = NULL;

	mock_sysfs_check(g_file_get_contents(path, &override, NULL, NULL), "read", path);
	return g_strdup_printf("%s driver=%s override=%s", bdf, driver != NULL ? driver : "-",
			       g_strchomp(override));
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
	for (guint i = 0; i < nodes->len; i++)
		g_string_append_printf(out, "vfio %s\n", (const char *)g_ptr_array_index(nodes, i));
	return g_string_free(g_steal_pointer(&out), FALSE);
}
