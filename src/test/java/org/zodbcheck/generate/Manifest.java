package org.zodbcheck.generate;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * {@code Data.fs.manifest.json}: the parameters, the counts, every missing oid with its referrers,
 * and the findings a reference checker must report. Oids are strings in zodbcheck's form
 * ({@code 0x} and an even number of hex digits) with the number beside them.
 */
final class Manifest {
    private final StringBuilder out = new StringBuilder();

    private Manifest() {
    }

    static Path write(GeneratorResult r) throws IOException {
        Path path = r.path().resolveSibling(r.path().getFileName() + ".manifest.json");
        Files.writeString(path, of(r), StandardCharsets.UTF_8);
        return path;
    }

    static String of(GeneratorResult r) {
        Manifest m = new Manifest();
        m.result(r);
        return m.out.toString();
    }

    private void result(GeneratorResult r) {
        GeneratorParams p = r.params();
        out.append("{\n");
        out.append(" \"generator\": \"org.zodbcheck.generate.StorageGenerator\",\n");
        out.append(" \"params\": {\"objects\": ").append(p.objects()).append(", \"size\": ").append(p.bytes())
                .append(", \"seed\": ").append(p.seed()).append(", \"missing\": ").append(p.missing())
                .append(", \"missing_garbage_share\": ").append(num(p.missingGarbageShare()))
                .append(", \"revisions\": ").append(num(p.revisions())).append(", \"undo\": ").append(num(p.undo()))
                .append(", \"garbage\": ").append(num(p.garbage())).append(", \"python\": ").append(p.python())
                .append(", \"protocol\": ").append(p.protocol()).append(", \"txn_size\": ").append(p.txnSize())
                .append(", \"small_trees\": ").append(p.smallTrees()).append("},\n");
        out.append(" \"magic\": ").append(str(r.magic())).append(",\n");
        out.append(" \"counts\": {\"bytes\": ").append(r.bytes()).append(", \"transactions\": ").append(r.transactions())
                .append(", \"records\": ").append(r.records()).append(", \"oids\": ").append(r.oids())
                .append(", \"objects\": ").append(r.objects()).append(", \"reachable\": ").append(r.objects() - r.garbage())
                .append(", \"garbage\": ").append(r.garbage()).append(", \"folders\": ").append(r.folders())
                .append(", \"folders_dropped\": ").append(r.droppedFolders()).append(", \"content_items\": ")
                .append(r.contentItems()).append(", \"undo_transactions\": ").append(r.undoTransactions())
                .append(", \"deleted_records\": ").append(r.deletedRecords()).append("},\n");
        out.append(" \"generation_seconds\": ").append(String.format(Locale.ROOT, "%.2f", r.seconds())).append(",\n");
        missing(r.missing());
        findings(r.expectedFindings());
        out.append(" \"expected_garbage\": ").append(r.garbage()).append("\n}\n");
    }

    private void missing(List<GeneratorResult.Missing> list) {
        out.append(" \"missing\": [");
        for (int i = 0; i < list.size(); i++) {
            GeneratorResult.Missing m = list.get(i);
            out.append(i == 0 ? "\n" : ",\n");
            out.append("  {\"oid\": ").append(str(GeneratorResult.repr(m.oid()))).append(", \"oid_int\": ").append(m.oid())
                    .append(", \"kind\": ").append(str(m.kind())).append(", \"class\": ").append(str(m.className()))
                    .append(", \"path\": ").append(str(m.path())).append(", \"placed_in_garbage\": ")
                    .append(m.placedInGarbage()).append(", \"deleted_tid\": ")
                    .append(m.deletedTid() == 0 ? "null" : str(String.format("0x%016x", m.deletedTid())))
                    .append(", \"reported_by_root_walk\": ").append(m.reportedByRootWalk()).append(",\n   \"referrers\": [");
            for (int j = 0; j < m.referrers().size(); j++) {
                GeneratorResult.Referrer ref = m.referrers().get(j);
                out.append(j == 0 ? "" : ", ").append("{\"oid\": ").append(str(GeneratorResult.repr(ref.oid())))
                        .append(", \"class\": ").append(str(ref.className())).append(", \"reachable\": ")
                        .append(ref.reachable()).append('}');
            }
            out.append("]}");
        }
        out.append(list.isEmpty() ? "],\n" : "\n ],\n");
    }

    private void findings(List<GeneratorResult.ExpectedFinding> list) {
        out.append(" \"expected_findings\": [");
        for (int i = 0; i < list.size(); i++) {
            GeneratorResult.ExpectedFinding f = list.get(i);
            out.append(i == 0 ? "\n" : ",\n").append("  {\"kind\": ").append(str(f.kind())).append(", \"db\": ")
                    .append(str(f.db())).append(", \"oid\": ").append(str(f.oid())).append(", \"referrer\": ")
                    .append(str(f.referrer())).append('}');
        }
        out.append(list.isEmpty() ? "],\n" : "\n ],\n");
    }

    /** Parameters print exactly as given ({@code 0.02}, {@code 3.0}); they are finite. */
    private static String num(double v) {
        return Double.toString(v);
    }

    /** A JSON string; the values here are ASCII paths, class names and hex. */
    private static String str(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            if (c == '"' || c == '\\') {
                b.append('\\').append(c);
            } else if (c < 0x20) {
                b.append(String.format("\\u%04x", (int) c));
            } else {
                b.append(c);
            }
        }
        return b.append('"').toString();
    }
}
