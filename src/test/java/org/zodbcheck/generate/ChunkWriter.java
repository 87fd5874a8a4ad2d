package org.zodbcheck.generate;

import java.io.Closeable;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;

/**
 * Writes filled chunks of the file on a second thread, so that generating the next transactions
 * overlaps with the write system calls (about a third of the time when the generator writes
 * itself). Two chunks circulate: the generator fills one while the other is being written.
 * The bytes written do not depend on the timing.
 */
final class ChunkWriter implements Closeable {
    static final int CHUNK = 4 << 20;
    private static final ByteSink END = new ByteSink(0);

    private final FileChannel channel;
    private final BlockingQueue<ByteSink> full = new ArrayBlockingQueue<>(2);
    private final BlockingQueue<ByteSink> free = new ArrayBlockingQueue<>(2);
    private final Thread thread;
    private volatile IOException failure;

    ChunkWriter(Path path) throws IOException {
        channel = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                StandardOpenOption.WRITE);
        free.add(new ByteSink(CHUNK + (1 << 20)));
        free.add(new ByteSink(CHUNK + (1 << 20)));
        thread = new Thread(this::loop, "Data.fs writer");
        thread.setDaemon(true);
        thread.start();
    }

    /** An empty chunk to fill. */
    ByteSink take() throws IOException {
        check();
        try {
            return free.take();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while waiting for the writer");
        }
    }

    /** Queues a filled chunk for writing. */
    void write(ByteSink filled) throws IOException {
        check();
        try {
            full.put(filled);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while queueing a chunk");
        }
    }

    private void loop() {
        try {
            for (ByteSink s = full.take(); s != END; s = full.take()) {
                if (failure == null) {
                    writeFully(s);
                }
                s.reset();
                free.put(s);
            }
        } catch (InterruptedException e) {
            failure = new InterruptedIOException("writer interrupted");
        }
    }

    private void writeFully(ByteSink s) {
        try {
            ByteBuffer b = ByteBuffer.wrap(s.array(), 0, s.length());
            while (b.hasRemaining()) {
                channel.write(b);
            }
        } catch (IOException e) {
            failure = e; // reported to the generator at its next chunk; later chunks are dropped
        }
    }

    private void check() throws IOException {
        if (failure != null) {
            throw failure;
        }
    }

    /** Writes what is queued, then closes the file. */
    @Override
    public void close() throws IOException {
        try {
            full.put(END);
            thread.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while closing");
        } finally {
            channel.close();
        }
        check();
    }
}
