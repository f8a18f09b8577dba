#!/bin/sh
#
# reconfigure.sh [BUILDDIR] [EXTRA-ARG...]: run ./configure for BUILDDIR
# (default objs) if its outputs are missing or older than configure,
# Makefile.in, scripts/gen-modules.sh or a modules/*/config, or if module
# folders were added or removed since. It re-runs configure with the
# arguments (and CC) of its last run, kept in BUILDDIR/configure.args and
# BUILDDIR/configure.env. EXTRA-ARGs (e.g. --with-werror) are added to them
# when missing, which forces a run. Quiet when nothing is to be done.

LC_ALL=C
export LC_ALL

b=${1:-objs}
[ $# -gt 0 ] && shift
b=${b%/}

args=
if [ -f "$b/configure.args" ]; then
    args=$(cat "$b/configure.args")
elif [ "$b" != objs ]; then
    args="--builddir=$b"
else
    # a fresh clone: a development build that runs from the checkout;
    # ./configure [--prefix=...] by hand for an installable one
    args="--dev"
fi

why=
for extra in "$@"; do
    eval "set -- $args"
    have=no
    for a in "$@"; do
        [ "$a" = "$extra" ] && have=yes
    done
    if [ $have = no ]; then
        args="$args $extra"
        why="${why:-adding $extra}"
    fi
done

if [ -z "$why" ]; then
    if [ ! -f "$b/configure.stamp" ] || [ ! -f "$b/Makefile" ] \
       || [ ! -f "$b/dr_auto_config.h" ] || [ ! -f "$b/modules.mk" ]
    then
        why="$b is not configured"
    elif [ "$b" = objs ] && [ ! -f Makefile ]; then
        why="the top Makefile is missing"
    fi
fi

if [ -z "$why" ]; then
    for f in configure Makefile.in scripts/gen-modules.sh modules/*/config; do
        if [ -f "$f" ] && [ "$f" -nt "$b/configure.stamp" ]; then
            why="$f changed"
            break
        fi
    done
fi

if [ -z "$why" ]; then
    now=
    for f in modules/*/config; do
        [ -f "$f" ] && now="$now $f"
    done
    was=$(sed -n 's/^DR_MODULE_CONFIGS = //p' "$b/modules.mk")
    [ "$(echo $now)" = "$(echo $was)" ] || why="the module folders changed"
fi

[ -n "$why" ] || exit 0

if [ -f "$b/configure.env" ]; then
    while IFS= read -r line; do
        case $line in
        CC=*) eval "$line"; export CC ;;
        esac
    done < "$b/configure.env"
fi

echo "reconfigure ($why): ./configure $args"
eval "set -- $args"
exec ./configure "$@"
