package org.zodbcheck.cli;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.zodbcheck.testing.TestData;

/** Which argument {@code zodbcheck check-refs} warms the first pass up on, and when not at all. */
class WarmUpArgsTest {
    @Test
    void theLastLargeFileNamedUnlessTheThreadsAreGiven(@TempDir Path dir) throws Exception {
        Path big = dir.resolve("Data.fs");
        try (java.io.RandomAccessFile f = new java.io.RandomAccessFile(big.toFile(), "rw")) {
            f.setLength(40L << 20); // zeros: no storage, so the warm-up ends at once
        }
        String small = TestData.path("clean", "Data.fs").toString();
        Thread t = Main.warmUpAhead(new String[] {"check-refs", "--format", "json", big.toString()});
        assertNotNull(t);
        t.join(10_000);
        assertFalse(t.isAlive());
        Thread before = Main.warmUpAhead(new String[] {"check-refs", big.toString(), "--format", "json"});
        assertNotNull(before, "the storage need not come last");
        before.join(10_000);
        assertNull(Main.warmUpAhead(new String[] {"check-refs", "--threads", "1", big.toString()}));
        assertNull(Main.warmUpAhead(new String[] {"check-refs", "--threads=2", big.toString()}));
        assertNull(Main.warmUpAhead(new String[] {"check-refs", small}), "too small to be worth it");
        assertNull(Main.warmUpAhead(new String[] {"check-refs", "no\0such"}), "not even a path");
    }
}
