/*
 * hd-error.c: the one error domain of hostdev-hook
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "hd-error.h"

#include <errno.h>

G_DEFINE_QUARK(hd-error-quark, hd_error)

/* Map the errno values sysfs and the file system actually return to the
 * codes callers act on; everything else is a plain failure. */
HdError
hd_error_from_errno(int errnum)
{
	switch (errnum) {
	case ENOENT:
	case ENODEV:
	case ENXIO:
		return HD_ERROR_NOT_FOUND;
	case EACCES:
	case EPERM:
	case EROFS:
		return HD_ERROR_PERMISSION_DENIED;
	case EBUSY:
		return HD_ERROR_BUSY;
	case EINVAL:
	case ERANGE:
		return HD_ERROR_INVALID_DATA;
	case EOPNOTSUPP:
		return HD_ERROR_NOT_SUPPORTED;
	default:
		return HD_ERROR_FAILED;
	}
}
