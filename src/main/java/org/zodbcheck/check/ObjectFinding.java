package org.zodbcheck.check;

/**
 * A finding about one object's current record: {@code unreadable-record}, {@code garbage}.
 *
 * @param pos file position of the current record
 * @param offset file offset of the problem inside the record (the bad opcode), or {@code null}
 * @param reachable whether the object is reachable from a root
 */
public record ObjectFinding(Kind kind, Severity severity, String db, long oid, String className,
                            long tid, long pos, Long offset, boolean reachable, String message)
        implements Finding {
}
