package org.zodbcheck.graph;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Which nodes a breadth-first walk reaches from the roots, over the edges whose flags match a
 * mask, across several databases. Iterative, no recursion; a bit per node.
 */
public final class Reachability {
    /** An edge from one database into another, found outside the per-database graphs. */
    public record CrossEdge(int fromDb, int fromNode, int toDb, int toNode) {
    }

    private final long[][] bits;

    private Reachability(long[][] bits) {
        this.bits = bits;
    }

    /**
     * Walks every database's graph from its roots.
     *
     * @param graphs one graph per database
     * @param nodeCounts number of nodes per database (graphs may know fewer)
     * @param roots root node per database, -1 if it has none
     * @param cross edges between databases (already strong-only), looked up by source
     * @param mask an edge is followed when {@code (flags & mask) != 0}
     * @param memory where the queue of the walk lives
     */
    public static Reachability walk(List<RefGraph> graphs, int[] nodeCounts, int[] roots,
                                    List<CrossEdge> cross, int mask, Memory memory) {
        int dbs = graphs.size();
        long[][] bits = new long[dbs][];
        for (int d = 0; d < dbs; d++) {
            bits[d] = new long[(nodeCounts[d] + 63) >>> 6];
        }
        Map<Long, List<CrossEdge>> crossBySource = new HashMap<>();
        for (CrossEdge e : cross) {
            crossBySource.computeIfAbsent(key(e.fromDb(), e.fromNode()), k -> new ArrayList<>()).add(e);
        }
        // The queue holds global numbers (database base + node): 4 bytes per reachable object.
        int[] base = new int[dbs + 1];
        for (int d = 0; d < dbs; d++) {
            base[d + 1] = Math.addExact(base[d], nodeCounts[d]);
        }
        // Every node enters the queue at most once: room for all of them, no copies while it grows.
        IntPages queue = new IntPages(memory, base[dbs]);
        int tail = 0;
        for (int d = 0; d < dbs; d++) {
            if (roots[d] >= 0 && mark(bits[d], roots[d])) {
                queue.set(tail++, base[d] + roots[d]);
            }
        }
        int d = 0;
        for (int head = 0; head < tail; head++) {
            int global = queue.get(head);
            while (global < base[d] || global >= base[d + 1]) {
                d = global < base[d] ? d - 1 : d + 1;
            }
            int node = global - base[d];
            RefGraph g = graphs.get(d);
            int s = g.start(node);
            int e = s + g.count(node);
            for (int i = s; i < e; i++) {
                if ((g.flags(i) & mask) != 0 && mark(bits[d], g.target(i))) {
                    queue.set(tail++, base[d] + g.target(i));
                }
            }
            List<CrossEdge> out = crossBySource.isEmpty() ? null : crossBySource.get(key(d, node));
            if (out != null) {
                for (CrossEdge c : out) {
                    if (c.toNode() >= 0 && mark(bits[c.toDb()], c.toNode())) {
                        queue.set(tail++, base[c.toDb()] + c.toNode());
                    }
                }
            }
        }
        queue.release();
        return new Reachability(bits);
    }

    private static long key(int db, int node) {
        return ((long) db << 32) | (node & 0xffffffffL);
    }

    /** Sets the bit; true if it was clear. */
    private static boolean mark(long[] b, int i) {
        long m = 1L << i;
        int w = i >>> 6;
        if ((b[w] & m) != 0) {
            return false;
        }
        b[w] |= m;
        return true;
    }

    public boolean reachable(int db, int node) {
        long[] b = bits[db];
        int w = node >>> 6;
        return w < b.length && (b[w] & (1L << node)) != 0;
    }
}
