/*
 * hd-journal.h: what we changed on the host, written down before we change it
 *
 * One file per domain in the state directory.  Each device's entry holds
 * what is needed to put it back exactly (its original driver and
 * driver_override) and the step about to happen, so that release, a
 * rollback or `hostdevctl recover` after a crash can undo any prefix of a
 * prepare.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib.h>

/* in the order a prepare takes them; undo works back from the last begun */
typedef enum {
	HD_JOURNAL_RECORDED,	   /* nothing changed yet */
	HD_JOURNAL_PROVISION,	   /* about to provision (a plugin's provision slot) */
	HD_JOURNAL_SET_OVERRIDE,   /* about to write driver_override */
	HD_JOURNAL_UNBIND,	   /* about to unbind from the original driver */
	HD_JOURNAL_PROBE,	   /* about to ask the kernel to probe */
	HD_JOURNAL_BOUND,	   /* on the target driver, verified */
	HD_JOURNAL_CONFIGURE,	   /* about to configure (a plugin's configure slot) */
	HD_JOURNAL_CONFIGURED,	   /* configured too */
} HdJournalStep;

typedef struct {
	gchar *address;
	gchar *original_driver;	  /* NULL: no driver was bound */
	gchar *original_override; /* NULL: driver_override was unset */
	gchar *target_driver;
	gchar *plugin; /* the plugin that did it, and will undo it */
	gboolean found_bound; /* already on the target before us: release leaves it */
	HdJournalStep step;
} HdJournalEntry;

typedef struct {
	gchar *path;
	gchar *domain;
	gchar *uuid;
	GPtrArray *entries; /* of HdJournalEntry, in the order of the changes */
} HdJournal;

HdJournal *hd_journal_load(const char *state_dir, const char *domain, GError **error);
GPtrArray *hd_journal_load_all(const char *state_dir, GError **error);
gboolean hd_journal_save(HdJournal *journal, GError **error);
void hd_journal_free(HdJournal *journal);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(HdJournal, hd_journal_free)

HdJournalEntry *hd_journal_add(HdJournal *journal,
			       const char *address,
			       const char *original_driver,
			       const char *original_override,
			       const char *target_driver,
			       const char *plugin,
			       gboolean found_bound);
HdJournalEntry *hd_journal_find(HdJournal *journal, const char *address);
void hd_journal_remove(HdJournal *journal, HdJournalEntry *entry);

const char *hd_journal_step_to_string(HdJournalStep step);
/* bound (and configured, if it began): nothing left half done */
gboolean hd_journal_entry_is_settled(const HdJournalEntry *entry);

/* serialises hooks: libvirt starts domains in parallel */
typedef struct _HdStateLock HdStateLock;
HdStateLock *hd_state_lock_acquire(const char *state_dir, GError **error);
void hd_state_lock_release(HdStateLock *lock);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(HdStateLock, hd_state_lock_release)
