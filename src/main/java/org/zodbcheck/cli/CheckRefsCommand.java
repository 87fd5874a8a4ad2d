package org.zodbcheck.cli;

import ch.qos.logback.classic.Level;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.zodbcheck.check.CheckRefs;
import org.zodbcheck.check.Database;
import org.zodbcheck.check.Severity;
import org.zodbcheck.check.Summary;
import org.zodbcheck.config.ConfigException;
import org.zodbcheck.filestorage.FileStorageException;
import org.zodbcheck.filestorage.StorageFile;
import org.zodbcheck.graph.Memory;
import org.zodbcheck.refdb.RefDbException;
import org.zodbcheck.refdb.ReferenceDatabase;
import org.zodbcheck.refdb.ReferenceDatabases;
import org.zodbcheck.report.FsrefsPrinter;
import org.zodbcheck.report.JsonPrinter;
import org.zodbcheck.report.Printer;
import org.zodbcheck.report.TextPrinter;
import org.zodbcheck.report.ZodbdgcPrinter;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code zodbcheck check-refs}: find references to objects that cannot be loaded. */
@Command(name = "check-refs", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
        sortOptions = false,
        description = {
            "Find references to objects that cannot be loaded (POSKeyError).",
            "",
            "Walks the references of every object from the root (oid 0) of each database and",
            "reports each one that points at an object that cannot be loaded, as",
            "multi-zodb-check-refs does; also references from garbage, weak references, records",
            "that cannot be parsed, missing blob files and damage in the file. Reads the good",
            "prefix ZODB would read (an unfinished last commit is reported, not read).",
            "Never writes anything."},
        footer = {"",
            "Finding kinds (severity): poskeyerror (error), dangling (warning: from garbage),",
            "weak-dangling (info), unreadable-record (error), structure (error; warning for an",
            "unfinished last transaction), bad-db (error), bad-xref (warning), missing-blob",
            "(error), orphan-blob (info), empty-blob (info), garbage (info, --list-garbage),",
            "history-dangling (info, --history).",
            "",
            "Exit codes: 0 no finding at or above --fail-on, 1 findings, 2 usage or",
            "configuration error, 3 the input cannot be read as a FileStorage (missing file,",
            "no FS21/FS30 header, I/O error), 4 internal error."})
final class CheckRefsCommand implements Callable<Integer>, Main.Debuggable {
    enum Format { TEXT, JSON, ZODBDGC, FSREFS }

    @Spec
    private CommandSpec spec;

    @Parameters(arity = "1..*", paramLabel = "FILE",
            description = "A Data.fs (opened read-only), or one or more configuration files (zodb.conf,"
                    + " zope.conf, zeo.conf) whose databases are checked together. Relative paths in a"
                    + " configuration resolve against the current directory, as ZConfig and zc.zodbdgc do.")
    private List<Path> inputs;

    @Option(names = {"-f", "--file-storage"}, paramLabel = "NAME=PATH",
            description = "Check PATH as the Data.fs of database NAME of the configuration, whatever its storage"
                    + " section says (e.g. a <zeoclient>: give the server's Data.fs). Repeatable. Its blob files are"
                    + " checked only if the configuration names a blob directory for it.")
    private Map<String, Path> overrides = new LinkedHashMap<>();

    @Option(names = "--blob-dir", paramLabel = "DIR",
            description = "Blob directory of a Data.fs given by path (with a configuration, its blob-dir is used)."
                    + " Without it, blob files are checked only when a configuration names them.")
    private Path blobDir;

    @Option(names = "--format", paramLabel = "FORMAT", defaultValue = "text",
            description = {"text (default): one line per finding: severity kind db:oid key=value...",
                "json: JSON Lines with fixed keys",
                "zodbdgc: exactly what multi-zodb-check-refs prints (other findings go to stderr)",
                "fsrefs: exactly what ZODB's fsrefs.py prints (other findings go to stderr)"})
    private String format;

    @Option(names = "--db-name", paramLabel = "NAME", defaultValue = "main",
            description = "Name of a Data.fs given by path (default: ${DEFAULT-VALUE}); cross-database references"
                    + " that name it resolve to this file.")
    private String dbName;

    @Option(names = {"-r", "--refdb"}, paramLabel = "REFDB",
            description = "Also write a reference database: a SQLite file with every current object and every"
                    + " reference (docs/refdb.md), for 'referrers --refdb' and for sqlite3. Replaces an earlier"
                    + " one; refuses any other existing file. With --format zodbdgc, reports name a referrer"
                    + " instead of '?', as multi-zodb-check-refs -r does.")
    private Path refdbPath;

    @Option(names = "--list-garbage",
            description = "Also report every unreachable object with data (kind garbage, info). The summary counts"
                    + " them either way.")
    private boolean listGarbage;

    @Option(names = "--history",
            description = "Also read the references of older revisions: history-dangling (info) names each old"
                    + " revision that refers to an object that cannot be loaded now, which undoing back to it"
                    + " would bring back.")
    private boolean history;

    @Option(names = "--fail-on", paramLabel = "SEVERITY", defaultValue = "error",
            description = "Exit 1 when a finding of this severity or worse is found: error (default), warning or"
                    + " info.")
    private String failOn;

    @Option(names = "--threads", paramLabel = "N",
            description = "Threads scanning pickles (default: the number of processors).")
    private Integer threads;

    @Option(names = "--max-rate", paramLabel = "MB/s",
            description = "Read at most this many megabytes per second (spares a production server's disk).")
    private Double maxRate;

    @Option(names = {"-q", "--quiet"}, description = "No summary and no progress on stderr.")
    private boolean quiet;

    @Option(names = {"-v", "--verbose"}, description = "Log what each phase did and how long it took (stderr).")
    private boolean verbose;

    @Option(names = "--debug", description = "Show stack traces of internal errors.")
    private boolean debug;

    @Mixin
    MemoryOption memory = new MemoryOption();

    @Override
    public boolean debug() {
        return debug;
    }

    /**
     * Says that the reference database this run created is gone when the check could not finish
     * (a storage that cannot be read): a database of nothing would look like an answer. Closing
     * an unfinished database removes it; this makes sure and tells the operator.
     */
    private void discardRefdb(ReferenceDatabase refdb, PrintWriter err) {
        if (refdb == null) {
            return;
        }
        try {
            java.nio.file.Files.deleteIfExists(refdbPath);
            err.println("zodbcheck: " + refdbPath + ": not written (the check did not finish)");
        } catch (IOException e) {
            err.println("zodbcheck: " + refdbPath + ": incomplete, and it cannot be removed: " + e.getMessage());
        }
    }

    /** The storages and their index files: never written over. */
    private static List<Path> protectedFiles(List<Database> databases) {
        List<Path> p = new java.util.ArrayList<>();
        for (Database d : databases) {
            p.add(d.path());
            p.add(d.path().resolveSibling(d.path().getFileName() + ".index"));
        }
        return p;
    }

    @Override
    public Integer call() {
        memory.check(spec.commandLine());
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (verbose) {
            LogConfigurator.setLevel(Level.INFO);
        }
        Severity bar;
        Format fmt;
        try {
            bar = Severity.ofLabel(failOn.toLowerCase(Locale.ROOT));
            fmt = Format.valueOf(format.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                    "Invalid value: --format is text, json, zodbdgc or fsrefs; --fail-on is error, warning or info");
        }
        if (threads != null && threads < 1) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--threads must be at least 1");
        }
        if (maxRate != null && !(maxRate > 0)) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--max-rate must be a positive number");
        }
        Printer printer = switch (fmt) {
            case TEXT -> new TextPrinter(out);
            case JSON -> new JsonPrinter(out);
            case ZODBDGC -> new ZodbdgcPrinter(out, err, refdbPath != null);
            case FSREFS -> new FsrefsPrinter(out, err);
        };
        CheckRefs.Options options = CheckRefs.Options.defaults().withListGarbage(listGarbage).withHistory(history)
                .withSpill(memory.spillDir(), 0);
        if (threads != null) {
            options = options.withThreads(threads);
        }
        ProgressMeter meter = null;
        if (ProgressMeter.forTerminal(err, quiet) instanceof ProgressMeter m) {
            meter = m;
            options = options.withProgress(m);
        }
        List<Database> databases;
        try {
            databases = Inputs.databases(inputs, overrides, dbName, blobDir, spec.commandLine());
        } catch (ConfigException e) {
            err.println("zodbcheck: " + e.describe());
            return ExitCode.USAGE;
        }
        ReferenceDatabase refdb = null;
        if (refdbPath != null) {
            try {
                refdb = ReferenceDatabases.create(refdbPath, protectedFiles(databases), String.join(" ",
                        inputs.stream().map(p -> p.toAbsolutePath().normalize().toString()).toList()));
            } catch (RefDbException e) {
                err.println("zodbcheck: " + e.describe());
                return ExitCode.USAGE;
            }
            options = options.withGraph(refdb);
        }
        Summary summary;
        StorageFile.throttle(maxRate == null ? 0 : (long) (maxRate * 1_000_000));
        try (ReferenceDatabase written = refdb) {
            summary = new CheckRefs(databases, options).run(printer);
            if (written != null) {
                long t0 = System.nanoTime();
                written.finish();
                summary.phases().put("indexed the reference database", (System.nanoTime() - t0) / 1e9);
            }
        } catch (FileStorageException e) {
            err.println("zodbcheck: " + e.describe());
            discardRefdb(refdb, err);
            return ExitCode.UNREADABLE;
        } catch (IOException e) {
            err.println("zodbcheck: I/O error: " + e.getMessage());
            discardRefdb(refdb, err);
            return ExitCode.UNREADABLE;
        } catch (Memory.SpillException e) {
            err.println("zodbcheck: " + e.getMessage());
            discardRefdb(refdb, err);
            return ExitCode.INTERNAL;
        } finally {
            StorageFile.throttle(0);
            if (meter != null) {
                meter.clear();
            }
        }
        printer.finish();
        out.flush();
        if (verbose) {
            Logger log = LoggerFactory.getLogger(CheckRefsCommand.class);
            summary.phases().forEach((phase, secs) -> log.info("{} in {} ms", phase, Math.round(secs * 1000)));
            log.info("tables: {} MB on the heap, {} MB spilled to {}", summary.heapTables() >> 20,
                    summary.spilledTables() >> 20, memory.spillDir());
        }
        MemoryOption.warnIfSpilled(summary.spilledTables(), memory.spillDir());
        if (!quiet) {
            err.println(SummaryLine.of(summary));
        }
        Severity worst = summary.worst();
        return worst != null && worst.atLeast(bar) ? ExitCode.FINDINGS : ExitCode.OK;
    }
}
