package org.zodbcheck.generate;

import java.util.ArrayList;
import java.util.List;

/**
 * One OOBTree/IOBTree/OIBTree whose entries are numbered in key order, written as BTrees pickles
 * their nodes: a bucket is {@code ((k1, v1, k2, v2, ...), next_bucket)} (no second item for the
 * last bucket), an interior node {@code ((child0, key1, child1, ...), firstbucket)}, a tree that
 * fits one bucket {@code (((k1, v1, ...),),)}, an empty tree {@code None}.
 *
 * <p>Appending entries allocates new nodes and marks dirty every node whose state changes (the
 * old last bucket gets entries or a next pointer, interior nodes get children); removing entries
 * (absent from {@link Entries#present}) dirties their buckets. {@link #write} then stores each
 * dirty node once, as a transaction would. Only node oids are kept (one long per node); the
 * entries themselves are recomputed.
 */
final class BTreeModel {
    /** What the tree holds: entry {@code e}'s key and value, and whether it is (still) there. */
    interface Entries {
        boolean present(long e);

        void key(PickleWriter p, long e);

        void value(PickleWriter p, long e);
    }

    interface OidSource {
        long next();
    }

    private final long rootOid;
    private final Global treeClass;
    private final Global bucketClass;
    private final TreeShape shape;
    private final Entries entries;
    private long size;
    /** Node oids per level, level 0 = buckets. */
    private final List<LongList> nodes = new ArrayList<>();
    private boolean rootDirty;
    private final List<long[]> dirty = new ArrayList<>(); // per level: {lo, hi} or null

    BTreeModel(long rootOid, Global treeClass, Global bucketClass, TreeShape shape, Entries entries) {
        this.rootOid = rootOid;
        this.treeClass = treeClass;
        this.bucketClass = bucketClass;
        this.shape = shape;
        this.entries = entries;
    }

    long size() {
        return size;
    }

    long rootOid() {
        return rootOid;
    }

    /** Adds entries {@code [size, size + count)}, allocating new nodes from {@code oids}. */
    void append(long count, OidSource oids) {
        int[] before = shape.levels(size);
        size += count;
        int[] after = shape.levels(size);
        if (TreeShape.inline(after)) {
            rootDirty = true; // the entries are in the root's own state
            return;
        }
        boolean wasInline = TreeShape.inline(before);
        allocate(after, oids);
        for (int l = 0; l < after.length; l++) {
            long from;
            if (l == 0) {
                from = wasInline ? 0 : before[0] - 1; // the old last bucket: new entries or a next pointer
            } else if (wasInline || l >= before.length) {
                from = 0;                              // a new level
            } else if (before[l - 1] == after[l - 1]) {
                continue;                              // no new children below
            } else {
                from = before[l - 1] / shape.fanout(); // the node that receives the first new child
            }
            markDirty(l, from, after[l] - 1);
        }
        rootDirty |= wasInline || before.length != after.length
                || before[before.length - 1] != after[after.length - 1];
    }

    /** Entries {@code [from, to)} changed (removed): their buckets must be written again. */
    void touch(long from, long to) {
        int[] l = shape.levels(size);
        if (TreeShape.inline(l)) {
            rootDirty = true;
        } else {
            markDirty(0, from / shape.cap(), (to - 1) / shape.cap());
        }
    }

    /** Writes every dirty node into the open transaction. */
    void write(FileStorageWriter w) {
        int[] levels = shape.levels(size);
        if (rootDirty) {
            writeRoot(w, levels);
        }
        for (int l = dirty.size() - 1; l >= 0; l--) {
            long[] range = dirty.get(l);
            if (range == null) {
                continue;
            }
            for (long i = range[0]; i <= range[1]; i++) {
                if (l == 0) {
                    writeBucket(w, levels, i);
                } else {
                    writeInterior(w, levels, l, i);
                }
            }
            dirty.set(l, null);
        }
        rootDirty = false;
    }

    // ------------------------------------------------------------------ nodes

    private void allocate(int[] levels, OidSource oids) {
        for (int l = 0; l < levels.length; l++) {
            if (nodes.size() <= l) {
                nodes.add(new LongList());
                dirty.add(null);
            }
            LongList level = nodes.get(l);
            while (level.size() < levels[l]) {
                level.add(oids.next());
            }
        }
    }

    private void markDirty(int level, long lo, long hi) {
        long[] r = dirty.get(level);
        dirty.set(level, r == null ? new long[] {lo, hi} : new long[] {Math.min(r[0], lo), Math.max(r[1], hi)});
    }

    private long oid(int level, long index) {
        return nodes.get(level).get((int) index);
    }

    private void writeRoot(FileStorageWriter w, int[] levels) {
        PickleWriter p = w.beginData(rootOid, treeClass);
        if (size == 0) {
            p.none();
        } else if (TreeShape.inline(levels)) {
            p.tupleBegin(1);
            p.tupleBegin(1);
            p.tupleBegin(1);
            items(p, 0, size);
            p.tupleEnd(1, true);
            p.tupleEnd(1, true);
            p.tupleEnd(1, false);
        } else {
            int top = levels.length - 1;
            children(p, top, 0, levels[top]);
        }
        w.endData();
    }

    private void writeInterior(FileStorageWriter w, int[] levels, int level, long index) {
        PickleWriter p = w.beginData(oid(level, index), treeClass);
        long first = index * shape.fanout();
        children(p, level - 1, first, Math.min(first + shape.fanout(), levels[level - 1]));
        w.endData();
    }

    /** {@code ((child0, key1, child1, ...), firstbucket)} for children {@code [from, to)} of {@code level}. */
    private void children(PickleWriter p, int level, long from, long to) {
        Global childClass = level == 0 ? bucketClass : treeClass;
        int n = (int) (2 * (to - from) - 1);
        p.tupleBegin(2);
        p.tupleBegin(n);
        int firstMemo = p.ref(oid(level, from), childClass);
        for (long c = from + 1; c < to; c++) {
            entries.key(p, shape.firstEntry(level, c));
            p.ref(oid(level, c), childClass);
        }
        p.tupleEnd(n, true);
        long firstBucket = shape.firstEntry(level, from) / shape.cap();
        if (level == 0) {
            p.refAgain(oid(0, firstBucket), firstMemo, bucketClass);
        } else {
            p.ref(oid(0, firstBucket), bucketClass);
        }
        p.tupleEnd(2, false);
    }

    private void writeBucket(FileStorageWriter w, int[] levels, long index) {
        PickleWriter p = w.beginData(oid(0, index), bucketClass);
        long from = index * shape.cap();
        boolean next = index + 1 < levels[0];
        p.tupleBegin(next ? 2 : 1);
        items(p, from, Math.min(from + shape.cap(), size));
        if (next) {
            p.ref(oid(0, index + 1), bucketClass);
        }
        p.tupleEnd(next ? 2 : 1, false);
        w.endData();
    }

    /** The flat {@code (k1, v1, k2, v2, ...)} tuple of the present entries in {@code [from, to)}. */
    private void items(PickleWriter p, long from, long to) {
        int n = 0;
        for (long e = from; e < to; e++) {
            n += entries.present(e) ? 2 : 0;
        }
        p.tupleBegin(n);
        for (long e = from; e < to; e++) {
            if (entries.present(e)) {
                entries.key(p, e);
                entries.value(p, e);
            }
        }
        p.tupleEnd(n, true);
    }
}
