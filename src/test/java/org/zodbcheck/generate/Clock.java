package org.zodbcheck.generate;

import java.time.LocalDateTime;
import java.time.ZoneOffset;

/**
 * Transaction ids as ZODB makes them: a {@code persistent.TimeStamp} of the commit time
 * (FORMAT.md §1.12), strictly increasing. Time starts at {@link #START} and advances by a
 * random pause per transaction, so the tids look like a site edited over weeks.
 */
final class Clock {
    /** 2024-01-01 00:00:00 UTC. */
    static final double START = 1704067200.0;

    private double now = START;
    private long lastTid;

    /** Seconds since the epoch of the current transaction. */
    double now() {
        return now;
    }

    /** Moves to the next commit and returns its tid. */
    long next(Rng rng) {
        // mostly seconds apart, sometimes a quiet hour
        now += rng.chance(0.02) ? 600 + rng.nextInt(3600) : 0.05 + rng.nextDouble() * 30;
        long tid = tid(now);
        lastTid = tid > lastTid ? tid : lastTid + 1; // ZODB bumps a tid that is not greater
        return lastTid;
    }

    /** TimeStamp bytes: minutes since 1900 counting 31-day months, then the seconds in 1/2^32 minute units. */
    static long tid(double epochSeconds) {
        long whole = (long) Math.floor(epochSeconds);
        LocalDateTime t = LocalDateTime.ofEpochSecond(whole, 0, ZoneOffset.UTC);
        long a = ((((t.getYear() - 1900L) * 12 + t.getMonthValue() - 1) * 31 + t.getDayOfMonth() - 1) * 24
                + t.getHour()) * 60 + t.getMinute();
        double seconds = t.getSecond() + (epochSeconds - whole);
        long b = (long) (seconds * (4294967296.0 / 60.0));
        return a << 32 | (b & 0xffffffffL);
    }
}
