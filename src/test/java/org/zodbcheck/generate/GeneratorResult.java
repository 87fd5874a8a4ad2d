package org.zodbcheck.generate;

import java.nio.file.Path;
import java.util.List;

/**
 * What was generated, and what a reference checker must find in it.
 *
 * @param objects oids whose current record has data (what check-refs counts as objects)
 * @param garbage objects with data that no walk from the root reaches
 * @param expectedFindings one per (missing oid, referrer) pair: {@code poskeyerror} when the
 *        referrer is reachable, {@code dangling} when it is garbage
 */
public record GeneratorResult(GeneratorParams params, Path path, String magic, long bytes, long transactions,
                              long records, long oids, long objects, long garbage, int folders,
                              int droppedFolders, long contentItems, long undoTransactions,
                              long deletedRecords, List<Missing> missing, List<ExpectedFinding> expectedFindings,
                              double seconds) {

    /** A missing oid and every object whose current record refers to it. */
    public record Missing(long oid, String kind, boolean placedInGarbage, String className, String path,
                          long deletedTid, List<Referrer> referrers) {
        public boolean reportedByRootWalk() {
            return referrers.stream().anyMatch(Referrer::reachable);
        }
    }

    public record Referrer(long oid, String className, boolean reachable) {
    }

    public record ExpectedFinding(String kind, String db, String oid, String referrer) {
    }

    /** {@code oid_repr}: {@code 0x} and an even number of hex digits, as zodbcheck prints oids. */
    public static String repr(long oid) {
        String h = Long.toHexString(oid);
        return "0x" + (h.length() % 2 == 1 ? "0" : "") + h;
    }
}
