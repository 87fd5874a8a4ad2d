package org.zodbcheck.fuzz;

import java.util.ArrayList;
import java.util.List;

/**
 * The opcodes of a well-formed pickle with the position and size of their arguments
 * (FORMAT.md §3.5), so that mutations can hit an opcode, a length prefix or a memo index
 * rather than a random byte. Independent of the production scanner; stops quietly at anything
 * it does not understand.
 */
final class PickleOps {
    /** One opcode: where it is, where its argument is, how the argument is encoded. */
    record Op(int pos, int op, int argPos, int argLen, Arg arg) {
        int end() {
            return argPos + argLen;
        }
    }

    /** Argument encodings: none, fixed size, a length prefix of 1/4/8 bytes then data, text lines. */
    enum Arg {
        NONE, FIXED, LEN1, LEN4, LEN8, LINE, TWO_LINES
    }

    /** All 68 opcodes of pickletools, for replacements. */
    static final byte[] ALL = {
        '(', '.', '0', '1', '2', 'F', 'G', 'I', 'J', 'K', 'M', 'L', (byte) 0x8a, (byte) 0x8b, 'N', (byte) 0x88,
        (byte) 0x89, 'S', 'T', 'U', 'B', 'C', (byte) 0x8e, (byte) 0x96, (byte) 0x97, (byte) 0x98, 'V', 'X',
        (byte) 0x8c, (byte) 0x8d, ']', 'a', 'e', 'l', ')', 't', (byte) 0x85, (byte) 0x86, (byte) 0x87, '}', 'd',
        's', 'u', (byte) 0x8f, (byte) 0x90, (byte) 0x91, 'g', 'h', 'j', 'p', 'q', 'r', (byte) 0x94, (byte) 0x82,
        (byte) 0x83, (byte) 0x84, 'c', (byte) 0x93, 'R', 'b', 'i', 'o', (byte) 0x81, (byte) 0x92, (byte) 0x80,
        (byte) 0x95, 'P', 'Q'};

    private PickleOps() {
    }

    /** The opcodes of {@code b[off, off + len)} (both pickles of a record), in order. */
    static List<Op> walk(byte[] b, int off, int len) {
        List<Op> ops = new ArrayList<>();
        int p = off;
        int end = off + len;
        while (p < end) {
            int op = b[p] & 0xff;
            int a = p + 1;
            Op o;
            switch (op) {
                case '(', '.', '0', '1', '2', 'N', 0x88, 0x89, 0x97, 0x98, ']', 'a', 'e', 'l', ')', 't', 0x85,
                     0x86, 0x87, '}', 'd', 's', 'u', 0x8f, 0x90, 0x91, 0x94, 0x93, 'R', 'b', 'o', 0x81, 0x92,
                     'Q' -> o = new Op(p, op, a, 0, Arg.NONE);
                case 'K', 'h', 'q', 0x80, 0x82 -> o = new Op(p, op, a, 1, Arg.FIXED);
                case 'M', 0x83 -> o = new Op(p, op, a, 2, Arg.FIXED);
                case 'J', 'j', 'r', 0x84 -> o = new Op(p, op, a, 4, Arg.FIXED);
                case 'G', 0x95 -> o = new Op(p, op, a, 8, Arg.FIXED);
                case 'U', 'C', 0x8c, 0x8a -> {
                    if (a >= end) {
                        return ops;
                    }
                    o = new Op(p, op, a, 1 + (b[a] & 0xff), Arg.LEN1);
                }
                case 'X', 'B', 'T', 0x8b -> {
                    if (a + 4 > end) {
                        return ops;
                    }
                    long n = (b[a] & 0xffL) | (b[a + 1] & 0xffL) << 8 | (b[a + 2] & 0xffL) << 16 | (b[a + 3] & 0xffL) << 24;
                    if (n > end - a) {
                        return ops;
                    }
                    o = new Op(p, op, a, 4 + (int) n, Arg.LEN4);
                }
                case 0x8e, 0x8d, 0x96 -> {
                    if (a + 8 > end) {
                        return ops;
                    }
                    long n = 0;
                    for (int i = 7; i >= 0; i--) {
                        n = (n << 8) | (b[a + i] & 0xffL);
                    }
                    if (n < 0 || n > end - a) {
                        return ops;
                    }
                    o = new Op(p, op, a, 8 + (int) n, Arg.LEN8);
                }
                case 'I', 'L', 'F', 'S', 'V', 'g', 'p', 'P' -> {
                    int nl = lineEnd(b, a, end);
                    if (nl < 0) {
                        return ops;
                    }
                    o = new Op(p, op, a, nl + 1 - a, Arg.LINE);
                }
                case 'c', 'i' -> {
                    int nl = lineEnd(b, a, end);
                    int nl2 = nl < 0 ? -1 : lineEnd(b, nl + 1, end);
                    if (nl2 < 0) {
                        return ops;
                    }
                    o = new Op(p, op, a, nl2 + 1 - a, Arg.TWO_LINES);
                }
                default -> {
                    return ops;
                }
            }
            if (o.end() > end) {
                return ops;
            }
            ops.add(o);
            p = o.end();
        }
        return ops;
    }

    private static int lineEnd(byte[] b, int from, int end) {
        for (int i = from; i < end; i++) {
            if (b[i] == '\n') {
                return i;
            }
        }
        return -1;
    }
}
