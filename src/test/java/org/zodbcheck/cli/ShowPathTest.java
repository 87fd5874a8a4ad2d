package org.zodbcheck.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.zodbcheck.filestorage.Oid;
import org.zodbcheck.testing.Cli;
import org.zodbcheck.testing.TestData;

/**
 * {@code show} against fsdump (class, tid, size of every current record) and fstest -v -v
 * (record positions); {@code path} against the referrers in truth.json and the labels an
 * operator needs (attribute names, mapping keys, BTree buckets).
 */
class ShowPathTest {
    /** What fsdump and fstest -v -v say about the current record of one oid. */
    private record Dumped(String tid, Long size, String className, long pos) {
    }

    /** The last record of every oid in fsdump's listing, with its position from fstest -v -v. */
    private static Map<Long, Dumped> dump(String name) throws IOException {
        // the Python 2 cases were dumped by ZODB on Python 2 (ZODB 5 on Python 3 refuses FS21)
        String prefix = Files.exists(TestData.path(name, "expected", "py2--fsdump.stdout")) ? "py2--" : "";
        return dump(name, prefix + "fsdump.stdout", prefix + "fstest-vv.stdout");
    }

    private static Map<Long, Dumped> dump(String name, String fsdump, String fstest) throws IOException {
        Pattern trans = Pattern.compile("^Trans #\\d+ tid=([0-9a-f]{16}) .*");
        Pattern data = Pattern.compile("^  data #\\d+ oid=([0-9a-f]{16})(?: size=(\\d+))? class=(.*?)(?: bp=[0-9a-f]{16})?$");
        Pattern object = Pattern.compile("^\\s*(\\d+): object oid 0x([0-9a-f]{16}) #\\d+$");
        Map<Long, Long> positions = new LinkedHashMap<>();
        for (String line : Files.readAllLines(TestData.path(name, "expected", fstest))) {
            Matcher m = object.matcher(line);
            if (m.matches()) {
                positions.put(Long.parseUnsignedLong(m.group(2), 16), Long.parseLong(m.group(1)));
            }
        }
        Map<Long, Dumped> out = new LinkedHashMap<>();
        String tid = null;
        for (String line : Files.readAllLines(TestData.path(name, "expected", fsdump))) {
            Matcher t = trans.matcher(line);
            if (t.matches()) {
                tid = "0x" + t.group(1);
                continue;
            }
            Matcher d = data.matcher(line);
            if (d.matches()) {
                long oid = Long.parseUnsignedLong(d.group(1), 16);
                Long size = d.group(2) == null ? null : Long.valueOf(d.group(2));
                out.put(oid, new Dumped(tid, size, size == null ? null : d.group(3), positions.get(oid)));
            }
        }
        return out;
    }

    @ParameterizedTest
    @ValueSource(strings = {"clean", "undo", "dangling", "garbage", "packed-gc", "packed-nogc", "packed-partial",
        "weakrefs", "blobs", "oidonly", "py2-proto1", "py2-proto2", "py2-proto3", "corrupt-refbitflip",
        "corrupt-pickle", "corrupt-truncated"})
    void showMatchesFsdumpAndFstest(String name) throws IOException {
        Map<Long, Dumped> dumped = dump(name);
        List<String> args = new ArrayList<>(List.of("show", "-q", "--format", "json",
                TestData.path(name, "Data.fs").toString()));
        dumped.keySet().forEach(oid -> args.add(Oid.repr(oid)));
        compare(name, "main", dumped, Cli.run(args.toArray(String[]::new)));
    }

    /** Both databases of multidb, each against its own fsdump and fstest -v -v. */
    @ParameterizedTest
    @ValueSource(strings = {"main", "catalog"})
    void showMatchesFsdumpAndFstestInEachDatabaseOfMultidb(String db) throws IOException {
        Map<Long, Dumped> dumped = dump("multidb", "fsdump--" + db + ".stdout", "fstest-vv--" + db + ".stdout");
        List<String> args = new ArrayList<>(List.of("show", "-q", "--format", "json"));
        args.addAll(InspectTest.storage("multidb"));
        dumped.keySet().forEach(oid -> args.add(db + ":" + Oid.repr(oid)));
        compare("multidb " + db, db, dumped, Cli.run(args.toArray(String[]::new)));
    }

    private static void compare(String name, String db, Map<Long, Dumped> dumped, Cli r) {
        assertTrue(dumped.size() > 0, name);
        assertEquals(0, r.exit(), r.err());
        List<Map<String, Object>> shown = r.json();
        assertEquals(dumped.size(), shown.size());
        int i = 0;
        for (Map.Entry<Long, Dumped> e : dumped.entrySet()) {
            Map<String, Object> s = shown.get(i++);
            Dumped d = e.getValue();
            String what = name + " " + Oid.repr(e.getKey());
            assertEquals(Oid.repr(e.getKey()), s.get("oid"), what);
            assertEquals(db, s.get("db"), what);
            assertEquals(d.tid(), s.get("tid"), what);
            assertEquals(d.pos(), ((Number) s.get("pos")).longValue(), what);
            assertEquals(d.size(), s.get("size") == null ? null : ((Number) s.get("size")).longValue(), what);
            if (d.size() == null) {
                assertEquals("no-data", s.get("state"), what);
            } else {
                assertEquals(d.className(), s.get("class"), what);
            }
        }
    }

    @Test
    void showTextOfAnUnreadableRecord() {
        Cli r = Cli.run("show", "--pickle", TestData.path("corrupt-pickle", "Data.fs").toString(), "7");
        assertEquals(0, r.exit(), r.toString());
        List<String> lines = r.lines();
        assertEquals(List.of("oid: main:0x07 (7, 0000000000000007)", "class: corpusapp.Item", "state: unreadable",
                "problem: the pickle cannot be parsed: invalid load key, '\\xff' at byte 211032",
                "tid: 0x03f58e0019999999 2024-01-01 00:00:06.000000",
                "transaction: tpos=166 status=' ' user=b'/ admin' description=b'initial content'", "pos: 210954",
                "size: 56", "backpointers: none", "references: 0",
                "pickle: positions count from byte 210996 of the file"), lines.subList(0, 11));
        // 210996 + 36 = 211032, the byte check-refs names
        assertTrue(lines.contains("ERROR: opcode b'\\xff' unknown at byte 36"), r.out());
    }

    @Test
    void showPickleOfADeletedOrNeverWrittenObjectSaysThereIsNone() {
        Cli r = Cli.run("show", "--pickle", TestData.path("dangling", "Data.fs").toString(), "0x92", "0x02");
        assertEquals(0, r.exit(), r.toString());
        assertTrue(r.lines().contains("pickle: none (no-data: the current record has no data to disassemble)"),
                r.out());
        assertTrue(r.lines().contains("pickle: none (no-record: no record of this oid in the file)"),
                r.out());
    }

    @Test
    void showHistoryListsEveryRevisionWithBackpointers() {
        Cli r = Cli.run("show", "--history", TestData.path("undo", "Data.fs").toString(), "0x02");
        List<String> history = r.lines().stream().filter(l -> l.startsWith("  tid=")).toList();
        List<String> fsdump = new ArrayList<>();
        try {
            for (String l : Files.readAllLines(TestData.path("undo", "expected", "fsdump.stdout"))) {
                if (l.contains("oid=0000000000000002")) {
                    fsdump.add(l);
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        assertEquals(fsdump.size(), history.size(), r.out());
        assertTrue(history.get(history.size() - 1).contains(" current "), r.out());
        assertEquals(fsdump.stream().filter(l -> l.contains(" bp=")).count(),
                history.stream().filter(l -> l.contains(" backpointer=")).count(), r.out());
    }

    /** The chains to every oid a case's truth lists as the target of a dangling reference. */
    @ParameterizedTest
    @ValueSource(strings = {"dangling", "multidb", "py2-proto3", "py2-proto1", "weakrefs", "garbage"})
    @SuppressWarnings("unchecked")
    void pathsEndAtEveryTruthReferrer(String name) throws IOException {
        Map<String, Set<String>> expected = new LinkedHashMap<>();
        for (Object o : (List<Object>) InspectTest.truth(name).get("dangling_references")) {
            Map<String, Object> r = (Map<String, Object>) o;
            expected.computeIfAbsent(InspectTest.norm((String) r.get("target")), k -> new TreeSet<>())
                    .add(InspectTest.norm((String) r.get("source")) + (Boolean.TRUE.equals(
                            r.get("source_reachable_from_root")) ? " from root" : " from garbage"));
        }
        for (Map.Entry<String, Set<String>> e : expected.entrySet()) {
            Cli r = InspectTest.run("path", name, e.getKey());
            assertEquals(0, r.exit(), r.toString());
            Set<String> got = new TreeSet<>();
            for (Map<String, Object> chain : r.json()) {
                List<Object> hops = (List<Object>) chain.get("hops");
                Map<String, Object> last = (Map<String, Object>) hops.get(hops.size() - 1);
                Map<String, Object> referrer = (Map<String, Object>) hops.get(hops.size() - 2);
                assertEquals(e.getKey(), last.get("db") + ":" + last.get("oid"));
                got.add(referrer.get("db") + ":" + referrer.get("oid")
                        + (Boolean.TRUE.equals(chain.get("from_root")) ? " from root" : " from garbage"));
                Map<String, Object> first = (Map<String, Object>) hops.get(0);
                if (Boolean.TRUE.equals(chain.get("from_root"))) {
                    assertEquals("0x00", first.get("oid"), r.out());
                }
            }
            assertEquals(e.getValue(), got, name + " " + e.getKey());
        }
    }

    @Test
    void danglingPathsNameTheAttributesAndKeys() {
        Cli r = Cli.run("path", TestData.path("dangling", "Data.fs").toString(), "0x150", "0x2", "0x14b", "0x92",
                "0x0a");
        assertEquals(0, r.exit(), r.toString());
        List<String> heads = r.lines().stream().filter(l -> !l.startsWith("  ")).toList();
        assertEquals(List.of(
                "main:0x0150 root['app'] -> Folder['item7'] -> Item.link",
                "main:0x02 root['app'] -> Folder['item6'] -> Item.see_also",
                "main:0x014b root['app'] -> Folder['item5']",
                "main:0x014b root['app'] -> Folder['item3'] -> Item.related[1]",
                "main:0x92 root['tree'] -> IOBTree child 5 (keys >= 150) -> IOBucket[150]",
                "main:0x0a main:0x06 Folder.data['g1'] -> Item.ref"), heads);
        int at = r.lines().indexOf("main:0x92 root['tree'] -> IOBTree child 5 (keys >= 150) -> IOBucket[150]");
        assertEquals(List.of(
                "  main:0x00 persistent.mapping.PersistentMapping reachable root",
                "  main:0x04 BTrees.IOBTree.IOBTree reachable ['tree']",
                "  main:0x16 BTrees.IOBTree.IOBucket reachable child 5 (keys >= 150)",
                "  main:0x92 corpusapp.Item no-data [150]"), r.lines().subList(at + 1, at + 5));
    }

    /** garbage: 0x9e and 0x9f refer to each other and nothing else refers to them. */
    @Test
    void pathToGarbageInACycleDoesNotComeBackThroughTheTarget() {
        Cli r = Cli.run("path", TestData.path("garbage", "Data.fs").toString(), "0x9e", "0x6f");
        assertEquals(0, r.exit(), r.toString());
        assertEquals(List.of("main:0x9e main:0x9f Item.other",
                "  main:0x9f corpusapp.Item garbage (no root reaches it; only objects below it refer to it:"
                        + " a cycle of garbage)",
                "  main:0x9e corpusapp.Item garbage .other",
                "main:0x6f main:0x6f Folder",
                "  main:0x6f corpusapp.Folder garbage (no root reaches it; nothing above it)"), r.lines());
        Cli json = InspectTest.run("path", "garbage", "0x9e");
        assertEquals(Boolean.TRUE, json.json().get(0).get("cycle"), json.out());
        assertEquals(Boolean.FALSE, json.json().get(0).get("from_root"), json.out());
    }

    @Test
    void pathAcrossDatabasesAndToAReachableObject() {
        Cli x = InspectTest.run("path", "multidb", "catalog:0x03");
        assertEquals("root['content'] -> Folder['doc2'] -> Item.catalog_entry", x.json().get(0).get("expression"));
        Cli ok = Cli.run("path", TestData.path("dangling", "Data.fs").toString(), "0x16");
        assertEquals(List.of("main:0x16 root['tree'] -> IOBTree child 5 (keys >= 150)",
                "  main:0x00 persistent.mapping.PersistentMapping reachable root",
                "  main:0x04 BTrees.IOBTree.IOBTree reachable ['tree']",
                "  main:0x16 BTrees.IOBTree.IOBucket reachable child 5 (keys >= 150)"), ok.lines());
    }
}
