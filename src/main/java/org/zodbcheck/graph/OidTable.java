package org.zodbcheck.graph;

import java.util.Arrays;

/**
 * Gives every oid a dense index {@code 0..size()-1}, in order of first sight; per-oid data lives
 * in arrays indexed by that number.
 *
 * <p>ZODB hands out oids counting up from 0, so almost all oids of a storage are small and dense.
 * Those are found through a direct array ({@code direct[oid]}, 4 bytes per possible oid, kept at
 * most a few times larger than the number of oids); the rest (oids far above the others, as a
 * damaged reference makes them) go to an open-addressing hash table over primitive arrays.
 * No boxing anywhere.
 *
 * <p>Lookups ({@link #find}) are safe from many threads once no more oids are added.
 */
public final class OidTable {
    private static final long MIX = 0x9E3779B97F4A7C15L;
    private static final int DIRECT_SLACK = 1 << 16;

    private final IntPages direct; // index + 1 of oid i; 0 = absent
    private int directLength; // oids below this are found in direct
    private long[] keys;
    private int[] slots; // index + 1; 0 = empty
    private int mask;
    private int hashed;
    private final LongPages oids;
    private int size;

    public OidTable() {
        this(1024);
    }

    public OidTable(int expected) {
        this(Memory.HEAP, expected);
    }

    /** A table whose per-oid arrays take their room from {@code memory}. */
    public OidTable(Memory memory, int expected) {
        directLength = Math.max(1024, expected);
        direct = new IntPages(memory, directLength);
        keys = new long[16];
        slots = new int[16];
        mask = 15;
        oids = new LongPages(memory, Math.max(16, expected));
    }

    /** Drops the unused room of the per-index table (once no more oids come). */
    public void trim() {
        oids.trim(size);
    }

    /** Number of oids. */
    public int size() {
        return size;
    }

    /** The oid with index {@code i}. */
    public long oid(int i) {
        return oids.get(i);
    }

    /**
     * The indexes of all oids, ordered by oid as a signed number (the order of the integer keys
     * of the reference database): the outliers of the hash table below 0, the direct array in
     * oid order, the outliers above it. No sort of the whole table, so no heap beyond
     * {@code memory}'s pages.
     */
    public IntPages signedOrder(Memory memory) {
        IntPages out = new IntPages(memory, size);
        long[] outliers = new long[hashed];
        int n = 0;
        for (int h = 0; h < slots.length; h++) {
            if (slots[h] != 0) {
                outliers[n++] = keys[h];
            }
        }
        Arrays.sort(outliers);
        int k = 0;
        int o = 0;
        while (o < n && outliers[o] < 0) {
            out.set(k++, hashFind(outliers[o++]));
        }
        for (int oid = 0; oid < directLength; oid++) {
            int s = direct.get(oid);
            if (s != 0) {
                out.set(k++, s - 1);
            }
        }
        while (o < n) {
            out.set(k++, hashFind(outliers[o++]));
        }
        return out;
    }

    /** The index of {@code oid}, or -1. */
    public int find(long oid) {
        if (oid >= 0 && oid < directLength) {
            return direct.get((int) oid) - 1;
        }
        return hashed == 0 ? -1 : hashFind(oid);
    }

    /** The index of {@code oid}, adding it if new. */
    public int intern(long oid) {
        if (oid >= 0 && oid < directLength) {
            int s = direct.get((int) oid);
            if (s != 0) {
                return s - 1;
            }
            int idx = newIndex(oid);
            direct.set((int) oid, idx + 1);
            return idx;
        }
        int found = hashFind(oid);
        if (found >= 0) {
            return found;
        }
        if (oid >= 0 && oid < directLimit()) {
            growDirect(oid);
            return intern(oid);
        }
        int idx = newIndex(oid);
        hashPut(oid, idx);
        return idx;
    }

    /** How far the direct array may reach: a few times the number of oids. */
    private long directLimit() {
        return Math.min(Integer.MAX_VALUE - 8L, 4L * size + DIRECT_SLACK);
    }

    /** Grows the direct array to cover {@code oid} and moves hashed oids it now covers. */
    private void growDirect(long oid) {
        int len = (int) Math.min(directLimit(), Math.max(oid + 1, directLength + (directLength >> 1)));
        direct.ensure(len);
        directLength = len;
        if (hashed == 0) {
            return;
        }
        long[] oldKeys = keys;
        int[] oldSlots = slots;
        keys = new long[oldKeys.length];
        slots = new int[oldSlots.length];
        hashed = 0;
        for (int i = 0; i < oldSlots.length; i++) {
            if (oldSlots[i] != 0) {
                long k = oldKeys[i];
                if (k >= 0 && k < len) {
                    direct.set((int) k, oldSlots[i]);
                } else {
                    hashPut(k, oldSlots[i] - 1);
                }
            }
        }
    }

    private int newIndex(long oid) {
        if (size == Integer.MAX_VALUE - 8) {
            throw new IllegalStateException("more than " + size + " oids");
        }
        int idx = size++;
        oids.ensure(idx + 1);
        oids.set(idx, oid);
        return idx;
    }

    private int hash(long oid) {
        return (int) ((oid * MIX) >>> 40) & mask;
    }

    private int hashFind(long oid) {
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

    private void hashPut(long oid, int idx) {
        if ((hashed + 1) * 2L > slots.length) {
            rehash();
        }
        int h = hash(oid);
        while (slots[h] != 0) {
            h = (h + 1) & mask;
        }
        keys[h] = oid;
        slots[h] = idx + 1;
        hashed++;
    }

    private void rehash() {
        long[] oldKeys = keys;
        int[] oldSlots = slots;
        int cap = oldSlots.length * 2;
        keys = new long[cap];
        slots = new int[cap];
        mask = cap - 1;
        hashed = 0;
        for (int i = 0; i < oldSlots.length; i++) {
            if (oldSlots[i] != 0) {
                hashPut(oldKeys[i], oldSlots[i] - 1);
            }
        }
    }
}
