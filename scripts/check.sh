#!/bin/sh
#
# check.sh: what "make check" (and so CI, through .ci/run) runs, stage by
# stage, stopping at the first failure:
#
#   deps          scripts/deps.sh build test
#   build         configure $BUILDDIR (objs) with --with-werror, make all
#   unit          the Criterion tests
#   integration   pytest against $BUILDDIR/drover
#   fuzz          every libFuzzer target for FUZZ_SECONDS (default 15) each
#   san           configure $BUILDDIR/san with the same options plus
#                 --with-sanitizers --with-werror, build, and run unit and
#                 integration again under ASan + UBSan; any sanitizer report
#                 (they go to $BUILDDIR/san/sanitizer/) fails the stage
#
# Environment: BUILDDIR (objs), JOBS (make -j, default: the number of CPUs),
# FUZZ_SECONDS (15), CHECK_SKIP (stages to skip, e.g. "fuzz san"),
# PYTEST_ARGS, UNIT_FILTER, DR_NO_DEPS=1. Ends with a per-stage summary and
# "check: N passed, N failed" (the test counts of all stages).

LC_ALL=C
export LC_ALL

B=${BUILDDIR:-objs}
B=${B%/}
S=$B/san
# 9 targets x 15 s: the bound keeps the whole check within CI's ~20 min
FUZZ_SECONDS=${FUZZ_SECONDS:-15}
export FUZZ_SECONDS

cd "$(dirname "$0")/.." || exit 1

# parallel builds: inherit make's jobserver when there is one
case " ${MAKEFLAGS:-} " in
*jobserver* | *" -j"*) jobs= ;;
*) jobs=-j${JOBS:-$(nproc 2>/dev/null || echo 2)} ;;
esac

q()
{
    # $1 quoted for sh when it needs it (as configure quotes its arguments)
    case $1 in
    '' | *[!A-Za-z0-9_./=:,+@%-]*)
        printf "'%s'" "$(printf '%s' "$1" | sed "s/'/'\\\\''/g")"
        ;;
    *)
        printf '%s' "$1"
        ;;
    esac
}

mk()
{
    # shellcheck disable=SC2086
    make --no-print-directory $jobs "$@"
}

start_all=$(date +%s)
summary=
total_passed=0
total_failed=0
stage_no=0
stages_total=6

banner()
{
    stage_no=$((stage_no + 1))
    echo
    echo "======================================================================"
    echo "==== check [$stage_no/$stages_total] $1"
    echo "======================================================================"
}

add_counts()
{
    # add_counts FILE: "PASSED FAILED" into the totals
    if [ -f "$1" ]; then
        set -- $(cat "$1")
        total_passed=$((total_passed + ${1:-0}))
        total_failed=$((total_failed + ${2:-0}))
    fi
}

print_summary()
{
    echo
    echo "======================================================================"
    echo "==== check summary"
    echo "======================================================================"
    printf '%s' "$summary"
    echo "total time: $(( $(date +%s) - start_all ))s"
}

skipped()
{
    case " ${CHECK_SKIP:-} " in
    *" $1 "*) return 0 ;;
    esac
    return 1
}

# stage NAME TITLE COMMAND...: run one stage, record its time and result
stage()
{
    name=$1
    title=$2
    shift 2
    banner "$title"
    if skipped "$name"; then
        echo "(skipped: CHECK_SKIP)"
        summary="$summary$(printf '  %-14s skipped' "$name")
"
        return 0
    fi
    t0=$(date +%s)
    "$@"
    rc=$?
    t=$(( $(date +%s) - t0 ))
    if [ $rc -ne 0 ]; then
        summary="$summary$(printf '  %-14s FAILED  %4ss' "$name" "$t")
"
        print_summary
        echo
        echo "check: FAILED at stage \"$name\" ($title)"
        echo "check: $total_passed passed, $((total_failed > 0 ? total_failed : 1)) failed"
        exit 1
    fi
    summary="$summary$(printf '  %-14s ok      %4ss' "$name" "$t")
"
}

# ---------------------------------------------------------------- stages

do_deps()
{
    sh scripts/deps.sh build test
}

do_build()
{
    sh scripts/reconfigure.sh "$B" --with-werror || return 1
    mk -f "$B/Makefile" all
}

do_unit()
{
    mk -f "$B/Makefile" unit-build || return 1
    rc=0
    mk -f "$B/Makefile" unit || rc=1
    add_counts "$B/unit.result"
    return $rc
}

do_integration()
{
    rc=0
    mk -f "$B/Makefile" integration || rc=1
    add_counts "$B/integration.result"
    return $rc
}

do_fuzz()
{
    mk -f "$B/Makefile" fuzz-build || return 1
    rc=0
    {
        mk -f "$B/Makefile" fuzz FUZZ_SECONDS="$FUZZ_SECONDS" 2>&1
        echo $? > "$B/fuzz.rc"
    } | tee "$B/fuzz.out"
    [ "$(cat "$B/fuzz.rc")" = 0 ] || rc=1
    set -- $(sed -n 's/^fuzz: \([0-9]*\) passed, \([0-9]*\) failed$/\1 \2/p' \
             "$B/fuzz.out")
    total_passed=$((total_passed + ${1:-0}))
    total_failed=$((total_failed + ${2:-0}))
    return $rc
}

san_reports()
{
    # fail if a sanitizer wrote a report
    if [ -n "$(ls -A "$S/sanitizer" 2>/dev/null)" ]; then
        for f in "$S"/sanitizer/*; do
            echo "---- sanitizer report $f:"
            head -n 80 "$f"
        done
        echo "san: sanitizer reports in $S/sanitizer"
        return 1
    fi
    return 0
}

do_san()
{
    # the same options as $B, in $S, with the sanitizers and -Werror
    base=$(cat "$B/configure.args" 2>/dev/null)
    eval "set -- $base"
    want=
    for a in "$@"; do
        case $a in
        --builddir=* | --with-sanitizers | --with-asan | --with-werror) ;;
        *) want="$want $(q "$a")" ;;
        esac
    done
    want="$want --builddir=$S --with-sanitizers --with-werror"
    eval "set -- $want"
    if [ -f "$S/configure.args" ] \
       && [ "$(eval "set -- $(cat "$S/configure.args")"; printf '%s\n' "$@")" \
            = "$(printf '%s\n' "$@")" ]
    then
        sh scripts/reconfigure.sh "$S" || return 1
    else
        if [ -f "$B/configure.env" ]; then
            # shellcheck disable=SC1090
            case $B in
            /*) . "$B/configure.env" ;;
            *)  . "./$B/configure.env" ;;
            esac
            [ -n "${CC:-}" ] && export CC
        fi
        echo "san: ./configure$want"
        ./configure "$@" > "$B/san-configure.out" 2>&1 \
            || { cat "$B/san-configure.out"; return 1; }
    fi
    mk -f "$S/Makefile" all || return 1

    rm -rf "$S/sanitizer"
    mkdir -p "$S/sanitizer"

    # unit: reports go to the test output (Criterion shows a crash)
    ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:symbolize=1:detect_stack_use_after_return=1
    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
    LSAN_OPTIONS=suppressions=$(pwd)/tests/lib/lsan.supp:print_suppressions=0
    export ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS
    mk -f "$S/Makefile" unit-build || return 1
    rc=0
    mk -f "$S/Makefile" unit || rc=1
    add_counts "$S/unit.result"
    [ $rc -eq 0 ] || return 1

    # integration: drover daemonizes and may close stderr, so the reports
    # of every drover process go to files, checked afterwards
    case $S in /*) abs=$S/sanitizer ;; *) abs=$(pwd)/$S/sanitizer ;; esac
    ASAN_OPTIONS=$ASAN_OPTIONS:log_path=$abs/asan
    UBSAN_OPTIONS=$UBSAN_OPTIONS:log_path=$abs/ubsan
    # sanitized binaries are slower: the harness scales its timeouts
    DROVER_TEST_TIMEOUT_SCALE=${DROVER_TEST_TIMEOUT_SCALE:-3}
    export ASAN_OPTIONS UBSAN_OPTIONS DROVER_TEST_TIMEOUT_SCALE
    mk -f "$S/Makefile" integration || rc=1
    add_counts "$S/integration.result"
    unset ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS
    san_reports || rc=1
    return $rc
}

echo "check: BUILDDIR=$B FUZZ_SECONDS=$FUZZ_SECONDS ${jobs:-(make jobserver)}" \
     "${CHECK_SKIP:+CHECK_SKIP=\"$CHECK_SKIP\"}"

stage deps        "deps: Debian build and test packages"      do_deps
stage build       "build: $B with -Werror"                    do_build
stage unit        "unit: Criterion tests"                     do_unit
stage integration "integration: pytest against $B/drover"     do_integration
stage fuzz        "fuzz: libFuzzer targets, ${FUZZ_SECONDS}s each" do_fuzz
stage san         "san: $S with ASan + UBSan, unit + integration" do_san

print_summary
echo
echo "check: all stages passed"
echo "check: $total_passed passed, $total_failed failed"
