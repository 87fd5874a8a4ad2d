package org.zodbcheck.check;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.zodbcheck.filestorage.StorageFile;
import org.zodbcheck.graph.Memory;
import org.zodbcheck.testing.TestData;

/** The JIT warm-up on a storage's first megabytes reads only a prefix and never fails the run. */
class WarmUpTest {
    private static final Path CLEAN = TestData.path("clean", "Data.fs");

    @Test
    void readsTheTransactionsOfThePrefixOnly() throws Exception {
        try (StorageFile file = StorageFile.open(CLEAN)) {
            StorageIndex whole = IndexPass.run(new Database("main", CLEAN), file, f -> { }, Progress.NONE, 4L << 20,
                    false, new Memory(64L << 20, null));
            StorageIndex prefix = IndexPass.warmUp(file, 64 << 10);
            // it stops after the transaction that reaches 64 KB, well before the end
            assertTrue(prefix.goodEnd >= 64 << 10, "prefix ends at " + prefix.goodEnd);
            assertTrue(prefix.goodEnd < whole.goodEnd, prefix.goodEnd + " vs " + whole.goodEnd);
            assertTrue(prefix.size() > 0 && prefix.size() < whole.size(), prefix.size() + " vs " + whole.size());
            // and what it read is what the full pass reads there (the oldest objects' first records)
            for (int idx = 0; idx < prefix.size(); idx++) {
                assertTrue(whole.oids.find(prefix.oids.oid(idx)) >= 0);
            }
            StorageIndex all = IndexPass.warmUp(file, Long.MAX_VALUE);
            assertEquals(whole.goodEnd, all.goodEnd);
            assertEquals(whole.size(), all.size());
        }
    }

    @Test
    void startsOnlyForLargeFilesAndEndsQuietlyOnOthers(@TempDir Path dir) throws Exception {
        Path text = Files.writeString(dir.resolve("zodb.conf"), "<zodb>\n</zodb>\n");
        assertNull(CheckRefs.warmUpAhead(null));
        assertNull(CheckRefs.warmUpAhead(dir.resolve("missing")));
        assertNull(CheckRefs.warmUpAhead(dir));
        assertNull(CheckRefs.warmUpAhead(text));
        assertNull(CheckRefs.warmUpAhead(CLEAN)); // a real storage, but too small to be worth it
        // 40 MB that are no storage (a sparse file of zeros): started, and it ends without a word
        Path zeros = dir.resolve("zeros.fs");
        try (java.io.RandomAccessFile f = new java.io.RandomAccessFile(zeros.toFile(), "rw")) {
            f.setLength(40L << 20);
        }
        java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
        java.io.PrintStream saved = System.err;
        Thread t;
        try {
            System.setErr(new java.io.PrintStream(err, true));
            t = CheckRefs.warmUpAhead(zeros);
            assertNotNull(t);
            t.join(10_000);
        } finally {
            System.setErr(saved);
        }
        assertFalse(t.isAlive());
        assertEquals("", err.toString());
        try (var files = Files.list(dir)) {
            assertEquals(2, files.count()); // nothing written beside them
        }
    }
}
