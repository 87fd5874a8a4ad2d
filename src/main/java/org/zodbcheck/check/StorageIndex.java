package org.zodbcheck.check;

import org.zodbcheck.filestorage.FileStorageReader;
import org.zodbcheck.filestorage.StorageFile;
import org.zodbcheck.graph.BytePages;
import org.zodbcheck.graph.IntPages;
import org.zodbcheck.graph.LongPages;
import org.zodbcheck.graph.Memory;
import org.zodbcheck.graph.OidTable;

/**
 * What the first pass learns about one storage: for every oid with a record in the good prefix,
 * the position of its current record, where its current data is, and its state; plus per-object
 * facts the second pass adds (class, blob, unreadable). Primitive tables indexed by the
 * {@link OidTable} number, on the heap or spilled as the run's {@link Memory} decides.
 */
final class StorageIndex {
    /** The current record has data. */
    static final byte DATA = 1;
    /** The current record is a backpointer; {@code dataPos} is where the data is. */
    static final byte BACK = 2;
    /** The current record has no data: deleted, or its creation undone (FORMAT.md §1.6). */
    static final byte DELETED = 3;
    /** The current record's backpointer chain is broken. */
    static final byte BROKEN = 4;
    /** First pass only: a backpointer (or version record) not yet followed. */
    static final byte UNRESOLVED = 5;
    static final byte STATE_MASK = 0x0f;
    /** The pickle of the current data could not be parsed (or holds a malformed reference). */
    static final byte UNREADABLE = 0x10;
    /** The object is a {@code ZODB.blob.Blob}. */
    static final byte BLOB = 0x20;

    final Database db;
    final StorageFile file;
    final OidTable oids;
    /** Where the tables take their room from; the second pass's tables too. */
    final Memory memory;
    final LongPages currentPos;
    final LongPages dataPos;
    final BytePages state;
    final IntPages classId;
    /** Tid of the current record and size of the current data; only kept when asked for. */
    final LongPages tid;
    final IntPages size;
    long goodEnd;
    FileStorageReader.End end;
    long transactions;
    long records;
    long versionRecords;
    long undoneTransactions;
    /** Places where the second pass can start reading, about every {@code split} bytes. */
    final java.util.List<org.zodbcheck.filestorage.ChunkReader.Boundary> boundaries = new java.util.ArrayList<>();

    StorageIndex(Database db, StorageFile file, int expected, boolean details, Memory memory) {
        this.db = db;
        this.file = file;
        this.memory = memory;
        this.oids = new OidTable(memory, expected);
        currentPos = new LongPages(memory, expected);
        dataPos = new LongPages(memory, expected);
        state = new BytePages(memory, expected);
        classId = new IntPages(memory, expected);
        tid = details ? new LongPages(memory, expected) : null;
        size = details ? new IntPages(memory, expected) : null;
    }

    boolean details() {
        return tid != null;
    }

    int size() {
        return oids.size();
    }

    void ensure(int n) {
        // the pages grow in steps of their own (no copies past the first page): no room ahead needed
        if (n > currentPos.capacity()) {
            currentPos.ensure(n);
            dataPos.ensure(n);
            state.ensure(n);
            classId.ensure(n);
            if (tid != null) {
                tid.ensure(n);
                size.ensure(n);
            }
        }
    }

    /**
     * Drops the unused room of the per-object tables once the first pass is done (objects are
     * only added by it), so that the second pass has it.
     */
    void trim() {
        int n = size();
        currentPos.trim(n);
        dataPos.trim(n);
        state.trim(n);
        classId.trim(n);
        if (tid != null) {
            tid.trim(n);
            size.trim(n);
        }
        oids.trim();
    }

    byte stateOf(int idx) {
        return (byte) (state.get(idx) & STATE_MASK);
    }

    /** Data can be loaded (directly or through backpointers). */
    boolean hasData(int idx) {
        byte s = stateOf(idx);
        return s == DATA || s == BACK;
    }

    boolean is(int idx, byte flag) {
        return (state.get(idx) & flag) != 0;
    }

    void flag(int idx, byte flag) {
        state.set(idx, (byte) (state.get(idx) | flag));
    }

    /** Objects whose current data can be loaded. */
    long objectsWithData() {
        long n = 0;
        for (int i = 0; i < size(); i++) {
            if (hasData(i)) {
                n++;
            }
        }
        return n;
    }
}
