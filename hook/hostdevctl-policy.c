/*
 * hostdevctl policy check: the merged policy, exactly as the hook loads it
 *
 * Same file, same drop-in directories, same checks: a policy this accepts
 * is one prepare accepts, and an error here is the one prepare would fail
 * every domain with.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <stdio.h>
#include <stdlib.h>

#include "hd-config.h"
#include "hd-json.h"
#include "hd-policy.h"
#include "hostdevctl.h"

static gchar *
hdctl_policy_origin(const char *file, guint line)
{
	return file != NULL ? g_strdup_printf("%s:%u", file, line) : g_strdup("built-in default");
}

static gchar *
hdctl_policy_format_id(const HdIdMatch *id)
{
	if (id->has_subsystem)
		return g_strdup_printf("%04x:%04x:%04x:%04x", id->vendor, id->device, id->subvendor, id->subdevice);
	return g_strdup_printf("%04x:%04x", id->vendor, id->device);
}

static GStrv
hdctl_policy_quirk_devices(const HdQuirk *quirk)
{
	g_autoptr(GStrvBuilder) items = g_strv_builder_new();

	for (guint i = 0; i < quirk->devices->len; i++) {
		g_autofree gchar *item = hdctl_policy_format_id(&g_array_index(quirk->devices, HdIdMatch, i));

		g_strv_builder_add(items, item);
	}
	return g_strv_builder_end(items);
}

static GStrv
hdctl_policy_quirk_fields(const HdQuirk *quirk)
{
	g_autoptr(GStrvBuilder) items = g_strv_builder_new();

	for (guint i = 0; i < quirk->fields->len; i++) {
		const HdQuirkField *field = &g_array_index(quirk->fields, HdQuirkField, i);
		g_autofree gchar *item = g_strdup_printf("%08x:%u:%08x", field->reg, field->size, field->mask);

		g_strv_builder_add(items, item);
	}
	return g_strv_builder_end(items);
}

static void
hdctl_policy_text_files(GString *out, const HdPolicy *policy)
{
	g_string_append(out, "Files, in the order applied:\n");
	for (guint i = 0; i < policy->sources->len; i++)
		g_string_append_printf(out, "  %s\n", (const char *)g_ptr_array_index(policy->sources, i));
	if (policy->sources->len == 0)
		g_string_append(out, "  (none: every setting is its default)\n");
	if (policy->skipped->len > 0)
		g_string_append(out, "Not read:\n");
	for (guint i = 0; i < policy->skipped->len; i++)
		g_string_append_printf(out, "  %s\n", (const char *)g_ptr_array_index(policy->skipped, i));
}

static void
hdctl_policy_text_quirks(GString *out, const HdPolicy *policy)
{
	g_string_append(out, "\nQuirks, the first group whose devices match applies:\n");
	if (policy->quirks->len == 0)
		g_string_append(out, "  (none)\n");
	for (guint i = 0; i < policy->quirks->len; i++) {
		const HdQuirk *quirk = g_ptr_array_index(policy->quirks, i);
		g_auto(GStrv) devices = hdctl_policy_quirk_devices(quirk);
		g_auto(GStrv) fields = hdctl_policy_quirk_fields(quirk);
		g_autofree gchar *devices_text = g_strjoinv(";", devices);
		g_autofree gchar *fields_text = g_strjoinv(";", fields);

		g_string_append_printf(out, "  [quirk %s]  %s:%u\n    devices=%s\n    fields=%s\n", quirk->label,
				       quirk->file, quirk->line, devices_text, fields_text);
	}
}

static gchar *
hdctl_policy_to_text(const HdPolicy *policy)
{
	g_autoptr(GString) out = g_string_new(NULL);

	hdctl_policy_text_files(out, policy);
	g_string_append(out, "\nSettings:\n");
	for (guint i = 0; i < policy->settings->len; i++) {
		const HdPolicySetting *setting = g_ptr_array_index(policy->settings, i);
		g_autofree gchar *left = g_strdup_printf("[%s] %s=%s", setting->group, setting->key,
							 setting->value != NULL ? setting->value : "");
		g_autofree gchar *origin =
		    setting->value != NULL ? hdctl_policy_origin(setting->file, setting->line) : g_strdup("empty");

		g_string_append_printf(out, "  %-40s  %s\n", left, origin);
	}
	hdctl_policy_text_quirks(out, policy);
	return g_string_free(g_steal_pointer(&out), FALSE);
}

static void
hdctl_policy_json_origin(json_object *object, const char *file, guint line)
{
	hd_json_add_string(object, "file", file);
	hd_json_add(object, "line", file != NULL ? json_object_new_int64(line) : NULL);
}

static json_object *
hdctl_policy_json_settings(const HdPolicy *policy)
{
	json_object *settings = json_object_new_array_ext((int)policy->settings->len);

	for (guint i = 0; i < policy->settings->len; i++) {
		const HdPolicySetting *setting = g_ptr_array_index(policy->settings, i);
		json_object *object = json_object_new_object();

		hd_json_add_string(object, "group", setting->group);
		hd_json_add_string(object, "key", setting->key);
		hd_json_add_string(object, "value", setting->value);
		hdctl_policy_json_origin(object, setting->file, setting->line);
		hd_json_append(settings, object);
	}
	return settings;
}

static json_object *
hdctl_policy_json_list(GStrv items)
{
	json_object *list = json_object_new_array();

	for (guint i = 0; items[i] != NULL; i++)
		hd_json_append(list, json_object_new_string(items[i]));
	return list;
}

static json_object *
hdctl_policy_json_quirks(const HdPolicy *policy)
{
	json_object *quirks = json_object_new_array_ext((int)policy->quirks->len);

	for (guint i = 0; i < policy->quirks->len; i++) {
		const HdQuirk *quirk = g_ptr_array_index(policy->quirks, i);
		g_auto(GStrv) devices = hdctl_policy_quirk_devices(quirk);
		g_auto(GStrv) fields = hdctl_policy_quirk_fields(quirk);
		json_object *object = json_object_new_object();

		hd_json_add_string(object, "label", quirk->label);
		hdctl_policy_json_origin(object, quirk->file, quirk->line);
		hd_json_add(object, "devices", hdctl_policy_json_list(devices));
		hd_json_add(object, "fields", hdctl_policy_json_list(fields));
		hd_json_append(quirks, object);
	}
	return quirks;
}

static gchar *
hdctl_policy_to_json(const HdPolicy *policy)
{
	g_autoptr(json_object) root = json_object_new_object();

	hd_json_add(root, "files", hd_json_string_array(policy->sources));
	hd_json_add(root, "not_read", hd_json_string_array(policy->skipped));
	hd_json_add(root, "settings", hdctl_policy_json_settings(policy));
	hd_json_add(root, "quirks", hdctl_policy_json_quirks(policy));
	return hd_json_to_data(root);
}

int
hdctl_policy(int argc, char **argv)
{
	static const char summary[] =
	    "check: load the policy as the hook does (" HD_POLICY_FILE ", then the *.conf drop-ins of "
	    HD_POLICY_VENDOR_DIR ", " HD_POLICY_RUNTIME_DIR " and " HD_POLICY_SYSCONF_DIR
	    ", a name in a later directory hiding the same name in an earlier one) and print each "
	    "setting with the file and line it comes from, or the error prepare would fail with.";
	g_auto(HdctlCommon) common = {0};
	g_autoptr(GError) error = NULL;
	g_autoptr(HdPolicy) policy = NULL;
	g_auto(GStrv) dirs = NULL;
	g_autofree gchar *output = NULL;
	gboolean json = FALSE;
	const GOptionEntry entries[] = {
		{"json", 0, 0, G_OPTION_ARG_NONE, &json, "Print one JSON object", NULL},
		{"policy-dir", 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &dirs,
		 "A drop-in directory instead of the three above; repeat it, lowest precedence first", "DIR"},
		{NULL},
	};

	if (!hdctl_parse_options("policy", "check", summary, entries, &common, &argc, &argv))
		return EXIT_FAILURE;
	if (argc != 2 || g_strcmp0(argv[1], "check") != 0) {
		fprintf(stderr, "hostdevctl: policy: expected 'check'\n");
		return 2;
	}

	policy = hd_policy_load_dirs(common.policy_path != NULL ? common.policy_path : HD_POLICY_FILE,
				     dirs != NULL ? (const char *const *)dirs : hd_policy_default_dropin_dirs(),
				     &error);
	if (policy == NULL)
		return hdctl_report_error("policy check", error);
	output = json ? hdctl_policy_to_json(policy) : hdctl_policy_to_text(policy);
	fputs(output, stdout);
	if (json)
		fputc('\n', stdout);
	return EXIT_SUCCESS;
}
