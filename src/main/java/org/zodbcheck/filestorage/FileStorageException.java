package org.zodbcheck.filestorage;

import java.nio.file.Path;

/**
 * The file cannot be read as a FileStorage at all, or reading stopped for good. Always names
 * the file and the byte offset: {@code Data.fs:4242: ...}.
 */
public class FileStorageException extends Exception {
    private final Path file;
    private final long offset;

    public FileStorageException(Path file, long offset, String message) {
        super(message);
        this.file = file;
        this.offset = offset;
    }

    public FileStorageException(Path file, long offset, String message, Throwable cause) {
        super(message, cause);
        this.file = file;
        this.offset = offset;
    }

    public Path file() {
        return file;
    }

    /** Byte offset of the problem, or -1 when it concerns the whole file. */
    public long offset() {
        return offset;
    }

    /** {@code file:offset: message}. */
    public String describe() {
        return offset >= 0 ? file + ":" + offset + ": " + getMessage() : file + ": " + getMessage();
    }
}
