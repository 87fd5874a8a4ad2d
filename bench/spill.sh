#!/usr/bin/env bash
# What spilling costs: check-refs of one storage with its tables on the heap (the default
# budget) and with a --max-memory too small for them (the tables spill to --spill-dir),
# alternating, warm cache.
#
#   bench/spill.sh PATH/TO/Data.fs [RUNS] [MAX_MEMORY] [SPILL_DIR]   (default: 3 256m $TMPDIR or /tmp)
#
# Reports per mode the median wall time, CPU time and peak RSS (whole process, /usr/bin/time),
# the tables' heap and spilled megabytes (from -v), and the file's `cat` time as a yardstick.
# Fails if a spilled run's findings differ from the heap run's (--format json, byte for byte).
# Needs /usr/bin/time and a built jar (mvn -B -q package -DskipTests).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
fs="${1:?usage: bench/spill.sh PATH/TO/Data.fs [RUNS] [MAX_MEMORY] [SPILL_DIR]}"
runs="${2:-3}"
budget="${3:-256m}"
spill="${4:-${TMPDIR:-/tmp}}"
[ -x /usr/bin/time ] || { echo "/usr/bin/time is needed (Debian package 'time')" >&2; exit 2; }
[ -f "$here/target/zodbcheck.jar" ] || { echo "build first: mvn -B -q package -DskipTests" >&2; exit 2; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

. "$here/bench/lib.sh"

# one run: mode (heap|spill) -> appends "wall cpu rss heapMB spilledMB" to $work/$mode
run() {
    local mode="$1" args=()
    [ "$mode" = heap ] || args=(--max-memory "$budget" --spill-dir "$spill")
    /usr/bin/time -f "%e %U %S %M" -o "$work/time" "$here/bin/zodbcheck" check-refs -v --format json \
        ${args[@]+"${args[@]}"} "$fs" > "$work/$mode.json" 2> "$work/err" || true
    local t tables
    t=$(tail -n 1 "$work/time")
    tables=$(grep -o 'tables: [0-9]* MB on the heap, [0-9]* MB spilled' "$work/err" | awk '{print $2, $7}')
    echo "$t $tables" | awk '{printf "%s %.2f %d %s %s\n", $1, $2 + $3, $4 / 1024, $5, $6}' >> "$work/$mode"
    if [ "$mode" = spill ] && ! cmp -s "$work/heap.json" "$work/spill.json"; then
        echo "FINDINGS DIFFER between the heap and the spilled run" >&2
        diff "$work/heap.json" "$work/spill.json" >&2 || true
        exit 1
    fi
}

cat "$fs" > /dev/null; cat "$fs" > /dev/null   # warm the page cache
cats=()
for _ in $(seq "$runs"); do
    cats+=("$(seconds cat "$fs")")
    run heap
    run spill
done
cat_med=$(printf '%s\n' "${cats[@]}" | median)
echo "$(basename "$(dirname "$fs")"): $(stat -c %s "$fs") bytes, cat ${cat_med} s (median of $runs), $(wc -l < "$work/heap.json") findings, the same in every run"
for mode in heap spill; do
    col() { awk -v c="$1" '{print $c}' "$work/$mode" | median; }
    w=$(col 1)
    printf '%-5s %s: wall %s s (%s), CPU %s s, peak RSS %s MB, tables %s MB on the heap + %s MB spilled; %.1fx cat\n' \
        "$mode" "$([ "$mode" = heap ] && echo "default budget" || echo "--max-memory $budget")" "$w" \
        "$(awk '{print $1}' "$work/$mode" | tr '\n' ' ' | sed 's/ $//')" "$(col 2)" "$(col 3)" "$(col 4)" "$(col 5)" \
        "$(echo "$w / $cat_med" | bc -l)"
done
