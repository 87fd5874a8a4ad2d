package org.zodbcheck.cli;

import java.util.Locale;
import org.zodbcheck.check.Summary;

/** The one-line summary on stderr. */
final class SummaryLine {
    private SummaryLine() {
    }

    static String of(Summary s) {
        long objects = 0;
        long records = 0;
        long refs = 0;
        long garbage = 0;
        for (Summary.DatabaseSummary d : s.databases()) {
            objects += d.objects();
            records += d.records();
            refs += d.references();
            garbage += d.garbage();
        }
        String dbs = s.databases().size() == 1 ? s.databases().get(0).name()
                : s.databases().size() + " databases";
        return String.format(Locale.ROOT,
                "zodbcheck: %s: %d objects (%d garbage), %d records, %d references; %d findings:"
                        + " %d errors, %d warnings, %d info; %.2f s",
                dbs, objects, garbage, records, refs, s.errors() + s.warnings() + s.infos(), s.errors(),
                s.warnings(), s.infos(), s.seconds());
    }
}
