#!/usr/bin/env python3
"""Prints how many tests `swift test` skipped and why, from its output (read on stdin).

swift-testing reports each test it does not run as `Test NAME skipped: "REASON"` (the reason is the comment of the
test's `.enabled(if:)` trait); the run's last line gives the number of tests. Tests skipped because their whole
suite was disabled are reported one by one too, so counting the Test lines counts every skipped test once.
"""
import collections
import re
import sys

ANSI = re.compile(r"\x1b\[[0-9;]*m")
SKIPPED = re.compile(r'\bTest (\S.*?) skipped(?:: "(.*)")?\.?$')
TOTAL = re.compile(r"\bTest run with (\d+) tests?\b")

reasons = collections.Counter()
total = None
for raw in sys.stdin:
    line = ANSI.sub("", raw.rstrip("\n"))
    m = SKIPPED.search(line)
    if m:
        reasons[m.group(2) or "no reason given"] += 1
        continue
    m = TOTAL.search(line)
    if m:
        total = int(m.group(1))

skipped = sum(reasons.values())
of = f" of {total}" if total is not None else ""
if skipped == 0:
    print(f"skipped: none{of} tests")
else:
    print(f"skipped: {skipped}{of} tests")
    for reason, n in sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0])):
        print(f"  {n:4d}  {reason}")
