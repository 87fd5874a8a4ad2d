package org.zodbcheck.report;

import java.io.PrintWriter;
import org.zodbcheck.check.BlobFinding;
import org.zodbcheck.check.Finding;
import org.zodbcheck.check.ObjectFinding;
import org.zodbcheck.check.ReferenceFinding;
import org.zodbcheck.check.Referrer;
import org.zodbcheck.check.StructureFinding;
import org.zodbcheck.filestorage.Tid;

/**
 * The default format: one line per finding, {@code severity kind db:oid key=value ...}, e.g.
 *
 * <pre>
 * error poskeyerror main:0x92 cause=no-data deleted_tid=0x03f59ee019999999 referrer=main:0x16 ...
 * </pre>
 *
 * Oids are printed as ZODB's {@code oid_repr} prints them, so the id from a traceback greps.
 */
public final class TextPrinter implements Printer {
    private final PrintWriter out;

    public TextPrinter(PrintWriter out) {
        this.out = out;
    }

    @Override
    public void accept(Finding f) {
        out.println(line(f));
    }

    /** The text line of one finding. */
    public static String line(Finding f) {
        StringBuilder sb = new StringBuilder();
        sb.append(f.severity().label()).append(' ').append(f.kind().label()).append(' ');
        if (f instanceof ReferenceFinding r) {
            reference(sb, r);
        } else if (f instanceof ObjectFinding o) {
            object(sb, o);
        } else if (f instanceof StructureFinding s) {
            structure(sb, s);
        } else if (f instanceof BlobFinding b) {
            blob(sb, b);
        }
        return sb.toString();
    }

    private static void reference(StringBuilder sb, ReferenceFinding r) {
        sb.append(Values.target(r.db(), r.oid()));
        if (r.cause() != null) {
            kv(sb, "cause", r.cause().label());
        }
        if (r.deletedTid() != null) {
            kv(sb, "deleted_tid", Tid.repr(r.deletedTid()));
        }
        if (r.referrer() == null) {
            kv(sb, "root", "true");
        } else {
            kv(sb, "referrer", Values.target(r.referrer().db(), r.referrer().oid()));
            if (r.referrer().className() != null) {
                kv(sb, "referrer_class", r.referrer().className());
            }
            kv(sb, "referrer_tid", Tid.repr(r.referrer().tid()));
            kv(sb, "referrer_pos", Long.toString(r.referrer().pos()));
            kv(sb, "reachable", Boolean.toString(r.reachable()));
            kv(sb, "ref", r.ref());
            kv(sb, "form", r.form().label());
        }
        if (r.targetClass() != null) {
            kv(sb, "target_class", r.targetClass());
        }
    }

    private static void object(StringBuilder sb, ObjectFinding o) {
        sb.append(Values.target(o.db(), o.oid()));
        if (o.className() != null) {
            kv(sb, "class", o.className());
        }
        kv(sb, "tid", Tid.repr(o.tid()));
        kv(sb, "pos", Long.toString(o.pos()));
        if (o.offset() != null) {
            kv(sb, "offset", Long.toString(o.offset()));
        }
        kv(sb, "reachable", Boolean.toString(o.reachable()));
        referrer(sb, o.referrer());
        kv(sb, "message", o.message());
    }

    /** The referrer of an object finding: where to look from. */
    private static void referrer(StringBuilder sb, Referrer r) {
        if (r != null) {
            kv(sb, "referrer", Values.target(r.db(), r.oid()));
            if (r.className() != null) {
                kv(sb, "referrer_class", r.className());
            }
        }
    }

    private static void structure(StringBuilder sb, StructureFinding s) {
        sb.append(s.oid() != null ? Values.target(s.db(), s.oid()) : s.db());
        kv(sb, "file", s.file());
        kv(sb, "pos", Long.toString(s.pos()));
        kv(sb, "offset", Long.toString(s.offset()));
        kv(sb, "message", s.message());
    }

    private static void blob(StringBuilder sb, BlobFinding b) {
        sb.append(b.oid() != null ? Values.target(b.db(), b.oid()) : b.db());
        if (b.tid() != null) {
            kv(sb, "tid", Tid.repr(b.tid()));
        }
        if (b.pos() != null) {
            kv(sb, "pos", Long.toString(b.pos()));
        }
        if (b.oid() != null) {
            kv(sb, "reachable", Boolean.toString(b.reachable()));
        }
        referrer(sb, b.referrer());
        if (b.path() != null) {
            kv(sb, "path", b.path());
        }
        kv(sb, "message", b.message());
    }

    private static void kv(StringBuilder sb, String key, String value) {
        sb.append(' ').append(key).append('=').append(Values.text(value));
    }
}
