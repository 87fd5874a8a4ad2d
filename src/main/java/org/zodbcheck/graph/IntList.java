package org.zodbcheck.graph;

import java.util.Arrays;

/** A growable {@code int[]}. */
public final class IntList {
    private int[] a;
    private int n;

    public IntList() {
        this(16);
    }

    public IntList(int capacity) {
        a = new int[Math.max(4, capacity)];
    }

    public void add(int v) {
        if (n == a.length) {
            a = Arrays.copyOf(a, LongList.grow(a.length));
        }
        a[n++] = v;
    }

    public int get(int i) {
        return a[i];
    }

    /** The backing array; items {@code 0..size()-1} are valid. For bulk copies on hot paths. */
    public int[] raw() {
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
