#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""What each hook program makes the dynamic loader load, before main() (TAP).

Every library a program links is loaded, relocated and initialised on
every run; under TCG each costs milliseconds, and the hook runs on every
VM start and stop.  So the layering is checked on the built programs'
DT_NEEDED entries, as readelf prints them, not on the meson files:

  hostdev-hook          the front, on every operation of every domain:
                        libc and nothing else
  hostdev-hook-release.so  the module the front opens for a release, which
                        restores from its journal: none of the libraries
                        only planning or a VF's settings use
  hostdev-hook-engine.so   the module for prepare and reconnect: libkmod,
                        libpci, libmount, libnl-3 and libnl-route-3 are
                        opened when first needed
                        (plugin/engine/hd-lazy-library.h), never linked

and neither module links libxml2: Debian's brings ICU and libstdc++, 2.6 MiB
of a hook's memory, and the engine reads the domain with expat instead
(xml/hd-xml-tree.c).

and each module exports its entry point alone (hook/hd-hook-module.map).
"""
import re
import shutil
import subprocess
import sys

LAZILY_OPENED = ("libkmod", "libpci", "libmount", "libudev", "libblkid", "libselinux", "libnl-3", "libnl-route-3")
LIBXML2 = ("libxml2", "libicu", "libstdc++")
# a sanitizer build's runtimes are the build's, not the program's
SANITIZERS = ("libasan", "libubsan", "liblsan", "libtsan")


def needed(path):
    out = subprocess.run(["readelf", "--dynamic", "--wide", path], check=True,
                         capture_output=True, text=True).stdout
    return [lib for lib in re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", out)
            if not lib.startswith(SANITIZERS)]


def exported(path):
    out = subprocess.run(["readelf", "--dyn-syms", "--wide", path], check=True,
                         capture_output=True, text=True).stdout
    return sorted({fields[7] for fields in (line.split() for line in out.splitlines())
                   if len(fields) >= 8 and fields[4] == "GLOBAL" and fields[6] != "UND"})


def check_exports(number, name, path):
    names = exported(path)
    status = "ok" if names == ["hd_hook_module_main"] else "not ok"
    print(f"{status} {number} - {name} exports {', '.join(names) or 'nothing'}")
    return status == "ok"


def check(number, name, path, allowed=None, forbidden=()):
    libs = needed(path)
    wrong = [lib for lib in libs
             if (allowed is not None and lib not in allowed)
             or any(lib.startswith(prefix) for prefix in forbidden)]
    status = "ok" if libs and not wrong else "not ok"
    print(f"{status} {number} - {name} links {', '.join(libs) or 'nothing'}")
    if wrong:
        print(f"# {name} must not link {', '.join(wrong)}")
    return not wrong


def main():
    bin_dir = sys.argv[1]
    if shutil.which("readelf") is None:
        print("1..0 # SKIP readelf (binutils) is not installed")
        return 0
    checks = [
        ("hostdev-hook", dict(allowed=("libc.so.6",))),
        ("hostdev-hook-release.so", dict(forbidden=LIBXML2 + LAZILY_OPENED)),
        ("hostdev-hook-engine.so", dict(forbidden=LIBXML2 + LAZILY_OPENED)),
    ]
    modules = [name for name, _ in checks if name.endswith(".so")]
    print(f"1..{len(checks) + len(modules)}")
    results = [check(n, name, f"{bin_dir}/{name}", **kw) for n, (name, kw) in enumerate(checks, 1)]
    results += [check_exports(len(checks) + n, name, f"{bin_dir}/{name}") for n, name in enumerate(modules, 1)]
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
