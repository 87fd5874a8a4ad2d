package org.zodbcheck.pickle;

import java.util.Arrays;

/** The two protocol-0 string escapes: STRING's Python literal and UNICODE's raw-unicode-escape. */
final class Escapes {
    private Escapes() {
    }

    /**
     * Python's {@code codecs.escape_decode} on {@code b[off, off + len)} (the text between the
     * quotes of a STRING argument, FORMAT.md §3.5). Returns {@code null} on a bad escape.
     */
    static byte[] unescapeBytes(byte[] b, int off, int len) {
        byte[] out = new byte[len];
        int n = 0;
        int end = off + len;
        int i = off;
        while (i < end) {
            int c = b[i++] & 0xff;
            if (c != '\\') {
                out[n++] = (byte) c;
                continue;
            }
            if (i >= end) {
                return null; // trailing backslash
            }
            int e = b[i++] & 0xff;
            switch (e) {
                case '\n' -> { }
                case '\\', '\'', '"' -> out[n++] = (byte) e;
                case 'a' -> out[n++] = 7;
                case 'b' -> out[n++] = 8;
                case 'f' -> out[n++] = 12;
                case 'n' -> out[n++] = 10;
                case 'r' -> out[n++] = 13;
                case 't' -> out[n++] = 9;
                case 'v' -> out[n++] = 11;
                case 'x' -> {
                    int h1 = i < end ? hex(b[i]) : -1;
                    int h2 = i + 1 < end ? hex(b[i + 1]) : -1;
                    if (h1 < 0 || h2 < 0) {
                        return null;
                    }
                    out[n++] = (byte) (h1 * 16 + h2);
                    i += 2;
                }
                default -> {
                    if (e >= '0' && e <= '7') {
                        int v = e - '0';
                        for (int k = 0; k < 2 && i < end && b[i] >= '0' && b[i] <= '7'; k++) {
                            v = v * 8 + (b[i++] - '0');
                        }
                        out[n++] = (byte) v;
                    } else {
                        out[n++] = '\\';
                        out[n++] = (byte) e;
                    }
                }
            }
        }
        return Arrays.copyOf(out, n);
    }

    /**
     * Python's {@code raw_unicode_escape} decoding of a UNICODE argument, returned as UTF-8:
     * {@code \\uXXXX} and {@code \\UXXXXXXXX} after an odd run of backslashes are escapes, every other
     * byte is the code point of the same value. Returns {@code null} on a bad escape.
     */
    static byte[] rawUnicodeEscapeToUtf8(byte[] b, int off, int len) {
        byte[] out = new byte[len * 3 + 4];
        int n = 0;
        int end = off + len;
        int i = off;
        while (i < end) {
            int c = b[i] & 0xff;
            if (c != '\\') {
                n = Utf8.encode(c, out, n);
                i++;
                continue;
            }
            int run = 0;
            while (i < end && b[i] == '\\') {
                run++;
                i++;
            }
            boolean escape = (run & 1) == 1 && i < end && (b[i] == 'u' || b[i] == 'U');
            int literal = escape ? run - 1 : run;
            for (int k = 0; k < literal; k++) {
                out[n++] = '\\';
            }
            if (!escape) {
                continue;
            }
            int digits = b[i] == 'u' ? 4 : 8;
            i++;
            if (end - i < digits) {
                return null;
            }
            long cp = 0;
            for (int k = 0; k < digits; k++) {
                int h = hex(b[i++]);
                if (h < 0) {
                    return null;
                }
                cp = cp * 16 + h;
            }
            if (cp > 0x10ffff) {
                return null;
            }
            n = Utf8.encode((int) cp, out, n);
        }
        return Arrays.copyOf(out, n);
    }

    private static int hex(byte x) {
        int c = x & 0xff;
        if (c >= '0' && c <= '9') {
            return c - '0';
        }
        if (c >= 'a' && c <= 'f') {
            return c - 'a' + 10;
        }
        if (c >= 'A' && c <= 'F') {
            return c - 'A' + 10;
        }
        return -1;
    }
}
