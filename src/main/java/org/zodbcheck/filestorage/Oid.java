package org.zodbcheck.filestorage;

import java.util.Locale;

/**
 * The ways ZODB tools print and parse an oid (FORMAT.md §1.13). An oid is kept as a
 * {@code long} holding the 8 big-endian bytes; unsigned order is ZODB's order.
 */
public final class Oid {
    private Oid() {
    }

    /**
     * {@code ZODB.utils.oid_repr}: {@code 0x} and the hex digits without leading zeros,
     * padded to an even count ({@code 0x00}, {@code 0x0c}, {@code 0x014b}, {@code 0xc92d77}).
     * This is how a POSKeyError in a traceback shows the oid.
     */
    public static String repr(long oid) {
        String hex = Long.toHexString(oid);
        return (hex.length() % 2 == 1) ? "0x0" + hex : "0x" + hex;
    }

    /** Python's {@code hex(u64(oid))}: {@code 0x} and minimal hex digits ({@code 0x0}, {@code 0x3}). */
    public static String hex(long oid) {
        return "0x" + Long.toHexString(oid);
    }

    /** zc.zodbdgc prints oids as signed 64-bit decimals ({@code struct '>q'}). */
    public static String signedDecimal(long oid) {
        return Long.toString(oid);
    }

    /** fsdump's {@code %016x}. */
    public static String hex16(long oid) {
        return String.format(Locale.ROOT, "%016x", oid);
    }

    /** The oid of 8 big-endian bytes at {@code off}. */
    public static long fromBytes(byte[] b, int off) {
        return Bytes.u64(b, off);
    }

    /**
     * Reads an oid the way operators copy it: decimal ({@code 13184375}, or zc.zodbdgc's
     * negative signed form), hex ({@code 0xc92d77}), fsdump's 16 hex digits
     * ({@code 0000000000c92d77}: 16 characters that start with {@code 0} or hold a letter; real oids
     * are far below 16 decimal digits), or the 8-byte string a
     * traceback or {@code p64()} shows ({@code '\x00\x00\x00\x00\x00\xc9-w'}, {@code b'...'}),
     * also as the shell passes it on when the quotes were typed as they were copied:
     * {@code \x00\x00\x00\x00\x00\xc9-w} from {@code '\x00...'} and {@code b\x00...} from
     * {@code b'\x00...'} (the text must start with a backslash escape, and make 8 bytes).
     *
     * @throws IllegalArgumentException naming what was expected
     */
    public static long parse(String text) {
        String s = text.strip();
        if (s.isEmpty()) {
            throw new IllegalArgumentException("empty oid");
        }
        if (s.startsWith("'") || s.startsWith("\"") || s.startsWith("b'") || s.startsWith("b\"")) {
            return fromRepr(s, text);
        }
        if (s.startsWith("\\") || s.startsWith("b\\")) {
            // the quotes of '\x00...' or b'\x00...' were removed by the shell
            String body = s.startsWith("b") ? s.substring(1) : s;
            if (body.indexOf('\'') < 0) {
                return fromRepr("'" + body + "'", text);
            }
            if (body.indexOf('"') < 0) {
                return fromRepr("\"" + body + "\"", text);
            }
            throw new IllegalArgumentException(bad(text));
        }
        try {
            if (s.startsWith("0x") || s.startsWith("0X")) {
                return Long.parseUnsignedLong(s.substring(2).replace("_", ""), 16);
            }
            if (s.length() == 16 && (s.charAt(0) == '0' || !s.chars().allMatch(Character::isDigit))) {
                return Long.parseUnsignedLong(s, 16);
            }
            if (s.startsWith("-")) {
                return Long.parseLong(s);
            }
            return Long.parseUnsignedLong(s);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(bad(text));
        }
    }

    private static String bad(String text) {
        return "not an oid: " + text + " (give 13184375, 0xc92d77, 0000000000c92d77 or '\\x00\\x00\\x00\\x00"
                + "\\x00\\xc9-w')";
    }

    /** A Python {@code str}/{@code bytes} literal of exactly 8 bytes. */
    private static long fromRepr(String s, String text) {
        int start = s.charAt(0) == 'b' ? 1 : 0;
        char quote = s.charAt(start);
        if (s.length() < start + 2 || s.charAt(s.length() - 1) != quote) {
            throw new IllegalArgumentException(bad(text));
        }
        byte[] b = new byte[8];
        int n = 0;
        int i = start + 1;
        int end = s.length() - 1;
        while (i < end) {
            int c = s.charAt(i++);
            if (c == '\\') {
                if (i >= end) {
                    throw new IllegalArgumentException(bad(text));
                }
                char e = s.charAt(i++);
                switch (e) {
                    case 'x' -> {
                        if (i + 2 > end) {
                            throw new IllegalArgumentException(bad(text));
                        }
                        try {
                            c = Integer.parseInt(s.substring(i, i + 2), 16);
                        } catch (NumberFormatException ex) {
                            throw new IllegalArgumentException(bad(text));
                        }
                        i += 2;
                    }
                    case 'n' -> c = '\n';
                    case 'r' -> c = '\r';
                    case 't' -> c = '\t';
                    case '0' -> c = 0;
                    case '\\', '\'', '"' -> c = e;
                    default -> throw new IllegalArgumentException(bad(text));
                }
            } else if (c > 0xff || c == quote) {
                throw new IllegalArgumentException(bad(text));
            }
            if (n == 8) {
                throw new IllegalArgumentException("not an oid: " + text + " (more than 8 bytes)");
            }
            b[n++] = (byte) c;
        }
        if (n != 8) {
            throw new IllegalArgumentException("not an oid: " + text + " (" + n + " bytes, an oid has 8)");
        }
        return Bytes.u64(b, 0);
    }
}
