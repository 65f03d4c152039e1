/*
 * hd-xend-import.c: xend's legacy PCI policy files as a policy drop-in
 *
 * xend (Xen 3.x to 4.4) read two files each time a domain started with a
 * device on pciback: xend-pci-permissive.sxp, the devices lent in
 * permissive mode, and xend-pci-quirks.sxp, blocks of devices and the
 * config-space fields pciback must let them write.  This turns both into
 *
 *   [pciback]       permissive=vvvv:dddd;vvvv:dddd:ssss:ssss
 *   [quirk LABEL]   devices=...  fields=RRRRRRRR:S:MMMMMMMM;...
 *
 * with the quirk groups in the file's order: xend used the first block
 * that matched a device, and so must the loader, GKeyFile keeping the
 * order of groups.
 *
 * xend's matching rule, and where the import departs from it:
 *  - an id is vendor:device, or vendor:device:subvendor:subdevice where
 *    ffff (or FFFF) in a subsystem field matches anything.  We want
 *    exactly four hex digits per field; xend compared prefixes, so
 *    '14e4:16440' matched 14e4:1644.
 *  - xend compared vendor:device, and subsystem ids other than the
 *    wildcard, case-sensitively against lower-case sysfs values: an
 *    upper-case id never matched.  We accept any case and write lower
 *    case, so such an id now matches; that is what its author meant.
 *  - an id with another number of fields made xend silently stop reading
 *    that list; a field pciback would refuse failed the domain's start.
 *    Both are errors here, naming the file and line, as is anything
 *    xend ignored or crashed on: an unknown item, a block without ids
 *    or fields, a second list where xend read the first.
 *  - a block whose id list is empty never matched: it is left out.  A
 *    block with ids and no fields matched and wrote nothing, hiding later
 *    blocks from those devices: it is kept, with an empty fields=.
 *  - an empty permissive list, as upstream shipped it, writes no [pciback]
 *    group, only a comment saying so: an empty group would look like a
 *    setting where xend had none.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "hd-xend-import.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "hd-error.h"
#include "hd-sxp.h"

/* the highest register pciback's quirks attribute accepts */
#define HD_XEND_REG_MAX 0xfffu

typedef struct {
	gchar *label;
	guint line;
	GPtrArray *devices; /* of normalized ids */
	GPtrArray *fields;  /* of "%08x:%u:%08x" */
} HdXendQuirk;

typedef gchar *(*HdXendParseFunc)(const char *source, const HdSxp *node, GError **error);

static gboolean hd_xend_fail(const char *source, guint line, GError **error, const char *format, ...)
    G_GNUC_PRINTF(4, 5);

/* "FILE:LINE: reason"; always FALSE, for the caller to return */
static gboolean
hd_xend_fail(const char *source, guint line, GError **error, const char *format, ...)
{
	va_list args;

	va_start(args, format);
	hd_error_set_at_valist(error, NULL, source, line, format, args);
	va_end(args);
	return FALSE;
}

static HdXendQuirk *
hd_xend_quirk_new(const char *label, guint line)
{
	HdXendQuirk *quirk = g_new0(HdXendQuirk, 1);

	quirk->label = g_strdup(label);
	quirk->line = line;
	quirk->devices = g_ptr_array_new_with_free_func(g_free);
	quirk->fields = g_ptr_array_new_with_free_func(g_free);
	return quirk;
}

static void
hd_xend_quirk_free(HdXendQuirk *quirk)
{
	g_free(quirk->label);
	g_ptr_array_unref(quirk->devices);
	g_ptr_array_unref(quirk->fields);
	g_free(quirk);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(HdXendQuirk, hd_xend_quirk_free)

/* a word from the file, fit for a one-line message: cut short, escaped */
static gchar *
hd_xend_quote(const char *text)
{
	g_autofree gchar *head = g_strndup(text, 40);
	g_autofree gchar *escaped = g_strescape(head, NULL);

	return g_strdup_printf("'%s%s'", escaped, strlen(text) > 40 ? "..." : "");
}

/* a file name for a comment line: the loader takes UTF-8 only, and no
 * control character may end the line early */
static gchar *
hd_xend_comment_safe(const char *name)
{
	gchar *safe = g_utf8_make_valid(name, -1);

	for (gchar *c = safe; *c != '\0'; c++) {
		if ((guchar)*c < ' ' || *c == 0x7f)
			*c = '?';
	}
	return safe;
}

/* @text as @min to @max hex digits and nothing else: no sign, no 0x */
static gboolean
hd_xend_hex(const char *text, gsize min, gsize max, guint32 *value)
{
	gsize len = strlen(text);

	*value = 0;
	if (len < min || len > max)
		return FALSE;
	for (gsize i = 0; i < len; i++) {
		int digit = g_ascii_xdigit_value(text[i]);

		if (digit < 0)
			return FALSE;
		*value = *value << 4 | (guint32)digit;
	}
	return TRUE;
}

/* an id or a field: an atom or a string, not a list */
static const char *
hd_xend_word(const char *source, const HdSxp *node, const char *what, GError **error)
{
	const char *word = hd_sxp_word(node);

	if (word == NULL)
		hd_xend_fail(source, node->line, error, "expected a quoted %s, found a list", what);
	return word;
}

/* vendor:device[:subvendor:subdevice], lower-cased */
static gchar *
hd_xend_parse_id(const char *source, const HdSxp *node, GError **error)
{
	const char *id = hd_xend_word(source, node, "id", error);
	g_auto(GStrv) parts = NULL;
	g_autofree gchar *quoted = NULL;
	guint count;

	if (id == NULL)
		return NULL;
	quoted = hd_xend_quote(id);
	parts = g_strsplit(id, ":", 5);
	count = g_strv_length(parts);
	if (count != 2 && count != 4) {
		hd_xend_fail(source, node->line, error,
			     "id %s: expected vendor:device or vendor:device:subvendor:subdevice "
			     "(xend stopped reading the list here)",
			     quoted);
		return NULL;
	}
	for (guint i = 0; i < count; i++) {
		guint32 value;

		if (!hd_xend_hex(parts[i], 4, 4, &value)) {
			hd_xend_fail(source, node->line, error, "id %s: field %u is not 4 hex digits", quoted, i + 1);
			return NULL;
		}
	}
	return g_ascii_strdown(id, -1);
}

/* why pciback's quirks attribute would refuse a field (pcistub_reg_add);
 * NULL if it takes it */
static gchar *
hd_xend_field_fault(guint32 reg, guint32 size, guint32 mask)
{
	if (reg > HD_XEND_REG_MAX)
		return g_strdup_printf("register 0x%x is past the 4 KiB config space", reg);
	if (size != 1 && size != 2 && size != 4)
		return g_strdup_printf("size %u, expected 1, 2 or 4 bytes", size);
	if (size < 4 && (mask >> (size * 8)) != 0)
		return g_strdup_printf("mask 0x%x is wider than %u byte%s", mask, size, size == 1 ? "" : "s");
	return NULL;
}

/* register:size:mask, each in hex */
static gchar *
hd_xend_parse_field(const char *source, const HdSxp *node, GError **error)
{
	static const char *const names[] = {"register", "size", "mask"};
	const char *field = hd_xend_word(source, node, "field", error);
	g_auto(GStrv) parts = NULL;
	g_autofree gchar *quoted = NULL;
	g_autofree gchar *fault = NULL;
	guint32 value[3];

	if (field == NULL)
		return NULL;
	quoted = hd_xend_quote(field);
	parts = g_strsplit(field, ":", 4);
	if (g_strv_length(parts) != 3) {
		hd_xend_fail(source, node->line, error, "field %s: expected register:size:mask", quoted);
		return NULL;
	}
	for (guint i = 0; i < 3; i++) {
		if (!hd_xend_hex(parts[i], 1, 8, &value[i])) {
			hd_xend_fail(source, node->line, error, "field %s: the %s is not 1 to 8 hex digits", quoted,
				     names[i]);
			return NULL;
		}
	}
	fault = hd_xend_field_fault(value[0], value[1], value[2]);
	if (fault != NULL) {
		hd_xend_fail(source, node->line, error, "field %s: %s", quoted, fault);
		return NULL;
	}
	return g_strdup_printf("%08x:%u:%08x", value[0], value[1], value[2]);
}

/*
 * The words of (HEAD ('x' 'y' ...)), each through @parse onto @out.
 * (HEAD) alone, its list commented out, is empty, as it was for xend.
 */
static gboolean
hd_xend_collect(const char *source, const HdSxp *node, HdXendParseFunc parse, GPtrArray *out, GError **error)
{
	const char *head = hd_sxp_head(node);
	const HdSxp *list;

	if (node->items->len == 1)
		return TRUE;
	list = g_ptr_array_index(node->items, 1);
	if (list->kind != HD_SXP_LIST)
		return hd_xend_fail(source, list->line, error, "(%s ...) expected a parenthesised list", head);
	if (node->items->len > 2) {
		const HdSxp *extra = g_ptr_array_index(node->items, 2);
		return hd_xend_fail(source, extra->line, error, "(%s ...) holds one list; xend ignored the rest",
				    head);
	}
	for (guint i = 0; i < list->items->len; i++) {
		gchar *value = parse(source, g_ptr_array_index(list->items, i), error);

		if (value == NULL)
			return FALSE;
		g_ptr_array_add(out, value);
	}
	return TRUE;
}

/* (unconstrained_dev_ids ('id' ...)), once */
static gboolean
hd_xend_read_permissive(const HdXendSource *src, GPtrArray *ids, GError **error)
{
	g_autoptr(HdSxp) root = hd_sxp_parse(src->name, src->text, src->len, error);
	const HdSxp *found = NULL;

	if (root == NULL)
		return FALSE;
	for (guint i = 0; i < root->items->len; i++) {
		const HdSxp *node = g_ptr_array_index(root->items, i);

		if (g_strcmp0(hd_sxp_head(node), "unconstrained_dev_ids") != 0)
			return hd_xend_fail(src->name, node->line, error,
					    "expected (unconstrained_dev_ids ('id' ...))");
		if (found != NULL)
			return hd_xend_fail(src->name, node->line, error,
					    "a second (unconstrained_dev_ids ...); xend read only the one on line %u",
					    found->line);
		found = node;
	}
	return found == NULL || hd_xend_collect(src->name, found, hd_xend_parse_id, ids, error);
}

static gboolean
hd_xend_label_valid(const char *label)
{
	if (*label == '\0')
		return FALSE;
	for (const char *c = label; *c != '\0'; c++) {
		if (!g_ascii_isalnum(*c) && *c != '_' && *c != '.' && *c != '-')
			return FALSE;
	}
	return TRUE;
}

/* a block's label: one a group name can hold, not used before */
static gboolean
hd_xend_check_label(const char *source, const HdSxp *block, GPtrArray *quirks, GError **error)
{
	const char *label = hd_sxp_head(block);
	g_autofree gchar *quoted = NULL;

	if (label == NULL)
		return hd_xend_fail(source, block->line, error,
				    "expected a quirk block: (LABEL (pci_ids ...) (pci_config_space_fields ...))");
	quoted = hd_xend_quote(label);
	if (!hd_xend_label_valid(label))
		return hd_xend_fail(source, block->line, error,
				    "quirk label %s: only letters, digits, '_', '.' and '-'", quoted);
	for (guint i = 0; i < quirks->len; i++) {
		const HdXendQuirk *other = g_ptr_array_index(quirks, i);

		if (strcmp(other->label, label) == 0)
			return hd_xend_fail(source, block->line, error, "quirk label %s again; the first is on line %u",
					    quoted, other->line);
	}
	return TRUE;
}

/* a block's (pci_ids ...) and (pci_config_space_fields ...), each once */
static gboolean
hd_xend_quirk_parts(const char *source, const HdSxp *block, const HdSxp **ids, const HdSxp **fields,
		    GError **error)
{
	const char *label = hd_sxp_head(block);

	*ids = *fields = NULL;
	for (guint i = 1; i < block->items->len; i++) {
		const HdSxp *item = g_ptr_array_index(block->items, i);
		const char *head = hd_sxp_head(item);
		const HdSxp **slot = g_strcmp0(head, "pci_ids") == 0			 ? ids
				     : g_strcmp0(head, "pci_config_space_fields") == 0 ? fields
											 : NULL;

		if (slot == NULL)
			return hd_xend_fail(source, item->line, error,
					    "quirk '%s': expected (pci_ids ...) or (pci_config_space_fields ...)",
					    label);
		if (*slot != NULL)
			return hd_xend_fail(source, item->line, error,
					    "quirk '%s': a second (%s ...); xend read only the first", label, head);
		*slot = item;
	}
	if (*ids == NULL || *fields == NULL)
		return hd_xend_fail(source, block->line, error, "quirk '%s' has no (%s ...)", label,
				    *ids == NULL ? "pci_ids" : "pci_config_space_fields");
	return TRUE;
}

static gboolean
hd_xend_read_quirk(const char *source, const HdSxp *block, GPtrArray *quirks, GError **error)
{
	g_autoptr(HdXendQuirk) quirk = NULL;
	const HdSxp *ids;
	const HdSxp *fields;

	if (!hd_xend_check_label(source, block, quirks, error) ||
	    !hd_xend_quirk_parts(source, block, &ids, &fields, error))
		return FALSE;
	quirk = hd_xend_quirk_new(hd_sxp_head(block), block->line);
	if (!hd_xend_collect(source, ids, hd_xend_parse_id, quirk->devices, error) ||
	    !hd_xend_collect(source, fields, hd_xend_parse_field, quirk->fields, error))
		return FALSE;
	g_ptr_array_add(quirks, g_steal_pointer(&quirk));
	return TRUE;
}

static gboolean
hd_xend_read_quirks(const HdXendSource *src, GPtrArray *quirks, GError **error)
{
	g_autoptr(HdSxp) root = hd_sxp_parse(src->name, src->text, src->len, error);

	if (root == NULL)
		return FALSE;
	for (guint i = 0; i < root->items->len; i++) {
		if (!hd_xend_read_quirk(src->name, g_ptr_array_index(root->items, i), quirks, error))
			return FALSE;
	}
	return TRUE;
}

static void
hd_xend_append_list(GString *out, const char *key, GPtrArray *values)
{
	g_string_append_printf(out, "%s=", key);
	for (guint i = 0; i < values->len; i++)
		g_string_append_printf(out, "%s%s", i > 0 ? ";" : "", (const char *)g_ptr_array_index(values, i));
	g_string_append_c(out, '\n');
}

static void
hd_xend_append_quirk(GString *out, const char *quirks_name, const HdXendQuirk *quirk)
{
	if (quirk->devices->len == 0) {
		g_string_append_printf(out, "\n# quirk %s (%s line %u) left out: no ids, xend never matched it\n",
				       quirk->label, quirks_name, quirk->line);
		return;
	}
	g_string_append_printf(out, "\n[quirk %s]\n# from %s line %u\n", quirk->label, quirks_name, quirk->line);
	if (quirk->fields->len == 0)
		g_string_append(out, "# no fields: xend matched these devices and wrote nothing; "
				     "later groups do not apply to them\n");
	hd_xend_append_list(out, "devices", quirk->devices);
	hd_xend_append_list(out, "fields", quirk->fields);
}

static gchar *
hd_xend_format(const HdXendSource *permissive, const HdXendSource *quirks, GPtrArray *ids, GPtrArray *blocks)
{
	g_autoptr(GString) out = g_string_new(NULL);
	g_autofree gchar *permissive_name = hd_xend_comment_safe(permissive->name);
	g_autofree gchar *quirks_name = hd_xend_comment_safe(quirks->name);

	g_string_append_printf(out, "# imported from %s and %s by hostdevctl import-xend\n", permissive_name,
			       quirks_name);
	if (ids->len == 0) {
		g_string_append_printf(out, "# %s lists no device: no [pciback] permissive= here\n", permissive_name);
	} else {
		g_string_append(out, "[pciback]\n"
				     "# devices lent in permissive mode: vendor:device[:subvendor:subdevice]\n");
		hd_xend_append_list(out, "permissive", ids);
	}
	for (guint i = 0; i < blocks->len; i++)
		hd_xend_append_quirk(out, quirks_name, g_ptr_array_index(blocks, i));
	return g_string_free(g_steal_pointer(&out), FALSE);
}

/* the drop-in for two files already read; "NAME:LINE: reason" on error */
gchar *
hd_xend_import_texts(const HdXendSource *permissive, const HdXendSource *quirks, GError **error)
{
	g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GPtrArray) blocks = g_ptr_array_new_with_free_func((GDestroyNotify)hd_xend_quirk_free);

	if (!hd_xend_read_permissive(permissive, ids, error) || !hd_xend_read_quirks(quirks, blocks, error))
		return NULL;
	return hd_xend_format(permissive, quirks, ids, blocks);
}

/* all of @path, if it is no larger than the parser takes */
static gboolean
hd_xend_read_file(const char *path, GString *text, GError **error)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	int errnum = 0;

	if (fd < 0) {
		hd_error_set_errno(error, errno, "%s", path);
		return FALSE;
	}
	/* read to the cap, not stat: a pipe or a growing file has no honest size */
	while (text->len <= HD_SXP_MAX_BYTES) {
		char chunk[8192];
		ssize_t got = read(fd, chunk, sizeof chunk);

		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0) {
			errnum = got < 0 ? errno : 0;
			break;
		}
		g_string_append_len(text, chunk, got);
	}
	close(fd);
	if (errnum != 0) {
		hd_error_set_errno(error, errnum, "%s", path);
		return FALSE;
	}
	if (text->len > HD_SXP_MAX_BYTES) {
		g_set_error(error, HD_ERROR, HD_ERROR_INVALID_DATA, "%s: larger than %u bytes, refused", path,
			    HD_SXP_MAX_BYTES);
		return FALSE;
	}
	return TRUE;
}

/* the drop-in for xend's permissive and quirks files, as text */
gchar *
hd_xend_import(const char *permissive_path, const char *quirks_path, GError **error)
{
	g_autoptr(GString) permissive_text = g_string_new(NULL);
	g_autoptr(GString) quirks_text = g_string_new(NULL);
	HdXendSource permissive = {permissive_path, NULL, 0};
	HdXendSource quirks = {quirks_path, NULL, 0};

	if (!hd_xend_read_file(permissive_path, permissive_text, error) ||
	    !hd_xend_read_file(quirks_path, quirks_text, error))
		return NULL;
	permissive.text = permissive_text->str;
	permissive.len = permissive_text->len;
	quirks.text = quirks_text->str;
	quirks.len = quirks_text->len;
	return hd_xend_import_texts(&permissive, &quirks, error);
}
