package org.zodbcheck.check;

import java.io.IOException;
import java.util.function.Consumer;
import org.zodbcheck.filestorage.ChunkReader;
import org.zodbcheck.filestorage.DataHeader;
import org.zodbcheck.filestorage.FileStorageException;
import org.zodbcheck.filestorage.FileStorageReader;
import org.zodbcheck.filestorage.Oid;
import org.zodbcheck.filestorage.StorageFile;
import org.zodbcheck.filestorage.StructureProblem;
import org.zodbcheck.filestorage.TxnHeader;
import org.zodbcheck.graph.BytePages;
import org.zodbcheck.graph.LongPages;
import org.zodbcheck.graph.Memory;

/**
 * First pass: reads every transaction and data header of the good prefix, as ZODB's index
 * builder does, and records each oid's current record (the last one in file order among
 * complete, non-'u' transactions; FORMAT.md §1.7). Then follows the backpointers of current
 * records to where their data is (FORMAT.md §1.6).
 */
final class IndexPass {
    private final StorageIndex index;
    /** Distance between the places the second pass's threads start reading at. */
    private final long split;
    private long lastBoundary;
    private final Consumer<Finding> out;

    // The records of the transaction being read, made current when it checks out; in pages like
    // the index, so that a transaction of millions of records spills rather than fill the heap.
    private final LongPages pendingOid;
    private final LongPages pendingPos;
    private final LongPages pendingLink;
    private final BytePages pendingState;
    private final LongPages pendingTid;
    private final LongPages pendingSize;
    private int pending;
    /** Stop after the transaction that reaches this offset (only a warm-up stops early). */
    private long stopAt = Long.MAX_VALUE;

    private IndexPass(StorageIndex index, Consumer<Finding> out, long split) {
        this.index = index;
        Memory m = index.memory;
        pendingOid = new LongPages(m, 1024);
        pendingPos = new LongPages(m, 1024);
        pendingLink = new LongPages(m, 1024);
        pendingState = new BytePages(m, 1024);
        pendingTid = new LongPages(m, 1024);
        pendingSize = new LongPages(m, 1024);
        this.out = out;
        this.split = split;
    }

    /**
     * @param details also keep the tid of each current record and the size of its data (for the
     *     reference database)
     * @param memory where the tables take their room from
     */
    static StorageIndex run(Database db, StorageFile file, Consumer<Finding> out, Progress progress, long split,
                            boolean details, Memory memory) throws IOException {
        // A first guess only (about one object per 400 bytes); the tables grow as needed.
        int expected = (int) Math.min(1 << 20, Math.max(1024, file.size() / 400));
        StorageIndex index = new StorageIndex(db, file, expected, details, memory);
        IndexPass pass = new IndexPass(index, out, split);
        progress.begin(db.name(), "reading headers", file.size());
        pass.read(progress);
        pass.releasePending();
        pass.resolveBackpointers();
        pass.reportLegacy();
        index.trim();
        return index;
    }

    /**
     * Reads the headers of the first {@code bytes} of a storage and forgets them: run on another
     * thread while the command line is parsed, so that the JIT has this pass compiled when the
     * check starts.
     */
    static StorageIndex warmUp(StorageFile file, long bytes) throws IOException {
        Memory heap = new Memory(64L << 20, null);
        StorageIndex index = new StorageIndex(new Database("warm-up", file.path()), file, 1024, false, heap);
        IndexPass pass = new IndexPass(index, f -> { }, 4L << 20);
        pass.stopAt = bytes;
        pass.read(Progress.NONE);
        pass.releasePending();
        pass.resolveBackpointers();
        return index;
    }

    private void read(Progress progress) throws IOException {
        FileStorageReader reader = new FileStorageReader(index.file, this::structure);
        TxnHeader txn;
        index.boundaries.add(ChunkReader.Boundary.of(4));
        lastBoundary = 4;
        while ((txn = reader.nextTransaction()) != null) {
            clearPending();
            if (txn.status() == 'u') {
                index.undoneTransactions++;
            }
            boundary(txn.tpos(), false, 0);
            while (reader.nextRecord()) {
                boundary(reader.pos(), true, txn.tend());
                addPending(reader);
            }
            if (reader.transactionValid()) {
                commitPending();
            }
            progress.at(reader.goodEnd());
            if (reader.goodEnd() >= stopAt) {
                break;
            }
        }
        index.goodEnd = reader.goodEnd();
        index.boundaries.removeIf(b -> b.pos() >= index.goodEnd);
        index.end = reader.end();
        index.transactions = reader.transactionCount();
        index.records = reader.recordCount();
    }

    private void boundary(long pos, boolean inTransaction, long tend) {
        if (pos - lastBoundary >= split) {
            index.boundaries.add(new ChunkReader.Boundary(pos, inTransaction, tend));
            lastBoundary = pos;
        }
    }

    private void addPending(FileStorageReader r) {
        byte st;
        long link;
        if (r.vlen() > 0) {
            // ZODB <= 3.8 version record: the committed state is at pnv (FORMAT.md §1.7).
            index.versionRecords++;
            st = StorageIndex.UNRESOLVED;
            link = r.pnv();
        } else if (r.plen() > 0) {
            st = StorageIndex.DATA;
            link = r.pos();
        } else if (r.back() == 0) {
            st = StorageIndex.DELETED;
            link = 0;
        } else {
            st = StorageIndex.UNRESOLVED;
            link = r.back();
        }
        int k = pending;
        if (k == pendingOid.capacity()) {
            pendingOid.ensure(k + 1);
            pendingPos.ensure(k + 1);
            pendingLink.ensure(k + 1);
            pendingState.ensure(k + 1);
            pendingTid.ensure(k + 1);
            pendingSize.ensure(k + 1);
        }
        pendingOid.set(k, r.oid());
        pendingPos.set(k, r.pos());
        pendingLink.set(k, link);
        pendingState.set(k, st);
        pendingTid.set(k, r.tid());
        pendingSize.set(k, Math.max(0, r.plen()));
        pending = k + 1;
    }

    /** The pending tables go back to the budget once every transaction is read. */
    private void releasePending() {
        pendingOid.release();
        pendingPos.release();
        pendingLink.release();
        pendingState.release();
        pendingTid.release();
        pendingSize.release();
    }

    private void clearPending() {
        pending = 0;
    }

    /** A transaction checked out: its records become current (later records win). */
    private void commitPending() {
        for (int i = 0; i < pending; i++) {
            int idx = index.oids.intern(pendingOid.get(i));
            index.ensure(idx + 1);
            index.currentPos.set(idx, pendingPos.get(i));
            index.dataPos.set(idx, pendingLink.get(i));
            index.state.set(idx, pendingState.get(i));
            if (index.details()) {
                index.tid.set(idx, pendingTid.get(i));
                index.size.set(idx, (int) Math.min(Integer.MAX_VALUE, pendingSize.get(i)));
            }
        }
    }

    private void resolveBackpointers() {
        for (int idx = 0; idx < index.size(); idx++) {
            if (index.stateOf(idx) == StorageIndex.UNRESOLVED) {
                resolve(idx);
            }
        }
    }

    /**
     * Follows the chain until a record with data or a zero backpointer. Every step must go to an
     * earlier record of the same oid inside the good prefix, so the walk always ends.
     */
    private void resolve(int idx) {
        long oid = index.oids.oid(idx);
        long from = index.currentPos.get(idx);
        long p = index.dataPos.get(idx);
        long before = from;
        while (true) {
            if (p == 0) {
                index.state.set(idx, StorageIndex.DELETED);
                index.dataPos.set(idx, 0);
                return;
            }
            // the offset of a finding is a place in the file: the pointer's target if it is one,
            // else the record that holds the pointer (a value of 2^63 or more is negative here)
            long at = p >= 4 && p < index.goodEnd ? p : before;
            if (p < 4 || p >= before) {
                boolean outside = (p >= 0 && p < 4) || Long.compareUnsigned(p, index.goodEnd) >= 0;
                broken(idx, from, at, "points " + (outside ? "outside the data" : "forward") + ", to "
                        + Long.toUnsignedString(p));
                return;
            }
            DataHeader h;
            try {
                h = index.file.readDataHeader(p, index.goodEnd);
            } catch (FileStorageException e) {
                broken(idx, from, at, e.getMessage());
                return;
            }
            if (h.oid() != oid) {
                broken(idx, from, p, "points at a record of oid " + Oid.repr(h.oid()));
                return;
            }
            if (h.plen() > 0) {
                index.state.set(idx, StorageIndex.BACK);
                index.dataPos.set(idx, p);
                if (index.details()) {
                    index.size.set(idx, (int) Math.min(Integer.MAX_VALUE, h.plen()));
                }
                return;
            }
            before = p;
            p = h.vlen() > 0 && h.pnv() >= 0 ? h.pnv() : h.back();
        }
    }

    private void broken(int idx, long from, long at, String why) {
        index.state.set(idx, StorageIndex.BROKEN);
        index.dataPos.set(idx, -1);
        long oid = index.oids.oid(idx);
        out.accept(new StructureFinding(Severity.ERROR, index.db.name(), index.file.path().toString(), from, at,
                oid, "oid " + Oid.repr(oid) + ": the backpointer chain of the current record at " + from
                + " is broken: " + why));
    }

    private void reportLegacy() {
        if (index.versionRecords > 0) {
            out.accept(new StructureFinding(Severity.WARNING, index.db.name(), index.file.path().toString(), 4, 4,
                    null, index.versionRecords + " version records (vlen > 0, ZODB <= 3.8 versions): ZODB >= 3.9"
                    + " refuses to open this file; their committed state was checked"));
        }
        if (index.undoneTransactions > 0) {
            out.accept(new StructureFinding(Severity.INFO, index.db.name(), index.file.path().toString(), 4, 4,
                    null, index.undoneTransactions + " transactions with status 'u' (undone by ZODB < 3.3):"
                    + " their records are ignored, as ZODB ignores them"));
        }
    }

    private void structure(StructureProblem p) {
        Severity s = switch (p.kind()) {
            case DAMAGE -> Severity.ERROR;
            case INCOMPLETE_TAIL, LEGACY -> Severity.WARNING;
        };
        String message = p.message();
        if (p.kind() == StructureProblem.Kind.INCOMPLETE_TAIL && index.file.live()) {
            s = Severity.INFO;
            message += " (the storage is being written to: a commit in progress)";
        }
        out.accept(new StructureFinding(s, index.db.name(), index.file.path().toString(), p.pos(), p.offset(),
                p.oid(), message));
    }
}
