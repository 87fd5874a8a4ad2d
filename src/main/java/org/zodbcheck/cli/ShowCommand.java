package org.zodbcheck.cli;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import org.zodbcheck.check.Cause;
import org.zodbcheck.check.ObjectGraph;
import org.zodbcheck.filestorage.DataHeader;
import org.zodbcheck.filestorage.FileStorageException;
import org.zodbcheck.filestorage.Oid;
import org.zodbcheck.filestorage.StorageFile;
import org.zodbcheck.filestorage.Tid;
import org.zodbcheck.inspect.Labels;
import org.zodbcheck.inspect.Records;
import org.zodbcheck.pickle.Disassembler;
import org.zodbcheck.pickle.ReferenceLabels;
import org.zodbcheck.report.JsonLine;
import org.zodbcheck.report.Values;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code zodbcheck show}: one object's current record, its references and, on request, its history. */
@Command(name = "show", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
        sortOptions = false,
        customSynopsis = {"zodbcheck show [OPTIONS] FILE... OID..."},
        description = {
            "Show an object's current record, references and history.",
            "",
            "Shows the current record: class, state, whether a root reaches it, tid and",
            "time, the transaction's user and description, file position, data size, the",
            "backpointer chain, and every outgoing reference with its form, where it sits in the",
            "pickle and whether its target can be loaded. Never writes anything."},
        footer = {"",
            "Text: 'key: value' lines, references indented below 'references:'. JSON: one",
            "object per oid with the same keys.",
            "",
            "Exit codes: 0 answered, 1 an oid is unknown (no record and no referrer), 2 usage",
            "or configuration error, 3 a storage cannot be read."})
final class ShowCommand extends QueryCommand {
    @Option(names = "--history", description = "Also list every record of the oid in the file, oldest first.")
    boolean history;

    @Option(names = "--pickle",
            description = "Also disassemble the current data's two pickles (class, state) like pickletools.dis.")
    boolean pickle;

    @Override
    int run() throws Exit {
        if (oids.isEmpty()) {
            throw usage("give the oid to show");
        }
        ObjectGraph graph = analyse();
        try {
            Labels labels = new Labels(graph);
            int code = ExitCode.OK;
            for (OidArg a : oids) {
                ObjectGraph.Node n = find(graph, a);
                if (n == null) {
                    code = ExitCode.FINDINGS;
                    continue;
                }
                show(graph, labels, n);
            }
            return code;
        } catch (IOException | FileStorageException e) {
            err().println("zodbcheck: " + (e instanceof FileStorageException f ? f.describe() : e.getMessage()));
            throw new Exit(ExitCode.UNREADABLE);
        } finally {
            closeQuietly(graph);
        }
    }

    private void show(ObjectGraph graph, Labels labels, ObjectGraph.Node n) throws IOException, FileStorageException {
        StorageFile file = graph.file(n.db());
        long goodEnd = graph.goodEnd(n.db());
        Records.Revision current = graph.hasRecord(n) ? Records.at(file, graph.currentPos(n), goodEnd) : null;
        List<Long> back = current != null && current.plen() == 0 ? Records.backpointers(file, current.pos(), goodEnd)
                : List.of();
        byte[] data = graph.data(n);
        List<String[]> refs = new ArrayList<>();
        for (ReferenceLabels.Labeled l : labels.of(n)) {
            String db = l.database() != null ? l.database() : graph.db(n);
            ObjectGraph.Node t = graph.databases().contains(db) ? graph.find(db, l.oid()) : null;
            String state = t == null ? (graph.databases().contains(db) ? "no-record" : "unknown-db") : state(graph, t);
            refs.add(new String[] {Values.target(db, l.oid()), l.form().strong() ? "strong" : "weak", l.form().label(),
                state, l.label()});
        }
        List<Records.Revision> revisions = history ? Records.history(file, graph.oid(n)) : List.of();
        Before before = current != null && graph.cause(n) != null
                ? before(graph, n, current, history ? revisions : Records.history(file, graph.oid(n))) : null;
        if (json()) {
            json(graph, n, current, back, data, refs, revisions, before);
        } else {
            text(graph, n, current, back, data, refs, revisions, before);
        }
    }

    /** What an object without data was: its last earlier revision with data, and that revision's class. */
    private record Before(Records.Revision revision, String className) {
    }

    private static Before before(ObjectGraph graph, ObjectGraph.Node n, Records.Revision current,
                                 List<Records.Revision> all) throws IOException {
        for (int i = all.size() - 1; i >= 0; i--) {
            Records.Revision r = all.get(i);
            if (r.plen() > 0 && r.pos() < current.pos()) {
                String klass;
                try {
                    klass = graph.classAt(n.db(), r.pos());
                } catch (IOException e) {
                    klass = null; // a damaged old record: its class is unknown, the rest is still shown
                }
                return new Before(r, klass);
            }
        }
        return null;
    }

    private static String state(ObjectGraph graph, ObjectGraph.Node n) {
        Cause c = graph.cause(n);
        if (c != null) {
            return c.label();
        }
        if (graph.unreadable(n)) {
            return "unreadable";
        }
        return graph.reachable(n) ? "reachable" : "garbage";
    }

    private void text(ObjectGraph graph, ObjectGraph.Node n, Records.Revision cur, List<Long> back, byte[] data,
                      List<String[]> refs, List<Records.Revision> revisions, Before before) {
        var out = out();
        long oid = graph.oid(n);
        out.println("oid: " + Values.target(graph.db(n), oid) + " (" + Long.toUnsignedString(oid) + ", "
                + Oid.hex16(oid) + ")");
        out.println("class: " + (graph.className(n) != null ? graph.className(n) : "-"));
        if (before != null) {
            out.println("last class: " + (before.className() != null ? before.className() : "-")
                    + " (its last revision with data: pos=" + before.revision().pos() + " tid="
                    + Tid.repr(before.revision().tid()) + ")");
        }
        out.println("state: " + state(graph, n));
        if (graph.problem(n) != null) {
            out.println("problem: " + graph.problem(n));
        }
        if (cur != null) {
            out.println("tid: " + Tid.repr(cur.tid()) + " " + Tid.timestamp(cur.tid()));
            out.println("transaction: tpos=" + cur.tpos() + " status=" + status(cur.status()) + " user="
                    + Values.pyBytes(cur.user()) + " description=" + Values.pyBytes(cur.description()));
            out.println("pos: " + cur.pos());
            out.println("size: " + (data != null ? data.length : 0));
            out.println("backpointers: " + (back.isEmpty() ? "none" : back.stream()
                    .map(p -> p == -1 ? "broken" : p == 0 ? "0 (no data)" : Long.toString(p))
                    .collect(Collectors.joining(" -> "))));
        }
        out.println("references: " + refs.size());
        for (String[] r : refs) {
            out.println("  " + r[0] + " ref=" + r[1] + " form=" + r[2] + " state=" + r[3] + " label="
                    + (r[4] != null ? Values.text(r[4]) : "-"));
        }
        if (history) {
            out.println("history: " + revisions.size());
            for (Records.Revision r : revisions) {
                out.println("  " + revisionText(r, cur));
            }
        }
        if (pickle && data != null) {
            out.println("pickle: " + pickleOrigin(graph, n, data));
            out.print(Disassembler.dis(data, 0, data.length));
        } else if (pickle) {
            out.println("pickle: none (" + state(graph, n) + (cur == null ? ": no record of this oid in the file)"
                    : ": the current record has no data to disassemble)"));
        }
        out.println();
    }

    /** Where the disassembly's positions count from: the file, or inflated data. */
    private static String pickleOrigin(ObjectGraph graph, ObjectGraph.Node n, byte[] data) {
        try {
            DataHeader h = graph.dataHeader(n);
            return h.plen() == data.length ? "positions count from byte " + h.dataPos() + " of the file"
                    : "positions count in the inflated data (the record is compressed)";
        } catch (IOException e) {
            return "positions count from the start of the data";
        }
    }

    private static String status(byte s) {
        return s >= 0x20 && s < 0x7f ? "'" + (char) s + "'" : String.format("'\\x%02x'", s & 0xff);
    }

    /** One revision: fixed fields first, then user and description (Python reprs, may hold spaces). */
    private static String revisionText(Records.Revision r, Records.Revision current) {
        String what = r.plen() > 0 ? "size=" + r.plen() : r.back() == 0 ? "no-data" : "backpointer=" + r.back();
        return "tid=" + Tid.repr(r.tid()) + " time=" + Tid.timestamp(r.tid()).replace(' ', 'T') + " pos=" + r.pos()
                + " " + what + " status=" + status(r.status())
                + (current != null && r.pos() == current.pos() ? " current" : "")
                + " user=" + Values.pyBytes(r.user()) + " description=" + Values.pyBytes(r.description());
    }

    private void json(ObjectGraph graph, ObjectGraph.Node n, Records.Revision cur, List<Long> back, byte[] data,
                      List<String[]> refs, List<Records.Revision> revisions, Before before) {
        JsonLine j = new JsonLine().str("db", graph.db(n)).str("oid", Oid.repr(graph.oid(n)))
                .str("class", graph.className(n)).str("state", state(graph, n)).str("problem", graph.problem(n));
        if (before != null) {
            j.str("last_class", before.className()).num("last_data_pos", before.revision().pos())
                    .str("last_data_tid", Tid.repr(before.revision().tid()));
        }
        j.str("tid", cur != null ? Tid.repr(cur.tid()) : null).str("time", cur != null ? Tid.timestamp(cur.tid()) : null)
                .num("tpos", cur != null ? cur.tpos() : null)
                .str("status", cur != null ? String.valueOf((char) (cur.status() & 0xff)) : null)
                .str("user", cur != null ? Values.pyBytes(cur.user()) : null)
                .str("description", cur != null ? Values.pyBytes(cur.description()) : null)
                .num("pos", cur != null ? cur.pos() : null).num("size", data != null ? (long) data.length : null)
                .raw("backpointers", back.stream().map(String::valueOf).collect(Collectors.joining(", ", "[", "]")));
        j.raw("references", refs.stream().map(r -> new JsonLine().str("target", r[0]).str("ref", r[1])
                .str("form", r[2]).str("state", r[3]).str("label", r[4]).toString())
                .collect(Collectors.joining(", ", "[", "]")));
        if (history) {
            j.raw("history", revisions.stream().map(r -> new JsonLine().str("tid", Tid.repr(r.tid()))
                    .num("pos", r.pos()).num("size", r.plen() > 0 ? r.plen() : null)
                    .num("backpointer", r.plen() == 0 ? r.back() : null)
                    .str("status", String.valueOf((char) (r.status() & 0xff)))
                    .str("user", Values.pyBytes(r.user())).str("description", Values.pyBytes(r.description()))
                    .toString()).collect(Collectors.joining(", ", "[", "]")));
        }
        if (pickle) {
            j.str("pickle", data != null ? Disassembler.dis(data, 0, data.length) : null);
        }
        out().println(j);
    }
}
