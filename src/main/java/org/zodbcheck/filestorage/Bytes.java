package org.zodbcheck.filestorage;

/** Big-endian field access for FileStorage headers (pickles use little-endian; see the pickle package). */
public final class Bytes {
    private Bytes() {
    }

    public static long u64(byte[] b, int off) {
        return ((long) (b[off] & 0xff) << 56)
                | ((long) (b[off + 1] & 0xff) << 48)
                | ((long) (b[off + 2] & 0xff) << 40)
                | ((long) (b[off + 3] & 0xff) << 32)
                | ((long) (b[off + 4] & 0xff) << 24)
                | ((long) (b[off + 5] & 0xff) << 16)
                | ((long) (b[off + 6] & 0xff) << 8)
                | ((long) (b[off + 7] & 0xff));
    }

    public static int u16(byte[] b, int off) {
        return ((b[off] & 0xff) << 8) | (b[off + 1] & 0xff);
    }

    public static long u32(byte[] b, int off) {
        return ((long) (b[off] & 0xff) << 24)
                | ((b[off + 1] & 0xff) << 16)
                | ((b[off + 2] & 0xff) << 8)
                | (b[off + 3] & 0xff);
    }
}
