/*
 * hd-policy.c: the administrator's rules for what the hook may do
 *
 * The defaults live here and only here; policies/policy.conf documents them
 * and a test keeps the two in step.  The file is a GKeyFile:
 *
 *   [drivers]  kvm=vfio-pci  xen=pciback
 *   [bind]     timeout-ms=5000
 *   [protect]  devices=0000:00:1f.2;0000:02:00.0
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "hd-policy.h"

#include <string.h>

#include "hd-error.h"
#include "hd-names.h"

#define HD_POLICY_BIND_TIMEOUT_MAX_MS 60000u

static void
hd_quirk_free(HdQuirk *quirk)
{
	g_free(quirk->label);
	g_array_unref(quirk->devices);
	g_array_unref(quirk->fields);
	g_free(quirk);
}

HdPolicy *
hd_policy_new_default(void)
{
	HdPolicy *policy = g_new0(HdPolicy, 1);

	policy->kvm_stub = g_strdup("vfio-pci");
	policy->xen_stub = g_strdup("pciback");
	policy->bind_timeout_ms = 5000;
	policy->protected_devices = g_array_new(FALSE, FALSE, sizeof(HdAddress));
	policy->permissive_ids = g_array_new(FALSE, FALSE, sizeof(HdIdMatch));
	policy->quirks = g_ptr_array_new_with_free_func((GDestroyNotify)hd_quirk_free);
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
	g_ptr_array_unref(policy->quirks);
	if (policy->file != NULL)
		g_key_file_unref(policy->file);
	g_free(policy);
}

static gboolean
hd_policy_load_string(GKeyFile *file, const char *group, const char *key, gchar **out, GError **error)
{
	g_autoptr(GError) local = NULL;
	g_autofree gchar *value = g_key_file_get_string(file, group, key, &local);

	if (value == NULL) {
		if (g_error_matches(local, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_KEY_NOT_FOUND) ||
		    g_error_matches(local, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_GROUP_NOT_FOUND))
			return TRUE;
		g_set_error(error, HD_ERROR, HD_ERROR_INVALID_DATA, "[%s] %s: %s", group, key, local->message);
		return FALSE;
	}
	if (!hd_driver_name_check(g_strstrip(value), "", error)) {
		g_prefix_error(error, "[%s] %s: ", group, key);
		return FALSE;
	}
	g_free(*out);
	*out = g_steal_pointer(&value);
	return TRUE;
}

static gboolean
hd_policy_load_timeout(GKeyFile *file, HdPolicy *policy, GError **error)
{
	g_autoptr(GError) local = NULL;
	guint64 value;

	if (!g_key_file_has_key(file, "bind", "timeout-ms", NULL))
		return TRUE;
	value = g_key_file_get_uint64(file, "bind", "timeout-ms", &local);
	if (local != NULL || value == 0 || value > HD_POLICY_BIND_TIMEOUT_MAX_MS) {
		g_set_error(error, HD_ERROR, HD_ERROR_INVALID_DATA,
			    "[bind] timeout-ms: expected 1 to %u milliseconds", HD_POLICY_BIND_TIMEOUT_MAX_MS);
		return FALSE;
	}
	policy->bind_timeout_ms = (guint)value;
	return TRUE;
}

static gboolean
hd_policy_load_protected(GKeyFile *file, HdPolicy *policy, GError **error)
{
	g_auto(GStrv) devices = g_key_file_get_string_list(file, "protect", "devices", NULL, NULL);

	for (guint i = 0; devices != NULL && devices[i] != NULL; i++) {
		HdAddress addr;

		if (*g_strstrip(devices[i]) == '\0')
			continue;
		if (!hd_address_parse_bdf(devices[i], &addr, error)) {
			g_prefix_error(error, "[protect] devices: ");
			return FALSE;
		}
		g_array_append_val(policy->protected_devices, addr);
	}
	return TRUE;
}

/* ---- Xen: permissive devices and config-space quirks ------------------------ */

static gboolean
hd_parse_hex(const char *text, guint digits, guint64 max, guint64 *out)
{
	gchar *end = NULL;

	if (text == NULL || !g_ascii_isxdigit(text[0]) || (digits > 0 && strlen(text) != digits))
		return FALSE;
	*out = g_ascii_strtoull(text, &end, 16);
	return *end == '\0' && *out <= max;
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

static gboolean
hd_policy_load_id_list(GKeyFile *file, const char *group, const char *key, GArray *out, GError **error)
{
	g_auto(GStrv) ids = g_key_file_get_string_list(file, group, key, NULL, NULL);

	for (guint i = 0; ids != NULL && ids[i] != NULL; i++) {
		HdIdMatch match;

		if (*g_strstrip(ids[i]) == '\0')
			continue;
		if (!hd_id_match_parse(ids[i], &match, error)) {
			g_prefix_error(error, "[%s] %s: ", group, key);
			return FALSE;
		}
		g_array_append_val(out, match);
	}
	return TRUE;
}

static gboolean
hd_policy_load_quirk(GKeyFile *file, const char *group, HdQuirk *quirk, GError **error)
{
	g_auto(GStrv) fields = g_key_file_get_string_list(file, group, "fields", NULL, NULL);

	if (!hd_policy_load_id_list(file, group, "devices", quirk->devices, error))
		return FALSE;
	for (guint i = 0; fields != NULL && fields[i] != NULL; i++) {
		HdQuirkField field;

		if (*g_strstrip(fields[i]) == '\0')
			continue;
		if (!hd_quirk_field_parse(fields[i], &field, error)) {
			g_prefix_error(error, "[%s] fields: ", group);
			return FALSE;
		}
		g_array_append_val(quirk->fields, field);
	}
	if (quirk->devices->len == 0 || quirk->fields->len == 0) {
		g_set_error(error, HD_ERROR, HD_ERROR_INVALID_DATA, "[%s]: needs devices= and fields=", group);
		return FALSE;
	}
	return TRUE;
}

/* [quirk LABEL] groups, in file order: xend applied the first that matched */
static gboolean
hd_policy_load_quirks(GKeyFile *file, HdPolicy *policy, GError **error)
{
	g_auto(GStrv) groups = g_key_file_get_groups(file, NULL);

	for (guint i = 0; groups[i] != NULL; i++) {
		g_autoptr(GError) local = NULL;
		HdQuirk *quirk;

		if (!g_str_has_prefix(groups[i], "quirk "))
			continue;
		quirk = g_new0(HdQuirk, 1);
		quirk->label = g_strdup(groups[i] + strlen("quirk "));
		quirk->devices = g_array_new(FALSE, FALSE, sizeof(HdIdMatch));
		quirk->fields = g_array_new(FALSE, FALSE, sizeof(HdQuirkField));
		g_ptr_array_add(policy->quirks, quirk);
		if (!hd_policy_load_quirk(file, groups[i], quirk, error))
			return FALSE;
	}
	return TRUE;
}

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

HdPolicy *
hd_policy_load(const char *path, GError **error)
{
	g_autoptr(HdPolicy) policy = hd_policy_new_default();
	g_autoptr(GKeyFile) file = g_key_file_new();
	g_autoptr(GError) local = NULL;

	if (!g_key_file_load_from_file(file, path, G_KEY_FILE_NONE, &local)) {
		/* no file is the common case: the defaults apply */
		if (g_error_matches(local, G_FILE_ERROR, G_FILE_ERROR_NOENT))
			return g_steal_pointer(&policy);
		g_set_error(error, HD_ERROR, HD_ERROR_INVALID_DATA, "policy %s: %s", path, local->message);
		return NULL;
	}
	if (!hd_policy_load_string(file, "drivers", "kvm", &policy->kvm_stub, error) ||
	    !hd_policy_load_string(file, "drivers", "xen", &policy->xen_stub, error) ||
	    !hd_policy_load_timeout(file, policy, error) ||
	    !hd_policy_load_protected(file, policy, error) ||
	    !hd_policy_load_id_list(file, "pciback", "permissive", policy->permissive_ids, error) ||
	    !hd_policy_load_quirks(file, policy, error)) {
		g_prefix_error(error, "policy %s: ", path);
		return NULL;
	}
	policy->path = g_strdup(path);
	policy->file = g_steal_pointer(&file);
	return g_steal_pointer(&policy);
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

/*
 * A plugin's own setting, [<plugin>] <key>=true|false.  Absent means
 * @default_value; anything but a boolean is an error naming the file, so a
 * typo can never silently leave a safety setting at its default.
 */
gboolean
hd_policy_get_boolean(const HdPolicy *policy, const char *group, const char *key, gboolean default_value,
		      gboolean *out, GError **error)
{
	g_autoptr(GError) local = NULL;
	gboolean value;

	*out = default_value;
	if (policy->file == NULL || !g_key_file_has_key(policy->file, group, key, NULL))
		return TRUE;
	value = g_key_file_get_boolean(policy->file, group, key, &local);
	if (local != NULL) {
		g_set_error(error, HD_ERROR, HD_ERROR_INVALID_DATA, "policy %s: [%s] %s: expected true or false",
			    policy->path, group, key);
		return FALSE;
	}
	*out = value;
	return TRUE;
}
