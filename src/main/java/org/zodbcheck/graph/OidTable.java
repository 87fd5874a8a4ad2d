package org.zodbcheck.graph;

import java.util.Arrays;

/**
 * Gives every oid a dense index {@code 0..size()-1}, in order of first sight: an open-addressing
 * hash table over primitive arrays (no boxing, about 20 bytes per oid). Per-oid data lives in
 * arrays indexed by that number.
 *
 * <p>Lookups ({@link #find}) are safe from many threads once no more oids are added.
 */
public final class OidTable {
    private static final long MIX = 0x9E3779B97F4A7C15L;

    private long[] keys;
    private int[] slots; // index + 1; 0 = empty
    private int mask;
    private long[] oids;
    private int size;

    public OidTable() {
        this(1024);
    }

    public OidTable(int expected) {
        int cap = Integer.highestOneBit(Math.max(16, expected) * 2 - 1) << 1;
        keys = new long[cap];
        slots = new int[cap];
        mask = cap - 1;
        oids = new long[Math.max(16, expected)];
    }

    /** Number of oids. */
    public int size() {
        return size;
    }

    /** The oid with index {@code i}. */
    public long oid(int i) {
        return oids[i];
    }

    /** The index of {@code oid}, or -1. */
    public int find(long oid) {
        int h = hash(oid);
        while (true) {
            int s = slots[h];
            if (s == 0) {
                return -1;
            }
            if (keys[h] == oid) {
                return s - 1;
            }
            h = (h + 1) & mask;
        }
    }

    /** The index of {@code oid}, adding it if new. */
    public int intern(long oid) {
        int h = hash(oid);
        while (true) {
            int s = slots[h];
            if (s == 0) {
                break;
            }
            if (keys[h] == oid) {
                return s - 1;
            }
            h = (h + 1) & mask;
        }
        if (size == Integer.MAX_VALUE - 8) {
            throw new IllegalStateException("more than " + size + " oids");
        }
        int idx = size++;
        if (idx == oids.length) {
            oids = Arrays.copyOf(oids, (int) Math.min(Integer.MAX_VALUE - 8, oids.length * 2L));
        }
        oids[idx] = oid;
        keys[h] = oid;
        slots[h] = idx + 1;
        if (size * 2L > slots.length) {
            rehash();
        }
        return idx;
    }

    private int hash(long oid) {
        return (int) ((oid * MIX) >>> 40) & mask;
    }

    private void rehash() {
        long[] oldKeys = keys;
        int[] oldSlots = slots;
        int cap = oldSlots.length * 2;
        keys = new long[cap];
        slots = new int[cap];
        mask = cap - 1;
        for (int i = 0; i < oldSlots.length; i++) {
            if (oldSlots[i] != 0) {
                int h = hash(oldKeys[i]);
                while (slots[h] != 0) {
                    h = (h + 1) & mask;
                }
                keys[h] = oldKeys[i];
                slots[h] = oldSlots[i];
            }
        }
    }
}
