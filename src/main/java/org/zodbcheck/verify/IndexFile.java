package org.zodbcheck.verify;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads a {@code Data.fs.index} (fsIndex, FORMAT.md §2.1) as a stream: a pickle of the position
 * up to which it is valid, then one pickle per 6-byte oid prefix {@code (prefix, bucket)} where
 * the bucket holds n 2-byte oid suffixes followed by n 6-byte positions, then {@code None}. Only
 * the opcodes such files hold are accepted (Python 3: protocol 3 with {@code C}/{@code B}
 * strings; Python 2: {@code U}/{@code T} strings); anything else makes the file unreadable, as
 * it would be to ZODB. Never allocates more than a bucket can hold (8 x 65536 bytes).
 */
public final class IndexFile {
    /** The file cannot be used; {@code offset} is where reading failed. */
    public static final class Unreadable extends Exception {
        private final long offset;

        Unreadable(String message, long offset) {
            super(message, null, false, false);
            this.offset = offset;
        }

        public long offset() {
            return offset;
        }
    }

    /** Receives every (oid, position) of the index. */
    @FunctionalInterface
    public interface EntrySink {
        void entry(long oid, long pos) throws IOException;
    }

    /** What the first pickle says. */
    public sealed interface Head permits Position, Legacy {
    }

    /** The current format: entries follow. */
    public record Position(long pos) implements Head {
    }

    /** The format of ZODB before 3.10: one pickled dict, which ZODB converts. */
    public record Legacy() implements Head {
    }

    private static final int MAX_BUCKET = 8 * 65536;

    private final InputStream in;
    private long offset;
    private final List<Object> stack = new ArrayList<>();
    private final List<Integer> marks = new ArrayList<>();

    private IndexFile(InputStream in) {
        this.in = in;
    }

    /** The head of the index at {@code path}. */
    public static Head head(Path path) throws IOException, Unreadable {
        if (legacy(path)) {
            return new Legacy();
        }
        try (InputStream in = new BufferedInputStream(Files.newInputStream(path))) {
            IndexFile f = new IndexFile(in);
            Object pos = f.pickle();
            if (pos instanceof Long p) {
                return new Position(p);
            }
            throw new Unreadable("its first pickle is not a position", 0);
        }
    }

    /** The old format pickles a dict: after an optional PROTO comes EMPTY_DICT or MARK. */
    private static boolean legacy(Path path) throws IOException {
        byte[] head = new byte[3];
        int n;
        try (InputStream in = Files.newInputStream(path)) {
            n = in.readNBytes(head, 0, 3);
        }
        int at = n >= 2 && (head[0] & 0xff) == 0x80 ? 2 : 0;
        return n > at && (head[at] == '}' || head[at] == '(');
    }

    /** Reads the whole index at {@code path}, handing every entry to {@code sink}. */
    public static void entries(Path path, EntrySink sink) throws IOException, Unreadable {
        try (InputStream in = new BufferedInputStream(Files.newInputStream(path))) {
            IndexFile f = new IndexFile(in);
            if (!(f.pickle() instanceof Long)) {
                throw new Unreadable("the first pickle is not a position", 0);
            }
            while (true) {
                long at = f.offset;
                Object v = f.pickle();
                if (v == null) {
                    return;
                }
                if (!(v instanceof Object[] t) || t.length != 2 || !(t[0] instanceof byte[] prefix)
                        || !(t[1] instanceof byte[] bucket) || prefix.length != 6 || bucket.length % 8 != 0) {
                    throw new Unreadable("an entry is not a (6-byte prefix, bucket) pair", at);
                }
                f.bucket(prefix, bucket, sink);
            }
        }
    }

    private void bucket(byte[] prefix, byte[] bucket, EntrySink sink) throws IOException {
        int n = bucket.length / 8;
        long high = 0;
        for (byte b : prefix) {
            high = (high << 8) | (b & 0xff);
        }
        for (int i = 0; i < n; i++) {
            long oid = (high << 16) | ((bucket[2 * i] & 0xff) << 8) | (bucket[2 * i + 1] & 0xff);
            long pos = 0;
            for (int k = 0; k < 6; k++) {
                pos = (pos << 8) | (bucket[2 * n + 6 * i + k] & 0xff);
            }
            sink.entry(oid, pos);
        }
    }

    private int read() throws IOException, Unreadable {
        int b = in.read();
        if (b < 0) {
            throw new Unreadable("the file ends inside a pickle", offset);
        }
        offset++;
        return b;
    }

    private byte[] read(long n) throws IOException, Unreadable {
        if (n < 0 || n > MAX_BUCKET) {
            throw new Unreadable("a string of " + n + " bytes is longer than any index entry", offset);
        }
        byte[] b = in.readNBytes((int) n);
        if (b.length != n) {
            throw new Unreadable("the file ends inside a string", offset + b.length);
        }
        offset += n;
        return b;
    }

    private long le(int bytes) throws IOException, Unreadable {
        long v = 0;
        for (int i = 0; i < bytes; i++) {
            v |= (long) read() << (8 * i);
        }
        return v;
    }

    private String line() throws IOException, Unreadable {
        StringBuilder sb = new StringBuilder();
        for (int c = read(); c != '\n'; c = read()) {
            if (sb.length() > 64) {
                throw new Unreadable("a number line is too long", offset);
            }
            sb.append((char) c);
        }
        return sb.toString();
    }

    /** One pickle: a position (Long or BigInteger), an entry (Object[] of two byte[]), or {@code null} for None. */
    private Object pickle() throws IOException, Unreadable {
        stack.clear();
        marks.clear();
        while (true) {
            long at = offset;
            int op;
            try {
                op = read();
            } catch (Unreadable e) {
                if (stack.isEmpty() && at == offset) {
                    throw new Unreadable("the file ends before the terminating None", at);
                }
                throw e;
            }
            switch (op) {
                case 0x80 -> read();                                   // PROTO
                case 0x95 -> le(8);                                    // FRAME
                case 'K' -> push((long) read());                       // BININT1
                case 'M' -> push(le(2));                               // BININT2
                case 'J' -> push((long) (int) le(4));                  // BININT
                case 0x8a -> push(long1(read()));                      // LONG1
                case 'I' -> push(number(line()));                      // INT
                case 'L' -> push(number(line().replace("L", "")));     // LONG
                case 'N' -> push(null);
                case 'C', 'U' -> push(read(read()));                   // SHORT_BINBYTES, SHORT_BINSTRING
                case 'B', 'T' -> push(read(le(4)));                    // BINBYTES, BINSTRING
                case 0x86 -> {                                         // TUPLE2
                    Object b = pop(at);
                    Object a = pop(at);
                    push(new Object[] {a, b});
                }
                case '(' -> marks.add(stack.size());
                case 't' -> tuple(at);
                case 'q', 'r', 0x94 -> {                               // BINPUT, LONG_BINPUT, MEMOIZE
                    if (op == 'q') {
                        read();
                    } else if (op == 'r') {
                        le(4);
                    }
                }
                case '.' -> {
                    if (stack.size() != 1) {
                        throw new Unreadable("a pickle that does not hold one value ends at byte " + at, at);
                    }
                    return stack.get(0);
                }
                default -> throw new Unreadable(String.format("opcode 0x%02x at byte %d is not one an index holds",
                        op, at), at);
            }
        }
    }

    private void tuple(long at) throws Unreadable {
        if (marks.isEmpty()) {
            throw new Unreadable("TUPLE without MARK at byte " + at, at);
        }
        int m = marks.remove(marks.size() - 1);
        Object[] t = stack.subList(m, stack.size()).toArray();
        while (stack.size() > m) {
            stack.remove(stack.size() - 1);
        }
        push(t);
    }

    private Object pop(long at) throws Unreadable {
        if (stack.isEmpty()) {
            throw new Unreadable("stack underflow at byte " + at, at);
        }
        return stack.remove(stack.size() - 1);
    }

    private void push(Object v) {
        stack.add(v);
    }

    private Object long1(int n) throws IOException, Unreadable {
        byte[] le = read(n);
        byte[] be = new byte[Math.max(1, n)];
        for (int i = 0; i < n; i++) {
            be[n - 1 - i] = le[i];
        }
        BigInteger v = n == 0 ? BigInteger.ZERO : new BigInteger(be);
        return v.bitLength() < 64 ? (Object) v.longValue() : v;
    }

    private Object number(String text) throws Unreadable {
        try {
            BigInteger v = new BigInteger(text.strip());
            return v.bitLength() < 64 ? (Object) v.longValue() : v;
        } catch (NumberFormatException e) {
            if (text.equals("00") || text.equals("01")) {
                return (long) text.charAt(1) - '0';
            }
            throw new Unreadable("not a number: " + new String(text.getBytes(StandardCharsets.ISO_8859_1),
                    StandardCharsets.ISO_8859_1), offset);
        }
    }
}
