package org.zodbcheck.fuzz;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;
import org.zodbcheck.pickle.PickleScanner;
import org.zodbcheck.testing.MiniJson;
import org.zodbcheck.testing.TestData;

/**
 * Planted references come back: {@link PickleScanner} finds exactly the persistent ids planted in
 * a record (form, oid, database, class, which pickle, in order), from two sources.
 *
 * <ul>
 *   <li>{@link #randomRecords}: records of every protocol 0-5 written by {@link RandomRecord}
 *       (seed {@code -Dzodbcheck.pickle.seed=N}, count {@code -Dzodbcheck.pickle.records=N});
 *       {@link #generatorAgreesWithCPython} checks with CPython's unpickler, when python3 is
 *       installed, that the generator writes what it claims.</li>
 *   <li>{@link #cpythonFixtures}: {@code testdata/pickles/*.bin}, written by CPython's own
 *       pickler with a {@code persistent_id} hook ({@code testdata/pickles/make.py}), against
 *       {@code testdata/pickles/expected.json}.</li>
 * </ul>
 */
class PickleScannerPropertyTest {
    static final long DEFAULT_SEED = 7_2024_11_24L;
    static final int DEFAULT_RECORDS = 6000;

    /** What the scanner reported, in the generator's terms. */
    static List<String> scan(PickleScanner s, byte[] buf, int off, int len, String[] error) {
        List<String> got = new ArrayList<>();
        boolean ok = s.scan(buf, off, len, pid -> got.add(new RandomRecord.Ref(pid.pickle(), pid.form().label(),
                pid.oid(), pid.database(), pid.klass()).key()));
        error[0] = ok ? null : s.error() + " at " + s.errorOffset();
        return got;
    }

    @Test
    void randomRecords() {
        long seed = Long.getLong("zodbcheck.pickle.seed", DEFAULT_SEED);
        int n = Integer.getInteger("zodbcheck.pickle.records", DEFAULT_RECORDS);
        PickleScanner reused = new PickleScanner();
        int refs = 0;
        int[] perProtocol = new int[6];
        for (int i = 0; i < n; i++) {
            long recSeed = seed + i;
            int proto = (int) Math.floorMod(recSeed, 6L);
            RandomRecord g = new RandomRecord(new Random(recSeed), proto);
            byte[] rec = g.build();
            String msg = "seed " + recSeed + " (replay: -Dzodbcheck.pickle.seed=" + recSeed
                    + " -Dzodbcheck.pickle.records=1), protocol " + proto + ": " + hex(rec);
            List<String> want = g.expected.stream().map(RandomRecord.Ref::key).toList();
            // alone with a fresh scanner, and embedded at an offset with a reused one
            String[] error = new String[1];
            assertEquals(want, scan(new PickleScanner(), rec, 0, rec.length, error), msg);
            assertEquals(null, error[0], msg);
            int off = i % 13;
            byte[] buf = new byte[off + rec.length + 5];
            Arrays.fill(buf, (byte) 0xff);
            System.arraycopy(rec, 0, buf, off, rec.length);
            assertEquals(want, scan(reused, buf, off, rec.length, error), msg);
            assertEquals(null, error[0], msg);
            assertEquals(g.className, reused.className(), msg);
            assertEquals(proto >= 2 ? proto : 0, reused.protocol(), msg);
            assertEquals(0, reused.trailing(), msg);
            refs += want.size();
            perProtocol[proto]++;
        }
        assertTrue(n < 100 || refs > n, "too few references planted: " + refs);
        for (int p = 0; p < 6 && n >= 6; p++) {
            assertTrue(perProtocol[p] > 0, "protocol " + p);
        }
    }

    // ------------------------------------------------------------------ CPython's pickler

    @TestFactory
    Stream<DynamicTest> cpythonFixtures() throws IOException {
        Path dir = TestData.path("pickles");
        Map<String, Object> expected = MiniJson.object(Files.readString(dir.resolve("expected.json")));
        assertTrue(expected.size() >= 40, "fixtures: " + expected.size());
        List<DynamicTest> tests = new ArrayList<>();
        for (Map.Entry<String, Object> e : expected.entrySet()) {
            tests.add(DynamicTest.dynamicTest(e.getKey(), () -> {
                byte[] rec = Files.readAllBytes(dir.resolve(e.getKey()));
                List<String> want = new ArrayList<>();
                for (Object o : (List<?>) e.getValue()) {
                    Map<?, ?> m = (Map<?, ?>) o;
                    want.add(((Long) m.get("pickle")).intValue() + " " + m.get("form") + " "
                            + Mutator.hex(Long.parseUnsignedLong(((String) m.get("oid")).substring(2), 16))
                            + " db=" + m.get("database") + " klass=" + m.get("klass"));
                }
                String[] error = new String[1];
                PickleScanner s = new PickleScanner();
                assertEquals(want, scan(s, rec, 0, rec.length, error), e.getKey() + ": " + hex(rec));
                assertEquals(null, error[0], e.getKey());
                assertEquals(0, s.trailing(), e.getKey());
            }));
        }
        return tests.stream();
    }

    // ------------------------------------------------------------------ the generator itself

    /**
     * CPython loads a sample of generated records (both pickles with one unpickler, as ZODB
     * does) and its {@code persistent_load} sees the persistent ids the generator planted. Skipped
     * without python3.
     */
    @Test
    void generatorAgreesWithCPython(@TempDir Path dir) throws Exception {
        assumeTrue(python() != null, "python3 is not installed");
        int n = 600;
        List<List<String>> want = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            long recSeed = DEFAULT_SEED + 1_000_000 + i;
            RandomRecord g = new RandomRecord(new Random(recSeed), i % 6);
            Files.write(dir.resolve(i + ".bin"), g.build());
            want.add(g.expected.stream().map(RandomRecord.Ref::key).toList());
        }
        Path script = dir.resolve("load.py");
        Files.writeString(script, LOADER);
        Process p = new ProcessBuilder(python(), script.toString(), dir.toString(), Integer.toString(n))
                .redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        List<String> lines = new String(out, StandardCharsets.UTF_8).lines().toList();
        assertEquals(0, p.exitValue(), String.join("\n", lines));
        assertEquals(n, lines.size(), String.join("\n", lines));
        for (int i = 0; i < n; i++) {
            List<?> got = (List<?>) MiniJson.parse(lines.get(i));
            assertEquals(want.get(i), got, "record " + i + " (seed " + (DEFAULT_SEED + 1_000_000 + i) + ", protocol "
                    + i % 6 + ")");
        }
    }

    private static String python() {
        for (String exe : new String[] {"python3", "python"}) {
            try {
                Process p = new ProcessBuilder(exe, "-c", "import sys; assert sys.version_info >= (3, 8)")
                        .redirectErrorStream(true).start();
                p.getInputStream().readAllBytes();
                if (p.waitFor(20, TimeUnit.SECONDS) && p.exitValue() == 0) {
                    return exe;
                }
            } catch (IOException | InterruptedException e) {
                // not this one
            }
        }
        return null;
    }

    /**
     * Loads DIR/0.bin .. DIR/N-1.bin with CPython's unpickler (any global is a stand-in class)
     * and prints, per record, the persistent ids classified by the rules of FORMAT.md §3.6, as
     * RandomRecord.Ref#key() writes them.
     */
    private static final String LOADER = """
            import io, json, pickle, sys

            class Any:
                def __new__(cls, *a, **k):
                    return object.__new__(cls)
                def __init__(self, *a, **k):
                    pass
                def __setstate__(self, state):
                    pass

            CLASSES = {}

            def glob(module, name):
                if (module, name) not in CLASSES:
                    CLASSES[module, name] = type(name, (Any,), {"__module__": module, "zname": module + "." + name})
                return CLASSES[module, name]

            class P:
                def __init__(self, oid):
                    self.oid = oid

            def text(v):
                if isinstance(v, bytes):
                    return v.decode("latin-1")
                return v if isinstance(v, str) else None

            def oid(v):
                if isinstance(v, bytes) and len(v) == 8:
                    return int.from_bytes(v, "big")
                if isinstance(v, str) and len(v) == 8 and all(ord(c) < 256 for c in v):
                    return int.from_bytes(v.encode("latin-1"), "big")
                return None

            def kname(k):
                return k.zname if isinstance(k, type) and issubclass(k, Any) else None

            def classify(pid):
                o = oid(pid)
                if o is not None:
                    return ("oid", o, None, None)
                if isinstance(pid, tuple) and len(pid) == 2 and oid(pid[0]) is not None:
                    return ("oid-klass", oid(pid[0]), None, kname(pid[1]))
                if isinstance(pid, list) and len(pid) == 1 and oid(pid[0]) is not None:
                    return ("list", oid(pid[0]), None, None)
                if isinstance(pid, list) and len(pid) == 2 and text(pid[0]) in ("w", "m", "n"):
                    tag, args = text(pid[0]), pid[1]
                    if tag == "w":
                        if not isinstance(args, tuple):
                            if oid(args) is not None:
                                return ("w", oid(args), None, None)
                        elif len(args) == 1 and oid(args[0]) is not None:
                            return ("w", oid(args[0]), None, None)
                        elif len(args) == 2 and oid(args[0]) is not None and text(args[1]) is not None:
                            return ("w", oid(args[0]), text(args[1]), None)
                    elif isinstance(args, tuple) and (len(args) == 2 or (len(args) == 3 and tag == "m")):
                        if text(args[0]) is not None and oid(args[1]) is not None:
                            k = kname(args[2]) if len(args) == 3 else None
                            return (tag, oid(args[1]), text(args[0]), k)
                return ("malformed", 0, None, None)

            def null(v):
                return "null" if v is None else v

            class Loader(pickle.Unpickler):
                which = 0
                def find_class(self, module, name):
                    return glob(module, name)
                def persistent_load(self, pid):
                    form, o, db, k = classify(pid)
                    self.found.append("%d %s 0x%x db=%s klass=%s" % (self.which, form, o, null(db), null(k)))
                    return P(o)

            d, n = sys.argv[1], int(sys.argv[2])
            for i in range(n):
                with open("%s/%d.bin" % (d, i), "rb") as f:
                    data = f.read()
                f = io.BytesIO(data)
                u = Loader(f, encoding="bytes")
                u.found = []
                u.load()
                u.which = 1
                u.load()
                assert f.tell() == len(data), "trailing bytes in record %d" % i
                print(json.dumps(u.found))
            """;

    static String hex(byte[] b) {
        String h = HexFormat.of().formatHex(b);
        return h.length() <= 2000 ? h : h.substring(0, 1000) + "..(" + b.length + " bytes)";
    }
}
