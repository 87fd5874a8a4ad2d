#!/usr/bin/env bash
# Writes a large synthetic FileStorage (a Plone-like site) and its manifest, for benchmarks and
# scale tests of zodbcheck. Works from any directory.
#
#   bench/generate.sh (--objects N | --size SIZE) --out DIR/Data.fs [options]
#
#   --objects N     about N oids (1000000 gives about 2.3 GB with the defaults)
#   --size SIZE     about SIZE bytes instead: 500M, 5G
#   --out PATH      the Data.fs to write (replaced); PATH.manifest.json is written beside it
#   --seed N        default 1; the same parameters and seed give the same bytes
#   --missing N     missing oids (default 20): half deleted (deleteObject), half never written
#   --missing-garbage-share F   share of those referenced from garbage only (default 0.25)
#   --revisions F   average data records per object (default 3)
#   --undo F        share of transactions that undo the previous edit (default 0.02)
#   --garbage F     share of folders dropped, i.e. garbage (default 0.02)
#   --python 2|3    default 3 (FS30, protocol 3); 2 writes FS21 with --protocol 1 (default), 2 or 3
#   --txn-size N    objects per edit transaction (default 100)
#   --small-trees   tiny BTree buckets, so that small files already have deep trees
#
# Examples:
#   bench/generate.sh --objects 1000000 --seed 1 --missing 20 --python 3 --out /tmp/x/Data.fs
#   bench/generate.sh --size 5G --python 2 --protocol 1 --out /tmp/big/Data.fs
#   zodbcheck check-refs --format json /tmp/x/Data.fs   # compare with expected_findings of the manifest
#
# The manifest lists every injected missing oid with its referrers, the findings check-refs must
# report and the expected garbage count; docs/generator.md describes the file. Generated files
# must not go into the repository (only the git-ignored bench/data/ and bench/out/ are allowed),
# and mind the disk: a few GB per run.
#
# Builds the test classes first when they are missing or older than the generator's sources
# (mvn -B -q -o test-compile). Extra JVM options: GENERATE_JAVA_OPTS (e.g. -Xmx2g).
set -euo pipefail
here="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
main_class="$here/target/test-classes/org/zodbcheck/generate/GeneratorMain.class"
sources="$here/src/test/java/org/zodbcheck/generate"

out=""
prev=""
for a in "$@"; do
    [ "$prev" = "--out" ] && out="$a"
    prev="$a"
done
if [ -n "$out" ]; then
    abs="$(realpath -m -- "$out")"
    case "$abs/" in
        "$here/bench/data/"* | "$here/bench/out/"*) ;;
        "$here/"*) echo "generate.sh: $out is inside the repository; write it elsewhere (or under bench/data/)" >&2
                   exit 2 ;;
    esac
fi

if [ ! -f "$main_class" ] || [ -n "$(find "$sources" -name '*.java' -newer "$main_class" -print -quit)" ]; then
    echo "generate.sh: compiling the test classes (mvn -B -q -o test-compile)" >&2
    (cd "$here" && mvn -B -q -o test-compile >&2)
fi

java_bin="${JAVA_HOME:+$JAVA_HOME/bin/}java"
# shellcheck disable=SC2086
exec "$java_bin" ${GENERATE_JAVA_OPTS:-} -cp "$here/target/classes:$here/target/test-classes" \
    org.zodbcheck.generate.GeneratorMain "$@"
