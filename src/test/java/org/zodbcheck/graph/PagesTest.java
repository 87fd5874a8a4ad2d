package org.zodbcheck.graph;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The paged tables: heap pages up to the budget, spill pages after, the same values either way. */
class PagesTest {
    private static final int N = 3 * Pages.SIZE + 12_345;

    @TempDir
    Path dir;

    @Test
    void valuesSurviveGrowthAcrossHeapAndSpillPages() throws Exception {
        // room for the first page of each table on the heap, not for the second
        Memory m = new Memory(2L * Pages.SIZE * Long.BYTES, dir);
        LongPages l = new LongPages(m, 16);
        IntPages i = new IntPages(m, 16);
        BytePages b = new BytePages(m, 16);
        for (int k = 0; k < N; k++) {
            l.ensure(k + 1);
            i.ensure(k + 1);
            b.ensure(k + 1);
            l.set(k, k * 0x1_0000_0001L - 7);
            i.set(k, k ^ 0x5a5a5a5a);
            b.set(k, (byte) (k * 31));
        }
        for (int k = 0; k < N; k++) {
            assertEquals(k * 0x1_0000_0001L - 7, l.get(k), "long " + k);
            assertEquals(k ^ 0x5a5a5a5a, i.get(k), "int " + k);
            assertEquals((byte) (k * 31), b.get(k), "byte " + k);
        }
        assertTrue(m.spilledBytes() > 0, "some pages spilled");
        assertTrue(m.heapBytes() <= 2L * Pages.SIZE * Long.BYTES, "heap within the budget: " + m.heapBytes());
        try (Stream<Path> left = Files.list(dir)) {
            assertEquals(0, left.count(), "spill files are deleted once mapped");
        }
        l.release();
        i.release();
        b.release();
        assertEquals(0, m.heapBytes());
    }

    @Test
    void aFirstPageThatOutgrowsTheBudgetMovesToASpillPageWithItsValues() throws Exception {
        Memory m = new Memory(64 << 10, dir); // the first pages grow on the heap, then cannot
        LongPages l = new LongPages(m, 16);
        IntPages i = new IntPages(m, 16);
        BytePages b = new BytePages(m, 16);
        int n = 100_000;
        for (int k = 0; k < n; k++) {
            l.ensure(k + 1);
            i.ensure(k + 1);
            b.ensure(k + 1);
            l.set(k, -k);
            i.set(k, 3 * k);
            b.set(k, (byte) k);
        }
        for (int k = 0; k < n; k++) {
            assertEquals(-k, l.get(k), "long " + k);
            assertEquals(3 * k, i.get(k), "int " + k);
            assertEquals((byte) k, b.get(k), "byte " + k);
        }
        assertEquals(Pages.SIZE, l.capacity(), "the first page, spilled, is a whole page");
        assertEquals((long) Pages.SIZE * (Long.BYTES + Integer.BYTES + Byte.BYTES), m.spilledBytes(), "one spill page each");
        assertTrue(m.heapBytes() <= 64 << 10, "heap " + m.heapBytes());
        l.trim(n);
        assertEquals(-99_999, l.get(99_999), "trim leaves a spilled page alone");
    }

    @Test
    void newEntriesAreZeroAndTheFirstPageStartsSmall() {
        Memory m = new Memory(1 << 30, null);
        IntPages i = new IntPages(m, 100);
        assertEquals(100, i.capacity());
        assertEquals(400, m.heapBytes());
        i.ensure(Pages.SIZE + 1);
        assertEquals(2 * Pages.SIZE, i.capacity());
        assertEquals(0, i.get(Pages.SIZE + 7));
        i.set(99, 42);
        i.trim(120);
        assertEquals(42, i.get(99), "trim of a table past its first page keeps everything");
    }

    @Test
    void theSharedHeapKeepsNoCount() {
        IntPages i = new IntPages(Memory.HEAP, 100);
        i.ensure(3 * Pages.SIZE);
        i.set(3 * Pages.SIZE - 1, 7);
        assertEquals(7, i.get(3 * Pages.SIZE - 1));
        assertEquals(0, Memory.HEAP.heapBytes());
        assertEquals(0, Memory.HEAP.spilledBytes());
        // a budget of its own counts
        Memory m = new Memory(1 << 30, null);
        new IntPages(m, 100).ensure(3 * Pages.SIZE);
        assertEquals(3L * Pages.SIZE * Integer.BYTES, m.heapBytes());
    }

    @Test
    void trimGivesBackTheRoomOfTheFirstPage() {
        Memory m = new Memory(1 << 30, null);
        LongPages l = new LongPages(m, 10_000);
        l.set(9, 99);
        l.trim(10);
        assertEquals(16, l.capacity());
        assertEquals(16 * Long.BYTES, m.heapBytes());
        assertEquals(99, l.get(9));
    }

    @Test
    void withoutASpillDirectoryTheHeapIsUsedWhateverTheBudget() {
        Memory m = new Memory(1, null);
        LongPages l = new LongPages(m, 1000);
        l.set(999, 1);
        assertEquals(0, m.spilledBytes());
        assertEquals(8000, m.heapBytes());
    }

    @Test
    void aSpillThatCannotBeMadeSaysWhereAndWhy() throws Exception {
        Path file = dir.resolve("not-a-directory");
        Files.writeString(file, "x");
        Memory m = new Memory(1, file);
        Memory.SpillException e = assertThrows(Memory.SpillException.class, () -> new LongPages(m, 16));
        assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
        assertTrue(e.getMessage().contains("--max-memory"), e.getMessage());
    }
}
