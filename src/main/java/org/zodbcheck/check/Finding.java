package org.zodbcheck.check;

/**
 * One problem found. Findings are data: the check streams them to printers; only a problem
 * that stops the whole run is an exception.
 */
public sealed interface Finding permits ReferenceFinding, ObjectFinding, StructureFinding, BlobFinding {
    Kind kind();

    Severity severity();

    /** The database the finding is about (the target's, for references). */
    String db();

    /** One sentence for people. */
    String message();
}
