package org.zodbcheck.cli;

import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.zodbcheck.filestorage.Oid;

/**
 * An oid on the command line, optionally with the database it belongs to: {@code 0x92},
 * {@code main:0x92} (the form findings print), {@code catalog:13184375}, or the 8-byte string
 * of a traceback ({@code b'\x00\x00\x00\x00\x00\xc9-w'}).
 *
 * @param db the database name given before a colon, or {@code null} for the first database
 */
record OidArg(String db, long oid, String text) {
    private static final Pattern DB_PREFIX = Pattern.compile("([A-Za-z_][A-Za-z0-9_.-]*):(.+)");

    /** @throws IllegalArgumentException if {@code text} is not an oid */
    static OidArg parse(String text) {
        String s = text.strip();
        Matcher m = DB_PREFIX.matcher(s);
        if (m.matches() && !s.startsWith("b'") && !s.startsWith("b\"")) {
            return new OidArg(m.group(1), Oid.parse(m.group(2)), text);
        }
        return new OidArg(null, Oid.parse(s), text);
    }

    /** Whether {@code text} reads as an oid (else it is taken for a file). */
    static boolean looksLikeOid(String text) {
        try {
            parse(text);
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    /**
     * Whether {@code text}, which is not an oid, was still meant as one (a misspelt oid rather
     * than a file name): it starts, after an optional {@code db:}, with a digit, a minus, a quote
     * or a backslash, and is no path.
     */
    static boolean meantAsOid(String text) {
        String s = text.strip();
        Matcher m = DB_PREFIX.matcher(s);
        if (m.matches() && !s.startsWith("b'") && !s.startsWith("b\"")) {
            s = m.group(2);
        }
        if (s.startsWith("'") || s.startsWith("\"") || s.startsWith("\\") || s.startsWith("b'")
                || s.startsWith("b\"") || s.startsWith("b\\")) {
            return true;
        }
        return !s.isEmpty() && (Character.isDigit(s.charAt(0)) || s.charAt(0) == '-') && s.indexOf('/') < 0
                && s.indexOf('.') < 0 && s.indexOf(java.io.File.separatorChar) < 0;
    }

    String dbOr(String first) {
        return db != null ? db : first;
    }
}
