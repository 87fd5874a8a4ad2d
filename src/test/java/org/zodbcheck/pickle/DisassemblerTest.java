package org.zodbcheck.pickle;

import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Tests of {@link Disassembler}: golden files made by Python 3.11's {@code pickletools.dis} (see
 * {@code src/test/resources/disassembly/generate.py}), and malformed data.
 */
class DisassemblerTest {

    // ---- golden records: NAME.bin (record data) + NAME.txt (pickletools' output)

    private static Path goldenDir() {
        try {
            return Path.of(DisassemblerTest.class.getResource("/disassembly").toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    private static List<String> goldenNames() throws IOException {
        try (Stream<Path> files = Files.list(goldenDir())) {
            return files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".bin"))
                    .map(n -> n.substring(0, n.length() - 4)).sorted().collect(Collectors.toList());
        }
    }

    private static byte[] bin(String name) {
        try {
            return Files.readAllBytes(goldenDir().resolve(name + ".bin"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String txt(String name) {
        try {
            return Files.readString(goldenDir().resolve(name + ".txt"), UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String dis(byte[] data) {
        return Disassembler.dis(data, 0, data.length);
    }

    private static String dis(String latin1) {
        return dis(latin1.getBytes(ISO_8859_1));
    }

    @Test
    void goldenSetIsComplete() throws IOException {
        List<String> names = goldenNames();
        assertTrue(names.size() >= 20, names.toString());
        for (String name : names) {
            assertTrue(Files.exists(goldenDir().resolve(name + ".txt")), name + ".txt is missing");
        }
    }

    @TestFactory
    Stream<DynamicTest> goldenRecordsMatchPickletools() throws IOException {
        return goldenNames().stream().map(name -> DynamicTest.dynamicTest(name,
                () -> assertEquals(txt(name), dis(bin(name)))));
    }

    @TestFactory
    Stream<DynamicTest> sameOutputAtAnOffsetInALargerArray() throws IOException {
        return goldenNames().stream().map(name -> DynamicTest.dynamicTest(name, () -> {
            byte[] record = bin(name);
            byte[] big = new byte[record.length + 37 + 23];
            Arrays.fill(big, (byte) 0xff); // an invalid opcode on both sides
            System.arraycopy(record, 0, big, 37, record.length);
            assertEquals(txt(name), Disassembler.dis(big, 37, record.length));
        }));
    }

    /** Every prefix of a record: what pickletools printed for the complete opcodes, then ERROR. */
    @TestFactory
    Stream<DynamicTest> everyTruncationEndsWithAnErrorLine() throws IOException {
        return Stream.of("refs-py3-root", "py2-proto1-document", "synthetic-proto0", "warmup")
                .map(name -> DynamicTest.dynamicTest(name, () -> {
                    byte[] record = bin(name);
                    String full = txt(name);
                    String classPickle = full.substring(0, full.indexOf('\n', full.indexOf("highest protocol")) + 1);
                    for (int len = 0; len < record.length; len++) {
                        String out = Disassembler.dis(record, 0, len);
                        if (out.equals(classPickle)) {
                            continue; // cut right after the class pickle: one whole pickle, no error
                        }
                        int lastLine = out.lastIndexOf('\n', out.length() - 2) + 1;
                        assertTrue(out.startsWith("ERROR: ", lastLine), "len " + len + ":\n" + out);
                        assertTrue(full.startsWith(out.substring(0, lastLine)), "len " + len + ":\n" + out);
                    }
                }));
    }

    // ---- malformed data

    @Test
    void emptyInput() {
        assertEquals("ERROR: pickle exhausted before seeing STOP at byte 0\n", dis(new byte[0]));
        assertEquals("ERROR: pickle exhausted before seeing STOP at byte 0\n",
                Disassembler.dis(new byte[] {'N', '.'}, 1, 0));
    }

    @Test
    void invalidOpcode() {
        assertEquals("    0: \\x80 PROTO      3\n"
                + "ERROR: opcode b'\\xff' unknown at byte 2\n", dis("\u0080\u0003\u00ff."));
        // after a complete pickle, positions go on
        assertEquals("    0: N    NONE\n"
                + "    1: .    STOP\n"
                + "highest protocol among opcodes = 0\n"
                + "ERROR: opcode b'\\xff' unknown at byte 2\n", dis("N.\u00ff"));
    }

    @Test
    void truncatedArguments() {
        byte[] record = bin("refs-py3-class-instance"); // \x80\x03 C\x08<oid> q\x00 Q . \x80\x03 } q\x01 .
        assertEquals("ERROR: not enough data in stream to read uint1 at byte 0\n",
                Disassembler.dis(record, 0, 1));
        assertEquals("    0: \\x80 PROTO      3\n"
                + "ERROR: expected 8 bytes in a bytes1, but only 2 remain at byte 2\n",
                Disassembler.dis(record, 0, 6));
        assertEquals("    0: \\x80 PROTO      3\n"
                + "    2: C    SHORT_BINBYTES b'\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x04'\n"
                + "ERROR: not enough data in stream to read uint1 at byte 12\n",
                Disassembler.dis(record, 0, 13));
        // the state pickle cut before its STOP
        String whole = dis(record);
        String upToBinput = whole.substring(0, whole.indexOf("   21: ."));
        assertEquals(upToBinput + "ERROR: pickle exhausted before seeing STOP at byte 21\n",
                Disassembler.dis(record, 0, 21));
        // in the middle of a BINUNICODE of the state pickle: the error is at the opcode
        byte[] root = bin("refs-py3-root"); // ... 45: } 46: q\x01 48: X\x04\x00\x00\x00data
        String rootOut = Disassembler.dis(root, 0, 51);
        assertTrue(rootOut.endsWith("   45: }    EMPTY_DICT\n"
                + "   46: q    BINPUT     1\n"
                + "ERROR: not enough data in stream to read uint4 at byte 48\n"), rootOut);
        rootOut = Disassembler.dis(root, 0, 55);
        assertTrue(rootOut.endsWith("ERROR: expected 4 bytes in a unicodestring4, but only 2 remain at byte 48\n"),
                rootOut);
        assertEquals("ERROR: no newline found when trying to read stringnl at byte 0\n", dis("cmod\nKlass"));
        assertEquals("ERROR: no newline found when trying to read unicodestringnl at byte 0\n", dis("Vabc"));
        assertEquals("ERROR: not enough data in stream to read float8 at byte 0\n", dis("G\u0000\u0000"));
        assertEquals("ERROR: not enough data in stream to read long1 at byte 0\n", dis("\u008a\u0002\u0001"));
    }

    @Test
    void absurdLengths() {
        assertEquals("ERROR: expected 4294967295 bytes in a unicodestring4, but only 1 remain at byte 0\n",
                dis("X\u00ff\u00ff\u00ff\u00ff."));
        assertEquals("ERROR: string4 byte count < 0: -1 at byte 0\n", dis("T\u00ff\u00ff\u00ff\u00ff."));
        assertEquals("ERROR: bytes8 byte count > sys.maxsize: 18446744073709551615 at byte 0\n",
                dis("\u008e\u00ff\u00ff\u00ff\u00ff\u00ff\u00ff\u00ff\u00ff."));
        assertEquals("ERROR: long4 byte count < 0: -2 at byte 0\n", dis("\u008b\u00fe\u00ff\u00ff\u00ff."));
    }

    @Test
    void badArgumentText() {
        assertEquals("ERROR: invalid literal for int() with base 10: b'1x' at byte 0\n", dis("I1x\n."));
        assertEquals("ERROR: could not convert string to float: b'1.5.' at byte 0\n", dis("F1.5.\n."));
        assertEquals("ERROR: no string quotes around b'abc' at byte 0\n", dis("Sabc\n."));
        assertEquals("ERROR: strinq quote b\"'\" not found at both ends of b\"'abc\" at byte 0\n", dis("S'abc\n."));
        assertEquals("ERROR: invalid \\x escape at position 1 at byte 0\n", dis("S'a\\x4'\n."));
        assertEquals("ERROR: Trailing \\ in string at byte 0\n", dis("S'a\\'\n."));
        assertTrue(dis("X\u0001\u0000\u0000\u0000\u00ff.").startsWith("ERROR: 'utf-8' codec can't decode"));
        assertTrue(dis("V\\u12\n.").startsWith("ERROR: 'rawunicodeescape' codec can't decode"));
    }

    @Test
    void stackAndMarkChecksOfPickletools() {
        assertEquals("    0: t    TUPLE      no MARK exists on stack\n"
                + "ERROR: no MARK exists on stack at byte 0\n", dis("t."));
        assertEquals("    0: N    NONE\n"
                + "    1: N    NONE\n"
                + "    2: .    STOP\n"
                + "highest protocol among opcodes = 0\n"
                + "ERROR: stack not empty after STOP: [None] at byte 2\n", dis("NN."));
        assertEquals("    0: .    STOP\n"
                + "ERROR: tries to pop 1 items from stack with only 0 items at byte 0\n", dis("."));
        assertEquals("    0: N    NONE\n"
                + "    1: K    BININT1    1\n"
                + "    3: s    SETITEM\n"
                + "ERROR: tries to pop 3 items from stack with only 2 items at byte 3\n", dis("NK\u0001s."));
        // POP takes a MARK off the stack when it is on top, else an item (the mark stays open)
        assertEquals("    0: (    MARK\n"
                + "    1: 0        POP        (MARK at 0)\n"
                + "    2: N    NONE\n"
                + "    3: .    STOP\n"
                + "highest protocol among opcodes = 0\n", dis("(0N."));
        assertEquals("    0: (    MARK\n"
                + "    1: N        NONE\n"
                + "    2: 0        POP\n"
                + "    3: .        STOP\n"
                + "highest protocol among opcodes = 0\n", dis("(N0."));
    }

    @Test
    void memoIsSharedByThePicklesOfARecord() {
        // the state pickle gets the class pickle's slot 0
        assertEquals("    0: \\x80 PROTO      3\n"
                + "    2: c    GLOBAL     'm K'\n"
                + "    7: q    BINPUT     0\n"
                + "    9: .    STOP\n"
                + "highest protocol among opcodes = 2\n"
                + "   10: \\x80 PROTO      3\n"
                + "   12: h    BINGET     0\n"
                + "   14: .    STOP\n"
                + "highest protocol among opcodes = 2\n", dis("\u0080\u0003cm\nK\nq\u0000.\u0080\u0003h\u0000."));
        // and may store into it again without complaint (pickletools would say "already defined")
        assertEquals("    0: N    NONE\n"
                + "    1: q    BINPUT     0\n"
                + "    3: .    STOP\n"
                + "highest protocol among opcodes = 1\n"
                + "    4: N    NONE\n"
                + "    5: q    BINPUT     0\n"
                + "    7: \\x94 MEMOIZE    (as 1)\n"
                + "    8: .    STOP\n"
                + "highest protocol among opcodes = 4\n", dis("Nq\u0000.Nq\u0000\u0094."));
        // within one pickle, pickletools' checks hold
        assertEquals("    0: N    NONE\n"
                + "    1: q    BINPUT     0\n"
                + "    3: q    BINPUT     0\n"
                + "ERROR: memo key 0 already defined at byte 3\n", dis("Nq\u0000q\u0000."));
        assertEquals("    0: h    BINGET     5\n"
                + "ERROR: memo key 5 has never been stored into at byte 0\n", dis("h\u0005."));
        assertEquals("    0: (    MARK\n"
                + "    1: p        PUT        1\n"
                + "ERROR: can't store markobject in the memo at byte 1\n", dis("(p1\n."));
    }

    @Test
    void longArgumentsAreCut() {
        String text = "a".repeat(250);
        byte[] record = ("X\u00fa\u0000\u0000\u0000" + text + ".").getBytes(ISO_8859_1);
        assertEquals("    0: X    BINUNICODE '" + "a".repeat(199) + "...\n"
                + "  255: .    STOP\n"
                + "highest protocol among opcodes = 1\n", dis(record));
        // 197 bytes: the repr has 200 characters, shown whole; one more and it is cut
        byte[] fits = ("C\u00c5" + "b".repeat(197) + ".").getBytes(ISO_8859_1);
        assertTrue(dis(fits).startsWith("    0: C    SHORT_BINBYTES b'" + "b".repeat(197) + "'\n"));
        byte[] over = ("C\u00c6" + "b".repeat(198) + ".").getBytes(ISO_8859_1);
        assertTrue(dis(over).startsWith("    0: C    SHORT_BINBYTES b'" + "b".repeat(198) + "...\n"));
    }

    /**
     * Found by the mutation suite (docs/fuzzing.md): 100 000 nested MARKs were indented 4 spaces
     * per level, 20 GB of output for a 100 KB record; the indentation now stops at
     * {@link Disassembler#MAX_INDENT} levels.
     */
    @Test
    void deepMarkNestingIsIndentedAtMost16Levels() {
        String out = assertTimeoutPreemptively(Duration.ofSeconds(10), () -> dis("(".repeat(100_000) + "N."));
        assertTrue(out.length() < 100_000 * 90, "output of " + out.length() + " chars");
        String[] lines = out.split("\n");
        assertEquals("   15: (" + "    ".repeat(16) + "MARK", lines[15]);
        assertEquals("   16: (" + "    ".repeat(17) + "MARK", lines[16]);
        assertEquals("   40: (" + "    ".repeat(17) + "MARK", lines[40]);
        assertEquals("100000: N" + "    ".repeat(17) + "NONE", lines[100_000]);
        // what pickletools prints below the cap is unchanged
        assertEquals("    2: (            MARK", lines[2]);
    }

    /**
     * Found by the mutation suite: INT, LONG and FLOAT lines of a megabyte overflowed the stack
     * in the regular expressions that checked their syntax, and a LONG4 of a megabyte took
     * gigabytes to convert to decimal. Python 3.11 refuses integers of more than 4300 digits,
     * with these messages (pickletools.dis itself prints them as exceptions).
     */
    @Test
    void hugeNumbersEndWithPythonsLimitAndCostLittle() {
        String limit = "Exceeds the limit (4300 digits) for integer string conversion";
        String hint = "use sys.set_int_max_str_digits() to increase the limit";
        assertEquals("ERROR: " + limit + ": value has 4301 digits; " + hint + " at byte 0\n",
                dis("I" + "9".repeat(4301) + "\n."));
        assertEquals("ERROR: " + limit + ": value has 1048576 digits; " + hint + " at byte 0\n",
                assertTimeoutPreemptively(Duration.ofSeconds(5), () -> dis("I" + "9".repeat(1 << 20) + "\n.")));
        assertEquals("ERROR: " + limit + ": value has 1048576 digits; " + hint + " at byte 0\n",
                dis("L" + "1".repeat(1 << 20) + "L\n."));
        assertTrue(dis("I-" + "9".repeat(4300) + "\n.").startsWith("    0: I    INT        -999"));
        assertTrue(dis("L" + "1_0".repeat(2000) + "L\n.").startsWith("    0: L    LONG       1010"));
        assertEquals("ERROR: invalid literal for int() with base 10: b'1__0' at byte 0\n", dis("I1__0\n."));
        // LONG4: 1785 bytes are 4299 digits, 1786 bytes 4301 (checked with Python 3.11)
        assertTrue(dis(long4(1785)).startsWith("    0: \\x8b LONG4      25545"));
        assertEquals("ERROR: " + limit + "; " + hint + " at byte 0\n", dis(long4(1786)));
        String huge = assertTimeoutPreemptively(Duration.ofSeconds(5), () -> dis("N" + long4(1 << 20).substring(0, 5 + (1 << 20)) + "."));
        assertEquals("    0: N    NONE\nERROR: " + limit + "; " + hint + " at byte 1\n", huge);
        // float() has no limit: a megabyte of digits is inf
        assertEquals("    0: F    FLOAT      inf\n1048578: .    STOP\nhighest protocol among opcodes = 0\n",
                assertTimeoutPreemptively(Duration.ofSeconds(5), () -> dis("F" + "9".repeat(1 << 20) + "\n.")));
        assertEquals("ERROR: could not convert string to float: b'1._5' at byte 0\n", dis("F1._5\n."));
        assertTrue(dis("F-1_0.5_0e+1_0\n.").startsWith("    0: F    FLOAT      -105000000000.0\n"));
        assertTrue(dis("F.5\n.").startsWith("    0: F    FLOAT      0.5"));
        assertTrue(dis("F5.\n.").startsWith("    0: F    FLOAT      5.0"));
        assertEquals("ERROR: could not convert string to float: b'.' at byte 0\n", dis("F.\n."));
        assertEquals("ERROR: could not convert string to float: b'1e' at byte 0\n", dis("F1e\n."));
    }

    /** LONG4 of {@code n} bytes, all 0xff but the last 0x7f: the largest positive value of that size; then STOP. */
    private static String long4(int n) {
        StringBuilder s = new StringBuilder("\u008b");
        for (int i = 0; i < 4; i++) {
            s.append((char) ((n >>> (8 * i)) & 0xff));
        }
        return s.append("\u00ff".repeat(n - 1)).append('\u007f').append('.').toString();
    }

    @Test
    void nonAsciiStringIsShownAsLatin1() {
        // pickletools raises UnicodeDecodeError here; the bytes are shown one character each
        assertEquals("    0: S    STRING     'cafÃ©'\n"
                + "   15: .    STOP\n"
                + "highest protocol among opcodes = 0\n", dis("S'caf\\xc3\\xa9'\n."));
    }

    @Test
    void pythonReprs() {
        assertEquals("0.1", Disassembler.floatRepr(0.1));
        assertEquals("1e+16", Disassembler.floatRepr(1e16));
        assertEquals("1000000000000000.0", Disassembler.floatRepr(1e15));
        assertEquals("1e-05", Disassembler.floatRepr(1e-5));
        assertEquals("0.0001", Disassembler.floatRepr(1e-4));
        assertEquals("5e-324", Disassembler.floatRepr(Double.MIN_VALUE));
        assertEquals("1.7976931348623157e+308", Disassembler.floatRepr(Double.MAX_VALUE));
        assertEquals("-0.0", Disassembler.floatRepr(-0.0));
        assertEquals("nan", Disassembler.floatRepr(Double.NaN));
        assertEquals("-inf", Disassembler.floatRepr(Double.NEGATIVE_INFINITY));
        assertEquals("1e+23", Disassembler.floatRepr(1e23));
        assertEquals("b'\\'\"'", Disassembler.bytesRepr(new byte[] {'\'', '"'}, 0, 2));
        assertEquals("\"it's\"", Disassembler.strRepr("it's".getBytes(UTF_8), 0, 4, true));
        // printable as Python 3.11 (Unicode 14) sees it, whatever the JDK: U+0870 new in 14.0,
        // U+31350 only assigned in 15.0
        byte[] t = "\u0870\ud884\udf50".getBytes(UTF_8);
        assertEquals("'\u0870\\U00031350'", Disassembler.strRepr(t, 0, t.length, true));
        assertTrue(Disassembler.isPrintable(' '));
        assertTrue(!Disassembler.isPrintable(0xa0) && !Disassembler.isPrintable(0xad));
    }

    @Test
    void neverThrowsOnDamagedRecords() throws IOException {
        Random random = new Random(1234);
        for (String name : goldenNames()) {
            byte[] record = bin(name);
            for (int k = 0; k < 60; k++) {
                byte[] d = record.clone();
                int flips = 1 + random.nextInt(3);
                for (int i = 0; i < flips; i++) {
                    d[random.nextInt(d.length)] = (byte) random.nextInt(256);
                }
                String out = dis(d);
                assertTrue(out.endsWith("\n") && !out.contains("ERROR: cannot disassemble further"), out);
            }
        }
    }
}
