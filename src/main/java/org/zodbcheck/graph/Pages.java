package org.zodbcheck.graph;

/**
 * The page arithmetic shared by {@link LongPages}, {@link IntPages} and {@link BytePages}. Those
 * three are the same code for three primitive types, on purpose: Java's generics take no
 * primitives, and boxed or type-erased pages would cost a cast or an object per entry on the
 * hottest paths. A change to one belongs in all three.
 */
final class Pages {
    static final int SHIFT = 20;
    /** Entries per page: 8 MB of {@code long}s, small enough for a fine-grained budget. */
    static final int SIZE = 1 << SHIFT;
    static final int MASK = SIZE - 1;
    /** At most this many pages, so that every index is an {@code int}. */
    private static final int MAX_PAGES = (Integer.MAX_VALUE >> SHIFT);

    private Pages() {
    }

    /** The next length of a first page of {@code capacity} entries that must hold {@code n}. */
    static int firstLength(int capacity, int n) {
        return (int) Math.min(SIZE, Math.max(n, capacity + (capacity >> 1) + 16L));
    }

    /** The number of the page to add to a table of {@code capacity} entries. */
    static int nextPage(int capacity) {
        int p = capacity >>> SHIFT;
        if (p >= MAX_PAGES) {
            throw new IllegalStateException("a table of more than " + capacity + " entries");
        }
        return p;
    }
}
