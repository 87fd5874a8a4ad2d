package org.zodbcheck.generate;

/**
 * SplitMix64: a tiny, fast, reseedable generator. Reseeding from {@link #mix} lets the generator
 * recompute any object's state from its oid alone (no per-object storage), and the same seed
 * always gives the same sequence, so the output file is reproducible byte for byte.
 */
final class Rng {
    private long state;

    Rng(long seed) {
        this.state = seed;
    }

    /** Restarts the sequence; returns {@code this} for chaining. */
    Rng reseed(long seed) {
        this.state = seed;
        return this;
    }

    long nextLong() {
        return finish(state += 0x9E3779B97F4A7C15L);
    }

    private static long finish(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** Uniform in {@code [0, bound)}; the modulo bias is irrelevant for bounds this small. */
    int nextInt(int bound) {
        return (int) ((nextLong() >>> 1) % bound);
    }

    /** Uniform in {@code [lo, hi]}. */
    int between(int lo, int hi) {
        return lo + nextInt(hi - lo + 1);
    }

    double nextDouble() {
        return (nextLong() >>> 11) * 0x1.0p-53;
    }

    boolean chance(double p) {
        return nextDouble() < p;
    }

    /** A well-spread seed from several numbers (the seed, an oid, a tid, a salt...). */
    static long mix(long a, long b) {
        return finish((a * 0x9E3779B97F4A7C15L ^ b) + 0x9E3779B97F4A7C15L);
    }

    static long mix(long a, long b, long c) {
        return mix(mix(a, b), c);
    }
}
