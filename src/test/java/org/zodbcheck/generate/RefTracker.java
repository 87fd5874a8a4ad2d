package org.zodbcheck.generate;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Who refers to each injected missing oid, in current records only: exactly what check-refs
 * reports, one finding per (target, referrer). Every record replaces its oid's earlier
 * references (a rewritten bucket that no longer holds the oid stops referring to it; a deleted
 * object refers to nothing). Strong references to other oids cost one binary search in a sorted
 * array of the few missing oids.
 */
final class RefTracker implements PickleWriter.RefListener {
    private long[] missing = new long[0];
    private final Map<Long, TreeSet<Long>> referrers = new TreeMap<>();
    private final Map<Long, String> referrerClass = new TreeMap<>();
    /** Objects that currently refer to some missing oid: the only ones whose new record needs bookkeeping. */
    private final LongSet holders = new LongSet();
    private final List<Long> pending = new ArrayList<>();

    void addMissing(long oid) {
        int i = Arrays.binarySearch(missing, oid);
        if (i < 0) {
            i = -i - 1;
            long[] a = new long[missing.length + 1];
            System.arraycopy(missing, 0, a, 0, i);
            a[i] = oid;
            System.arraycopy(missing, i, a, i + 1, missing.length - i);
            missing = a;
            referrers.put(oid, new TreeSet<>());
        }
    }

    boolean isMissing(long oid) {
        return Arrays.binarySearch(missing, oid) >= 0;
    }

    @Override
    public void onRef(long oid) {
        if (missing.length > 0 && isMissing(oid)) {
            pending.add(oid);
        }
    }

    /** The record of {@code oid} (class {@code klass}) is complete: its references replace the earlier ones. */
    void commit(long oid, Global klass) {
        if (holders.contains(oid)) {
            for (TreeSet<Long> s : referrers.values()) {
                s.remove(oid);
            }
        }
        for (long target : pending) {
            referrers.get(target).add(oid);
            holders.add(oid); // never removed: a stale entry only costs the loop above
            referrerClass.put(oid, klass.dotted);
        }
        pending.clear();
    }

    /** A record without data (deleteObject): the oid no longer refers to anything. */
    void commitNoData(long oid) {
        pending.clear();
        if (holders.contains(oid)) {
            for (TreeSet<Long> s : referrers.values()) {
                s.remove(oid);
            }
        }
    }

    /** Discards references noted while a record was being written that will not be committed. */
    void discardPending() {
        pending.clear();
    }

    TreeSet<Long> referrersOf(long missingOid) {
        return referrers.get(missingOid);
    }

    String classOf(long referrer) {
        return referrerClass.get(referrer);
    }
}
