/*
 * hd-error.c: the one error domain of hostdev-hook
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "hd-error.h"

#include <errno.h>

G_DEFINE_QUARK(hd-error-quark, hd_error)

/*
 * One table for every foreign error we meet.  Domains are named by their
 * quark's string, so this layer links no other library.  json-c has no
 * GError domain: the journal loader words its errors as HD_ERROR itself,
 * as the XML tree does expat's, which has none either.
 * A code of -1 matches every code of its domain; the first match wins.
 */
typedef struct {
	const char *domain;
	int code;
	HdError hd_code;
} HdErrorMapping;

#define HD_ERROR_ERRNO "errno"

static const HdErrorMapping hd_error_mappings[] = {
	{HD_ERROR_ERRNO, ENOENT, HD_ERROR_NOT_FOUND},
	{HD_ERROR_ERRNO, ENODEV, HD_ERROR_NOT_FOUND},
	{HD_ERROR_ERRNO, ENXIO, HD_ERROR_NOT_FOUND},
	{HD_ERROR_ERRNO, EACCES, HD_ERROR_PERMISSION_DENIED},
	{HD_ERROR_ERRNO, EPERM, HD_ERROR_PERMISSION_DENIED},
	{HD_ERROR_ERRNO, EROFS, HD_ERROR_PERMISSION_DENIED},
	{HD_ERROR_ERRNO, EBUSY, HD_ERROR_BUSY},
	{HD_ERROR_ERRNO, EINVAL, HD_ERROR_INVALID_DATA},
	{HD_ERROR_ERRNO, ERANGE, HD_ERROR_INVALID_DATA},
	{HD_ERROR_ERRNO, EOPNOTSUPP, HD_ERROR_NOT_SUPPORTED},
	{HD_ERROR_ERRNO, ETIMEDOUT, HD_ERROR_TIMED_OUT},
	{"g-file-error-quark", G_FILE_ERROR_NOENT, HD_ERROR_NOT_FOUND},
	{"g-file-error-quark", G_FILE_ERROR_NODEV, HD_ERROR_NOT_FOUND},
	{"g-file-error-quark", G_FILE_ERROR_ACCES, HD_ERROR_PERMISSION_DENIED},
	{"g-file-error-quark", G_FILE_ERROR_PERM, HD_ERROR_PERMISSION_DENIED},
	{"g-file-error-quark", G_FILE_ERROR_ROFS, HD_ERROR_PERMISSION_DENIED},
	{"g-file-error-quark", G_FILE_ERROR_INVAL, HD_ERROR_INVALID_DATA},
	/* GIOErrorEnum values, spelt as numbers to keep GIO out of this layer;
	 * tests/test-base.c checks them against GIO's header */
	{"g-io-error-quark", 1 /* G_IO_ERROR_NOT_FOUND */, HD_ERROR_NOT_FOUND},
	{"g-io-error-quark", 14 /* G_IO_ERROR_PERMISSION_DENIED */, HD_ERROR_PERMISSION_DENIED},
	{"g-io-error-quark", 24 /* G_IO_ERROR_TIMED_OUT */, HD_ERROR_TIMED_OUT},
	{"g-io-error-quark", 26 /* G_IO_ERROR_BUSY */, HD_ERROR_BUSY},
	{"g-io-error-quark", 15 /* G_IO_ERROR_NOT_SUPPORTED */, HD_ERROR_NOT_SUPPORTED},
	{"g-io-error-quark", 13 /* G_IO_ERROR_INVALID_ARGUMENT */, HD_ERROR_INVALID_DATA},
	{"g-io-error-quark", 35 /* G_IO_ERROR_INVALID_DATA */, HD_ERROR_INVALID_DATA},
	{"g-key-file-error-quark", -1, HD_ERROR_INVALID_DATA},
	{"g-convert-error-quark", -1, HD_ERROR_INVALID_DATA},
};

static HdError
hd_error_lookup(const char *domain, int code)
{
	for (guint i = 0; i < G_N_ELEMENTS(hd_error_mappings); i++) {
		const HdErrorMapping *m = &hd_error_mappings[i];

		if (g_strcmp0(m->domain, domain) == 0 && (m->code == -1 || m->code == code))
			return m->hd_code;
	}
	return HD_ERROR_FAILED;
}

/* the errno values sysfs and the file system actually return, mapped to
 * the codes callers act on; everything else is a plain failure */
HdError
hd_error_from_errno(int errnum)
{
	return hd_error_lookup(HD_ERROR_ERRNO, errnum);
}

HdError
hd_error_from_gerror(const GError *foreign)
{
	if (foreign->domain == HD_ERROR)
		return (HdError)foreign->code;
	return hd_error_lookup(g_quark_to_string(foreign->domain), foreign->code);
}

void
hd_error_set_errno(GError **error, int errnum, const char *format, ...)
{
	g_autofree gchar *message = NULL;
	va_list args;

	va_start(args, format);
	message = g_strdup_vprintf(format, args);
	va_end(args);
	g_set_error(error, HD_ERROR, hd_error_from_errno(errnum), "%s: %s", message, g_strerror(errnum));
}

void
hd_error_propagate(GError **error, GError *foreign, const char *format, ...)
{
	g_autoptr(GError) owned = foreign;
	g_autofree gchar *prefix = NULL;
	va_list args;

	va_start(args, format);
	prefix = g_strdup_vprintf(format, args);
	va_end(args);
	g_set_error(error, HD_ERROR, hd_error_from_gerror(owned), "%s%s", prefix, owned->message);
}

gboolean
hd_error_set_at_valist(GError **error, const char *prefix, const char *source, guint line, const char *format,
		       va_list args)
{
	g_autofree gchar *reason = g_strdup_vprintf(format, args);
	g_autofree gchar *place = line > 0 ? g_strdup_printf("%s:%u", source, line) : g_strdup(source);

	g_set_error(error, HD_ERROR, HD_ERROR_INVALID_DATA, "%s%s%s: %s", prefix != NULL ? prefix : "",
		    prefix != NULL ? " " : "", place, reason);
	return FALSE;
}

gboolean
hd_error_set_at(GError **error, const char *prefix, const char *source, guint line, const char *format, ...)
{
	va_list args;

	va_start(args, format);
	hd_error_set_at_valist(error, prefix, source, line, format, args);
	va_end(args);
	return FALSE;
}
