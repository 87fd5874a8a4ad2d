package org.zodbcheck.check;

/**
 * A finding about blob files: {@code missing-blob}, {@code orphan-blob}, {@code empty-blob}.
 *
 * @param oid the blob object, or {@code null} for a finding about the whole blob directory
 * @param tid the revision the file belongs to, or {@code null}
 * @param pos file position of the object's current record, or {@code null}
 * @param path the blob file (or directory) concerned
 * @param reachable whether the blob object is reachable from a root
 * @param referrer an object that refers to the blob object, or {@code null}
 */
public record BlobFinding(Kind kind, String db, Long oid, Long tid, Long pos, String path, boolean reachable,
                          String message, Referrer referrer) implements Finding {
    @Override
    public Severity severity() {
        return kind.severity();
    }

    public BlobFinding withReferrer(Referrer r) {
        return new BlobFinding(kind, db, oid, tid, pos, path, reachable, message, r);
    }
}
