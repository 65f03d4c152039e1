/*
 * hd-log.c: one structured log record per action the hook takes
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "hd-log.h"

#include <stdio.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

/* the test suite's way to read our log without a journal or syslogd */
#define HD_LOG_FILE_ENV "HOSTDEV_HOOK_LOG_FILE"

/* where GLib's journald writer sends its records */
#define HD_LOG_JOURNAL_SOCKET "/run/systemd/journal/socket"

/* set before any unit starts, read only after */
static gboolean hd_log_journal_present = TRUE;

static const char *
hd_log_field(const GLogField *fields, gsize n_fields, const char *key)
{
	for (gsize i = 0; i < n_fields; i++) {
		if (g_strcmp0(fields[i].key, key) == 0 && fields[i].length < 0)
			return fields[i].value;
	}
	return "-";
}

static int
hd_log_syslog_priority(GLogLevelFlags level)
{
	if (level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL))
		return LOG_ERR;
	if (level & G_LOG_LEVEL_WARNING)
		return LOG_WARNING;
	if (level & G_LOG_LEVEL_MESSAGE)
		return LOG_NOTICE;
	if (level & G_LOG_LEVEL_INFO)
		return LOG_INFO;
	return LOG_DEBUG;
}

static GLogWriterOutput
hd_log_writer(GLogLevelFlags level, const GLogField *fields, gsize n_fields, gpointer user_data)
{
	const char *file = g_getenv(HD_LOG_FILE_ENV);
	g_autofree gchar *line = NULL;

	/* GLib hides INFO unless G_MESSAGES_DEBUG is set, but every action we
	 * take is an INFO record the administrator must find: hide DEBUG only */
	if ((level & G_LOG_LEVEL_DEBUG) &&
	    g_log_writer_default_would_drop(level, hd_log_field(fields, n_fields, "GLIB_DOMAIN")))
		return G_LOG_WRITER_HANDLED;
	if (file == NULL && hd_log_journal_present &&
	    g_log_writer_journald(level, fields, n_fields, user_data) == G_LOG_WRITER_HANDLED)
		return G_LOG_WRITER_HANDLED;

	line = g_strdup_printf("domain=%s device=%s action=%s: %s",
			       hd_log_field(fields, n_fields, "HOSTDEV_DOMAIN"),
			       hd_log_field(fields, n_fields, "HOSTDEV_DEVICE"),
			       hd_log_field(fields, n_fields, "HOSTDEV_ACTION"),
			       hd_log_field(fields, n_fields, "MESSAGE"));
	if (file != NULL) {
		FILE *out = fopen(file, "ae");
		if (out == NULL)
			return G_LOG_WRITER_UNHANDLED;
		fprintf(out, "%s\n", line);
		fclose(out);
		return G_LOG_WRITER_HANDLED;
	}
	syslog(hd_log_syslog_priority(level), "%s", line);
	return G_LOG_WRITER_HANDLED;
}

/*
 * The syslog connection and the time zone syslog() stamps records with are
 * set up here, not by the first record: the units of a release log at the
 * same moment, and each first record waited for that set-up, under
 * syslog()'s lock, while the other units' drivers probed (measured: every
 * unit's record 10 to 40 ms late in the bench guest).  Whether journald
 * listens is asked once too: without it (a host without systemd), every
 * record would first fail to reach it.
 */
void
hd_log_use_system_log(const char *ident)
{
	hd_log_journal_present = access(HD_LOG_JOURNAL_SOCKET, F_OK) == 0;
	tzset();
	openlog(ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
	g_log_set_writer_func(hd_log_writer, NULL, NULL);
}
