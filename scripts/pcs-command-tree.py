#!/usr/bin/env python3
"""Prints pcs's whole command tree, one command path a line, from the installed pcs's own help texts.

Usage: scripts/pcs-command-tree.py > Tests/PCSTests/Fixtures/pcs-0.11.5-command-tree.txt
(run where the real pcs 0.11.5 is installed; CI has no pcs, so the output is committed as a fixture).

Each group's `pcs GROUP --help` lists its commands under "Commands:", one per line indented by four spaces.
A path is the literal words at the start of such a line; an optional literal subcommand (`level [config]`)
yields both paths. Words that look literal but are placeholders or argument keywords are listed below.
pcs also routes a few commands its help no longer shows (deprecated or removed in 0.11); they follow the
help-derived paths under a comment, so the test covers them too.
"""
import re
import subprocess

GROUPS = ["cluster", "resource", "stonith", "constraint", "property", "acl", "qdevice", "quorum", "booth",
          "status", "config", "pcsd", "host", "node", "alert", "client", "dr", "tag"]
# Literal-looking words that are placeholders or keyword arguments, not subcommands.
NOT_PATHS = {"cluster config update transport", "cluster cib filename", "cluster corosync node",
             "resource list filter", "resource relocate dry-run resource1", "resource relocate run resource1",
             "stonith list filter", "stonith level clear target", "constraint order action",
             "status nodes corosync", "config backup filename"}
KEYWORD_TAILS = {"qdevice setup model": "qdevice setup", "booth setup sites": "booth setup",
                 "booth create ip": "booth create"}
# `tag [config|list [<tag id>...]]`: alternatives in one bracket.
EXTRA_HELP = ["tag config", "tag list"]
# Routed by pcs 0.11.5 (pcs/cli/routing) but absent from its help texts.
HIDDEN = ["acl show", "alert show", "cluster certkey", "cluster node add-outside", "cluster pcsd-status",
          "cluster reload", "config checkpoint list", "constraint colocation show", "constraint list",
          "constraint rule", "constraint show", "constraint ticket show", "node pacemaker-status", "property list",
          "property show", "qdevice net-client destroy", "qdevice net-client import-certificate",
          "qdevice net-client setup", "qdevice sign-net-cert-request", "resource show", "stonith show"]

LITERAL = re.compile(r"^[a-z][a-z0-9-]*$")
OPTIONAL_LITERAL = re.compile(r"^\[([a-z][a-z0-9-]*)\]$")


def paths_of(group):
    text = subprocess.run(["pcs", group, "--help"], capture_output=True, text=True).stdout
    section = text.split("Commands:", 1)[1] if "Commands:" in text else text
    found = []
    for line in section.splitlines():
        if re.match(r"^\S", line):
            break  # Examples:, Notes: ...
        m = re.match(r"^    (\S.*)$", line)
        if not m:
            continue
        variants = [[]]
        for token in m.group(1).split():
            if LITERAL.match(token):
                variants = [v + [token] for v in variants]
                continue
            optional = OPTIONAL_LITERAL.match(token)
            if optional and len(variants) == 1:
                variants = [variants[0], variants[0] + [optional.group(1)]]
                continue
            break
        for v in variants:
            path = " ".join([group] + v)
            if path in NOT_PATHS:
                continue
            path = KEYWORD_TAILS.get(path, path)
            if path not in found:
                found.append(path)
    return found


def main():
    version = subprocess.run(["pcs", "--version"], capture_output=True, text=True).stdout.strip()
    print(f"# pcs {version} command tree, from `pcs GROUP --help` (scripts/pcs-command-tree.py)")
    seen = []
    for group in GROUPS:
        for path in paths_of(group) + [p for p in EXTRA_HELP if p.startswith(group + " ")]:
            if path not in seen:
                seen.append(path)
                print(path)
    print("# routed by pcs but not in its help texts (deprecated or removed in 0.11)")
    for path in HIDDEN:
        if path not in seen:
            print(path)


if __name__ == "__main__":
    main()
