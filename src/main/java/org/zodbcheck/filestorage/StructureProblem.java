package org.zodbcheck.filestorage;

/**
 * Something wrong with the layout of the file, found while reading it.
 *
 * @param kind how bad it is for the data
 * @param pos byte offset of the transaction (or record) concerned
 * @param offset byte offset of the offending field or bytes (often {@code pos})
 * @param oid the oid of the data record concerned, or {@code null}
 * @param message what is wrong, with offsets
 */
public record StructureProblem(Kind kind, long pos, long offset, Long oid, String message) {
    public enum Kind {
        /** Damage inside the data: ZODB refuses the file or reads something wrong. */
        DAMAGE,
        /**
         * An incomplete or garbage tail after the last complete transaction: what a crash during a
         * commit leaves behind. ZODB ignores it (and truncates it when opened writable).
         */
        INCOMPLETE_TAIL,
        /** Legacy data modern ZODB cannot read, e.g. version records. */
        LEGACY
    }
}
