package org.zodbcheck.pickle;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * Finds every persistent id in the two pickles of a ZODB data record without building objects:
 * the "noload" stack machine of FORMAT.md §3.6, over every opcode of protocols 0-5.
 *
 * <p>Values are {@code long} handles: a tag in the top byte and a payload (an offset into a
 * per-record byte arena for strings, an index into small per-record tables for globals, tuples
 * and lists). Only what can make up a persistent id is kept: byte and text strings up to
 * {@value #KEEP} bytes, globals, tuples and lists of up to three items; everything else is
 * "opaque". The exact stack effect of every opcode is applied all the same. The memo is shared by
 * both pickles of a record, as in ZODB.
 *
 * <p>Byte strings ({@code S T U B C \x8e}, Python 2 {@code str} included) are raw bytes; nothing
 * depends on the file's magic. A scanner is not thread-safe; use one per thread and reuse it.
 */
public final class PickleScanner {
    /** Longest string whose content is kept; pids and class names are short. */
    public static final int KEEP = 256;
    /** Deepest stack or mark nesting accepted; real pickles stay far below. */
    public static final int MAX_DEPTH = 1 << 20;
    /** Highest protocol accepted. ZODB itself reads only 0-3 (FORMAT.md §3.5). */
    public static final int MAX_PROTOCOL = 5;

    private static final int T_ABSENT = 0;
    private static final int T_OPAQUE = 1;
    private static final int T_NONE = 2;
    private static final int T_BYTES = 3;
    private static final int T_STR = 4;
    private static final int T_LONG_BYTES = 5;
    private static final int T_LONG_STR = 6;
    private static final int T_GLOBAL = 7;
    private static final int T_TUPLE = 8;
    private static final int T_LIST = 9;
    private static final int T_PERSISTENT = 10;


    // The dispatch loop switches on an opcode's kind, numbered by how often ZODB writes it (counted
    // on the bench storages, per 100 opcodes: BINPUT 34, BINUNICODE 16-20, the fixed-size ones
    // 9-13, TUPLE1-3 6, BINGET 4-6, ...), leaving out the BINPUTs right after a value, which the
    // loop takes without a dispatch. C1 compiles a switch into compare-and-branch tests in key
    // order, not a jump table, so a switch on the opcode itself tested BINUNICODE ('X') after some
    // thirty others.
    private static final int K_STRING4 = 0;
    private static final int K_FIXED = 1;
    private static final int K_TUPLE123 = 2;
    private static final int K_GET = 3;
    private static final int K_STRING1 = 4;
    private static final int K_BINPERSID = 5;
    private static final int K_MARK = 6;
    private static final int K_STOP = 7;
    private static final int K_PROTO = 8;
    private static final int K_ITEMS = 9;
    private static final int K_GLOBAL = 10;
    private static final int K_PUT = 11;
    private static final int K_ITEM = 12;
    private static final int K_REDUCE = 13;
    private static final int K_BUILD = 14;
    private static final int K_EMPTY_TUPLE = 15;
    private static final int K_LONG1 = 16;
    private static final int K_EMPTY_LIST = 17;
    private static final int K_COLLECTION = 18;
    private static final int K_LINE = 19;
    /** Everything else: {@link #rareOp}. */
    private static final int K_RARE = 20;
    private static final byte[] KIND = new byte[256];
    /** The argument size of the {@link #K_FIXED} opcodes. */
    private static final byte[] FIXED_ARG = new byte[256];

    static {
        java.util.Arrays.fill(KIND, (byte) K_RARE);
        kind(K_PUT, "qr");
        kind(K_STRING4, "XBT");
        kind(K_GET, "hj");
        kind(K_TUPLE123, "\u0085\u0086\u0087");
        kind(K_BINPERSID, "Q");
        kind(K_STRING1, "UC\u008c");
        kind(K_FIXED, "KMJG\u0088\u0089N}\u008f");
        kind(K_MARK, "(");
        kind(K_ITEMS, "ue\u0090");
        kind(K_ITEM, "sa");
        kind(K_GLOBAL, "c");
        kind(K_EMPTY_TUPLE, ")");
        kind(K_REDUCE, "R\u0081");
        kind(K_BUILD, "b");
        kind(K_PROTO, "\u0080");
        kind(K_STOP, ".");
        kind(K_EMPTY_LIST, "]");
        kind(K_LONG1, "\u008a");
        kind(K_COLLECTION, "tld");
        kind(K_LINE, "ILF");
        FIXED_ARG['K'] = 1; // BININT1
        FIXED_ARG['M'] = 2; // BININT2
        FIXED_ARG['J'] = 4; // BININT
        FIXED_ARG['G'] = 8; // BINFLOAT
    }

    private static void kind(int kind, String ops) {
        for (int i = 0; i < ops.length(); i++) {
            KIND[ops.charAt(i)] = (byte) kind;
        }
    }
    private static final long OPAQUE = handle(T_OPAQUE, 0);
    /**
     * String payload: length in bits 0-15, offset in bits 16-46, and this bit when the bytes are
     * in the arena (unescaped STRING/UNICODE arguments, joined STACK_GLOBAL names) rather than in
     * the record itself. The record stays in memory while it is scanned, so most strings are
     * never copied.
     */
    private static final long IN_ARENA = 1L << 47;
    private static final long NONE = handle(T_NONE, 0);
    /** Memo slots below this (and below the record length) live in an array, others in a map. */
    private static final int DIRECT_MEMO = 1 << 24;
    private static final byte[] BLOB_CLASS = "ZODB.blob\nBlob".getBytes(StandardCharsets.US_ASCII);

    // input
    private byte[] in;
    private int p;
    private int end;
    private int base;

    // machine
    private long[] stack = new long[4096];
    private int sp;
    /**
     * Stack positions of the open marks. {@code marks[0]} is always 0, a mark at the bottom of
     * the stack, so the fence is {@code marks[nmarks - 1]} without a branch; a pickle has no open
     * mark when {@code nmarks == 1}.
     */
    private int[] marks = new int[64];
    private int nmarks;
    /** Stack position of the topmost mark (0 when there is none): pops may not go below it. */
    private int fence;
    private long[] memo = new long[4096];
    private int memoHigh;
    private Map<Long, Long> farMemo;
    private int memoCount;

    // per-record storage for kept values
    private byte[] arena = new byte[4096];
    private int arenaLen;
    private long[] tupleItems = new long[3 * 64];
    private int[] tupleSize = new int[64];
    private int tuples;
    private long[] listItems = new long[3 * 64];
    private int[] listSize = new int[64];
    private int lists;
    private long[] globalRef = new long[16];
    private int globals;
    private long[] refOids = new long[16];

    // results
    private ReferenceSink sink;
    private final Pid pid = new Pid();
    private int pickleNo;
    private int refCount;
    private long classMeta;
    private int protocol;
    private int trailing;
    private String error;
    private int errorOffset;

    /** Thrown inside the scanner only; becomes {@link #error()}. */
    private static final class Bad extends Exception {
        Bad(String message) {
            super(message, null, false, false);
        }
    }

    private static long handle(int tag, long payload) {
        return ((long) tag << 56) | payload;
    }

    private static int tag(long h) {
        return (int) (h >>> 56);
    }

    private static long payload(long h) {
        return h & 0x00ff_ffff_ffff_ffffL;
    }

    /**
     * Scans the record data {@code data[off, off + len)} (class pickle then state pickle) and
     * reports each persistent id to {@code sink} in order.
     *
     * @return true if both pickles parsed; otherwise {@link #error()} and {@link #errorOffset()}
     *     tell what and where, and the ids found before the error were still reported
     */
    public boolean scan(byte[] data, int off, int len, ReferenceSink sink) {
        java.util.Objects.checkFromIndexSize(off, len, data.length); // the scanner reads in[off, off + len) unchecked
        resetRecord(data, off, len, sink);
        try {
            pickleNo = 0;
            classMeta = runPickle();
            if (p >= end) {
                throw new Bad("the record holds only one pickle (the object state is missing)");
            }
            pickleNo = 1;
            runPickle();
            trailing = end - p;
            return true;
        } catch (Bad e) {
            error = e.getMessage();
            errorOffset = Math.min(p, end) - base;
            return false;
        }
    }

    private void resetRecord(byte[] data, int off, int len, ReferenceSink s) {
        in = data;
        p = off;
        base = off;
        end = off + len;
        sink = s;
        if (memoHigh > 0) {
            Arrays.fill(memo, 0, Math.min(memoHigh, memo.length), 0L);
        }
        memoHigh = 0;
        farMemo = null;
        memoCount = 0;
        arenaLen = 0;
        tuples = 0;
        lists = 0;
        globals = 0;
        refCount = 0;
        classMeta = NONE;
        protocol = 0;
        trailing = 0;
        error = null;
        errorOffset = -1;
    }

    /**
     * Runs one pickle to its STOP and returns the value STOP popped.
     *
     * <p>The interpreter state lives in local variables here, where the JIT keeps it in
     * registers; the opcodes ZODB writes are handled inline. Rare opcodes go to {@link #rareOp},
     * which works on the fields: the state is written back before and reloaded after.
     */
    private long runPickle() throws Bad {
        final byte[] in = this.in;
        final int end = this.end;
        int p = this.p;
        int sp = 0;
        int fence = 0;
        nmarks = 1;
        long[] stack = this.stack;
        long[] memo = this.memo;
        try {
            while (true) {
                if (p >= end) {
                    throw truncated();
                }
                int opPos = p;
                int op = in[p++] & 0xff;
                long v; // the value an opcode pushes; opcodes that push none continue the loop
                switch (KIND[op]) {
                    case K_PUT -> { // BINPUT, LONG_BINPUT
                        long i;
                        if (op == 'q') {
                            if (p >= end) {
                                throw truncated();
                            }
                            i = in[p++] & 0xff;
                        } else {
                            if (end - p < 4) {
                                throw truncated();
                            }
                            i = (in[p] & 0xffL) | (in[p + 1] & 0xffL) << 8 | (in[p + 2] & 0xffL) << 16
                                    | (in[p + 3] & 0xffL) << 24;
                            p += 4;
                        }
                        if (sp <= fence) {
                            throw underflow();
                        }
                        if (i < memo.length) {
                            int slot = (int) i;
                            if (memo[slot] == T_ABSENT) {
                                memoCount++;
                                if (slot >= memoHigh) {
                                    memoHigh = slot + 1;
                                }
                            }
                            memo[slot] = stack[sp - 1];
                        } else {
                            memoPutFar(i, stack[sp - 1]);
                            memo = this.memo;
                        }
                        continue;
                    }
                    case K_STRING4 -> { // BINUNICODE, BINBYTES, BINSTRING: 4-byte length
                        if (end - p < 4) {
                            throw truncated();
                        }
                        long n = (in[p] & 0xffL) | (in[p + 1] & 0xffL) << 8 | (in[p + 2] & 0xffL) << 16
                                | (in[p + 3] & 0xffL) << 24;
                        p += 4;
                        if (op == 'T' && n >= 0x8000_0000L) {
                            throw negativeCount("BINSTRING");
                        }
                        if (n > end - p) {
                            throw truncated();
                        }
                        int e = p + (int) n;
                        if (op == 'X') {
                            // Utf8.asciiEnd, written out for C1; scan() checked that end <= in.length
                            int a = p;
                            if (Words.AVAILABLE) {
                                while (e - a >= 8 && (Words.word(in, a) & Words.HIGH_BITS) == 0) {
                                    a += 8;
                                }
                            }
                            while (a < e && in[a] >= 0) {
                                a++;
                            }
                            if (a < e && !Utf8.validFrom(in, a, e)) {
                                throw badText(p);
                            }
                        }
                        // keepBytes(), written out: the C1 compiler does not inline it here
                        long h = n > KEEP ? handle(op == 'X' ? T_LONG_STR : T_LONG_BYTES, n)
                                : handle(op == 'X' ? T_STR : T_BYTES, ((long) p << 16) | n);
                        p = e;
                        v = h;
                    }
                    case K_STRING1 -> { // SHORT_BINSTRING, SHORT_BINBYTES, SHORT_BINUNICODE
                        if (p >= end) {
                            throw truncated();
                        }
                        int n = in[p++] & 0xff;
                        if (n > end - p) {
                            throw truncated();
                        }
                        if (op == 0x8c) {
                            int a = Utf8.asciiEnd(in, p, p + n);
                            if (a < p + n && !Utf8.validFrom(in, a, p + n)) {
                                throw badText(p);
                            }
                        }
                        long h = n > KEEP ? handle(op == 0x8c ? T_LONG_STR : T_LONG_BYTES, n)
                                : handle(op == 0x8c ? T_STR : T_BYTES, ((long) p << 16) | n);
                        p += n;
                        v = h;
                    }
                    case K_GET -> { // BINGET, LONG_BINGET
                        long i;
                        if (op == 'h') {
                            if (p >= end) {
                                throw truncated();
                            }
                            i = in[p++] & 0xff;
                        } else {
                            if (end - p < 4) {
                                throw truncated();
                            }
                            i = (in[p] & 0xffL) | (in[p + 1] & 0xffL) << 8 | (in[p + 2] & 0xffL) << 16
                                    | (in[p + 3] & 0xffL) << 24;
                            p += 4;
                        }
                        long h = i < memo.length ? memo[(int) i] : T_ABSENT;
                        if (h == T_ABSENT) {
                            h = memoGet(i);
                        }
                        v = h;
                    }
                    case K_MARK -> { // MARK
                        if (nmarks == marks.length) {
                            growMarks();
                        }
                        marks[nmarks++] = sp;
                        fence = sp;
                        continue;
                    }
                    case K_STOP -> { // STOP
                        if (sp <= fence) {
                            throw underflow();
                        }
                        return stack[--sp];
                    }
                    case K_FIXED -> {
                        // BININT1, BININT2, BININT, BINFLOAT: fixed-size arguments; NEWTRUE,
                        // NEWFALSE, NONE, EMPTY_DICT, EMPTY_SET: none. All opaque but None.
                        int n = FIXED_ARG[op];
                        if (end - p < n) {
                            throw truncated();
                        }
                        p += n;
                        v = op == 'N' ? NONE : OPAQUE;
                    }
                    case K_LONG1 -> { // LONG1
                        if (p >= end) {
                            throw truncated();
                        }
                        int n = in[p++] & 0xff;
                        if (n > end - p) {
                            throw truncated();
                        }
                        p += n;
                        v = OPAQUE;
                    }
                    case K_TUPLE123 -> { // TUPLE1, TUPLE2, TUPLE3 (newTuple, written out)
                        int n = op - 0x84;
                        if (sp - fence < n) {
                            throw underflow();
                        }
                        if (tuples == tupleSize.length) {
                            growTuples();
                        }
                        int t = tuples++;
                        sp -= n;
                        System.arraycopy(stack, sp, tupleItems, t * 3, n);
                        tupleSize[t] = n;
                        v = handle(T_TUPLE, t);
                    }
                    case K_COLLECTION -> { // TUPLE, LIST, DICT: the items after the mark
                        if (nmarks == 1) {
                            throw noMark();
                        }
                        int m = marks[--nmarks];
                        fence = marks[nmarks - 1];
                        if (op == 't') {
                            v = newTuple(m, sp - m);
                        } else if (op == 'l') {
                            v = newList();
                            for (int i = m; i < sp; i++) {
                                append(v, stack[i]);
                            }
                        } else {
                            if (((sp - m) & 1) != 0) {
                                throw oddItems("DICT");
                            }
                            v = OPAQUE;
                        }
                        sp = m;
                    }
                    case K_LINE -> { // INT, LONG, FLOAT: a text line (Python 2 pickles write True as I01)
                        while (true) {
                            if (p >= end) {
                                throw truncated();
                            }
                            if (in[p++] == '\n') {
                                break;
                            }
                        }
                        v = OPAQUE;
                    }
                    case K_EMPTY_TUPLE -> { // EMPTY_TUPLE
                        v = newTuple(0, 0);
                    }
                    case K_EMPTY_LIST -> { // EMPTY_LIST
                        v = newList();
                    }
                    case K_ITEMS -> { // SETITEMS, APPENDS, ADDITEMS: items after the mark go into the container before it
                        if (nmarks == 1) {
                            throw noMark();
                        }
                        int m = marks[--nmarks];
                        fence = marks[nmarks - 1];
                        if (op == 'u' && ((sp - m) & 1) != 0) {
                            throw oddItems("SETITEMS");
                        }
                        if (m - 1 < fence || m > sp) {
                            throw underflow();
                        }
                        if (op == 'e') {
                            long list = stack[m - 1];
                            for (int i = m; i < sp; i++) {
                                append(list, stack[i]);
                            }
                        }
                        sp = m;
                        continue;
                    }
                    case K_ITEM -> { // SETITEM, APPEND
                        int first = op == 's' ? sp - 2 : sp - 1;
                        if (first - 1 < fence || first > sp) {
                            throw underflow();
                        }
                        if (op == 'a') {
                            append(stack[first - 1], stack[first]);
                        }
                        sp = first;
                        continue;
                    }
                    case K_BUILD -> { // BUILD
                        if (sp - fence < 2) {
                            throw underflow();
                        }
                        sp--;
                        continue;
                    }
                    case K_REDUCE -> { // REDUCE, NEWOBJ
                        if (sp - fence < 2) {
                            throw underflow();
                        }
                        sp -= 2;
                        v = OPAQUE;
                    }
                    case K_GLOBAL -> { // GLOBAL
                        this.p = p;
                        long g;
                        try {
                            g = global();
                        } finally {
                            p = this.p;
                        }
                        v = g;
                    }
                    case K_BINPERSID -> { // BINPERSID
                        if (sp <= fence) {
                            throw underflow();
                        }
                        stack[sp - 1] = persistentId(stack[sp - 1], opPos);
                        continue;
                    }
                    case K_PROTO -> { // PROTO
                        if (p >= end) {
                            throw truncated();
                        }
                        int proto = in[p++] & 0xff;
                        if (proto > MAX_PROTOCOL) {
                            throw unsupportedProtocol(proto);
                        }
                        protocol = Math.max(protocol, proto);
                        continue;
                    }
                    default -> {
                        this.p = p;
                        this.sp = sp;
                        this.fence = fence;
                        try {
                            rareOp(op, opPos);
                        } finally {
                            // also when it throws: the error offset is where rareOp left p
                            p = this.p;
                            sp = this.sp;
                            fence = this.fence;
                        }
                        stack = this.stack;
                        memo = this.memo;
                        continue;
                    }
                }
                if (sp == stack.length) {
                    stack = growStack(sp);
                }
                stack[sp++] = v;
                // Python's pickler memoizes almost every value it writes: a BINPUT follows a third
                // of all opcodes. Taking it here, without a dispatch, is the hot path.
                if (end - p > 1 && in[p] == 'q') {
                    int slot = in[p + 1] & 0xff; // < 256: memo.length is at least 4096
                    if (memo[slot] == T_ABSENT) {
                        memoCount++;
                        if (slot >= memoHigh) {
                            memoHigh = slot + 1;
                        }
                    }
                    memo[slot] = v;
                    p += 2;
                }
            }
        } finally {
            this.p = p;
            this.sp = sp;
            this.fence = fence;
        }
    }

    /** The opcodes ZODB rarely or never writes; state in the fields. */
    private void rareOp(int op, int opPos) throws Bad {
        switch (op) {
            case '0' -> { // POP
                if (nmarks > 1 && fence == sp) {
                    popMark();
                } else {
                    pop();
                }
            }
            case '1' -> sp = popMark(); // POP_MARK
            case '2' -> { // DUP
                need(1);
                push(stack[sp - 1]);
            }
            case 0x8b -> { // LONG4
                long n = i4();
                if (n < 0) {
                    throw negativeCount("LONG");
                }
                skipPush(n);
            }
            case 'S' -> push(quotedString());
            case 0x8e -> push(bytes(u8(), T_BYTES)); // BINBYTES8
            case 0x96 -> skipPush(u8()); // BYTEARRAY8
            case 0x97 -> throw new Bad("NEXT_BUFFER: pickle refers to out-of-band data, which a stored record cannot have");
            case 0x98 -> need(1); // READONLY_BUFFER
            case 'V' -> push(rawUnicodeLine());
            case 0x8d -> push(text(u8())); // BINUNICODE8
            case 0x91 -> { // FROZENSET
                sp = popMark();
                push(OPAQUE);
            }
            case 'g' -> push(memoGet(decimalLine())); // GET
            case 'p' -> memoPut(decimalLine()); // PUT
            case 0x94 -> memoPut(memoCount); // MEMOIZE
            case 0x82 -> skipPush(1); // EXT1
            case 0x83 -> skipPush(2); // EXT2
            case 0x84 -> skipPush(4); // EXT4
            case 0x93 -> { // STACK_GLOBAL
                need(2);
                long name = stack[sp - 1];
                long module = stack[sp - 2];
                sp -= 2;
                push(stackGlobal(module, name));
            }
            case 0x92 -> { // NEWOBJ_EX
                need(3);
                sp -= 3;
                push(OPAQUE);
            }
            case 'i' -> { // INST
                skipLine();
                skipLine();
                sp = popMark();
                push(OPAQUE);
            }
            case 'o' -> { // OBJ
                int m = popMark();
                if (sp - m < 1) {
                    throw underflow();
                }
                sp = m;
                push(OPAQUE);
            }
            case 0x95 -> { // FRAME
                long n = u8();
                if (n < 0 || n > end - p) {
                    throw new Bad("FRAME length exceeds the record");
                }
            }
            case 'P' -> { // PERSID
                int start = p;
                int nl = lineEnd();
                long h = keepBytes(start, nl - start, T_BYTES);
                p = nl + 1;
                push(persistentId(h, opPos));
            }
            default -> {
                p = opPos;
                throw new Bad(String.format("invalid load key, '\\x%02x'", op));
            }
        }
    }

    // Exceptions are built out of line: it keeps the dispatch loop small for the JIT.

    private Bad badText(int at) {
        return new Bad("'utf-8' codec can't decode the text at offset " + (at - base));
    }

    private static Bad negativeCount(String op) {
        return new Bad(op + " pickle has negative byte count");
    }

    private static Bad oddItems(String op) {
        return new Bad("odd number of items for " + op);
    }

    private static Bad unsupportedProtocol(int proto) {
        return new Bad("unsupported pickle protocol: " + proto);
    }

    private static Bad truncated() {
        return new Bad("pickle data was truncated");
    }

    private static Bad noMark() {
        return new Bad("could not find MARK");
    }

    // ---- stack

    // Kept small so that the JIT inlines them into the dispatch loop; growth is out of line.
    private void push(long h) throws Bad {
        if (sp == stack.length) {
            growStack(sp);
        }
        stack[sp++] = h;
    }

    private long[] growStack(int size) throws Bad {
        if (size >= MAX_DEPTH) {
            throw new Bad("pickle stack deeper than " + MAX_DEPTH);
        }
        stack = Arrays.copyOf(stack, size * 2);
        return stack;
    }

    private void growMarks() throws Bad {
        if (nmarks >= MAX_DEPTH) {
            throw new Bad("pickle marks nested deeper than " + MAX_DEPTH);
        }
        marks = Arrays.copyOf(marks, nmarks * 2);
    }

    private long pop() throws Bad {
        if (sp <= fence) {
            throw underflow();
        }
        return stack[--sp];
    }

    private static Bad underflow() {
        return new Bad("unpickling stack underflow");
    }

    /** At least {@code n} items above the topmost mark. */
    private void need(int n) throws Bad {
        if (sp - fence < n) {
            throw underflow();
        }
    }

    /** The container the items from {@code first} on go into sits at {@code first - 1}, above the fence. */
    private void needContainer(int first) throws Bad {
        if (first - 1 < fence || first > sp) {
            throw underflow();
        }
    }

    /** Pops the topmost mark and returns its stack position (the first item after it). */
    private int popMark() throws Bad {
        if (nmarks == 1) {
            throw noMark();
        }
        int m = marks[--nmarks];
        fence = marks[nmarks - 1];
        return m;
    }

    // ---- arguments

    private void skip(long n) throws Bad {
        if (n < 0 || n > end - p) {
            throw new Bad("pickle data was truncated");
        }
        p += (int) n;
    }

    private void skipPush(long n) throws Bad {
        skip(n);
        push(OPAQUE);
    }

    private int u1() throws Bad {
        if (p >= end) {
            throw new Bad("pickle data was truncated");
        }
        return in[p++] & 0xff;
    }

    private int u2() throws Bad {
        skip(2);
        return (in[p - 2] & 0xff) | (in[p - 1] & 0xff) << 8;
    }

    private long u4() throws Bad {
        skip(4);
        return (in[p - 4] & 0xffL) | (in[p - 3] & 0xffL) << 8 | (in[p - 2] & 0xffL) << 16 | (in[p - 1] & 0xffL) << 24;
    }

    private long i4() throws Bad {
        return (int) u4();
    }

    /** A little-endian uint8; values past {@code Long.MAX_VALUE} come back negative (and fail later). */
    private long u8() throws Bad {
        skip(8);
        long v = 0;
        for (int i = 7; i >= 0; i--) {
            v = (v << 8) | (in[p - 8 + i] & 0xffL);
        }
        return v;
    }

    /** Position of the next newline; the argument runs from {@code p} to it. */
    private int lineEnd() throws Bad {
        for (int i = p; i < end; i++) {
            if (in[i] == '\n') {
                return i;
            }
        }
        throw new Bad("pickle data was truncated (no newline)");
    }

    private void skipLine() throws Bad {
        p = lineEnd() + 1;
    }

    /** The decimal argument of GET and PUT. */
    private long decimalLine() throws Bad {
        int nl = lineEnd();
        long v = 0;
        int digits = 0;
        for (int i = p; i < nl; i++) {
            int c = in[i];
            if (c < '0' || c > '9' || v > (Long.MAX_VALUE - 9) / 10) {
                throw new Bad("invalid memo index");
            }
            v = v * 10 + (c - '0');
            digits++;
        }
        if (digits == 0) {
            throw new Bad("invalid memo index");
        }
        p = nl + 1;
        return v;
    }

    // ---- values

    /** A byte or text string of {@code n} bytes at {@code p}: kept if short, else only its length. */
    private long bytes(long n, int tag) throws Bad {
        if (n < 0 || n > end - p) {
            throw new Bad("pickle data was truncated");
        }
        int start = p;
        p += (int) n;
        return keepBytes(start, (int) n, tag);
    }

    private static long keepBytes(int start, int n, int tag) {
        if (n > KEEP) {
            return handle(tag == T_STR ? T_LONG_STR : T_LONG_BYTES, Math.min(n, 0xffff_ffffL));
        }
        return handle(tag, ((long) start << 16) | n);
    }

    private int arenaAppend(byte[] src, int start, int n) {
        if (arenaLen + n > arena.length) {
            arena = Arrays.copyOf(arena, Math.max(arena.length * 2, arenaLen + n));
        }
        System.arraycopy(src, start, arena, arenaLen, n);
        int at = arenaLen;
        arenaLen += n;
        return at;
    }

    /** BINUNICODE and friends: UTF-8 as Python decodes it ("surrogatepass"). */
    private long text(long n) throws Bad {
        if (n < 0 || n > end - p) {
            throw new Bad("pickle data was truncated");
        }
        if (!Utf8.valid(in, p, (int) n)) {
            throw new Bad("'utf-8' codec can't decode the text at offset " + (p - base));
        }
        return bytes(n, T_STR);
    }

    /** STRING: a quoted Python string literal (protocol 0), unescaped to bytes. */
    private long quotedString() throws Bad {
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
        return keepArray(value, T_BYTES);
    }

    /** UNICODE: raw-unicode-escape text (protocol 0), kept as UTF-8. */
    private long rawUnicodeLine() throws Bad {
        int nl = lineEnd();
        int start = p;
        p = nl + 1;
        byte[] utf8 = Escapes.rawUnicodeEscapeToUtf8(in, start, nl - start);
        if (utf8 == null) {
            throw new Bad("invalid \\u escape in UNICODE argument");
        }
        return keepArray(utf8, T_STR);
    }

    private long keepArray(byte[] value, int tag) {
        if (value.length > KEEP) {
            return handle(tag == T_STR ? T_LONG_STR : T_LONG_BYTES, value.length);
        }
        int at = arenaAppend(value, 0, value.length);
        return handle(tag, IN_ARENA | ((long) at << 16) | value.length);
    }

    /** GLOBAL: "module\nname\n"; kept as "module\nname". */
    private long global() throws Bad {
        int start = p;
        int nl1 = lineEnd();
        p = nl1 + 1;
        int nl2 = lineEnd();
        p = nl2 + 1;
        int n = nl2 - start;
        if (n > 2 * KEEP) {
            return OPAQUE;
        }
        return newGlobal(((long) start << 16) | n);
    }

    /** STACK_GLOBAL: module and name are strings on the stack. */
    private long stackGlobal(long module, long name) throws Bad {
        if (!isString(module) || !isString(name)) {
            throw new Bad("STACK_GLOBAL requires str");
        }
        if (tag(module) == T_LONG_STR || tag(module) == T_LONG_BYTES
                || tag(name) == T_LONG_STR || tag(name) == T_LONG_BYTES) {
            return OPAQUE;
        }
        int ml = strLen(module);
        int nl = strLen(name);
        int at = arenaAppend(src(module), strOff(module), ml);
        arenaAppend(new byte[] {'\n'}, 0, 1);
        arenaAppend(src(name), strOff(name), nl);
        return newGlobal(IN_ARENA | ((long) at << 16) | (ml + nl + 1));
    }

    /** A global "module\nname", as a string payload. */
    private long newGlobal(long ref) {
        if (globals == globalRef.length) {
            globalRef = Arrays.copyOf(globalRef, globals * 2);
        }
        globalRef[globals] = ref;
        return handle(T_GLOBAL, globals++);
    }

    private long newTuple(int from, int n) {
        if (n > 3) {
            return OPAQUE;
        }
        if (tuples == tupleSize.length) {
            growTuples();
        }
        System.arraycopy(stack, from, tupleItems, tuples * 3, n);
        tupleSize[tuples] = n;
        return handle(T_TUPLE, tuples++);
    }

    private void growTuples() {
        tupleSize = Arrays.copyOf(tupleSize, tuples * 2);
        tupleItems = Arrays.copyOf(tupleItems, tuples * 6);
    }

    private long newList() {
        if (lists == listSize.length) {
            listSize = Arrays.copyOf(listSize, lists * 2);
            listItems = Arrays.copyOf(listItems, lists * 6);
        }
        listSize[lists] = 0;
        return handle(T_LIST, lists++);
    }

    /** APPEND(S) add to real lists; on anything else the items are dropped, as noload does. */
    private void append(long list, long item) {
        if (tag(list) != T_LIST) {
            return;
        }
        int i = (int) payload(list);
        int n = listSize[i];
        if (n < 3) {
            listItems[i * 3 + n] = item;
        }
        if (n < Integer.MAX_VALUE) {
            listSize[i] = n + 1;
        }
    }

    // ---- memo

    private long memoGet(long idx) throws Bad {
        long h = T_ABSENT;
        if (idx >= 0 && idx < memo.length) {
            h = memo[(int) idx];
        } else if (farMemo != null) {
            h = farMemo.getOrDefault(idx, 0L);
        }
        if (h == T_ABSENT) {
            throw new Bad("Memo value not found at index " + idx);
        }
        return h;
    }

    private void memoPut(long idx) throws Bad {
        if (sp <= fence) {
            throw underflow();
        }
        long h = stack[sp - 1];
        if (idx >= 0 && idx < memo.length) {
            int i = (int) idx;
            if (memo[i] == T_ABSENT) {
                memoCount++;
                if (i >= memoHigh) {
                    memoHigh = i + 1;
                }
            }
            memo[i] = h;
        } else {
            memoPutFar(idx, h);
        }
    }

    private void memoPutFar(long idx, long h) {
        // A real pickler numbers slots 0, 1, 2, ... and spends at least a byte per slot, so a
        // slot beyond the record length is damage: keep it in the map, never size an array by it.
        if (idx >= 0 && idx < DIRECT_MEMO && idx <= end - base) {
            int i = (int) idx;
            memo = Arrays.copyOf(memo, Math.max(memo.length * 2, i + 1));
            if (farMemo != null) {
                // Map slots the array now covers move into it: a GET looks only in the array there.
                farMemo.entrySet().removeIf(e -> {
                    long k = e.getKey();
                    if (k < 0 || k >= memo.length) {
                        return false;
                    }
                    memo[(int) k] = e.getValue();
                    memoHigh = Math.max(memoHigh, (int) k + 1);
                    return true;
                });
            }
            memoCount++;
            memo[i] = h;
            memoHigh = Math.max(memoHigh, i + 1);
        } else {
            if (farMemo == null) {
                farMemo = new HashMap<>();
            }
            if (farMemo.put(idx, h) == null) {
                memoCount++;
            }
        }
    }

    // ---- persistent ids

    private long persistentId(long h, int opPos) throws Bad {
        int index = refCount++;
        pid.classify(h, index, opPos - base);
        if (index == refOids.length) {
            refOids = Arrays.copyOf(refOids, index * 2);
        }
        refOids[index] = pid.oid;
        sink.reference(pid);
        return handle(T_PERSISTENT, index);
    }

    private static boolean isString(long h) {
        int t = tag(h);
        return t == T_BYTES || t == T_STR || t == T_LONG_BYTES || t == T_LONG_STR;
    }

    private static int strOff(long h) {
        return (int) ((h >>> 16) & 0x7fff_ffffL);
    }

    private static int strLen(long h) {
        return (int) (h & 0xffff);
    }

    /** The array holding a string's bytes: the record or the arena. */
    private byte[] src(long h) {
        return (h & IN_ARENA) != 0 ? arena : in;
    }

    /** The 8 bytes of an oid held by {@code h}, or {@code null} marker via {@link #oidOk}. */
    private boolean oidOk;

    private long oidOf(long h) {
        oidOk = false;
        int t = tag(h);
        if (t == T_BYTES && strLen(h) == 8) {
            oidOk = true;
            return be64(src(h), strOff(h));
        }
        if (t == T_STR) {
            // A text oid: 8 code points below 256, as Python 3 reads an ASCII py2 str (FORMAT.md §3.6).
            byte[] latin = Utf8.toLatin1(src(h), strOff(h), strLen(h));
            if (latin != null && latin.length == 8) {
                oidOk = true;
                return be64(latin, 0);
            }
        }
        return 0;
    }

    private static long be64(byte[] b, int o) {
        long v = 0;
        for (int i = 0; i < 8; i++) {
            v = (v << 8) | (b[o + i] & 0xffL);
        }
        return v;
    }

    /** The one-character tag of an extended reference ('w', 'm', 'n'), or 0. */
    private int refTag(long h) {
        int t = tag(h);
        if ((t == T_BYTES || t == T_STR) && strLen(h) == 1) {
            return src(h)[strOff(h)] & 0xff;
        }
        return 0;
    }

    private String string(long h) {
        int t = tag(h);
        if (t == T_STR) {
            return new String(src(h), strOff(h), strLen(h), StandardCharsets.UTF_8);
        }
        if (t == T_BYTES) {
            return new String(src(h), strOff(h), strLen(h), StandardCharsets.ISO_8859_1);
        }
        return null;
    }

    private String globalName(long h) {
        long ref = globalRef[(int) payload(h)];
        String s = new String(src(ref), strOff(ref), strLen(ref), StandardCharsets.UTF_8);
        return s.replace('\n', '.');
    }

    /** A class as found in a pickle: a global, or a persistent class (a reference). */
    private String describeClass(long h) {
        int t = tag(h);
        if (t == T_GLOBAL) {
            return globalName(h);
        }
        if (t == T_PERSISTENT) {
            return "persistent-class:" + oidHex(refOids[(int) payload(h)]);
        }
        return null;
    }

    private static String oidHex(long oid) {
        String hex = Long.toHexString(oid);
        return (hex.length() % 2 == 1) ? "0x0" + hex : "0x" + hex;
    }

    private long tupleItem(long h, int i) {
        return tupleItems[(int) payload(h) * 3 + i];
    }

    private int tupleLen(long h) {
        return tupleSize[(int) payload(h)];
    }

    /**
     * A persistent id as the scanner found it. A view: valid only during
     * {@link ReferenceSink#reference}.
     */
    public final class Pid {
        private RefForm form;
        private long oid;
        private long db;
        private long klass;
        private int index;
        private int offset;
        private String problem;

        private void classify(long h, int idx, int off) {
            index = idx;
            offset = off;
            db = 0;
            klass = 0;
            problem = null;
            oid = 0;
            form = RefForm.MALFORMED;
            switch (tag(h)) {
                case T_BYTES, T_STR -> {
                    oid = oidOf(h);
                    if (oidOk) {
                        form = RefForm.OID;
                    } else {
                        problem = "a string persistent id that is not an 8-byte oid";
                    }
                }
                case T_LONG_BYTES, T_LONG_STR -> problem = "a string persistent id that is not an 8-byte oid";
                case T_TUPLE -> classifyTuple(h);
                case T_LIST -> classifyList(h);
                default -> problem = "a persistent id that is neither an oid, a tuple nor a list";
            }
            if (form == RefForm.MALFORMED) {
                oid = 0; // as documented; a 'w'/'m' id with a bad database name had kept its oid
            }
        }

        private void classifyTuple(long h) {
            if (tupleLen(h) == 2) {
                oid = oidOf(tupleItem(h, 0));
                if (oidOk) {
                    form = RefForm.OID_KLASS;
                    klass = tupleItem(h, 1);
                    return;
                }
            }
            problem = "a tuple persistent id that is not (oid, class)";
        }

        private void classifyList(long h) {
            int i = (int) payload(h);
            int n = listSize[i];
            if (n == 0) {
                problem = "an empty reference list";
            } else if (n == 1) {
                oid = oidOf(listItems[i * 3]);
                if (oidOk) {
                    form = RefForm.LIST;
                } else {
                    problem = "a one-item reference list without an oid";
                }
            } else if (n == 2) {
                classifyExtended(refTag(listItems[i * 3]), listItems[i * 3 + 1]);
            } else {
                problem = "a reference list of " + n + " items";
            }
        }

        /** {@code ['w', ...]}, {@code ['m', ...]}, {@code ['n', ...]} (FORMAT.md §3.3). */
        private void classifyExtended(int kind, long args) {
            boolean tuple = tag(args) == T_TUPLE;
            int n = tuple ? tupleLen(args) : -1;
            switch (kind) {
                case 'w' -> {
                    if (!tuple) {
                        oid = oidOf(args); // zodbupdate writes ['w', oid]
                    } else if (n == 1 || n == 2) {
                        oid = oidOf(tupleItem(args, 0));
                        if (n == 2) {
                            db = tupleItem(args, 1);
                        }
                    } else {
                        oidOk = false;
                    }
                    form = oidOk && (db == 0 || string(db) != null) ? RefForm.WEAK : RefForm.MALFORMED;
                }
                case 'm', 'n' -> {
                    if (tuple && (n == 2 || (n == 3 && kind == 'm'))) {
                        db = tupleItem(args, 0);
                        oid = oidOf(tupleItem(args, 1));
                        if (n == 3) {
                            klass = tupleItem(args, 2);
                        }
                    } else {
                        oidOk = false;
                    }
                    form = oidOk && string(db) != null ? (kind == 'm' ? RefForm.MULTI : RefForm.NAMED)
                            : RefForm.MALFORMED;
                }
                default -> {
                    problem = "an unknown reference type";
                    return;
                }
            }
            if (form == RefForm.MALFORMED) {
                problem = "a '" + (char) kind + "' reference without a proper oid and database";
            }
        }

        public RefForm form() {
            return form;
        }

        /** The target oid (8 big-endian bytes as a long); 0 for malformed ids. */
        public long oid() {
            return oid;
        }

        /** The database named in a cross-database or weak reference, or {@code null} if none. */
        public String database() {
            return db == 0 ? null : string(db);
        }

        /** The class stored with the reference ({@code module.Name}), or {@code null}. */
        public String klass() {
            return klass == 0 ? null : describeClass(klass);
        }

        /** Ordinal of this id in the record (0-based, both pickles counted). */
        public int index() {
            return index;
        }

        /** 0 for the class pickle, 1 for the state pickle. */
        public int pickle() {
            return pickleNo;
        }

        /** Offset of the PERSID/BINPERSID opcode from the start of the record data. */
        public int offset() {
            return offset;
        }

        /** Why a {@link RefForm#MALFORMED} id is malformed. */
        public String problem() {
            return problem;
        }
    }

    // ---- results of the last scan

    /** Why the last scan failed, or {@code null}. */
    public String error() {
        return error;
    }

    /** Offset of the failure from the start of the record data, or -1. */
    public int errorOffset() {
        return errorOffset;
    }

    /** Highest PROTO seen (0 when there was none). */
    public int protocol() {
        return protocol;
    }

    /** Bytes after the second STOP. */
    public int trailing() {
        return trailing;
    }

    /** Number of persistent ids found. */
    public int referenceCount() {
        return refCount;
    }

    /**
     * The object's class from the class pickle (FORMAT.md §3.2): a global, the global in a
     * {@code (klass, args)} tuple, {@code module.name} of a {@code ((module, name), args)} tuple,
     * or {@code persistent-class:0x..} for instances of persistent classes; {@code null} if the
     * first pickle did not finish or holds none of these.
     */
    public String className() {
        long h = classMeta;
        if (tag(h) == T_TUPLE && tupleLen(h) >= 1) {
            long first = tupleItem(h, 0);
            if (tag(first) == T_TUPLE && tupleLen(first) == 2) {
                String module = string(tupleItem(first, 0));
                String name = string(tupleItem(first, 1));
                return module != null && name != null ? module + "." + name : null;
            }
            h = first;
        }
        return describeClass(h);
    }

    /** True if the class pickle is the global {@code ZODB.blob.Blob} (FORMAT.md §4.1). */
    public boolean isBlob() {
        return classIs(BLOB_CLASS);
    }

    /**
     * True if the class pickle is exactly the global {@code module + "\n" + name} given as bytes.
     */
    public boolean classIs(byte[] moduleNewlineName) {
        if (tag(classMeta) != T_GLOBAL) {
            return false;
        }
        long ref = globalRef[(int) payload(classMeta)];
        int off = strOff(ref);
        return Arrays.equals(src(ref), off, off + strLen(ref), moduleNewlineName, 0, moduleNewlineName.length);
    }

    /**
     * A hash of the class when the class pickle is a plain global (the usual case), else 0; with
     * {@link #classIs} and {@link #classBytes} it lets callers cache class names without
     * building a string per record.
     */
    public long classHash() {
        if (tag(classMeta) != T_GLOBAL) {
            return 0;
        }
        long ref = globalRef[(int) payload(classMeta)];
        byte[] b = src(ref);
        long h = 0x9E3779B97F4A7C15L;
        for (int i = strOff(ref), e = i + strLen(ref); i < e; i++) {
            h = (h ^ b[i]) * 0x100000001B3L;
        }
        return h == 0 ? 1 : h;
    }

    /** The bytes {@code module\nname} of a plain-global class pickle, or {@code null}. */
    public byte[] classBytes() {
        if (tag(classMeta) != T_GLOBAL) {
            return null;
        }
        long ref = globalRef[(int) payload(classMeta)];
        return Arrays.copyOfRange(src(ref), strOff(ref), strOff(ref) + strLen(ref));
    }
}
