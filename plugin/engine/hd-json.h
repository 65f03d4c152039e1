/*
 * hd-json.h: the few things every JSON writer of ours does, on json-c
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib.h>
#include <json-c/json.h>

#include "hd-autocleanups.h"

/* "member": "value", or "member": null for NULL: missing is null, never "" */
void hd_json_add_string(json_object *object, const char *member, const char *value);
void hd_json_add_bool(json_object *object, const char *member, gboolean value);
void hd_json_add_int(json_object *object, const char *member, gint64 value);
/* @value's reference passes to @object */
void hd_json_add(json_object *object, const char *member, json_object *value);
/* @value's reference passes to @array */
void hd_json_append(json_object *array, json_object *value);
/* a new array of @strings' strings, in their order */
json_object *hd_json_string_array(const GPtrArray *strings);
gchar *hd_json_to_data(json_object *root);

/* @object's @member if it is of @type, else NULL (json_type_null is no type
 * to ask for: a null member and a missing one both give NULL) */
json_object *hd_json_member(json_object *object, const char *member, json_type type);
