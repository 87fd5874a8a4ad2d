package org.zodbcheck.check;

import java.util.zip.DataFormatException;
import java.util.zip.Inflater;

/**
 * Undoes the record transforms storages wrap around pickles (FORMAT.md §3.1): zc.zlibstorage's
 * {@code .z} + zlib stream, and {@code .n} (stored uncompressed). A pickle never starts with
 * {@code .} (STOP), so the first byte tells. One instance per thread; reuses its buffer.
 */
final class RecordData {
    /**
     * A pickle compresses to a third or a tenth of its size; zlib cannot do better than about
     * 1:1000. A record that inflates to more than this many times its stored size (and past
     * {@link #MIN_BOUND}) is not inflated further: a zlib bomb must not exhaust the memory of a
     * check (found by the mutation suite, docs/fuzzing.md).
     */
    static final int MAX_RATIO = 64;
    static final int MIN_BOUND = 1 << 20;

    private final long maxLength;
    private Inflater inflater;
    private byte[] buf;
    private byte[] data;
    private int off;
    private int len;
    private String error;

    RecordData(long maxLength) {
        this.maxLength = maxLength;
    }

    /**
     * Prepares {@code raw[off, off + len)} for scanning. Returns false (and sets
     * {@link #error()}) if the data is transformed in a way that cannot be undone.
     */
    boolean load(byte[] raw, int rawOff, int rawLen) {
        error = null;
        if (rawLen < 2 || raw[rawOff] != '.') {
            data = raw;
            off = rawOff;
            len = rawLen;
            return true;
        }
        byte t = raw[rawOff + 1];
        if (t == 'n') {
            data = raw;
            off = rawOff + 2;
            len = rawLen - 2;
            return true;
        }
        if (t == 'z') {
            return inflate(raw, rawOff + 2, rawLen - 2);
        }
        error = String.format("unknown record transform '.%c' (the data does not start with a pickle)",
                (t >= 0x20 && t < 0x7f) ? (char) t : '?');
        return false;
    }

    private boolean inflate(byte[] raw, int from, int n) {
        if (inflater == null) {
            inflater = new Inflater();
            buf = new byte[1 << 16];
        }
        inflater.reset();
        inflater.setInput(raw, from, n);
        long bound = Math.min(Math.min(maxLength, Integer.MAX_VALUE - 8L), Math.max(MIN_BOUND, (long) n * MAX_RATIO));
        int out = 0;
        try {
            while (!inflater.finished()) {
                if (out == buf.length) {
                    if (buf.length >= bound) {
                        error = "compressed record (.z, " + n + " bytes) inflates to more than " + bound
                                + " bytes; not inflated further";
                        return false;
                    }
                    buf = java.util.Arrays.copyOf(buf, (int) Math.min(bound, buf.length * 2L));
                }
                int k = inflater.inflate(buf, out, buf.length - out);
                if (k == 0 && (inflater.needsInput() || inflater.needsDictionary())) {
                    error = "compressed record (.z) is truncated";
                    return false;
                }
                out += k;
            }
        } catch (DataFormatException e) {
            error = "compressed record (.z) is not valid zlib data: " + e.getMessage();
            return false;
        }
        data = buf;
        off = 0;
        len = out;
        return true;
    }

    byte[] data() {
        return data;
    }

    int off() {
        return off;
    }

    int len() {
        return len;
    }

    String error() {
        return error;
    }

    /** Frees the inflater's native memory. */
    void close() {
        if (inflater != null) {
            inflater.end();
            inflater = null;
        }
    }
}
