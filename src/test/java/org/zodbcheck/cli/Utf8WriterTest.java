package org.zodbcheck.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** Standard output's writer gives the bytes the JDK's UTF-8 writer gives. */
class Utf8WriterTest {
    private static void writeAll(Writer w) {
        PrintWriter p = new PrintWriter(w, false);
        p.println("error poskeyerror main:0x92 cause=no-data");
        p.print("caf\u00e9 \u6f22\u5b57 \ud83d\ude00 ");
        p.print('x');
        p.print('\u00e9');
        p.write(new char[] {'a', '\u6f22', 'b'}, 1, 2);
        p.write("-substring-", 1, 9);
        p.println("lone \ud800 surrogate");
        p.println("x".repeat(200_000)); // larger than the buffer
        for (int i = 0; i < 5_000; i++) {
            p.println("line " + i + " \u00fc"); // fills and drains the buffer many times
        }
        p.flush();
    }

    @Test
    void sameBytesAsOutputStreamWriter() throws IOException {
        ByteArrayOutputStream jdk = new ByteArrayOutputStream();
        writeAll(new OutputStreamWriter(jdk, StandardCharsets.UTF_8));
        ByteArrayOutputStream ours = new ByteArrayOutputStream();
        writeAll(new Utf8Writer(ours));
        assertArrayEquals(jdk.toByteArray(), ours.toByteArray());
    }

    @Test
    void nothingIsLeftInTheBufferAfterFlush() throws IOException {
        ByteArrayOutputStream ours = new ByteArrayOutputStream();
        Utf8Writer w = new Utf8Writer(ours);
        w.write("abc");
        w.write('\n');
        assertArrayEquals(new byte[0], ours.toByteArray());
        w.flush();
        assertArrayEquals("abc\n".getBytes(StandardCharsets.UTF_8), ours.toByteArray());
    }
}
