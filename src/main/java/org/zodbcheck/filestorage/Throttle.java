package org.zodbcheck.filestorage;

/**
 * Keeps reading at or below a rate: each read returns no earlier than the bytes read so far,
 * itself included, would have taken at that rate since the first read began.
 */
final class Throttle {
    private final long bytesPerSecond;
    private long start = -1;
    private long total;

    Throttle(long bytesPerSecond) {
        this.bytesPerSecond = bytesPerSecond;
    }

    /** Waits as long as needed before {@code bytes} more may be read. */
    synchronized void acquire(long bytes) {
        long now = System.nanoTime();
        if (start < 0) {
            start = now;
        }
        total += bytes;
        long due = start + (long) (total * 1e9 / bytesPerSecond);
        long wait = due - now;
        if (wait > 0) {
            try {
                Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
