/*
 * hd-kmod.h: loading a driver's module, through libkmod, never a shell
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib.h>

gboolean hd_kmod_load(const char *module, gpointer user_data, GError **error);
