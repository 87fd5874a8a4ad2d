package org.zodbcheck.report;

import java.io.PrintWriter;
import org.zodbcheck.check.BlobFinding;
import org.zodbcheck.check.Finding;
import org.zodbcheck.check.ObjectFinding;
import org.zodbcheck.check.ReferenceFinding;
import org.zodbcheck.check.Referrer;
import org.zodbcheck.check.StructureFinding;
import org.zodbcheck.filestorage.Oid;
import org.zodbcheck.filestorage.Tid;

/**
 * JSON Lines: one object per finding with always the same keys, absent values {@code null}:
 * {@code kind, severity, db, oid, cause, referrer_db, referrer_oid, referrer_class, referrer_tid,
 * referrer_pos, reachable, ref, target_class, deleted_tid, message}, then {@code form, class,
 * tid, pos, offset, file} ({@code file} is the storage file of structure findings and the blob
 * file of blob findings). Oids and tids are strings in ZODB's {@code oid_repr} notation.
 */
public final class JsonPrinter implements Printer {
    private final PrintWriter out;

    public JsonPrinter(PrintWriter out) {
        this.out = out;
    }

    @Override
    public void accept(Finding f) {
        out.println(line(f));
    }

    public static String line(Finding f) {
        ReferenceFinding r = f instanceof ReferenceFinding x ? x : null;
        ObjectFinding o = f instanceof ObjectFinding x ? x : null;
        StructureFinding s = f instanceof StructureFinding x ? x : null;
        BlobFinding b = f instanceof BlobFinding x ? x : null;
        Referrer ref = r != null ? r.referrer() : o != null ? o.referrer() : b != null ? b.referrer() : null;
        StringBuilder sb = new StringBuilder(256).append('{');
        str(sb, "kind", f.kind().label(), true);
        str(sb, "severity", f.severity().label(), false);
        str(sb, "db", f.db(), false);
        Long oid = r != null ? Long.valueOf(r.oid()) : o != null ? Long.valueOf(o.oid()) : s != null ? s.oid() : b.oid();
        str(sb, "oid", oid != null ? Oid.repr(oid) : null, false);
        str(sb, "cause", r != null && r.cause() != null ? r.cause().label() : null, false);
        str(sb, "referrer_db", ref != null ? ref.db() : null, false);
        str(sb, "referrer_oid", ref != null ? Oid.repr(ref.oid()) : null, false);
        str(sb, "referrer_class", ref != null ? ref.className() : null, false);
        str(sb, "referrer_tid", ref != null ? Tid.repr(ref.tid()) : null, false);
        num(sb, "referrer_pos", ref != null ? ref.pos() : null);
        Boolean reachable = r != null ? Boolean.valueOf(r.reachable()) : o != null ? Boolean.valueOf(o.reachable())
                : b != null && b.oid() != null ? Boolean.valueOf(b.reachable()) : null;
        raw(sb, "reachable", reachable != null ? reachable.toString() : "null");
        str(sb, "ref", r != null ? r.ref() : null, false);
        str(sb, "target_class", r != null ? r.targetClass() : null, false);
        str(sb, "deleted_tid", r != null && r.deletedTid() != null ? Tid.repr(r.deletedTid()) : null, false);
        str(sb, "message", f.message(), false);
        str(sb, "form", r != null && r.form() != null ? r.form().label() : null, false);
        str(sb, "class", o != null ? o.className() : null, false);
        Long tid = o != null ? Long.valueOf(o.tid()) : b != null ? b.tid() : null;
        str(sb, "tid", tid != null ? Tid.repr(tid) : null, false);
        num(sb, "pos", o != null ? Long.valueOf(o.pos()) : s != null ? Long.valueOf(s.pos()) : b != null ? b.pos() : null);
        num(sb, "offset", o != null ? o.offset() : s != null ? Long.valueOf(s.offset()) : null);
        str(sb, "file", s != null ? s.file() : b != null ? b.path() : null, false);
        return sb.append('}').toString();
    }

    private static void str(StringBuilder sb, String key, String value, boolean first) {
        if (!first) {
            sb.append(", ");
        }
        sb.append('"').append(key).append("\": ").append(value == null ? "null" : Values.quote(value));
    }

    private static void num(StringBuilder sb, String key, Long value) {
        raw(sb, key, value == null ? "null" : Long.toString(value));
    }

    private static void raw(StringBuilder sb, String key, String literal) {
        sb.append(", \"").append(key).append("\": ").append(literal);
    }
}
