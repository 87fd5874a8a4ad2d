package org.zodbcheck.verify;

import java.io.IOException;
import java.util.function.Consumer;
import org.zodbcheck.check.Finding;
import org.zodbcheck.check.Progress;
import org.zodbcheck.check.Severity;
import org.zodbcheck.check.StructureFinding;
import org.zodbcheck.filestorage.Bytes;
import org.zodbcheck.filestorage.DataHeader;
import org.zodbcheck.filestorage.Oid;
import org.zodbcheck.filestorage.StorageFile;
import org.zodbcheck.filestorage.Tid;
import org.zodbcheck.graph.LongPages;
import org.zodbcheck.graph.Memory;
import org.zodbcheck.graph.OidTable;
import org.zodbcheck.pickle.PickleDecoder;

/**
 * {@code zodbcheck verify}: every structural check of FORMAT.md §1.11 over the whole file,
 * without stopping at the first error. A transaction whose framing cannot be trusted (its length
 * runs past the end, its header lengths exceed it, its redundant length disagrees and no
 * transaction follows it) is skipped: reading resumes at the next position that parses as a
 * complete transaction, and the skipped byte range is reported. Damage after the last good
 * transaction is an incomplete tail (a crash or a commit in progress), reported as a warning.
 *
 * <p>Keeps what ZODB's own index builder keeps: the position of the last record of every oid in
 * committed transactions, to check prev pointers.
 */
public final class Verifier {
    private static final int TXN = 23;
    private static final int DATA = DataHeader.LENGTH;

    /** What a verification found besides the findings. */
    /** @param tail the finding about an incomplete last transaction, or {@code null} */
    public record Result(long transactions, long records, long end, long skipped, StructureFinding tail,
                         long versionRecords) {
    }

    /** Called when reading reaches a transaction boundary (for comparing an index file). */
    public interface BoundaryListener {
        void at(long pos, Positions positions) throws IOException;
    }

    /** The last record position of every oid so far, as ZODB's index holds it. */
    public interface Positions {
        int size();

        /** The position for {@code oid}, or 0 if none. */
        long get(long oid);
    }

    private final StorageFile file;
    private final String db;
    private final String shown;
    private final Consumer<Finding> out;
    private final Progress progress;
    private final Window w;
    private final long size;
    private final OidTable oids;
    /** Per oid (its {@link #oids} number): its last record in complete transactions. */
    private final LongPages last;
    /**
     * Records of the current transaction: applied to {@link #last} when it is complete. In pages
     * like the index pass's, so that a transaction of millions of records spills too.
     */
    private final LongPages pendingOid;
    private final LongPages pendingPos;
    private int pending;
    private long ltid;
    private long transactions;
    private long records;
    private long skipped;
    private final java.util.List<long[]> skippedRanges = new java.util.ArrayList<>();
    private long versionRecords;
    private long firstVersionRecord = -1;
    private long undone;
    private long firstUndone = -1;
    /**
     * After a resync at a transaction whose records all name the same other position as theirs
     * (bytes were lost or inserted before it), the difference: tloc, prev and back are read with
     * it from {@code shiftFrom} on. 0 in an undamaged file.
     */
    private long shift;
    private long shiftFrom;
    private long foundShift;
    private StructureFinding tail;
    private BoundaryListener boundary;
    private Severity tailSeverity = Severity.WARNING;

    public Verifier(StorageFile file, String db, String shown, Consumer<Finding> out, Progress progress) {
        this(file, db, shown, out, progress, Memory.HEAP);
    }

    /** A verifier whose per-oid tables take their room from {@code memory} (and spill past it). */
    public Verifier(StorageFile file, String db, String shown, Consumer<Finding> out, Progress progress,
                    Memory memory) {
        this.oids = new OidTable(memory, 1 << 12);
        this.last = new LongPages(memory, 1 << 12);
        this.pendingOid = new LongPages(memory, 64);
        this.pendingPos = new LongPages(memory, 64);
        this.file = file;
        this.db = db;
        this.shown = shown;
        this.out = out;
        this.progress = progress;
        this.w = new Window(file);
        this.size = file.size();
    }

    public Verifier onBoundary(BoundaryListener listener) {
        this.boundary = listener;
        return this;
    }

    /** The severity of an incomplete tail: info when the storage is being written to. */
    public Verifier tailSeverity(Severity severity) {
        this.tailSeverity = severity;
        return this;
    }

    public Result run() throws IOException {
        progress.begin(db, "verifying", size);
        long pos = 4;
        boundary(pos);
        while (pos < size) {
            pos = transaction(pos);
            if (pos < 0) {
                break;
            }
            boundary(pos);
            progress.at(pos);
        }
        if (versionRecords > 0) {
            structure(Severity.WARNING, firstVersionRecord, firstVersionRecord + 32, null, versionRecords
                    + " data record(s) with version data (vlen > 0), the first at " + firstVersionRecord
                    + ": written by ZODB 3.8 or older; ZODB 3.9 and later cannot read such a file");
        }
        if (undone > 0) {
            structure(Severity.INFO, firstUndone, firstUndone + 16, null, undone + " transaction(s) with status 'u',"
                    + " the first at " + firstUndone + ": undone by the non-transactional undo of ZODB before 3.3;"
                    + " ZODB skips their data records");
        }
        return new Result(transactions, records, pos < 0 ? -pos : pos, skippedBytes(), tail, versionRecords);
    }

    private void boundary(long pos) throws IOException {
        if (boundary != null) {
            boundary.at(pos, new Positions() {
                @Override
                public int size() {
                    return oids.size();
                }

                @Override
                public long get(long oid) {
                    int i = oids.find(oid);
                    return i < 0 ? 0 : last.get(i);
                }
            });
        }
    }

    /** A transaction header, read at {@code tpos}. */
    private record Txn(long tpos, long tid, long tlen, byte status, int ulen, int dlen, int elen) {
        long headerLength() {
            return TXN + (long) ulen + dlen + elen;
        }

        long tend() {
            return tpos + tlen;
        }
    }

    private Txn header(long tpos) throws IOException {
        int o = w.at(tpos, TXN);
        byte[] b = w.buf();
        return new Txn(tpos, Bytes.u64(b, o), Bytes.u64(b, o + 8), b[o + 16], Bytes.u16(b, o + 17),
                Bytes.u16(b, o + 19), Bytes.u16(b, o + 21));
    }

    /** The header and redundant length agree and fit in the file: the transaction can be stepped over. */
    private boolean framed(Txn t) throws IOException {
        if (t.tlen() < t.headerLength() || Long.compareUnsigned(t.tlen(), size - t.tpos() - 8) > 0) {
            return false;
        }
        return file.readU64(t.tend()) == t.tlen();
    }

    /**
     * Checks the transaction at {@code tpos} and returns where the next one starts, or minus the
     * position where reading ended.
     */
    private long transaction(long tpos) throws IOException {
        if (size - tpos < TXN) {
            return tail(tpos, (size - tpos) + " byte(s) after the last transaction at " + tpos
                    + " cannot hold a transaction header");
        }
        Txn t = header(tpos);
        boolean fits = t.tlen() >= t.headerLength() && Long.compareUnsigned(t.tlen(), size - tpos - 8) <= 0;
        if (!fits || file.readU64(t.tend()) != t.tlen()) {
            long real = lengthFromRecords(t);
            if (real > 0) {
                structure(Severity.ERROR, tpos, tpos + 8, null, "transaction at " + tpos + ": its length field says "
                        + Long.toUnsignedString(t.tlen()) + ", but its data records and the redundant length after them"
                        + " say " + real + ": the length field is damaged (ZODB refuses the file)");
                t = new Txn(tpos, t.tid(), real, t.status(), t.ulen(), t.dlen(), t.elen());
                fits = true;
            }
        }
        if (!fits) {
            String why = Long.compareUnsigned(t.tlen(), t.headerLength()) < 0
                    ? "its length " + t.tlen() + " is shorter than its header (" + t.headerLength() + " bytes)"
                    : "its length " + Long.toUnsignedString(t.tlen()) + " runs past the end of the file ("
                            + size + " bytes)";
            return damaged(t, why);
        }
        long redundant = file.readU64(t.tend());
        if (t.status() == 'c' && redundant == t.tlen() && t.tend() + 8 == size) {
            return tail(tpos, "the last transaction, at " + tpos + ", still has status 'c': its commit never"
                    + " finished (ZODB ignores it)");
        }
        fieldChecks(t);
        transactions++;
        boolean tiled = t.status() == 'u' || records(t);
        extension(t);
        if (redundant != t.tlen()) {
            structure(Severity.ERROR, tpos, t.tend(), null, "transaction at " + tpos + ": the redundant length"
                    + " after its data records is " + Long.toUnsignedString(redundant) + ", not its length "
                    + t.tlen());
            long next = t.tend() + 8;
            if (tiled && (next == size || plausible(next))) {
                commit(t);
                return next;
            }
            return resync(tpos, tpos + 1);
        }
        if (tiled) {
            commit(t);
        }
        pending = 0;
        return t.tend() + 8;
    }

    /**
     * The length a transaction really has when its length field is damaged: its data records,
     * followed while they name the transaction as theirs, end where an 8-byte length equal to
     * the distance from the transaction start follows. -1 if there is no such place.
     */
    private long lengthFromRecords(Txn t) throws IOException {
        if (t.status() == 'u' || t.status() == 'c') {
            return -1;
        }
        long r = t.tpos() + t.headerLength();
        while (r <= size - 8) {
            if (file.readU64(r) == r - t.tpos() && (r + 8 == size || plausible(r + 8))) {
                return r - t.tpos();
            }
            if (size - r < DATA) {
                return -1;
            }
            int o = w.at(r, DATA);
            byte[] b = w.buf();
            long len = recordLength(Bytes.u16(b, o + 32), Bytes.u64(b, o + 34));
            if (Bytes.u64(b, o + 24) != t.tpos() + shift || len < 0 || len > size - r) {
                return -1;
            }
            r += len;
        }
        return -1;
    }

    /** Checks that do not affect where the next transaction starts. */
    private void fieldChecks(Txn t) {
        long tpos = t.tpos();
        if (Long.compareUnsigned(t.tid(), ltid) <= 0) {
            structure(Severity.ERROR, tpos, tpos, null, "transaction at " + tpos + ": time-stamp reduction: tid "
                    + Tid.repr(t.tid()) + " (" + Tid.timestamp(t.tid()) + ") is not after the previous one, "
                    + Tid.repr(ltid));
        }
        ltid = t.tid();
        byte s = t.status();
        if (s == 'c') {
            structure(Severity.ERROR, tpos, tpos + 16, null, "transaction at " + tpos + " still has status 'c'"
                    + " (commit never finished) but is not the last one: ZODB stops reading here and ignores the "
                    + (size - tpos) + " bytes from it on");
        } else if (s == 'u') {
            if (undone++ == 0) {
                firstUndone = tpos;
            }
        } else if (s != ' ' && s != 'p') {
            structure(Severity.ERROR, tpos, tpos + 16, null, "transaction at " + tpos + " has invalid status "
                    + Bytes.pyRepr(new byte[] {s}) + " (expected ' ', 'p' or 'u')");
        }
    }

    /** A transaction whose extent cannot be trusted: skip to the next readable one, if any. */
    private long damaged(Txn t, String why) throws IOException {
        long next = find(t.tpos() + 1);
        if (next < 0) {
            return tail(t.tpos(), "the last transaction, at " + t.tpos() + ", is incomplete or damaged: " + why
                    + " (ZODB ignores the " + (size - t.tpos()) + " bytes from there)");
        }
        structure(Severity.ERROR, t.tpos(), t.tpos(), null, "transaction at " + t.tpos() + " cannot be read: "
                + why + "; bytes " + t.tpos() + " to " + next + " skipped (ZODB refuses the file or stops here)"
                + resumeAt(next));
        skip(t.tpos(), next);
        pending = 0;
        return next;
    }

    /** Bytes not read as records: prev pointers into them cannot be checked. */
    private void skip(long from, long to) {
        skipped += to - from;
        if (skippedRanges.size() < 1000) {
            skippedRanges.add(new long[] {from, to});
        }
    }

    /** The bytes of the skipped ranges, each counted once (a record range may lie in a transaction's). */
    private long skippedBytes() {
        if (skippedRanges.size() >= 1000) {
            return skipped;
        }
        long total = 0;
        long upTo = Long.MIN_VALUE;
        for (long[] r : skippedRanges.stream().sorted((a, b) -> Long.compare(a[0], b[0])).toList()) {
            long from = Math.max(r[0], upTo);
            if (r[1] > from) {
                total += r[1] - from;
                upTo = r[1];
            }
        }
        return total;
    }

    private boolean inSkipped(long pos) {
        for (long[] r : skippedRanges) {
            if (pos >= r[0] && pos < r[1]) {
                return true;
            }
        }
        return false;
    }

    private long resync(long tpos, long from) throws IOException {
        long next = find(from);
        pending = 0;
        if (next < 0) {
            structure(Severity.ERROR, tpos, tpos, null, "no readable transaction after the one at " + tpos
                    + "; the last " + (size - tpos) + " bytes are not checked");
            skip(tpos, size);
            return -size;
        }
        if (next > tpos) {
            structure(Severity.ERROR, tpos, tpos, null, "bytes " + tpos + " to " + next + " skipped: reading resumes"
                    + " at the next readable transaction" + resumeAt(next));
            skip(tpos, next);
        }
        return next;
    }

    private long tail(long pos, String message) {
        tail = new StructureFinding(tailSeverity, db, shown, pos, pos, null, message);
        out.accept(tail);
        return -pos;
    }

    /** The first position at or after {@code from} that holds a complete, consistent transaction, or -1. */
    private long find(long from) throws IOException {
        for (long p = from; p <= size - TXN - 8; p++) {
            if (plausibleStatus(p) && plausible(p)) {
                long s = tilingShift(header(p));
                if (s != NOT_TILED) {
                    foundShift = s == UNKNOWN_SHIFT ? shift : s;
                    return p;
                }
            }
        }
        return -1;
    }

    /**
     * Resumes at {@code next}, found by {@link #find}: a transaction whose records name another
     * position as theirs moves the data from there on. Returns what the skip finding adds.
     */
    private String resumeAt(long next) {
        if (foundShift == shift) {
            return "";
        }
        shift = foundShift;
        shiftFrom = next;
        return shift == 0 ? "" : "; the records of the transaction there say it starts at "
                + (next + shift) + ": " + Math.abs(shift) + " bytes were " + (shift > 0 ? "lost" : "inserted")
                + " before it, and the positions in the records from there on (tloc, prev, back) are read"
                + " with that shift";
    }

    /** A position written in a record (prev, back, tloc) as a position in the file as it is. */
    private long actual(long written) {
        return shift != 0 && written - shift >= shiftFrom ? written - shift : written;
    }

    private boolean plausibleStatus(long p) throws IOException {
        int o = w.at(p + 16, 1);
        byte s = w.buf()[o];
        return s == ' ' || s == 'p' || s == 'u';
    }

    /** A transaction header at {@code p} whose lengths agree (its records are not looked at). */
    private boolean plausible(long p) throws IOException {
        if (p > size - TXN - 8) {
            return false;
        }
        Txn t = header(p);
        byte s = t.status();
        return (s == ' ' || s == 'p' || s == 'u' || s == 'c') && framed(t);
    }

    private static final long NOT_TILED = Long.MIN_VALUE;
    private static final long UNKNOWN_SHIFT = Long.MIN_VALUE + 1;

    /**
     * The data records of a candidate transaction fill it exactly and all name the same position
     * as theirs: how far that is from the candidate ({@code tloc - tpos}, 0 normally; not 0 when
     * bytes were lost or inserted before it), {@link #UNKNOWN_SHIFT} without records to tell, or
     * {@link #NOT_TILED}.
     */
    private long tilingShift(Txn t) throws IOException {
        if (t.status() == 'u') {
            return UNKNOWN_SHIFT;
        }
        long r = t.tpos() + t.headerLength();
        long first = -1;
        while (r < t.tend()) {
            if (t.tend() - r < DATA) {
                return NOT_TILED;
            }
            int o = w.at(r, DATA);
            byte[] b = w.buf();
            long tloc = Bytes.u64(b, o + 24);
            int vlen = Bytes.u16(b, o + 32);
            long plen = Bytes.u64(b, o + 34);
            long len = recordLength(vlen, plen);
            if (first == -1) {
                first = tloc;
            }
            if (tloc != first || tloc < 4 || tloc > Long.MAX_VALUE / 2 || len < 0 || len > t.tend() - r) {
                return NOT_TILED;
            }
            r += len;
        }
        return first == -1 ? UNKNOWN_SHIFT : first - t.tpos();
    }

    /**
     * A whole transaction removed from (or added to) the file before {@code t} leaves the framing
     * intact but moves every later transaction: all records of {@code t} name one other position
     * as theirs, and so do those of the next transaction. That is one finding, and the positions
     * written in the records from {@code t} on (tloc, prev, back) are read with the difference,
     * instead of one tloc finding per record to the end of the file. A single damaged tloc does
     * not qualify: the other records, or the next transaction, disagree with it.
     */
    private void movedTransaction(Txn t) throws IOException {
        long first = t.tpos() + t.headerLength();
        if (t.tend() - first < DATA || file.readU64(first + 24) == t.tpos() + shift) {
            return;
        }
        long s = tilingShift(t);
        long next = t.tend() + 8;
        if (s == NOT_TILED || s == UNKNOWN_SHIFT || s == shift || !plausible(next) || tilingShift(header(next)) != s) {
            return;
        }
        long bytes = Math.abs(s - shift);
        boolean lost = s > shift;
        structure(Severity.ERROR, t.tpos(), first + 24, null, "the data records of the transaction at " + t.tpos()
                + " and of the next one all say their transaction starts " + bytes + " bytes "
                + (lost ? "later" : "earlier") + ": " + bytes + " bytes were "
                + (lost ? "lost before " : "inserted at or before ") + t.tpos() + " (a whole transaction "
                + (lost ? "removed" : "added") + "?); the positions in the records from there on (tloc, prev,"
                + " back) are read with that shift");
        shift = s;
        shiftFrom = t.tpos();
    }

    /** 42 + version fields + data (or an 8-byte backpointer); -1 if absurd. */
    private static long recordLength(int vlen, long plen) {
        if (plen < 0 || plen > Long.MAX_VALUE / 2) {
            return -1;
        }
        return DATA + (vlen > 0 ? 16L + vlen : 0) + (plen == 0 ? 8 : plen);
    }

    /** Checks every data record; false if they do not fill the transaction exactly. */
    private boolean records(Txn t) throws IOException {
        pending = 0;
        movedTransaction(t);
        long r = t.tpos() + t.headerLength();
        int otherTid = 0;
        long firstOther = -1;
        long otherValue = 0;
        int count = 0;
        while (r < t.tend()) {
            if (t.tend() - r < DATA) {
                structure(Severity.ERROR, t.tpos(), r, null, "transaction at " + t.tpos() + ": the " + (t.tend() - r)
                        + " byte(s) at " + r + " before its end " + t.tend() + " are too short for a data record"
                        + " (the data records do not add up to its length)");
                commit(t);
                return false;
            }
            int o = w.at(r, DATA);
            byte[] b = w.buf();
            long oid = Bytes.u64(b, o);
            long tid = Bytes.u64(b, o + 8);
            long prev = Bytes.u64(b, o + 16);
            long tloc = Bytes.u64(b, o + 24);
            int vlen = Bytes.u16(b, o + 32);
            long plen = Bytes.u64(b, o + 34);
            long len = recordLength(vlen, plen);
            if (len < 0 || len > t.tend() - r) {
                structure(Severity.ERROR, t.tpos(), r + 34, oid, "transaction at " + t.tpos() + ": data record at " + r
                        + " (oid " + Oid.repr(oid) + ", plen " + Long.toUnsignedString(plen) + ") runs past the"
                        + " transaction's end " + t.tend());
                skip(r, t.tend());
                commit(t);
                return false;
            }
            records++;
            if (tloc != t.tpos() + shift) {
                structure(Severity.ERROR, t.tpos(), r + 24, oid, "data record at " + r + " (oid " + Oid.repr(oid)
                        + ") has tloc " + Long.toUnsignedString(tloc) + ", not its transaction's position "
                        + t.tpos() + (shift == 0 ? "" : " (" + (t.tpos() + shift) + " before the shift found at "
                        + shiftFrom + ")"));
            }
            count++;
            if (tid != t.tid() && otherTid++ == 0) {
                firstOther = r;
                otherValue = tid;
            }
            if (vlen > 0 && versionRecords++ == 0) {
                firstVersionRecord = r;
            }
            prev(t, r, oid, prev);
            if (plen == 0) {
                back(t, r, oid, file.readU64(r + DATA + (vlen > 0 ? 16L + vlen : 0)));
            }
            addPending(oid, r);
            r += len;
        }
        if (otherTid > 0) {
            structure(Severity.WARNING, t.tpos(), firstOther + 8, null, "transaction at " + t.tpos() + ": " + otherTid
                    + " of its " + count + " data records carry a tid other than its " + Tid.repr(t.tid())
                    + ", the first, at " + firstOther + ", " + Tid.repr(otherValue)
                    + (otherTid == count ? " (all of them: the transaction's tid field may be damaged)" : ""));
        }
        return true;
    }

    /**
     * The prev pointer must be the oid's last record in earlier transactions, as ZODB's index has
     * it. A zero prev where ZODB knows a record is normal in packed ('p') transactions.
     */
    private void prev(Txn t, long r, long oid, long prev) throws IOException {
        int i = oids.find(oid);
        long expected = i < 0 ? 0 : last.get(i);
        if (prev == expected || actual(prev) == expected || inSkipped(prev) || inSkipped(actual(prev))) {
            return;
        }
        if (prev == 0) {
            if (t.status() != 'p') {
                structure(Severity.WARNING, t.tpos(), r + 16, oid, "data record at " + r + " (oid " + Oid.repr(oid)
                        + ") has prev 0 although the oid has a record at " + expected
                        + " (ZODB warns 'incorrect previous pointer')");
            }
            return;
        }
        structure(Severity.ERROR, t.tpos(), r + 16, oid, "data record at " + r + " (oid " + Oid.repr(oid)
                + ") has prev " + Long.toUnsignedString(prev) + ": " + pointerProblem(r, oid, prev, "prev")
                + (expected == 0 ? "; the oid has no earlier record" : "; its last record is at " + expected));
    }

    /**
     * A backpointer must go to an earlier data record of the same oid (or be 0: no data). Checked
     * hop by hop: each record's own check covers the next hop, so every chain ends.
     */
    private void back(Txn t, long r, long oid, long back) throws IOException {
        if (back == 0) {
            return;
        }
        String problem = pointerProblem(r, oid, back, "back");
        if (problem != null) {
            structure(Severity.ERROR, t.tpos(), r + DATA, oid, "data record at " + r + " (oid " + Oid.repr(oid)
                    + ") has backpointer " + Long.toUnsignedString(back) + ": " + problem);
        }
    }

    /**
     * Why {@code target} is not an earlier data record of {@code oid}, or {@code null} (for prev
     * pointers a well-formed target that is not the last record is described too).
     */
    private String pointerProblem(long r, long oid, long written, String what) throws IOException {
        long target = actual(written);
        if (target < 4 || Long.compareUnsigned(target, r) >= 0) {
            return "it does not point before the record";
        }
        if (target > size - DATA) {
            return "it points outside the file";
        }
        byte[] h = new byte[DATA];
        file.read(target, h, 0, DATA);
        long toid = Bytes.u64(h, 0);
        long ttloc = actual(Bytes.u64(h, 24));
        if (toid != oid) {
            return "it points at " + (ttloc < target && ttloc >= 4 ? "a record of oid " + Oid.repr(toid)
                    : "something that is not a data record");
        }
        if (ttloc < 4 || ttloc >= target || ttloc > size - TXN || file.readU64(ttloc) != Bytes.u64(h, 8)) {
            return "it does not point at the start of a data record";
        }
        return "prev".equals(what) ? "a record of the oid, but not its last one" : null;
    }

    private void addPending(long oid, long r) {
        if (pending == pendingOid.capacity()) {
            pendingOid.ensure(pending + 1);
            pendingPos.ensure(pending + 1);
        }
        pendingOid.set(pending, oid);
        pendingPos.set(pending++, r);
    }

    /**
     * The transaction is complete: its records become the oids' last records (not for 'u'
     * transactions, which ZODB skips; a 'c' transaction in the middle of the file is damage, and
     * the records after it were written as if it were complete).
     */
    private void commit(Txn t) {
        if (t.status() == 'u') {
            pending = 0;
            return;
        }
        for (int k = 0; k < pending; k++) {
            int i = oids.intern(pendingOid.get(k));
            last.ensure(i + 1);
            last.set(i, pendingPos.get(k));
        }
        pending = 0;
    }

    /** A transaction extension that is not a readable pickle (ZODB fails on undoLog/history). */
    private void extension(Txn t) throws IOException {
        if (t.elen() == 0) {
            return;
        }
        long at = t.tpos() + TXN + t.ulen() + t.dlen();
        byte[] ext = new byte[t.elen()];
        file.read(at, ext, 0, ext.length);
        PickleDecoder.Result r = PickleDecoder.decode(ext, 0, ext.length);
        if (r.classMeta() == null) {
            structure(Severity.WARNING, t.tpos(), at + Math.max(0, r.errorOffset()), null, "transaction at "
                    + t.tpos() + ": its extension (" + ext.length + " bytes at " + at + ") is not a readable pickle: "
                    + r.error() + " (undoLog and history fail on it)");
        }
    }

    private void structure(Severity severity, long pos, long offset, Long oid, String message) {
        out.accept(new StructureFinding(severity, db, shown, pos, offset, oid, message));
    }
}
