package org.zodbcheck.check;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.zodbcheck.testing.Cli;
import org.zodbcheck.testing.MiniJson;
import org.zodbcheck.testing.TestData;

/**
 * Every single-database case of the corpus (real databases written by real ZODB, Python 2 and 3),
 * checked against its independent ground truth ({@code expected/truth.json}) and against the
 * verbatim outputs of multi-zodb-check-refs and fsrefs.py ({@code expected/}).
 *
 * <p>Oids in truth.json are written {@code main:0x14b} (Python's hex), in our output
 * {@code 0x014b} (ZODB's oid_repr); both are compared as numbers.
 */
class CorpusTest {
    /** Checked with their configurations in MultiDatabaseTest and BlobTest. */
    private static final Set<String> ELSEWHERE = Set.of("multidb", "blobs");

    @TestFactory
    Stream<DynamicNode> corpus() throws IOException {
        List<DynamicNode> cases = new ArrayList<>();
        // derived/zlib (derive.py: dangling with zlib-compressed records) carries dangling's truth
        try (Stream<Path> dirs = Stream.concat(Files.list(TestData.root()), Stream.of(TestData.path("derived", "zlib")))) {
            for (Path dir : dirs.sorted().toList()) {
                Path truth = dir.resolve("expected/truth.json");
                String name = dir.getFileName().toString();
                if (!Files.isRegularFile(truth) || !Files.isRegularFile(dir.resolve("Data.fs")) || ELSEWHERE.contains(name)) {
                    continue;
                }
                Map<String, Object> t = MiniJson.object(Files.readString(truth));
                @SuppressWarnings("unchecked")
                Map<String, Object> g = (Map<String, Object>) t.get("ground_truth");
                if (g == null || !g.containsKey("expected_check_refs_reports")) {
                    continue; // corrupt-tlen: no truth could be computed; see CorruptCasesTest
                }
                cases.add(DynamicContainer.dynamicContainer(TestData.root().relativize(dir).toString(), tests(dir, g)));
            }
        }
        assertTrue(cases.size() >= 14, "corpus cases found: " + cases.size());
        return cases.stream();
    }

    private Stream<DynamicNode> tests(Path dir, Map<String, Object> truth) {
        Path fs = dir.resolve("Data.fs");
        List<DynamicNode> tests = new ArrayList<>();
        tests.add(DynamicTest.dynamicTest("poskeyerror targets = expected_check_refs_reports",
                () -> checkRefsReports(fs, truth)));
        tests.add(DynamicTest.dynamicTest("poskeyerror+dangling pairs = expected_fsrefs_reports",
                () -> fsrefsReports(fs, truth)));
        tests.add(DynamicTest.dynamicTest("every dangling reference of the truth, weak ones included",
                () -> danglingReferences(fs, truth)));
        tests.add(DynamicTest.dynamicTest("garbage = unreachable_objects_with_data",
                () -> garbage(fs, truth)));
        tests.add(DynamicTest.dynamicTest("objects with data", () -> objects(fs, truth)));
        tests.add(DynamicTest.dynamicTest("exit code", () -> exitCode(fs)));
        tests.add(DynamicTest.dynamicTest("--format zodbdgc = multi-zodb-check-refs", () -> zodbdgc(dir)));
        tests.add(DynamicTest.dynamicTest("--format fsrefs = fsrefs.py", () -> fsrefs(dir)));
        return tests.stream();
    }

    static List<Map<String, Object>> findings(Path fs, String... extra) {
        List<String> args = new ArrayList<>(List.of("check-refs", "--format", "json", "-q"));
        args.addAll(Arrays.asList(extra));
        args.add(fs.toString());
        Cli r = Cli.run(args.toArray(String[]::new));
        assertTrue(r.exit() == 0 || r.exit() == 1, r.toString());
        assertFalse(r.err().contains("Exception"), r.toString());
        return r.json();
    }

    /** {@code "main:0x14b"} or {@code "0x014b"} as a number. */
    static long oid(String s) {
        String hex = s.substring(s.indexOf("0x") + 2);
        return Long.parseUnsignedLong(hex, 16);
    }

    static String target(String db, String oid) {
        return db + ":" + Long.toHexString(oid(oid));
    }

    @SuppressWarnings("unchecked")
    private static List<Object> list(Map<String, Object> truth, String key) {
        return (List<Object>) truth.get(key);
    }

    private static boolean problemIs(Map<String, Object> ref, String prefix) {
        return ((String) ref.get("problem")).startsWith(prefix);
    }

    /**
     * The targets a root walk must flag. Where the truth says "unreadable pickle", the finding is
     * an unreadable-record of that object instead of a poskeyerror.
     */
    private void checkRefsReports(Path fs, Map<String, Object> truth) {
        List<Map<String, Object>> f = findings(fs);
        Set<String> unreadableTargets = new TreeSet<>();
        for (Object o : list(truth, "dangling_references")) {
            @SuppressWarnings("unchecked")
            Map<String, Object> ref = (Map<String, Object>) o;
            if (problemIs(ref, "unreadable pickle")) {
                unreadableTargets.add(target("main", (String) ref.get("target")));
            }
        }
        Set<String> expected = new TreeSet<>();
        for (Object o : list(truth, "expected_check_refs_reports")) {
            String t = target("main", (String) o);
            if (!unreadableTargets.contains(t)) {
                expected.add(t);
            }
        }
        Set<String> posKey = new TreeSet<>();
        Set<String> unreadable = new TreeSet<>();
        for (Map<String, Object> x : f) {
            if ("poskeyerror".equals(x.get("kind"))) {
                posKey.add(target((String) x.get("db"), (String) x.get("oid")));
            }
            if ("unreadable-record".equals(x.get("kind")) && "error".equals(x.get("severity"))) {
                assertEquals(Boolean.TRUE, x.get("reachable"));
                unreadable.add(target((String) x.get("db"), (String) x.get("oid")));
            }
        }
        assertEquals(expected, posKey);
        assertEquals(unreadableTargets, unreadable);
    }

    private void fsrefsReports(Path fs, Map<String, Object> truth) {
        Set<String> expected = new TreeSet<>();
        for (Object o : list(truth, "expected_fsrefs_reports")) {
            List<?> pair = (List<?>) o;
            expected.add(target("main", (String) pair.get(0)) + " -> " + target("main", (String) pair.get(1)));
        }
        Set<String> actual = new TreeSet<>();
        for (Map<String, Object> x : findings(fs)) {
            if ("poskeyerror".equals(x.get("kind")) && x.get("referrer_oid") != null || "dangling".equals(x.get("kind"))) {
                actual.add(target((String) x.get("referrer_db"), (String) x.get("referrer_oid")) + " -> "
                        + target((String) x.get("db"), (String) x.get("oid")));
            }
        }
        assertEquals(expected, actual);
    }

    /** Each (source, target, strong) of the truth with a missing or deleted target, weak ones too. */
    private void danglingReferences(Path fs, Map<String, Object> truth) {
        Set<String> expected = new TreeSet<>();
        for (Object o : list(truth, "dangling_references")) {
            @SuppressWarnings("unchecked")
            Map<String, Object> ref = (Map<String, Object>) o;
            if (problemIs(ref, "no record") || problemIs(ref, "no data")) {
                String cause = problemIs(ref, "no record") ? "no-record" : "no-data";
                expected.add(target("main", (String) ref.get("source")) + " -> " + target("main", (String) ref.get("target"))
                        + " " + (Boolean.TRUE.equals(ref.get("strong")) ? "strong" : "weak") + " " + cause
                        + " reachable=" + ref.get("source_reachable_from_root"));
            }
        }
        Set<String> actual = new TreeSet<>();
        for (Map<String, Object> x : findings(fs)) {
            String kind = (String) x.get("kind");
            if ((kind.equals("poskeyerror") || kind.equals("dangling") || kind.equals("weak-dangling"))
                    && x.get("referrer_oid") != null) {
                actual.add(target((String) x.get("referrer_db"), (String) x.get("referrer_oid")) + " -> "
                        + target((String) x.get("db"), (String) x.get("oid")) + " " + x.get("ref") + " " + x.get("cause")
                        + " reachable=" + x.get("reachable"));
                String expectedKind = "weak".equals(x.get("ref")) ? "weak-dangling"
                        : Boolean.TRUE.equals(x.get("reachable")) ? "poskeyerror" : "dangling";
                assertEquals(expectedKind, kind, x.toString());
            }
        }
        assertEquals(expected, actual);
    }

    private void garbage(Path fs, Map<String, Object> truth) {
        Set<String> expected = new TreeSet<>();
        for (Object o : list(truth, "unreachable_objects_with_data")) {
            expected.add(target("main", (String) o));
        }
        Set<String> actual = new TreeSet<>();
        for (Map<String, Object> x : findings(fs, "--list-garbage")) {
            if ("garbage".equals(x.get("kind"))) {
                assertEquals("info", x.get("severity"));
                assertEquals(Boolean.FALSE, x.get("reachable"));
                actual.add(target((String) x.get("db"), (String) x.get("oid")));
            }
        }
        assertEquals(expected, actual);
    }

    /** The summary's object count; truth does not count objects whose pickle is unreadable. */
    private void objects(Path fs, Map<String, Object> truth) {
        @SuppressWarnings("unchecked")
        long expected = (Long) ((Map<String, Object>) truth.get("objects_with_data")).get("main");
        Cli r = Cli.run("check-refs", "--format", "json", fs.toString());
        long unreadable = r.json().stream().filter(x -> "unreadable-record".equals(x.get("kind"))
                && "error".equals(x.get("severity"))).count();
        String summary = r.err().lines().filter(l -> l.startsWith("zodbcheck: main: ")).findFirst().orElseThrow();
        long objects = Long.parseLong(summary.substring("zodbcheck: main: ".length()).split(" ")[0]);
        assertEquals(expected, objects - unreadable, summary);
    }

    private void exitCode(Path fs) {
        Cli r = Cli.run("check-refs", "-q", fs.toString());
        boolean errors = r.lines().stream().anyMatch(l -> l.startsWith("error "));
        assertEquals(errors ? 1 : 0, r.exit(), r.toString());
        Cli info = Cli.run("check-refs", "-q", "--fail-on", "info", "--list-garbage", fs.toString());
        assertEquals(info.lines().isEmpty() ? 0 : 1, info.exit(), info.toString());
    }

    /** Where multi-zodb-check-refs could read the file (exit 0), the same two-line reports. */
    private void zodbdgc(Path dir) throws IOException {
        Path stdout = expectedOutput(dir, "check-refs");
        if (stdout == null) {
            return;
        }
        Cli r = Cli.run("check-refs", "--format", "zodbdgc", "-q", dir.resolve("Data.fs").toString());
        assertEquals(pairs(Files.readString(stdout)), pairs(r.out()), r.toString());
    }

    /** Where fsrefs.py could read the file, byte for byte (ZODB 5.2-era fsrefs sorted by oid, later ones by position). */
    private void fsrefs(Path dir) throws IOException {
        Path stdout = expectedOutput(dir, "fsrefs");
        if (stdout == null) {
            return;
        }
        Cli r = Cli.run("check-refs", "--format", "fsrefs", "-q", dir.resolve("Data.fs").toString());
        String expected = Files.readString(stdout, StandardCharsets.UTF_8);
        if (stdout.getFileName().toString().startsWith("py2--")) {
            assertEquals(blocks(expected), blocks(r.out()));
        } else {
            assertEquals(expected, r.out());
        }
    }

    /**
     * The expected stdout of a tool where it exited 0: the Python 3 run, or for files only Python
     * 2 can read, the Python 2 run. Null if neither exited 0.
     */
    private static Path expectedOutput(Path dir, String label) throws IOException {
        for (String prefix : new String[] {"", "py2--"}) {
            Path exit = dir.resolve("expected/" + prefix + label + ".exit");
            if (Files.isRegularFile(exit) && Files.readString(exit).trim().equals("0")) {
                return dir.resolve("expected/" + prefix + label + ".stdout");
            }
        }
        return null;
    }

    private static Set<String> pairs(String out) {
        List<String> lines = out.lines().toList();
        assertEquals(0, lines.size() % 2, out);
        Set<String> s = new HashSet<>();
        for (int i = 0; i < lines.size(); i += 2) {
            assertTrue(s.add(lines.get(i) + "\n" + lines.get(i + 1)), "reported twice: " + lines.get(i));
        }
        return s;
    }

    private static Set<String> blocks(String out) {
        return new HashSet<>(Arrays.asList(out.split("\n\n")));
    }
}
