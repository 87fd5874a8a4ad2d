package org.zodbcheck.cli;

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
        // concatenation, not String.format: the Formatter and the locale data it loads add about
        // 25 ms to every run, at its very end
        return "zodbcheck: " + dbs + ": " + objects + " objects (" + garbage + " garbage), " + records + " records, "
                + refs + " references; " + (s.errors() + s.warnings() + s.infos()) + " findings: " + s.errors()
                + " errors, " + s.warnings() + " warnings, " + s.infos() + " info; " + seconds(s.seconds()) + " s";
    }

    /** {@code %.2f} of a duration (never negative): two decimals, rounded half up. */
    static String seconds(double seconds) {
        long hundredths = Math.round(Math.max(0, seconds) * 100);
        long frac = hundredths % 100;
        return hundredths / 100 + (frac < 10 ? ".0" : ".") + frac;
    }
}
