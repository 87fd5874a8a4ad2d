package org.zodbcheck.generate;

import java.util.Arrays;

/**
 * A small open-addressing set of non-negative longs: the oids already written in the current
 * transaction (ZODB writes an object at most once per transaction) and the objects that hold a
 * reference to an injected missing oid.
 */
final class LongSet {
    private static final long EMPTY = -1;
    private long[] slots = filled(64);
    private int size;

    boolean contains(long v) {
        for (int i = slot(v); ; i = (i + 1) & (slots.length - 1)) {
            if (slots[i] == v) {
                return true;
            }
            if (slots[i] == EMPTY) {
                return false;
            }
        }
    }

    /** Adds {@code v}; false if it was there already. */
    boolean add(long v) {
        if ((size + 1) * 2 > slots.length) {
            grow();
        }
        for (int i = slot(v); ; i = (i + 1) & (slots.length - 1)) {
            if (slots[i] == v) {
                return false;
            }
            if (slots[i] == EMPTY) {
                slots[i] = v;
                size++;
                return true;
            }
        }
    }

    int size() {
        return size;
    }

    void clear() {
        if (size > 0) {
            Arrays.fill(slots, EMPTY);
            size = 0;
        }
    }

    private int slot(long v) {
        return (int) (Rng.mix(v, 0x5eed) & (slots.length - 1));
    }

    private void grow() {
        long[] old = slots;
        slots = filled(old.length * 2);
        size = 0;
        for (long v : old) {
            if (v != EMPTY) {
                add(v);
            }
        }
    }

    private static long[] filled(int n) {
        long[] a = new long[n];
        Arrays.fill(a, EMPTY);
        return a;
    }
}
