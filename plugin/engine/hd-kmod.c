/*
 * hd-kmod.c: loading a driver's module, through libkmod, never a shell
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "hd-kmod.h"

#include <errno.h>
#include "hd-autocleanups.h"
#include "hd-error.h"
#include "hd-sysfs.h"


/*
 * @module is a driver name ("vfio-pci") or alias; modprobe's rules apply,
 * blacklists included, so an administrator's "blacklist vfio-pci" wins and
 * is reported as such.
 */
gboolean
hd_kmod_load(const char *module, gpointer user_data, GError **error)
{
	g_autoptr(HdKmodCtx) ctx = NULL;
	g_autoptr(HdKmodList) list = NULL;
	struct kmod_list *item;
	int rc;

	/* the test suite's machine must never have modules loaded by us */
	if (hd_testing_active()) {
		g_set_error(error, HD_ERROR, HD_ERROR_PERMISSION_DENIED,
			    "refusing to load module %s under the test suite (%s is set)", module, HD_TESTING_ENV);
		return FALSE;
	}
	ctx = kmod_new(NULL, NULL);
	if (ctx == NULL) {
		g_set_error_literal(error, HD_ERROR, HD_ERROR_FAILED, "cannot initialise libkmod");
		return FALSE;
	}
	rc = kmod_module_new_from_lookup(ctx, module, &list);
	if (rc < 0 || list == NULL) {
		g_set_error(error, HD_ERROR, HD_ERROR_NOT_FOUND,
			    "module %s: not found for this kernel", module);
		return FALSE;
	}
	kmod_list_foreach(item, list)
	{
		g_autoptr(HdKmodModule) mod = kmod_module_get_module(item);

		rc = kmod_module_probe_insert_module(mod, KMOD_PROBE_APPLY_BLACKLIST, NULL, NULL, NULL, NULL);
		if (rc == KMOD_PROBE_APPLY_BLACKLIST) {
			g_set_error(error, HD_ERROR, HD_ERROR_PERMISSION_DENIED,
				    "module %s: administratively prohibited (blacklisted)", module);
			return FALSE;
		}
		if (rc < 0) {
			g_set_error(error, HD_ERROR, hd_error_from_errno(-rc), "module %s: %s", module,
				    g_strerror(-rc));
			return FALSE;
		}
	}
	return TRUE;
}
