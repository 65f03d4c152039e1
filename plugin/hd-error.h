/*
 * hd-error.h: the one error domain of hostdev-hook
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
} HdError;

GQuark hd_error_quark(void);

HdError hd_error_from_errno(int errnum);
