package org.zodbcheck.pickle;

/** Receives the persistent ids of a record in pickle order. */
@FunctionalInterface
public interface ReferenceSink {
    /**
     * Called once per persistent id. {@code pid} is a view owned by the scanner: read what you
     * need during the call, do not keep it.
     */
    void reference(PickleScanner.Pid pid);

    /** A sink that ignores everything. */
    ReferenceSink NONE = pid -> { };
}
