#!/usr/bin/env bash
# The benchmark suite: check-refs, check-refs -r and verify on the shared benchmark databases
# and on generated storages, with the file's `cat` time as the yardstick, all measured in the
# same run. Prints a markdown table (docs/PERFORMANCE.md keeps the results).
#
#   bench/suite.sh [RUNS] [FILE...]
#
# FILE: medium, large (../shared/bench, unpacked into bench/data/), gen-1m, gen-10m, gen-50m
# (generated into bench/data/ by bench/generate.sh on first use: about 0.94 KB per object, so
# gen-50m needs 47 GB of disk), or a path to a Data.fs. Default: medium large gen-1m. RUNS
# (default 3): runs per measurement, the median is reported.
#
# Per file and command it reports: median wall time (whole process, JVM start included), median
# CPU time (user + system), median peak RSS, and the ratio to `cat FILE > /dev/null` (median,
# warm cache: the file is read before the runs). Every check-refs run's findings are compared
# with the truth: the recorded multi-zodb-check-refs output for the shared files, the
# generator's manifest for generated ones; the suite stops if they differ.
#
# The Python tools are measured in the same run as yardsticks when they are installed (on PATH,
# or in bench/pytools/bin by bench/pytools.sh): multi-zodb-check-refs for check-refs,
# multi-zodb-check-refs -r for check-refs -r, ZODB's fstest.py for verify, each on a read-only
# zodb.conf written for the file. PYRUNS (default: RUNS) runs each; PYMAX_MB (default 1000)
# skips them on larger files (multi-zodb-check-refs -r needs about 2 minutes per million objects).
#
# Needs: /usr/bin/time, python3, a built jar (mvn -B -q package -DskipTests). Extra JVM options
# for zodbcheck: ZODBCHECK_JAVA_OPTS (e.g. -Xmx4g for gen-50m).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
runs="${1:-3}"
shift || true
files=("$@")
[ ${#files[@]} -gt 0 ] || files=(medium large gen-1m)
shared="${ZODBCHECK_SHARED:-$here/../shared}"
[ -x /usr/bin/time ] || { echo "/usr/bin/time is needed (Debian package 'time')" >&2; exit 2; }
[ -f "$here/target/zodbcheck.jar" ] || { echo "build first: mvn -B -q package -DskipTests" >&2; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
[ ! -d "$here/bench/pytools/bin" ] || PATH="$here/bench/pytools/bin:$PATH"
pyruns="${PYRUNS:-$runs}"
pymax_mb="${PYMAX_MB:-1000}"

. "$here/bench/lib.sh"

# Resolves a name to a Data.fs (unpacking or generating it when needed) and prints its path.
storage() {
    local name="$1"
    case "$name" in
        medium|large)
            local fs="$here/bench/data/$name/Data.fs"
            if [ ! -f "$fs" ]; then
                mkdir -p "$(dirname "$fs")"
                xz -dc "$shared/bench/$name/Data.fs.xz" > "$fs.tmp" && mv "$fs.tmp" "$fs"
            fi
            echo "$fs";;
        gen-*)
            local n="${name#gen-}"
            n="${n/m/000000}"
            local fs="$here/bench/data/$name/Data.fs"
            if [ ! -f "$fs" ]; then
                mkdir -p "$(dirname "$fs")"
                "$here/bench/generate.sh" --objects "$n" --seed 1 --missing 20 --revisions 1.1 --out "$fs" >&2
            fi
            echo "$fs";;
        *) echo "$name";;
    esac
}

# Compares the findings of a check-refs --format json run with the truth for the file.
verify_findings() {
    local name="$1" fs="$2" out="$3"
    python3 - "$name" "$fs" "$out" "$shared" <<'EOF'
import json, os, sys
name, fs, out, shared = sys.argv[1:]
got = [json.loads(l) for l in open(out) if l.strip()]
manifest = fs + ".manifest.json"
if os.path.exists(manifest):
    m = json.load(open(manifest))
    want = sorted((f["kind"], f["db"], f["oid"], f["referrer"]) for f in m["expected_findings"])
    have = sorted((f["kind"], f["db"], f["oid"], f["referrer_oid"]) for f in got
                  if f["kind"] in ("poskeyerror", "dangling"))
    norm = lambda t: (t[0], t[1], int(t[2], 16), int(t[3], 16) if t[3] else None)
    if sorted(map(norm, want)) != sorted(map(norm, have)):
        sys.exit("findings differ from %s:\n want %s\n have %s" % (manifest, want, have))
else:
    expected = os.path.join(shared, "bench", name, "expected", "check-refs.stdout")
    if os.path.exists(expected):
        lines = open(expected).read().split("\n")
        want = sorted({int(l.split()[2]) for l in lines if l.startswith("!!! ")})
        have = sorted({int(f["oid"], 16) for f in got if f["kind"] == "poskeyerror"})
        if want != have:
            sys.exit("poskeyerror oids differ from %s: want %s have %s" % (expected, want, have))
EOF
}

# Runs one command N times; prints "wall cpu rss_mb" medians.
measure() {
    local n="$1"; shift
    local walls=() cpus=() rsss=()
    for _ in $(seq "$n"); do
        rm -f "$tmp/refs.db" "$tmp/refs.fs" "$tmp/refs.fs".*
        /usr/bin/time -f "%e %U %S %M" -o "$tmp/time" "$@" > "$tmp/out" 2> /dev/null || true
        read -r w u s m < <(tail -n 1 "$tmp/time")
        walls+=("$w"); cpus+=("$(echo "$u + $s" | bc -l)"); rsss+=("$m")
    done
    echo "$(printf '%s\n' "${walls[@]}" | median) $(printf '%s\n' "${cpus[@]}" | median) $(( $(printf '%s\n' "${rsss[@]}" | median | cut -d. -f1) / 1024 ))"
}

echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GB, $(java -version 2>&1 | head -1); $runs runs, medians, warm cache"
echo
# The Python tool measured against a zodbcheck command, as "tool wall cpu rss_mb", or nothing.
python_tool() {
    local cmd="$1" fs="$2" size="$3"
    [ $((size / 1000000)) -le "$pymax_mb" ] || return 0
    readonly_conf "$fs" "$tmp/zodb.conf"
    case "$cmd" in
        "check-refs") command -v multi-zodb-check-refs > /dev/null || return 0
            echo "multi-zodb-check-refs $(measure "$pyruns" multi-zodb-check-refs "$tmp/zodb.conf")";;
        "check-refs -r") command -v multi-zodb-check-refs > /dev/null || return 0
            echo "multi-zodb-check-refs_-r $(measure "$pyruns" multi-zodb-check-refs -r "$tmp/refs.fs" "$tmp/zodb.conf")";;
        "verify") command -v fstest.py > /dev/null || return 0
            echo "fstest.py $(measure "$pyruns" fstest.py "$fs")";;
    esac
}

echo "| file | size | objects | \`cat\` | command | wall | CPU | peak RSS | wall / cat | Python tool, same run: wall, CPU, RSS | speed-up |"
echo "|---|---|---|---|---|---|---|---|---|---|---|"
for name in "${files[@]}"; do
    fs="$(storage "$name")"
    size=$(stat -c %s "$fs")
    cat "$fs" > /dev/null; cat "$fs" > /dev/null
    cats=()
    for _ in $(seq "$runs"); do
        s=$EPOCHREALTIME; cat "$fs" > /dev/null; cats+=("$(echo "$EPOCHREALTIME - $s" | bc -l)")
    done
    cat_med=$(printf '%s\n' "${cats[@]}" | median)
    "$here/bin/zodbcheck" check-refs -q --format json "$fs" > "$tmp/findings" || true
    verify_findings "$name" "$fs" "$tmp/findings"
    "$here/bin/zodbcheck" check-refs --format json "$fs" 2> "$tmp/summary" > /dev/null || true
    objects=$(sed -n 's/.*main: \([0-9]*\) objects.*/\1/p' "$tmp/summary")
    for cmd in "check-refs" "check-refs -r" "verify"; do
        case "$cmd" in
            "check-refs") m=$(measure "$runs" "$here/bin/zodbcheck" check-refs -q --format json "$fs");;
            "check-refs -r") m=$(measure "$runs" "$here/bin/zodbcheck" check-refs -q -r "$tmp/refs.db" "$fs");;
            "verify") m=$(measure "$runs" "$here/bin/zodbcheck" verify -q "$fs");;
        esac
        read -r wall cpu rss <<< "$m"
        py="-"; up="-"; tool=""
        read -r tool pwall pcpu prss <<< "$(python_tool "$cmd" "$fs" "$size")" || true
        if [ -n "${tool:-}" ]; then
            py=$(printf "\`%s\` %.2f s, %.2f s, %d MB" "${tool/_/ }" "$pwall" "$pcpu" "$prss")
            up=$(printf "%.1fx" "$(echo "$pwall / $wall" | bc -l)")
        fi
        printf "| %s | %d MB | %s | %.3f s | %s | %.2f s | %.2f s | %d MB | %.0fx | %s | %s |\n" "$name" \
            $((size / 1000000)) "$objects" "$cat_med" "\`$cmd\`" "$wall" "$cpu" "$rss" \
            "$(echo "$wall / $cat_med" | bc -l)" "$py" "$up"
    done
done
echo
echo "findings: check-refs reported exactly the truth for every file"
