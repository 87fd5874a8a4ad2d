package org.zodbcheck.filestorage;

import java.io.IOException;

/**
 * Walks a {@code Data.fs} from the first transaction to the end of the good prefix, the way
 * ZODB's {@code read_index} does when it builds its index (FORMAT.md §1.10, §1.11), without
 * trusting any length or offset it reads and without needing {@code Data.fs.index}.
 *
 * <p>Pull style: {@link #nextTransaction()} until {@code null}, and inside each transaction
 * {@link #nextRecord()} until {@code false}; then {@link #transactionValid()} tells whether the
 * transaction checked out (its records tile it and its redundant length matches). Only valid
 * transactions belong to the good prefix. The current record's fields are read through accessors
 * (no object per record); {@link #dataHeader()} copies them into a record when one is wanted.
 *
 * <p>Problems are passed to the {@link ProblemListener}. Reading stops where ZODB stops: at an
 * incomplete or garbage tail ({@link End#INCOMPLETE_TAIL}) or at damage ZODB refuses
 * ({@link End#DAMAGE}). Damage ZODB only logs (a time-stamp reduction, an invalid status byte)
 * is reported and reading goes on, as ZODB does.
 */
public final class FileStorageReader {
    /** Receives every structure problem found while reading. */
    @FunctionalInterface
    public interface ProblemListener {
        void problem(StructureProblem problem);
    }

    /** Why reading ended. */
    public enum End {
        /** The last transaction ends exactly at the end of the file. */
        EOF,
        /** An incomplete transaction or garbage follows the last complete transaction. */
        INCOMPLETE_TAIL,
        /** Damage ZODB would refuse; the rest of the file is not read. */
        DAMAGE
    }

    private static final int WINDOW = 1 << 20;

    private final StorageFile file;
    private final long size;
    private final ProblemListener listener;

    private byte[] buf = new byte[WINDOW];
    private long bufStart;
    private int bufLen;

    private long pos = 4;
    private long ltid;
    private long goodEnd = 4;
    private End end;
    private long transactions;
    private long records;

    private TxnHeader txn;
    private long rpos;
    private boolean recordsDone = true;
    private boolean txnValid;

    private long recPos;
    private long oid;
    private long tid;
    private long prev;
    private long tloc;
    private int vlen;
    private long plen;
    private long pnv;
    private long back;

    public FileStorageReader(StorageFile file, ProblemListener listener) {
        this.file = file;
        this.size = file.size();
        this.listener = listener;
    }

    /**
     * Reads the next transaction header. Unread records of the previous transaction are walked
     * (and checked) first. Returns {@code null} at the end of the good prefix; {@link #end()}
     * says why.
     */
    public TxnHeader nextTransaction() throws IOException {
        if (txn != null && !recordsDone) {
            while (nextRecord()) {
                // walk the rest so that the transaction is checked
            }
        }
        txn = null;
        if (end != null) {
            return null;
        }
        long tpos = pos;
        long remaining = size - tpos;
        if (remaining == 0) {
            end = End.EOF;
            return null;
        }
        if (remaining < TxnHeader.LENGTH) {
            tail(tpos, tpos, remaining + " bytes after the last complete transaction (ending at " + tpos
                    + ") are too short for a transaction header: an unfinished commit; ZODB ignores them");
            return null;
        }
        ensure(tpos, TxnHeader.LENGTH);
        TxnHeader h = TxnHeader.parse(buf, (int) (tpos - bufStart), tpos);
        if (!checkLength(h, remaining)) {
            return null;
        }
        if (Long.compareUnsigned(h.tid(), ltid) <= 0) {
            report(StructureProblem.Kind.DAMAGE, tpos, tpos, null, "transaction at " + tpos + ": tid "
                    + Tid.repr(h.tid()) + " is not after the previous tid " + Tid.repr(ltid) + " (time-stamp reduction)");
        }
        ltid = h.tid();
        byte status = h.status();
        if (status != ' ' && status != 'p' && status != 'u') {
            report(StructureProblem.Kind.DAMAGE, tpos, tpos + 16, null, "transaction at " + tpos
                    + " has invalid status " + h.statusText() + " (ZODB only logs this and reads the transaction)");
        }
        txn = h;
        transactions++;
        recordsDone = false;
        txnValid = false;
        // ZODB never looks at the records of a 'u' transaction (FORMAT.md §1.3).
        rpos = status == 'u' ? h.tend() : h.firstRecord();
        return h;
    }

    /** The length checks of {@code read_index}, in its order; false when reading ends here. */
    private boolean checkLength(TxnHeader h, long remaining) throws IOException {
        long tpos = h.tpos();
        long tlen = h.tlen();
        if (tlen < 0 || tlen > remaining - 8) {
            String what = "transaction at " + tpos + " has length " + Long.toUnsignedString(tlen)
                    + ", which runs past the end of the file (" + size + " bytes)";
            if (completeTransactionFollows(tpos)) {
                damage(tpos, tpos + 8, what + ", yet a complete transaction ends the file: the length is damaged;"
                        + " ZODB stops reading here and would drop " + remaining + " bytes");
            } else {
                tail(tpos, tpos + 8, what + ": an unfinished commit; ZODB ignores the last " + remaining + " bytes");
            }
            return false;
        }
        if (h.status() == 'c') {
            long after = remaining - tlen - 8;
            if (after == 0) {
                tail(tpos, tpos + 16, "transaction at " + tpos + " was never finished (status 'c': a crash during"
                        + " the commit); ZODB ignores it");
            } else {
                damage(tpos, tpos + 16, "transaction at " + tpos + " has status 'c' (unfinished) but " + after
                        + " bytes follow it; ZODB stops reading here");
            }
            return false;
        }
        if (tlen < h.headerLength()) {
            String what = "transaction at " + tpos + " has length " + tlen + ", shorter than its header ("
                    + h.headerLength() + " bytes)";
            if (garbageTail(tpos)) {
                tail(tpos, tpos + 8, what + ": " + remaining + " bytes of garbage after the last complete"
                        + " transaction; ZODB ignores them");
            } else {
                damage(tpos, tpos + 8, what + "; ZODB refuses to open the file");
            }
            return false;
        }
        return true;
    }

    /**
     * ZODB's test for "garbage at the end" when a header is impossible: the last 8 bytes of the
     * file are not a plausible redundant length.
     */
    private boolean garbageTail(long tpos) throws IOException {
        if (size < 12) {
            return true;
        }
        long rtl = file.readU64(size - 8);
        return rtl < TxnHeader.LENGTH || rtl > size || size - rtl < tpos;
    }

    /**
     * Whether the file ends with a complete transaction after {@code tpos}: then a length that
     * runs past the end is damage in the middle, not a crash at the end. ZODB does not make this
     * test (a writable open would truncate the file at {@code tpos}).
     */
    private boolean completeTransactionFollows(long tpos) throws IOException {
        if (size - tpos < 2L * TxnHeader.LENGTH + 8) {
            return false;
        }
        long rtl = file.readU64(size - 8);
        if (rtl < TxnHeader.LENGTH || rtl > size - 8 - tpos) {
            return false;
        }
        long candidate = size - 8 - rtl;
        if (candidate <= tpos) {
            return false;
        }
        byte[] b = file.read(candidate, TxnHeader.LENGTH);
        TxnHeader h = TxnHeader.parse(b, 0, candidate);
        return h.tlen() == rtl && Long.compareUnsigned(h.tid(), ltid) > 0 && h.headerLength() <= rtl;
    }

    /**
     * Advances to the next data record of the current transaction. Returns {@code false} after
     * the last one (the redundant length has then been checked) or on damage.
     */
    public boolean nextRecord() throws IOException {
        if (txn == null || recordsDone) {
            return false;
        }
        long tpos = txn.tpos();
        long tend = txn.tend();
        if (rpos == tend) {
            finishTransaction();
            return false;
        }
        long avail = tend - rpos;
        if (avail < DataHeader.LENGTH) {
            damage(tpos, rpos, "transaction at " + tpos + ": the " + avail + " bytes at " + rpos
                    + " before its end " + tend + " are too short for a data record (the records do not add up to tlen "
                    + txn.tlen() + ")");
            return false;
        }
        ensure(rpos, DataHeader.LENGTH);
        int o = (int) (rpos - bufStart);
        oid = Bytes.u64(buf, o);
        tid = Bytes.u64(buf, o + 8);
        prev = Bytes.u64(buf, o + 16);
        tloc = Bytes.u64(buf, o + 24);
        vlen = Bytes.u16(buf, o + 32);
        plen = Bytes.u64(buf, o + 34);
        if (tloc != tpos) {
            damage(tpos, rpos + 24, "transaction at " + tpos + ": data record at " + rpos + " has tloc "
                    + Long.toUnsignedString(tloc) + ", not " + tpos
                    + " (a wrong transaction length or a damaged record header)");
            return false;
        }
        long vextra = vlen > 0 ? 16L + vlen : 0L;
        long body = plen == 0 ? 8 : plen;
        if (plen < 0 || body > avail - DataHeader.LENGTH - vextra) {
            damage(tpos, rpos + 34, "transaction at " + tpos + ": data record at " + rpos + " (oid "
                    + Oid.repr(oid) + ", plen " + Long.toUnsignedString(plen) + ") runs past the transaction end " + tend);
            return false;
        }
        pnv = -1;
        if (vlen > 0) {
            ensure(rpos + DataHeader.LENGTH, 16);
            pnv = Bytes.u64(buf, (int) (rpos + DataHeader.LENGTH - bufStart));
        }
        back = -1;
        if (plen == 0) {
            long bpos = rpos + DataHeader.LENGTH + vextra;
            ensure(bpos, 8);
            back = Bytes.u64(buf, (int) (bpos - bufStart));
        }
        recPos = rpos;
        rpos += DataHeader.LENGTH + vextra + body;
        records++;
        return true;
    }

    private void finishTransaction() throws IOException {
        long tend = txn.tend();
        ensure(tend, 8);
        long rtl = Bytes.u64(buf, (int) (tend - bufStart));
        recordsDone = true;
        if (rtl != txn.tlen()) {
            damage(txn.tpos(), tend, "transaction at " + txn.tpos() + ": redundant length at " + tend + " is "
                    + Long.toUnsignedString(rtl) + ", the header says " + txn.tlen() + "; ZODB refuses to open the file");
            return;
        }
        txnValid = true;
        pos = tend + 8;
        goodEnd = pos;
    }

    /** Whether the transaction just walked is complete and consistent (part of the good prefix). */
    public boolean transactionValid() {
        return txnValid;
    }

    /** Makes {@code [p, p + n)} available in the window; the range lies inside the file. */
    private void ensure(long p, int n) throws IOException {
        if (p >= bufStart && p + n <= bufStart + bufLen) {
            return;
        }
        if (n > buf.length) {
            buf = new byte[Math.max(n, WINDOW)];
        }
        int len = (int) Math.min(buf.length, size - p);
        file.read(p, buf, 0, len);
        bufStart = p;
        bufLen = len;
    }

    private void report(StructureProblem.Kind kind, long at, long offset, Long oidOrNull, String message) {
        listener.problem(new StructureProblem(kind, at, offset, oidOrNull, message));
    }

    private void damage(long at, long offset, String message) {
        report(StructureProblem.Kind.DAMAGE, at, offset, null, message);
        stop(End.DAMAGE);
    }

    private void tail(long at, long offset, String message) {
        report(StructureProblem.Kind.INCOMPLETE_TAIL, at, offset, null, message);
        stop(End.INCOMPLETE_TAIL);
    }

    private void stop(End why) {
        end = why;
        recordsDone = true;
        txnValid = false;
    }

    /** Why reading ended, or {@code null} while it goes on. */
    public End end() {
        return end;
    }

    /** End of the last complete, valid transaction: the good prefix is {@code [0, goodEnd)}. */
    public long goodEnd() {
        return goodEnd;
    }

    public long transactionCount() {
        return transactions;
    }

    public long recordCount() {
        return records;
    }

    public StorageFile file() {
        return file;
    }

    /** The current transaction. */
    public TxnHeader transaction() {
        return txn;
    }

    public long pos() {
        return recPos;
    }

    public long oid() {
        return oid;
    }

    public long tid() {
        return tid;
    }

    public long prev() {
        return prev;
    }

    public long tloc() {
        return tloc;
    }

    public int vlen() {
        return vlen;
    }

    public long plen() {
        return plen;
    }

    /** The backpointer of a record with {@code plen == 0}, else -1. */
    public long back() {
        return back;
    }

    /** The non-version data position of a version record, else -1. */
    public long pnv() {
        return pnv;
    }

    /** A copy of the current data record's header. */
    public DataHeader dataHeader() {
        return new DataHeader(recPos, oid, tid, prev, tloc, vlen, plen, pnv, back);
    }
}
