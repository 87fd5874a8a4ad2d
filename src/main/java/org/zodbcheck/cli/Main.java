package org.zodbcheck.cli;

import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.Supplier;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** The {@code zodbcheck} command: subcommands, streams, exit codes. */
@Command(name = "zodbcheck", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
        synopsisSubcommandLabel = "COMMAND",
        description = {"Read-only integrity checker for ZODB FileStorage databases (Data.fs).",
            "Findings go to stdout, one per line; logs, progress and the summary to stderr.",
            "It never writes to, locks or creates a file beside the storage it checks."},
        footer = {"", "Run 'zodbcheck COMMAND --help' for the options of a command.", "",
            "Exit codes: 0 nothing at or above the --fail-on level, 1 findings, 2 usage or",
            "configuration error, 3 the input cannot be read as a FileStorage, 4 internal error."})
public final class Main implements Callable<Integer> {
    @Spec
    private CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getErr());
        return ExitCode.USAGE;
    }

    public static void main(String[] args) {
        if (args.length > 1 && args[0].equals("check-refs")) {
            warmUpAhead(args);
        }
        int code = execute(args, System.out, System.err);
        System.exit(code);
    }

    /** Runs zodbcheck with the given streams and returns the exit code (for tests and {@link #main}). */
    public static int execute(String[] args, OutputStream stdout, OutputStream stderr) {
        PrintWriter out = new PrintWriter(new Utf8Writer(stdout), false);
        PrintWriter err = new PrintWriter(new OutputStreamWriter(stderr, StandardCharsets.UTF_8), true);
        CommandLine cl = new CommandLine(new Main());
        addSubcommands(cl, args);
        cl.setOut(out);
        cl.setErr(err);
        cl.setCaseInsensitiveEnumValuesAllowed(true);
        cl.setUsageHelpWidth(100);
        cl.setExecutionExceptionHandler((ex, cmd, parsed) -> {
            out.flush();
            if (ex instanceof org.zodbcheck.graph.Memory.SpillException) {
                // not a bug: the machine has neither the heap nor the disk room the tables need
                cmd.getErr().println("zodbcheck: " + ex.getMessage());
                return ExitCode.INTERNAL;
            }
            cmd.getErr().println("zodbcheck: internal error: " + ex);
            if (Boolean.TRUE.equals(cmd.getCommandSpec().userObject() instanceof Debuggable d && d.debug())) {
                ex.printStackTrace(cmd.getErr());
            } else {
                cmd.getErr().println("zodbcheck: rerun with --debug for the stack trace, and please report it");
            }
            return ExitCode.INTERNAL;
        });
        int code;
        try {
            code = cl.execute(args);
        } catch (OutOfMemoryError e) {
            // Not a bug in the input or in zodbcheck: the storage's tables need a larger heap.
            out.flush();
            err.println("zodbcheck: out of memory: this storage needs more than the " + heapMegabytes()
                    + " MB heap of this run (beyond the tables, which spill to disk); give it more with"
                    + " --max-memory SIZE (e.g. --max-memory 8g)");
            code = ExitCode.INTERNAL;
        } catch (LinkageError | StackOverflowError e) {
            // e.g. the jar replaced by a build while a long check ran; picocli passes Errors through
            out.flush();
            err.println("zodbcheck: internal error: " + e);
            if (Boolean.getBoolean("zodbcheck.debug") || java.util.Arrays.asList(args).contains("--debug")) {
                e.printStackTrace(err);
            } else {
                err.println("zodbcheck: rerun with --debug for the stack trace, and please report it");
            }
            code = ExitCode.INTERNAL;
        }
        out.flush();
        err.flush();
        return code;
    }

    /**
     * Guesses which argument is the storage (the last large file named; a guess, used only to
     * warm the JIT up while picocli parses the command line).
     */
    static Thread warmUpAhead(String[] args) {
        for (String a : args) {
            if (a.equals("--threads") || a.startsWith("--threads=")) {
                return null; // the operator chose how many threads the check may use
            }
        }
        for (int i = args.length - 1; i > 0; i--) {
            try {
                Thread t = org.zodbcheck.check.CheckRefs.warmUpAhead(java.nio.file.Path.of(args[i]));
                if (t != null) {
                    return t;
                }
            } catch (java.nio.file.InvalidPathException e) {
                // not a path: picocli will say what it is
            }
        }
        return null;
    }

    private static long heapMegabytes() {
        return Runtime.getRuntime().maxMemory() >> 20;
    }

    /** The subcommands, by name; each is built only when it is used (see {@link #addSubcommands}). */
    private static final Map<String, Supplier<Object>> COMMANDS = new LinkedHashMap<>();

    static {
        COMMANDS.put("check-refs", CheckRefsCommand::new);
        COMMANDS.put("verify", VerifyCommand::new);
        COMMANDS.put("referrers", ReferrersCommand::new);
        COMMANDS.put("path", PathCommand::new);
        COMMANDS.put("show", ShowCommand::new);
        COMMANDS.put("refs", RefsCommand::new);
        COMMANDS.put("help", CommandLine.HelpCommand::new);
    }

    /**
     * Adds the subcommand named by the first argument, or all of them when the arguments ask
     * for help or name none. Building picocli's model costs about 50 ms per command on a cold
     * JVM, and scripts run zodbcheck many times.
     */
    private static void addSubcommands(CommandLine cl, String[] args) {
        String first = args.length > 0 ? args[0] : "";
        Supplier<Object> only = "help".equals(first) ? null : COMMANDS.get(first);
        if (only != null) {
            cl.addSubcommand(first, only.get());
            return;
        }
        COMMANDS.forEach((name, factory) -> cl.addSubcommand(name, factory.get()));
    }

    /** Commands with a {@code --debug} option. */
    interface Debuggable {
        boolean debug();
    }
}
