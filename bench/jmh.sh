#!/usr/bin/env bash
# JMH micro-benchmarks of check-refs's hot loops (src/test/java/org/zodbcheck/bench/HotLoops.java):
# scanning pickles, reading headers, interning oids, on a real storage.
#
#   bench/jmh.sh [STORAGE] [JMH OPTIONS...]      (default: testdata/clean/Data.fs)
#
# Runs every benchmark twice: with the JVM's default JIT (C2) and with the launcher's setting
# (-XX:TieredStopAtLevel=1, C1 only; see docs/PERFORMANCE.md for why). Needs a build of the test
# classes; the dependency class path is resolved by Maven (offline when possible).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"
storage="${1:-testdata/clean/Data.fs}"
shift || true
mvn -B -q -o test-compile 2>/dev/null || mvn -B -q test-compile
cp_file=target/test-classpath.txt
mvn -B -q -o dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile="$cp_file" > /dev/null 2>&1 \
    || mvn -B -q dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile="$cp_file" > /dev/null
cp="target/test-classes:target/classes:$(cat "$cp_file")"
for jit in "" "-XX:TieredStopAtLevel=1"; do
    echo "== JIT: ${jit:-default (C1 + C2)}"
    java -cp "$cp" org.openjdk.jmh.Main HotLoops -p storage="$storage" ${jit:+-jvmArgsAppend "$jit"} "$@"
done
