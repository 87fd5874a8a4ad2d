package org.zodbcheck.filestorage;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.zodbcheck.testing.FileStorageBuilder.extensionPickle;
import static org.zodbcheck.testing.FileStorageBuilder.pickle;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.zodbcheck.filestorage.FileStorageReader.End;
import org.zodbcheck.filestorage.StructureProblem.Kind;
import org.zodbcheck.testing.FileStorageBuilder;
import org.zodbcheck.testing.TestData;

/**
 * {@link FileStorageReader}, {@link StorageFile}, {@link ChunkReader}, {@link Oid} and
 * {@link Tid} against files written by {@link FileStorageBuilder} (every rule of FORMAT.md §1.10
 * and §1.11, one at a time) and against the real fixtures in {@code testdata/}.
 */
class FileStorageReaderTest {
    private static final String PM_MODULE = "persistent.mapping";
    private static final String PM = "PersistentMapping";
    private static final long T1 = FileStorageBuilder.FIRST_TID;

    @TempDir
    Path tmp;
    private int files;

    // ================================================================== helpers

    /** Everything one pass of the reader returned. */
    static final class Scan {
        final List<TxnHeader> txns = new ArrayList<>();
        final List<Boolean> valid = new ArrayList<>();
        final List<DataHeader> records = new ArrayList<>();
        /** tpos of the transaction of each record in {@link #records}. */
        final List<Long> recordTpos = new ArrayList<>();
        final List<StructureProblem> problems = new ArrayList<>();
        End end;
        long goodEnd;
        long size;
        long transactionCount;
        long recordCount;
        Magic magic;

        List<Long> txnPositions() {
            return txns.stream().map(TxnHeader::tpos).toList();
        }

        List<Long> recordPositions() {
            return records.stream().map(DataHeader::pos).toList();
        }

        List<DataHeader> recordsOf(long tpos) {
            List<DataHeader> r = new ArrayList<>();
            for (int i = 0; i < records.size(); i++) {
                if (recordTpos.get(i) == tpos) {
                    r.add(records.get(i));
                }
            }
            return r;
        }

        /** Oids of records in valid transactions: what ZODB's index would hold. */
        Set<Long> indexedOids() {
            Set<Long> validTpos = new HashSet<>();
            for (int i = 0; i < txns.size(); i++) {
                if (valid.get(i)) {
                    validTpos.add(txns.get(i).tpos());
                }
            }
            Set<Long> oids = new TreeSet<>();
            for (int i = 0; i < records.size(); i++) {
                if (validTpos.contains(recordTpos.get(i))) {
                    oids.add(records.get(i).oid());
                }
            }
            return oids;
        }
    }

    private Path write(byte[] bytes) throws IOException {
        Path p = tmp.resolve("Data" + (files++) + ".fs");
        Files.write(p, bytes);
        return p;
    }

    private Scan scan(FileStorageBuilder b) throws IOException {
        return scan(write(b.bytes()));
    }

    private Scan scanBytes(byte[] bytes) throws IOException {
        return scan(write(bytes));
    }

    static Scan scan(Path path) throws IOException {
        Scan s = new Scan();
        try (StorageFile f = StorageFile.open(path)) {
            s.size = f.size();
            s.magic = f.magic();
            FileStorageReader r = new FileStorageReader(f, s.problems::add);
            assertFalse(r.nextRecord(), "no record before the first transaction");
            TxnHeader t;
            while ((t = r.nextTransaction()) != null) {
                assertEquals(t, r.transaction());
                s.txns.add(t);
                while (r.nextRecord()) {
                    DataHeader h = r.dataHeader();
                    assertEquals(new DataHeader(r.pos(), r.oid(), r.tid(), r.prev(), r.tloc(), r.vlen(), r.plen(),
                            r.pnv(), r.back()), h);
                    s.records.add(h);
                    s.recordTpos.add(t.tpos());
                }
                assertFalse(r.nextRecord(), "nextRecord stays false at the end of a transaction");
                s.valid.add(r.transactionValid());
            }
            assertNull(r.nextTransaction(), "nextTransaction stays null at the end");
            assertFalse(r.nextRecord());
            assertNotNull(r.end(), "end() is set once nextTransaction returned null");
            s.end = r.end();
            s.goodEnd = r.goodEnd();
            s.transactionCount = r.transactionCount();
            s.recordCount = r.recordCount();
        } catch (FileStorageException e) {
            throw new AssertionError(e.describe(), e);
        }
        return s;
    }

    private static void assertProblem(StructureProblem p, Kind kind, long pos, long offset, String... fragments) {
        assertEquals(kind, p.kind(), p::toString);
        assertEquals(pos, p.pos(), p::toString);
        assertEquals(offset, p.offset(), p::toString);
        for (String f : fragments) {
            assertTrue(p.message().contains(f), () -> "message lacks '" + f + "': " + p.message());
        }
    }

    private static void assertOnlyProblem(Scan s, Kind kind, long pos, long offset, String... fragments) {
        assertEquals(1, s.problems.size(), () -> "problems: " + s.problems);
        assertProblem(s.problems.get(0), kind, pos, offset, fragments);
    }

    private static void assertClean(Scan s) {
        assertEquals(List.of(), s.problems);
        assertEquals(End.EOF, s.end);
        assertEquals(s.size, s.goodEnd);
        assertFalse(s.valid.contains(false), () -> "valid: " + s.valid);
    }

    private static byte[] pm(long... refs) {
        return pickle(PM_MODULE, PM, refs);
    }

    /**
     * Three transactions: oid 0 (refers to 1), then oids 0 and 1 (two records), then oid 1.
     * Tids {@code T1}, {@code T1+1}, {@code T1+2}.
     */
    private static FileStorageBuilder threeTxns() {
        FileStorageBuilder b = new FileStorageBuilder();
        b.txn().description("initial database creation").data(0, pm()).end();
        b.txn().description("add 1").data(0, pm(1)).data(1, pm()).end();
        b.txn().description("change 1").data(1, pm(0)).end();
        return b;
    }

    private static long allocatedBytes() {
        java.lang.management.ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        if (mx instanceof com.sun.management.ThreadMXBean sun && sun.isThreadAllocatedMemorySupported()
                && sun.isThreadAllocatedMemoryEnabled()) {
            return sun.getThreadAllocatedBytes(Thread.currentThread().getId());
        }
        return -1;
    }

    // ================================================================== 1. clean files

    @Nested
    class CleanFiles {
        @Test
        void everyTransactionAndRecordWithItsFields() throws IOException {
            byte[] p0 = pm(1);
            byte[] p1 = pickle("BTrees.OOBTree", "OOBTree");
            byte[] ext = extensionPickle("k", "v");
            FileStorageBuilder b = new FileStorageBuilder();
            b.txn(T1).user("/ bob").description("initial").extension(ext).data(0, p0).data(1, p1).end();
            long rec1 = b.lastRecordPos();
            b.txn(T1 + 10).status('p').data(0, p0).backpointer(1, rec1).end();
            b.txn(T1 + 20).description("nothing").end(); // an empty transaction is legal
            b.txn(T1 + 30).deleted(1).end();

            // positions computed by hand from FORMAT.md §1.2 / §1.5, not taken from the builder
            int h1 = 23 + 5 + 7 + ext.length;
            long r0 = 4 + h1;
            long r1 = r0 + 42 + p0.length;
            long tlen1 = h1 + 42 + p0.length + 42 + p1.length;
            long t2 = 4 + tlen1 + 8;
            long r2 = t2 + 23;
            long r3 = r2 + 42 + p0.length;
            long tlen2 = 23 + 42 + p0.length + 42 + 8;
            long t3 = t2 + tlen2 + 8;
            long tlen3 = 23 + 7;
            long t4 = t3 + tlen3 + 8;
            long r4 = t4 + 23;
            long tlen4 = 23 + 50;
            long size = t4 + tlen4 + 8;
            assertEquals(List.of(4L, t2, t3, t4), b.txnPositions());
            assertEquals(List.of(r0, r1, r2, r3, r4), b.recordPositions());
            assertEquals(r1, rec1);

            Scan s = scan(b);
            assertClean(s);
            assertEquals(size, s.size);
            assertEquals(Magic.FS30, s.magic);
            assertEquals(List.of(
                    new TxnHeader(4, T1, tlen1, (byte) ' ', 5, 7, ext.length),
                    new TxnHeader(t2, T1 + 10, tlen2, (byte) 'p', 0, 0, 0),
                    new TxnHeader(t3, T1 + 20, tlen3, (byte) ' ', 0, 7, 0),
                    new TxnHeader(t4, T1 + 30, tlen4, (byte) ' ', 0, 0, 0)), s.txns);
            assertEquals(List.of(
                    new DataHeader(r0, 0, T1, 0, 4, 0, p0.length, -1, -1),
                    new DataHeader(r1, 1, T1, 0, 4, 0, p1.length, -1, -1),
                    new DataHeader(r2, 0, T1 + 10, r0, t2, 0, p0.length, -1, -1),
                    new DataHeader(r3, 1, T1 + 10, r1, t2, 0, 0, -1, r1),
                    new DataHeader(r4, 1, T1 + 30, r3, t4, 0, 0, -1, 0)), s.records);
            assertEquals(List.of(4L, 4L, t2, t2, t4), s.recordTpos);
            assertEquals(List.of(), s.recordsOf(t3), "the empty transaction has no records");
            assertEquals(4, s.transactionCount);
            assertEquals(5, s.recordCount);
            assertEquals(List.of(true, true, true, true), s.valid);
            assertEquals(r0 + 42, s.records.get(0).dataPos());
            assertEquals(42 + p0.length, s.records.get(0).recordLength());
            assertEquals(50, s.records.get(3).recordLength());
            assertTrue(s.records.get(3).isBackpointer());
            assertFalse(s.records.get(3).hasData());
        }

        @Test
        void metadataBytesAreWhereTheLengthsSay() throws IOException {
            byte[] ext = extensionPickle("x-cookie", "abc");
            FileStorageBuilder b = new FileStorageBuilder();
            b.txn().user("/ bob").description("line 1\nline 2").extension(ext).data(0, pm()).end();
            Path p = write(b.bytes());
            try (StorageFile f = StorageFile.open(p)) {
                TxnHeader h = f.readTxnHeader(4);
                assertEquals("/ bob", new String(f.read(4 + 23, h.ulen()), StandardCharsets.UTF_8));
                assertEquals("line 1\nline 2", new String(f.read(4 + 23 + h.ulen(), h.dlen()), StandardCharsets.UTF_8));
                assertArrayEquals(ext, f.read(4 + 23 + h.ulen() + h.dlen(), h.elen()));
                assertEquals(4 + 23 + 5 + 13 + ext.length, h.firstRecord());
                assertEquals(h.tlen(), f.readU64(h.tend()), "redundant length");
                assertEquals(f.size(), h.next());
            } catch (FileStorageException e) {
                fail(e.describe());
            }
            assertClean(scan(p));
        }

        @Test
        void largeUserDescriptionAndExtensionAreSkippedByTheirLengths() throws IOException {
            byte[] user = new byte[300];
            byte[] description = new byte[65535];
            byte[] ext = new byte[1000];
            Arrays.fill(user, (byte) 'u');
            Arrays.fill(description, (byte) 'd');
            Arrays.fill(ext, (byte) 'e');
            FileStorageBuilder b = new FileStorageBuilder();
            b.txn().user(user).description(description).extension(ext).data(7, pm()).data(8, pm(7)).end();
            b.txn().user(new byte[65535]).description(new byte[65535]).extension(new byte[65535]).end();
            Scan s = scan(b);
            assertClean(s);
            long first = 4 + 23 + 300 + 65535 + 1000;
            assertEquals(List.of(first, first + 42 + pm().length), s.recordPositions());
            assertEquals(List.of(7L, 8L), s.records.stream().map(DataHeader::oid).toList());
            assertEquals(23 + 3 * 65535, s.txns.get(1).tlen(), "an empty transaction with the largest header");
        }

        @Test
        void recordsLargerThanTheReadWindow() throws IOException {
            byte[] big = new byte[3 << 20];
            Arrays.fill(big, (byte) 0x5a);
            FileStorageBuilder b = new FileStorageBuilder();
            b.txn().data(0, pm()).data(1, big).data(2, pm(1)).end();
            b.txn().data(1, big).end();
            Scan s = scan(b);
            assertClean(s);
            assertEquals(b.recordPositions(), s.recordPositions());
            assertEquals(List.of(0L, 1L, 2L, 1L), s.records.stream().map(DataHeader::oid).toList());
            assertEquals((long) big.length, s.records.get(1).plen());
            assertEquals(s.records.get(1).pos(), s.records.get(3).prev());
        }

        @Test
        void fs21AndFs30Magic() throws IOException {
            Scan s21 = scan(FileStorageBuilder.fs21().txn().data(0, pm()).end());
            assertEquals(Magic.FS21, s21.magic);
            assertClean(s21);
            assertEquals(1, s21.records.size());
            Scan s30 = scan(new FileStorageBuilder().txn().data(0, pm()).end());
            assertEquals(Magic.FS30, s30.magic);
            assertClean(s30);
        }

        @ParameterizedTest
        @ValueSource(strings = {"FS21", "FS30"})
        void magicOnlyIsAnEmptyDatabase(String magic) throws IOException {
            Scan s = scan(new FileStorageBuilder(magic));
            assertEquals(Magic.valueOf(magic), s.magic);
            assertClean(s);
            assertEquals(4, s.goodEnd);
            assertEquals(List.of(), s.txns);
        }

        @Test
        void nextTransactionWalksAndChecksUnreadRecords() throws IOException {
            FileStorageBuilder b = threeTxns();
            long t2 = b.txnPositions().get(1);
            long rec = b.recordPositions().get(2); // second record of transaction 2
            b.patchU64(rec + 24, 12345);
            try (StorageFile f = StorageFile.open(write(b.bytes()))) {
                List<StructureProblem> problems = new ArrayList<>();
                FileStorageReader r = new FileStorageReader(f, problems::add);
                List<Long> seen = new ArrayList<>();
                TxnHeader t;
                while ((t = r.nextTransaction()) != null) {
                    seen.add(t.tpos());
                }
                assertEquals(List.of(4L, t2), seen);
                assertEquals(End.DAMAGE, r.end());
                assertEquals(t2, r.goodEnd());
                assertEquals(1, problems.size());
                assertProblem(problems.get(0), Kind.DAMAGE, t2, rec + 24, "12345");
            } catch (FileStorageException e) {
                fail(e.describe());
            }
        }

        @Test
        void clean3TxnsEndsAtEof() throws IOException {
            FileStorageBuilder b = threeTxns();
            Scan s = scan(b);
            assertClean(s);
            assertEquals(b.txnPositions(), s.txnPositions());
            assertEquals(b.recordPositions(), s.recordPositions());
            assertEquals(List.of(0L, 0L, 1L, 1L), s.records.stream().map(DataHeader::oid).toList());
            // prev chains as ZODB writes them
            assertEquals(List.of(0L, b.recordPositions().get(0), 0L, b.recordPositions().get(2)),
                    s.records.stream().map(DataHeader::prev).toList());
        }
    }

    // ================================================================== 2. tails (§1.10)

    @Nested
    class Tails {
        @ParameterizedTest
        @ValueSource(ints = {1, 8, 22})
        void fewerThanAHeaderAfterTheLastTransaction(int n) throws IOException {
            FileStorageBuilder b = threeTxns();
            long end = b.position();
            byte[] junk = new byte[n];
            Arrays.fill(junk, (byte) 'x');
            Scan s = scan(b.append(junk));
            assertOnlyProblem(s, Kind.INCOMPLETE_TAIL, end, end, n + " bytes", String.valueOf(end));
            assertEquals(End.INCOMPLETE_TAIL, s.end);
            assertEquals(end, s.goodEnd);
            assertEquals(3, s.txns.size());
            assertEquals(List.of(true, true, true), s.valid);
        }

        @ParameterizedTest
        @ValueSource(ints = {1, 8, 30, 60})
        void lengthPastEofIsAnIncompleteLastTransaction(int cut) throws IOException {
            FileStorageBuilder b = threeTxns();
            long t3 = b.lastTxnPos();
            long size = b.position();
            Scan s = scan(b.truncate(size - cut));
            assertOnlyProblem(s, Kind.INCOMPLETE_TAIL, t3, t3 + 8, "transaction at " + t3,
                    "runs past the end of the file (" + (size - cut) + " bytes)");
            assertEquals(End.INCOMPLETE_TAIL, s.end);
            assertEquals(t3, s.goodEnd);
            assertEquals(2, s.txns.size());
            assertEquals(3, s.records.size(), "the records of the incomplete transaction are not read");
        }

        @Test
        void onlyTheHeaderOfTheLastTransactionWasWritten() throws IOException {
            FileStorageBuilder b = threeTxns();
            long t3 = b.lastTxnPos();
            Scan s = scan(b.truncate(t3 + 23));
            assertOnlyProblem(s, Kind.INCOMPLETE_TAIL, t3, t3 + 8);
            assertEquals(t3, s.goodEnd);
        }

        @Test
        void lengthPastEofWhileACompleteTransactionEndsTheFileIsDamage() throws IOException {
            FileStorageBuilder b = threeTxns();
            long t2 = b.txnPositions().get(1);
            long size = b.position();
            b.patchU64(t2 + 8, size);
            Scan s = scan(b);
            assertOnlyProblem(s, Kind.DAMAGE, t2, t2 + 8, "transaction at " + t2, "length " + size,
                    "a complete transaction ends the file");
            assertEquals(End.DAMAGE, s.end);
            assertEquals(t2, s.goodEnd);
            assertEquals(List.of(4L), s.txnPositions());
        }

        @Test
        void checkpointAsTheLastTransactionIsAnIncompleteTail() throws IOException {
            FileStorageBuilder b = threeTxns();
            long t4 = b.position();
            b.txn().status('c').data(0, pm(1)).end();
            Scan s = scan(b);
            assertOnlyProblem(s, Kind.INCOMPLETE_TAIL, t4, t4 + 16, "status 'c'", "transaction at " + t4);
            assertEquals(End.INCOMPLETE_TAIL, s.end);
            assertEquals(t4, s.goodEnd);
            assertEquals(3, s.txns.size());
            assertEquals(4, s.records.size());
        }

        @Test
        void checkpointFollowedByMoreTransactionsIsDamage() throws IOException {
            FileStorageBuilder b = new FileStorageBuilder();
            b.txn().data(0, pm()).end();
            long t2 = b.position();
            b.txn().status('c').data(0, pm(1)).data(1, pm()).end();
            long t3 = b.position();
            b.txn().data(1, pm(0)).end();
            long after = b.position() - t3;
            Scan s = scan(b);
            assertOnlyProblem(s, Kind.DAMAGE, t2, t2 + 16, "status 'c'", after + " bytes follow it");
            assertEquals(End.DAMAGE, s.end);
            assertEquals(t2, s.goodEnd);
            assertEquals(List.of(4L), s.txnPositions());
        }

        @ParameterizedTest
        @ValueSource(ints = {23, 24, 64, 4096})
        void zeroBytesAppendedAreAGarbageTail(int n) throws IOException {
            FileStorageBuilder b = threeTxns();
            long end = b.position();
            Scan s = scan(b.append(new byte[n]));
            // ZODB also logs a time-stamp reduction and an invalid status here; the tail is all that matters
            assertOnlyProblem(s, Kind.INCOMPLETE_TAIL, end, end + 8, "shorter than its header",
                    n + " bytes of garbage");
            assertEquals(End.INCOMPLETE_TAIL, s.end);
            assertEquals(end, s.goodEnd);
            assertEquals(List.of(true, true, true), s.valid);
        }

        @Test
        void lengthShorterThanTheHeaderInTheMiddleIsDamage() throws IOException {
            FileStorageBuilder b = threeTxns();
            long t2 = b.txnPositions().get(1);
            b.patchU64(t2 + 8, 10);
            Scan s = scan(b);
            assertOnlyProblem(s, Kind.DAMAGE, t2, t2 + 8, "length 10", "shorter than its header", "refuses");
            assertEquals(End.DAMAGE, s.end);
            assertEquals(t2, s.goodEnd);
        }

        @Test
        void lengthShorterThanTheMetadataInTheMiddleIsDamage() throws IOException {
            FileStorageBuilder b = new FileStorageBuilder();
            b.txn().data(0, pm()).end();
            long t2 = b.position();
            b.txn().description("some words").data(0, pm()).end();
            b.txn().data(0, pm()).end();
            b.patchU64(t2 + 8, 30); // ≥ 23 but < 23 + 10
            Scan s = scan(b);
            assertOnlyProblem(s, Kind.DAMAGE, t2, t2 + 8, "length 30", "(33 bytes)");
            assertEquals(t2, s.goodEnd);
        }

        @Test
        void garbageTailWhoseLastBytesLookLikeALengthIsDamage() throws IOException {
            // ZODB's test only looks at the last 8 bytes: a plausible redundant length there means
            // "corruption in the middle" even if the bad header is the last one
            FileStorageBuilder b = threeTxns();
            long end = b.position();
            byte[] tail = new byte[64];
            System.arraycopy(FileStorageBuilder.u64(40), 0, tail, 56, 8);
            Scan s = scan(b.append(tail));
            assertOnlyProblem(s, Kind.DAMAGE, end, end + 8, "shorter than its header");
            assertEquals(end, s.goodEnd);
        }
    }

    // ================================================================== 3. damage

    @Nested
    class Damage {
        @Test
        void redundantLengthMismatchStopsAndTheTransactionIsNotValid() throws IOException {
            FileStorageBuilder b = new FileStorageBuilder();
            b.txn().data(0, pm()).end();
            long t2 = b.position();
            b.txn().data(0, pm(1)).data(1, pm()).end();
            long tend2 = b.lastTxnEnd();
            b.txn().data(1, pm(0)).end();
            b.patchU64(tend2, 999);
            Scan s = scan(b);
            assertOnlyProblem(s, Kind.DAMAGE, t2, tend2, "redundant length at " + tend2, "is 999",
                    "says " + (tend2 - t2));
            assertEquals(End.DAMAGE, s.end);
            assertEquals(t2, s.goodEnd);
            assertEquals(List.of(4L, t2), s.txnPositions());
            assertEquals(List.of(true, false), s.valid);
            assertEquals(2, s.recordsOf(t2).size(), "the records were returned before the length was checked");
        }

        @Test
        void redundantLengthOfAnEmptyTransaction() throws IOException {
            FileStorageBuilder b = new FileStorageBuilder();
            b.txn().data(0, pm()).end();
            long t2 = b.position();
            b.txn().endWithLengths(23, 24);
            b.txn().data(0, pm()).end();
            Scan s = scan(b);
            assertOnlyProblem(s, Kind.DAMAGE, t2, t2 + 23, "is 24");
            assertEquals(List.of(true, false), s.valid);
        }

        @Test
        void tlocNotTposIsDamage() throws IOException {
            FileStorageBuilder b = threeTxns();
            long t2 = b.txnPositions().get(1);
            long rec = b.recordPositions().get(2);
            b.patchU64(rec + 24, 12345);
            Scan s = scan(b);
            assertOnlyProblem(s, Kind.DAMAGE, t2, rec + 24, "data record at " + rec, "tloc 12345", "not " + t2);
            assertEquals(End.DAMAGE, s.end);
            assertEquals(t2, s.goodEnd);
            assertEquals(List.of(b.recordPositions().get(1)), s.recordsOf(t2).stream().map(DataHeader::pos).toList(),
                    "the record before the bad one is returned, the bad one is not");
            assertEquals(List.of(true, false), s.valid);
        }

        @Test
        void tlocWrittenByTheBuilder() throws IOException {
            FileStorageBuilder b = new FileStorageBuilder();
            b.txn().record(0, T1, 0, 4, 8, new byte[8]).end();
            assertClean(scan(b));
            FileStorageBuilder bad = new FileStorageBuilder();
            bad.txn().record(0, T1, 0, 5, 8, new byte[8]).end();
            Scan s = scan(bad);
            assertOnlyProblem(s, Kind.DAMAGE, 4, 27 + 24, "tloc 5");
        }

        @Test
        void recordRunningPastTheTransactionEndIsDamage() throws IOException {
            FileStorageBuilder b = threeTxns();
            long t2 = b.txnPositions().get(1);
            long rec = b.recordPositions().get(2);
            long plen = pm().length;
            b.patchU64(rec + 34, plen + 1);
            Scan s = scan(b);
            assertOnlyProblem(s, Kind.DAMAGE, t2, rec + 34, "data record at " + rec, "plen " + (plen + 1),
                    "runs past the transaction end " + (rec + 42 + plen));
            assertEquals(End.DAMAGE, s.end);
            assertEquals(t2, s.goodEnd);
            assertEquals(1, s.recordsOf(t2).size());
        }

        @ParameterizedTest
        @ValueSource(ints = {1, 8, 41})
        void leftoverBytesBeforeTheTransactionEndAreDamage(int n) throws IOException {
            FileStorageBuilder b = new FileStorageBuilder();
            b.txn().data(0, pm()).end();
            long t2 = b.position();
            b.txn().data(0, pm(1)).raw(new byte[n]).end();
            long leftover = b.lastTxnEnd() - n;
            b.txn().data(0, pm()).end();
            Scan s = scan(b);
            assertOnlyProblem(s, Kind.DAMAGE, t2, leftover, "the " + n + " bytes at " + leftover,
                    "do not add up");
            assertEquals(End.DAMAGE, s.end);
            assertEquals(t2, s.goodEnd);
            assertEquals(1, s.recordsOf(t2).size());
        }

        @Test
        void leftoverBytesInATransactionWithoutRecords() throws IOException {
            FileStorageBuilder b = new FileStorageBuilder();
            b.txn().raw(new byte[41]).end();
            Scan s = scan(b);
            assertOnlyProblem(s, Kind.DAMAGE, 4, 27, "41 bytes at 27");
            assertEquals(4, s.goodEnd);
        }

        @Test
        void invalidStatusIsReportedAndReadingContinues() throws IOException {
            FileStorageBuilder b = new FileStorageBuilder();
            b.txn().data(0, pm()).end();
            long t2 = b.position();
            b.txn().status('x').data(0, pm(1)).data(1, pm()).end();
            b.txn().data(1, pm(0)).end();
            Scan s = scan(b);
            assertOnlyProblem(s, Kind.DAMAGE, t2, t2 + 16, "transaction at " + t2, "invalid status 'x'");
            assertEquals(End.EOF, s.end);
            assertEquals(s.size, s.goodEnd);
            assertEquals(List.of(true, true, true), s.valid);
            assertEquals(2, s.recordsOf(t2).size());
            assertEquals(4, s.records.size());
        }

        @Test
        void nonPrintableStatusIsShownEscaped() throws IOException {
            FileStorageBuilder b = new FileStorageBuilder();
            b.txn().status((char) 0).data(0, pm()).end();
            Scan s = scan(b);
            assertOnlyProblem(s, Kind.DAMAGE, 4, 20, "'\\x00'");
            assertEquals(End.EOF, s.end);
        }

        @Test
        void tidNotIncreasingIsReportedAndReadingContinues() throws IOException {
            FileStorageBuilder b = new FileStorageBuilder();
            b.txn(T1 + 5).data(0, pm()).end();
            long t2 = b.position();
            b.txn(T1 + 5).data(0, pm()).end(); // equal
            long t3 = b.position();
            b.txn(T1 + 2).data(0, pm()).end(); // smaller
            b.txn(T1 + 9).data(0, pm()).end();
            Scan s = scan(b);
            assertEquals(2, s.problems.size(), () -> "problems: " + s.problems);
            assertProblem(s.problems.get(0), Kind.DAMAGE, t2, t2, "transaction at " + t2,
                    "tid " + Tid.repr(T1 + 5) + " is not after the previous tid " + Tid.repr(T1 + 5),
                    "time-stamp reduction");
            assertProblem(s.problems.get(1), Kind.DAMAGE, t3, t3,
                    "tid " + Tid.repr(T1 + 2) + " is not after the previous tid " + Tid.repr(T1 + 5));
            assertEquals(End.EOF, s.end);
            assertEquals(s.size, s.goodEnd);
            assertEquals(4, s.records.size());
            assertEquals(List.of(true, true, true, true), s.valid);
        }

        @Test
        void tidsCompareUnsigned() throws IOException {
            FileStorageBuilder b = new FileStorageBuilder();
            b.txn(0x7fffffffffffffffL).data(0, pm()).end();
            b.txn(0x8000000000000000L).data(0, pm()).end();
            b.txn(-1L).data(0, pm()).end();
            assertClean(scan(b));
        }

        @Test
        void aZeroFirstTidIsATimeStampReductionAsInReadIndex() throws IOException {
            FileStorageBuilder b = new FileStorageBuilder();
            b.txn(0).data(0, pm()).end();
            Scan s = scan(b);
            assertOnlyProblem(s, Kind.DAMAGE, 4, 4, "time-stamp reduction");
            assertEquals(End.EOF, s.end);
        }

        @Test
        void badStatusAndTidReductionTogether() throws IOException {
            FileStorageBuilder b = new FileStorageBuilder();
            b.txn(T1 + 5).data(0, pm()).end();
            long t2 = b.position();
            b.txn(T1).status('?').data(0, pm()).end();
            Scan s = scan(b);
            assertEquals(2, s.problems.size(), () -> "problems: " + s.problems);
            assertProblem(s.problems.get(0), Kind.DAMAGE, t2, t2, "time-stamp reduction");
            assertProblem(s.problems.get(1), Kind.DAMAGE, t2, t2 + 16, "'?'");
            assertEquals(End.EOF, s.end);
        }
    }

    // ================================================================== 4. 'u' transactions

    @Nested
    class UndoneTransactions {
        private FileStorageBuilder withUndone() {
            FileStorageBuilder b = new FileStorageBuilder();
            b.txn().data(0, pm(1)).end();
            b.txn().status('u').data(0, pm()).data(1, pm()).end();
            b.txn().data(1, pm()).end();
            return b;
        }

        @Test
        void recordsOfUTransactionsAreNotReturned() throws IOException {
            FileStorageBuilder b = withUndone();
            long t2 = b.txnPositions().get(1);
            Scan s = scan(b);
            assertClean(s);
            assertEquals(b.txnPositions(), s.txnPositions());
            assertEquals((byte) 'u', s.txns.get(1).status());
            assertEquals(List.of(), s.recordsOf(t2));
            List<Long> rp = b.recordPositions();
            assertEquals(List.of(rp.get(0), rp.get(3)), s.recordPositions());
            assertEquals(3, s.transactionCount);
            assertEquals(2, s.recordCount);
            assertEquals(0, s.records.get(1).prev(), "the builder ignores 'u' records for prev, as read_index");
        }

        @Test
        void theRedundantLengthOfAUTransactionIsChecked() throws IOException {
            FileStorageBuilder b = withUndone();
            long t2 = b.txnPositions().get(1);
            long tend2 = b.txnPositions().get(2) - 8;
            b.patchU64(tend2, 1);
            Scan s = scan(b);
            assertOnlyProblem(s, Kind.DAMAGE, t2, tend2, "redundant length at " + tend2);
            assertEquals(End.DAMAGE, s.end);
            assertEquals(t2, s.goodEnd);
            assertEquals(List.of(true, false), s.valid);
        }

        @Test
        void theContentsOfAUTransactionAreNotParsed() throws IOException {
            // ZODB seeks over a 'u' transaction: what is inside does not matter
            FileStorageBuilder b = new FileStorageBuilder();
            b.txn().data(0, pm()).end();
            b.txn().status('u').raw(new byte[] {1, 2, 3}).end();
            b.txn().status('u').record(0, 0, 999999, 5, Long.MIN_VALUE, new byte[0]).end();
            b.txn().data(0, pm()).end();
            Scan s = scan(b);
            assertClean(s);
            assertEquals(2, s.records.size());
        }

        @Test
        void chunkReaderSkipsUTransactions() throws IOException {
            FileStorageBuilder b = withUndone();
            Path p = write(b.bytes());
            List<Long> rp = b.recordPositions();
            assertEquals(List.of(rp.get(0), rp.get(3)), chunkPositions(p, 4, Files.size(p), 1 << 20, 1 << 30));
        }
    }

    // ================================================================== 5. versions and backpointers

    @Nested
    class VersionsAndBackpointers {
        @Test
        void versionRecordsIncludeTheirVersionFields() throws IOException {
            byte[] p = pm();
            FileStorageBuilder b = new FileStorageBuilder();
            b.txn().data(0, p).data(1, p).end();
            long r0 = b.recordPositions().get(0);
            long t2 = b.position();
            b.txn().version(0, "v1", r0, p).versionBackpointer(1, "version", 0, r0).data(2, p).end();
            List<Long> rp = b.recordPositions();
            long v0 = t2 + 23;
            long v1 = v0 + 42 + 16 + 2 + p.length;
            long r2 = v1 + 42 + 16 + 7 + 8;
            assertEquals(List.of(v0, v1, r2), rp.subList(2, 5));

            Scan s = scan(b);
            assertClean(s); // version records are LEGACY, reported by the check layer, not here
            DataHeader a = s.records.get(2);
            assertEquals(new DataHeader(v0, 0, T1 + 1, r0, t2, 2, p.length, r0, -1), a);
            assertEquals(42 + 16 + 2 + p.length, a.recordLength());
            assertEquals(v0 + 42 + 18, a.dataPos());
            DataHeader c = s.records.get(3);
            assertEquals(new DataHeader(v1, 1, T1 + 1, rp.get(1), t2, 7, 0, 0, r0), c);
            assertEquals(42 + 16 + 7 + 8, c.recordLength());
            assertEquals(r2, s.records.get(4).pos());

            try (StorageFile f = StorageFile.open(b.write(tmp.resolve("versions.fs")))) {
                for (DataHeader h : s.records) {
                    assertEquals(h, f.readDataHeader(h.pos(), s.goodEnd));
                }
                assertEquals("v1", new String(f.read(v0 + 42 + 16, 2), StandardCharsets.UTF_8));
            } catch (FileStorageException e) {
                fail(e.describe());
            }
            Path path = tmp.resolve("versions.fs");
            List<long[]> chunks = chunkRecords(path, 4, Files.size(path), 1 << 20, 1 << 30);
            assertEquals(v0 + 42 + 18, chunks.get(2)[4], "dataOffset skips the version fields");
            assertEquals(v1 + 42 + 23, chunks.get(3)[4]);
        }

        @Test
        void versionLengthRunningPastTheTransactionIsDamage() throws IOException {
            FileStorageBuilder b = new FileStorageBuilder();
            b.txn().version(0, "v", 0, pm()).end();
            long rec = b.lastRecordPos();
            b.patchU16(rec + 32, 65535);
            Scan s = scan(b);
            assertOnlyProblem(s, Kind.DAMAGE, 4, rec + 34, "data record at " + rec);
            assertEquals(4, s.goodEnd);
        }

        @Test
        void backpointersAndDeletions() throws IOException {
            FileStorageBuilder b = new FileStorageBuilder();
            b.txn().data(0, pm(1)).data(1, pm()).end();
            long r0 = b.recordPositions().get(0);
            long r1 = b.recordPositions().get(1);
            b.txn().data(0, pm()).end();
            b.txn().backpointer(0, r0).deleted(1).end(); // undo: restore 0, undo creation of 1
            Scan s = scan(b);
            assertClean(s);
            DataHeader back = s.records.get(3);
            DataHeader gone = s.records.get(4);
            assertEquals(0, back.plen());
            assertEquals(r0, back.back());
            assertEquals(b.recordPositions().get(2), back.prev());
            assertEquals(0, gone.plen());
            assertEquals(0, gone.back());
            assertEquals(r1, gone.prev());
            assertEquals(-1, s.records.get(0).back(), "no backpointer on a record with data");
            assertEquals(-1, s.records.get(0).pnv());
        }
    }

    // ================================================================== 6. hostile lengths

    @Nested
    class HostileLengths {
        @Test
        void maximalTlenLastIsAnIncompleteTail() throws IOException {
            FileStorageBuilder b = threeTxns();
            long t3 = b.lastTxnPos();
            b.patchU64(t3 + 8, -1L);
            Scan s = scanMeasured(b.bytes());
            assertOnlyProblem(s, Kind.INCOMPLETE_TAIL, t3, t3 + 8, "18446744073709551615");
            assertEquals(t3, s.goodEnd);
        }

        @Test
        void maximalTlenInTheMiddleIsDamage() throws IOException {
            FileStorageBuilder b = threeTxns();
            long t2 = b.txnPositions().get(1);
            b.patchU64(t2 + 8, -1L);
            Scan s = scanMeasured(b.bytes());
            assertOnlyProblem(s, Kind.DAMAGE, t2, t2 + 8, "18446744073709551615");
            assertEquals(t2, s.goodEnd);
        }

        @ParameterizedTest
        @ValueSource(longs = {Long.MIN_VALUE, Long.MAX_VALUE, 1L << 62, -42L, 1L << 31, Integer.MAX_VALUE})
        void hugePlenIsDamage(long plen) throws IOException {
            FileStorageBuilder b = threeTxns();
            long t2 = b.txnPositions().get(1);
            long rec = b.recordPositions().get(1);
            b.patchU64(rec + 34, plen);
            Scan s = scanMeasured(b.bytes());
            assertOnlyProblem(s, Kind.DAMAGE, t2, rec + 34, "plen " + Long.toUnsignedString(plen));
            assertEquals(t2, s.goodEnd);
            try (StorageFile f = StorageFile.open(write(b.bytes()))) {
                FileStorageException e = assertThrows(FileStorageException.class,
                        () -> f.readDataHeader(rec, f.size()));
                assertEquals(rec, e.offset());
                assertTrue(e.getMessage().contains(Long.toUnsignedString(plen)), e.getMessage());
            } catch (FileStorageException e) {
                fail(e.describe());
            }
        }

        @Test
        void maximalMetadataLengthsInAShortFile() throws IOException {
            FileStorageBuilder b = new FileStorageBuilder();
            b.txn().data(0, pm()).end();
            b.patchU16(4 + 17, 65535).patchU16(4 + 19, 65535).patchU16(4 + 21, 65535);
            Scan s = scanMeasured(b.bytes());
            // tlen is now shorter than the header; the last 8 bytes are a plausible length
            assertOnlyProblem(s, Kind.DAMAGE, 4, 12, "shorter than its header (" + (23 + 3 * 65535) + " bytes)");
            assertEquals(4, s.goodEnd);
        }

        @Test
        void maximalLengthsInABareHeader() throws IOException {
            byte[] header = new byte[23];
            Arrays.fill(header, (byte) 0xff);
            System.arraycopy(FileStorageBuilder.u64(T1), 0, header, 0, 8);
            header[16] = ' ';
            Scan s = scanMeasured(new FileStorageBuilder().append(header).bytes());
            assertOnlyProblem(s, Kind.INCOMPLETE_TAIL, 4, 12);
            assertEquals(4, s.goodEnd);
        }

        @Test
        void allOnesAfterTheMagic() throws IOException {
            byte[] junk = new byte[200];
            Arrays.fill(junk, (byte) 0xff);
            Scan s = scanMeasured(new FileStorageBuilder().append(junk).bytes());
            assertEquals(1, s.problems.size(), () -> "problems: " + s.problems);
            assertEquals(Kind.INCOMPLETE_TAIL, s.problems.get(0).kind());
            assertEquals(4, s.goodEnd);
        }

        @Test
        void randomGarbageNeverThrows() throws IOException {
            Random random = new Random(1);
            byte[] good = threeTxns().bytes();
            for (int i = 0; i < 300; i++) {
                byte[] b = good.clone();
                int flips = 1 + random.nextInt(4);
                for (int k = 0; k < flips; k++) {
                    b[4 + random.nextInt(b.length - 4)] = (byte) random.nextInt(256);
                }
                Scan s = scanBytes(b);
                assertTrue(s.goodEnd >= 4 && s.goodEnd <= s.size);
                if (s.end != End.EOF) {
                    assertFalse(s.problems.isEmpty());
                }
                Files.delete(tmp.resolve("Data" + (files - 1) + ".fs"));
            }
        }

        /** Scans and checks that no large buffer was allocated (the reader's window is 1 MiB). */
        private Scan scanMeasured(byte[] bytes) throws IOException {
            Path p = write(bytes);
            long before = allocatedBytes();
            Scan s = scan(p);
            long after = allocatedBytes();
            if (before >= 0) {
                assertTrue(after - before < 8L << 20, "allocated " + (after - before) + " bytes");
            }
            return s;
        }
    }

    // ================================================================== 7. testdata/damaged

    static Stream<Arguments> damagedFiles() {
        // name, kind, problem pos, problem offset, end, goodEnd, the position fstest names
        return Stream.of(
                Arguments.of("bad-redundant-length-mid", Kind.DAMAGE, 1118L, 1422L, End.DAMAGE, 1118L, 1422L),
                Arguments.of("bad-tloc-mid", Kind.DAMAGE, 1118L, 1156L + 24, End.DAMAGE, 1118L, 1156L),
                Arguments.of("checkpoint-tail", Kind.INCOMPLETE_TAIL, 4014L, 4014L + 16, End.INCOMPLETE_TAIL, 4014L,
                        4014L),
                Arguments.of("truncated-tail", Kind.INCOMPLETE_TAIL, 4014L, 4014L + 8, End.INCOMPLETE_TAIL, 4014L,
                        4014L),
                Arguments.of("zero-tail", Kind.INCOMPLETE_TAIL, 4116L, 4116L + 8, End.INCOMPLETE_TAIL, 4116L, 4116L),
                Arguments.of("bad-status-mid", Kind.DAMAGE, 1118L, 1118L + 16, End.EOF, 4116L, 1118L),
                Arguments.of("tid-reduction-mid", Kind.DAMAGE, 1430L, 1430L, End.EOF, 4116L, 1430L));
    }

    /** {@code <name>.fs -> opened read-only; last good position N objects M}, or null if ZODB refused. */
    private static long[] zodbReadOnlyOpen(String name) throws IOException {
        Pattern opened = Pattern.compile(Pattern.quote(name + ".fs")
                + " -> opened read-only; last good position (\\d+) objects (\\d+)");
        Pattern refused = Pattern.compile(Pattern.quote(name + ".fs") + " -> CorruptedTransactionError .*");
        boolean sawRefusal = false;
        for (String line : Files.readAllLines(TestData.path("damaged", "expected", "zodb-readonly-open.txt"))) {
            Matcher m = opened.matcher(line);
            if (m.matches()) {
                return new long[] {Long.parseLong(m.group(1)), Long.parseLong(m.group(2))};
            }
            sawRefusal |= refused.matcher(line).matches();
        }
        assertTrue(sawRefusal, name + ": neither opened nor refused in zodb-readonly-open.txt");
        return null;
    }

    /** The position in fstest's message: the last "at N" (or "at N:"). */
    private static long fstestPosition(String name) throws IOException {
        String text = Files.readString(TestData.path("damaged", "expected", name + ".fstest.txt"));
        Matcher m = Pattern.compile(" at (\\d+)").matcher(text);
        long at = -1;
        while (m.find()) {
            at = Long.parseLong(m.group(1));
        }
        assertTrue(at >= 0, name + ": no position in the fstest message: " + text);
        return at;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("damagedFiles")
    void damagedFixtures(String name, Kind kind, long pos, long offset, End end, long goodEnd, long fstestAt)
            throws IOException {
        Scan s = scan(TestData.path("damaged", name + ".fs"));
        assertTrue(s.problems.size() >= 1);
        StructureProblem first = s.problems.get(0);
        assertProblem(first, kind, pos, offset);
        assertEquals(fstestAt, fstestPosition(name), "the position in expected/" + name + ".fstest.txt");
        assertTrue(first.message().contains(" " + fstestAt), () -> "fstest names " + fstestAt + ": " + first);
        assertEquals(end, s.end);
        assertEquals(goodEnd, s.goodEnd);
        assertEquals(1, s.problems.size(), () -> "problems: " + s.problems);

        long[] zodb = zodbReadOnlyOpen(name);
        if (zodb == null) {
            assertEquals(End.DAMAGE, s.end, "ZODB refuses the file");
        } else {
            assertEquals(zodb[0], s.goodEnd, "ZODB's last good position");
            assertEquals(zodb[1], s.indexedOids().size(), "ZODB's object count");
        }
        List<Long> all = List.of(4L, 166L, 451L, 763L, 935L, 1118L, 1430L, 1866L, 2450L, 2724L, 3136L, 3469L,
                3822L, 4014L);
        // returned: the good prefix, plus the damaged transaction when its records were being read
        List<Long> expected = all.stream().filter(p -> p < goodEnd || end == End.DAMAGE && p == pos).toList();
        assertEquals(expected, s.txnPositions());
    }

    @Test
    void everyDamagedFixtureIsInTheTable() throws IOException {
        Set<String> table = new TreeSet<>();
        damagedFiles().forEach(a -> table.add((String) a.get()[0]));
        Set<String> onDisk = new TreeSet<>();
        try (Stream<Path> list = Files.list(TestData.path("damaged"))) {
            list.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".fs"))
                    .forEach(n -> onDisk.add(n.substring(0, n.length() - 3)));
        }
        assertEquals(onDisk, table);
    }

    @Test
    void damagedFixtureMessages() throws IOException {
        Scan status = scan(TestData.path("damaged", "bad-status-mid.fs"));
        assertProblem(status.problems.get(0), Kind.DAMAGE, 1118, 1134, "invalid status 'x'");
        assertEquals(14, status.txns.size());
        Scan tid = scan(TestData.path("damaged", "tid-reduction-mid.fs"));
        assertProblem(tid.problems.get(0), Kind.DAMAGE, 1430, 1430, "0x040d393a093d8d88", "0x040d393a093e7911");
        assertEquals(14, tid.txns.size());
        Scan tloc = scan(TestData.path("damaged", "bad-tloc-mid.fs"));
        assertProblem(tloc.problems.get(0), Kind.DAMAGE, 1118, 1180, "data record at 1156", "tloc 12345");
        assertEquals(List.of(true, true, true, true, true, false), tloc.valid);
        Scan rtl = scan(TestData.path("damaged", "bad-redundant-length-mid.fs"));
        assertProblem(rtl.problems.get(0), Kind.DAMAGE, 1118, 1422, "redundant length at 1422");
        assertEquals(List.of(true, true, true, true, true, false), rtl.valid);
        Scan zero = scan(TestData.path("damaged", "zero-tail.fs"));
        assertProblem(zero.problems.get(0), Kind.INCOMPLETE_TAIL, 4116, 4124, "64 bytes of garbage");
    }

    // ================================================================== 8. refs-py3 against structure.txt

    private static final Pattern TXN_LINE = Pattern.compile(
            "TXN @(\\d+) tid=([0-9a-f]{16}) tl=(\\d+) status=b'(.)' ul=(\\d+) dl=(\\d+) el=(\\d+)");
    private static final Pattern DATA_LINE = Pattern.compile(
            " +DATA @(\\d+) oid=([0-9a-f]{16}) tid=([0-9a-f]{16}) prev=(\\d+) tloc=(\\d+) vlen=(\\d+) plen=(\\d+)");
    private static final Pattern BACK_LINE = Pattern.compile(" +back=(\\d+)");
    private static final Pattern REDUNDANT_LINE = Pattern.compile(" +redundant tl=(\\d+)");

    @Test
    void refsPy3MatchesStructureTxt() throws IOException {
        List<TxnHeader> txns = new ArrayList<>();
        List<Long> redundant = new ArrayList<>();
        List<DataHeader> records = new ArrayList<>();
        for (String line : Files.readAllLines(TestData.path("refs-py3", "expected", "structure.txt"))) {
            Matcher m;
            if ((m = TXN_LINE.matcher(line)).matches()) {
                txns.add(new TxnHeader(Long.parseLong(m.group(1)), Long.parseUnsignedLong(m.group(2), 16),
                        Long.parseLong(m.group(3)), (byte) m.group(4).charAt(0), Integer.parseInt(m.group(5)),
                        Integer.parseInt(m.group(6)), Integer.parseInt(m.group(7))));
            } else if ((m = DATA_LINE.matcher(line)).matches()) {
                long plen = Long.parseLong(m.group(7));
                records.add(new DataHeader(Long.parseLong(m.group(1)), Long.parseUnsignedLong(m.group(2), 16),
                        Long.parseUnsignedLong(m.group(3), 16), Long.parseLong(m.group(4)), Long.parseLong(m.group(5)),
                        Integer.parseInt(m.group(6)), plen, -1, plen == 0 ? -2 : -1));
            } else if ((m = BACK_LINE.matcher(line)).matches()) {
                DataHeader h = records.remove(records.size() - 1);
                assertEquals(-2, h.back(), "back= after a record with data");
                records.add(new DataHeader(h.pos(), h.oid(), h.tid(), h.prev(), h.tloc(), h.vlen(), h.plen(), h.pnv(),
                        Long.parseLong(m.group(1))));
            } else if ((m = REDUNDANT_LINE.matcher(line)).matches()) {
                redundant.add(Long.parseLong(m.group(1)));
            }
        }
        assertEquals(List.of(4L, 166L, 451L, 763L, 935L, 1118L, 1430L, 1866L, 2450L, 2724L, 3136L, 3469L, 3822L,
                4014L), txns.stream().map(TxnHeader::tpos).toList(), "structure.txt parsed");
        assertEquals(22, records.size(), "structure.txt parsed");
        assertEquals(txns.stream().map(TxnHeader::tlen).toList(), redundant);

        Path path = TestData.path("refs-py3", "Data.fs");
        Scan s = scan(path);
        assertClean(s);
        assertEquals(4116, s.size);
        assertEquals(Magic.FS30, s.magic);
        assertEquals(txns, s.txns);
        assertEquals(records, s.records);
        for (int i = 0; i < s.records.size(); i++) {
            assertEquals(s.records.get(i).tloc(), s.recordTpos.get(i));
        }
        try (StorageFile f = StorageFile.open(path)) {
            for (DataHeader h : records) {
                assertEquals(h, f.readDataHeader(h.pos(), f.size()));
            }
            for (TxnHeader t : txns) {
                assertEquals(t, f.readTxnHeader(t.tpos()));
            }
        } catch (FileStorageException e) {
            fail(e.describe());
        }
        assertEquals(Set.of(0L, 1L, 2L, 3L, 4L, 5L, 6L), s.indexedOids());
    }

    // ================================================================== 9. StorageFile.open

    @Nested
    class Open {
        private FileStorageException openFails(Path p) {
            return assertThrows(FileStorageException.class, () -> StorageFile.open(p).close());
        }

        @Test
        void missingFile() {
            Path p = tmp.resolve("nope.fs");
            FileStorageException e = openFails(p);
            assertTrue(e.getMessage().contains("no such file"), e.getMessage());
            assertEquals(p, e.file());
            assertTrue(e.describe().startsWith(p.toString()), e.describe());
            assertFalse(Files.exists(p), "open does not create the file");
        }

        @Test
        void directory() {
            FileStorageException e = openFails(tmp);
            assertTrue(e.getMessage().contains("is a directory"), e.getMessage());
        }

        @Test
        void emptyFile() throws IOException {
            FileStorageException e = openFails(write(new byte[0]));
            assertTrue(e.getMessage().contains("empty file"), e.getMessage());
        }

        @Test
        void threeBytes() throws IOException {
            FileStorageException e = openFails(write("FS3".getBytes(StandardCharsets.US_ASCII)));
            assertTrue(e.getMessage().contains("too short"), e.getMessage());
            assertTrue(e.getMessage().contains("3 bytes"), e.getMessage());
        }

        @Test
        void wrongMagic() throws IOException {
            FileStorageException e = openFails(write(new FileStorageBuilder("FS99").txn().data(0, pm()).end().bytes()));
            assertTrue(e.getMessage().contains("invalid file header 'FS99'"), e.getMessage());
            assertEquals(0, e.offset());
            FileStorageException bin = openFails(write(new byte[] {0, 'S', 0x7f, '\''}));
            assertTrue(bin.getMessage().contains("'\\x00S\\x7f\\x27'"), bin.getMessage());
        }

        @Test
        void theFileIsOnlyRead() throws IOException {
            Path dir = Files.createDirectory(tmp.resolve("ro"));
            Path p = dir.resolve("Data.fs");
            Files.copy(TestData.path("refs-py3", "Data.fs"), p);
            FileTime mtime = FileTime.fromMillis(1_600_000_000_000L);
            Files.setLastModifiedTime(p, mtime);
            byte[] before = Files.readAllBytes(p);
            assertTrue(p.toFile().setWritable(false, false));
            try {
                Scan s = scan(p);
                assertClean(s);
                assertEquals(22, chunkPositions(p, 4, s.goodEnd, 1 << 20, 1 << 30).size());
                try (StorageFile f = StorageFile.open(p)) {
                    f.readDataHeader(52, f.size());
                    f.readU64(4);
                }
            } catch (FileStorageException e) {
                fail(e.describe());
            } finally {
                assertTrue(p.toFile().setWritable(true, true));
            }
            assertArrayEquals(before, Files.readAllBytes(p));
            assertEquals(mtime, Files.getLastModifiedTime(p));
            try (Stream<Path> list = Files.list(dir)) {
                assertEquals(List.of(p), list.toList(), "no lock, index or temporary file beside Data.fs");
            }
        }

        @Test
        void readsOutsideTheFileFail() throws IOException, FileStorageException {
            try (StorageFile f = StorageFile.open(TestData.path("refs-py3", "Data.fs"))) {
                assertEquals(4116, f.size());
                assertThrows(IOException.class, () -> f.read(4110, 8));
                assertThrows(IOException.class, () -> f.read(-1, 1));
                assertThrows(IOException.class, () -> f.readU64(4109));
                assertEquals(94, f.readU64(4108), "the last redundant length");
                FileStorageException e = assertThrows(FileStorageException.class, () -> f.readDataHeader(3, 4116));
                assertEquals(3, e.offset());
                assertThrows(FileStorageException.class, () -> f.readDataHeader(4100, 4116));
                assertThrows(FileStorageException.class, () -> f.readDataHeader(52, 100), "record runs past limit");
                assertThrows(FileStorageException.class, () -> f.readTxnHeader(4100));
                assertThrows(FileStorageException.class, () -> f.readTxnHeader(0));
            }
        }
    }

    // ================================================================== 10. ChunkReader

    /** pos, oid, tid, plen, file position of the data, oversized(1/0), for every chunk record. */
    private static List<long[]> chunkRecords(Path p, long start, long end, int chunkSize, long maxRecord)
            throws IOException {
        List<long[]> out = new ArrayList<>();
        byte[] file = Files.readAllBytes(p);
        try (StorageFile f = StorageFile.open(p)) {
            ChunkReader r = new ChunkReader(f, start, end, chunkSize, maxRecord);
            ChunkReader.Chunk c = null;
            while ((c = r.next(c)) != null) {
                assertTrue(c.count() > 0, "no empty chunks");
                for (int i = 0; i < c.count(); i++) {
                    long pos = c.pos(i);
                    assertEquals(pos, c.filePos() + c.offset(i));
                    int o = c.offset(i);
                    long dataPos = c.filePos() + c.dataOffset(i);
                    out.add(new long[] {pos, c.oid(i), c.tid(i), c.plen(i), dataPos, c.oversized() ? 1 : 0});
                    // the header in the buffer is the file's
                    assertArrayEquals(Arrays.copyOfRange(file, (int) pos, (int) pos + 42),
                            Arrays.copyOfRange(c.buffer(), o, o + 42));
                    if (c.oversized()) {
                        assertEquals(1, c.count(), "an oversized record is alone in its chunk");
                        continue;
                    }
                    long body = c.plen(i) == 0 ? 8 : c.plen(i);
                    int d = c.dataOffset(i);
                    assertTrue(Arrays.equals(file, (int) dataPos, (int) (dataPos + body), c.buffer(), d,
                            (int) (d + body)), "data of the record at " + pos);
                }
            }
            assertNull(r.next(null), "stays at the end");
        } catch (FileStorageException e) {
            throw new AssertionError(e.describe(), e);
        }
        return out;
    }

    private static List<Long> chunkPositions(Path p, long start, long end, int chunkSize, long maxRecord)
            throws IOException {
        return chunkRecords(p, start, end, chunkSize, maxRecord).stream().map(r -> r[0]).toList();
    }

    /** What the chunk reader must return: the reader's records, with the data position. */
    private static List<long[]> expectedChunkRecords(Scan s) {
        List<long[]> out = new ArrayList<>();
        for (DataHeader h : s.records) {
            out.add(new long[] {h.pos(), h.oid(), h.tid(), h.plen(), h.dataPos(), 0});
        }
        return out;
    }

    private static void assertSameRecords(List<long[]> expected, List<long[]> actual) {
        assertEquals(expected.size(), actual.size(), "record count");
        for (int i = 0; i < expected.size(); i++) {
            assertArrayEquals(expected.get(i), actual.get(i), "record " + i);
        }
    }

    @Nested
    class Chunks {
        @Test
        void refsPy3() throws IOException {
            Path p = TestData.path("refs-py3", "Data.fs");
            Scan s = scan(p);
            assertSameRecords(expectedChunkRecords(s), chunkRecords(p, 4, s.goodEnd, 1 << 20, 1 << 30));
        }

        @Test
        void stopsAtTheEndOfTheGoodPrefix() throws IOException {
            Path p = TestData.path("damaged", "checkpoint-tail.fs");
            Scan s = scan(p);
            assertEquals(4014, s.goodEnd);
            List<long[]> chunks = chunkRecords(p, 4, s.goodEnd, 1 << 20, 1 << 30);
            assertSameRecords(expectedChunkRecords(s), chunks);
            assertEquals(3873, chunks.get(chunks.size() - 1)[0]);
        }

        @Test
        void manyRecordsAcrossChunkBoundaries() throws IOException {
            Random random = new Random(42);
            FileStorageBuilder b = new FileStorageBuilder();
            for (int t = 0; t < 60; t++) {
                b.txn();
                if (t % 7 == 3) {
                    b.status('u');
                } else if (t % 11 == 5) {
                    b.description(new byte[random.nextInt(60000)]);
                }
                int n = random.nextInt(150);
                for (int i = 0; i < n; i++) {
                    long oid = random.nextInt(500);
                    switch (random.nextInt(10)) {
                        case 0 -> b.deleted(oid);
                        case 1 -> b.backpointer(oid, 4);
                        case 2 -> b.version(oid, "v", 0, new byte[1 + random.nextInt(100)]);
                        default -> b.data(oid, new byte[1 + random.nextInt(3000)]);
                    }
                }
                b.end();
            }
            Path p = write(b.bytes());
            Scan s = scan(p);
            assertClean(s);
            assertTrue(s.size > 3 << 20, "spans several chunks: " + s.size);
            assertSameRecords(expectedChunkRecords(s), chunkRecords(p, 4, s.goodEnd, 1 << 20, 1 << 30));
            assertTrue(s.records.size() < b.recordPositions().size(), "some records were in 'u' transactions");
        }

        @Test
        void aRecordLargerThanTheChunk() throws IOException {
            byte[] big = new byte[(3 << 20) / 2];
            new Random(7).nextBytes(big);
            FileStorageBuilder b = new FileStorageBuilder();
            b.txn().data(0, pm(1)).end();
            b.txn().data(1, big).data(2, pm()).end();
            b.txn().status('u').data(3, big).end();
            b.txn().data(2, pm(1)).data(1, big).end();
            Path p = write(b.bytes());
            Scan s = scan(p);
            assertClean(s);
            List<long[]> loaded = chunkRecords(p, 4, s.goodEnd, 1 << 20, 1 << 30);
            assertSameRecords(expectedChunkRecords(s), loaded);
            assertEquals(5, loaded.size());

            List<long[]> limited = chunkRecords(p, 4, s.goodEnd, 1 << 20, 1 << 20);
            List<long[]> expected = expectedChunkRecords(s);
            for (long[] e : expected) {
                if (e[3] == big.length) {
                    e[5] = 1;
                }
            }
            assertSameRecords(expected, limited);
            assertEquals(2, limited.stream().filter(r -> r[5] == 1).count());
        }

        @ParameterizedTest
        @ValueSource(longs = {Long.MIN_VALUE, 1L << 62, 1L << 40})
        void aChangedPlenIsAnIOExceptionNotAnAllocation(long plen) throws IOException {
            FileStorageBuilder b = threeTxns();
            long rec = b.recordPositions().get(1);
            b.patchU64(rec + 34, plen);
            Path p = write(b.bytes());
            try (StorageFile f = StorageFile.open(p)) {
                ChunkReader r = new ChunkReader(f, 4, f.size(), 1 << 20, Long.MAX_VALUE);
                IOException e = assertThrows(IOException.class, () -> r.next(null));
                assertTrue(e.getMessage().contains(":" + rec + ": data record"), e.getMessage());
            } catch (FileStorageException e) {
                fail(e.describe());
            }
        }

        @Test
        void aChangedLengthIsAnIOExceptionNamingTheOffset() throws IOException {
            FileStorageBuilder b = threeTxns();
            long t2 = b.txnPositions().get(1);
            b.patchU64(t2 + 8, 1 << 20);
            Path p = write(b.bytes());
            try (StorageFile f = StorageFile.open(p)) {
                ChunkReader r = new ChunkReader(f, 4, f.size(), 1 << 20, 1 << 30);
                IOException e = assertThrows(IOException.class, () -> r.next(null));
                assertTrue(e.getMessage().contains(":" + t2 + ":"), e.getMessage());
            } catch (FileStorageException e) {
                fail(e.describe());
            }
        }
    }

    // ================================================================== 11. Oid and Tid

    @Test
    void oidRepr() {
        assertEquals("0x00", Oid.repr(0));
        assertEquals("0x05", Oid.repr(5));
        assertEquals("0x0c", Oid.repr(12));
        assertEquals("0x014b", Oid.repr(0x14b));
        assertEquals("0xc92d77", Oid.repr(0xc92d77));
        assertEquals("0x0100", Oid.repr(256));
        assertEquals("0xffffffffffffffff", Oid.repr(-1L));
        assertEquals("0x8000000000000000", Oid.repr(Long.MIN_VALUE));
        assertEquals("0x040d393a093d8d88", Tid.repr(0x040d393a093d8d88L));
    }

    @Test
    void oidOtherForms() {
        assertEquals("0x0", Oid.hex(0));
        assertEquals("0x5", Oid.hex(5));
        assertEquals("0x14b", Oid.hex(0x14b));
        assertEquals("0xc92d77", Oid.hex(0xc92d77));
        assertEquals("0xffffffffffffffff", Oid.hex(-1L));
        assertEquals("0", Oid.signedDecimal(0));
        assertEquals("13184375", Oid.signedDecimal(0xc92d77));
        assertEquals("-9223372036854775807", Oid.signedDecimal(0x8000000000000001L));
        assertEquals("-1", Oid.signedDecimal(-1L));
        assertEquals("0000000000000000", Oid.hex16(0));
        assertEquals("0000000000c92d77", Oid.hex16(0xc92d77));
        assertEquals("ffffffffffffffff", Oid.hex16(-1L));
        assertEquals(0xc92d77L, Oid.fromBytes(new byte[] {9, 0, 0, 0, 0, 0, 0, (byte) 0xc9, 0x2d, 0x77}, 2));
    }

    @Test
    void tidTimestamps() {
        assertEquals("2024-01-04 00:00:06.000000", Tid.timestamp(0x03f59ee019999999L));
        assertEquals("2026-11-24 04:42:02.165140", Tid.timestamp(0x040d393a093ce8eeL));
        assertEquals("1900-01-01 00:00:00.000000", Tid.timestamp(0));
        // expected values from Python: "%04d-%02d-%02d %02d:%02d:%09.6f" with seconds = b * 60 / 2**32
        assertEquals("2024-01-04 00:00:30.000000", Tid.timestamp(0x03f59ee080000000L));
        assertEquals("2024-01-04 00:00:60.000000", Tid.timestamp(0x03f59ee0ffffffffL), "rounds up as C's printf");
        assertEquals("1935-08-20 01:43:32.266667", Tid.timestamp(0x0123456789abcdefL));
        assertEquals("9917-10-14 04:15:60.000000", Tid.timestamp(-1L), "the first 4 bytes are unsigned");
        assertEquals("0x3f59ee019999999", Tid.hex(0x03f59ee019999999L));
        assertEquals("0x03f59ee019999999", Tid.repr(0x03f59ee019999999L));
    }

    @Test
    void tidTimestampsMatchFsrefsOutput() throws IOException {
        Pattern line = Pattern.compile(
                "last updated: (\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d\\.\\d{6}), tid=(0x[0-9a-f]+)");
        Map<Path, Integer> counts = new HashMap<>();
        List<Path> outputs;
        try (Stream<Path> walk = Files.walk(TestData.root())) {
            outputs = walk.filter(p -> p.getParent().getFileName().toString().equals("expected")
                    && p.getFileName().toString().contains("fsrefs")).sorted().toList();
        }
        int checked = 0;
        for (Path p : outputs) {
            for (String l : Files.readAllLines(p)) {
                Matcher m = line.matcher(l);
                if (!m.matches()) {
                    continue;
                }
                long tid = Long.parseUnsignedLong(m.group(2).substring(2), 16);
                assertEquals(m.group(2), Tid.hex(tid), p + ": " + l);
                assertEquals(m.group(1), Tid.timestamp(tid), p + ": " + l);
                counts.merge(p, 1, Integer::sum);
                checked++;
            }
        }
        assertEquals(2, counts.get(TestData.path("refs-py3", "expected", "fsrefs.txt")));
        assertEquals(9, counts.get(TestData.path("dangling", "expected", "fsrefs.stdout")));
        assertTrue(checked >= 10, "lines checked: " + checked);
    }

    @Test
    void tidTimestampsMatchFsdumpOutput() throws IOException {
        Pattern line = Pattern.compile("Trans #\\d+ tid=([0-9a-f]{16}) size=\\d+ time=(\\S+ \\S+) offset=\\d+");
        int checked = 0;
        for (String l : Files.readAllLines(TestData.path("refs-py3", "expected", "fsdump.txt"))) {
            Matcher m = line.matcher(l);
            if (m.matches()) {
                assertEquals(m.group(2), Tid.timestamp(Long.parseUnsignedLong(m.group(1), 16)), l);
                checked++;
            }
        }
        assertEquals(14, checked);
    }

    // ================================================================== the builder itself

    @Test
    void builderRefusesMisuse() {
        FileStorageBuilder b = new FileStorageBuilder();
        assertThrows(IllegalStateException.class, () -> b.data(0, pm()), "no open transaction");
        b.txn().data(0, pm());
        assertThrows(IllegalStateException.class, b::bytes, "transaction still open");
        assertThrows(IllegalStateException.class, () -> b.user("late"), "metadata after a record");
        assertThrows(IllegalStateException.class, () -> b.txn(), "nested transaction");
        b.end();
        assertThrows(IllegalArgumentException.class, () -> b.patchU64(b.position() - 4, 1));
        assertThrows(IllegalArgumentException.class, () -> new FileStorageBuilder("FS3"));
        assertEquals(b.position(), b.bytes().length);
        assertEquals(4 + 23 + 42 + pm().length + 8, b.position());
        assertEquals(4 + 23 + 42 + pm().length, b.lastTxnEnd());
        assertEquals(27, b.lastPos(0));
        assertEquals(27, b.committedPos(0));
        assertEquals(T1, b.lastTid());
    }
}
