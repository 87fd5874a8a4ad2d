package org.zodbcheck.check;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.zodbcheck.report.JsonPrinter;
import org.zodbcheck.testing.TestData;

/**
 * Past its heap budget a check keeps its tables in spill files. With a budget of one byte every
 * table page is spilled; with half of what the tables take on the heap, the first tables (or
 * pages) stay there and the others spill, some of them when they grow; either way every corpus file must give the same findings and summary as a
 * check on the heap, and no spill file may be left behind.
 */
class SpillTest {
    @TestFactory
    Stream<DynamicTest> spilledTablesGiveTheSameResult() throws IOException {
        return TestData.storageTests(SpillTest::compare);
    }

    private static void compare(Path fs) throws Exception {
        // made here: a @TempDir field is not yet set when the factory hands out these tests
        Path spill = Files.createTempDirectory("zodbcheck-spill-test");
        try {
            compare(fs, spill);
        } finally {
            Files.delete(spill);
        }
    }

    private static void compare(Path fs, Path spill) throws Exception {
        CheckRefs.Options base = CheckRefs.Options.defaults().withListGarbage(true).withHistory(true);
        List<String> heap = new ArrayList<>();
        Summary onHeap = new CheckRefs(List.of(new Database("main", fs)), base.withSpill(null, 0))
                .run(f -> heap.add(JsonPrinter.line(f)));
        for (long budget : new long[] {1, onHeap.heapTables() / 2}) {
            List<String> spilled = new ArrayList<>();
            Summary s = new CheckRefs(List.of(new Database("main", fs)), base.withSpill(spill, budget))
                    .run(f -> spilled.add(JsonPrinter.line(f)));
            assertEquals(heap, spilled, "budget " + budget);
            assertEquals(onHeap.databases(), s.databases(), "budget " + budget);
            assertTrue(s.spilledTables() > 0, "tables spilled, budget " + budget);
            assertTrue(s.heapTables() <= budget, "heap " + s.heapTables() + " within the budget " + budget);
            assertEquals(0, onHeap.spilledTables());
            try (Stream<Path> left = Files.list(spill)) {
                assertEquals(List.of(), left.toList(), "spill files left behind");
            }
        }
    }
}
