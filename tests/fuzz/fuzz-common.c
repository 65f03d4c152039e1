/*
 * fuzz-common.c: what every libFuzzer target of tests/fuzz shares
 *
 * libFuzzer runs millions of inputs in one process, so a target keeps
 * nothing from one input to the next: each makes and removes its own files
 * and frees everything it parsed, or LeakSanitizer reports it.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "fuzz-common.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void
fuzz_fail(const char *format, ...)
{
	va_list args;

	va_start(args, format);
	fputs("fuzz oracle: ", stderr);
	vfprintf(stderr, format, args);
	fputc('\n', stderr);
	va_end(args);
	abort();
}

gboolean
fuzz_strict(void)
{
	return g_getenv("HD_FUZZ_STRICT") != NULL;
}

/*
 * The parsers log what they ignore (g_debug) and GLib warns about odd
 * input; at a million inputs a minute that is noise, and none of it is a
 * failure.  A critical is: it is a g_return_if_fail() that failed, which
 * the unit tests make fatal too (G_DEBUG=fatal-criticals).  One that names
 * a known, reported bug is let through, or every run would stop there.
 */
static void
fuzz_log_message(GLogLevelFlags level, const char *domain, const char *message, const char *const *known_bugs)
{
	if (!(level & (G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_ERROR)))
		return;
	for (guint i = 0; known_bugs != NULL && known_bugs[i] != NULL && !fuzz_strict(); i++) {
		if (!(level & G_LOG_LEVEL_ERROR) && strstr(message, known_bugs[i]) != NULL)
			return;
	}
	fuzz_fail("%s: %s", domain != NULL ? domain : "(no domain)", message);
}

static void
fuzz_log_handler(const gchar *domain, GLogLevelFlags level, const gchar *message, gpointer known_bugs)
{
	fuzz_log_message(level, domain, message, known_bugs);
}

/* the same for structured logging, which bypasses the handler above */
static GLogWriterOutput
fuzz_log_writer(GLogLevelFlags level, const GLogField *fields, gsize n_fields, gpointer known_bugs)
{
	const char *domain = NULL;
	const char *message = "";

	for (gsize i = 0; i < n_fields; i++) {
		if (g_strcmp0(fields[i].key, "MESSAGE") == 0 && fields[i].length < 0)
			message = fields[i].value;
		else if (g_strcmp0(fields[i].key, "GLIB_DOMAIN") == 0 && fields[i].length < 0)
			domain = fields[i].value;
	}
	fuzz_log_message(level, domain, message, known_bugs);
	return G_LOG_WRITER_HANDLED;
}

void
fuzz_quiet(const char *const *known_bugs)
{
	g_log_set_default_handler(fuzz_log_handler, (gpointer)known_bugs);
	g_log_set_writer_func(fuzz_log_writer, (gpointer)known_bugs, NULL);
}

/* tmpfs makes the journal's fsyncs free: on a disk they would cap the
 * target at a few hundred inputs a second */
gchar *
fuzz_make_dir(void)
{
	const char *base = g_file_test("/dev/shm", G_FILE_TEST_IS_DIR) && access("/dev/shm", W_OK) == 0
				   ? "/dev/shm"
				   : g_get_tmp_dir();
	gchar *dir = g_build_filename(base, "hd-fuzz-XXXXXX", NULL);

	if (g_mkdtemp(dir) == NULL)
		fuzz_fail("cannot create a directory in %s: %s", base, g_strerror(errno));
	return dir;
}

void
fuzz_remove_dir(const char *path)
{
	g_autoptr(GDir) dir = g_dir_open(path, 0, NULL);
	const char *name;

	while (dir != NULL && (name = g_dir_read_name(dir)) != NULL) {
		g_autofree gchar *child = g_build_filename(path, name, NULL);

		if (g_file_test(child, G_FILE_TEST_IS_DIR) && !g_file_test(child, G_FILE_TEST_IS_SYMLINK))
			fuzz_remove_dir(child);
		else
			unlink(child);
	}
	rmdir(path);
}

/*
 * A loader that wants a path gets a real file in a directory of our own:
 * a loader may refuse a link (/proc/self/fd/N of a memfd is one) or a file
 * others can write, as the policy loader does for the hook's safety.
 */
gchar *
fuzz_write_file(const char *dir, const char *name, const void *data, size_t size)
{
	gchar *path = g_build_filename(dir, name, NULL);
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	const char *p = data;

	if (fd < 0)
		fuzz_fail("cannot create %s: %s", path, g_strerror(errno));
	while (size > 0) {
		ssize_t n = write(fd, p, size);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			fuzz_fail("cannot write %s: %s", path, g_strerror(errno));
		p += n;
		size -= (size_t)n;
	}
	close(fd);
	return path;
}
