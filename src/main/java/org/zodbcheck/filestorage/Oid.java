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
}
