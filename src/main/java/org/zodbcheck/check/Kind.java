package org.zodbcheck.check;

/** The stable kinds of findings. Their labels are part of the output contract. */
public enum Kind {
    /** A strong reference from a reachable object to an object that cannot be loaded. */
    POSKEYERROR("poskeyerror", Severity.ERROR),
    /** The same from an unreachable (garbage) object. */
    DANGLING("dangling", Severity.WARNING),
    /** A weak reference to an object that cannot be loaded. */
    WEAK_DANGLING("weak-dangling", Severity.INFO),
    /** A current record whose pickles cannot be parsed, or that holds a malformed reference. */
    UNREADABLE_RECORD("unreadable-record", Severity.ERROR),
    /** The layout of the file: error inside the data, warning for an unfinished last commit. */
    STRUCTURE("structure", Severity.ERROR),
    /** An unreachable object with data (listed only on request). */
    GARBAGE("garbage", Severity.INFO),
    /** A reference into a database that is not configured. */
    BAD_DB("bad-db", Severity.ERROR),
    /** A cross-database reference from a database that disallows implicit ones. */
    BAD_XREF("bad-xref", Severity.WARNING),
    /** A current blob record whose file is not in the blob directory (or no usable blob directory). */
    MISSING_BLOB("missing-blob", Severity.ERROR),
    /** A blob file that no current or older record accounts for. */
    ORPHAN_BLOB("orphan-blob", Severity.INFO),
    /** A current blob record whose file is empty (legal, but worth knowing). */
    EMPTY_BLOB("empty-blob", Severity.INFO),
    /** {@code Data.fs.index} covers less than the data: normal after a crash; ZODB reads the rest. */
    STALE_INDEX("stale-index", Severity.INFO),
    /** {@code Data.fs.index} that ZODB ignores (warning) or that misleads it (error). */
    BAD_INDEX("bad-index", Severity.WARNING),
    /** An older revision refers to an object that cannot be loaded: undoing back to it would bring a POSKeyError back. */
    HISTORY_DANGLING("history-dangling", Severity.INFO);

    private final String label;
    private final Severity severity;

    Kind(String label, Severity severity) {
        this.label = label;
        this.severity = severity;
    }

    public String label() {
        return label;
    }

    /** The usual severity; {@link #STRUCTURE} findings choose their own. */
    public Severity severity() {
        return severity;
    }
}
