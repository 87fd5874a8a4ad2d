package org.zodbcheck.check;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
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
 * The multidb case (two databases referencing each other with 'm', 'n' and cross-database weak
 * references) with each of its configurations, against truth.json and zc.zodbdgc's verbatim
 * outputs. The configurations use paths relative to the case directory, where the tools ran;
 * the tests give them that directory explicitly (the launcher test runs them from it).
 */
public class MultiDatabaseTest {
    private static final Path CASE = TestData.path("multidb");

    @TempDir
    Path tmp;

    /** The case's configuration with its relative paths made absolute. */
    private String config(String name) throws IOException {
        String text = Files.readString(CASE.resolve(name));
        String abs = CASE.toAbsolutePath().toString();
        text = text.replace("%define CASEDIR .", "%define CASEDIR " + abs)
                .replace("path main/", "path " + abs + "/main/")
                .replace("path catalog/", "path " + abs + "/catalog/");
        return Files.writeString(tmp.resolve(name), text).toString();
    }

    /** zc.zodbdgc output as a multiset of reports ("!!!" + next line, or a "bad xref" line). */
    public static List<String> reports(String out) {
        List<String> lines = out.lines().toList();
        List<String> r = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).startsWith("!!! ")) {
                r.add(lines.get(i) + " | " + lines.get(++i));
            } else {
                r.add(lines.get(i));
            }
        }
        Collections.sort(r);
        return r;
    }

    private static List<String> expected(String label) throws IOException {
        return reports(Files.readString(CASE.resolve("expected/" + label + ".stdout")));
    }

    @Test
    void zodbConfMatchesMultiZodbCheckRefs() throws IOException {
        Cli r = Cli.run("check-refs", "-q", "--format", "zodbdgc", config("zodb.conf"));
        assertEquals(expected("check-refs"), reports(r.out()), r.toString());
    }

    @Test
    void mainOnlyGivesBadDb() throws IOException {
        Cli r = Cli.run("check-refs", "-q", "--format", "zodbdgc", config("zodb-main-only.conf"));
        assertEquals(expected("check-refs--zodb-main-only"), reports(r.out()), r.toString());
        assertEquals(1, r.exit());
    }

    @Test
    void noImplicitCrossReferencesGivesBadXref() throws IOException {
        Cli r = Cli.run("check-refs", "-q", "--format", "zodbdgc", config("zodb-noxrefs.conf"));
        assertEquals(expected("check-refs--zodb-noxrefs"), reports(r.out()), r.toString());
        Cli json = Cli.run("check-refs", "-q", "--format", "json", config("zodb-noxrefs.conf"));
        long badXref = json.json().stream().filter(f -> "bad-xref".equals(f.get("kind"))).count();
        assertEquals(33, badXref);
        assertTrue(json.json().stream().filter(f -> "bad-xref".equals(f.get("kind")))
                .allMatch(f -> "warning".equals(f.get("severity"))));
    }

    /** Every dangling reference of the truth, and no other reference finding. */
    @Test
    void truth() throws IOException {
        Map<String, Object> t = MiniJson.object(Files.readString(CASE.resolve("expected/truth.json")));
        @SuppressWarnings("unchecked")
        Map<String, Object> g = (Map<String, Object>) t.get("ground_truth");
        Set<String> expected = new TreeSet<>();
        for (Object o : (List<?>) g.get("dangling_references")) {
            Map<?, ?> ref = (Map<?, ?>) o;
            expected.add(ref.get("source") + " -> " + ref.get("target") + " " + (Boolean.TRUE.equals(ref.get("strong"))
                    ? "strong" : "weak"));
        }
        Set<String> targets = new TreeSet<>();
        for (Object o : (List<?>) g.get("expected_check_refs_reports")) {
            targets.add((String) o);
        }
        Cli r = Cli.run("check-refs", "-q", "--format", "json", "--list-garbage", config("zodb.conf"));
        Set<String> actual = new TreeSet<>();
        Set<String> posKey = new TreeSet<>();
        for (Map<String, Object> f : r.json()) {
            assertTrue(List.of("poskeyerror", "dangling", "weak-dangling").contains(f.get("kind")), f.toString());
            actual.add(f.get("referrer_db") + ":0x" + Long.toHexString(CorpusTest.oid((String) f.get("referrer_oid")))
                    + " -> " + f.get("db") + ":0x" + Long.toHexString(CorpusTest.oid((String) f.get("oid"))) + " "
                    + f.get("ref"));
            if ("poskeyerror".equals(f.get("kind"))) {
                posKey.add(f.get("db") + ":0x" + Long.toHexString(CorpusTest.oid((String) f.get("oid"))));
            }
        }
        assertEquals(expected, actual);
        assertEquals(targets, posKey);
        assertTrue(r.err().isEmpty(), r.err());
    }

    /** An override points a database of the configuration at a file. */
    @Test
    void fileStorageOverride() throws IOException {
        String client = Files.writeString(tmp.resolve("client.conf"), """
                <zodb main>
                  <zeoclient>
                    server localhost:8100
                    storage 1
                  </zeoclient>
                </zodb>
                <zodb catalog>
                  <zeoclient>
                    server localhost:8100
                    storage 2
                  </zeoclient>
                </zodb>
                """).toString();
        Cli refused = Cli.run("check-refs", client);
        assertEquals(2, refused.exit(), refused.toString());
        assertTrue(refused.err().contains(client + ":2: <zeoclient> is not a file zodbcheck can read"), refused.err());
        Cli r = Cli.run("check-refs", "-q", "--format", "zodbdgc",
                "-f", "main=" + CASE.resolve("main/Data.fs"), "-f", "catalog=" + CASE.resolve("catalog/Data.fs"), client);
        assertEquals(expected("check-refs"), reports(r.out()), r.toString());
    }

    @Test
    void missingStorageFileExitsThree() throws IOException {
        String conf = Files.writeString(tmp.resolve("z.conf"),
                "<zodb main>\n<filestorage>\npath " + tmp.resolve("nope.fs") + "\n</filestorage>\n</zodb>\n").toString();
        Cli r = Cli.run("check-refs", conf);
        assertEquals(3, r.exit(), r.toString());
        assertTrue(r.err().contains("nope.fs: no such file"), r.err());
    }

    @Test
    void malformedConfigExitsTwoWithFileAndLine() throws IOException {
        String conf = Files.writeString(tmp.resolve("bad.conf"), "<zodb main>\n  <filestorage>\n    path x\n").toString();
        Cli r = Cli.run("check-refs", conf);
        assertEquals(2, r.exit(), r.toString());
        assertEquals("zodbcheck: " + conf + ":2: section <filestorage> is not closed\n", r.err());
        assertEquals("", r.out());
    }

    @Test
    void argumentsThatDoNotGoTogether() throws IOException {
        String fs = TestData.path("dangling", "Data.fs").toString();
        assertEquals(2, Cli.run("check-refs", fs, config("zodb.conf")).exit());
        assertEquals(2, Cli.run("check-refs", "-f", "main=" + fs, fs).exit());
        assertEquals(2, Cli.run("check-refs", "--blob-dir", tmp.toString(), config("zodb.conf")).exit());
        assertEquals(2, Cli.run("check-refs", "--db-name", "other", config("zodb.conf")).exit(), "it was ignored");
        assertEquals(2, Cli.run("refs", "--db-name", "other", config("zodb.conf")).exit());
        assertEquals(2, Cli.run("verify", "--db-name", "other", config("zodb.conf")).exit());
    }
}
