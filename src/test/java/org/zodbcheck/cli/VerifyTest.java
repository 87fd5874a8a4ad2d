package org.zodbcheck.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.zodbcheck.testing.Cli;
import org.zodbcheck.testing.MiniJson;
import org.zodbcheck.testing.TestData;

/**
 * {@code verify} on the damaged storages and index files of testdata/derived/verify (made by
 * testdata/derive/damage.py, which records the offset of every defect it makes), on the corpus,
 * and against what ZODB's fstest printed for the same files; {@code check-refs --history}; a
 * storage appended to while it is read.
 */
class VerifyTest {
    private static final Path DERIVED = TestData.path("derived", "verify");

    @SuppressWarnings("unchecked")
    private static Map<String, Object> cases() throws IOException {
        return MiniJson.object(Files.readString(DERIVED.resolve("expected.json")));
    }

    static Stream<String> derived() throws IOException {
        return cases().keySet().stream().sorted();
    }

    /** kind, severity, pos and offset of each finding, sorted. */
    private static List<String> keys(List<Map<String, Object>> findings) {
        List<String> out = new ArrayList<>();
        for (Map<String, Object> f : findings) {
            out.add(f.get("kind") + " " + f.get("severity") + " pos=" + ((Number) f.get("pos")).longValue() + " offset="
                    + ((Number) f.get("offset")).longValue());
        }
        out.sort(null);
        return out;
    }

    @ParameterizedTest
    @MethodSource("derived")
    @SuppressWarnings("unchecked")
    void everyDefectAtItsOffset(String name) throws IOException {
        Map<String, Object> c = (Map<String, Object>) cases().get(name);
        Cli r = Cli.run("verify", "-q", "--format", "json", DERIVED.resolve(name + ".fs").toString());
        assertEquals(((Number) c.get("exit")).intValue(), r.exit(), c.get("description") + "\n" + r);
        List<Map<String, Object>> expected = new ArrayList<>();
        for (Object f : (List<Object>) c.get("findings")) {
            expected.add((Map<String, Object>) f);
        }
        assertEquals(keys(expected), keys(r.json()), c.get("description") + "\n" + r);
        if (r.exit() == 3) {
            assertTrue(r.err().startsWith("zodbcheck: " + DERIVED.resolve(name + ".fs")), r.err());
        }
    }

    /** What fstest.py printed (recorded by testdata/derive/run_fstest.py): first line and exit code. */
    @ParameterizedTest
    @MethodSource("derived")
    void fstestFormatPrintsWhatFstestPrints(String name) throws IOException {
        List<String> fstest = Files.readAllLines(DERIVED.resolve("expected/" + name + ".fstest.txt"));
        int fstestExit = Integer.parseInt(fstest.get(fstest.size() - 1).substring("exit=".length()));
        Path fs = DERIVED.resolve(name + ".fs");
        Cli r = Cli.run("verify", "--format", "fstest", fs.toString());
        assertEquals("", r.out());
        if (fstestExit != 0) {
            assertEquals(1, r.exit(), r.toString());
            String expected = fstest.get(0).startsWith(name + ".fs")
                    ? fs + fstest.get(0).substring((name + ".fs").length()) : fstest.get(0);
            assertEquals(expected, r.err().lines().findFirst().orElse(""), r.toString());
        } else {
            assertTrue(r.err().isEmpty() || r.err().startsWith("error ") || r.err().startsWith("warning ")
                    || r.err().startsWith("info "), "no fstest line, only zodbcheck's own findings: " + r);
        }
    }

    /** The corpus's damaged files with the fstest output recorded there. */
    @ParameterizedTest
    @ValueSource(strings = {"damaged/bad-redundant-length-mid.fs", "damaged/bad-status-mid.fs",
        "damaged/bad-tloc-mid.fs", "damaged/checkpoint-tail.fs", "damaged/tid-reduction-mid.fs",
        "damaged/truncated-tail.fs", "damaged/zero-tail.fs", "corrupt-tlen/Data.fs", "corrupt-truncated/Data.fs"})
    void fstestFormatOnTheCorpus(String file) throws IOException {
        Path fs = TestData.path(file);
        String name = fs.getFileName().toString();
        Path recorded = file.startsWith("damaged/")
                ? TestData.path("damaged", "expected", name.replace(".fs", ".fstest.txt"))
                : fs.resolveSibling("expected/fstest.stderr");
        String line = Files.readAllLines(recorded).get(0);
        Cli r = Cli.run("verify", "--format", "fstest", fs.toString());
        assertEquals(1, r.exit(), r.toString());
        assertEquals(fs + line.substring(name.length()), r.err().lines().findFirst().orElse(""));
    }

    @Test
    void corpusDamageAtItsOffsets() {
        Cli tlen = Cli.run("verify", "-q", "--format", "json", TestData.path("corrupt-tlen", "Data.fs").toString());
        assertEquals(List.of("structure error pos=602450 offset=602458"), keys(tlen.json()));
        Cli tloc = Cli.run("verify", "-q", "--format", "json", TestData.path("damaged", "bad-tloc-mid.fs").toString());
        assertEquals(List.of("structure error pos=1118 offset=1180"), keys(tloc.json()));
        Cli zero = Cli.run("verify", "-q", "--format", "json", TestData.path("damaged", "zero-tail.fs").toString());
        assertEquals(List.of("structure warning pos=4116 offset=4116"), keys(zero.json()));
        assertEquals(0, zero.exit());
    }

    /** Every undamaged storage of the corpus verifies clean, Python 2 files included. */
    @ParameterizedTest
    @ValueSource(strings = {"clean", "dangling", "undo", "garbage", "packed-gc", "packed-nogc", "packed-partial",
        "py2-proto1", "py2-proto2", "py2-proto3", "refs-py3", "weakrefs", "blobs", "oidonly", "multidb/main",
        "multidb/catalog", "corrupt-pickle", "corrupt-refbitflip", "derived/zlib"})
    void cleanStoragesVerifyClean(String name) {
        Cli r = Cli.run("verify", TestData.path(name, "Data.fs").toString());
        assertEquals(0, r.exit(), r.toString());
        assertEquals("", r.out());
        assertTrue(r.err().contains("; 0 findings"), r.err());
        // fstest (the Python 2 build for FS21 files, the Python 3 one for FS30) prints nothing
        Cli fstest = Cli.run("verify", "--format", "fstest", TestData.path(name, "Data.fs").toString());
        assertEquals(0, fstest.exit(), fstest.toString());
        assertEquals("", fstest.out() + fstest.err());
    }

    @Test
    void historyDanglingNamesTheOldRevision() {
        // undo: "create temp" (tid 0x03f5994022222222) set root['temp'] = 0x05; its undo restored the
        // root and left 0x05 without data. Undoing the undo would bring the reference back.
        Cli r = Cli.run("check-refs", "-q", "--history", "--format", "json", TestData.path("undo", "Data.fs").toString());
        assertEquals(0, r.exit(), "history-dangling is info");
        List<Map<String, Object>> h = r.json().stream().filter(f -> "history-dangling".equals(f.get("kind"))).toList();
        assertEquals(1, h.size(), r.out());
        assertEquals("0x05", h.get(0).get("oid"));
        assertEquals("0x00", h.get(0).get("referrer_oid"));
        assertEquals("0x03f5994022222222", h.get(0).get("referrer_tid"));
        assertEquals("no-data", h.get(0).get("cause"));
        assertEquals("info", h.get(0).get("severity"));
        Cli without = Cli.run("check-refs", "-q", "--format", "json", TestData.path("undo", "Data.fs").toString());
        assertTrue(without.json().stream().noneMatch(f -> "history-dangling".equals(f.get("kind"))));
    }

    /**
     * A storage that grows while it is read (a ZODB server committing): the transactions after
     * the prefix are appended a few bytes at a time while verify and check-refs read it slowly.
     * The unfinished last transaction they may see is a commit in progress: info, nothing else.
     */
    @Test
    void appendedWhileReadNoFalseFinding(@TempDir Path dir) throws Exception {
        byte[] all = Files.readAllBytes(TestData.path("dangling", "Data.fs"));
        int prefix = 46320; // the start of a transaction
        Path fs = dir.resolve("Data.fs");
        Files.write(fs, java.util.Arrays.copyOf(all, prefix));
        AtomicReference<Throwable> failed = new AtomicReference<>();
        Thread writer = new Thread(() -> {
            try (OutputStream out = Files.newOutputStream(fs, StandardOpenOption.APPEND)) {
                for (int at = prefix; at < all.length; at += 97) {
                    out.write(all, at, Math.min(97, all.length - at));
                    out.flush();
                    Thread.sleep(5);
                }
            } catch (Throwable e) {
                failed.set(e);
            }
        });
        // what check-refs finds in the storage as it is at each transaction boundary while it grows
        List<List<String>> atBoundaries = new ArrayList<>();
        for (int b = prefix; ; b += (int) java.nio.ByteBuffer.wrap(all, b + 8, 8).getLong() + 8) {
            Path cut = dir.resolve("cut-" + b + ".fs");
            Files.write(cut, java.util.Arrays.copyOf(all, b));
            atBoundaries.add(refFindings(Cli.run("check-refs", "-q", "--format", "json", cut.toString())));
            if (b == all.length) {
                break;
            }
        }
        assertTrue(atBoundaries.size() >= 5, "the appended part holds several transactions");
        writer.start();
        List<Cli> verifyRuns = new ArrayList<>();
        List<Cli> checkRuns = new ArrayList<>();
        while (writer.isAlive()) {
            verifyRuns.add(Cli.run("verify", "-q", "--format", "json", "--max-rate", "0.05", fs.toString()));
            checkRuns.add(Cli.run("check-refs", "-q", "--format", "json", "--max-rate", "0.05", fs.toString()));
        }
        writer.join();
        assertEquals(null, failed.get());
        assertTrue(verifyRuns.size() >= 1);
        for (Cli r : verifyRuns) {
            assertEquals(0, r.exit(), r.toString());
            for (Map<String, Object> f : r.json()) {
                boolean liveTail = "structure".equals(f.get("kind")) && "info".equals(f.get("severity"));
                assertTrue(liveTail, "unexpected finding while the storage grew: " + f);
            }
        }
        for (Cli r : checkRuns) {
            for (Map<String, Object> f : r.json()) {
                boolean liveTail = "info".equals(f.get("severity")) || !"structure".equals(f.get("kind"));
                assertTrue(liveTail, "unexpected structure finding while the storage grew: " + f);
            }
            // exactly dangling's findings as of one of the transactions written so far
            assertTrue(atBoundaries.contains(refFindings(r)), "reference findings of no committed state:\n" + r);
        }
        Cli done = Cli.run("verify", "-q", fs.toString());
        assertEquals(0, done.exit(), done.toString());
        assertEquals("", done.out());
    }

    /**
     * A lock file naming a running process (this JVM): said on stderr, and the unfinished last
     * transaction is a commit in progress (info). Naming a process that has ended: no note, and
     * the same tail is a warning. The lock file is only read.
     */
    @Test
    void lockHolderAliveOrGone(@TempDir Path dir) throws Exception {
        Path fs = dir.resolve("Data.fs");
        Files.copy(DERIVED.resolve("truncated-commit.fs"), fs);
        Path lock = dir.resolve("Data.fs.lock");
        long pid = ProcessHandle.current().pid();
        Files.writeString(lock, " " + pid + "\n");
        java.nio.file.attribute.FileTime past = java.nio.file.attribute.FileTime.fromMillis(1_600_000_000_000L);
        Files.setLastModifiedTime(lock, past);
        Cli alive = Cli.run("verify", "--format", "json", fs.toString());
        assertEquals(0, alive.exit(), alive.toString());
        assertTrue(alive.err().contains("zodbcheck: note: " + lock + " names process " + pid + ", which is running"),
                alive.err());
        assertEquals(List.of("structure info pos=4014 offset=4014"), keys(alive.json()));
        assertTrue(((String) alive.json().get(0).get("message")).endsWith("(the storage is being written to: a commit"
                + " in progress)"), alive.out());
        assertEquals(" " + pid + "\n", Files.readString(lock));
        assertEquals(past, Files.getLastModifiedTime(lock));

        Process gone = new ProcessBuilder("true").start();
        gone.waitFor();
        Files.writeString(lock, " " + gone.pid() + "\n");
        Cli dead = Cli.run("verify", "--format", "json", fs.toString());
        assertEquals(0, dead.exit(), dead.toString());
        assertTrue(!dead.err().contains("names process"), dead.err());
        assertEquals(List.of("structure warning pos=4014 offset=4014"), keys(dead.json()));
    }

    /** The lines of check-refs' JSON output other than structure findings, sorted. */
    private static List<String> refFindings(Cli r) {
        return r.lines().stream().filter(l -> !"structure".equals(MiniJson.object(l).get("kind"))).sorted().toList();
    }

    @Test
    void maxRateSlowsReading() {
        long t0 = System.nanoTime();
        Cli r = Cli.run("verify", "-q", "--max-rate", "1", TestData.path("clean", "Data.fs").toString());
        double secs = (System.nanoTime() - t0) / 1e9;
        assertEquals(0, r.exit(), r.toString());
        // 766,791 bytes at 1 MB/s: at least 0.7 s (this checks the throttle works, not speed)
        assertTrue(secs >= 0.7, "took " + secs + " s");
        // --format fstest reads the file a second time, through the same throttle
        t0 = System.nanoTime();
        Cli fstest = Cli.run("verify", "-q", "--format", "fstest", "--max-rate", "1",
                TestData.path("clean", "Data.fs").toString());
        secs = (System.nanoTime() - t0) / 1e9;
        assertEquals(0, fstest.exit(), fstest.toString());
        assertTrue(secs >= 1.4, "took " + secs + " s");
        assertEquals(2, Cli.run("verify", "--max-rate", "0", TestData.path("clean", "Data.fs").toString()).exit());
    }
}
