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
import java.util.OptionalLong;
import java.util.concurrent.Callable;
import org.zodbcheck.check.Database;
import org.zodbcheck.check.Finding;
import org.zodbcheck.check.Progress;
import org.zodbcheck.check.Severity;
import org.zodbcheck.check.StructureFinding;
import org.zodbcheck.config.ConfigException;
import org.zodbcheck.filestorage.FileStorageException;
import org.zodbcheck.filestorage.LockFile;
import org.zodbcheck.filestorage.StorageFile;
import org.zodbcheck.graph.Memory;
import org.zodbcheck.report.JsonPrinter;
import org.zodbcheck.report.TextPrinter;
import org.zodbcheck.verify.Fstest;
import org.zodbcheck.verify.IndexCheck;
import org.zodbcheck.verify.Verifier;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code zodbcheck verify}: the structure of the file, past the first error, and its index. */
@Command(name = "verify", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
        sortOptions = false,
        description = {
            "Check the structure of the file: every check of fstest and more, past the first error.",
            "",
            "Reads every transaction and data record header: lengths, status, increasing tids, tloc,",
            "tid of each record, prev pointers and backpointers (to an earlier record of the same oid),",
            "version records, transaction extensions. After damage it resumes at the next position",
            "that holds a complete transaction and reports the skipped bytes. Compares Data.fs.index",
            "with the file as ZODB would. Works on a storage a server is writing to: the file is read",
            "as it was when opened. Never writes anything."},
        footer = {"",
            "Finding kinds: structure (error: damage; warning: an incomplete last transaction, or",
            "info when the storage is being written to; warning: version records, a zero prev",
            "pointer, a record tid that differs from its transaction's, an unreadable extension;",
            "info: transactions with status 'u', undone by ZODB before 3.3),",
            "bad-index (warning: ZODB ignores the index; error: ZODB would use it but it is wrong),",
            "stale-index (info).",
            "",
            "Exit codes: 0 no finding at or above --fail-on, 1 findings, 2 usage or configuration",
            "error, 3 the input cannot be read as a FileStorage. With --format fstest: 1 whenever",
            "fstest would print an error."})
final class VerifyCommand implements Callable<Integer>, Main.Debuggable {
    @Spec
    private CommandSpec spec;

    @Parameters(arity = "1..*", paramLabel = "FILE",
            description = "A Data.fs (opened read-only), or configuration files whose storages are verified.")
    private List<Path> inputs;

    @Option(names = {"-f", "--file-storage"}, paramLabel = "NAME=PATH",
            description = "Verify PATH as the Data.fs of database NAME of the configuration. Repeatable.")
    private Map<String, Path> overrides = new LinkedHashMap<>();

    @Option(names = "--db-name", paramLabel = "NAME", defaultValue = "main",
            description = "Name of a Data.fs given by path (default: ${DEFAULT-VALUE}).")
    private String dbName;

    @Option(names = "--format", paramLabel = "FORMAT", defaultValue = "text",
            description = {"text (default) or json: one line per finding, as check-refs prints them",
                "fstest: exactly what ZODB's fstest.py prints for the first error (on stderr, as fstest",
                "does), then the other findings in the text format on stderr"})
    private String format;

    @Option(names = "--max-rate", paramLabel = "MB/s",
            description = "Read at most this many megabytes per second (spares a production server's disk).")
    private Double maxRate;

    @Option(names = "--fail-on", paramLabel = "SEVERITY", defaultValue = "error",
            description = "Exit 1 when a finding of this severity or worse is found: error (default), warning, info.")
    private String failOn;

    @Option(names = {"-q", "--quiet"}, description = "No summary, notes or progress on stderr.")
    private boolean quiet;

    @Option(names = {"-v", "--verbose"}, description = "Log what was read and how long it took (stderr).")
    private boolean verbose;

    @Option(names = "--debug", description = "Show stack traces of internal errors.")
    private boolean debug;

    @Mixin
    MemoryOption memory = new MemoryOption();

    @Override
    public boolean debug() {
        return debug;
    }

    @Override
    public Integer call() {
        memory.check(spec.commandLine());
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (verbose) {
            LogConfigurator.setLevel(Level.INFO);
        }
        String fmt = format.toLowerCase(Locale.ROOT);
        Severity bar;
        try {
            bar = Severity.ofLabel(failOn.toLowerCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--fail-on is error, warning or info");
        }
        if (!List.of("text", "json", "fstest").contains(fmt)) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--format is text, json or fstest");
        }
        if (maxRate != null && !(maxRate > 0)) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--max-rate must be a positive number");
        }
        List<Database> databases;
        try {
            databases = Inputs.databases(inputs, overrides, dbName, null, spec.commandLine());
        } catch (ConfigException e) {
            err.println("zodbcheck: " + e.describe());
            return ExitCode.USAGE;
        }
        StorageFile.throttle(maxRate == null ? 0 : (long) (maxRate * 1_000_000));
        int code = ExitCode.OK;
        try {
            for (Database d : databases) {
                code = Math.max(code, verify(d, fmt, bar, out, err));
            }
        } finally {
            StorageFile.throttle(0);
        }
        out.flush();
        return code;
    }

    private int verify(Database d, String fmt, Severity bar, PrintWriter out, PrintWriter err) {
        boolean fstest = fmt.equals("fstest");
        String shown = d.path().toString();
        long t0 = System.nanoTime();
        List<Finding> findings = new ArrayList<>();
        Verifier.Result result;
        String fstestLine = null;
        try (StorageFile file = StorageFile.open(d.path())) {
            OptionalLong holder = LockFile.runningHolder(d.path());
            if (holder.isPresent() && !quiet) {
                err.println("zodbcheck: note: " + LockFile.of(d.path()) + " names process " + holder.getAsLong()
                        + ", which is running: a ZODB process has the storage open; reading it as it was at "
                        + file.size() + " bytes, without locking");
            }
            IndexCheck index = new IndexCheck(file, d.name(), findings::add);
            index.before();
            Progress progress = ProgressMeter.forTerminal(err, quiet);
            Memory tables = Memory.ofHeap(memory.spillDir());
            result = new Verifier(file, d.name(), shown, findings::add, progress, tables).onBoundary(index).run();
            MemoryOption.warnIfSpilled(tables.spilledBytes(), memory.spillDir());
            if (progress instanceof ProgressMeter m) {
                m.clear();
            }
            index.after(result.end());
            if (fstest) {
                fstestLine = Fstest.firstError(file, shown);
            }
            StructureFinding tail = result.tail();
            if (tail != null && tail.severity() == Severity.WARNING && file.live()) {
                findings.replaceAll(f -> f == tail ? new StructureFinding(tail.kind(), Severity.INFO, tail.db(),
                        tail.file(), tail.pos(), tail.offset(), tail.oid(), tail.message()
                        + " (the storage is being written to: a commit in progress)") : f);
            }
        } catch (FileStorageException e) {
            if (fstest) {
                return fstestUnreadable(d.path(), shown, e, err);
            }
            err.println("zodbcheck: " + e.describe());
            return ExitCode.UNREADABLE;
        } catch (IOException e) {
            err.println("zodbcheck: " + shown + ": I/O error: " + e.getMessage());
            return ExitCode.UNREADABLE;
        }
        boolean fstestError = fstestLine != null;
        if (fstestError) {
            err.println(fstestLine);
        }
        Severity worst = print(findings, fstest, fmt, out, err);
        if (!quiet && !fstest) {
            summary(err, d, result, findings, (System.nanoTime() - t0) / 1e9);
        }
        return fstestError || (worst != null && worst.atLeast(bar)) ? ExitCode.FINDINGS : ExitCode.OK;
    }

    /** Prints the findings; in the fstest format, fstest's own line first, all on stderr. */
    private Severity print(List<Finding> findings, boolean fstest, String fmt, PrintWriter out, PrintWriter err) {
        Severity worst = null;
        PrintWriter to = fstest ? err : out;
        for (Finding f : findings) {
            worst = worst == null || f.severity().atLeast(worst) ? f.severity() : worst;
            to.println(fmt.equals("json") ? JsonPrinter.line(f) : TextPrinter.line(f));
        }
        return worst;
    }

    /** fstest's messages for a file that is not a FileStorage at all (it exits 1 for those too). */
    private int fstestUnreadable(Path path, String shown, FileStorageException e, PrintWriter err) {
        try {
            if (Files.isRegularFile(path)) {
                String line = Fstest.firstError(path, shown);
                if (line != null) {
                    err.println(line);
                    return ExitCode.FINDINGS;
                }
            }
        } catch (IOException ignored) {
            // fall through to zodbcheck's own message
        }
        err.println("zodbcheck: " + e.describe());
        return ExitCode.UNREADABLE;
    }

    private void summary(PrintWriter err, Database d, Verifier.Result r, List<Finding> findings, double secs) {
        long[] n = new long[3];
        for (Finding f : findings) {
            n[f.severity().ordinal()]++;
        }
        err.printf(Locale.ROOT, "zodbcheck: %s: verified %d transactions, %d data records, %d bytes%s; %d findings:"
                        + " %d errors, %d warnings, %d info; %.2f s%n", d.name(), r.transactions(), r.records(), r.end(),
                r.skipped() > 0 ? " (" + r.skipped() + " bytes skipped)" : "", findings.size(), n[0], n[1], n[2], secs);
    }
}
