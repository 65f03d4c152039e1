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

HdPolicy *
hd_policy_new_default(void)
{
	HdPolicy *policy = g_new0(HdPolicy, 1);

	policy->kvm_stub = g_strdup("vfio-pci");
	policy->xen_stub = g_strdup("pciback");
	policy->bind_timeout_ms = 5000;
	policy->protected_devices = g_array_new(FALSE, FALSE, sizeof(HdAddress));
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
	    !hd_policy_load_protected(file, policy, error)) {
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
