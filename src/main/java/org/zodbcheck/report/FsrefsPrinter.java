package org.zodbcheck.report;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.zodbcheck.check.Finding;
import org.zodbcheck.check.Kind;
import org.zodbcheck.check.ReferenceFinding;
import org.zodbcheck.check.Referrer;
import org.zodbcheck.filestorage.Oid;
import org.zodbcheck.filestorage.Tid;
import org.zodbcheck.pickle.RefForm;

/**
 * The blocks ZODB's {@code fsrefs.py} prints (FORMAT.md §6.3): one per object with a strong
 * same-database reference to an object that is missing, deleted or fails to load, in file
 * position order, garbage included:
 *
 * <pre>
 * oid 0x16 BTrees.IOBTree.IOBucket
 * last updated: 2024-01-04 00:00:06.000000, tid=0x3f59ee019999999
 * refers to invalid object:
 * 	oid 0x92 object creation was undone: '&lt;unknown&gt;'
 *
 * </pre>
 *
 * fsrefs ignores weak and cross-database references; those findings, and every other kind, go to
 * {@code err} in the text format.
 */
public final class FsrefsPrinter implements Printer {
    private record Line(int index, String text) {
    }

    private final PrintWriter out;
    private final TextPrinter others;
    private final Map<String, List<Line>> blocks = new LinkedHashMap<>();
    private final Map<String, Referrer> referrers = new LinkedHashMap<>();

    public FsrefsPrinter(PrintWriter out, PrintWriter err) {
        this.out = out;
        this.others = new TextPrinter(err);
    }

    @Override
    public void accept(Finding f) {
        if (f instanceof ReferenceFinding r && isFsrefsReport(r)) {
            String key = r.referrer().db() + "\0" + r.referrer().oid();
            referrers.putIfAbsent(key, r.referrer());
            List<Line> lines = blocks.computeIfAbsent(key, k -> new ArrayList<>());
            String text = "\toid " + Oid.repr(r.oid()) + " " + reason(r) + ": '<unknown>'";
            for (int i : r.occurrences()) {
                lines.add(new Line(i, text));
            }
        } else {
            others.accept(f);
        }
    }

    private static boolean isFsrefsReport(ReferenceFinding r) {
        return (r.kind() == Kind.POSKEYERROR || r.kind() == Kind.DANGLING) && r.referrer() != null
                && (r.form() == RefForm.OID || r.form() == RefForm.OID_KLASS)
                && r.db().equals(r.referrer().db());
    }

    private static String reason(ReferenceFinding r) {
        return switch (r.cause()) {
            case NO_RECORD -> "missing";
            case NO_DATA -> "object creation was undone";
            case UNLOADABLE -> "failed to load";
        };
    }

    @Override
    public void finish() {
        List<String> keys = new ArrayList<>(blocks.keySet());
        keys.sort(Comparator.comparing((String k) -> referrers.get(k).pos(), Long::compareUnsigned));
        for (String k : keys) {
            Referrer ref = referrers.get(k);
            List<Line> lines = blocks.get(k);
            lines.sort(Comparator.comparingInt(Line::index));
            out.println("oid " + Oid.hex(ref.oid()) + " " + fsrefsClass(ref.className()));
            out.println("last updated: " + Tid.timestamp(ref.tid()) + ", tid=" + Tid.hex(ref.tid()));
            out.println("refers to invalid object" + (lines.size() > 1 ? "s" : "") + ":");
            for (Line l : lines) {
                out.println(l.text());
            }
            out.println();
        }
    }

    /**
     * fsrefs names the class with {@code get_pickle_metadata}: {@code module.name}, or {@code "."}
     * when the class pickle is not a plain global (an instance of a persistent class).
     */
    private static String fsrefsClass(String className) {
        return className == null || className.startsWith("persistent-class:") ? "." : className;
    }
}
