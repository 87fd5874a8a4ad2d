package org.zodbcheck.check;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.zodbcheck.report.JsonPrinter;
import org.zodbcheck.testing.TestData;

/**
 * The second pass cuts a file into parts read by different threads, starting at transaction
 * and record boundaries the first pass saw. With parts of a few hundred bytes, every corpus
 * file is cut at every kind of boundary (inside large transactions too); the findings and the
 * summary must not change.
 */
class PartsTest {
    @TestFactory
    Stream<DynamicTest> partsDoNotChangeTheResult() throws IOException {
        return TestData.storageTests(PartsTest::compare);
    }

    private static void compare(Path fs) throws Exception {
        CheckRefs.Options base = CheckRefs.Options.defaults().withListGarbage(true);
        List<String> whole = new ArrayList<>();
        Summary one = new CheckRefs(List.of(new Database("main", fs)), base.withThreads(1))
                .run(f -> whole.add(JsonPrinter.line(f)));
        for (long split : new long[] {1, 300, 5000}) {
            List<String> parts = new ArrayList<>();
            Summary many = new CheckRefs(List.of(new Database("main", fs)), base.withThreads(3).withSplit(split))
                    .run(f -> parts.add(JsonPrinter.line(f)));
            assertEquals(whole, parts, "split " + split);
            assertEquals(one.databases(), many.databases(), "split " + split);
        }
        // Without --list-garbage the garbage is only counted, on a pool thread while the calling
        // thread makes the other findings: the same counts, the same other findings.
        for (int threads : new int[] {1, 3}) {
            List<String> unlisted = new ArrayList<>();
            Summary counted = new CheckRefs(List.of(new Database("main", fs)), CheckRefs.Options.defaults()
                    .withThreads(threads)).run(f -> unlisted.add(JsonPrinter.line(f)));
            assertEquals(one.databases(), counted.databases(), threads + " threads, garbage counted");
            assertEquals(whole.stream().filter(l -> !l.startsWith("{\"kind\": \"garbage\"")).toList(), unlisted,
                    threads + " threads, garbage counted");
        }
    }
}
