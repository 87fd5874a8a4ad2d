package org.zodbcheck.report;

import java.io.PrintWriter;
import org.zodbcheck.check.BlobFinding;
import org.zodbcheck.check.Finding;
import org.zodbcheck.check.ObjectFinding;
import org.zodbcheck.check.ReferenceFinding;
import org.zodbcheck.check.Referrer;
import org.zodbcheck.check.StructureFinding;

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
    /** One builder for every line: a storage with millions of findings prints millions of lines. */
    private final StringBuilder line = new StringBuilder(512);

    public TextPrinter(PrintWriter out) {
        this.out = out;
    }

    @Override
    public void accept(Finding f) {
        line.setLength(0);
        append(line, f);
        line.append('\n');
        out.append(line);
    }

    /** The text line of one finding. */
    public static String line(Finding f) {
        StringBuilder sb = new StringBuilder(256);
        append(sb, f);
        return sb.toString();
    }

    private static void append(StringBuilder sb, Finding f) {
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
    }

    private static void reference(StringBuilder sb, ReferenceFinding r) {
        Values.appendTarget(sb, r.db(), r.oid());
        if (r.cause() != null) {
            key(sb, "cause").append(r.cause().label());
        }
        if (r.deletedTid() != null) {
            key(sb, "deleted_tid");
            Values.appendRepr(sb, r.deletedTid());
        }
        if (r.referrer() == null) {
            key(sb, "root").append(true);
        } else {
            key(sb, "referrer");
            Values.appendTarget(sb, r.referrer().db(), r.referrer().oid());
            if (r.referrer().className() != null) {
                kv(sb, "referrer_class", r.referrer().className());
            }
            key(sb, "referrer_tid");
            Values.appendRepr(sb, r.referrer().tid());
            key(sb, "referrer_pos").append(r.referrer().pos());
            key(sb, "reachable").append(r.reachable());
            key(sb, "ref").append(r.ref());
            key(sb, "form").append(r.form().label());
        }
        if (r.targetClass() != null) {
            kv(sb, "target_class", r.targetClass());
        }
    }

    private static void object(StringBuilder sb, ObjectFinding o) {
        Values.appendTarget(sb, o.db(), o.oid());
        if (o.className() != null) {
            kv(sb, "class", o.className());
        }
        key(sb, "tid");
        Values.appendRepr(sb, o.tid());
        key(sb, "pos").append(o.pos());
        if (o.offset() != null) {
            key(sb, "offset").append(o.offset().longValue());
        }
        key(sb, "reachable").append(o.reachable());
        referrer(sb, o.referrer());
        kv(sb, "message", o.message());
    }

    /** The referrer of an object finding: where to look from. */
    private static void referrer(StringBuilder sb, Referrer r) {
        if (r != null) {
            key(sb, "referrer");
            Values.appendTarget(sb, r.db(), r.oid());
            if (r.className() != null) {
                kv(sb, "referrer_class", r.className());
            }
        }
    }

    private static void structure(StringBuilder sb, StructureFinding s) {
        if (s.oid() != null) {
            Values.appendTarget(sb, s.db(), s.oid());
        } else {
            sb.append(s.db());
        }
        kv(sb, "file", s.file());
        key(sb, "pos").append(s.pos());
        key(sb, "offset").append(s.offset());
        kv(sb, "message", s.message());
    }

    private static void blob(StringBuilder sb, BlobFinding b) {
        if (b.oid() != null) {
            Values.appendTarget(sb, b.db(), b.oid());
        } else {
            sb.append(b.db());
        }
        if (b.tid() != null) {
            key(sb, "tid");
            Values.appendRepr(sb, b.tid());
        }
        if (b.pos() != null) {
            key(sb, "pos").append(b.pos().longValue());
        }
        if (b.oid() != null) {
            key(sb, "reachable").append(b.reachable());
        }
        referrer(sb, b.referrer());
        if (b.path() != null) {
            kv(sb, "path", b.path());
        }
        kv(sb, "message", b.message());
    }

    /**
     * {@code " key="}; what follows directly is a number, an oid, a tid or a label (of {@link
     * org.zodbcheck.check.Cause}, {@link org.zodbcheck.pickle.RefForm}), which never needs quotes
     * (ValuesTest checks every label).
     */
    private static StringBuilder key(StringBuilder sb, String key) {
        return sb.append(' ').append(key).append('=');
    }

    private static void kv(StringBuilder sb, String key, String value) {
        Values.appendText(key(sb, key), value);
    }
}
