"""The persistent references of every current record, found by CPython's own unpickler (for
RefsCpythonTest): the FileStorage is read with struct (FORMAT.md 1), both pickles of each
current record are loaded with one Unpickler as ZODB does (classes replaced by a permissive
stand-in, persistent_load collecting the persistent ids), and each id classified as ZODB does
(FORMAT.md 3.3). Prints one line per reference, objects by oid, in pickle order:
'db oid target_db target_oid form ref'. Usage: cpython_refs.py NAME=PATH..."""
import io, pickle, struct, sys


def oid_repr(o):
    h = o.hex().lstrip('0')
    if len(h) % 2:
        h = '0' + h
    return '0x' + (h or '00')


class Dummy:
    def __new__(cls, *a, **k):
        return object.__new__(cls)

    def __init__(self, *a, **k):
        pass

    def __setstate__(self, s):
        pass

    def __call__(self, *a, **k):
        return Dummy()


def records(path):
    f = open(path, 'rb').read()
    assert f[:4] in (b'FS21', b'FS30'), f[:4]
    pos = 4
    cur = {}
    while pos + 23 <= len(f):
        tid, tlen, status, ul, dl, el = struct.unpack('>8sQcHHH', f[pos:pos + 23])
        end = pos + tlen
        if end + 8 > len(f) or status == b'c':
            break
        p = pos + 23 + ul + dl + el
        while p < end:
            oid, rtid, prev, tpos, vlen, plen = struct.unpack('>8s8sQQHQ', f[p:p + 42])
            h = p + 42
            if vlen:
                h += 16 + vlen
            if plen:
                cur[oid] = ('data', h, plen)
                nxt = h + plen
            else:
                bp = struct.unpack('>Q', f[h:h + 8])[0]
                cur[oid] = ('bp', bp, 0)
                nxt = h + 8
            p = nxt
        pos = end + 8
    out = {}
    for oid, (kind, a, n) in cur.items():
        while kind == 'bp':
            if a == 0:
                break
            o2, t2, pr, tp, vl, pl = struct.unpack('>8s8sQQHQ', f[a:a + 42])
            h = a + 42 + (16 + vl if vl else 0)
            if pl:
                kind, a, n = 'data', h, pl
            else:
                a = struct.unpack('>Q', f[h:h + 8])[0]
        if kind == 'data':
            out[oid] = f[a:a + n]
    return out


def pids(data):
    found = []

    class U(pickle.Unpickler):
        def find_class(self, m, n):
            return Dummy

        def persistent_load(self, pid):
            found.append(pid)
            return Dummy()

    u = U(io.BytesIO(data), encoding='bytes')
    for _ in range(2):
        try:
            u.load()
        except Exception as e:
            print('UNPICKLE-ERROR', e, file=sys.stderr)
            break
    return found


def classify(db, pid):
    b = lambda x: x if isinstance(x, bytes) else x.encode('latin-1')
    s = lambda x: x.decode() if isinstance(x, bytes) else x
    if isinstance(pid, tuple):
        return db, b(pid[0]), 'oid-klass', 'strong'
    if isinstance(pid, (bytes, str)):
        return db, b(pid), 'oid', 'strong'
    if isinstance(pid, list):
        if len(pid) == 1:
            return db, b(pid[0]), 'list', 'weak'
        tag, args = s(pid[0]), pid[1]
        if tag == 'w':
            if isinstance(args, tuple):
                return (s(args[1]) if len(args) > 1 else db), b(args[0]), 'w', 'weak'
            return db, b(args), 'w', 'weak'
        if tag in ('m', 'n'):
            return s(args[0]), b(args[1]), tag, 'strong'
    return db, b'?', 'bad:' + repr(pid), '?'


def main():
    for spec in sys.argv[1:]:
        db, path = spec.split('=', 1)
        for oid, data in sorted(records(path).items()):
            for pid in pids(data):
                tdb, toid, form, ref = classify(db, pid)
                print(db, oid_repr(oid), tdb, oid_repr(toid) if len(toid) == 8 else repr(toid), form, ref)


main()
