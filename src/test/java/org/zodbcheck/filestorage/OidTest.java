package org.zodbcheck.filestorage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class OidTest {
    @ParameterizedTest
    @ValueSource(strings = {"13184375", "0xc92d77", "0XC92D77", "0x00c92d77", "0000000000c92d77",
        "'\\x00\\x00\\x00\\x00\\x00\\xc9-w'", "b'\\x00\\x00\\x00\\x00\\x00\\xc9-w'",
        "\"\\x00\\x00\\x00\\x00\\x00\\xc9-w\"", "  0xc92d77  "})
    void everyFormOfTheTracebackOid(String text) {
        assertEquals(0xc92d77L, Oid.parse(text));
    }

    @Test
    void pythonReprOfP64() {
        // repr(p64(n)) as Python 3 prints them; escapes for quote, backslash and control bytes
        assertEquals(0L, Oid.parse("b'\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00'"));
        assertEquals(0x27L, Oid.parse("b\"\\x00\\x00\\x00\\x00\\x00\\x00\\x00'\""));
        assertEquals(0x5cL, Oid.parse("b'\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\\\'"));
        assertEquals(0x0aL, Oid.parse("b'\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\n'"));
        assertEquals(0x0102030405060708L, Oid.parse("'\\x01\\x02\\x03\\x04\\x05\\x06\\x07\\x08'"));
    }

    @Test
    void theTracebackFormAfterTheShellRemovedItsQuotes() {
        // zodbcheck show Data.fs '\x00\x00\x00\x00\x00\xc9-w' and ... b'\x00...' as pasted
        assertEquals(0xc92d77L, Oid.parse("\\x00\\x00\\x00\\x00\\x00\\xc9-w"));
        assertEquals(0xc92d77L, Oid.parse("b\\x00\\x00\\x00\\x00\\x00\\xc9-w"));
        assertEquals(0x14bL, Oid.parse("b\\x00\\x00\\x00\\x00\\x00\\x00\\x01K"));
        assertEquals(0x27L, Oid.parse("\\x00\\x00\\x00\\x00\\x00\\x00\\x00'"));
        assertEquals("not an oid: \\x00\\x00 (2 bytes, an oid has 8)",
                assertThrows(IllegalArgumentException.class, () -> Oid.parse("\\x00\\x00")).getMessage());
    }

    @Test
    void decimalsIncludingZodbdgcSignedForm() {
        assertEquals(0L, Oid.parse("0"));
        assertEquals(7L, Oid.parse("7"));
        assertEquals(-1L, Oid.parse("-1"));
        assertEquals(0xffffffffffffffffL, Oid.parse("18446744073709551615"));
        assertEquals(Long.MIN_VALUE, Oid.parse("-9223372036854775808"));
    }

    @Test
    void fsdumpSixteenDigitsAreHex() {
        assertEquals(0x10L, Oid.parse("0000000000000010"));
        assertEquals(0x14bL, Oid.parse("000000000000014b"));
    }

    /** ZODB.utils.oid_repr: 0x and the hex digits without leading zeros, padded to an even count. */
    @Test
    void reprIsZodbOidRepr() {
        assertEquals("0x00", Oid.repr(0));
        assertEquals("0x0c", Oid.repr(0x0c));
        assertEquals("0x92", Oid.repr(0x92));
        assertEquals("0x0100", Oid.repr(0x100));
        assertEquals("0x014b", Oid.repr(0x14b));
        assertEquals("0xc92d77", Oid.repr(0xc92d77));
        assertEquals("0x0123456789abcdef", Oid.repr(0x0123456789abcdefL));
        assertEquals("0xffffffffffffffff", Oid.repr(-1L));
    }

    @Test
    void roundTripsWithThePrintedForms() {
        for (long oid : new long[] {0, 1, 0x14b, 0xc92d77, Long.MAX_VALUE, -1L}) {
            assertEquals(oid, Oid.parse(Oid.repr(oid)));
            assertEquals(oid, Oid.parse(Oid.hex16(oid)));
            assertEquals(oid, Oid.parse(Oid.signedDecimal(oid)));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "0x", "xyz", "0xg1", "12a", "'\\x00'", "b'\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00'",
        "'\\x00\\x00\\x00\\x00\\x00\\x00\\x00", "'\\q\\x00\\x00\\x00\\x00\\x00\\x00\\x00'", "'\\x0'",
        "18446744073709551616", "0x10000000000000000", "'\u20ac\\x00\\x00\\x00\\x00\\x00\\x00\\x00'"})
    void rejectsWhatIsNotAnOid(String text) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Oid.parse(text));
        assertEquals(true, e.getMessage().startsWith("not an oid") || e.getMessage().equals("empty oid"),
                e.getMessage());
    }
}
