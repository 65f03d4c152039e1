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
 * Devices are run in units: the devices of one IOMMU group, or a PF with
 * the VFs made on it.  A unit runs in order; units are independent of each
 * other and run at once on a few threads, because most of a bind or
 * a restore is the kernel sleeping in a driver's probe or remove, and four
 * NICs can sleep at the same time.  They share one journal, which commits
 * the records of concurrent units with one write (hd_journal_save()).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "hd-engine.h"

#include "hd-error.h"
#include "hd-journal.h"
#include "hd-log.h"
#include "hd-plugin-private.h"
#include "hd-sysfs.h"

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

/* ---- units ------------------------------------------------------------------ */

typedef struct {
	gchar *key;	 /* "group N", or the address when it has no IOMMU group */
	GPtrArray *items; /* prepare: const HdPlanDevice *; undo: HdEntry *, newest first */
} HdUnit;

static void
hd_unit_free(HdUnit *unit)
{
	g_free(unit->key);
	g_ptr_array_unref(unit->items);
	g_free(unit);
}

/* what the units of one prepare or undo share */
typedef struct {
	HdContext *ctx;
	HdJournal *journal;
	gint stop; /* atomic: a unit failed, so the others start no new device */
	GMutex lock;
	GError *failure; /* the first unit's failure */
	const HdPlanDevice *failed;
	GPtrArray *held_locks; /* undo: the units' locks, until the one commit */
} HdRun;

static void
hd_run_fail(HdRun *run, const HdPlanDevice *dev, GError *failure)
{
	g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&run->lock);

	g_atomic_int_set(&run->stop, TRUE);
	if (run->failure == NULL) {
		run->failure = failure;
		run->failed = dev;
	} else {
		g_error_free(failure);
	}
}

/*
 * A VF goes with its PF, whose provisioning must come first; devices that
 * share an IOMMU group go together, as the kernel hands the group out as
 * one.  An undo after a crash has no plan: it reads the group from sysfs,
 * where the plan found it, so both form the same units.
 */
static gchar *
hd_engine_unit_key(HdContext *ctx, const char *root, const char *known_group)
{
	g_autofree gchar *link = NULL;
	g_autofree gchar *group = g_strdup(known_group);

	if (group == NULL) {
		link = g_strdup_printf("bus/pci/devices/%s/iommu_group", root);
		group = hd_sysfs_read_link_name(hd_context_get_sysfs(ctx), link, NULL);
	}
	return group != NULL ? g_strdup_printf("group %s", group) : g_strdup(root);
}

static HdUnit *
hd_units_lookup(GPtrArray *units, GHashTable *by_key, gchar *key)
{
	HdUnit *unit = g_hash_table_lookup(by_key, key);

	if (unit != NULL) {
		g_free(key);
		return unit;
	}
	unit = g_new0(HdUnit, 1);
	unit->key = key;
	unit->items = g_ptr_array_new();
	g_ptr_array_add(units, unit);
	g_hash_table_insert(by_key, unit->key, unit);
	return unit;
}

/* the units of one run, and the next one a worker takes */
typedef struct {
	HdRun *run;
	GPtrArray *units;
	GFunc func;
	guint next; /* atomic */
} HdWorkers;

/* take units until none is left: every worker, the caller included */
static gpointer
hd_worker(gpointer data)
{
	HdWorkers *workers = data;

	for (;;) {
		guint i = (guint)g_atomic_int_add(&workers->next, 1);

		if (i >= workers->units->len)
			return NULL;
		workers->func(g_ptr_array_index(workers->units, i), workers->run);
	}
}

/*
 * Up to the context's limit of workers, one per unit, and the caller is
 * one of them: it starts on the first unit at once, while the threads it
 * made start on the next ones, rather than waiting for a pool's threads
 * to be made first.  A thread that cannot be made leaves its units to the
 * others, the caller at least.
 */
static void
hd_run_units(HdRun *run, GPtrArray *units, GFunc func)
{
	HdWorkers workers = {run, units, func, 0};
	guint wanted = MIN(units->len, run->ctx->max_workers);
	g_autoptr(GPtrArray) threads = g_ptr_array_new();

	for (guint i = 1; i < wanted; i++) {
		g_autoptr(GError) error = NULL;
		GThread *thread = g_thread_try_new("hd-unit", hd_worker, &workers, &error);

		if (thread == NULL) {
			hd_log_action(G_LOG_LEVEL_WARNING, run->journal->owner.name, NULL, "units",
				      "%u of %u at once: %s", i, wanted, error->message);
			break;
		}
		g_ptr_array_add(threads, thread);
	}
	hd_worker(&workers);
	for (guint i = 0; i < threads->len; i++)
		g_thread_join(g_ptr_array_index(threads, i));
}

/* none without a state directory: nothing else can be acting then */
static gboolean
hd_engine_lock_unit(HdRun *run, HdUnit *unit, HdStateLock **lock, GError **error)
{
	*lock = NULL;
	if (run->ctx->state_dir == NULL)
		return TRUE;
	*lock = hd_unit_lock_acquire(run->ctx->state_dir, unit->key, error);
	return *lock != NULL;
}

/*
 * One unit's entries, newest first.  A failure is logged and kept, but
 * every device is tried; an entry stays in the journal until it is undone,
 * and so do the older entries of its device, which would otherwise be
 * undone beneath a layer still in place.  `hostdevctl recover` retries.
 *
 * An undone entry leaves the journal durably before the unit's next undo
 * starts, because that one may take the device away (a PF's numvfs takes
 * its VFs), and the entry could then not be undone again after a crash.
 * The unit's last undone entry has no such successor: it is committed
 * with every unit's at the end (hd_engine_undo_from()), one write for
 * the whole undo of independent devices.  A crash before then leaves it
 * on disk, undone, and undoing it again is safe, as every undo slot must
 * be (hd-plugin.h).  The unit's lock is held until that commit, so that
 * no other owner plans with a device its journal still names.
 */
static void
hd_engine_undo_unit(gpointer data, gpointer user_data)
{
	HdUnit *unit = data;
	HdRun *run = user_data;
	HdJournal *journal = run->journal;
	g_autoptr(GHashTable) stuck = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	g_autoptr(HdStateLock) lock = NULL;
	GError *failure = NULL;

	if (!hd_engine_lock_unit(run, unit, &lock, &failure)) {
		hd_run_fail(run, NULL, failure);
		return;
	}
	for (guint i = 0; i < unit->items->len; i++) {
		HdEntry *entry = g_ptr_array_index(unit->items, i);
		gboolean begun_only = g_strcmp0(entry->step, HD_ENTRY_STEP_BEGIN) == 0;
		g_autoptr(GError) local = NULL;

		if (g_hash_table_contains(stuck, entry->address))
			continue;
		/* "begin" is journalled before the slot's first change: nothing to undo */
		if (!begun_only && !hd_engine_undo_entry(run->ctx, entry, &local)) {
			hd_log_action(G_LOG_LEVEL_CRITICAL, journal->owner.name, entry->address, "restore",
				      "cannot undo %s by %s: %s", hd_phase_to_string(entry->phase), entry->plugin,
				      local->message);
			g_hash_table_add(stuck, g_strdup(entry->address));
			hd_run_fail(run, NULL, g_error_new(HD_ERROR, local->code, "%s: %s", entry->address,
							   local->message));
			continue;
		}
		if (!begun_only)
			hd_engine_log_undone(journal, entry);
		hd_journal_remove(journal, entry);
		if (i + 1 < unit->items->len && !hd_journal_save(journal, &local))
			hd_run_fail(run, NULL, g_steal_pointer(&local));
	}
	g_mutex_lock(&run->lock);
	if (lock != NULL)
		g_ptr_array_add(run->held_locks, g_steal_pointer(&lock));
	g_mutex_unlock(&run->lock);
}

/*
 * Undo the entries from index @from on, newest first within each unit,
 * the units at once; with @address, only that device's.
 */
static gboolean
hd_engine_undo_from(HdContext *ctx, HdJournal *journal, guint from, const char *address, GError **error)
{
	g_autoptr(GPtrArray) units = g_ptr_array_new_with_free_func((GDestroyNotify)hd_unit_free);
	g_autoptr(GHashTable) by_key = g_hash_table_new(g_str_hash, g_str_equal);
	g_autoptr(GPtrArray) held_locks = g_ptr_array_new_with_free_func((GDestroyNotify)hd_state_lock_release);
	g_autoptr(GError) commit_error = NULL;
	HdRun run = {ctx, journal};

	for (guint i = journal->entries->len; i > from; i--) {
		HdEntry *entry = g_ptr_array_index(journal->entries, i - 1);

		if (address == NULL || g_strcmp0(entry->address, address) == 0)
			g_ptr_array_add(hd_units_lookup(units, by_key,
							hd_engine_unit_key(ctx, entry->parent != NULL ? entry->parent
													  : entry->address,
									   NULL))->items,
					entry);
	}
	run.held_locks = held_locks;
	g_mutex_init(&run.lock);
	hd_run_units(&run, units, hd_engine_undo_unit);
	g_mutex_clear(&run.lock);
	/* one commit for every unit, before their locks go */
	if (!hd_journal_save(journal, &commit_error) && run.failure == NULL)
		run.failure = g_steal_pointer(&commit_error);
	if (run.failure != NULL) {
		g_propagate_error(error, run.failure);
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

static void
hd_engine_prepare_unit(gpointer data, gpointer user_data)
{
	HdUnit *unit = data;
	HdRun *run = user_data;
	g_autoptr(HdStateLock) lock = NULL;
	GError *failure = NULL;

	if (!hd_engine_lock_unit(run, unit, &lock, &failure)) {
		hd_run_fail(run, g_ptr_array_index(unit->items, 0), failure);
		return;
	}
	for (guint i = 0; i < unit->items->len && !g_atomic_int_get(&run->stop); i++) {
		const HdPlanDevice *dev = g_ptr_array_index(unit->items, i);

		if (!hd_engine_run_chain(run->ctx, run->journal, dev, &failure))
			hd_run_fail(run, dev, g_steal_pointer(&failure));
	}
}

static GPtrArray *
hd_engine_plan_units(HdContext *ctx, HdPlan *plan)
{
	g_autoptr(GPtrArray) units = g_ptr_array_new_with_free_func((GDestroyNotify)hd_unit_free);
	g_autoptr(GHashTable) by_key = g_hash_table_new(g_str_hash, g_str_equal);

	for (guint i = 0; i < plan->devices->len; i++) {
		const HdPlanDevice *dev = g_ptr_array_index(plan->devices, i);

		if (dev->action == HD_ACTION_BIND || dev->action == HD_ACTION_PROVISION)
			g_ptr_array_add(hd_units_lookup(units, by_key,
							hd_engine_unit_key(ctx, dev->parent != NULL ? dev->parent : dev->info->bdf,
									   dev->parent != NULL ? NULL : dev->info->iommu_group))->items,
					(gpointer)dev);
	}
	return g_steal_pointer(&units);
}

/*
 * The plan's devices are this owner's from now on, for every other plan:
 * durably, before the planning lock goes, so that other owners can plan
 * while this one binds.
 */
static gboolean
hd_engine_claim(HdJournal *journal, HdPlan *plan, HdStateLock *planning_lock, GError **error)
{
	g_autoptr(HdStateLock) lock = planning_lock;

	for (guint i = 0; i < plan->devices->len; i++) {
		const HdPlanDevice *dev = g_ptr_array_index(plan->devices, i);

		if (dev->action == HD_ACTION_BIND)
			hd_journal_claim(journal, dev->info->bdf);
	}
	/* provisioning alone claims nothing: a PF's VFs are shared */
	return journal->claims->len == 0 || hd_journal_save(journal, error);
}

/* the claims have become entries, or the entries are gone */
static gboolean
hd_engine_drop_claims(HdJournal *journal, GError **error)
{
	if (journal->claims->len == 0)
		return TRUE;
	hd_journal_clear_claims(journal);
	return hd_journal_save(journal, error);
}

/*
 * Run every device of the plan, appending to @journal.  On a failure the
 * other units finish the device they are on and start no other, then the
 * entries this plan added are undone, and only those: an attach must not
 * take away what the running domain already has.
 */
static gboolean
hd_engine_run_plan(HdContext *ctx, HdJournal *journal, HdPlan *plan, HdStateLock *planning_lock, GError **error)
{
	g_autoptr(GPtrArray) units = hd_engine_plan_units(ctx, plan);
	g_autoptr(GError) undo_failure = NULL;
	guint first_entry = journal->entries->len;
	HdRun run = {ctx, journal};
	const HdPlanDevice *dev;

	if (!hd_engine_claim(journal, plan, planning_lock, error))
		return FALSE;
	g_mutex_init(&run.lock);
	hd_run_units(&run, units, hd_engine_prepare_unit);
	g_mutex_clear(&run.lock);
	if (run.failure == NULL)
		return hd_engine_drop_claims(journal, error);
	dev = run.failed;
	/* a provision-only device (<hd:vfs>, managed='yes') has no stub to name */
	if (dev->action == HD_ACTION_PROVISION)
		hd_log_action(G_LOG_LEVEL_WARNING, plan->owner.name, dev->info->bdf, "rollback",
			      "provisioning failed: %s; undoing %u change(s)", run.failure->message,
			      journal->entries->len - first_entry);
	else
		hd_log_action(G_LOG_LEVEL_WARNING, plan->owner.name, dev->info->bdf, "rollback",
			      "bind to %s failed: %s; undoing %u change(s)", dev->target_driver,
			      run.failure->message, journal->entries->len - first_entry);
	/* the rollback's own failure is logged loudly by hd_engine_undo_unit();
	 * the user needs the cause, and `hostdevctl recover` retries the rest */
	if (hd_engine_undo_from(ctx, journal, first_entry, NULL, &undo_failure))
		hd_engine_drop_claims(journal, &undo_failure);
	g_propagate_prefixed_error(error, run.failure, "%s: ", dev->info->bdf);
	return FALSE;
}

gboolean
hd_engine_prepare(HdContext *ctx, HdPlan *plan, GError **error)
{
	return hd_engine_prepare_and_unlock(ctx, plan, NULL, error);
}

gboolean
hd_engine_prepare_and_unlock(HdContext *ctx, HdPlan *plan, HdStateLock *planning_lock, GError **error)
{
	g_autoptr(HdStateLock) lock = planning_lock;
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
	hd_journal_clear_claims(journal);
	g_free(journal->uuid);
	journal->uuid = g_strdup(plan->uuid);
	return hd_engine_run_plan(ctx, journal, plan, g_steal_pointer(&lock), error);
}

gboolean
hd_engine_attach(HdContext *ctx, HdPlan *plan, GError **error)
{
	g_autoptr(HdJournal) journal = hd_journal_load(ctx->state_dir, &plan->owner, error);

	if (journal == NULL)
		return FALSE;
	if (journal->uuid == NULL)
		journal->uuid = g_strdup(plan->uuid);
	return hd_engine_run_plan(ctx, journal, plan, NULL, error);
}

gboolean
hd_engine_release_device(HdContext *ctx, const HdOwner *owner, const char *address, GError **error)
{
	g_autoptr(HdJournal) journal = hd_journal_load(ctx->state_dir, owner, error);

	/* a VF made on demand journals its provisioning under its own address,
	 * so it goes with it; a PF's <hd:vfs> entries are the domain's for its
	 * whole life and stay */
	return journal != NULL && hd_engine_undo_from(ctx, journal, 0, address, error);
}

/* idempotent: no journal, or an empty one, means nothing is lent out */
gboolean
hd_engine_release(HdContext *ctx, const HdOwner *owner, GError **error)
{
	g_autoptr(HdJournal) journal = hd_journal_load(ctx->state_dir, owner, error);

	if (journal == NULL)
		return FALSE;
	if (journal->entries->len == 0 && journal->claims->len == 0) {
		hd_log_action(G_LOG_LEVEL_DEBUG, owner->name, NULL, "release", "nothing recorded");
		return TRUE;
	}
	/* claims left by a prepare that died before its first entry */
	return hd_engine_undo(ctx, journal, error) && hd_engine_drop_claims(journal, error);
}
