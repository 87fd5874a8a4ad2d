package org.zodbcheck.cli;

import java.nio.file.Path;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.zodbcheck.graph.Memory;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/**
 * {@code --max-memory SIZE} and {@code --spill-dir DIR}: the memory budget of a run and where
 * the tables go past it. The JVM's heap cannot change once it runs, so {@code bin/zodbcheck}
 * reads {@code --max-memory} and starts the JVM with {@code -Xmx} of that size; here the value
 * is only checked, and compared with the heap the JVM really has (a run started with
 * {@code java -jar} and no {@code -Xmx} is told so on stderr).
 */
final class MemoryOption {
    private static final Pattern SIZE = Pattern.compile("([0-9]{1,12})([kmgt]?)b?", Pattern.CASE_INSENSITIVE);
    /** Less than this cannot hold the JVM and a small storage. */
    static final long MINIMUM = 64L << 20;

    @Option(names = "--max-memory", paramLabel = "SIZE",
            description = "Memory budget: the largest heap the check may use, e.g. 512m, 4g (no unit:"
                    + " megabytes; default: what the JVM allows, a quarter of the machine's memory)."
                    + " bin/zodbcheck starts the JVM with it. Tables that outgrow three quarters of it"
                    + " spill to temporary files in --spill-dir.")
    String maxMemory;

    @Option(names = "--spill-dir", paramLabel = "DIR",
            description = "Where the per-object tables go when they outgrow the heap: temporary files,"
                    + " deleted as soon as they are made, so nothing stays behind (default: $TMPDIR,"
                    + " else /tmp).")
    Path spillDir;

    /**
     * The warning every command gives on stderr when its tables went to spill files: the run was
     * slower than it had to be, and a larger {@code --max-memory} is the cure.
     */
    static void warnIfSpilled(long spilledBytes, Path dir) {
        if (spilledBytes > 0) {
            org.slf4j.LoggerFactory.getLogger(MemoryOption.class).warn("the tables outgrew the heap: {} MB went to"
                    + " spill files in {} (slower; a larger --max-memory keeps them on the heap)", spilledBytes >> 20,
                    dir);
        }
    }

    /** The directory for spill files: --spill-dir, else {@link Memory#defaultSpillDir()}. */
    Path spillDir() {
        return spillDir != null ? spillDir : Memory.defaultSpillDir();
    }

    /** The budget in bytes, or -1 when none was given; a malformed size is a usage error. */
    long bytes(CommandLine cl) {
        if (maxMemory == null) {
            return -1;
        }
        long b = parse(maxMemory);
        if (b < 0) {
            throw new CommandLine.ParameterException(cl, "--max-memory: not a size: '" + maxMemory
                    + "' (give a number with k, m, g or t, e.g. 4g)");
        }
        if (b < MINIMUM) {
            throw new CommandLine.ParameterException(cl, "--max-memory: " + maxMemory + " is too small (at least 64m)");
        }
        return b;
    }

    /** Checks the value and warns when the JVM's heap is not the budget (not started by bin/zodbcheck). */
    void check(CommandLine cl) {
        long b = bytes(cl);
        long heap = Runtime.getRuntime().maxMemory();
        if (b > 0 && heap > b + (b >> 3)) {
            cl.getErr().println("zodbcheck: --max-memory " + maxMemory + " is applied by bin/zodbcheck; this JVM"
                    + " was started with a heap of " + (heap >> 20) + " MB (give java -Xmx" + maxMemory
                    + " instead)");
        }
    }

    /** Bytes of {@code s} ({@code 512m}, {@code 4G}, {@code 4096} = megabytes), or -1. */
    static long parse(String s) {
        Matcher m = SIZE.matcher(s.trim());
        if (!m.matches()) {
            return -1;
        }
        long n = Long.parseLong(m.group(1));
        int shift = switch (m.group(2).toLowerCase(Locale.ROOT)) {
            case "k" -> 10;
            case "g" -> 30;
            case "t" -> 40;
            default -> 20;
        };
        return n > (Long.MAX_VALUE >> shift) ? -1 : n << shift;
    }
}
