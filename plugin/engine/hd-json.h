/*
 * hd-json.h: the two things every JSON writer of ours does
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <json-glib/json-glib.h>

/* "member": "value", or "member": null for NULL: missing is null, never "" */
void hd_json_add_string(JsonBuilder *builder, const char *member, const char *value);
void hd_json_add_bool(JsonBuilder *builder, const char *member, gboolean value);
gchar *hd_json_to_data(JsonBuilder *builder);
