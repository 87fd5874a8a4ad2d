#!/usr/bin/env bash
# Installs the Python reference tools the benchmarks measure zodbcheck against, in the same run:
# multi-zodb-check-refs (zc.zodbdgc 1.1.0) and ZODB 5.8.1's fsrefs.py and fstest.py, the
# versions that wrote ../shared/bench/*/expected.
#
#   bench/pytools.sh            (then bench/check-refs.sh and bench/suite.sh find them)
#
# They go to bench/pytools/ (ignored by git): sources in src/, one wrapper per tool in bin/.
# The compiled dependencies (persistent, BTrees, zodbpickle, zope.interface, transaction,
# zc.lockfile, six) come from Debian's packages, because PyPI may not be reachable; ZODB,
# zc.zodbdgc and ZConfig are pure Python and are cloned at their release tags from
# $PYTOOLS_GIT (default https://github.com/zopefoundation; any directory or server holding
# ZODB, zc.zodbdgc and ZConfig repositories will do). The tools run under /usr/bin/python3
# with -S, so that Debian's namespace package for zc.lockfile does not hide zc.zodbdgc.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
. "$here/bench/lib.sh"
dest="$here/bench/pytools"
git_base="${PYTOOLS_GIT:-https://github.com/zopefoundation}"

debs=(python3-btrees python3-persistent python3-zodbpickle python3-zope.interface python3-transaction
      python3-zc.lockfile python3-six)
missing=()
for d in "${debs[@]}"; do
    dpkg-query -W -f='${Status}' "$d" 2>/dev/null | grep -q "install ok installed" || missing+=("$d")
done
if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" -ne 0 ]; then
        echo "as root: apt-get install ${missing[*]}" >&2
        exit 2
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >&2
fi

mkdir -p "$dest/src" "$dest/bin" "$dest/site/zc"
clone() {   # name tag
    if [ ! -d "$dest/src/$1" ]; then
        git clone -q "$git_base/$1" "$dest/src/$1" || git clone -q "$git_base/$1.git" "$dest/src/$1"
    fi
    git -C "$dest/src/$1" checkout -q "$2"
}
clone ZODB 5.8.1
clone zc.zodbdgc 1.1.0
clone ZConfig 3.6.1

# zc is a namespace package: put zc.lockfile (Debian) and zc.zodbdgc side by side in one zc
rm -rf "$dest/site/zc/lockfile" "$dest/site/zc/zodbdgc"
cp -r /usr/lib/python3/dist-packages/zc/lockfile "$dest/site/zc/"
cp -r "$dest/src/zc.zodbdgc/src/zc/zodbdgc" "$dest/site/zc/"
touch "$dest/site/zc/__init__.py"

path="$dest/site:$dest/src/ZODB/src:$dest/src/ZConfig/src:/usr/lib/python3/dist-packages"
wrapper() {   # name python-code...
    local name="$1"; shift
    printf '#!/bin/sh\nPYTHONPATH=%s exec /usr/bin/python3 -S %s "$@"\n' "$path" "$*" > "$dest/bin/$name"
    chmod +x "$dest/bin/$name"
}
wrapper multi-zodb-check-refs "-c 'import sys, zc.zodbdgc; sys.argv[0] = \"multi-zodb-check-refs\"; sys.exit(zc.zodbdgc.check_command())'"
# Debian's BTrees (4.3) has no QQBTree (unsigned 64-bit keys, BTrees 4.7+), which fsrefs.py uses
# for position -> oid; its signed LLBTree, also in C, holds every position and oid below 2^63
wrapper fsrefs.py "-c 'import runpy, sys, BTrees.LLBTree as ll; ll.QQBTree = getattr(ll, \"QQBTree\", ll.LLBTree);\
 sys.modules.setdefault(\"BTrees.QQBTree\", ll); sys.argv = sys.argv[1:]; runpy.run_path(sys.argv[0], run_name=\"__main__\")'\
 $dest/src/ZODB/src/ZODB/scripts/fsrefs.py"
wrapper fstest.py "$dest/src/ZODB/src/ZODB/scripts/fstest.py"

# smoke test on a copy of a corpus storage: the tools must run, not just exist
sample=$(mktemp -d)
trap 'rm -rf "$sample"' EXIT
cp "$here/testdata/dangling/Data.fs" "$sample/"
"$dest/bin/fstest.py" "$sample/Data.fs" >&2
"$dest/bin/fsrefs.py" "$sample/Data.fs" > /dev/null
readonly_conf "$sample/Data.fs" "$sample/zodb.conf"
"$dest/bin/multi-zodb-check-refs" "$sample/zodb.conf" > /dev/null
echo "installed in $dest/bin: multi-zodb-check-refs fsrefs.py fstest.py" >&2
