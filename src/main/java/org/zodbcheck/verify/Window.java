package org.zodbcheck.verify;

import java.io.IOException;
import org.zodbcheck.filestorage.StorageFile;

/**
 * Sequential reads of a storage through a buffer of about a megabyte: the verifier reads every
 * header in file order, mostly a few dozen bytes at a time.
 */
final class Window {
    private static final int SIZE = 1 << 20;

    private final StorageFile file;
    private final byte[] buf = new byte[SIZE + (1 << 16)];
    private long start;
    private int len;

    Window(StorageFile file) {
        this.file = file;
    }

    /**
     * Makes {@code n} bytes at {@code pos} available (at most 64 KB; the range must lie inside
     * the file) and returns their offset in {@link #buf()}.
     */
    int at(long pos, int n) throws IOException {
        if (pos < start || pos + n > start + len) {
            start = pos;
            len = (int) Math.min(buf.length, file.size() - pos);
            if (len < n) {
                throw new IOException("read of " + n + " bytes at " + pos + " is outside the file");
            }
            file.read(pos, buf, 0, len);
        }
        return (int) (pos - start);
    }

    byte[] buf() {
        return buf;
    }
}
