/*
 * hd-engine.c: carrying out a plan, and undoing it
 *
 * Each device runs its chain in three phases: every member's provision
 * slot, the binder's bind slot, every member's configure slot.  Each slot
 * gets a journal entry of its own, durably written at step "begin" before
 * the slot runs and marked "done" after it returns; the plugin records its
 * own steps in between, each before the write it names.  A failure anywhere
 * undoes every entry, newest first, through the plugin each entry names,
 * so the host ends exactly as it began; release undoes a whole prepare the
 * same way, from the journal alone.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "hd-engine.h"

#include "hd-error.h"
#include "hd-journal.h"
#include "hd-log.h"
#include "hd-plugin-private.h"

static const HdPhase hd_engine_phases[] = {HD_PHASE_PROVISION, HD_PHASE_BIND, HD_PHASE_CONFIGURE};

/* an entry's plugin undoes it; one the journal names but this build lacks
 * cannot be undone, and stays for a build that has it */
static gboolean
hd_engine_undo_entry(HdContext *ctx, HdEntry *entry, GError **error)
{
	const HdPlugin *plugin = hd_plugin_by_name(entry->plugin);

	if (plugin == NULL) {
		g_set_error(error, HD_ERROR, HD_ERROR_INVALID_DATA,
			    "the journal names plugin '%s', which this hostdev-hook does not have", entry->plugin);
		return FALSE;
	}
	return hd_plugin_runner_undo(plugin, entry->phase, ctx, entry, error);
}

static void
hd_engine_log_undone(HdJournal *journal, HdEntry *entry)
{
	const char *original = hd_entry_get_string(entry, "original_driver");

	if (entry->phase != HD_PHASE_BIND)
		hd_log_action(G_LOG_LEVEL_INFO, journal->owner.name, entry->address, "restore", "%s undone by %s",
			      hd_phase_to_string(entry->phase), entry->plugin);
	else if (hd_entry_get_bool(entry, "found_bound"))
		hd_log_action(G_LOG_LEVEL_INFO, journal->owner.name, entry->address, "restore",
			      "left on %s, where it was found", hd_entry_get_string(entry, "target_driver"));
	else
		hd_log_action(G_LOG_LEVEL_INFO, journal->owner.name, entry->address, "restore", "back on %s",
			      original != NULL ? original : "no driver");
}

/*
 * Undo the entries from index @from on, newest first; with @address, only
 * those of that device.  The first failure is returned, but every device
 * is tried; an entry stays in the journal until it is undone, and so do
 * the older entries of its device, which would otherwise be undone beneath
 * a layer still in place.  `hostdevctl recover` retries.
 */
static gboolean
hd_engine_undo_from(HdContext *ctx, HdJournal *journal, guint from, const char *address, GError **error)
{
	g_autoptr(GHashTable) stuck = g_hash_table_new(g_str_hash, g_str_equal);
	g_autoptr(GError) first = NULL;

	for (guint i = journal->entries->len; i > from; i--) {
		HdEntry *entry = g_ptr_array_index(journal->entries, i - 1);
		g_autoptr(GError) local = NULL;

		if (g_hash_table_contains(stuck, entry->address) ||
		    (address != NULL && g_strcmp0(entry->address, address) != 0))
			continue;
		/* "begin" is journalled before the slot's first change: nothing to undo */
		if (g_strcmp0(entry->step, HD_ENTRY_STEP_BEGIN) != 0 && !hd_engine_undo_entry(ctx, entry, &local)) {
			hd_log_action(G_LOG_LEVEL_CRITICAL, journal->owner.name, entry->address, "restore",
				      "cannot undo %s by %s: %s", hd_phase_to_string(entry->phase), entry->plugin,
				      local->message);
			if (first == NULL)
				first = g_error_new(HD_ERROR, local->code, "%s: %s", entry->address, local->message);
			g_hash_table_add(stuck, entry->address);
			continue;
		}
		if (g_strcmp0(entry->step, HD_ENTRY_STEP_BEGIN) != 0)
			hd_engine_log_undone(journal, entry);
		hd_journal_remove(journal, entry);
		if (!hd_journal_save(journal, &local) && first == NULL)
			first = g_steal_pointer(&local);
	}
	if (first != NULL) {
		g_propagate_error(error, g_steal_pointer(&first));
		return FALSE;
	}
	return TRUE;
}

static gboolean
hd_engine_undo(HdContext *ctx, HdJournal *journal, GError **error)
{
	return hd_engine_undo_from(ctx, journal, 0, NULL, error);
}

/* journal "begin", run the slot, journal "done" */
static gboolean
hd_engine_run_slot(HdContext *ctx,
		   HdJournal *journal,
		   const HdPlanDevice *dev,
		   const HdPlugin *plugin,
		   HdPhase phase,
		   GError **error)
{
	HdEntry *entry = hd_journal_begin(journal, dev->info->bdf, dev->parent, plugin->name, phase);

	return hd_journal_save(journal, error) && hd_plugin_runner_do(plugin, phase, ctx, dev, entry, error) &&
	       hd_entry_step(entry, HD_ENTRY_STEP_DONE, error);
}

static gboolean
hd_engine_run_chain(HdContext *ctx, HdJournal *journal, const HdPlanDevice *dev, GError **error)
{
	for (guint p = 0; p < G_N_ELEMENTS(hd_engine_phases); p++) {
		for (guint i = 0; i < dev->chain->len; i++) {
			const HdPlugin *plugin = g_ptr_array_index(dev->chain, i);

			if (hd_plan_device_runs_phase(dev, hd_engine_phases[p]) &&
			    hd_plugin_has_phase(plugin, hd_engine_phases[p]) &&
			    !hd_engine_run_slot(ctx, journal, dev, plugin, hd_engine_phases[p], error))
				return FALSE;
		}
	}
	if (dev->action == HD_ACTION_PROVISION && dev->request->managed)
		hd_log_action(G_LOG_LEVEL_INFO, journal->owner.name, dev->info->bdf, "provision",
			      "ready for libvirt, which binds it (managed='yes')");
	else if (dev->action == HD_ACTION_PROVISION)
		hd_log_action(G_LOG_LEVEL_INFO, journal->owner.name, dev->info->bdf, "provision",
			      "at least %u virtual functions", dev->request->provision_vfs);
	else if (dev->already_bound)
		hd_log_action(G_LOG_LEVEL_INFO, journal->owner.name, dev->info->bdf, "bind",
			      "already on %s: using it as found, and leaving it there", dev->target_driver);
	else
		hd_log_action(G_LOG_LEVEL_INFO, journal->owner.name, dev->info->bdf, "bind", "bound to %s (was %s)",
			      dev->target_driver, dev->info->driver != NULL ? dev->info->driver : "no driver");
	return TRUE;
}

/*
 * Run every device of the plan, appending to @journal.  On a failure the
 * entries this plan added are undone, and only those: an attach must not
 * take away what the running domain already has.
 */
static gboolean
hd_engine_run_plan(HdContext *ctx, HdJournal *journal, HdPlan *plan, GError **error)
{
	const char *name = plan->owner.name;
	guint first_entry = journal->entries->len;

	for (guint i = 0; i < plan->devices->len; i++) {
		const HdPlanDevice *dev = g_ptr_array_index(plan->devices, i);
		g_autoptr(GError) failure = NULL;
		g_autoptr(GError) undo_failure = NULL;

		if (dev->action != HD_ACTION_BIND && dev->action != HD_ACTION_PROVISION)
			continue;
		if (hd_engine_run_chain(ctx, journal, dev, &failure))
			continue;
		/* a provision-only device (<hd:vfs>, managed='yes') has no stub to name */
		if (dev->action == HD_ACTION_PROVISION)
			hd_log_action(G_LOG_LEVEL_WARNING, name, dev->info->bdf, "rollback",
				      "provisioning failed: %s; undoing %u change(s)", failure->message,
				      journal->entries->len - first_entry);
		else
			hd_log_action(G_LOG_LEVEL_WARNING, name, dev->info->bdf, "rollback",
				      "bind to %s failed: %s; undoing %u change(s)", dev->target_driver,
				      failure->message, journal->entries->len - first_entry);
		/* the rollback's own failure is logged loudly by hd_engine_undo(); the
		 * user needs the cause, and `hostdevctl recover` retries the rest */
		hd_engine_undo_from(ctx, journal, first_entry, NULL, &undo_failure);
		g_propagate_prefixed_error(error, g_steal_pointer(&failure), "%s: ", dev->info->bdf);
		return FALSE;
	}
	return TRUE;
}

gboolean
hd_engine_prepare(HdContext *ctx, HdPlan *plan, GError **error)
{
	g_autoptr(HdJournal) journal = hd_journal_load(ctx->state_dir, &plan->owner, error);

	if (journal == NULL)
		return FALSE;
	/* left by a prepare whose release never came (libxl calls no release
	 * after a failed prepare, and a crash calls none): the domain is not
	 * running, so put those devices back before starting afresh */
	if (journal->entries->len > 0) {
		hd_log_action(G_LOG_LEVEL_WARNING, plan->owner.name, NULL, "prepare",
			      "undoing %u change(s) left from an earlier start", journal->entries->len);
		if (!hd_engine_undo(ctx, journal, error))
			return FALSE;
	}
	g_free(journal->uuid);
	journal->uuid = g_strdup(plan->uuid);
	return hd_engine_run_plan(ctx, journal, plan, error);
}

gboolean
hd_engine_attach(HdContext *ctx, HdPlan *plan, GError **error)
{
	g_autoptr(HdJournal) journal = hd_journal_load(ctx->state_dir, &plan->owner, error);

	if (journal == NULL)
		return FALSE;
	if (journal->uuid == NULL)
		journal->uuid = g_strdup(plan->uuid);
	return hd_engine_run_plan(ctx, journal, plan, error);
}

/* the parent of @address's entries, if no other entry still hangs from it */
static gchar *
hd_engine_orphaned_parent(HdJournal *journal, const char *address)
{
	const char *parent = NULL;

	for (guint i = 0; i < journal->entries->len; i++) {
		HdEntry *entry = g_ptr_array_index(journal->entries, i);

		if (g_strcmp0(entry->address, address) == 0 && entry->parent != NULL)
			parent = entry->parent;
	}
	if (parent == NULL)
		return NULL;
	for (guint i = 0; i < journal->entries->len; i++) {
		HdEntry *entry = g_ptr_array_index(journal->entries, i);

		if (g_strcmp0(entry->parent, parent) == 0 && g_strcmp0(entry->address, address) != 0)
			return NULL;
	}
	return g_strdup(parent);
}

gboolean
hd_engine_release_device(HdContext *ctx, const HdOwner *owner, const char *address, GError **error)
{
	g_autoptr(HdJournal) journal = hd_journal_load(ctx->state_dir, owner, error);
	g_autofree gchar *parent = NULL;

	if (journal == NULL)
		return FALSE;
	parent = hd_engine_orphaned_parent(journal, address);
	if (!hd_engine_undo_from(ctx, journal, 0, address, error))
		return FALSE;
	/* a VF made for this device alone goes with it */
	return parent == NULL || hd_engine_undo_from(ctx, journal, 0, parent, error);
}

/* idempotent: no journal, or an empty one, means nothing is lent out */
gboolean
hd_engine_release(HdContext *ctx, const HdOwner *owner, GError **error)
{
	g_autoptr(HdJournal) journal = hd_journal_load(ctx->state_dir, owner, error);

	if (journal == NULL)
		return FALSE;
	if (journal->entries->len == 0) {
		hd_log_action(G_LOG_LEVEL_DEBUG, owner->name, NULL, "release", "nothing recorded");
		return TRUE;
	}
	return hd_engine_undo(ctx, journal, error);
}
