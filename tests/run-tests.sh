#!/bin/sh
# Runs the unit tests (each cmocka binary, under valgrind when available and
# VALGRIND is not "none") and the integration scripts, then prints one
# summary line "N passed, N failed".
#   sh tests/run-tests.sh BUILD [unit|integration]
set -u
BUILD=${1:-build}
WHAT=${2:-all}
VALGRIND=${VALGRIND:-valgrind}
export RUNDBRIEF_BUILD="$(cd "$BUILD" && pwd)"
export RUNDBRIEF_SRC="$(pwd)"
export MUSTACHE_SPEC_DIR="${MUSTACHE_SPEC_DIR:-$(pwd)/../shared/mustache-spec}"
passed=0
failed=0
failures=

run() { # name, command...
	name=$1
	shift
	if "$@"; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
		failures="$failures $name"
	fi
}

if [ "$WHAT" != integration ]; then
	vg=
	if [ "$VALGRIND" != none ] && command -v "$VALGRIND" >/dev/null 2>&1; then
		vg="$VALGRIND -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite --show-leak-kinds=definite --suppressions=tests/valgrind.supp"
	fi
	for t in "$BUILD"/tests/test_*; do
		[ -x "$t" ] || continue
		echo "== unit: $(basename "$t")"
		# shellcheck disable=SC2086
		run "$(basename "$t")" $vg "$t"
	done
fi

if [ "$WHAT" != unit ]; then
	for t in tests/integration/test_*.sh tests/integration/test_*.py; do
		[ -f "$t" ] || continue
		echo "== integration: $(basename "$t")"
		case $t in
		*.py) run "$(basename "$t")" /usr/bin/python3 "$t" ;;
		*) run "$(basename "$t")" sh "$t" ;;
		esac
	done
fi

[ -n "$failures" ] && echo "failed:$failures"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
