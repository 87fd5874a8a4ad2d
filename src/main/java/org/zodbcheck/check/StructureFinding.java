package org.zodbcheck.check;

/**
 * A problem in the layout of a storage file ({@link Kind#STRUCTURE}) or of a file beside it
 * ({@link Kind#BAD_INDEX}, {@link Kind#STALE_INDEX}).
 *
 * @param file the file as given
 * @param pos position of the transaction (or record) concerned
 * @param offset offset of the offending bytes
 * @param oid the oid of the record concerned, or {@code null}
 */
public record StructureFinding(Kind kind, Severity severity, String db, String file, long pos, long offset,
                               Long oid, String message) implements Finding {
    /** A {@link Kind#STRUCTURE} finding. */
    public StructureFinding(Severity severity, String db, String file, long pos, long offset, Long oid,
                            String message) {
        this(Kind.STRUCTURE, severity, db, file, pos, offset, oid, message);
    }
}
