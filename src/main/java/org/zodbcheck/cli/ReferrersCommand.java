package org.zodbcheck.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.zodbcheck.check.Cause;
import org.zodbcheck.check.ObjectGraph;
import org.zodbcheck.filestorage.Oid;
import org.zodbcheck.refdb.RefDbException;
import org.zodbcheck.refdb.ReferenceDatabase;
import org.zodbcheck.refdb.ReferenceDatabases;
import org.zodbcheck.report.JsonLine;
import org.zodbcheck.report.Values;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code zodbcheck referrers}: the objects whose current revision refers to an oid. */
@Command(name = "referrers", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
        sortOptions = false,
        customSynopsis = {"zodbcheck referrers [OPTIONS] (FILE... | --refdb REFDB) OID..."},
        description = {
            "List the objects that refer to OID.",
            "",
            "One line per object whose current revision refers to OID and reference form,",
            "with its class and whether a root reaches it. Reads the storage",
            "(a full pass, as check-refs does), or a reference database written by check-refs -r.",
            "Never writes anything."},
        footer = {"",
            "Text lines: REFERRER class=CLASS reachable=true|false ref=strong|weak form=FORM",
            "count=N target=TARGET. JSON keys: db, oid, class, reachable, ref, form, count,",
            "target_db, target_oid. A note on stderr says whether the target can be loaded.",
            "",
            "Exit codes: 0 answered, 1 an oid is unknown (no record and no referrer), 2 usage",
            "or configuration error, 3 a storage or reference database cannot be read."})
final class ReferrersCommand extends QueryCommand {
    @Option(names = {"-r", "--refdb"}, paramLabel = "REFDB",
            description = "Answer from this reference database (check-refs -r) instead of reading the storage.")
    Path refdbPath;

    /** One output line: the references of one referrer, in one form, to the target. */
    private record Row(String db, long oid, String className, boolean reachable, String form, boolean strong,
                       int count) {
    }

    @Override
    int run() throws Exit {
        if (oids.isEmpty()) {
            throw usage("give the oid whose referrers to list");
        }
        if (refdbPath != null) {
            if (!inputs.isEmpty()) {
                throw usage("give either storage files or --refdb, not both");
            }
            return fromRefdb();
        }
        ObjectGraph graph = analyse();
        try {
            int code = ExitCode.OK;
            for (OidArg a : oids) {
                ObjectGraph.Node target = find(graph, a);
                if (target == null) {
                    code = ExitCode.FINDINGS;
                    continue;
                }
                Map<String, Row> rows = new LinkedHashMap<>();
                for (ObjectGraph.Edge e : graph.referrers(target)) {
                    Row r = new Row(graph.db(e.from()), graph.oid(e.from()), graph.className(e.from()),
                            graph.reachable(e.from()), e.form().label(), e.form().strong(), 1);
                    rows.merge(r.db() + ":" + r.oid() + ":" + r.form(), r,
                            (x, y) -> new Row(x.db(), x.oid(), x.className(), x.reachable(), x.form(), x.strong(),
                                    x.count() + 1));
                }
                String db = graph.db(target);
                note(describe(db, a.oid(), graph.cause(target), graph.hasRecord(target) ? graph.className(target)
                        : null, graph.reachable(target), rows.size()));
                print(db, a.oid(), new ArrayList<>(rows.values()));
            }
            return code;
        } finally {
            closeQuietly(graph);
        }
    }

    private int fromRefdb() throws Exit {
        try (ReferenceDatabase refdb = ReferenceDatabases.open(refdbPath)) {
            List<String> dbs = refdb.databases();
            note("zodbcheck: " + refdbPath + ": reference database of " + refdb.meta("source") + " (" + String.join(
                    ", ", dbs) + "), written " + refdb.meta("created") + "; later commits are not in it");
            int code = ExitCode.OK;
            for (OidArg a : oids) {
                String db = a.dbOr(dbs.isEmpty() ? dbName : dbs.get(0));
                if (!dbs.isEmpty() && !dbs.contains(db)) {
                    err().println("zodbcheck: no database named " + db + " in " + refdbPath + " (databases: "
                            + String.join(", ", dbs) + ")");
                    throw new Exit(ExitCode.USAGE);
                }
                Map<String, Row> rows = new LinkedHashMap<>();
                for (ReferenceDatabase.Referrer r : refdb.referrers(db, a.oid())) {
                    Row row = new Row(r.db(), r.oid(), r.className(), r.reachable(), r.form(), r.strong(), 1);
                    rows.merge(r.db() + ":" + r.oid() + ":" + r.form(), row,
                            (x, y) -> new Row(x.db(), x.oid(), x.className(), x.reachable(), x.form(), x.strong(),
                                    x.count() + 1));
                }
                ReferenceDatabase.ObjectRow o = refdb.object(db, a.oid());
                if (o == null && rows.isEmpty()) {
                    err().println(Values.target(db, a.oid()) + ": no record, and no current object refers to it");
                    code = ExitCode.FINDINGS;
                    continue;
                }
                Cause cause = o == null ? Cause.NO_RECORD : switch (o.state()) {
                    case "no-data" -> Cause.NO_DATA;
                    case "unloadable" -> Cause.UNLOADABLE;
                    default -> null;
                };
                note(describe(db, a.oid(), cause, o != null ? o.className() : null, o != null && o.reachable(),
                        rows.size()));
                print(db, a.oid(), new ArrayList<>(rows.values()));
            }
            return code;
        } catch (RefDbException e) {
            err().println("zodbcheck: " + e.describe());
            throw new Exit(ExitCode.UNREADABLE);
        } catch (IOException e) {
            err().println("zodbcheck: " + refdbPath + ": " + e.getMessage());
            throw new Exit(ExitCode.UNREADABLE);
        }
    }

    private static String describe(String db, long oid, Cause cause, String className, boolean reachable,
                                   int referrers) {
        String what = cause != null ? "cannot be loaded (" + cause.label() + ")"
                : (className != null ? className : "object") + (reachable ? ", reachable" : ", not reachable (garbage)");
        return Values.target(db, oid) + ": " + what + "; " + referrers + (referrers == 1 ? " referrer" : " referrers");
    }

    private void print(String targetDb, long targetOid, List<Row> rows) {
        for (Row r : rows) {
            if (json()) {
                out().println(new JsonLine().str("db", r.db()).str("oid", Oid.repr(r.oid()))
                        .str("class", r.className()).bool("reachable", r.reachable())
                        .str("ref", r.strong() ? "strong" : "weak").str("form", r.form())
                        .num("count", (long) r.count()).str("target_db", targetDb)
                        .str("target_oid", Oid.repr(targetOid)));
            } else {
                out().println(Values.target(r.db(), r.oid()) + " class=" + (r.className() == null ? "-" : Values.text(r.className()))
                        + " reachable=" + r.reachable() + " ref=" + (r.strong() ? "strong" : "weak")
                        + " form=" + r.form() + " count=" + r.count() + " target=" + Values.target(targetDb, targetOid));
            }
        }
    }
}
