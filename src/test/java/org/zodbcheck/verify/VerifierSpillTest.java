package org.zodbcheck.verify;

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
import org.zodbcheck.check.Progress;
import org.zodbcheck.filestorage.StorageFile;
import org.zodbcheck.graph.Memory;
import org.zodbcheck.report.JsonPrinter;
import org.zodbcheck.testing.TestData;

/** {@code verify} with its per-oid tables spilled finds what it finds on the heap, in every storage of testdata. */
class VerifierSpillTest {
    @TestFactory
    Stream<DynamicTest> spilledTablesGiveTheSameFindings() throws IOException {
        return TestData.storageTests(VerifierSpillTest::compare);
    }

    private static void compare(Path fs) throws Exception {
        Path spill = Files.createTempDirectory("zodbcheck-verify-spill");
        try {
            Memory memory = new Memory(1, spill);
            List<String> heap = verify(fs, Memory.HEAP);
            List<String> spilled = verify(fs, memory);
            assertEquals(heap, spilled);
            assertTrue(memory.spilledBytes() > 0, "tables spilled");
            assertEquals(0, memory.heapBytes());
        } finally {
            Files.delete(spill);
        }
    }

    private static List<String> verify(Path fs, Memory memory) throws Exception {
        List<String> out = new ArrayList<>();
        try (StorageFile file = StorageFile.open(fs)) {
            Verifier.Result r = new Verifier(file, "main", fs.toString(), f -> out.add(JsonPrinter.line(f)), Progress.NONE,
                    memory).run();
            out.add(r.transactions() + " transactions, " + r.records() + " records, end " + r.end());
        }
        return out;
    }
}
