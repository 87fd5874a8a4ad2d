package org.zodbcheck.report;

import org.zodbcheck.filestorage.Bytes;
import org.zodbcheck.filestorage.Oid;

/** How the text and JSON formats write single values. */
public final class Values {
    private Values() {
    }

    /** {@code db:0x92}, the form a user greps for. */
    public static String target(String db, long oid) {
        StringBuilder sb = new StringBuilder(db.length() + 19);
        appendTarget(sb, db, oid);
        return sb.toString();
    }

    /** Appends {@link #target}. */
    static void appendTarget(StringBuilder sb, String db, long oid) {
        appendRepr(sb.append(db).append(':'), oid);
    }

    private static final char[] HEX = "0123456789abcdef".toCharArray();

    /** Appends {@link Oid#repr} of {@code oid} (or of a tid) without making a string of it. */
    static void appendRepr(StringBuilder sb, long oid) {
        int digits = Math.max(1, (67 - Long.numberOfLeadingZeros(oid)) >> 2);
        digits += digits & 1;
        char[] c = new char[2 + digits];
        c[0] = '0';
        c[1] = 'x';
        for (int i = c.length - 1; i >= 2; i--, oid >>>= 4) {
            c[i] = HEX[(int) oid & 0xf];
        }
        sb.append(c); // one call: appending char by char costs more than the line's other parts (C1)
    }

    /** A text-format value: bare if it has no space, quote or backslash, else double-quoted. */
    public static String text(String v) {
        return bare(v) ? v : quote(v);
    }

    /** A value already looked at, and how it is written. */
    private record Text(String value, String text) {
    }

    /**
     * The last values {@link #appendText} looked at, by hash: findings name the same few classes
     * again and again, and checking each name char by char was a tenth of the time it takes to
     * print millions of findings. Entries are immutable, so threads that race here at worst look
     * a value up again.
     */
    private static final Text[] SEEN = new Text[64];

    /** Appends {@link #text} of {@code v}. */
    static void appendText(StringBuilder sb, String v) {
        int slot = v.hashCode() & (SEEN.length - 1);
        Text t = SEEN[slot];
        if (t == null || !t.value().equals(v)) {
            t = new Text(v, text(v));
            SEEN[slot] = t;
        }
        sb.append(t.text());
    }

    private static boolean bare(String v) {
        if (v.isEmpty()) {
            return false;
        }
        for (int i = 0; i < v.length(); i++) {
            char c = v.charAt(i);
            if (c <= ' ' || c == '"' || c == '\\' || c == 0x7f) {
                return false;
            }
        }
        return true;
    }

    /** A JSON string literal (also used for quoted text values). */
    public static String quote(String v) {
        StringBuilder sb = new StringBuilder(v.length() + 2);
        appendQuoted(sb, v);
        return sb.toString();
    }

    /** Appends {@link #quote} of {@code v}: the runs that need no escape in one call each. */
    static void appendQuoted(StringBuilder sb, String v) {
        sb.append('"');
        int run = 0;
        for (int i = 0; i < v.length(); i++) {
            char c = v.charAt(i);
            if (c >= 0x20 && c != '"' && c != '\\' && c != 0x7f) {
                continue;
            }
            sb.append(v, run, i);
            run = i + 1;
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                default -> sb.append(String.format("\\u%04x", (int) c));
            }
        }
        sb.append(v, run, v.length()).append('"');
    }

    /** Python's {@code repr()} of a {@code bytes} value ({@code b'/ admin'}), as fsdump prints user and description. */
    public static String pyBytes(byte[] b) {
        return Bytes.pyRepr(b);
    }
}
