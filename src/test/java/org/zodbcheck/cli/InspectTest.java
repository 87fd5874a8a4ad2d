package org.zodbcheck.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.zodbcheck.filestorage.Oid;
import org.zodbcheck.testing.Cli;
import org.zodbcheck.testing.MiniJson;
import org.zodbcheck.testing.TestData;

/**
 * {@code referrers} and {@code refs} against the corpus: the referrers of every missing oid are
 * the sources in {@code truth.json}; the strong references of reachable objects are exactly the
 * edges zc.zodbdgc recorded in its reference database ({@code check-refs-r.refdb.txt}).
 */
class InspectTest {
    private static final Path MULTIDB = TestData.path("multidb");

    /**
     * Every case with a ground truth of references (corrupt-tlen has none: ZODB cannot open it).
     */
    static Stream<String> cases() throws IOException {
        try (Stream<Path> dirs = Files.list(TestData.root())) {
            return dirs.filter(d -> Files.isRegularFile(d.resolve("expected/truth.json"))
                            && !d.getFileName().toString().equals("corrupt-tlen"))
                    .map(d -> d.getFileName().toString()).sorted().toList().stream();
        }
    }

    /** The storage arguments of a case: its Data.fs, or the multidb config with absolute paths. */
    static List<String> storage(String name) {
        if (name.equals("multidb")) {
            return List.of("-f", "main=" + MULTIDB.resolve("main/Data.fs"), "-f",
                    "catalog=" + MULTIDB.resolve("catalog/Data.fs"), MULTIDB.resolve("zodb.conf").toString());
        }
        return List.of(TestData.path(name, "Data.fs").toString());
    }

    static Cli run(String command, String name, String... more) {
        List<String> args = new ArrayList<>(List.of(command, "-q", "--format", "json"));
        args.addAll(storage(name));
        args.addAll(List.of(more));
        return Cli.run(args.toArray(String[]::new));
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> truth(String name) throws IOException {
        Map<String, Object> t = MiniJson.object(Files.readString(TestData.path(name, "expected", "truth.json")));
        return (Map<String, Object>) t.get("ground_truth");
    }

    /** {@code main:0x4} or {@code main:0x04} → {@code main:0x04}. */
    static String norm(String dbOid) {
        int colon = dbOid.indexOf(':');
        return dbOid.substring(0, colon) + ":" + Oid.repr(Oid.parse(dbOid.substring(colon + 1)));
    }

    @ParameterizedTest
    @MethodSource("cases")
    @SuppressWarnings("unchecked")
    void referrersOfEveryMissingOidAreTheTruthSources(String name) throws IOException {
        List<Object> refs = (List<Object>) truth(name).get("dangling_references");
        Map<String, Set<String>> expected = new TreeMap<>();
        for (Object o : refs) {
            Map<String, Object> r = (Map<String, Object>) o;
            expected.computeIfAbsent(norm((String) r.get("target")), k -> new TreeSet<>()).add(norm(
                    (String) r.get("source")) + " strong=" + r.get("strong") + " reachable="
                    + r.get("source_reachable_from_root"));
        }
        for (Map.Entry<String, Set<String>> e : expected.entrySet()) {
            Cli r = run("referrers", name, e.getKey());
            assertEquals(0, r.exit(), r.toString());
            Set<String> got = new TreeSet<>();
            for (Map<String, Object> row : r.json()) {
                assertEquals(e.getKey(), row.get("target_db") + ":" + row.get("target_oid"), r.toString());
                got.add(row.get("db") + ":" + row.get("oid") + " strong=" + "strong".equals(row.get("ref"))
                        + " reachable=" + row.get("reachable"));
            }
            assertEquals(e.getValue(), got, name + " " + e.getKey());
        }
    }

    /** zc.zodbdgc's refdb as {@code referrer_db:oid -> target_db:oid} edges. */
    static Set<String> zodbdgcEdges(String name) throws IOException {
        Pattern db = Pattern.compile("^  '([^']+)': .*");
        Pattern target = Pattern.compile("^    (-?\\d+) <- (.*)$");
        Pattern set = Pattern.compile("(?:(\\w+):)?LLTreeSet\\(([-\\d ]*)\\)");
        Set<String> edges = new TreeSet<>();
        String targetDb = null;
        for (String line : Files.readAllLines(TestData.path(name, "expected", "check-refs-r.refdb.txt"))) {
            Matcher m = db.matcher(line);
            if (m.matches()) {
                targetDb = m.group(1);
                continue;
            }
            m = target.matcher(line);
            if (!m.matches()) {
                continue;
            }
            String to = targetDb + ":" + Oid.repr(Long.parseLong(m.group(1)));
            Matcher s = set.matcher(m.group(2));
            while (s.find()) {
                String fromDb = s.group(1) != null ? s.group(1) : targetDb;
                for (String oid : s.group(2).trim().split(" +")) {
                    if (!oid.isEmpty()) {
                        edges.add(fromDb + ":" + Oid.repr(Long.parseLong(oid)) + " -> " + to);
                    }
                }
            }
        }
        return edges;
    }

    /** Cases where multi-zodb-check-refs -r ran to the end, so that its refdb is complete. */
    static Stream<String> refdbCases() throws IOException {
        return cases().filter(c -> {
            try {
                Path exit = TestData.path(c, "expected", "check-refs-r.exit");
                return Files.exists(exit) && Files.readString(exit).trim().equals("0");
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        });
    }

    @ParameterizedTest
    @MethodSource("refdbCases")
    @SuppressWarnings("unchecked")
    void strongRefsOfReachableObjectsAreZodbdgcEdges(String name) throws IOException {
        Set<String> unreachable = new TreeSet<>();
        for (Object o : (List<Object>) truth(name).get("unreachable_objects_with_data")) {
            unreachable.add(norm((String) o));
        }
        Cli r = run("refs", name);
        assertEquals(0, r.exit(), r.toString());
        Set<String> strong = new TreeSet<>();
        for (Map<String, Object> row : r.json()) {
            String from = row.get("db") + ":" + row.get("oid");
            if ("strong".equals(row.get("ref")) && !unreachable.contains(from)) {
                strong.add(from + " -> " + row.get("target_db") + ":" + row.get("target_oid"));
            }
        }
        assertEquals(zodbdgcEdges(name), strong, name);
    }

    @Test
    void refsListsWeakAndCrossDatabaseFormsAndRepeats() {
        Cli weak = run("refs", "weakrefs");
        Map<String, Integer> forms = new HashMap<>();
        for (Map<String, Object> row : weak.json()) {
            forms.merge(row.get("form") + "/" + row.get("ref"), 1, Integer::sum);
        }
        assertTrue(forms.containsKey("w/weak"), forms.toString());
        Cli multi = run("refs", "multidb");
        assertTrue(multi.json().stream().anyMatch(row -> row.get("form").equals("m")
                && row.get("db").equals("main") && row.get("target_db").equals("catalog")), multi.out());
        // the OOBTree 0x04 of dangling names its first bucket twice: as a child and as firstbucket
        Cli tree = run("refs", "dangling", "0x04");
        long twice = tree.json().stream().filter(row -> row.get("target_oid").equals("0x11")).count();
        assertEquals(2, twice, tree.out());
    }

    /**
     * {@code show} of an object that lost its data names the class of its last revision with
     * data; the class a referrer's pickle gives for it ({@code target_class} of check-refs,
     * read from another record) must agree wherever both are known.
     */
    @ParameterizedTest
    @MethodSource("cases")
    void showNamesTheLastClassOfADeletedObject(String name) {
        int compared = 0;
        for (Map<String, Object> f : run("check-refs", name).json()) {
            if (!"no-data".equals(f.get("cause")) || f.get("target_class") == null) {
                continue;
            }
            Cli show = run("show", name, f.get("db") + ":" + f.get("oid"));
            Map<String, Object> o = show.json().get(0);
            assertEquals("no-data", o.get("state"), show.toString());
            if (o.containsKey("last_class")) {
                assertEquals(f.get("target_class"), o.get("last_class"), name + " " + f.get("oid"));
                compared++;
            }
        }
        if (name.equals("dangling")) {
            assertTrue(compared >= 4, "dangling: " + compared); // 0x0a, 0x0c (twice), 0x92
            Cli text = Cli.run("show", TestData.path("dangling", "Data.fs").toString(), "0x92");
            assertTrue(text.lines().contains("last class: corpusapp.Item (its last revision with data: pos=25845"
                    + " tid=0x03f59ee019999999)"), text.toString());
        }
    }

    @Test
    void textFormatsAndUnknownOids() {
        Path fs = TestData.path("dangling", "Data.fs");
        Cli refs = Cli.run("refs", fs.toString(), "0x00");
        assertEquals(List.of("main:0x00 main:0x03 form=oid-klass ref=strong",
                "main:0x00 main:0x04 form=oid-klass ref=strong", "main:0x00 main:0x05 form=oid-klass ref=strong",
                "main:0x00 main:0x07 form=oid-klass ref=strong"), refs.lines());
        Cli deleted = Cli.run("refs", fs.toString(), "0x92", "0x02");
        assertEquals(0, deleted.exit(), deleted.toString());
        assertEquals("", deleted.out());
        assertEquals("main:0x92: cannot be loaded (no-data): no references\n"
                + "main:0x02: cannot be loaded (no-record): no references\n", deleted.err());
        Cli who = Cli.run("referrers", fs.toString(), "b'\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x92'");
        assertEquals(List.of("main:0x16 class=BTrees.IOBTree.IOBucket reachable=true ref=strong form=oid-klass"
                + " count=1 target=main:0x92"), who.lines(), who.toString());
        assertEquals("main:0x92: cannot be loaded (no-data); 1 referrer\n", who.err());
        Cli unknown = Cli.run("referrers", fs.toString(), "main:0x7777");
        assertEquals(1, unknown.exit());
        assertEquals("main:0x7777: no record, and no current object refers to it\n", unknown.err());
        Cli noDb = Cli.run("referrers", fs.toString(), "catalog:0x01");
        assertEquals(2, noDb.exit());
        assertTrue(noDb.err().contains("no database named catalog"), noDb.err());
        // the traceback form as typed in a shell, quotes removed by it
        Cli pasted = Cli.run("referrers", "-q", fs.toString(), "b\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x92");
        assertEquals(who.out(), pasted.out(), pasted.toString());
        // a misspelt oid is named as such, not taken for a missing file
        for (String command : List.of("referrers", "path", "show", "refs")) {
            Cli bad = Cli.run(command, fs.toString(), "0x92", "0xg2");
            assertEquals(2, bad.exit(), bad.toString());
            assertTrue(bad.err().startsWith("not an oid: 0xg2 (give 13184375, 0xc92d77"), bad.err());
            Cli tooShort = Cli.run(command, fs.toString(), "b'\\x00\\x92'");
            assertEquals(2, tooShort.exit(), tooShort.toString());
            assertTrue(tooShort.err().startsWith("not an oid: b'\\x00\\x92' (2 bytes, an oid has 8)"),
                    tooShort.err());
        }
        Cli noOid = Cli.run("referrers", fs.toString());
        assertEquals(2, noOid.exit());
        assertFalse(noOid.err().contains("Exception"), noOid.err());
    }
}
