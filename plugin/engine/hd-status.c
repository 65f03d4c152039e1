/*
 * hd-status.c: every device hostdev-hook has lent out, as the host sees it now
 *
 * The journals say what we did; sysfs says what is true.  Status shows
 * both, so a device whose driver no longer matches its journal stands out.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "hd-status.h"

#include "hd-device.h"
#include "hd-journal.h"
#include "hd-json.h"

typedef struct {
	const HdJournal *journal;
	const HdEntry *entry; /* the bind entry: the one that lends the device */
	const HdEntry *unfinished; /* any entry of the device not done, or NULL */
	gchar *owner;
	HdDeviceInfo *info;
	gchar *state;
} HdStatusRow;

/* the rows borrow from the journals, so both live and die together */
typedef struct {
	GPtrArray *journals;
	GArray *rows; /* of HdStatusRow */
} HdStatus;

static void
hd_status_row_clear(HdStatusRow *row)
{
	hd_device_info_free(row->info);
	g_free(row->owner);
	g_free(row->state);
}

static void
hd_status_free(HdStatus *status)
{
	g_array_unref(status->rows);
	if (status->journals != NULL)
		g_ptr_array_unref(status->journals);
	g_free(status);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(HdStatus, hd_status_free)

/* "bound", "gone", "unfinished (step)" or "drifted: now on X" */
static gchar *
hd_status_state(const HdStatusRow *row)
{
	const char *target = hd_entry_get_string(row->entry, "target_driver");
	/* recover takes domains; the host's owners are undone by the commands
	 * that made them */
	const char *remedy = row->journal->owner.kind == HD_OWNER_DOMAIN ? "hostdevctl recover"
									 : "hostdevctl boot --undo or unassign";

	if (!row->info->exists)
		return g_strdup("gone from the host");
	if (row->unfinished == row->entry)
		return g_strdup_printf("unfinished (%s): run %s", row->entry->step, remedy);
	if (row->unfinished != NULL)
		return g_strdup_printf("unfinished (%s %s by %s): run %s", row->unfinished->step,
				       hd_phase_to_string(row->unfinished->phase), row->unfinished->plugin, remedy);
	if (g_strcmp0(row->info->driver, target) != 0)
		return g_strdup_printf("drifted: now on %s", row->info->driver != NULL ? row->info->driver : "no driver");
	return g_strdup(hd_entry_get_bool(row->entry, "found_bound") ? "bound (found that way)" : "bound");
}

static const HdEntry *
hd_status_find_unfinished(const HdJournal *journal, const char *address)
{
	for (guint i = 0; i < journal->entries->len; i++) {
		const HdEntry *entry = g_ptr_array_index(journal->entries, i);

		if (g_strcmp0(entry->address, address) == 0 && !hd_entry_is_done(entry))
			return entry;
	}
	return NULL;
}

/* a domain by its name, the host's owners marked as such */
static gchar *
hd_status_owner(const HdJournal *journal)
{
	if (journal->owner.kind == HD_OWNER_DOMAIN)
		return g_strdup(journal->owner.name);
	return g_strdup_printf("host:%s", journal->owner.name);
}

static HdStatus *
hd_status_load(HdContext *ctx, GError **error)
{
	g_autoptr(HdStatus) status = g_new0(HdStatus, 1);

	status->rows = g_array_new(FALSE, TRUE, sizeof(HdStatusRow));
	g_array_set_clear_func(status->rows, (GDestroyNotify)hd_status_row_clear);
	status->journals = hd_journal_load_all(ctx->state_dir, error);
	if (status->journals == NULL)
		return NULL;
	for (guint i = 0; i < status->journals->len; i++) {
		const HdJournal *journal = g_ptr_array_index(status->journals, i);
		for (guint j = 0; j < journal->entries->len; j++) {
			HdStatusRow row = {journal, g_ptr_array_index(journal->entries, j), NULL, NULL, NULL, NULL};
			HdAddress addr;

			if (row.entry->phase != HD_PHASE_BIND)
				continue;
			row.unfinished = hd_status_find_unfinished(journal, row.entry->address);
			row.owner = hd_status_owner(journal);
			if (!hd_address_parse_bdf(row.entry->address, &addr, error))
				return NULL;
			row.info = hd_device_info_read(ctx, &addr, error);
			if (row.info == NULL)
				return NULL;
			row.state = hd_status_state(&row);
			g_array_append_val(status->rows, row);
		}
	}
	return g_steal_pointer(&status);
}

static const char *
hd_or(const char *value, const char *fallback)
{
	return value != NULL ? value : fallback;
}

gchar *
hd_status_to_text(HdContext *ctx, GError **error)
{
	g_autoptr(HdStatus) status = hd_status_load(ctx, error);
	g_autoptr(GString) out = g_string_new(NULL);

	if (status == NULL)
		return NULL;
	if (status->rows->len == 0)
		return g_strdup("no devices are lent to domains\n");
	g_string_append_printf(out, "%-13s %-12s %-10s %-14s %-14s %-6s %s\n", "ADDRESS", "DOMAIN", "DEVICE",
			       "DRIVER", "ORIGINAL", "GROUP", "STATE");
	for (guint i = 0; i < status->rows->len; i++) {
		const HdStatusRow *row = &g_array_index(status->rows, HdStatusRow, i);
		g_autofree gchar *ids = row->info->exists ? g_strdup_printf("%04x:%04x", row->info->identity.vendor_id,
									   row->info->identity.device_id)
							  : g_strdup("-");

		g_string_append_printf(out, "%-13s %-12s %-10s %-14s %-14s %-6s %s\n", row->entry->address,
				       row->owner, ids, hd_or(row->info->driver, "-"),
				       hd_or(hd_entry_get_string(row->entry, "original_driver"), "-"), hd_or(row->info->iommu_group, "-"),
				       row->state);
		if (row->info->identity.device_name != NULL)
			g_string_append_printf(out, "%-13s %s %s\n", "", hd_or(row->info->identity.vendor_name, ""),
					       row->info->identity.device_name);
	}
	return g_string_free(g_steal_pointer(&out), FALSE);
}

gchar *
hd_status_to_json(HdContext *ctx, GError **error)
{
	g_autoptr(HdStatus) status = hd_status_load(ctx, error);
	g_autoptr(json_object) root = NULL;
	json_object *devices;

	if (status == NULL)
		return NULL;
	root = json_object_new_object();
	devices = json_object_new_array_ext((int)status->rows->len);
	for (guint i = 0; i < status->rows->len; i++) {
		const HdStatusRow *row = &g_array_index(status->rows, HdStatusRow, i);
		json_object *device = json_object_new_object();

		hd_json_add_string(device, "address", row->entry->address);
		hd_json_add_string(device, "domain", row->owner);
		hd_json_add_string(device, "vendor_name", row->info->identity.vendor_name);
		hd_json_add_string(device, "device_name", row->info->identity.device_name);
		hd_json_add_string(device, "current_driver", row->info->driver);
		hd_json_add_string(device, "original_driver", hd_entry_get_string(row->entry, "original_driver"));
		hd_json_add_string(device, "target_driver", hd_entry_get_string(row->entry, "target_driver"));
		hd_json_add_string(device, "iommu_group", row->info->iommu_group);
		hd_json_add_string(device, "step", row->unfinished != NULL ? row->unfinished->step : row->entry->step);
		hd_json_add_string(device, "plugin", row->entry->plugin);
		hd_json_add_string(device, "state", row->state);
		hd_json_append(devices, device);
	}
	hd_json_add(root, "devices", devices);
	return hd_json_to_data(root);
}
