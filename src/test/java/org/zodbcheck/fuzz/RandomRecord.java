package org.zodbcheck.fuzz;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * A random, valid ZODB record (class pickle then state pickle, one memo for both) of one
 * protocol, 0 to 5, using only that protocol's opcodes and the older ones: nested lists, tuples,
 * dicts, sets, frozensets, strings, byte strings, ints, longs, floats, objects rebuilt by
 * REDUCE/NEWOBJ/NEWOBJ_EX/INST/OBJ with BUILD, memo PUT/GET/MEMOIZE (GETs of oids, tags,
 * database names, classes and whole persistent ids, as ZODB's pickler writes them), FRAMEs, and
 * persistent ids of every form planted at random places in both pickles. {@link #expected} lists
 * the planted ids in pickle order, as {@link org.zodbcheck.pickle.PickleScanner} must report
 * them, and {@link #className} the class it must find.
 *
 * <p>Everything follows Python's unpickler: PickleScannerPropertyTest loads a sample with CPython
 * (when installed) and checks that its {@code persistent_load} sees the same ids.
 */
final class RandomRecord {
    /** A planted persistent id: what the scanner must report. */
    record Ref(int pickle, String form, long oid, String db, String klass) {
        String key() {
            return pickle + " " + form + " " + Mutator.hex(oid) + " db=" + db + " klass=" + klass;
        }
    }

    static final String[][] GLOBALS = {{"app.models", "Item"}, {"persistent.mapping", "PersistentMapping"},
        {"BTrees.OOBTree", "OOBucket"}, {"a", "K"}, {"zope.app.folder", "Folder"}};
    static final String[] DBS = {"main", "catalog", "other-db", "d\u00e9b", "x"};
    static final String[] KEYS = {"title", "data", "_container", "w", "m", "n", "main", "parent", "items"};

    /** What a memo slot holds, as far as the generator cares. */
    private record Slot(int index, char kind, long oid, String text) {
    }

    final Random r;
    final int proto;
    /** Python 2 style: byte strings (U/T/S) for tags, names and oids rather than text. */
    final boolean py2;
    final List<Ref> expected = new ArrayList<>();
    String className;

    private ByteArrayOutputStream out;
    private final List<Slot> memo = new ArrayList<>();
    private int nextSlot;
    private int pickle;

    RandomRecord(Random r, int proto) {
        this.r = r;
        this.proto = proto;
        this.py2 = proto < 3 ? r.nextBoolean() : r.nextInt(4) == 0;
        this.nextSlot = proto < 4 && py2 ? 1 : 0; // cPickle numbered from 1
    }

    byte[] build() {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        pickle = 0;
        all.writeBytes(onePickle(this::classPickle));
        pickle = 1;
        all.writeBytes(onePickle(() -> state(4)));
        return all.toByteArray();
    }

    private byte[] onePickle(Runnable body) {
        out = new ByteArrayOutputStream();
        body.run();
        out.write('.');
        byte[] b = out.toByteArray();
        ByteArrayOutputStream p = new ByteArrayOutputStream();
        if (proto >= 2) {
            p.write(0x80);
            p.write(proto);
        }
        if (proto >= 4 && r.nextInt(3) > 0) {
            p.write(0x95); // one FRAME holding the rest of the pickle, as Python writes them
            p.writeBytes(le(b.length, 8));
        }
        p.writeBytes(b);
        return p.toByteArray();
    }

    private boolean chance(double p) {
        return r.nextDouble() < p;
    }

    // ------------------------------------------------------------------ the two pickles

    private void classPickle() {
        switch (r.nextInt(proto == 0 ? 3 : 6)) {
            case 0, 1 -> className = global();
            case 2 -> {
                if (proto == 0) {
                    className = global();
                    break;
                }
                String[] name = new String[1];
                tuple(() -> name[0] = global(), () -> value(1));
                className = name[0];
            }
            case 3 -> {
                // ((module, name), None): an instance of a persistent class with a module
                String[] g = GLOBALS[r.nextInt(GLOBALS.length)];
                tuple(() -> tuple(() -> name(g[0]), () -> name(g[1])), () -> none());
                className = g[0] + "." + g[1];
            }
            case 4 -> {
                // an instance of a persistent class without module: the class is a reference
                long oid = plantStrong(false);
                className = "persistent-class:" + oidRepr(oid);
            }
            default -> {
                long[] oid = new long[1];
                tuple(() -> oid[0] = plantStrong(false), () -> tuple());
                className = "persistent-class:" + oidRepr(oid[0]);
            }
        }
    }

    private void state(int depth) {
        switch (r.nextInt(4)) {
            case 0, 1 -> dict(depth);
            case 2 -> object(depth);
            default -> value(depth);
        }
    }

    // ------------------------------------------------------------------ values

    private void value(int depth) {
        if (depth <= 0 || chance(0.3)) {
            if (chance(0.25)) {
                plant();
            } else {
                scalar();
            }
            noise();
            return;
        }
        switch (r.nextInt(9)) {
            case 0, 1 -> list(depth);
            case 2 -> tupleOf(depth);
            case 3, 4 -> dict(depth);
            case 5 -> set(depth);
            case 6 -> object(depth);
            case 7 -> {
                Slot s = pickSlot('v');
                if (s != null) {
                    get(s);
                } else {
                    scalar();
                }
            }
            default -> plant();
        }
        noise();
    }

    /** Opcodes that leave the stack as it was. */
    private void noise() {
        if (!chance(0.1)) {
            return;
        }
        switch (r.nextInt(3)) {
            case 0 -> {
                none();
                op('0'); // POP
            }
            case 1 -> {
                op('(');
                scalar();
                op('1'); // POP_MARK
            }
            default -> {
                op('2'); // DUP
                op('0');
            }
        }
    }

    private void scalar() {
        switch (r.nextInt(8)) {
            case 0 -> integer();
            case 1 -> {
                if (proto == 0 || chance(0.3)) {
                    ascii("F" + (r.nextInt(2000) - 1000) / 8.0 + "\n");
                } else {
                    op('G');
                    long bits = Double.doubleToLongBits(r.nextDouble() * 1e6);
                    for (int i = 7; i >= 0; i--) {
                        out.write((int) (bits >>> (8 * i)));
                    }
                }
            }
            case 2 -> none();
            case 3 -> bool();
            case 4 -> text(randomText(), true);
            case 5 -> bytes(randomBytes(r.nextInt(r.nextInt(10) == 0 ? 400 : 20)), true);
            case 6 -> {
                if (proto >= 5 && chance(0.5)) {
                    op(0x96); // BYTEARRAY8
                    byte[] b = randomBytes(r.nextInt(10));
                    out.writeBytes(le(b.length, 8));
                    out.writeBytes(b);
                    if (chance(0.5)) {
                        op(0x98); // READONLY_BUFFER
                    }
                } else {
                    text(KEYS[r.nextInt(KEYS.length)], true);
                }
            }
            default -> {
                // an oid that is not a reference
                oidValue(r.nextLong(), true);
            }
        }
    }

    private void integer() {
        int v = chance(0.5) ? r.nextInt(256) : r.nextInt(1 << 20) - (1 << 19);
        if (proto == 0 || chance(0.15)) {
            ascii(chance(0.5) ? "I" + v + "\n" : "L" + v + (chance(0.5) ? "L" : "") + "\n");
        } else if (proto >= 2 && chance(0.2)) {
            byte[] b = randomBytes(r.nextInt(12));
            if (chance(0.8)) {
                op(0x8a); // LONG1
                out.write(b.length);
            } else {
                op(0x8b); // LONG4
                out.writeBytes(le(b.length, 4));
            }
            out.writeBytes(b);
        } else if (v >= 0 && v < 256) {
            op('K');
            out.write(v);
        } else if (v >= 0 && v < 65536) {
            op('M');
            out.writeBytes(le(v, 2));
        } else {
            op('J');
            out.writeBytes(le(v, 4));
        }
    }

    private void bool() {
        if (proto >= 2 && chance(0.7)) {
            op(chance(0.5) ? 0x88 : 0x89);
        } else {
            ascii(chance(0.5) ? "I01\n" : "I00\n");
        }
    }

    private void none() {
        op('N');
    }

    private void list(int depth) {
        int n = r.nextInt(5);
        if (proto == 0 || chance(0.2)) {
            op('(');
            for (int i = 0; i < n; i++) {
                value(depth - 1);
            }
            op('l');
        } else {
            op(']');
            boolean appends = chance(0.6);
            if (appends && n > 0) {
                put('v', 0, null); // memoised before its items, as Python does
                op('(');
                for (int i = 0; i < n; i++) {
                    value(depth - 1);
                }
                op('e');
                return;
            }
            put('v', 0, null);
            for (int i = 0; i < n; i++) {
                value(depth - 1);
                op('a');
            }
            return;
        }
        put('v', 0, null);
    }

    private void tupleOf(int depth) {
        int n = r.nextInt(6);
        Runnable[] items = new Runnable[n];
        for (int i = 0; i < n; i++) {
            items[i] = () -> value(depth - 1);
        }
        tuple(items);
        put('v', 0, null);
    }

    /** A tuple of the items: EMPTY_TUPLE, TUPLE1-3 (protocol 2) or MARK ... TUPLE. */
    private void tuple(Runnable... items) {
        if (items.length == 0 && proto >= 1 && chance(0.8)) {
            op(')');
            return;
        }
        boolean small = proto >= 2 && items.length >= 1 && items.length <= 3 && chance(0.8);
        if (!small) {
            op('(');
        }
        for (Runnable item : items) {
            item.run();
        }
        op(small ? 0x84 + items.length : 't');
    }

    private void dict(int depth) {
        int n = r.nextInt(5);
        if (proto == 0 || chance(0.15)) {
            op('(');
            for (int i = 0; i < n; i++) {
                key();
                value(depth - 1);
            }
            op('d');
            put('v', 0, null);
            return;
        }
        op('}');
        put('v', 0, null);
        if (n > 1 && chance(0.7)) {
            op('(');
            for (int i = 0; i < n; i++) {
                key();
                value(depth - 1);
            }
            op('u');
        } else {
            for (int i = 0; i < n; i++) {
                key();
                value(depth - 1);
                op('s');
            }
        }
    }

    private void key() {
        if (chance(0.2)) {
            integer();
        } else if (chance(0.15) && proto > 0) {
            plant(); // a persistent object as a key (PersistentWeakKeyDictionary, BTrees of objects)
        } else {
            Slot s = chance(0.3) ? pickSlot('k') : null;
            if (s != null) {
                get(s);
            } else {
                text(KEYS[r.nextInt(KEYS.length)] + r.nextInt(3), false);
                put('k', 0, null);
            }
        }
    }

    private void set(int depth) {
        if (proto < 4) {
            // set([...]) as protocols 0-3 write it
            globalOf("builtins", "set");
            tuple(() -> list(depth - 1));
            op('R');
            put('v', 0, null);
            return;
        }
        int n = r.nextInt(4);
        if (chance(0.5)) {
            op(0x8f); // EMPTY_SET
            put('v', 0, null);
            op('(');
            for (int i = 0; i < n; i++) {
                hashable();
            }
            op(0x90); // ADDITEMS
        } else {
            op('(');
            for (int i = 0; i < n; i++) {
                hashable();
            }
            op(0x91); // FROZENSET
            put('v', 0, null);
        }
    }

    private void hashable() {
        switch (r.nextInt(3)) {
            case 0 -> integer();
            case 1 -> text(randomText(), false);
            default -> plant();
        }
    }

    /** A non-persistent object: REDUCE, NEWOBJ, NEWOBJ_EX, INST or OBJ, then maybe BUILD. */
    private void object(int depth) {
        int kind = r.nextInt(5);
        String[] g = GLOBALS[r.nextInt(GLOBALS.length)];
        if (kind == 0 && proto >= 2) {
            global();
            tuple(() -> value(depth - 1));
            op(0x81); // NEWOBJ
        } else if (kind == 1 && proto >= 4) {
            global();
            tuple(() -> value(depth - 1));
            op('}');
            op(0x92); // NEWOBJ_EX
        } else if (kind == 2) {
            op('(');
            value(depth - 1);
            ascii("i" + g[0] + "\n" + g[1] + "\n"); // INST
        } else if (kind == 3 && proto >= 1) {
            op('(');
            global();
            value(depth - 1);
            op('o'); // OBJ
        } else {
            global();
            tuple(() -> value(depth - 1));
            op('R'); // REDUCE
        }
        put('v', 0, null);
        if (chance(0.7)) {
            if (chance(0.5)) {
                dict(depth - 1);
            } else {
                // (dict state, slots state)
                tuple(() -> dict(depth - 1), () -> dict(depth - 1));
            }
            op('b'); // BUILD
        }
    }

    // ------------------------------------------------------------------ persistent ids

    /** Plants a persistent id of a random form (sometimes malformed, or a memo GET of an earlier one). */
    private void plant() {
        if (proto == 0) {
            persid();
            return;
        }
        Slot earlier = chance(0.15) ? pickSlot('p') : null;
        if (earlier != null) {
            // the same persistent object again: ZODB's pickler writes a GET of the id
            get(earlier);
            op('Q');
            expected.add(refOf(earlier));
            return;
        }
        switch (r.nextInt(16)) {
            case 0, 1 -> oidOnly();
            case 2, 3, 4, 5 -> oidKlass();
            case 6 -> legacyList();
            case 7, 8 -> weak(false);
            case 9 -> weak(true);
            case 10, 11 -> multi();
            case 12 -> named();
            default -> malformed();
        }
    }

    /** A strong same-database id ({@code oid} or {@code (oid, klass)}); returns the oid. */
    private long plantStrong(boolean klassOnly) {
        int before = expected.size();
        if (proto == 0) {
            persid();
        } else if (!klassOnly && chance(0.5)) {
            oidOnly();
        } else {
            oidKlass();
        }
        return expected.get(before).oid();
    }

    /** PERSID: an oid of 8 ASCII characters, no newline (CPython reads the text as ASCII). */
    private void persid() {
        byte[] b = new byte[8];
        for (int i = 0; i < 8; i++) {
            int c = r.nextInt(127);
            b[i] = (byte) (c == '\n' ? 'n' : c);
        }
        op('P');
        out.writeBytes(b);
        out.write('\n');
        expected.add(new Ref(pickle, "oid", be64(b), null, null));
    }

    private void oidOnly() {
        long oid = oid();
        oidValue(oid, false);
        finishPid("oid", oid, null, null);
    }

    private void oidKlass() {
        long oid = oid();
        String[] k = new String[1];
        tuple(() -> oidValue(oid, false), () -> k[0] = klass());
        finishPid("oid-klass", oid, null, k[0]);
    }

    private void legacyList() {
        long oid = oid();
        listOf(() -> oidValue(oid, false));
        finishPid("list", oid, null, null);
    }

    private void weak(boolean withDb) {
        long oid = oid();
        String db = withDb ? DBS[r.nextInt(DBS.length)] : null;
        if (withDb) {
            listOf(() -> tag('w'), () -> tuple(() -> oidValue(oid, false), () -> dbName(db)));
        } else {
            listOf(() -> tag('w'), () -> tuple(() -> oidValue(oid, false)));
        }
        finishPid("w", oid, db, null);
    }

    private void multi() {
        long oid = oid();
        String db = DBS[r.nextInt(DBS.length)];
        String[] k = new String[1];
        listOf(() -> tag('m'), () -> tuple(() -> dbName(db), () -> oidValue(oid, false), () -> k[0] = klass()));
        finishPid("m", oid, db, k[0]);
    }

    private void named() {
        long oid = oid();
        String db = DBS[r.nextInt(DBS.length)];
        listOf(() -> tag('n'), () -> tuple(() -> dbName(db), () -> oidValue(oid, false)));
        finishPid("n", oid, db, null);
    }

    /** Ids ZODB cannot load: the scanner reports them as malformed, with oid 0. */
    private void malformed() {
        switch (r.nextInt(6)) {
            case 0 -> integer();
            case 1 -> listOf();
            case 2 -> listOf(() -> tag('x'), () -> tuple(() -> oidValue(oid(), false)));
            case 3 -> tuple(() -> bytes(randomBytes(7), false), () -> klass());
            case 4 -> listOf(() -> tag('w'), () -> tuple(() -> oidValue(oid(), false), () -> integer()));
            default -> listOf(() -> oidValue(oid(), false), () -> oidValue(oid(), false), () -> oidValue(oid(), false));
        }
        op('Q');
        expected.add(new Ref(pickle, "malformed", 0, null, null));
    }

    /** BINPERSID after a pid value; the value may be memoised first, to be fetched again later. */
    private void finishPid(String form, long oid, String db, String klass) {
        Ref ref = new Ref(pickle, form, oid, db, klass);
        if (chance(0.4)) {
            put('p', oid, form + "|" + db + "|" + klass);
        }
        op('Q');
        expected.add(ref);
    }

    private Ref refOf(Slot s) {
        String[] f = s.text().split("\\|", -1);
        return new Ref(pickle, f[0], s.oid(), "null".equals(f[1]) ? null : f[1], "null".equals(f[2]) ? null : f[2]);
    }

    private void listOf(Runnable... items) {
        if (chance(0.3)) {
            op('(');
            for (Runnable i : items) {
                i.run();
            }
            op('l');
            return;
        }
        op(']');
        if (items.length == 0) {
            return;
        }
        if (items.length == 1 || chance(0.3)) {
            for (Runnable i : items) {
                i.run();
                op('a');
            }
        } else {
            op('(');
            for (Runnable i : items) {
                i.run();
            }
            op('e');
        }
    }

    private long oid() {
        return switch (r.nextInt(3)) {
            case 0 -> r.nextInt(256);
            case 1 -> r.nextInt(1 << 24);
            default -> r.nextLong();
        };
    }

    /**
     * An oid: 8 bytes as a byte string (the opcodes of the protocol) or as text of 8 code points
     * below 256, or a memo GET of the same oid pickled earlier; memoised sometimes.
     */
    private void oidValue(long oid, boolean anyValue) {
        Slot s = anyValue ? null : findSlot('o', oid, null);
        if (s != null && chance(0.6)) {
            get(s);
            return;
        }
        byte[] b = be(oid);
        if (proto >= 3 || chance(0.5)) {
            bytes(b, false);
        } else {
            text(new String(b, StandardCharsets.ISO_8859_1), false);
        }
        if (chance(0.5)) {
            put('o', oid, null);
        }
    }

    /** {@code 'w'}, {@code 'm'}, {@code 'n'}: text or byte string, or a GET of one pickled earlier (e.g. a dict key). */
    private void tag(char t) {
        Slot s = findSlot('t', 0, String.valueOf(t));
        if (s != null && chance(0.6)) {
            get(s);
            return;
        }
        name(String.valueOf(t));
        put('t', 0, String.valueOf(t));
    }

    private void dbName(String db) {
        Slot s = findSlot('d', 0, db);
        if (s != null && chance(0.6)) {
            get(s);
            return;
        }
        name(db);
        put('d', 0, db);
    }

    /** A short name: a byte string in the Python 2 style, else text. */
    private void name(String s) {
        boolean latin = s.chars().allMatch(c -> c < 256);
        if (py2 && latin) {
            bytes(s.getBytes(StandardCharsets.ISO_8859_1), false);
        } else {
            text(s, false);
        }
    }

    /** A class for a persistent id: a global, or a GET of one pickled earlier. Returns module.name. */
    private String klass() {
        Slot s = chance(0.5) ? pickSlot('g') : null;
        if (s != null) {
            get(s);
            return s.text();
        }
        return global();
    }

    /** GLOBAL, or STACK_GLOBAL from protocol 4; memoised. Returns module.name. */
    private String global() {
        String[] g = GLOBALS[r.nextInt(GLOBALS.length)];
        globalOf(g[0], g[1]);
        put('g', 0, g[0] + "." + g[1]);
        return g[0] + "." + g[1];
    }

    private void globalOf(String module, String name) {
        if (proto >= 4 && chance(0.8)) {
            text(module, false);
            if (chance(0.5)) {
                put('v', 0, null);
            }
            text(name, false);
            if (chance(0.5)) {
                put('v', 0, null);
            }
            op(0x93); // STACK_GLOBAL
        } else {
            ascii("c" + module + "\n" + name + "\n");
        }
    }

    // ------------------------------------------------------------------ strings

    private String randomText() {
        String alphabet = "abcxyz \u00e9\u00ff\u20ac\ud83d\ude00'\"\\\n";
        StringBuilder s = new StringBuilder();
        int n = r.nextInt(r.nextInt(10) == 0 ? 300 : 12);
        for (int i = 0; i < n; i++) {
            int at = r.nextInt(alphabet.length());
            char c = alphabet.charAt(at);
            if (Character.isHighSurrogate(c)) {
                s.append(c).append(alphabet.charAt(at + 1));
            } else if (!Character.isLowSurrogate(c)) {
                s.append(c);
            }
        }
        return s.toString();
    }

    private byte[] randomBytes(int n) {
        byte[] b = new byte[n];
        r.nextBytes(b);
        return b;
    }

    /** Text: UNICODE (protocol 0), BINUNICODE, SHORT_BINUNICODE / BINUNICODE8 (protocol 4). */
    private void text(String s, boolean memoise) {
        byte[] u = s.getBytes(StandardCharsets.UTF_8);
        if (proto == 0) {
            op('V');
            out.writeBytes(rawUnicodeEscape(s));
            out.write('\n');
        } else if (proto >= 4 && u.length < 256 && chance(0.7)) {
            op(0x8c);
            out.write(u.length);
            out.writeBytes(u);
        } else if (proto >= 4 && chance(0.3)) {
            op(0x8d);
            out.writeBytes(le(u.length, 8));
            out.writeBytes(u);
        } else {
            op('X');
            out.writeBytes(le(u.length, 4));
            out.writeBytes(u);
        }
        if (memoise && chance(0.3)) {
            put('v', 0, null);
        }
    }

    /** Byte strings: STRING (protocol 0), SHORT_BINSTRING/BINSTRING, SHORT_BINBYTES/BINBYTES (3), BINBYTES8 (4). */
    private void bytes(byte[] b, boolean memoise) {
        if (proto == 0) {
            op('S');
            out.writeBytes(quoted(b));
            out.write('\n');
        } else if (proto < 3 || (py2 && chance(0.5))) {
            if (b.length < 256 && chance(0.8)) {
                op('U');
                out.write(b.length);
            } else {
                op('T');
                out.writeBytes(le(b.length, 4));
            }
            out.writeBytes(b);
        } else if (proto >= 4 && chance(0.2)) {
            op(0x8e);
            out.writeBytes(le(b.length, 8));
            out.writeBytes(b);
        } else if (b.length < 256 && chance(0.8)) {
            op('C');
            out.write(b.length);
            out.writeBytes(b);
        } else {
            op('B');
            out.writeBytes(le(b.length, 4));
            out.writeBytes(b);
        }
        if (memoise && chance(0.3)) {
            put('v', 0, null);
        }
    }

    /** A Python 2 {@code repr(str)}: quotes, escapes of quotes, backslashes and bytes outside ASCII. */
    private byte[] quoted(byte[] b) {
        ByteArrayOutputStream q = new ByteArrayOutputStream();
        q.write('\'');
        for (byte x : b) {
            int c = x & 0xff;
            if (c == '\'' || c == '\\') {
                q.write('\\');
                q.write(c);
            } else if (c == '\n') {
                q.writeBytes(new byte[] {'\\', 'n'});
            } else if (c < 0x20 || c >= 0x7f) {
                q.writeBytes(String.format("\\x%02x", c).getBytes(StandardCharsets.US_ASCII));
            } else {
                q.write(c);
            }
        }
        q.write('\'');
        return q.toByteArray();
    }

    /** Python's raw-unicode-escape: code points below 256 as one byte, others as backslash-u escapes; backslash and newline escaped as pickle does. */
    private static byte[] rawUnicodeEscape(String s) {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        s.codePoints().forEach(c -> {
            if (c == '\\' || c == '\n' || c == '\r' || c == 0x1a || c >= 256) {
                String e = c >= 0x10000 ? String.format("\\U%08x", c) : String.format("\\u%04x", c);
                o.writeBytes(e.getBytes(StandardCharsets.US_ASCII));
            } else {
                o.write(c);
            }
        });
        return o.toByteArray();
    }

    // ------------------------------------------------------------------ memo

    /** Stores the top of the stack: PUT, BINPUT, LONG_BINPUT or MEMOIZE. */
    private void put(char kind, long oid, String text) {
        if (!chance(kind == 'v' ? 0.5 : 0.8)) {
            return;
        }
        int i = nextSlot++;
        if (proto == 0) {
            ascii("p" + i + "\n");
        } else if (proto >= 4 && chance(0.7)) {
            op(0x94); // MEMOIZE: slot = number of entries, equal to i as slots go 0, 1, 2, ...
        } else if (i < 256 && chance(0.85)) {
            op('q');
            out.write(i);
        } else {
            op('r');
            out.writeBytes(le(i, 4));
        }
        memo.add(new Slot(i, kind, oid, text));
    }

    private void get(Slot s) {
        if (proto == 0) {
            ascii("g" + s.index() + "\n");
        } else if (s.index() < 256 && chance(0.85)) {
            op('h');
            out.write(s.index());
        } else {
            op('j');
            out.writeBytes(le(s.index(), 4));
        }
    }

    private Slot pickSlot(char kind) {
        List<Slot> c = memo.stream().filter(s -> s.kind() == kind).toList();
        return c.isEmpty() ? null : c.get(r.nextInt(c.size()));
    }

    private Slot findSlot(char kind, long oid, String text) {
        for (Slot s : memo) {
            if (s.kind() == kind && s.oid() == oid && (text == null || text.equals(s.text()))) {
                return s;
            }
        }
        return null;
    }

    // ------------------------------------------------------------------ bytes

    private void op(int code) {
        out.write(code);
    }

    private void ascii(String s) {
        out.writeBytes(s.getBytes(StandardCharsets.ISO_8859_1));
    }

    static byte[] le(long v, int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) (v >>> (8 * i));
        }
        return b;
    }

    static byte[] be(long v) {
        byte[] b = new byte[8];
        for (int i = 0; i < 8; i++) {
            b[i] = (byte) (v >>> (56 - 8 * i));
        }
        return b;
    }

    static long be64(byte[] b) {
        long v = 0;
        for (int i = 0; i < 8; i++) {
            v = (v << 8) | (b[i] & 0xffL);
        }
        return v;
    }

    /** ZODB's oid_repr: hex with an even number of digits. */
    static String oidRepr(long oid) {
        String h = Long.toHexString(oid);
        return h.length() % 2 == 1 ? "0x0" + h : "0x" + h;
    }
}
