package org.zodbcheck.graph;

import java.util.Arrays;

/** A growable {@code byte[]}. */
public final class ByteList {
    private byte[] a;
    private int n;

    public ByteList() {
        this(16);
    }

    public ByteList(int capacity) {
        a = new byte[Math.max(4, capacity)];
    }

    public void add(byte v) {
        if (n == a.length) {
            a = Arrays.copyOf(a, LongList.grow(a.length));
        }
        a[n++] = v;
    }

    public byte get(int i) {
        return a[i];
    }

    /** The backing array; items {@code 0..size()-1} are valid. For bulk copies on hot paths. */
    public byte[] raw() {
        return a;
    }

    public int size() {
        return n;
    }

    public void clear() {
        n = 0;
    }

    /** Drops the unused room (once no more items come). */
    public void trim() {
        if (a.length > n + 16) {
            a = Arrays.copyOf(a, Math.max(4, n));
        }
    }
}
