#!/bin/sh
#
# deps.sh [build] [test] [bench]: install the Debian packages drover needs
# when some are absent (default: build). One dpkg-query call tells what is
# installed, so when everything is there this returns at once; otherwise it
# runs "apt-get install -y" (through sudo when not root), first without
# "apt-get update" (fast when the package lists are fresh), then, if that
# fails, after an update. Module folders may add build packages through
# dr_module_debs in their config (see docs/internals/build.md).
#
# DR_NO_DEPS=1 skips everything (a machine set up by other means).

LC_ALL=C
export LC_ALL

[ "${DR_NO_DEPS:-0}" = 1 ] && exit 0

DR_DEPS_BUILD="gcc make pkg-config libssl-dev libpcre2-dev zlib1g-dev \
libyaml-dev libcriterion-dev clang-14 libclang-rt-14-dev"
DR_DEPS_TEST="curl python3-requests python3-kazoo python3-pytest zookeeper \
nginx haproxy wrk libzookeeper-mt-dev logrotate"
DR_DEPS_BENCH="nginx haproxy wrk zookeeper curl libzookeeper-mt-dev \
python3-kazoo"

[ $# -gt 0 ] || set -- build

want=
for group in "$@"; do
    case $group in
    build)
        want="$want $DR_DEPS_BUILD"
        # packages named by the module folders (dr_module_debs=...)
        for cfg in modules/*/config; do
            [ -f "$cfg" ] || continue
            debs=$(sed -n "s/^[[:space:]]*dr_module_debs=[\"']\{0,1\}\([^\"']*\).*/\1/p" \
                   "$cfg")
            want="$want $debs"
        done
        ;;
    test)  want="$want $DR_DEPS_TEST" ;;
    bench) want="$want $DR_DEPS_BENCH" ;;
    *)
        echo "usage: deps.sh [build] [test] [bench]" >&2
        exit 2
        ;;
    esac
done

if ! command -v dpkg-query > /dev/null 2>&1; then
    echo "deps.sh: not a Debian system (no dpkg-query); make sure these are" \
         "installed:$want" >&2
    exit 0
fi

# shellcheck disable=SC2086
installed=$(dpkg-query -W -f='${db:Status-Abbrev} ${Package}\n' $want \
            2>/dev/null | sed -n 's/^ii  *//p')

missing=
for p in $want; do
    case " $missing " in *" $p "*) continue ;; esac
    found=no
    for i in $installed; do
        if [ "$i" = "$p" ]; then found=yes; break; fi
    done
    [ $found = yes ] || missing="$missing $p"
done

[ -n "$missing" ] || exit 0

echo "deps.sh: installing the missing Debian packages:$missing"

if [ "$(id -u)" = 0 ]; then
    sudo=
elif command -v sudo > /dev/null 2>&1; then
    sudo=sudo
else
    echo "deps.sh: not root and no sudo: install them by hand:" >&2
    echo "    apt-get install -y$missing" >&2
    exit 1
fi

DEBIAN_FRONTEND=noninteractive
export DEBIAN_FRONTEND

# shellcheck disable=SC2086
if ! $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y \
        --no-install-recommends $missing
then
    echo "deps.sh: install failed; running apt-get update and retrying"
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get update \
        || { echo "deps.sh: apt-get update failed" >&2; exit 1; }
    # shellcheck disable=SC2086
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y \
        --no-install-recommends $missing \
        || { echo "deps.sh: apt-get install$missing failed" >&2; exit 1; }
fi
