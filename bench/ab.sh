#!/usr/bin/env bash
# A/B benchmark of a change: this work tree's build against the build of an earlier commit, run
# alternately on one storage, so that both see the same machine (its speed drifts by 20% within
# minutes; see docs/PERFORMANCE.md).
#
#   bench/ab.sh COMMIT STORAGE [RUNS] [-- ZODBCHECK ARGUMENTS...]
#
#   COMMIT      the commit to compare with (e.g. HEAD~1), built in a temporary git worktree
#   STORAGE     a Data.fs (or large, medium: the unpacked ../shared/bench files in bench/data)
#   RUNS        runs of each (default 9)
#   ARGUMENTS   what zodbcheck runs, STORAGE as its last argument (default: check-refs);
#               an argument "REFDB" is replaced by a fresh reference database path per run
#
# Reports per side: the median wall time (with the range), user and system CPU and peak RSS
# (/usr/bin/time), and whether both printed the same findings (stdout) in every run. Warms the
# page cache first (warm-cache figures). Uses this work tree's target/zodbcheck.jar as it is:
# build it first (mvn -B -q package -DskipTests). Example:
#
#   bench/ab.sh HEAD~2 large 15
#   bench/ab.sh HEAD~2 bench/data/gen-1m/Data.fs 7 -- check-refs -r REFDB
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
. "$here/bench/lib.sh"
[ $# -ge 2 ] || { sed -n '2,20p' "$0" >&2; exit 2; }
commit="$1"; storage="$2"; shift 2
runs=9
if [ $# -gt 0 ] && [ "$1" != "--" ]; then runs="$1"; shift; fi
[ "${1:-}" = "--" ] && shift
args=("$@")
[ ${#args[@]} -gt 0 ] || args=(check-refs)
storage="$(storage_path "$storage" ab.sh)"
[ -f "$here/target/zodbcheck.jar" ] || { echo "ab.sh: build first: mvn -B -q package -DskipTests" >&2; exit 2; }

base_worktree "$commit"
echo "building $commit ..." >&2
mvn_build "$work/base" package -DskipTests
cat "$storage" > /dev/null; cat "$storage" > /dev/null

run() {   # SIDE DIR N
    local a=() x
    for x in "${args[@]}"; do
        if [ "$x" = REFDB ]; then rm -f "$work/refs-$1.db"; a+=("$work/refs-$1.db"); else a+=("$x"); fi
    done
    /usr/bin/time -f "%e %U %S %M" -o "$work/time" "$2/bin/zodbcheck" "${a[@]}" "$storage" \
        > "$work/out-$1-$3" 2> /dev/null || true
    tail -1 "$work/time" >> "$work/times-$1"   # after "Command exited with non-zero status 1"
}
for i in $(seq "$runs"); do
    # alternate which side goes first: the second of two runs in a row can be slower
    if [ $((i % 2)) = 1 ]; then run base "$work/base" "$i"; run new "$here" "$i"
    else run new "$here" "$i"; run base "$work/base" "$i"; fi
done

same=yes
for i in $(seq "$runs"); do
    cmp -s "$work/out-base-$i" "$work/out-new-$i" && cmp -s "$work/out-base-1" "$work/out-base-$i" || same=no
done
echo "storage: $storage ($(stat -L -c %s "$storage") bytes), ${args[*]}, $runs runs each, $(nproc) cores"
for side in base new; do
    f="$work/times-$side"
    label=$([ $side = base ] && echo "$commit" || echo "work tree")
    printf '%-12s wall %s s (%s-%s), user %s s, sys %s s, peak RSS %s MB\n' "$label" \
        "$(cut -d' ' -f1 "$f" | median)" "$(cut -d' ' -f1 "$f" | sort -g | head -1)" \
        "$(cut -d' ' -f1 "$f" | sort -g | tail -1)" "$(cut -d' ' -f2 "$f" | median)" \
        "$(cut -d' ' -f3 "$f" | median)" "$(( $(cut -d' ' -f4 "$f" | median | cut -d. -f1) / 1024 ))"
done
echo "same findings on stdout in every run: $same"
