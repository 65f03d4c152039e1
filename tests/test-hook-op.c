/*
 * test-hook-op.c: the libc-only decisions the hook's front makes
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <glib.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hd-hook-op.h"

static const struct {
	const char *op;
	const char *subop;
	HdHookOp expected;
} classify_cases[] = {
	{"prepare", "begin", HD_HOOK_OP_PREPARE},
	{"release", "end", HD_HOOK_OP_RELEASE},
	{"prepare", "end", HD_HOOK_OP_IGNORE},
	{"release", "begin", HD_HOOK_OP_IGNORE},
	{"start", "begin", HD_HOOK_OP_IGNORE},
	{"started", "begin", HD_HOOK_OP_IGNORE},
	{"stopped", "end", HD_HOOK_OP_IGNORE},
	{"reconnect", "begin", HD_HOOK_OP_RECONNECT},
	{"reconnect", "end", HD_HOOK_OP_IGNORE},
	{"migrate", "begin", HD_HOOK_OP_IGNORE},
	{"restore", "begin", HD_HOOK_OP_IGNORE},
	{"attach", "begin", HD_HOOK_OP_IGNORE},
	{"some-future-op", "-", HD_HOOK_OP_IGNORE},
	{"PREPARE", "begin", HD_HOOK_OP_IGNORE},
	{"", "", HD_HOOK_OP_IGNORE},
};

static void
test_classify(void)
{
	for (guint i = 0; i < G_N_ELEMENTS(classify_cases); i++) {
		g_test_message("%s %s", classify_cases[i].op, classify_cases[i].subop);
		g_assert_cmpint(hd_hook_op_classify(classify_cases[i].op, classify_cases[i].subop), ==,
				classify_cases[i].expected);
	}
	g_assert_cmpint(hd_hook_op_classify(NULL, "begin"), ==, HD_HOOK_OP_IGNORE);
}

static const struct {
	const char *argv0;
	HdHookDriver expected;
} driver_cases[] = {
	{"/etc/libvirt/hooks/qemu.d/50-hostdev-hook", HD_HOOK_DRIVER_QEMU},
	{"/etc/libvirt/hooks/libxl.d/50-hostdev-hook", HD_HOOK_DRIVER_LIBXL},
	{"/etc/libvirt/hooks/qemu", HD_HOOK_DRIVER_QEMU},
	{"/etc/libvirt/hooks/libxl", HD_HOOK_DRIVER_LIBXL},
	{"/var/lib/libvirt/hooks/qemu.d/x", HD_HOOK_DRIVER_QEMU},
	{"/etc/libvirt/hooks/lxc.d/50-hostdev-hook", HD_HOOK_DRIVER_UNKNOWN},
	{"/etc/libvirt/hooks/xqemu.d/50-hostdev-hook", HD_HOOK_DRIVER_UNKNOWN},
	{"/usr/libexec/hostdev-hook", HD_HOOK_DRIVER_UNKNOWN},
	{"hostdev-hook", HD_HOOK_DRIVER_UNKNOWN},
	{"qemu.d/hook", HD_HOOK_DRIVER_QEMU},
};

static void
test_driver_from_path(void)
{
	for (guint i = 0; i < G_N_ELEMENTS(driver_cases); i++) {
		g_test_message("%s", driver_cases[i].argv0);
		g_assert_cmpint(hd_hook_driver_from_path(driver_cases[i].argv0), ==, driver_cases[i].expected);
	}
}

static const struct {
	const char *name;
	const char *xml;
	gsize len; /* 0: strlen */
	gboolean expected;
} prefilter_cases[] = {
	{"no-devices", "<domain type='kvm'><name>a</name><devices><disk/></devices></domain>", 0, FALSE},
	{"empty", "", 0, FALSE},
	{"hostdev", "<domain><devices><hostdev mode='subsystem' type='pci'/></devices></domain>", 0, TRUE},
	{"interface", "<domain><devices><interface type=\"hostdev\"/></devices></domain>", 0, TRUE},
	{"metadata", "<domain><metadata><x:a xmlns:x='urn:hostdev-hook:1'/></metadata></domain>", 0, TRUE},
	/* 'hostdev' spelt with a character reference hides from memmem */
	{"char-reference", "<domain><devices><interface type='&#104;ostdev'/></devices></domain>", 0, TRUE},
	{"declared-encoding", "<?xml version='1.0' encoding='UTF-7'?><domain/>", 0, TRUE},
	{"utf8-bom", "\xef\xbb\xbf<domain/>", 0, TRUE},
	{"utf16-le", "\xff\xfe<\0d\0/\0>\0", 10, TRUE},
	{"nul-bytes", "<\0d\0o\0m\0", 8, TRUE},
};

static void
test_prefilter(gconstpointer data)
{
	guint i = GPOINTER_TO_UINT(data);
	gsize len = prefilter_cases[i].len != 0 ? prefilter_cases[i].len : strlen(prefilter_cases[i].xml);

	g_assert_cmpint(hd_hook_xml_may_request_devices(prefilter_cases[i].xml, len), ==,
			prefilter_cases[i].expected);
}

/* write @len bytes into a pipe from a thread, read them back as the hook does */
typedef struct {
	int fd;
	gsize len;
} Writer;

static gpointer
writer_thread(gpointer data)
{
	Writer *w = data;
	g_autofree gchar *chunk = g_malloc(65536);
	gsize left = w->len;

	memset(chunk, 'x', 65536);
	while (left > 0) {
		gssize n = write(w->fd, chunk, MIN(left, 65536));
		g_assert_cmpint(n, >, 0);
		left -= (gsize)n;
	}
	close(w->fd);
	return NULL;
}

static void
read_through_pipe(gsize len, gsize *got, bool *too_large)
{
	int fds[2];
	Writer w;
	GThread *thread;
	char *buf = NULL;

	g_assert_cmpint(pipe(fds), ==, 0);
	w = (Writer){fds[1], len};
	thread = g_thread_new("writer", writer_thread, &w);
	g_assert_cmpint(hd_hook_read_input(fds[0], &buf, got, too_large), ==, 0);
	/* the writer got to the end: everything was drained */
	g_thread_join(thread);
	close(fds[0]);
	g_assert_cmpint(buf[*got], ==, '\0');
	free(buf);
}

static void
test_read_input_limits(void)
{
	gsize got = 0;
	bool too_large = true;

	read_through_pipe(0, &got, &too_large);
	g_assert_cmpuint(got, ==, 0);
	g_assert_false(too_large);

	read_through_pipe(HD_HOOK_MAX_INPUT, &got, &too_large);
	g_assert_cmpuint(got, ==, HD_HOOK_MAX_INPUT);
	g_assert_false(too_large);

	read_through_pipe(HD_HOOK_MAX_INPUT + 1, &got, &too_large);
	g_assert_true(too_large);

	read_through_pipe(3 * HD_HOOK_MAX_INPUT, &got, &too_large);
	g_assert_true(too_large);
	g_assert_cmpuint(got, ==, HD_HOOK_MAX_INPUT);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/hook-op/classify", test_classify);
	g_test_add_func("/hook-op/driver-from-path", test_driver_from_path);
	for (guint i = 0; i < G_N_ELEMENTS(prefilter_cases); i++) {
		g_autofree gchar *path = g_strdup_printf("/hook-op/prefilter/%s", prefilter_cases[i].name);
		g_test_add_data_func(path, GUINT_TO_POINTER(i), test_prefilter);
	}
	g_test_add_func("/hook-op/read-input-limits", test_read_input_limits);
	return g_test_run();
}
