package org.zodbcheck.graph;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Where the per-object tables of one run live: on the heap while they fit a budget, past it in
 * pages of memory-mapped temporary files (the spill), which the kernel writes to disk when the
 * machine's memory runs short. So the heap stays within {@code --max-memory} at any storage
 * size; a spilled table is only slower.
 *
 * <p>Every spill page is a file of its own, opened, filled with zeros (so that its blocks exist:
 * a full disk is an error here, not a fault later, when a page is written), mapped and deleted
 * at once; the mapping keeps it until the run ends, and nothing is left behind if the process
 * is killed. The checked storage is never among these files.
 */
public final class Memory {
    /**
     * Everything on the heap: small runs, tests, tables that never grow large. It keeps no count
     * ({@link #heapBytes} is 0): every such table of the JVM shares it, so a count would say
     * nothing about one run, and taking it would make all their threads wait for one lock.
     */
    public static final Memory HEAP = new Memory(Long.MAX_VALUE, null);

    private final long budget;
    private final Path spillDir;
    private long heap;
    private long spilled;

    /**
     * @param budget bytes of heap the tables may take
     * @param spillDir where spill files go; {@code null}: never spill (the heap runs out instead)
     */
    public Memory(long budget, Path spillDir) {
        this.budget = budget;
        this.spillDir = spillDir;
    }

    /**
     * A budget for the tables of a run in this JVM: its heap less what the rest of a check needs
     * (read buffers of each thread, the largest record, the findings).
     */
    public static Memory ofHeap(Path spillDir) {
        long forced = Long.getLong("zodbcheck.tableBudget", 0); // tests: spill small storages too
        if (forced > 0) {
            return new Memory(forced, spillDir);
        }
        long max = Runtime.getRuntime().maxMemory();
        long reserve = Math.max(96L << 20, max / 4);
        return new Memory(Math.max(16L << 20, max - reserve), spillDir);
    }

    /** Takes {@code bytes} of the heap budget; false (nothing taken) when they do not fit and spilling is possible. */
    boolean take(long bytes) {
        if (this == HEAP) {
            return true;
        }
        synchronized (this) {
            if (spillDir != null && heap + bytes > budget) {
                return false;
            }
            heap += bytes;
            return true;
        }
    }

    /** Gives back heap taken for a table that is dropped. */
    void give(long bytes) {
        if (this == HEAP) {
            return;
        }
        synchronized (this) {
            heap -= bytes;
        }
    }

    /** Bytes of heap the tables hold (0 for {@link #HEAP}, which keeps no count). */
    public synchronized long heapBytes() {
        return heap;
    }

    /** Bytes of the spill pages made in this run; pages are never given back before its end. */
    public synchronized long spilledBytes() {
        return spilled;
    }

    /** Where spill files go unless told: {@code $TMPDIR}, else the JVM's temporary directory. */
    public static Path defaultSpillDir() {
        String tmp = System.getenv("TMPDIR");
        return tmp != null && !tmp.isBlank() ? Path.of(tmp) : Path.of(System.getProperty("java.io.tmpdir"));
    }

    /** Where spill files go, or {@code null}. */
    public Path spillDir() {
        return spillDir;
    }

    /**
     * A zeroed page of {@code bytes} in a new spill file, in the machine's byte order.
     *
     * @throws SpillException if the file cannot be made (no room on the disk, no such directory)
     */
    ByteBuffer spill(long bytes) {
        Path f = null;
        try {
            Files.createDirectories(spillDir);
            f = Files.createTempFile(spillDir, "zodbcheck-spill-", ".tmp");
            ByteBuffer b;
            try (FileChannel ch = FileChannel.open(f, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
                zeros(ch, bytes);
                b = ch.map(FileChannel.MapMode.READ_WRITE, 0, bytes);
            } finally {
                Files.deleteIfExists(f);
            }
            synchronized (this) {
                spilled += bytes;
            }
            return b.order(ByteOrder.nativeOrder());
        } catch (IOException | UnsupportedOperationException e) {
            long free = -1;
            try {
                free = Files.getFileStore(spillDir).getUsableSpace() >> 20;
            } catch (IOException | RuntimeException ignored) {
                // the directory itself is the problem; the message below says which
            }
            throw new SpillException("the tables of this check need more than the " + (budget >> 20)
                    + " MB of heap they may use, and the spill to " + spillDir + " failed after "
                    + (spilledBytes() >> 20) + " MB" + (free >= 0 ? " (" + free + " MB free there)" : "")
                    + ": " + why(e) + "; give a larger --max-memory or another --spill-dir");
        }
    }

    /** What went wrong, in words (the JDK's message for a file system error is often only the path). */
    private static String why(Exception e) {
        if (e instanceof java.nio.file.FileSystemException f) {
            String what = f.getReason() != null ? f.getReason()
                    : e instanceof java.nio.file.FileAlreadyExistsException ? "not a directory"
                    : e instanceof java.nio.file.AccessDeniedException ? "permission denied"
                    : e instanceof java.nio.file.NoSuchFileException ? "no such file or directory"
                    : e.getClass().getSimpleName();
            return (f.getFile() != null ? f.getFile() + ": " : "") + what;
        }
        return String.valueOf(e.getMessage());
    }

    /** Writes the page's zeros so that the file system allocates its blocks now. */
    private static void zeros(FileChannel ch, long bytes) throws IOException {
        ByteBuffer zero = ByteBuffer.allocateDirect((int) Math.min(bytes, 1 << 20));
        long at = 0;
        while (at < bytes) {
            zero.clear().limit((int) Math.min(zero.capacity(), bytes - at));
            at += ch.write(zero, at);
        }
    }

    /** The tables could not be spilled: the run cannot go on. */
    public static final class SpillException extends RuntimeException {
        public SpillException(String message) {
            super(message);
        }
    }
}
