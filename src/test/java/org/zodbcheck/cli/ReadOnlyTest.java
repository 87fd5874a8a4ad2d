package org.zodbcheck.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.zodbcheck.testing.Cli;
import org.zodbcheck.testing.TestData;

/**
 * The read-only guarantee: the checked file, its directory and the {@code .index} and
 * {@code .lock} beside it keep their bytes, sizes and modification times, and no file appears.
 */
class ReadOnlyTest {
    private static final FileTime PAST = FileTime.fromMillis(1_600_000_000_000L);

    @ParameterizedTest
    @ValueSource(strings = {"dangling/Data.fs", "damaged/checkpoint-tail.fs", "damaged/bad-tloc-mid.fs",
        "corrupt-pickle/Data.fs", "refs-py3/Data.fs"})
    void nothingChanges(String source, @TempDir Path dir, @TempDir Path elsewhere) throws Exception {
        Path refdb = elsewhere.resolve("refs.db");
        Path fs = dir.resolve("Data.fs");
        Files.copy(TestData.root().resolve(source), fs);
        Files.write(dir.resolve("Data.fs.index"), new byte[] {(byte) 0x80, 3, 'M', 0x6a, 7, '.'});
        Files.writeString(dir.resolve("Data.fs.lock"), " 12345\n");
        for (Path p : list(dir).keySet().stream().map(dir::resolve).toList()) {
            Files.setLastModifiedTime(p, PAST);
        }
        Files.setLastModifiedTime(dir, PAST);
        fs.toFile().setWritable(false);
        Map<String, String> before = list(dir);
        FileTime dirBefore = Files.getLastModifiedTime(dir);

        for (String format : new String[] {"text", "json", "zodbdgc", "fsrefs"}) {
            Cli r = Cli.run("check-refs", "--format", format, "--list-garbage", fs.toString());
            assertTrue(r.exit() == 0 || r.exit() == 1, r.toString());
        }
        String f = fs.toString();
        for (String[] args : new String[][] {{"referrers", f, "0x01"}, {"path", f, "0x01", "0x07"},
            {"show", "--history", "--pickle", f, "0", "0x07"}, {"refs", f}, {"refs", "--format", "json", f, "0x07"},
            {"verify", f}, {"verify", "--format", "fstest", f}, {"verify", "--format", "json", "--max-rate", "100", f},
            {"check-refs", "--history", "-r", refdb.toString(), f}, {"referrers", "--refdb", refdb.toString(), "0x01"}}) {
            Cli r = Cli.run(args);
            assertTrue(r.exit() == 0 || r.exit() == 1, r.toString());
        }

        assertEquals(before, list(dir));
        assertEquals(dirBefore, Files.getLastModifiedTime(dir));
    }

    /**
     * A configuration that says {@code read-only false} and {@code create true}, with a blob
     * directory holding orphan and empty files: the storage, the blob tree and the directory
     * keep every byte and time stamp, also when the configuration is malformed.
     */
    @org.junit.jupiter.api.Test
    void configurationInputChangesNothing(@TempDir Path dir) throws Exception {
        TestData.copyTree(TestData.path("derived", "blobs-orphans"), dir);
        Path conf = Files.writeString(dir.resolve("rw.conf"), "<zodb main>\n  <filestorage>\n    path "
                + dir.resolve("Data.fs") + "\n    blob-dir " + dir.resolve("blobs") + "\n    read-only false\n"
                + "    create true\n  </filestorage>\n</zodb>\n");
        Path bad = Files.writeString(dir.resolve("bad.conf"), "<zodb main>\n  <filestorage>\n    path "
                + dir.resolve("Data.fs") + "\n");
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.toList()) {
                Files.setLastModifiedTime(p, PAST);
            }
        }
        Map<String, String> before = tree(dir);
        for (String format : new String[] {"text", "json", "zodbdgc", "fsrefs"}) {
            Cli r = Cli.run("check-refs", "--format", format, "--list-garbage", "--history", conf.toString());
            assertEquals(1, r.exit(), r.toString());
        }
        assertEquals(2, Cli.run("check-refs", bad.toString()).exit());
        assertEquals(before, tree(dir));
    }

    /** relative path -> size, mtime and SHA-256 (files) of every entry under {@code dir}, itself included. */
    private static Map<String, String> tree(Path dir) throws IOException, NoSuchAlgorithmException {
        Map<String, String> m = new TreeMap<>();
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.toList()) {
                String sha = Files.isRegularFile(p) ? HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                        .digest(Files.readAllBytes(p))) : "dir";
                m.put(dir.relativize(p).toString(), Files.size(p) + " " + Files.getLastModifiedTime(p).toMillis() + " " + sha);
            }
        }
        return m;
    }

    /** name -> size, mtime and SHA-256 of every entry in the directory. */
    private static Map<String, String> list(Path dir) throws IOException, NoSuchAlgorithmException {
        Map<String, String> m = new TreeMap<>();
        try (Stream<Path> s = Files.list(dir)) {
            for (Path p : s.toList()) {
                byte[] b = Files.readAllBytes(p);
                String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
                m.put(p.getFileName().toString(), b.length + " " + Files.getLastModifiedTime(p).toMillis() + " " + sha);
            }
        }
        return m;
    }
}
