package org.zodbcheck.generate;

/**
 * Which ZODB wrote the file: the magic (FORMAT.md §1.1), the pickle protocol and the habits of
 * the pickler behind it, copied from the real fixtures (FORMAT.md §3.4; testdata/clean,
 * testdata/py2-proto*): where the memo starts, whether it memoizes temporary objects, and how
 * an oid is pickled.
 *
 * <p>Python's own pickler (Python 3, and the pure-Python pickler ZODB 5.3 used on Python 2)
 * memoizes every string, tuple and list it writes and numbers the memo from 0. cPickle and
 * zodbpickle's C pickler (Python 2 with the C extensions) number it from 1 and skip objects only
 * the pickler holds (refcount 1: the persistent-id tuple, the items tuple inside a BTree state)
 * and strings shorter than 2 characters.
 */
enum Dialect {
    /** ZODB on Python 3: FS30, protocol 3, oids SHORT_BINBYTES, text BINUNICODE. */
    PY3("FS30", 3, 0, true, false, true),
    /** ZODB 3.x–5.2 on Python 2 with cPickle: FS21, protocol 1, oids SHORT_BINSTRING. */
    PY2_PROTO1("FS21", 1, 1, false, true, true),
    /** ZODB 5.3 on Python 2 (as in testdata/py2-proto2): FS21, protocol 2, oids SHORT_BINSTRING. */
    PY2_PROTO2("FS21", 2, 0, true, true, true),
    /** ZODB ≥ 5.4 on Python 2 with zodbpickle's C pickler: FS21, protocol 3, oids SHORT_BINBYTES, not memoized. */
    PY2_PROTO3("FS21", 3, 1, false, true, false);

    final String magic;
    final int protocol;
    final int memoBase;
    final boolean memoizesTemporaries;
    /** Native strings (attribute names, ids, paths) are Python 2 {@code str}: SHORT_BINSTRING. */
    final boolean py2;
    /** Python 2 {@code str} oids are memoized like any string; zodbpickle's {@code binary} wrapper is not. */
    final boolean memoizesOids;

    Dialect(String magic, int protocol, int memoBase, boolean memoizesTemporaries, boolean py2, boolean memoizesOids) {
        this.magic = magic;
        this.protocol = protocol;
        this.memoBase = memoBase;
        this.memoizesTemporaries = memoizesTemporaries;
        this.py2 = py2;
        this.memoizesOids = memoizesOids;
    }

    /** Python 2 and 3 oids are byte strings; only protocol ≥ 3 has a bytes opcode. */
    boolean oidsAsBytes() {
        return protocol >= 3;
    }

    static Dialect of(int python, int protocol) {
        if (python == 3) {
            if (protocol != 3) {
                throw new IllegalArgumentException("ZODB on Python 3 writes protocol 3, not " + protocol);
            }
            return PY3;
        }
        if (python != 2) {
            throw new IllegalArgumentException("python is 2 or 3, not " + python);
        }
        return switch (protocol) {
            case 1 -> PY2_PROTO1;
            case 2 -> PY2_PROTO2;
            case 3 -> PY2_PROTO3;
            default -> throw new IllegalArgumentException("Python 2 protocol is 1, 2 or 3, not " + protocol);
        };
    }
}
