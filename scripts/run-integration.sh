#!/bin/sh
#
# run-integration.sh BUILDDIR: the integration tests, pytest on Debian's
# python3 (it has kazoo), against BUILDDIR/drover:
#
#   DROVER_BIN=<abs BUILDDIR/drover> DROVER_SRC=<abs source dir> \
#       /usr/bin/python3 -m pytest -q tests/integration $PYTEST_ARGS
#
# pytest's "no tests collected" (exit 5) is not a failure while the suite
# is empty. The run is bounded by INTEGRATION_TIMEOUT seconds (default 1200):
# then pytest gets SIGINT, which makes it print where it hung. The counts go
# to BUILDDIR/integration.result ("PASSED FAILED") for scripts/check.sh.

b=${1:?usage: run-integration.sh BUILDDIR}
src=$(pwd)
python=${PYTHON:-/usr/bin/python3}

echo "0 0" > "$b/integration.result"

if [ ! -d tests/integration ]; then
    echo "integration: no tests/integration yet"
    exit 0
fi

case $b in
/*) DROVER_BIN=$b/drover ;;
*)  DROVER_BIN=$src/$b/drover ;;
esac
DROVER_SRC=$src
export DROVER_BIN DROVER_SRC

out=$b/integration.log
echo "integration: DROVER_BIN=$DROVER_BIN $python -m pytest -q tests/integration ${PYTEST_ARGS:-}"

# shellcheck disable=SC2086
{
    timeout -s INT -k 60 "${INTEGRATION_TIMEOUT:-1200}" \
        "$python" -m pytest -q tests/integration ${PYTEST_ARGS:-} 2>&1
    echo $? > "$b/integration.rc"
} | tee "$out"
rc=$(cat "$b/integration.rc")
rm -f "$b/integration.rc"

# the last summary line: "== 3 passed, 1 failed, 2 skipped in 4.2s =="
summary=$(grep -E '[0-9]+ (passed|failed|error)' "$out" | tail -n 1)
p=$(echo "$summary" | sed -n 's/.*[^0-9]\([0-9][0-9]*\) passed.*/\1/p;s/^\([0-9][0-9]*\) passed.*/\1/p' | head -n 1)
f=$(echo "$summary" | sed -n 's/.*[^0-9]\([0-9][0-9]*\) failed.*/\1/p;s/^\([0-9][0-9]*\) failed.*/\1/p' | head -n 1)
e=$(echo "$summary" | sed -n 's/.*[^0-9]\([0-9][0-9]*\) error.*/\1/p;s/^\([0-9][0-9]*\) error.*/\1/p' | head -n 1)
echo "${p:-0} $((${f:-0} + ${e:-0}))" > "$b/integration.result"

case $rc in
0)
    ;;
5)
    echo "integration: no tests collected in tests/integration (not a failure)"
    rc=0
    ;;
124)
    echo "integration: timed out after ${INTEGRATION_TIMEOUT:-1200} s"
    rc=1
    ;;
*)
    echo "integration: pytest exited with $rc"
    ;;
esac
exit $rc
