package org.zodbcheck.cli;

import java.io.BufferedWriter;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;
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
        subcommands = {CheckRefsCommand.class, CommandLine.HelpCommand.class},
        footer = {"", "Run 'zodbcheck COMMAND --help' for the options of a command.", "",
            "Exit codes: 0 nothing at or above the --fail-on level, 1 findings, 2 usage error,",
            "3 the input cannot be read as a FileStorage, 4 internal error."})
public final class Main implements Callable<Integer> {
    @Spec
    private CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getErr());
        return ExitCode.USAGE;
    }

    public static void main(String[] args) {
        int code = execute(args, System.out, System.err);
        System.exit(code);
    }

    /** Runs zodbcheck with the given streams and returns the exit code (for tests and {@link #main}). */
    public static int execute(String[] args, OutputStream stdout, OutputStream stderr) {
        PrintWriter out = new PrintWriter(new BufferedWriter(
                new OutputStreamWriter(stdout, StandardCharsets.UTF_8), 1 << 16), false);
        PrintWriter err = new PrintWriter(new OutputStreamWriter(stderr, StandardCharsets.UTF_8), true);
        CommandLine cl = new CommandLine(new Main());
        cl.setOut(out);
        cl.setErr(err);
        cl.setCaseInsensitiveEnumValuesAllowed(true);
        cl.setExecutionExceptionHandler((ex, cmd, parsed) -> {
            out.flush();
            cmd.getErr().println("zodbcheck: internal error: " + ex);
            if (Boolean.TRUE.equals(cmd.getCommandSpec().userObject() instanceof Debuggable d && d.debug())) {
                ex.printStackTrace(cmd.getErr());
            } else {
                cmd.getErr().println("zodbcheck: rerun with --debug for the stack trace, and please report it");
            }
            return ExitCode.INTERNAL;
        });
        int code = cl.execute(args);
        out.flush();
        err.flush();
        return code;
    }

    /** Commands with a {@code --debug} option. */
    interface Debuggable {
        boolean debug();
    }
}
