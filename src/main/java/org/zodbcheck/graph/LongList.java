package org.zodbcheck.graph;

import java.util.Arrays;

/** A growable {@code long[]}. */
public final class LongList {
    private long[] a;
    private int n;

    public LongList() {
        this(16);
    }

    public LongList(int capacity) {
        a = new long[Math.max(4, capacity)];
    }

    public void add(long v) {
        if (n == a.length) {
            a = Arrays.copyOf(a, grow(a.length));
        }
        a[n++] = v;
    }

    public long get(int i) {
        return a[i];
    }

    public void set(int i, long v) {
        a[i] = v;
    }

    /** The backing array; items {@code 0..size()-1} are valid. For bulk copies on hot paths. */
    public long[] raw() {
        return a;
    }

    public int size() {
        return n;
    }

    public void clear() {
        n = 0;
    }

    /**
     * The next capacity: half as much again (not double), so that the tables of a storage with
     * tens of millions of objects carry at most a third of unused room.
     */
    static int grow(int len) {
        long next = Math.min(Integer.MAX_VALUE - 8L, len + (len >> 1) + 16L);
        if (next <= len) {
            throw new IllegalStateException("array too large");
        }
        return (int) next;
    }

    /** Drops the unused room (once no more items come). */
    public void trim() {
        if (a.length > n + 16) {
            a = Arrays.copyOf(a, Math.max(4, n));
        }
    }
}
