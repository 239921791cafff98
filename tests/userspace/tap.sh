# SPDX-License-Identifier: GPL-2.0
#
# tap.sh - sourced by the tests/userspace/test-*.sh host tests: the audit
# prefix under test, a scratch directory, and TAP output.
#
# Sets REPO, P (the prefix: the test's first argument, else $AUDIT_PREFIX,
# else that of $AUDIT_USERSPACE, scripts/audit-userspace.sh) and T
# (removed on exit).  The tools run as they
# would in the VM: no LD_LIBRARY_PATH; UTC and the C locale, since -i and
# --format print local dates.  The caller prints the plan with tap_done.

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)
. "$REPO/scripts/audit-userspace.sh"
P=${1:-$AUDIT_PREFIX}
T=$(mktemp -d "${TMPDIR:-/tmp}/audit-$(basename "$0" .sh).XXXXXX")
trap 'rm -rf "$T"' EXIT
unset LD_LIBRARY_PATH
export TZ=UTC LC_ALL=C

n=0
fails=0
skips=0
ok()     { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() {
	n=$((n + 1)); fails=$((fails + 1)); echo "not ok $n - $1"
	if [ -n "${2:-}" ]; then printf '%s\n' "$2" | sed 's/^/#   /'; fi
}
skip()   { n=$((n + 1)); skips=$((skips + 1)); echo "ok $n - $1 # SKIP $2"; }
# is GOT WANT DESCRIPTION
is() {
	if [ "$1" = "$2" ]; then ok "$3"; else not_ok "$3" "got:  $1"$'\n'"want: $2"; fi
}
# has OUTPUT LINE DESCRIPTION: OUTPUT contains LINE as a whole line
has() {
	if grep -qxF -- "$2" <<<"$1"; then ok "$3"; else not_ok "$3" "want: $2"$'\n'"$1"; fi
}
# bail DESCRIPTION [DIAG]: one failed check, and stop
bail() { not_ok "$1" "${2:-}"; tap_done; }
# tap_done [PLANNED]: the plan and a summary; exits 1 on any failure or,
# given PLANNED, if another number of checks ran.
tap_done() {
	if [ -n "${1:-}" ] && [ "$n" != "$1" ]; then
		not_ok "ran $n checks, planned $1"
	fi
	echo "1..$n"
	echo "# $((n - fails - skips)) passed, $fails failed, $skips skipped"
	[ "$fails" = 0 ] || exit 1
	exit 0
}
