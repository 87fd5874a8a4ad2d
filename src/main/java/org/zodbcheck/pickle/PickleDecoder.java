package org.zodbcheck.pickle;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.zodbcheck.pickle.PickleValue.Bytes;
import org.zodbcheck.pickle.PickleValue.Call;
import org.zodbcheck.pickle.PickleValue.Const;
import org.zodbcheck.pickle.PickleValue.Dict;
import org.zodbcheck.pickle.PickleValue.Global;
import org.zodbcheck.pickle.PickleValue.Num;
import org.zodbcheck.pickle.PickleValue.Other;
import org.zodbcheck.pickle.PickleValue.Persistent;
import org.zodbcheck.pickle.PickleValue.Seq;
import org.zodbcheck.pickle.PickleValue.SeqKind;
import org.zodbcheck.pickle.PickleValue.Str;

/**
 * Decodes the two pickles of one ZODB data record (class metadata, then object state) into
 * {@link PickleValue} trees: a plain stack unpickler for every opcode of protocols 0-5 that imports
 * nothing (FORMAT.md §3.5).
 *
 * <p>It follows {@link PickleScanner}'s rules so that both see the same persistent ids: one memo
 * for both pickles (ZODB pickles them with one Pickler), byte-string opcodes give raw bytes
 * (Python 2 {@code str} included), the same checks fail at the same places. Where the scanner
 * drops values (dicts, objects) this keeps them, for labels.
 *
 * <p>Safe on any input: decoding is a loop (no recursion), every length is checked against the
 * bytes left before anything is allocated, the stack and mark depth are capped as in the scanner,
 * and the first error ends decoding; what was built so far is returned.
 */
public final class PickleDecoder {
    /**
     * What decoding a record gave.
     *
     * @param classMeta the class pickle's value (FORMAT.md §3.2), or {@code null} if it did not finish
     * @param state the state pickle's value, or {@code null} if it did not finish
     * @param references every persistent reference, in the order the pickles hold them
     * @param error why decoding stopped early, or {@code null}
     * @param errorOffset offset of the failure from the start of the record data, or -1
     * @param unfinished the stack of the state pickle when it failed, bottom first (else empty)
     */
    public record Result(PickleValue classMeta, PickleValue state, List<Persistent> references, String error,
            int errorOffset, List<PickleValue> unfinished) {
    }

    /** Thrown inside the decoder only; becomes {@link Result#error()}. */
    private static final class Bad extends Exception {
        Bad(String message) {
            super(message, null, false, false);
        }
    }

    private static final Bad TRUNCATED = new Bad("pickle data was truncated");

    private final byte[] in;
    private final int base;
    private final int end;
    private int p;

    private final List<PickleValue> stack = new ArrayList<>();
    /** Stack positions of the open marks; the topmost is the fence pops may not cross. */
    private int[] marks = new int[16];
    private int nmarks;
    private final Map<Long, PickleValue> memo = new HashMap<>();
    private final List<Persistent> references = new ArrayList<>();
    private int pickleNo;

    private PickleDecoder(byte[] data, int off, int len) {
        in = data;
        base = off;
        end = off + len;
        p = off;
    }

    /**
     * Decodes {@code data[off, off + len)}. Never throws for any content of that range (the range
     * itself must lie inside {@code data}).
     */
    public static Result decode(byte[] data, int off, int len) {
        return new PickleDecoder(data, off, len).run();
    }

    private Result run() {
        PickleValue classMeta = null;
        try {
            classMeta = runPickle();
            if (p >= end) {
                throw new Bad("the record holds only one pickle (the object state is missing)");
            }
            pickleNo = 1;
            PickleValue state = runPickle();
            return new Result(classMeta, state, references, null, -1, List.of());
        } catch (Bad e) {
            List<PickleValue> unfinished = pickleNo == 1 ? List.copyOf(stack) : List.of();
            return new Result(classMeta, null, references, e.getMessage(), Math.min(p, end) - base, unfinished);
        }
    }

    /** Runs one pickle to its STOP and returns the value STOP popped. */
    private PickleValue runPickle() throws Bad {
        stack.clear();
        nmarks = 0;
        while (true) {
            if (p >= end) {
                throw TRUNCATED;
            }
            int opPos = p;
            Opcode op = Opcode.of(in[p++]);
            if (op == null) {
                p = opPos;
                throw new Bad(String.format("invalid load key, '\\x%02x'", in[opPos] & 0xff));
            }
            if (op == Opcode.STOP) {
                return pop();
            }
            step(op);
        }
    }

    private void step(Opcode op) throws Bad {
        switch (op) {
            case MARK -> pushMark();
            case POP -> popOrMark();
            case POP_MARK -> truncateTo(popMark());
            case DUP -> push(peek());
            case PROTO -> proto();
            case FRAME -> frame();
            case INT, LONG, FLOAT, BININT, BININT1, BININT2, LONG1, LONG4, BINFLOAT -> push(number(op));
            case NONE -> push(Const.NONE);
            case NEWTRUE -> push(Const.TRUE);
            case NEWFALSE -> push(Const.FALSE);
            case STRING, BINSTRING, SHORT_BINSTRING, BINBYTES, SHORT_BINBYTES, BINBYTES8 -> push(bytes(op));
            case UNICODE, BINUNICODE, SHORT_BINUNICODE, BINUNICODE8 -> push(text(op));
            case BYTEARRAY8 -> {
                skip(u8());
                push(new Other("bytearray"));
            }
            case NEXT_BUFFER -> throw new Bad(
                    "NEXT_BUFFER: pickle refers to out-of-band data, which a stored record cannot have");
            case READONLY_BUFFER -> peek();
            case EMPTY_LIST -> push(new Seq(SeqKind.LIST, new ArrayList<>()));
            case EMPTY_TUPLE -> push(new Seq(SeqKind.TUPLE, List.of()));
            case EMPTY_DICT -> push(new Dict(new ArrayList<>()));
            case EMPTY_SET -> push(new Seq(SeqKind.SET, new ArrayList<>()));
            case TUPLE1, TUPLE2, TUPLE3 -> push(new Seq(SeqKind.TUPLE, popN(op.code() - 0x84)));
            case TUPLE -> push(new Seq(SeqKind.TUPLE, popThroughMark()));
            case LIST -> push(new Seq(SeqKind.LIST, new ArrayList<>(popThroughMark())));
            case FROZENSET -> push(new Seq(SeqKind.FROZENSET, popThroughMark()));
            case DICT -> push(new Dict(pairs(popThroughMark(), "DICT")));
            case APPEND, SETITEM -> addOne(op);
            case APPENDS, SETITEMS, ADDITEMS -> addMany(op);
            case GET, BINGET, LONG_BINGET -> push(memoGet(memoIndex(op)));
            case PUT, BINPUT, LONG_BINPUT -> memoPut(memoIndex(op));
            case MEMOIZE -> memoPut(memo.size());
            case EXT1, EXT2, EXT4 -> push(new Other("extension code " + extCode(op)));
            case GLOBAL -> {
                int start = p;
                Global g = global();
                push(p - start - 1 > 2 * PickleScanner.KEEP ? OVERLONG_CLASS : g);
            }
            case STACK_GLOBAL -> stackGlobal();
            case REDUCE, NEWOBJ -> reduce();
            case NEWOBJ_EX -> newObjEx();
            case OBJ -> obj();
            case INST -> inst();
            case BUILD -> build();
            case PERSID -> persid();
            case BINPERSID -> push(persistent(pop()));
            default -> throw new Bad("unhandled opcode " + op); // STOP is handled by runPickle
        }
    }

    // ---- stack and marks (the scanner's checks, so that both fail alike)

    private int fence() {
        return nmarks == 0 ? 0 : marks[nmarks - 1];
    }

    private void push(PickleValue v) throws Bad {
        if (stack.size() >= PickleScanner.MAX_DEPTH) {
            throw new Bad("pickle stack deeper than " + PickleScanner.MAX_DEPTH);
        }
        stack.add(v);
    }

    private PickleValue pop() throws Bad {
        need(1);
        return stack.remove(stack.size() - 1);
    }

    private PickleValue peek() throws Bad {
        need(1);
        return stack.get(stack.size() - 1);
    }

    /** At least {@code n} items above the topmost mark. */
    private void need(int n) throws Bad {
        if (stack.size() - fence() < n) {
            throw new Bad("unpickling stack underflow");
        }
    }

    private List<PickleValue> popN(int n) throws Bad {
        need(n);
        List<PickleValue> top = List.copyOf(stack.subList(stack.size() - n, stack.size()));
        truncateTo(stack.size() - n);
        return top;
    }

    private void truncateTo(int size) {
        stack.subList(size, stack.size()).clear();
    }

    private void pushMark() throws Bad {
        if (nmarks + 1 >= PickleScanner.MAX_DEPTH) {
            throw new Bad("pickle marks nested deeper than " + PickleScanner.MAX_DEPTH);
        }
        if (nmarks == marks.length) {
            marks = Arrays.copyOf(marks, nmarks * 2);
        }
        marks[nmarks++] = stack.size();
    }

    /** Pops the topmost mark and returns its stack position (the first item after it). */
    private int popMark() throws Bad {
        if (nmarks == 0) {
            throw new Bad("could not find MARK");
        }
        return marks[--nmarks];
    }

    /** The items after the topmost mark, which goes too (pickling order). */
    private List<PickleValue> popThroughMark() throws Bad {
        int m = popMark();
        List<PickleValue> items = List.copyOf(stack.subList(m, stack.size()));
        truncateTo(m);
        return items;
    }

    /** POP removes the top item, or the topmost mark when nothing sits above it. */
    private void popOrMark() throws Bad {
        if (nmarks > 0 && fence() == stack.size()) {
            popMark();
        } else {
            pop();
        }
    }

    // ---- containers

    private static List<Map.Entry<PickleValue, PickleValue>> pairs(List<PickleValue> items, String op) throws Bad {
        if ((items.size() & 1) != 0) {
            throw new Bad("odd number of items for " + op);
        }
        List<Map.Entry<PickleValue, PickleValue>> entries = new ArrayList<>(items.size() / 2);
        for (int i = 0; i < items.size(); i += 2) {
            entries.add(Map.entry(items.get(i), items.get(i + 1)));
        }
        return entries;
    }

    /** APPEND and SETITEM: the item(s) go into the container just below them. */
    private void addOne(Opcode op) throws Bad {
        int n = op == Opcode.SETITEM ? 2 : 1;
        need(n + 1);
        List<PickleValue> items = popN(n);
        addTo(peek(), op, items);
    }

    /** APPENDS, SETITEMS, ADDITEMS: the items after the mark go into the container before it. */
    private void addMany(Opcode op) throws Bad {
        int m = popMark();
        if (op == Opcode.SETITEMS && ((stack.size() - m) & 1) != 0) {
            throw new Bad("odd number of items for SETITEMS");
        }
        if (m - 1 < fence() || m > stack.size()) {
            throw new Bad("unpickling stack underflow");
        }
        List<PickleValue> items = List.copyOf(stack.subList(m, stack.size()));
        truncateTo(m);
        addTo(stack.get(m - 1), op, items);
    }

    /**
     * Puts items into a container as Python would: lists and sets grow, dicts get entries, objects
     * built by a call keep them as list or dict items. Elsewhere they are dropped, as noload does.
     */
    private static void addTo(PickleValue container, Opcode op, List<PickleValue> items) throws Bad {
        boolean dictOp = op == Opcode.SETITEM || op == Opcode.SETITEMS;
        if (dictOp) {
            List<Map.Entry<PickleValue, PickleValue>> entries = pairs(items, "SETITEMS");
            if (container instanceof Dict d) {
                d.entries().addAll(entries);
            } else if (container instanceof Call c) {
                c.dictItems().addAll(entries);
            }
        } else if (op == Opcode.ADDITEMS) {
            if (container instanceof Seq s && s.kind() == SeqKind.SET) {
                s.items().addAll(items);
            }
        } else if (container instanceof Seq s && s.kind() == SeqKind.LIST) {
            s.items().addAll(items);
        } else if (container instanceof Call c) {
            c.listItems().addAll(items);
        }
    }

    // ---- objects

    private void reduce() throws Bad {
        need(2);
        PickleValue args = pop();
        PickleValue callable = pop();
        push(new Call(callable, args, null));
    }

    private void newObjEx() throws Bad {
        need(3);
        PickleValue kwargs = pop();
        PickleValue args = pop();
        PickleValue cls = pop();
        push(new Call(cls, args, kwargs));
    }

    /** OBJ: class and arguments after the mark. */
    private void obj() throws Bad {
        int m = popMark();
        if (stack.size() - m < 1) {
            throw new Bad("unpickling stack underflow");
        }
        List<PickleValue> items = List.copyOf(stack.subList(m, stack.size()));
        truncateTo(m);
        push(new Call(items.get(0), new Seq(SeqKind.TUPLE, items.subList(1, items.size())), null));
    }

    /** INST: the class named by the argument, arguments after the mark. */
    private void inst() throws Bad {
        Global cls = global();
        List<PickleValue> args = popThroughMark();
        push(new Call(cls, new Seq(SeqKind.TUPLE, args), null));
    }

    /** BUILD: the state goes to the object below it; objects that are not calls ignore it. */
    private void build() throws Bad {
        need(2);
        PickleValue state = pop();
        if (peek() instanceof Call c) {
            c.setState(state);
        }
    }

    private Global global() throws Bad {
        String module = utf8Line();
        String name = utf8Line();
        return new Global(module, name);
    }

    /** STACK_GLOBAL: module and name are strings on the stack (bytes too, as the scanner allows). */
    private void stackGlobal() throws Bad {
        need(2);
        PickleValue name = pop();
        PickleValue module = pop();
        String m = globalPart(module);
        String n = globalPart(name);
        if (m == null || n == null) {
            throw new Bad("STACK_GLOBAL requires str");
        }
        boolean kept = utf8Length(module) <= PickleScanner.KEEP && utf8Length(name) <= PickleScanner.KEEP;
        push(kept ? new Global(m, n) : OVERLONG_CLASS);
    }

    /**
     * The scanner keeps no class name longer than it keeps strings (only damage makes such names:
     * a lost newline), so such a class names no reference's class here either.
     */
    private static final Other OVERLONG_CLASS = new Other("class with an overlong name");

    private static int utf8Length(PickleValue v) {
        return v instanceof Bytes b ? b.value().length : ((Str) v).text().getBytes(StandardCharsets.UTF_8).length;
    }

    private static String globalPart(PickleValue v) {
        if (v instanceof Str s) {
            return s.text();
        }
        if (v instanceof Bytes b) {
            return new String(b.value(), StandardCharsets.UTF_8);
        }
        return null;
    }

    // ---- persistent references

    private Persistent persistent(PickleValue pid) {
        Persistent ref = new Persistent(pid, references.size(), pickleNo);
        references.add(ref);
        return ref;
    }

    /** PERSID: a protocol 0 persistent id, the text up to the newline (ZODB treats it as an oid). */
    private void persid() throws Bad {
        int nl = lineEnd();
        byte[] pid = Arrays.copyOfRange(in, p, nl);
        p = nl + 1;
        push(persistent(new Bytes(pid, true)));
    }

    // ---- memo

    private long memoIndex(Opcode op) throws Bad {
        return switch (op) {
            case BINGET, BINPUT -> u1();
            case LONG_BINGET, LONG_BINPUT -> u4();
            default -> decimalLine();
        };
    }

    private PickleValue memoGet(long index) throws Bad {
        PickleValue v = memo.get(index);
        if (v == null) {
            throw new Bad("Memo value not found at index " + index);
        }
        return v;
    }

    private void memoPut(long index) throws Bad {
        memo.put(index, peek());
    }

    // ---- scalar arguments

    private void proto() throws Bad {
        int proto = u1();
        if (proto > PickleScanner.MAX_PROTOCOL) {
            throw new Bad("unsupported pickle protocol: " + proto);
        }
    }

    /** FRAME only announces how many bytes follow; its length must fit in the record. */
    private void frame() throws Bad {
        long n = u8();
        if (n < 0 || n > end - p) {
            throw new Bad("FRAME length exceeds the record");
        }
    }

    private long extCode(Opcode op) throws Bad {
        return switch (op) {
            case EXT1 -> u1();
            case EXT2 -> u2();
            default -> (int) u4();
        };
    }

    private PickleValue number(Opcode op) throws Bad {
        return switch (op) {
            case BININT1 -> new Num(Integer.toString(u1()));
            case BININT2 -> new Num(Integer.toString(u2()));
            case BININT -> new Num(Integer.toString((int) u4()));
            case BINFLOAT -> new Num(Numbers.floatRepr(Double.longBitsToDouble(be8())));
            case LONG1 -> new Num(littleEndian(u1()));
            case LONG4 -> new Num(littleEndian(longLength()));
            case INT -> Numbers.intLine(asciiLine());
            case LONG -> Numbers.longLine(asciiLine());
            default -> Numbers.floatLine(asciiLine()); // FLOAT
        };
    }

    private long longLength() throws Bad {
        long n = (int) u4();
        if (n < 0) {
            throw new Bad("LONG pickle has negative byte count");
        }
        return n;
    }

    /**
     * LONG1/LONG4: two's complement, little-endian. Huge ones are not converted to decimal (that
     * is quadratic); a label only ever shows 60 characters of a key.
     */
    private String littleEndian(long n) throws Bad {
        skip(n);
        if (n == 0) {
            return "0";
        }
        if (n > Numbers.MAX_DIGITS / 2) {
            return "<int of " + n + " bytes>";
        }
        byte[] be = new byte[(int) n];
        for (int i = 0; i < n; i++) {
            be[i] = in[p - 1 - i];
        }
        return new BigInteger(be).toString();
    }

    // ---- string arguments

    private PickleValue bytes(Opcode op) throws Bad {
        return switch (op) {
            case STRING -> new Bytes(quotedString(), true);
            case SHORT_BINSTRING -> new Bytes(take(u1()), true);
            case BINSTRING -> new Bytes(take(binstringLength()), true);
            case SHORT_BINBYTES -> new Bytes(take(u1()), false);
            case BINBYTES -> new Bytes(take(u4()), false);
            default -> new Bytes(take(u8()), false); // BINBYTES8
        };
    }

    private long binstringLength() throws Bad {
        long n = u4();
        if (n >= 0x8000_0000L) {
            throw new Bad("BINSTRING pickle has negative byte count");
        }
        return n;
    }

    private PickleValue text(Opcode op) throws Bad {
        if (op == Opcode.UNICODE) {
            int nl = lineEnd();
            byte[] utf8 = Escapes.rawUnicodeEscapeToUtf8(in, p, nl - p);
            p = nl + 1;
            if (utf8 == null) {
                throw new Bad("invalid \\u escape in UNICODE argument");
            }
            return new Str(new String(utf8, StandardCharsets.UTF_8));
        }
        long n = switch (op) {
            case SHORT_BINUNICODE -> u1();
            case BINUNICODE -> u4();
            default -> u8(); // BINUNICODE8
        };
        if (n < 0 || n > end - p) {
            throw TRUNCATED;
        }
        if (!Utf8.valid(in, p, (int) n)) {
            throw new Bad("'utf-8' codec can't decode the text at offset " + (p - base));
        }
        return new Str(new String(take(n), StandardCharsets.UTF_8));
    }

    /** STRING: a quoted Python string literal (protocol 0), unescaped to bytes. */
    private byte[] quotedString() throws Bad {
        int nl = lineEnd();
        int start = p;
        p = nl + 1;
        int len = nl - start;
        if (len < 2 || in[start] != in[nl - 1] || (in[start] != '\'' && in[start] != '"')) {
            throw new Bad("the STRING opcode argument must be quoted");
        }
        byte[] value = Escapes.unescapeBytes(in, start + 1, len - 2);
        if (value == null) {
            throw new Bad("invalid escape in STRING argument");
        }
        return value;
    }

    // ---- raw reading; every length is checked before anything is allocated

    private void skip(long n) throws Bad {
        if (n < 0 || n > end - p) {
            throw TRUNCATED;
        }
        p += (int) n;
    }

    private byte[] take(long n) throws Bad {
        skip(n);
        return Arrays.copyOfRange(in, p - (int) n, p);
    }

    private int u1() throws Bad {
        skip(1);
        return in[p - 1] & 0xff;
    }

    private int u2() throws Bad {
        skip(2);
        return (in[p - 2] & 0xff) | (in[p - 1] & 0xff) << 8;
    }

    private long u4() throws Bad {
        skip(4);
        return (in[p - 4] & 0xffL) | (in[p - 3] & 0xffL) << 8 | (in[p - 2] & 0xffL) << 16 | (in[p - 1] & 0xffL) << 24;
    }

    /** A little-endian uint8; values past {@code Long.MAX_VALUE} come back negative and fail. */
    private long u8() throws Bad {
        skip(8);
        long v = 0;
        for (int i = 1; i <= 8; i++) {
            v = (v << 8) | (in[p - i] & 0xffL);
        }
        return v;
    }

    /** BINFLOAT's big-endian 8 bytes. */
    private long be8() throws Bad {
        skip(8);
        long v = 0;
        for (int i = 8; i >= 1; i--) {
            v = (v << 8) | (in[p - i] & 0xffL);
        }
        return v;
    }

    private int lineEnd() throws Bad {
        for (int i = p; i < end; i++) {
            if (in[i] == '\n') {
                return i;
            }
        }
        throw new Bad("pickle data was truncated (no newline)");
    }

    private String asciiLine() throws Bad {
        int nl = lineEnd();
        String s = new String(in, p, nl - p, StandardCharsets.ISO_8859_1);
        p = nl + 1;
        return s;
    }

    private String utf8Line() throws Bad {
        int nl = lineEnd();
        String s = new String(in, p, nl - p, StandardCharsets.UTF_8);
        p = nl + 1;
        return s;
    }

    /** The decimal argument of GET and PUT: digits only, as the scanner accepts. */
    private long decimalLine() throws Bad {
        int nl = lineEnd();
        long v = 0;
        for (int i = p; i < nl; i++) {
            int c = in[i];
            if (c < '0' || c > '9' || v > (Long.MAX_VALUE - 9) / 10) {
                throw new Bad("invalid memo index");
            }
            v = v * 10 + (c - '0');
        }
        if (nl == p) {
            throw new Bad("invalid memo index");
        }
        p = nl + 1;
        return v;
    }

    /** Python's repr of the numbers of the text opcodes and of floats. */
    static final class Numbers {
        /** Longest number text converted; longer ones are kept as they are (parsing is quadratic). */
        static final int MAX_DIGITS = 100;

        private Numbers() {
        }

        /** INT: {@code 01}/{@code 00} are True/False (Python 2 wrote bools so), else an int. */
        static PickleValue intLine(String s) {
            if (s.equals("01")) {
                return Const.TRUE;
            }
            if (s.equals("00")) {
                return Const.FALSE;
            }
            return new Num(integer(s));
        }

        /** LONG: Python 2's {@code 123L}. */
        static PickleValue longLine(String s) {
            return new Num(integer(s.endsWith("L") ? s.substring(0, s.length() - 1) : s));
        }

        static PickleValue floatLine(String s) {
            if (s.length() > MAX_DIGITS) {
                return new Num(s.substring(0, MAX_DIGITS) + "...");
            }
            try {
                return new Num(floatRepr(Double.parseDouble(s.strip())));
            } catch (NumberFormatException e) {
                return new Num(s); // the scanner does not check these lines either
            }
        }

        private static String integer(String s) {
            if (s.length() > MAX_DIGITS) {
                return s.substring(0, MAX_DIGITS) + "...";
            }
            try {
                return new BigInteger(s.strip()).toString();
            } catch (NumberFormatException e) {
                return s;
            }
        }

        /** Python's {@code repr(float)}: shortest digits, fixed between 1e-4 and 1e16. */
        static String floatRepr(double d) {
            if (Double.isNaN(d)) {
                return "nan";
            }
            if (Double.isInfinite(d)) {
                return d > 0 ? "inf" : "-inf";
            }
            if (d == 0) {
                return 1 / d < 0 ? "-0.0" : "0.0";
            }
            java.math.BigDecimal bd = new java.math.BigDecimal(Double.toString(Math.abs(d))).stripTrailingZeros();
            String digits = bd.unscaledValue().toString();
            int exp = digits.length() - 1 - bd.scale();
            String sign = d < 0 ? "-" : "";
            if (exp >= -4 && exp < 16) {
                return sign + fixed(digits, exp);
            }
            String mantissa = digits.length() == 1 ? digits : digits.charAt(0) + "." + digits.substring(1);
            return sign + mantissa + "e" + (exp < 0 ? "-" : "+") + (Math.abs(exp) < 10 ? "0" : "") + Math.abs(exp);
        }

        private static String fixed(String digits, int exp) {
            if (exp < 0) {
                return "0." + "0".repeat(-exp - 1) + digits;
            }
            if (digits.length() <= exp + 1) {
                return digits + "0".repeat(exp + 1 - digits.length()) + ".0";
            }
            return digits.substring(0, exp + 1) + "." + digits.substring(exp + 1);
        }
    }
}
