package org.zodbcheck.generate;

/**
 * oid → file position, in chunks of primitive longs allocated as oids are handed out: 8 bytes
 * per oid and nothing else, so memory stays proportional to the object count (never to the file
 * size) and no chunk is ever larger than 512 KB. Missing entries read as 0 (= "no record",
 * which is also what FileStorage writes as {@code prev} for a first record).
 */
final class PositionTable {
    private static final int SHIFT = 16;
    private static final int MASK = (1 << SHIFT) - 1;
    private long[][] chunks = new long[16][];

    long get(long oid) {
        int c = (int) (oid >>> SHIFT);
        return c < chunks.length && chunks[c] != null ? chunks[c][(int) (oid & MASK)] : 0;
    }

    void set(long oid, long pos) {
        int c = (int) (oid >>> SHIFT);
        if (c >= chunks.length) {
            long[][] bigger = new long[Math.max(chunks.length * 2, c + 1)][];
            System.arraycopy(chunks, 0, bigger, 0, chunks.length);
            chunks = bigger;
        }
        if (chunks[c] == null) {
            chunks[c] = new long[1 << SHIFT];
        }
        chunks[c][(int) (oid & MASK)] = pos;
    }
}
