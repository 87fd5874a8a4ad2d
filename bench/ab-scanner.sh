#!/usr/bin/env bash
# A/B benchmark of the pickle scanner alone: this work tree's PickleScanner against an earlier
# commit's, in one JVM, on the pickles of one storage held in memory, alternating round by round
# (src/test/java/org/zodbcheck/bench/ScannerAB.java, bench/ScanAll.java). Finer than bench/ab.sh.
#
#   bench/ab-scanner.sh COMMIT [STORAGE] [ROUNDS]     (default: large 30)
#
# Runs under the launcher's JIT setting below 6 GB (C1 only); JIT=tiered for the JVM's default.
# Reports the median of the rounds' CPU-time ratios new/base and each side's median: an A/A run
# (COMMIT = HEAD, no change) gave a ratio of 0.94 with equal medians on the 2-core machine of
# docs/PERFORMANCE.md, so effects below about 5% cannot be told apart from the noise there.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
[ $# -ge 1 ] || { sed -n '2,12p' "$0" >&2; exit 2; }
commit="$1"; storage="${2:-large}"; rounds="${3:-30}"
case "$storage" in
    large|medium) storage="$here/bench/data/$storage/Data.fs" ;;
esac
[ -f "$storage" ] || { echo "ab-scanner.sh: $storage: no such file (bench/check-refs.sh unpacks large and medium)" >&2; exit 2; }
work="$(mktemp -d)"
cleanup() { git -C "$here" worktree remove --force "$work/base" > /dev/null 2>&1 || true; rm -rf "$work"; }
trap cleanup EXIT
git -C "$here" worktree add -q --detach "$work/base" "$commit"
echo "compiling $commit and the work tree ..." >&2
(cd "$work/base" && { mvn -B -q -o compile > "$work/build.log" 2>&1 || mvn -B -q compile > "$work/build.log" 2>&1; }) \
    || { cat "$work/build.log" >&2; exit 2; }
(cd "$here" && { mvn -B -q -o test-compile > "$work/build.log" 2>&1 || mvn -B -q test-compile > "$work/build.log" 2>&1; }) \
    || { cat "$work/build.log" >&2; exit 2; }
for side in base new; do
    classes="$work/base/target/classes"; [ $side = new ] && classes="$here/target/classes"
    javac -nowarn -d "$work/driver-$side" -cp "$classes" "$here/bench/ScanAll.java"
done
jit=(-XX:TieredStopAtLevel=1)
[ "${JIT:-c1}" = tiered ] && jit=()
size=$(stat -L -c %s "$storage")
heap=$(( (size >> 20) * 3 + 512 ))   # the pickles in memory, twice while they are gathered
echo "storage: $storage ($size bytes), JIT: ${JIT:-c1}, $commit against the work tree"
java -XX:+UseSerialGC "${jit[@]}" -Xmx"${heap}m" -cp "$here/target/test-classes:$here/target/classes" \
    org.zodbcheck.bench.ScannerAB "$work/base/target/classes" "$work/driver-base" \
    "$here/target/classes" "$work/driver-new" "$storage" "$rounds"
