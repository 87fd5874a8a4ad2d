package org.zodbcheck.generate;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Text for titles, descriptions and page bodies: runs of words from a fixed pool, cut at a random
 * word. The vocabulary has non-ASCII words (accents, CJK, Arabic, an emoji), so BINUNICODE lengths
 * count UTF-8 bytes, not characters. Copying a run is one array copy: text is most of the output,
 * and this keeps it from dominating the generator's time.
 */
final class Words {
    private static final String[] VOCABULARY = {
        "alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa",
        "lambda", "mu", "nu", "xi", "omicron", "pi", "rho", "sigma", "tau", "upsilon", "phi",
        "chi", "psi", "omega", "report", "meeting", "budget", "policy", "news", "event",
        "project", "team", "annual", "minutes", "draft", "final", "review", "plan", "café",
        "straße", "naïve", "über", "Zürich", "æøå", "résumé", "中文", "東京", "مرحبا", "😀"};
    private static final byte[][] TAGS = encode(
            "news", "events", "research", "teaching", "internal", "press", "archive", "café", "中文");
    private static final byte[] P_OPEN = "<p>".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] P_CLOSE = "</p>\n".getBytes(StandardCharsets.US_ASCII);
    private static final int POOL_WORDS = 1 << 15;
    /** POOL_WORDS words separated by single spaces (fixed: only where runs start depends on the seed). */
    private static final byte[] POOL;
    /** Offset of each word in POOL, plus one past the end. */
    private static final int[] STARTS = new int[POOL_WORDS + 1];

    static {
        byte[][] vocabulary = encode(VOCABULARY);
        ByteSink pool = new ByteSink(POOL_WORDS * 8);
        Rng rng = new Rng(0x706f6f6cL);
        for (int i = 0; i < POOL_WORDS; i++) {
            STARTS[i] = pool.length();
            pool.bytes(vocabulary[rng.nextInt(vocabulary.length)]);
            pool.u8(' ');
        }
        STARTS[POOL_WORDS] = pool.length();
        POOL = Arrays.copyOf(pool.array(), pool.length());
    }

    private Words() {
    }

    /** {@code count} (at most a few hundred) words separated by spaces. */
    static void words(ByteSink out, Rng rng, int count) {
        int first = rng.nextInt(POOL_WORDS - count);
        int from = STARTS[first];
        out.bytes(POOL, from, STARTS[first + count] - 1 - from); // without the trailing space
    }

    /** HTML paragraphs of about {@code bytes} bytes, as a rich-text field stores them. */
    static void html(ByteSink out, Rng rng, int bytes) {
        int end = out.length() + bytes;
        while (out.length() < end) {
            out.bytes(P_OPEN);
            words(out, rng, rng.between(8, 60));
            out.bytes(P_CLOSE);
        }
    }

    static byte[] tag(Rng rng) {
        return TAGS[rng.nextInt(TAGS.length)];
    }

    private static byte[][] encode(String... words) {
        byte[][] b = new byte[words.length][];
        for (int i = 0; i < words.length; i++) {
            b[i] = words[i].getBytes(StandardCharsets.UTF_8);
        }
        return b;
    }
}
