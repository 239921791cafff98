#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Reads the verbose output of the upstream audit-testsuite (Test::Harness
with HARNESS_VERBOSE=1), prints every subtest that did not pass with
whether the list of excused subtests covers it, and the pass count.
Exits non-zero if any failure is not excused.

A test that stops early fails the subtests it planned and did not run;
one that dies before its plan fails as a whole ("all")."""

import argparse
import re
import sys


def read_excused(path, audit_version):
    """{test: {subtest number, or "all": reason}} from the excused list;
    a line that starts with [VERSION] only for that audit userspace."""
    excused = {}
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            if m := re.match(r"\[([^]]+)\]\s+", line):
                if m[1] != audit_version:
                    continue
                line = line[m.end():]
            test, subtests, reason = line.split(None, 2)
            reasons = excused.setdefault(test, {})
            if subtests == "all":
                reasons["all"] = reason
                continue
            for part in subtests.split(","):
                first, _, last = part.partition("-")
                for n in range(int(first), int(last or first) + 1):
                    reasons[n] = reason
    return excused


def read_results(path):
    """{test: {"planned": n, "passed": set, "failed": set}} in run order."""
    results = {}
    current = None
    header = re.compile(r"^(\S+)/test \.+(.*)$")
    with open(path, errors="replace") as f:
        for line in f:
            line = line.rstrip("\r\n")
            m = header.match(line)
            if m:
                current = results.setdefault(
                    m[1], {"planned": 0, "passed": set(), "failed": set()})
                line = m[2].strip()
            if current is None:
                continue
            if m := re.match(r"^1\.\.(\d+)", line):
                current["planned"] = int(m[1])
            elif m := re.match(r"^ok (\d+)", line):
                current["passed"].add(int(m[1]))
            elif m := re.match(r"^not ok (\d+)", line):
                current["failed"].add(int(m[1]))
    return results


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--excused", required=True)
    parser.add_argument("--tests", required=True, help="the tests that were run")
    parser.add_argument("--audit-version", default="3.0.9",
                        help="the audit userspace the tools came from")
    parser.add_argument("output")
    args = parser.parse_args()
    excused = read_excused(args.excused, args.audit_version)
    results = read_results(args.output)

    passed = total = excused_count = 0
    unexcused = []
    for test in args.tests.split():
        r = results.get(test, {"planned": 0, "passed": set(), "failed": set()})
        reasons = excused.get(test, {})
        planned = r["planned"]
        total += max(planned, len(r["passed"]))
        passed += len(r["passed"] - r["failed"])
        not_passed = (set(range(1, planned + 1)) - r["passed"]) | r["failed"]
        if not planned and not r["passed"]:
            # Died before its plan: every subtest it would have run.
            not_passed = {"all"}
        for n in sorted(not_passed, key=lambda n: (n == "all", str(n).zfill(4))):
            reason = reasons.get(n) or reasons.get("all")
            if reason:
                excused_count += 1
                print(f"excused  {test} {n}: {reason}")
            else:
                unexcused.append(f"{test} {n}")
                print(f"FAILED   {test} {n}")
        for n in sorted(r["passed"] & reasons.keys()):
            print(f"note     {test} {n} passed but is excused: shorten the list")
    print(f"audit-testsuite (audit {args.audit_version}): {passed} of {total} subtests passed, "
          f"{excused_count} excused, {len(unexcused)} failed")
    return 1 if unexcused else 0


if __name__ == "__main__":
    sys.exit(main())
