/*
 * hd-journal.c: what we changed on the host, written down before we change it
 *
 * The file is JSON, replaced atomically: written to a temporary file,
 * fsync'ed, renamed over the old one, and the directory fsync'ed, so that
 * a crash leaves either the old or the new journal, never half of one.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "hd-journal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "hd-address.h"
#include "hd-error.h"
#include "hd-hook-op.h"
#include "hd-json.h"

#define HD_JOURNAL_VERSION 1

static const char *const hd_journal_steps[] = {
	[HD_JOURNAL_RECORDED] = "recorded",
	[HD_JOURNAL_PROVISION] = "provision",
	[HD_JOURNAL_SET_OVERRIDE] = "set-override",
	[HD_JOURNAL_UNBIND] = "unbind",
	[HD_JOURNAL_PROBE] = "probe",
	[HD_JOURNAL_BOUND] = "bound",
	[HD_JOURNAL_CONFIGURE] = "configure",
	[HD_JOURNAL_CONFIGURED] = "configured",
};

const char *
hd_journal_step_to_string(HdJournalStep step)
{
	return hd_journal_steps[step];
}

gboolean
hd_journal_entry_is_settled(const HdJournalEntry *entry)
{
	return entry->step == HD_JOURNAL_BOUND || entry->step == HD_JOURNAL_CONFIGURED;
}

static void
hd_journal_entry_free(HdJournalEntry *entry)
{
	g_free(entry->address);
	g_free(entry->original_driver);
	g_free(entry->original_override);
	g_free(entry->target_driver);
	g_free(entry->plugin);
	g_free(entry);
}

void
hd_journal_free(HdJournal *journal)
{
	if (journal == NULL)
		return;
	g_free(journal->path);
	g_free(journal->domain);
	g_free(journal->uuid);
	g_ptr_array_unref(journal->entries);
	g_free(journal);
}

/* the name rule and the path are the front's too (hd-hook-op.c) */
static HdJournal *
hd_journal_new(const char *state_dir, const char *domain, GError **error)
{
	char path[PATH_MAX];
	HdJournal *journal;

	if (!hd_journal_path(state_dir, domain, path, sizeof(path))) {
		g_set_error(error, HD_ERROR, HD_ERROR_INVALID_DATA,
			    "domain name '%s' cannot name a journal file", domain != NULL ? domain : "");
		return NULL;
	}
	journal = g_new0(HdJournal, 1);
	journal->path = g_strdup(path);
	journal->domain = g_strdup(domain);
	journal->entries = g_ptr_array_new_with_free_func((GDestroyNotify)hd_journal_entry_free);
	return journal;
}

static const char *
hd_json_string(JsonObject *object, const char *member)
{
	JsonNode *node = json_object_get_member(object, member);

	if (node == NULL || JSON_NODE_HOLDS_NULL(node) || json_node_get_value_type(node) != G_TYPE_STRING)
		return NULL;
	return json_node_get_string(node);
}

static gboolean
hd_journal_parse_step(const char *text, HdJournalStep *out)
{
	for (guint i = 0; i < G_N_ELEMENTS(hd_journal_steps); i++) {
		if (g_strcmp0(text, hd_journal_steps[i]) == 0) {
			*out = (HdJournalStep)i;
			return TRUE;
		}
	}
	return FALSE;
}

/*
 * The engine writes canonical addresses and drivers' names, each one path
 * component.  Anything else would send restore's writes elsewhere under
 * the sysfs root, or fail them forever, and an address spelt another way
 * would hide the device from the owners check.
 */
static gboolean
hd_journal_check_entry(JsonObject *object, const char *address, GError **error)
{
	static const char *const drivers[] = {"original_driver", "target_driver"};
	char canonical[HD_ADDRESS_STRLEN] = "";
	HdAddress addr;

	if (hd_address_parse_bdf(address, &addr, NULL))
		hd_address_format(&addr, canonical);
	if (strcmp(canonical, address) != 0) {
		g_set_error(error, HD_ERROR, HD_ERROR_INVALID_DATA,
			    "a device entry's address '%s' is not a PCI address in DDDD:BB:DD.F form", address);
		return FALSE;
	}
	for (guint i = 0; i < G_N_ELEMENTS(drivers); i++) {
		const char *name = hd_json_string(object, drivers[i]);

		if (name != NULL && (*name == '\0' || strchr(name, '/') != NULL || strcmp(name, ".") == 0 ||
				     strcmp(name, "..") == 0)) {
			g_set_error(error, HD_ERROR, HD_ERROR_INVALID_DATA, "%s: %s '%s' is not a driver's name",
				    address, drivers[i], name);
			return FALSE;
		}
	}
	return TRUE;
}

static gboolean
hd_journal_parse_entry(HdJournal *journal, JsonNode *node, GError **error)
{
	JsonObject *object = JSON_NODE_HOLDS_OBJECT(node) ? json_node_get_object(node) : NULL;
	const char *address = object != NULL ? hd_json_string(object, "address") : NULL;
	const char *target = object != NULL ? hd_json_string(object, "target_driver") : NULL;
	const char *plugin;
	HdJournalEntry *entry;
	HdJournalStep step;

	if (address == NULL || target == NULL ||
	    !hd_journal_parse_step(hd_json_string(object, "step"), &step)) {
		g_set_error_literal(error, HD_ERROR, HD_ERROR_INVALID_DATA,
				    "a device entry lacks its address, target_driver or step");
		return FALSE;
	}
	if (!hd_journal_check_entry(object, address, error))
		return FALSE;
	/* "plugin" may be absent: the vfio-pci plugin was the only one to bind */
	plugin = hd_json_string(object, "plugin");
	entry = hd_journal_add(journal, address, hd_json_string(object, "original_driver"),
			       hd_json_string(object, "original_override"), target,
			       plugin != NULL ? plugin : "vfio-pci",
			       json_object_get_boolean_member_with_default(object, "found_bound", FALSE));
	entry->step = step;
	return TRUE;
}

static gboolean
hd_journal_parse(HdJournal *journal, const char *contents, gsize len, GError **error)
{
	g_autoptr(JsonParser) parser = json_parser_new();
	g_autoptr(GError) local = NULL;
	JsonNode *top;
	JsonObject *root;
	JsonArray *devices;

	if (!json_parser_load_from_data(parser, contents, (gssize)len, &local)) {
		g_set_error(error, HD_ERROR, HD_ERROR_INVALID_DATA, "not valid JSON: %s", local->message);
		return FALSE;
	}
	/* an empty or blank file parses, to no root at all */
	top = json_parser_get_root(parser);
	root = top != NULL && JSON_NODE_HOLDS_OBJECT(top) ? json_node_get_object(top) : NULL;
	devices = root != NULL && json_object_has_member(root, "devices") &&
			  JSON_NODE_HOLDS_ARRAY(json_object_get_member(root, "devices"))
		      ? json_object_get_array_member(root, "devices")
		      : NULL;
	if (devices == NULL || json_object_get_int_member_with_default(root, "version", 0) != HD_JOURNAL_VERSION) {
		g_set_error_literal(error, HD_ERROR, HD_ERROR_INVALID_DATA,
				    "not a version 1 journal with a devices array");
		return FALSE;
	}
	journal->uuid = g_strdup(hd_json_string(root, "uuid"));
	for (guint i = 0; i < json_array_get_length(devices); i++) {
		if (!hd_journal_parse_entry(journal, json_array_get_element(devices, i), error))
			return FALSE;
	}
	return TRUE;
}

/* a domain without a journal file has nothing recorded: an empty journal */
HdJournal *
hd_journal_load(const char *state_dir, const char *domain, GError **error)
{
	g_autoptr(HdJournal) journal = NULL;
	g_autofree gchar *contents = NULL;
	g_autoptr(GError) local = NULL;
	gsize len = 0;

	journal = hd_journal_new(state_dir, domain, error);
	if (journal == NULL)
		return NULL;
	if (!g_file_get_contents(journal->path, &contents, &len, &local)) {
		if (g_error_matches(local, G_FILE_ERROR, G_FILE_ERROR_NOENT))
			return g_steal_pointer(&journal);
		g_set_error(error, HD_ERROR, HD_ERROR_FAILED, "journal %s: %s", journal->path, local->message);
		return NULL;
	}
	if (!hd_journal_parse(journal, contents, len, error)) {
		g_prefix_error(error, "journal %s: ", journal->path);
		return NULL;
	}
	return g_steal_pointer(&journal);
}

/* every domain's journal; a damaged one is an error, not an empty one,
 * because it may be all that says a device is lent out */
GPtrArray *
hd_journal_load_all(const char *state_dir, GError **error)
{
	g_autoptr(GPtrArray) journals = g_ptr_array_new_with_free_func((GDestroyNotify)hd_journal_free);
	g_autoptr(GError) local = NULL;
	g_autoptr(GDir) dir = g_dir_open(state_dir, 0, &local);
	const char *name;

	if (dir == NULL) {
		if (g_error_matches(local, G_FILE_ERROR, G_FILE_ERROR_NOENT))
			return g_steal_pointer(&journals);
		g_set_error(error, HD_ERROR, HD_ERROR_FAILED, "state directory %s: %s", state_dir, local->message);
		return NULL;
	}
	while ((name = g_dir_read_name(dir)) != NULL) {
		g_autofree gchar *domain = NULL;
		HdJournal *journal;

		if (!g_str_has_suffix(name, HD_JOURNAL_SUFFIX) || name[0] == '.')
			continue;
		domain = g_strndup(name, strlen(name) - strlen(HD_JOURNAL_SUFFIX));
		journal = hd_journal_load(state_dir, domain, error);
		if (journal == NULL)
			return NULL;
		g_ptr_array_add(journals, journal);
	}
	return g_steal_pointer(&journals);
}

static gchar *
hd_journal_to_json(HdJournal *journal)
{
	g_autoptr(JsonBuilder) builder = json_builder_new();

	json_builder_begin_object(builder);
	json_builder_set_member_name(builder, "version");
	json_builder_add_int_value(builder, HD_JOURNAL_VERSION);
	hd_json_add_string(builder, "domain", journal->domain);
	hd_json_add_string(builder, "uuid", journal->uuid);
	json_builder_set_member_name(builder, "devices");
	json_builder_begin_array(builder);
	for (guint i = 0; i < journal->entries->len; i++) {
		HdJournalEntry *entry = g_ptr_array_index(journal->entries, i);

		json_builder_begin_object(builder);
		hd_json_add_string(builder, "address", entry->address);
		hd_json_add_string(builder, "original_driver", entry->original_driver);
		hd_json_add_string(builder, "original_override", entry->original_override);
		hd_json_add_string(builder, "target_driver", entry->target_driver);
		hd_json_add_string(builder, "plugin", entry->plugin);
		hd_json_add_bool(builder, "found_bound", entry->found_bound);
		hd_json_add_string(builder, "step", hd_journal_step_to_string(entry->step));
		json_builder_end_object(builder);
	}
	json_builder_end_array(builder);
	json_builder_end_object(builder);
	return hd_json_to_data(builder);
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
	g_set_error(error, HD_ERROR, hd_error_from_errno(errnum), "cannot sync %s: %s", dir, g_strerror(errnum));
	return FALSE;
}

/* an empty journal is removed: no file means nothing is lent out */
gboolean
hd_journal_save(HdJournal *journal, GError **error)
{
	g_autofree gchar *json = NULL;
	g_autoptr(GError) local = NULL;

	if (journal->entries->len == 0) {
		if (unlink(journal->path) < 0 && errno != ENOENT) {
			int errnum = errno;
			g_set_error(error, HD_ERROR, hd_error_from_errno(errnum), "cannot remove %s: %s",
				    journal->path, g_strerror(errnum));
			return FALSE;
		}
		return hd_journal_sync_dir(journal->path, error);
	}
	json = hd_journal_to_json(journal);
	if (!g_file_set_contents_full(journal->path, json, -1,
				      G_FILE_SET_CONTENTS_CONSISTENT | G_FILE_SET_CONTENTS_DURABLE, 0600,
				      &local)) {
		g_set_error(error, HD_ERROR, HD_ERROR_FAILED, "cannot write journal: %s", local->message);
		return FALSE;
	}
	return hd_journal_sync_dir(journal->path, error);
}

HdJournalEntry *
hd_journal_add(HdJournal *journal,
	       const char *address,
	       const char *original_driver,
	       const char *original_override,
	       const char *target_driver,
	       const char *plugin,
	       gboolean found_bound)
{
	HdJournalEntry *entry = g_new0(HdJournalEntry, 1);

	entry->address = g_strdup(address);
	entry->original_driver = g_strdup(original_driver);
	entry->original_override = g_strdup(original_override);
	entry->target_driver = g_strdup(target_driver);
	entry->plugin = g_strdup(plugin);
	entry->found_bound = found_bound;
	entry->step = found_bound ? HD_JOURNAL_BOUND : HD_JOURNAL_RECORDED;
	g_ptr_array_add(journal->entries, entry);
	return entry;
}

HdJournalEntry *
hd_journal_find(HdJournal *journal, const char *address)
{
	for (guint i = 0; i < journal->entries->len; i++) {
		HdJournalEntry *entry = g_ptr_array_index(journal->entries, i);
		if (g_strcmp0(entry->address, address) == 0)
			return entry;
	}
	return NULL;
}

void
hd_journal_remove(HdJournal *journal, HdJournalEntry *entry)
{
	g_ptr_array_remove(journal->entries, entry);
}

/* ---- the lock ---------------------------------------------------------- */

struct _HdStateLock {
	int fd;
};

/*
 * One lock for the whole state directory, held from the first check to the
 * last journal write: two domains asking for the same device must see each
 * other's journal, and an IOMMU group spans domains' requests.
 */
HdStateLock *
hd_state_lock_acquire(const char *state_dir, GError **error)
{
	g_autofree gchar *path = g_build_filename(state_dir, "lock", NULL);
	HdStateLock *lock;
	int fd;
	int rc;

	/* 0700: which devices are lent to which domain is nobody else's business */
	if (g_mkdir_with_parents(state_dir, 0700) < 0) {
		int errnum = errno;
		g_set_error(error, HD_ERROR, hd_error_from_errno(errnum), "cannot create state directory %s: %s",
			    state_dir, g_strerror(errnum));
		return NULL;
	}
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		int errnum = errno;
		g_set_error(error, HD_ERROR, hd_error_from_errno(errnum), "cannot open %s: %s", path, g_strerror(errnum));
		return NULL;
	}
	do {
		rc = flock(fd, LOCK_EX);
	} while (rc < 0 && errno == EINTR);
	if (rc < 0) {
		int errnum = errno;
		close(fd);
		g_set_error(error, HD_ERROR, hd_error_from_errno(errnum), "cannot lock %s: %s", path, g_strerror(errnum));
		return NULL;
	}
	lock = g_new0(HdStateLock, 1);
	lock->fd = fd;
	return lock;
}

void
hd_state_lock_release(HdStateLock *lock)
{
	if (lock == NULL)
		return;
	close(lock->fd); /* drops the flock */
	g_free(lock);
}
