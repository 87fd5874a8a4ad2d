package org.zodbcheck.check;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;
import org.zodbcheck.testing.Cli;
import org.zodbcheck.testing.TestData;

/**
 * Damaged files: one clear finding with the byte offset, no stack trace, and every finding that
 * can still be made in the good prefix ZODB reads.
 */
class CorruptCasesTest {
    private static List<Map<String, Object>> structure(List<Map<String, Object>> findings) {
        return findings.stream().filter(f -> "structure".equals(f.get("kind"))).toList();
    }

    private static Set<String> references(List<Map<String, Object>> findings) {
        Set<String> s = new TreeSet<>();
        for (Map<String, Object> f : findings) {
            if (f.get("referrer_oid") != null) {
                s.add(f.get("kind") + " " + f.get("referrer_oid") + " -> " + f.get("oid") + " " + f.get("cause"));
            }
        }
        return s;
    }

    @Test
    void tlenDamagedInTheMiddle() {
        Path fs = TestData.path("corrupt-tlen", "Data.fs");
        Cli r = Cli.run("check-refs", "--format", "json", fs.toString());
        List<Map<String, Object>> s = structure(r.json());
        assertEquals(1, s.size(), r.toString());
        assertEquals("error", s.get(0).get("severity"));
        assertEquals(602450L, s.get(0).get("pos"));
        // the transaction's records run into the next header, whose bytes are read as a tloc
        assertEquals(642924L + 24, s.get(0).get("offset"));
        assertTrue(((String) s.get(0).get("message")).contains("602450"));
        assertEquals(1, r.exit());
        assertFalse(r.err().contains("Exception"), r.err());
        // The good prefix (before 602450) is a consistent earlier state of clean/Data.fs.
        assertEquals(Set.of(), references(r.json()));
    }

    @Test
    void truncatedTail() {
        Cli r = Cli.run("check-refs", "--format", "json", TestData.path("corrupt-truncated", "Data.fs").toString());
        List<Map<String, Object>> s = structure(r.json());
        assertEquals(1, s.size(), r.toString());
        assertEquals("warning", s.get(0).get("severity"));
        assertEquals(683616L, s.get(0).get("pos"));
        assertEquals(0, r.exit(), "an unfinished last commit is a warning");
    }

    @Test
    void textLineOfAStructureFinding() {
        Cli r = Cli.run("check-refs", "-q", TestData.path("corrupt-truncated", "Data.fs").toString());
        String f = TestData.path("corrupt-truncated", "Data.fs").toString();
        assertEquals(List.of("warning structure main file=" + f + " pos=683616 offset=683624 message=\"transaction at"
                + " 683616 has length 40685, which runs past the end of the file (704248 bytes): an unfinished commit;"
                + " ZODB ignores the last 20632 bytes\""), r.lines());
    }

    @Test
    void unparseablePickle() {
        Cli r = Cli.run("check-refs", "--format", "json", TestData.path("corrupt-pickle", "Data.fs").toString());
        List<Map<String, Object>> u = r.json().stream().filter(f -> "unreadable-record".equals(f.get("kind"))).toList();
        assertEquals(1, u.size(), r.toString());
        Map<String, Object> f = u.get(0);
        assertEquals("0x07", f.get("oid"));
        assertEquals(210954L, f.get("pos"));
        assertEquals(211032L, f.get("offset"));
        assertEquals("0x03f58e0019999999", f.get("tid"));
        assertEquals("corpusapp.Item", f.get("class"));
        assertTrue(((String) f.get("message")).contains("invalid load key, '\\xff'"), f.toString());
        assertEquals(1, r.exit());
    }

    /** refs-py3: the findings its README section lists. */
    @Test
    void refsPy3() {
        Cli r = Cli.run("check-refs", "--format", "json", TestData.path("refs-py3", "Data.fs").toString());
        assertEquals(Set.of(
                "poskeyerror 0x01 -> 0x02 no-data",
                "poskeyerror 0x03 -> 0xc92d77 no-record",
                "weak-dangling 0x00 -> 0x06 no-data"), references(r.json()));
        assertEquals(3, r.json().size(), r.toString());
        assertEquals(1, r.exit());
    }

    /**
     * The seven single-defect copies of refs-py3: the defect at its offset, then the findings of
     * the good prefix ZODB reads (its read-only open: expected/zodb-readonly-open.txt).
     */
    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "truncated-tail.fs           | warning | 4014 | poskeyerror 0x01 -> 0x02 no-data;poskeyerror 0x03 -> 0xc92d77 no-record",
        "checkpoint-tail.fs          | warning | 4014 | poskeyerror 0x01 -> 0x02 no-data;poskeyerror 0x03 -> 0xc92d77 no-record",
        "zero-tail.fs                | warning | 4116 | poskeyerror 0x01 -> 0x02 no-data;poskeyerror 0x03 -> 0xc92d77 no-record;weak-dangling 0x00 -> 0x06 no-data",
        "bad-status-mid.fs           | error   | 1118 | poskeyerror 0x01 -> 0x02 no-data;poskeyerror 0x03 -> 0xc92d77 no-record;weak-dangling 0x00 -> 0x06 no-data",
        "tid-reduction-mid.fs        | error   | 1430 | poskeyerror 0x01 -> 0x02 no-data;poskeyerror 0x03 -> 0xc92d77 no-record;weak-dangling 0x00 -> 0x06 no-data",
        "bad-redundant-length-mid.fs | error   | 1118 | poskeyerror 0x01 -> 0x02 no-data",
        "bad-tloc-mid.fs             | error   | 1118 | poskeyerror 0x01 -> 0x02 no-data",
    })
    void damaged(String file, String severity, long pos, String refs) {
        Cli r = Cli.run("check-refs", "--format", "json", TestData.path("damaged", file).toString());
        List<Map<String, Object>> s = structure(r.json());
        assertEquals(1, s.size(), r.toString());
        assertEquals(severity, s.get(0).get("severity"));
        assertEquals(pos, s.get(0).get("pos"));
        assertEquals(new TreeSet<>(List.of(refs.split(";"))), references(r.json()));
        assertEquals(1, r.exit(), "these files all hold a POSKeyError");
        assertFalse(r.err().contains("Exception"), r.err());
    }
}
