/*
 * hd-sriov-plugin.c: SR-IOV virtual functions made when a domain starts
 *
 * A domain may name a VF that does not exist yet, or ask with <hd:vfs> for
 * at least N VFs on a PF.  This provisioner finds the PF that would create
 * the VF, gives the PF enough VFs with sriov_drivers_autoprobe off (so no
 * host driver meets them: the binder takes each straight to its stub), and
 * when the last user of the PF's VFs is released, puts the PF's VF count
 * and autoprobe back exactly as they were.
 *
 * The users of a PF are the sriov entries, in every journal, that name it
 * (hd_entry_count_sharers()).  The first records the PF as it found it,
 * every later one adopts that record, so whichever goes last restores it.
 * A VF that exists already is selected too, changing nothing: its entry
 * keeps the PF from being changed under it, or reset by another user.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <errno.h>
#include <string.h>

#include "hd-plugin.h"

#define HD_SRIOV_POLL_US 5000
/* struct net_device's IFF_UP, as class/net/NAME/flags shows it */
#define HD_SRIOV_IFF_UP 0x1

/* what the PF's sriov_* files say */
typedef struct {
	char bdf[HD_ADDRESS_STRLEN];
	HdAddress address;
	guint total;
	guint offset;
	guint stride;
	guint numvfs;
	guint autoprobe;
} HdSriovPf;

/* what the first user of a PF recorded, adopted by every later one */
static const char *const hd_sriov_original_keys[] = {"original_numvfs", "original_autoprobe", NULL};

/* ---- reading the PF ---------------------------------------------------------- */

static gboolean
hd_sriov_read_uint(HdContext *ctx, const char *bdf, const char *attribute, guint *out, GError **error)
{
	g_autofree gchar *path = hd_function_attr_path(bdf, attribute);
	g_autofree gchar *text = hd_sysfs_read(hd_context_get_sysfs(ctx), path, error);
	guint64 value = 0;

	if (text == NULL)
		return FALSE;
	if (!g_ascii_string_to_unsigned(text, 10, 0, G_MAXUINT16, &value, NULL)) {
		g_set_error(error, HD_ERROR, HD_ERROR_INVALID_DATA, "%s: '%s' is not a number", path, text);
		return FALSE;
	}
	*out = (guint)value;
	return TRUE;
}

static gboolean
hd_sriov_is_pf(HdContext *ctx, const char *bdf)
{
	g_autofree gchar *total = hd_function_attr_path(bdf, "sriov_totalvfs");

	return hd_sysfs_exists(hd_context_get_sysfs(ctx), total);
}

static gboolean
hd_sriov_pf_read(HdContext *ctx, const char *bdf, HdSriovPf *pf, GError **error)
{
	memset(pf, 0, sizeof(*pf));
	if (!hd_address_parse_bdf(bdf, &pf->address, error))
		return FALSE;
	hd_address_format(&pf->address, pf->bdf);
	return hd_sriov_read_uint(ctx, bdf, "sriov_totalvfs", &pf->total, error) &&
	       hd_sriov_read_uint(ctx, bdf, "sriov_offset", &pf->offset, error) &&
	       hd_sriov_read_uint(ctx, bdf, "sriov_stride", &pf->stride, error) &&
	       hd_sriov_read_uint(ctx, bdf, "sriov_numvfs", &pf->numvfs, error) &&
	       hd_sriov_read_uint(ctx, bdf, "sriov_drivers_autoprobe", &pf->autoprobe, error);
}

/* the PCIe routing ID: bus, device and function in 16 bits */
static guint
hd_sriov_routing_id(const HdAddress *addr)
{
	return addr->bus << 8 | addr->slot << 3 | addr->function;
}

/* VF @index is at the PF's routing ID plus the offset and @index strides,
 * which may carry into the next bus numbers */
static gboolean
hd_sriov_vf_address(const HdSriovPf *pf, guint index, char bdf[HD_ADDRESS_STRLEN])
{
	guint rid = hd_sriov_routing_id(&pf->address) + pf->offset + index * pf->stride;
	HdAddress vf = {pf->address.domain, rid >> 8, (rid >> 3) & 0x1f, rid & 0x7};

	if (rid > 0xffff)
		return FALSE;
	hd_address_format(&vf, bdf);
	return TRUE;
}

/* which of @pf's VFs @vf would be; the kernel shows the offset and stride
 * for sriov_totalvfs VFs, which is what every driver we know keeps */
static gboolean
hd_sriov_index_of(const HdSriovPf *pf, const HdAddress *vf, guint *index)
{
	gint64 diff = (gint64)hd_sriov_routing_id(vf) - hd_sriov_routing_id(&pf->address) - pf->offset;

	if (vf->domain != pf->address.domain || diff < 0 || pf->total == 0)
		return FALSE;
	if (pf->stride == 0) {
		*index = 0;
		return diff == 0;
	}
	if (diff % pf->stride != 0 || diff / pf->stride >= pf->total)
		return FALSE;
	*index = (guint)(diff / pf->stride);
	return TRUE;
}

/* every PF of the host, in bus/pci/devices' order, as its sriov_* files show it */
static GArray *
hd_sriov_read_pfs(HdContext *ctx)
{
	g_autoptr(GPtrArray) devices = hd_sysfs_list(hd_context_get_sysfs(ctx), "bus/pci/devices", NULL);
	GArray *pfs = g_array_new(FALSE, FALSE, sizeof(HdSriovPf));

	for (guint i = 0; devices != NULL && i < devices->len; i++) {
		const char *bdf = g_ptr_array_index(devices, i);
		HdSriovPf pf;

		if (hd_sriov_is_pf(ctx, bdf) && hd_sriov_pf_read(ctx, bdf, &pf, NULL))
			g_array_append_val(pfs, pf);
	}
	return pfs;
}

#define HD_SRIOV_MEMO_PFS "sriov-pfs"

/*
 * The PF of a VF that does not exist yet: the one whose VFs would include
 * it.  Every device that is no VF asks this while planning, so the PFs are
 * read once per plan; executing it reads them afresh.
 */
static gboolean
hd_sriov_find_pf(HdContext *ctx, const HdDevice *dev, const HdAddress *vf, HdSriovPf *pf, guint *index)
{
	GArray *pfs = hd_device_get_planning_memo(dev, HD_SRIOV_MEMO_PFS);
	g_autoptr(GArray) read = NULL;

	if (pfs == NULL) {
		read = hd_sriov_read_pfs(ctx);
		hd_device_set_planning_memo(dev, HD_SRIOV_MEMO_PFS, g_array_ref(read), (GDestroyNotify)g_array_unref);
		pfs = read;
	}
	for (guint i = 0; i < pfs->len; i++) {
		const HdSriovPf *candidate = &g_array_index(pfs, HdSriovPf, i);

		if (hd_sriov_index_of(candidate, vf, index)) {
			*pf = *candidate;
			return TRUE;
		}
	}
	return FALSE;
}

/*
 * The PF that has, or would create, @dev, and @dev's index among its VFs:
 * by its physfn link while it exists, else by the PFs' arithmetic.  Read
 * afresh, not from the plan: undoing an earlier start's journal, before
 * this one, may have removed the VF since.
 */
static gboolean
hd_sriov_locate(HdContext *ctx, const HdDevice *dev, HdSriovPf *pf, guint *index)
{
	g_autofree gchar *physfn = hd_function_attr_path(hd_device_get_bdf(dev), "physfn");
	g_autofree gchar *pf_bdf = hd_sysfs_read_link_name(hd_context_get_sysfs(ctx), physfn, NULL);
	const HdAddress *addr = &hd_device_get_request(dev)->address;

	if (pf_bdf == NULL)
		return hd_sriov_find_pf(ctx, dev, addr, pf, index);
	return hd_sriov_pf_read(ctx, pf_bdf, pf, NULL) && hd_sriov_index_of(pf, addr, index);
}

/* ---- is a VF in use? ------------------------------------------------------------ */

/* vfio-pci, a variant of it (which has vfio-dev/), pciback or pci-stub */
static gboolean
hd_sriov_driver_is_stub(HdContext *ctx, const char *vf, const char *driver)
{
	const HdPolicy *policy = hd_context_get_policy(ctx);
	static const char *const stubs[] = {"vfio-pci", "pciback", "pci-stub", NULL};
	g_autofree gchar *vfio_dev = hd_function_attr_path(vf, "vfio-dev");

	return g_strv_contains(stubs, driver) || g_strcmp0(driver, policy->kvm_stub) == 0 ||
	       g_strcmp0(driver, policy->xen_stub) == 0 || hd_sysfs_exists(hd_context_get_sysfs(ctx), vfio_dev);
}

/* a network interface of the VF that is up: someone uses it */
static gchar *
hd_sriov_up_netdev(HdContext *ctx, const char *vf)
{
	HdSysfs *sysfs = hd_context_get_sysfs(ctx);
	g_autofree gchar *net = hd_function_attr_path(vf, "net");
	g_autoptr(GPtrArray) names = hd_sysfs_list(sysfs, net, NULL);

	for (guint i = 0; names != NULL && i < names->len; i++) {
		g_autofree gchar *path = g_build_filename(net, g_ptr_array_index(names, i), "flags", NULL);
		g_autofree gchar *flags = hd_sysfs_read(sysfs, path, NULL);
		guint64 value = 0;

		if (flags != NULL && g_ascii_string_to_unsigned(flags + (g_str_has_prefix(flags, "0x") ? 2 : 0), 16, 0,
								G_MAXUINT32, &value, NULL) &&
		    (value & HD_SRIOV_IFF_UP) != 0)
			return g_strdup(g_ptr_array_index(names, i));
	}
	return NULL;
}

/*
 * Why VF @vf is in use, or NULL: bound to a stub (a guest may hold it, and
 * removing a VF vfio-pci holds blocks until the guest lets go), lent to
 * another owner through us, or serving the host through a driver with
 * users (an interface that is up, has an address or a route).  @dev is the
 * device being planned, NULL on release.
 */
static gboolean
hd_sriov_vf_use(HdContext *ctx, const HdDevice *dev, const char *vf, gchar **why, GError **error)
{
	g_autofree gchar *link = hd_function_attr_path(vf, "driver");
	g_autofree gchar *driver = hd_sysfs_read_link_name(hd_context_get_sysfs(ctx), link, NULL);
	const HdOwner *owner = dev != NULL ? hd_device_other_owner(dev, vf) : NULL;
	g_autofree gchar *up = NULL;

	*why = NULL;
	if (owner != NULL) {
		g_autofree gchar *who = hd_owner_describe(owner);
		*why = g_strdup_printf("lent to %s", who);
		return TRUE;
	}
	if (driver == NULL)
		return TRUE;
	if (hd_sriov_driver_is_stub(ctx, vf, driver)) {
		*why = g_strdup_printf("on %s", driver);
		return TRUE;
	}
	up = hd_sriov_up_netdev(ctx, vf);
	if (up != NULL) {
		*why = g_strdup_printf("on %s, with its interface %s up", driver, up);
		return TRUE;
	}
	return hd_function_check_usage(ctx, vf, why, error);
}

/* the first of @pf's VFs in use, and why; *vf NULL when none is */
static gboolean
hd_sriov_find_busy_vf(HdContext *ctx, const HdDevice *dev, const HdSriovPf *pf, gchar **vf, gchar **why,
		      GError **error)
{
	*vf = NULL;
	for (guint i = 0; i < pf->numvfs; i++) {
		g_autofree gchar *virtfn = g_strdup_printf("virtfn%u", i);
		g_autofree gchar *link = hd_function_attr_path(pf->bdf, virtfn);
		g_autofree gchar *bdf = hd_sysfs_read_link_name(hd_context_get_sysfs(ctx), link, NULL);

		if (bdf == NULL)
			continue;
		if (!hd_sriov_vf_use(ctx, dev, bdf, why, error))
			return FALSE;
		if (*why != NULL) {
			*vf = g_steal_pointer(&bdf);
			return TRUE;
		}
	}
	return TRUE;
}

/* ---- how many VFs the plan needs ------------------------------------------------ */

/* the most any request of this plan needs of @pf: an <hd:vfs> count, or the
 * highest VF asked for, so that the first of them creates them all */
static guint
hd_sriov_plan_needs(const HdDevice *dev, const HdSriovPf *pf, guint needed)
{
	for (guint i = needed; i < pf->total; i++) {
		char bdf[HD_ADDRESS_STRLEN];

		if (hd_sriov_vf_address(pf, i, bdf) && hd_device_plan_includes(dev, bdf))
			needed = i + 1;
	}
	return needed;
}

/* the PF to provision for @dev and how many VFs it must have */
static gboolean
hd_sriov_target(HdContext *ctx, const HdDevice *dev, HdSriovPf *pf, guint *needed, GError **error)
{
	const HdDeviceRequest *req = hd_device_get_request(dev);
	guint index = 0;

	if (req->provision_vfs > 0) {
		if (!hd_sriov_is_pf(ctx, hd_device_get_bdf(dev))) {
			g_set_error(error, HD_ERROR, HD_ERROR_NOT_SUPPORTED,
				    "%s is not an SR-IOV physical function (it has no sriov_totalvfs): name the PF "
				    "whose VFs the domain needs in <hd:vfs pf=...>", hd_device_get_bdf(dev));
			return FALSE;
		}
		if (!hd_sriov_pf_read(ctx, hd_device_get_bdf(dev), pf, error))
			return FALSE;
		*needed = hd_sriov_plan_needs(dev, pf, req->provision_vfs);
		return TRUE;
	}
	if (!hd_sriov_locate(ctx, dev, pf, &index)) {
		g_set_error(error, HD_ERROR, HD_ERROR_NOT_FOUND,
			    "%s is no longer a virtual function of any PF on this host", hd_device_get_bdf(dev));
		return FALSE;
	}
	*needed = hd_sriov_plan_needs(dev, pf, index + 1);
	return TRUE;
}

/* ---- checking -------------------------------------------------------------------- */

static gchar *
hd_sriov_pf_driver(HdContext *ctx, const HdSriovPf *pf)
{
	g_autofree gchar *link = hd_function_attr_path(pf->bdf, "driver");

	return hd_sysfs_read_link_name(hd_context_get_sysfs(ctx), link, NULL);
}

/* can @pf be given @needed VFs without taking one from its user? */
static gboolean
hd_sriov_check_growth(HdContext *ctx, const HdDevice *dev, const HdSriovPf *pf, guint needed, GError **error)
{
	g_autofree gchar *driver = hd_sriov_pf_driver(ctx, pf);
	g_autofree gchar *vf = NULL;
	g_autofree gchar *why = NULL;

	if (needed > pf->total) {
		g_set_error(error, HD_ERROR, HD_ERROR_INVALID_DATA,
			    "%s allows at most %u virtual functions (sriov_totalvfs), and %u are needed (ERANGE): "
			    "ask for fewer", pf->bdf, pf->total, needed);
		return FALSE;
	}
	if (pf->numvfs >= needed)
		return TRUE;
	if (driver == NULL) {
		g_set_error(error, HD_ERROR, HD_ERROR_NOT_SUPPORTED,
			    "%s has no driver, and only a PF's driver creates virtual functions: bind it to its "
			    "host driver first", pf->bdf);
		return FALSE;
	}
	if (pf->numvfs == 0)
		return TRUE;
	if (!hd_sriov_find_busy_vf(ctx, dev, pf, &vf, &why, error))
		return FALSE;
	if (vf == NULL)
		return TRUE;
	g_set_error(error, HD_ERROR, HD_ERROR_BUSY,
		    "growing %s from %u to %u virtual functions goes through 0, which would remove %s, in use (%s) "
		    "(EBUSY): stop its user first, or ask only for VFs that exist", pf->bdf, pf->numvfs, needed, vf,
		    why);
	return FALSE;
}

/* a hex number sysfs shows, with or without "0x" */
static gboolean
hd_sriov_read_hex(HdContext *ctx, const char *bdf, const char *attribute, guint32 *out, GError **error)
{
	g_autofree gchar *path = hd_function_attr_path(bdf, attribute);
	g_autofree gchar *text = hd_sysfs_read(hd_context_get_sysfs(ctx), path, error);
	guint64 value = 0;

	if (text == NULL)
		return FALSE;
	if (!g_ascii_string_to_unsigned(text + (g_str_has_prefix(text, "0x") ? 2 : 0), 16, 0, G_MAXUINT32, &value,
					NULL)) {
		g_set_error(error, HD_ERROR, HD_ERROR_INVALID_DATA, "%s: '%s' is not a number", path, text);
		return FALSE;
	}
	*out = (guint32)value;
	return TRUE;
}

/*
 * The policy's [allow] and [deny] for a VF that does not exist yet, which
 * the plan cannot read: by the ids and class it will have, which the
 * kernel takes from its PF (vendor, class, subsystem) and sriov_vf_device.
 */
static gboolean
hd_sriov_check_lists(HdContext *ctx, const HdDevice *dev, const HdSriovPf *pf, GError **error)
{
	g_autofree gchar *reason = NULL;
	guint32 class_code = 0;
	guint32 vf_device = 0;
	HdPciIds ids;

	if (hd_device_exists(dev) || hd_device_get_request(dev)->provision_vfs > 0)
		return TRUE;
	if (!hd_function_read_ids(ctx, pf->bdf, &ids, error) ||
	    !hd_sriov_read_hex(ctx, pf->bdf, "sriov_vf_device", &vf_device, error) ||
	    !hd_sriov_read_hex(ctx, pf->bdf, "class", &class_code, error))
		return FALSE;
	ids.device = (guint16)vf_device;
	if (hd_policy_check_device(hd_context_get_policy(ctx), &hd_device_get_request(dev)->address, &ids, class_code,
				   &reason))
		return TRUE;
	g_set_error(error, HD_ERROR, HD_ERROR_PERMISSION_DENIED, "%s, a VF %s would create (%04x:%04x), is %s",
		    hd_device_get_bdf(dev), pf->bdf, ids.vendor, ids.device, reason);
	return FALSE;
}

/* a VF's entries name its PF as their parent: its users share the PF */
static gboolean
hd_sriov_check(HdContext *ctx, HdDevice *dev, GError **error)
{
	HdSriovPf pf;
	guint needed = 0;

	if (!hd_sriov_target(ctx, dev, &pf, &needed, error))
		return FALSE;
	if (hd_device_get_request(dev)->provision_vfs == 0)
		hd_device_set_parent(dev, pf.bdf);
	return hd_sriov_check_lists(ctx, dev, &pf, error) && hd_sriov_check_growth(ctx, dev, &pf, needed, error);
}

static gboolean
hd_sriov_select(HdContext *ctx, const HdDevice *dev)
{
	HdSriovPf pf;
	guint index = 0;

	return hd_device_get_request(dev)->provision_vfs > 0 || hd_sriov_locate(ctx, dev, &pf, &index);
}

static void
hd_sriov_describe(HdContext *ctx, const HdDevice *dev, GPtrArray *steps)
{
	HdSriovPf pf;
	guint needed = 0;
	guint wait_ms = hd_context_get_policy(ctx)->bind_timeout_ms;

	if (!hd_sriov_target(ctx, dev, &pf, &needed, NULL))
		return;
	if (pf.numvfs >= needed) {
		g_ptr_array_add(steps, g_strdup_printf("use the %u virtual functions %s has (%u needed)", pf.numvfs,
						       pf.bdf, needed));
		return;
	}
	if (pf.numvfs > 0)
		g_ptr_array_add(steps, g_strdup_printf("write 0 to sriov_numvfs of %s (no VF is in use)", pf.bdf));
	if (pf.autoprobe != 0)
		g_ptr_array_add(steps, g_strdup_printf("write 0 to sriov_drivers_autoprobe of %s", pf.bdf));
	g_ptr_array_add(steps, g_strdup_printf("write %u to sriov_numvfs of %s", needed, pf.bdf));
	g_ptr_array_add(steps, g_strdup_printf("wait up to %u ms for virtfn0..virtfn%u", wait_ms, needed - 1));
}

/* ---- changing the VF count ------------------------------------------------------ */

/* hd_sysfs_write() ends its message with strerror(): the kernel's answer */
static gboolean
hd_sriov_error_is(const GError *error, int errnum)
{
	return g_str_has_suffix(error->message, g_strerror(errnum));
}

/* sriov_numvfs_store() and the PF drivers' answers, in words */
static void
hd_sriov_explain(GError **error, GError *local, const HdSriovPf *pf, guint count)
{
	g_autoptr(GError) owned = local;

	if (hd_sriov_error_is(owned, ERANGE))
		g_set_error(error, HD_ERROR, HD_ERROR_INVALID_DATA,
			    "%s refused %u virtual functions (ERANGE): its driver allows at most %u; ask for fewer",
			    pf->bdf, count, pf->total);
	else if (hd_sriov_error_is(owned, ENOENT) || hd_sriov_error_is(owned, ENODEV))
		g_set_error(error, HD_ERROR, HD_ERROR_NOT_SUPPORTED,
			    "%s: its driver does not support SR-IOV (writing sriov_numvfs gave ENOENT): bind the PF "
			    "to a driver that can create VFs", pf->bdf);
	else if (hd_sriov_error_is(owned, EBUSY))
		g_set_error(error, HD_ERROR, HD_ERROR_BUSY,
			    "%s refused to change its VF count to %u (EBUSY): VFs are still enabled or assigned; "
			    "release them and retry", pf->bdf, count);
	else if (hd_sriov_error_is(owned, ENOMEM))
		g_set_error(error, HD_ERROR, HD_ERROR_FAILED,
			    "%s could not place %u virtual functions (ENOMEM): the bus numbers or memory windows "
			    "behind it are too small; boot with pci=realloc, or ask for fewer", pf->bdf, count);
	else if (hd_sriov_error_is(owned, ENOSPC))
		g_set_error(error, HD_ERROR, HD_ERROR_FAILED,
			    "%s has no interrupt vectors (MSI-X) left for %u virtual functions (ENOSPC): ask for "
			    "fewer", pf->bdf, count);
	else
		g_set_error(error, HD_ERROR, owned->code, "%s: %s", pf->bdf, owned->message);
}

static gboolean
hd_sriov_write_numvfs(HdContext *ctx, const HdSriovPf *pf, guint count, GError **error)
{
	g_autofree gchar *path = hd_function_attr_path(pf->bdf, "sriov_numvfs");
	g_autofree gchar *value = g_strdup_printf("%u", count);
	GError *local = NULL;

	if (hd_sysfs_write(hd_context_get_sysfs(ctx), path, value, &local))
		return TRUE;
	hd_sriov_explain(error, local, pf, count);
	return FALSE;
}

static gboolean
hd_sriov_write_autoprobe(HdContext *ctx, const HdSriovPf *pf, guint value, GError **error)
{
	g_autofree gchar *path = hd_function_attr_path(pf->bdf, "sriov_drivers_autoprobe");

	return hd_sysfs_write(hd_context_get_sysfs(ctx), path, value != 0 ? "1" : "0", error);
}

/* the first of virtfn0..virtfn(@count - 1) without its VF, NULL when all are there */
static gchar *
hd_sriov_missing_vf(HdContext *ctx, const HdSriovPf *pf, guint count)
{
	HdSysfs *sysfs = hd_context_get_sysfs(ctx);

	for (guint i = 0; i < count; i++) {
		g_autofree gchar *virtfn = g_strdup_printf("virtfn%u", i);
		g_autofree gchar *link = hd_function_attr_path(pf->bdf, virtfn);
		g_autofree gchar *vf = hd_sysfs_read_link_name(sysfs, link, NULL);
		g_autofree gchar *dir = vf != NULL ? hd_function_attr_path(vf, NULL) : NULL;

		if (dir == NULL || !hd_sysfs_exists(sysfs, dir))
			return g_steal_pointer(&virtfn);
	}
	return NULL;
}

/*
 * The kernel adds the VFs inside the write, but a driver may enable fewer
 * than asked, and the links are what the binder goes by: wait, boundedly
 * ([bind] timeout-ms), for every virtfnN and its device.
 */
static gboolean
hd_sriov_wait_for_vfs(HdContext *ctx, const HdSriovPf *pf, guint count, GError **error)
{
	guint timeout_ms = hd_context_get_policy(ctx)->bind_timeout_ms;
	gint64 deadline = g_get_monotonic_time() + (gint64)timeout_ms * 1000;
	guint enabled = 0;

	for (;;) {
		g_autofree gchar *missing = hd_sriov_missing_vf(ctx, pf, count);

		if (missing == NULL)
			return TRUE;
		if (g_get_monotonic_time() >= deadline) {
			if (!hd_sriov_read_uint(ctx, pf->bdf, "sriov_numvfs", &enabled, error))
				return FALSE;
			g_set_error(error, HD_ERROR, HD_ERROR_TIMED_OUT,
				    "%s: wrote %u to sriov_numvfs, but %s did not appear within %u ms (the driver "
				    "enabled %u): the PF's driver may lack resources for them; ask for fewer",
				    pf->bdf, count, missing, timeout_ms, enabled);
			return FALSE;
		}
		g_usleep(HD_SRIOV_POLL_US);
	}
}

/* record the PF as the first user found it, or adopt that record */
static gboolean
hd_sriov_record(HdContext *ctx, HdEntry *entry, const HdSriovPf *pf, GError **error)
{
	gboolean adopted = FALSE;

	hd_entry_set_string(entry, "pf", pf->bdf);
	if (!hd_entry_adopt_from_sharers(ctx, entry, hd_sriov_original_keys, &adopted, error))
		return FALSE;
	if (adopted)
		return TRUE;
	hd_entry_set_int(entry, "original_numvfs", pf->numvfs);
	hd_entry_set_int(entry, "original_autoprobe", pf->autoprobe);
	return TRUE;
}

/*
 * Too few VFs: the count changes only through 0 (the kernel answers EBUSY
 * otherwise), so none may be in use; autoprobe goes off first, so that the
 * new VFs meet no host driver.
 */
static gboolean
hd_sriov_grow(HdContext *ctx, const HdDevice *dev, HdEntry *entry, const HdSriovPf *pf, guint needed,
	      GError **error)
{
	if (!hd_sriov_check_growth(ctx, dev, pf, needed, error))
		return FALSE;
	hd_entry_set_int(entry, "numvfs", needed);
	if (pf->numvfs > 0 && (!hd_entry_step(entry, "numvfs-zero", error) || !hd_sriov_write_numvfs(ctx, pf, 0, error)))
		return FALSE;
	if (pf->autoprobe != 0 &&
	    (!hd_entry_step(entry, "autoprobe-off", error) || !hd_sriov_write_autoprobe(ctx, pf, 0, error)))
		return FALSE;
	return hd_entry_step(entry, "numvfs", error) && hd_sriov_write_numvfs(ctx, pf, needed, error) &&
	       hd_sriov_wait_for_vfs(ctx, pf, needed, error);
}

/* enough VFs already: use them, and never change a PF others depend on */
static gboolean
hd_sriov_provision(HdContext *ctx, const HdDevice *dev, HdEntry *entry, GError **error)
{
	HdSriovPf pf;
	guint needed = 0;

	if (!hd_sriov_target(ctx, dev, &pf, &needed, error) || !hd_sriov_record(ctx, entry, &pf, error))
		return FALSE;
	if (pf.numvfs >= needed)
		return TRUE;
	return hd_sriov_grow(ctx, dev, entry, &pf, needed, error);
}

/* ---- giving the PF back ------------------------------------------------------------ */

static gboolean
hd_sriov_recorded(const HdEntry *entry, const char **bdf, guint *numvfs, guint *autoprobe, GError **error)
{
	gint64 n = hd_entry_get_int(entry, "original_numvfs", -1);
	gint64 a = hd_entry_get_int(entry, "original_autoprobe", -1);

	*bdf = hd_entry_get_string(entry, "pf");
	/* the journal may have been edited: the address must not climb out of sysfs */
	if (*bdf == NULL || !hd_address_parse_bdf(*bdf, &(HdAddress){0}, NULL) || n < 0 || n > G_MAXUINT16 ||
	    a < 0 || a > 1) {
		g_set_error(error, HD_ERROR, HD_ERROR_INVALID_DATA,
			    "%s: the journal's sriov entry lacks the PF or its original VF count and autoprobe",
			    hd_entry_get_address(entry));
		return FALSE;
	}
	*numvfs = (guint)n;
	*autoprobe = (guint)a;
	return TRUE;
}

/* a VF still in use keeps the count: writing 0 would block while a guest
 * holds it through vfio-pci, or pull it from under its user */
static gboolean
hd_sriov_check_release(HdContext *ctx, const HdSriovPf *pf, guint original, GError **error)
{
	g_autofree gchar *vf = NULL;
	g_autofree gchar *why = NULL;

	if (!hd_sriov_find_busy_vf(ctx, NULL, pf, &vf, &why, error))
		return FALSE;
	if (vf == NULL)
		return TRUE;
	g_set_error(error, HD_ERROR, HD_ERROR_BUSY,
		    "cannot give %s its %u virtual functions back: %s is still in use (%s); stop its user, then run "
		    "hostdevctl recover", pf->bdf, original, vf, why);
	return FALSE;
}

/* autoprobe first, so that VFs the PF had get their drivers again */
static gboolean
hd_sriov_restore(HdContext *ctx, const HdSriovPf *pf, guint numvfs, guint autoprobe, GError **error)
{
	if (pf->numvfs != numvfs && pf->numvfs > 0 &&
	    (!hd_sriov_check_release(ctx, pf, numvfs, error) || !hd_sriov_write_numvfs(ctx, pf, 0, error)))
		return FALSE;
	if (pf->autoprobe != autoprobe && !hd_sriov_write_autoprobe(ctx, pf, autoprobe, error))
		return FALSE;
	if (pf->numvfs == numvfs || numvfs == 0)
		return TRUE;
	return hd_sriov_write_numvfs(ctx, pf, numvfs, error) && hd_sriov_wait_for_vfs(ctx, pf, numvfs, error);
}

/*
 * Other users of the PF's VFs keep it as it is; the last one puts back the
 * count and autoprobe the first one found.  From any step, and again.
 */
static gboolean
hd_sriov_unprovision(HdContext *ctx, HdEntry *entry, GError **error)
{
	g_autofree gchar *dir = NULL;
	const char *bdf = NULL;
	guint numvfs = 0;
	guint autoprobe = 0;
	guint sharers = 0;
	HdSriovPf pf;

	if (!hd_sriov_recorded(entry, &bdf, &numvfs, &autoprobe, error) ||
	    !hd_entry_count_sharers(ctx, entry, &sharers, error))
		return FALSE;
	if (sharers > 0) {
		g_debug("%s: %u other user(s) of %s's virtual functions keep it as it is", hd_entry_get_address(entry),
			sharers, bdf);
		return TRUE;
	}
	dir = hd_function_attr_path(bdf, NULL);
	if (!hd_sysfs_exists(hd_context_get_sysfs(ctx), dir)) {
		g_message("%s is gone: its virtual functions went with it", bdf);
		return TRUE;
	}
	return hd_sriov_pf_read(ctx, bdf, &pf, error) && hd_sriov_restore(ctx, &pf, numvfs, autoprobe, error);
}

const HdPlugin hd_plugin_sriov = {
	.name = "sriov",
	.select = hd_sriov_select,
	.check = hd_sriov_check,
	.describe = hd_sriov_describe,
	.provision = hd_sriov_provision,
	.unprovision = hd_sriov_unprovision,
};
