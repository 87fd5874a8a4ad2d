package org.zodbcheck.pickle;

/** UTF-8 as Python's pickle decodes it: strict, except that encoded surrogates pass. */
final class Utf8 {
    private Utf8() {
    }

    /** Whether {@code b[off, off + len)} decodes with {@code errors="surrogatepass"}. */
    static boolean valid(byte[] b, int off, int len) {
        java.util.Objects.checkFromIndexSize(off, len, b.length);
        int end = off + len;
        int i = asciiEnd(b, off, end);
        return i == end || validFrom(b, i, end);
    }

    /**
     * The first index in {@code [from, to)} of a byte that is not ASCII, or {@code to}. The caller
     * has checked that {@code 0 <= from <= to <= b.length} ({@link Words}). Written out in
     * {@link #validFrom} and in the scanner's BINUNICODE: C1 inlines only methods of up to 35
     * bytecodes, and a call per string costs more than the word loads save.
     */
    static int asciiEnd(byte[] b, int from, int to) {
        int i = from;
        if (Words.AVAILABLE) {
            while (to - i >= 8 && (Words.word(b, i) & Words.HIGH_BITS) == 0) {
                i += 8;
            }
        }
        while (i < to && b[i] >= 0) {
            i++;
        }
        return i;
    }

    /**
     * The general case, from the first byte that is not ASCII. The caller has checked that
     * {@code 0 <= from <= end <= b.length}.
     */
    static boolean validFrom(byte[] b, int from, int end) {
        int i = from;
        while (i < end) {
            int c = b[i] & 0xff;
            if (c < 0x80) { // asciiEnd's word loop, written out
                i++;
                if (Words.AVAILABLE) {
                    while (end - i >= 8 && (Words.word(b, i) & Words.HIGH_BITS) == 0) {
                        i += 8;
                    }
                }
                continue;
            }
            int n;
            int lo = 0x80;
            int hi = 0xbf;
            if (c >= 0xc2 && c <= 0xdf) {
                n = 1;
            } else if (c == 0xe0) {
                n = 2;
                lo = 0xa0;
            } else if (c >= 0xe1 && c <= 0xef) {
                n = 2; // 0xed (surrogates) passes: "surrogatepass"
            } else if (c == 0xf0) {
                n = 3;
                lo = 0x90;
            } else if (c >= 0xf1 && c <= 0xf3) {
                n = 3;
            } else if (c == 0xf4) {
                n = 3;
                hi = 0x8f;
            } else {
                return false;
            }
            if (end - i <= n) {
                return false;
            }
            int c1 = b[i + 1] & 0xff;
            if (c1 < lo || c1 > hi) {
                return false;
            }
            for (int k = 2; k <= n; k++) {
                int ck = b[i + k] & 0xff;
                if (ck < 0x80 || ck > 0xbf) {
                    return false;
                }
            }
            i += n + 1;
        }
        return true;
    }

    /**
     * Decodes valid UTF-8 and returns the code points as bytes if every one is below 256 (the
     * ISO-8859-1 encoding), else {@code null}.
     */
    static byte[] toLatin1(byte[] b, int off, int len) {
        byte[] out = new byte[len];
        int n = 0;
        int i = off;
        int end = off + len;
        while (i < end) {
            int c = b[i] & 0xff;
            if (c < 0x80) {
                out[n++] = (byte) c;
                i++;
            } else if ((c == 0xc2 || c == 0xc3) && i + 1 < end) {
                out[n++] = (byte) (((c & 0x1f) << 6) | (b[i + 1] & 0x3f));
                i += 2;
            } else {
                return null;
            }
        }
        return java.util.Arrays.copyOf(out, n);
    }

    /** Appends code point {@code cp} (surrogates included) to {@code out} at {@code n}; returns the new length. */
    static int encode(int cp, byte[] out, int n) {
        if (cp < 0x80) {
            out[n++] = (byte) cp;
        } else if (cp < 0x800) {
            out[n++] = (byte) (0xc0 | (cp >> 6));
            out[n++] = (byte) (0x80 | (cp & 0x3f));
        } else if (cp < 0x10000) {
            out[n++] = (byte) (0xe0 | (cp >> 12));
            out[n++] = (byte) (0x80 | ((cp >> 6) & 0x3f));
            out[n++] = (byte) (0x80 | (cp & 0x3f));
        } else {
            out[n++] = (byte) (0xf0 | (cp >> 18));
            out[n++] = (byte) (0x80 | ((cp >> 12) & 0x3f));
            out[n++] = (byte) (0x80 | ((cp >> 6) & 0x3f));
            out[n++] = (byte) (0x80 | (cp & 0x3f));
        }
        return n;
    }
}
