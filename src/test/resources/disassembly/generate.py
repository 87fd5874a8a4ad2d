#!/usr/bin/env python3
"""Golden files for DisassemblerTest: NAME.bin (the data of one ZODB record: class pickle then
state pickle) and NAME.txt (what Python 3.11's pickletools prints for it).

    python3 generate.py          writes NAME.txt for every NAME.bin in this directory
    python3 generate.py --bins   first (re)writes the .bin files listed in CORPUS and SYNTHETIC

How the expected text is obtained (Python 3.11.7, the real pickletools; nothing hand-edited):

* The record is put in one io.BytesIO and pickletools.dis(f, out, memo, annotate=0) is called
  on it again and again until the stream is exhausted (a record holds two pickles; a call reads
  through the next STOP). The positions dis prints are f.tell() values, so they count from the
  start of the record and those of the state pickle continue after the class pickle.
* ZODB pickles both pickles with one pickler and unpickles them with one unpickler, so the state
  pickle uses memo slots stored by the class pickle (BINGET 0 for the object's class is common)
  and its MEMOIZE numbers continue. One call per pickle with a fresh memo would fail with "memo
  key 0 has never been stored into"; instead the SAME dict is passed as memo= to every call, as
  pickletools' docstring describes for "multiple pickles that were all created by the same pickler
  with the same memo". So the shared memo needs no pre-seeding and no post-processing. (If a
  pickle stored into a slot an earlier pickle of the record had stored, pickletools would say
  "memo key N already defined"; zodbcheck's disassembler accepts that, as ZODB's unpickler does.
  No record here does it, and the script stops with the ValueError if one ever does.)
* zodbcheck cuts an argument repr longer than 200 characters to its first 200 characters
  followed by "...". dis() prints repr(arg), looked up in the pickletools module first, so the
  same cut is made by putting a limited repr() into that module's namespace while dis runs.

The .bin files: CORPUS lists the data records taken from the test corpus (file, file offset of
the data record header; see FORMAT.md 1.5), SYNTHETIC those written here with Python's pickle (a
Pickler that dumps twice, like ZODB) or by hand, for opcodes and values the corpus lacks.
warmup.bin is PickleWarmup.record() (every opcode but NEXT_BUFFER), written once from Java:
    jshell --class-path target/classes
    > java.nio.file.Files.write(java.nio.file.Path.of("warmup.bin"), org.zodbcheck.pickle.PickleWarmup.record())
"""
import builtins
import io
import os
import pickle
import pickletools
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, '..', '..', '..', '..'))
MAX_REPR = 200

CORPUS = {
    # refs-py3: ZODB 5.8.1 on Python 3.11, protocol 3
    'refs-py3-root': ('testdata/refs-py3/Data.fs', 2488),            # oid 0 PersistentMapping, (oid, klass) refs
    'refs-py3-persistent-class': ('testdata/refs-py3/Data.fs', 1669),  # oid 4, ZODB.persistentclass
    'refs-py3-class-instance': ('testdata/refs-py3/Data.fs', 2166),    # oid 5, class pickle = BINPERSID
    # Python 2.7 ZODB, protocol 1 (no PROTO), memo from 1, U/X strings, LONG
    'py2-proto1-document': ('testdata/py2-proto1/Data.fs', 100090),    # oid 0x93
    'py2-proto1-list': ('testdata/py2-proto1/Data.fs', 667),           # oid 5 PersistentList, APPEND
    'py2-proto1-folder': ('testdata/py2-proto1/Data.fs', 882),         # oid 4, 5 kB, LONG_BINPUT
    # Python 2.7 ZODB, protocol 2: LONG1, NEWOBJ, TUPLE2
    'py2-proto2-document': ('testdata/py2-proto2/Data.fs', 90952),     # oid 0x94
    'py2-proto2-newargs': ('testdata/py2-proto2/Data.fs', 1028),       # oid 7, class pickle (klass, ())
    'py2-proto2-bucket': ('testdata/py2-proto2/Data.fs', 89448),       # oid 0x16e OOBucket, BININT
    # Python 2.7 zodbpickle, protocol 3: T strings with bytes >= 0x80, SHORT_BINBYTES
    'py2-proto3-folder': ('testdata/py2-proto3/Data.fs', 1389),        # oid 4
    'py2-proto3-weakref': ('testdata/py2-proto3/Data.fs', 560),        # oid 6, ['w', (oid,)]
    # clean: Python 3, rich objects
    'clean-document': ('testdata/clean/Data.fs', 246456),              # oid 0x28: floats, big ints, bytes, astral text
    'clean-bucket': ('testdata/clean/Data.fs', 273691),                # oid 0x71 IIBucket
    'clean-item': ('testdata/clean/Data.fs', 210954),                  # oid 7
    # multidb: cross-database reference ['m', (db, oid, klass)]
    'multidb-xref': ('testdata/multidb/main/Data.fs', 4245),           # oid 3
}


def record_data(path, pos):
    """The pickle data of the data record whose header is at pos (FORMAT.md 1.5)."""
    with open(path, 'rb') as f:
        f.seek(pos)
        oid, tid, prev, tloc, vlen, plen = struct.unpack('>8s8sQQHQ', f.read(42))
        if vlen:
            f.read(16 + vlen)
        if not plen:
            raise ValueError('%s@%d is a backpointer' % (path, pos))
        return f.read(plen)


class Ref:
    """A persistent reference for the synthetic records."""

    def __init__(self, pid):
        self.pid = pid


class Pickler(pickle.Pickler):
    def persistent_id(self, obj):
        return obj.pid if isinstance(obj, Ref) else None


def zodb_like(protocol, klass, state):
    """Class pickle then state pickle with one pickler, hence one memo, as ZODB writes them."""
    f = io.BytesIO()
    p = Pickler(f, protocol)
    p.dump(klass)
    p.dump(state)
    return f.getvalue()


class Kw:
    """Pickled with NEWOBJ_EX (protocol 4+)."""

    def __new__(cls, *args, **kwargs):
        return object.__new__(cls)

    def __getnewargs_ex__(self):
        return (1,), {'flag': True}


def synthetic_proto0():
    # Python 3 protocol 0: GLOBAL, PUT/GET (including GET 0 of the class pickle's slot), INT,
    # I01/I00, LONG ...L, FLOAT, UNICODE (raw-unicode-escape, raw bytes >= 0x80, \\u and \\U),
    # PERSID (pickletools unescapes its text: \\x41 shows as A), LIST/APPEND, DICT/SETITEM,
    # TUPLE, REDUCE (bytes and sets in protocol 0).
    import collections
    shared = [1, 2]
    state = {
        'int': 7, 'neg': -12, 'big': 12345678901234567890, 'yes': True, 'no': False,
        'float': 2.5, 'tiny': 2.5e-07, 'huge': 1e16,
        'text': 'caf\xe9 \u20ac \U0001f600 back\\slash\nnew', 'bytes': b'\x00\xff\'"',
        'ref': Ref('0000000000000007\\x41'), 'klass': collections.OrderedDict,
        'list': shared, 'again': shared, 'tuple': (None, 'a'), 'set': {3},
    }
    return zodb_like(0, collections.OrderedDict, state)


def synthetic_py2_proto0():
    # Written by hand in the style of Python 2's protocol 0 (ZODB never used it, but pickles
    # are read anyway): STRING with escapes, INT 01/00, LONG with L, FLOAT, PERSID, GET of the
    # class pickle's slot, memo numbered from 1.
    return (b"(ccorpusapp\nItem\np1\nNtp2\n."
            b"(dp3\nS'title'\np4\nS'it\\'s \"q\"\\n\\x41\\101\\t'\np5\nsS\"flag\"\np6\nI01\n"
            b"sS'off'\nI00\nsS'big'\nL-12345678901234567890L\nsS'f'\nF-2.5e-07\nsS'g'\nF1E16\n"
            b"sS'u'\nVcaf\xe9 \\u20ac \\U0001f600\np7\nsS'pid'\nP0000000000000007\nsS'cls'\ng1\n"
            b"sS'lst'\n(lp8\nI1\naI2\nag8\nas.")


def synthetic_proto5():
    # Python 3 protocol 5: FRAME, MEMOIZE (numbers continue in the state pickle), STACK_GLOBAL,
    # SHORT_BINUNICODE, BYTEARRAY8, EMPTY_SET/ADDITEMS, FROZENSET, NEWOBJ_EX, LONG4,
    # LONG_BINGET, BINPERSID with an (oid, klass) tuple.
    import collections
    words = ['w%03d' % i for i in range(300)]
    state = {
        'bytearray': bytearray(b'ab\x00'), 'set': {1, 2}, 'frozen': frozenset(['x']),
        'kw': Kw(), 'huge': 10 ** 700, 'neg': -(2 ** 64), 'words': words,
        'again': words[290], 'ref': Ref((b'\x00' * 7 + b'\x09', collections.OrderedDict)),
        'klass': collections.OrderedDict, 'bytes': b'x' * 300, 'float': -1.5e300,
    }
    return zodb_like(5, collections.OrderedDict, state)


def synthetic_reprs():
    # Protocol 3 (what ZODB writes on Python 3): repr edge cases.
    texts = [
        '', "it's", 'say "hi"', 'both \' and "', 'back\\slash', 'tab\tnl\ncr\r',
        '\x00\x1f\x7f\x80\x9f\xa0\xad\xe9\xff', '\u0378\u0870\u2028\u200b\u3000\ue000\ufeff\uffff',
        '\ud800', '\ud83d\ude00', '\U0001f600\U00031350\U000e0001\U0010ffff',
        'x' * 198, 'x' * 199, '\U0001f600' * 300, '\x00' * 60, 'é' * 250,
    ]
    blobs = [b'', b"'", b'"', b'\'"', b'\\\t\n\r\x00\x7f\x80\xff', b'y' * 197, b'y' * 198]
    floats = [0.1, 1 / 3, 1e15, 1e16, 1e-4, 1e-5, 5e-324, 1.7976931348623157e308, -0.0,
              float('inf'), float('-inf'), float('nan'), 1e22, 1e23, 123456789.125, 2.0 ** 70]
    ints = [0, 255, 256, 65535, 65536, -1, 2 ** 31 - 1, -2 ** 31, 2 ** 31, -2 ** 63, 2 ** 64,
            -(10 ** 80), 10 ** 700]
    state = {'texts': texts, 'blobs': blobs, 'floats': floats, 'ints': ints}
    import collections
    return zodb_like(3, collections.OrderedDict, state)


SYNTHETIC = {
    'synthetic-proto0': synthetic_proto0,
    'synthetic-py2-proto0': synthetic_py2_proto0,
    'synthetic-proto5': synthetic_proto5,
    'synthetic-reprs': synthetic_reprs,
}


def limited_repr(x):
    r = builtins.repr(x)
    return r if len(r) <= MAX_REPR else r[:MAX_REPR] + '...'


def expected(data):
    f = io.BytesIO(data)
    out = io.StringIO()
    memo = {}  # one memo for all the pickles of the record, as ZODB has
    pickletools.repr = limited_repr  # dis() calls repr(arg); this shadows the builtin
    try:
        while True:
            pickletools.dis(f, out, memo, annotate=0)
            if f.tell() >= len(data):
                break
    finally:
        del pickletools.repr
    return out.getvalue()


def write_bins():
    for name, (path, pos) in CORPUS.items():
        data = record_data(os.path.join(ROOT, path), pos)
        with open(os.path.join(HERE, name + '.bin'), 'wb') as f:
            f.write(data)
    for name, make in SYNTHETIC.items():
        with open(os.path.join(HERE, name + '.bin'), 'wb') as f:
            f.write(make())


def main():
    if '--bins' in sys.argv[1:]:
        write_bins()
    names = sorted(n[:-4] for n in os.listdir(HERE) if n.endswith('.bin'))
    for name in names:
        with open(os.path.join(HERE, name + '.bin'), 'rb') as f:
            data = f.read()
        text = expected(data)
        with open(os.path.join(HERE, name + '.txt'), 'w', encoding='utf-8', newline='\n') as f:
            f.write(text)
        print('%-28s %7d bytes %6d lines' % (name, len(data), text.count('\n')))


if __name__ == '__main__':
    main()
