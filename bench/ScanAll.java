package org.zodbcheck.pickle;

import java.util.function.ToLongBiFunction;

/**
 * bench/ab-scanner.sh compiles this once against each build it compares and loads it beside that
 * build's classes: it scans every pickle of {@code starts} with that build's PickleScanner, by
 * direct calls, and returns the references found (ScannerAB calls it through the JDK interface).
 */
public final class ScanAll implements ToLongBiFunction<byte[], int[]> {
    private final PickleScanner scanner = new PickleScanner();

    @Override
    public long applyAsLong(byte[] pickles, int[] starts) {
        long refs = 0;
        for (int i = 0; i + 1 < starts.length; i++) {
            int at = starts[i];
            if (pickles[at] == '.') {
                continue; // zlib-compressed (.z): inflating is the JDK's work
            }
            if (scanner.scan(pickles, at, starts[i + 1] - at, pid -> { })) {
                refs += scanner.referenceCount();
            }
        }
        return refs;
    }
}
