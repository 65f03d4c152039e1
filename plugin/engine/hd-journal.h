/*
 * hd-journal.h: what we changed on the host, written down before we change it
 *
 * One file per owner in the state directory: <domain>.journal for a libvirt
 * domain (the hook's front looks for exactly that name), host/<name>.journal
 * for the host's own owners.  The file is a log of entries, one per plugin
 * slot that ran on a device (provision, bind, configure), in the order they
 * ran; each holds the plugin's own data and the step it was about to take,
 * so that a rollback, a release or `hostdevctl recover` after a crash can
 * undo any prefix of a prepare, newest entry first, through the plugin each
 * entry names.
 *
 * Version 1 journals (one entry per device, with fixed driver fields) are
 * read too and upgraded in memory; the next save writes version 2.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib.h>
#include <json-c/json.h>

#include "hd-plugin.h"

#define HD_ENTRY_STEP_BEGIN "begin"
#define HD_ENTRY_STEP_DONE  "done"

typedef struct _HdJournal HdJournal;

struct _HdEntry {
	HdJournal *journal; /* to save itself in hd_entry_step() */
	gchar *address;
	gchar *parent;
	gchar *plugin;
	HdPhase phase;
	gchar *step;
	json_object *data; /* flat: null, booleans, integers, strings */
};

struct _HdJournal {
	gchar *path;
	HdOwner owner;
	gchar *uuid;
	GPtrArray *entries; /* of HdEntry, in the order the changes began */
	/* addresses a prepare in flight will bind: they are this owner's from
	 * the moment its plan is made, for every other plan (hd-engine.c) */
	GPtrArray *claims;
	guint loaded_version; /* 0: no file; 1: upgraded from version 1 */
	/* units on several threads share the journal (hd-journal.c) */
	GMutex lock;
	GCond committed;
	guint64 changes;	  /* saves asked for */
	guint64 committed_change; /* the newest of them on disk */
	gboolean writing;
	guint commits; /* writes made: fewer than saves when they were grouped */
};

HdJournal *hd_journal_load(const char *state_dir, const HdOwner *owner, GError **error);
/* every owner's journal; a damaged one is an error, not an empty one */
GPtrArray *hd_journal_load_all(const char *state_dir, GError **error);
gboolean hd_journal_save(HdJournal *journal, GError **error);
void hd_journal_free(HdJournal *journal);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(HdJournal, hd_journal_free)

/* a new entry at step "begin"; the caller saves */
HdEntry *hd_journal_begin(HdJournal *journal, const char *address, const char *parent, const char *plugin,
			  HdPhase phase);
void hd_journal_remove(HdJournal *journal, HdEntry *entry);
void hd_journal_claim(HdJournal *journal, const char *address);
void hd_journal_clear_claims(HdJournal *journal);
/* the bind entry of @address, the one that says who holds the device */
HdEntry *hd_journal_find_binding(HdJournal *journal, const char *address);

gboolean hd_entry_is_done(const HdEntry *entry);
const char *hd_phase_to_string(HdPhase phase);

/* the owner's journal path; FALSE for a name no file can carry */
gboolean hd_journal_owner_path(const char *state_dir, const HdOwner *owner, gchar **path);
void hd_owner_clear(HdOwner *owner);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(HdOwner, hd_owner_clear)
void hd_owner_copy(HdOwner *dest, const HdOwner *src);

/* ours alone: created 0700, or refused unless a directory of ours, 0700 */
gboolean hd_state_dir_check(const char *state_dir, GError **error);

/* serialises planning: libvirt starts domains in parallel */
typedef struct _HdStateLock HdStateLock;
HdStateLock *hd_state_lock_acquire(const char *state_dir, GError **error);
/* serialises changes to one unit's devices (hd-engine.c) */
HdStateLock *hd_unit_lock_acquire(const char *state_dir, const char *unit, GError **error);
/* for tests: how long acquire waits for another holder */
void hd_state_lock_set_timeout(guint timeout_ms);
void hd_state_lock_release(HdStateLock *lock);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(HdStateLock, hd_state_lock_release)
