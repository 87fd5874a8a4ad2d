package org.zodbcheck.cli;

import java.io.IOException;
import java.util.List;
import java.util.stream.Collectors;
import org.zodbcheck.check.ObjectGraph;
import org.zodbcheck.filestorage.Oid;
import org.zodbcheck.inspect.Paths;
import org.zodbcheck.report.JsonLine;
import org.zodbcheck.report.Values;
import picocli.CommandLine.Command;

/** {@code zodbcheck path}: how an object is reached, hop by hop, with attribute names and keys. */
@Command(name = "path", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
        sortOptions = false,
        customSynopsis = {"zodbcheck path [OPTIONS] FILE... OID..."},
        description = {
            "Show how OID is reached from a root, with attribute names and keys.",
            "",
            "Prints the chain of references from a root to OID, one line per hop with oid, class,",
            "state and the attribute name or mapping key under which the reference sits in the",
            "referrer's pickle. For an oid that cannot be loaded (a POSKeyError) or an unreachable",
            "object: one chain per referrer, each from a root (or, for garbage, from the topmost",
            "unreachable object above it). This is what makes a broken object identifiable.",
            "Never writes anything."},
        footer = {"",
            "Text: per chain a line 'TARGET EXPRESSION' (e.g. main:0x92 root['tree'] -> OOBTree",
            "child 0 -> OOBBucket['k5']), then one indented line per hop: DB:OID CLASS STATE LABEL,",
            "STATE being reachable, garbage, no-record, no-data or unloadable. JSON: one object per",
            "chain with target_db, target_oid, from_root, cycle (the chain starts at garbage in a",
            "reference cycle), expression and hops [{db, oid, class, state, label, form}].",
            "",
            "Exit codes: 0 answered, 1 an oid is unknown (no record and no referrer), 2 usage",
            "or configuration error, 3 a storage cannot be read."})
final class PathCommand extends QueryCommand {
    @Override
    int run() throws Exit {
        if (oids.isEmpty()) {
            throw usage("give the oid to find a path to");
        }
        ObjectGraph graph = analyse();
        try {
            Paths paths = new Paths(graph);
            String first = graph.databases().get(0);
            int code = ExitCode.OK;
            for (OidArg a : oids) {
                ObjectGraph.Node target = find(graph, a);
                if (target == null) {
                    code = ExitCode.FINDINGS;
                    continue;
                }
                for (Paths.Chain c : paths.to(target)) {
                    print(c, first);
                }
            }
            return code;
        } catch (IOException e) {
            err().println("zodbcheck: I/O error: " + e.getMessage());
            throw new Exit(ExitCode.UNREADABLE);
        } finally {
            closeQuietly(graph);
        }
    }

    private void print(Paths.Chain c, String firstDb) {
        Paths.Hop t = c.target();
        String expression = expression(c, firstDb);
        if (json()) {
            String hops = c.hops().stream().map(h -> new JsonLine().str("db", h.db()).str("oid", Oid.repr(h.oid()))
                    .str("class", h.className()).str("state", state(h)).str("label", h.label())
                    .str("form", h.form()).toString()).collect(Collectors.joining(", ", "[", "]"));
            out().println(new JsonLine().str("target_db", t.db()).str("target_oid", Oid.repr(t.oid()))
                    .bool("from_root", c.fromRoot()).bool("cycle", c.topInCycle()).str("expression", expression)
                    .raw("hops", hops));
            return;
        }
        out().println(Values.target(t.db(), t.oid()) + " " + expression);
        List<Paths.Hop> hops = c.hops();
        for (int i = 0; i < hops.size(); i++) {
            Paths.Hop h = hops.get(i);
            String label = i > 0 ? label(h) : c.fromRoot() ? "root" : c.topInCycle()
                    ? "(no root reaches it; only objects below it refer to it: a cycle of garbage)"
                    : "(no root reaches it; nothing above it)";
            out().println("  " + Values.target(h.db(), h.oid()) + " " + (h.className() != null ? h.className() : "-")
                    + " " + state(h) + " " + label);
        }
    }

    /** What the reader of the chain needs to know about a hop. */
    private static String state(Paths.Hop h) {
        if (h.cause() != null) {
            return h.cause().label();
        }
        return h.reachable() ? "reachable" : "garbage";
    }

    private static String label(Paths.Hop h) {
        return h.label() != null ? h.label() : "(" + h.form() + " reference)";
    }

    /**
     * The chain as one expression, the way one would reach the object in a Python prompt:
     * {@code root['tree'] -> OOBTree child 0 -> OOBBucket['k5']}.
     */
    static String expression(Paths.Chain c, String firstDb) {
        List<Paths.Hop> hops = c.hops();
        Paths.Hop start = hops.get(0);
        StringBuilder sb = new StringBuilder();
        if (c.fromRoot()) {
            sb.append(start.db().equals(firstDb) ? "root" : start.db() + ":root");
        } else {
            sb.append(Values.target(start.db(), start.oid())).append(' ').append(shortName(start.className()));
        }
        for (int i = 1; i < hops.size(); i++) {
            if (i > 1) {
                sb.append(" -> ").append(shortName(hops.get(i - 1).className()));
            }
            String l = label(hops.get(i));
            sb.append(l.startsWith("[") || l.startsWith(".") ? "" : " ").append(l);
        }
        return sb.toString();
    }

    private static String shortName(String className) {
        if (className == null) {
            return "?";
        }
        int dot = className.lastIndexOf('.');
        return dot >= 0 ? className.substring(dot + 1) : className;
    }
}
