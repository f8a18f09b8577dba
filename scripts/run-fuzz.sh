#!/bin/sh
#
# run-fuzz.sh BUILDDIR SECONDS TARGET...: run each libFuzzer binary for
# SECONDS (-max_total_time), one after the other, and fail if one finds a
# crash, a leak, a timeout or a sanitizer error.
#
# The seed corpus of BUILDDIR/fuzz/fuzz_NAME is tests/fuzz/corpus/NAME/ (if
# present), copied to a scratch directory so that the run never writes into
# the tree; tests/fuzz/NAME.dict is passed as -dict= when present. Crash
# inputs go to BUILDDIR/fuzz/artifacts/NAME/crash-*; the full output of a run
# to BUILDDIR/fuzz/NAME.log. FUZZ_ARGS adds libFuzzer flags.

LC_ALL=C
export LC_ALL

b=${1:?usage: run-fuzz.sh BUILDDIR SECONDS TARGET...}
secs=${2:?usage: run-fuzz.sh BUILDDIR SECONDS TARGET...}
shift 2

if [ $# -eq 0 ]; then
    echo "fuzz: no targets (tests/fuzz/fuzz_*.c)"
    exit 0
fi

scratch=$(mktemp -d "${TMPDIR:-/tmp}/drover-fuzz.XXXXXX") || exit 1
trap 'rm -rf "$scratch"' EXIT INT TERM

ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:symbolize=1}
UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export ASAN_OPTIONS UBSAN_OPTIONS

bad=
ok=0
mkdir -p "$b/fuzz/artifacts"

for t in "$@"; do
    name=${t##*/}
    name=${name#fuzz_}
    corpus=$scratch/$name
    mkdir -p "$corpus"
    if [ -d "tests/fuzz/corpus/$name" ]; then
        cp -R "tests/fuzz/corpus/$name/." "$corpus/"
    fi
    dict=
    if [ -f "tests/fuzz/$name.dict" ]; then
        dict=-dict=tests/fuzz/$name.dict
    fi
    log=$b/fuzz/$name.log
    mkdir -p "$b/fuzz/artifacts/$name"
    seeds=$(find "$corpus" -type f | wc -l)
    echo "--- fuzz: $name for ${secs}s ($seeds seeds)"
    # shellcheck disable=SC2086
    "$t" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1 -artifact_prefix="$b/fuzz/artifacts/$name/" \
        $dict ${FUZZ_ARGS:-} "$corpus" > "$log" 2>&1
    rc=$?
    runs=$(sed -n 's/^Done \([0-9]*\) runs in.*/\1/p' "$log" | tail -n 1)
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1)
    if [ $rc -eq 0 ]; then
        echo "fuzz: $name ok: ${runs:-?} runs, ${cov:-cov: ?}"
        ok=$((ok + 1))
    else
        echo "fuzz: $name FAILED (exit $rc); the end of $log:"
        tail -n 60 "$log"
        ls "$b/fuzz/artifacts/$name/"* 2>/dev/null | sed 's/^/fuzz: crash input: /'
        bad="$bad $name"
    fi
done

echo
echo "fuzz: $ok passed, $(echo $bad | wc -w) failed"
[ -z "$bad" ]
