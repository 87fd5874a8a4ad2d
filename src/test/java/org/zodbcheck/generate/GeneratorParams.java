package org.zodbcheck.generate;

/**
 * What to generate. Exactly one of {@code objects} and {@code bytes} is positive: generation
 * stops once that many oids are allocated or that many bytes written (then pending folder drops
 * and deletions are still written, so the result is slightly larger).
 *
 * @param objects target number of oids (0: use {@code bytes})
 * @param bytes target file size (0: use {@code objects})
 * @param seed everything else follows from it: same parameters and seed, same bytes
 * @param missing oids to make missing: half deleted with a deleteObject record, half never written
 * @param missingGarbageShare share of the missing oids referenced from garbage only (needs {@code garbage > 0})
 * @param revisions average data records per object (at least 1)
 * @param undo share of transactions that are undos (or redos) of the previous edit transaction
 * @param garbage share of folders that are dropped (their objects become garbage)
 * @param python 2 or 3
 * @param protocol pickle protocol: 3 on Python 3; 1, 2 or 3 on Python 2
 * @param txnSize about how many objects an edit transaction modifies
 * @param smallTrees tiny buckets and fan-out, so that small files already have deep BTrees (tests)
 */
public record GeneratorParams(long objects, long bytes, long seed, int missing, double missingGarbageShare,
                              double revisions, double undo, double garbage, int python, int protocol,
                              int txnSize, boolean smallTrees) {
    public GeneratorParams {
        if ((objects > 0) == (bytes > 0)) {
            throw new IllegalArgumentException("give either a target object count or a target size");
        }
        if (missing < 0 || revisions < 1 || undo < 0 || undo > 0.5 || garbage < 0 || garbage > 0.9
                || missingGarbageShare < 0 || missingGarbageShare > 1 || txnSize < 2) {
            throw new IllegalArgumentException("parameter out of range: " + this);
        }
        if (objects > 0 && missing > objects / 50) {
            throw new IllegalArgumentException("at most one missing oid per 50 objects: " + missing + " for " + objects);
        }
        Dialect.of(python, protocol); // validates the pair
    }

    /** Defaults: 20 missing (a quarter from garbage only), 3 records per object, 2% undo, 2% garbage, Python 3. */
    public static GeneratorParams objects(long objects, long seed) {
        return new GeneratorParams(objects, 0, seed, 20, 0.25, 3.0, 0.02, 0.02, 3, 3, 100, false);
    }

    public GeneratorParams withMissing(int n) {
        return new GeneratorParams(objects, bytes, seed, n, missingGarbageShare, revisions, undo, garbage, python,
                protocol, txnSize, smallTrees);
    }

    public GeneratorParams withPython(int py, int proto) {
        return new GeneratorParams(objects, bytes, seed, missing, missingGarbageShare, revisions, undo, garbage, py,
                proto, txnSize, smallTrees);
    }

    public GeneratorParams withShape(double revs, double undoShare, double garbageShare) {
        return new GeneratorParams(objects, bytes, seed, missing, missingGarbageShare, revs, undoShare, garbageShare,
                python, protocol, txnSize, smallTrees);
    }

    public GeneratorParams withSmallTrees(boolean small) {
        return new GeneratorParams(objects, bytes, seed, missing, missingGarbageShare, revisions, undo, garbage,
                python, protocol, txnSize, small);
    }

    Dialect dialect() {
        return Dialect.of(python, protocol);
    }
}
