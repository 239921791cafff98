# SPDX-License-Identifier: GPL-2.0
#
# audit-contid: the two commands of the README, and their parts.
#
#   make demo    build a 6.12 kernel with the subsystem, boot it, show it
#   make check   every test: host, userspace, KUnit and in-guest
#
# KSRC=/path/to/linux-6.12.y uses your own tree instead of Debian's.

SHELL := /bin/bash
export KSRC

.PHONY: all demo check check-debug check-kasan check-kcsan deps userspace userspace-demo kernel kernel-debug \
	kernel-baseline kernel-contid-off host-test fuzz lint guest-test stress \
	audit-testsuite bench series bisect-check shell clean distclean

all: kernel

deps:
	scripts/deps

# What the demo runs: Debian 12's audit tools (patched) and the engine.
userspace-demo: deps
	scripts/build-audit-userspace --version 3.0.9
	$(MAKE) -C userspace/engine O=$(CURDIR)/.cache/engine

# And the rest of the tools the tests use: audit 4.2.1 and laurel.
userspace: userspace-demo
	scripts/build-audit-userspace --version 4.2.1
	scripts/build-laurel

kernel: deps
	scripts/build-kernel

kernel-debug: deps
	scripts/build-kernel --debug

# The kernels make bench compares against: the same tree unpatched, and
# the project's tree with CONFIG_AUDIT_CONTID=n.
kernel-baseline: deps
	scripts/build-kernel --baseline

kernel-contid-off: deps
	scripts/build-kernel --contid-off

demo: userspace-demo kernel
	scripts/vm --timeout 600 --log .cache/demo-console.log -- scripts/demo

host-test: deps
	cd tests/host && cargo test --locked

# The host tests' fuzz pass (tests/host/src/fuzz/) for longer than check
# runs it: optimised but with overflow checks, each target for
# CONTID_FUZZ_SECONDS (default 60), in rounds of CONTID_FUZZ_CASES cases
# from CONTID_FUZZ_SEED.
fuzz: deps
	cd tests/host && CONTID_FUZZ_SECONDS=$${CONTID_FUZZ_SECONDS:-60} \
		cargo test --profile fuzz --locked fuzz:: -- --nocapture

lint: deps
	scripts/lint

guest-test: userspace kernel
	scripts/vm --timeout 2400 --log .cache/guest-console.log -- tests/guest/run

# The upstream audit-testsuite, unchanged, in the VM (a stage of check).
audit-testsuite: userspace kernel
	scripts/audit-testsuite

check: deps
	scripts/check

# The guest tests, stress included, on the lockdep + KFENCE + kmemleak
# kernel; the console scan fails the run on any report.  The
# audit-testsuite may take an hour there (2,400 s, the normal kernel's
# bound, ran out beside other guests).
check-debug: userspace kernel-debug
	scripts/vm --debug --timeout 3600 --log .cache/debug-console.log -- \
		tests/guest/run
	AUDIT_TESTSUITE_TIMEOUT=3600 scripts/audit-testsuite --debug

# The long stress (scripts/stress): 10,000 mixed operations from several
# processes, the set/fork/exit races, fault injection on every allocation
# of the paths, and the guest fuzz pass, on the debug kernel (lockdep,
# KFENCE, SLUB debug, kmemleak); make check runs the same files short.
stress: userspace kernel-debug
	scripts/stress --debug

# The sanitizer kernels (scripts/check-sanitizer).  check-kasan: a clang
# build with generic KASAN on the debug kernel's checks, running the guest
# suite, the long stress and the audit-testsuite.  check-kcsan: a KCSAN
# kernel running the long stress and fuzz pass, its data-race reports
# sorted into the project's (which fail the run) and the rest's.
check-kasan: userspace
	scripts/check-sanitizer kasan

check-kcsan: userspace
	scripts/check-sanitizer kcsan

# The project's kernel against the kernel without it, booted in turn under
# instruction-count timing: one table of ratios, and a plot.
bench: userspace kernel kernel-baseline kernel-contid-off
	tests/bench/compare

# The project as an upstream-style series for a vanilla 6.12.y
# (.cache/series/out/): the patches with the files they introduce, and
# a cover letter.
series: deps
	scripts/series

# Every prefix of that series built on a pristine tree (with ccache), the
# whole series' kernel booted with a guest test; not in make check.
bisect-check: userspace
	scripts/bisect-check

shell: userspace kernel
	scripts/vm --shell

clean:
	rm -rf .cache/build .cache/build-debug .cache/build-contid-off \
		.cache/baseline/build tests/host/target

distclean:
	rm -rf .cache tests/host/target
