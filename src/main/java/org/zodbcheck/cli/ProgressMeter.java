package org.zodbcheck.cli;

import java.io.PrintWriter;
import java.util.Locale;
import org.zodbcheck.check.Progress;

/**
 * A one-line progress display on stderr ({@code \r}-updated), shown only on a terminal and only
 * once a run has lasted a couple of seconds; cleared at the end.
 */
final class ProgressMeter implements Progress {
    private static final long DELAY_NANOS = 2_000_000_000L;
    private static final long EVERY_NANOS = 250_000_000L;

    private final PrintWriter err;
    private final long started = System.nanoTime();
    private long next = started + DELAY_NANOS;
    private String label = "";
    private long total;
    private long passStarted;
    private boolean shown;

    ProgressMeter(PrintWriter err) {
        this.err = err;
    }

    /** A meter when stderr is a terminal and the user did not ask for quiet. */
    static Progress forTerminal(PrintWriter err, boolean quiet) {
        return !quiet && stderrIsTerminal() ? new ProgressMeter(err) : Progress.NONE;
    }

    /**
     * Java cannot ask whether stderr is a terminal; {@code bin/zodbcheck} can ({@code [ -t 2 ]})
     * and says so in {@code zodbcheck.stderr.tty}. Without it (java -jar), a console (stdin and
     * stdout on a terminal) is the best guess. The usual {@code zodbcheck ... > findings.txt} has
     * no console but a terminal on stderr, where the progress goes.
     */
    static boolean stderrIsTerminal() {
        String tty = System.getProperty("zodbcheck.stderr.tty");
        return tty != null ? Boolean.parseBoolean(tty) : System.console() != null;
    }

    @Override
    public void begin(String db, String pass, long totalBytes) {
        label = db + ": " + pass;
        total = Math.max(1, totalBytes);
        passStarted = System.nanoTime();
    }

    @Override
    public void at(long done) {
        long now = System.nanoTime();
        if (now < next) {
            return;
        }
        next = now + EVERY_NANOS;
        double secs = (now - passStarted) / 1e9;
        double rate = secs > 0 ? done / secs : 0;
        double eta = rate > 0 ? (total - done) / rate : 0;
        err.printf(Locale.ROOT, "\rzodbcheck: %s %3.0f%% (%d of %d MB, %.0f MB/s, %.0f s left)   ",
                label, 100.0 * done / total, done >> 20, total >> 20, rate / (1 << 20), eta);
        err.flush();
        shown = true;
    }

    /** Removes the progress line if one was shown. */
    void clear() {
        if (shown) {
            err.print("\r" + " ".repeat(100) + "\r");
            err.flush();
        }
    }
}
