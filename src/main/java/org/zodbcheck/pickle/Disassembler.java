package org.zodbcheck.pickle;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.MathContext;
import java.math.RoundingMode;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * A disassembler of the pickles of a ZODB data record, printing what Python 3.11's
 * {@code pickletools.dis(f, memo=memo, annotate=0)} prints when called once per pickle on one
 * stream holding the record, with one memo for all the calls (for {@code zodbcheck show OID
 * --pickle}).
 *
 * <p>Each opcode gives a line {@code "%5d: %-4s %s%s"} of its position, its byte (as Python shows
 * it: {@code (}, {@code \x80}), four spaces per open MARK and its name, then, if it has an
 * argument or a note, padding to ten characters, the Python repr of the argument and notes such as
 * {@code (MARK at 12)} or {@code (as 5)}; each STOP is followed by {@code highest protocol among
 * opcodes = N}. Positions count from the start of the record data, so those of the state pickle
 * continue after the class pickle. Stack, MARK and memo checks are pickletools' own, except that
 * a memo slot defined by an earlier pickle of the record may be defined again (ZODB shares the
 * memo between the pickles and its unpickler simply overwrites).
 *
 * <p>Differences from pickletools, on purpose: an argument repr longer than {@value #MAX_REPR}
 * characters is cut to its first {@value #MAX_REPR} characters followed by {@code ...}; STRING,
 * PERSID, GLOBAL and INST arguments that are not ASCII after unescaping are shown decoded as
 * latin-1 (pickletools raises {@code UnicodeDecodeError}); the indentation of nested MARKs stops
 * growing at {@value #MAX_INDENT} levels (a record nested 100 000 deep would otherwise print
 * gigabytes). Integers of more than {@value #MAX_INT_DIGITS} decimal digits end the output with
 * Python 3.11's own error, as pickletools there does (converting them costs time and memory that
 * grow faster than their size). On malformed data the output ends with
 * one line {@code ERROR: <message> at byte <pos>} where pickletools raises: {@code pos} is the
 * position of the opcode at fault (for "pickle exhausted before seeing STOP", the end of the data),
 * and the message is pickletools' message where it has one.
 *
 * <p>Strings are shown with Python's repr rules, including which characters are printable
 * ({@code str.isprintable()} of Python 3.11, Unicode 14.0, whatever the JDK's Unicode version).
 */
public final class Disassembler {
    /** Longest argument repr printed in full (in characters, that is code points). */
    static final int MAX_REPR = 200;
    /** Deepest MARK nesting shown by indentation (4 spaces per level, as pickletools). */
    static final int MAX_INDENT = 16;
    /** Python 3.11's default {@code sys.get_int_max_str_digits()}. */
    static final int MAX_INT_DIGITS = 4300;
    /** Bits below which an integer surely has at most {@link #MAX_INT_DIGITS} digits: 4300 * log2(10) is 14284.3. */
    private static final int MAX_INT_BITS = 14284;

    private static final String MARK = "mark";

    private Disassembler() {
    }

    /**
     * Disassembles {@code data[off, off + len)}: one pickle after another until the data ends (a
     * ZODB record holds two). Never throws on malformed data: what was decoded is printed, then
     * an {@code ERROR:} line. Empty data is "pickle exhausted before seeing STOP at byte 0".
     *
     * @throws IndexOutOfBoundsException if {@code off} and {@code len} do not fit {@code data}
     */
    public static String dis(byte[] data, int off, int len) {
        Objects.checkFromIndexSize(off, len, data.length);
        StringBuilder out = new StringBuilder();
        new Run(data, off, len, out).run();
        return out.toString();
    }

    /** Stops the disassembly; becomes the ERROR line. */
    private static final class Bad extends Exception {
        final int at;

        Bad(String message, int at) {
            super(message, null, false, false);
            this.at = at;
        }
    }

    /** A memo slot: the stack object stored and the pickle (0, 1, ...) that stored it. */
    private record Slot(String obj, int pickle) {
    }

    /** One disassembly: pickletools.dis's loop, with its crude stack emulation. */
    private static final class Run {
        private final byte[] in;
        private final int base;
        private final int end;
        private final StringBuilder out;
        private int p;
        private final Map<BigInteger, Slot> memo = new HashMap<>();
        private int pickleNo;

        // per pickle
        /** Stack objects by pickletools' names ("mark", "any", "list", ...). */
        private final List<String> stack = new ArrayList<>();
        /** Positions of the MARK opcodes not yet closed. */
        private int[] marks = new int[16];
        private int nmarks;
        private int maxProto;

        // per opcode
        private int opAt;
        /** The value of an integer argument (memo index for PUT and GET). */
        private BigInteger key;
        /** Length of the data {@link #counted} found. */
        private int lastCount;

        Run(byte[] in, int off, int len, StringBuilder out) {
            this.in = in;
            this.base = off;
            this.end = off + len;
            this.out = out;
            this.p = off;
        }

        void run() {
            try {
                do {
                    runPickle();
                    pickleNo++;
                } while (p < end);
            } catch (Bad e) {
                error(e.getMessage(), e.at);
            } catch (RuntimeException | StackOverflowError | OutOfMemoryError e) {
                // A bug or absurd sizes, not bad data; the caller still gets what was decoded.
                error("cannot disassemble further: " + e, opAt);
            }
        }

        private void error(String message, int at) {
            out.append("ERROR: ").append(message).append(" at byte ").append(at).append('\n');
        }

        private void runPickle() throws Bad {
            stack.clear();
            nmarks = 0;
            maxProto = -1;
            while (true) {
                opAt = p - base;
                if (p >= end) {
                    throw new Bad("pickle exhausted before seeing STOP", opAt);
                }
                int code = in[p] & 0xff;
                Opcode op = Opcode.of(code);
                if (op == null) {
                    throw bad("opcode " + bytesRepr(in, p, 1) + " unknown");
                }
                p++;
                key = null;
                String arg = readArg(op);
                if (step(op, code, arg)) {
                    return;
                }
            }
        }

        /** Prints one opcode and applies its stack effect; true after STOP. */
        private boolean step(Opcode op, int code, String arg) throws Bad {
            String name = op.name();
            maxProto = Math.max(maxProto, op.proto());
            int markIndex = markIndex(op);
            int numToPop = popCount(op);
            String[] after = after(op);
            String markMsg = null;
            String errorMsg = null;
            int indent = nmarks;

            if (markIndex >= 0 || (op == Opcode.POP && !stack.isEmpty() && isMark(top()))) {
                if (nmarks > 0) {
                    int markPos = marks[--nmarks];
                    markMsg = "(MARK at " + markPos + ")";
                    int i = stack.lastIndexOf(MARK);
                    if (i < 0) {
                        // pickletools fails with an IndexError here, before printing the line
                        throw bad("the MARK at " + markPos + " is no longer on the stack");
                    }
                    stack.subList(i, stack.size()).clear();
                    numToPop = Math.max(markIndex, 0);
                } else {
                    errorMsg = markMsg = "no MARK exists on stack";
                }
            }

            switch (op) {
                case PUT, BINPUT, LONG_BINPUT, MEMOIZE -> {
                    BigInteger idx;
                    String shown;
                    if (op == Opcode.MEMOIZE) {
                        idx = BigInteger.valueOf(memo.size());
                        markMsg = "(as " + memo.size() + ")";
                        shown = "None";
                    } else {
                        idx = key;
                        shown = arg;
                    }
                    Slot old = memo.get(idx);
                    if (old != null && old.pickle() == pickleNo) {
                        errorMsg = "memo key " + shown + " already defined";
                    } else if (stack.isEmpty()) {
                        errorMsg = "stack is empty -- can't store into memo";
                    } else if (isMark(top())) {
                        errorMsg = "can't store markobject in the memo";
                    } else {
                        memo.put(idx, new Slot(top(), pickleNo));
                    }
                }
                case GET, BINGET, LONG_BINGET -> {
                    Slot slot = memo.get(key);
                    if (slot != null) {
                        after = new String[] {slot.obj()};
                    } else {
                        errorMsg = "memo key " + arg + " has never been stored into";
                    }
                }
                default -> {
                }
            }

            StringBuilder line = new StringBuilder(64);
            // String.format("%5d: "), written out: a line per opcode makes it the hot spot
            String at = Integer.toString(opAt);
            line.append("     ", 0, Math.max(0, 5 - at.length())).append(at).append(": ");
            String c = codeRepr(code);
            line.append(c);
            line.append(" ".repeat(Math.max(0, 4 - c.length())));
            line.append(' ');
            line.append("    ".repeat(Math.min(indent, MAX_INDENT)));
            line.append(name);
            if (arg != null || markMsg != null) {
                line.append(" ".repeat(Math.max(0, 10 - name.length())));
                if (arg != null) {
                    line.append(' ').append(arg);
                }
                if (markMsg != null) {
                    line.append(' ').append(markMsg);
                }
            }
            out.append(line).append('\n');

            if (errorMsg != null) {
                throw bad(errorMsg);
            }
            if (stack.size() < numToPop) {
                throw bad("tries to pop " + numToPop + " items from stack with only " + stack.size() + " items");
            }
            stack.subList(stack.size() - numToPop, stack.size()).clear();
            for (String s : after) {
                if (isMark(s)) {
                    if (nmarks == marks.length) {
                        marks = Arrays.copyOf(marks, nmarks * 2);
                    }
                    marks[nmarks++] = opAt;
                }
                stack.add(s);
            }

            if (op == Opcode.STOP) {
                out.append("highest protocol among opcodes = ").append(maxProto).append('\n');
                if (!stack.isEmpty()) {
                    throw bad("stack not empty after STOP: [" + String.join(", ", stack) + "]");
                }
                return true;
            }
            return false;
        }

        private String top() {
            return stack.get(stack.size() - 1);
        }

        private static boolean isMark(String obj) {
            return MARK.equals(obj);
        }

        private Bad bad(String message) {
            return new Bad(message, opAt);
        }

        // ---- arguments (pickletools' read_* functions); each returns the repr to print

        private String readArg(Opcode op) throws Bad {
            switch (op.arg()) {
                case NONE:
                    return null;
                case UINT1:
                    return intArg(BigInteger.valueOf(uint1()));
                case UINT2:
                    return intArg(BigInteger.valueOf(fixed(2, "uint2")));
                case INT4:
                    return intArg(BigInteger.valueOf((int) fixed(4, "int4")));
                case UINT4:
                    return intArg(BigInteger.valueOf(fixed(4, "uint4")));
                case UINT8:
                    return intArg(new BigInteger(Long.toUnsignedString(fixed(8, "uint8"))));
                case DECIMALNL_SHORT: {
                    byte[] s = line("stringnl");
                    if (s.length == 2 && s[0] == '0' && (s[1] == '0' || s[1] == '1')) {
                        key = s[1] == '1' ? BigInteger.ONE : BigInteger.ZERO;
                        return s[1] == '1' ? "True" : "False";
                    }
                    return intArg(pyInt(s, this));
                }
                case DECIMALNL_LONG: {
                    byte[] s = line("stringnl");
                    if (s.length > 0 && s[s.length - 1] == 'L') {
                        s = Arrays.copyOf(s, s.length - 1);
                    }
                    return intArg(pyInt(s, this));
                }
                case STRINGNL: {
                    byte[] s = line("stringnl");
                    byte q = s.length > 0 ? s[0] : 0;
                    if (q != '"' && q != '\'') {
                        throw bad("no string quotes around " + bytesRepr(s, 0, s.length));
                    }
                    if (s[s.length - 1] != q) {
                        throw bad("strinq quote " + bytesRepr(s, 0, 1) + " not found at both ends of "
                                + bytesRepr(s, 0, s.length));
                    }
                    byte[] v = unescape(s, 1, Math.max(0, s.length - 2));
                    return strRepr(v, 0, v.length, false);
                }
                case STRINGNL_NOESCAPE: {
                    byte[] s = line("stringnl");
                    byte[] v = unescape(s, 0, s.length);
                    return strRepr(v, 0, v.length, false);
                }
                case STRINGNL_NOESCAPE_PAIR: {
                    byte[] a = line("stringnl");
                    a = unescape(a, 0, a.length);
                    byte[] b = line("stringnl");
                    b = unescape(b, 0, b.length);
                    byte[] v = Arrays.copyOf(a, a.length + 1 + b.length);
                    v[a.length] = ' ';
                    System.arraycopy(b, 0, v, a.length + 1, b.length);
                    return strRepr(v, 0, v.length, false);
                }
                case STRING1:
                    return strRepr(in, counted(uint1(), "string1"), lastCount, false);
                case STRING4: {
                    long n = (int) fixed(4, "int4");
                    if (n < 0) {
                        throw bad("string4 byte count < 0: " + n);
                    }
                    return strRepr(in, counted(n, "string4"), lastCount, false);
                }
                case BYTES1:
                    return bytesRepr(in, counted(uint1(), "bytes1"), lastCount);
                case BYTES4:
                    return bytesRepr(in, counted(fixed(4, "uint4"), "bytes4"), lastCount);
                case BYTES8: {
                    String what = op == Opcode.BYTEARRAY8 ? "bytearray8" : "bytes8";
                    long n = fixed(8, "uint8");
                    if (n < 0) {
                        throw bad(what + " byte count > sys.maxsize: " + Long.toUnsignedString(n));
                    }
                    int at = counted(n, what);
                    return op == Opcode.BYTEARRAY8 ? limit("bytearray(" + bytesRepr(in, at, lastCount) + ")")
                            : bytesRepr(in, at, lastCount);
                }
                case UNICODESTRINGNL: {
                    byte[] s = line("unicodestringnl");
                    byte[] utf8 = Escapes.rawUnicodeEscapeToUtf8(s, 0, s.length);
                    if (utf8 == null) {
                        throw bad("'rawunicodeescape' codec can't decode " + bytesRepr(s, 0, s.length)
                                + ": bad \\uXXXX or \\UXXXXXXXX escape");
                    }
                    return strRepr(utf8, 0, utf8.length, true);
                }
                case UNICODESTRING1:
                    return text(counted(uint1(), "unicodestring1"), "unicodestring1");
                case UNICODESTRING4:
                    return text(counted(fixed(4, "uint4"), "unicodestring4"), "unicodestring4");
                case UNICODESTRING8: {
                    long n = fixed(8, "uint8");
                    if (n < 0) {
                        throw bad("unicodestring8 byte count > sys.maxsize: " + Long.toUnsignedString(n));
                    }
                    return text(counted(n, "unicodestring8"), "unicodestring8");
                }
                case FLOATNL:
                    return floatRepr(pyFloat(line("stringnl"), this));
                case FLOAT8: {
                    if (end - p < 8) {
                        p = end;
                        throw bad("not enough data in stream to read float8");
                    }
                    long bits = 0;
                    for (int i = 0; i < 8; i++) {
                        bits = (bits << 8) | (in[p++] & 0xffL);
                    }
                    return floatRepr(Double.longBitsToDouble(bits));
                }
                case LONG1: {
                    int n = uint1();
                    if (end - p < n) {
                        p = end;
                        throw bad("not enough data in stream to read long1");
                    }
                    return longArg(n);
                }
                case LONG4: {
                    long n = (int) fixed(4, "int4");
                    if (n < 0) {
                        throw bad("long4 byte count < 0: " + n);
                    }
                    if (end - p < n) {
                        p = end;
                        throw bad("not enough data in stream to read long4");
                    }
                    return longArg((int) n);
                }
                default:
                    throw new AssertionError(op.arg());
            }
        }

        private String intArg(BigInteger v) {
            key = v;
            return limit(v.toString());
        }

        private int uint1() throws Bad {
            if (p >= end) {
                throw bad("not enough data in stream to read uint1");
            }
            return in[p++] & 0xff;
        }

        /** A little-endian unsigned number of {@code n} bytes (8 bytes: the raw 64 bits). */
        private long fixed(int n, String what) throws Bad {
            if (end - p < n) {
                p = end;
                throw bad("not enough data in stream to read " + what);
            }
            long v = 0;
            for (int i = n - 1; i >= 0; i--) {
                v = (v << 8) | (in[p + i] & 0xffL);
            }
            p += n;
            return v;
        }

        /** Skips {@code n} bytes of data and returns where they start. */
        private int counted(long n, String what) throws Bad {
            int avail = end - p;
            if (n > avail) {
                p = end;
                throw bad("expected " + n + " bytes in a " + what + ", but only " + avail + " remain");
            }
            int at = p;
            lastCount = (int) n;
            p += (int) n;
            return at;
        }

        /** A line without its newline; the position moves past the newline. */
        private byte[] line(String what) throws Bad {
            for (int i = p; i < end; i++) {
                if (in[i] == '\n') {
                    byte[] s = Arrays.copyOfRange(in, p, i);
                    p = i + 1;
                    return s;
                }
            }
            p = end;
            throw bad("no newline found when trying to read " + what);
        }

        private String text(int at, String what) throws Bad {
            if (!Utf8.valid(in, at, lastCount)) {
                throw bad("'utf-8' codec can't decode the " + what + " " + bytesRepr(in, at, lastCount));
            }
            return strRepr(in, at, lastCount, true);
        }

        private String longArg(int n) throws Bad {
            byte[] be = new byte[n];
            for (int i = 0; i < n; i++) {
                be[i] = in[p + n - 1 - i];
            }
            p += n;
            BigInteger v = n == 0 ? BigInteger.ZERO : new BigInteger(be);
            int bits = v.bitLength();
            // repr() of such an int raises in Python 3.11. Decided on the bit length where it
            // can be, so that a megabyte-long LONG4 is never converted to decimal.
            if (bits > MAX_INT_BITS + 64 || (bits > MAX_INT_BITS && v.abs().toString().length() > MAX_INT_DIGITS)) {
                throw bad("Exceeds the limit (" + MAX_INT_DIGITS + " digits) for integer string conversion;"
                        + " use sys.set_int_max_str_digits() to increase the limit");
            }
            return intArg(v);
        }

        /** Python's {@code codecs.escape_decode}, with its error messages. */
        private byte[] unescape(byte[] s, int off, int len) throws Bad {
            byte[] v = Escapes.unescapeBytes(s, off, len);
            if (v != null) {
                return v;
            }
            for (int i = off, e = off + len; i < e; i++) {
                if (s[i] != '\\') {
                    continue;
                }
                if (i + 1 >= e) {
                    throw bad("Trailing \\ in string");
                }
                if (s[i + 1] == 'x') {
                    if (i + 3 >= e || hex(s[i + 2]) < 0 || hex(s[i + 3]) < 0) {
                        throw bad("invalid \\x escape at position " + (i - off));
                    }
                    i += 3;
                    continue;
                }
                i++; // the escaped character (octal digits that follow are plain bytes here)
            }
            throw bad("invalid escape");
        }

        private static int hex(byte b) {
            return b >= 0 ? Character.digit(b, 16) : -1;
        }
    }

    // ---- stack effects (pickletools' stack_before / stack_after)

    /** Index of the mark in the opcode's stack_before, or -1. */
    private static int markIndex(Opcode op) {
        return switch (op) {
            case LIST, TUPLE, DICT, POP_MARK, FROZENSET, INST, OBJ -> 0;
            case APPENDS, SETITEMS, ADDITEMS -> 1;
            default -> -1;
        };
    }

    /** Length of the opcode's stack_before. */
    private static int popCount(Opcode op) {
        return switch (op) {
            case LIST, TUPLE, DICT, POP_MARK, FROZENSET, INST -> 2;
            case APPENDS, SETITEMS, ADDITEMS, OBJ, TUPLE3, NEWOBJ_EX, SETITEM -> 3;
            case APPEND, TUPLE2, REDUCE, BUILD, NEWOBJ, STACK_GLOBAL -> 2;
            case TUPLE1, POP, DUP, MEMOIZE, STOP, BINPERSID, READONLY_BUFFER -> 1;
            default -> 0;
        };
    }

    private static final String[] NOTHING = {};

    /** The opcode's stack_after, by pickletools' names. */
    private static String[] after(Opcode op) {
        String one = switch (op) {
            case INT -> "int_or_bool";
            case BININT, BININT1, BININT2, LONG, LONG1, LONG4 -> "int";
            case STRING, BINSTRING, SHORT_BINSTRING -> "bytes_or_str";
            case BINBYTES, SHORT_BINBYTES, BINBYTES8 -> "bytes";
            case BYTEARRAY8 -> "bytearray";
            case NEXT_BUFFER, READONLY_BUFFER -> "buffer";
            case NONE -> "None";
            case NEWTRUE, NEWFALSE -> "bool";
            case UNICODE, SHORT_BINUNICODE, BINUNICODE, BINUNICODE8 -> "str";
            case FLOAT, BINFLOAT -> "float";
            case EMPTY_LIST, APPEND, APPENDS, LIST -> "list";
            case EMPTY_TUPLE, TUPLE, TUPLE1, TUPLE2, TUPLE3 -> "tuple";
            case EMPTY_DICT, DICT, SETITEM, SETITEMS -> "dict";
            case EMPTY_SET, ADDITEMS -> "set";
            case FROZENSET -> "frozenset";
            case MARK -> MARK;
            case GET, BINGET, LONG_BINGET, MEMOIZE, EXT1, EXT2, EXT4, GLOBAL, STACK_GLOBAL, REDUCE, BUILD,
                    INST, OBJ, NEWOBJ, NEWOBJ_EX, PERSID, BINPERSID -> "any";
            case DUP -> null;
            default -> "";
        };
        if (one == null) {
            return new String[] {"any", "any"};
        }
        return one.isEmpty() ? NOTHING : new String[] {one};
    }

    // ---- Python reprs

    /** The opcode byte as pickletools shows it: {@code repr(chr(code))[1:-1]}. */
    private static String codeRepr(int code) {
        return code >= 0x20 && code < 0x7f ? String.valueOf((char) code)
                : "\\x" + Character.forDigit(code >> 4, 16) + Character.forDigit(code & 15, 16);
    }

    /** Cuts a repr to {@link #MAX_REPR} characters and "...". */
    static String limit(String repr) {
        if (repr.length() <= MAX_REPR || repr.codePointCount(0, repr.length()) <= MAX_REPR) {
            return repr;
        }
        return repr.substring(0, repr.offsetByCodePoints(0, MAX_REPR)) + "...";
    }

    /** A repr under construction that stops growing once it is sure to be cut. */
    private static final class Limited {
        final StringBuilder sb = new StringBuilder();
        int chars;

        boolean full() {
            return chars > MAX_REPR;
        }

        void add(char c) {
            sb.append(c);
            chars++;
        }

        void addCodePoint(int cp) {
            sb.appendCodePoint(cp);
            chars++;
        }

        void escape(char kind, int v, int digits) {
            sb.append('\\').append(kind);
            String h = Integer.toHexString(v);
            sb.append("0".repeat(digits - h.length())).append(h);
            chars += 2 + digits;
        }

        String done() {
            if (chars <= MAX_REPR) {
                return sb.toString();
            }
            return sb.substring(0, sb.offsetByCodePoints(0, MAX_REPR)) + "...";
        }
    }

    /** Python's quote choice: {@code "} only if the text has {@code '} and no {@code "}. */
    private static char quote(byte[] b, int off, int len) {
        boolean single = false;
        boolean dbl = false;
        for (int i = off, e = off + len; i < e; i++) {
            if (b[i] == '\'') {
                single = true;
            } else if (b[i] == '"') {
                dbl = true;
            }
        }
        return single && !dbl ? '"' : '\'';
    }

    /** {@code repr(bytes)}. */
    static String bytesRepr(byte[] b, int off, int len) {
        char q = quote(b, off, len);
        Limited r = new Limited();
        r.add('b');
        r.add(q);
        for (int i = off, e = off + len; i < e && !r.full(); i++) {
            int c = b[i] & 0xff;
            if (c == q || c == '\\') {
                r.add('\\');
                r.add((char) c);
            } else if (c == '\t') {
                r.add('\\');
                r.add('t');
            } else if (c == '\n') {
                r.add('\\');
                r.add('n');
            } else if (c == '\r') {
                r.add('\\');
                r.add('r');
            } else if (c < 0x20 || c >= 0x7f) {
                r.escape('x', c, 2);
            } else {
                r.add((char) c);
            }
        }
        r.add(q);
        return r.done();
    }

    /**
     * {@code repr(str)} of a text given as latin-1 bytes (one code point per byte) or as UTF-8
     * that {@link Utf8#valid} accepts (encoded surrogates included).
     */
    static String strRepr(byte[] b, int off, int len, boolean utf8) {
        char q = quote(b, off, len); // quotes are ASCII: in UTF-8 such a byte is that character
        Limited r = new Limited();
        r.add(q);
        int i = off;
        int e = off + len;
        while (i < e && !r.full()) {
            int c = b[i] & 0xff;
            int cp;
            if (!utf8 || c < 0x80) {
                cp = c;
                i++;
            } else if (c < 0xe0) {
                cp = ((c & 0x1f) << 6) | (b[i + 1] & 0x3f);
                i += 2;
            } else if (c < 0xf0) {
                cp = ((c & 0x0f) << 12) | ((b[i + 1] & 0x3f) << 6) | (b[i + 2] & 0x3f);
                i += 3;
            } else {
                cp = ((c & 0x07) << 18) | ((b[i + 1] & 0x3f) << 12) | ((b[i + 2] & 0x3f) << 6) | (b[i + 3] & 0x3f);
                i += 4;
            }
            if (cp == q || cp == '\\') {
                r.add('\\');
                r.add((char) cp);
            } else if (cp == '\t') {
                r.add('\\');
                r.add('t');
            } else if (cp == '\n') {
                r.add('\\');
                r.add('n');
            } else if (cp == '\r') {
                r.add('\\');
                r.add('r');
            } else if (cp < 0x20 || cp == 0x7f) {
                r.escape('x', cp, 2);
            } else if (cp < 0x7f || isPrintable(cp)) {
                r.addCodePoint(cp);
            } else if (cp <= 0xff) {
                r.escape('x', cp, 2);
            } else if (cp <= 0xffff) {
                r.escape('u', cp, 4);
            } else {
                r.escape('U', cp, 8);
            }
        }
        r.add(q);
        return r.done();
    }

    /** {@code repr(float)}: the shortest digits that read back as the same double. */
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
        String sign = d < 0 ? "-" : "";
        double a = Math.abs(d);
        BigDecimal exact = new BigDecimal(a);
        BigDecimal best = null;
        for (int prec = 1; prec <= 17 && best == null; prec++) {
            // the nearest prec-digit decimal, else the one on the other side (near powers of 2
            // the interval of decimals that read back as a is not symmetric)
            for (RoundingMode mode : new RoundingMode[] {RoundingMode.HALF_EVEN, RoundingMode.FLOOR,
                RoundingMode.CEILING}) {
                BigDecimal c = exact.round(new MathContext(prec, mode));
                if (Double.parseDouble(c.toString()) == a) {
                    if (best == null || c.subtract(exact).abs().compareTo(best.subtract(exact).abs()) < 0) {
                        best = c;
                    }
                }
            }
        }
        if (best == null) {
            best = exact.round(new MathContext(17, RoundingMode.HALF_EVEN));
        }
        best = best.stripTrailingZeros();
        String digits = best.unscaledValue().toString();
        int n = digits.length();
        int decpt = n - best.scale(); // the value is 0.<digits> * 10^decpt
        StringBuilder s = new StringBuilder(sign);
        if (decpt <= -4 || decpt > 16) {
            s.append(digits.charAt(0));
            if (n > 1) {
                s.append('.').append(digits, 1, n);
            }
            int exp = decpt - 1;
            s.append(exp < 0 ? "e-" : "e+");
            int ae = Math.abs(exp);
            if (ae < 10) {
                s.append('0');
            }
            s.append(ae);
        } else if (decpt <= 0) {
            s.append("0.").append("0".repeat(-decpt)).append(digits);
        } else if (decpt >= n) {
            s.append(digits).append("0".repeat(decpt - n)).append(".0");
        } else {
            s.append(digits, 0, decpt).append('.').append(digits, decpt, n);
        }
        return s.toString();
    }

    // ---- Python's int() and float() of a line of bytes

    private static boolean isSpace(byte b) {
        return b == ' ' || (b >= '\t' && b <= '\r');
    }

    private static String strip(byte[] s) {
        int i = 0;
        int j = s.length;
        while (i < j && isSpace(s[i])) {
            i++;
        }
        while (j > i && isSpace(s[j - 1])) {
            j--;
        }
        return new String(s, i, j - i, StandardCharsets.ISO_8859_1);
    }

    private static final Pattern SPECIAL = Pattern.compile("[+-]?(?:inf|infinity|nan)", Pattern.CASE_INSENSITIVE);

    /**
     * {@code int(s)} (base 10). The syntax is checked by a loop, not a regular expression, whose
     * repeated group would overflow the stack on a line of a megabyte.
     */
    private static BigInteger pyInt(byte[] s, Run run) throws Bad {
        String t = strip(s);
        int from = !t.isEmpty() && (t.charAt(0) == '+' || t.charAt(0) == '-') ? 1 : 0;
        if (digitsEnd(t, from) != t.length()) {
            throw run.bad("invalid literal for int() with base 10: " + bytesRepr(s, 0, s.length));
        }
        String digits = t.replace("_", "");
        int n = digits.length() - from;
        if (n > MAX_INT_DIGITS) {
            throw run.bad("Exceeds the limit (" + MAX_INT_DIGITS + " digits) for integer string conversion: value has "
                    + n + " digits; use sys.set_int_max_str_digits() to increase the limit");
        }
        return new BigInteger(digits);
    }

    /** {@code float(s)}: {@code [+-]?(D([.]D?)?|[.]D)([eE][+-]?D)?} with {@code D = [0-9](_?[0-9])*}. */
    private static double pyFloat(byte[] s, Run run) throws Bad {
        String t = strip(s);
        if (SPECIAL.matcher(t).matches()) {
            boolean neg = t.startsWith("-");
            if (t.toLowerCase().endsWith("nan")) {
                return Double.NaN;
            }
            return neg ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY;
        }
        if (!isFloat(t)) {
            throw run.bad("could not convert string to float: " + bytesRepr(s, 0, s.length));
        }
        return Double.parseDouble(t.replace("_", ""));
    }

    private static boolean isFloat(String t) {
        int n = t.length();
        int i = !t.isEmpty() && (t.charAt(0) == '+' || t.charAt(0) == '-') ? 1 : 0;
        int j = digitsEnd(t, i);
        if (j >= 0) {
            i = j;
            if (i < n && t.charAt(i) == '.') {
                j = digitsEnd(t, ++i);
                i = j >= 0 ? j : i;
            }
        } else {
            if (i >= n || t.charAt(i) != '.' || (i = digitsEnd(t, i + 1)) < 0) {
                return false;
            }
        }
        if (i < n && (t.charAt(i) == 'e' || t.charAt(i) == 'E')) {
            i++;
            if (i < n && (t.charAt(i) == '+' || t.charAt(i) == '-')) {
                i++;
            }
            i = digitsEnd(t, i);
        }
        return i == n;
    }

    /**
     * End of the digits {@code [0-9](_?[0-9])*} starting at {@code i} (as far as they go), or -1
     * if no digit is there. An underscore belongs to the digits only when a digit follows it, as
     * in the regular expression, so stopping early never needs backtracking.
     */
    private static int digitsEnd(String t, int i) {
        int n = t.length();
        if (i >= n || !isDigit(t.charAt(i))) {
            return -1;
        }
        i++;
        while (i < n) {
            if (isDigit(t.charAt(i))) {
                i++;
            } else if (t.charAt(i) == '_' && i + 1 < n && isDigit(t.charAt(i + 1))) {
                i += 2;
            } else {
                break;
            }
        }
        return i;
    }

    private static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }

    // ---- str.isprintable() of Python 3.11 (Unicode 14.0.0)

    /**
     * The code points where printability changes, from U+0000 (not printable) on, as differences
     * from the previous one, each in base 32, most significant digit first: digits
     * {@code 0-9a-v} go on, the last digit is one of {@code w-zA-Z+/}. Generated with
     * {@code [c for c in range(0x110000) if chr(c).isprintable() != chr(c - 1).isprintable()]}.
     */
    private static final String PRINTABLE_CHANGES =
            "1w2/1yIxmGyCADxxxQxcJx1Cy1Oyzx1TEXACNSx6wx1My1Xy3BK1Xy1NyLxYyxxHB/F2Gx5xxEyyySxDxxzAyFyy"
            + "yAExAyxByVyzxCAyySxDxyxyxyyxxBAyyzzxDAxxDNGzxFxzxSxDxyxByGxzxzyxLAyIDDxzxEyyySxDxyxByFyy"
            + "yzDzAyxByOGyxCzzxAzyxxxyzyzzzIABzzxAyxCxKRBJxzxTxMyFxzxADyxzyxyAyGDSxzxTxGxByFxzxADyCyxA"
            + "yGxyJJxzx1PxzxCAMyWxzxOzUxFxxyDzxACxxxECGyzI1WAZ1ByxxxBxUxxxTyBxxxCyGyA1w2Ex1AA1Dx1AxLxJ"
            + "1B6CxxBxybVxAyDxxxAy1FxAy1xxAyDxxxAyLx1VxAy2zy1wzWC2SyCykwxYz2VDSFUFQIJxzxyI2+yGCGCKxHC2"
            + "VD1HB2CG/xIAIAxz1GyBH1IAWCHz1+y2xxZyHCGCKy/1N2Jz1Lx3QE1YzLz1YD1HyHE1HBgSyCy1CyCyExxxxxxx"
            + "/y1RxLxKyCxPyzxFNUE1LNyyXxJz1xL1xL4IAkTVHR1oQy1wxaZB1JxxBxy1UDyKUFDxDxDxDxDxDxDxDx3+1yWx"
            + "2VI6SWIB1/x2Sy3DB1Hx2+x2QI1LxsjJz1TFaYQ5UE6HByxxxBU1XzGC1UE2CEIC3QH+z2KxHA1xx1TFKyGy3DUY"
            + "GCyCyCFDxDx1YA3+yGCatAITA1N88AbKy3G1CDIBBWxBxxxyxyx3ZMdZy1SDx1w1GC1PxPxAABx4DA5+zCyCyCyz"
            + "zDxDJyyIxWxPxyxLyK1y3XBzA1Jz2UxJzx1L1K4yZz1NLYA1AF+B1HB+x1BAK1G4+yGC1AA1AA1EE1QHIxLxDxyx"
            + "HxLxDxy2z9TFSGEUCx1GxF2BCyxx1IxyzxyTx2EEF1MPxyB1xzXBx2w1UAQy1OxyBExzxZyzAGDFD2w1w1DAIF1S"
            + "zZyXBWDAID2M2F1T1PJ1PD1KEG9C/x1Gxzyy2K1EE1GSW1CYQTF2KA1AF1+xBJVDGC1RxOE1DF3wxQHOx1I2xDxx"
            + "xAxLxHC1XBGCAxEyyySxDxyxBxGyyyzyxCxBDyDzB4H2YxB+2EEG5C1Sy1C1y2BHGCJP1WCG1SXyLAT5V1Y3A2PI"
            + "EyxyExyx+xyyIFG2CEy1KyHX2EE2PJ2F8DFx1JxKGZz1wySxK2FDxyx1IzxxyxFEGCCxyx1BxyxCDG9SV5TxL1OJ"
            + "sX3C3LxBH6A2iI3zJ11L3uNiD8dVhVD/xGA2NxGC+yCG2CGGxDxRBPlM2X3B2HA1VDN2wBHyK5vUE16S1GF8nDAx"
            + "Dxyx9z1JzNAEcI28A3HBJzFDGyA4jw1KyTF3Q1Y7SG1Dy2GE3MR2C4WQI2TFV4D2Rx2DxyyxyyyAxIxxxDx2xxAy"
            + "ExDxYxAxBxxzDxaQy9Ayl+LBxL12M/7xDxNyDxyxB6R1JzKyGAyaw/N1WBx17wDxAxyxLx6ByM1F2IAGAyoN2A2I"
            + "1Z6yAxXxyxxyxxGxAxxxxCxAxxxxxxzxyxxyxxxxxxxxxxyxxyAxDxAxAxxxGxNBzxBxN1Qy8K1IA3AILyLxLx1B"
            + "G5K1UZJ1IAFDyKC4WuUBMzJz3QI2VDIAxLIA1UEGC1EE+yy2KaQIKyBzBzDFZzHBCGGCEEDF4Px1T1BG10C19nw1"
            + "w41VD6+y5kyK79N30/g+1fy4qHlrdR7M";

    private static final int[] PRINTABLE = decodeChanges(PRINTABLE_CHANGES);

    private static int[] decodeChanges(String s) {
        String more = "0123456789abcdefghijklmnopqrstuv";
        String last = "wxyzABCDEFGHIJKLMNOPQRSTUVWXYZ+/";
        int[] t = new int[s.length()];
        int n = 0;
        int cp = 0;
        int acc = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            int d = more.indexOf(c);
            if (d >= 0) {
                acc = acc * 32 + d;
            } else {
                cp += acc * 32 + last.indexOf(c);
                t[n++] = cp;
                acc = 0;
            }
        }
        return Arrays.copyOf(t, n);
    }

    /** Python 3.11's {@code chr(cp).isprintable()}. */
    static boolean isPrintable(int cp) {
        int i = Arrays.binarySearch(PRINTABLE, cp);
        int changes = i >= 0 ? i + 1 : -i - 1;
        return (changes & 1) == 1;
    }
}
