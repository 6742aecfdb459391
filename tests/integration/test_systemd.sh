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
# Both units: rundbrief.service (the daemon), rundbrief-web.service.
check() {
	unit=$1
	sed "s|@SBINDIR@|$B|g" "systemd/$unit" > "$T/$unit"
	out=$(systemd-analyze verify "$T/$unit" 2>&1 | grep -v -e 'Failed to \(connect\|add\)' || true)
	if [ -n "$out" ]; then
		echo "$unit: systemd-analyze verify complains:"
		echo "$out"
		return 1
	fi
	score=$(systemd-analyze security --offline=yes "$T/$unit" 2>/dev/null |
		sed -n "s/.*Overall exposure level for $unit: \([0-9.]*\).*/\1/p")
	echo "$unit: systemd exposure level: $score"
	[ -n "$score" ] || { echo "$unit: no exposure score"; return 1; }
	awk -v s="$score" 'BEGIN { exit !(s <= 2.0) }' || {
		echo "$unit: exposure $score is above 2.0: the unit lost hardening"
		return 1
	}
}
fail=0
check rundbrief.service || fail=1
check rundbrief-web.service || fail=1
# the web service holds no mail credentials and writes only the database
if grep -Eq '^(LoadCredential|Environment)' systemd/rundbrief-web.service; then
	echo "rundbrief-web.service: credentials or environment for mail"
	fail=1
fi
[ "$(grep -c '^ReadWritePaths=' systemd/rundbrief-web.service)" -eq 1 ] &&
    grep -q '^ReadWritePaths=/var/lib/rundbrief$' systemd/rundbrief-web.service || {
	echo "rundbrief-web.service: writable paths other than the database's"
	fail=1
}
exit $fail
