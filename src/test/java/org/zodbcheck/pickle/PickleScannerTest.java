package org.zodbcheck.pickle;

import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayOutputStream;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Unit tests of {@link PickleScanner} against FORMAT.md §3.1-3.7 and Python's pickle semantics.
 *
 * <p>Every successful scan in these tests is done twice: once on the record alone with a fresh
 * scanner, and once on a copy embedded at an odd offset in a buffer padded with {@code 0xff}
 * (an invalid opcode) using one scanner reused across all tests, so reading outside
 * {@code [off, off + len)}, offsets that are not relative to {@code off} and state leaking from
 * one record to the next all show up as differences.
 */
class PickleScannerTest {

    // ------------------------------------------------------------------ helpers

    /** A persistent id as reported, copied out of the scanner's view. */
    record Ref(RefForm form, long oid, String db, String klass, int index, int offset, int pickle, String problem) {
        /** {@code FORM 0xoid [db=..] [klass=..]}: what the form tests compare. */
        String key() {
            return form + " 0x" + Long.toHexString(oid) + (db != null ? " db=" + db : "")
                    + (klass != null ? " klass=" + klass : "");
        }
    }

    /** The outcome of one scan. */
    record Result(boolean ok, String error, int errorOffset, List<Ref> refs, String className, boolean blob,
            int protocol, int trailing, int referenceCount, long classHash, byte[] classBytes) {
        List<String> keys() {
            return refs.stream().map(Ref::key).toList();
        }
    }

    /** Shared by all tests on purpose (see the class comment); JUnit runs them one at a time. */
    private static final PickleScanner REUSED = new PickleScanner();

    static Result run(PickleScanner s, byte[] data, int off, int len) {
        List<Ref> refs = new ArrayList<>();
        boolean ok = s.scan(data, off, len, pid -> refs.add(new Ref(pid.form(), pid.oid(), pid.database(),
                pid.klass(), pid.index(), pid.offset(), pid.pickle(), pid.problem())));
        return new Result(ok, s.error(), s.errorOffset(), refs, s.className(), s.isBlob(), s.protocol(),
                s.trailing(), s.referenceCount(), s.classHash(), s.classBytes());
    }

    /** Scans {@code rec} alone and embedded (see the class comment); both must agree. */
    static Result scan(byte[] rec) {
        Result alone = run(new PickleScanner(), rec, 0, rec.length);
        int off = 5;
        byte[] buf = new byte[off + rec.length + 9];
        Arrays.fill(buf, (byte) 0xff);
        System.arraycopy(rec, 0, buf, off, rec.length);
        Result embedded = run(REUSED, buf, off, rec.length);
        assertEquals(alone.ok, embedded.ok, "embedded scan disagrees: " + embedded.error + " / " + alone.error);
        assertEquals(alone.error, embedded.error);
        assertEquals(alone.errorOffset, embedded.errorOffset);
        assertEquals(alone.refs, embedded.refs);
        assertEquals(alone.className, embedded.className);
        assertEquals(alone.protocol, embedded.protocol);
        assertEquals(alone.trailing, embedded.trailing);
        assertEquals(alone.classHash, embedded.classHash);
        assertArrayEquals(alone.classBytes, embedded.classBytes);
        for (int i = 0; i < alone.refs.size(); i++) {
            assertEquals(i, alone.refs.get(i).index(), "index of reference " + i);
        }
        assertEquals(alone.refs.size(), alone.referenceCount);
        return alone;
    }

    static Result scanOk(byte[] rec) {
        Result r = scan(rec);
        assertTrue(r.ok, () -> "scan failed: " + r.error + " at " + r.errorOffset + " in " + hex(rec));
        assertNull(r.error);
        assertEquals(-1, r.errorOffset);
        return r;
    }

    static Result scanBad(byte[] rec) {
        Result r = scan(rec);
        assertFalse(r.ok, () -> "scan should fail: " + hex(rec));
        assertNotNull(r.error);
        assertTrue(r.errorOffset >= 0 && r.errorOffset <= rec.length, "errorOffset " + r.errorOffset);
        return r;
    }

    /** The record in hex for messages; long ones abbreviated. */
    static String hex(byte[] b) {
        String h = HexFormat.of().formatHex(b);
        return h.length() <= 600 ? h : h.substring(0, 300) + "..(" + b.length + " bytes).." + h.substring(h.length() - 300);
    }

    static byte[] be(long oid) {
        byte[] b = new byte[8];
        for (int i = 0; i < 8; i++) {
            b[i] = (byte) (oid >>> (56 - 8 * i));
        }
        return b;
    }

    /**
     * The bytes of a Python bytes literal body as {@code repr()} prints it: {@code \xHH},
     * {@code \n \r \t \\ \' \"}; other characters are bytes of the same value. In Java source
     * the backslashes are doubled: {@code py("\\x80\\x03c...")}.
     */
    static byte[] py(String s) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c != '\\') {
                if (c > 0xff) {
                    throw new IllegalArgumentException("not a byte: " + c);
                }
                out.write(c);
                continue;
            }
            char e = s.charAt(++i);
            switch (e) {
                case 'x' -> {
                    out.write(Integer.parseInt(s.substring(i + 1, i + 3), 16));
                    i += 2;
                }
                case 'n' -> out.write('\n');
                case 'r' -> out.write('\r');
                case 't' -> out.write('\t');
                case '\\', '\'', '"' -> out.write(e);
                default -> throw new IllegalArgumentException("escape \\" + e);
            }
        }
        return out.toByteArray();
    }

    static byte[] cat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }

    /** A small pickle writer: each method appends one opcode (with its argument). */
    static final class Pk {
        private final ByteArrayOutputStream b = new ByteArrayOutputStream();

        int size() {
            return b.size();
        }

        byte[] bytes() {
            return b.toByteArray();
        }

        Pk op(int... xs) {
            for (int x : xs) {
                b.write(x);
            }
            return this;
        }

        Pk raw(byte[] xs) {
            b.writeBytes(xs);
            return this;
        }

        /** Characters 0-255 as bytes. */
        Pk ascii(String s) {
            return raw(s.getBytes(ISO_8859_1));
        }

        Pk u4(long v) {
            for (int i = 0; i < 4; i++) {
                b.write((int) (v >>> (8 * i)));
            }
            return this;
        }

        Pk u8(long v) {
            for (int i = 0; i < 8; i++) {
                b.write((int) (v >>> (8 * i)));
            }
            return this;
        }

        Pk proto(int n) {
            return op(0x80, n);
        }

        Pk global(String module, String name) {
            return op('c').ascii(module + "\n" + name + "\n");
        }

        Pk put(int i) {
            return op('q', i);
        }

        Pk get(int i) {
            return op('h', i);
        }

        Pk longPut(long i) {
            return op('r').u4(i);
        }

        Pk longGet(long i) {
            return op('j').u4(i);
        }

        /** An oid as SHORT_BINBYTES (Python 3 bytes). */
        Pk oid(long oid) {
            return op('C', 8).raw(be(oid));
        }

        /** An oid as SHORT_BINSTRING (Python 2 str). */
        Pk oidU(long oid) {
            return op('U', 8).raw(be(oid));
        }

        /** An oid as BINSTRING. */
        Pk oidT(long oid) {
            return op('T').u4(8).raw(be(oid));
        }

        /** An oid as BINBYTES. */
        Pk oidB(long oid) {
            return op('B').u4(8).raw(be(oid));
        }

        /** BINUNICODE. */
        Pk text(String s) {
            byte[] u = s.getBytes(UTF_8);
            return op('X').u4(u.length).raw(u);
        }

        /** SHORT_BINUNICODE. */
        Pk text1(String s) {
            byte[] u = s.getBytes(UTF_8);
            return op(0x8c, u.length).raw(u);
        }

        /** SHORT_BINSTRING of the ISO-8859-1 bytes of {@code s} (a Python 2 str). */
        Pk str(String s) {
            byte[] u = s.getBytes(ISO_8859_1);
            return op('U', u.length).raw(u);
        }

        Pk mark() {
            return op('(');
        }

        Pk tuple() {
            return op('t');
        }

        Pk tuple1() {
            return op(0x85);
        }

        Pk tuple2() {
            return op(0x86);
        }

        Pk tuple3() {
            return op(0x87);
        }

        Pk list() {
            return op(']');
        }

        Pk append() {
            return op('a');
        }

        Pk appends() {
            return op('e');
        }

        Pk pid() {
            return op('Q');
        }

        Pk pop() {
            return op('0');
        }

        Pk none() {
            return op('N');
        }

        Pk int1(int v) {
            return op('K', v);
        }

        Pk stop() {
            return op('.');
        }
    }

    static Pk pk() {
        return new Pk();
    }

    /** The usual class pickle (protocol 2): the global {@code mod.Klass}, memo slot 0. */
    static Pk cls() {
        return pk().proto(2).global("mod", "Klass").put(0).stop();
    }

    static final String KLASS = "mod.Klass";

    static String ok(long oid) {
        return "OID_KLASS 0x" + Long.toHexString(oid) + " klass=" + KLASS;
    }

    // ------------------------------------------------------------------ 1. every opcode

    /** A record and what scanning it must give. */
    record Case(byte[] record, List<String> refs, Consumer<Result> extra) {
        Case(byte[] record, List<String> refs) {
            this(record, refs, r -> { });
        }
    }

    /**
     * The class pickle, then a state pickle in which {@code between} (an opcode sequence with a
     * net stack effect of zero) stands between the oid and the class of an {@code (oid, klass)}
     * pid: an opcode that pushes or pops one value too many or too few leaves a tuple that is
     * not {@code (oid 7, mod.Klass)}.
     */
    static Case std(Pk between, String... before) {
        return std(between.bytes(), before);
    }

    static Case std(byte[] between, String... before) {
        byte[] rec = cls().proto(2).oid(7).raw(between).get(0).tuple2().pid().stop().bytes();
        List<String> refs = new ArrayList<>(List.of(before));
        refs.add(ok(7));
        return new Case(rec, refs);
    }

    /** The class pickle, then {@code state} followed by STOP. */
    static byte[] rec(Pk state) {
        return cat(cls().bytes(), state.stop().bytes());
    }

    static Map<Opcode, Case> opcodeCases() {
        Map<Opcode, Case> m = new EnumMap<>(Opcode.class);
        // MARK: nested marks; the inner tuple is dropped, the outer one is the pid.
        m.put(Opcode.MARK, new Case(rec(pk().proto(2).mark().mark().int1(1).int1(2).tuple().pop()
                .oid(7).get(0).tuple().pid()), List.of(ok(7))));
        // STOP returns the top of the stack: the global, not the int below it.
        m.put(Opcode.STOP, new Case(cat(pk().int1(1).global("mod", "Klass").put(0).stop().bytes(),
                pk().oid(7).get(0).tuple2().pid().stop().bytes()),
                List.of(ok(7)), r -> assertEquals(KLASS, r.className)));
        // POP with a mark on top pops the mark
        m.put(Opcode.POP, std(pk().int1(1).pop().mark().pop()));
        m.put(Opcode.POP_MARK, std(pk().mark().int1(1).int1(2).op('1')));
        // DUP: the oid is used by two pids.
        m.put(Opcode.DUP, new Case(rec(pk().proto(2).oid(7).op('2').get(0).tuple2().pid().pop()
                .get(0).tuple2().pid()), List.of(ok(7), ok(7))));
        m.put(Opcode.FLOAT, std(pk().ascii("F1.5\n").pop()));
        // Argument bytes that look like opcodes ('.' and 'Q') must be skipped as arguments.
        m.put(Opcode.BINFLOAT, std(pk().op('G', 0x3f, 0xf8, '.', 'Q', 0, 0, '.', 'Q').pop()));
        m.put(Opcode.INT, std(pk().ascii("I01\n").pop()));
        m.put(Opcode.BININT, std(pk().op('J', 'Q', '.', 'Q', '.').pop()));
        m.put(Opcode.BININT1, std(pk().op('K', '.').pop()));
        m.put(Opcode.BININT2, std(pk().op('M', 'Q', '.').pop()));
        m.put(Opcode.LONG, std(pk().ascii("L12345678901234567890L\n").pop()));
        m.put(Opcode.LONG1, std(pk().op(0x8a, 2, '.', 'Q').pop()));
        m.put(Opcode.LONG4, std(pk().op(0x8b, 3, 0, 0, 0, '.', 'Q', '.').pop()));
        m.put(Opcode.NONE, std(pk().none().pop()));
        m.put(Opcode.NEWTRUE, std(pk().op(0x88).pop()));
        m.put(Opcode.NEWFALSE, std(pk().op(0x89).pop()));
        // STRING: the oid itself, with \x, \0, octal and \a escapes (7 zero bytes, then 7).
        m.put(Opcode.STRING, new Case(rec(pk().proto(2).ascii("S'\\x00\\0\\000\\x00\\x00\\x00\\x00\\a'\n")
                .get(0).tuple2().pid()), List.of(ok(7))));
        m.put(Opcode.BINSTRING, new Case(rec(pk().oidT(7).get(0).tuple2().pid()), List.of(ok(7))));
        m.put(Opcode.SHORT_BINSTRING, new Case(rec(pk().oidU(7).get(0).tuple2().pid()), List.of(ok(7))));
        m.put(Opcode.BINBYTES, new Case(rec(pk().proto(3).oidB(7).get(0).tuple2().pid()), List.of(ok(7))));
        // SHORT_BINBYTES: a bare oid pid first, then the usual one.
        m.put(Opcode.SHORT_BINBYTES, std(pk().oid(0x0102030405060708L).pid().pop(), "OID 0x102030405060708"));
        m.put(Opcode.BINBYTES8, new Case(rec(pk().proto(4).op(0x8e).u8(8).raw(be(7)).get(0).tuple2().pid()),
                List.of(ok(7))));
        // BYTEARRAY8: a bytearray is not bytes: as a pid it is malformed.
        m.put(Opcode.BYTEARRAY8, std(pk().op(0x96).u8(8).raw(be(9)).pid().pop(), "MALFORMED 0x0"));
        m.put(Opcode.NEXT_BUFFER, new Case(rec(pk().proto(5).oid(7).get(0).tuple2().pid().op(0x97).pop()),
                List.of(ok(7)), r -> {
                    assertFalse(r.ok);
                    assertTrue(r.error.contains("NEXT_BUFFER"), r.error);
                }));
        m.put(Opcode.READONLY_BUFFER, std(pk().op(0x96).u8(2).ascii(".Q").op(0x98).pop()));
        // UNICODE: tag and database name, raw-unicode-escape decoded.
        m.put(Opcode.UNICODE, new Case(rec(pk().proto(2).list().mark().ascii("Vm\n").ascii("Vd\\u00e9b\n")
                .oid(7).get(0).tuple3().appends().pid()), List.of("MULTI 0x7 db=d\u00e9b klass=" + KLASS)));
        m.put(Opcode.BINUNICODE, new Case(rec(pk().proto(2).list().mark().text("w").oid(7).tuple1().appends()
                .pid()), List.of("WEAK 0x7")));
        m.put(Opcode.SHORT_BINUNICODE, new Case(rec(pk().proto(4).list().mark().text1("n").text1("db").oid(7)
                .tuple2().appends().pid()), List.of("NAMED 0x7 db=db")));
        m.put(Opcode.BINUNICODE8, new Case(rec(pk().proto(4).list().mark().op(0x8d).u8(1).ascii("w").oid(7)
                .op(0x8d).u8(4).ascii("main").tuple2().appends().pid()), List.of("WEAK 0x7 db=main")));
        m.put(Opcode.EMPTY_LIST, new Case(rec(pk().list().oid(7).append().pid()), List.of("LIST 0x7")));
        m.put(Opcode.APPEND, new Case(rec(pk().proto(2).list().text("w").append().oid(7).tuple1().append()
                .pid()), List.of("WEAK 0x7")));
        // APPENDS twice on the same list.
        m.put(Opcode.APPENDS, new Case(rec(pk().proto(2).list().mark().text("w").appends().mark().oid(7)
                .tuple1().appends().pid()), List.of("WEAK 0x7")));
        m.put(Opcode.LIST, new Case(rec(pk().mark().oid(7).op('l').pid()), List.of("LIST 0x7")));
        m.put(Opcode.EMPTY_TUPLE, std(pk().op(')').pid().pop(), "MALFORMED 0x0"));
        m.put(Opcode.TUPLE, new Case(rec(pk().mark().oid(7).get(0).tuple().pid()), List.of(ok(7))));
        m.put(Opcode.TUPLE1, new Case(rec(pk().proto(2).list().mark().text("w").oid(7).tuple1().appends()
                .pid()), List.of("WEAK 0x7")));
        m.put(Opcode.TUPLE2, std(new byte[0]));
        m.put(Opcode.TUPLE3, new Case(rec(pk().proto(2).list().mark().text("m").text("db").oid(7).get(0)
                .tuple3().appends().pid()), List.of("MULTI 0x7 db=db klass=" + KLASS)));
        m.put(Opcode.EMPTY_DICT, std(pk().op('}').pop()));
        // DICT, SETITEM, SETITEMS: a pid inside the dict is found, the dict's items are dropped.
        m.put(Opcode.DICT, std(pk().mark().int1(1).oid(8).get(0).tuple2().pid().op('d').pop(), ok(8)));
        m.put(Opcode.SETITEM, std(pk().op('}').int1(1).oid(8).get(0).tuple2().pid().op('s').pop(), ok(8)));
        m.put(Opcode.SETITEMS, std(pk().op('}').mark().int1(1).int1(2).int1(3).oid(8).get(0).tuple2().pid()
                .op('u').pop(), ok(8)));
        m.put(Opcode.EMPTY_SET, std(pk().op(0x8f).pop()));
        m.put(Opcode.ADDITEMS, std(pk().op(0x8f).mark().int1(1).int1(2).op(0x90).pop()));
        m.put(Opcode.FROZENSET, std(pk().mark().int1(1).int1(2).op(0x91).pop()));
        m.put(Opcode.GET, new Case(rec(pk().oid(7).ascii("g0\n").tuple2().pid()), List.of(ok(7))));
        m.put(Opcode.BINGET, std(new byte[0]));
        m.put(Opcode.LONG_BINGET, new Case(rec(pk().oid(7).longGet(0).tuple2().pid()), List.of(ok(7))));
        // The PUTs do not pop: the oid is stored, popped, and fetched back.
        m.put(Opcode.PUT, new Case(rec(pk().oid(7).ascii("p5\n").pop().ascii("g5\n").get(0).tuple2().pid()),
                List.of(ok(7))));
        m.put(Opcode.BINPUT, new Case(rec(pk().oid(7).put(5).pop().get(5).get(0).tuple2().pid()),
                List.of(ok(7))));
        m.put(Opcode.LONG_BINPUT, new Case(rec(pk().oid(7).longPut(5).pop().longGet(5).get(0).tuple2().pid()),
                List.of(ok(7))));
        // MEMOIZE: slot 0 in the class pickle, so slot 1 in the state pickle (shared memo).
        m.put(Opcode.MEMOIZE, new Case(cat(pk().proto(4).global("mod", "Klass").op(0x94).stop().bytes(),
                pk().proto(4).oid(7).op(0x94).pop().get(1).get(0).tuple2().pid().stop().bytes()),
                List.of(ok(7))));
        m.put(Opcode.EXT1, std(pk().op(0x82, '.').pop()));
        m.put(Opcode.EXT2, std(pk().op(0x83, '.', 'Q').pop()));
        m.put(Opcode.EXT4, std(pk().op(0x84, 'Q', '.', 0, 0).pop()));
        m.put(Opcode.GLOBAL, new Case(rec(pk().oid(7).global("foo", "Bar").tuple2().pid()),
                List.of("OID_KLASS 0x7 klass=foo.Bar")));
        m.put(Opcode.STACK_GLOBAL, new Case(rec(pk().proto(4).oid(7).text1("foo").text1("Bar").op(0x93)
                .tuple2().pid()), List.of("OID_KLASS 0x7 klass=foo.Bar")));
        m.put(Opcode.REDUCE, std(pk().get(0).op(')', 'R').pop()));
        m.put(Opcode.BUILD, std(pk().get(0).op(')', 'R', '}', 'b').pop()));
        m.put(Opcode.INST, std(pk().mark().int1(1).ascii("imod\nKlass\n").pop()));
        m.put(Opcode.OBJ, std(pk().mark().get(0).int1(1).op('o').pop()));
        m.put(Opcode.NEWOBJ, std(pk().get(0).op(')', 0x81).pop()));
        m.put(Opcode.NEWOBJ_EX, std(pk().get(0).op(')', '}', 0x92).pop()));
        Case proto = std(pk().proto(3));
        m.put(Opcode.PROTO, new Case(proto.record, proto.refs, r -> assertEquals(3, r.protocol)));
        // FRAME: a frame over the rest of the record (h 00, 86, Q, .).
        m.put(Opcode.FRAME, std(pk().op(0x95).u8(5)));
        m.put(Opcode.PERSID, std(pk().ascii("Pabcdefgh\n").pop(), "OID 0x6162636465666768"));
        m.put(Opcode.BINPERSID, std(new byte[0]));
        return m;
    }

    @TestFactory
    Stream<DynamicTest> everyOpcode() {
        Map<Opcode, Case> cases = opcodeCases();
        return Arrays.stream(Opcode.values()).map(op -> DynamicTest.dynamicTest(op.name(), () -> {
            Case c = cases.get(op);
            assertNotNull(c, "no case for " + op);
            assertTrue(containsOpcode(c.record, op), op + " does not occur in its case");
            if (op == Opcode.NEXT_BUFFER) {
                Result r = scanBad(c.record);
                assertEquals(c.refs, r.keys());
                // reported where reading stopped: just after the opcode
                assertEquals(indexOfOpcode(c.record, op) + 1, r.errorOffset);
            } else {
                Result r = scanOk(c.record);
                assertEquals(c.refs, r.keys(), () -> hex(c.record));
            }
            c.extra.accept(scan(c.record));
        }));
    }

    // ------------------------------------------------------------------ test-side opcode decoder

    /** One opcode of a record: its position, opcode, and the position of the next one. */
    record Decoded(int pos, Opcode op, int next) {
    }

    /** Walks a record opcode by opcode, skipping arguments by their encoding (FORMAT.md §3.5). */
    static List<Decoded> decode(byte[] b) {
        List<Decoded> out = new ArrayList<>();
        int p = 0;
        while (p < b.length) {
            Opcode op = Opcode.of(b[p]);
            assertNotNull(op, "invalid opcode at " + p);
            int a = p + 1;
            int next = switch (op.arg()) {
                case NONE -> a;
                case UINT1 -> a + 1;
                case UINT2 -> a + 2;
                case INT4, UINT4 -> a + 4;
                case UINT8, FLOAT8 -> a + 8;
                case DECIMALNL_SHORT, DECIMALNL_LONG, STRINGNL, STRINGNL_NOESCAPE, UNICODESTRINGNL, FLOATNL ->
                        lineEnd(b, a) + 1;
                case STRINGNL_NOESCAPE_PAIR -> lineEnd(b, lineEnd(b, a) + 1) + 1;
                case STRING1, BYTES1, UNICODESTRING1, LONG1 -> a + 1 + (b[a] & 0xff);
                case STRING4, BYTES4, UNICODESTRING4, LONG4 -> a + 4 + (int) le(b, a, 4);
                case BYTES8, UNICODESTRING8 -> a + 8 + (int) le(b, a, 8);
            };
            out.add(new Decoded(p, op, next));
            p = next;
        }
        assertEquals(b.length, p, "the last argument runs past the end");
        return out;
    }

    static int lineEnd(byte[] b, int from) {
        for (int i = from; i < b.length; i++) {
            if (b[i] == '\n') {
                return i;
            }
        }
        throw new AssertionError("no newline after " + from);
    }

    static long le(byte[] b, int at, int n) {
        long v = 0;
        for (int i = n - 1; i >= 0; i--) {
            v = (v << 8) | (b[at + i] & 0xff);
        }
        return v;
    }

    static boolean containsOpcode(byte[] rec, Opcode op) {
        return indexOfOpcode(rec, op) >= 0;
    }

    static int indexOfOpcode(byte[] rec, Opcode op) {
        return decode(rec).stream().filter(d -> d.op == op).mapToInt(Decoded::pos).findFirst().orElse(-1);
    }

    // ------------------------------------------------------------------ 2. reference forms

    static final long C92D77 = 0xc92d77L;

    @TestFactory
    Stream<DynamicTest> referenceForms() {
        return formCases().entrySet().stream().map(e -> DynamicTest.dynamicTest(e.getKey(), () -> {
            Result r = scanOk(e.getValue().record);
            assertEquals(e.getValue().refs, r.keys(), () -> hex(e.getValue().record));
            for (Ref ref : r.refs) {
                if (ref.form == RefForm.MALFORMED) {
                    assertNotNull(ref.problem, "problem of " + ref);
                    assertEquals(0, ref.oid, "oid of a malformed pid");
                } else {
                    assertNull(ref.problem, "problem of " + ref);
                }
            }
            e.getValue().extra.accept(r);
        }));
    }

    static Map<String, Case> formCases() {
        Map<String, Case> m = new LinkedHashMap<>();
        m.put("(oid, GLOBAL)", new Case(rec(pk().oid(5).global("app", "Thing").tuple2().pid()),
                List.of("OID_KLASS 0x5 klass=app.Thing")));
        m.put("(oid, BINGET of the class pickle's slot 0)", new Case(rec(pk().oid(5).get(0).tuple2().pid()),
                List.of(ok(5))));
        m.put("(oid, klass) built with MARK TUPLE (Py2 protocol 1)", new Case(cat(
                pk().global("mod", "Klass").put(1).stop().bytes(),
                pk().mark().oidU(5).put(2).get(1).tuple().put(3).pid().stop().bytes()), List.of(ok(5))));
        m.put("bare oid SHORT_BINBYTES", new Case(rec(pk().proto(3).oid(5).pid()), List.of("OID 0x5")));
        m.put("bare oid SHORT_BINSTRING (Py2)", new Case(cat(pk().global("mod", "Klass").put(1).stop().bytes(),
                pk().oidU(5).put(2).pid().stop().bytes()), List.of("OID 0x5")));
        m.put("bare oid BINSTRING", new Case(rec(pk().oidT(5).pid()), List.of("OID 0x5")));
        m.put("bare oid BINBYTES", new Case(rec(pk().proto(3).oidB(5).pid()), List.of("OID 0x5")));
        m.put("oid bytes >= 0x80", new Case(rec(pk().proto(3).op('C', 8, 0, 0, 0, 0, 0, 0xc9, 0x2d, 0x77)
                .get(0).tuple2().pid().oidU(C92D77).pid().oid(0x8000000000000001L).pid().oid(-1L).pid()),
                List.of(ok(C92D77), "OID 0xc92d77", "OID 0x8000000000000001", "OID 0xffffffffffffffff")));
        m.put("[oid]", new Case(rec(pk().list().oid(5).append().pid()), List.of("LIST 0x5")));
        m.put("[oid] Py2 MARK LIST", new Case(rec(pk().mark().oidU(5).op('l').pid()), List.of("LIST 0x5")));
        m.put("['w', (oid,)]", new Case(rec(pk().list().mark().text("w").oid(5).tuple1().appends().pid()),
                List.of("WEAK 0x5")));
        m.put("['w', (oid, 'db')]", new Case(rec(pk().list().mark().text("w").oid(5).text("other").tuple2()
                .appends().pid()), List.of("WEAK 0x5 db=other")));
        m.put("['w', oid] (zodbupdate)", new Case(rec(pk().list().mark().text("w").oid(5).appends().pid()),
                List.of("WEAK 0x5")));
        m.put("['m', ('db', oid, GLOBAL)]", new Case(rec(pk().list().mark().text("m").text("other").oid(5)
                .global("app", "Thing").tuple3().appends().pid()), List.of("MULTI 0x5 db=other klass=app.Thing")));
        m.put("['m', ('db', oid, memo klass)]", new Case(rec(pk().list().mark().text("m").text("other").oid(5)
                .get(0).tuple3().appends().pid()), List.of("MULTI 0x5 db=other klass=" + KLASS)));
        m.put("['m', ('db', oid)] (zodbupdate)", new Case(rec(pk().list().mark().text("m").text("other").oid(5)
                .tuple2().appends().pid()), List.of("MULTI 0x5 db=other")));
        m.put("['n', ('db', oid)]", new Case(rec(pk().list().mark().text("n").text("other").oid(5).tuple2()
                .appends().pid()), List.of("NAMED 0x5 db=other")));
        m.put("SHORT_BINUNICODE tags and names", new Case(rec(pk().proto(4).list().mark().text1("n")
                .text1("other").oid(5).tuple2().appends().pid()), List.of("NAMED 0x5 db=other")));
        m.put("Py2 byte-string tags and db names", new Case(cat(pk().global("mod", "Klass").put(1).stop().bytes(),
                pk().mark()
                        .list().mark().str("w").put(2).oidU(5).put(3).tuple1().appends().pid()
                        .list().mark().get(2).oidU(6).str("main").tuple2().appends().pid()
                        .list().mark().str("m").str("other").oidU(7).get(1).tuple3().appends().pid()
                        .list().mark().str("n").str("other").oidU(8).tuple2().appends().pid()
                        .list().mark().get(2).get(3).appends().pid()
                        .tuple().stop().bytes()),
                List.of("WEAK 0x5", "WEAK 0x6 db=main", "MULTI 0x7 db=other klass=" + KLASS, "NAMED 0x8 db=other",
                        "WEAK 0x5")));
        m.put("non-ASCII db name, text and Py2 bytes", new Case(rec(pk().mark()
                .list().mark().text("n").text("d\u00e9b").oid(5).tuple2().appends().pid()
                .list().mark().str("n").str("d\u00e9b").oid(5).tuple2().appends().pid().tuple()),
                List.of("NAMED 0x5 db=d\u00e9b", "NAMED 0x5 db=d\u00e9b")));
        // FORMAT.md §3.4: ]q\x10( h\x0f h\x05 \x85q\x11 e Q, 'w' and the oid from the memo.
        m.put("'w' and oid from the memo", new Case(rec(pk().proto(3).op('}').put(1).mark()
                .text("a").put(4).oid(1).put(5).get(0).tuple2().put(6).pid()
                .text("w").put(15).list().put(16).mark().get(15).get(5).tuple1().put(17).appends().pid()
                .op('u')), List.of(ok(1), "WEAK 0x1")));
        m.put("PERSID 8 characters", new Case(rec(pk().ascii("Pabcdefgh\n")),
                List.of("OID 0x6162636465666768")));
        m.put("text oid BINUNICODE, 8 code points < 256", new Case(rec(pk().text("\0\0\0\0\0\u00c9-w").pid()
                .text("\0\0\0\0\0\0\0\u00ff").get(0).tuple2().pid()),
                List.of("OID 0xc92d77", ok(0xff))));
        m.put("text oid UNICODE", new Case(rec(pk().ascii("V\0\0\0\0\0\u00c9-w\n").pid()),
                List.of("OID 0xc92d77")));
        for (Map.Entry<String, Case> e : malformedCases().entrySet()) {
            m.put("malformed: " + e.getKey(), e.getValue());
        }
        return m;
    }

    /** Malformed pids: each followed by a good one, to show that the scan goes on. */
    static Map<String, Case> malformedCases() {
        Map<String, Case> m = new LinkedHashMap<>();
        m.put("empty list", bad(pk().list(), "an empty reference list"));
        m.put("list of 3", bad(pk().list().mark().text("w").oid(5).int1(1).appends(), "a reference list of 3 items"));
        m.put("list of 5", bad(pk().list().mark().int1(1).int1(2).int1(3).int1(4).int1(5).appends(),
                "a reference list of 5 items"));
        m.put("unknown tag 'x'", bad(pk().list().mark().text("x").oid(5).tuple1().appends(),
                "an unknown reference type"));
        m.put("tag of two characters", bad(pk().list().mark().text("ww").oid(5).tuple1().appends(),
                "an unknown reference type"));
        m.put("tuple of 3 with an oid", bad(pk().oid(5).get(0).none().tuple3(),
                "a tuple persistent id that is not (oid, class)"));
        m.put("1-tuple", bad(pk().oid(5).tuple1(), "a tuple persistent id that is not (oid, class)"));
        m.put("oid of 7 bytes", bad(pk().op('C', 7, 0, 0, 0, 0, 0, 0, 5),
                "a string persistent id that is not an 8-byte oid"));
        m.put("oid of 9 bytes in (oid, klass)", bad(pk().op('C', 9, 0, 0, 0, 0, 0, 0, 0, 0, 5).get(0).tuple2(),
                "a tuple persistent id that is not (oid, class)"));
        m.put("[7-byte oid]", bad(pk().list().op('C', 7, 0, 0, 0, 0, 0, 0, 5).append(),
                "a one-item reference list without an oid"));
        m.put("['w', (7-byte oid,)]", bad(pk().list().mark().text("w").op('C', 7, 0, 0, 0, 0, 0, 0, 5).tuple1()
                .appends(), "a 'w' reference without a proper oid and database"));
        m.put("['w', ()]", bad(pk().list().mark().text("w").op(')').appends(),
                "a 'w' reference without a proper oid and database"));
        m.put("['w', (oid, 1)]: db not a string", bad(pk().list().mark().text("w").oid(5).int1(1).tuple2()
                .appends(), "a 'w' reference without a proper oid and database"));
        // the class it carries is still reported
        m.put("['m', (1, oid, klass)]: db not a string", bad(pk().list().mark().text("m").int1(1).oid(5).get(0)
                .tuple3().appends(), "a 'm' reference without a proper oid and database",
                "MALFORMED 0x0 klass=" + KLASS));
        m.put("['n', (db, oid, klass)]", bad(pk().list().mark().text("n").text("db").oid(5).get(0).tuple3()
                .appends(), "a 'n' reference without a proper oid and database"));
        m.put("['m', oid]", bad(pk().list().mark().text("m").oid(5).appends(),
                "a 'm' reference without a proper oid and database"));
        m.put("None", bad(pk().none(), "a persistent id that is neither an oid, a tuple nor a list"));
        m.put("int", bad(pk().int1(5), "a persistent id that is neither an oid, a tuple nor a list"));
        m.put("text with a code point >= 256", bad(pk().text("\0\0\0\0\0\0\0\u0100"),
                "a string persistent id that is not an 8-byte oid"));
        m.put("text of 7 code points", bad(pk().text("\0\0\0\0\0\0\u00c9"),
                "a string persistent id that is not an 8-byte oid"));
        // longer than PickleScanner.KEEP: only its length is kept, still a string that is no oid
        m.put("long byte string", bad(pk().op('B').u4(300).raw(new byte[300]),
                "a string persistent id that is not an 8-byte oid"));
        m.put("PERSID of 3 characters", new Case(rec(pk().ascii("Pabc\n").pop().oid(6).pid()),
                List.of("MALFORMED 0x0", "OID 0x6"), r -> assertEquals(
                        "a string persistent id that is not an 8-byte oid", r.refs.get(0).problem)));
        return m;
    }

    static Case bad(Pk pidValue, String problem) {
        return bad(pidValue, problem, "MALFORMED 0x0");
    }

    static Case bad(Pk pidValue, String problem, String key) {
        byte[] rec = rec(pk().proto(2).mark().raw(pidValue.bytes()).pid().oid(6).pid().tuple());
        return new Case(rec, List.of(key, "OID 0x6"), r -> {
            assertEquals(problem, r.refs.get(0).problem);
            assertNull(r.refs.get(0).db);
        });
    }

    @Test
    void persistentClassInstance() {
        // FORMAT.md §3.1: the class pickle of an instance of a persistent class is a pid.
        byte[] rec = py("\\x80\\x03C\\x08\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x04q\\x00Q.\\x80\\x03}q\\x01.");
        Result r = scanOk(rec);
        assertEquals(List.of("OID 0x4"), r.keys());
        Ref ref = r.refs.get(0);
        assertEquals(0, ref.pickle);
        assertEquals(0, ref.index);
        assertEquals(14, ref.offset);
        assertEquals("persistent-class:0x04", r.className);
        assertFalse(r.blob);
        assertEquals(0, r.classHash);
        assertNull(r.classBytes);
        assertEquals(3, r.protocol);
        // An oid with an odd number of hex digits is printed with a leading zero.
        assertEquals("persistent-class:0x0123", scanOk(cat(pk().proto(3).oid(0x123).pid().stop().bytes(),
                pk().none().stop().bytes())).className);
        assertEquals("persistent-class:0x1234", scanOk(cat(pk().proto(3).oid(0x1234).pid().stop().bytes(),
                pk().none().stop().bytes())).className);
        // (persistent class, args) names the class too.
        assertEquals("persistent-class:0x04", scanOk(cat(pk().proto(3).oid(4).pid().op(')').tuple2().stop()
                .bytes(), pk().none().stop().bytes())).className);
    }

    @Test
    void pidOffsetsIndexesAndPickles() {
        Pk p = pk().proto(3).oid(4).put(0).pid().put(1).stop();
        int classLen = p.size();
        p.proto(3).mark().oid(5);
        int q1 = p.size();
        p.pid().oid(6).get(1).tuple2();
        int q2 = p.size();
        p.pid().ascii("Pabcdefgh");
        int q3 = p.size() - 9;
        p.ascii("\n").tuple().stop();
        Result r = scanOk(p.bytes());
        assertEquals(List.of("OID 0x4", "OID 0x5", "OID_KLASS 0x6 klass=persistent-class:0x04",
                "OID 0x6162636465666768"), r.keys());
        assertEquals(List.of(14, q1, q2, q3), r.refs.stream().map(Ref::offset).toList());
        assertEquals(List.of(0, 1, 1, 1), r.refs.stream().map(Ref::pickle).toList());
        assertEquals(List.of(0, 1, 2, 3), r.refs.stream().map(Ref::index).toList());
        assertTrue(q1 > classLen);
    }

    // ------------------------------------------------------------------ 3. real records

    /** refs-py3 record at 3551 (root, oid 0), from expected/structure.txt. */
    static final byte[] ROOT_3551 = py("\\x80\\x03cpersistent.mapping\\nPersistentMapping\\nq\\x00.\\x80\\x03}q\\x01"
            + "X\\x04\\x00\\x00\\x00dataq\\x02}q\\x03(X\\x01\\x00\\x00\\x00yq\\x04C\\x08\\x00\\x00\\x00\\x00\\x00\\x00"
            + "\\x00\\x01q\\x05h\\x00\\x86q\\x06QX\\x01\\x00\\x00\\x00zq\\x07C\\x08\\x00\\x00\\x00\\x00\\x00\\x00\\x00"
            + "\\x03q\\x08h\\x00\\x86q\\tQX\\x03\\x00\\x00\\x00clsq\\nC\\x08\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x04q"
            + "\\x0bQX\\x04\\x00\\x00\\x00instq\\x0cC\\x08\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x05q\\rQX\\x01\\x00\\x00"
            + "\\x00wq\\x0e]q\\x0f(h\\x0eh\\x05\\x85q\\x10eQX\\x05\\x00\\x00\\x00wgoneq\\x11]q\\x12(h\\x0eC\\x08\\x00"
            + "\\x00\\x00\\x00\\x00\\x00\\x00\\x06q\\x13\\x85q\\x14eQus.");

    /** refs-py3 record at 3873 (oid 3): a reference to the missing oid 0xc92d77. */
    static final byte[] Z_3873 = py("\\x80\\x03cpersistent.mapping\\nPersistentMapping\\nq\\x00.\\x80\\x03}q\\x01"
            + "X\\x04\\x00\\x00\\x00dataq\\x02}q\\x03X\\x01\\x00\\x00\\x00qq\\x04C\\x08\\x00\\x00\\x00\\x00\\x00\\xc9"
            + "-wq\\x05h\\x00\\x86q\\x06Qss.");

    /** refs-py3 record at 1669 (oid 4): a persistent class object; the state starts with h\x03. */
    static final byte[] PCLASS_1669 = py("\\x80\\x03cZODB.persistentclass\\nPersistentMetaClass\\nq\\x00(X\\x02"
            + "\\x00\\x00\\x00PCq\\x01cpersistent\\nPersistent\\nq\\x02\\x85q\\x03}q\\x04Ntq\\x05\\x86q\\x06.\\x80"
            + "\\x03h\\x03}q\\x07(X\\n\\x00\\x00\\x00__module__q\\x08X\\x00\\x00\\x00\\x00q\\tX\\x07\\x00\\x00\\x00"
            + "__doc__q\\nNu\\x86q\\x0b.");

    /** py2-proto1 record at 61923 (oid 3, an IOBTree): Py2 protocol 1, memo from 1, oids as U. */
    static final byte[] PY2_PROTO1 = py("cBTrees.IOBTree\\nIOBTree\\nq\\x00.(((U\\x08\\x00\\x00\\x00\\x00\\x00\\x00"
            + "\\x00\\x9eq\\x01cBTrees.IOBTree\\nIOBucket\\nq\\x02tq\\x03QK\\x1e(U\\x08\\x00\\x00\\x00\\x00\\x00\\x00"
            + "\\x00\\x9fq\\x04h\\x02tq\\x05QK<(U\\x08\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\xa0q\\x06h\\x02tq\\x07QKZ"
            + "(U\\x08\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\xa1q\\x08h\\x02tq\\tQKx(U\\x08\\x00\\x00\\x00\\x00\\x00\\x00"
            + "\\x00\\xa2q\\nh\\x02tq\\x0bQK\\x96(U\\x08\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\xa3q\\x0ch\\x02tq\\rQtq"
            + "\\x0e(h\\x01h\\x02tq\\x0fQtq\\x10.");

    /** py2-proto2 record at 52383 (oid 3): ZODB 5.3 on Python 2, protocol 2. */
    static final byte[] PY2_PROTO2 = py("\\x80\\x02cBTrees.IOBTree\\nIOBTree\\nq\\x00.\\x80\\x02(U\\x08\\x00\\x00"
            + "\\x00\\x00\\x00\\x00\\x00\\x9fq\\x01cBTrees.IOBTree\\nIOBucket\\nq\\x02\\x86q\\x03QK\\x1eU\\x08\\x00"
            + "\\x00\\x00\\x00\\x00\\x00\\x00\\xa0q\\x04h\\x02\\x86q\\x05QK<U\\x08\\x00\\x00\\x00\\x00\\x00\\x00\\x00"
            + "\\xa1q\\x06h\\x02\\x86q\\x07QKZU\\x08\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\xa2q\\x08h\\x02\\x86q\\tQKx"
            + "U\\x08\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\xa3q\\nh\\x02\\x86q\\x0bQK\\x96U\\x08\\x00\\x00\\x00\\x00"
            + "\\x00\\x00\\x00\\xa4q\\x0ch\\x02\\x86q\\rQtq\\x0eh\\x01h\\x02\\x86q\\x0fQ\\x86q\\x10.");

    /** py2-proto3 record at 57281 (oid 3): ZODB 5.8 on Python 2, protocol 3, oids not memoised. */
    static final byte[] PY2_PROTO3 = py("\\x80\\x03cBTrees.IOBTree\\nIOBTree\\nq\\x01.\\x80\\x03(C\\x08\\x00\\x00"
            + "\\x00\\x00\\x00\\x00\\x00\\x9fcBTrees.IOBTree\\nIOBucket\\nq\\x02\\x86QK\\x1eC\\x08\\x00\\x00\\x00\\x00"
            + "\\x00\\x00\\x00\\xa0h\\x02\\x86QK<C\\x08\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\xa1h\\x02\\x86QKZC\\x08"
            + "\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\xa2h\\x02\\x86QKxC\\x08\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\xa3h"
            + "\\x02\\x86QK\\x96C\\x08\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\xa4h\\x02\\x86QtC\\x08\\x00\\x00\\x00\\x00"
            + "\\x00\\x00\\x00\\x9fh\\x02\\x86Q\\x86q\\x03.");

    /** weakrefs record at 1025 (oid 4): a PersistentWeakKeyDictionary, the 'w' from the memo. */
    static final byte[] WEAKKEYDICT = py("\\x80\\x03cpersistent.wref\\nPersistentWeakKeyDictionary\\nq\\x00.\\x80"
            + "\\x03}q\\x01X\\x04\\x00\\x00\\x00dataq\\x02]q\\x03(]q\\x04(X\\x01\\x00\\x00\\x00wq\\x05C\\x08\\x00\\x00"
            + "\\x00\\x00\\x00\\x00\\x00\\x06q\\x06\\x85q\\x07eQK\\x00\\x86q\\x08]q\\t(h\\x05C\\x08\\x00\\x00\\x00\\x00"
            + "\\x00\\x00\\x00\\x07q\\n\\x85q\\x0beQK\\x01\\x86q\\x0c]q\\r(h\\x05C\\x08\\x00\\x00\\x00\\x00\\x00\\x00"
            + "\\x00\\x08q\\x0e\\x85q\\x0feQK\\x02\\x86q\\x10es.");

    /** multidb main records at 4245, 4565, 4756: 'm', 'w' with a db, 'n'. */
    static final byte[] MULTI_M = py("\\x80\\x03ccorpusapp\\nItem\\nq\\x00.\\x80\\x03}q\\x01(X\\x05\\x00\\x00\\x00"
            + "titleq\\x02X\\x05\\x00\\x00\\x00doc 1q\\x03X\\r\\x00\\x00\\x00catalog_entryq\\x04]q\\x05(X\\x01\\x00"
            + "\\x00\\x00mq\\x06X\\x07\\x00\\x00\\x00catalogq\\x07C\\x08\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x02q\\x08"
            + "h\\x00\\x87q\\teQu.");
    static final byte[] MULTI_W = py("\\x80\\x03ccorpusapp\\nItem\\nq\\x00.\\x80\\x03}q\\x01(X\\x05\\x00\\x00\\x00"
            + "titleq\\x02X\\x05\\x00\\x00\\x00doc 4q\\x03X\\x04\\x00\\x00\\x00wrefq\\x04]q\\x05(X\\x01\\x00\\x00\\x00"
            + "wq\\x06C\\x08\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x02q\\x07X\\x07\\x00\\x00\\x00catalogq\\x08\\x86q\\teQu.");
    static final byte[] MULTI_N = py("\\x80\\x03ccorpusapp\\nItem\\nq\\x00.\\x80\\x03}q\\x01(X\\x05\\x00\\x00\\x00"
            + "titleq\\x02X\\x05\\x00\\x00\\x00doc 3q\\x03X\\x07\\x00\\x00\\x00newargsq\\x04]q\\x05(X\\x01\\x00\\x00"
            + "\\x00nq\\x06X\\x07\\x00\\x00\\x00catalogq\\x07C\\x08\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x05q\\x08\\x86q"
            + "\\teQu.");

    /** oidonly record at 208 (root): a bare oid and an (oid, klass). */
    static final byte[] OIDONLY_ROOT = py("\\x80\\x03cpersistent.mapping\\nPersistentMapping\\nq\\x00.\\x80\\x03}q"
            + "\\x01X\\x04\\x00\\x00\\x00dataq\\x02}q\\x03(X\\x02\\x00\\x00\\x00naq\\x04C\\x08\\x00\\x00\\x00\\x00\\x00"
            + "\\x00\\x00\\x02q\\x05QX\\x06\\x00\\x00\\x00holderq\\x06C\\x08\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x03q"
            + "\\x07ccorpusapp\\nItem\\nq\\x08\\x86q\\tQus.");

    static final byte[] BLOB_PY3 = py("\\x80\\x03cZODB.blob\\nBlob\\nq\\x00.\\x80\\x03N.");
    static final byte[] BLOB_PY2 = py("cZODB.blob\\nBlob\\nq\\x01.N.");

    static List<byte[]> realRecords() {
        return List.of(ROOT_3551, Z_3873, PCLASS_1669, PY2_PROTO1, PY2_PROTO2, PY2_PROTO3, WEAKKEYDICT, MULTI_M,
                MULTI_W, MULTI_N, OIDONLY_ROOT, BLOB_PY3, BLOB_PY2,
                py("\\x80\\x03C\\x08\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x04q\\x00Q.\\x80\\x03}q\\x01."));
    }

    @Test
    void format31PersistentMapping() {
        byte[] rec = py("\\x80\\x03cpersistent.mapping\\nPersistentMapping\\nq\\x00.\\x80\\x03}q\\x01X\\x04\\x00"
                + "\\x00\\x00dataq\\x02}q\\x03s.");
        Result r = scanOk(rec);
        assertEquals(List.of(), r.refs);
        assertEquals("persistent.mapping.PersistentMapping", r.className);
        assertEquals(3, r.protocol);
        assertEquals(0, r.trailing);
        assertFalse(r.blob);
        assertArrayEquals("persistent.mapping\nPersistentMapping".getBytes(ISO_8859_1), r.classBytes);
    }

    @Test
    void format32Blobs() {
        assertEquals(25, BLOB_PY3.length);
        for (byte[] rec : List.of(BLOB_PY3, BLOB_PY2)) {
            Result r = scanOk(rec);
            assertTrue(r.blob);
            assertEquals("ZODB.blob.Blob", r.className);
            assertEquals(List.of(), r.refs);
        }
        assertEquals(3, scanOk(BLOB_PY3).protocol);
        assertEquals(0, scanOk(BLOB_PY2).protocol);
        // Not a blob: another class of module ZODB.blob, or the Blob class inside a tuple.
        assertFalse(scanOk(py("\\x80\\x03cZODB.blob\\nBlobFile\\nq\\x00.\\x80\\x03N.")).blob);
        assertFalse(scanOk(py("\\x80\\x03cZODB.blob\\nBlob\\nq\\x00N\\x86.\\x80\\x03N.")).blob);
    }

    @Test
    void format32ClassMetadataForms() {
        // 2: (klass, newargs)
        Result r = scanOk(py("\\x80\\x03c__main__\\nNA\\nq\\x00)\\x86q\\x01.\\x80\\x03N."));
        assertEquals("__main__.NA", r.className);
        assertEquals(0, r.classHash);
        assertNull(r.classBytes);
        // 3: ((module, name), None) as text, and as Py2 byte strings
        assertEquals("mod.Cls", scanOk(cat(pk().proto(3).text("mod").text("Cls").tuple2().none().tuple2().stop()
                .bytes(), pk().none().stop().bytes())).className);
        assertEquals("mod.Cls", scanOk(cat(pk().mark().mark().str("mod").str("Cls").tuple().none().tuple().stop()
                .bytes(), pk().none().stop().bytes())).className);
        // 5: (klass, None)
        assertEquals(KLASS, scanOk(cat(pk().global("mod", "Klass").none().tuple2().stop().bytes(),
                pk().none().stop().bytes())).className);
        // STACK_GLOBAL (protocol 4)
        Result sg = scanOk(cat(pk().proto(4).text1("mod").text1("Klass").op(0x93).stop().bytes(),
                pk().proto(4).none().stop().bytes()));
        assertEquals(KLASS, sg.className);
        assertArrayEquals("mod\nKlass".getBytes(ISO_8859_1), sg.classBytes);
        // persistent class object: (PersistentMetaClass, ('PC', (Persistent,), {...})); the state
        // pickle starts with h\x03, a memo slot of the class pickle.
        Result pc = scanOk(PCLASS_1669);
        assertEquals("ZODB.persistentclass.PersistentMetaClass", pc.className);
        assertEquals(List.of(), pc.refs);
        // anything else has no class name
        assertNull(scanOk(cat(pk().int1(1).stop().bytes(), pk().none().stop().bytes())).className);
        assertNull(scanOk(cat(pk().op(')').stop().bytes(), pk().none().stop().bytes())).className);
    }

    @Test
    void classHashIsAndBytes() {
        PickleScanner s = new PickleScanner();
        assertTrue(s.scan(ROOT_3551, 0, ROOT_3551.length, ReferenceSink.NONE));
        long h = s.classHash();
        assertNotEquals(0, h);
        assertTrue(s.classIs("persistent.mapping\nPersistentMapping".getBytes(ISO_8859_1)));
        assertFalse(s.classIs("persistent.mapping\nPersistentMappin".getBytes(ISO_8859_1)));
        assertFalse(s.classIs("persistent.mapping.PersistentMapping".getBytes(ISO_8859_1)));
        assertFalse(s.isBlob());
        byte[] other = cat(pk().proto(2).global("persistent.mapping", "PersistentMapping").stop().bytes(),
                pk().none().stop().bytes());
        PickleScanner t = new PickleScanner();
        assertTrue(t.scan(other, 0, other.length, ReferenceSink.NONE));
        assertEquals(h, t.classHash(), "same class, same hash");
        assertTrue(s.scan(BLOB_PY3, 0, BLOB_PY3.length, ReferenceSink.NONE));
        assertNotEquals(h, s.classHash());
        assertTrue(s.classIs("ZODB.blob\nBlob".getBytes(ISO_8859_1)));
        assertArrayEquals("ZODB.blob\nBlob".getBytes(ISO_8859_1), s.classBytes());
    }

    /**
     * GLOBAL reads its two lines eight bytes at a time, and classHash hashes eight at a time:
     * names of every length up to 40 give the class, a name cut before its newline is truncated,
     * and the hash depends on the name only (alone, embedded, or built by STACK_GLOBAL).
     */
    @Test
    void globalNamesOfEveryLength() {
        java.util.Set<Long> hashes = new java.util.HashSet<>();
        for (int len = 1; len <= 40; len++) {
            String module = "abcdefghijklmnopqrstuvwxyz0123456789ABCD".substring(0, len);
            String name = "K" + module;
            byte[] rec = cat(pk().proto(2).global(module, name).stop().bytes(), pk().none().stop().bytes());
            Result r = scanOk(rec);
            assertEquals(module + "." + name, r.className, "len " + len);
            byte[] stacked = cat(pk().proto(4).text1(module).text1(name).op(0x93).stop().bytes(),
                    pk().none().stop().bytes());
            Result q = scanOk(stacked);
            assertEquals(r.className, q.className);
            assertEquals(r.classHash, q.classHash, "GLOBAL and STACK_GLOBAL, len " + len);
            assertTrue(hashes.add(r.classHash), "a new hash for len " + len);
            int firstNewline = 3 + len;
            byte[] cut = Arrays.copyOf(rec, firstNewline);
            assertEquals("pickle data was truncated (no newline)", scanBad(cut).error, "len " + len);
            // newlines right after the cut must not be seen
            byte[] lines = new byte[cut.length + 16];
            Arrays.fill(lines, (byte) '\n');
            System.arraycopy(cut, 0, lines, 0, cut.length);
            assertEquals("pickle data was truncated (no newline)", run(new PickleScanner(), lines, 0, cut.length).error,
                    "len " + len);
        }
    }

    @Test
    void format34RootRecordAt3551() {
        assertEquals(221, ROOT_3551.length);
        Result r = scanOk(ROOT_3551);
        String pm = "persistent.mapping.PersistentMapping";
        assertEquals(List.of("OID_KLASS 0x1 klass=" + pm, "OID_KLASS 0x3 klass=" + pm, "OID 0x4", "OID 0x5",
                "WEAK 0x1", "WEAK 0x6"), r.keys());
        // offsets of the Q opcodes, as pickletools.genops gives them
        assertEquals(List.of(88, 114, 137, 161, 182, 217), r.refs.stream().map(Ref::offset).toList());
        assertTrue(r.refs.stream().allMatch(x -> x.pickle == 1 && x.db == null && x.problem == null));
        assertEquals(pm, r.className);
        assertEquals(3, r.protocol);
    }

    @Test
    void realRecordsFromTheCorpus() {
        assertEquals(List.of("OID_KLASS 0xc92d77 klass=persistent.mapping.PersistentMapping"), scanOk(Z_3873).keys());
        String bucket = "klass=BTrees.IOBTree.IOBucket";
        List<String> proto1 = List.of("OID_KLASS 0x9e " + bucket, "OID_KLASS 0x9f " + bucket,
                "OID_KLASS 0xa0 " + bucket, "OID_KLASS 0xa1 " + bucket, "OID_KLASS 0xa2 " + bucket,
                "OID_KLASS 0xa3 " + bucket, "OID_KLASS 0x9e " + bucket);
        Result p1 = scanOk(PY2_PROTO1);
        assertEquals(proto1, p1.keys());
        assertEquals("BTrees.IOBTree.IOBTree", p1.className);
        assertEquals(0, p1.protocol);
        List<String> later = List.of("OID_KLASS 0x9f " + bucket, "OID_KLASS 0xa0 " + bucket,
                "OID_KLASS 0xa1 " + bucket, "OID_KLASS 0xa2 " + bucket, "OID_KLASS 0xa3 " + bucket,
                "OID_KLASS 0xa4 " + bucket, "OID_KLASS 0x9f " + bucket);
        assertEquals(later, scanOk(PY2_PROTO2).keys());
        assertEquals(later, scanOk(PY2_PROTO3).keys());
        Result wk = scanOk(WEAKKEYDICT);
        assertEquals(List.of("WEAK 0x6", "WEAK 0x7", "WEAK 0x8"), wk.keys());
        assertEquals("persistent.wref.PersistentWeakKeyDictionary", wk.className);
        assertEquals(List.of("MULTI 0x2 db=catalog klass=corpusapp.Item"), scanOk(MULTI_M).keys());
        assertEquals(List.of("WEAK 0x2 db=catalog"), scanOk(MULTI_W).keys());
        assertEquals(List.of("NAMED 0x5 db=catalog"), scanOk(MULTI_N).keys());
        assertEquals(List.of("OID 0x2", "OID_KLASS 0x3 klass=corpusapp.Item"), scanOk(OIDONLY_ROOT).keys());
    }

    // ------------------------------------------------------------------ 4. errors

    @Test
    void truncatedAtEveryPosition() {
        List<byte[]> records = new ArrayList<>(realRecords());
        records.add(PickleWarmup.record());
        for (Case c : opcodeCases().values()) {
            if (scan(c.record).ok) {
                records.add(c.record);
            }
        }
        assertTimeoutPreemptively(Duration.ofSeconds(30), () -> {
            PickleScanner s = new PickleScanner();
            for (byte[] rec : records) {
                List<String> full = run(s, rec, 0, rec.length).keys();
                for (int cut = 0; cut < rec.length; cut++) {
                    // alone: the array ends at the cut
                    byte[] prefix = Arrays.copyOf(rec, cut);
                    checkTruncated(run(s, prefix, 0, cut), full, cut, rec);
                    // in place: valid bytes follow the cut and must not be read
                    checkTruncated(run(s, rec, 0, cut), full, cut, rec);
                    Result r = scan(prefix);
                    assertFalse(r.ok);
                }
            }
        });
    }

    static void checkTruncated(Result r, List<String> full, int cut, byte[] rec) {
        String where = "cut at " + cut + " of " + hex(rec);
        assertFalse(r.ok, where);
        assertNotNull(r.error, where);
        assertTrue(r.errorOffset >= 0 && r.errorOffset <= cut, where + ": errorOffset " + r.errorOffset);
        List<String> keys = r.keys();
        assertEquals(full.subList(0, keys.size()), keys, where);
    }

    @Test
    void emptyRecord() {
        Result r = scanBad(new byte[0]);
        assertEquals("pickle data was truncated", r.error);
        assertEquals(0, r.errorOffset);
        assertNull(r.className);
    }

    @Test
    void invalidLoadKeyAtEveryUnusedByte() {
        Set<Integer> used = new java.util.HashSet<>();
        for (Opcode op : Opcode.values()) {
            assertTrue(used.add(op.code()), "duplicate code " + op);
            assertEquals(op, Opcode.of(op.code()));
        }
        assertEquals(68, used.size());
        for (int b = 0; b < 256; b++) {
            if (used.contains(b)) {
                continue;
            }
            assertNull(Opcode.of(b));
            Pk p = cls().proto(2).oid(7).get(0).tuple2().pid();
            int at = p.size();
            byte[] rec = p.op(b).stop().bytes();
            Result r = scanBad(rec);
            assertTrue(r.error.contains("invalid load key"), r.error);
            assertEquals(String.format("invalid load key, '\\x%02x'", b), r.error);
            assertEquals(at, r.errorOffset, "offset of byte " + b);
            assertEquals(List.of(ok(7)), r.keys(), "refs before the error are reported");
        }
        // in the class pickle, at offset 0
        Result r = scanBad(py("\\xff\\x80\\x03N.\\x80\\x03N."));
        assertEquals("invalid load key, '\\xff'", r.error);
        assertEquals(0, r.errorOffset);
    }

    @Test
    void stackUnderflow() {
        List<Pk> states = List.of(
                pk().proto(2),                                 // STOP on an empty stack
                pk().pop(),                                    // POP on an empty stack
                pk().op('2'),                                  // DUP
                pk().pid(),                                    // BINPERSID
                pk().put(1),                                   // BINPUT
                pk().longPut(1),                               // LONG_BINPUT
                pk().ascii("p1\n"),                            // PUT
                pk().oid(1).tuple2(),                          // TUPLE2 with one item
                pk().int1(1).int1(2).mark().int1(3).tuple2(),  // TUPLE2 across a mark
                pk().int1(1).mark().tuple1(),                  // TUPLE1 on a mark
                pk().mark().tuple3(),
                pk().int1(1).append(),                         // APPEND without a list below
                pk().list().mark().int1(1).append(),           // APPEND: the list is below the mark
                pk().op('}').int1(1).op('s'),                  // SETITEM with one item
                pk().op('}').mark().int1(1).int1(2).op('s'),   // SETITEM: the dict is below the mark
                pk().mark().op('u'),                           // SETITEMS without a dict
                pk().mark().appends(),                         // APPENDS without a list
                pk().mark().op(0x90),                          // ADDITEMS without a set
                pk().op('}').op('b'),                          // BUILD with one item
                pk().op(')').op('R'),                          // REDUCE with one item
                pk().op(')').op(0x81),                         // NEWOBJ with one item
                pk().op(')', '}').op(0x92),                    // NEWOBJ_EX with two items
                pk().mark().op('o'),                           // OBJ without a class
                pk().text1("x").op(0x93),                      // STACK_GLOBAL with one item
                pk().op(0x96).u8(0).mark().op(0x98),           // READONLY_BUFFER on a mark
                pk().int1(1).mark());                          // STOP with only a mark on top
        for (Pk state : states) {
            byte[] rec = cat(cls().bytes(), state.stop().bytes());
            Result r = scanBad(rec);
            assertEquals("unpickling stack underflow", r.error, () -> hex(rec));
        }
        // BINPERSID as the first opcode of the class pickle
        Result r = scanBad(py("Q."));
        assertEquals("unpickling stack underflow", r.error);
    }

    @Test
    void missingMark() {
        for (int op : new int[] {'t', 'l', 'd', 'u', 'e', 0x90, 0x91, '1', 'o'}) {
            Result r = scanBad(cat(cls().bytes(), pk().int1(1).int1(2).op(op).stop().bytes()));
            assertEquals("could not find MARK", r.error, "opcode " + (char) op);
        }
        Result inst = scanBad(cat(cls().bytes(), pk().int1(1).ascii("imod\nKlass\n").stop().bytes()));
        assertEquals("could not find MARK", inst.error);
    }

    @Test
    void absentMemoSlot() {
        assertEquals("Memo value not found at index 5", scanBad(rec(pk().get(5))).error);
        assertEquals("Memo value not found at index 1", scanBad(rec(pk().get(1))).error);
        assertEquals("Memo value not found at index 7", scanBad(rec(pk().ascii("g7\n"))).error);
        assertEquals("Memo value not found at index 4294967295", scanBad(rec(pk().longGet(0xffffffffL))).error);
        assertEquals("Memo value not found at index 16777216", scanBad(rec(pk().longGet(1 << 24))).error);
        // Py2 numbers from 1: slot 0 was never written
        assertEquals("Memo value not found at index 0", scanBad(cat(pk().global("mod", "Klass").put(1).stop()
                .bytes(), pk().get(0).stop().bytes())).error);
        assertEquals("invalid memo index", scanBad(rec(pk().ascii("g-1\n"))).error);
        assertEquals("invalid memo index", scanBad(rec(pk().ascii("g\n"))).error);
        assertEquals("invalid memo index", scanBad(rec(pk().int1(1).ascii("px\n"))).error);
    }

    @Test
    void protocols() {
        Result r = scanBad(cat(pk().proto(6).none().stop().bytes(), pk().none().stop().bytes()));
        assertEquals("unsupported pickle protocol: 6", r.error);
        assertEquals(2, r.errorOffset);
        assertEquals("unsupported pickle protocol: 255", scanBad(cat(cls().bytes(), pk().proto(255).none().stop()
                .bytes())).error);
        for (int p = 0; p <= 5; p++) {
            Result ok = scanOk(cat(pk().proto(p).global("mod", "Klass").stop().bytes(), pk().proto(p > 0 ? p - 1 : 0)
                    .none().stop().bytes()));
            assertEquals(p, ok.protocol, "highest PROTO seen");
        }
    }

    @Test
    void oddItems() {
        Result r = scanBad(rec(pk().op('}').mark().int1(1).int1(2).int1(3).op('u')));
        assertEquals("odd number of items for SETITEMS", r.error);
        assertEquals("odd number of items for DICT", scanBad(rec(pk().mark().int1(1).op('d'))).error);
    }

    @Test
    void onlyOnePickle() {
        byte[] rec = cls().bytes();
        Result r = scanBad(rec);
        assertEquals("the record holds only one pickle (the object state is missing)", r.error);
        assertEquals(rec.length, r.errorOffset);
        assertEquals(KLASS, r.className, "the class pickle was read");
        // the reference in a persistent class instance's class pickle is still reported
        Result pc = scanBad(py("\\x80\\x03C\\x08\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x04q\\x00Q."));
        assertEquals(List.of("OID 0x4"), pc.keys());
    }

    @Test
    void refsBeforeAnErrorAreReported() {
        // a pid in each pickle, then a GET of an absent slot
        byte[] rec = cat(pk().proto(3).oid(4).pid().put(0).stop().bytes(),
                pk().proto(3).mark().oid(5).get(0).tuple2().pid().list().mark().text("w").oid(6).tuple1().appends()
                        .pid().get(99).tuple().stop().bytes());
        Result r = scanBad(rec);
        assertEquals("Memo value not found at index 99", r.error);
        assertEquals(List.of("OID 0x4", "OID_KLASS 0x5 klass=persistent-class:0x04", "WEAK 0x6"), r.keys());
        assertEquals("persistent-class:0x04", r.className);
    }

    /**
     * BINUNICODE text of every length up to 40 with a byte that is not ASCII at every position:
     * the record fails exactly when that byte is invalid, and the text's last byte is the
     * record's last before the STOP or the array's end (the scanner tests eight bytes at a time).
     */
    @Test
    void binunicodeWithABadByteAtEveryPosition() {
        for (int len = 0; len <= 40; len++) {
            for (int at = -1; at < len; at++) {
                byte[] text = new byte[len];
                Arrays.fill(text, (byte) 'x');
                if (at >= 0) {
                    text[at] = (byte) 0xff;
                }
                Pk p = cls().proto(3).op('X').u4(len);
                int textAt = p.size();
                byte[] rec = p.raw(text).stop().bytes();
                Result r = scan(rec);
                String where = "len " + len + " at " + at;
                if (at < 0) {
                    assertTrue(r.ok, where + ": " + r.error);
                } else {
                    assertEquals("'utf-8' codec can't decode the text at offset " + textAt, r.error, where);
                }
                // cut inside the text: truncated, whatever the bytes after the cut
                if (len > 0) {
                    byte[] cut = Arrays.copyOf(rec, textAt + len - 1);
                    assertEquals("pickle data was truncated", scan(cut).error, where);
                }
            }
        }
    }

    @Test
    void otherErrors() {
        // bad UTF-8 in BINUNICODE and SHORT_BINUNICODE and BINUNICODE8: offset of the text
        Pk p = cls().proto(2).op('X').u4(2);
        int at = p.size();
        Result r = scanBad(p.op(0xc0, 0x80).stop().bytes());
        assertEquals("'utf-8' codec can't decode the text at offset " + at, r.error);
        assertTrue(scanBad(rec(pk().op(0x8c, 1, 0xff))).error.startsWith("'utf-8' codec can't decode"));
        assertTrue(scanBad(rec(pk().op(0x8d).u8(1).op(0x80))).error.startsWith("'utf-8' codec can't decode"));
        // STRING
        assertEquals("the STRING opcode argument must be quoted", scanBad(rec(pk().ascii("Sabc\n"))).error);
        assertEquals("the STRING opcode argument must be quoted", scanBad(rec(pk().ascii("S'abc\"\n"))).error);
        assertEquals("the STRING opcode argument must be quoted", scanBad(rec(pk().ascii("S'\n"))).error);
        assertEquals("invalid escape in STRING argument", scanBad(rec(pk().ascii("S'\\x4'\n"))).error);
        // UNICODE
        assertEquals("invalid \\u escape in UNICODE argument", scanBad(rec(pk().ascii("V\\u00e\n"))).error);
        // negative counts
        assertEquals("BINSTRING pickle has negative byte count", scanBad(rec(pk().op('T').u4(-1))).error);
        assertEquals("LONG pickle has negative byte count", scanBad(rec(pk().op(0x8b).u4(-2))).error);
        // lengths beyond the record: no allocation, just "truncated"
        assertEquals("pickle data was truncated", scanBad(rec(pk().op('X').u4(0xffffffffL))).error);
        assertEquals("pickle data was truncated", scanBad(rec(pk().op('B').u4(0x7fffffffL))).error);
        assertEquals("pickle data was truncated", scanBad(rec(pk().op(0x8e).u8(Long.MIN_VALUE))).error);
        assertEquals("pickle data was truncated", scanBad(rec(pk().op(0x8d).u8(-1L))).error);
        assertEquals("pickle data was truncated", scanBad(rec(pk().op(0x96).u8(1L << 40))).error);
        assertEquals("FRAME length exceeds the record", scanBad(rec(pk().op(0x95).u8(100))).error);
        assertEquals("FRAME length exceeds the record", scanBad(rec(pk().op(0x95).u8(-1L))).error);
        // text arguments without their newline
        assertEquals("pickle data was truncated (no newline)", scanBad(cat(cls().bytes(), pk().ascii("Pabc")
                .bytes())).error);
        assertEquals("pickle data was truncated (no newline)", scanBad(cat(cls().bytes(), pk().ascii("cmod\nK")
                .bytes())).error);
        // STACK_GLOBAL needs strings
        assertEquals("STACK_GLOBAL requires str", scanBad(rec(pk().int1(1).int1(2).op(0x93))).error);
    }

    @Test
    void depthLimits() {
        int n = PickleScanner.MAX_DEPTH;
        byte[] marks = new byte[n + 1];
        Arrays.fill(marks, (byte) '(');
        Result r = scanBad(marks);
        assertEquals("pickle marks nested deeper than " + n, r.error);
        byte[] nones = new byte[n + 1];
        Arrays.fill(nones, (byte) 'N');
        assertEquals("pickle stack deeper than " + n, scanBad(nones).error);
        // just below the limit is fine
        byte[] deep = new byte[n - 64];
        Arrays.fill(deep, (byte) '(');
        Pk ok = pk().raw(deep).none().stop().none().stop();
        assertTrue(scanOk(ok.bytes()).ok);
    }

    @Test
    void hugeMemoIndexesDoNotAllocate() {
        // a record with LONG_BINPUT/LONG_BINGET far beyond its length
        byte[] rec = cat(pk().proto(2).global("mod", "Klass").longPut(0xffffffffL).longPut(0x00ffffffL)
                        .longPut(1 << 24).stop().bytes(),
                pk().proto(2).oid(7).longPut(0xfffffffeL).pop().longGet(0xfffffffeL).longGet(0xffffffffL).tuple2()
                        .pid().longGet(0x00ffffffL).longGet(1 << 24).tuple2().pop().stop().bytes());
        assertEquals(List.of(ok(7)), scanOk(rec).keys());
        java.lang.management.ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        assumeTrue(mx instanceof com.sun.management.ThreadMXBean);
        com.sun.management.ThreadMXBean tmx = (com.sun.management.ThreadMXBean) mx;
        assumeTrue(tmx.isThreadAllocatedMemorySupported() && tmx.isThreadAllocatedMemoryEnabled());
        long id = Thread.currentThread().getId();
        long before = tmx.getThreadAllocatedBytes(id);
        // a new scanner and ten scans: a memo array sized by slot 0x00ffffff alone would be 128 MB
        PickleScanner s = new PickleScanner();
        for (int i = 0; i < 10; i++) {
            assertTrue(s.scan(rec, 0, rec.length, ReferenceSink.NONE));
        }
        long allocated = tmx.getThreadAllocatedBytes(id) - before;
        assertTrue(allocated < 1 << 20, "a scanner and 10 scans allocated " + allocated + " bytes");
    }

    // ------------------------------------------------------------------ 5. memo semantics

    @Test
    void listMemoisedBeforeAppendsSeesTheItems() {
        // the list goes to slot 5 while empty, is filled, popped, and fetched back as the pid
        assertEquals(List.of("WEAK 0x7"), scanOk(rec(pk().list().put(5).mark().text("w").oid(7).tuple1().appends()
                .pop().get(5).pid())).keys());
        // the same with APPEND, and with a DUP of the list
        assertEquals(List.of("WEAK 0x7"), scanOk(rec(pk().list().op('2').text("w").append().oid(7).tuple1()
                .append().pop().pid())).keys());
        assertEquals(List.of("WEAK 0x7 db=db"), scanOk(rec(pk().list().put(5).text("w").append().pop()
                .get(5).oid(7).text("db").tuple2().append().pid())).keys());
        // a pid list memoised and used twice gives two references
        assertEquals(List.of("LIST 0x7", "LIST 0x7"), scanOk(rec(pk().mark().list().put(5).oid(7).append().pid()
                .get(5).pid().tuple())).keys());
        // a list that got a fourth item is no pid any more, though memoised before
        Result r = scanOk(rec(pk().list().put(5).mark().text("w").oid(7).appends().pop().get(5).mark().int1(1)
                .int1(2).appends().pid()));
        assertEquals(List.of("MALFORMED 0x0"), r.keys());
        assertEquals("a reference list of 4 items", r.refs.get(0).problem);
        // a tuple is immutable: appending to something that is not a list drops the items
        assertEquals(List.of(ok(7)), scanOk(rec(pk().oid(7).get(0).tuple2().put(5).int1(1).append().pid()))
                .keys());
    }

    @Test
    void memoizeNumberingContinuesAcrossPickles() {
        // class pickle: slots 0, 1, 2 (module, name, global); state: 3 (oid), 4 (list)
        byte[] rec = cat(pk().proto(4).text1("mod").op(0x94).text1("Klass").op(0x94).op(0x93).op(0x94).stop().bytes(),
                pk().proto(4).oid(7).op(0x94).pop().get(3).get(2).tuple2().pid()
                        .list().op(0x94).pop().get(4).get(3).append().pid()
                        .get(0).get(1).op(0x93).pop().stop().bytes());
        Result r = scanOk(rec);
        assertEquals(List.of(ok(7), "LIST 0x7"), r.keys());
        assertEquals(KLASS, r.className);
        // MEMOIZE uses the number of entries, not the highest slot: slots 0 and 9 are taken, so
        // MEMOIZE writes slot 2
        byte[] gaps = cat(pk().proto(4).global("mod", "Klass").put(0).stop().bytes(),
                pk().proto(4).int1(1).put(9).oid(7).op(0x94).pop().get(2).get(0).tuple2().pid().stop().bytes());
        assertEquals(List.of(ok(7)), scanOk(gaps).keys());
        // overwriting a slot does not count as a new entry
        byte[] over = cat(pk().proto(4).global("mod", "Klass").put(0).put(0).stop().bytes(),
                pk().proto(4).oid(7).op(0x94).pop().get(1).get(0).tuple2().pid().stop().bytes());
        assertEquals(List.of(ok(7)), scanOk(over).keys());
    }

    @Test
    void putOverwritesAndGetSeesTheLastValue() {
        assertEquals(List.of(ok(8)), scanOk(rec(pk().oid(7).put(5).pop().oid(8).put(5).pop().get(5).get(0)
                .tuple2().pid())).keys());
    }

    @Test
    void memoIsPerRecord() {
        PickleScanner s = new PickleScanner();
        byte[] a = rec(pk().oid(7).put(1).longPut(5000).longPut(0xffffffffL).ascii("p123\n").pid());
        assertTrue(run(s, a, 0, a.length).ok);
        for (Pk get : List.of(pk().get(1), pk().longGet(5000), pk().longGet(0xffffffffL), pk().ascii("g123\n"))) {
            byte[] b = rec(get);
            Result r = run(s, b, 0, b.length);
            assertFalse(r.ok);
            assertTrue(r.error.startsWith("Memo value not found at index"), r.error);
        }
        // a record that grew the memo array, then one that reads a slot the first one wrote
        byte[] big = rec(pk().oid(7).longPut(4500).pop().op('B').u4(5000).raw(new byte[5000]).pop().none());
        assertTrue(run(s, big, 0, big.length).ok);
        byte[] get = rec(pk().longGet(4500));
        Result r = run(s, get, 0, get.length);
        assertEquals("Memo value not found at index 4500", r.error);
    }

    @Test
    void farSlotsStayVisibleWhenTheMemoGrows() {
        // Slot 5000 lies beyond the record (4600 bytes) when it is written, so it is kept aside;
        // slot 4100 then grows the memo array past 5000. Slot 5000 must still be found.
        byte[] pad = new byte[4500];
        byte[] rec = cat(cls().bytes(), pk().proto(2).op('B').u4(pad.length).raw(pad).pop()
                .oid(7).longPut(5000).pop().int1(1).longPut(4100).pop()
                .longGet(5000).get(0).tuple2().pid().longGet(4100).pop().stop().bytes());
        assertTrue(rec.length > 4100 && rec.length < 5000);
        assertEquals(List.of(ok(7)), scanOk(rec).keys());
        // and the other way round: a far slot overwritten once the array covers it
        byte[] rec2 = cat(cls().bytes(), pk().proto(2).op('B').u4(pad.length).raw(pad).pop()
                .int1(1).longPut(5000).pop().int1(1).longPut(4100).pop()
                .oid(7).longPut(5000).pop().longGet(5000).get(0).tuple2().pid().stop().bytes());
        assertEquals(List.of(ok(7)), scanOk(rec2).keys());
    }

    // ------------------------------------------------------------------ other results

    @Test
    void trailingBytes() {
        Result r = scanOk(cat(BLOB_PY3, py("xyz")));
        assertEquals(3, r.trailing);
        assertTrue(r.blob);
        assertEquals(0, scanOk(BLOB_PY3).trailing);
    }

    @Test
    void scannerIsReusable() {
        PickleScanner s = new PickleScanner();
        for (int round = 0; round < 3; round++) {
            for (byte[] rec : realRecords()) {
                Result fresh = run(new PickleScanner(), rec, 0, rec.length);
                Result again = run(s, rec, 0, rec.length);
                assertEquals(fresh.refs, again.refs);
                assertEquals(fresh.className, again.className);
                assertEquals(fresh.protocol, again.protocol);
                Result bad = run(s, Arrays.copyOf(rec, rec.length / 2), 0, rec.length / 2);
                assertFalse(bad.ok);
            }
        }
    }

    // ------------------------------------------------------------------ 6. warm-up record

    @Test
    void warmupRecord() {
        byte[] rec = PickleWarmup.record();
        Result r = scanOk(rec);
        // in the order the builder writes them: BINPERSID (oid, klass), ['w', (oid,)], then the
        // rare part's PERSID
        assertEquals(List.of(ok(2), "WEAK 0x1", "OID 0x6162636465666768"), r.keys());
        assertEquals(KLASS, r.className);
        assertEquals(5, r.protocol);
        assertEquals(0, r.trailing);
        List<Decoded> ops = decode(rec);
        Set<Opcode> seen = EnumSet.noneOf(Opcode.class);
        ops.forEach(d -> seen.add(d.op));
        Set<Opcode> want = EnumSet.allOf(Opcode.class);
        want.remove(Opcode.NEXT_BUFFER);
        assertEquals(want, seen);
        assertEquals(2, ops.stream().filter(d -> d.op == Opcode.STOP).count());
        assertEquals(Opcode.STOP, ops.get(ops.size() - 1).op);
        assertTrue(Arrays.equals(rec, PickleWarmup.record()) && rec != PickleWarmup.record(), "a fresh copy");
        PickleWarmup.warm(new PickleScanner(), 3);
    }

    // ------------------------------------------------------------------ 7. random records

    /** Default seed of the random-record test; {@code -Dzodbcheck.pickleSeed=N} picks another. */
    static final long DEFAULT_SEED = 0x5eed_0f_2024L;

    @Test
    void randomRecords() {
        long seed = Long.getLong("zodbcheck.pickleSeed", DEFAULT_SEED);
        Random master = new Random(seed);
        PickleScanner s = new PickleScanner();
        for (int i = 0; i < 3000; i++) {
            long recSeed = master.nextLong();
            RandomRecord g = new RandomRecord(new Random(recSeed));
            byte[] rec = g.build();
            String msg = "master seed " + seed + ", record " + i + " (seed " + recSeed + ", protocol " + g.proto
                    + "): " + hex(rec);
            int off = i % 7;
            byte[] buf = new byte[off + rec.length + 3];
            Arrays.fill(buf, (byte) '.');
            System.arraycopy(rec, 0, buf, off, rec.length);
            Result r = run(i % 2 == 0 ? s : new PickleScanner(), buf, off, rec.length);
            assertTrue(r.ok, () -> msg + "\n" + r.error + " at " + r.errorOffset);
            List<String> got = r.refs.stream().map(x -> x.key() + " #" + x.pickle + "@" + x.offset).toList();
            assertEquals(g.expected, got, msg);
            assertEquals(g.className, r.className, msg);
            assertEquals(g.proto >= 2 ? g.proto : 0, r.protocol, msg);
            assertEquals(0, r.trailing, msg);
        }
    }

    /**
     * Writes a random record of protocol 1, 2 or 3 (with protocol 0 opcodes mixed in, as
     * Python accepts them) and notes the persistent ids planted in it, in order.
     */
    static final class RandomRecord {
        static final String[] MODULES = {"app", "persistent.mapping", "BTrees.OOBTree", "a.b.c"};
        static final String[] NAMES = {"Thing", "PersistentMapping", "OOBucket", "K"};
        static final String[] DBS = {"main", "catalog", "other", "db-2", "d\u00e9b"};

        /** What a memo slot holds, as far as pids are concerned. */
        static final class Slot {
            final int index;
            final char kind; // o oid, w/m/n tag, d db name, k class, p pid value, v anything else
            final long oid;
            final String s;

            Slot(int index, char kind, long oid, String s) {
                this.index = index;
                this.kind = kind;
                this.oid = oid;
                this.s = s;
            }
        }

        final Random r;
        final int proto;
        final Pk out = new Pk();
        final List<String> expected = new ArrayList<>();
        final List<Slot> memo = new ArrayList<>();
        String className;
        int pickle;
        int nextSlot;

        RandomRecord(Random r) {
            this.r = r;
            this.proto = 1 + r.nextInt(3);
            this.nextSlot = r.nextBoolean() ? 0 : 1; // Py3 numbers from 0, Py2 from 1
        }

        byte[] build() {
            pickle = 0;
            if (proto >= 2) {
                out.proto(proto);
            }
            classPickle();
            out.stop();
            pickle = 1;
            if (proto >= 2) {
                out.proto(proto);
            }
            // usually a container, as an object's state is
            switch (r.nextInt(5)) {
                case 0, 1 -> dict(4);
                case 2 -> list(4);
                case 3 -> object(4);
                default -> value(3);
            }
            out.stop();
            return out.bytes();
        }

        boolean chance(double p) {
            return r.nextDouble() < p;
        }

        void classPickle() {
            switch (r.nextInt(8)) {
                case 0, 1, 2 -> className = klass();
                case 3 -> {
                    String[] k = new String[1];
                    tuple(() -> k[0] = klass(), () -> {
                        if (chance(0.5)) {
                            out.none();
                        } else {
                            value(2);
                        }
                    });
                    className = k[0];
                    maybePut('v', 0, null);
                }
                case 4 -> {
                    String module = MODULES[r.nextInt(MODULES.length)];
                    String name = NAMES[r.nextInt(NAMES.length)];
                    boolean text = chance(0.5);
                    tuple(() -> tuple(() -> string(module, text), () -> string(name, text)), () -> out.none());
                    className = module + "." + name;
                }
                default -> {
                    // an instance of a persistent class: the class is a bare-oid pid
                    long oid = randomOid();
                    boolean args = chance(0.3);
                    if (args) {
                        tuple(() -> persistentClass(oid), () -> value(1));
                    } else {
                        persistentClass(oid);
                    }
                    String hex = Long.toHexString(oid);
                    className = "persistent-class:0x" + (hex.length() % 2 == 1 ? "0" : "") + hex;
                }
            }
        }

        void persistentClass(long oid) {
            bytesOid(oid);
            maybePut('o', oid, null);
            q("OID 0x" + Long.toHexString(oid));
        }

        /** BINPERSID of what is on the stack, expected to give {@code key}. */
        void q(String key) {
            expected.add(key + " #" + pickle + "@" + out.size());
            out.pid();
        }

        void string(String s, boolean text) {
            if (text) {
                out.text(s);
            } else {
                out.str(s);
            }
        }

        /** Pushes exactly one value. */
        void value(int depth) {
            noise();
            int k = r.nextInt(depth > 0 ? 13 : 6);
            switch (k) {
                case 0 -> integer();
                case 1 -> scalar();
                case 2 -> randomString();
                case 3 -> {
                    Slot s = memo.isEmpty() ? null : memo.get(r.nextInt(memo.size()));
                    if (s == null) {
                        out.none();
                    } else {
                        get(s);
                    }
                    return;
                }
                case 4, 5 -> pid();
                case 6 -> {
                    int n = r.nextInt(5);
                    Runnable[] items = new Runnable[n];
                    Arrays.fill(items, (Runnable) () -> value(depth - 1));
                    tuple(items);
                }
                case 7, 8 -> list(depth);
                case 9, 10 -> dict(depth);
                case 11 -> object(depth);
                default -> pid();
            }
            maybePut('v', 0, null);
            noise();
        }

        /** Opcode sequences with no net stack effect. */
        void noise() {
            if (!chance(0.1)) {
                return;
            }
            switch (r.nextInt(6)) {
                case 0 -> out.int1(r.nextInt(256)).pop();
                case 1 -> out.mark().int1(1).none().op('1');
                case 2 -> out.mark().pop();
                case 3 -> out.none().op('2').pop().pop();
                case 4 -> out.mark().op('1');
                default -> {
                    if (proto >= 2) {
                        out.op(0x88).pop();
                    } else {
                        out.ascii("I00\n").pop();
                    }
                }
            }
        }

        void integer() {
            switch (r.nextInt(proto >= 2 ? 7 : 5)) {
                case 0 -> out.op('K', r.nextInt(256));
                case 1 -> out.op('M', r.nextInt(256), r.nextInt(256));
                case 2 -> out.op('J').u4(r.nextInt());
                case 3 -> out.ascii("I" + r.nextInt() + "\n");
                case 4 -> out.ascii("L" + r.nextLong() + "L\n");
                case 5 -> {
                    int n = r.nextInt(10);
                    out.op(0x8a, n);
                    for (int i = 0; i < n; i++) {
                        out.op(r.nextInt(256));
                    }
                }
                default -> out.op(0x8b).u4(3).op(r.nextInt(256), r.nextInt(256), r.nextInt(256));
            }
        }

        void scalar() {
            switch (r.nextInt(5)) {
                case 0 -> out.op('G').u8(Double.doubleToLongBits(r.nextDouble()));
                case 1 -> out.ascii("F" + r.nextDouble() + "\n");
                case 2 -> out.none();
                case 3 -> out.ascii(r.nextBoolean() ? "I01\n" : "I00\n");
                default -> out.op(proto >= 2 ? (r.nextBoolean() ? 0x88 : 0x89) : 'N');
            }
        }

        void randomString() {
            int n = chance(0.05) ? 257 + r.nextInt(300) : r.nextInt(12);
            byte[] b = new byte[n];
            r.nextBytes(b);
            switch (r.nextInt(proto >= 3 ? 6 : 4)) {
                case 0 -> {
                    if (n < 256) {
                        out.op('U', n).raw(b);
                    } else {
                        out.op('T').u4(n).raw(b);
                    }
                }
                case 1 -> out.op('T').u4(n).raw(b);
                case 2 -> {
                    StringBuilder t = new StringBuilder();
                    for (int i = 0; i < n; i++) {
                        t.append((char) (r.nextBoolean() ? r.nextInt(0x800) : 0x20 + r.nextInt(0x5f)));
                    }
                    out.text(t.toString());
                }
                case 3 -> stringLiteral(b);
                case 4 -> out.op('B').u4(n).raw(b);
                default -> {
                    if (n < 256) {
                        out.op('C', n).raw(b);
                    } else {
                        out.op('B').u4(n).raw(b);
                    }
                }
            }
        }

        /** STRING with every byte escaped one way or another, or written as itself. */
        void stringLiteral(byte[] b) {
            StringBuilder s = new StringBuilder("S'");
            for (byte x : b) {
                int c = x & 0xff;
                if (c >= 0x20 && c < 0x7f && c != '\\' && c != '\'' && r.nextBoolean()) {
                    s.append((char) c);
                } else if (r.nextBoolean()) {
                    s.append(String.format("\\x%02x", c));
                } else {
                    // three digits, so that a following digit is not taken into the escape
                    s.append(String.format("\\%03o", c));
                }
            }
            out.ascii(s.append("'\n").toString());
        }

        long randomOid() {
            return switch (r.nextInt(4)) {
                case 0 -> 1 + r.nextInt(300);
                case 1 -> r.nextInt(1 << 24);
                case 2 -> r.nextLong();
                default -> 0x80L << (8 * r.nextInt(8)) | r.nextInt(256);
            };
        }

        void bytesOid(long oid) {
            switch (r.nextInt(proto >= 3 ? 5 : 3)) {
                case 0 -> out.oidU(oid);
                case 1 -> out.oidT(oid);
                case 2 -> stringLiteral(be(oid));
                case 3 -> out.oidB(oid);
                default -> out.oid(oid);
            }
        }

        /** Pushes an oid (new, or from the memo) and returns it. */
        long oid() {
            Slot s = pick('o');
            if (s != null && chance(0.3)) {
                get(s);
                return s.oid;
            }
            long oid = randomOid();
            bytesOid(oid);
            maybePut('o', oid, null);
            return oid;
        }

        /** Pushes a one-character tag as text or bytes (new, or from the memo). */
        void tag(char t) {
            Slot s = pick(t);
            if (s != null && chance(0.5)) {
                get(s);
                return;
            }
            switch (r.nextInt(5)) {
                case 0 -> out.text(String.valueOf(t));
                case 1 -> out.ascii("V" + t + "\n");
                case 2 -> out.str(String.valueOf(t));
                case 3 -> out.op('T').u4(1).op(t);
                default -> out.ascii("S'" + t + "'\n");
            }
            maybePut(t, 0, String.valueOf(t));
        }

        String db() {
            Slot s = pick('d');
            if (s != null && chance(0.4)) {
                get(s);
                return s.s;
            }
            String name = DBS[r.nextInt(DBS.length)];
            switch (r.nextInt(4)) {
                case 0 -> out.text(name);
                case 1 -> out.ascii("V" + name.replace("\u00e9", r.nextBoolean() ? "\\u00e9" : "\u00e9") + "\n");
                case 2 -> out.str(name);
                default -> out.op('T').u4(name.length()).ascii(name);
            }
            maybePut('d', 0, name);
            return name;
        }

        String klass() {
            Slot s = pick('k');
            if (s != null && chance(0.5)) {
                get(s);
                return s.s;
            }
            String module = MODULES[r.nextInt(MODULES.length)];
            String name = NAMES[r.nextInt(NAMES.length)];
            out.global(module, name);
            maybePut('k', 0, module + "." + name);
            return module + "." + name;
        }

        Slot pick(char kind) {
            List<Slot> of = memo.stream().filter(x -> x.kind == kind).toList();
            return of.isEmpty() ? null : of.get(r.nextInt(of.size()));
        }

        void get(Slot s) {
            if (s.index < 256 && chance(0.7)) {
                out.get(s.index);
            } else if (chance(0.5)) {
                out.longGet(s.index);
            } else {
                out.ascii("g" + s.index + "\n");
            }
        }

        Slot maybePut(char kind, long oid, String s) {
            if (!chance(0.35)) {
                return null;
            }
            int i = nextSlot;
            nextSlot += chance(0.05) ? 2 : 1;
            if (i < 256 && chance(0.7)) {
                out.put(i);
            } else if (chance(0.5)) {
                out.longPut(i);
            } else {
                out.ascii("p" + i + "\n");
            }
            Slot slot = new Slot(i, kind, oid, s);
            memo.add(slot);
            return slot;
        }

        /** A tuple of the values the runnables push. */
        void tuple(Runnable... items) {
            int n = items.length;
            if (n == 0 && chance(0.7)) {
                out.op(')');
                return;
            }
            boolean counted = proto >= 2 && n >= 1 && n <= 3 && chance(0.7);
            if (!counted) {
                out.mark();
            }
            for (Runnable item : items) {
                item.run();
            }
            if (counted) {
                out.op(0x84 + n);
            } else {
                out.tuple();
            }
        }

        /** A list of the values the runnables push, built one of the ways picklers do. */
        void listOf(Runnable... items) {
            switch (r.nextInt(3)) {
                case 0 -> {
                    out.mark();
                    for (Runnable item : items) {
                        item.run();
                    }
                    out.op('l');
                }
                case 1 -> {
                    out.list();
                    putList();
                    for (Runnable item : items) {
                        item.run();
                        out.append();
                    }
                }
                default -> {
                    out.list();
                    putList();
                    int i = 0;
                    while (i < items.length) {
                        int n = 1 + r.nextInt(items.length - i);
                        out.mark();
                        for (int k = 0; k < n; k++) {
                            items[i++].run();
                        }
                        out.appends();
                    }
                }
            }
        }

        /** A list memoised while still empty, as picklers do. */
        void putList() {
            if (chance(0.4)) {
                int i = nextSlot++;
                if (i < 256) {
                    out.put(i);
                } else {
                    out.longPut(i);
                }
                memo.add(new Slot(i, 'v', 0, null));
            }
        }

        void list(int depth) {
            int n = r.nextInt(depth >= 3 ? 8 : 5);
            Runnable[] items = new Runnable[n];
            Arrays.fill(items, (Runnable) () -> value(depth - 1));
            listOf(items);
        }

        void key() {
            switch (r.nextInt(3)) {
                case 0 -> integer();
                case 1 -> out.text("k" + r.nextInt(100));
                default -> out.str("k" + r.nextInt(100));
            }
        }

        void dict(int depth) {
            int n = r.nextInt(depth >= 3 ? 8 : 4);
            switch (r.nextInt(3)) {
                case 0 -> {
                    out.mark();
                    for (int i = 0; i < n; i++) {
                        key();
                        value(depth - 1);
                    }
                    out.op('d');
                }
                case 1 -> {
                    out.op('}');
                    for (int i = 0; i < n; i++) {
                        key();
                        value(depth - 1);
                        out.op('s');
                    }
                }
                default -> {
                    out.op('}');
                    out.mark();
                    for (int i = 0; i < n; i++) {
                        key();
                        value(depth - 1);
                    }
                    out.op('u');
                }
            }
        }

        /** An object: REDUCE, NEWOBJ, OBJ or INST, sometimes with BUILD. */
        void object(int depth) {
            int n = r.nextInt(3);
            Runnable[] args = new Runnable[n];
            Arrays.fill(args, (Runnable) () -> value(depth - 1));
            switch (r.nextInt(proto >= 2 ? 4 : 3)) {
                case 0 -> {
                    klass();
                    tuple(args);
                    out.op('R');
                }
                case 1 -> {
                    out.mark();
                    klass();
                    for (Runnable a : args) {
                        a.run();
                    }
                    out.op('o');
                }
                case 2 -> {
                    out.mark();
                    for (Runnable a : args) {
                        a.run();
                    }
                    out.ascii("i" + MODULES[r.nextInt(MODULES.length)] + "\n" + NAMES[r.nextInt(NAMES.length)] + "\n");
                }
                default -> {
                    klass();
                    tuple(args);
                    out.op(0x81);
                }
            }
            if (chance(0.5)) {
                dict(depth - 1);
                out.op('b');
            }
        }

        /** Plants a pid of a random form. */
        void pid() {
            String key;
            switch (r.nextInt(15)) {
                case 0, 1 -> {
                    long[] oid = new long[1];
                    String[] k = new String[1];
                    tuple(() -> oid[0] = oid(), () -> k[0] = klass());
                    key = "OID_KLASS 0x" + Long.toHexString(oid[0]) + " klass=" + k[0];
                }
                case 2 -> key = "OID 0x" + Long.toHexString(oid());
                case 3 -> {
                    // PERSID: 8 characters, not followed by BINPERSID
                    StringBuilder s = new StringBuilder();
                    for (int i = 0; i < 8; i++) {
                        s.append((char) ('!' + r.nextInt(90)));
                    }
                    long oid = 0;
                    for (int i = 0; i < 8; i++) {
                        oid = (oid << 8) | s.charAt(i);
                    }
                    expected.add("OID 0x" + Long.toHexString(oid) + " #" + pickle + "@" + out.size());
                    out.ascii("P" + s + "\n");
                    return;
                }
                case 4 -> {
                    // a text oid: 8 code points below 256
                    StringBuilder s = new StringBuilder();
                    long oid = 0;
                    for (int i = 0; i < 8; i++) {
                        int c = r.nextInt(256);
                        if (c == '\n' || c == '\\') {
                            c = 'x';
                        }
                        s.append((char) c);
                        oid = (oid << 8) | c;
                    }
                    if (r.nextBoolean()) {
                        out.text(s.toString());
                    } else {
                        out.ascii("V" + s + "\n");
                    }
                    key = "OID 0x" + Long.toHexString(oid);
                }
                case 5 -> {
                    long[] oid = new long[1];
                    listOf(() -> oid[0] = oid());
                    key = "LIST 0x" + Long.toHexString(oid[0]);
                }
                case 6 -> {
                    long[] oid = new long[1];
                    listOf(() -> tag('w'), () -> tuple(() -> oid[0] = oid()));
                    key = "WEAK 0x" + Long.toHexString(oid[0]);
                }
                case 7 -> {
                    long[] oid = new long[1];
                    String[] db = new String[1];
                    listOf(() -> tag('w'), () -> tuple(() -> oid[0] = oid(), () -> db[0] = db()));
                    key = "WEAK 0x" + Long.toHexString(oid[0]) + " db=" + db[0];
                }
                case 8 -> {
                    long[] oid = new long[1];
                    listOf(() -> tag('w'), () -> oid[0] = oid());
                    key = "WEAK 0x" + Long.toHexString(oid[0]);
                }
                case 9 -> {
                    long[] oid = new long[1];
                    String[] db = new String[1];
                    String[] k = new String[1];
                    listOf(() -> tag('m'), () -> tuple(() -> db[0] = db(), () -> oid[0] = oid(), () -> k[0] = klass()));
                    key = "MULTI 0x" + Long.toHexString(oid[0]) + " db=" + db[0] + " klass=" + k[0];
                }
                case 10 -> {
                    long[] oid = new long[1];
                    String[] db = new String[1];
                    listOf(() -> tag('m'), () -> tuple(() -> db[0] = db(), () -> oid[0] = oid()));
                    key = "MULTI 0x" + Long.toHexString(oid[0]) + " db=" + db[0];
                }
                case 11 -> {
                    long[] oid = new long[1];
                    String[] db = new String[1];
                    listOf(() -> tag('n'), () -> tuple(() -> db[0] = db(), () -> oid[0] = oid()));
                    key = "NAMED 0x" + Long.toHexString(oid[0]) + " db=" + db[0];
                }
                case 12 -> {
                    Slot s = pick('p');
                    if (s == null) {
                        out.none();
                        key = "MALFORMED 0x0";
                    } else {
                        get(s);
                        key = s.s;
                    }
                }
                default -> {
                    malformed();
                    key = "MALFORMED 0x0";
                }
            }
            if (chance(0.3)) {
                maybePutAlways('p', key);
            }
            q(key);
        }

        void maybePutAlways(char kind, String s) {
            int i = nextSlot++;
            out.longPut(i);
            memo.add(new Slot(i, kind, 0, s));
        }

        void malformed() {
            switch (r.nextInt(6)) {
                case 0 -> out.list();
                case 1 -> listOf(() -> out.int1(1), () -> out.int1(2), () -> out.int1(3));
                case 2 -> listOf(() -> out.text("x"), () -> tuple(this::oid));
                case 3 -> tuple(this::oid, this::klass, () -> out.none());
                case 4 -> out.op('C', 7, 0, 0, 0, 0, 0, 0, 1);
                default -> out.none();
            }
        }
    }

    // ------------------------------------------------------------------ 8. Utf8 and Escapes

    @Nested
    class Utf8Test {
        boolean valid(int... xs) {
            byte[] b = new byte[xs.length];
            for (int i = 0; i < xs.length; i++) {
                b[i] = (byte) xs[i];
            }
            // also at an offset, and after a long ASCII prefix (the 8-bytes-at-a-time path)
            byte[] shifted = cat(new byte[] {(byte) 0xff}, b, new byte[] {(byte) 0xff});
            boolean v = Utf8.valid(b, 0, b.length);
            assertEquals(v, Utf8.valid(shifted, 1, b.length), "at an offset");
            byte[] prefixed = cat("0123456789abcdefghij".getBytes(ISO_8859_1), b);
            assertEquals(v, Utf8.valid(prefixed, 0, prefixed.length), "after an ASCII prefix");
            assertEquals(v, Utf8.valid(prefixed, 3, prefixed.length - 3), "after an unaligned ASCII prefix");
            return v;
        }

        @Test
        void validSequences() {
            assertTrue(valid());
            assertTrue(valid('a', 'b', 'c'));
            assertTrue(valid(0xc2, 0x80));
            assertTrue(valid(0xc3, 0xa9));
            assertTrue(valid(0xdf, 0xbf));
            assertTrue(valid(0xe0, 0xa0, 0x80));
            assertTrue(valid(0xe2, 0x82, 0xac));
            assertTrue(valid(0xef, 0xbf, 0xbf));
            assertTrue(valid(0xf0, 0x90, 0x80, 0x80));
            assertTrue(valid(0xf0, 0x9f, 0x98, 0x80));
            assertTrue(valid(0xf4, 0x8f, 0xbf, 0xbf));
            // surrogates pass ("surrogatepass")
            assertTrue(valid(0xed, 0xa0, 0x80));
            assertTrue(valid(0xed, 0xbf, 0xbf));
            assertTrue(valid(0xed, 0xa0, 0xbd, 0xed, 0xb8, 0x80));
        }

        @Test
        void invalidSequences() {
            assertFalse(valid(0xc0, 0x80), "overlong NUL");
            assertFalse(valid(0xc1, 0xbf), "overlong");
            assertFalse(valid(0xe0, 0x80, 0x80), "overlong 3 bytes");
            assertFalse(valid(0xe0, 0x9f, 0xbf), "overlong 3 bytes");
            assertFalse(valid(0xf0, 0x80, 0x80, 0x80), "overlong 4 bytes");
            assertFalse(valid(0xf0, 0x8f, 0xbf, 0xbf), "overlong 4 bytes");
            assertFalse(valid(0xf4, 0x90, 0x80, 0x80), "beyond U+10FFFF");
            assertFalse(valid(0xf5, 0x80, 0x80, 0x80));
            assertFalse(valid(0xff));
            assertFalse(valid(0x80), "lone continuation byte");
            assertFalse(valid(0xc3), "truncated");
            assertFalse(valid(0xe2, 0x82), "truncated");
            assertFalse(valid(0xf0, 0x9f, 0x98), "truncated");
            assertFalse(valid(0xc3, 0x41), "bad continuation");
            assertFalse(valid(0xe2, 0x82, 0x41), "bad continuation");
            assertFalse(valid(0xf0, 0x9f, 0x98, 0xc0), "bad continuation");
            assertFalse(valid('a', 0xc3), "truncated at the end");
        }

        /**
         * The ASCII loops test eight bytes at a time: a byte that is not ASCII at every position of
         * text of every length up to 40, at every alignment, is found exactly where it is, and
         * no word is read across the text's end: the bytes after it are ASCII (a word read across
         * would run past the end) or not (it would stop early, which only costs time).
         */
        @Test
        void everyPositionOfTheFirstByteThatIsNotAscii() {
            for (int len = 0; len <= 40; len++) {
                for (int at = -1; at < len; at++) {
                    for (int k = 0; k < 18; k++) {
                        int off = k % 9;
                        byte[] b = new byte[off + len + 9];
                        Arrays.fill(b, k < 9 ? (byte) 'A' : (byte) 0xff);
                        for (int i = 0; i < len; i++) {
                            b[off + i] = (byte) ('a' + i % 26);
                        }
                        if (at >= 0) {
                            b[off + at] = (byte) 0x80; // a lone continuation byte
                        }
                        String where = "len " + len + " at " + at + " off " + off + " padding " + b[b.length - 1];
                        assertEquals(at < 0 ? off + len : off + at, Utf8.asciiEnd(b, off, off + len), where);
                        assertEquals(at < 0, Utf8.valid(b, off, len), where);
                        if (at >= 0 && at + 1 < len) {
                            // a valid 'é' there, then ASCII to the end: valid; a bad byte after it: not
                            b[off + at] = (byte) 0xc3;
                            b[off + at + 1] = (byte) 0xa9;
                            assertTrue(Utf8.valid(b, off, len), where);
                            assertTrue(Utf8.validFrom(b, off + at, off + len), where);
                            for (int bad = at + 2; bad < len; bad++) {
                                byte keep = b[off + bad];
                                b[off + bad] = (byte) 0xbf;
                                assertFalse(Utf8.valid(b, off, len), where + " bad " + bad);
                                b[off + bad] = keep;
                            }
                        }
                    }
                }
            }
        }

        @Test
        void rangesOutsideTheArrayAreRefused() {
            byte[] b = "0123456789abcdef".getBytes(ISO_8859_1);
            assertThrows(IndexOutOfBoundsException.class, () -> Utf8.valid(b, 9, 8));
            assertThrows(IndexOutOfBoundsException.class, () -> Utf8.valid(b, -1, 4));
            assertThrows(IndexOutOfBoundsException.class, () -> new PickleScanner().scan(b, 9, 8, pid -> { }));
            assertThrows(IndexOutOfBoundsException.class, () -> new PickleScanner().scan(b, -1, 4, pid -> { }));
        }

        /**
         * Every sequence of one to three bytes, and four-byte sequences around every boundary, give
         * what Table 3-7 of the Unicode standard says (with encoded surrogates passing), checked by
         * a plain transcription of that table.
         */
        @Test
        void everyShortSequenceAsTheTableSays() {
            byte[] b = new byte[4];
            for (int n = 1; n <= 3; n++) {
                for (int v = 0; v < 1 << (8 * n); v++) {
                    for (int k = 0; k < n; k++) {
                        b[k] = (byte) (v >>> (8 * (n - 1 - k)));
                    }
                    assertEquals(byTable(b, n), Utf8.valid(b, 0, n), () -> Arrays.toString(Arrays.copyOf(b, 4)));
                }
            }
            int[] edges = {0x00, 0x7f, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf, 0xc0, 0xff};
            for (int c0 = 0xf0; c0 <= 0xff; c0++) {
                for (int c1 : edges) {
                    for (int c2 : edges) {
                        for (int c3 : edges) {
                            b[0] = (byte) c0;
                            b[1] = (byte) c1;
                            b[2] = (byte) c2;
                            b[3] = (byte) c3;
                            assertEquals(byTable(b, 4), Utf8.valid(b, 0, 4), () -> Arrays.toString(b));
                        }
                    }
                }
            }
        }

        /** Well-formed UTF-8 by Table 3-7, surrogates (ED A0..BF) allowed; a reference, not fast. */
        private boolean byTable(byte[] b, int len) {
            int[][] rows = { // lead from, lead to, then (lo, hi) of each continuation byte
                {0x00, 0x7f}, {0xc2, 0xdf, 0x80, 0xbf}, {0xe0, 0xe0, 0xa0, 0xbf, 0x80, 0xbf},
                {0xe1, 0xef, 0x80, 0xbf, 0x80, 0xbf}, {0xf0, 0xf0, 0x90, 0xbf, 0x80, 0xbf, 0x80, 0xbf},
                {0xf1, 0xf3, 0x80, 0xbf, 0x80, 0xbf, 0x80, 0xbf}, {0xf4, 0xf4, 0x80, 0x8f, 0x80, 0xbf, 0x80, 0xbf}};
            int i = 0;
            next:
            while (i < len) {
                int c = b[i] & 0xff;
                for (int[] row : rows) {
                    if (c >= row[0] && c <= row[1]) {
                        int more = (row.length - 2) / 2;
                        if (i + more >= len) { // truncated
                            return false;
                        }
                        for (int k = 1; k <= more; k++) {
                            int x = b[i + k] & 0xff;
                            if (x < row[2 * k] || x > row[2 * k + 1]) {
                                return false;
                            }
                        }
                        i += 1 + more;
                        continue next;
                    }
                }
                return false;
            }
            return true;
        }

        @Test
        void toLatin1() {
            assertArrayEquals("abc".getBytes(ISO_8859_1), Utf8.toLatin1("xabc".getBytes(ISO_8859_1), 1, 3));
            assertArrayEquals(new byte[] {(byte) 0xe9, (byte) 0x80, 'a'},
                    Utf8.toLatin1(new byte[] {(byte) 0xc3, (byte) 0xa9, (byte) 0xc2, (byte) 0x80, 'a'}, 0, 5));
            assertNull(Utf8.toLatin1(new byte[] {(byte) 0xc4, (byte) 0x80}, 0, 2), "U+0100");
            assertNull(Utf8.toLatin1(new byte[] {(byte) 0xe2, (byte) 0x82, (byte) 0xac}, 0, 3));
            assertNull(Utf8.toLatin1(new byte[] {(byte) 0xc3}, 0, 1), "truncated");
        }

        @Test
        void encode() {
            assertArrayEquals(new byte[] {'A'}, enc(0x41));
            assertArrayEquals(new byte[] {(byte) 0xc3, (byte) 0xa9}, enc(0xe9));
            assertArrayEquals(new byte[] {(byte) 0xe2, (byte) 0x82, (byte) 0xac}, enc(0x20ac));
            assertArrayEquals(new byte[] {(byte) 0xed, (byte) 0xa0, (byte) 0x80}, enc(0xd800));
            assertArrayEquals(new byte[] {(byte) 0xf0, (byte) 0x9f, (byte) 0x98, (byte) 0x80}, enc(0x1f600));
            assertArrayEquals(new byte[] {(byte) 0xf4, (byte) 0x8f, (byte) 0xbf, (byte) 0xbf}, enc(0x10ffff));
        }

        byte[] enc(int cp) {
            byte[] out = new byte[8];
            int n = Utf8.encode(cp, out, 1);
            return Arrays.copyOfRange(out, 1, n);
        }
    }

    @Nested
    class EscapesTest {
        byte[] unescape(String s) {
            byte[] b = ("#" + s + "#").getBytes(ISO_8859_1);
            return Escapes.unescapeBytes(b, 1, b.length - 2);
        }

        byte[] raw(String s) {
            byte[] b = ("#" + s + "#").getBytes(ISO_8859_1);
            return Escapes.rawUnicodeEscapeToUtf8(b, 1, b.length - 2);
        }

        @Test
        void stringEscapes() {
            assertArrayEquals(py("A"), unescape("\\x41"));
            assertArrayEquals(py("\\xff\\xfe"), unescape("\\xff\\xFE"));
            assertArrayEquals(py("A"), unescape("\\101"));
            assertArrayEquals(py("\\x00"), unescape("\\0"));
            assertArrayEquals(py("S4"), unescape("\\1234"), "at most three octal digits");
            assertArrayEquals(py("\\xff"), unescape("\\777"), "octal beyond 255 wraps, as in Python");
            assertArrayEquals(py("\\n"), unescape("\\n"));
            assertArrayEquals(new byte[] {7, 8, 12, 10, 13, 9, 11}, unescape("\\a\\b\\f\\n\\r\\t\\v"));
            assertArrayEquals(py("\\\\'\""), unescape("\\\\\\'\\\""));
            assertArrayEquals(py("ab"), unescape("a\\\nb"), "backslash-newline is removed");
            assertArrayEquals(py("\\\\q"), unescape("\\q"), "unknown escape kept literally");
            assertArrayEquals(py("\\\\8"), unescape("\\8"));
            assertArrayEquals(py("plain \\xe9"), unescape("plain \u00e9"));
            assertArrayEquals(new byte[0], unescape(""));
        }

        @Test
        void badStringEscapes() {
            assertNull(unescape("abc\\"), "trailing backslash");
            assertNull(unescape("\\"));
            assertNull(unescape("\\x4"));
            assertNull(unescape("\\x4g"));
            assertNull(unescape("\\xg4"));
        }

        @Test
        void rawUnicodeEscape() {
            assertArrayEquals(py("\\xc3\\xa9"), raw("\\u00e9"));
            assertArrayEquals(py("\\xc3\\xa9"), raw("\\u00E9"));
            assertArrayEquals(py("\\xc3\\xa9"), raw("\u00e9"), "a raw byte is the code point of its value");
            assertArrayEquals(py("\\xf0\\x9f\\x98\\x80"), raw("\\U0001f600"));
            assertArrayEquals(py("\\xed\\xa0\\x80"), raw("\\ud800"), "a lone surrogate is kept");
            assertArrayEquals(py("\\\\\\\\u00e9"), raw("\\\\u00e9"), "an even run of backslashes is literal");
            assertArrayEquals(py("\\\\\\\\\\xc3\\xa9"), raw("\\\\\\u00e9"), "an odd run escapes");
            assertArrayEquals(py("\\\\x41"), raw("\\x41"), "only \\u and \\U are escapes");
            assertArrayEquals(py("\\\\"), raw("\\"));
            assertArrayEquals(py("a\\\\"), raw("a\\"));
        }

        @Test
        void badRawUnicodeEscapes() {
            assertNull(raw("\\u00e"), "truncated");
            assertNull(raw("\\u00eg"));
            assertNull(raw("\\U0001f60"));
            assertNull(raw("\\U00110000"), "beyond U+10FFFF");
        }
    }
}
