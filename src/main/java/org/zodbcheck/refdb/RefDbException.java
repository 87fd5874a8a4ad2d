package org.zodbcheck.refdb;

import java.nio.file.Path;

/** The reference database cannot be created or opened; names the file. */
public final class RefDbException extends Exception {
    private final Path path;

    public RefDbException(Path path, String message) {
        super(message);
        this.path = path;
    }

    public Path path() {
        return path;
    }

    /** {@code path: message}. */
    public String describe() {
        return path + ": " + getMessage();
    }
}
