#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
# The in-kernel KUnit suite ran at boot; report its results as TAP here.
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from contid import ok, eq, done  # noqa: E402

log = subprocess.run(["dmesg"], capture_output=True, text=True, check=True).stdout
cases = re.findall(r"^\[[ .\d]+\]\s+(ok|not ok) \d+ (audit_contid_\w+)", log, re.M)
suite = re.findall(r"^\[[ .\d]+\]\s*(ok|not ok) \d+ audit_contid$", log, re.M)
ok(len(cases) >= 4, f"the audit_contid KUnit suite ran ({len(cases)} cases)", log[-2000:])
for verdict, name in cases:
    eq(verdict, "ok", f"kunit: {name}")
eq(suite, ["ok"], "kunit: suite audit_contid")
done()
