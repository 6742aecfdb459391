#!/bin/sh
# Installs the Debian packages rundbrief needs, and only those missing.
#   sh tests/tools/deps.sh        build and run
#   sh tests/tools/deps.sh test   also the test peers (servers, parsers)
set -eu
BUILD_PKGS="build-essential pkg-config libcurl4-gnutls-dev libetpan-dev libgnutls28-dev libical-dev
libinih-dev libsqlite3-dev libmd4c-dev libmd4c-html0-dev libcsv-dev nettle-dev sqlite3
libmicrohttpd-dev"
TEST_PKGS="libcmocka-dev libjson-c-dev valgrind postfix python3 python3-aiosmtpd
python3-icalendar dovecot-imapd nodejs npm chromium openssl clang
apache2-utils"

want=$BUILD_PKGS
[ "${1:-}" = test ] && want="$want $TEST_PKGS"

missing=
for p in $want; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		# nodejs/npm may come from elsewhere (e.g. a preinstalled Node.js)
		case $p in
		nodejs) command -v node >/dev/null 2>&1 && continue ;;
		npm) command -v npm >/dev/null 2>&1 && continue ;;
		esac
		missing="$missing $p"
	fi
done

if [ -n "$missing" ]; then
	if [ "$(id -u)" -ne 0 ]; then
		echo "rundbrief needs these Debian packages:$missing" >&2
		echo "Install them as root:  sudo apt-get install$missing" >&2
		exit 1
	fi
	echo "installing:$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $missing
fi

# every dependency of tests/package.json, at its exact version
npm_ok() {
	node -e '
const fs = require("fs");
const want = JSON.parse(fs.readFileSync("tests/package.json")).dependencies || {};
for (const [name, version] of Object.entries(want)) {
	let got;
	try {
		got = JSON.parse(fs.readFileSync("tests/node_modules/" + name + "/package.json")).version;
	} catch (e) { }
	if (got !== version) process.exit(1);
}' 2>/dev/null
}
if [ "${1:-}" = test ] && ! npm_ok; then
	echo "installing the npm test peers (tests/package.json) into tests/node_modules"
	npm install --silent --no-audit --no-fund --prefix tests >/dev/null
	npm_ok || { echo "npm install left tests/node_modules incomplete" >&2; exit 1; }
fi
exit 0
