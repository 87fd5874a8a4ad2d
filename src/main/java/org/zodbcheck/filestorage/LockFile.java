package org.zodbcheck.filestorage;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalLong;

/**
 * {@code Data.fs.lock}: ZODB writes its pid there (" 12345\n") when it opens the storage for
 * writing and holds an {@code flock} on it while open. Java cannot see {@code flock} locks (its
 * locks are {@code fcntl} locks) and zodbcheck must not take one anyway, so the only sign of a
 * live writer is a lock file naming a running process (FORMAT.md §2.2). The file is only read.
 */
public final class LockFile {
    private LockFile() {
    }

    /** The lock file of the storage at {@code storage}. */
    public static Path of(Path storage) {
        return storage.resolveSibling(storage.getFileName() + ".lock");
    }

    /** The pid the lock file names, if that process is running on this machine. */
    public static OptionalLong runningHolder(Path storage) {
        Path lock = of(storage);
        try {
            if (!Files.isRegularFile(lock) || Files.size(lock) > 64) {
                return OptionalLong.empty();
            }
            String text = new String(Files.readAllBytes(lock), StandardCharsets.US_ASCII).strip();
            long pid = Long.parseLong(text);
            return ProcessHandle.of(pid).filter(ProcessHandle::isAlive).isPresent() ? OptionalLong.of(pid)
                    : OptionalLong.empty();
        } catch (IOException | NumberFormatException | SecurityException e) {
            return OptionalLong.empty();
        }
    }
}
