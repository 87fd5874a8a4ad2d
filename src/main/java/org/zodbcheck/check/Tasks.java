package org.zodbcheck.check;

import java.io.IOException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;

/** Waiting for what runs on the pool's threads. */
final class Tasks {
    private Tasks() {
    }

    /**
     * The result of {@code f}. What its task threw is thrown here as it was, so that the caller
     * reports it as if the task had run on its own thread: an I/O error, a spill that cannot be
     * made (which the command reports in one line), the heap running out, a bug.
     */
    static <T> T get(Future<T> f) throws IOException {
        try {
            return f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof IOException io) {
                throw io;
            }
            if (cause instanceof RuntimeException re) {
                throw re;
            }
            if (cause instanceof Error error) {
                throw error;
            }
            // a checked exception that no task of the check declares
            throw new IllegalStateException("a task of the check failed", cause);
        }
    }
}
