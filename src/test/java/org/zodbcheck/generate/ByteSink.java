package org.zodbcheck.generate;

import java.util.Arrays;

/**
 * A growable byte array that one transaction is assembled in (FileStorage integers are
 * big-endian, pickle lengths little-endian: both are here). Reused from transaction to
 * transaction, so the generator allocates nothing per record.
 */
final class ByteSink {
    private byte[] buf;
    private int len;

    ByteSink() {
        this(1 << 20);
    }

    ByteSink(int capacity) {
        buf = new byte[capacity];
    }

    int length() {
        return len;
    }

    byte[] array() {
        return buf;
    }

    void reset() {
        len = 0;
    }

    void u8(int b) {
        ensure(1);
        buf[len++] = (byte) b;
    }

    void u8(int a, int b) {
        ensure(2);
        buf[len++] = (byte) a;
        buf[len++] = (byte) b;
    }

    void u16be(int v) {
        u8(v >>> 8, v);
    }

    void u32le(int v) {
        ensure(4);
        buf[len++] = (byte) v;
        buf[len++] = (byte) (v >>> 8);
        buf[len++] = (byte) (v >>> 16);
        buf[len++] = (byte) (v >>> 24);
    }

    void u64be(long v) {
        ensure(8);
        putU64be(len, v);
        len += 8;
    }

    void bytes(byte[] b) {
        bytes(b, 0, b.length);
    }

    void bytes(byte[] b, int off, int n) {
        ensure(n);
        System.arraycopy(b, off, buf, len, n);
        len += n;
    }

    /** ASCII digits of a non-negative number, zero-padded to {@code width}. */
    void digits(long v, int width) {
        ensure(20);
        int n = 1;
        for (long t = v; t >= 10; t /= 10) {
            n++;
        }
        n = Math.max(n, width);
        for (int i = len + n - 1; i >= len; i--) {
            buf[i] = (byte) ('0' + v % 10);
            v /= 10;
        }
        len += n;
    }

    void patchU32le(int pos, int v) {
        buf[pos] = (byte) v;
        buf[pos + 1] = (byte) (v >>> 8);
        buf[pos + 2] = (byte) (v >>> 16);
        buf[pos + 3] = (byte) (v >>> 24);
    }

    void patchU64be(int pos, long v) {
        putU64be(pos, v);
    }

    private void putU64be(int pos, long v) {
        for (int i = 7; i >= 0; i--) {
            buf[pos + i] = (byte) v;
            v >>>= 8;
        }
    }

    private void ensure(int n) {
        if (len + n > buf.length) {
            buf = Arrays.copyOf(buf, Math.max(buf.length * 2, len + n));
        }
    }
}
