package org.zodbcheck.pickle;

/**
 * The shapes a persistent id takes in a ZODB pickle (FORMAT.md §3.3, §3.6).
 */
public enum RefForm {
    /** A bare oid: the target's class has {@code __getnewargs__} (strong, same database). */
    OID("oid", true),
    /** {@code (oid, klass)}: the usual reference (strong, same database). */
    OID_KLASS("oid-klass", true),
    /** {@code [oid]}: a weak reference written by ZODB 3.4 and older. */
    LIST("list", false),
    /** {@code ['w', (oid,)]} or {@code ['w', (oid, db)]}: a {@code persistent.wref.WeakRef}. */
    WEAK("w", false),
    /** {@code ['m', (db, oid, klass)]}: a reference into another database (strong). */
    MULTI("m", true),
    /** {@code ['n', (db, oid)]}: the same without class (strong). */
    NAMED("n", true),
    /** Anything else: not a reference ZODB could load. */
    MALFORMED("malformed", false);

    private final String label;
    private final boolean strong;

    RefForm(String label, boolean strong) {
        this.label = label;
        this.strong = strong;
    }

    /** The name used in output: {@code oid}, {@code oid-klass}, {@code list}, {@code w}, {@code m}, {@code n}. */
    public String label() {
        return label;
    }

    /** Strong references keep their target alive and must resolve; weak ones need not. */
    public boolean strong() {
        return strong;
    }
}
