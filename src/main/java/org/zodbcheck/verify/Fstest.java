package org.zodbcheck.verify;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.zodbcheck.filestorage.Bytes;
import org.zodbcheck.filestorage.StorageFile;

/**
 * What ZODB's {@code fstest.py} prints for a file: the message of the first error it finds, or
 * nothing. A reimplementation of its checks in its order (FORMAT.md §6.4), so that
 * {@code verify --format fstest} can replace it in scripts. fstest reads the file as a stream
 * and stops at the first problem; so does this class (the full verification is
 * {@link Verifier}). Both magics are accepted, as the Python 2 fstest accepts FS21 and the
 * Python 3 one FS30; each file gets the messages of the build that reads it.
 */
public final class Fstest {
    private static final int TXN = 23;
    private static final int DATA = 42;

    private final Path file;
    private final String shown;
    private final long size;
    private final java.nio.channels.FileChannel channel;
    private final Window window;

    private Fstest(Path file, String shown, long size, java.nio.channels.FileChannel channel, Window window) {
        this.file = file;
        this.shown = shown;
        this.size = size;
        this.channel = channel;
        this.window = window;
    }

    /**
     * The line fstest would print for {@code file} (given on its command line as {@code shown}),
     * or {@code null} when it would find nothing. Reads at most the file's size at the call.
     */
    public static String firstError(Path file, String shown) throws IOException {
        try (var ch = java.nio.channels.FileChannel.open(file, java.nio.file.StandardOpenOption.READ)) {
            long size = ch.size();
            if (size == 0) {
                return "empty file";
            }
            return new Fstest(file, shown, size, ch, null).check();
        }
    }

    /**
     * The same for a storage already open: up to its size when it was opened (the bytes the
     * verification saw), read through it, so that {@code --max-rate} holds for this pass too.
     */
    public static String firstError(StorageFile file, String shown) throws IOException {
        if (file.size() == 0) {
            return "empty file";
        }
        return new Fstest(file.path(), shown, file.size(), null, new Window(file)).check();
    }

    private String check() throws IOException {
        byte[] magic = read(0, 4);
        String m = new String(magic, java.nio.charset.StandardCharsets.ISO_8859_1);
        if (!m.equals("FS21") && !m.equals("FS30")) {
            return "invalid file header";
        }
        long pos = 4;
        byte[] ltid = new byte[8];
        while (true) {
            byte[] h = read(pos, TXN);
            if (h.length == 0) {
                return null;
            }
            if (h.length != TXN) {
                return shown + " truncated at " + pos;
            }
            byte[] tid = java.util.Arrays.copyOf(h, 8);
            if (java.util.Arrays.compareUnsigned(tid, ltid) <= 0) {
                return shown + " time-stamp reduction at " + pos + ": " + hexify(tid) + " <= " + hexify(ltid);
            }
            ltid = tid;
            long tl = Bytes.u64(h, 8);
            byte status = h[16];
            long meta = TXN + (long) Bytes.u16(h, 17) + Bytes.u16(h, 19) + Bytes.u16(h, 21);
            if (Long.compareUnsigned(tl, Math.max(0, size - pos - 8)) > 0 || size - pos - 8 < 0) {
                return shown + " truncated possibly because of damaged records at " + pos;
            }
            if (status == 'c') {
                return shown + " checkpoint flag was not cleared at " + pos;
            }
            if (status != ' ' && status != 'u' && status != 'p') {
                return shown + " has invalid status '" + status(m, status) + "' at " + pos;
            }
            if (meta > tl) {
                return shown + " has an invalid transaction header at " + pos;
            }
            long tpos = pos;
            long tend = tpos + tl;
            if (status != 'u') {
                pos = tpos + meta;
                while (pos < tend) {
                    String bad = null;
                    byte[] d = read(pos, DATA);
                    if (d.length != DATA) {
                        return shown + " truncated at " + pos;
                    }
                    long tloc = Bytes.u64(d, 24);
                    int vlen = Bytes.u16(d, 32);
                    long plen = Bytes.u64(d, 34);
                    // Python ints do not overflow: compare as exact values
                    java.math.BigInteger dlen = java.math.BigInteger.valueOf(DATA)
                            .add(plen == 0 ? java.math.BigInteger.valueOf(8) : unsigned(plen));
                    if (vlen != 0) {
                        dlen = dlen.add(java.math.BigInteger.valueOf(16L + vlen));
                    }
                    if (tloc != tpos) {
                        return shown + " data record exceeds transaction record at " + pos + ": tloc "
                                + unsigned(tloc) + " != tpos " + tpos;
                    }
                    java.math.BigInteger next = java.math.BigInteger.valueOf(pos).add(dlen);
                    if (next.compareTo(java.math.BigInteger.valueOf(tend)) > 0) {
                        return shown + " has data records that extend beyond the transaction record; end at "
                                + next;
                    }
                    pos = next.longValueExact();
                }
            }
            byte[] rtl = read(tend, 8);
            if (rtl.length != 8 || Bytes.u64(rtl, 0) != tl) {
                return shown + " has inconsistent transaction length for undone transaction at " + pos;
            }
            pos = tend + 8;
        }
    }

    /** Up to {@code n} bytes at {@code pos}, fewer at the end of the file (as Python's read). */
    private byte[] read(long pos, int n) throws IOException {
        int len = (int) Math.max(0, Math.min(n, size - pos));
        byte[] b = new byte[len];
        if (window != null) {
            if (len > 0) {
                System.arraycopy(window.buf(), window.at(pos, len), b, 0, len);
            }
            return b;
        }
        java.nio.ByteBuffer bb = java.nio.ByteBuffer.wrap(b);
        while (bb.hasRemaining()) {
            if (channel.read(bb, pos + bb.position()) < 0) {
                return java.util.Arrays.copyOf(b, bb.position());
            }
        }
        return b;
    }

    private static java.math.BigInteger unsigned(long v) {
        return new java.math.BigInteger(Long.toUnsignedString(v));
    }

    /** fstest's {@code hexify}: 0x and two hex digits per byte. */
    private static String hexify(byte[] b) {
        StringBuilder sb = new StringBuilder("0x");
        for (byte x : b) {
            sb.append(String.format("%02x", x & 0xff));
        }
        return sb.toString();
    }

    /**
     * The status as fstest formats it with {@code '%s'}: Python 3's fstest (FS30) prints the repr
     * of a one-byte {@code bytes} ({@code b'x'}); Python 2's (the only one that reads FS21) prints
     * the byte itself.
     */
    private static String status(String magic, byte b) {
        return magic.equals("FS21") ? String.valueOf((char) (b & 0xff)) : Bytes.pyRepr(new byte[] {b});
    }

    Path file() {
        return file;
    }
}
