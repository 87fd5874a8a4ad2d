package org.zodbcheck.check;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.zodbcheck.testing.Cli;
import org.zodbcheck.testing.FileStorageBuilder;

/**
 * A storage with thousands of dangling references, the shape of a site after a pack with a wrong
 * reference database: every reference to a missing object is one finding, made from the bad
 * references alone (a referrer's good ones, and a target it names twice, are handled as before),
 * with one copy of each class name, and printed in every format.
 */
class ManyFindingsTest {
    private static final int FOLDERS = 4;
    private static final int PER_FOLDER = 2500;
    private static final int IN_GARBAGE = 10;
    private static final long MISSING = 1L << 32;
    private static final long GARBAGE = FOLDERS + 1;

    @TempDir
    static Path dir;
    static Path fs;

    /**
     * The root refers to folders 1..4. Folder i refers to 2,500 missing oids, then to the next
     * folder (good), then to its first missing oid again. Folder 5 is garbage: 10 missing oids.
     */
    @BeforeAll
    static void write() {
        FileStorageBuilder b = new FileStorageBuilder();
        long[] folders = new long[FOLDERS];
        for (int i = 0; i < FOLDERS; i++) {
            folders[i] = i + 1;
        }
        b.txn().data(0, FileStorageBuilder.pickle("persistent.mapping", "PersistentMapping", folders)).end();
        for (int i = 1; i <= FOLDERS; i++) {
            long[] refs = new long[PER_FOLDER + 2];
            for (int j = 0; j < PER_FOLDER; j++) {
                refs[j] = missing(i, j);
            }
            refs[PER_FOLDER] = i % FOLDERS + 1;
            refs[PER_FOLDER + 1] = missing(i, 0);
            b.txn().data(i, FileStorageBuilder.pickle("OFS.Folder", "Folder", refs)).end();
        }
        long[] lost = new long[IN_GARBAGE];
        for (int j = 0; j < IN_GARBAGE; j++) {
            lost[j] = missing((int) GARBAGE, j);
        }
        b.txn().data(GARBAGE, FileStorageBuilder.pickle("OFS.Folder", "Folder", lost)).end();
        fs = b.write(dir.resolve("Data.fs"));
    }

    private static long missing(int folder, int j) {
        return MISSING + folder * 100_000L + j;
    }

    @Test
    void everyBadReferenceIsOneFindingInPickleOrder() throws Exception {
        List<ReferenceFinding> found = new ArrayList<>();
        Summary s = new CheckRefs(List.of(new Database("main", fs)), CheckRefs.Options.defaults())
                .run(f -> found.add((ReferenceFinding) f));
        assertEquals(FOLDERS * PER_FOLDER + IN_GARBAGE, found.size());
        assertEquals(FOLDERS * PER_FOLDER, s.errors());
        assertEquals(IN_GARBAGE, s.warnings());
        int k = 0;
        for (int i = 1; i <= FOLDERS + 1; i++) {
            int n = i == GARBAGE ? IN_GARBAGE : PER_FOLDER;
            for (int j = 0; j < n; j++) {
                ReferenceFinding f = found.get(k++);
                String at = "folder " + i + ", reference " + j;
                assertEquals(i == GARBAGE ? Kind.DANGLING : Kind.POSKEYERROR, f.kind(), at);
                assertEquals(missing(i, j), f.oid(), at);
                assertEquals(Cause.NO_RECORD, f.cause(), at);
                assertEquals(i, f.referrer().oid(), at);
                assertEquals(i != GARBAGE, f.reachable(), at);
                assertEquals("OFS.Folder.Folder", f.targetClass(), at);
                // the first missing oid of a folder is named twice: one finding, both places
                assertEquals(j == 0 && i != GARBAGE ? List.of(0, PER_FOLDER + 1) : List.of(j), f.occurrences(), at);
            }
        }
        // one copy of the class name for all of them: millions of findings must not hold millions
        assertSame(found.get(0).targetClass(), found.get(found.size() - 1).targetClass());
    }

    @Test
    void textJsonAndZodbdgcPrintEveryFinding() {
        Cli text = Cli.run("check-refs", "-q", fs.toString());
        assertEquals(1, text.exit(), text.err());
        List<String> lines = text.lines();
        assertEquals(FOLDERS * PER_FOLDER + IN_GARBAGE, lines.size());
        assertEquals("error poskeyerror main:0x01000186a0 cause=no-record referrer=main:0x01"
                + " referrer_class=OFS.Folder.Folder referrer_tid=0x03f59ee01999999a referrer_pos=" + pos(1)
                + " reachable=true ref=strong form=oid-klass target_class=OFS.Folder.Folder", lines.get(0));
        assertEquals("warning dangling main:0x010007a129 cause=no-record referrer=main:0x05"
                + " referrer_class=OFS.Folder.Folder referrer_tid=0x03f59ee01999999e referrer_pos=" + pos(GARBAGE)
                + " reachable=false ref=strong form=oid-klass target_class=OFS.Folder.Folder",
                lines.get(lines.size() - 1));

        Cli json = Cli.run("check-refs", "-q", "--format", "json", fs.toString());
        assertEquals(lines.size(), json.json().size());
        assertEquals("0x01000186a0", json.json().get(0).get("oid"));

        // zc.zodbdgc prints each missing object once, and nothing for garbage
        Cli zodbdgc = Cli.run("check-refs", "-q", "--format", "zodbdgc", fs.toString());
        List<String> z = zodbdgc.lines();
        assertEquals(2 * FOLDERS * PER_FOLDER, z.size());
        assertEquals(List.of("!!! main " + missing(1, 0) + " ?", "POSKeyError: 0x01000186a0"), z.subList(0, 2));
    }

    /** Where folder {@code oid}'s record is: each folder has a transaction of its own, in oid order. */
    private static long pos(long oid) {
        try (var file = org.zodbcheck.filestorage.StorageFile.open(fs)) {
            var r = new org.zodbcheck.filestorage.FileStorageReader(file, p -> { });
            while (r.nextTransaction() != null) {
                while (r.nextRecord()) {
                    if (r.dataHeader().oid() == oid) {
                        return r.dataHeader().pos();
                    }
                }
            }
        } catch (Exception e) {
            throw new RuntimeException(e);
        }
        throw new AssertionError("no record of " + oid);
    }
}
