/*
 * hd-policy.c: the administrator's rules for what the hook may do
 *
 * The defaults live here and only here; policies/policy.conf documents them
 * and a test keeps the two in step.  A policy is GKeyFile text:
 *
 *   [drivers]  kvm=vfio-pci  xen=pciback
 *   [bind]     timeout-ms=5000
 *   [vfio]     variant-drivers=true
 *   [protect]  devices=0000:00:1f.2;0000:02:00.0
 *   [pciback]  permissive=14e4:1644;8086:10d3:8086:a01f
 *   [allow]    devices=BDF;...  ids=vvvv:dddd;...  classes=0x0c03;0x010601
 *   [deny]     the same keys
 *   [boot]     devices= ids= classes= (as [allow])  vfs=0000:03:00.0=4;...  hypervisor=auto
 *   [quirk LABEL]  devices=vvvv:dddd;...  fields=REG:SIZE:MASK;...
 *
 * read from the main file, then from every *.conf in the drop-in
 * directories, by name (a name in a later directory hides the same name in
 * an earlier one; a link to /dev/null hides it and reads nothing).  A later
 * file replaces a scalar and extends a list; a [quirk LABEL] replaces the
 * earlier group of its label where that stood, a new label goes after the
 * others, and the first group whose devices match a device applies.
 *
 * The policy guards the host's own disk and network, so it fails closed.
 * GKeyFile drops what it cannot read without a word (a list with a stray
 * backslash reads as no list, a group whose name is not UTF-8 as no group,
 * a key given twice as its last value), so each file is first scanned here
 * line by line: anything but UTF-8 text of known groups and keys, each key
 * once, is an error naming the file and line, and so is any value GKeyFile
 * cannot decode.  A file or directory that anyone but root may write is
 * refused before it is read.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "hd-policy.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hd-config.h"
#include "hd-error.h"
#include "hd-names.h"
#include "hd-testing.h"

#define HD_POLICY_DEFAULT_KVM "vfio-pci"
#define HD_POLICY_DEFAULT_XEN "pciback"
#define HD_POLICY_DEFAULT_TIMEOUT_MS 5000
#define HD_POLICY_BIND_TIMEOUT_MAX_MS 60000u
/* far beyond any real policy: only a bound on what a stray file costs */
#define HD_POLICY_FILE_MAX (1024 * 1024)

static const HdPolicyLoadOptions hd_policy_default_options = {.owner = 0};

/* "policy FILE:LINE: ...", or "policy FILE: ..." for @line 0 */
static gboolean G_GNUC_PRINTF(4, 5)
hd_policy_fail(GError **error, const char *path, guint line, const char *format, ...)
{
	va_list args;

	va_start(args, format);
	hd_error_set_at_valist(error, "policy", path, line, format, args);
	va_end(args);
	return FALSE;
}

/* ---- values: addresses, ids, classes, quirk fields ------------------------ */

static gboolean
hd_parse_hex(const char *text, guint digits, guint64 max, guint64 *out)
{
	gsize len = text != NULL ? strlen(text) : 0;

	/* every character a digit: strtoull alone would take "0x12" or " 12" */
	if (len == 0 || strspn(text, "0123456789abcdefABCDEF") != len || (digits > 0 && len != digits))
		return FALSE;
	*out = g_ascii_strtoull(text, NULL, 16);
	return *out <= max;
}

/* exactly as pciback and xend spell them: four hex digits each */
gboolean
hd_id_match_parse(const char *text, HdIdMatch *out, GError **error)
{
	g_auto(GStrv) parts = g_strsplit(text, ":", -1);
	guint n = g_strv_length(parts);
	guint64 v[4] = {0};

	for (guint i = 0; i < n && (n == 2 || n == 4); i++) {
		if (!hd_parse_hex(parts[i], 4, 0xffff, &v[i]))
			n = 0;
	}
	if (n != 2 && n != 4) {
		g_set_error(error, HD_ERROR, HD_ERROR_INVALID_DATA,
			    "'%s' is not vendor:device[:subvendor:subdevice] in hex", text);
		return FALSE;
	}
	out->vendor = (guint16)v[0];
	out->device = (guint16)v[1];
	out->has_subsystem = n == 4;
	out->subvendor = (guint16)v[2];
	out->subdevice = (guint16)v[3];
	return TRUE;
}

/* pciback's own limits (pcistub_reg_add): REG <= 0xfff, SIZE 1, 2 or 4,
 * MASK no wider than SIZE */
gboolean
hd_quirk_field_parse(const char *text, HdQuirkField *out, GError **error)
{
	g_auto(GStrv) parts = g_strsplit(text, ":", -1);
	guint64 reg = 0;
	guint64 mask = 0;
	guint64 size = 0;

	if (g_strv_length(parts) != 3 || !hd_parse_hex(parts[0], 0, G_MAXUINT32, &reg) ||
	    !hd_parse_hex(parts[1], 0, 4, &size) || !hd_parse_hex(parts[2], 0, G_MAXUINT32, &mask)) {
		g_set_error(error, HD_ERROR, HD_ERROR_INVALID_DATA, "'%s' is not REG:SIZE:MASK in hex", text);
		return FALSE;
	}
	if (reg > 0xfff || (size != 1 && size != 2 && size != 4) || (size < 4 && (mask >> (size * 8)) != 0)) {
		g_set_error(error, HD_ERROR, HD_ERROR_INVALID_DATA,
			    "'%s': pciback takes a register up to 0xfff, a size of 1, 2 or 4 bytes, "
			    "and a mask that fits the size", text);
		return FALSE;
	}
	out->reg = (guint)reg;
	out->size = (guint)size;
	out->mask = (guint32)mask;
	return TRUE;
}

/* "0xCCSS" (class and subclass) or "0xCCSSPP" (and programming interface),
 * the digits lspci -n and sysfs's class file show */
static gboolean
hd_class_parse(const char *text, HdPolicyMatch *out, GError **error)
{
	gboolean prefixed = g_ascii_strncasecmp(text, "0x", 2) == 0;
	guint64 value = 0;

	if (prefixed && hd_parse_hex(text + 2, 4, 0xffff, &value)) {
		out->has_prog_if = FALSE;
	} else if (prefixed && hd_parse_hex(text + 2, 6, 0xffffff, &value)) {
		out->has_prog_if = TRUE;
	} else {
		g_set_error(error, HD_ERROR, HD_ERROR_INVALID_DATA,
			    "'%s' is not a PCI class: 0xCCSS (class, subclass) or 0xCCSSPP (and prog-if) in hex",
			    text);
		return FALSE;
	}
	out->class_code = (guint32)value;
	return TRUE;
}

/* letters, digits, '_', '.' and '-': what hostdevctl import-xend writes */
static gboolean
hd_quirk_label_valid(const char *label)
{
	gsize len = strlen(label);

	return len > 0 && strspn(label, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") == len;
}

/* ---- the parts of a policy --------------------------------------------------- */

static HdQuirk *
hd_quirk_new(const char *label, const char *file, guint line)
{
	HdQuirk *quirk = g_new0(HdQuirk, 1);

	quirk->label = g_strdup(label);
	quirk->devices = g_array_new(FALSE, FALSE, sizeof(HdIdMatch));
	quirk->fields = g_array_new(FALSE, FALSE, sizeof(HdQuirkField));
	quirk->file = g_strdup(file);
	quirk->line = line;
	return quirk;
}

static void
hd_quirk_free(HdQuirk *quirk)
{
	g_free(quirk->label);
	g_free(quirk->file);
	g_array_unref(quirk->devices);
	g_array_unref(quirk->fields);
	g_free(quirk);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(HdQuirk, hd_quirk_free)

static void
hd_policy_match_free(HdPolicyMatch *match)
{
	g_free(match->text);
	g_free(match->file);
	g_free(match);
}

static void
hd_boot_vfs_free(HdBootVfs *vfs)
{
	g_free(vfs->text);
	g_free(vfs->file);
	g_free(vfs);
}

static HdPolicySetting *
hd_policy_setting_new(const char *group, const char *key, const char *value, const char *file, guint line)
{
	HdPolicySetting *setting = g_new0(HdPolicySetting, 1);

	setting->group = g_strdup(group);
	setting->key = g_strdup(key);
	setting->value = g_strdup(value);
	setting->file = g_strdup(file);
	setting->line = line;
	return setting;
}

static void
hd_policy_setting_free(HdPolicySetting *setting)
{
	g_free(setting->group);
	g_free(setting->key);
	g_free(setting->value);
	g_free(setting->file);
	g_free(setting);
}

/* the index of the last setting of [@group] @key; -1: none */
static gint
hd_policy_setting_last(const HdPolicy *policy, const char *group, const char *key)
{
	gint last = -1;

	for (guint i = 0; i < policy->settings->len; i++) {
		const HdPolicySetting *setting = g_ptr_array_index(policy->settings, i);

		if (g_str_equal(setting->group, group) && g_str_equal(setting->key, key))
			last = (gint)i;
	}
	return last;
}

/* ---- one file: its keys, and the line of each -------------------------------- */

typedef struct {
	const char *path;
	GKeyFile *keys;
	GHashTable *lines; /* "GROUP" and "GROUP\nKEY" -> line, as first seen */
} HdPolicySource;

static void
hd_policy_source_clear(HdPolicySource *src)
{
	g_clear_pointer(&src->keys, g_key_file_unref);
	g_clear_pointer(&src->lines, g_hash_table_unref);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(HdPolicySource, hd_policy_source_clear)

static guint
hd_policy_source_line(const HdPolicySource *src, const char *group, const char *key)
{
	g_autofree gchar *id = key != NULL ? g_strdup_printf("%s\n%s", group, key) : g_strdup(group);

	return GPOINTER_TO_UINT(g_hash_table_lookup(src->lines, id));
}

/* one value being applied: [@group] @key of @src, on @line */
typedef struct {
	HdPolicy *policy;
	const HdPolicySource *src;
	const char *group;
	const char *key;
	guint line;
	HdQuirk *quirk; /* the group's, in a [quirk LABEL] */
} HdPolicyValue;

/* a later file's scalar replaces the earlier one, in the settings too */
static void
hd_policy_record_scalar(const HdPolicyValue *v, const char *value)
{
	gint last = hd_policy_setting_last(v->policy, v->group, v->key);
	HdPolicySetting *setting = hd_policy_setting_new(v->group, v->key, value, v->src->path, v->line);

	g_key_file_set_string(v->policy->file, v->group, v->key, value);
	if (last < 0) {
		g_ptr_array_add(v->policy->settings, setting);
		return;
	}
	hd_policy_setting_free(g_ptr_array_index(v->policy->settings, last));
	g_ptr_array_index(v->policy->settings, last) = setting;
}

/* a list item goes after the list's others, or in place of "empty" */
static void
hd_policy_record_item(const HdPolicyValue *v, const char *item)
{
	gint last = hd_policy_setting_last(v->policy, v->group, v->key);
	HdPolicySetting *setting = hd_policy_setting_new(v->group, v->key, item, v->src->path, v->line);
	HdPolicySetting *previous = last >= 0 ? g_ptr_array_index(v->policy->settings, last) : NULL;

	if (previous != NULL && previous->value == NULL) {
		hd_policy_setting_free(previous);
		g_ptr_array_index(v->policy->settings, last) = setting;
		return;
	}
	g_ptr_array_insert(v->policy->settings, last >= 0 ? last + 1 : -1, setting);
}

/* ---- the settings, one function each ------------------------------------------ */

typedef gboolean (*HdPolicyApply)(const HdPolicyValue *v, const char *value, GError **error);

static gboolean
hd_policy_apply_driver(const HdPolicyValue *v, const char *value, GError **error)
{
	gchar **stub = g_str_equal(v->key, "kvm") ? &v->policy->kvm_stub : &v->policy->xen_stub;

	if (!hd_driver_name_check(value, "", error))
		return FALSE;
	g_free(*stub);
	*stub = g_strdup(value);
	return TRUE;
}

static gboolean
hd_policy_apply_timeout(const HdPolicyValue *v, const char *value, GError **error)
{
	guint64 ms = 0;

	if (!g_ascii_string_to_unsigned(value, 10, 1, HD_POLICY_BIND_TIMEOUT_MAX_MS, &ms, NULL)) {
		g_set_error(error, HD_ERROR, HD_ERROR_INVALID_DATA, "expected 1 to %u milliseconds",
			    HD_POLICY_BIND_TIMEOUT_MAX_MS);
		return FALSE;
	}
	v->policy->bind_timeout_ms = (guint)ms;
	return TRUE;
}

/* what g_key_file_get_boolean() takes, so that the plugins read it back */
static gboolean
hd_policy_apply_boolean(const HdPolicyValue *v, const char *value, GError **error)
{
	static const char *const accepted[] = {"true", "false", "1", "0", NULL};

	if (g_strv_contains(accepted, value))
		return TRUE;
	g_set_error_literal(error, HD_ERROR, HD_ERROR_INVALID_DATA, "expected true or false");
	return FALSE;
}

static gboolean
hd_policy_apply_protect(const HdPolicyValue *v, const char *item, GError **error)
{
	HdAddress addr;

	if (!hd_address_parse_bdf(item, &addr, error))
		return FALSE;
	g_array_append_val(v->policy->protected_devices, addr);
	return TRUE;
}

static gboolean
hd_policy_apply_permissive(const HdPolicyValue *v, const char *item, GError **error)
{
	HdIdMatch match;

	if (!hd_id_match_parse(item, &match, error))
		return FALSE;
	g_array_append_val(v->policy->permissive_ids, match);
	return TRUE;
}

/* [drivers] allow: host drivers a domain may name besides the stubs */
static gboolean
hd_policy_apply_allowed_driver(const HdPolicyValue *v, const char *item, GError **error)
{
	if (!hd_driver_name_check(item, "", error))
		return FALSE;
	g_ptr_array_add(v->policy->allowed_drivers, g_strdup(item));
	return TRUE;
}

/* the list [allow], [deny] or [boot] collect their matches in */
static GPtrArray *
hd_policy_match_list(const HdPolicyValue *v)
{
	if (g_str_equal(v->group, "allow"))
		return v->policy->allow;
	if (g_str_equal(v->group, "deny"))
		return v->policy->deny;
	return v->policy->boot_bind;
}

/* [allow], [deny] and [boot]: devices=, ids= or classes= */
static gboolean
hd_policy_apply_match(const HdPolicyValue *v, const char *item, GError **error)
{
	HdPolicyMatch match = {0};
	gboolean ok;

	if (g_str_equal(v->key, "devices")) {
		match.kind = HD_POLICY_MATCH_ADDRESS;
		ok = hd_address_parse_bdf(item, &match.address, error);
	} else if (g_str_equal(v->key, "ids")) {
		match.kind = HD_POLICY_MATCH_IDS;
		ok = hd_id_match_parse(item, &match.ids, error);
	} else {
		match.kind = HD_POLICY_MATCH_CLASS;
		ok = hd_class_parse(item, &match, error);
	}
	if (!ok)
		return FALSE;
	match.text = g_strdup(item);
	match.file = g_strdup(v->src->path);
	match.line = v->line;
	g_ptr_array_add(hd_policy_match_list(v), g_memdup2(&match, sizeof(match)));
	return TRUE;
}

/* [boot] vfs=BDF=COUNT: each PF once in the whole merged policy, since two
 * counts for one PF could only be a mistake */
static gboolean
hd_policy_apply_boot_vfs(const HdPolicyValue *v, const char *item, GError **error)
{
	const char *equals = strrchr(item, '=');
	g_autofree gchar *bdf = equals != NULL ? g_strndup(item, equals - item) : NULL;
	g_autofree gchar *number = equals != NULL ? g_strstrip(g_strdup(equals + 1)) : NULL;
	HdBootVfs vfs = {0};
	guint64 count = 0;

	if (bdf == NULL || !hd_address_parse_bdf(g_strstrip(bdf), &vfs.pf, NULL) ||
	    !g_ascii_string_to_unsigned(number, 10, 1, G_MAXUINT16, &count, NULL)) {
		g_set_error(error, HD_ERROR, HD_ERROR_INVALID_DATA,
			    "'%s' is not PF=COUNT: a DDDD:BB:DD.F address, '=', and 1 to 65535 virtual functions",
			    item);
		return FALSE;
	}
	for (guint i = 0; i < v->policy->boot_vfs->len; i++) {
		const HdBootVfs *earlier = g_ptr_array_index(v->policy->boot_vfs, i);

		if (hd_address_equal(&earlier->pf, &vfs.pf)) {
			g_set_error(error, HD_ERROR, HD_ERROR_INVALID_DATA,
				    "'%s': this PF already has a count (%s:%u: %s); give each PF once", item,
				    earlier->file, earlier->line, earlier->text);
			return FALSE;
		}
	}
	vfs.count = (guint)count;
	vfs.text = g_strdup(item);
	vfs.file = g_strdup(v->src->path);
	vfs.line = v->line;
	g_ptr_array_add(v->policy->boot_vfs, g_memdup2(&vfs, sizeof(vfs)));
	return TRUE;
}

static gboolean
hd_policy_apply_boot_hypervisor(const HdPolicyValue *v, const char *value, GError **error)
{
	static const char *const names[] = {"auto", "kvm", "xen", NULL};

	for (guint i = 0; names[i] != NULL; i++) {
		if (g_str_equal(value, names[i])) {
			v->policy->boot_hypervisor = (HdBootHypervisor)i;
			return TRUE;
		}
	}
	g_set_error_literal(error, HD_ERROR, HD_ERROR_INVALID_DATA,
			    "expected auto (a Xen dom0 gets pciback, any other host vfio-pci), kvm or xen");
	return FALSE;
}

static gboolean
hd_policy_apply_quirk_device(const HdPolicyValue *v, const char *item, GError **error)
{
	HdIdMatch match;

	if (!hd_id_match_parse(item, &match, error))
		return FALSE;
	g_array_append_val(v->quirk->devices, match);
	return TRUE;
}

static gboolean
hd_policy_apply_quirk_field(const HdPolicyValue *v, const char *item, GError **error)
{
	HdQuirkField field;

	if (!hd_quirk_field_parse(item, &field, error))
		return FALSE;
	g_array_append_val(v->quirk->fields, field);
	return TRUE;
}

/*
 * Every key a policy may hold; anything else is an error.  A plugin with a
 * setting of its own adds it here.  A scalar has its default; a list has
 * none (NULL) and starts empty.  "quirk" stands for every [quirk LABEL].
 */
typedef struct {
	const char *group;
	const char *key;
	const char *default_value;
	HdPolicyApply apply;
} HdPolicyKey;

static const HdPolicyKey hd_policy_keys[] = {
	{"drivers", "kvm", HD_POLICY_DEFAULT_KVM, hd_policy_apply_driver},
	{"drivers", "xen", HD_POLICY_DEFAULT_XEN, hd_policy_apply_driver},
	{"drivers", "allow", NULL, hd_policy_apply_allowed_driver},
	{"bind", "timeout-ms", G_STRINGIFY(HD_POLICY_DEFAULT_TIMEOUT_MS), hd_policy_apply_timeout},
	/* the vfio plugin's; it reads it with hd_policy_get_boolean() */
	{"vfio", "variant-drivers", "true", hd_policy_apply_boolean},
	{"protect", "devices", NULL, hd_policy_apply_protect},
	{"pciback", "permissive", NULL, hd_policy_apply_permissive},
	{"allow", "devices", NULL, hd_policy_apply_match},
	{"allow", "ids", NULL, hd_policy_apply_match},
	{"allow", "classes", NULL, hd_policy_apply_match},
	{"deny", "devices", NULL, hd_policy_apply_match},
	{"deny", "ids", NULL, hd_policy_apply_match},
	{"deny", "classes", NULL, hd_policy_apply_match},
	/* boot-time binding: `hostdevctl boot` */
	{"boot", "hypervisor", "auto", hd_policy_apply_boot_hypervisor},
	{"boot", "devices", NULL, hd_policy_apply_match},
	{"boot", "ids", NULL, hd_policy_apply_match},
	{"boot", "classes", NULL, hd_policy_apply_match},
	{"boot", "vfs", NULL, hd_policy_apply_boot_vfs},
	{"quirk", "devices", NULL, hd_policy_apply_quirk_device},
	{"quirk", "fields", NULL, hd_policy_apply_quirk_field},
};

static const char hd_policy_groups_hint[] =
    "the groups are [drivers], [bind], [vfio], [protect], [pciback], [allow], [deny], [boot] and "
    "[quirk LABEL], LABEL of letters, digits, '_', '.' and '-'";

/* @key's entry, or with @key NULL the group's first; NULL: unknown */
static const HdPolicyKey *
hd_policy_key_find(const char *group, const char *key)
{
	const char *table_group = g_str_has_prefix(group, "quirk ") ? "quirk" : group;

	for (guint i = 0; i < G_N_ELEMENTS(hd_policy_keys); i++) {
		const HdPolicyKey *entry = &hd_policy_keys[i];

		if (g_str_equal(entry->group, table_group) && (key == NULL || g_str_equal(entry->key, key)))
			return entry;
	}
	return NULL;
}

static gboolean
hd_policy_group_known(const char *group)
{
	if (g_str_has_prefix(group, "quirk "))
		return hd_quirk_label_valid(group + strlen("quirk "));
	return !g_str_equal(group, "quirk") && hd_policy_key_find(group, NULL) != NULL;
}

/* "devices=, ids= and classes=" */
static gchar *
hd_policy_group_keys(const char *group)
{
	const char *table_group = g_str_has_prefix(group, "quirk ") ? "quirk" : group;
	g_autoptr(GString) keys = g_string_new(NULL);

	for (guint i = 0; i < G_N_ELEMENTS(hd_policy_keys); i++) {
		if (!g_str_equal(hd_policy_keys[i].group, table_group))
			continue;
		if (keys->len > 0)
			g_string_append(keys, ", ");
		g_string_append_printf(keys, "%s=", hd_policy_keys[i].key);
	}
	return g_string_free(g_steal_pointer(&keys), FALSE);
}

/* ---- the scan: every line known, every key once ------------------------------- */

static gboolean
hd_policy_scan_group(HdPolicySource *src, const char *text, guint line, gchar **group, GError **error)
{
	const char *end = strchr(text, ']');
	g_autofree gchar *name = NULL;

	/* GKeyFile allows blanks after the ']', and nothing else */
	if (end == NULL || end[1 + strspn(end + 1, " \t")] != '\0')
		return hd_policy_fail(error, src->path, line, "expected [GROUP] alone on its line");
	name = g_strndup(text + 1, end - text - 1);
	if (!hd_policy_group_known(name))
		return hd_policy_fail(error, src->path, line, "unknown group [%s]; %s", name, hd_policy_groups_hint);
	if (!g_hash_table_contains(src->lines, name))
		g_hash_table_insert(src->lines, g_strdup(name), GUINT_TO_POINTER(line));
	g_free(*group);
	*group = g_steal_pointer(&name);
	return TRUE;
}

static gboolean
hd_policy_scan_key(HdPolicySource *src, const char *text, guint line, const char *group, GError **error)
{
	const char *equals = strchr(text, '=');
	g_autofree gchar *key = NULL;
	g_autofree gchar *id = NULL;
	g_autofree gchar *known = NULL;
	guint first;

	if (equals == NULL || equals == text)
		return hd_policy_fail(error, src->path, line, "expected KEY=VALUE, [GROUP] or a # comment");
	if (group == NULL)
		return hd_policy_fail(error, src->path, line, "KEY=VALUE before any [GROUP]");
	key = g_strchomp(g_strndup(text, equals - text));
	if (hd_policy_key_find(group, key) == NULL) {
		known = hd_policy_group_keys(group);
		return hd_policy_fail(error, src->path, line, "unknown key '%s' in [%s], which takes %s", key, group,
				      known);
	}
	/* GKeyFile would keep the last and drop the rest without a word */
	id = g_strdup_printf("%s\n%s", group, key);
	first = GPOINTER_TO_UINT(g_hash_table_lookup(src->lines, id));
	if (first > 0)
		return hd_policy_fail(error, src->path, line,
				      "[%s] %s again (first on line %u); give it once, a list with ';' between values",
				      group, key, first);
	g_hash_table_insert(src->lines, g_steal_pointer(&id), GUINT_TO_POINTER(line));
	return TRUE;
}

/* as GKeyFile reads a line: "\r\n" ends it too, leading blanks do not count */
static gboolean
hd_policy_scan_line(HdPolicySource *src, gchar *text, guint line, gchar **group, GError **error)
{
	gsize len = strlen(text);

	if (len > 0 && text[len - 1] == '\r')
		text[len - 1] = '\0';
	while (g_ascii_isspace(*text))
		text++;
	if (*text == '\0' || *text == '#')
		return TRUE;
	if (*text == '[')
		return hd_policy_scan_group(src, text, line, group, error);
	return hd_policy_scan_key(src, text, line, *group, error);
}

static guint
hd_policy_line_at(const char *text, const char *at)
{
	guint line = 1;

	for (const char *c = text; c < at; c++)
		line += *c == '\n';
	return line;
}

static gboolean
hd_policy_scan(HdPolicySource *src, const char *text, gsize len, GError **error)
{
	const char *bad = NULL;
	g_auto(GStrv) lines = NULL;
	g_autofree gchar *group = NULL;

	/* a NUL byte counts as invalid too */
	if (!g_utf8_validate_len(text, len, &bad))
		return hd_policy_fail(error, src->path, hd_policy_line_at(text, bad),
				      "not UTF-8 text; write the line again in UTF-8");
	lines = g_strsplit(text, "\n", -1);
	for (guint i = 0; lines[i] != NULL; i++) {
		if (!hd_policy_scan_line(src, lines[i], i + 1, &group, error))
			return FALSE;
	}
	return TRUE;
}

/* ---- applying a scanned file ----------------------------------------------- */

static void
hd_policy_value_failed(const GError *local, GError **error)
{
	if (g_error_matches(local, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE))
		g_set_error_literal(error, HD_ERROR, HD_ERROR_INVALID_DATA,
				    "a backslash that starts no escape (\\s \\n \\t \\r \\\\ \\;) or ends the "
				    "line; remove it, or write \\\\ for a backslash");
	else
		g_set_error_literal(error, HD_ERROR, HD_ERROR_INVALID_DATA, local->message);
}

/* no setting has a tab or a newline in it; one that does came from an
 * escape (\t, \n) and would break the one-line error that names it */
static gboolean
hd_policy_check_printable(const char *value, GError **error)
{
	for (const char *c = value; *c != '\0'; c++) {
		if (g_ascii_iscntrl(*c)) {
			g_set_error_literal(error, HD_ERROR, HD_ERROR_INVALID_DATA,
					    "a control character (an escape such as \\t or \\n?) in the value");
			return FALSE;
		}
	}
	return TRUE;
}

static gboolean
hd_policy_apply_scalar(const HdPolicyValue *v, const HdPolicyKey *entry, GError **error)
{
	g_autoptr(GError) local = NULL;
	g_autofree gchar *value = g_key_file_get_string(v->src->keys, v->group, v->key, &local);

	if (value == NULL) {
		hd_policy_value_failed(local, error);
		return FALSE;
	}
	g_strstrip(value);
	if (!hd_policy_check_printable(value, error) || !entry->apply(v, value, error))
		return FALSE;
	hd_policy_record_scalar(v, value);
	return TRUE;
}

/* each item, blanks around it and empty items left out */
static gboolean
hd_policy_apply_list(const HdPolicyValue *v, const HdPolicyKey *entry, GError **error)
{
	g_autoptr(GError) local = NULL;
	g_auto(GStrv) items = g_key_file_get_string_list(v->src->keys, v->group, v->key, NULL, &local);

	if (items == NULL) {
		hd_policy_value_failed(local, error);
		return FALSE;
	}
	for (guint i = 0; items[i] != NULL; i++) {
		if (*g_strstrip(items[i]) == '\0')
			continue;
		if (!hd_policy_check_printable(items[i], error) || !entry->apply(v, items[i], error))
			return FALSE;
		/* quirks are listed group by group, not as settings */
		if (v->quirk == NULL)
			hd_policy_record_item(v, items[i]);
	}
	return TRUE;
}

static gboolean
hd_policy_apply_key(HdPolicy *policy,
		    const HdPolicySource *src,
		    const char *group,
		    const char *key,
		    HdQuirk *quirk,
		    GError **error)
{
	const HdPolicyKey *entry = hd_policy_key_find(group, key);
	HdPolicyValue v = {policy, src, group, key, hd_policy_source_line(src, group, key), quirk};
	g_autoptr(GError) local = NULL;

	if (entry->default_value != NULL ? hd_policy_apply_scalar(&v, entry, &local)
					 : hd_policy_apply_list(&v, entry, &local))
		return TRUE;
	return hd_policy_fail(error, src->path, v.line, "[%s] %s: %s", group, key, local->message);
}

/* a later group of the same label replaces the earlier, where it stood */
static void
hd_policy_add_quirk(HdPolicy *policy, HdQuirk *quirk)
{
	for (guint i = 0; i < policy->quirks->len; i++) {
		HdQuirk *earlier = g_ptr_array_index(policy->quirks, i);

		if (g_str_equal(earlier->label, quirk->label)) {
			hd_quirk_free(earlier);
			g_ptr_array_index(policy->quirks, i) = quirk;
			return;
		}
	}
	g_ptr_array_add(policy->quirks, quirk);
}

/* an empty fields= is a quirk that writes nothing and, matching first,
 * keeps later groups from the devices (as an empty xend block did) */
static gboolean
hd_policy_apply_quirk(HdPolicy *policy, const HdPolicySource *src, const char *group, GError **error)
{
	g_autoptr(HdQuirk) quirk =
	    hd_quirk_new(group + strlen("quirk "), src->path, hd_policy_source_line(src, group, NULL));
	gboolean complete = g_key_file_has_key(src->keys, group, "devices", NULL) &&
			    g_key_file_has_key(src->keys, group, "fields", NULL);

	if (complete && (!hd_policy_apply_key(policy, src, group, "devices", quirk, error) ||
			 !hd_policy_apply_key(policy, src, group, "fields", quirk, error)))
		return FALSE;
	if (!complete || quirk->devices->len == 0)
		return hd_policy_fail(error, src->path, quirk->line,
				      "[%s]: needs devices= and fields= (fields= may be empty: then the devices "
				      "get no quirk and no later group)",
				      group);
	hd_policy_add_quirk(policy, g_steal_pointer(&quirk));
	return TRUE;
}

static gboolean
hd_policy_apply_source(HdPolicy *policy, const HdPolicySource *src, GError **error)
{
	g_auto(GStrv) groups = g_key_file_get_groups(src->keys, NULL);

	for (guint i = 0; i < G_N_ELEMENTS(hd_policy_keys); i++) {
		const HdPolicyKey *entry = &hd_policy_keys[i];

		if (g_key_file_has_key(src->keys, entry->group, entry->key, NULL) &&
		    !hd_policy_apply_key(policy, src, entry->group, entry->key, NULL, error))
			return FALSE;
	}
	/* in the file's order: the first that matches applies */
	for (guint i = 0; groups[i] != NULL; i++) {
		if (g_str_has_prefix(groups[i], "quirk ") && !hd_policy_apply_quirk(policy, src, groups[i], error))
			return FALSE;
	}
	return TRUE;
}

static gboolean
hd_policy_apply_text(HdPolicy *policy, const char *path, const char *text, gsize len, GError **error)
{
	g_auto(HdPolicySource) src = {
	    .path = path,
	    .keys = g_key_file_new(),
	    .lines = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL),
	};
	g_autoptr(GError) local = NULL;

	if (!hd_policy_scan(&src, text, len, error))
		return FALSE;
	/* the scan has seen every line; this only decodes the values */
	if (!g_key_file_load_from_data(src.keys, text, len, G_KEY_FILE_NONE, &local))
		return hd_policy_fail(error, path, 0, "%s", local->message);
	return hd_policy_apply_source(policy, &src, error);
}

/* ---- files and directories, only root's ----------------------------------------- */

static gboolean
hd_policy_check_owner(const char *path, const struct stat *st, uid_t owner, GError **error)
{
	g_autofree gchar *who = owner == 0 ? g_strdup("root") : g_strdup_printf("uid %u", (guint)owner);

	if (st->st_uid != owner)
		return hd_policy_fail(error, path, 0, "owned by uid %u, not %s: refusing it; chown %s and chmod go-w",
				      (guint)st->st_uid, who, who);
	if ((st->st_mode & (S_IWGRP | S_IWOTH)) != 0)
		return hd_policy_fail(error, path, 0,
				      "writable by group or others (mode %04o): refusing it; chown %s and chmod go-w",
				      (guint)(st->st_mode & 07777), who);
	return TRUE;
}

/* all of @fd, checked before a byte is read; NULL on error */
static GString *
hd_policy_read_fd(int fd, const char *path, uid_t owner, GError **error)
{
	g_autoptr(GString) text = g_string_new(NULL);
	char chunk[4096];
	struct stat st;
	gssize n;

	if (fstat(fd, &st) != 0) {
		hd_policy_fail(error, path, 0, "%s", g_strerror(errno));
		return NULL;
	}
	if (!S_ISREG(st.st_mode)) {
		hd_policy_fail(error, path, 0, "not a regular file: refusing it");
		return NULL;
	}
	if (!hd_policy_check_owner(path, &st, owner, error))
		return NULL;
	while ((n = read(fd, chunk, sizeof(chunk))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			hd_policy_fail(error, path, 0, "%s", g_strerror(errno));
			return NULL;
		}
		g_string_append_len(text, chunk, n);
		if (text->len > HD_POLICY_FILE_MAX) {
			hd_policy_fail(error, path, 0, "larger than 1 MiB: refusing it");
			return NULL;
		}
	}
	return g_steal_pointer(&text);
}

/* @path's text; NULL without an error when there is no such file */
static GString *
hd_policy_read(const char *path, uid_t owner, GError **error)
{
	/* O_NONBLOCK: a FIFO put there is refused, not waited on */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	GString *text;
	int saved;

	if (fd < 0) {
		saved = errno;
		if (saved != ENOENT)
			hd_policy_fail(error, path, 0, "%s", g_strerror(saved));
		return NULL;
	}
	text = hd_policy_read_fd(fd, path, owner, error);
	close(fd);
	return text;
}

/* the main file: missing means the defaults */
static gboolean
hd_policy_apply_main(HdPolicy *policy, const char *path, uid_t owner, GError **error)
{
	g_autoptr(GError) local = NULL;
	g_autoptr(GString) text = hd_policy_read(path, owner, &local);

	if (local != NULL) {
		g_propagate_error(error, g_steal_pointer(&local));
		return FALSE;
	}
	if (text == NULL) {
		g_ptr_array_add(policy->skipped, g_strdup_printf("%s: does not exist", path));
		return TRUE;
	}
	if (!hd_policy_apply_text(policy, path, text->str, text->len, error))
		return FALSE;
	g_ptr_array_add(policy->sources, g_strdup(path));
	return TRUE;
}

static gboolean
hd_policy_apply_dropin(HdPolicy *policy, const char *path, uid_t owner, GError **error)
{
	g_autoptr(GError) local = NULL;
	g_autoptr(GString) text = hd_policy_read(path, owner, &local);

	if (local != NULL) {
		g_propagate_error(error, g_steal_pointer(&local));
		return FALSE;
	}
	if (text == NULL)
		return hd_policy_fail(error, path, 0,
				      "a link to nothing: refusing it; remove it, or link it to /dev/null to mask");
	if (!hd_policy_apply_text(policy, path, text->str, text->len, error))
		return FALSE;
	g_ptr_array_add(policy->sources, g_strdup(path));
	return TRUE;
}

/* "NAME.conf", not hidden: what systemd's drop-in directories read */
static gboolean
hd_policy_is_dropin_name(const char *name)
{
	return name[0] != '.' && g_str_has_suffix(name, ".conf") && strlen(name) > strlen(".conf");
}

/* @dir's drop-ins into @by_name (name -> path), hiding earlier ones */
static gboolean
hd_policy_list_fd(HdPolicy *policy, int fd, const char *dir, GHashTable *by_name, GError **error)
{
	DIR *listing = fdopendir(fd);
	struct dirent *entry;

	if (listing == NULL) {
		close(fd);
		return hd_policy_fail(error, dir, 0, "%s", g_strerror(errno));
	}
	while ((entry = readdir(listing)) != NULL) {
		g_autofree gchar *path = NULL;
		const char *earlier;

		if (!hd_policy_is_dropin_name(entry->d_name))
			continue;
		path = g_build_filename(dir, entry->d_name, NULL);
		earlier = g_hash_table_lookup(by_name, entry->d_name);
		if (earlier != NULL && !g_str_equal(earlier, path))
			g_ptr_array_add(policy->skipped, g_strdup_printf("%s: overridden by %s", earlier, path));
		g_hash_table_replace(by_name, g_strdup(entry->d_name), g_steal_pointer(&path));
	}
	closedir(listing);
	return TRUE;
}

/* the directory is checked as it is listed: no one else may add a file */
static gboolean
hd_policy_list_dir(HdPolicy *policy, const char *dir, uid_t owner, GHashTable *by_name, GError **error)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct stat st;
	int saved;

	if (fd < 0) {
		saved = errno;
		return saved == ENOENT || hd_policy_fail(error, dir, 0, "%s", g_strerror(saved));
	}
	if (fstat(fd, &st) != 0) {
		saved = errno;
		close(fd);
		return hd_policy_fail(error, dir, 0, "%s", g_strerror(saved));
	}
	if (!hd_policy_check_owner(dir, &st, owner, error)) {
		close(fd);
		return FALSE;
	}
	return hd_policy_list_fd(policy, fd, dir, by_name, error);
}

static gint
hd_policy_compare_names(gconstpointer a, gconstpointer b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static gboolean
hd_policy_is_masked(const char *path)
{
	g_autofree gchar *target = g_file_read_link(path, NULL);

	return g_strcmp0(target, "/dev/null") == 0;
}

/* by name, in byte order, whichever directory each is in */
static gboolean
hd_policy_apply_dropins(HdPolicy *policy, const char *const *dirs, uid_t owner, GError **error)
{
	g_autoptr(GHashTable) by_name = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	g_autoptr(GPtrArray) names = g_ptr_array_new();
	GHashTableIter iter;
	gpointer name;

	for (guint i = 0; dirs != NULL && dirs[i] != NULL; i++) {
		if (!hd_policy_list_dir(policy, dirs[i], owner, by_name, error))
			return FALSE;
	}
	g_hash_table_iter_init(&iter, by_name);
	while (g_hash_table_iter_next(&iter, &name, NULL))
		g_ptr_array_add(names, name);
	g_ptr_array_sort(names, hd_policy_compare_names);
	for (guint i = 0; i < names->len; i++) {
		const char *path = g_hash_table_lookup(by_name, g_ptr_array_index(names, i));

		if (hd_policy_is_masked(path))
			g_ptr_array_add(policy->skipped, g_strdup_printf("%s: a link to /dev/null, masking %s", path,
									 (const char *)g_ptr_array_index(names, i)));
		else if (!hd_policy_apply_dropin(policy, path, owner, error))
			return FALSE;
	}
	return TRUE;
}

/* ---- the policy ---------------------------------------------------------------- */

HdPolicy *
hd_policy_new_default(void)
{
	HdPolicy *policy = g_new0(HdPolicy, 1);

	policy->kvm_stub = g_strdup(HD_POLICY_DEFAULT_KVM);
	policy->xen_stub = g_strdup(HD_POLICY_DEFAULT_XEN);
	policy->bind_timeout_ms = HD_POLICY_DEFAULT_TIMEOUT_MS;
	policy->protected_devices = g_array_new(FALSE, FALSE, sizeof(HdAddress));
	policy->permissive_ids = g_array_new(FALSE, FALSE, sizeof(HdIdMatch));
	policy->allowed_drivers = g_ptr_array_new_with_free_func(g_free);
	policy->quirks = g_ptr_array_new_with_free_func((GDestroyNotify)hd_quirk_free);
	policy->allow = g_ptr_array_new_with_free_func((GDestroyNotify)hd_policy_match_free);
	policy->deny = g_ptr_array_new_with_free_func((GDestroyNotify)hd_policy_match_free);
	policy->boot_bind = g_ptr_array_new_with_free_func((GDestroyNotify)hd_policy_match_free);
	policy->boot_vfs = g_ptr_array_new_with_free_func((GDestroyNotify)hd_boot_vfs_free);
	policy->file = g_key_file_new();
	policy->sources = g_ptr_array_new_with_free_func(g_free);
	policy->skipped = g_ptr_array_new_with_free_func(g_free);
	policy->settings = g_ptr_array_new_with_free_func((GDestroyNotify)hd_policy_setting_free);
	for (guint i = 0; i < G_N_ELEMENTS(hd_policy_keys); i++) {
		const HdPolicyKey *entry = &hd_policy_keys[i];

		if (!g_str_equal(entry->group, "quirk"))
			g_ptr_array_add(policy->settings,
					hd_policy_setting_new(entry->group, entry->key, entry->default_value, NULL, 0));
	}
	return policy;
}

void
hd_policy_free(HdPolicy *policy)
{
	if (policy == NULL)
		return;
	g_free(policy->kvm_stub);
	g_free(policy->xen_stub);
	g_free(policy->path);
	g_array_unref(policy->protected_devices);
	g_array_unref(policy->permissive_ids);
	g_ptr_array_unref(policy->allowed_drivers);
	g_ptr_array_unref(policy->quirks);
	g_ptr_array_unref(policy->allow);
	g_ptr_array_unref(policy->deny);
	g_ptr_array_unref(policy->boot_bind);
	g_ptr_array_unref(policy->boot_vfs);
	if (policy->file != NULL)
		g_key_file_unref(policy->file);
	g_ptr_array_unref(policy->sources);
	g_ptr_array_unref(policy->skipped);
	g_ptr_array_unref(policy->settings);
	g_free(policy);
}

/*
 * Lowest precedence first, as systemd orders its drop-ins: the package's,
 * the runtime one (never the state directory, whose files the hook owns),
 * then the administrator's, which wins.  Under the test suite none: a test
 * must not depend on this machine's files.
 */
const char *const *
hd_policy_default_dropin_dirs(void)
{
	static const char *const dirs[] = {
	    HD_POLICY_VENDOR_DIR,
	    HD_POLICY_RUNTIME_DIR,
	    HD_POLICY_SYSCONF_DIR,
	    NULL,
	};
	static const char *const none[] = {NULL};

	return hd_testing_active() ? none : dirs;
}

HdPolicy *
hd_policy_load_full(const char *main_file,
		    const char *const *dropin_dirs,
		    const HdPolicyLoadOptions *options,
		    GError **error)
{
	g_autoptr(HdPolicy) policy = hd_policy_new_default();
	uid_t owner = (options != NULL ? options : &hd_policy_default_options)->owner;

	policy->path = g_strdup(main_file);
	if (!hd_policy_apply_main(policy, main_file, owner, error) ||
	    !hd_policy_apply_dropins(policy, dropin_dirs, owner, error))
		return NULL;
	return g_steal_pointer(&policy);
}

HdPolicy *
hd_policy_load_dirs(const char *main_file, const char *const *dropin_dirs, GError **error)
{
	return hd_policy_load_full(main_file, dropin_dirs, NULL, error);
}

HdPolicy *
hd_policy_load(const char *path, GError **error)
{
	return hd_policy_load_full(path, NULL, NULL, error);
}

/* ---- what the policy says about a device ----------------------------------------- */

static gboolean
hd_id_match_matches(const HdIdMatch *match, const HdPciIds *ids)
{
	if (match->vendor != ids->vendor || match->device != ids->device)
		return FALSE;
	return !match->has_subsystem || ((match->subvendor == 0xffff || match->subvendor == ids->subvendor) &&
					 (match->subdevice == 0xffff || match->subdevice == ids->subdevice));
}

static gboolean
hd_id_list_matches(const GArray *list, const HdPciIds *ids)
{
	for (guint i = 0; i < list->len; i++) {
		if (hd_id_match_matches(&g_array_index(list, HdIdMatch, i), ids))
			return TRUE;
	}
	return FALSE;
}

/* a stub, or a driver [drivers] names: the only drivers a domain may ask for */
gboolean
hd_policy_driver_allowed(const HdPolicy *policy, const char *driver)
{
	static const char *const stubs[] = {"vfio-pci", "pci-stub", "pciback"};

	for (guint i = 0; i < G_N_ELEMENTS(stubs); i++) {
		if (g_strcmp0(driver, stubs[i]) == 0)
			return TRUE;
	}
	if (g_strcmp0(driver, policy->kvm_stub) == 0 || g_strcmp0(driver, policy->xen_stub) == 0)
		return TRUE;
	for (guint i = 0; i < policy->allowed_drivers->len; i++) {
		if (g_strcmp0(driver, g_ptr_array_index(policy->allowed_drivers, i)) == 0)
			return TRUE;
	}
	return FALSE;
}

gboolean
hd_policy_wants_permissive(const HdPolicy *policy, const HdPciIds *ids)
{
	return hd_id_list_matches(policy->permissive_ids, ids);
}

const HdQuirk *
hd_policy_find_quirk(const HdPolicy *policy, const HdPciIds *ids)
{
	for (guint i = 0; i < policy->quirks->len; i++) {
		const HdQuirk *quirk = g_ptr_array_index(policy->quirks, i);

		if (hd_id_list_matches(quirk->devices, ids))
			return quirk;
	}
	return NULL;
}

gboolean
hd_policy_is_protected(const HdPolicy *policy, const HdAddress *addr)
{
	for (guint i = 0; i < policy->protected_devices->len; i++) {
		if (hd_address_equal(&g_array_index(policy->protected_devices, HdAddress, i), addr))
			return TRUE;
	}
	return FALSE;
}

static gboolean
hd_policy_match_matches(const HdPolicyMatch *match, const HdAddress *addr, const HdPciIds *ids, guint32 class_code)
{
	switch (match->kind) {
	case HD_POLICY_MATCH_ADDRESS:
		return hd_address_equal(&match->address, addr);
	case HD_POLICY_MATCH_IDS:
		return hd_id_match_matches(&match->ids, ids);
	case HD_POLICY_MATCH_CLASS:
		if (match->has_prog_if)
			return (class_code & 0xffffff) == match->class_code;
		return ((class_code >> 8) & 0xffff) == match->class_code;
	}
	return FALSE;
}

static const HdPolicyMatch *
hd_policy_match_find(const GPtrArray *list, const HdAddress *addr, const HdPciIds *ids, guint32 class_code)
{
	for (guint i = 0; i < list->len; i++) {
		const HdPolicyMatch *match = g_ptr_array_index(list, i);

		if (hd_policy_match_matches(match, addr, ids, class_code))
			return match;
	}
	return NULL;
}

static const char *
hd_policy_match_key(const HdPolicyMatch *match)
{
	switch (match->kind) {
	case HD_POLICY_MATCH_ADDRESS:
		return "devices";
	case HD_POLICY_MATCH_IDS:
		return "ids";
	case HD_POLICY_MATCH_CLASS:
		return "classes";
	}
	return "?";
}

const HdPolicyMatch *
hd_policy_boot_match(const HdPolicy *policy, const HdAddress *addr, const HdPciIds *ids, guint32 class_code)
{
	return hd_policy_match_find(policy->boot_bind, addr, ids, class_code);
}

/* "FILE, FILE": each file that has [allow] entries, once */
static gchar *
hd_policy_allow_files(const HdPolicy *policy)
{
	g_autoptr(GPtrArray) files = g_ptr_array_new();

	for (guint i = 0; i < policy->allow->len; i++) {
		const HdPolicyMatch *match = g_ptr_array_index(policy->allow, i);

		if (!g_ptr_array_find_with_equal_func(files, match->file, g_str_equal, NULL))
			g_ptr_array_add(files, match->file);
	}
	g_ptr_array_add(files, NULL);
	return g_strjoinv(", ", (gchar **)files->pdata);
}

/* deny wins; then a non-empty allow list must name the device */
gboolean
hd_policy_check_device(const HdPolicy *policy,
		       const HdAddress *addr,
		       const HdPciIds *ids,
		       guint32 class_code,
		       gchar **reason)
{
	const HdPolicyMatch *denied = hd_policy_match_find(policy->deny, addr, ids, class_code);
	g_autofree gchar *files = NULL;

	if (denied != NULL) {
		if (reason != NULL)
			*reason = g_strdup_printf("denied by the host's hostdev-hook policy (%s:%u: [deny] %s=%s)",
						  denied->file, denied->line, hd_policy_match_key(denied),
						  denied->text);
		return FALSE;
	}
	if (policy->allow->len == 0 || hd_policy_match_find(policy->allow, addr, ids, class_code) != NULL)
		return TRUE;
	files = hd_policy_allow_files(policy);
	if (reason != NULL)
		*reason = g_strdup_printf("not in the host's hostdev-hook allow list ([allow] in %s); "
					  "the host's administrator may add it there",
					  files);
	return FALSE;
}

/*
 * A plugin's own setting, [<plugin>] <key>=true|false.  Absent means
 * @default_value; anything but a boolean is an error naming the file, so a
 * typo can never silently leave a safety setting at its default.  The
 * loader has checked every key it knows already.
 */
gboolean
hd_policy_get_boolean(const HdPolicy *policy, const char *group, const char *key, gboolean default_value,
		      gboolean *out, GError **error)
{
	g_autoptr(GError) local = NULL;
	const HdPolicySetting *setting = NULL;
	gboolean value;
	gint last;

	*out = default_value;
	if (policy->file == NULL || !g_key_file_has_key(policy->file, group, key, NULL))
		return TRUE;
	value = g_key_file_get_boolean(policy->file, group, key, &local);
	if (local != NULL) {
		last = hd_policy_setting_last(policy, group, key);
		setting = last >= 0 ? g_ptr_array_index(policy->settings, last) : NULL;
		return hd_policy_fail(error, setting != NULL && setting->file != NULL ? setting->file : policy->path,
				      setting != NULL ? setting->line : 0, "[%s] %s: expected true or false", group,
				      key);
	}
	*out = value;
	return TRUE;
}
