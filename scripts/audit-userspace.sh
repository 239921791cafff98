# SPDX-License-Identifier: GPL-2.0
# Sourced (host and guest): which audit userspace the tools come from.
#
#   AUDIT_USERSPACE=3.0.9  Debian 12's audit with userspace/audit-3.0.9
#                          (the default: the tools Debian 12 ships)
#   AUDIT_USERSPACE=4.2.1  upstream audit-userspace v4.2.1 with
#                          userspace/audit-4.2.1
#
# Sets AUDIT_USERSPACE and AUDIT_PREFIX, the install prefix that
# scripts/build-audit-userspace --version $AUDIT_USERSPACE fills; an
# AUDIT_PREFIX set by the caller wins.  Needs $REPO.
AUDIT_USERSPACE=${AUDIT_USERSPACE:-3.0.9}
case $AUDIT_USERSPACE in
3.0.9) AUDIT_PREFIX=${AUDIT_PREFIX:-$REPO/.cache/audit-userspace} ;;
4.2.1) AUDIT_PREFIX=${AUDIT_PREFIX:-$REPO/.cache/audit-userspace-4.2.1} ;;
*)
	echo "AUDIT_USERSPACE=$AUDIT_USERSPACE: no such audit userspace (3.0.9 or 4.2.1)" >&2
	return 1 2>/dev/null || exit 1
	;;
esac
export AUDIT_USERSPACE AUDIT_PREFIX
