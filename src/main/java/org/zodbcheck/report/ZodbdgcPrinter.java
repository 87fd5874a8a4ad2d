package org.zodbcheck.report;

import java.io.PrintWriter;
import java.util.LinkedHashSet;
import java.util.Set;
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
        if (f instanceof ReferenceFinding r && r.kind() == Kind.POSKEYERROR && r.cause() != Cause.UNLOADABLE) {
            if (printed.add(r.db() + "\0" + r.oid())) {
                out.println("!!! " + r.db() + " " + Oid.signedDecimal(r.oid()) + " ?");
                out.println("POSKeyError: " + Oid.repr(r.oid()));
            }
        } else if (f instanceof ReferenceFinding r && r.kind() == Kind.BAD_DB) {
            out.println("!!! " + r.db() + " " + Oid.signedDecimal(r.oid()) + " " + r.referrer().db() + " "
                    + Oid.signedDecimal(r.referrer().oid()));
            out.println("bad db");
        } else {
            others.accept(f);
        }
    }
}
