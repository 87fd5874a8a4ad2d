#!/usr/bin/env bash
# Checks a generated storage with ZODB's own tools (installed by bench/pytools.sh): fstest.py
# must pass it, and the missing oids that multi-zodb-check-refs and fsrefs.py report must be the
# generator's manifest, as zodbcheck reports them.
#
#   bench/zodb-tools-check.sh PATH/TO/Data.fs      (Data.fs.manifest.json beside it)
#
# multi-zodb-check-refs walks from the root only: its "!!! main OID ?" reports must be the oids
# of the manifest's poskeyerror findings. fsrefs.py reads every current object: its (referrer,
# missing oid) pairs must be the manifest's poskeyerror and dangling findings. Python 3 files
# only (FS30): the Python 3 tools refuse Python 2 ones, which is part of why zodbcheck exists.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
. "$here/bench/lib.sh"
[ $# -ge 1 ] || { echo "usage: bench/zodb-tools-check.sh PATH/TO/Data.fs" >&2; exit 2; }
fs="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
[ -f "$fs.manifest.json" ] || { echo "no $fs.manifest.json" >&2; exit 2; }
[ ! -d "$here/bench/pytools/bin" ] || PATH="$here/bench/pytools/bin:$PATH"
for t in fstest.py fsrefs.py multi-zodb-check-refs; do
    command -v "$t" > /dev/null || { echo "$t not found: run bench/pytools.sh" >&2; exit 2; }
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
readonly_conf "$fs" "$tmp/zodb.conf"

s=$EPOCHREALTIME
fstest.py "$fs" > "$tmp/fstest" 2>&1 || { echo "fstest.py failed:" >&2; cat "$tmp/fstest" >&2; exit 1; }
echo "fstest.py: passed ($(echo "$EPOCHREALTIME - $s" | bc) s)"
s=$EPOCHREALTIME
multi-zodb-check-refs "$tmp/zodb.conf" > "$tmp/zodbdgc" 2> "$tmp/zodbdgc.err" || true
echo "multi-zodb-check-refs: $(grep -c '^!!! ' "$tmp/zodbdgc" || true) reports ($(echo "$EPOCHREALTIME - $s" | bc) s)"
s=$EPOCHREALTIME
fsrefs.py "$fs" > "$tmp/fsrefs" 2> "$tmp/fsrefs.err" || true
echo "fsrefs.py: $(grep -c '^oid ' "$tmp/fsrefs" || true) objects with invalid references ($(echo "$EPOCHREALTIME - $s" | bc) s)"

python3 - "$fs.manifest.json" "$tmp/zodbdgc" "$tmp/fsrefs" <<'EOF'
import json, re, sys
manifest, zodbdgc, fsrefs = sys.argv[1:]
m = json.load(open(manifest))
want_root = {int(f["oid"], 16) for f in m["expected_findings"] if f["kind"] == "poskeyerror"}
want_pairs = {(int(f["referrer"], 16), int(f["oid"], 16)) for f in m["expected_findings"]}
have_root = {int(l.split()[2]) for l in open(zodbdgc) if l.startswith("!!! ")}
have_pairs, referrer = set(), None
for line in open(fsrefs):
    if line.startswith("oid "):
        referrer = int(line.split()[1], 16)
    elif line.startswith("\toid "):
        have_pairs.add((referrer, int(line.split()[1], 16)))
ok = True
if have_root != want_root:
    ok = False
    print("multi-zodb-check-refs differs: missing %s, extra %s" % (sorted(want_root - have_root),
          sorted(have_root - want_root)))
if have_pairs != want_pairs:
    ok = False
    print("fsrefs.py differs: missing %s, extra %s" % (sorted(want_pairs - have_pairs),
          sorted(have_pairs - want_pairs)))
if not ok:
    sys.exit(1)
print("the manifest's findings: %d oids reported from the root walk, %d (referrer, oid) pairs by fsrefs"
      % (len(want_root), len(want_pairs)))
EOF
