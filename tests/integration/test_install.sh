#!/bin/sh
# make install honours PREFIX and DESTDIR and installs everything promised.
set -eu
B=${RUNDBRIEF_BUILD:-build}
T=$(mktemp -d /tmp/rundbrief-install-XXXXXX)
trap 'rm -rf "$T"' EXIT
make -s install BUILD="$B" DESTDIR="$T" PREFIX=/opt/rb SYSCONFDIR=/etc >/dev/null
fail=0
for f in opt/rb/bin/rundbrief opt/rb/sbin/rundbriefd \
    opt/rb/share/rundbrief/templates/de/newsletter.html.mustache \
    opt/rb/share/rundbrief/templates/en/invitation.txt.mustache \
    etc/rundbrief/rundbrief.ini.example \
    opt/rb/lib/systemd/system/rundbrief.service; do
	[ -f "$T/$f" ] || { echo "missing: $f"; fail=1; }
done
grep -q 'ExecStart=/opt/rb/sbin/rundbriefd' "$T/opt/rb/lib/systemd/system/rundbrief.service" ||
	{ echo "unit does not name the installed daemon"; fail=1; }
# rundbrief-web is built once the pages (daemon/web.c) are there
if [ -x "$B/rundbrief-web" ]; then
	w="$T/opt/rb/lib/systemd/system/rundbrief-web.service"
	[ -x "$T/opt/rb/sbin/rundbrief-web" ] || { echo "missing: rundbrief-web"; fail=1; }
	grep -q 'ExecStart=/opt/rb/sbin/rundbrief-web -c' "$w" ||
		{ echo "web unit does not name the installed program"; fail=1; }
	grep -q 'ExecStartPre=/opt/rb/sbin/rundbrief-web -c .* -n$' "$w" ||
		{ echo "web unit does not check the configuration first"; fail=1; }
	"$T/opt/rb/sbin/rundbrief-web" --help | grep -q usage ||
		{ echo "installed rundbrief-web does not run"; fail=1; }
fi
n=$(find "$T/opt/rb/share/rundbrief/templates" -name '*.mustache' | wc -l)
m=$(find templates -name '*.mustache' | wc -l)
[ "$n" -eq "$m" ] || { echo "installed $n templates of $m"; fail=1; }
"$T/opt/rb/bin/rundbrief" --help | grep -q usage || { echo "installed tool does not run"; fail=1; }
[ $fail -eq 0 ] && echo "install: $n templates, binaries, example config, unit"
exit $fail
