/*
 * hd-admin.c: the host's own owners: boot-time binding and assignable devices
 *
 * Both build requests as a domain's XML would, plan them for a host owner
 * and run the engine, so the checks (protect, allow and deny, in use,
 * IOMMU groups, ownership), the journal and the restore are the hook's.
 *
 * Why one "boot" owner but one owner per assigned device: the boot set is
 * applied and undone as a whole (an IOMMU group's members are viable only
 * together), while devices are assigned and unassigned one by one, and
 * preparing an owner again would first undo what it holds.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "hd-admin.h"

#include <string.h>

#include "hd-device.h"
#include "hd-engine.h"
#include "hd-error.h"
#include "hd-journal.h"
#include "hd-json.h"
#include "hd-plan.h"
#include "hd-running.h"

/* ---- the hypervisor ------------------------------------------------------------ */

/* a Xen dom0 says control_d in xenfs; a domU, or no Xen, does not */
static gboolean
hd_admin_is_xen_dom0(HdContext *ctx, gboolean *dom0, GError **error)
{
	g_autofree gchar *capabilities_path = g_build_filename(ctx->proc_root, "xen", "capabilities", NULL);
	g_autofree gchar *capabilities = NULL;
	g_autofree gchar *type = hd_sysfs_read(ctx->sysfs, "hypervisor/type", NULL);

	*dom0 = FALSE;
	if (g_file_get_contents(capabilities_path, &capabilities, NULL, NULL)) {
		*dom0 = strstr(capabilities, "control_d") != NULL;
		return TRUE;
	}
	if (type == NULL || !g_str_equal(g_strstrip(type), "xen"))
		return TRUE;
	/* under Xen without xenfs: a dom0 cannot be told from a domU */
	g_set_error(error, HD_ERROR, HD_ERROR_NOT_FOUND,
		    "this host runs on Xen, but %s cannot be read to tell a dom0: mount xenfs there "
		    "(mount -t xenfs xenfs %s/xen), or set [boot] hypervisor=xen or kvm in the policy",
		    capabilities_path, ctx->proc_root);
	return FALSE;
}

gboolean
hd_admin_host_hypervisor(HdContext *ctx, HdHypervisor *out, GError **error)
{
	gboolean dom0 = FALSE;

	switch (ctx->policy->boot_hypervisor) {
	case HD_BOOT_HYPERVISOR_KVM:
		*out = HD_HYPERVISOR_KVM;
		return TRUE;
	case HD_BOOT_HYPERVISOR_XEN:
		*out = HD_HYPERVISOR_XEN;
		return TRUE;
	case HD_BOOT_HYPERVISOR_AUTO:
	default:
		if (!hd_admin_is_xen_dom0(ctx, &dom0, error))
			return FALSE;
		*out = dom0 ? HD_HYPERVISOR_XEN : HD_HYPERVISOR_KVM;
		return TRUE;
	}
}

gboolean
hd_admin_hypervisor_for_driver(HdContext *ctx, const char *driver, HdHypervisor *out, GError **error)
{
	if (g_strcmp0(driver, ctx->policy->xen_stub) == 0) {
		*out = HD_HYPERVISOR_XEN;
		return TRUE;
	}
	if (g_strcmp0(driver, ctx->policy->kvm_stub) == 0) {
		*out = HD_HYPERVISOR_KVM;
		return TRUE;
	}
	return hd_admin_host_hypervisor(ctx, out, error);
}

/* ---- owners and requests ---------------------------------------------------------- */

/* "assign-0000-01-00-0": a host owner's name is letters, digits and '-' */
static gchar *
hd_admin_assign_owner_name(const HdAddress *addr)
{
	char bdf[HD_ADDRESS_STRLEN];

	hd_address_format(addr, bdf);
	return g_strdelimit(g_strconcat(HD_ADMIN_ASSIGN_PREFIX, bdf, NULL), ":.", '-');
}

static HdDeviceRequest *
hd_admin_request_new(const HdAddress *addr, HdSource source)
{
	HdDeviceRequest *req = g_new0(HdDeviceRequest, 1);

	req->address = *addr;
	req->source = source;
	req->vlan_tags = g_array_new(FALSE, FALSE, sizeof(HdVlanTag));
	return req;
}

static const char *
hd_admin_driver_name(const char *driver)
{
	return driver != NULL ? driver : "no driver";
}

/* plan @requests for @owner and carry the plan out; a line per device */
static gboolean
hd_admin_apply(HdContext *ctx,
	       const HdOwner *owner,
	       HdHypervisor hypervisor,
	       const GPtrArray *requests,
	       GString *report,
	       GError **error)
{
	g_autoptr(HdPlan) plan = hd_plan_new(ctx, owner, hypervisor, requests, error);

	if (plan == NULL || !hd_plan_accept(plan, "apply", "host request", error) || !hd_engine_prepare(ctx, plan, error))
		return FALSE;
	for (guint i = 0; i < plan->devices->len; i++) {
		const HdPlanDevice *dev = g_ptr_array_index(plan->devices, i);
		g_autofree gchar *action = hd_plan_device_action_string(dev);

		if (dev->action == HD_ACTION_BIND)
			g_string_append_printf(report, "%s: on %s (was %s)\n", dev->info->bdf, dev->target_driver,
					       hd_admin_driver_name(dev->info->driver));
		else
			g_string_append_printf(report, "%s: %s\n", dev->info->bdf, action);
	}
	return TRUE;
}

/* ---- who uses what the host lends --------------------------------------------------- */

static gboolean
hd_admin_journal_binds(const HdJournal *journal, const char *address)
{
	for (guint i = 0; i < journal->entries->len; i++) {
		const HdEntry *entry = g_ptr_array_index(journal->entries, i);

		if (entry->phase == HD_PHASE_BIND && g_strcmp0(entry->address, address) == 0)
			return TRUE;
	}
	return FALSE;
}

static gboolean
hd_admin_journal_provisions(const HdJournal *journal, const char *pf)
{
	for (guint i = 0; i < journal->entries->len; i++) {
		const HdEntry *entry = g_ptr_array_index(journal->entries, i);

		if (entry->phase == HD_PHASE_PROVISION && g_strcmp0(entry->address, pf) == 0)
			return TRUE;
	}
	return FALSE;
}

/* does a domain's entry use a device @held binds, or a VF of a PF it provisioned? */
static gchar *
hd_admin_entry_borrows(const HdJournal *held, const HdJournal *domain, const HdEntry *entry)
{
	g_autofree gchar *who = hd_owner_describe(&domain->owner);

	if (entry->phase == HD_PHASE_BIND && hd_admin_journal_binds(held, entry->address))
		return g_strdup_printf("%s: in use by %s; stop the domain first", entry->address, who);
	if (entry->parent != NULL && hd_admin_journal_provisions(held, entry->parent))
		return g_strdup_printf("%s: %s uses its virtual function %s; stop the domain first", entry->parent,
				       who, entry->address);
	return NULL;
}

/*
 * May @held's devices go back?  Not while a domain's journal holds one of
 * them or a VF of a PF it provisioned, nor while a process (a QEMU started
 * by hand) holds the /dev/vfio node of one.
 */
static gboolean
hd_admin_check_not_borrowed(HdContext *ctx, const HdJournal *held, GError **error)
{
	g_autoptr(GPtrArray) journals = hd_journal_load_all(ctx->state_dir, error);
	g_autofree gchar *holder = NULL;
	g_autofree gchar *why = NULL;
	const char *why_address = NULL;

	if (journals == NULL)
		return FALSE;
	for (guint i = 0; i < journals->len; i++) {
		const HdJournal *journal = g_ptr_array_index(journals, i);

		if (journal->owner.kind != HD_OWNER_DOMAIN)
			continue;
		for (guint j = 0; j < journal->entries->len; j++) {
			const HdEntry *entry = g_ptr_array_index(journal->entries, j);
			g_autofree gchar *reason = hd_admin_entry_borrows(held, journal, entry);

			/* the lowest address: concurrent units journal in no fixed
			 * order, and the refusal must not depend on it */
			if (reason != NULL && (why == NULL || g_strcmp0(entry->address, why_address) < 0)) {
				g_free(why);
				why = g_steal_pointer(&reason);
				why_address = entry->address;
			}
		}
	}
	if (why != NULL) {
		g_set_error_literal(error, HD_ERROR, HD_ERROR_BUSY, why);
		return FALSE;
	}
	if (!hd_running_check(ctx, held, &holder, error))
		return FALSE;
	if (holder != NULL) {
		g_set_error(error, HD_ERROR, HD_ERROR_BUSY, "%s; stop that process first", holder);
		return FALSE;
	}
	return TRUE;
}

/* undo everything @owner holds, once no domain uses it */
static gboolean
hd_admin_give_back(HdContext *ctx, const HdJournal *journal, GString *report, GError **error)
{
	if (!hd_admin_check_not_borrowed(ctx, journal, error) || !hd_engine_release(ctx, &journal->owner, error))
		return FALSE;
	for (guint i = 0; i < journal->entries->len; i++) {
		const HdEntry *entry = g_ptr_array_index(journal->entries, i);
		const char *original = hd_entry_get_string(entry, "original_driver");

		/* a device found on its stub was left there */
		if (entry->phase == HD_PHASE_BIND && hd_entry_get_bool(entry, "found_bound"))
			g_string_append_printf(report, "%s: left on %s, where it was found\n", entry->address,
					       hd_entry_get_string(entry, "target_driver"));
		else if (entry->phase == HD_PHASE_BIND)
			g_string_append_printf(report, "%s: back on %s\n", entry->address,
					       hd_admin_driver_name(original));
		else if (entry->phase == HD_PHASE_PROVISION)
			g_string_append_printf(report, "%s: virtual functions as before boot\n", entry->address);
	}
	return TRUE;
}

/* ---- boot ------------------------------------------------------------------------------ */

static gboolean
hd_admin_read_class(HdContext *ctx, const char *bdf, guint32 *class_code, GError **error)
{
	g_autofree gchar *path = hd_function_attr_path(bdf, "class");
	g_autofree gchar *text = hd_sysfs_read(ctx->sysfs, path, error);
	const char *digits;
	guint64 value = 0;

	if (text == NULL)
		return FALSE;
	digits = g_strstrip(text);
	if (g_str_has_prefix(digits, "0x"))
		digits += 2;
	if (!g_ascii_string_to_unsigned(digits, 16, 0, 0xffffff, &value, NULL)) {
		g_set_error(error, HD_ERROR, HD_ERROR_INVALID_DATA, "%s: '%s' is not a PCI class", path, text);
		return FALSE;
	}
	*class_code = (guint32)value;
	return TRUE;
}

/* does [boot] devices=, ids= or classes= name @bdf? */
static gboolean
hd_admin_boot_wants(HdContext *ctx, const char *bdf, HdAddress *addr, gboolean *wanted, GError **error)
{
	HdPciIds ids;
	guint32 class_code = 0;

	if (!hd_address_parse_bdf(bdf, addr, error) || !hd_function_read_ids(ctx, bdf, &ids, error) ||
	    !hd_admin_read_class(ctx, bdf, &class_code, error))
		return FALSE;
	*wanted = hd_policy_boot_match(ctx->policy, addr, &ids, class_code) != NULL;
	return TRUE;
}

/* an address in devices= that names no function yet: a VF vfs= creates,
 * or a mistake the plan will name */
static void
hd_admin_boot_add_absent(HdContext *ctx, GPtrArray *requests, GHashTable *seen)
{
	for (guint i = 0; i < ctx->policy->boot_bind->len; i++) {
		const HdPolicyMatch *match = g_ptr_array_index(ctx->policy->boot_bind, i);

		if (match->kind != HD_POLICY_MATCH_ADDRESS ||
		    g_hash_table_contains(seen, GUINT_TO_POINTER(hd_address_key(&match->address))))
			continue;
		g_hash_table_add(seen, GUINT_TO_POINTER(hd_address_key(&match->address)));
		g_ptr_array_add(requests, hd_admin_request_new(&match->address, HD_SOURCE_POLICY));
	}
}

static gint
hd_admin_compare_names(gconstpointer a, gconstpointer b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* the [boot] set as requests: VFs first, so that they exist before binds */
static GPtrArray *
hd_admin_boot_requests(HdContext *ctx, GError **error)
{
	g_autoptr(GPtrArray) requests = g_ptr_array_new_with_free_func((GDestroyNotify)hd_device_request_free);
	g_autoptr(GHashTable) seen = g_hash_table_new(g_direct_hash, g_direct_equal);
	g_autoptr(GPtrArray) functions = NULL;

	for (guint i = 0; i < ctx->policy->boot_vfs->len; i++) {
		const HdBootVfs *vfs = g_ptr_array_index(ctx->policy->boot_vfs, i);
		HdDeviceRequest *req = hd_admin_request_new(&vfs->pf, HD_SOURCE_POLICY);

		req->provision_vfs = vfs->count;
		req->line = vfs->line;
		g_ptr_array_add(requests, req);
	}
	if (ctx->policy->boot_bind->len == 0)
		return g_steal_pointer(&requests);
	functions = hd_sysfs_list(ctx->sysfs, "bus/pci/devices", error);
	if (functions == NULL)
		return NULL;
	g_ptr_array_sort(functions, hd_admin_compare_names);
	for (guint i = 0; i < functions->len; i++) {
		const char *bdf = g_ptr_array_index(functions, i);
		gboolean wanted = FALSE;
		HdAddress addr;

		if (!hd_admin_boot_wants(ctx, bdf, &addr, &wanted, error))
			return NULL;
		if (!wanted)
			continue;
		g_hash_table_add(seen, GUINT_TO_POINTER(hd_address_key(&addr)));
		g_ptr_array_add(requests, hd_admin_request_new(&addr, HD_SOURCE_POLICY));
	}
	hd_admin_boot_add_absent(ctx, requests, seen);
	return g_steal_pointer(&requests);
}

static HdJournal *
hd_admin_load_boot(HdContext *ctx, GError **error)
{
	HdOwner owner = {HD_OWNER_HOST, (gchar *)HD_ADMIN_BOOT_OWNER};

	return hd_journal_load(ctx->state_dir, &owner, error);
}

gboolean
hd_admin_boot(HdContext *ctx, HdHypervisor hypervisor, GString *report, gboolean *already_done, GError **error)
{
	HdOwner owner = {HD_OWNER_HOST, (gchar *)HD_ADMIN_BOOT_OWNER};
	g_autoptr(HdJournal) journal = hd_admin_load_boot(ctx, error);
	g_autoptr(GPtrArray) requests = NULL;

	*already_done = FALSE;
	if (journal == NULL)
		return FALSE;
	/* a boot killed half-way: only --undo knows how far it got */
	for (guint i = 0; i < journal->entries->len; i++) {
		const HdEntry *entry = g_ptr_array_index(journal->entries, i);

		if (!hd_entry_is_done(entry)) {
			g_set_error(error, HD_ERROR, HD_ERROR_BUSY,
				    "%s: an earlier boot stopped half-way (%s by %s at step %s); run 'hostdevctl boot "
				    "--undo', then boot again", entry->address, hd_phase_to_string(entry->phase),
				    entry->plugin, entry->step);
			return FALSE;
		}
	}
	/* applying it again would undo it first, under domains that may use it */
	if (journal->entries->len > 0) {
		*already_done = TRUE;
		g_string_append_printf(report, "already applied: %u change(s) held for the host; to apply a changed "
					       "[boot], run 'hostdevctl boot --undo' first\n", journal->entries->len);
		return TRUE;
	}
	requests = hd_admin_boot_requests(ctx, error);
	if (requests == NULL)
		return FALSE;
	if (requests->len == 0) {
		g_string_append(report, "nothing to do: the policy's [boot] names no device and no VFs\n");
		return TRUE;
	}
	return hd_admin_apply(ctx, &owner, hypervisor, requests, report, error);
}

gboolean
hd_admin_boot_undo(HdContext *ctx, GString *report, GError **error)
{
	g_autoptr(HdJournal) journal = hd_admin_load_boot(ctx, error);

	if (journal == NULL)
		return FALSE;
	if (journal->entries->len == 0) {
		g_string_append(report, "nothing to undo: no device is held by boot-time binding\n");
		return TRUE;
	}
	return hd_admin_give_back(ctx, journal, report, error);
}

/* ---- assign and unassign ------------------------------------------------------------------ */

/* already on a stub for the host: by boot, or by an earlier assign */
static gboolean
hd_admin_assign_existing(HdContext *ctx,
			 HdJournal *journal,
			 const char *bdf,
			 const char *driver,
			 GString *report,
			 gboolean *already_done,
			 GError **error)
{
	g_autoptr(HdJournal) boot = hd_admin_load_boot(ctx, error);
	HdJournal *holder = journal->entries->len > 0 ? journal : boot;
	const HdEntry *entry = NULL;
	const char *target;

	if (boot == NULL)
		return FALSE;
	entry = hd_journal_find_binding(holder, bdf);
	if (entry == NULL)
		return TRUE;
	target = hd_entry_get_string(entry, "target_driver");
	if (driver != NULL && g_strcmp0(driver, target) != 0) {
		g_set_error(error, HD_ERROR, HD_ERROR_CONFLICT,
			    "%s: already assignable on %s (%s); %s first to move it to %s", bdf, target,
			    holder == boot ? "bound at boot" : "hostdevctl assign",
			    holder == boot ? "remove it from [boot] and run 'hostdevctl boot --undo'" : "unassign it",
			    driver);
		return FALSE;
	}
	*already_done = TRUE;
	g_string_append_printf(report, "%s: already assignable on %s (%s)\n", bdf, target,
			       holder == boot ? "bound at boot" : "hostdevctl assign");
	return TRUE;
}

gboolean
hd_admin_assign(HdContext *ctx,
		const HdAddress *addr,
		const char *driver,
		gboolean take_group,
		HdHypervisor hypervisor,
		GString *report,
		gboolean *already_done,
		GError **error)
{
	g_autofree gchar *name = hd_admin_assign_owner_name(addr);
	HdOwner owner = {HD_OWNER_HOST, name};
	g_autoptr(HdJournal) journal = hd_journal_load(ctx->state_dir, &owner, error);
	g_autoptr(GPtrArray) requests = g_ptr_array_new_with_free_func((GDestroyNotify)hd_device_request_free);
	HdDeviceRequest *req = hd_admin_request_new(addr, HD_SOURCE_ADMIN);
	char bdf[HD_ADDRESS_STRLEN];

	g_ptr_array_add(requests, req);
	*already_done = FALSE;
	hd_address_format(addr, bdf);
	if (journal == NULL || !hd_admin_assign_existing(ctx, journal, bdf, driver, report, already_done, error))
		return FALSE;
	if (*already_done)
		return TRUE;
	req->target_driver = g_strdup(driver);
	req->take_group = take_group;
	return hd_admin_apply(ctx, &owner, hypervisor, requests, report, error);
}

gboolean
hd_admin_unassign(HdContext *ctx, const HdAddress *addr, GString *report, GError **error)
{
	g_autofree gchar *name = hd_admin_assign_owner_name(addr);
	HdOwner owner = {HD_OWNER_HOST, name};
	g_autoptr(HdJournal) journal = hd_journal_load(ctx->state_dir, &owner, error);
	g_autoptr(HdJournal) boot = NULL;
	char bdf[HD_ADDRESS_STRLEN];

	hd_address_format(addr, bdf);
	if (journal == NULL)
		return FALSE;
	if (journal->entries->len > 0)
		return hd_admin_give_back(ctx, journal, report, error);
	boot = hd_admin_load_boot(ctx, error);
	if (boot == NULL)
		return FALSE;
	if (hd_journal_find_binding(boot, bdf) != NULL)
		g_set_error(error, HD_ERROR, HD_ERROR_CONFLICT,
			    "%s: bound at boot by the policy's [boot], not by hostdevctl assign; remove it from [boot] "
			    "and run 'hostdevctl boot --undo' to give it back", bdf);
	else
		g_set_error(error, HD_ERROR, HD_ERROR_NOT_FOUND,
			    "%s: not assigned: hostdevctl assign holds no such device (see hostdevctl list-assignable)",
			    bdf);
	return FALSE;
}

/* ---- list-assignable ------------------------------------------------------------------------ */

typedef struct {
	const HdJournal *journal;
	const HdEntry *entry;
	HdDeviceInfo *info;
	const char *used_by; /* a domain's name, or NULL */
	gchar *numvfs;	     /* a provisioned PF's count now */
} HdAdminRow;

static void
hd_admin_row_clear(HdAdminRow *row)
{
	hd_device_info_free(row->info);
	g_free(row->numvfs);
}

/* "boot" or "assign": what put the device there */
static const char *
hd_admin_owner_label(const HdOwner *owner)
{
	return g_str_has_prefix(owner->name, HD_ADMIN_ASSIGN_PREFIX) ? "assign" : owner->name;
}

static const char *
hd_admin_used_by(GPtrArray *journals, const char *address)
{
	for (guint i = 0; i < journals->len; i++) {
		const HdJournal *journal = g_ptr_array_index(journals, i);

		if (journal->owner.kind == HD_OWNER_DOMAIN && hd_admin_journal_binds(journal, address))
			return journal->owner.name;
	}
	return NULL;
}

/* the host's bind entries, and the PFs it provisioned, as rows */
static GArray *
hd_admin_rows(HdContext *ctx, GPtrArray *journals, GError **error)
{
	g_autoptr(GArray) rows = g_array_new(FALSE, TRUE, sizeof(HdAdminRow));

	g_array_set_clear_func(rows, (GDestroyNotify)hd_admin_row_clear);
	for (guint i = 0; i < journals->len; i++) {
		const HdJournal *journal = g_ptr_array_index(journals, i);

		for (guint j = 0; journal->owner.kind == HD_OWNER_HOST && j < journal->entries->len; j++) {
			HdAdminRow row = {journal, g_ptr_array_index(journal->entries, j), NULL, NULL, NULL};
			HdAddress addr;

			if (row.entry->phase == HD_PHASE_CONFIGURE)
				continue;
			if (!hd_address_parse_bdf(row.entry->address, &addr, error))
				return NULL;
			row.info = hd_device_info_read(ctx, &addr, error);
			if (row.info == NULL)
				return NULL;
			row.used_by = hd_admin_used_by(journals, row.entry->address);
			if (row.entry->phase == HD_PHASE_PROVISION) {
				g_autofree gchar *path = hd_function_attr_path(row.entry->address, "sriov_numvfs");
				row.numvfs = hd_sysfs_read(ctx->sysfs, path, NULL);
				if (row.numvfs != NULL)
					g_strstrip(row.numvfs);
			}
			g_array_append_val(rows, row);
		}
	}
	return g_steal_pointer(&rows);
}

static const char *
hd_admin_or(const char *value, const char *fallback)
{
	return value != NULL ? value : fallback;
}

static gchar *
hd_admin_rows_to_text(GArray *rows)
{
	g_autoptr(GString) out = g_string_new(NULL);

	if (rows->len == 0)
		return g_strdup("no device is assignable through hostdev-hook\n");
	g_string_append_printf(out, "%-13s %-7s %-14s %-14s %s\n", "ADDRESS", "OWNER", "DRIVER", "ORIGINAL", "USED BY");
	for (guint i = 0; i < rows->len; i++) {
		const HdAdminRow *row = &g_array_index(rows, HdAdminRow, i);

		if (row->entry->phase == HD_PHASE_PROVISION) {
			g_string_append_printf(out, "%-13s %-7s PF with %s virtual function(s), %d before\n",
					       row->entry->address, hd_admin_owner_label(&row->journal->owner),
					       hd_admin_or(row->numvfs, "?"),
					       (int)hd_entry_get_int(row->entry, "original_numvfs", -1));
			continue;
		}
		g_string_append_printf(out, "%-13s %-7s %-14s %-14s %s\n", row->entry->address,
				       hd_admin_owner_label(&row->journal->owner), hd_admin_or(row->info->driver, "-"),
				       hd_admin_or(hd_entry_get_string(row->entry, "original_driver"), "-"),
				       hd_admin_or(row->used_by, "-"));
	}
	return g_string_free(g_steal_pointer(&out), FALSE);
}

static json_object *
hd_admin_device_to_json(const HdAdminRow *row)
{
	json_object *device = json_object_new_object();

	hd_json_add_string(device, "address", row->entry->address);
	hd_json_add_string(device, "owner", hd_admin_owner_label(&row->journal->owner));
	hd_json_add_string(device, "journal", row->journal->owner.name);
	hd_json_add_string(device, "current_driver", row->info->driver);
	hd_json_add_string(device, "target_driver", hd_entry_get_string(row->entry, "target_driver"));
	hd_json_add_string(device, "original_driver", hd_entry_get_string(row->entry, "original_driver"));
	hd_json_add_string(device, "original_override", hd_entry_get_string(row->entry, "original_override"));
	hd_json_add_bool(device, "found_bound", hd_entry_get_bool(row->entry, "found_bound"));
	hd_json_add_string(device, "used_by", row->used_by);
	return device;
}

static json_object *
hd_admin_vf_pool_to_json(const HdAdminRow *row)
{
	json_object *pool = json_object_new_object();

	hd_json_add_string(pool, "pf", row->entry->address);
	hd_json_add_string(pool, "owner", hd_admin_owner_label(&row->journal->owner));
	hd_json_add_string(pool, "numvfs", row->numvfs);
	hd_json_add_int(pool, "original_numvfs", hd_entry_get_int(row->entry, "original_numvfs", -1));
	return pool;
}

static gchar *
hd_admin_rows_to_json(GArray *rows)
{
	g_autoptr(json_object) root = json_object_new_object();
	json_object *devices = json_object_new_array();
	json_object *vfs = json_object_new_array();

	for (guint i = 0; i < rows->len; i++) {
		const HdAdminRow *row = &g_array_index(rows, HdAdminRow, i);

		if (row->entry->phase == HD_PHASE_BIND)
			hd_json_append(devices, hd_admin_device_to_json(row));
		else if (row->entry->phase == HD_PHASE_PROVISION)
			hd_json_append(vfs, hd_admin_vf_pool_to_json(row));
	}
	hd_json_add(root, "devices", devices);
	hd_json_add(root, "vfs", vfs);
	return hd_json_to_data(root);
}

gchar *
hd_admin_list_assignable(HdContext *ctx, gboolean json, GError **error)
{
	g_autoptr(GPtrArray) journals = hd_journal_load_all(ctx->state_dir, error);
	g_autoptr(GArray) rows = journals != NULL ? hd_admin_rows(ctx, journals, error) : NULL;

	if (rows == NULL)
		return NULL;
	return json ? hd_admin_rows_to_json(rows) : hd_admin_rows_to_text(rows);
}
