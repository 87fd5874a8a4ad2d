package org.zodbcheck.check;

/** Why an object cannot be loaded. */
public enum Cause {
    /** No data record for the oid at all (never written, or packed away). */
    NO_RECORD("no-record"),
    /** The current record has no data: deleted ({@code deleteObject}) or its creation undone. */
    NO_DATA("no-data"),
    /** The current record's backpointer chain is broken; ZODB raises on load. */
    UNLOADABLE("unloadable");

    private final String label;

    Cause(String label) {
        this.label = label;
    }

    public String label() {
        return label;
    }
}
