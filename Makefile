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

.PHONY: all demo check check-debug deps userspace kernel kernel-debug \
	host-test lint guest-test audit-testsuite bench shell clean distclean

all: kernel

deps:
	scripts/deps

userspace: deps
	scripts/build-audit-userspace

kernel: deps
	scripts/build-kernel

kernel-debug: deps
	scripts/build-kernel --debug

demo: userspace kernel
	scripts/vm --timeout 600 --log .cache/demo-console.log -- scripts/demo

host-test: deps
	cd tests/host && cargo test --locked

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
# kernel; the console scan fails the run on any report.
check-debug: userspace kernel-debug
	scripts/vm --debug --timeout 3600 --log .cache/debug-console.log -- \
		tests/guest/run
	scripts/audit-testsuite --debug

# Timings side by side in one VM run: without and with a contid, and a
# contid rule field against a sessionid one.
bench: userspace kernel
	scripts/vm --timeout 1200 --log .cache/bench-console.log -- tests/bench/run

shell: userspace kernel
	scripts/vm --shell

clean:
	rm -rf .cache/build .cache/build-debug tests/host/target

distclean:
	rm -rf .cache tests/host/target
