package org.zodbcheck.cli;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.zodbcheck.check.ObjectGraph;
import org.zodbcheck.filestorage.Oid;
import org.zodbcheck.pickle.PickleScanner;
import org.zodbcheck.pickle.RefForm;
import org.zodbcheck.report.JsonLine;
import org.zodbcheck.report.Values;
import picocli.CommandLine.Command;

/** {@code zodbcheck refs}: every persistent reference of current objects, one line each. */
@Command(name = "refs", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
        sortOptions = false,
        customSynopsis = {"zodbcheck refs [OPTIONS] FILE... [OID...]"},
        description = {
            "List the persistent references of current objects.",
            "",
            "Lists the references of every current object (or of the given oids), one",
            "line per reference in pickle order, objects by oid: a reference that appears twice in",
            "a record is listed twice. Weak and cross-database references included. Never writes",
            "anything."},
        footer = {"",
            "Text: DB:OID TARGET_DB:TARGET_OID form=FORM ref=strong|weak, FORM being oid,",
            "oid-klass, list, w, m or n (FORMAT.md §3.3). JSON keys: db, oid, target_db,",
            "target_oid, form, ref. Records whose pickle cannot be parsed list the references",
            "found before the damage, with a note on stderr (check-refs reports them).",
            "",
            "Exit codes: 0 answered, 1 an oid is unknown (no record and no referrer), 2 usage",
            "or configuration error, 3 a storage cannot be read."})
final class RefsCommand extends QueryCommand {
    @Override
    int run() throws Exit {
        ObjectGraph graph = analyse();
        try {
            int code = ExitCode.OK;
            List<ObjectGraph.Node> nodes = new ArrayList<>();
            if (oids.isEmpty()) {
                for (int d = 0; d < graph.databases().size(); d++) {
                    nodes.addAll(graph.objects(d));
                }
            } else {
                for (OidArg a : oids) {
                    ObjectGraph.Node n = find(graph, a);
                    if (n == null) {
                        code = ExitCode.FINDINGS;
                    } else {
                        nodes.add(n);
                    }
                }
            }
            PickleScanner scanner = new PickleScanner();
            for (ObjectGraph.Node n : nodes) {
                list(graph, scanner, n);
            }
            return code;
        } catch (IOException e) {
            err().println("zodbcheck: I/O error: " + e.getMessage());
            throw new Exit(ExitCode.UNREADABLE);
        } finally {
            closeQuietly(graph);
        }
    }

    private void list(ObjectGraph graph, PickleScanner scanner, ObjectGraph.Node n) throws IOException {
        byte[] data = graph.data(n);
        String db = graph.db(n);
        long oid = graph.oid(n);
        if (data == null) {
            if (!oids.isEmpty() && graph.cause(n) != null) {
                // asked for by name: say why nothing is listed
                note(Values.target(db, oid) + ": cannot be loaded (" + graph.cause(n).label() + "): no references");
            }
            return;
        }
        boolean parsed = scanner.scan(data, 0, data.length, pid -> {
            if (pid.form() == RefForm.MALFORMED) {
                note(Values.target(db, oid) + ": a persistent id ZODB cannot load: " + pid.problem());
                return;
            }
            String tdb = pid.database() != null ? pid.database() : db;
            print(db, oid, tdb, pid.oid(), pid.form());
        });
        if (!parsed) {
            note(Values.target(db, oid) + ": the pickle cannot be parsed (" + scanner.error()
                    + "); references after that point are not listed");
        }
    }

    private void print(String db, long oid, String tdb, long toid, RefForm form) {
        String ref = form.strong() ? "strong" : "weak";
        if (json()) {
            out().println(new JsonLine().str("db", db).str("oid", Oid.repr(oid)).str("target_db", tdb)
                    .str("target_oid", Oid.repr(toid)).str("form", form.label()).str("ref", ref));
        } else {
            out().println(Values.target(db, oid) + " " + Values.target(tdb, toid) + " form=" + form.label()
                    + " ref=" + ref);
        }
    }
}
