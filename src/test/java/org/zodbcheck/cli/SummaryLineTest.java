package org.zodbcheck.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Locale;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The summary's duration is written without String.format; it must read as {@code %.2f} did. */
class SummaryLineTest {
    @Test
    void secondsReadAsPercentPointTwoF() {
        double[] fixed = {0, 0.004, 0.006, 0.01, 0.099, 0.1, 0.994, 0.996, 1, 1.05, 9.999, 12.3, 59.99, 3600.5, 86400};
        for (double v : fixed) {
            assertEquals(String.format(Locale.ROOT, "%.2f", v), SummaryLine.seconds(v), "for " + v);
        }
        Random r = new Random(6);
        for (int i = 0; i < 100_000; i++) {
            double v = r.nextDouble() * (i % 2 == 0 ? 10 : 100_000);
            assertEquals(String.format(Locale.ROOT, "%.2f", v), SummaryLine.seconds(v), "for " + v);
        }
    }

    @Test
    void negativeDurationsAreZero() {
        assertEquals("0.00", SummaryLine.seconds(-0.5));
    }
}
