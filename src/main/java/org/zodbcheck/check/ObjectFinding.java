package org.zodbcheck.check;

/**
 * A finding about one object's current record: {@code unreadable-record}, {@code garbage}.
 *
 * @param pos file position of the current record
 * @param offset file offset of the problem inside the record (the bad opcode), or {@code null}
 * @param reachable whether the object is reachable from a root
 * @param referrer an object that refers to this one (reachable ones first, then the same
 *     database, then the lowest oid), or {@code null}: where to start looking for the damage
 */
public record ObjectFinding(Kind kind, Severity severity, String db, long oid, String className,
                            long tid, long pos, Long offset, boolean reachable, String message, Referrer referrer)
        implements Finding {
    public ObjectFinding withReferrer(Referrer r) {
        return new ObjectFinding(kind, severity, db, oid, className, tid, pos, offset, reachable, message, r);
    }
}
