/*
 * fuzz-common.h: what every libFuzzer target of tests/fuzz shares
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <glib.h>

/* libFuzzer's entry points, which no header of ours declares */
int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* drop GLib's messages, but abort on a critical other than those naming
 * one of @known_bugs (NULL-terminated, may be NULL); see fuzz-common.c */
void fuzz_quiet(const char *const *known_bugs);

/* HD_FUZZ_STRICT set: the targets' exemptions for known, reported bugs are
 * off, to check a fix against crashes-found/ */
gboolean fuzz_strict(void);

/* print why, then abort(): libFuzzer saves the input as the reproducer */
G_NORETURN void fuzz_fail(const char *format, ...) G_GNUC_PRINTF(1, 2);

/* a fresh directory, on tmpfs when there is one; NULL aborts */
gchar *fuzz_make_dir(void);
/* @path and everything under it */
void fuzz_remove_dir(const char *path);

/* @data as the new file @dir/@name, mode 0600; returns its path */
gchar *fuzz_write_file(const char *dir, const char *name, const void *data, size_t size);
