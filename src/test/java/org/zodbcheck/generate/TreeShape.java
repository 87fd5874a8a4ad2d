package org.zodbcheck.generate;

import java.util.Arrays;

/**
 * The shape of a BTree filled in key order: entry {@code e} lives in bucket {@code e / cap};
 * {@code fanout} children per interior node. A tree whose entries fit one bucket keeps it inline
 * in its own state (no bucket object, as BTrees do); otherwise the root's children are the
 * lowest level that has at most {@code fanout} nodes.
 */
record TreeShape(int cap, int fanout) {
    TreeShape {
        if (cap < 1 || fanout < 2) {
            throw new IllegalArgumentException("bucket size " + cap + ", fan-out " + fanout);
        }
    }

    /**
     * Node counts per level for {@code entries} entries: {@code [buckets, level-1 nodes, ...]},
     * the last level being the root's children. A single element {@code <= 1} means inline.
     */
    int[] levels(long entries) {
        int[] counts = {(int) ((entries + cap - 1) / cap)};
        while (counts[counts.length - 1] > fanout) {
            int next = (counts[counts.length - 1] + fanout - 1) / fanout;
            counts = Arrays.copyOf(counts, counts.length + 1);
            counts[counts.length - 1] = next;
        }
        return counts;
    }

    static boolean inline(int[] levels) {
        return levels[0] <= 1;
    }

    /** Persistent nodes besides the root (buckets and interior nodes); 0 when inline. */
    int nodeCount(long entries) {
        int[] l = levels(entries);
        if (inline(l)) {
            return 0;
        }
        int sum = 0;
        for (int c : l) {
            sum += c;
        }
        return sum;
    }

    /** The first entry under node {@code index} of {@code level} (0 = buckets). */
    long firstEntry(int level, long index) {
        long span = cap;
        for (int i = 0; i < level; i++) {
            span *= fanout;
        }
        return index * span;
    }
}
