package org.zodbcheck.generate;

/** An injected missing oid: a content item that is deleted (deleteObject) or whose record is never written. */
final class MissingOid {
    enum Kind {
        DELETED("deleted"), NEVER_WRITTEN("never-written");

        final String label;

        Kind(String label) {
            this.label = label;
        }
    }

    final long oid;
    final long item;
    final int block;
    final Kind kind;
    /** Placed in a folder that will be dropped, so that only garbage refers to it. */
    final boolean garbageOnly;
    final boolean hasHolder;
    /** The deleteObject transaction, 0 until it is written. */
    long deletedTid;

    MissingOid(long oid, long item, int block, Kind kind, boolean garbageOnly, boolean hasHolder) {
        this.oid = oid;
        this.item = item;
        this.block = block;
        this.kind = kind;
        this.garbageOnly = garbageOnly;
        this.hasHolder = hasHolder;
    }
}
