package org.zodbcheck.cli;

import ch.qos.logback.classic.Level;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.zodbcheck.check.CheckRefs;
import org.zodbcheck.check.Database;
import org.zodbcheck.check.Kind;
import org.zodbcheck.check.ObjectGraph;
import org.zodbcheck.config.ConfigException;
import org.zodbcheck.filestorage.FileStorageException;
import picocli.CommandLine;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * What the commands that answer questions about objects ({@code referrers}, {@code path},
 * {@code show}, {@code refs}) share: storages and oids on the command line, a full check run
 * silently to learn the graph, text or JSON output, exit codes.
 */
abstract class QueryCommand implements Callable<Integer>, Main.Debuggable {
    /** A failure that ends the command with an exit code after its message was printed. */
    static final class Exit extends Exception {
        final int code;

        Exit(int code) {
            super(null, null, false, false);
            this.code = code;
        }
    }

    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "FILE|OID", arity = "0..*",
            description = "Storages and oids. A Data.fs (opened read-only) or configuration files (zodb.conf,"
                    + " zope.conf, zeo.conf), then oids as decimal (13184375), hex (0xc92d77), fsdump's 16 hex"
                    + " digits, or the 8-byte string of a traceback ('\\x00\\x00\\x00\\x00\\x00\\xc9-w',"
                    + " b'...'), optionally prefixed by a database name as findings print them (catalog:0x05).")
    List<String> args = new ArrayList<>();

    @Option(names = {"-f", "--file-storage"}, paramLabel = "NAME=PATH",
            description = "Read PATH as the Data.fs of database NAME of the configuration. Repeatable.")
    Map<String, Path> overrides = new LinkedHashMap<>();

    @Option(names = "--db-name", paramLabel = "NAME", defaultValue = "main",
            description = "Name of a Data.fs given by path (default: ${DEFAULT-VALUE}).")
    String dbName;

    @Option(names = "--format", paramLabel = "FORMAT", defaultValue = "text",
            description = "text (default) or json (JSON Lines).")
    String format;

    @Option(names = "--threads", paramLabel = "N", description = "Threads scanning pickles (default: processors).")
    Integer threads;

    @Option(names = {"-q", "--quiet"}, description = "No notes and no progress on stderr.")
    boolean quiet;

    @Option(names = {"-v", "--verbose"}, description = "Log the phases of the reading (stderr).")
    boolean verbose;

    @Option(names = "--debug", description = "Show stack traces of internal errors.")
    boolean debug;

    @Mixin
    MemoryOption memory = new MemoryOption();

    final List<Path> inputs = new ArrayList<>();
    final List<OidArg> oids = new ArrayList<>();

    @Override
    public boolean debug() {
        return debug;
    }

    PrintWriter out() {
        return spec.commandLine().getOut();
    }

    PrintWriter err() {
        return spec.commandLine().getErr();
    }

    boolean json() {
        return "json".equals(format);
    }

    /** Notes for the operator on stderr (not with --quiet). */
    void note(String text) {
        if (!quiet) {
            err().println(text);
        }
    }

    CommandLine.ParameterException usage(String message) {
        return new CommandLine.ParameterException(spec.commandLine(), message);
    }

    @Override
    public final Integer call() {
        memory.check(spec.commandLine());
        if (verbose) {
            LogConfigurator.setLevel(Level.INFO);
        }
        String f = format.toLowerCase(Locale.ROOT);
        if (!f.equals("text") && !f.equals("json")) {
            throw usage("Invalid value for --format: " + format + " (text or json)");
        }
        format = f;
        if (threads != null && threads < 1) {
            throw usage("--threads must be at least 1");
        }
        for (String a : args) {
            if (OidArg.looksLikeOid(a)) {
                oids.add(OidArg.parse(a));
            } else if (OidArg.meantAsOid(a) && !Files.exists(Path.of(a))) {
                try {
                    OidArg.parse(a);
                } catch (IllegalArgumentException e) {
                    throw usage(e.getMessage());
                }
            } else {
                inputs.add(Path.of(a));
            }
        }
        try {
            int code = run();
            out().flush();
            return code;
        } catch (Exit e) {
            out().flush();
            return e.code;
        }
    }

    /** The command itself; the arguments are split into {@link #inputs} and {@link #oids}. */
    abstract int run() throws Exit;

    /** Checks the storages given on the command line and keeps the graph (findings are not printed). */
    ObjectGraph analyse() throws Exit {
        if (inputs.isEmpty()) {
            throw usage("give a Data.fs or a configuration file");
        }
        List<Database> databases;
        try {
            databases = Inputs.databases(inputs, overrides, dbName, null, spec.commandLine());
        } catch (ConfigException e) {
            err().println("zodbcheck: " + e.describe());
            throw new Exit(ExitCode.USAGE);
        }
        CheckRefs.Options options = CheckRefs.Options.defaults().withSpill(memory.spillDir(), 0);
        if (threads != null) {
            options = options.withThreads(threads);
        }
        ProgressMeter meter = ProgressMeter.forTerminal(err(), quiet) instanceof ProgressMeter m ? m : null;
        if (meter != null) {
            options = options.withProgress(meter);
        }
        int[] damage = new int[1];
        try {
            ObjectGraph graph = new CheckRefs(databases, options).analyse(finding -> {
                if (finding.kind() == Kind.STRUCTURE) {
                    damage[0]++;
                }
            });
            MemoryOption.warnIfSpilled(graph.summary().spilledTables(), memory.spillDir());
            if (damage[0] > 0) {
                note("zodbcheck: note: " + damage[0] + " structure finding" + (damage[0] == 1 ? "" : "s")
                        + " while reading; answers cover the part of the file ZODB reads (see check-refs)");
            }
            return graph;
        } catch (FileStorageException e) {
            err().println("zodbcheck: " + e.describe());
            throw new Exit(ExitCode.UNREADABLE);
        } catch (IOException e) {
            err().println("zodbcheck: I/O error: " + e.getMessage());
            throw new Exit(ExitCode.UNREADABLE);
        } finally {
            if (meter != null) {
                meter.clear();
            }
        }
    }

    /** The node of an oid argument, or {@code null} (with a note) when the databases do not know it. */
    ObjectGraph.Node find(ObjectGraph graph, OidArg oid) throws Exit {
        String db = oid.dbOr(graph.databases().get(0));
        if (!graph.databases().contains(db)) {
            err().println("zodbcheck: no database named " + db + " (databases: "
                    + String.join(", ", graph.databases()) + ")");
            throw new Exit(ExitCode.USAGE);
        }
        ObjectGraph.Node n = graph.find(db, oid.oid());
        if (n == null) {
            err().println(db + ":" + org.zodbcheck.filestorage.Oid.repr(oid.oid())
                    + ": no record, and no current object refers to it");
        }
        return n;
    }

    static void closeQuietly(ObjectGraph g) {
        try {
            g.close();
        } catch (IOException ignored) {
            // read-only files: nothing to lose
        }
    }
}
