package org.zodbcheck.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.zodbcheck.testing.Cli;
import org.zodbcheck.testing.TestData;

/**
 * The examples of docs/runbook.md are real output on testdata/dangling/Data.fs: every
 * {@code $ zodbcheck ...} block is run and its stdout (and the lines marked {@code (stderr)})
 * compared with what the runbook shows.
 */
class RunbookTest {
    private record Example(List<String> args, List<String> out, List<String> err) {
    }

    private static List<Example> examples() throws IOException {
        List<String> lines = Files.readAllLines(Path.of("docs/runbook.md"));
        List<Example> examples = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            if (!line.startsWith("    $ zodbcheck ")) {
                continue;
            }
            String command = line.substring("    $ zodbcheck ".length());
            int hash = command.indexOf("  #");
            if (hash >= 0) {
                command = command.substring(0, hash);
            }
            List<String> args = new ArrayList<>();
            for (String a : command.trim().split(" +")) {
                args.add(a.equals("Data.fs") ? TestData.path("dangling", "Data.fs").toString() : a);
            }
            List<String> out = new ArrayList<>();
            List<String> err = new ArrayList<>();
            for (i++; i < lines.size() && lines.get(i).startsWith("    ") && !lines.get(i).startsWith("    $ "); i++) {
                String shown = lines.get(i).substring(4);
                if (shown.endsWith("(stderr)")) {
                    err.add(shown.substring(0, shown.length() - "(stderr)".length()).stripTrailing());
                } else {
                    out.add(shown);
                }
            }
            i--;
            examples.add(new Example(args, out, err));
        }
        return examples;
    }

    @Test
    void everyCommandExampleIsWhatZodbcheckPrints() throws IOException {
        List<Example> examples = examples();
        assertTrue(examples.size() >= 3, examples.toString());
        for (Example e : examples) {
            Cli r = Cli.run(e.args().toArray(String[]::new));
            List<String> out = new ArrayList<>(r.lines());
            while (!out.isEmpty() && out.get(out.size() - 1).isEmpty()) {
                out.remove(out.size() - 1);
            }
            assertEquals(e.out(), out, String.join(" ", e.args()));
            if (!e.err().isEmpty()) {
                assertEquals(e.err(), r.err().lines().toList(), String.join(" ", e.args()));
            }
        }
    }
}
