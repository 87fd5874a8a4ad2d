package org.zodbcheck.report;

import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.Map;
import org.zodbcheck.check.BlobFinding;
import org.zodbcheck.check.Cause;
import org.zodbcheck.check.Finding;
import org.zodbcheck.check.Kind;
import org.zodbcheck.check.ReferenceFinding;
import org.zodbcheck.check.Referrer;
import org.zodbcheck.filestorage.Oid;

/**
 * What {@code multi-zodb-check-refs} (zc.zodbdgc) prints, so that scripts reading it keep
 * working (FORMAT.md §6.1): two lines per object a root walk cannot load,
 *
 * <pre>
 * !!! main 146 ?
 * POSKeyError: 0x92
 * </pre>
 *
 * with the oid as a signed decimal, then as {@code oid_repr}. Each missing object is printed once.
 * With a reference database ({@code -r}), the {@code ?} is one referrer, as zc.zodbdgc prints
 * it: the lowest reachable referrer oid of the target's own database if there is one
 * ({@code !!! main 146 main 22}). Findings zc.zodbdgc has no words for go to {@code err} in the
 * text format.
 */
public final class ZodbdgcPrinter implements Printer {
    /** A missing object and the referrer printed for it. */
    private static final class Missing {
        final String db;
        final long oid;
        /** The second line; {@code null} for {@code POSKeyError: <oid>}, made when printed. */
        final String error;
        Referrer referrer;

        Missing(String db, long oid, String error) {
            this.db = db;
            this.oid = oid;
            this.error = error;
        }
    }

    /** Which object: a storage with millions of missing objects keeps a key for each until the end. */
    private record Key(String db, long oid) {
    }

    private final PrintWriter out;
    private final TextPrinter others;
    private final boolean namesReferrers;
    private final Map<Key, Missing> missing = new LinkedHashMap<>();

    /** @param namesReferrers print a referrer instead of {@code ?}, as zc.zodbdgc does with -r */
    public ZodbdgcPrinter(PrintWriter out, PrintWriter err, boolean namesReferrers) {
        this.out = out;
        this.others = new TextPrinter(err);
        this.namesReferrers = namesReferrers;
    }

    @Override
    public void accept(Finding f) {
        if (!print(f)) {
            others.accept(f);
        }
    }

    /**
     * Prints what zc.zodbdgc prints for this finding; false if it prints nothing for it. It
     * only looks at objects its root walk reaches, and prints a bad db or bad xref line for
     * every occurrence of the reference.
     */
    private boolean print(Finding f) {
        if (f instanceof ReferenceFinding r && r.kind() == Kind.POSKEYERROR && r.cause() != Cause.UNLOADABLE) {
            missing(r.db(), r.oid(), null, r.referrer());
            return true;
        }
        if (f instanceof ReferenceFinding r && r.reachable() && r.kind() == Kind.BAD_DB) {
            for (int i = 0; i < r.occurrences().size(); i++) {
                out.println("!!! " + r.db() + " " + Oid.signedDecimal(r.oid()) + " " + from(r));
                out.println("bad db");
            }
            return true;
        }
        if (f instanceof ReferenceFinding r && r.reachable() && r.kind() == Kind.BAD_XREF) {
            for (int i = 0; i < r.occurrences().size(); i++) {
                out.println("bad xref " + r.db() + " " + Oid.signedDecimal(r.oid()) + " " + from(r));
            }
            return true;
        }
        if (f instanceof BlobFinding b && b.kind() == Kind.MISSING_BLOB && b.oid() != null && b.reachable()) {
            // zc.zodbdgc names the file with the blob directory made absolute
            missing(b.db(), b.oid(), "POSKeyError: 'No blob file at "
                    + java.nio.file.Path.of(b.path()).toAbsolutePath().normalize() + "'", b.referrer());
            return true;
        }
        return false;
    }

    private void missing(String db, long oid, String error, Referrer referrer) {
        Missing m = missing.computeIfAbsent(new Key(db, oid), k -> new Missing(db, oid, error));
        if (referrer != null && better(referrer, m.referrer, db)) {
            m.referrer = referrer;
        }
    }

    /** zc.zodbdgc's refdb keeps referrers in sorted sets, its own database's first. */
    private static boolean better(Referrer r, Referrer current, String targetDb) {
        if (current == null) {
            return true;
        }
        if (r.db().equals(targetDb) != current.db().equals(targetDb)) {
            return r.db().equals(targetDb);
        }
        return r.oid() < current.oid();
    }

    @Override
    public void finish() {
        for (Missing m : missing.values()) {
            String from = namesReferrers && m.referrer != null
                    ? m.referrer.db() + " " + Oid.signedDecimal(m.referrer.oid()) : "?";
            out.println("!!! " + m.db + " " + Oid.signedDecimal(m.oid) + " " + from);
            out.println(m.error != null ? m.error : "POSKeyError: " + Oid.repr(m.oid));
        }
    }

    private static String from(ReferenceFinding r) {
        return r.referrer().db() + " " + Oid.signedDecimal(r.referrer().oid());
    }
}
