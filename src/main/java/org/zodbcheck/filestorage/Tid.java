package org.zodbcheck.filestorage;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.Locale;

/**
 * Transaction ids: printing and their meaning as {@code persistent.TimeStamp} (FORMAT.md §1.12).
 */
public final class Tid {
    /** TimeStamp's {@code SCONV}: the seconds of one unit of the low 32 bits. */
    private static final double SCONV = 60.0 / (1 << 16) / (1 << 16);

    private Tid() {
    }

    /** {@code ZODB.utils.tid_repr}, the same form as {@link Oid#repr}: {@code 0x03f59ee019999999}. */
    public static String repr(long tid) {
        return Oid.repr(tid);
    }

    /** Python's {@code hex(u64(tid))}, used by fsrefs: {@code 0x3f59ee019999999}. */
    public static String hex(long tid) {
        return Oid.hex(tid);
    }

    /**
     * {@code str(TimeStamp(tid))}: {@code 2024-01-04 00:00:06.000000}, UTC. The seconds are the
     * same double the C implementation computes, rounded the way C's {@code %09.6f} rounds it
     * (exact binary value, half-even), so the text matches fsrefs byte for byte.
     */
    public static String timestamp(long tid) {
        long a = tid >>> 32;
        long b = tid & 0xffffffffL;
        long minute = a % 60;
        long hour = (a / 60) % 24;
        long day = (a / 1440) % 31 + 1;
        long month = (a / 44640) % 12 + 1;
        long year = a / 535680 + 1900;
        double seconds = SCONV * b;
        String sec = new BigDecimal(seconds).setScale(6, RoundingMode.HALF_EVEN).toPlainString();
        if (sec.length() < 9) {
            sec = "0".repeat(9 - sec.length()) + sec;
        }
        return String.format(Locale.ROOT, "%04d-%02d-%02d %02d:%02d:", year, month, day, hour, minute) + sec;
    }
}
