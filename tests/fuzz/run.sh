#!/bin/sh
# Builds the libFuzzer targets of tests/fuzz/ with clang (ASan + UBSan +
# libFuzzer, straight from daemon/*.c, not from the gcc-built archive) and
# runs each for FUZZ_SECONDS. Exits non-zero if any target found a crash,
# a leak, a hang, an invariant failure or a sanitizer report.
#
#   sh tests/fuzz/run.sh [--build-only] [TARGET...]
#
# TARGET is a name such as config or fuzz_config (default: all). Run from
# anywhere; paths are relative to the repository root. Environment:
#   FUZZ_SECONDS  seconds per target (30)
#   FUZZ_JOBS     targets fuzzed at the same time (CPUs, at most 4)
#   FUZZ_BUILD    build and work directory (build/fuzz)
#   FUZZ_TIMEOUT  seconds one input may take before it counts as a hang (10)
#   FUZZ_FLAGS    further libFuzzer flags for every target
#   CLANG         the compiler (clang)
# Per target, in FUZZ_BUILD: fuzz_NAME (the binary), corpus/NAME/ (inputs
# found so far, kept between runs), NAME.log, and crash-*, leak-*,
# timeout-*, oom-* files for what was found.
set -u

ALL="config template csvin ical_reply markdown mime_header datefmt_parse"
ALL="$ALL inbox_parse http_form"

cd "$(dirname "$0")/../.." || exit 2
SECS=${FUZZ_SECONDS:-30}
BUILD=${FUZZ_BUILD:-build/fuzz}
TIMEOUT=${FUZZ_TIMEOUT:-10}
EXTRA=${FUZZ_FLAGS:-}
CLANG=${CLANG:-clang}
ncpu=$(nproc 2>/dev/null || echo 1)
[ "$ncpu" -gt 4 ] && ncpu=4
JOBS=${FUZZ_JOBS:-$ncpu}

build_only=0
targets=
for a in "$@"; do
	case $a in
	--build-only) build_only=1 ;;
	-h|--help) sed -n '2,19p' "$0"; exit 0 ;;
	*)
		a=${a#fuzz_}
		a=${a%.c}
		case " $ALL " in
		*" $a "*) targets="$targets $a" ;;
		*) echo "run.sh: unknown target \"$a\" (known: $ALL)" >&2
		   exit 2 ;;
		esac ;;
	esac
done
[ -n "$targets" ] || targets=$ALL

if ! command -v "$CLANG" >/dev/null 2>&1; then
	echo "run.sh: $CLANG not found; install it: apt-get install clang" >&2
	exit 2
fi

# Extra seed directories already in the tree (read, never written).
seeds() {
	case $1 in
	config) echo conf ;;
	template) echo templates/de templates/en ;;
	ical_reply|inbox_parse) echo tests/data/replies ;;
	esac
}
maxlen() {
	case $1 in
	mime_header) echo 8192 ;;	# to reach the 16 KiB limit
	config|ical_reply|inbox_parse) echo 16384 ;;
	*) echo 4096 ;;
	esac
}

PKGS="libcurl libetpan libical inih sqlite3 md4c md4c-html nettle libmicrohttpd"
SAN="-fsanitize=address,undefined -fno-sanitize-recover=undefined"
# shellcheck disable=SC2086 # $PKGS is a list
CFLAGS="-std=c11 -D_GNU_SOURCE -g -O1 -fno-omit-frame-pointer -Wall -Wextra \
-Wshadow -Wformat=2 -Wno-format-nonliteral -Idaemon \
$(pkg-config --cflags $PKGS 2>/dev/null)"
# Debian's libetpan.pc carries gcc-only link flags (-specs=...).
LIBS=
# shellcheck disable=SC2086
for f in $(pkg-config --libs $PKGS); do
	case $f in -specs=*|-Wl,*) ;; *) LIBS="$LIBS $f" ;; esac
done
LIBS="$LIBS -lcsv -lm"

mkdir -p "$BUILD/obj" || exit 2
BUILD=$(cd "$BUILD" && pwd)

# Every daemon source but the mains is compiled with clang (coverage
# and sanitizers, no main) into one archive; the linker takes from it only
# what a target needs, so a module split into more files needs no change
# here. A source is recompiled when it or any header is newer than its
# object, or the flags changed. A source that does not compile (someone's
# work in progress) only fails the targets that need it, at link time.
stamp="$BUILD/obj/flags"
flags="$CLANG $CFLAGS $SAN -fsanitize=fuzzer-no-link"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$flags" ]; then
	rm -f "$BUILD"/obj/*.o
fi
echo "$flags" > "$stamp"
for o in "$BUILD"/obj/*.o; do
	[ -f "$o" ] || continue
	n=$(basename "$o" .o)
	[ -f "daemon/$n.c" ] || rm -f "$o"
done

echo "== building with $($CLANG --version | head -n 1)"
stale=
for c in daemon/*.c; do
	case $c in daemon/rundbrief.c|daemon/rundbriefd.c|daemon/rundbrief-web.c) continue ;; esac
	o="$BUILD/obj/$(basename "$c" .c).o"
	if [ -f "$o" ] && [ -z "$(find "$c" daemon/*.h -newer "$o" \
	    2>/dev/null)" ]; then
		continue
	fi
	stale="$stale $c"
done
if [ -n "$stale" ]; then
	export CLANG CFLAGS SAN BUILD
	# shellcheck disable=SC2016,SC2086
	printf '%s\n' $stale | xargs -P "$JOBS" -I{} sh -c '
	    o="$BUILD/obj/$(basename "$1" .c).o"
	    $CLANG $CFLAGS $SAN -fsanitize=fuzzer-no-link -c "$1" -o "$o" ||
	    { rm -f "$o"; echo "run.sh: warning: $1 does not compile" >&2; }
	    ' sh {}
fi
rm -f "$BUILD/libdaemon.a"
ar rcs "$BUILD/libdaemon.a" "$BUILD"/obj/*.o || exit 2

bad=0
pids=
for t in $targets; do
	# shellcheck disable=SC2086
	$CLANG $CFLAGS -Werror $SAN -fsanitize=fuzzer "tests/fuzz/fuzz_$t.c" \
	    "$BUILD/libdaemon.a" -o "$BUILD/fuzz_$t" $LIBS &
	pids="$pids $!"
done
for p in $pids; do
	wait "$p" || bad=1
done
if [ $bad -ne 0 ]; then
	echo "run.sh: building the fuzz targets failed (libFuzzer comes with" \
	    "clang in Debian's libclang-rt-14-dev)" >&2
	exit 2
fi
[ $build_only -eq 1 ] && { echo "built:$targets (in $BUILD)"; exit 0; }

# One target: fuzz for SECS, then judge by exit status and log.
fuzz() {
	t=$1
	bin="$BUILD/fuzz_$t"
	work="$BUILD/corpus/$t"
	log="$BUILD/$t.log"
	mkdir -p "$work"
	dict=
	[ -f "tests/fuzz/dict/$t.dict" ] && dict="-dict=tests/fuzz/dict/$t.dict"
	dirs="tests/fuzz/corpus/$t"
	for d in $(seeds "$t"); do
		[ -d "$d" ] && dirs="$dirs $d"
	done
	rm -f "$BUILD/$t"-crash-* "$BUILD/$t"-leak-* "$BUILD/$t"-timeout-* \
	    "$BUILD/$t"-oom-* "$BUILD/$t"-slow-unit-*
	# The hard limit covers a hang that libFuzzer's own -timeout misses.
	# shellcheck disable=SC2086
	ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0} \
	UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
	timeout -k 10 $((SECS + TIMEOUT + 60)) "$bin" \
	    -max_total_time="$SECS" -timeout="$TIMEOUT" -rss_limit_mb=2048 \
	    -max_len="$(maxlen "$t")" -print_final_stats=1 \
	    -artifact_prefix="$BUILD/$t-" $dict $EXTRA \
	    "$work" $dirs < /dev/null > "$log" 2>&1
	rc=$?
	if [ $rc -eq 0 ] && grep -Eq 'ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error:|invariant failed' "$log"; then
		rc=99
	fi
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
	rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
	cov=$(grep -E '^#[0-9]+' "$log" | tail -n 1 | sed -n 's/.* cov: \([0-9]*\).*/\1/p')
	if [ $rc -eq 0 ]; then
		echo "ok      $t: ${execs:-?} runs, ${rate:-?} exec/s, cov ${cov:-?}"
	else
		echo "FAILED  $t (exit $rc): see $BUILD/$t.log"
		grep -E 'ERROR:|SUMMARY:|runtime error:|invariant failed|Test unit written|deadly signal' \
		    "$log" | head -n 8 | sed 's/^/        /'
		for f in "$BUILD/$t"-crash-* "$BUILD/$t"-leak-* "$BUILD/$t"-timeout-* \
		    "$BUILD/$t"-oom-*; do
			[ -f "$f" ] && echo "        reproduce: $BUILD/fuzz_$t $f"
		done
	fi
	return $rc
}

n=0
for t in $targets; do n=$((n + 1)); done
echo "== fuzzing $n target(s), ${SECS}s each, $JOBS at a time"
res="$BUILD/results"
rm -rf "$res"
mkdir -p "$res"
running=
for t in $targets; do
	echo "   $t ..."
	( fuzz "$t" > "$res/$t.out"; echo $? > "$res/$t.rc" ) &
	running="$running $!"
	# shellcheck disable=SC2086 # a list of process ids
	set -- $running
	if [ $# -ge "$JOBS" ]; then
		wait "$1"
		shift
		running="$*"
	fi
done
wait

passed=0
failed=0
for t in $targets; do
	cat "$res/$t.out"
	if [ "$(cat "$res/$t.rc" 2>/dev/null)" = 0 ]; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
	fi
done
echo "fuzz: $passed passed, $failed failed"
[ $failed -eq 0 ]
