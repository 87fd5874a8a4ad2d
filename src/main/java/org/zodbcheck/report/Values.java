package org.zodbcheck.report;

import org.zodbcheck.filestorage.Bytes;
import org.zodbcheck.filestorage.Oid;

/** How the text and JSON formats write single values. */
public final class Values {
    private Values() {
    }

    /** {@code db:0x92}, the form a user greps for. */
    public static String target(String db, long oid) {
        return db + ":" + Oid.repr(oid);
    }

    /** A text-format value: bare if it has no space, quote or backslash, else double-quoted. */
    public static String text(String v) {
        if (v.isEmpty()) {
            return "\"\"";
        }
        for (int i = 0; i < v.length(); i++) {
            char c = v.charAt(i);
            if (c <= ' ' || c == '"' || c == '\\' || c == 0x7f) {
                return quote(v);
            }
        }
        return v;
    }

    /** A JSON string literal (also used for quoted text values). */
    public static String quote(String v) {
        StringBuilder sb = new StringBuilder(v.length() + 2).append('"');
        for (int i = 0; i < v.length(); i++) {
            char c = v.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                default -> {
                    if (c < 0x20 || c == 0x7f) {
                        sb.append(String.format("\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        return sb.append('"').toString();
    }

    /** Python's {@code repr()} of a {@code bytes} value ({@code b'/ admin'}), as fsdump prints user and description. */
    public static String pyBytes(byte[] b) {
        return Bytes.pyRepr(b);
    }
}
