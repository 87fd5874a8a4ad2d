package org.zodbcheck.cli;

/** The exit codes, stable for scripts. */
public final class ExitCode {
    /** No finding at or above the {@code --fail-on} level (default: no error). */
    public static final int OK = 0;
    /** Findings at or above the {@code --fail-on} level (damaged records included). */
    public static final int FINDINGS = 1;
    /** Usage error: unknown option, bad value, missing argument. */
    public static final int USAGE = 2;
    /** The input cannot be read as a FileStorage at all: missing file, no FS21/FS30 header, I/O error. */
    public static final int UNREADABLE = 3;
    /** A bug in zodbcheck; the message says what happened. */
    public static final int INTERNAL = 4;

    private ExitCode() {
    }
}
