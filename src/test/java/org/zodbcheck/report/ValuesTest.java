package org.zodbcheck.report;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.zodbcheck.check.Cause;
import org.zodbcheck.filestorage.Oid;
import org.zodbcheck.pickle.RefForm;

/** The appending forms the printers use give what the string forms give. */
class ValuesTest {
    @Test
    void appendReprIsOidRepr() {
        List<Long> oids = new ArrayList<>(List.of(0L, 1L, 0xfL, 0x10L, 0xffL, 0x100L, 0x92L, 0x03f59ee019999999L,
                Long.MAX_VALUE, Long.MIN_VALUE, -1L, 1L << 32, (1L << 32) - 1));
        Random rnd = new Random(6);
        for (int i = 0; i < 10_000; i++) {
            oids.add(rnd.nextLong() >>> rnd.nextInt(64));
        }
        for (long oid : oids) {
            StringBuilder sb = new StringBuilder("x");
            Values.appendRepr(sb, oid);
            assertEquals("x" + Oid.repr(oid), sb.toString(), Long.toHexString(oid));
        }
    }

    @Test
    void appendQuotedEscapesAsJson() {
        String[][] cases = {
            {"", "\"\""},
            {"OFS.Folder.Folder", "\"OFS.Folder.Folder\""},
            {"a \"b\" \\ c", "\"a \\\"b\\\" \\\\ c\""},
            {"\n\r\t", "\"\\n\\r\\t\""},
            {"\u0000x\u001f\u007f", "\"\\u0000x\\u001f\\u007f\""},
            {"caf\u00e9 \u6f22 \ud83d\ude00", "\"caf\u00e9 \u6f22 \ud83d\ude00\""},
            {"\"", "\"\\\"\""},
        };
        for (String[] c : cases) {
            assertEquals(c[1], Values.quote(c[0]), c[0]);
            StringBuilder sb = new StringBuilder();
            Values.appendQuoted(sb, c[0]);
            assertEquals(c[1], sb.toString(), c[0]);
        }
    }

    /** Through the cache of values already seen, also when two values share a slot. */
    @Test
    void appendTextIsTextAgainAndAgain() {
        // "Aa" and "BB" have the same hash; "a b" needs quotes
        List<String> values = List.of("Aa", "BB", "a b", "Aa", "", "BB", "x\"y", "a b", "BTrees.OOBTree.OOBucket", "Aa");
        for (int round = 0; round < 3; round++) {
            for (String v : values) {
                StringBuilder sb = new StringBuilder();
                Values.appendText(sb, v);
                assertEquals(Values.text(v), sb.toString(), v);
            }
        }
        assertEquals("\"a b\"", Values.text("a b"));
        assertEquals("\"\"", Values.text(""));
        assertEquals("Aa", Values.text("Aa"));
    }

    /** TextPrinter appends these without looking at them. */
    @Test
    void labelsNeedNoQuotes() {
        for (Cause c : Cause.values()) {
            assertEquals(c.label(), Values.text(c.label()));
        }
        for (RefForm f : RefForm.values()) {
            assertEquals(f.label(), Values.text(f.label()));
        }
    }
}
