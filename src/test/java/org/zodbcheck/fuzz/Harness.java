package org.zodbcheck.fuzz;

import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.opentest4j.AssertionFailedError;
import org.zodbcheck.check.CheckRefs;
import org.zodbcheck.check.Database;
import org.zodbcheck.report.JsonPrinter;
import org.zodbcheck.testing.Cli;
import org.zodbcheck.testing.MiniJson;
import org.zodbcheck.testing.TestData;

/**
 * Runs every zodbcheck command in-process on one input and checks what must hold whatever the
 * input: the command ends within a time bound proportional to the file size, allocates less
 * than a bound proportional to the file size, exits 0, 1 or 3 (never 2, usage, or 4, internal
 * error), prints no stack trace and no exception, gives the byte offset of the damage it
 * reports, prints valid JSON, agrees with itself across formats and thread counts, and leaves
 * the input's directory exactly as it was.
 */
final class Harness {
    /** Time bound: 5 s plus 1 s per MB of input. */
    static final long BASE_MILLIS = 5_000;
    /**
     * Allocation bound per command: 64 MB, plus 50 times the input size, plus 128 bytes per
     * character printed (building and capturing output costs a few copies of it; show --pickle
     * prints a line per opcode). A {@code byte[]} sized from an unchecked length breaks it.
     */
    static final long BASE_ALLOCATION = 64L << 20;
    static final long ALLOCATION_FACTOR = 50;
    static final long ALLOCATION_PER_CHAR = 128;

    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    /** True when this build has a {@code verify} command; then it is fuzzed too. */
    static final boolean HAS_VERIFY = hasVerify();

    /** Leaked Java exceptions or errors, stack frames, or the internal-error message. */
    private static final Pattern CRASH = Pattern.compile(
            "Exception|internal error|^\\s+at [\\w$.]+\\(|java\\.lang\\.|\\b(?!POSKey)[A-Z]\\w*Error\\b", Pattern.MULTILINE);
    /** {@code file:offset: message}, how an unreadable storage is reported. */
    private static final Pattern FILE_OFFSET = Pattern.compile(":\\d+: ");
    private static final Pattern SUMMARY = Pattern.compile(
            "(\\d+) findings: (\\d+) errors, (\\d+) warnings, (\\d+) info");
    private static final Pattern OFFSET_OR_POS = Pattern.compile("\\b(offset|pos)=\\d+");

    private Harness() {
    }

    /** The top-level help lists the commands, one per line. */
    private static boolean hasVerify() {
        return Pattern.compile("(?m)^\\s+verify\\s").matcher(Cli.run("--help").out()).find();
    }

    /** What one input must satisfy besides the common rules. */
    record Expect(boolean offsetOnExit3) {
        static final Expect DAMAGE = new Expect(true);
        /** Directories, unreadable or missing files: exit 3 without a byte offset. */
        static final Expect NOT_A_FILE = new Expect(false);
    }

    /**
     * Runs every command on {@code fs} and fails with {@code label} (seed and mutation), the
     * command and what went wrong.
     *
     * @param size the size the bounds are computed from (the file's, or 0 for a directory)
     */
    static void check(String label, Path fs, long size, Expect expect, Random r) {
        List<String> problems = new ArrayList<>();
        Path dir = fs.toAbsolutePath().getParent();
        Map<String, String> before = snapshot(dir);
        FileTime dirTime = mtime(dir);
        String f = fs.toString();

        List<String[]> commands = new ArrayList<>();
        commands.add(new String[] {"check-refs", f});
        commands.add(new String[] {"check-refs", "--format", "json", "--threads", "1", f});
        commands.add(new String[] {"refs", "--threads", "1", f});
        commands.add(new String[] {"show", "--history", "--pickle", "--threads", "1", f, "0", "0x01"});
        commands.add(new String[] {"path", "--threads", "1", f, "0x01"});
        commands.add(new String[] {"referrers", "--threads", "1", f, "0x01"});
        if (HAS_VERIFY) {
            commands.add(new String[] {"verify", f});
            commands.add(new String[] {"verify", "--format", "json", f});
        }
        // One case in eight also writes a reference database (outside the directory) and queries
        // it; not drawn from r, so that every seed keeps the case it had.
        Path refdb = null;
        if ((label.hashCode() & 7) == 0 && Files.isRegularFile(fs)) {
            try {
                refdb = Files.createTempDirectory("zodbcheck-fuzz-refdb").resolve("refs.db");
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
            commands.add(new String[] {"check-refs", "--threads", "1", "-r", refdb.toString(), f});
        }

        Cli text = null;
        Cli json = null;
        for (String[] args : commands) {
            Run run = run(args, size);
            if (run.problem != null) {
                problems.add(describe(args, run.problem, run.cli));
                if (run.cli == null) {
                    break; // a timeout: the thread may still run, the next command would too
                }
                continue;
            }
            List<String> p = checkOutput(args, run.cli, expect, size);
            for (String s : p) {
                problems.add(describe(args, s, run.cli));
            }
            if (args[0].equals("check-refs")) {
                if (args.length == 2) {
                    text = run.cli;
                } else if (contains(args, "json")) {
                    json = run.cli;
                } else if (contains(args, "-r") && run.cli.exit() != 3) {
                    String[] q = {"referrers", "--refdb", refdb.toString(), "0x01"};
                    Run query = run(q, size);
                    if (query.problem != null) {
                        problems.add(describe(q, query.problem, query.cli));
                    } else {
                        for (String s : checkOutput(q, query.cli, Expect.DAMAGE, size)) {
                            problems.add(describe(q, s, query.cli));
                        }
                    }
                    if (text != null && !text.out().equals(run.cli.out())) {
                        problems.add(describe(args, "finds other things than check-refs without -r:\n    "
                                + text.out().replace("\n", "\n    "), run.cli));
                    }
                }
            }
        }
        if (refdb != null) {
            TestData.deleteTree(refdb.getParent());
        }
        if (text != null && json != null && problems.isEmpty()) {
            problems.addAll(compareFormats(text, json));
            if (json.exit() != 3 && Files.isRegularFile(fs)) {
                problems.addAll(compareParts(fs, json, r, size));
            }
        }

        Map<String, String> after = snapshot(dir);
        if (!before.equals(after)) {
            problems.add("the directory changed:\n  before " + before + "\n  after  " + after);
        }
        if (!dirTime.equals(mtime(dir))) {
            problems.add("the directory's modification time changed");
        }
        if (!problems.isEmpty()) {
            fail(label + "\n" + String.join("\n", problems));
        }
    }

    /** The outcome of one command: its output, or why there is none. */
    private record Run(Cli cli, String problem) {
    }

    static Run run(String[] args, long size) {
        long millis = BASE_MILLIS + size * 1000 / (1 << 20);
        boolean measured = contains(args, "--threads");
        long[] allocated = new long[1];
        Cli cli;
        try {
            cli = assertTimeoutPreemptively(Duration.ofMillis(millis), () -> {
                long a0 = THREADS.getCurrentThreadAllocatedBytes();
                try {
                    return Cli.run(args);
                } finally {
                    allocated[0] = THREADS.getCurrentThreadAllocatedBytes() - a0;
                }
            });
        } catch (AssertionFailedError e) {
            return new Run(null, "did not finish within " + millis + " ms (" + e.getMessage() + ")");
        } catch (Throwable e) {
            return new Run(null, "threw " + e + stack(e));
        }
        long printed = cli.out().length() + cli.err().length();
        long maxAlloc = BASE_ALLOCATION + ALLOCATION_FACTOR * size + ALLOCATION_PER_CHAR * printed;
        if (measured && allocated[0] > maxAlloc) {
            return new Run(cli, "allocated " + allocated[0] + " bytes, more than the bound " + maxAlloc
                    + " (64 MB + 50 x " + size + " bytes + 128 x " + printed + " characters printed)");
        }
        return new Run(cli, null);
    }

    /** The rules about exit code and output. */
    private static List<String> checkOutput(String[] args, Cli cli, Expect expect, long size) {
        List<String> p = new ArrayList<>();
        int code = cli.exit();
        if (code != 0 && code != 1 && code != 3) {
            p.add("exit code " + code + " (allowed: 0, 1, 3)");
        }
        Matcher m = CRASH.matcher(cli.err());
        if (m.find()) {
            p.add("stderr shows a crash ('" + m.group() + "')");
        }
        if (Pattern.compile("java\\.(lang|util|io|nio)\\.\\w+|internal error").matcher(cli.out()).find()) {
            p.add("stdout shows a Java exception");
        }
        if (code == 3 && expect.offsetOnExit3() && !FILE_OFFSET.matcher(cli.err()).find()) {
            p.add("exit 3 without a byte offset (file:offset: message) on stderr");
        }
        boolean check = args[0].equals("check-refs");
        if (!(check || args[0].equals("verify")) || code == 3) {
            return p;
        }
        boolean isJson = contains(args, "json");
        int errors = 0;
        int findings = 0;
        for (String line : cli.lines()) {
            findings++;
            String kind;
            String severity;
            boolean located;
            if (isJson) {
                Map<String, Object> o;
                try {
                    o = MiniJson.object(line);
                } catch (RuntimeException e) {
                    p.add("a line of --format json does not parse (" + e.getMessage() + "): " + line);
                    continue;
                }
                kind = String.valueOf(o.get("kind"));
                severity = String.valueOf(o.get("severity"));
                located = o.get("offset") instanceof Long || o.get("pos") instanceof Long;
            } else {
                String[] t = line.split(" ", 4);
                if (t.length < 3 || !t[0].matches("error|warning|info")) {
                    p.add("a line that is not a finding: " + line);
                    continue;
                }
                severity = t[0];
                kind = t[1];
                located = OFFSET_OR_POS.matcher(line).find();
            }
            if (severity.equals("error")) {
                errors++;
            }
            if ((kind.equals("structure") || kind.equals("unreadable-record")) && !located) {
                p.add("a " + kind + " finding without offset or position: " + line);
            }
            // bad-index and stale-index findings name the index file and the positions it holds
            for (String place : kind.endsWith("-index") ? List.<String>of() : places(line, size)) {
                p.add("a finding whose " + place + " is not a place in the file of " + size + " bytes: " + line);
            }
        }
        if ((code == 1) != (errors > 0)) {
            p.add("exit " + code + " with " + errors + " error findings");
        }
        if (!check) {
            return p;
        }
        Matcher s = SUMMARY.matcher(cli.err());
        if (!s.find()) {
            p.add("no summary line on stderr");
        } else if (Integer.parseInt(s.group(1)) != findings || Integer.parseInt(s.group(2)) != errors) {
            p.add("the summary says '" + s.group() + "' but stdout has " + findings + " findings, " + errors + " errors");
        }
        return p;
    }

    private static final Pattern PLACE = Pattern.compile("(?:\\b|\")(offset|pos)\"?[=:] ?(-?\\d+)");

    /**
     * The {@code offset=} and {@code pos=} values of a finding (text or JSON) that cannot be a
     * position in the file: negative (an unsigned 64-bit field read as signed) or past its end.
     */
    private static List<String> places(String line, long size) {
        List<String> bad = new ArrayList<>();
        Matcher m = PLACE.matcher(line);
        while (m.find()) {
            long v;
            try {
                v = Long.parseLong(m.group(2));
            } catch (NumberFormatException e) {
                v = -1;
            }
            if (v < 0 || v > size) {
                bad.add(m.group(1) + " " + m.group(2));
            }
        }
        return bad;
    }

    /** Text (default threads) and JSON (one thread) list the same findings in the same order. */
    private static List<String> compareFormats(Cli text, Cli json) {
        List<String> p = new ArrayList<>();
        if (text.exit() != json.exit()) {
            p.add("check-refs exits " + text.exit() + " in text and " + json.exit() + " in json");
            return p;
        }
        if (text.exit() == 3) {
            return p;
        }
        List<String> a = new ArrayList<>();
        for (String l : text.lines()) {
            String[] t = l.split(" ", 4);
            a.add(t[0] + " " + t[1] + " " + t[2]);
        }
        List<String> b = new ArrayList<>();
        for (String l : json.lines()) {
            Map<String, Object> o = MiniJson.object(l);
            b.add(o.get("severity") + " " + o.get("kind") + " " + o.get("db") + (o.get("oid") != null ? ":" + o.get("oid") : ""));
        }
        if (!a.equals(b)) {
            p.add("text and json findings differ:\n  text " + a + "\n  json " + b);
        }
        return p;
    }

    /**
     * The check through the API with three threads and the file cut into small parts (the second
     * pass reads parts in parallel from boundaries the first pass saw) finds exactly what the
     * one-thread run found.
     */
    private static List<String> compareParts(Path fs, Cli json, Random r, long size) {
        long split = new long[] {1, 64, 300, 5000}[r.nextInt(4)];
        List<String> lines = new ArrayList<>();
        try {
            assertTimeoutPreemptively(Duration.ofMillis(BASE_MILLIS + size * 1000 / (1 << 20)), () -> {
                new CheckRefs(List.of(new Database("main", fs)), CheckRefs.Options.defaults().withThreads(3)
                        .withSplit(split)).run(f -> lines.add(JsonPrinter.line(f)));
                return null;
            });
        } catch (AssertionFailedError e) {
            return List.of("CheckRefs with 3 threads and parts of " + split + " bytes: " + e.getMessage());
        } catch (Throwable e) {
            return List.of("CheckRefs with 3 threads and parts of " + split + " bytes threw " + e + stack(e));
        }
        if (!lines.equals(json.lines())) {
            return List.of("CheckRefs with 3 threads and parts of " + split + " bytes finds\n  " + lines
                    + "\nbut check-refs --threads 1 finds\n  " + json.lines());
        }
        return List.of();
    }

    private static String describe(String[] args, String problem, Cli cli) {
        StringBuilder s = new StringBuilder("  zodbcheck " + String.join(" ", args) + ": " + problem);
        if (cli != null) {
            s.append("\n    exit ").append(cli.exit()).append("; stderr: ").append(abbreviate(cli.err(), 1500));
            if (cli.exit() == 4) {
                String[] debug = withDebug(args);
                Cli d = Cli.run(debug);
                s.append("\n    with --debug: ").append(abbreviate(d.err(), 3000));
            }
        }
        return s.toString();
    }

    private static String[] withDebug(String[] args) {
        String[] d = new String[args.length + 1];
        d[0] = args[0];
        d[1] = "--debug";
        System.arraycopy(args, 1, d, 2, args.length - 1);
        return d;
    }

    static String stack(Throwable e) {
        StringBuilder s = new StringBuilder();
        StackTraceElement[] st = e.getStackTrace();
        for (int i = 0; i < Math.min(12, st.length); i++) {
            s.append("\n      at ").append(st[i]);
        }
        return s.toString();
    }

    static String abbreviate(String s, int max) {
        s = s.strip();
        return s.length() <= max ? s : s.substring(0, max) + "...(" + s.length() + " chars)";
    }

    private static boolean contains(String[] args, String s) {
        for (String a : args) {
            if (a.equals(s)) {
                return true;
            }
        }
        return false;
    }

    /** name -> size, mtime and SHA-256 of every entry in the directory (as ReadOnlyTest does). */
    static Map<String, String> snapshot(Path dir) {
        Map<String, String> m = new TreeMap<>();
        try (Stream<Path> s = Files.list(dir)) {
            for (Path p : s.toList()) {
                String v;
                if (Files.isDirectory(p)) {
                    v = "dir " + mtime(p).toMillis();
                } else if (!Files.isRegularFile(p)) {
                    v = "special " + Files.isSymbolicLink(p); // a pipe or a device: never read it here
                } else if (!Files.isReadable(p)) {
                    v = "unreadable " + Files.size(p) + " " + mtime(p).toMillis();
                } else {
                    byte[] b = Files.readAllBytes(p);
                    String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
                    v = b.length + " " + mtime(p).toMillis() + " " + sha;
                }
                m.put(p.getFileName().toString(), v);
            }
        } catch (IOException | NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        return m;
    }

    private static FileTime mtime(Path p) {
        try {
            return Files.getLastModifiedTime(p);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
