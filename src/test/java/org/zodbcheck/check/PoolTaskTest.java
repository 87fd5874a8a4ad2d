package org.zodbcheck.check;

import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.zodbcheck.graph.Memory;
import org.zodbcheck.pickle.RefForm;
import org.zodbcheck.testing.TestData;

/**
 * With {@code -r}, the references go to the reference database from a pool thread while the
 * calling thread writes the objects. What that thread throws must reach the command as it was
 * thrown: a spill that cannot be made is then the one-line error (exit 4) it is on the calling
 * thread, an I/O error the I/O error, a bug the bug; not "a part of the check failed". With
 * one thread the same task runs on the calling thread.
 */
class PoolTaskTest {
    private static final Path FS = TestData.path("dangling", "Data.fs");

    @ParameterizedTest
    @ValueSource(ints = {1, 2})
    void aSpillThatCannotBeMadeWhileReferencesAreWrittenIsThrownAsItWas(int threads) {
        RuntimeException thrown = new Memory.SpillException("no room for a spill page");
        assertSame(thrown, assertThrows(Memory.SpillException.class, () -> check(threads, thrown)));
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2})
    void anIoErrorWhileReferencesAreWrittenIsThrownAsItWas(int threads) {
        IOException thrown = new IOException("disk full");
        assertSame(thrown, assertThrows(IOException.class, () -> check(threads, thrown)));
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2})
    void aBugWhileReferencesAreWrittenIsThrownAsItWas(int threads) {
        RuntimeException thrown = new IllegalArgumentException("a bug");
        assertSame(thrown, assertThrows(IllegalArgumentException.class, () -> check(threads, thrown)));
    }

    private static void check(int threads, Exception thrown) throws Exception {
        GraphListener failing = new GraphListener() {
            @Override
            public void object(String db, long oid, String className, long tid, long pos, long size,
                               boolean reachable, String state) {
            }

            @Override
            public void reference(String referrerDb, long referrerOid, int n, String targetDb, long targetOid,
                                  RefForm form) throws IOException {
                if (thrown instanceof IOException io) {
                    throw io;
                }
                throw (RuntimeException) thrown;
            }
        };
        CheckRefs.Options options = CheckRefs.Options.defaults().withThreads(threads).withGraph(failing);
        new CheckRefs(List.of(new Database("main", FS)), options).run(f -> { });
    }
}
