#!/usr/bin/env python3
"""Derives the extra test cases of testdata/derived/ from the corpus cases, independently of
zodbcheck (Python standard library only: struct, zlib, shutil).

    python3 testdata/derive/derive.py        (from the project directory; rewrites testdata/derived/)

Cases:
  zlib/          dangling/Data.fs with every record pickle stored as zc.zlibstorage does
                 ('.z' + zlib stream when that is shorter, FORMAT.md 3.1); all positions
                 (tlen, prev, tloc, back) recomputed. Same findings as dangling.
  blobs-lawn/    blobs/ with its blob directory moved to the lawn layout (FORMAT.md 4.2).
  blobs-nodir/   blobs/Data.fs with a configuration naming a blob directory that does not exist.
  blobs-orphans/ blobs/ plus blob files no record accounts for, and an empty blob file.
Each case has an expected/truth.json written here, from what this script did.
"""
import json
import os
import shutil
import struct
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
TESTDATA = os.path.dirname(HERE)
OUT = os.path.join(TESTDATA, "derived")

TXN = ">8sQcHHH"   # tid, tlen, status, ulen, dlen, elen
DATA = ">8s8sQQHQ"  # oid, tid, prev, tloc, vlen, plen


def read_storage(path):
    """[(header fields, user, desc, ext, [record dicts])], records with their old position."""
    data = open(path, "rb").read()
    assert data[:4] in (b"FS21", b"FS30")
    pos, txns = 4, []
    while pos < len(data):
        tid, tlen, status, ul, dl, el = struct.unpack(TXN, data[pos:pos + 23])
        meta = data[pos + 23:pos + 23 + ul + dl + el]
        rpos, end, records = pos + 23 + ul + dl + el, pos + tlen, []
        while rpos < end:
            oid, rtid, prev, tloc, vlen, plen = struct.unpack(DATA, data[rpos:rpos + 42])
            assert vlen == 0 and tloc == pos
            body = data[rpos + 42:rpos + 42 + (plen or 8)]
            records.append(dict(pos=rpos, oid=oid, tid=rtid, prev=prev, plen=plen, body=body))
            rpos += 42 + (plen or 8)
        assert struct.unpack(">Q", data[end:end + 8])[0] == tlen
        txns.append(dict(tid=tid, status=status, ul=ul, dl=dl, el=el, meta=meta, records=records))
        pos = end + 8
    return data[:4], txns


def write_storage(path, magic, txns):
    """Writes the transactions, recomputing tlen, tloc, prev and back positions."""
    new_pos, out = {}, bytearray(magic)
    for t in txns:
        tpos = len(out)
        out += b"\0" * 23 + t["meta"]
        for r in t["records"]:
            new_pos[r["pos"]] = len(out)
            if r["plen"]:
                body, plen = r["body"], len(r["body"])
            else:
                back = struct.unpack(">Q", r["body"])[0]
                body, plen = struct.pack(">Q", new_pos[back] if back else 0), 0
            prev = new_pos[r["prev"]] if r["prev"] else 0
            out += struct.pack(DATA, r["oid"], r["tid"], prev, tpos, 0, plen) + body
        tlen = len(out) - tpos
        out[tpos:tpos + 23] = struct.pack(TXN, t["tid"], tlen, t["status"], t["ul"], t["dl"], t["el"])
        out += struct.pack(">Q", tlen)
    open(path, "wb").write(out)


def zlib_case():
    magic, txns = read_storage(os.path.join(TESTDATA, "dangling", "Data.fs"))
    compressed = 0
    for t in txns:
        for r in t["records"]:
            if r["plen"] and len(r["body"]) > 20:   # zc.zlibstorage.compress
                z = b".z" + zlib.compress(r["body"])
                if len(z) < len(r["body"]):
                    r["body"], r["plen"] = z, len(z)
                    compressed += 1
    d = case_dir("zlib")
    write_storage(os.path.join(d, "Data.fs"), magic, txns)
    write(d, "zodb.conf", "%import zc.zlibstorage\n<zodb main>\n  <zlibstorage>\n    <filestorage>\n"
          "      path Data.fs\n    </filestorage>\n  </zlibstorage>\n</zodb>\n")
    truth = json.load(open(os.path.join(TESTDATA, "dangling", "expected", "truth.json")))
    truth["case"] = "zlib"
    truth["description"] = ("dangling/Data.fs rewritten with %d of its record pickles stored as '.z' + zlib "
                            "(zc.zlibstorage); same objects and references, so the same findings" % compressed)
    write_truth(d, truth)


def blob_records():
    """The blob objects of blobs/Data.fs and the tid of their current records."""
    _, txns = read_storage(os.path.join(TESTDATA, "blobs", "Data.fs"))
    current = {}
    for t in txns:
        for r in t["records"]:
            current[r["oid"]] = r
    return {struct.unpack(">Q", oid)[0]: r["tid"] for oid, r in current.items()
            if r["plen"] and class_of(r["body"]) == "ZODB.blob.Blob"}


def class_of(pickle):
    """module.name of a class pickle that is a plain GLOBAL (ZODB's get_pickle_metadata quick path)."""
    if pickle[:1] == b"\x80":
        pickle = pickle[2:]
    if pickle[:1] != b"c":
        return None
    module, name = pickle[1:].split(b"\n")[:2]
    return module.decode() + "." + name.decode()


def oid_repr(oid):
    """ZODB's oid_repr: 0x and the hex digits, padded to an even count."""
    h = "%x" % oid
    return "0x" + ("0" + h if len(h) % 2 else h)


def tid_repr(tid):
    return oid_repr(struct.unpack(">Q", tid)[0])


def copy_blobs_case(name):
    d = case_dir(name)
    shutil.copy(os.path.join(TESTDATA, "blobs", "Data.fs"), os.path.join(d, "Data.fs"))
    return d


def lawn_case():
    d = copy_blobs_case("blobs-lawn")
    src = os.path.join(TESTDATA, "blobs", "blobs")
    dst = os.path.join(d, "blobs")
    os.makedirs(dst)
    write(dst, ".layout", "lawn")
    moved = []
    for root, _, files in os.walk(src):
        for f in files:
            if not f.endswith(".blob"):
                continue
            parts = os.path.relpath(root, src).split(os.sep)       # 8 bushy levels
            oid = int("".join(p[2:] for p in parts), 16)
            os.makedirs(os.path.join(dst, oid_repr(oid)), exist_ok=True)
            shutil.copy(os.path.join(root, f), os.path.join(dst, oid_repr(oid), f))
            moved.append("%s/%s" % (oid_repr(oid), f))
    write(d, "zodb.conf", "<zodb main>\n  <filestorage>\n    path Data.fs\n    blob-dir blobs\n"
          "  </filestorage>\n</zodb>\n")
    missing = ["blobs/%s/%s.blob" % (oid_repr(oid), tid_repr(tid)) for oid, tid in sorted(blob_records().items())
               if "%s/%s.blob" % (oid_repr(oid), tid_repr(tid)) not in moved]
    write_truth(d, dict(case="blobs-lawn", description="blobs/ with the lawn layout (one directory per oid)",
                        missing_blobs=missing, orphan_blobs=[], empty_blobs=[]))


def nodir_case():
    d = copy_blobs_case("blobs-nodir")
    write(d, "zodb.conf", "<zodb main>\n  <filestorage>\n    path Data.fs\n    blob-dir no-such-blobs\n"
          "  </filestorage>\n</zodb>\n")
    write_truth(d, dict(case="blobs-nodir", description="blob-dir names a directory that does not exist",
                        missing_blob_directory="no-such-blobs", blob_records=len(blob_records())))


def orphans_case():
    d = copy_blobs_case("blobs-orphans")
    dst = os.path.join(d, "blobs")
    shutil.copytree(os.path.join(TESTDATA, "blobs", "blobs"), dst)
    blobs = blob_records()

    def bushy(oid, tid_hex):
        p = os.path.join(dst, *["0x%02x" % ((oid >> s) & 0xff) for s in range(56, -8, -8)])
        os.makedirs(p, exist_ok=True)
        return os.path.join(p, tid_hex + ".blob"), "/".join(["0x%02x" % ((oid >> s) & 0xff)
                                                               for s in range(56, -8, -8)] + [tid_hex + ".blob"])
    orphans = []
    for oid, tid_hex in ((0x2a, "0x03f5c0a019999999"),     # an oid with no record at all
                         (0x03, "0x0123456789abcdef")):    # a blob oid, a tid none of its records has
        path, rel = bushy(oid, tid_hex)
        open(path, "wb").write(b"orphan\n")
        orphans.append("blobs/" + rel)
    os.makedirs(os.path.join(dst, "tmp"), exist_ok=True)   # uncommitted data: ignored
    open(os.path.join(dst, "tmp", "0x03f5c0a019999999.blob"), "wb").write(b"tmp\n")
    empty_oid = min(blobs)
    path, rel = bushy(empty_oid, tid_repr(blobs[empty_oid]))
    open(path, "wb").close()
    write(d, "zodb.conf", "<zodb main>\n  <filestorage>\n    path Data.fs\n    blob-dir blobs\n"
          "  </filestorage>\n</zodb>\n")
    write_truth(d, dict(case="blobs-orphans", description="blobs/ plus orphan blob files and one emptied file",
                        missing_blobs=["blobs/0x00/0x00/0x00/0x00/0x00/0x00/0x00/0x06/0x03f5c0a019999999.blob"],
                        orphan_blobs=sorted(orphans), empty_blobs=["blobs/" + rel]))


def case_dir(name):
    d = os.path.join(OUT, name)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(os.path.join(d, "expected"))
    return d


def write(d, name, text):
    with open(os.path.join(d, name), "w") as f:
        f.write(text)


def write_truth(d, truth):
    with open(os.path.join(d, "expected", "truth.json"), "w") as f:
        json.dump(truth, f, indent=1, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    zlib_case()
    lawn_case()
    nodir_case()
    orphans_case()
    print("wrote", OUT)
