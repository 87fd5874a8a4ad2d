package org.zodbcheck.generate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.zodbcheck.testing.Cli;
import org.zodbcheck.testing.MiniJson;

/**
 * The generator's files against zodbcheck itself: check-refs must report exactly the findings
 * and the garbage count of the manifest, and nothing about the file's structure or pickles.
 * Small files (a few thousand objects), every pickle dialect, several seeds.
 */
class GeneratorTest {
    private static final Pattern SUMMARY = Pattern.compile("(\\d+) objects \\((\\d+) garbage\\)");

    @TempDir
    Path tmp;

    static Stream<Arguments> storages() {
        GeneratorParams base = GeneratorParams.objects(3000, 1).withMissing(12).withShape(3, 0.05, 0.05);
        return Stream.of(
                Arguments.of("py3 seed 1", base),
                Arguments.of("py3 seed 2, deep BTrees", new GeneratorParams(3000, 0, 2, 12, 0.25, 3, 0.05, 0.05, 3, 3,
                        100, true)),
                Arguments.of("py3 seed 3, many revisions and undos", new GeneratorParams(2500, 0, 3, 10, 0.5, 5, 0.2,
                        0.1, 3, 3, 60, false)),
                Arguments.of("py2 protocol 1 seed 4", new GeneratorParams(3000, 0, 4, 12, 0.25, 3, 0.05, 0.05, 2, 1,
                        100, false)),
                Arguments.of("py2 protocol 2 seed 5, deep BTrees", new GeneratorParams(3000, 0, 5, 12, 0.25, 3, 0.05,
                        0.05, 2, 2, 100, true)),
                Arguments.of("py2 protocol 3 seed 6", new GeneratorParams(3000, 0, 6, 12, 0.25, 3, 0.05, 0.05, 2, 3,
                        100, false)),
                Arguments.of("no garbage, no undo, one revision", new GeneratorParams(2000, 0, 7, 6, 0.25, 1, 0, 0, 3,
                        3, 100, false)),
                Arguments.of("target size 3 MB", new GeneratorParams(0, 3 << 20, 8, 8, 0.25, 2, 0.05, 0.05, 3, 3,
                        100, false)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("storages")
    void checkRefsReportsExactlyTheManifest(String name, GeneratorParams params) throws IOException {
        Path fs = tmp.resolve("Data.fs");
        GeneratorResult r = new StorageGenerator(params).run(fs);
        Map<String, Object> manifest = MiniJson.object(Files.readString(Manifest.write(r)));

        Cli quiet = Cli.run("check-refs", "-q", "--format", "json", fs.toString());
        Set<String> found = new TreeSet<>();
        for (Map<String, Object> f : quiet.json()) {
            assertTrue(Set.of("poskeyerror", "dangling").contains(f.get("kind")), () -> "unexpected finding " + f);
            found.add(f.get("kind") + " " + f.get("db") + " " + f.get("oid") + " " + f.get("referrer_oid"));
        }
        assertEquals(expectedFindings(manifest), found, quiet::toString);
        assertEquals(params.missing(), ((List<?>) manifest.get("missing")).size());

        Cli full = Cli.run("check-refs", fs.toString());
        Matcher m = SUMMARY.matcher(full.err());
        assertTrue(m.find(), full::toString);
        Map<?, ?> counts = (Map<?, ?>) manifest.get("counts");
        assertEquals(counts.get("objects"), Long.parseLong(m.group(1)), full::toString);
        assertEquals(manifest.get("expected_garbage"), Long.parseLong(m.group(2)), full::toString);
        assertEquals(Files.size(fs), counts.get("bytes"));
    }

    @Test
    void sameSeedSameBytesOtherSeedOtherBytes() throws IOException {
        for (GeneratorParams p : List.of(GeneratorParams.objects(2000, 11), GeneratorParams.objects(2000, 11)
                .withPython(2, 1))) {
            Path a = tmp.resolve("a.fs");
            Path b = tmp.resolve("b.fs");
            Path c = tmp.resolve("c.fs");
            new StorageGenerator(p).run(a);
            new StorageGenerator(p).run(b);
            new StorageGenerator(new GeneratorParams(p.objects(), 0, 12, p.missing(), p.missingGarbageShare(),
                    p.revisions(), p.undo(), p.garbage(), p.python(), p.protocol(), p.txnSize(), false)).run(c);
            assertEquals(-1, Files.mismatch(a, b), "same seed, different bytes");
            assertNotEquals(-1, Files.mismatch(a, c), "another seed, same bytes");
        }
    }

    @Test
    void missingOidsHaveBothKindsAndBothPlacements() throws IOException {
        GeneratorResult r = new StorageGenerator(GeneratorParams.objects(4000, 21).withMissing(16))
                .run(tmp.resolve("Data.fs"));
        assertEquals(8, r.missing().stream().filter(m -> m.kind().equals("deleted")).count());
        assertEquals(8, r.missing().stream().filter(m -> m.kind().equals("never-written")).count());
        assertEquals(4, r.missing().stream().filter(GeneratorResult.Missing::placedInGarbage).count());
        for (GeneratorResult.Missing m : r.missing()) {
            assertTrue(!m.referrers().isEmpty(), () -> "nothing refers to " + m);
            assertEquals(!m.placedInGarbage(), m.reportedByRootWalk(), () -> "placement and reachability of " + m);
        }
        assertTrue(r.undoTransactions() > 0 && r.droppedFolders() > 0, r::toString);
    }

    private static Set<String> expectedFindings(Map<String, Object> manifest) {
        Set<String> expected = new TreeSet<>();
        for (Object o : (List<?>) manifest.get("expected_findings")) {
            Map<?, ?> f = (Map<?, ?>) o;
            expected.add(f.get("kind") + " " + f.get("db") + " " + f.get("oid") + " " + f.get("referrer"));
        }
        return expected;
    }
}
