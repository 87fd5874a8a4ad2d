package org.zodbcheck.generate;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Writes pickle opcodes the way ZODB's pickler does (FORMAT.md §3.4, §3.5), straight into the
 * transaction being assembled. One memo per record, shared by the class pickle and the state
 * pickle; GLOBALs and interned names come from the memo after their first use; persistent
 * references are {@code (oid, klass)} tuples followed by BINPERSID, weak ones
 * {@code ['w', (oid,)]}. Which objects get memoized, and how strings and oids are encoded,
 * follows the {@link Dialect}.
 *
 * <p>Containers are written in two calls around their items ({@code tupleBegin}/{@code tupleEnd},
 * {@code itemsBegin}/{@code setItemsEnd}) because MARK must precede the items and protocol ≥ 2
 * tuples of up to three items need none.
 */
final class PickleWriter {
    /** Told about every strong reference, so that the generator knows who refers to a missing oid. */
    interface RefListener {
        void onRef(long oid);
    }

    private static final int MARK = '(';
    private static final Global RECONSTRUCTOR = Global.of("copy_reg", "_reconstructor");
    private static final Global OBJECT = Global.of("__builtin__", "object");
    private static final Name WEAK_TAG = Name.of("w");

    private final Dialect d;
    private ByteSink out;
    private final RefListener refs;
    private int nextMemo;
    /** Memo tables indexed by Name/Global id; an entry counts only if its stamp is the current record's. */
    private int record;
    private int[] nameStamp = new int[0];
    private int[] nameMemo = new int[0];
    private int[] globalStamp = new int[0];
    private int[] globalMemo = new int[0];

    PickleWriter(Dialect d, ByteSink out, RefListener refs) {
        this.d = d;
        this.out = out;
        this.refs = refs;
    }

    Dialect dialect() {
        return d;
    }

    /** Continues in another buffer (between records: the file writer moved to a new chunk). */
    void target(ByteSink sink) {
        out = sink;
    }

    // ------------------------------------------------------------------ framing

    /** A new record (or extension): fresh memo. */
    void startRecord() {
        record++;
        nextMemo = d.memoBase;
    }

    /** PROTO for protocol ≥ 2; ZODB repeats it at the start of the state pickle. */
    void startPickle() {
        if (d.protocol >= 2) {
            out.u8(0x80, d.protocol);
        }
    }

    void stop() {
        out.u8('.');
    }

    // ------------------------------------------------------------------ scalars

    void global(Global g) {
        if (globalStamp.length <= g.id) {
            globalStamp = Arrays.copyOf(globalStamp, Global.count() + 16);
            globalMemo = Arrays.copyOf(globalMemo, globalStamp.length);
        }
        if (globalStamp[g.id] == record) {
            get(globalMemo[g.id]);
            return;
        }
        out.bytes(g.opcode);
        globalStamp[g.id] = record;
        globalMemo[g.id] = put();
    }

    /** An interned native string: the memo after its first use. */
    void name(Name n) {
        if (nameStamp.length <= n.id) {
            nameStamp = Arrays.copyOf(nameStamp, Name.count() + 16);
            nameMemo = Arrays.copyOf(nameMemo, nameStamp.length);
        }
        if (nameStamp[n.id] == record) {
            get(nameMemo[n.id]);
            return;
        }
        nativeString(n.utf8, 0, n.utf8.length);
        if (memoizesString(n.utf8.length)) {
            nameStamp[n.id] = record;
            nameMemo[n.id] = put();
        }
    }

    /** A native {@code str} value (an id, a path): BINUNICODE on Python 3, SHORT_BINSTRING on Python 2. */
    void str(byte[] b, int off, int n) {
        nativeString(b, off, n);
        if (memoizesString(n)) {
            put();
        }
    }

    void str(byte[] b) {
        str(b, 0, b.length);
    }

    /** Starts a text value (BINUNICODE on both Pythons) whose UTF-8 the caller appends to {@link #sink()}. */
    int textBegin() {
        out.u8('X');
        out.u32le(0);
        return out.length();
    }

    void textEnd(int start) {
        out.patchU32le(start - 4, out.length() - start);
        put();
    }

    void text(byte[] utf8) {
        int t = textBegin();
        out.bytes(utf8);
        textEnd(t);
    }

    ByteSink sink() {
        return out;
    }

    void integer(long v) {
        if (v >= 0 && v < 256) {
            out.u8('K', (int) v);
        } else if (v >= 0 && v < 65536) {
            out.u8('M');
            out.u8((int) v, (int) (v >>> 8));
        } else if (v >= Integer.MIN_VALUE && v <= Integer.MAX_VALUE) {
            out.u8('J');
            out.u32le((int) v);
        } else if (d.py2) {
            // Python 2 pickles a 64-bit int as text, whatever the protocol (cPickle save_int)
            out.u8('I');
            out.bytes(Long.toString(v).getBytes(StandardCharsets.US_ASCII));
            out.u8('\n');
        } else {
            out.u8(0x8a, 8);
            for (int i = 0; i < 8; i++) {
                out.u8((int) (v >>> (8 * i)));
            }
        }
    }

    void float64(double v) {
        out.u8('G');
        out.u64be(Double.doubleToLongBits(v));
    }

    void bool(boolean v) {
        if (d.protocol >= 2) {
            out.u8(v ? 0x88 : 0x89);
        } else {
            out.bytes(v ? I01 : I00);
        }
    }

    private static final byte[] I01 = {'I', '0', '1', '\n'};
    private static final byte[] I00 = {'I', '0', '0', '\n'};

    void none() {
        out.u8('N');
    }

    // ------------------------------------------------------------------ containers

    void emptyDict() {
        out.u8('}');
        put();
    }

    void emptyList() {
        out.u8(']');
        put();
    }

    /** Before the items of a SETITEMS/APPENDS batch of {@code n}: MARK unless there is only one. */
    void itemsBegin(int n) {
        if (n > 1) {
            out.u8(MARK);
        }
    }

    void setItemsEnd(int n) {
        if (n > 0) {
            out.u8(n > 1 ? 'u' : 's');
        }
    }

    void appendsEnd(int n) {
        if (n > 0) {
            out.u8(n > 1 ? 'e' : 'a');
        }
    }

    void tupleBegin(int n) {
        if (n > 0 && (d.protocol < 2 || n > 3)) {
            out.u8(MARK);
        }
    }

    /**
     * Closes a tuple of {@code n}; a {@code temporary} one (held only by the pickler, like the
     * persistent-id tuple) is not memoized by the C picklers. The empty tuple is never memoized.
     */
    void tupleEnd(int n, boolean temporary) {
        if (n == 0) {
            out.u8(')');
            return;
        }
        out.u8(d.protocol >= 2 && n <= 3 ? 0x84 + n : 't');
        if (!temporary || d.memoizesTemporaries) {
            put();
        }
    }

    /**
     * Starts a non-persistent instance: {@code cls () NEWOBJ} (protocol ≥ 2) or
     * {@code copy_reg._reconstructor(cls, object, None)} (protocol 1). The caller writes the
     * state and then {@link #build()}.
     */
    void instanceBegin(Global cls) {
        if (d.protocol >= 2) {
            global(cls);
            out.u8(')');
            out.u8(0x81);
        } else {
            global(RECONSTRUCTOR);
            out.u8(MARK);
            global(cls);
            global(OBJECT);
            none();
            out.u8('t');
            if (d.memoizesTemporaries) {
                put();
            }
            out.u8('R');
        }
        put();
    }

    void build() {
        out.u8('b');
    }

    // ------------------------------------------------------------------ persistent references

    /** {@code (oid, klass)} BINPERSID; returns the oid's memo slot (for {@link #refAgain}) or -1. */
    int ref(long oid, Global klass) {
        refs.onRef(oid);
        tupleBegin(2);
        int memo = oid(oid);
        global(klass);
        tupleEnd(2, true);
        out.u8('Q');
        return memo;
    }

    /** A second reference to the same object in this record (a BTree's first bucket): the oid comes from the memo. */
    void refAgain(long oid, int oidMemo, Global klass) {
        refs.onRef(oid);
        tupleBegin(2);
        if (oidMemo >= 0) {
            get(oidMemo);
        } else {
            oid(oid);
        }
        global(klass);
        tupleEnd(2, true);
        out.u8('Q');
    }

    /** {@code ['w', (oid,)]} BINPERSID: a persistent.wref.WeakRef (FORMAT.md §3.3); not a strong reference. */
    void weakRef(long oid) {
        emptyList();
        out.u8(MARK);
        name(WEAK_TAG);
        tupleBegin(1);
        oid(oid);
        tupleEnd(1, false);
        out.u8('e');
        out.u8('Q');
    }

    private int oid(long oid) {
        out.u8(d.oidsAsBytes() ? 'C' : 'U', 8);
        out.u64be(oid);
        return d.memoizesOids ? put() : -1;
    }

    // ------------------------------------------------------------------ memo and strings

    private void nativeString(byte[] b, int off, int n) {
        if (!d.py2) {
            out.u8('X');
            out.u32le(n);
        } else if (n < 256) {
            out.u8('U', n);
        } else {
            out.u8('T');
            out.u32le(n);
        }
        out.bytes(b, off, n);
    }

    /** The C picklers do not memoize strings of fewer than 2 characters (seen in testdata/py2-proto3). */
    private boolean memoizesString(int n) {
        return n >= 2 || d.memoizesTemporaries;
    }

    private int put() {
        int i = nextMemo++;
        if (i < 256) {
            out.u8('q', i);
        } else {
            out.u8('r');
            out.u32le(i);
        }
        return i;
    }

    private void get(int i) {
        if (i < 256) {
            out.u8('h', i);
        } else {
            out.u8('j');
            out.u32le(i);
        }
    }
}
