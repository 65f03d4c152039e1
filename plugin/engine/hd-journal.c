/*
 * hd-journal.c: what we changed on the host, written down before we change it
 *
 * The file is JSON, replaced atomically: written to a temporary file,
 * fsync'ed, renamed over the old one, and the directory fsync'ed, so that
 * a crash leaves either the old or the new journal, never half of one.
 *
 * Version 2:
 *
 *   {"version": 2, "owner": {"kind": "domain", "name": "vm1"}, "uuid": "...",
 *    "entries": [{"owner": {...}, "address": "0000:01:00.0", "parent": null,
 *                 "plugin": "vfio-pci", "phase": "bind", "step": "done",
 *                 "data": {"original_driver": "e1000e", ...}}, ...]}
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "hd-journal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hd-address.h"
#include "hd-context.h"
#include "hd-enum.h"
#include "hd-error.h"
#include "hd-hook-op.h"
#include "hd-json.h"

#define HD_JOURNAL_VERSION 2
/* far above what 64 devices with every plugin need, and far below what
 * could exhaust the parser: every prepare reads every journal */
#define HD_JOURNAL_MAX_BYTES (1024 * 1024)
#define HD_JOURNAL_MAX_DEPTH 8
#define HD_JOURNAL_STEP_MAX 32
/* host owners live apart from domains, whose names cannot contain '/' */
#define HD_JOURNAL_HOST_DIR "host"

static const HdEnumName hd_phase_names[] = {
	{HD_PHASE_PROVISION, "provision"},
	{HD_PHASE_BIND, "bind"},
	{HD_PHASE_CONFIGURE, "configure"},
	{0, NULL},
};

static const HdEnumName hd_owner_kinds[] = {
	{HD_OWNER_DOMAIN, "domain"},
	{HD_OWNER_HOST, "host"},
	{0, NULL},
};

const char *
hd_phase_to_string(HdPhase phase)
{
	return hd_enum_to_string(hd_phase_names, phase);
}

/* ---- owners ---------------------------------------------------------------- */

void
hd_owner_clear(HdOwner *owner)
{
	g_clear_pointer(&owner->name, g_free);
}

void
hd_owner_copy(HdOwner *dest, const HdOwner *src)
{
	dest->kind = src->kind;
	dest->name = g_strdup(src->name);
}

gboolean
hd_owner_equal(const HdOwner *a, const HdOwner *b)
{
	return a->kind == b->kind && g_strcmp0(a->name, b->name) == 0;
}

gchar *
hd_owner_describe(const HdOwner *owner)
{
	if (owner->kind == HD_OWNER_DOMAIN)
		return g_strdup_printf("domain '%s'", owner->name);
	return g_strdup_printf("the host (%s)", owner->name);
}

/* host owners are the engine's own short names: boot, assign, ... */
static gboolean
hd_owner_host_name_is_valid(const char *name)
{
	gsize len = strlen(name);

	return len > 0 && len <= 32 && strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789-") == len;
}

gboolean
hd_journal_owner_path(const char *state_dir, const HdOwner *owner, gchar **path)
{
	char buf[PATH_MAX];

	if (owner->name == NULL)
		return FALSE;
	if (owner->kind == HD_OWNER_HOST) {
		g_autofree gchar *file = NULL;

		if (!hd_owner_host_name_is_valid(owner->name))
			return FALSE;
		file = g_strconcat(owner->name, HD_JOURNAL_SUFFIX, NULL);
		*path = g_build_filename(state_dir, HD_JOURNAL_HOST_DIR, file, NULL);
		return TRUE;
	}
	/* the name rule and the path are the front's too (hd-hook-op.c) */
	if (!hd_journal_path(state_dir, owner->name, buf, sizeof(buf)))
		return FALSE;
	*path = g_strdup(buf);
	return TRUE;
}

/* ---- entries ---------------------------------------------------------------- */

static void
hd_entry_free(HdEntry *entry)
{
	g_free(entry->address);
	g_free(entry->parent);
	g_free(entry->plugin);
	g_free(entry->step);
	json_object_put(entry->data);
	g_free(entry);
}

const char *
hd_entry_get_address(const HdEntry *entry)
{
	return entry->address;
}

const char *
hd_entry_get_parent(const HdEntry *entry)
{
	return entry->parent;
}

const HdOwner *
hd_entry_get_owner(const HdEntry *entry)
{
	return &entry->journal->owner;
}

const char *
hd_entry_get_step(const HdEntry *entry)
{
	return entry->step;
}

gboolean
hd_entry_is_done(const HdEntry *entry)
{
	return g_strcmp0(entry->step, HD_ENTRY_STEP_DONE) == 0;
}

/*
 * The engine runs independent units on threads that share one journal, and
 * a commit serialises every entry: each change to an entry or to the list
 * is made under the journal's mutex.  An entry is changed only by the
 * thread running its unit, so reading one's own entry needs no lock.
 */
void
hd_entry_set_string(HdEntry *entry, const char *key, const char *value)
{
	g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&entry->journal->lock);

	hd_json_add_string(entry->data, key, value);
}

const char *
hd_entry_get_string(const HdEntry *entry, const char *key)
{
	json_object *value = hd_json_member(entry->data, key, json_type_string);

	return value != NULL ? json_object_get_string(value) : NULL;
}

void
hd_entry_set_int(HdEntry *entry, const char *key, gint64 value)
{
	g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&entry->journal->lock);

	hd_json_add_int(entry->data, key, value);
}

gint64
hd_entry_get_int(const HdEntry *entry, const char *key, gint64 default_value)
{
	json_object *value = hd_json_member(entry->data, key, json_type_int);

	return value != NULL ? json_object_get_int64(value) : default_value;
}

void
hd_entry_set_bool(HdEntry *entry, const char *key, gboolean value)
{
	g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&entry->journal->lock);

	hd_json_add_bool(entry->data, key, value);
}

gboolean
hd_entry_get_bool(const HdEntry *entry, const char *key)
{
	json_object *value = hd_json_member(entry->data, key, json_type_boolean);

	return value != NULL && json_object_get_boolean(value);
}

static gboolean
hd_entry_step_is_valid(const char *step)
{
	gsize len = step != NULL ? strlen(step) : 0;

	return len > 0 && len <= HD_JOURNAL_STEP_MAX &&
	       strspn(step, "abcdefghijklmnopqrstuvwxyz0123456789-") == len;
}

gboolean
hd_entry_step(HdEntry *entry, const char *step, GError **error)
{
	if (!hd_entry_step_is_valid(step)) {
		g_set_error(error, HD_ERROR, HD_ERROR_INTERNAL, "plugin %s: '%s' is not a step name",
			    entry->plugin, step != NULL ? step : "");
		return FALSE;
	}
	g_mutex_lock(&entry->journal->lock);
	g_free(entry->step);
	entry->step = g_strdup(step);
	g_mutex_unlock(&entry->journal->lock);
	return hd_journal_save(entry->journal, error);
}

static const char *
hd_entry_share_key(const HdEntry *entry)
{
	return entry->parent != NULL ? entry->parent : entry->address;
}

static gboolean
hd_entry_shares_with(const HdEntry *a, const HdEntry *b)
{
	return a != b && a->phase == b->phase && g_strcmp0(a->plugin, b->plugin) == 0 &&
	       g_strcmp0(hd_entry_share_key(a), hd_entry_share_key(b)) == 0;
}

static guint
hd_journal_count_sharers(HdJournal *journal, const HdEntry *entry)
{
	g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&journal->lock);
	guint n = 0;

	for (guint i = 0; i < journal->entries->len; i++)
		n += hd_entry_shares_with(g_ptr_array_index(journal->entries, i), entry);
	return n;
}

/* the entry's own journal as it is in memory, every other as on disk */
gboolean
hd_entry_count_sharers(HdContext *ctx, const HdEntry *entry, guint *count, GError **error)
{
	g_autoptr(GPtrArray) journals = hd_journal_load_all(ctx->state_dir, error);

	if (journals == NULL)
		return FALSE;
	*count = hd_journal_count_sharers(entry->journal, entry);
	for (guint i = 0; i < journals->len; i++) {
		HdJournal *other = g_ptr_array_index(journals, i);

		if (!hd_owner_equal(&other->owner, &entry->journal->owner))
			*count += hd_journal_count_sharers(other, entry);
	}
	return TRUE;
}

static const HdEntry *
hd_journal_find_sharer_with(HdJournal *journal, const HdEntry *entry, const char *key)
{
	g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&journal->lock);

	for (guint i = 0; i < journal->entries->len; i++) {
		const HdEntry *other = g_ptr_array_index(journal->entries, i);

		if (hd_entry_shares_with(other, entry) && json_object_object_get_ex(other->data, key, NULL))
			return other;
	}
	return NULL;
}

static void
hd_entry_copy_members(HdEntry *entry, const HdEntry *from, const char *const *keys)
{
	for (guint i = 0; keys[i] != NULL; i++) {
		json_object *value = NULL;
		json_object *copy = NULL;

		if (!json_object_object_get_ex(from->data, keys[i], &value))
			continue;
		/* a copy, not a shared reference: @from may be another
		 * journal's, whose entries change under another lock, and
		 * json-c's reference counts are not for two locks to share */
		if (value != NULL && json_object_deep_copy(value, &copy, NULL) != 0)
			g_error("json-c: cannot copy member '%s': out of memory", keys[i]);
		hd_json_add(entry->data, keys[i], copy);
	}
}

/* the entry's own journal as it is in memory, every other as on disk */
gboolean
hd_entry_adopt_from_sharers(HdContext *ctx, HdEntry *entry, const char *const *keys, gboolean *adopted,
			    GError **error)
{
	const HdEntry *from = hd_journal_find_sharer_with(entry->journal, entry, keys[0]);
	g_autoptr(GPtrArray) journals = NULL;

	*adopted = FALSE;
	if (from == NULL) {
		journals = hd_journal_load_all(ctx->state_dir, error);
		if (journals == NULL)
			return FALSE;
	}
	for (guint i = 0; from == NULL && i < journals->len; i++) {
		HdJournal *other = g_ptr_array_index(journals, i);

		if (!hd_owner_equal(&other->owner, &entry->journal->owner))
			from = hd_journal_find_sharer_with(other, entry, keys[0]);
	}
	if (from == NULL)
		return TRUE;
	g_mutex_lock(&entry->journal->lock);
	hd_entry_copy_members(entry, from, keys);
	g_mutex_unlock(&entry->journal->lock);
	*adopted = TRUE;
	return TRUE;
}

/* ---- the journal ---------------------------------------------------------------- */

void
hd_journal_free(HdJournal *journal)
{
	if (journal == NULL)
		return;
	g_free(journal->path);
	hd_owner_clear(&journal->owner);
	g_free(journal->uuid);
	g_ptr_array_unref(journal->entries);
	g_ptr_array_unref(journal->claims);
	g_mutex_clear(&journal->lock);
	g_cond_clear(&journal->committed);
	g_free(journal);
}

static HdJournal *
hd_journal_new(const char *state_dir, const HdOwner *owner, GError **error)
{
	HdJournal *journal;
	gchar *path = NULL;

	if (!hd_journal_owner_path(state_dir, owner, &path)) {
		g_set_error(error, HD_ERROR, HD_ERROR_INVALID_DATA, "%s name '%s' cannot name a journal file",
			    hd_enum_to_string(hd_owner_kinds, owner->kind), owner->name != NULL ? owner->name : "");
		return NULL;
	}
	journal = g_new0(HdJournal, 1);
	journal->path = path;
	hd_owner_copy(&journal->owner, owner);
	journal->entries = g_ptr_array_new_with_free_func((GDestroyNotify)hd_entry_free);
	journal->claims = g_ptr_array_new_with_free_func(g_free);
	g_mutex_init(&journal->lock);
	g_cond_init(&journal->committed);
	return journal;
}

HdEntry *
hd_journal_begin(HdJournal *journal, const char *address, const char *parent, const char *plugin, HdPhase phase)
{
	HdEntry *entry = g_new0(HdEntry, 1);

	entry->journal = journal;
	entry->address = g_strdup(address);
	entry->parent = g_strdup(parent);
	entry->plugin = g_strdup(plugin);
	entry->phase = phase;
	entry->step = g_strdup(HD_ENTRY_STEP_BEGIN);
	entry->data = json_object_new_object();
	g_mutex_lock(&journal->lock);
	g_ptr_array_add(journal->entries, entry);
	g_mutex_unlock(&journal->lock);
	return entry;
}

void
hd_journal_remove(HdJournal *journal, HdEntry *entry)
{
	g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&journal->lock);

	g_ptr_array_remove(journal->entries, entry);
}

void
hd_journal_claim(HdJournal *journal, const char *address)
{
	g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&journal->lock);

	g_ptr_array_add(journal->claims, g_strdup(address));
}

void
hd_journal_clear_claims(HdJournal *journal)
{
	g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&journal->lock);

	g_ptr_array_set_size(journal->claims, 0);
}

HdEntry *
hd_journal_find_binding(HdJournal *journal, const char *address)
{
	for (guint i = 0; i < journal->entries->len; i++) {
		HdEntry *entry = g_ptr_array_index(journal->entries, i);

		if (entry->phase == HD_PHASE_BIND && g_strcmp0(entry->address, address) == 0)
			return entry;
	}
	return NULL;
}

/* ---- reading ---------------------------------------------------------------- */

static const char *
hd_json_string(json_object *object, const char *member)
{
	json_object *value = hd_json_member(object, member, json_type_string);

	return value != NULL ? json_object_get_string(value) : NULL;
}

static gboolean
hd_json_int(json_object *object, const char *member, gint64 *out)
{
	json_object *value = hd_json_member(object, member, json_type_int);

	if (value == NULL)
		return FALSE;
	*out = json_object_get_int64(value);
	return TRUE;
}

static gboolean
hd_json_bool(json_object *object, const char *member, gboolean default_value)
{
	json_object *value = hd_json_member(object, member, json_type_boolean);

	return value != NULL ? json_object_get_boolean(value) : default_value;
}

/* the code point of the four hex digits at @p, or -1 */
static gint
hd_journal_hex4(const char *p, gsize left)
{
	gint code = 0;

	for (guint i = 0; i < 4; i++) {
		gint digit = i < left ? g_ascii_xdigit_value(p[i]) : -1;

		if (digit < 0)
			return -1;
		code = code * 16 + digit;
	}
	return code;
}

/*
 * The escape at contents[*i], a backslash inside a string; *i is left on
 * its last byte.  json-c decodes a lone UTF-16 surrogate into U+FFFD and
 * "\u0000" into a NUL that ends the C string early, each without a word:
 * a journal would then say something other than what its writer wrote.
 * Malformed escapes are the parser's to report.
 */
static gboolean
hd_journal_scan_escape(const char *contents, gsize len, gsize *i, GError **error)
{
	gsize at = *i;
	gint code = at + 1 < len && contents[at + 1] == 'u' ? hd_journal_hex4(contents + at + 2, len - at - 2) : -1;
	gint low = -1;

	if (code < 0) {
		*i = at + 1;
		return TRUE;
	}
	*i = at + 5;
	if (code >= 0xd800 && code <= 0xdbff && at + 7 < len && contents[at + 6] == '\\' && contents[at + 7] == 'u')
		low = hd_journal_hex4(contents + at + 8, len - at - 8);
	if (low >= 0xdc00 && low <= 0xdfff) {
		*i = at + 11;
	} else if (code >= 0xd800 && code <= 0xdfff) {
		g_set_error(error, HD_ERROR, HD_ERROR_INVALID_DATA,
			    "byte %" G_GSIZE_FORMAT ": a lone UTF-16 surrogate escape, which no UTF-8 string holds",
			    at);
		return FALSE;
	} else if (code == 0) {
		g_set_error(error, HD_ERROR, HD_ERROR_INVALID_DATA,
			    "byte %" G_GSIZE_FORMAT ": a \\u0000 escape; no string of a journal holds a NUL", at);
		return FALSE;
	}
	return TRUE;
}

/*
 * The number at contents[*i]; *i is left on its last byte.  json-c keeps
 * an integer above G_MAXINT64 as an unsigned one, which its int64 getter
 * clamps, and clamps one beyond 64 bits to the nearest end, all without a
 * word: past this scan, every integer json-c holds is a gint64.
 */
static gboolean
hd_journal_scan_number(const char *contents, gsize len, gsize *i, GError **error)
{
	gsize start = *i;
	gsize end = start + 1;
	gboolean integer = TRUE;
	g_autofree gchar *text = NULL;

	for (; end < len && contents[end] != '\0' && strchr("0123456789+-.eE", contents[end]) != NULL; end++)
		integer = integer && g_ascii_isdigit(contents[end]);
	*i = end - 1;
	if (!integer)
		return TRUE; /* a fraction or an exponent: the parser's, and a double */
	text = g_strndup(contents + start, end - start);
	if (g_strcmp0(text, "-") != 0 && !g_ascii_string_to_signed(text, 10, G_MININT64, G_MAXINT64, NULL, NULL)) {
		g_set_error(error, HD_ERROR, HD_ERROR_INVALID_DATA,
			    "byte %" G_GSIZE_FORMAT ": the integer %s does not fit in 64 bits", start, text);
		return FALSE;
	}
	return TRUE;
}

/*
 * What json-c would accept, or change without a word, refused before it
 * parses, each with the byte where it is.  Ours nest 4 deep; past
 * HD_JOURNAL_MAX_DEPTH the file is not ours (json-c's tokener keeps its own
 * stack, so depth no longer threatens the process: the same limit is set
 * there too).  Comments and single quotes are no JSON; json-c's strict
 * mode refuses them as well, this says which it met.
 */
static gboolean
hd_journal_check_shape(const char *contents, gsize len, GError **error)
{
	gboolean in_string = FALSE;
	guint depth = 0;

	if (len > HD_JOURNAL_MAX_BYTES) {
		g_set_error(error, HD_ERROR, HD_ERROR_INVALID_DATA, "larger than %u bytes", HD_JOURNAL_MAX_BYTES);
		return FALSE;
	}
	/* and no NUL byte, which json-c would take for the end of the text */
	if (!g_utf8_validate_len(contents, len, NULL)) {
		g_set_error_literal(error, HD_ERROR, HD_ERROR_INVALID_DATA,
				    "not valid JSON: not UTF-8 text, or a NUL byte in it");
		return FALSE;
	}
	for (gsize i = 0; i < len; i++) {
		char c = contents[i];

		if (in_string) {
			if (c == '\\' && !hd_journal_scan_escape(contents, len, &i, error))
				return FALSE;
			in_string = c != '"';
		} else if (c == '"') {
			in_string = TRUE;
		} else if (c == '/' || c == '\'') {
			g_set_error(error, HD_ERROR, HD_ERROR_INVALID_DATA,
				    "byte %" G_GSIZE_FORMAT ": comments and single quotes are no part of a journal", i);
			return FALSE;
		} else if (c == '-' || g_ascii_isdigit(c)) {
			if (!hd_journal_scan_number(contents, len, &i, error))
				return FALSE;
		} else if (c == '[' || c == '{') {
			if (++depth > HD_JOURNAL_MAX_DEPTH) {
				g_set_error(error, HD_ERROR, HD_ERROR_INVALID_DATA, "nested deeper than %u levels",
					    HD_JOURNAL_MAX_DEPTH);
				return FALSE;
			}
		} else if ((c == ']' || c == '}') && depth > 0) {
			depth--;
		}
	}
	return TRUE;
}

static gboolean
hd_journal_is_blank(const char *contents, gsize len)
{
	for (gsize i = 0; i < len; i++) {
		if (!g_ascii_isspace(contents[i]))
			return FALSE;
	}
	return TRUE;
}

/*
 * RFC 8259 JSON and nothing more: json-c's strict mode, which refuses its
 * own extensions (comments, single quotes, trailing commas, text after the
 * value).  *root is NULL for "null", and for an empty or blank file, which
 * json-glib read as a document without a root: both are then "not a
 * journal" rather than "not JSON", as before.
 */
static gboolean
hd_journal_parse_json(const char *contents, gsize len, json_object **root, GError **error)
{
	g_autoptr(json_tokener) tokener = NULL;
	enum json_tokener_error status;
	gsize end;

	if (!hd_journal_check_shape(contents, len, error))
		return FALSE;
	/* json-c counts the outermost value as a level */
	tokener = json_tokener_new_ex(HD_JOURNAL_MAX_DEPTH + 1);
	if (tokener == NULL)
		g_error("json-c: cannot make a tokener: out of memory");
	json_tokener_set_flags(tokener, JSON_TOKENER_STRICT);
	*root = json_tokener_parse_ex(tokener, contents, (int)len);
	status = json_tokener_get_error(tokener);
	end = json_tokener_get_parse_end(tokener);
	/* after a bare scalar ("null", "1") json-c waits for more text: a NUL
	 * tells it there is none */
	if (status == json_tokener_continue) {
		*root = json_tokener_parse_ex(tokener, "", 1);
		status = json_tokener_get_error(tokener);
		end = len;
	}
	if (status == json_tokener_success && end == len)
		return TRUE;
	json_object_put(g_steal_pointer(root));
	if (hd_journal_is_blank(contents, len))
		return TRUE;
	g_set_error(error, HD_ERROR, HD_ERROR_INVALID_DATA, "not valid JSON: byte %" G_GSIZE_FORMAT ": %s", end,
		    status == json_tokener_success ? "text after the value" : json_tokener_error_desc(status));
	return FALSE;
}

/*
 * A plugin's data is flat: null, booleans, integers and strings (UTF-8,
 * as the whole file is).  Anything else would not survive a save as it
 * was written (json-c writes a double back in its own spelling), and one
 * unreadable journal stops every prepare on the host.
 */
static gboolean
hd_json_is_flat(json_object *value)
{
	switch (json_object_get_type(value)) {
	case json_type_null:
	case json_type_boolean:
	case json_type_int:
	case json_type_string:
		return TRUE;
	default:
		return FALSE;
	}
}

static gboolean
hd_journal_check_data(json_object *data, const char *address, GError **error)
{
	json_object_object_foreach(data, key, value)
	{
		if (!hd_json_is_flat(value)) {
			g_set_error(error, HD_ERROR, HD_ERROR_INVALID_DATA,
				    "%s: data member '%s' is not null, a boolean, an integer or a UTF-8 string", address,
				    key);
			return FALSE;
		}
	}
	return TRUE;
}

/* an address anyone wrote must be spelt as the engine spells it, or it
 * would hide the device from the owners check */
static gboolean
hd_journal_check_address(const char *address, const char *what, GError **error)
{
	char canonical[HD_ADDRESS_STRLEN] = "";
	HdAddress addr;

	if (address != NULL && hd_address_parse_bdf(address, &addr, NULL))
		hd_address_format(&addr, canonical);
	if (address != NULL && strcmp(canonical, address) == 0)
		return TRUE;
	g_set_error(error, HD_ERROR, HD_ERROR_INVALID_DATA,
		    "a device entry's %s '%s' is not a PCI address in DDDD:BB:DD.F form", what,
		    address != NULL ? address : "");
	return FALSE;
}

static gboolean
hd_journal_parse_owner(json_object *object, HdOwner *out, GError **error)
{
	const char *name = hd_json_string(object, "name");
	int kind;

	if (name == NULL ||
	    !hd_enum_from_string(hd_owner_kinds, hd_json_string(object, "kind"), &kind)) {
		g_set_error_literal(error, HD_ERROR, HD_ERROR_INVALID_DATA, "the owner lacks its kind or name");
		return FALSE;
	}
	out->kind = (HdOwnerKind)kind;
	out->name = g_strdup(name);
	return TRUE;
}

static gboolean
hd_journal_parse_entry(HdJournal *journal, json_object *node, GError **error)
{
	json_object *object = json_object_is_type(node, json_type_object) ? node : NULL;
	json_object *data = hd_json_member(object, "data", json_type_object);
	const char *address = hd_json_string(object, "address");
	const char *parent = hd_json_string(object, "parent");
	const char *plugin = hd_json_string(object, "plugin");
	const char *step = hd_json_string(object, "step");
	g_auto(HdOwner) owner = {0};
	HdEntry *entry;
	int phase;

	/* a plugin's name is a word of the same alphabet as its steps */
	if (!hd_entry_step_is_valid(plugin) || data == NULL || !hd_entry_step_is_valid(step) ||
	    !hd_enum_from_string(hd_phase_names, hd_json_string(object, "phase"), &phase)) {
		g_set_error_literal(error, HD_ERROR, HD_ERROR_INVALID_DATA,
				    "an entry lacks its plugin, phase, step or data");
		return FALSE;
	}
	if (!hd_journal_check_address(address, "address", error) ||
	    (parent != NULL && !hd_journal_check_address(parent, "parent", error)) ||
	    !hd_journal_check_data(data, address, error) ||
	    !hd_journal_parse_owner(hd_json_member(object, "owner", json_type_object), &owner, error))
		return FALSE;
	if (!hd_owner_equal(&owner, &journal->owner)) {
		g_set_error(error, HD_ERROR, HD_ERROR_INVALID_DATA, "%s: the entry's owner is not the journal's",
			    address);
		return FALSE;
	}
	entry = hd_journal_begin(journal, address, parent, plugin, (HdPhase)phase);
	g_free(entry->step);
	entry->step = g_strdup(step);
	json_object_put(entry->data);
	entry->data = json_object_get(data);
	return TRUE;
}

/*
 * Version 1, as main wrote it until version 2: one entry per device, bound
 * by the vfio-pci or pciback plugin through driver_override, its steps
 * "recorded", ["provision",] "set-override", "unbind", "probe", "bound",
 * ["configure", "configured"].  No plugin had provision or configure slots
 * then, so each becomes one bind entry whose data is what
 * hd_pci_restore_driver() reads.
 */
static const struct {
	const char *v1;
	const char *v2;
} hd_journal_v1_steps[] = {
	{"recorded", HD_ENTRY_STEP_BEGIN}, {"provision", HD_ENTRY_STEP_BEGIN},
	{"set-override", "set-override"},  {"unbind", "unbind"},
	{"probe", "probe"},		   {"bound", HD_ENTRY_STEP_DONE},
	{"configure", HD_ENTRY_STEP_DONE}, {"configured", HD_ENTRY_STEP_DONE},
};

static gboolean
hd_journal_parse_v1_entry(HdJournal *journal, json_object *node, GError **error)
{
	json_object *object = json_object_is_type(node, json_type_object) ? node : NULL;
	const char *address = hd_json_string(object, "address");
	const char *target = hd_json_string(object, "target_driver");
	const char *v1_step = hd_json_string(object, "step");
	const char *plugin = hd_json_string(object, "plugin");
	const char *step = NULL;
	const char *drivers[] = {"original_driver", "target_driver"};
	HdEntry *entry;

	for (guint i = 0; i < G_N_ELEMENTS(hd_journal_v1_steps); i++) {
		if (g_strcmp0(v1_step, hd_journal_v1_steps[i].v1) == 0)
			step = hd_journal_v1_steps[i].v2;
	}
	if (address == NULL || target == NULL || step == NULL || (plugin != NULL && !hd_entry_step_is_valid(plugin))) {
		g_set_error_literal(error, HD_ERROR, HD_ERROR_INVALID_DATA,
				    "a device entry lacks its address, target_driver or step");
		return FALSE;
	}
	if (!hd_journal_check_address(address, "address", error))
		return FALSE;
	for (guint i = 0; i < G_N_ELEMENTS(drivers); i++) {
		const char *name = hd_json_string(object, drivers[i]);
		g_autoptr(GError) local = NULL;

		if (name != NULL && !hd_driver_name_check(name, "", &local)) {
			g_set_error(error, HD_ERROR, HD_ERROR_INVALID_DATA, "%s: %s '%s' is not a driver's name",
				    address, drivers[i], name);
			return FALSE;
		}
	}
	/* "plugin" may be absent: the vfio-pci plugin was the only one to bind */
	entry = hd_journal_begin(journal, address, NULL, plugin != NULL ? plugin : "vfio-pci", HD_PHASE_BIND);
	g_free(entry->step);
	entry->step = g_strdup(step);
	hd_entry_set_string(entry, "original_driver", hd_json_string(object, "original_driver"));
	hd_entry_set_string(entry, "original_override", hd_json_string(object, "original_override"));
	hd_entry_set_string(entry, "target_driver", target);
	hd_entry_set_bool(entry, "found_bound", hd_json_bool(object, "found_bound", FALSE));
	return TRUE;
}

/* the devices a prepare in flight is about to bind; absent when none */
static gboolean
hd_journal_parse_claims(HdJournal *journal, json_object *claims, GError **error)
{
	gsize n = claims != NULL ? json_object_array_length(claims) : 0;

	for (gsize i = 0; i < n; i++) {
		json_object *node = json_object_array_get_idx(claims, i);
		const char *address = json_object_is_type(node, json_type_string) ? json_object_get_string(node) : NULL;

		if (!hd_journal_check_address(address, "claim", error))
			return FALSE;
		g_ptr_array_add(journal->claims, g_strdup(address));
	}
	return TRUE;
}

static gboolean
hd_journal_parse(HdJournal *journal, const char *contents, gsize len, GError **error)
{
	g_autoptr(json_object) top = NULL;
	json_object *root;
	json_object *entries;
	gint64 version;
	gboolean (*parse_entry)(HdJournal *, json_object *, GError **);

	if (!hd_journal_parse_json(contents, len, &top, error))
		return FALSE;
	root = json_object_is_type(top, json_type_object) ? top : NULL;
	if (!hd_json_int(root, "version", &version))
		version = 0;
	entries = hd_json_member(root, version == 1 ? "devices" : "entries", json_type_array);
	if (entries == NULL || (version != 1 && version != HD_JOURNAL_VERSION)) {
		g_set_error_literal(error, HD_ERROR, HD_ERROR_INVALID_DATA,
				    "not a version 2 journal with an entries array, nor a version 1 one with devices");
		return FALSE;
	}
	if (version == HD_JOURNAL_VERSION) {
		g_auto(HdOwner) owner = {0};

		if (!hd_journal_parse_owner(hd_json_member(root, "owner", json_type_object), &owner, error))
			return FALSE;
		if (!hd_owner_equal(&owner, &journal->owner)) {
			g_set_error(error, HD_ERROR, HD_ERROR_INVALID_DATA, "it belongs to '%s', not '%s'",
				    owner.name, journal->owner.name);
			return FALSE;
		}
	}
	journal->loaded_version = (guint)version;
	journal->uuid = g_strdup(hd_json_string(root, "uuid"));
	parse_entry = version == 1 ? hd_journal_parse_v1_entry : hd_journal_parse_entry;
	for (gsize i = 0; i < json_object_array_length(entries); i++) {
		if (!parse_entry(journal, json_object_array_get_idx(entries, i), error))
			return FALSE;
	}
	return hd_journal_parse_claims(journal, hd_json_member(root, "claims", json_type_array), error);
}

/* without following a link, a regular file only, and no larger than the cap */
static gboolean
hd_journal_read(const char *path, gchar **contents, gsize *len, GError **error)
{
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	g_autofree gchar *buf = NULL;
	struct stat st;
	ssize_t got;

	if (fd < 0) {
		hd_error_set_errno(error, errno, "cannot open %s", path);
		return FALSE;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > HD_JOURNAL_MAX_BYTES) {
		close(fd);
		g_set_error(error, HD_ERROR, HD_ERROR_INVALID_DATA, "%s: not a regular file of at most %u bytes",
			    path, HD_JOURNAL_MAX_BYTES);
		return FALSE;
	}
	buf = g_malloc((gsize)st.st_size + 1);
	do {
		got = read(fd, buf, (gsize)st.st_size + 1);
	} while (got < 0 && errno == EINTR);
	if (got < 0 || got > st.st_size) {
		int errnum = got < 0 ? errno : EFBIG;
		close(fd);
		hd_error_set_errno(error, errnum, "cannot read %s", path);
		return FALSE;
	}
	close(fd);
	buf[got] = '\0';
	*len = (gsize)got;
	*contents = g_steal_pointer(&buf);
	return TRUE;
}

/* an owner without a journal file has nothing recorded: an empty journal */
HdJournal *
hd_journal_load(const char *state_dir, const HdOwner *owner, GError **error)
{
	g_autoptr(HdJournal) journal = hd_journal_new(state_dir, owner, error);
	g_autofree gchar *contents = NULL;
	g_autoptr(GError) local = NULL;
	gsize len = 0;

	if (journal == NULL)
		return NULL;
	if (!hd_journal_read(journal->path, &contents, &len, &local)) {
		if (g_error_matches(local, HD_ERROR, HD_ERROR_NOT_FOUND))
			return g_steal_pointer(&journal);
		g_set_error(error, HD_ERROR, local->code, "journal: %s", local->message);
		return NULL;
	}
	if (!hd_journal_parse(journal, contents, len, error)) {
		g_prefix_error(error, "journal %s: ", journal->path);
		return NULL;
	}
	return g_steal_pointer(&journal);
}

/* the owner a "~HASH" journal names: only the file can say */
static gchar *
hd_journal_peek_owner(const char *path, GError **error)
{
	g_autofree gchar *contents = NULL;
	g_autoptr(json_object) top = NULL;
	g_auto(HdOwner) owner = {0};
	gsize len = 0;

	if (!hd_journal_read(path, &contents, &len, error) || !hd_journal_parse_json(contents, len, &top, error)) {
		g_prefix_error(error, "journal %s: ", path);
		return NULL;
	}
	if (!hd_journal_parse_owner(hd_json_member(top, "owner", json_type_object), &owner, error)) {
		g_prefix_error(error, "journal %s: ", path);
		return NULL;
	}
	return g_steal_pointer(&owner.name);
}

static gboolean
hd_journal_load_dir(GPtrArray *journals, const char *state_dir, const char *dir_path, HdOwnerKind kind,
		    GError **error)
{
	g_autoptr(GError) local = NULL;
	g_autoptr(GDir) dir = g_dir_open(dir_path, 0, &local);
	const char *name;

	if (dir == NULL) {
		if (g_error_matches(local, G_FILE_ERROR, G_FILE_ERROR_NOENT))
			return TRUE;
		hd_error_propagate(error, g_steal_pointer(&local), "state directory %s: ", dir_path);
		return FALSE;
	}
	while ((name = g_dir_read_name(dir)) != NULL) {
		g_autofree gchar *owner_name = NULL;
		HdOwner owner = {kind, NULL};
		HdJournal *journal;

		if (!g_str_has_suffix(name, HD_JOURNAL_SUFFIX) || name[0] == '.')
			continue;
		if (name[0] == HD_JOURNAL_HASHED_PREFIX) {
			g_autofree gchar *path = g_build_filename(dir_path, name, NULL);
			owner_name = hd_journal_peek_owner(path, error);
			if (owner_name == NULL)
				return FALSE;
		} else {
			owner_name = g_strndup(name, strlen(name) - strlen(HD_JOURNAL_SUFFIX));
		}
		owner.name = owner_name;
		journal = hd_journal_load(state_dir, &owner, error);
		if (journal == NULL)
			return FALSE;
		g_ptr_array_add(journals, journal);
	}
	return TRUE;
}

GPtrArray *
hd_journal_load_all(const char *state_dir, GError **error)
{
	g_autoptr(GPtrArray) journals = g_ptr_array_new_with_free_func((GDestroyNotify)hd_journal_free);
	g_autofree gchar *host_dir = g_build_filename(state_dir, HD_JOURNAL_HOST_DIR, NULL);

	if (!hd_journal_load_dir(journals, state_dir, state_dir, HD_OWNER_DOMAIN, error) ||
	    !hd_journal_load_dir(journals, state_dir, host_dir, HD_OWNER_HOST, error))
		return NULL;
	return g_steal_pointer(&journals);
}

/* ---- writing ---------------------------------------------------------------- */

static json_object *
hd_journal_owner_to_json(const HdOwner *owner)
{
	json_object *object = json_object_new_object();

	hd_json_add_string(object, "kind", hd_enum_to_string(hd_owner_kinds, owner->kind));
	hd_json_add_string(object, "name", owner->name);
	return object;
}

/* the entry's data is shared with the document, not copied: the caller
 * holds the journal's lock until the document is gone */
static json_object *
hd_entry_to_json(const HdEntry *entry)
{
	json_object *object = json_object_new_object();

	hd_json_add(object, "owner", hd_journal_owner_to_json(&entry->journal->owner));
	hd_json_add_string(object, "address", entry->address);
	hd_json_add_string(object, "parent", entry->parent);
	hd_json_add_string(object, "plugin", entry->plugin);
	hd_json_add_string(object, "phase", hd_phase_to_string(entry->phase));
	hd_json_add_string(object, "step", entry->step);
	hd_json_add(object, "data", json_object_get(entry->data));
	return object;
}

static gchar *
hd_journal_to_json(HdJournal *journal)
{
	g_autoptr(json_object) root = json_object_new_object();
	json_object *entries = json_object_new_array_ext((int)journal->entries->len);

	hd_json_add_int(root, "version", HD_JOURNAL_VERSION);
	hd_json_add(root, "owner", hd_journal_owner_to_json(&journal->owner));
	hd_json_add_string(root, "uuid", journal->uuid);
	for (guint i = 0; i < journal->entries->len; i++)
		hd_json_append(entries, hd_entry_to_json(g_ptr_array_index(journal->entries, i)));
	hd_json_add(root, "entries", entries);
	if (journal->claims->len > 0)
		hd_json_add(root, "claims", hd_json_string_array(journal->claims));
	return hd_json_to_data(root);
}

/* the rename is durable only once the directory entry is */
static gboolean
hd_journal_sync_dir(const char *path, GError **error)
{
	g_autofree gchar *dir = g_path_get_dirname(path);
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int errnum;

	if (fd >= 0 && fsync(fd) == 0) {
		close(fd);
		return TRUE;
	}
	errnum = errno;
	if (fd >= 0)
		close(fd);
	hd_error_set_errno(error, errnum, "cannot sync %s", dir);
	return FALSE;
}

/* an empty journal is removed: no file means nothing is lent out */
static gboolean
hd_journal_write(const char *path, const char *json, GError **error)
{
	g_autofree gchar *dir = g_path_get_dirname(path);
	g_autoptr(GError) local = NULL;

	if (json == NULL) {
		/* no file was there: nothing to make durable, and perhaps no
		 * directory either (a host owner's, before its first entry) */
		if (unlink(path) < 0) {
			if (errno == ENOENT)
				return TRUE;
			hd_error_set_errno(error, errno, "cannot remove %s", path);
			return FALSE;
		}
		return hd_journal_sync_dir(path, error);
	}
	/* the host owners' subdirectory, on first use */
	if (g_mkdir_with_parents(dir, 0700) < 0) {
		hd_error_set_errno(error, errno, "cannot create %s", dir);
		return FALSE;
	}
	if (!g_file_set_contents_full(path, json, -1, G_FILE_SET_CONTENTS_CONSISTENT | G_FILE_SET_CONTENTS_DURABLE,
				      0600, &local)) {
		hd_error_propagate(error, g_steal_pointer(&local), "cannot write journal: ");
		return FALSE;
	}
	return hd_journal_sync_dir(path, error);
}

/*
 * Durable on return: everything changed in the journal before the call is
 * on disk.  Group commit: units on other threads save at the same time,
 * and one write covers every change made before its snapshot, so a caller
 * whose change a running write took along, or the next write covers,
 * waits for that one instead of writing again.  Write-ahead order per
 * device holds because each caller returns only once its own change is
 * durable, and only then touches the device.
 */
gboolean
hd_journal_save(HdJournal *journal, GError **error)
{
	g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&journal->lock);
	guint64 wanted = ++journal->changes;

	while (journal->committed_change < wanted) {
		g_autofree gchar *json = NULL;
		guint64 snapshot;
		gboolean ok;

		if (journal->writing) {
			g_cond_wait(&journal->committed, &journal->lock);
			continue;
		}
		journal->writing = TRUE;
		snapshot = journal->changes;
		json = journal->entries->len > 0 || journal->claims->len > 0 ? hd_journal_to_json(journal) : NULL;
		g_mutex_unlock(&journal->lock);
		ok = hd_journal_write(journal->path, json, error);
		g_mutex_lock(&journal->lock);
		journal->writing = FALSE;
		journal->commits++;
		if (ok)
			journal->committed_change = MAX(journal->committed_change, snapshot);
		g_cond_broadcast(&journal->committed);
		if (!ok)
			return FALSE;
	}
	return TRUE;
}

/* ---- the lock ---------------------------------------------------------- */

struct _HdStateLock {
	int fd;
};

/* longer than any prepare takes (a bind waits at most timeout-ms per
 * device), shorter than a person's patience */
#define HD_STATE_LOCK_TIMEOUT_MS 60000
#define HD_STATE_LOCK_POLL_US	 10000
static guint hd_state_lock_timeout_ms = HD_STATE_LOCK_TIMEOUT_MS;

/*
 * The state directory holds which device is lent to which domain: ours
 * alone.  One we create is 0700; one that exists must be a directory (not
 * a link) owned by us and closed to others, or someone else could plant or
 * edit journals that release would act on.
 */
gboolean
hd_state_dir_check(const char *state_dir, GError **error)
{
	struct stat st;

	if (g_mkdir_with_parents(state_dir, 0700) < 0) {
		hd_error_set_errno(error, errno, "cannot create state directory %s", state_dir);
		return FALSE;
	}
	if (lstat(state_dir, &st) < 0) {
		hd_error_set_errno(error, errno, "state directory %s", state_dir);
		return FALSE;
	}
	if (!S_ISDIR(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 0077) != 0) {
		g_set_error(error, HD_ERROR, HD_ERROR_PERMISSION_DENIED,
			    "state directory %s must be a directory owned by uid %u with mode 0700 "
			    "(it is %s, uid %u, mode %04o): fix it with chown and chmod 700",
			    state_dir, (guint)geteuid(), S_ISDIR(st.st_mode) ? "a directory" : "not a directory",
			    (guint)st.st_uid, (guint)(st.st_mode & 07777));
		return FALSE;
	}
	return TRUE;
}

/* flock with a deadline: a hook stuck holding the lock must not hang every
 * later VM start, which libvirt would wait for with no word */
static gboolean
hd_state_lock_wait(int fd, const char *path, guint timeout_ms, GError **error)
{
	gint64 deadline = g_get_monotonic_time() + (gint64)timeout_ms * 1000;

	for (;;) {
		if (flock(fd, LOCK_EX | LOCK_NB) == 0)
			return TRUE;
		if (errno != EWOULDBLOCK && errno != EINTR) {
			hd_error_set_errno(error, errno, "cannot lock %s", path);
			return FALSE;
		}
		if (g_get_monotonic_time() >= deadline) {
			g_set_error(error, HD_ERROR, HD_ERROR_TIMED_OUT,
				    "another hostdev-hook held %s for %u s; giving up (is a prepare or release "
				    "stuck? `hostdevctl status` shows what is in flight)",
				    path, timeout_ms / 1000);
			return FALSE;
		}
		g_usleep(HD_STATE_LOCK_POLL_US);
	}
}

static HdStateLock *
hd_state_lock_open(const char *path, GError **error)
{
	HdStateLock *lock;
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);

	if (fd < 0) {
		hd_error_set_errno(error, errno, "cannot open %s", path);
		return NULL;
	}
	if (!hd_state_lock_wait(fd, path, hd_state_lock_timeout_ms, error)) {
		close(fd);
		return NULL;
	}
	lock = g_new0(HdStateLock, 1);
	lock->fd = fd;
	return lock;
}

/*
 * The lock of the whole state directory, held while planning: two domains
 * asking for the same device must see each other's journal and claims.  A
 * prepare holds it until its claims are durable (hd_engine_prepare()).
 */
HdStateLock *
hd_state_lock_acquire(const char *state_dir, GError **error)
{
	g_autofree gchar *path = g_build_filename(state_dir, "lock", NULL);

	if (!hd_state_dir_check(state_dir, error))
		return NULL;
	return hd_state_lock_open(path, error);
}

/*
 * The lock of one unit (an IOMMU group, or a PF and its VFs), held while
 * changing its devices.  Claims keep other owners off a device, but a PF's
 * VF count is shared by its users, and a release takes no state lock.
 * The files stay: removing a lock file someone waits on would split it.
 */
HdStateLock *
hd_unit_lock_acquire(const char *state_dir, const char *unit, GError **error)
{
	g_autofree gchar *dir = g_build_filename(state_dir, "units", NULL);
	g_autofree gchar *name = g_strdup_printf("%s.lock", unit);
	g_autofree gchar *path = NULL;

	g_strdelimit(name, " /", '-');
	path = g_build_filename(dir, name, NULL);
	if (!hd_state_dir_check(state_dir, error))
		return NULL;
	if (g_mkdir_with_parents(dir, 0700) < 0) {
		hd_error_set_errno(error, errno, "cannot create %s", dir);
		return NULL;
	}
	return hd_state_lock_open(path, error);
}

void
hd_state_lock_set_timeout(guint timeout_ms)
{
	hd_state_lock_timeout_ms = timeout_ms;
}

void
hd_state_lock_release(HdStateLock *lock)
{
	if (lock == NULL)
		return;
	close(lock->fd); /* drops the flock */
	g_free(lock);
}
