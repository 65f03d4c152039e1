/*
 * hd-sxp.h: the s-expressions of xend's legacy configuration files
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib.h>

/* a hostile file can cost neither the memory nor the stack it likes */
#define HD_SXP_MAX_BYTES (1024u * 1024u)
#define HD_SXP_MAX_DEPTH 16u

typedef enum {
	HD_SXP_LIST,
	HD_SXP_ATOM,   /* a bare word */
	HD_SXP_STRING, /* '...' or "...", escapes decoded */
} HdSxpKind;

typedef struct {
	HdSxpKind kind;
	guint line;	  /* where it starts, counted from 1 */
	gchar *text;	  /* an atom's or string's; never holds a NUL */
	GPtrArray *items; /* a list's, of HdSxp */
} HdSxp;

HdSxp *hd_sxp_parse(const char *source, const char *text, gsize len, GError **error);
void hd_sxp_free(HdSxp *node);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(HdSxp, hd_sxp_free)

const char *hd_sxp_word(const HdSxp *node);
const char *hd_sxp_head(const HdSxp *node);
