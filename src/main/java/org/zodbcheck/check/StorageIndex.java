package org.zodbcheck.check;

import java.util.Arrays;
import org.zodbcheck.filestorage.FileStorageReader;
import org.zodbcheck.filestorage.StorageFile;
import org.zodbcheck.graph.OidTable;

/**
 * What the first pass learns about one storage: for every oid with a record in the good prefix,
 * the position of its current record, where its current data is, and its state; plus per-object
 * facts the second pass adds (class, blob, unreadable). Primitive arrays indexed by the
 * {@link OidTable} number.
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
    long[] currentPos;
    long[] dataPos;
    byte[] state;
    int[] classId;
    /** Tid of the current record and size of the current data; only kept when asked for. */
    long[] tid;
    int[] size;
    long goodEnd;
    FileStorageReader.End end;
    long transactions;
    long records;
    long versionRecords;
    long undoneTransactions;
    /** Places where the second pass can start reading, about every {@code split} bytes. */
    final java.util.List<org.zodbcheck.filestorage.ChunkReader.Boundary> boundaries = new java.util.ArrayList<>();

    StorageIndex(Database db, StorageFile file, int expected, boolean details) {
        this.db = db;
        this.file = file;
        this.oids = new OidTable(expected);
        currentPos = new long[Math.max(16, expected)];
        dataPos = new long[currentPos.length];
        state = new byte[currentPos.length];
        classId = new int[currentPos.length];
        if (details) {
            tid = new long[currentPos.length];
            size = new int[currentPos.length];
        }
    }

    boolean details() {
        return tid != null;
    }

    int size() {
        return oids.size();
    }

    void ensure(int n) {
        if (n > currentPos.length) {
            int len = (int) Math.min(Integer.MAX_VALUE - 8L, Math.max(n, currentPos.length + (currentPos.length >> 1)));
            currentPos = Arrays.copyOf(currentPos, len);
            dataPos = Arrays.copyOf(dataPos, len);
            state = Arrays.copyOf(state, len);
            classId = Arrays.copyOf(classId, len);
            if (tid != null) {
                tid = Arrays.copyOf(tid, len);
                size = Arrays.copyOf(size, len);
            }
        }
    }

    /**
     * Drops the unused room of the per-object tables once the first pass is done (objects are
     * only added by it), so that the second pass has it.
     */
    void trim() {
        int n = Math.max(16, size());
        if (currentPos.length > n + 16) {
            currentPos = Arrays.copyOf(currentPos, n);
            dataPos = Arrays.copyOf(dataPos, n);
            state = Arrays.copyOf(state, n);
            classId = Arrays.copyOf(classId, n);
            if (tid != null) {
                tid = Arrays.copyOf(tid, n);
                size = Arrays.copyOf(size, n);
            }
        }
        oids.trim();
    }

    byte stateOf(int idx) {
        return (byte) (state[idx] & STATE_MASK);
    }

    /** Data can be loaded (directly or through backpointers). */
    boolean hasData(int idx) {
        byte s = stateOf(idx);
        return s == DATA || s == BACK;
    }

    boolean is(int idx, byte flag) {
        return (state[idx] & flag) != 0;
    }

    void flag(int idx, byte flag) {
        state[idx] |= flag;
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
