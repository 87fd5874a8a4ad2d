package org.zodbcheck.check;

/**
 * Told how far a check has come, so that a front end can show progress. Calls come from the
 * reading thread only; implementations must be cheap.
 */
public interface Progress {
    /** A pass over {@code total} bytes of {@code db} begins. */
    void begin(String db, String pass, long total);

    /** {@code done} bytes of the current pass are behind us. */
    void at(long done);

    Progress NONE = new Progress() {
        @Override
        public void begin(String db, String pass, long total) {
        }

        @Override
        public void at(long done) {
        }
    };
}
