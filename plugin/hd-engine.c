/*
 * hd-engine.c: carrying out a plan, and undoing it
 *
 * Every change to a device is journalled before it is made.  A failure
 * anywhere in prepare undoes every change already made, newest first, so
 * the host ends exactly as it began; release undoes a whole prepare the
 * same way.  The executor works device by device today; the journal has one
 * entry per device and the restore of an entry depends on nothing else, so
 * independent IOMMU groups can later be bound in parallel.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "hd-engine.h"

#include "hd-bind.h"
#include "hd-error.h"
#include "hd-journal.h"
#include "hd-log.h"
#include "hd-plugin-private.h"

typedef struct {
	HdJournal *journal;
	HdJournalEntry *entry;
} HdStepContext;

/* journal the step, durably, before the write that makes it */
static gboolean
hd_engine_journal_step(HdJournalStep step, gpointer user_data, GError **error)
{
	HdStepContext *sc = user_data;

	sc->entry->step = step;
	return hd_journal_save(sc->journal, error);
}

/* the plugin's undo slots, newest step first, from the last step begun */
static gboolean
hd_engine_undo_entry(HdContext *ctx, const HdJournalEntry *entry, GError **error)
{
	const HdPlugin *plugin = hd_plugin_by_name(entry->plugin);

	if (plugin == NULL) {
		g_set_error(error, HD_ERROR, HD_ERROR_INVALID_DATA,
			    "the journal names plugin '%s', which this hostdev-hook does not have", entry->plugin);
		return FALSE;
	}
	return (entry->step < HD_JOURNAL_CONFIGURE || hd_plugin_runner_unconfigure(plugin, ctx, entry, error)) &&
	       (entry->step < HD_JOURNAL_SET_OVERRIDE || hd_plugin_runner_unbind(plugin, ctx, entry, error)) &&
	       (entry->step < HD_JOURNAL_PROVISION || hd_plugin_runner_unprovision(plugin, ctx, entry, error));
}

/* undo every entry, newest first; the first failure is returned, but every
 * entry is tried, and an entry stays in the journal until it is undone */
static gboolean
hd_engine_undo(HdContext *ctx, HdJournal *journal, GError **error)
{
	g_autoptr(GError) first = NULL;

	for (guint i = journal->entries->len; i > 0; i--) {
		HdJournalEntry *entry = g_ptr_array_index(journal->entries, i - 1);
		g_autoptr(GError) local = NULL;

		/* "recorded" is journalled before the first change: nothing to undo */
		if (!entry->found_bound && entry->step != HD_JOURNAL_RECORDED &&
		    !hd_engine_undo_entry(ctx, entry, &local)) {
			hd_log_action(G_LOG_LEVEL_CRITICAL, journal->domain, entry->address, "restore",
				      "cannot restore %s: %s", entry->original_driver != NULL ? entry->original_driver : "no driver",
				      local->message);
			if (first == NULL)
				first = g_error_new(HD_ERROR, local->code, "%s: %s", entry->address, local->message);
			continue;
		}
		hd_log_action(G_LOG_LEVEL_INFO, journal->domain, entry->address, "restore",
			      entry->found_bound ? "left on %s, where it was found" : "back on %s",
			      entry->found_bound ? entry->target_driver
						 : (entry->original_driver != NULL ? entry->original_driver : "no driver"));
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

/* journal the step, then run the slot; an empty slot journals nothing */
static gboolean
hd_engine_plugin_step(HdStepContext *sc,
		      gboolean has_slot,
		      HdJournalStep step,
		      gboolean (*runner)(const HdPlugin *, HdContext *, const HdPlanDevice *, GError **),
		      HdContext *ctx,
		      const HdPlanDevice *dev,
		      GError **error)
{
	if (!has_slot)
		return TRUE;
	return hd_engine_journal_step(step, sc, error) && runner(dev->plugin, ctx, dev, error);
}

static gboolean
hd_engine_bind_device(HdContext *ctx, HdJournal *journal, const HdPlanDevice *dev, GError **error)
{
	g_autofree gchar *driver = NULL;
	g_autofree gchar *override = NULL;
	HdStepContext sc = {journal, NULL};

	if (!hd_bind_read_state(ctx, dev->info->bdf, &driver, &override, error))
		return FALSE;
	sc.entry = hd_journal_add(journal, dev->info->bdf, driver, override, dev->target_driver,
				  dev->plugin->name, g_strcmp0(driver, dev->target_driver) == 0);
	if (!hd_journal_save(journal, error))
		return FALSE;
	if (sc.entry->found_bound) {
		hd_log_action(G_LOG_LEVEL_INFO, journal->domain, dev->info->bdf, "bind",
			      "already on %s: using it as found, and leaving it there", dev->target_driver);
		return TRUE;
	}
	if (!hd_engine_plugin_step(&sc, dev->plugin->provision != NULL, HD_JOURNAL_PROVISION,
				   hd_plugin_runner_provision, ctx, dev, error) ||
	    !hd_plugin_runner_bind(dev->plugin, ctx, dev, hd_engine_journal_step, &sc, error) ||
	    !hd_engine_journal_step(HD_JOURNAL_BOUND, &sc, error) ||
	    !hd_engine_plugin_step(&sc, dev->plugin->configure != NULL, HD_JOURNAL_CONFIGURE,
				   hd_plugin_runner_configure, ctx, dev, error) ||
	    (dev->plugin->configure != NULL && !hd_engine_journal_step(HD_JOURNAL_CONFIGURED, &sc, error)))
		return FALSE;
	hd_log_action(G_LOG_LEVEL_INFO, journal->domain, dev->info->bdf, "bind", "bound to %s (was %s)",
		      dev->target_driver, driver != NULL ? driver : "no driver");
	return TRUE;
}

gboolean
hd_engine_prepare(HdContext *ctx, HdPlan *plan, const char *domain_name, GError **error)
{
	g_autoptr(HdJournal) journal = hd_journal_load(ctx->state_dir, domain_name, error);

	if (journal == NULL)
		return FALSE;
	/* left by a prepare whose release never came (libxl calls no release
	 * after a failed prepare, and a crash calls none): the domain is not
	 * running, so put those devices back before starting afresh */
	if (journal->entries->len > 0) {
		hd_log_action(G_LOG_LEVEL_WARNING, domain_name, NULL, "prepare",
			      "undoing %u device(s) left from an earlier start", journal->entries->len);
		if (!hd_engine_undo(ctx, journal, error))
			return FALSE;
	}
	g_free(journal->uuid);
	journal->uuid = g_strdup(plan->domain->uuid);

	for (guint i = 0; i < plan->devices->len; i++) {
		const HdPlanDevice *dev = g_ptr_array_index(plan->devices, i);
		g_autoptr(GError) failure = NULL;
		g_autoptr(GError) undo_failure = NULL;

		if (dev->action != HD_ACTION_BIND)
			continue;
		if (hd_engine_bind_device(ctx, journal, dev, &failure))
			continue;
		hd_log_action(G_LOG_LEVEL_WARNING, domain_name, dev->info->bdf, "rollback",
			      "bind to %s failed: %s; undoing %u device(s)", dev->target_driver,
			      failure->message, journal->entries->len);
		/* the rollback's own failure is logged loudly by hd_engine_undo(); the
		 * user needs the cause, and `hostdevctl recover` retries the rest */
		hd_engine_undo(ctx, journal, &undo_failure);
		g_propagate_prefixed_error(error, g_steal_pointer(&failure), "%s: ", dev->info->bdf);
		return FALSE;
	}
	return TRUE;
}

/* idempotent: no journal, or an empty one, means nothing is lent out */
gboolean
hd_engine_release(HdContext *ctx, const char *domain_name, GError **error)
{
	g_autoptr(HdJournal) journal = hd_journal_load(ctx->state_dir, domain_name, error);

	if (journal == NULL)
		return FALSE;
	if (journal->entries->len == 0) {
		hd_log_action(G_LOG_LEVEL_DEBUG, domain_name, NULL, "release", "nothing recorded");
		return TRUE;
	}
	return hd_engine_undo(ctx, journal, error);
}
