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
. "$here/bench/lib.sh"
[ $# -ge 1 ] || { sed -n '2,12p' "$0" >&2; exit 2; }
commit="$1"; storage="${2:-large}"; rounds="${3:-30}"
storage="$(storage_path "$storage" ab-scanner.sh)"
base_worktree "$commit"
echo "compiling $commit and the work tree ..." >&2
mvn_build "$work/base" compile
mvn_build "$here" test-compile
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
