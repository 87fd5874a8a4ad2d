package org.zodbcheck.report;

import java.io.PrintWriter;
import java.util.LinkedHashSet;
import java.util.Set;
import org.zodbcheck.check.BlobFinding;
import org.zodbcheck.check.Cause;
import org.zodbcheck.check.Finding;
import org.zodbcheck.check.Kind;
import org.zodbcheck.check.ReferenceFinding;
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
 * Findings zc.zodbdgc has no words for go to {@code err} in the text format.
 */
public final class ZodbdgcPrinter implements Printer {
    private final PrintWriter out;
    private final TextPrinter others;
    private final Set<String> printed = new LinkedHashSet<>();

    public ZodbdgcPrinter(PrintWriter out, PrintWriter err) {
        this.out = out;
        this.others = new TextPrinter(err);
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
            missing(r.db(), r.oid(), "POSKeyError: " + Oid.repr(r.oid()));
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
                    + java.nio.file.Path.of(b.path()).toAbsolutePath().normalize() + "'");
            return true;
        }
        return false;
    }

    private void missing(String db, long oid, String error) {
        if (printed.add(db + "\0" + oid)) {
            out.println("!!! " + db + " " + Oid.signedDecimal(oid) + " ?");
            out.println(error);
        }
    }

    private static String from(ReferenceFinding r) {
        return r.referrer().db() + " " + Oid.signedDecimal(r.referrer().oid());
    }
}
