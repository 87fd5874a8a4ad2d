package org.zodbcheck.generate;

import java.util.Arrays;

/** A growable {@code long[]}: the generator's per-block and per-tree-node state. */
final class LongList {
    private long[] a = new long[16];
    private int size;

    int size() {
        return size;
    }

    long get(int i) {
        if (i >= size) {
            throw new IndexOutOfBoundsException(i + " >= " + size);
        }
        return a[i];
    }

    void set(int i, long v) {
        if (i >= size) {
            throw new IndexOutOfBoundsException(i + " >= " + size);
        }
        a[i] = v;
    }

    void add(long v) {
        if (size == a.length) {
            a = Arrays.copyOf(a, size * 2);
        }
        a[size++] = v;
    }

    void clear() {
        size = 0;
    }

    /** Index of the last element {@code <= v} in a list sorted ascending, or -1. */
    int floorIndex(long v) {
        int i = Arrays.binarySearch(a, 0, size, v);
        return i >= 0 ? i : -i - 2;
    }
}
