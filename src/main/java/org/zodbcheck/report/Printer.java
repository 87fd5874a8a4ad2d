package org.zodbcheck.report;

import org.zodbcheck.check.FindingSink;

/** Prints findings in one output format. Formats that group or sort print at {@link #finish()}. */
public interface Printer extends FindingSink {
    /** Called once after the last finding. */
    default void finish() {
    }
}
