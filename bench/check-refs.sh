#!/usr/bin/env bash
# Benchmark of `zodbcheck check-refs` on the shared benchmark databases.
#
#   bench/check-refs.sh [large|medium|PATH/TO/Data.fs] [RUNS] [plain|refdb]   (default: large 5 plain)
#
# With "refdb", every run also writes the reference database (check-refs -r, to a temporary
# directory) and its size is reported.
#
# For each run it measures the whole process (JVM start included): wall time and peak RSS
# (from /usr/bin/time). As yardsticks, measured in the same run: `cat Data.fs > /dev/null` on
# the same file, and multi-zodb-check-refs (zc.zodbdgc; with -r in refdb mode) when it is
# installed (on PATH, or by bench/pytools.sh); otherwise the
# figures from ../shared/bench/README.md are quoted. The page cache is warmed first (warm-cache
# figures). It also checks that the findings are exactly what multi-zodb-check-refs printed
# (expected/check-refs.stdout of the benchmark folder).
#
# Needs: xz, sha256sum, /usr/bin/time, a built jar (mvn -B -q package -DskipTests).
# The unpacked databases go to bench/data/ (ignored by git; never commit them).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
target="${1:-large}"
runs="${2:-5}"
mode="${3:-plain}"
case "$mode" in plain|refdb) ;; *) echo "mode is plain or refdb" >&2; exit 2;; esac
refdir=$(mktemp -d)
trap 'rm -rf "$refdir"' EXIT
refargs=()
[ "$mode" = plain ] || refargs=(-r "$refdir/refs.db")
shared="${ZODBCHECK_SHARED:-$here/../shared}"

if [ -f "$target" ]; then
    fs="$(cd "$(dirname "$target")" && pwd)/$(basename "$target")"
    expected=""
    name="$(basename "$(dirname "$fs")")"
else
    name="$target"
    src="$shared/bench/$name"
    [ -d "$src" ] || { echo "no benchmark folder $src" >&2; exit 2; }
    mkdir -p "$here/bench/data/$name"
    fs="$here/bench/data/$name/Data.fs"
    if [ ! -f "$fs" ]; then
        echo "unpacking $src/Data.fs.xz" >&2
        xz -dc "$src/Data.fs.xz" > "$fs.tmp" && mv "$fs.tmp" "$fs"
        (cd "$here/bench/data/$name" && sha256sum -c "$src/Data.fs.sha256" >&2)
    fi
    expected="$src/expected/check-refs.stdout"
fi
[ -x /usr/bin/time ] || { echo "/usr/bin/time is needed (Debian package 'time')" >&2; exit 2; }
[ -f "$here/target/zodbcheck.jar" ] || { echo "build first: mvn -B -q package -DskipTests" >&2; exit 2; }

. "$here/bench/lib.sh"

size=$(stat -c %s "$fs")
cat "$fs" > /dev/null; cat "$fs" > /dev/null   # warm the page cache

cat_times=(); wall=(); rss=()
for _ in $(seq "$runs"); do
    cat_times+=("$(seconds cat "$fs")")
    out=$(mktemp)
    /usr/bin/time -f "%e %M" -o "$out.time" "$here/bin/zodbcheck" check-refs -q --format zodbdgc ${refargs[@]+"${refargs[@]}"} "$fs" \
        > "$out" 2> /dev/null || true
    read -r w m < <(tail -n 1 "$out.time")   # time writes "Command exited with..." first on exit 1
    wall+=("$w"); rss+=("$m")
    if [ -n "$expected" ]; then
        # with a reference database, reports name a referrer instead of '?'
        if ! diff <(paste - - < "$out" | sed 's/ main -\?[0-9]*\t/ ?\t/' | sort) <(paste - - < "$expected" | sort) > /dev/null; then
            echo "FINDINGS DIFFER from $expected" >&2; diff <(paste - - < "$out" | sort) <(paste - - < "$expected" | sort) >&2 || true
            exit 1
        fi
    fi
    rm -f "$out" "$out.time"
done
cat_med=$(printf '%s\n' "${cat_times[@]}" | median)
wall_med=$(printf '%s\n' "${wall[@]}" | median)
rss_med=$(printf '%s\n' "${rss[@]}" | median)

[ ! -d "$here/bench/pytools/bin" ] || PATH="$here/bench/pytools/bin:$PATH"   # bench/pytools.sh
py="not installed (bench/README: about 7 s on large, 16-20 s on a 742 MB file; -r 38 s on large)"
if command -v multi-zodb-check-refs > /dev/null 2>&1; then
    readonly_conf "$fs" "$refdir/zodb.conf"
    pyargs=()
    [ "$mode" = plain ] || pyargs=(-r "$refdir/refs.fs")
    py_times=()
    for _ in $(seq "$runs"); do
        rm -f "$refdir/refs.fs" "$refdir/refs.fs".*
        py_times+=("$(seconds multi-zodb-check-refs ${pyargs[@]+"${pyargs[@]}"} "$refdir/zodb.conf")")
    done
    py_med=$(printf '%s\n' "${py_times[@]}" | median)
    py="$(printf "%.2f" "$py_med") s, same run (zodbcheck $(printf '%.1f' "$(echo "$py_med / $wall_med" | bc -l)")x faster)"
fi

echo "file: $name ($size bytes), $runs runs, warm cache, $(nproc) cores, $(java -version 2>&1 | head -1), mode $mode"
[ "$mode" = plain ] || echo "reference database: $(stat -c %s "$refdir/refs.db") bytes"
echo "wall times: ${wall[*]}"
echo "| file | size | cat | zodbcheck check-refs (median wall) | ratio to cat | peak RSS (median) | multi-zodb-check-refs |"
echo "|---|---|---|---|---|---|---|"
printf "| %s | %d MB | %.3f s | %.2f s | %.0fx | %d MB | %s |\n" "$name" $((size / 1000000)) "$cat_med" "$wall_med" \
    "$(echo "$wall_med / $cat_med" | bc -l)" $((rss_med / 1024)) "$py"
[ -z "$expected" ] || echo "findings: identical to $expected (all $runs runs)"
