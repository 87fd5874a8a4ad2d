package org.zodbcheck.graph;

import java.util.Arrays;

/**
 * The outgoing references of the objects of one database: node {@code i} owns one run
 * {@code [start(i), start(i) + count(i))} of (target, flags) edges, in the order its pickle lists
 * them. Targets are node numbers of the same database; flags are opaque to this class except
 * for the walk mask. About 5 bytes per edge and 8 per node.
 */
public final class RefGraph {
    private int[] start = new int[1024];
    private int[] count = new int[1024];
    private final IntList targets = new IntList(4096);
    private final ByteList flags = new ByteList(4096);
    private int nodes;

    /** Adds the edges of {@code node} (each node gets one run; a second call replaces the first). */
    public void addRun(int node, int[] tgt, byte[] fl, int from, int n) {
        ensure(node + 1);
        start[node] = targets.size();
        count[node] = n;
        for (int i = from; i < from + n; i++) {
            targets.add(tgt[i]);
            flags.add(fl[i]);
        }
    }

    /** Makes room for nodes {@code 0..n-1} (nodes without a run have no edges). */
    public void ensure(int n) {
        if (n > start.length) {
            int len = Math.max(n, LongList.grow(start.length));
            start = Arrays.copyOf(start, len);
            count = Arrays.copyOf(count, len);
        }
        nodes = Math.max(nodes, n);
    }

    /** Drops the unused room of the tables (once every run is added). */
    public void trim() {
        if (start.length > nodes + 16) {
            start = Arrays.copyOf(start, Math.max(16, nodes));
            count = Arrays.copyOf(count, Math.max(16, nodes));
        }
        targets.trim();
        flags.trim();
    }

    public int nodes() {
        return nodes;
    }

    public int edgeCount() {
        return targets.size();
    }

    public int start(int node) {
        return node < nodes ? start[node] : 0;
    }

    public int count(int node) {
        return node < nodes ? count[node] : 0;
    }

    public int target(int edge) {
        return targets.get(edge);
    }

    public byte flags(int edge) {
        return flags.get(edge);
    }
}
