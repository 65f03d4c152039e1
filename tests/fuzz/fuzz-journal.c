/*
 * fuzz-journal.c: the journal loader, on <state dir>/vm1.journal
 *
 * Every prepare reads every journal, so a file the loader chokes on stops
 * every domain on the host from starting.  Beyond crashes and leaks:
 *  - hd_journal_load() and hd_journal_load_all() agree on the file;
 *  - nothing loads nested deeper than the limit (docs/design.md: 8);
 *  - a journal that loads survives the engine's next save: the engine
 *    rewrites it as version 2 at its first change (the upgrade of a
 *    version 1 journal is exactly that), and what it wrote must load back
 *    the same, or the devices it lists could never be given back.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <string.h>

#include "fuzz-common.h"
#include "hd-journal.h"

#define FUZZ_OWNER "vm1"
/* docs/design.md: "nested at most 8 deep" */
#define FUZZ_JOURNAL_MAX_DEPTH 8

/*
 * The bugs this target found while the loader was on json-glib
 * (reproducers in crashes-found/journal/) are fixed in the loader: brackets
 * hidden from the depth count by comments or single-quoted strings,
 * json-glib's g_critical() on a "version" or "found_bound" of another type,
 * and data that would not survive a save (doubles, lone surrogates).  Each
 * reproducer runs with the corpus, against the json-c loader too.
 */

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_quiet(NULL);
	return 0;
}

/* levels of objects and arrays, @node's own included */
static guint
fuzz_json_depth(json_object *node)
{
	guint deepest = 0;

	if (json_object_is_type(node, json_type_object)) {
		json_object_object_foreach(node, key, member)
		{
			(void)key;
			deepest = MAX(deepest, fuzz_json_depth(member));
		}
		return deepest + 1;
	}
	if (json_object_is_type(node, json_type_array)) {
		for (gsize i = 0; i < json_object_array_length(node); i++)
			deepest = MAX(deepest, fuzz_json_depth(json_object_array_get_idx(node, i)));
		return deepest + 1;
	}
	return 0;
}

/*
 * The limit is checked on the text before json-c sees it, and json-c's
 * tokener has the same one; a journal that loaded with data nested past it
 * got round both.  Data sits 3 levels down: the document, "entries" and
 * the entry.
 */
static void
fuzz_check_depth(const HdJournal *journal)
{
	for (guint i = 0; i < journal->entries->len; i++) {
		const HdEntry *entry = g_ptr_array_index(journal->entries, i);
		guint depth = 3 + fuzz_json_depth(entry->data);

		if (depth > FUZZ_JOURNAL_MAX_DEPTH)
			fuzz_fail("entry %u: loaded nested %u deep, past the limit of %u", i, depth,
				  FUZZ_JOURNAL_MAX_DEPTH);
	}
}

static void
fuzz_check_same(const HdJournal *a, const HdJournal *b)
{
	if (b->entries->len != a->entries->len)
		fuzz_fail("saved %u entries, read back %u", a->entries->len, b->entries->len);
	if (a->entries->len == 0)
		return; /* saved as no file at all: nothing else to compare */
	if (b->loaded_version != 2 || g_strcmp0(a->uuid, b->uuid) != 0)
		fuzz_fail("read back version %u, uuid '%s' for '%s'", b->loaded_version, b->uuid, a->uuid);
	for (guint i = 0; i < a->entries->len; i++) {
		const HdEntry *x = g_ptr_array_index(a->entries, i);
		const HdEntry *y = g_ptr_array_index(b->entries, i);

		if (g_strcmp0(x->address, y->address) != 0 || g_strcmp0(x->parent, y->parent) != 0 ||
		    g_strcmp0(x->plugin, y->plugin) != 0 || x->phase != y->phase ||
		    g_strcmp0(x->step, y->step) != 0)
			fuzz_fail("entry %u changed across a save: %s %s %s %d %s -> %s %s %s %d %s", i, x->address,
				  x->parent, x->plugin, x->phase, x->step, y->address, y->parent, y->plugin, y->phase,
				  y->step);
		if (!json_object_equal(x->data, y->data))
			fuzz_fail("entry %u (%s): its plugin data changed across a save", i, x->address);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	g_autofree gchar *dir = fuzz_make_dir();
	HdOwner owner = {HD_OWNER_DOMAIN, (gchar *)FUZZ_OWNER};
	g_autoptr(GError) error = NULL;
	g_autoptr(GError) all_error = NULL;
	g_autoptr(HdJournal) journal = NULL;
	g_autoptr(GPtrArray) all = NULL;

	g_free(fuzz_write_file(dir, FUZZ_OWNER ".journal", data, size));
	journal = hd_journal_load(dir, &owner, &error);
	/* what every prepare reads: the same file, found by listing the directory */
	all = hd_journal_load_all(dir, &all_error);

	if ((journal == NULL && error == NULL) || (all == NULL && all_error == NULL))
		fuzz_fail("a journal load failed without an error");
	if ((all != NULL) != (journal != NULL))
		fuzz_fail("hd_journal_load() %s, hd_journal_load_all() %s on the same file",
			  journal != NULL ? "succeeds" : error->message,
			  all != NULL ? "succeeds" : all_error->message);
	if (journal != NULL) {
		g_autoptr(HdJournal) again = NULL;

		if (error != NULL)
			fuzz_fail("hd_journal_load() succeeded and set an error: %s", error->message);
		if (journal->loaded_version != 1 && journal->loaded_version != 2)
			fuzz_fail("loaded as version %u", journal->loaded_version);
		for (guint i = 0; i < journal->entries->len; i++) {
			const HdEntry *entry = g_ptr_array_index(journal->entries, i);

			if (entry->journal != journal || entry->data == NULL || entry->plugin == NULL)
				fuzz_fail("entry %u lacks its journal, data or plugin", i);
		}
		fuzz_check_depth(journal);
		if (!hd_journal_save(journal, &error))
			fuzz_fail("a journal read cannot be saved: %s", error->message);
		again = hd_journal_load(dir, &owner, &error);
		if (again == NULL)
			fuzz_fail("a journal saved cannot be read back: %s", error->message);
		fuzz_check_same(journal, again);
	}
	fuzz_remove_dir(dir);
	return 0;
}
