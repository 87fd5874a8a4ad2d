package org.zodbcheck.graph;

/**
 * The outgoing references of the objects of one database: node {@code i} owns one run
 * {@code [start(i), start(i) + count(i))} of (target, flags) edges, in the order its pickle lists
 * them. Targets are node numbers of the same database; flags are opaque to this class except
 * for the walk mask. About 5 bytes per edge and 8 per node, in pages a {@link Memory} hands out.
 */
public final class RefGraph {
    private final IntPages start;
    private final IntPages count;
    private final IntPages targets;
    private final BytePages flags;
    private int edges;
    private int nodes;

    public RefGraph() {
        this(Memory.HEAP);
    }

    /** A graph whose tables take their room from {@code memory}. */
    public RefGraph(Memory memory) {
        start = new IntPages(memory, 1024);
        count = new IntPages(memory, 1024);
        targets = new IntPages(memory, 4096);
        flags = new BytePages(memory, 4096);
    }

    /** Adds the edges of {@code node} (each node gets one run; a second call replaces the first). */
    public void addRun(int node, int[] tgt, byte[] fl, int from, int n) {
        ensure(node + 1);
        if (edges > Integer.MAX_VALUE - 8 - n) {
            throw new IllegalStateException("more than " + edges + " references");
        }
        start.set(node, edges);
        count.set(node, n);
        targets.ensure(edges + n);
        flags.ensure(edges + n);
        for (int i = from; i < from + n; i++) {
            targets.set(edges, tgt[i]);
            flags.set(edges, fl[i]);
            edges++;
        }
    }

    /** Makes room for nodes {@code 0..n-1} (nodes without a run have no edges). */
    public void ensure(int n) {
        start.ensure(n);
        count.ensure(n);
        nodes = Math.max(nodes, n);
    }

    /** Drops the unused room of the tables (once every run is added). */
    public void trim() {
        start.trim(nodes);
        count.trim(nodes);
        targets.trim(edges);
        flags.trim(edges);
    }

    public int nodes() {
        return nodes;
    }

    public int edgeCount() {
        return edges;
    }

    public int start(int node) {
        return node < nodes ? start.get(node) : 0;
    }

    public int count(int node) {
        return node < nodes ? count.get(node) : 0;
    }

    public int target(int edge) {
        return targets.get(edge);
    }

    public byte flags(int edge) {
        return flags.get(edge);
    }
}
