package org.zodbcheck.check;

import java.util.List;
import java.util.Map;

/**
 * What a check looked at and found.
 *
 * @param databases one entry per database, in configuration order
 * @param errors number of error findings
 * @param warnings number of warning findings
 * @param infos number of info findings (garbage only when listed; see {@link DatabaseSummary#garbage()})
 * @param seconds wall time of the check
 * @param phases seconds spent in each phase, for {@code -v}
 * @param heapTables bytes the per-object tables held on the heap at the end
 * @param spilledTables bytes of the per-object tables that went to spill files
 */
public record Summary(List<DatabaseSummary> databases, long errors, long warnings, long infos, double seconds,
                      Map<String, Double> phases, long heapTables, long spilledTables) {
    /**
     * @param objects oids whose current record can be loaded
     * @param records data records read
     * @param references persistent ids in current records
     * @param reachable objects reachable from a root
     * @param garbage objects with data that no root reaches
     * @param goodEnd end of the good prefix (the file size when the whole file is good)
     */
    public record DatabaseSummary(String name, String path, String magic, long size, long goodEnd,
                                  long transactions, long records, long objects, long references,
                                  long reachable, long garbage) {
    }

    /** The worst severity present, or {@code null} when nothing was found. */
    public Severity worst() {
        return errors > 0 ? Severity.ERROR : warnings > 0 ? Severity.WARNING : infos > 0 ? Severity.INFO : null;
    }
}
