/*
 * hd-plugin.h: everything a device plugin may see of the engine
 *
 * A plugin is a folder under plugin/ that defines one `const HdPlugin
 * hd_plugin_<folder>` and fills in only the slots it needs.  This is the
 * only engine header it includes: the engine's plan, journal and context
 * are opaque here and reached through the getters below.
 *
 * How the engine uses a plugin, for each device a request names:
 *
 *   select     does this plugin take part for this device?  Those that say
 *              yes form the device's chain, in the registry's order.
 *   check      refuse the request before anything changes (an error is the
 *              refusal, shown to the user prefixed with the plugin's name).
 *   expand     add companions to the plan (a group's other members, a VF's
 *              PF), or refuse with hd_device_refuse().
 *   describe   append, in words, the steps the slots below will take, for
 *              `hostdevctl plan`.
 *   provision  make the device exist (create a VF), then
 *   bind       move it to its stub driver (exactly one plugin of a chain
 *              fills this slot: the binder), then
 *   configure  set it up on the stub (permissive, quirks, a VF's MAC).
 *
 * Each of provision, bind and configure runs with a journal entry of its
 * own, already written to disk with step "begin", and has an undo partner.
 * Before each change to the host the slot writes what it needs to undo
 * into the entry's data and calls hd_entry_step(), which makes it durable:
 * write-ahead, so that a crash between any two writes is recoverable.
 * The undo slot gets the entry back (after a crash, from disk, in another
 * process) and must cope with any step having been reached, and be safe to
 * repeat.  An entry still at "begin" changed nothing and is not undone.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib.h>

#include "hd-address.h"
#include "hd-domain.h"
#include "hd-error.h"
#include "hd-names.h"
#include "hd-policy.h"
#include "hd-sysfs.h"

typedef struct _HdContext HdContext;
typedef struct _HdPlanDevice HdDevice;
typedef struct _HdEntry HdEntry;

/* ---- owners --------------------------------------------------------------- */

/* who holds a device: a libvirt domain, or the host itself (boot policy,
 * hostdevctl assignments).  The kinds keep the two name spaces apart, so
 * no domain name can ever collide with a host owner. */
typedef enum {
	HD_OWNER_DOMAIN,
	HD_OWNER_HOST,
} HdOwnerKind;

typedef struct {
	HdOwnerKind kind;
	gchar *name;
} HdOwner;

/* "domain 'vm1'" or "the host's boot policy": for messages */
gchar *hd_owner_describe(const HdOwner *owner);
gboolean hd_owner_equal(const HdOwner *a, const HdOwner *b);

/* ---- the plugin ----------------------------------------------------------- */

typedef enum {
	HD_PHASE_PROVISION,
	HD_PHASE_BIND,
	HD_PHASE_CONFIGURE,
} HdPhase;

typedef struct {
	const char *name; /* in journals: renaming a plugin orphans its entries */

	gboolean (*select)(HdContext *ctx, const HdDevice *dev);
	gboolean (*check)(HdContext *ctx, HdDevice *dev, GError **error);
	gboolean (*expand)(HdContext *ctx, HdDevice *dev, GError **error);
	void (*describe)(HdContext *ctx, const HdDevice *dev, GPtrArray *steps);

	gboolean (*provision)(HdContext *ctx, const HdDevice *dev, HdEntry *entry, GError **error);
	gboolean (*unprovision)(HdContext *ctx, HdEntry *entry, GError **error);
	gboolean (*bind)(HdContext *ctx, const HdDevice *dev, HdEntry *entry, GError **error);
	gboolean (*unbind)(HdContext *ctx, HdEntry *entry, GError **error);
	gboolean (*configure)(HdContext *ctx, const HdDevice *dev, HdEntry *entry, GError **error);
	gboolean (*unconfigure)(HdContext *ctx, HdEntry *entry, GError **error);
} HdPlugin;

/* ---- the host ------------------------------------------------------------- */

HdSysfs *hd_context_get_sysfs(HdContext *ctx);
const HdPolicy *hd_context_get_policy(HdContext *ctx);
/* load a kernel module (libkmod on a host, the simulated kernel in tests) */
gboolean hd_context_load_module(HdContext *ctx, const char *module, GError **error);
/* where modules.alias is: /lib/modules/$(uname -r) on a host */
const char *hd_context_get_modules_dir(HdContext *ctx);

/* what sysfs shows of one function right now */
typedef struct {
	char bdf[HD_ADDRESS_STRLEN];
	gboolean exists;
	gboolean is_bridge;
	guint16 vendor_id;
	guint16 device_id;
	gchar *driver;	    /* NULL: no driver bound */
	gchar *iommu_group; /* NULL: none */
} HdFunctionState;

gboolean hd_function_read(HdContext *ctx, const char *bdf, HdFunctionState *out, GError **error);
void hd_function_state_clear(HdFunctionState *state);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(HdFunctionState, hd_function_state_clear)

/* vendor, device and subsystem ids, from sysfs */
gboolean hd_function_read_ids(HdContext *ctx, const char *bdf, HdPciIds *out, GError **error);

/* "bus/pci/devices/<bdf>/<attribute>", for the hd_sysfs_*() calls */
gchar *hd_function_attr_path(const char *bdf, const char *attribute);
gboolean hd_driver_is_loaded(HdContext *ctx, const char *driver);

/*
 * Does the host visibly use the function at @bdf?  The plan's own in-use
 * checks (an interface with an address or a route, a mounted disk, the
 * console), for a function the plan does not take itself but a plugin's
 * change would affect; *reason is NULL when it does not.
 */
gboolean hd_function_check_usage(HdContext *ctx, const char *bdf, gchar **reason, GError **error);

/*
 * A plugin's way to the host beyond sysfs (netlink, an ioctl), replaceable
 * as a whole: the unit tests' simulated kernel has none, so they set a
 * simulation of it here, under the plugin's name.  @ops is the plugin's
 * own table of functions, @data their argument; NULL until set, and the
 * plugin then uses the real one.
 */
void hd_context_set_plugin_ops(HdContext *ctx, const char *plugin, gconstpointer ops, gpointer data);
gconstpointer hd_context_get_plugin_ops(HdContext *ctx, const char *plugin, gpointer *data);

/* ---- the device being planned --------------------------------------------- */

const char *hd_device_get_bdf(const HdDevice *dev);
gboolean hd_device_exists(const HdDevice *dev);
const char *hd_device_get_driver(const HdDevice *dev); /* the current one */
const char *hd_device_get_iommu_group(const HdDevice *dev);
/* the request as the XML (or the policy, or the CLI) put it */
const HdDeviceRequest *hd_device_get_request(const HdDevice *dev);
const HdOwner *hd_device_get_owner(const HdDevice *dev);
/* the domain the request came from, NULL for the host's own requests */
const HdDomain *hd_device_get_domain(const HdDevice *dev);
/* was the device on its stub before this request? */
gboolean hd_device_is_already_bound(const HdDevice *dev);
HdHypervisor hd_device_get_hypervisor(const HdDevice *dev);

/* the binder names the stub, and the module that provides it, in check */
const char *hd_device_get_target_driver(const HdDevice *dev);
const char *hd_device_get_target_module(const HdDevice *dev);
void hd_device_set_target_driver(HdDevice *dev, const char *driver, const char *module);

/*
 * For a provisioner's check: @dev is a VF of @pf_bdf, and need not exist
 * yet, since this plugin's provision slot will create it before the bind.
 * Journal entries of the device name @pf_bdf as their parent.
 */
void hd_device_set_parent(HdDevice *dev, const char *pf_bdf);
const char *hd_device_get_parent(const HdDevice *dev);

/* is @bdf asked for by the same plan? */
gboolean hd_device_plan_includes(const HdDevice *dev, const char *bdf);
/* the owner of @bdf in another journal than this plan's, or NULL */
const HdOwner *hd_device_other_owner(const HdDevice *dev, const char *bdf);
/* add @bdf to the plan with @dev's options, to be bound and restored with it */
gboolean hd_device_add_companion(HdContext *ctx, HdDevice *dev, const char *bdf, GError **error);
/* refuse the whole request because of @dev; the first reason stays */
void hd_device_refuse(HdDevice *dev, const char *format, ...) G_GNUC_PRINTF(2, 3);

/*
 * What a plugin read of the host while the plan is being made, kept under
 * @key for the plan's other devices: planning changes nothing, so a
 * listing of every PF, say, need not be read again per device.  NULL when
 * nothing is kept, and always once the plan is made: executing it changes
 * the host, so slots that run then read afresh.  @destroy frees @data
 * when the plan is made (or at once, outside planning).
 */
gpointer hd_device_get_planning_memo(const HdDevice *dev, const char *key);
void hd_device_set_planning_memo(const HdDevice *dev, const char *key, gpointer data, GDestroyNotify destroy);

/* ---- the journal entry of a running slot ---------------------------------- */

const char *hd_entry_get_address(const HdEntry *entry);
const char *hd_entry_get_parent(const HdEntry *entry); /* a VF's PF, or NULL */
const HdOwner *hd_entry_get_owner(const HdEntry *entry);
/* the last step recorded: "begin", one of the plugin's, or "done" */
const char *hd_entry_get_step(const HdEntry *entry);

/* the plugin's own data; kept in memory until the next hd_entry_step() */
void hd_entry_set_string(HdEntry *entry, const char *key, const char *value);
const char *hd_entry_get_string(const HdEntry *entry, const char *key);
void hd_entry_set_int(HdEntry *entry, const char *key, gint64 value);
gint64 hd_entry_get_int(const HdEntry *entry, const char *key, gint64 default_value);
void hd_entry_set_bool(HdEntry *entry, const char *key, gboolean value);
gboolean hd_entry_get_bool(const HdEntry *entry, const char *key);

/* record @step (lower-case letters, digits and '-') and the data, durably,
 * before the change it names */
gboolean hd_entry_step(HdEntry *entry, const char *step, GError **error);

/*
 * How many other entries, in every owner's journal this one's included,
 * share @entry's plugin and phase and its parent (or, without a parent,
 * its address): the other users of a PF's VFs, say.  Under the state lock,
 * so the count cannot change before the caller acts on it.
 */
gboolean hd_entry_count_sharers(HdContext *ctx, const HdEntry *entry, guint *count, GError **error);

/*
 * Sharers change the host once, and whichever of them goes last undoes it,
 * so the first one's record of the original state must outlive it: a later
 * sharer copies the members @keys (NULL-terminated) from the data of the
 * first other sharer, in this journal and then in the others, whose data
 * has @keys[0].  *adopted says whether there was one.
 */
gboolean hd_entry_adopt_from_sharers(HdContext *ctx,
				     HdEntry *entry,
				     const char *const *keys,
				     gboolean *adopted,
				     GError **error);

/* ---- the kernel's generic bind, for binders ------------------------------- */

/*
 * Move @dev to @driver (loading @module first if the driver is not there)
 * by driver_override, unbind, drivers_probe, and wait for the bind; the
 * entry's data records the original driver and override, and its steps
 * are "set-override", "unbind" and "probe".  A device already on @driver
 * is recorded as found there and left alone.
 */
gboolean hd_pci_bind_by_override(HdContext *ctx,
				 const char *bdf,
				 const char *driver,
				 const char *module,
				 HdEntry *entry,
				 GError **error);
/* the undo of hd_pci_bind_by_override(), from whatever step it reached;
 * @module loads the original driver if it was unloaded meanwhile */
gboolean hd_pci_restore_driver(HdContext *ctx, HdEntry *entry, GError **error);
/* the words for the steps hd_pci_bind_by_override() will take */
void hd_pci_describe_bind_by_override(HdContext *ctx, const HdDevice *dev, GPtrArray *steps);
