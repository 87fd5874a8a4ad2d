#!/usr/bin/env bash
# check-refs on a storage with millions of findings: every reference of FOLDERS folders to REFS
# objects that were never written is a POSKeyError (src/test/java/org/zodbcheck/bench/
# DanglingStorage.java writes it to bench/data/dangling-FOLDERSxREFS/Data.fs, git-ignored).
#
#   bench/findings.sh [FOLDERS] [REFS] [RUNS]      (default: 2000 1000 3, i.e. 2 M findings)
#
# Reports per output format (text, json, zodbdgc) the median wall time, CPU time and peak RSS of
# RUNS runs (/usr/bin/time, whole process, stdout to /dev/null after the first run), the file's
# `cat` time, and, once, multi-zodb-check-refs's time on the same file when bench/pytools.sh has
# installed it (PYRUNS=0 skips it). Fails unless every run printed exactly FOLDERS x REFS
# findings (text: one line each; zodbdgc: two lines each) and the Python tool's lines are
# zodbcheck's --format zodbdgc lines. Needs a built jar and test classes:
# mvn -B -q package -DskipTests && mvn -B -q test-compile.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
. "$here/bench/lib.sh"
folders="${1:-2000}"; refs="${2:-1000}"; runs="${3:-3}"
[ -x /usr/bin/time ] || { echo "findings.sh: /usr/bin/time is needed (Debian package 'time')" >&2; exit 2; }
[ -f "$here/target/zodbcheck.jar" ] && [ -d "$here/target/test-classes" ] \
    || { echo "findings.sh: build first: mvn -B -q package -DskipTests && mvn -B -q test-compile" >&2; exit 2; }
fs="$here/bench/data/dangling-${folders}x${refs}/Data.fs"
if [ ! -f "$fs" ]; then
    mkdir -p "$(dirname "$fs")"
    java -Xmx4g -cp "$here/target/test-classes:$here/target/classes" org.zodbcheck.bench.DanglingStorage \
        "$folders" "$refs" "$fs"
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
expected=$((folders * refs))
cat "$fs" > /dev/null; cat "$fs" > /dev/null
cats=()
for _ in $(seq "$runs"); do cats+=("$(seconds cat "$fs")"); done
printf '%s: %s bytes, %s findings, cat %.3f s\n' "$(basename "$(dirname "$fs")")" "$(stat -c %s "$fs")" "$expected" \
    "$(printf '%s\n' "${cats[@]}" | median)"

for format in text json zodbdgc; do
    : > "$work/times"
    for i in $(seq "$runs"); do
        out=/dev/null; [ "$i" = 1 ] && out="$work/$format.out"
        /usr/bin/time -f "%e %U %S %M" -o "$work/time" "$here/bin/zodbcheck" check-refs -q --format "$format" "$fs" \
            > "$out" 2> "$work/err" || true
        tail -n 1 "$work/time" >> "$work/times"
    done
    lines=$(wc -l < "$work/$format.out")
    want=$expected; [ "$format" = zodbdgc ] && want=$((2 * expected))
    [ "$lines" = "$want" ] || { echo "findings.sh: --format $format printed $lines lines, not $want" >&2; cat "$work/err" >&2; exit 1; }
    col() { awk -v c="$1" '{print $c}' "$work/times" | median; }
    printf '%-7s wall %s s (%s), CPU %s s, peak RSS %s MB, %s MB printed\n' "$format" "$(col 1)" \
        "$(awk '{print $1}' "$work/times" | tr '\n' ' ' | sed 's/ $//')" \
        "$(awk '{print $2 + $3}' "$work/times" | median)" "$(awk '{print int($4 / 1024)}' "$work/times" | median)" \
        "$(( $(stat -c %s "$work/$format.out") >> 20 ))"
done

py="$here/bench/pytools/bin/multi-zodb-check-refs"
if [ "${PYRUNS:-1}" != 0 ] && [ -x "$py" ]; then
    readonly_conf "$fs" "$work/zodb.conf"
    /usr/bin/time -f "%e %U %S %M" -o "$work/time" "$py" "$work/zodb.conf" > "$work/py.out" 2> "$work/py.err" || true
    if ! cmp -s <(sort "$work/py.out") <(sort "$work/zodbdgc.out"); then
        echo "findings.sh: multi-zodb-check-refs printed other lines than --format zodbdgc" >&2
        exit 1
    fi
    read -r w u s m < <(tail -n 1 "$work/time")
    printf 'multi-zodb-check-refs: wall %s s, CPU %.2f s, peak RSS %d MB, the same lines as --format zodbdgc\n' \
        "$w" "$(echo "$u + $s" | bc -l)" "$((m / 1024))"
fi
