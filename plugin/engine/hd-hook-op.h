/*
 * hd-hook-op.h: the hook protocol's first decisions, in plain C
 *
 * This is linked into the hook's front executable, which must start as
 * fast as a no-op program, so it uses libc only: no GLib, no XML parser.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* libvirt gives a hook the whole domain XML; more than this is an attack */
#define HD_HOOK_MAX_INPUT (16u * 1024u * 1024u)

typedef enum {
	HD_HOOK_OP_IGNORE,  /* start, started, stopped, migrate, restore, ... */
	HD_HOOK_OP_PREPARE, /* "prepare begin": make the devices assignable */
	HD_HOOK_OP_RELEASE, /* "release end": put them back */
	HD_HOOK_OP_RECONNECT, /* "reconnect begin": libvirtd restarted; check the journal */
} HdHookOp;

typedef enum {
	HD_HOOK_DRIVER_UNKNOWN, /* run by hand, or from a directory we do not know */
	HD_HOOK_DRIVER_QEMU,	/* hooks/qemu or hooks/qemu.d/<name> */
	HD_HOOK_DRIVER_LIBXL,	/* hooks/libxl or hooks/libxl.d/<name> */
} HdHookDriver;

/* one invocation, as every hook program sees it */
typedef struct {
	const char *argv0;	   /* where libvirt found us: tells qemu.d from libxl.d */
	const char *domain_name;   /* argv[1] */
	const char *operation;	   /* argv[2] */
	const char *sub_operation; /* argv[3] */
	const char *sysfs_root;
	const char *policy_path;
	const char *state_dir;
} HdHookArgs;

/*
 * libvirt's @argv (four entries at least), and the roots: the host's, or
 * the test suite's from HOSTDEV_HOOK_SYSFS_ROOT, HOSTDEV_HOOK_POLICY and
 * HOSTDEV_HOOK_STATE_DIR.  libvirt runs hooks with a scrubbed environment,
 * so these are never inherited from the daemon.
 */
void hd_hook_args_init(HdHookArgs *args, char **argv);

/*
 * The engine modules the front opens (hook/hostdev-hook-engine.so for
 * prepare and reconnect, hook/hostdev-hook-release.so for release) run
 * one invocation through this entry point: libvirt's argv and the
 * document the front read from stdin (a release gets none).  Returns the
 * hook's exit status.
 */
#define HD_HOOK_MODULE_ENTRY "hd_hook_module_main"
typedef int (*HdHookModuleMain)(int argc, char **argv, const char *xml, size_t len);
int hd_hook_module_main(int argc, char **argv, const char *xml, size_t len);

HdHookOp hd_hook_op_classify(const char *operation, const char *sub_operation);
HdHookDriver hd_hook_driver_from_path(const char *argv0);
bool hd_hook_xml_may_request_devices(const char *xml, size_t len);

/* read @fd to its end; keeps at most HD_HOOK_MAX_INPUT bytes and drains the
 * rest, so that libvirt never sees EPIPE.  Returns 0 or an errno value. */
int hd_hook_read_input(int fd, char **out, size_t *len, bool *too_large);

/* a domain's journal is <state_dir>/<domain>.journal; shared with hd-journal.c */
#define HD_JOURNAL_SUFFIX ".journal"
/* names that cannot be file names as they are get "~" and a hash */
#define HD_JOURNAL_HASHED_PREFIX '~'
#define HD_JOURNAL_PLAIN_NAME_MAX 200

/* the journal's path into @path; false for a name that could leave the
 * state directory, or a path longer than @size */
bool hd_journal_path(const char *state_dir, const char *domain, char *path, size_t size);

/* does @domain have a journal in @state_dir, that is, devices lent out? */
bool hd_hook_has_journal(const char *state_dir, const char *domain);
