package org.zodbcheck.check;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.zodbcheck.testing.Cli;
import org.zodbcheck.testing.MiniJson;
import org.zodbcheck.testing.TestData;

/**
 * Blob files: the blobs corpus case (with zc.zodbdgc's verbatim output) and the cases
 * testdata/derive/derive.py made from it (lawn layout, missing directory, orphans), each with
 * its own expected/truth.json. Paths are compared from the blob directory down.
 */
class BlobTest {
    @TempDir
    Path tmp;

    /** The case's zodb.conf with its paths made absolute (the tools ran from the case directory). */
    private String config(Path caseDir) throws IOException {
        String abs = caseDir.toAbsolutePath() + "/";
        String text = Files.readString(caseDir.resolve("zodb.conf"))
                .replace("path ", "path " + abs).replace("blob-dir ", "blob-dir " + abs);
        Path f = tmp.resolve(caseDir.getFileName() + ".conf");
        return Files.writeString(f, text).toString();
    }

    private static Map<String, Object> truth(Path caseDir) throws IOException {
        return MiniJson.object(Files.readString(caseDir.resolve("expected/truth.json")));
    }

    /** Blob findings of a kind, as paths relative to the case directory. */
    private static Set<String> paths(Cli r, String kind, Path caseDir) {
        Set<String> s = new TreeSet<>();
        for (Map<String, Object> f : r.json()) {
            if (kind.equals(f.get("kind"))) {
                s.add(caseDir.toAbsolutePath().relativize(Path.of((String) f.get("file")).toAbsolutePath()).toString());
            }
        }
        return s;
    }

    @Test
    void blobsCaseMatchesMultiZodbCheckRefs() throws IOException {
        Path c = TestData.path("blobs");
        Cli r = Cli.run("check-refs", "-q", "--format", "zodbdgc", config(c));
        String expected = Files.readString(c.resolve("expected/check-refs.stdout"))
                .replace("<case-dir>/blobs/blobs/", c.toAbsolutePath() + "/blobs/");
        assertEquals(expected, r.out());
        assertEquals(1, r.exit());
    }

    @Test
    void blobsCaseTruth() throws IOException {
        Path c = TestData.path("blobs");
        Cli r = Cli.run("check-refs", "-q", "--format", "json", config(c));
        assertEquals(Set.of("blobs/0x00/0x00/0x00/0x00/0x00/0x00/0x00/0x06/0x03f5c0a019999999.blob"),
                paths(r, "missing-blob", c));
        assertEquals(1, r.json().size(), r.toString());
        assertEquals("0x06", r.json().get(0).get("oid"));
        assertEquals(Boolean.TRUE, r.json().get(0).get("reachable"));
        @SuppressWarnings("unchecked")
        List<Object> reports = (List<Object>) ((Map<String, Object>) truth(c).get("ground_truth"))
                .get("expected_check_refs_reports");
        assertEquals(List.of("main:0x6"), reports);
    }

    /** A bare Data.fs checks blob files only with --blob-dir. */
    @Test
    void bareDataFs() {
        Path c = TestData.path("blobs");
        Cli without = Cli.run("check-refs", "-q", c.resolve("Data.fs").toString());
        assertEquals("", without.out());
        assertEquals(0, without.exit());
        Cli with = Cli.run("check-refs", "-q", "--format", "json", "--blob-dir", c.resolve("blobs").toString(),
                c.resolve("Data.fs").toString());
        assertEquals(Set.of("blobs/0x00/0x00/0x00/0x00/0x00/0x00/0x00/0x06/0x03f5c0a019999999.blob"),
                paths(with, "missing-blob", c));
    }

    @Test
    void lawnLayout() throws IOException {
        Path c = TestData.path("derived", "blobs-lawn");
        Cli r = Cli.run("check-refs", "-q", "--format", "json", config(c));
        Map<String, Object> t = truth(c);
        assertEquals(new TreeSet<>(strings(t.get("missing_blobs"))), paths(r, "missing-blob", c));
        assertEquals(new TreeSet<>(strings(t.get("orphan_blobs"))), paths(r, "orphan-blob", c));
        assertEquals(1, r.json().size(), r.toString());
    }

    @Test
    void missingBlobDirectoryIsOneFinding() throws IOException {
        Path c = TestData.path("derived", "blobs-nodir");
        Cli r = Cli.run("check-refs", "-q", "--format", "json", config(c));
        assertEquals(1, r.json().size(), r.toString());
        Map<String, Object> f = r.json().get(0);
        assertEquals("missing-blob", f.get("kind"));
        assertEquals("error", f.get("severity"));
        assertEquals(null, f.get("oid"));
        assertTrue(((String) f.get("file")).endsWith((String) truth(c).get("missing_blob_directory")), f.toString());
        assertTrue(((String) f.get("message")).contains(truth(c).get("blob_records") + " blob records"), f.toString());
        assertEquals(1, r.exit());
    }

    @Test
    void noBlobDirConfigured() throws IOException {
        Path c = TestData.path("blobs");
        String conf = Files.writeString(tmp.resolve("noblob.conf"), "<zodb main>\n<filestorage>\npath "
                + c.resolve("Data.fs").toAbsolutePath() + "\n</filestorage>\n</zodb>\n").toString();
        Cli r = Cli.run("check-refs", "-q", "--format", "json", conf);
        assertEquals(1, r.json().size(), r.toString());
        assertTrue(((String) r.json().get(0).get("message")).contains("no blob-dir is configured"), r.toString());
    }

    @Test
    void orphansAndEmptyFiles() throws IOException {
        Path c = TestData.path("derived", "blobs-orphans");
        Cli r = Cli.run("check-refs", "-q", "--format", "json", config(c));
        Map<String, Object> t = truth(c);
        assertEquals(new TreeSet<>(strings(t.get("missing_blobs"))), paths(r, "missing-blob", c));
        assertEquals(new TreeSet<>(strings(t.get("orphan_blobs"))), paths(r, "orphan-blob", c));
        assertEquals(new TreeSet<>(strings(t.get("empty_blobs"))), paths(r, "empty-blob", c));
        assertEquals(4, r.json().size(), r.toString());
        assertTrue(r.json().stream().filter(f -> !"missing-blob".equals(f.get("kind")))
                .allMatch(f -> "info".equals(f.get("severity"))));
    }

    /**
     * A damaged blob directory (a file where a directory of the bushy path should be, a
     * directory where the blob file should be): those blobs are missing, each reported once,
     * and the check goes on (it used to end with exit 3, "I/O error ... Not a directory").
     */
    @Test
    void damagedBlobDirectory() throws IOException {
        Path c = TestData.path("blobs");
        Path blobs = copyOfBlobs(c);
        Path oid5 = blobs.resolve("0x00/0x00/0x00/0x00/0x00/0x00/0x00/0x05");
        Path oid4 = blobs.resolve("0x00/0x00/0x00/0x00/0x00/0x00/0x00/0x04");
        try (var files = Files.walk(oid5)) {
            for (Path p : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
        Files.writeString(oid5, "not a directory\n");
        Files.delete(oid4.resolve("0x03f5c0a019999999.blob"));
        Files.createDirectory(oid4.resolve("0x03f5c0a019999999.blob"));
        Cli r = Cli.run("check-refs", "-q", "--format", "json", "--blob-dir", blobs.toString(),
                c.resolve("Data.fs").toString());
        assertEquals(1, r.exit(), r.toString());
        Set<String> missing = new TreeSet<>();
        for (Map<String, Object> f : r.json()) {
            assertEquals("missing-blob", f.get("kind"), f.toString());
            assertEquals("error", f.get("severity"));
            missing.add(blobs.relativize(Path.of((String) f.get("file"))) + " " + f.get("message"));
        }
        assertEquals(Set.of(
                "0x00/0x00/0x00/0x00/0x00/0x00/0x00/0x04/0x03f5c0a019999999.blob no blob file at " + oid4
                        + "/0x03f5c0a019999999.blob for blob 0x04 (revision 0x03f5c0a019999999): not a regular file",
                "0x00/0x00/0x00/0x00/0x00/0x00/0x00/0x05/0x03f5c0a01bbbbbbb.blob no blob file at " + oid5
                        + "/0x03f5c0a01bbbbbbb.blob for blob 0x05 (revision 0x03f5c0a01bbbbbbb): Not a directory",
                "0x00/0x00/0x00/0x00/0x00/0x00/0x00/0x06/0x03f5c0a019999999.blob no blob file at "
                        + blobs.resolve("0x00/0x00/0x00/0x00/0x00/0x00/0x00/0x06") + "/0x03f5c0a019999999.blob for blob"
                        + " 0x06 (revision 0x03f5c0a019999999)"), missing);
    }

    /**
     * A ZEO client's configuration with -f NAME=PATH: no blob directory is known, so blob files
     * are not checked (as for a Data.fs given by path, and as multi-zodb-check-refs -f does), and
     * stderr says so; this used to be a missing-blob error nothing could silence.
     */
    @Test
    void zeoClientOverrideWithoutBlobDirectory() throws IOException {
        Path c = TestData.path("blobs");
        String client = Files.writeString(tmp.resolve("client.conf"), """
                <zodb_db main>
                  <zeoclient>
                    blob-dir /srv/plone/var/blobcache
                    server 127.0.0.1:8100
                  </zeoclient>
                  mount-point /
                </zodb_db>
                """).toString();
        java.io.PrintStream saved = System.err;
        java.io.ByteArrayOutputStream logs = new java.io.ByteArrayOutputStream();
        System.setErr(new java.io.PrintStream(logs, true, java.nio.charset.StandardCharsets.UTF_8));
        Cli r;
        try {
            r = Cli.run("check-refs", "-q", "-f", "main=" + c.resolve("Data.fs"), client);
        } finally {
            System.setErr(saved);
        }
        assertEquals("", r.out(), r.toString());
        assertEquals(0, r.exit(), r.toString());
        assertTrue(logs.toString(java.nio.charset.StandardCharsets.UTF_8).contains("zodbcheck: warn: " + client
                + ":1: database 'main' is given by -f main=" + c.resolve("Data.fs") + " and its configuration names no"
                + " blob directory: its blob files are not checked"), logs.toString());
        // a configuration that names one keeps it under -f
        String blobs = Files.writeString(tmp.resolve("blobs.conf"), "<zodb main>\n<blobstorage>\nblob-dir "
                + c.resolve("blobs") + "\n<zeoclient>\nserver 8100\n</zeoclient>\n</blobstorage>\n</zodb>\n").toString();
        Cli b = Cli.run("check-refs", "-q", "--format", "json", "-f", "main=" + c.resolve("Data.fs"), blobs);
        assertEquals(Set.of("blobs/0x00/0x00/0x00/0x00/0x00/0x00/0x00/0x06/0x03f5c0a019999999.blob"),
                paths(b, "missing-blob", c));
    }

    @Test
    void zeoClientCacheIsRefused() throws IOException {
        Path c = TestData.path("blobs");
        Path cache = Files.createDirectories(tmp.resolve("cache"));
        Files.writeString(cache.resolve(".layout"), "zeocache");
        Cli r = Cli.run("check-refs", "-q", "--blob-dir", cache.toString(), c.resolve("Data.fs").toString());
        assertEquals(1, r.lines().size(), r.toString());
        assertTrue(r.out().contains("ZEO client's blob cache"), r.toString());
    }

    /**
     * A directory of the blob tree that cannot be searched: its blob is missing (ZODB cannot open
     * it either), a warning says orphans in it are not listed, and the check goes on (it used to
     * end with an internal error, exit 4). Checked as a user that permissions apply to (as root,
     * by hand: {@code runuser -u nobody -- bin/zodbcheck check-refs --blob-dir ...}).
     */
    @Test
    void unreadableBlobSubdirectory() throws IOException {
        Path c = TestData.path("blobs");
        Path blobs = copyOfBlobs(c);
        Path oid5 = blobs.resolve("0x00/0x00/0x00/0x00/0x00/0x00/0x00/0x05");
        Files.setPosixFilePermissions(oid5, java.util.Set.of());
        try {
            org.junit.jupiter.api.Assumptions.assumeFalse(Files.isReadable(oid5), "permissions do not apply (root)");
            java.io.PrintStream saved = System.err;
            java.io.ByteArrayOutputStream logs = new java.io.ByteArrayOutputStream();
            System.setErr(new java.io.PrintStream(logs, true, java.nio.charset.StandardCharsets.UTF_8));
            Cli r;
            try {
                r = Cli.run("check-refs", "-q", "--format", "json", "--blob-dir", blobs.toString(),
                        c.resolve("Data.fs").toString());
            } finally {
                System.setErr(saved);
            }
            assertEquals(1, r.exit(), r.toString());
            Set<String> missing = new TreeSet<>();
            for (Map<String, Object> f : r.json()) {
                missing.add(f.get("kind") + " " + f.get("oid") + " " + f.get("message"));
            }
            assertEquals(Set.of("missing-blob 0x05 no blob file at " + oid5 + "/0x03f5c0a01bbbbbbb.blob for blob 0x05"
                    + " (revision 0x03f5c0a01bbbbbbb): permission denied",
                    "missing-blob 0x06 no blob file at " + blobs.resolve("0x00/0x00/0x00/0x00/0x00/0x00/0x00/0x06")
                    + "/0x03f5c0a019999999.blob for blob 0x06 (revision 0x03f5c0a019999999)"), missing);
            String text = logs.toString(java.nio.charset.StandardCharsets.UTF_8);
            assertTrue(text.contains("zodbcheck: warn: main: cannot read " + oid5 + ": permission denied; orphan blob"
                    + " files in it are not reported"), text);
        } finally {
            Files.setPosixFilePermissions(oid5, java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
        }
    }

    /** A blob directory that cannot be read at all: one finding, as for a missing one (it used to exit 3). */
    @Test
    void unreadableBlobDirectory() throws IOException {
        Path c = TestData.path("blobs");
        Path blobs = Files.createDirectory(tmp.resolve("locked"));
        Files.setPosixFilePermissions(blobs, java.util.Set.of());
        try {
            org.junit.jupiter.api.Assumptions.assumeFalse(Files.isReadable(blobs), "permissions do not apply (root)");
            Cli r = Cli.run("check-refs", "-q", "--blob-dir", blobs.toString(), c.resolve("Data.fs").toString());
            assertEquals(List.of("error missing-blob main path=" + blobs + " message=\"the blob directory " + blobs
                    + " cannot be read (permission denied): the files of 4 blob records cannot be found\""), r.lines());
            assertEquals(1, r.exit(), r.toString());
        } finally {
            Files.setPosixFilePermissions(blobs, java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
        }
    }

    /** A copy of the blobs case's blob directory in the test's temporary directory. */
    private Path copyOfBlobs(Path c) throws IOException {
        Path blobs = tmp.resolve("blobs");
        try (var files = Files.walk(c.resolve("blobs"))) {
            for (Path p : files.toList()) {
                Path to = blobs.resolve(c.resolve("blobs").relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(to);
                } else {
                    Files.copy(p, to);
                }
            }
        }
        return blobs;
    }

    @Test
    void blobDirThatIsNotADirectoryOrHasAnUnknownLayout() throws IOException {
        Path c = TestData.path("blobs");
        Path file = Files.writeString(tmp.resolve("blobs"), "a file\n");
        Cli r = Cli.run("check-refs", "-q", "--blob-dir", file.toString(), c.resolve("Data.fs").toString());
        assertEquals(List.of("error missing-blob main path=" + file + " message=\"the blob directory " + file
                + " is not a directory: the files of 4 blob records are missing\""), r.lines());
        Path odd = Files.createDirectories(tmp.resolve("odd"));
        Files.writeString(odd.resolve(".layout"), "flat\n");
        r = Cli.run("check-refs", "-q", "--blob-dir", odd.toString(), c.resolve("Data.fs").toString());
        assertEquals(List.of("error missing-blob main path=" + odd + " message=\"the blob directory " + odd
                + " has an unknown layout in its .layout file: 'flat' (zodbcheck reads bushy and lawn)\""), r.lines());
        assertEquals(1, r.exit());
        Files.write(odd.resolve(".layout"), new byte[] {(byte) 0xff, 'x'});
        r = Cli.run("check-refs", "-q", "--blob-dir", odd.toString(), c.resolve("Data.fs").toString());
        assertEquals(List.of("error missing-blob main path=" + odd + " message=\"the blob directory " + odd
                + " has an unknown layout in its .layout file: '\ufffdx' (zodbcheck reads bushy and lawn)\""), r.lines());
        assertEquals(1, r.exit(), "a damaged .layout is a finding, not an I/O error (exit 3)");
    }

    /** zc.zlibstorage records: the same findings as the uncompressed original. */
    @Test
    void zlibRecords() throws IOException {
        Path c = TestData.path("derived", "zlib");
        Cli compressed = Cli.run("check-refs", "-q", "--format", "zodbdgc", config(c));
        Cli original = Cli.run("check-refs", "-q", "--format", "zodbdgc", TestData.path("dangling", "Data.fs").toString());
        assertEquals(MultiDatabaseTest.reports(original.out()), MultiDatabaseTest.reports(compressed.out()));
        assertEquals(5, MultiDatabaseTest.reports(compressed.out()).size());
        Cli bare = Cli.run("check-refs", "-q", c.resolve("Data.fs").toString());
        assertEquals(9, bare.lines().size(), "without <zlibstorage> in a config, too: " + bare);
    }

    private static List<String> strings(Object o) {
        return ((List<?>) o).stream().map(x -> (String) x).toList();
    }
}
