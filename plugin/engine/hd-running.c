/*
 * hd-running.c: is an owner's guest still using what its journal lent?
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "hd-running.h"

#include <errno.h>
#include <signal.h>
#include <string.h>

#include "hd-error.h"

/* libvirt's drivers keep <run dir>/<driver>/<domain>.pid while it runs */
static const char *const hd_running_drivers[] = {"qemu", "libxl"};

static gboolean
hd_running_pid_alive(const char *pid_file, guint64 *pid)
{
	g_autofree gchar *text = NULL;

	if (!g_file_get_contents(pid_file, &text, NULL, NULL) ||
	    !g_ascii_string_to_unsigned(g_strstrip(text), 10, 1, G_MAXINT, pid, NULL))
		return FALSE;
	/* EPERM: alive, just not ours to signal */
	return kill((pid_t)*pid, 0) == 0 || errno == EPERM;
}

static gchar *
hd_running_pid_file(HdContext *ctx, const char *domain)
{
	for (guint i = 0; i < G_N_ELEMENTS(hd_running_drivers); i++) {
		g_autofree gchar *file = g_strconcat(domain, ".pid", NULL);
		g_autofree gchar *path = g_build_filename(ctx->libvirt_run_dir, hd_running_drivers[i], file, NULL);
		guint64 pid = 0;

		if (hd_running_pid_alive(path, &pid))
			return g_strdup_printf("domain '%s' is running (pid %" G_GUINT64_FORMAT ", per %s)", domain,
					       pid, path);
	}
	return NULL;
}

/* "/dev/vfio/<group>" -> the device it was journalled for */
static GHashTable *
hd_running_vfio_nodes(HdContext *ctx, const HdJournal *journal)
{
	GHashTable *nodes = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);

	for (guint i = 0; i < journal->entries->len; i++) {
		const HdEntry *entry = g_ptr_array_index(journal->entries, i);
		g_autofree gchar *link = hd_function_attr_path(entry->address, "iommu_group");
		g_autofree gchar *group = hd_sysfs_read_link_name(ctx->sysfs, link, NULL);

		if (entry->phase == HD_PHASE_BIND && group != NULL)
			g_hash_table_insert(nodes, g_strconcat("/dev/vfio/", group, NULL), g_strdup(entry->address));
	}
	return nodes;
}

/* the first process with one of @nodes open, in words */
static gchar *
hd_running_holder(HdContext *ctx, GHashTable *nodes)
{
	g_autoptr(GDir) proc = g_dir_open(ctx->proc_root, 0, NULL);
	const char *pid;

	while (proc != NULL && g_hash_table_size(nodes) > 0 && (pid = g_dir_read_name(proc)) != NULL) {
		g_autofree gchar *fd_dir = g_build_filename(ctx->proc_root, pid, "fd", NULL);
		g_autoptr(GDir) fds = NULL;
		const char *fd;

		if (!g_ascii_isdigit(pid[0]) || (fds = g_dir_open(fd_dir, 0, NULL)) == NULL)
			continue;
		while ((fd = g_dir_read_name(fds)) != NULL) {
			g_autofree gchar *path = g_build_filename(fd_dir, fd, NULL);
			g_autofree gchar *target = g_file_read_link(path, NULL);
			const char *device = target != NULL ? g_hash_table_lookup(nodes, target) : NULL;

			if (device != NULL)
				return g_strdup_printf("process %s holds %s, the IOMMU group of %s", pid, target, device);
		}
	}
	return NULL;
}

gboolean
hd_running_check(HdContext *ctx, const HdJournal *journal, gchar **why, GError **error)
{
	g_autoptr(GHashTable) nodes = NULL;

	*why = NULL;
	if (journal->owner.kind == HD_OWNER_DOMAIN)
		*why = hd_running_pid_file(ctx, journal->owner.name);
	if (*why != NULL)
		return TRUE;
	nodes = hd_running_vfio_nodes(ctx, journal);
	*why = hd_running_holder(ctx, nodes);
	return TRUE;
}
