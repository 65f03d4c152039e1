/*
 * hd-error.h: the one error domain of hostdev-hook
 *
 * Every layer reports in HD_ERROR.  Errors from the libraries beneath us
 * (errno, GLib's file, I/O and key file errors) are translated
 * at the boundary through one table, so callers test one set of codes.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib.h>

#define HD_ERROR hd_error_quark()

typedef enum {
	HD_ERROR_FAILED,	     /* anything without a better code */
	HD_ERROR_INVALID_DATA,	     /* malformed XML, impossible address, bad journal */
	HD_ERROR_NOT_FOUND,	     /* no such device, driver or file */
	HD_ERROR_NOT_SUPPORTED,	     /* a request we understand but refuse */
	HD_ERROR_BUSY,		     /* the host is using the device */
	HD_ERROR_CONFLICT,	     /* another domain owns the device */
	HD_ERROR_PERMISSION_DENIED,
	HD_ERROR_INTERNAL,	     /* a bug: a plugin broke its contract */
	HD_ERROR_TIMED_OUT,	     /* a bounded wait ran out */
} HdError;

GQuark hd_error_quark(void);

HdError hd_error_from_errno(int errnum);
/* the code a foreign GError maps to; HD_ERROR's own codes pass through */
HdError hd_error_from_gerror(const GError *foreign);

/* "<message>: <strerror>" with the code errno maps to */
void hd_error_set_errno(GError **error, int errnum, const char *format, ...) G_GNUC_PRINTF(3, 4);
/*
 * HD_ERROR_INVALID_DATA for bad input at a place in a file:
 * "[PREFIX ]SOURCE:LINE: reason", or "[PREFIX ]SOURCE: reason" for @line 0.
 * Always FALSE, for the caller to return.
 */
gboolean hd_error_set_at(GError **error, const char *prefix, const char *source, guint line, const char *format, ...)
    G_GNUC_PRINTF(5, 6);
gboolean hd_error_set_at_valist(GError **error,
				const char *prefix,
				const char *source,
				guint line,
				const char *format,
				va_list args) G_GNUC_PRINTF(5, 0);

/* @foreign (consumed) as an HD_ERROR, its message prefixed with @format */
void hd_error_propagate(GError **error, GError *foreign, const char *format, ...) G_GNUC_PRINTF(3, 4);
