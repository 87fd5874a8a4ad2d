package org.zodbcheck.report;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.zodbcheck.testing.Cli;

/**
 * The exact stdout of {@code check-refs} on real databases, byte for byte, against the checked-in
 * files in {@code src/test/resources/golden/}. Regenerating them is an explicit step:
 * {@code mvn test -Dtest=GoldenTest -Dzodbcheck.regenerate=true}, then review the diff.
 *
 * <p>Paths are relative to the project directory (where Maven runs the tests), so that the
 * {@code file=} of structure findings is the same on every machine.
 */
class GoldenTest {
    private static final Path GOLDEN = Path.of("src/test/resources/golden");

    /** name, then the arguments after {@code check-refs -q}. */
    private static final String[][] RUNS = {
        {"dangling.txt", "testdata/dangling/Data.fs"},
        {"dangling.jsonl", "--format", "json", "testdata/dangling/Data.fs"},
        {"refs-py3.txt", "testdata/refs-py3/Data.fs"},
        {"refs-py3.jsonl", "--format", "json", "testdata/refs-py3/Data.fs"},
        {"weakrefs.txt", "testdata/weakrefs/Data.fs"},
        {"garbage-listed.txt", "--list-garbage", "testdata/garbage/Data.fs"},
        {"corrupt-pickle.txt", "testdata/corrupt-pickle/Data.fs"},
        {"corrupt-pickle.jsonl", "--format", "json", "testdata/corrupt-pickle/Data.fs"},
        {"corrupt-tlen.txt", "testdata/corrupt-tlen/Data.fs"},
        {"corrupt-truncated.jsonl", "--format", "json", "testdata/corrupt-truncated/Data.fs"},
        {"zero-tail.txt", "testdata/damaged/zero-tail.fs"},
        {"bad-tloc-mid.txt", "testdata/damaged/bad-tloc-mid.fs"},
        {"py2-proto1.txt", "testdata/py2-proto1/Data.fs"},
        {"py2-proto3.jsonl", "--format", "json", "testdata/py2-proto3/Data.fs"},
        {"oidonly-fsrefs.txt", "--format", "fsrefs", "testdata/oidonly/Data.fs"},
    };

    @TestFactory
    Stream<DynamicTest> golden() {
        List<DynamicTest> tests = new ArrayList<>();
        for (String[] run : RUNS) {
            tests.add(DynamicTest.dynamicTest(run[0], () -> compare(run)));
        }
        return tests.stream();
    }

    private static void compare(String[] run) throws IOException {
        List<String> args = new ArrayList<>(List.of("check-refs", "-q"));
        args.addAll(List.of(run).subList(1, run.length));
        Cli r = Cli.run(args.toArray(String[]::new));
        Path file = GOLDEN.resolve(run[0]);
        if (Boolean.getBoolean("zodbcheck.regenerate")) {
            Files.writeString(file, r.out(), StandardCharsets.UTF_8);
        }
        assertEquals(Files.readString(file, StandardCharsets.UTF_8), r.out(), String.join(" ", args));
    }
}
