#!/usr/bin/env python3
"""Writes ZODB-style record data (class pickle + state pickle) with CPython's own pickler.

An independent source for PickleScannerPropertyTest: the persistent references in these files
were planted through Pickler.persistent_id, exactly as ZODB's ObjectWriter does it (one Pickler,
memo cleared, then dump(class metadata) and dump(state), so the two pickles share the memo), and
the expected references are listed in expected.json, in pickle order:

    {"FILE.bin": [{"pickle": 0|1, "form": FORM, "oid": "0x..", "database": DB|null,
                   "klass": "module.Name"|null}, ...], ...}

FORM as zodbcheck names it (FORMAT.md section 3.3): "oid" (bare oid), "oid-klass" ((oid, klass)),
"list" ([oid], legacy weak), "w" (['w', (oid,)] / ['w', (oid, db)]), "m" (['m', (db, oid, klass)]),
"n" (['n', (db, oid)]), "malformed" (anything else; oid 0x00).

Flavours:
  py3-protoN (N = 0..5)  pickle.Pickler (the C pickler). Protocols 3-5 write oids as bytes (C/B).
                         Protocols 1-2 have no bytes opcode: Python 3 writes bytes as a call to
                         _codecs.encode, so ZODB-style oids are planted as text (8 code points
                         below 256, FORMAT.md section 3.6) and a bytes oid gives a malformed id.
                         Protocol 0 writes a persistent id as PERSID + str(pid): only an 8-char
                         text is an oid.
  py2-protoN (N = 0..3)  pickle._Pickler (the pure-Python pickler) writing bytes as Python 2 wrote
                         its str (STRING, SHORT_BINSTRING, BINSTRING), the way ZODB on Python 2 wrote
                         FS21 files; protocol 3 writes oids (marked binary) as SHORT_BINBYTES like
                         zodbpickle's binary type, as ZODB >= 5.4 on Python 2 does.

Only the standard library is used (no ZODB). Rerun to regenerate; the output is deterministic (the script
runs itself under PYTHONHASHSEED=0):

    python3 testdata/pickles/make.py
"""

import io
import json
import os
import pickle
import random
import struct
import sys
import types

HERE = os.path.dirname(os.path.abspath(__file__))


def install_module(name, *classes):
    """Makes classes importable as name.Cls so that the pickler writes them as globals."""
    parts = name.split(".")
    for i in range(1, len(parts) + 1):
        sys.modules.setdefault(".".join(parts[:i]), types.ModuleType(".".join(parts[:i])))
    mod = sys.modules[name]
    for cls in classes:
        cls.__module__ = name
        cls.__qualname__ = cls.__name__
        setattr(mod, cls.__name__, cls)


class Item:
    pass


class Folder:
    pass


class PersistentMapping:
    pass


class BTree:
    pass


class Point:
    """A non-persistent object pickled inside a state (REDUCE / NEWOBJ)."""

    def __init__(self, x=0, y=0):
        self.x = x
        self.y = y


install_module("app.models", Item, Folder, Point)
install_module("persistent.mapping", PersistentMapping)
install_module("BTrees.OOBTree", BTree)
CLASSES = [Item, Folder, PersistentMapping, BTree]
DBS = ["main", "catalog", "other-db", "d\u00e9b"]


class Binary(bytes):
    """An oid: written as bytes even by the Python 2 flavour at protocol 3 (zodbpickle's binary)."""


class Ref:
    """A persistent object: persistent_id() turns it into the pid, and expected() says what the
    scanner must report for it."""

    def __init__(self, pid, expected):
        self.pid = pid
        self.exp = expected


# ---------------------------------------------------------------- picklers

class Py3Pickler(pickle.Pickler):
    def persistent_id(self, obj):
        return obj.pid if isinstance(obj, Ref) else None


class Py2Pickler(pickle._Pickler):
    """Python 2's str: bytes as STRING (protocol 0), SHORT_BINSTRING / BINSTRING (1-3); Binary as
    SHORT_BINBYTES from protocol 3; PERSID + the raw bytes of a str pid at protocol 0."""

    dispatch = pickle._Pickler.dispatch.copy()

    def persistent_id(self, obj):
        return obj.pid if isinstance(obj, Ref) else None

    def save_pers(self, pid):
        if self.bin:
            self.save(pid, save_persistent_id=False)
            self.write(pickle.BINPERSID)
        else:
            text = bytes(pid) if isinstance(pid, bytes) else str(pid).encode("ascii")
            self.write(pickle.PERSID + text + b"\n")

    def save_py2_str(self, obj):
        if isinstance(obj, Binary) and self.proto >= 3:
            self.write(pickle.SHORT_BINBYTES + bytes([len(obj)]) + bytes(obj) if len(obj) < 256
                       else pickle.BINBYTES + struct.pack("<I", len(obj)) + bytes(obj))
        elif not self.bin:
            self.write(pickle.STRING + repr(bytes(obj))[1:].encode("ascii") + b"\n")
        elif len(obj) < 256:
            self.write(pickle.SHORT_BINSTRING + bytes([len(obj)]) + bytes(obj))
        else:
            self.write(pickle.BINSTRING + struct.pack("<i", len(obj)) + bytes(obj))
        self.memoize(obj)

    dispatch[bytes] = save_py2_str
    dispatch[Binary] = save_py2_str


def record(flavour, proto, classmeta, state):
    """Both pickles with one pickler and one memo, as ZODB's ObjectWriter._dump."""
    f = io.BytesIO()
    p = (Py3Pickler if flavour == "py3" else Py2Pickler)(f, proto)
    p.clear_memo()
    p.dump(classmeta)
    p.dump(state)
    return f.getvalue()


# ---------------------------------------------------------------- references

def klass_name(cls):
    return cls.__module__ + "." + cls.__name__


def hexoid(oid):
    v = int.from_bytes(oid, "big")
    h = "%x" % v
    return "0x" + ("0" + h if len(h) % 2 else h)


def exp(form, oid=None, db=None, klass=None):
    return {"form": form, "oid": hexoid(oid) if oid is not None and form != "malformed" else "0x00",
            "database": db, "klass": klass}


class Planter:
    """Makes references of every form for one flavour and protocol, and shares some of them
    (the same pid object twice: the pickler writes a memo GET the second time)."""

    def __init__(self, flavour, proto, rnd):
        self.flavour = flavour
        self.proto = proto
        self.rnd = rnd
        self.made = []

    def oid(self):
        # no newline byte: a protocol 0 PERSID line must not contain one
        while True:
            b = self.rnd.randbytes(8) if self.rnd.random() < 0.5 else bytes(6) + self.rnd.randbytes(2)
            if b"\n" not in b:
                return b

    def text(self, s):
        """A tag or database name: str on Python 3, Python 2 str (bytes) on Python 2."""
        return s.encode("latin-1") if self.flavour == "py2" and all(ord(c) < 256 for c in s) else s

    def oid_value(self, oid):
        """How this flavour and protocol can write an oid so that ZODB reads it back as one."""
        if self.flavour == "py2":
            return Binary(oid) if self.proto >= 3 else oid
        if self.proto >= 3:
            return oid
        return oid.decode("latin-1")  # text oid (protocols 0-2 of Python 3)

    def ref(self):
        if self.made and self.rnd.random() < 0.2:
            return self.rnd.choice(self.made)  # the same object again
        r = self.new_ref()
        self.made.append(r)
        return r

    def new_ref(self):
        oid = self.oid()
        o = self.oid_value(oid)
        cls = self.rnd.choice(CLASSES)
        db = self.rnd.choice(DBS)
        if self.proto == 0:
            return self.proto0_ref(oid, cls)
        form = self.rnd.choice(["oid", "oid-klass", "oid-klass", "oid-klass", "list", "w1", "w2", "m", "n"])
        if self.flavour == "py3" and self.proto < 3 and self.rnd.random() < 0.15:
            # a bytes oid at protocol 1-2 of Python 3 becomes _codecs.encode(...): not an oid
            return Ref((oid, cls), exp("malformed"))
        if form == "oid":
            return Ref(o, exp("oid", oid))
        if form == "oid-klass":
            return Ref((o, cls), exp("oid-klass", oid, klass=klass_name(cls)))
        if form == "list":
            return Ref([o], exp("list", oid))
        if form == "w1":
            return Ref([self.text("w"), (o,)], exp("w", oid))
        if form == "w2":
            return Ref([self.text("w"), (o, self.text(db))], exp("w", oid, db))
        if form == "m":
            return Ref([self.text("m"), (self.text(db), o, cls)], exp("m", oid, db, klass_name(cls)))
        return Ref([self.text("n"), (self.text(db), o)], exp("n", oid, db))

    def proto0_ref(self, oid, cls):
        """PERSID <text>: an 8-byte text is a bare oid; anything longer is malformed."""
        choice = self.rnd.random()
        if self.flavour == "py2":
            if choice < 0.8:
                return Ref(oid, exp("oid", oid))  # Python 2 wrote the 8 raw bytes
            return Ref((oid, cls), exp("malformed"))
        ascii_oid = bytes(b & 0x7f if b & 0x7f != 10 else 11 for b in oid)
        if choice < 0.8:
            return Ref(ascii_oid.decode("ascii"), exp("oid", ascii_oid))
        return Ref((ascii_oid, cls), exp("malformed"))  # "(b'...', <class ...>)"


# ---------------------------------------------------------------- values

class Builder:
    def __init__(self, planter, rnd):
        self.p = planter
        self.rnd = rnd
        self.shared = []

    def plant(self):
        return self.p.ref()

    def scalar(self):
        c = self.rnd.randrange(11)
        if c == 0:
            return self.rnd.randrange(-2 ** 31, 2 ** 31)
        if c == 1:
            return self.rnd.randrange(256)
        if c == 2:
            return self.rnd.randrange(-10 ** 30, 10 ** 30)
        if c == 3:
            return self.rnd.random() * 1e6
        if c == 4:
            return self.rnd.choice([None, True, False])
        if c == 5:
            return "".join(self.rnd.choice("abc\u00e9\u20ac\n'\"\\") for _ in range(self.rnd.randrange(12)))
        if c == 6:
            return self.rnd.randbytes(self.rnd.randrange(20))
        if c == 7:
            return "x" * self.rnd.randrange(250, 300)  # a long string (the scanner keeps no content)
        if c == 8:
            return self.p.text(self.rnd.choice(["w", "m", "n", "main", "catalog"]))  # shared short strings
        if c == 9:
            return self.p.oid_value(self.p.oid())  # an oid that is not a reference
        return self.rnd.choice(CLASSES)  # a class as a value

    def value(self, depth):
        if depth <= 0 or self.rnd.random() < 0.3:
            if self.rnd.random() < 0.3:
                return self.plant()
            return self.scalar()
        if self.shared and self.rnd.random() < 0.1:
            return self.rnd.choice(self.shared)  # written as a memo GET
        c = self.rnd.randrange(8)
        n = self.rnd.randrange(5)
        if c == 0:
            v = [self.value(depth - 1) for _ in range(n)]
        elif c == 1:
            v = tuple(self.value(depth - 1) for _ in range(n))
        elif c == 2:
            v = {self.key(): self.value(depth - 1) for _ in range(n)}
        elif c == 3:
            v = set(self.scalar_hashable() for _ in range(n))
        elif c == 4:
            v = frozenset(self.scalar_hashable() for _ in range(n))
        elif c == 5:
            v = Point(self.value(depth - 1), self.value(depth - 1))
        elif c == 6:
            v = [self.plant() for _ in range(n + 1)]
        else:
            v = {self.plant(): self.value(depth - 1)} if self.p.proto > 0 else {"k": self.plant()}
        if isinstance(v, (list, dict, Point)):
            self.shared.append(v)
        return v

    def key(self):
        return self.rnd.choice(["title", "parent", "items", "data", "_container", "w", "m", "n", "main"]) + \
            str(self.rnd.randrange(3))

    def scalar_hashable(self):
        v = self.scalar()
        # classes and None hash by address: in a set their order would depend on where this script
        # runs from (the path changes what is allocated before them)
        return v if not isinstance(v, (list, dict, set, type)) and v is not None else 0


def make(flavour, proto, rnd):
    planter = Planter(flavour, proto, rnd)
    b = Builder(planter, rnd)
    c = rnd.randrange(6)
    if c == 0:
        classmeta = rnd.choice(CLASSES)
    elif c == 1:
        classmeta = (rnd.choice(CLASSES), None)
    elif c == 2:
        classmeta = ((planter.text("app.models"), planter.text("Item")), None)
    elif c == 3:
        classmeta = planter.ref()  # an instance of a persistent class: the class is a reference
    elif c == 4:
        classmeta = (planter.ref(), ())
    else:
        classmeta = (rnd.choice(CLASSES), (b.scalar(),))
    state = {b.key(): b.value(4) for _ in range(rnd.randrange(2, 7))}
    if rnd.random() < 0.3:
        state = (state, {b.key(): b.plant()})  # (dict state, slots state)
    return dump_recording(flavour, proto, classmeta, state)


def dump_recording(flavour, proto, classmeta, state):
    """Pickles as record() does and notes every persistent_id answer, with the pickle it is in."""
    f = io.BytesIO()
    base = Py3Pickler if flavour == "py3" else Py2Pickler
    found = []

    class Recording(base):
        which = 0

        def persistent_id(self, obj):
            if isinstance(obj, Ref):
                e = dict(obj.exp)
                e["pickle"] = Recording.which
                found.append(e)
                return obj.pid
            return None

    p = Recording(f, proto)
    p.clear_memo()
    p.dump(classmeta)
    Recording.which = 1
    p.dump(state)
    return f.getvalue(), found


def fixed_records():
    """A few hand-made records: every form once per protocol, in a known order."""
    out = {}
    for flavour, protos in (("py3", range(3, 6)), ("py2", range(1, 4))):
        for proto in protos:
            pl = Planter(flavour, proto, random.Random(proto))
            o = [bytes(7) + bytes([i]) for i in range(1, 8)]
            v = pl.oid_value
            t = pl.text
            refs = [
                Ref((v(o[0]), Item), exp("oid-klass", o[0], klass="app.models.Item")),
                Ref(v(o[1]), exp("oid", o[1])),
                Ref([v(o[2])], exp("list", o[2])),
                Ref([t("w"), (v(o[3]),)], exp("w", o[3])),
                Ref([t("w"), (v(o[4]), t("main"))], exp("w", o[4], "main")),
                Ref([t("m"), (t("catalog"), v(o[5]), Folder)], exp("m", o[5], "catalog", "app.models.Folder")),
                Ref([t("n"), (t("main"), v(o[6]))], exp("n", o[6], "main")),
            ]
            state = {"data": {t("a"): refs[0], t("b"): refs[1]}, "legacy": refs[2],
                     "weak": [refs[3], refs[4]], "xdb": (refs[5], refs[6]), "again": refs[0]}
            data, found = dump_recording(flavour, proto, PersistentMapping, state)
            out["%s-proto%d-every-form.bin" % (flavour, proto)] = (data, found)
    return out


def main():
    results = {}
    for name, (data, found) in fixed_records().items():
        results[name] = (data, found)
    for flavour, protos in (("py3", range(0, 6)), ("py2", range(0, 4))):
        for proto in protos:
            for i in range(4):
                rnd = random.Random("%s-%d-%d" % (flavour, proto, i))
                name = "%s-proto%d-random%d.bin" % (flavour, proto, i)
                results[name] = make(flavour, proto, rnd)
    for old in os.listdir(HERE):
        if old.endswith(".bin"):
            os.remove(os.path.join(HERE, old))
    expected = {}
    for name in sorted(results):
        data, found = results[name]
        with open(os.path.join(HERE, name), "wb") as f:
            f.write(data)
        expected[name] = [{k: e[k] for k in ("pickle", "form", "oid", "database", "klass")} for e in found]
    with open(os.path.join(HERE, "expected.json"), "w", encoding="utf-8") as f:
        json.dump(expected, f, indent=1, sort_keys=True, ensure_ascii=False)
        f.write("\n")
    print("%d records, %d references" % (len(expected), sum(len(v) for v in expected.values())))


if __name__ == "__main__":
    # Sets and frozensets of strings are written in hash order: fix the hash seed, else every
    # run writes other bytes (the same references).
    if os.environ.get("PYTHONHASHSEED") != "0":
        os.execve(sys.executable, [sys.executable] + sys.argv, dict(os.environ, PYTHONHASHSEED="0"))
    main()
