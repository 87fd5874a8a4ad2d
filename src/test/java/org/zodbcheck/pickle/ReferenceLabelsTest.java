package org.zodbcheck.pickle;

import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.zodbcheck.filestorage.DataHeader;
import org.zodbcheck.filestorage.FileStorageReader;
import org.zodbcheck.filestorage.StorageFile;
import org.zodbcheck.pickle.ReferenceLabels.Keys;
import org.zodbcheck.pickle.ReferenceLabels.Labeled;
import org.zodbcheck.testing.TestData;

/**
 * {@link ReferenceLabels} and {@link PickleDecoder}: labels on the real databases of
 * {@code testdata/} (written by ZODB), one test per label rule on hand-built pickles, key
 * rendering, agreement with {@link PickleScanner} on every record, and safety on damaged input.
 */
class ReferenceLabelsTest {

    // ------------------------------------------------------------------ helpers

    /** The current records of a Data.fs: oid → data (backpointers followed; null = no data). */
    static Map<Long, byte[]> current(Path path) throws Exception {
        Map<Long, Long> pos = new LinkedHashMap<>();
        try (StorageFile f = StorageFile.open(path)) {
            FileStorageReader r = new FileStorageReader(f, p -> { });
            while (r.nextTransaction() != null) {
                Map<Long, Long> txn = new LinkedHashMap<>();
                while (r.nextRecord()) {
                    txn.put(r.oid(), r.pos());
                }
                if (r.transactionValid()) {
                    pos.putAll(txn); // later revisions win, as in ZODB's index
                }
            }
            Map<Long, byte[]> out = new TreeMap<>(Long::compareUnsigned);
            for (Map.Entry<Long, Long> e : pos.entrySet()) {
                out.put(e.getKey(), data(f, e.getValue(), r.goodEnd()));
            }
            return out;
        }
    }

    private static byte[] data(StorageFile f, long pos, long limit) throws Exception {
        long p = pos;
        for (int hops = 0; hops < 100; hops++) {
            DataHeader h = f.readDataHeader(p, limit);
            if (h.plen() > 0) {
                return f.read(h.dataPos(), (int) h.plen());
            }
            if (h.back() <= 0) {
                return null;
            }
            p = h.back();
        }
        return null;
    }

    static Map<Long, byte[]> db(String first, String... more) throws Exception {
        return current(TestData.path(first, more));
    }

    static List<Labeled> labels(byte[] rec) {
        return ReferenceLabels.of(rec, 0, rec.length);
    }

    static List<Labeled> labels(Map<Long, byte[]> db, long oid) {
        byte[] rec = db.get(oid);
        assertNotNull(rec, "no data for oid 0x" + Long.toHexString(oid));
        return labels(rec);
    }

    /** {@code 0xOID label} per reference: what most assertions compare. */
    static List<String> brief(List<Labeled> refs) {
        return refs.stream().map(r -> "0x" + Long.toHexString(r.oid()) + " " + r.label()).toList();
    }

    /** The oid referenced under {@code label} by {@code referrer}. */
    static long target(Map<Long, byte[]> db, long referrer, String label) {
        return labels(db, referrer).stream().filter(r -> r.label().equals(label)).findFirst()
                .orElseThrow(() -> new AssertionError("no " + label + " in 0x" + Long.toHexString(referrer)))
                .oid();
    }

    /** What the scanner reports, in the shape of {@link Labeled} without the label. */
    static List<String> scanned(byte[] rec) {
        List<String> out = new ArrayList<>();
        new PickleScanner().scan(rec, 0, rec.length, p -> out.add(key(p.form(), p.oid(), p.database(), p.klass())));
        return out;
    }

    static List<String> decoded(byte[] rec) {
        return labels(rec).stream().map(r -> key(r.form(), r.oid(), r.database(), r.klass())).toList();
    }

    static String key(RefForm form, long oid, String db, String klass) {
        return form.label() + " 0x" + Long.toHexString(oid) + " db=" + db + " klass=" + klass;
    }

    static List<Path> allDataFs() throws Exception {
        return TestData.storages();
    }

    // ------------------------------------------------------------------ a tiny pickle writer

    /** Writes pickle opcodes; {@code ref(oid, memo)} is ZODB's {@code (oid, klass)} id with the class from the memo. */
    static final class Pk {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();

        Pk op(int... bytes) {
            for (int b : bytes) {
                out.write(b);
            }
            return this;
        }

        Pk raw(byte[] b) {
            out.writeBytes(b);
            return this;
        }

        Pk proto(int n) {
            return op(0x80, n);
        }

        Pk global(String module, String name) {
            return op('c').raw((module + "\n" + name + "\n").getBytes(UTF_8));
        }

        /** The class pickle of a record: {@code PROTO 3, GLOBAL, BINPUT 0, STOP}, then the state's PROTO. */
        static Pk record(String module, String name) {
            return new Pk().proto(3).global(module, name).put(0).stop().proto(3);
        }

        Pk put(int i) {
            return op('q', i);
        }

        Pk get(int i) {
            return op('h', i);
        }

        Pk stop() {
            return op('.');
        }

        Pk mark() {
            return op('(');
        }

        Pk str(String s) {
            byte[] b = s.getBytes(UTF_8);
            op('X', b.length, 0, 0, 0);
            return raw(b);
        }

        /** A Python 2 {@code str}: SHORT_BINSTRING. */
        Pk py2(String latin1) {
            byte[] b = latin1.getBytes(ISO_8859_1);
            return op('U', b.length).raw(b);
        }

        Pk bytes(byte[] b) {
            return op('C', b.length).raw(b);
        }

        Pk oid(long oid) {
            return bytes(be(oid));
        }

        /** An oid as Python 2 pickles it: a py2 str. */
        Pk oidU(long oid) {
            return op('U', 8).raw(be(oid));
        }

        Pk int1(int k) {
            return op('K', k);
        }

        Pk ref(long oid, int classMemo) {
            return oid(oid).get(classMemo).op(0x86, 'Q');
        }

        Pk dict() {
            return op('}');
        }

        Pk list() {
            return op(']');
        }

        Pk setitems() {
            return op('u');
        }

        Pk appends() {
            return op('e');
        }

        Pk tuple() {
            return op('t');
        }

        byte[] bytes() {
            return out.toByteArray();
        }
    }

    static byte[] be(long oid) {
        byte[] b = new byte[8];
        for (int i = 0; i < 8; i++) {
            b[i] = (byte) (oid >>> (56 - 8 * i));
        }
        return b;
    }

    /** Labels of a hand-built record, as {@code 0xOID label}. */
    static List<String> brief(Pk record) {
        return brief(labels(record.bytes()));
    }

    // ------------------------------------------------------------------ the dangling case, from ZODB

    @Test
    void danglingRootAndFolder() throws Exception {
        Map<Long, byte[]> db = db("dangling", "Data.fs");
        assertEquals(List.of("0x3 ['app']", "0x4 ['tree']", "0x5 ['tree2']", "0x7 ['staging']"), brief(labels(db, 0)));
        // root['app'] is the Folder (a PersistentMapping subclass) whose item5 was deleted
        List<Labeled> app = labels(db, 0x3);
        assertEquals(10, app.size());
        assertEquals(new Labeled(RefForm.OID_KLASS, 0x14b, null, "corpusapp.Item", "['item5']"), app.get(5));
        for (int i = 0; i < 10; i++) {
            assertEquals("['item" + i + "']", app.get(i).label());
            assertEquals(0x146 + i, app.get(i).oid());
        }
    }

    @Test
    void danglingItems() throws Exception {
        Map<Long, byte[]> db = db("dangling", "Data.fs");
        long item3 = target(db, 0x3, "['item3']");
        long item6 = target(db, 0x3, "['item6']");
        long item7 = target(db, 0x3, "['item7']");
        assertEquals(List.of(0x149L, 0x14cL, 0x14dL), List.of(item3, item6, item7));
        // the record's class comes from the memo of the class pickle (BINGET 0 in the state pickle)
        assertEquals(List.of(new Labeled(RefForm.OID_KLASS, 0x150, null, "corpusapp.Item", ".link")), labels(db, item7));
        assertEquals(List.of(new Labeled(RefForm.OID_KLASS, 0x2, null, "corpusapp.Item", ".see_also")), labels(db, item6));
        assertEquals(List.of("0x14a .related[0]", "0x14b .related[1]"), brief(labels(db, item3)));
        assertEquals("corpusapp.Item", ReferenceLabels.className(db.get(item3), 0, db.get(item3).length));
        // the garbage Items refer to 0xa (deleted) and 0x1 (never written)
        assertEquals(List.of("0xa .ref"), brief(labels(db, 0x8)));
        assertEquals(List.of("0x1 .ref"), brief(labels(db, 0x9)));
        // the garbage Folder has a title besides its data: no longer only a mapping
        assertEquals(List.of("0x8 .data['g1']", "0x9 .data['g2']"), brief(labels(db, 0x6)));
    }

    @Test
    void danglingTrees() throws Exception {
        Map<Long, byte[]> db = db("dangling", "Data.fs");
        // root['tree'] (IOBTree 0x4) → its sixth bucket 0x16 holds the deleted value 0x92 under key 150
        assertEquals(List.of("0x11 child 0 (keys < 30)", "0x12 child 1 (keys >= 30)", "0x13 child 2 (keys >= 60)",
                "0x14 child 3 (keys >= 90)", "0x15 child 4 (keys >= 120)", "0x16 child 5 (keys >= 150)",
                "0x17 child 6 (keys >= 180)", "0x18 child 7 (keys >= 210)", "0x19 child 8 (keys >= 240)",
                "0x11 first bucket"), brief(labels(db, 0x4)));
        List<Labeled> bucket = labels(db, 0x16);
        assertEquals(new Labeled(RefForm.OID_KLASS, 0x92, null, "corpusapp.Item", "[150]"), bucket.get(0));
        assertEquals("0x17 next bucket", brief(bucket).get(bucket.size() - 1));
        for (int i = 0; i < bucket.size() - 1; i++) {
            assertEquals("0x" + Long.toHexString(0x92 + i) + " [" + (150 + i) + "]", brief(bucket).get(i));
        }
        // root['tree2'] (IOBTree 0x5) of strings: its deleted bucket 0xc is child 1 and 0xb's next bucket
        assertEquals("0xc child 1 (keys >= 30)", brief(labels(db, 0x5)).get(1));
        assertEquals(List.of("0xc next bucket"), brief(labels(db, 0xb)));
        assertEquals(List.of(), labels(db, 0x10)); // the last bucket has no next bucket and string values
    }

    // ------------------------------------------------------------------ other real databases

    @Test
    void pythonTwoProtocol1() throws Exception {
        // ZODB 5.2 on Python 2: no PROTO, oids and attribute names are py2 str (SHORT_BINSTRING)
        Map<Long, byte[]> db = db("py2-proto1", "Data.fs");
        assertEquals(List.of("0x1 ['oo']", "0x2 ['settings']", "0x3 ['tree']", "0x4 ['app']", "0x5 ['list']",
                "0x6 ['holder']"), brief(labels(db, 0)));
        // the app Folder has attributes besides its data, so its items show as .data[...]
        long doc130 = target(db, 0x4, ".data['doc130']");
        assertEquals(0x51, doc130); // deleted
        long doc140 = target(db, 0x4, ".data['doc140']");
        assertEquals(List.of(new Labeled(RefForm.OID_KLASS, 0x18e, null, "corpusapp.Item", ".see_also")),
                labels(db, doc140));
        assertEquals("0xa3 child 5 (keys >= 150)", brief(labels(db, 0x3)).get(5));
        assertEquals("0xa4 [150]", brief(labels(db, 0xa3)).get(0)); // deleted
    }

    @Test
    void pythonTwoProtocol3LatinKeys() throws Exception {
        Map<Long, byte[]> db = db("py2-proto3", "Data.fs");
        assertEquals(List.of("0x1 ['oo']", "0x2 ['settings']", "0x3 ['tree']"), brief(labels(db, 0)).subList(0, 3));
        List<String> oo = brief(labels(db, 0x1));
        assertTrue(oo.contains("0x190 child 34 (keys >= 'k\\xe9y-0010-\\xff')"), oo.toString());
        assertEquals("0x16e first bucket", oo.get(oo.size() - 1));
        // holder.na is a bare-oid reference (class with __getnewargs__), holder.wref a WeakRef
        assertEquals(List.of("oid 0x7 .na", "w 0x8 .wref"), labels(db, 0x6).stream()
                .map(r -> r.form().label() + " 0x" + Long.toHexString(r.oid()) + " " + r.label()).toList());
    }

    @Test
    void multiDatabase() throws Exception {
        Map<Long, byte[]> main = db("multidb", "main", "Data.fs");
        assertEquals(List.of(new Labeled(RefForm.MULTI, 0x2, "catalog", "corpusapp.Item", ".catalog_entry")),
                labels(main, 0x3));
        assertEquals(List.of(new Labeled(RefForm.NAMED, 0x5, "catalog", null, ".newargs")), labels(main, 0x5));
        assertEquals(List.of(new Labeled(RefForm.WEAK, 0x2, "catalog", null, ".wref")), labels(main, 0x6));
        Map<Long, byte[]> catalog = db("multidb", "catalog", "Data.fs");
        // an OOBTree small enough to keep its only bucket inline: keys label the 'm' references
        List<Labeled> index = labels(catalog, 0x1);
        assertEquals(30, index.size());
        assertEquals(new Labeled(RefForm.MULTI, 0x2, "main", "corpusapp.Item", "['doc0']"), index.get(0));
        assertEquals("0x4 ['doc2']", brief(index).get(12));
    }

    @Test
    void weakReferences() throws Exception {
        Map<Long, byte[]> db = db("weakrefs", "Data.fs");
        assertEquals(List.of("0x1 .wref", "0x9 .wref_only", "0x3 .wref_doomed"), brief(labels(db, 0x2)));
        // PersistentWeakKeyDictionary: {'data': [(WeakRef, value), ...]}: the weak references are keys
        assertEquals(List.of("0x6 key", "0x7 key", "0x8 key"), brief(labels(db, 0x4)));
        assertEquals(List.of("0x6 [0]", "0x7 [1]", "0x8 [2]"), brief(labels(db, 0x5))); // a PersistentList
    }

    @Test
    void persistentClassInstance() throws Exception {
        Map<Long, byte[]> db = db("refs-py3", "Data.fs");
        assertEquals(List.of(new Labeled(RefForm.OID, 0x4, null, null, "class")), labels(db, 0x5));
        assertEquals("persistent-class:0x04", ReferenceLabels.className(db.get(0x5L), 0, db.get(0x5L).length));
    }

    /** The references equal the scanner's on every current record of every database in testdata/. */
    @TestFactory
    Stream<DynamicTest> sameReferencesAsTheScanner() throws Exception {
        return allDataFs().stream().map(path -> DynamicTest.dynamicTest(TestData.root().relativize(path).toString(), () -> {
            Map<Long, byte[]> db = current(path);
            int compared = 0;
            for (Map.Entry<Long, byte[]> e : db.entrySet()) {
                byte[] rec = e.getValue();
                if (rec == null) {
                    continue;
                }
                assertEquals(scanned(rec), decoded(rec), "oid 0x" + Long.toHexString(e.getKey()));
                PickleScanner s = new PickleScanner();
                s.scan(rec, 0, rec.length, ReferenceSink.NONE);
                assertEquals(s.className(), ReferenceLabels.className(rec, 0, rec.length));
                compared++;
            }
            assertTrue(compared > 0, "no records in " + path);
        }));
    }

    /** Labels over whole databases: ZODB never writes anything the walk cannot reach. */
    @Test
    void everyReferenceOfCleanDatabasesIsLabelled() throws Exception {
        for (String name : List.of("clean", "dangling", "py2-proto1", "py2-proto2", "py2-proto3", "weakrefs",
                "refs-py3", "garbage", "oidonly", "undo")) {
            int n = 0;
            for (Map.Entry<Long, byte[]> e : db(name, "Data.fs").entrySet()) {
                if (e.getValue() == null) {
                    continue;
                }
                for (Labeled l : labels(e.getValue())) {
                    assertFalse(l.label().equals(ReferenceLabels.UNREACHED) || l.label().isEmpty(),
                            name + " 0x" + Long.toHexString(e.getKey()) + ": " + l);
                    n++;
                }
            }
            assertTrue(n > 0, name);
        }
    }

    // ------------------------------------------------------------------ label rules, hand-built

    @Test
    void instanceAttributes() {
        // {'link': r1, 'related': [r2, r3], 'by_name': {'a': r4}, 'pair': (1, r5), 'odd-name': r6}
        Pk p = Pk.record("app", "Item").dict().put(1).mark()
                .str("link").ref(1, 0)
                .str("related").list().mark().ref(2, 0).ref(3, 0).appends()
                .str("by_name").dict().mark().str("a").ref(4, 0).setitems()
                .str("pair").int1(1).ref(5, 0).op(0x86)
                .str("odd-name").ref(6, 0)
                .setitems().stop();
        assertEquals(List.of("0x1 .link", "0x2 .related[0]", "0x3 .related[1]", "0x4 .by_name['a']",
                "0x5 .pair[1]", "0x6 .'odd-name'"), brief(p));
    }

    @Test
    void subObjectsSetsAndSlots() {
        // .address: a non-persistent Address (NEWOBJ + BUILD with a dict state);
        // .tags: set([r2]) as protocols 0-2 pickle sets; .slots: an object with (None, slots) state
        Pk p = Pk.record("app", "Item").dict().mark()
                .str("address").global("app", "Address").op(')', 0x81).dict().str("home").ref(1, 0).op('s', 'b')
                .str("tags").global("builtins", "set").list().ref(2, 0).op('a', 0x85, 'R')
                .str("slots").global("app", "Slotted").op(')', 0x81).op('N').dict().str("s").ref(3, 0).op('s', 0x86, 'b')
                .str("od").global("collections", "OrderedDict").op(')', 'R').mark().str("k").ref(4, 0).setitems()
                .str("frozen").op(0x8f).mark().ref(5, 0).op(0x90)
                .setitems().stop();
        assertEquals(List.of("0x1 .address.home", "0x2 .tags{#0}", "0x3 .slots.s", "0x4 .od['k']", "0x5 .frozen{#0}"),
                brief(p));
    }

    @Test
    void slotsStateOfThePersistentObject() {
        // ({'a': r1}, {'b': r2}): a persistent class with __slots__ pickles both dicts
        Pk p = Pk.record("app", "Slotted").dict().str("a").ref(1, 0).op('s')
                .dict().str("b").ref(2, 0).op('s', 0x86).stop();
        assertEquals(List.of("0x1 .a", "0x2 .b"), brief(p));
    }

    @Test
    void persistentMappingAndDict() {
        Pk mapping = Pk.record("persistent.mapping", "PersistentMapping").dict().mark().str("data").dict().mark()
                .str("app").ref(1, 0).str("x y").ref(2, 0).setitems().str("title").ref(3, 0).setitems().stop();
        assertEquals(List.of("0x1 ['app']", "0x2 ['x y']", "0x3 .title"), brief(mapping));
        Pk dict = Pk.record("persistent.dict", "PersistentDict").dict().str("_container").dict()
                .int1(7).ref(1, 0).op('s', 's').stop();
        assertEquals(List.of("0x1 [7]"), brief(dict));
        // Zope 2's Persistence.mapping.PersistentMapping on Python 2: protocol 1, py2 str keys, memo from 1
        byte[] py2 = new Pk().global("Persistence.mapping", "PersistentMapping").put(1).stop()
                .dict().put(2).py2("data").dict().mark().py2("caf\u00e9").oidU(5).get(1).op(0x86, 'Q')
                .setitems().op('s').stop().bytes();
        assertEquals(List.of(new Labeled(RefForm.OID_KLASS, 5, null, "Persistence.mapping.PersistentMapping",
                "['caf\\xe9']")), labels(py2));
        // a subclass whose state is only the mapping's data (application folders)
        Pk folder = Pk.record("app", "Folder").dict().str("data").dict().str("doc").ref(1, 0).op('s', 's').stop();
        assertEquals(List.of("0x1 ['doc']"), brief(folder));
    }

    @Test
    void persistentList() {
        Pk p = Pk.record("persistent.list", "PersistentList").dict().str("data").list().mark()
                .ref(1, 0).int1(3).ref(2, 0).appends().op('s').stop();
        assertEquals(List.of("0x1 [0]", "0x2 [2]"), brief(p));
        // only the known list classes: another object whose only attribute is a list keeps the name
        Pk other = Pk.record("app", "Queue").dict().str("data").list().ref(1, 0).op('a', 's').stop();
        assertEquals(List.of("0x1 .data[0]"), brief(other));
    }

    @Test
    void btreeBucketsAndSets() {
        Pk bucket = Pk.record("BTrees.OOBTree", "OOBucket").mark()
                .str("a").ref(1, 0).str("it's").ref(2, 0).ref(3, 0).int1(5).tuple().ref(4, 0).op(0x86).stop();
        assertEquals(List.of("0x1 ['a']", "0x2 [\"it's\"]", "0x3 key", "0x4 next bucket"), brief(bucket));
        Pk set = Pk.record("BTrees.OOBTree", "OOSet").mark().ref(1, 0).ref(2, 0).tuple().op(0x85).stop();
        assertEquals(List.of("0x1 item", "0x2 item"), brief(set));
        Pk length = Pk.record("BTrees.Length", "Length").int1(3).stop();
        assertEquals(List.of(), brief(length));
    }

    @Test
    void btreeTrees() {
        Pk tree = Pk.record("BTrees.OOBTree", "OOBTree").mark()
                .ref(1, 0).str("k1").ref(2, 0).str("k2").ref(3, 0).tuple().ref(1, 0).op(0x86).stop();
        assertEquals(List.of("0x1 child 0 (keys < 'k1')", "0x2 child 1 (keys >= 'k1')", "0x3 child 2 (keys >= 'k2')",
                "0x1 first bucket"), brief(tree));
        Pk single = Pk.record("BTrees.OOBTree", "OOTreeSet").ref(1, 0).op(0x85).ref(1, 0).op(0x86).stop();
        assertEquals(List.of("0x1 child 0", "0x1 first bucket"), brief(single));
        // one bucket without an oid is kept inline: ((((k, v, ...),),),)
        Pk inline = Pk.record("BTrees.OLBTree", "OLBTree").mark().str("a").ref(1, 0).str("b").int1(2).tuple()
                .op(0x85, 0x85, 0x85).stop();
        assertEquals(List.of("0x1 ['a']"), brief(inline));
        Pk empty = Pk.record("BTrees.OOBTree", "OOBTree").op('N').stop();
        assertEquals(List.of(), brief(empty));
    }

    @Test
    void classPickleAndIdsInsideIds() {
        // an instance of a persistent class: the class pickle is a reference (bare oid)
        byte[] pclass = new Pk().proto(3).oid(4).op('Q').put(0).stop().proto(3).dict().str("x").ref(1, 0).op('s')
                .stop().bytes();
        assertEquals(List.of(new Labeled(RefForm.OID, 4, null, null, "class"),
                new Labeled(RefForm.OID_KLASS, 1, null, "persistent-class:0x04", ".x")), labels(pclass));
        // a ZClass-era id whose class is itself a reference
        Pk zclass = Pk.record("app", "Item").dict().str("x").oid(2).oid(9).op('Q', 0x86, 'Q', 's').stop();
        assertEquals(List.of(new Labeled(RefForm.OID, 9, null, null, ".x class"),
                new Labeled(RefForm.OID_KLASS, 2, null, "persistent-class:0x09", ".x")), labels(zclass.bytes()));
    }

    @Test
    void genericPaths() {
        // a __getstate__ that returns a tuple: (r1, {'x': r2, 3: r3})
        Pk p = Pk.record("app", "Custom").ref(1, 0).dict().mark().str("x").ref(2, 0).int1(3).ref(3, 0).setitems()
                .op(0x86).stop();
        assertEquals(List.of("0x1 [0]", "0x2 [1]['x']", "0x3 [1][3]"), brief(p));
        Pk whole = Pk.record("app", "Custom").ref(1, 0).stop();
        assertEquals(List.of("0x1 (state)"), brief(whole));
        // a persistent object used as a dict key, and a call argument
        Pk key = Pk.record("app", "Item").dict().mark().str("index").dict().ref(1, 0).int1(1).op('s')
                .str("when").global("app", "Stamp").ref(2, 0).op(0x85, 'R').setitems().stop();
        assertEquals(List.of("0x1 .index key", "0x2 .when(arg 0)"), brief(key));
    }

    @Test
    void crossDatabaseAndWeakFormsFromPythonTwo() {
        // Python 2 pids: the tags and database names are py2 str (SHORT_BINSTRING)
        Pk p = Pk.record("app", "Item").dict().mark()
                .str("m").list().mark().py2("m").py2("other").oid(3).get(0).op(0x87).appends().op('Q')
                .str("w").list().mark().py2("w").oid(4).op(0x85).appends().op('Q')
                .str("old").list().oid(5).op('a', 'Q')
                .setitems().stop();
        assertEquals(List.of(new Labeled(RefForm.MULTI, 3, "other", "app.Item", ".m"),
                new Labeled(RefForm.WEAK, 4, null, null, ".w"), new Labeled(RefForm.LIST, 5, null, null, ".old")),
                labels(p.bytes()));
    }

    /** The same record pickled by Python with each protocol 0-5 (src/test/resources/labels/protocols.txt). */
    static Map<Integer, byte[]> protocols() throws Exception {
        Map<Integer, byte[]> out = new TreeMap<>();
        try (var in = ReferenceLabelsTest.class.getResourceAsStream("/labels/protocols.txt")) {
            for (String line : new String(in.readAllBytes(), UTF_8).split("\n")) {
                if (!line.isBlank() && !line.startsWith("#")) {
                    String[] f = line.trim().split(" ");
                    out.put(Integer.parseInt(f[0]), HexFormat.of().parseHex(f[1]));
                }
            }
        }
        return out;
    }

    @Test
    void everyProtocolGivesTheSameLabels() throws Exception {
        Map<Integer, byte[]> records = protocols();
        assertEquals(6, records.size());
        for (Map.Entry<Integer, byte[]> e : records.entrySet()) {
            byte[] rec = e.getValue();
            List<Labeled> refs = labels(rec);
            assertEquals(List.of(".link", ".related[0]", ".related[1]", ".address.home", ".tags{#0}", ".by_key['k']",
                    ".pair[1]"), refs.stream().map(Labeled::label).toList(), "protocol " + e.getKey());
            assertEquals(scanned(rec), decoded(rec));
            assertEquals("app.Item", ReferenceLabels.className(rec, 0, rec.length));
            for (int i = 0; i < refs.size(); i++) {
                // protocol 0 has only PERSID text ids: '00000001' read as an 8-byte oid
                long oid = e.getKey() == 0 ? 0x3030303030303031L + i : i + 1;
                RefForm form = e.getKey() == 0 ? RefForm.OID : RefForm.OID_KLASS;
                assertEquals(new Labeled(form, oid, null, e.getKey() == 0 ? null : "app.Item", refs.get(i).label()),
                        refs.get(i));
            }
        }
    }

    @Test
    void decoderSharesTheMemoAcrossPickles() throws Exception {
        byte[] rec = protocols().get(4); // FRAME, SHORT_BINUNICODE, MEMOIZE, STACK_GLOBAL, EMPTY_SET, ADDITEMS
        PickleDecoder.Result r = PickleDecoder.decode(rec, 0, rec.length);
        assertNull(r.error());
        assertEquals(new PickleValue.Global("app", "Item"), r.classMeta());
        PickleValue.Dict state = (PickleValue.Dict) r.state();
        Map<String, PickleValue> attrs = new LinkedHashMap<>();
        state.entries().forEach(e -> attrs.put(((PickleValue.Str) e.getKey()).text(), e.getValue()));
        assertEquals(List.of("link", "related", "address", "tags", "by_key", "pair", "again"), List.copyOf(attrs.keySet()));
        // 'again' is a memo GET of the 'related' list: the same container, not a copy
        assertTrue(attrs.get("again") == attrs.get("related"));
        // the state pickle's ids name their class through the class pickle's memo: the same Global
        PickleValue.Persistent link = (PickleValue.Persistent) attrs.get("link");
        assertTrue(((PickleValue.Seq) link.pid()).items().get(1) == r.classMeta());
        assertEquals(1, link.pickle());
        PickleValue.Call address = (PickleValue.Call) attrs.get("address");
        assertEquals(new PickleValue.Global("app", "Address"), address.callable());
        assertTrue(address.state() instanceof PickleValue.Dict);
        assertEquals(PickleValue.SeqKind.SET, ((PickleValue.Seq) attrs.get("tags")).kind());
        assertEquals(7, r.references().size());
    }

    // ------------------------------------------------------------------ keys

    @Test
    void keysPrintAsPython3Repr() {
        assertEquals("'app'", Keys.strRepr("app"));
        assertEquals("\"it's\"", Keys.strRepr("it's"));
        assertEquals("'a\\'b\"'", Keys.strRepr("a'b\""));
        assertEquals("'a\\\\b\\n\\t\\x00\\x7f\\x85'", Keys.strRepr("a\\b\n\t\u0000\u007f\u0085"));
        assertEquals("'caf\u00e9 \u20ac \ud83d\ude00'", Keys.strRepr("caf\u00e9 \u20ac \ud83d\ude00"));
        assertEquals("'\\u200b\\u2028\\U000e0001\\ue000'", Keys.strRepr("\u200b\u2028\udb40\udc01\ue000"));
        assertEquals("'k\\xe9y'", Keys.bytesRepr("k\u00e9y".getBytes(ISO_8859_1)));
        Keys keys = new Keys(List.of());
        assertEquals("b'ab\\x00'", keys.repr(new PickleValue.Bytes(new byte[] {'a', 'b', 0}, false)));
        assertEquals("'ab'", keys.repr(new PickleValue.Bytes(new byte[] {'a', 'b'}, true)));
        assertEquals("('a', 1)", keys.repr(new PickleValue.Seq(PickleValue.SeqKind.TUPLE,
                List.of(new PickleValue.Str("a"), new PickleValue.Num("1")))));
        assertEquals("('a',)", keys.repr(new PickleValue.Seq(PickleValue.SeqKind.TUPLE, List.of(new PickleValue.Str("a")))));
        assertEquals("None", keys.repr(PickleValue.Const.NONE));
        String longKey = keys.repr(new PickleValue.Str("x".repeat(100)));
        assertEquals(60, longKey.length());
        assertEquals("'" + "x".repeat(56) + "...", longKey);
        PickleValue.Call call = new PickleValue.Call(new PickleValue.Global("copy_reg", "_reconstructor"),
                new PickleValue.Seq(PickleValue.SeqKind.TUPLE, List.of(new PickleValue.Global("datetime", "date"))), null);
        assertEquals("<datetime.date>", keys.repr(call));
        assertTrue(Keys.isIdentifier("see_also", true));
        assertTrue(Keys.isIdentifier("caf\u00e9", false));
        assertFalse(Keys.isIdentifier("caf\u00e9", true));
        assertFalse(Keys.isIdentifier("1st", false));
        assertFalse(Keys.isIdentifier("a-b", false));
    }

    @Test
    void numbersPrintAsPython3Repr() {
        assertEquals("1.5", PickleDecoder.Numbers.floatRepr(1.5));
        assertEquals("100.0", PickleDecoder.Numbers.floatRepr(100.0));
        assertEquals("1e+16", PickleDecoder.Numbers.floatRepr(1e16));
        assertEquals("1000000000000000.0", PickleDecoder.Numbers.floatRepr(1e15));
        assertEquals("0.0001", PickleDecoder.Numbers.floatRepr(1e-4));
        assertEquals("1e-05", PickleDecoder.Numbers.floatRepr(1e-5));
        assertEquals("-2.5e-300", PickleDecoder.Numbers.floatRepr(-2.5e-300));
        assertEquals("-0.0", PickleDecoder.Numbers.floatRepr(-0.0));
        // LONG1 of -129 and a key built from INT/LONG/BINFLOAT opcodes
        byte[] rec = Pk.record("BTrees.OOBTree", "OOBucket").mark()
                .op(0x8a, 2, 0x7f, 0xff).ref(1, 0)
                .op('L').raw("12345678901234567890L\n".getBytes(UTF_8)).ref(2, 0)
                .op('G').raw(new byte[] {0x3f, (byte) 0xf8, 0, 0, 0, 0, 0, 0}).ref(3, 0)
                .op('I').raw("01\n".getBytes(UTF_8)).ref(4, 0)
                .tuple().op(0x85).stop().bytes();
        assertEquals(List.of("0x1 [-129]", "0x2 [12345678901234567890]", "0x3 [1.5]", "0x4 [True]"), brief(labels(rec)));
    }

    // ------------------------------------------------------------------ safety

    @Test
    void selfReferencingContainersEnd() {
        // l = [r1]; l.append(l); state {'l': l}: the walk must not loop
        Pk p = Pk.record("app", "Item").dict().str("l").list().put(1).ref(1, 0).op('a').get(1).op('a', 's').stop();
        assertEquals(List.of("0x1 .l[0]"), brief(p));
        // a key that contains itself renders, cut short
        Pk key = Pk.record("BTrees.OOBTree", "OOBucket").mark().list().put(1).get(1).op('a').ref(1, 0).tuple()
                .op(0x85).stop();
        assertEquals(List.of("0x1 [[...]]"), brief(key));
    }

    @Test
    void deepNestingStopsDescending() {
        // 100000 nested lists with a reference at the bottom, and one at depth 10
        int depth = 100_000;
        Pk p = Pk.record("app", "Item").dict().str("deep");
        for (int i = 0; i < depth; i++) {
            p.list();
            if (i == 9) {
                p.ref(2, 0).op('a');
            }
        }
        p.ref(1, 0).op('a');
        for (int i = 0; i < depth - 1; i++) {
            p.op('a');
        }
        p.op('s').stop();
        List<Labeled> refs = labels(p.bytes());
        assertEquals(2, refs.size());
        assertEquals(".deep" + "[0]".repeat(10), refs.get(0).label());
        assertEquals(ReferenceLabels.UNREACHED, refs.get(1).label());
    }

    @Test
    void damagedRecordsKeepTheirReferences() {
        byte[] whole = Pk.record("app", "Item").dict().mark().str("a").ref(1, 0).str("b").ref(2, 0).setitems().stop()
                .bytes();
        byte[] cut = Arrays.copyOf(whole, whole.length - 2); // SETITEMS and STOP lost
        List<Labeled> refs = labels(cut);
        assertEquals(List.of("0x1 ?", "0x2 ?"), brief(refs));
        assertEquals(scanned(cut), decoded(cut));
        // item by item (SETITEM), what was set before the damage keeps its label
        byte[] setitem = Pk.record("app", "Item").dict().str("a").ref(1, 0).op('s').str("b").ref(2, 0).op('s').stop()
                .bytes();
        assertEquals(List.of("0x1 .a", "0x2 ?"), brief(labels(Arrays.copyOf(setitem, setitem.length - 2))));
        PickleDecoder.Result r = PickleDecoder.decode(cut, 0, cut.length);
        assertEquals("pickle data was truncated", r.error());
        assertNull(r.state());
        assertEquals(List.of(), ReferenceLabels.of(new byte[] {'.', 'z', 1, 2}, 0, 4));
        assertEquals(List.of(), ReferenceLabels.of(whole, 5, whole.length)); // a range past the array
        assertNull(ReferenceLabels.className(null, 0, 0));
        // a huge length field must not allocate anything
        byte[] huge = Pk.record("app", "Item").op('X', 0xff, 0xff, 0xff, 0x7f).bytes();
        assertEquals("pickle data was truncated", PickleDecoder.decode(huge, 0, huge.length).error());
        byte[] hugeLong = Pk.record("app", "Item").op(0x8e).raw(new byte[] {-1, -1, -1, -1, -1, -1, -1, 0x7f}).bytes();
        assertNotNull(PickleDecoder.decode(hugeLong, 0, hugeLong.length).error());
    }

    /** Real records from several eras, cut after every byte: the references found are a prefix of the whole list. */
    @Test
    void everyPrefixOfRealRecords() throws Exception {
        List<byte[]> recs = List.of(db("dangling", "Data.fs").get(0L), db("dangling", "Data.fs").get(0x149L),
                db("dangling", "Data.fs").get(0x4L), db("py2-proto1", "Data.fs").get(0L),
                db("py2-proto3", "Data.fs").get(0x6L), db("multidb", "catalog", "Data.fs").get(0x1L),
                db("weakrefs", "Data.fs").get(0x4L));
        for (byte[] rec : recs) {
            List<Labeled> full = labels(rec);
            assertFalse(full.isEmpty());
            for (int n = 0; n <= rec.length; n++) {
                byte[] cut = Arrays.copyOf(rec, n);
                List<Labeled> part = labels(cut);
                assertEquals(scanned(cut), decoded(cut));
                assertTrue(part.size() <= full.size());
                for (int i = 0; i < part.size(); i++) {
                    Labeled a = part.get(i);
                    Labeled b = full.get(i);
                    assertEquals(b.oid(), a.oid());
                    assertTrue(a.label().equals(b.label()) || a.label().equals(ReferenceLabels.UNREACHED),
                            a.label() + " vs " + b.label());
                }
            }
        }
    }

    /** 10000 seeded random mutations of real records: no exception, and the same references as the scanner. */
    @Test
    void randomMutations() throws Exception {
        List<byte[]> recs = new ArrayList<>();
        for (String name : List.of("clean", "py2-proto1", "py2-proto3", "weakrefs", "refs-py3", "oidonly")) {
            db(name, "Data.fs").values().stream().filter(r -> r != null).forEach(recs::add);
        }
        db("multidb", "catalog", "Data.fs").values().stream().filter(r -> r != null).forEach(recs::add);
        Random rnd = new Random(20240104);
        for (int i = 0; i < 10_000; i++) {
            byte[] rec = mutate(recs.get(rnd.nextInt(recs.size())), rnd);
            List<Labeled> refs = labels(rec);
            assertEquals(scanned(rec), decoded(rec), () -> HexFormat.of().formatHex(rec));
            refs.forEach(l -> assertNotNull(l.label()));
            ReferenceLabels.className(rec, 0, rec.length);
        }
    }

    private static byte[] mutate(byte[] rec, Random rnd) {
        byte[] d = rec.clone();
        for (int k = 1 + rnd.nextInt(3); k > 0 && d.length > 0; k--) {
            int pos = rnd.nextInt(d.length);
            switch (rnd.nextInt(4)) {
                case 0 -> d[pos] = (byte) rnd.nextInt(256);
                case 1 -> d[pos] ^= (byte) (1 << rnd.nextInt(8));
                case 2 -> d = Arrays.copyOf(d, pos);
                default -> {
                    byte[] o = new byte[d.length - 1];
                    System.arraycopy(d, 0, o, 0, pos);
                    System.arraycopy(d, pos + 1, o, pos, d.length - pos - 1);
                    d = o;
                }
            }
        }
        return d;
    }
}
