package org.zodbcheck.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.zodbcheck.check.MultiDatabaseTest;
import org.zodbcheck.testing.Cli;
import org.zodbcheck.testing.TestData;

/** {@code check-refs -r}: the SQLite reference database, its documented query, its safety rules. */
class RefDbTest {
    @TempDir
    Path tmp;

    private Path refdb(String name) {
        Path db = tmp.resolve(name + ".db");
        List<String> args = new ArrayList<>(List.of("check-refs", "-q", "-r", db.toString()));
        args.addAll(InspectTest.storage(name));
        Cli r = Cli.run(args.toArray(String[]::new));
        assertTrue(r.exit() <= 1, r.toString());
        return db;
    }

    /** The SQL block that follows the marker in docs/refdb.md. */
    private static String documentedQuery() throws IOException {
        String doc = Files.readString(Path.of("docs/refdb.md"));
        int marker = doc.indexOf("<!-- who-references-query -->");
        int start = doc.indexOf("```sql\n", marker) + "```sql\n".length();
        return doc.substring(start, doc.indexOf("```", start)).trim();
    }

    @Test
    void documentedQueryFindsTheReferrerThroughTheDriver() throws Exception {
        Path db = refdb("dangling");
        String sql = documentedQuery();
        assertTrue(sql.contains("target_oid_int = 0x92"), sql);
        List<String> rows = new ArrayList<>();
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db);
             Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            while (rs.next()) {
                rows.add(rs.getString(1) + " " + rs.getString(2) + " " + rs.getString(3) + " " + rs.getInt(4) + " "
                        + rs.getString(5) + " " + rs.getInt(6));
            }
        }
        assertEquals(List.of("main 0x16 BTrees.IOBTree.IOBucket 1 oid-klass 1"), rows);
    }

    @Test
    void strongReferencesToUnloadableObjectsAreFsrefsReports() throws Exception {
        Path db = refdb("dangling");
        Set<String> got = new TreeSet<>();
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db);
             Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT r.referrer_db,"
                     + " r.referrer_oid, r.target_db, r.target_oid FROM referrers r LEFT JOIN objects o"
                     + " ON o.db = r.target_db AND o.oid = r.target_oid_int"
                     + " WHERE r.strong = 1 AND (o.oid IS NULL OR o.state != 'data')")) {
            while (rs.next()) {
                got.add("[\"" + InspectTest.norm(rs.getString(1) + ":" + rs.getString(2)) + "\", \""
                        + InspectTest.norm(rs.getString(3) + ":" + rs.getString(4)) + "\"]");
            }
        }
        Set<String> expected = new TreeSet<>();
        @SuppressWarnings("unchecked")
        List<Object> pairs = (List<Object>) InspectTest.truth("dangling").get("expected_fsrefs_reports");
        for (Object p : pairs) {
            @SuppressWarnings("unchecked")
            List<Object> pair = (List<Object>) p;
            expected.add("[\"" + InspectTest.norm((String) pair.get(0)) + "\", \""
                    + InspectTest.norm((String) pair.get(1)) + "\"]");
        }
        assertEquals(expected, got);
    }

    @ParameterizedTest
    @MethodSource("org.zodbcheck.cli.InspectTest#cases")
    void referrersFromTheRefdbEqualReferrersFromTheStorage(String name) throws IOException {
        Path db = refdb(name);
        Cli missing = InspectTest.run("check-refs", name);
        Set<String> targets = new TreeSet<>();
        for (Map<String, Object> f : missing.json()) {
            if (f.get("referrer_oid") != null && f.get("oid") != null) {
                targets.add(f.get("db") + ":" + f.get("oid"));
            }
        }
        for (String target : targets) {
            Cli fromStorage = InspectTest.run("referrers", name, target);
            Cli fromRefdb = Cli.run("referrers", "-q", "--format", "json", "--refdb", db.toString(), target);
            assertEquals(0, fromRefdb.exit(), fromRefdb.toString());
            assertEquals(fromStorage.out(), fromRefdb.out(), name + " " + target);
        }
    }

    @ParameterizedTest
    @MethodSource("org.zodbcheck.cli.InspectTest#refdbCases")
    void zodbdgcFormatNamesTheReferrerAsZodbdgcDoes(String name) throws IOException {
        Path db = tmp.resolve("r.db");
        List<String> args = new ArrayList<>(List.of("check-refs", "-q", "--format", "zodbdgc", "-r", db.toString()));
        Path blobs = TestData.path(name, "blobs").toAbsolutePath();
        if (Files.isDirectory(blobs)) {
            args.addAll(List.of("--blob-dir", blobs.toString()));
        }
        args.addAll(InspectTest.storage(name));
        Cli r = Cli.run(args.toArray(String[]::new));
        String expected = Files.readString(TestData.path(name, "expected", "check-refs-r.stdout"))
                .replace("<case-dir>/blobs/blobs/", blobs + "/");
        assertEquals(MultiDatabaseTest.reports(expected), MultiDatabaseTest.reports(r.out()), r.toString());
    }

    /** The Python 2 cases, against multi-zodb-check-refs -r run by ZODB on Python 2 (Python 3's refuses FS21). */
    @ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {"py2-proto1", "py2-proto2", "py2-proto3"})
    void zodbdgcFormatNamesTheReferrerAsZodbdgcDoesOnPython2(String name) throws IOException {
        assertEquals("0", Files.readString(TestData.path(name, "expected", "py2--check-refs-r.exit")).trim());
        Path db = tmp.resolve("r.db");
        Cli r = Cli.run("check-refs", "-q", "--format", "zodbdgc", "-r", db.toString(),
                TestData.path(name, "Data.fs").toString());
        String expected = Files.readString(TestData.path(name, "expected", "py2--check-refs-r.stdout"));
        assertTrue(expected.contains("!!! main "), expected);
        assertEquals(MultiDatabaseTest.reports(expected), MultiDatabaseTest.reports(r.out()), r.toString());
    }

    @Test
    void refusesToWriteOverAStorageItsIndexOrAnyOtherFile() throws IOException {
        Path fs = Files.copy(TestData.path("dangling", "Data.fs"), tmp.resolve("Data.fs"));
        Path index = Files.writeString(tmp.resolve("Data.fs.index"), "not really an index");
        Path notes = Files.writeString(tmp.resolve("notes.txt"), "operator notes");
        byte[] fsBytes = Files.readAllBytes(fs);
        for (Path target : List.of(fs, index, notes, tmp.resolve(".").resolve("Data.fs"))) {
            Cli r = Cli.run("check-refs", "-q", "-r", target.toString(), fs.toString());
            assertEquals(2, r.exit(), r.toString());
            assertTrue(r.err().startsWith("zodbcheck: " + target), r.err());
            assertTrue(r.err().contains("refusing to write over it"), r.err());
        }
        assertArrayEquals(fsBytes, Files.readAllBytes(fs));
        assertEquals("not really an index", Files.readString(index));
        assertEquals("operator notes", Files.readString(notes));
        Path db = tmp.resolve("refs.db");
        assertEquals(1, Cli.run("check-refs", "-q", "-r", db.toString(), fs.toString()).exit());
        Cli again = Cli.run("check-refs", "-q", "-r", db.toString(), fs.toString());
        assertEquals(1, again.exit(), "an earlier reference database is replaced: " + again);
        Cli noDir = Cli.run("check-refs", "-q", "-r", tmp.resolve("no/such/dir/refs.db").toString(), fs.toString());
        assertEquals(2, noDir.exit(), noDir.toString());
        assertEquals("zodbcheck: " + tmp.resolve("no/such/dir/refs.db") + ": cannot create it: no directory "
                + tmp.resolve("no/such/dir") + "\n", noDir.err());
        Cli notRefdb = Cli.run("referrers", "--refdb", notes.toString(), "0x92");
        assertEquals(3, notRefdb.exit(), notRefdb.toString());
        assertTrue(notRefdb.err().contains("is not a zodbcheck reference database"), notRefdb.err());
    }

    /**
     * Found by the issue 7 judge run: {@code -r refs.db} where refs.db is a dangling symbolic
     * link to the storage's {@code Data.fs.index} (not there yet) created a SQLite file named
     * {@code Data.fs.index} beside the storage. Links are now followed before the comparison.
     */
    @Test
    void refusesSymbolicLinksToTheStorageOrItsIndex() throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("links"));
        Path fs = Files.copy(TestData.path("dangling", "Data.fs"), dir.resolve("Data.fs"));
        Path toIndex = Files.createSymbolicLink(dir.resolve("to-index.db"), Path.of("Data.fs.index"));
        Path chain = Files.createSymbolicLink(dir.resolve("chain.db"), Path.of("to-index.db"));
        Path toFs = Files.createSymbolicLink(dir.resolve("to-fs.db"), Path.of("Data.fs"));
        for (Path target : List.of(toIndex, chain, toFs)) {
            Cli r = Cli.run("check-refs", "-q", "-r", target.toString(), fs.toString());
            assertEquals(2, r.exit(), r.toString());
            assertTrue(r.err().contains("is a checked storage (or its index): refusing to write over it"), r.err());
            assertFalse(Files.exists(dir.resolve("Data.fs.index")), target + " created Data.fs.index");
        }
        try (java.util.stream.Stream<Path> s = Files.list(dir)) {
            assertEquals(4, s.count(), "no file created");
        }
    }

    /**
     * Found by the issue 7 judge run: check-refs -r on a storage that cannot be read (missing,
     * no FileStorage header) exited 3 and left an empty reference database behind, which
     * referrers --refdb then answered from ("no record, and no current object refers to it").
     */
    @Test
    void noReferenceDatabaseWhenTheStorageCannotBeRead() throws IOException {
        Path bad = Files.write(tmp.resolve("bad.fs"), "GS30 not a storage".getBytes(StandardCharsets.US_ASCII));
        for (Path fs : List.of(tmp.resolve("missing.fs"), bad)) {
            Path db = tmp.resolve("refs-" + fs.getFileName() + ".db");
            Cli r = Cli.run("check-refs", "-q", "-r", db.toString(), fs.toString());
            assertEquals(3, r.exit(), r.toString());
            assertTrue(r.err().contains(db + ": not written (the check did not finish)"), r.err());
            assertFalse(Files.exists(db), r.toString());
            assertFalse(Files.exists(part(db)), "the references' part file is left: " + r);
        }
    }

    /** Where the references are written while the objects go to the reference database itself. */
    private static Path part(Path db) {
        return db.resolveSibling(db.getFileName() + "-refs");
    }

    @Test
    void thePartFileOfTheReferencesIsRemovedReplacedWhenLeftOverAndRefusedWhenForeign() throws Exception {
        Path fs = TestData.path("dangling", "Data.fs");
        Path db = tmp.resolve("refs.db");
        Cli first = Cli.run("check-refs", "-q", "-r", db.toString(), fs.toString());
        assertEquals(1, first.exit(), first.toString());
        assertFalse(Files.exists(part(db)), "left after a run that finished");
        try (java.util.stream.Stream<Path> s = Files.list(tmp)) {
            assertEquals(List.of(db), s.toList());
        }
        List<String> rows = rows(db);
        assertFalse(rows.isEmpty());
        // what a killed run leaves: a part file with its meta table, and some references
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + part(db)); Statement st = c.createStatement()) {
            st.execute("CREATE TABLE zodbcheck_meta (key TEXT PRIMARY KEY, value TEXT)");
            st.execute("INSERT INTO zodbcheck_meta VALUES ('format', 'zodbcheck-refdb-part')");
            st.execute("CREATE TABLE refs (x)");
            st.execute("INSERT INTO refs VALUES (1)");
        }
        Cli again = Cli.run("check-refs", "-q", "-r", db.toString(), fs.toString());
        assertEquals(1, again.exit(), again.toString());
        assertFalse(Files.exists(part(db)));
        assertEquals(rows, rows(db), "the same reference database as before");
        // anything else of that name is not ours to replace
        Files.writeString(part(db), "operator notes");
        Cli refused = Cli.run("check-refs", "-q", "-r", db.toString(), fs.toString());
        assertEquals(2, refused.exit(), refused.toString());
        assertEquals("zodbcheck: " + db + ": the references are written to " + part(db) + " first, which exists and is"
                + " not a part of a zodbcheck reference database: refusing to write over it\n", refused.err());
        assertEquals("operator notes", Files.readString(part(db)));
        assertEquals(rows, rows(db), "the earlier reference database is kept");
        // nor a checked storage, whatever the path looks like
        Path dir = Files.createDirectories(tmp.resolve("beside"));
        Path storage = Files.copy(fs, dir.resolve("refs.db-refs"));
        byte[] bytes = Files.readAllBytes(storage);
        Cli storageRefused = Cli.run("check-refs", "-q", "-r", dir.resolve("refs.db").toString(), storage.toString());
        assertEquals(2, storageRefused.exit(), storageRefused.toString());
        assertTrue(storageRefused.err().contains("is a checked storage (or its index): refusing to write over it"),
                storageRefused.err());
        assertArrayEquals(bytes, Files.readAllBytes(storage));
        assertFalse(Files.exists(dir.resolve("refs.db")));
    }

    /** Every row of both tables, in key order. */
    private static List<String> rows(Path db) throws Exception {
        List<String> rows = new ArrayList<>();
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db); Statement st = c.createStatement()) {
            for (String sql : List.of("SELECT * FROM objects", "SELECT * FROM refs")) {
                try (ResultSet rs = st.executeQuery(sql)) {
                    int n = rs.getMetaData().getColumnCount();
                    while (rs.next()) {
                        StringBuilder sb = new StringBuilder();
                        for (int i = 1; i <= n; i++) {
                            sb.append(rs.getString(i)).append('|');
                        }
                        rows.add(sb.toString());
                    }
                }
            }
        }
        return rows;
    }

    @Test
    void aRunThatFailsLeavesNoFileAndAnUnfinishedOrNewerFileIsRefused() throws Exception {
        Path junk = Files.write(tmp.resolve("junk.fs"), "not a FileStorage at all".getBytes(StandardCharsets.US_ASCII));
        Path db = tmp.resolve("refs.db");
        Cli failed = Cli.run("check-refs", "-q", "-r", db.toString(), junk.toString());
        assertEquals(3, failed.exit(), failed.toString());
        assertTrue(!Files.exists(db), "a failed run left " + db);
        assertFalse(Files.exists(part(db)), "a failed run left " + part(db));
        // so the next run is not refused as 'not a zodbcheck reference database'
        Cli next = Cli.run("check-refs", "-q", "-r", db.toString(), TestData.path("dangling", "Data.fs").toString());
        assertEquals(1, next.exit(), next.toString());
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db); Statement st = c.createStatement()) {
            st.executeUpdate("UPDATE zodbcheck_meta SET value = '2' WHERE key = 'version'");
        }
        Cli newer = Cli.run("referrers", "--refdb", db.toString(), "0x92");
        assertEquals(3, newer.exit(), newer.toString());
        assertEquals("zodbcheck: " + db + ": is a reference database of version 2; this zodbcheck reads version 1:"
                + " write it again with check-refs -r\n", newer.err());
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db); Statement st = c.createStatement()) {
            st.executeUpdate("UPDATE zodbcheck_meta SET value = '1' WHERE key = 'version'");
            st.executeUpdate("DELETE FROM zodbcheck_meta WHERE key = 'databases'"); // written by the last step
        }
        Cli unfinished = Cli.run("referrers", "--refdb", db.toString(), "0x92");
        assertEquals(3, unfinished.exit(), unfinished.toString());
        assertEquals("zodbcheck: " + db + ": is incomplete (the check-refs -r that wrote it did not finish):"
                + " write it again with check-refs -r\n", unfinished.err());
    }

    @Test
    void answersNameTheStorageTheyComeFromAndItsDatabases() {
        Path db = refdb("dangling");
        Cli r = Cli.run("referrers", "--refdb", db.toString(), "0x92");
        assertEquals(0, r.exit(), r.toString());
        String source = TestData.path("dangling", "Data.fs").toAbsolutePath().normalize().toString();
        assertTrue(r.err().startsWith("zodbcheck: " + db + ": reference database of " + source + " (main), written 20"),
                r.err());
        Cli other = Cli.run("referrers", "--refdb", db.toString(), "catalog:0x03");
        assertEquals(2, other.exit(), other.toString());
        assertTrue(other.err().contains("zodbcheck: no database named catalog in " + db + " (databases: main)\n"),
                other.err());
    }

    @Test
    void opensInTheSqliteCommandLineClient() throws Exception {
        assumeTrue(onPath("sqlite3"), "the sqlite3 command-line client is not installed");
        Path db = refdb("dangling");
        Process p = new ProcessBuilder("sqlite3", "-readonly", db.toString(), documentedQuery())
                .redirectErrorStream(true).start();
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals("main|0x16|BTrees.IOBTree.IOBucket|1|oid-klass|1\n", out);
    }

    private static boolean onPath(String command) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator)) {
            if (Files.isExecutable(Path.of(dir, command))) {
                return true;
            }
        }
        return false;
    }
}
