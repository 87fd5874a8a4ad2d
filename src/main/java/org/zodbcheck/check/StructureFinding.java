package org.zodbcheck.check;

/**
 * A problem in the layout of a storage file.
 *
 * @param file the file as given
 * @param pos position of the transaction (or record) concerned
 * @param offset offset of the offending bytes
 * @param oid the oid of the record concerned, or {@code null}
 */
public record StructureFinding(Severity severity, String db, String file, long pos, long offset, Long oid,
                               String message) implements Finding {
    @Override
    public Kind kind() {
        return Kind.STRUCTURE;
    }
}
