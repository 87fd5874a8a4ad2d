#!/usr/bin/env python3
"""Derives damaged storages and index files for `zodbcheck verify` into testdata/derived/verify/,
from testdata/refs-py3/Data.fs (14 transactions, FS30, with backpointers and a Data.fs.index
written by ZODB), and py2-* cases from testdata/py2-proto2/Data.fs (FS21). Python standard
library only; independent of zodbcheck.

    python3 testdata/derive/damage.py            (from the project directory)

Every case is one <name>.fs (and sometimes <name>.fs.index). expected.json lists, per case, what
was done and the findings a correct verifier reports: kind, severity and the exact byte offset
of the damaged field (pos: the transaction concerned). The first line ZODB's own fstest prints
for each file is recorded separately by run_fstest.py (expected/<name>.fstest.txt).
"""
import json
import os
import pickle
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
TESTDATA = os.path.dirname(HERE)
BASE = os.path.join(TESTDATA, "refs-py3", "Data.fs")
PY2 = os.path.join(TESTDATA, "py2-proto2", "Data.fs")
OUT = os.path.join(TESTDATA, "derived", "verify")

TXN = ">8sQcHHH"
DATA = ">8s8sQQHQ"


def layout(data):
    """[{tpos, tid, tlen, status, hlen, records: [{pos, oid, tid, prev, plen, back}]}] of a clean file."""
    pos, txns = 4, []
    while pos < len(data):
        tid, tlen, status, ul, dl, el = struct.unpack(TXN, data[pos:pos + 23])
        hlen = 23 + ul + dl + el
        r, records = pos + hlen, []
        while r < pos + tlen:
            oid, rtid, prev, tloc, vlen, plen = struct.unpack(DATA, data[r:r + 42])
            back = struct.unpack(">Q", data[r + 42:r + 50])[0] if plen == 0 else None
            records.append(dict(pos=r, oid=oid, tid=rtid, prev=prev, plen=plen, back=back))
            r += 42 + (plen or 8)
        txns.append(dict(tpos=pos, tid=tid, tlen=tlen, status=status, hlen=hlen, ul=ul, dl=dl, el=el,
                         records=records))
        pos += tlen + 8
    return txns


def put(data, at, fmt, *values):
    struct.pack_into(fmt, data, at, *values)


def finding(kind, severity, pos, offset):
    return dict(kind=kind, severity=severity, pos=pos, offset=offset)


CASES = {}


def case(name, description, data, findings, exit_code, index=None):
    CASES[name] = dict(description=description, findings=findings, exit=exit_code)
    with open(os.path.join(OUT, name + ".fs"), "wb") as f:
        f.write(bytes(data))
    if index is not None:
        with open(os.path.join(OUT, name + ".fs.index"), "wb") as f:
            f.write(index)


def structure_cases(base, txns):
    t5, t6, t7, t9, last = txns[5], txns[6], txns[7], txns[9], txns[-1]
    size = len(base)

    d = bytearray(base)
    put(d, t5["tpos"] + 16, "c", b"x")
    case("bad-status", "status byte of transaction 5 set to 'x'", d,
         [finding("structure", "error", t5["tpos"], t5["tpos"] + 16)], 1)

    d = bytearray(base)
    put(d, t5["tpos"] + 16, "c", b"c")
    case("checkpoint-mid", "status of transaction 5 (not the last) set to 'c'", d,
         [finding("structure", "error", t5["tpos"], t5["tpos"] + 16)], 1)

    d = bytearray(base)
    put(d, last["tpos"] + 16, "c", b"c")
    case("checkpoint-tail", "status of the last transaction set to 'c' (a commit in progress)", d,
         [finding("structure", "warning", last["tpos"], last["tpos"])], 0)

    d = bytearray(base)
    d[t6["tpos"]:t6["tpos"] + 8] = txns[5]["tid"]
    d2 = d
    case("tid-reduction", "tid of transaction 6 set to the tid of transaction 5 (its records keep theirs)", d2,
         [finding("structure", "error", t6["tpos"], t6["tpos"]),
          finding("structure", "warning", t6["tpos"], t6["records"][0]["pos"] + 8)], 1)

    d = bytearray(base)
    r = t7["records"][1]
    put(d, r["pos"] + 24, ">Q", 12345)
    case("bad-tloc", "tloc of the second data record of transaction 7 set to 12345", d,
         [finding("structure", "error", t7["tpos"], r["pos"] + 24)], 1)

    d = bytearray(base)
    put(d, t5["tpos"] + t5["tlen"], ">Q", t5["tlen"] + 1)
    case("bad-redundant-length", "the redundant length after transaction 5 is one more than its length", d,
         [finding("structure", "error", t5["tpos"], t5["tpos"] + t5["tlen"])], 1)

    d = bytearray(base)
    put(d, t6["tpos"] + 8, ">Q", t6["tlen"] + 1000000)
    case("tlen-past-eof-mid", "length of transaction 6 made to run past the end of the file", d,
         [finding("structure", "error", t6["tpos"], t6["tpos"] + 8)], 1)

    d = bytearray(base)
    put(d, t6["tpos"] + 8, ">Q", t6["tlen"] - 3)
    case("tlen-short-mid", "length of transaction 6 made 3 bytes shorter", d,
         [finding("structure", "error", t6["tpos"], t6["tpos"] + 8)], 1)

    d = bytearray(base)
    put(d, last["tpos"] + 8, ">Q", last["tlen"] + 50)
    case("tlen-past-eof-tail", "length of the last transaction made to run past the end while its records and"
         " redundant length are complete: a damaged length field, not a crash", d,
         [finding("structure", "error", last["tpos"], last["tpos"] + 8)], 1)

    d = bytearray(base[:size - 20])
    case("truncated-commit", "the file cut 20 bytes before its end, inside the last transaction (a crash during"
         " a commit)", d, [finding("structure", "warning", last["tpos"], last["tpos"])], 0)

    d = bytearray(base)
    put(d, last["tpos"] + 16, "c", b"u")
    case("undone-status", "status of the last transaction set to 'u' (undone by ZODB < 3.3): its records are"
         " skipped", d, [finding("structure", "info", last["tpos"], last["tpos"] + 16)], 0)

    d = bytearray(base)
    lr = last["records"][-1]
    put(d, lr["pos"] + 34, ">Q", 1)
    cut = lr["pos"] + 42 + 1
    case("data-header-cut", "plen of the last record set to 1: the 7 bytes after it, before the redundant length,"
         " cannot hold a data record header (fstest reads past the end of the file there: 'truncated at')", d,
         [finding("structure", "error", last["tpos"], cut)], 1)

    d = bytearray(base) + b"\x00" * 10
    case("short-tail", "10 zero bytes after the last transaction", d,
         [finding("structure", "warning", size, size)], 0)

    d = bytearray(base)
    put(d, t7["tpos"] + 17, ">H", 0xFFFF)
    case("header-lengths", "user length of transaction 7 set to 65535 (longer than the transaction)", d,
         [finding("structure", "error", t7["tpos"], t7["tpos"])], 1)

    d = bytearray(base)
    d[t7["tpos"]:t7["tpos"] + t7["tlen"] + 8] = b"\x00" * (t7["tlen"] + 8)
    case("zeroed-transaction", "transaction 7 overwritten with zero bytes", d,
         [finding("structure", "error", t7["tpos"], t7["tpos"])], 1)

    d = bytearray(base)
    r = t7["records"][0]
    put(d, r["pos"] + 34, ">Q", r["plen"] + 4000)
    case("plen-beyond-transaction", "plen of the first record of transaction 7 made to exceed the transaction", d,
         [finding("structure", "error", t7["tpos"], r["pos"] + 34)], 1)

    d = bytearray(base)
    r = next(r for t in txns[3:] for r in t["records"] if r["prev"])
    other = next(x for t in txns for x in t["records"] if x["oid"] != r["oid"] and x["pos"] < r["pos"])
    put(d, r["pos"] + 16, ">Q", other["pos"])
    tpos = next(t["tpos"] for t in txns if r in t["records"])
    case("bad-prev", "prev pointer of a record pointed at an earlier record of another oid", d,
         [finding("structure", "error", tpos, r["pos"] + 16)], 1)

    d = bytearray(base)
    put(d, r["pos"] + 16, ">Q", 0)
    case("zero-prev", "prev pointer of a record (not in a packed transaction) set to 0", d,
         [finding("structure", "warning", tpos, r["pos"] + 16)], 0)

    d = bytearray(base)
    b = next(x for t in txns for x in t["records"] if x["plen"] == 0 and x["back"])
    btpos = next(t["tpos"] for t in txns if b in t["records"])
    put(d, b["pos"] + 42, ">Q", b["pos"] + 10)
    case("back-forward", "a backpointer pointed after its own record", d,
         [finding("structure", "error", btpos, b["pos"] + 42)], 1)

    d = bytearray(base)
    stranger = next(x for t in txns for x in t["records"] if x["oid"] != b["oid"] and x["pos"] < b["pos"])
    put(d, b["pos"] + 42, ">Q", stranger["pos"])
    case("back-other-oid", "a backpointer pointed at a record of another oid", d,
         [finding("structure", "error", btpos, b["pos"] + 42)], 1)

    d = bytearray(base)
    put(d, b["pos"] + 42, ">Q", b["back"] + 3)
    case("back-inside-record", "a backpointer pointed 3 bytes into the record it meant", d,
         [finding("structure", "error", btpos, b["pos"] + 42)], 1)

    d = bytearray(base)
    put(d, r["pos"] + 16, ">Q", r["prev"] + 1)
    case("prev-inside-record", "a prev pointer pointed 1 byte into the oid's previous record", d,
         [finding("structure", "error", tpos, r["pos"] + 16)], 1)

    d = bytearray(base)
    put(d, r["pos"] + 16, ">Q", size + 1000)
    case("prev-past-eof", "a prev pointer pointed past the end of the file", d,
         [finding("structure", "error", tpos, r["pos"] + 16)], 1)

    d = bytearray(base)
    r9 = t9["records"][0]
    d[r9["pos"] + 8:r9["pos"] + 16] = txns[8]["tid"]
    case("record-tid", "tid of a data record set to the previous transaction's tid", d,
         [finding("structure", "warning", t9["tpos"], r9["pos"] + 8)], 0)

    # bytes lost or inserted: the transactions after the damage lie elsewhere than their records say
    end6 = t6["tpos"] + t6["tlen"]
    d = bytearray(base[:end6 - 10] + base[end6:])
    case("bytes-lost", "the last 10 bytes of transaction 6's data cut out: its redundant length is read 10 bytes"
         " too far; transaction 7 and the rest lie 10 bytes before where their records say (tloc, prev)", d,
         [finding("structure", "error", t6["tpos"], end6),
          finding("structure", "error", t6["tpos"], t6["tpos"])], 1)

    t10 = txns[10]
    d = bytearray(base[:t10["tpos"]] + b"\xff" * 7 + base[t10["tpos"]:])
    case("bytes-inserted", "7 bytes 0xff inserted before transaction 10: it and the rest lie 7 bytes after"
         " where their records say", d, [finding("structure", "error", t10["tpos"], t10["tpos"])], 1)

    # a whole transaction cut out: the framing holds, every later record names a position 333
    # bytes further on; oid 0's next revision keeps a prev pointer into the lost transaction
    t10, t11 = txns[10], txns[11]
    d = bytearray(base[:t10["tpos"]] + base[t10["tpos"] + t10["tlen"] + 8:])
    moved = t11["records"][0]["pos"] - (t10["tlen"] + 8)
    case("transaction-lost", "transaction 10 cut out whole: transaction 11 and the rest lie %d bytes before"
         " where their records say; the record of oid 0 after it has a prev pointer into the lost"
         " transaction" % (t10["tlen"] + 8), d,
         [finding("structure", "error", t10["tpos"], t10["tpos"] + t11["hlen"] + 24),
          finding("structure", "error", t10["tpos"], moved + 16)], 1)

    # three defects at once: each found at its offset in one run
    d = bytearray(base)
    put(d, txns[3]["tpos"] + 16, "c", b"x")
    r = t7["records"][1]
    put(d, r["pos"] + 24, ">Q", 12345)
    put(d, t9["tpos"] + t9["tlen"], ">Q", t9["tlen"] + 1)
    case("three-defects", "invalid status (transaction 3), bad tloc (transaction 7), bad redundant length"
         " (transaction 9)", d,
         [finding("structure", "error", txns[3]["tpos"], txns[3]["tpos"] + 16),
          finding("structure", "error", t7["tpos"], r["pos"] + 24),
          finding("structure", "error", t9["tpos"], t9["tpos"] + t9["tlen"])], 1)


def rewrite(txns, base, edit):
    """Rewrites the storage through edit(t, record) -> (version, ext) changes, recomputing positions."""
    out = bytearray(b"FS30")
    newpos = {}
    for t in txns:
        tpos = len(out)
        user_desc_ext = base[t["tpos"] + 23:t["tpos"] + t["hlen"]]
        ul, dl, el = t["ul"], t["dl"], t["el"]
        ext = edit("ext", t, None)
        if ext is not None:
            user_desc_ext = user_desc_ext[:ul + dl] + ext
            el = len(ext)
        out += struct.pack(TXN, t["tid"], 0, t["status"], ul, dl, el) + user_desc_ext
        for r in t["records"]:
            newpos[r["pos"]] = len(out)
            body = base[r["pos"] + 42:r["pos"] + 42 + (r["plen"] or 8)]
            if r["plen"] == 0:
                back = r["back"]
                body = struct.pack(">Q", newpos.get(back, 0) if back else 0)
            prev = newpos.get(r["prev"], 0) if r["prev"] else 0
            version = edit("version", t, r) or b""
            # pnv: the oid's non-version record (its previous one here); vprev: no earlier version record
            vextra = struct.pack(">QQ", prev, 0) + version if version else b""
            out += struct.pack(DATA, r["oid"], r["tid"], prev, tpos, len(version), r["plen"]) + vextra + body
        tlen = len(out) - tpos
        struct.pack_into(">Q", out, tpos + 8, tlen)
        out += struct.pack(">Q", tlen)
    return out


def rewritten_cases(base, txns):
    t4 = txns[4]
    d = rewrite(txns, base, lambda what, t, r: b"\xff\xfe\x00garbage" if what == "ext" and t is t4 else None)
    new = layout(d)
    n4 = new[4]
    case("bad-extension", "transaction 4 given an extension that is not a pickle", d,
         [finding("structure", "warning", n4["tpos"], n4["tpos"] + 23 + n4["ul"] + n4["dl"])], 0)

    t8 = txns[8]
    d = rewrite(txns, base, lambda what, t, r: b"v1" if what == "version" and t is t8 else None)
    new = layout(d)
    first = new[8]["records"][0]
    case("version-record", "the record of transaction 8 written with version 'v1' (vlen 2, ZODB <= 3.8)", d,
         [finding("structure", "warning", first["pos"], first["pos"] + 32)], 0)


def positions(txns, upto):
    """oid -> position of its last record in the transactions before upto (read_index)."""
    index = {}
    for t in txns:
        if t["tpos"] >= upto:
            break
        if t["status"] != b"u":
            for r in t["records"]:
                index[r["oid"]] = r["pos"]
    return index


def fsindex(pos, index, py2=False):
    """An fsIndex file: pos, then (6-byte prefix, bucket) per prefix, then None (FORMAT.md 2.1)."""
    groups = {}
    for oid, p in sorted(index.items()):
        groups.setdefault(oid[:6], []).append((oid[6:], p))
    if not py2:
        out = bytearray()
        for value in [pos] + [(k, b"".join(s for s, _ in v) + b"".join(p.to_bytes(6, "big") for _, p in v))
                              for k, v in sorted(groups.items())] + [None]:
            out += pickle.dumps(value, 3)
        return bytes(out)
    # Python 2 ZODB >= 5.4: protocol 3 header with py2 str (U/T) strings, written by hand
    out = bytearray(b"\x80\x03" + (b"M" + struct.pack("<H", pos) if pos < 65536 else b"J" + struct.pack("<i", pos))
                    + b".")
    for k, v in sorted(groups.items()):
        bucket = b"".join(s for s, _ in v) + b"".join(p.to_bytes(6, "big") for _, p in v)
        out += b"\x80\x03U\x06" + k + (b"U" + bytes([len(bucket)]) if len(bucket) < 256
                                     else b"T" + struct.pack("<I", len(bucket))) + bucket + b"\x86."
    return bytes(out + b"\x80\x03N.")


def py2str(b):
    """A Python 2 str as cPickle writes it (SHORT_BINSTRING / BINSTRING)."""
    return (b"U" + bytes([len(b)]) if len(b) < 256 else b"T" + struct.pack("<i", len(b))) + b


def py2int(v):
    return b"K" + bytes([v]) if v < 256 else b"M" + struct.pack("<H", v) if v < 65536 else b"J" + struct.pack("<i", v)


def fsindex_py2_protocol1(pos, index):
    """An fsIndex file as ZODB 3.10 to 5.3 writes it on Python 2: cPickle protocol 1, fast mode (no
    memo), tuples with MARK/TUPLE. Byte for byte what Python 2.7's cPickle writes for it."""
    groups = {}
    for oid, p in sorted(index.items()):
        groups.setdefault(oid[:6], []).append((oid[6:], p))
    out = py2int(pos) + b"."
    for k, v in sorted(groups.items()):
        bucket = b"".join(s for s, _ in v) + b"".join(p.to_bytes(6, "big") for _, p in v)
        out += b"(" + py2str(k) + py2str(bucket) + b"t."
    return out + b"N."


def legacy_py2(pos, index):
    """The index of ZODB before 3.10 on Python 2: one protocol-1 pickle of {'index': {oid: pos}, 'pos':
    pos, 'oid': last oid, 'vindex': {}}, with cPickle's memo (BINPUT) on the dicts and key names."""
    out = b"}q\x01(" + py2str(b"index") + b"q\x02}q\x03("
    for oid, p in sorted(index.items()):
        out += py2str(oid) + py2int(p)
    out += b"u" + py2str(b"pos") + b"q\x04" + py2int(pos) + py2str(b"oid") + b"q\x05" + py2str(max(index))
    return out + py2str(b"vindex") + b"q\x06}q\x07u."


def py2_index_cases(py2, txns):
    size = len(py2)
    full = positions(txns, size)
    case("index-py2-protocol1", "py2-proto2 with its index as ZODB 3.10 to 5.3 on Python 2 writes it (protocol 1)",
         py2, [], 0, fsindex_py2_protocol1(size, full))
    cut = txns[-3]["tpos"]
    case("index-py2-protocol1-stale", "py2-proto2 with a protocol-1 index written 3 transactions earlier", py2,
         [finding("stale-index", "info", cut, 0)], 0, fsindex_py2_protocol1(cut, positions(txns, cut)))
    case("index-py2-legacy-dict", "py2-proto2 with an index as ZODB before 3.10 on Python 2 wrote it (one dict)",
         py2, [finding("stale-index", "info", 0, 0)], 0, legacy_py2(size, full))


def index_cases(base, txns):
    size = len(base)
    full = positions(txns, size)
    case("index-good-py3", "the storage with an index written as ZODB 5 on Python 3 writes it", base, [], 0,
         fsindex(size, full))
    case("index-good-py2", "the storage with an index as ZODB 5 on Python 2 writes it (U/T strings)", base, [], 0,
         fsindex(size, full, py2=True))
    cut = txns[-3]["tpos"]
    case("index-stale", "an index written when the storage ended 3 transactions earlier", base,
         [finding("stale-index", "info", cut, 0)], 0, fsindex(cut, positions(txns, cut)))
    case("index-past-eof", "the storage without its last transaction, with the index of the whole storage",
         base[:txns[-1]["tpos"]], [finding("bad-index", "warning", size, 0)], 0, fsindex(size, full))
    case("index-junk", "an index file of 200 bytes of junk", base, [finding("bad-index", "warning", 0, 0)], 0,
         bytes((i * 37 + 11) % 256 for i in range(200)))
    case("index-below-100", "an index whose position is 50", base, [finding("bad-index", "warning", 50, 0)], 0,
         fsindex(50, full))
    wrong = dict(full)
    recent = {r["oid"] for t in txns[-5:] for r in t["records"]}
    victim = next(o for o in sorted(wrong) if o not in recent)
    wrong[victim] = txns[0]["records"][0]["pos"]
    case("index-wrong-old-entry", "an index right about the last records but wrong about an older oid: ZODB uses"
         " it", base, [finding("bad-index", "error", size, 0)], 1, fsindex(size, wrong))
    insane = dict(full)
    insane[txns[-1]["records"][0]["oid"]] = txns[0]["records"][0]["pos"]
    case("index-insane", "an index wrong about the last record: ZODB ignores it", base,
         [finding("bad-index", "warning", size, 0)], 0, fsindex(size, insane))
    legacy = pickle.dumps({"index": {k: v for k, v in full.items()}, "pos": size, "oid": b"\0" * 8, "vindex": {}}, 1)
    case("index-legacy-dict", "an index in the format of ZODB before 3.10 (one pickled dict)", base,
         [finding("stale-index", "info", 0, 0)], 0, legacy)


def py2_cases(py2, txns):
    """Damage in a Python 2 (FS21) file: fstest's Python 2 build is the one that reads it."""
    t2, t4 = txns[2], txns[4]
    d = bytearray(py2)
    put(d, t2["tpos"] + 16, "c", b"x")
    r = t4["records"][1]
    put(d, r["pos"] + 24, ">Q", 12345)
    case("py2-defects", "FS21 (py2-proto2): status of transaction 2 set to 'x', tloc of the second record of"
         " transaction 4 set to 12345", d,
         [finding("structure", "error", t2["tpos"], t2["tpos"] + 16),
          finding("structure", "error", t4["tpos"], r["pos"] + 24)], 1)


def main():
    os.makedirs(OUT, exist_ok=True)
    for f in os.listdir(OUT):
        if f.endswith(".fs") or f.endswith(".index"):
            os.remove(os.path.join(OUT, f))
    base = open(BASE, "rb").read()
    txns = layout(base)
    structure_cases(base, txns)
    rewritten_cases(base, txns)
    index_cases(base, txns)
    py2 = open(PY2, "rb").read()
    py2_cases(py2, layout(py2))
    py2_index_cases(py2, layout(py2))
    case("empty", "an empty file", b"", [], 3)
    case("bad-magic", "a file whose magic is FS99", b"FS99" + base[4:], [], 3)
    with open(os.path.join(OUT, "expected.json"), "w") as f:
        json.dump(CASES, f, indent=1, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
