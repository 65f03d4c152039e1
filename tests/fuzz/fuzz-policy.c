/*
 * fuzz-policy.c: the policy loader, on a policy.conf made of the input
 *
 * The loader wants paths, so the bytes become a file in a fresh private
 * directory (on tmpfs), removed after each input, and are loaded twice:
 * as the main policy.conf and as a drop-in over the defaults.  The files
 * are ours, not root's, so the loader is told to expect our uid.  Besides
 * crashes and leaks, a policy it accepts must keep the promises the engine
 * and the plugins rely on without checking again: valid stub driver names,
 * a timeout in range, quirk fields that pciback takes.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <glib/gstdio.h>
#include <unistd.h>

#include "fuzz-common.h"
#include "hd-names.h"
#include "hd-policy.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_quiet(NULL);
	return 0;
}

static void
fuzz_check_policy(const HdPolicy *policy)
{
	const HdPciIds ids = {0x14e4, 0x1644, 0x1028, 0x0001};
	const HdAddress addr = {0, 3, 0, 0};
	g_autofree gchar *reason = NULL;
	gboolean variants;

	if (!hd_driver_name_check(policy->kvm_stub, "", NULL) || !hd_driver_name_check(policy->xen_stub, "", NULL))
		fuzz_fail("accepted stub drivers '%s' and '%s'", policy->kvm_stub, policy->xen_stub);
	if (policy->bind_timeout_ms == 0 || policy->bind_timeout_ms > 60000)
		fuzz_fail("accepted a bind timeout of %u ms", policy->bind_timeout_ms);
	for (guint i = 0; i < policy->quirks->len; i++) {
		const HdQuirk *quirk = g_ptr_array_index(policy->quirks, i);

		for (guint j = 0; j < quirk->fields->len; j++) {
			const HdQuirkField *f = &g_array_index(quirk->fields, HdQuirkField, j);

			if (f->reg > 0xfff || (f->size != 1 && f->size != 2 && f->size != 4) ||
			    (f->size < 4 && (f->mask >> (f->size * 8)) != 0))
				fuzz_fail("quirk '%s': field %x:%u:%x is not one pciback takes", quirk->label, f->reg,
					  f->size, f->mask);
		}
	}
	/* the questions the engine asks; nothing accepted may trip them */
	hd_policy_is_protected(policy, &addr);
	hd_policy_wants_permissive(policy, &ids);
	hd_policy_find_quirk(policy, &ids);
	hd_policy_check_device(policy, &addr, &ids, 0x020000, &reason);
	hd_policy_get_boolean(policy, "vfio", "variant-drivers", TRUE, &variants, NULL);
}

static void
fuzz_load(const char *main_file, const char *dropin_dir, const char *how)
{
	const char *const dirs[] = {dropin_dir, NULL};
	const HdPolicyLoadOptions options = {.owner = geteuid()};
	g_autoptr(GError) error = NULL;
	g_autoptr(HdPolicy) policy = hd_policy_load_full(main_file, dirs, &options, &error);

	if (policy == NULL && error == NULL)
		fuzz_fail("loading %s failed without an error", how);
	if (policy != NULL && error != NULL)
		fuzz_fail("loading %s succeeded and set an error: %s", how, error->message);
	if (policy != NULL)
		fuzz_check_policy(policy);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	g_autofree gchar *dir = fuzz_make_dir();
	g_autofree gchar *main_file = fuzz_write_file(dir, "policy.conf", data, size);
	g_autofree gchar *absent = g_build_filename(dir, "absent.conf", NULL);
	g_autofree gchar *dropins = g_build_filename(dir, "policy.d", NULL);

	fuzz_load(main_file, NULL, "the main file");
	if (g_mkdir(dropins, 0700) != 0)
		fuzz_fail("cannot create %s", dropins);
	g_free(fuzz_write_file(dropins, "50-fuzz.conf", data, size));
	fuzz_load(absent, dropins, "a drop-in");
	fuzz_remove_dir(dir);
	return 0;
}
