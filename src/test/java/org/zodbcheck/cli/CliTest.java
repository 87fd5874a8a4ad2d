package org.zodbcheck.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.zodbcheck.testing.Cli;
import org.zodbcheck.testing.TestData;

/** Exit codes, usage errors and messages of the command line. */
class CliTest {
    private static String fs(String c) {
        return TestData.path(c, "Data.fs").toString();
    }

    @Test
    void cleanDatabaseIsSilentAndExitsZero() {
        Cli r = Cli.run("check-refs", fs("clean"));
        assertEquals(0, r.exit(), r.toString());
        assertEquals("", r.out());
        assertTrue(r.err().startsWith("zodbcheck: main: 876 objects (70 garbage), 1513 records, 1327 references;"
                + " 0 findings: 0 errors, 0 warnings, 0 info; "), r.err());
    }

    @Test
    void quietPrintsNoSummary() {
        Cli r = Cli.run("check-refs", "-q", fs("clean"));
        assertEquals("", r.err());
    }

    @Test
    void errorsExitOne() {
        Cli r = Cli.run("check-refs", "-q", fs("dangling"));
        assertEquals(1, r.exit());
        assertEquals(9, r.lines().size(), r.toString());
    }

    @Test
    void failOnLowersTheBar() {
        // weakrefs: one info finding only; corrupt-truncated: one warning only
        assertEquals(0, Cli.run("check-refs", "-q", fs("weakrefs")).exit());
        assertEquals(0, Cli.run("check-refs", "-q", "--fail-on", "warning", fs("weakrefs")).exit());
        assertEquals(1, Cli.run("check-refs", "-q", "--fail-on", "info", fs("weakrefs")).exit());
        assertEquals(0, Cli.run("check-refs", "-q", fs("corrupt-truncated")).exit());
        assertEquals(1, Cli.run("check-refs", "-q", "--fail-on", "warning", fs("corrupt-truncated")).exit());
        assertEquals(1, Cli.run("check-refs", "-q", "--fail-on", "WARNING", fs("corrupt-truncated")).exit());
    }

    @Test
    void garbageIsCountedAlwaysListedOnRequest() {
        Cli plain = Cli.run("check-refs", fs("garbage"));
        assertEquals("", plain.out());
        assertTrue(plain.err().contains("(30 garbage)"), plain.err());
        Cli listed = Cli.run("check-refs", "-q", "--list-garbage", fs("garbage"));
        assertEquals(30, listed.lines().size());
        assertTrue(listed.lines().stream().allMatch(l -> l.startsWith("info garbage main:0x")), listed.toString());
        assertEquals(0, listed.exit(), "garbage is information");
    }

    @Test
    void dbNameNamesTheDatabase() {
        Cli r = Cli.run("check-refs", "-q", "--db-name", "catalog", fs("oidonly"));
        assertEquals("error poskeyerror catalog:0x01 cause=no-record referrer=catalog:0x03 referrer_class=corpusapp.Item"
                + " referrer_tid=0x03f5c64019999999 referrer_pos=385 reachable=true ref=strong form=oid", r.out().trim());
        Cli z = Cli.run("check-refs", "-q", "--db-name", "catalog", "--format", "zodbdgc", fs("oidonly"));
        assertEquals("!!! catalog 1 ?\nPOSKeyError: 0x01\n", z.out());
    }

    @Test
    void threadsDoNotChangeTheOutput() {
        String one = Cli.run("check-refs", "-q", "--threads", "1", "--list-garbage", fs("clean")).out();
        String four = Cli.run("check-refs", "-q", "--threads", "4", "--list-garbage", fs("clean")).out();
        assertEquals(one, four);
        assertEquals(70, one.lines().count());
    }

    @Test
    void usageErrorsExitTwo() {
        for (String[] args : new String[][] {
            {"check-refs"},
            {"check-refs", "--no-such-option", fs("clean")},
            {"check-refs", "--format", "xml", fs("clean")},
            {"check-refs", "--fail-on", "fatal", fs("clean")},
            {"check-refs", "--threads", "0", fs("clean")},
            {"check-refs", fs("clean"), fs("dangling")},
            {"check-refs", ""},
            {"check-refs", "--blob-dir", "", fs("clean")},
            {"check-refs", "-f", "main=", TestData.path("clean", "zodb.conf").toString()},
            {"no-such-command"},
            {},
        }) {
            Cli r = Cli.run(args);
            assertEquals(2, r.exit(), String.join(" ", args) + "\n" + r);
            assertEquals("", r.out(), r.toString());
            assertFalse(r.err().contains("Exception"), r.toString());
            assertFalse(r.err().isBlank(), r.toString());
        }
    }

    @Test
    void unreadableInputExitsThree(@TempDir Path dir) throws IOException {
        Path empty = Files.createFile(dir.resolve("empty.fs"));
        Path shortFile = Files.write(dir.resolve("short.fs"), new byte[] {'F', 'S'});
        Path magic = Files.write(dir.resolve("magic.fs"), "FS99 and more bytes".getBytes());
        Path missing = dir.resolve("missing.fs");
        String[][] cases = {
            {missing.toString(), "no such file"},
            {dir.toString(), "is a directory"},
            {empty.toString(), "empty file"},
            {shortFile.toString(), "too short"},
            {magic.toString(), "invalid file header 'FS99'"},
        };
        for (String[] c : cases) {
            Cli r = Cli.run("check-refs", c[0]);
            assertEquals(3, r.exit(), r.toString());
            assertEquals("", r.out());
            assertTrue(r.err().startsWith("zodbcheck: " + c[0]), r.toString());
            assertTrue(r.err().contains(c[1]), r.toString());
            assertFalse(r.err().contains("Exception"), r.toString());
        }
    }

    @Test
    void helpAndVersion() {
        Cli help = Cli.run("check-refs", "--help");
        assertEquals(0, help.exit());
        for (String option : new String[] {"--format", "--db-name", "--list-garbage", "--fail-on", "--threads",
            "--quiet", "--verbose", "--debug", "Exit codes"}) {
            assertTrue(help.out().contains(option), option + " missing from\n" + help.out());
        }
        Cli top = Cli.run("--help");
        assertEquals(0, top.exit());
        assertTrue(top.out().contains("check-refs"), top.out());
        assertEquals(0, Cli.run("help", "check-refs").exit());
        Cli version = Cli.run("--version");
        assertEquals(0, version.exit());
        assertTrue(version.out().startsWith("zodbcheck "), version.out());
    }

    /**
     * Every command has --help (and -h, and 'help COMMAND'), with its exit codes; the query
     * commands name the oid forms.
     */
    @Test
    void helpOfEveryCommand() {
        Cli top = Cli.run("--help");
        for (String command : new String[] {"check-refs", "verify", "referrers", "path", "show", "refs"}) {
            assertTrue(top.out().contains("  " + command + " "), command + " missing from\n" + top.out());
            for (String[] args : new String[][] {{command, "--help"}, {command, "-h"}, {"help", command}}) {
                Cli help = Cli.run(args);
                assertEquals(0, help.exit(), help.toString());
                assertEquals("", help.err(), help.toString());
                assertTrue(help.out().startsWith("Usage: zodbcheck " + command + " "), help.out());
                assertTrue(help.out().contains("Exit codes: 0 "), help.out());
            }
            if (!command.equals("check-refs") && !command.equals("verify")) {
                String help = Cli.run(command, "--help").out();
                for (String form : new String[] {"13184375", "0xc92d77", "'\\x00\\x00\\x00\\x00\\x00\\xc9-w'",
                    "b'...'", "catalog:0x05"}) {
                    assertTrue(help.contains(form), command + " --help does not name " + form + "\n" + help);
                }
            }
        }
    }

    /** Logs go through slf4j/logback to the process's stderr (not to the findings' streams). */
    @Test
    void verboseLogsThePhases() {
        java.io.PrintStream saved = System.err;
        java.io.ByteArrayOutputStream logs = new java.io.ByteArrayOutputStream();
        System.setErr(new java.io.PrintStream(logs, true, java.nio.charset.StandardCharsets.UTF_8));
        try {
            Cli.run("check-refs", "-v", fs("clean"));
        } finally {
            System.setErr(saved);
        }
        String text = logs.toString(java.nio.charset.StandardCharsets.UTF_8);
        assertTrue(text.contains("zodbcheck: info: main: read headers in "), text);
        assertTrue(text.contains("zodbcheck: info: main: extracted references in "), text);
    }
}
