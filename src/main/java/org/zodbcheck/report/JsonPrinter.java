package org.zodbcheck.report;

import java.io.PrintWriter;
import org.zodbcheck.check.BlobFinding;
import org.zodbcheck.check.Finding;
import org.zodbcheck.check.ObjectFinding;
import org.zodbcheck.check.ReferenceFinding;
import org.zodbcheck.check.Referrer;
import org.zodbcheck.check.StructureFinding;

/**
 * JSON Lines: one object per finding with always the same keys, absent values {@code null}:
 * {@code kind, severity, db, oid, cause, referrer_db, referrer_oid, referrer_class, referrer_tid,
 * referrer_pos, reachable, ref, target_class, deleted_tid, message}, then {@code form, class,
 * tid, pos, offset, file} ({@code file} is the storage file of structure findings and the blob
 * file of blob findings). Oids and tids are strings in ZODB's {@code oid_repr} notation.
 */
public final class JsonPrinter implements Printer {
    private final PrintWriter out;
    /** One builder for every line (see {@link TextPrinter}). */
    private final StringBuilder line = new StringBuilder(1024);

    public JsonPrinter(PrintWriter out) {
        this.out = out;
    }

    @Override
    public void accept(Finding f) {
        line.setLength(0);
        append(line, f);
        line.append('\n');
        out.append(line);
    }

    public static String line(Finding f) {
        StringBuilder sb = new StringBuilder(512);
        append(sb, f);
        return sb.toString();
    }

    private static void append(StringBuilder sb, Finding f) {
        ReferenceFinding r = f instanceof ReferenceFinding x ? x : null;
        ObjectFinding o = f instanceof ObjectFinding x ? x : null;
        StructureFinding s = f instanceof StructureFinding x ? x : null;
        BlobFinding b = f instanceof BlobFinding x ? x : null;
        Referrer ref = r != null ? r.referrer() : o != null ? o.referrer() : b != null ? b.referrer() : null;
        sb.append("{\"kind\": \"").append(f.kind().label()).append('"'); // labels need no escapes
        key(sb, "severity").append('"').append(f.severity().label()).append('"');
        str(sb, "db", f.db());
        Long oid = r != null ? Long.valueOf(r.oid()) : o != null ? Long.valueOf(o.oid()) : s != null ? s.oid() : b.oid();
        repr(sb, "oid", oid);
        str(sb, "cause", r != null && r.cause() != null ? r.cause().label() : null);
        str(sb, "referrer_db", ref != null ? ref.db() : null);
        repr(sb, "referrer_oid", ref != null ? Long.valueOf(ref.oid()) : null);
        str(sb, "referrer_class", ref != null ? ref.className() : null);
        repr(sb, "referrer_tid", ref != null ? Long.valueOf(ref.tid()) : null);
        num(sb, "referrer_pos", ref != null ? ref.pos() : null);
        Boolean reachable = r != null ? Boolean.valueOf(r.reachable()) : o != null ? Boolean.valueOf(o.reachable())
                : b != null && b.oid() != null ? Boolean.valueOf(b.reachable()) : null;
        key(sb, "reachable").append(reachable != null ? reachable.toString() : "null");
        str(sb, "ref", r != null ? r.ref() : null);
        str(sb, "target_class", r != null ? r.targetClass() : null);
        repr(sb, "deleted_tid", r != null ? r.deletedTid() : null);
        str(sb, "message", f.message());
        str(sb, "form", r != null && r.form() != null ? r.form().label() : null);
        str(sb, "class", o != null ? o.className() : null);
        repr(sb, "tid", o != null ? Long.valueOf(o.tid()) : b != null ? b.tid() : null);
        num(sb, "pos", o != null ? Long.valueOf(o.pos()) : s != null ? Long.valueOf(s.pos()) : b != null ? b.pos() : null);
        num(sb, "offset", o != null ? o.offset() : s != null ? Long.valueOf(s.offset()) : null);
        str(sb, "file", s != null ? s.file() : b != null ? b.path() : null);
        sb.append('}');
    }

    private static StringBuilder key(StringBuilder sb, String key) {
        return sb.append(", \"").append(key).append("\": ");
    }

    private static void str(StringBuilder sb, String key, String value) {
        if (value == null) {
            key(sb, key).append("null");
        } else {
            Values.appendQuoted(key(sb, key), value);
        }
    }

    /** An oid or a tid, as a string in {@code oid_repr} notation. */
    private static void repr(StringBuilder sb, String key, Long value) {
        if (value == null) {
            key(sb, key).append("null");
        } else {
            key(sb, key).append('"');
            Values.appendRepr(sb, value);
            sb.append('"');
        }
    }

    private static void num(StringBuilder sb, String key, Long value) {
        if (value == null) {
            key(sb, key).append("null");
        } else {
            key(sb, key).append(value.longValue());
        }
    }
}
