package org.zodbcheck.fuzz;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.function.Supplier;
import java.util.zip.Deflater;
import org.zodbcheck.testing.FileStorageBuilder;

/**
 * Storages built to attack the reader where a mutation of a small fixture rarely reaches: pickles
 * nested 100 000 deep, memo abuse, huge lengths inside pickles, lines of a megabyte, records that
 * hold themselves, a compressed record that inflates to far more than the file, backpointer,
 * prev and version chains that loop, and very long valid chains.
 *
 * <p>Each storage has the root (oid 0, a {@code PersistentMapping} referring to 0x01) and the
 * hostile record as oid 0x01, so that {@code show 0 0x01}, {@code path 0x01} and
 * {@code referrers 0x01} all reach it; oid 0x02 exists as a reference target.
 */
final class HostileInputs {
    /** Nesting depth of the deepest inputs; others use {@link #M} to keep the suite fast. */
    static final int N = 100_000;
    static final int M = 20_000;
    static final long OID2 = 2;

    /**
     * A named storage, built on demand; {@code bug} names a known bug it shows (then it runs only
     * in its {@code @Disabled} test in {@link FuzzStorageTest}), or is null.
     */
    record Input(String name, String bug, Supplier<byte[]> bytes) {
        Input(String name, Supplier<byte[]> bytes) {
            this(name, null, bytes);
        }
    }


    /** The input of that name. */
    static Input named(String name) {
        return all().stream().filter(i -> i.name().equals(name)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no hostile input named " + name));
    }

    private HostileInputs() {
    }

    static List<Input> all() {
        List<Input> in = new ArrayList<>();
        pickles(in);
        structures(in);
        return in;
    }

    // ------------------------------------------------------------------ pickles

    private static void pickles(List<Input> in) {
        state(in, "100k MARKs then None", rep("(", N) + "N");
        state(in, "tuples nested 100k deep (MARK ... TUPLE)", rep("(", N) + rep("t", N));
        state(in, "lists nested 100k deep (EMPTY_LIST ... APPEND)", rep("]", N) + rep("a", N - 1));
        state(in, "lists nested 100k deep (MARK ... LIST)", rep("(", N) + rep("l", N));
        state(in, "lists nested 20k deep (EMPTY_LIST MARK ... APPENDS)", "]" + rep("(]", M - 1) + rep("e", M - 1));
        state(in, "dicts nested 20k deep (EMPTY_DICT key ... SETITEM)", "}" + rep("K\u0001}", M - 1) + rep("s", M - 1));
        state(in, "tuples nested 20k deep (TUPLE1)", "N" + rep("\u0085", M));
        state(in, "a reference at the bottom of lists nested 100k deep",
                rep("]", N) + ref2() + "Q" + rep("a", N));
        state(in, "a reference at the bottom of dicts nested 20k deep under attribute keys",
                rep("}U\u0001a", M) + ref2() + "Q" + rep("s", M));
        state(in, "20k BINPERSID applied to one oid (ids of ids)", oid2() + rep("Q", M));
        state(in, "20k DUP of a reference", ref2() + "Q" + rep("2", M));
        state(in, "30k references in one list", "capp\nThing\nq\u0001](" + rep(oid2() + "h\u0001\u0086Q", 30_000) + "e");
        record(in, "class pickle nested 20k deep", "\u0080\u0003" + rep("(", M) + "capp\nThing\n" + rep("t", M) + ".",
                "\u0080\u0003}.");
        state(in, "a list that holds itself", "]q\u0000h\u0000a" + ref2() + "Qa");
        state(in, "a dict that holds itself", "}q\u0000K\u0001h\u0000sU\u0004link" + ref2() + "Qs");
        state(in, "attribute dict whose value is the state itself", "}q\u0000U\u0004selfh\u0000sU\u0004link" + ref2() + "Qs");
        state(in, "a reference shared 2^60 times (list of two copies of the list below, 60 levels)", laughs(60, false));
        state(in, "a reference shared 2^60 times (dict of two copies of the dict below, 60 levels)", laughs(60, true));
        state(in, "a BTree-like state nested 20k deep", rep("((", M) + ref2() + "Q" + rep("t\u0085", M));

        // memo
        state(in, "BINGET of an unknown slot", "h\u0063");
        state(in, "LONG_BINGET of slot 0x7fffffff", "j\u00ff\u00ff\u00ff\u007f");
        state(in, "LONG_BINGET of slot 0xffffffff", "j\u00ff\u00ff\u00ff\u00ff");
        state(in, "GET of a 20-digit slot", "g99999999999999999999\n");
        state(in, "GET of slot -1", "g-1\n");
        state(in, "LONG_BINPUT and LONG_BINGET of slot 0x7fffffff", "Nr\u00ff\u00ff\u00ff\u007f0j\u00ff\u00ff\u00ff\u007f");
        state(in, "PUT and GET of slot 99999999999", "Np99999999999\n0g99999999999\n");
        state(in, "100k MEMOIZE", "N" + rep("\u0094", N));
        state(in, "100k LONG_BINPUT to increasing far slots", "N" + farPuts(N) + "0N");
        state(in, "BINPUT into every slot 0-255 then GET them all", "N" + binputs() + "0](" + binGets() + "e");

        // huge lengths
        String[] huge = {"X\u00ff\u00ff\u00ff\u00ff", "B\u00ff\u00ff\u00ff\u007f", "T\u00ff\u00ff\u00ff\u00ff",
            "T\u0000\u0000\u0000\u0080", "\u008e" + rep("\u00ff", 8), "\u008d" + rep("\u00ff", 7) + "\u007f",
            "\u0096" + rep("\u00ff", 7) + "\u007f", "\u008b\u00ff\u00ff\u00ff\u007f", "\u008b\u0000\u0000\u0000\u0080",
            "\u008a\u00ff", "\u0095" + rep("\u00ff", 8), "\u0095\u00ff\u00ff\u00ff\u00ff\u0000\u0000\u0000\u0000",
            "U\u00ff", "C\u00ff", "\u008c\u00ff", "\u0080\u00ff", "\u0097", "\u0082", "\u0084\u00ff\u00ff\u00ff\u00ff"};
        for (String h : huge) {
            state(in, "argument " + escape(h), h);
        }
        // long lines
        int mb = 1 << 20;
        state(in, "GLOBAL of a 1 MB module name without newline", "c" + rep("a", mb));
        state(in, "GLOBAL of 1 MB names", "c" + rep("a", mb) + "\n" + rep("b", mb) + "\n");
        state(in, "STRING of 1 MB without closing quote", "S'" + rep("a", mb) + "\n");
        state(in, "STRING of 1 MB of escapes", "S'" + rep("\\x41", mb / 4) + "'\n");
        state(in, "INT of 1 MB of digits", "I" + rep("9", mb) + "\n");
        state(in, "LONG of 1 MB of digits", "L" + rep("9", mb) + "L\n");
        state(in, "FLOAT of 1 MB", "F" + rep("9", mb) + "\n");
        state(in, "UNICODE of 200k escapes", "V" + rep("\\u0041", 200_000) + "\n");
        state(in, "PERSID of 1 MB", "P" + rep("x", mb) + "\n");
        state(in, "PERSID of an 8-byte id", "P\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0002\n");
        state(in, "STACK_GLOBAL of two 1 MB strings", "X" + le4(mb) + rep("m", mb) + "X" + le4(mb) + rep("n", mb) + "\u0093");
        state(in, "BINUNICODE of 1 MB invalid UTF-8", "X" + le4(mb) + rep("\u00ff", mb));
        state(in, "LONG1 of 255 bytes, LONG4 of 1 MB", "\u008a\u00ff" + rep("\u0001", 255) + "0\u008b" + le4(mb)
                + rep("\u0001", mb));
        state(in, "FRAMEs around every opcode", frames());

        record(in, "only a class pickle", "\u0080\u0003capp\nThing\nq\u0000.", "");
        record(in, "three pickles", "\u0080\u0003capp\nThing\nq\u0000.", "\u0080\u0003}.\u0080\u0003}.");
        record(in, "100k trailing bytes after the state", "\u0080\u0003capp\nThing\nq\u0000.", "\u0080\u0003}." + rep(".", N));
        record(in, "a class pickle that is a reference to itself",
                "\u0080\u0003C\u0008\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0001Q.", "\u0080\u0003}.");

        // compressed records (zc.zlibstorage, FORMAT.md §3.1)
        in.add(new Input("a .z record inflating to 64 MB of zeros (a zlib bomb)", null, () -> storage(concat(
                ascii(".z"), deflate(new byte[64 << 20])))));
        in.add(new Input("a .z record inflating to lists nested 100k deep", () -> storage(concat(ascii(".z"),
                deflate(ascii("\u0080\u0003capp\nThing\nq\u0000.\u0080\u0003" + rep("]", N) + rep("a", N - 1) + "."))))));
        in.add(new Input("a .z record of random bytes", () -> {
            byte[] b = new byte[4096];
            new Random(5).nextBytes(b);
            return storage(concat(ascii(".z"), b));
        }));
        in.add(new Input("a .z record with a truncated stream", () -> {
            byte[] z = deflate(new byte[100_000]);
            return storage(concat(ascii(".z"), Arrays.copyOf(z, z.length / 2)));
        }));
        in.add(new Input("a .z record with a preset dictionary", () -> {
            Deflater d = new Deflater();
            d.setDictionary(ascii("dictionary"));
            return storage(concat(ascii(".z"), deflate(d, record("\u0080\u0003capp\nThing\nq\u0000.", "\u0080\u0003}."))));
        }));
        in.add(new Input("a .z record inside a .z record", () -> storage(concat(ascii(".z"), deflate(concat(ascii(".z"),
                deflate(record("\u0080\u0003capp\nThing\nq\u0000.", "\u0080\u0003}."))))))));
    }

    // ------------------------------------------------------------------ structures

    private static void structures(List<Input> in) {
        byte[] item = record("\u0080\u0003capp\nThing\nq\u0000.", "\u0080\u0003}q\u0001U\u0004link" + ref2() + "Qs.");
        // backpointers
        in.add(new Input("a backpointer to itself", () -> {
            FileStorageBuilder b = base(item);
            b.txn();
            long self = b.position() + FileStorageBuilder.TXN_HEADER_LENGTH;
            b.backpointer(1, self).end();
            return b.bytes();
        }));
        in.add(new Input("two backpointers pointing at each other (the second one later in the file)", () -> {
            FileStorageBuilder b = base(item);
            b.txn();
            long first = b.position() + FileStorageBuilder.TXN_HEADER_LENGTH;
            long second = first + 50 + 8 + FileStorageBuilder.TXN_HEADER_LENGTH;
            b.backpointer(1, second).end();
            b.txn().backpointer(1, first).end();
            if (b.lastRecordPos() != second) {
                throw new IllegalStateException("layout: " + b.lastRecordPos() + " != " + second);
            }
            return b.bytes();
        }));
        in.add(new Input("a backpointer cycle through two oids", () -> {
            FileStorageBuilder b = base(item);
            b.txn();
            long first = b.position() + FileStorageBuilder.TXN_HEADER_LENGTH;
            long second = first + 50;
            b.backpointer(1, second).backpointer(OID2, first).end();
            return b.bytes();
        }));
        for (String what : new String[] {"the middle of a record", "a transaction header", "the end of the file",
            "past the end of the file", "2^63 - 1", "2^64 - 8", "its own transaction's redundant length"}) {
            in.add(new Input("a backpointer to " + what, () -> {
                FileStorageBuilder b = base(item);
                long rec = b.recordPositions().get(1);
                b.txn();
                long tpos = b.position();
                long self = tpos + FileStorageBuilder.TXN_HEADER_LENGTH;
                long end = self + 50 + 8; // this transaction's end: the file's size
                long back = switch (what) {
                    case "the middle of a record" -> rec + 13;
                    case "a transaction header" -> 4;
                    case "the end of the file" -> end;
                    case "past the end of the file" -> end + 1000;
                    case "2^63 - 1" -> Long.MAX_VALUE;
                    case "2^64 - 8" -> -8L;
                    default -> self + 50;
                };
                b.backpointer(1, back).end();
                return b.bytes();
            }));
        }
        in.add(new Input("a chain of 5000 backpointers", () -> {
            FileStorageBuilder b = base(item);
            long last = b.recordPositions().get(1);
            for (int i = 0; i < 5000; i++) {
                b.txn().backpointer(1, last).end();
                last = b.lastRecordPos();
            }
            return b.bytes();
        }));
        in.add(new Input("a chain of 5000 backpointers ending in a deletion", () -> {
            FileStorageBuilder b = base(item);
            b.txn().deleted(1).end();
            long last = b.lastRecordPos();
            for (int i = 0; i < 5000; i++) {
                b.txn().backpointer(1, last).end();
                last = b.lastRecordPos();
            }
            return b.bytes();
        }));
        // prev
        for (String what : new String[] {"itself", "a later record", "the end of the file", "2^64 - 1",
            "a record of another oid"}) {
            in.add(new Input("prev pointing at " + what, () -> {
                FileStorageBuilder b = base(item);
                b.txn();
                long self = b.position() + FileStorageBuilder.TXN_HEADER_LENGTH;
                long prev = switch (what) {
                    case "itself" -> self;
                    case "a later record" -> self + item.length + 42 + 8 + 23;
                    case "the end of the file" -> self + item.length + 42 + 8;
                    case "2^64 - 1" -> -1L;
                    default -> b.recordPositions().get(0);
                };
                b.data(1, prev, item).end();
                b.txn().data(1, item).end();
                return b.bytes();
            }));
        }
        in.add(new Input("prev chains that loop (two records pointing at each other)", () -> {
            FileStorageBuilder b = base(item);
            b.txn();
            long first = b.position() + FileStorageBuilder.TXN_HEADER_LENGTH;
            long second = first + 42 + item.length + 8 + FileStorageBuilder.TXN_HEADER_LENGTH;
            b.data(1, second, item).end();
            b.txn().data(1, first, item).end();
            return b.bytes();
        }));
        in.add(new Input("5000 revisions of oid 0x01 (a long prev chain)", () -> {
            FileStorageBuilder b = base(item);
            for (int i = 0; i < 5000; i++) {
                b.txn().data(1, item).end();
            }
            return b.bytes();
        }));
        // versions (ZODB <= 3.8)
        in.add(new Input("a version record whose pnv points at itself", () -> {
            FileStorageBuilder b = base(item);
            b.txn();
            long self = b.position() + FileStorageBuilder.TXN_HEADER_LENGTH;
            b.version(1, "v", self, item).end();
            return b.bytes();
        }));
        in.add(new Input("a version backpointer record pointing at itself", () -> {
            FileStorageBuilder b = base(item);
            b.txn();
            long self = b.position() + FileStorageBuilder.TXN_HEADER_LENGTH;
            b.versionBackpointer(1, "v", self, self).end();
            return b.bytes();
        }));
        in.add(new Input("a version record with pnv and vprev past the end", () -> {
            FileStorageBuilder b = base(item);
            b.txn().version(1, "v", Long.MAX_VALUE, -1L, item).end();
            return b.bytes();
        }));
        // tloc and tids
        in.add(new Input("tloc pointing at a later transaction", () -> {
            FileStorageBuilder b = base(item);
            b.txn();
            long tpos = b.position();
            b.record(1, b.lastTid(), 0, tpos + 1000, item.length, item).end();
            b.txn().data(OID2, item).end();
            return b.bytes();
        }));
        in.add(new Input("5000 empty transactions", () -> {
            FileStorageBuilder b = base(item);
            for (int i = 0; i < 5000; i++) {
                b.txn().end();
            }
            return b.bytes();
        }));
        in.add(new Input("2000 transactions with decreasing tids", () -> {
            FileStorageBuilder b = base(item);
            for (int i = 0; i < 2000; i++) {
                b.txn(FileStorageBuilder.FIRST_TID - i).data(OID2, item).end();
            }
            return b.bytes();
        }));
        in.add(new Input("a transaction with 10k records of one oid", () -> {
            FileStorageBuilder b = base(item);
            b.txn();
            for (int i = 0; i < 10_000; i++) {
                b.data(OID2, 0, item);
            }
            b.end();
            return b.bytes();
        }));
        in.add(new Input("5000 objects in a reference cycle", null, () -> {
            FileStorageBuilder b = new FileStorageBuilder();
            b.txn().data(0, FileStorageBuilder.pickle("persistent.mapping", "PersistentMapping", 1));
            for (int i = 1; i <= 5000; i++) {
                b.data(i, FileStorageBuilder.pickle("app", "Thing", i == 5000 ? 1 : i + 1));
            }
            b.end();
            return b.bytes();
        }));
        in.add(new Input("a chain of 5000 objects, the last one missing", null, () -> {
            FileStorageBuilder b = new FileStorageBuilder();
            b.txn().data(0, FileStorageBuilder.pickle("persistent.mapping", "PersistentMapping", 1));
            for (int i = 1; i < 5000; i++) {
                b.data(i, FileStorageBuilder.pickle("app", "Thing", i + 1));
            }
            b.end();
            return b.bytes();
        }));
        in.add(new Input("user, description and extension of 65535 bytes each, extension random", () -> {
            byte[] ext = new byte[0xffff];
            new Random(3).nextBytes(ext);
            FileStorageBuilder b = new FileStorageBuilder();
            b.txn().user(ascii(rep("\u00ff", 0xffff))).description(ascii(rep("\n", 0xffff))).extension(ext)
                    .data(0, FileStorageBuilder.pickle("persistent.mapping", "PersistentMapping", 1)).data(1, item)
                    .data(OID2, item).end();
            return b.bytes();
        }));
    }

    // ------------------------------------------------------------------ building

    /** Root (0 -> 1), 0x01 = {@code record1}, 0x02 = an empty object; one transaction. */
    static FileStorageBuilder base(byte[] record1) {
        FileStorageBuilder b = new FileStorageBuilder();
        b.txn().data(0, FileStorageBuilder.pickle("persistent.mapping", "PersistentMapping", 1))
                .data(1, record1)
                .data(OID2, record("\u0080\u0003capp\nThing\nq\u0000.", "\u0080\u0003}."))
                .end();
        return b;
    }

    static byte[] storage(byte[] record1) {
        return base(record1).bytes();
    }

    /** A record whose state pickle is PROTO 3, {@code body}, STOP. */
    private static void state(List<Input> in, String name, String body) {
        record(in, name, "\u0080\u0003capp\nThing\nq\u0000.", "\u0080\u0003" + body + ".");
    }

    private static void record(List<Input> in, String name, String classPickle, String statePickle) {
        in.add(new Input(name, () -> storage(record(classPickle, statePickle))));
    }

    static byte[] record(String classPickle, String statePickle) {
        return ascii(classPickle + statePickle);
    }

    /** Chars 0-255 as the bytes of the same value. */
    static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    static String rep(String s, int n) {
        return s.repeat(n);
    }

    static String oid2() {
        return "C\u0008\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0002";
    }

    /** {@code (oid 2, klass)} without the BINPERSID. */
    static String ref2() {
        return oid2() + "capp\nThing\n\u0086";
    }

    static String le4(int n) {
        return new String(new char[] {(char) (n & 0xff), (char) ((n >> 8) & 0xff), (char) ((n >> 16) & 0xff),
            (char) ((n >>> 24) & 0xff)});
    }

    /** Level 0 holds two references; level k holds level k-1 twice; the state is the top level. */
    private static String laughs(int levels, boolean dicts) {
        StringBuilder s = new StringBuilder();
        s.append(dicts ? "}r" + le4(0) + "(U\u0001a" + ref2() + "QU\u0001b" + ref2() + "Qu"
                : "]r" + le4(0) + "(" + ref2() + "Q" + ref2() + "Qe");
        for (int k = 1; k <= levels; k++) {
            String get = "j" + le4(k - 1);
            s.append(dicts ? "0}r" + le4(k) + "(U\u0001a" + get + "U\u0001b" + get + "u" : "0]r" + le4(k) + "(" + get + get + "e");
        }
        return s.toString(); // each level POPs the one below, so STOP returns the top level
    }

    private static String farPuts(int n) {
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < n; i++) {
            s.append('r').append(le4(0x1000_0000 + i * 4099));
        }
        return s.toString();
    }

    private static String binputs() {
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < 256; i++) {
            s.append('q').append((char) i);
        }
        return s.toString();
    }

    private static String binGets() {
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < 256; i++) {
            s.append('h').append((char) i);
        }
        return s.toString();
    }

    /** A state of 1000 small FRAMEs each holding one opcode. */
    private static String frames() {
        StringBuilder s = new StringBuilder("](");
        for (int i = 0; i < 1000; i++) {
            s.append('\u0095').append((char) 2).append(rep("\u0000", 7)).append("K\u0001");
        }
        return s.append("e").toString();
    }

    private static String escape(String s) {
        StringBuilder b = new StringBuilder();
        for (char c : s.toCharArray()) {
            b.append(c >= 0x20 && c < 0x7f ? String.valueOf(c) : String.format("\\x%02x", (int) c));
        }
        return b.toString();
    }

    static byte[] concat(byte[] a, byte[] b) {
        return Mutator.concat(a, b);
    }

    static byte[] deflate(byte[] data) {
        return deflate(new Deflater(9), data);
    }

    static byte[] deflate(Deflater d, byte[] data) {
        d.setInput(data);
        d.finish();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buf = new byte[1 << 16];
        while (!d.finished()) {
            int n = d.deflate(buf);
            out.write(buf, 0, n);
        }
        d.end();
        return out.toByteArray();
    }
}
