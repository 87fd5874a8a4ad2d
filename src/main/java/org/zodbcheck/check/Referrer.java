package org.zodbcheck.check;

/**
 * The object holding a reference: database, oid, class, and the tid and file position of its
 * current record.
 */
public record Referrer(String db, long oid, String className, long tid, long pos) {
}
