#!/bin/sh
#
# run-unit-tests.sh BUILDDIR BINARY...: run each Criterion test binary, show
# its output, and print a summary; exits non-zero if any binary fails (a
# failing or crashing test, or the binary not finishing in UNIT_TIMEOUT
# seconds, default 300). The totals are also written to BUILDDIR/unit.result
# ("PASSED FAILED") for scripts/check.sh.
#
#   UNIT_FILTER=zk     run only the binaries whose path contains "zk"
#   CRITERION_ARGS=... extra arguments for every binary (e.g. --verbose)

LC_ALL=C
export LC_ALL

b=${1:?usage: run-unit-tests.sh BUILDDIR BINARY...}
shift

passed=0
failed=0
bad=
ran=0
log=$b/unit.log
: > "$log"

for t in "$@"; do
    if [ -n "${UNIT_FILTER:-}" ]; then
        case $t in
        *"$UNIT_FILTER"*) ;;
        *) continue ;;
        esac
    fi
    ran=$((ran + 1))
    name=${t#"$b"/tests/unit/}
    echo "--- unit: $name"
    out=$b/unit.out
    # shellcheck disable=SC2086
    timeout -k 10 "${UNIT_TIMEOUT:-300}" "$t" ${CRITERION_ARGS:-} \
        > "$out" 2>&1
    rc=$?
    cat "$out"
    cat "$out" >> "$log"
    # [====] Synthesis: Tested: 3 | Passing: 3 | Failing: 0 | Crashing: 0
    syn=$(sed -n 's/.*Synthesis: Tested: *\([0-9]*\) *| *Passing: *\([0-9]*\) *| *Failing: *\([0-9]*\) *| *Crashing: *\([0-9]*\).*/\2 \3 \4/p' \
          "$out" | tail -n 1)
    if [ -n "$syn" ]; then
        set -- $syn
        passed=$((passed + $1))
        failed=$((failed + $2 + $3))
    fi
    if [ $rc -ne 0 ]; then
        [ $rc -eq 124 ] && echo "unit: $name timed out"
        bad="$bad $name"
        if [ -z "$syn" ] || [ "$(echo "$syn" | sed 's/^[0-9]* //')" = "0 0" ]; then
            # the binary failed without failing tests: count it once
            failed=$((failed + 1))
        fi
    fi
done
rm -f "$b/unit.out"

echo "$passed $failed" > "$b/unit.result"

if [ $ran -eq 0 ]; then
    echo "unit: no test binaries (tests/unit/**/test_*.c)"
    exit 0
fi

echo
if [ -n "$bad" ]; then
    echo "unit: FAILED:$bad"
fi
echo "unit: $passed passed, $failed failed"
[ -z "$bad" ]
