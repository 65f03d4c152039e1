#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Keep the man pages and the bash completion true to the code (TAP).

Nothing here is a list copied from the code: every name is asked of the
built programs or read from the source at test time, so a command, an
option, a policy key, an environment variable or a metadata attribute
added without its documentation fails here.

  hostdevctl.8       every command `hostdevctl --help` lists has a .SS
                     section in COMMANDS holding each option its
                     `hostdevctl CMD --help` prints, except the options
                     every command shares, which COMMON OPTIONS holds;
                     --version and its output's version, which is the
                     page's
  completion         offers every command, --help and --version, each
                     command's options, and for each argument of its
                     usage line: DOMAIN names from virsh, BDFs from
                     --sysfs-root, files for FILE.xml, literal words
  hostdev-hook.conf.5  every group and key the policy loader knows
                     (`hostdevctl policy check --json`'s settings, and
                     the hd_policy_keys[] table for [quirk LABEL]) under
                     the group's .SS heading
  hostdev-hook.8     every HOSTDEV_HOOK_* variable the sources read, in
                     ENVIRONMENT; every element and attribute of
                     xml/hostdev-hook.rng, in METADATA; --version if the
                     hook has one
  all pages          groff -man -ww renders them without a warning
                     (skipped without groff)

Usage: test-docs.py SOURCE_ROOT BUILD_ROOT MAN_DIR COMPLETION
"""

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

SOURCE_ROOT, BUILD_ROOT, MAN_DIR, COMPLETION = sys.argv[1:5]
HOSTDEVCTL = os.path.join(BUILD_ROOT, "hook", "hostdevctl")
HOOK = os.path.join(BUILD_ROOT, "hook", "hostdev-hook")
FIXTURE_SYSFS = os.path.join(SOURCE_ROOT, "tests", "fixtures", "sysfs")
# by its path: one completion runs with a PATH that holds no virsh
BASH = shutil.which("bash")

_count = 0
_failed = 0


def tap(ok, name, diagnostics=()):
    global _count, _failed
    _count += 1
    if not ok:
        _failed += 1
    print(f"{'ok' if ok else 'not ok'} {_count} - {name}")
    for line in diagnostics:
        print(f"# {line}")


def tap_skip(name, reason):
    global _count
    _count += 1
    print(f"ok {_count} - {name} # SKIP {reason}")


def check_missing(name, missing, where):
    tap(not missing, name, [f"{item}: not in {where}" for item in missing])


def run(argv, **kwargs):
    return subprocess.run(argv, capture_output=True, text=True, timeout=60, **kwargs)


# ---- roff ---------------------------------------------------------------

def roff_text(path):
    """The page's text with roff's escapes for '-' and fonts undone."""
    with open(path, encoding="utf-8") as f:
        text = f.read()
    text = re.sub(r"\\f[BIRP]|\\f\(..|\\f\[[A-Z]*\]", "", text)
    return text.replace("\\-", "-").replace("\\(aq", "'").replace("\\e", "\\")


def sections(text, macro):
    """{heading: body} for each .SH or .SS of the text."""
    out = {}
    heading = None
    for line in text.splitlines():
        m = re.match(rf"^\.{macro}\s+(.*)$", line)
        if m:
            heading = m.group(1).strip().strip('"')
            out[heading] = ""
        elif macro == "SS" and re.match(r"^\.SH\s", line):
            heading = None
        elif heading is not None:
            out[heading] += line + "\n"
    return out


def mentions(text, word):
    """@word as a word of its own: --json, not --json-x nor x--json."""
    return re.search(rf"(?<![\w-]){re.escape(word)}(?![\w-])", text) is not None


# ---- hostdevctl ---------------------------------------------------------

def hostdevctl_commands():
    out = run([HOSTDEVCTL, "--help"]).stdout
    body = out.split("commands:", 1)[1]
    return [m.group(1) for m in re.finditer(r"^  (\S+)\s", body, re.M)]


def command_help(command):
    """(its argument words, its long and short options) from CMD --help."""
    out = run([HOSTDEVCTL, command, "--help"]).stdout
    usage = re.search(r"^Usage:\n\s+(.*)$", out, re.M).group(1).split()
    arguments = [w for w in usage[1:] if not w.startswith("[")]
    options = set()
    for line in out.splitlines():
        m = re.match(r"^\s+(?:(-\w), )?(--[\w-]+)", line)
        if m:
            options.update(o for o in m.groups() if o is not None)
    return arguments, options


def check_hostdevctl_page(commands, helps):
    text = roff_text(os.path.join(MAN_DIR, "hostdevctl.8"))
    top = sections(text, "SH")
    subsections = sections(top.get("COMMANDS", ""), "SS")
    by_command = {h.split()[0]: body for h, body in subsections.items()}
    common = set.intersection(*(options for _, options in helps.values()))

    check_missing("hostdevctl.8: a COMMANDS section for every command",
                  [c for c in commands if c not in by_command], "COMMANDS .SS headings")
    missing = [f"{c} {o}" for c in commands for o in sorted(helps[c][1] - common)
               if c in by_command and not mentions(by_command[c], o)]
    check_missing("hostdevctl.8: every command's own options in its section", missing, "its .SS section")
    check_missing("hostdevctl.8: the options every command takes in COMMON OPTIONS",
                  [o for o in sorted(common) if not mentions(top.get("COMMON OPTIONS", ""), o)],
                  "COMMON OPTIONS")

    version = run([HOSTDEVCTL, "--version"])
    m = re.fullmatch(r"hostdevctl (\S+)\n", version.stdout)
    page_version = re.search(r'^\.TH \S+ \d+ "[^"]*" "hostdev-hook ([^"]+)"', text, re.M)
    tap(version.returncode == 0 and m is not None and mentions(text, "--version") and
        page_version is not None and page_version.group(1) == m.group(1),
        "hostdevctl.8: --version, and the version it prints is the page's",
        [f"hostdevctl --version: {version.stdout!r} status {version.returncode}",
         f".TH version: {page_version.group(1) if page_version else None}"])


# ---- bash completion ----------------------------------------------------

def complete(words, env=None):
    """What _hostdevctl offers for the last of @words."""
    script = ('source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); '
              '_hostdevctl; printf "%s\\n" "${COMPREPLY[@]}"')
    result = run([BASH, "-c", script, "bash", COMPLETION, *words], env=env)
    return set(result.stdout.split()), result.stderr


def sample_value(argument):
    """A word standing for @argument, to complete the ones after it."""
    return {"DOMAIN": "vm1", "BDF": "0000:00:00.0"}.get(argument, "x.xml")


def check_argument(command, before, argument, workdir):
    """Whether the completion offers the right kind of word for @argument."""
    words = ["hostdevctl", command, "--sysfs-root", FIXTURE_SYSFS, *before, ""]
    env = dict(os.environ, PATH=os.path.join(workdir, "bin") + os.pathsep + os.environ["PATH"])
    if argument == "DOMAIN":
        offered, _ = complete(words, env)
        without, err = complete(words, dict(os.environ, PATH=os.path.join(workdir, "empty")))
        return ({"vm-one", "vm-two"} <= offered and not without and not err,
                f"virsh's domains: {sorted(offered)}; without virsh: {sorted(without)} {err!r}")
    if argument == "BDF":
        bdfs = set(os.listdir(os.path.join(FIXTURE_SYSFS, "bus", "pci", "devices")))
        offered, _ = complete(words)
        return offered == bdfs, f"the fixture's BDFs: {sorted(offered)}"
    if "." in argument:
        offered, _ = complete(words[:-1] + [os.path.join(workdir, "dom")])
        return os.path.join(workdir, "domain.xml") in offered, f"a file: {sorted(offered)}"
    if argument.islower():
        offered, _ = complete(words)
        return argument in offered, f"the word itself: {sorted(offered)}"
    return False, f"this test knows no way to check {argument}: teach check_argument() it"


def fake_virsh(workdir):
    os.makedirs(os.path.join(workdir, "bin"))
    os.makedirs(os.path.join(workdir, "empty"))
    virsh = os.path.join(workdir, "bin", "virsh")
    with open(virsh, "w") as f:
        f.write('#!/bin/sh\n[ "$*" = "list --all --name" ] && printf "vm-one\\nvm-two\\n"\n')
    os.chmod(virsh, 0o755)
    open(os.path.join(workdir, "domain.xml"), "w").close()


def check_completion(commands, helps):
    offered, err = complete(["hostdevctl", ""])
    check_missing("completion: every command, --help and --version",
                  [w for w in commands + ["--help", "--version"] if w not in offered] +
                  ([f"stderr: {err}"] if err else []), "the words offered")
    missing = []
    for command in commands:
        offered, _ = complete(["hostdevctl", command, "-"])
        missing += [f"{command} {o}" for o in sorted(helps[command][1]) if o not in offered]
    check_missing("completion: every option of every command", missing, "the options offered")

    with tempfile.TemporaryDirectory() as workdir:
        fake_virsh(workdir)
        problems = []
        for command in commands:
            arguments = helps[command][0]
            for i, argument in enumerate(arguments):
                # "DOMAIN|--all": the word, not the option
                word = argument.split("|")[0]
                ok, detail = check_argument(command, [sample_value(a.split("|")[0]) for a in arguments[:i]],
                                            word, workdir)
                if not ok:
                    problems.append(f"{command} {word}: {detail}")
        tap(not problems, "completion: each command's arguments (domains, BDFs, files, words)", problems)


# ---- hostdev-hook.conf.5 ------------------------------------------------

def policy_keys():
    """{(group, key)}: the loader's settings, and the table's [quirk] rows."""
    with open(os.path.join(SOURCE_ROOT, "policies", "hd-policy.c"), encoding="utf-8") as f:
        source = f.read()
    table = re.search(r"hd_policy_keys\[\] = \{(.*?)\n\};", source, re.S).group(1)
    parsed = set(re.findall(r'\{"([\w-]+)", "([\w-]+)",', table))
    out = run([HOSTDEVCTL, "policy", "check", "--json", "--policy", "/nonexistent/policy.conf",
               "--policy-dir", "/nonexistent/policies.d"])
    loaded = {(s["group"], s["key"]) for s in json.loads(out.stdout)["settings"]}
    # the table's parse must see what the loader does, or it is stale
    tap(loaded and loaded <= parsed, "hostdev-hook.conf.5: hd_policy_keys[] parses to every loaded setting",
        [f"[{g}] {k}: loaded, not parsed" for g, k in sorted(loaded - parsed)] + [out.stderr.strip()])
    return loaded | parsed


def check_conf_page():
    text = roff_text(os.path.join(MAN_DIR, "hostdev-hook.conf.5"))
    groups = {}
    for heading, body in sections(sections(text, "SH").get("OPTIONS", ""), "SS").items():
        m = re.match(r"\[(\w+)", heading)
        if m:
            groups[m.group(1)] = body
    missing = []
    for group, key in sorted(policy_keys()):
        if group not in groups:
            missing.append(f"[{group}]: no .SS section")
        elif not re.search(rf"(?<![\w-]){re.escape(key)}=", groups[group]):
            missing.append(f"[{group}] {key}=")
    check_missing("hostdev-hook.conf.5: every group and key the loader knows", missing, "OPTIONS")


# ---- hostdev-hook.8 -----------------------------------------------------

def environment_names():
    names = set()
    for folder in ("hook", "plugin", "xml", "policies"):
        for dirpath, _, files in os.walk(os.path.join(SOURCE_ROOT, folder)):
            for name in files:
                if name.endswith((".c", ".h", ".c.in")):
                    with open(os.path.join(dirpath, name), encoding="utf-8") as f:
                        names.update(re.findall(r'"(HOSTDEV_HOOK_[A-Z0-9_]+)"', f.read()))
    return names


def check_hook_page():
    text = roff_text(os.path.join(MAN_DIR, "hostdev-hook.8"))
    top = sections(text, "SH")
    names = environment_names()
    tap(bool(names), "hostdev-hook.8: the sources read HOSTDEV_HOOK_* variables")
    check_missing("hostdev-hook.8: every HOSTDEV_HOOK_* variable the sources read",
                  sorted(n for n in names if not mentions(top.get("ENVIRONMENT", ""), n)), "ENVIRONMENT")

    with open(os.path.join(SOURCE_ROOT, "xml", "hostdev-hook.rng"), encoding="utf-8") as f:
        schema = set(re.findall(r'<(?:element|attribute) name="([\w-]+)"', f.read()))
    check_missing("hostdev-hook.8: every element and attribute of the metadata schema",
                  sorted(n for n in schema if not mentions(top.get("METADATA", ""), n)), "METADATA")

    version = run([HOOK, "--version"], stdin=subprocess.DEVNULL)
    if version.returncode != 0:
        tap_skip("hostdev-hook.8: --version", "this hook has no --version yet")
        return
    m = re.fullmatch(r"hostdev-hook (\S+)\n", version.stdout)
    tap(m is not None and mentions(top.get("OPTIONS", ""), "--version"),
        "hostdev-hook.8: --version in OPTIONS", [f"hostdev-hook --version: {version.stdout!r}"])


# ---- rendering ----------------------------------------------------------

def check_rendering():
    pages = ["hostdev-hook.8", "hostdevctl.8", "hostdev-hook.conf.5"]
    if shutil.which("groff") is None:
        for page in pages:
            tap_skip(f"{page}: renders without warnings", "groff is not installed")
        return
    for page in pages:
        result = run(["groff", "-man", "-Tutf8", "-ww", "-z", os.path.join(MAN_DIR, page)],
                     env=dict(os.environ, LC_ALL="C.UTF-8"))
        tap(result.returncode == 0 and not result.stderr, f"{page}: renders without warnings",
            result.stderr.splitlines())


def main():
    commands = hostdevctl_commands()
    tap(bool(commands), "hostdevctl --help lists commands", commands)
    helps = {command: command_help(command) for command in commands}
    check_hostdevctl_page(commands, helps)
    check_completion(commands, helps)
    check_conf_page()
    check_hook_page()
    check_rendering()
    print(f"1..{_count}")
    return 1 if _failed else 0


if __name__ == "__main__":
    sys.exit(main())
