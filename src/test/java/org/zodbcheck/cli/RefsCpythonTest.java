package org.zodbcheck.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.zodbcheck.testing.Cli;
import org.zodbcheck.testing.TestData;

/**
 * {@code refs} lists exactly what CPython's own unpickler finds as persistent ids in the current
 * records (src/test/resources/refs/cpython_refs.py): every strong reference ZODB's
 * {@code referencesf} takes, plus the weak and cross-database ones it drops, each occurrence, in
 * pickle order. zc.zodbdgc's edges (InspectTest) cover only reachable objects, once each; this
 * covers garbage, repeats and order too. Skipped without python3.
 */
class RefsCpythonTest {
    private static final Path SCRIPT = Path.of("src/test/resources/refs/cpython_refs.py");

    static Stream<String> storages() throws IOException {
        try (Stream<Path> dirs = Files.list(TestData.root())) {
            List<String> names = new ArrayList<>(dirs.filter(d -> Files.isRegularFile(d.resolve("Data.fs")))
                    .map(d -> d.getFileName().toString()).sorted().toList());
            names.add("multidb");
            return names.stream();
        }
    }

    @ParameterizedTest
    @MethodSource("storages")
    void refsAreWhatCpythonsUnpicklerFinds(String name) throws Exception {
        assumeTrue(onPath("python3"), "python3 is not installed");
        List<String> specs = name.equals("multidb")
                ? List.of("main=" + TestData.path("multidb", "main", "Data.fs"),
                        "catalog=" + TestData.path("multidb", "catalog", "Data.fs"))
                : List.of("main=" + TestData.path(name, "Data.fs"));
        List<String> command = new ArrayList<>(List.of("python3", SCRIPT.toString()));
        command.addAll(specs);
        Process p = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String py = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), name);
        List<String> expected = py.lines().toList();
        assertTrue(!expected.isEmpty(), name);

        Cli r = InspectTest.run("refs", name);
        assertEquals(0, r.exit(), r.toString());
        List<String> got = new ArrayList<>();
        for (Map<String, Object> row : r.json()) {
            got.add(row.get("db") + " " + row.get("oid") + " " + row.get("target_db") + " " + row.get("target_oid")
                    + " " + row.get("form") + " " + row.get("ref"));
        }
        assertEquals(expected, got, name);
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
