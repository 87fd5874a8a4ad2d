package org.zodbcheck.testing;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.zodbcheck.cli.Main;

/** Runs zodbcheck in-process, as the launcher would, and keeps what it printed. */
public record Cli(int exit, String out, String err) {
    public static Cli run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Main.execute(args, out, err);
        return new Cli(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    /** stdout lines, without empty trailing line. */
    public List<String> lines() {
        return out.lines().toList();
    }

    /** stdout as JSON Lines objects. */
    public List<Map<String, Object>> json() {
        List<Map<String, Object>> r = new ArrayList<>();
        for (String l : lines()) {
            r.add(MiniJson.object(l));
        }
        return r;
    }

    @Override
    public String toString() {
        return "exit " + exit + "\n--- stdout\n" + out + "--- stderr\n" + err;
    }
}
