#!/bin/sh
# The systemd unit: it verifies, and its exposure score stays low.
set -eu
B=${RUNDBRIEF_BUILD:-build}
T=$(mktemp -d /tmp/rundbrief-systemd-XXXXXX)
trap 'rm -rf "$T"' EXIT
if ! command -v systemd-analyze >/dev/null 2>&1; then
	echo "systemd-analyze not installed: unit not checked"
	exit 0
fi
sed "s|@SBINDIR@|$B|g" systemd/rundbrief.service > "$T/rundbrief.service"
out=$(systemd-analyze verify "$T/rundbrief.service" 2>&1 | grep -v -e 'Failed to \(connect\|add\)' || true)
if [ -n "$out" ]; then
	echo "systemd-analyze verify complains:"
	echo "$out"
	exit 1
fi
score=$(systemd-analyze security --offline=yes "$T/rundbrief.service" 2>/dev/null |
	sed -n 's/.*Overall exposure level for rundbrief.service: \([0-9.]*\).*/\1/p')
echo "systemd exposure level: $score"
[ -n "$score" ] || { echo "no exposure score"; exit 1; }
awk -v s="$score" 'BEGIN { exit !(s <= 2.0) }' || {
	echo "exposure $score is above 2.0: the unit lost hardening"
	exit 1
}
