package org.zodbcheck.config;

/** A configuration file that cannot be used; names the file and line: {@code zodb.conf:12: ...}. */
public final class ConfigException extends Exception {
    private final String file;
    private final int line;

    public ConfigException(String file, int line, String message) {
        super(message);
        this.file = file;
        this.line = line;
    }

    public String file() {
        return file;
    }

    /** The line (1-based), or 0 when the problem is not on one line. */
    public int line() {
        return line;
    }

    /** {@code file:line: message}. */
    public String describe() {
        return line > 0 ? file + ":" + line + ": " + getMessage() : file + ": " + getMessage();
    }
}
