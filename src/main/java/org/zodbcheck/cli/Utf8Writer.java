package org.zodbcheck.cli;

import java.io.IOException;
import java.io.OutputStream;
import java.io.Writer;
import java.nio.charset.StandardCharsets;

/**
 * Standard output as UTF-8, buffered, encoding each string written at once. An {@code
 * OutputStreamWriter} behind a {@code BufferedWriter} copies every line three times (into a
 * {@code char[]}, then char by char into bytes): a third of the time it takes to print a
 * storage's millions of findings. {@link String#getBytes} copies the bytes of an ASCII string in
 * one step. Malformed text (a lone surrogate) becomes {@code ?}, as the JDK's encoder makes it.
 * Each call is encoded on its own, so a surrogate pair split across two calls would print as
 * {@code ??}; zodbcheck writes whole lines. Not thread-safe on its own: the {@code PrintWriter}
 * around it locks.
 */
final class Utf8Writer extends Writer {
    private static final int SIZE = 1 << 16;
    private final OutputStream out;
    private final byte[] buf = new byte[SIZE];
    private int n;

    Utf8Writer(OutputStream out) {
        this.out = out;
    }

    @Override
    public void write(String s, int off, int len) throws IOException {
        bytes(off == 0 && len == s.length() ? s : s.substring(off, off + len));
    }

    @Override
    public void write(char[] c, int off, int len) throws IOException {
        bytes(new String(c, off, len));
    }

    @Override
    public void write(int c) throws IOException {
        if (c < 0x80 && n < SIZE) {
            buf[n++] = (byte) c;
        } else {
            bytes(String.valueOf((char) c));
        }
    }

    private void bytes(String s) throws IOException {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        if (b.length > SIZE - n) {
            drain();
            if (b.length > SIZE) {
                out.write(b);
                return;
            }
        }
        System.arraycopy(b, 0, buf, n, b.length);
        n += b.length;
    }

    private void drain() throws IOException {
        if (n > 0) {
            out.write(buf, 0, n);
            n = 0;
        }
    }

    @Override
    public void flush() throws IOException {
        drain();
        out.flush();
    }

    @Override
    public void close() throws IOException {
        flush();
        out.close();
    }
}
