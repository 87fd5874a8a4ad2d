package org.zodbcheck.generate;

import java.io.Closeable;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Streams a FileStorage (FORMAT.md §1): the magic, then one transaction at a time, assembled in
 * a chunk of a few MB (a transaction's length goes in its header, so it is patched when the
 * transaction ends); full chunks go to a {@link ChunkWriter}. Memory is two chunks plus two
 * positions per oid: {@code prev} of a new record is the oid's last record, and undo needs where
 * the oid's current data lives.
 *
 * <pre>
 * transaction: tid(8) tlen(8) status(1) ulen(2) dlen(2) elen(2) user desc ext  records...  tlen(8)
 * data record: oid(8) tid(8) prev(8) tloc(8) vlen(2)=0 plen(8)  pickles | back(8) when plen = 0
 * </pre>
 */
final class FileStorageWriter implements Closeable {
    static final int TXN_HEADER_LENGTH = 23;
    static final int DATA_HEADER_LENGTH = 42;

    private final ChunkWriter out;
    /** The chunk being filled; it starts at file position {@code base}. */
    private ByteSink buf;
    private long base;
    private final PickleWriter pickle;
    private final RefTracker tracker;
    /** oid → position of its last record (the next record's prev). */
    private final PositionTable last = new PositionTable();
    /** oid → position of the record holding its current data (0 when it has none). */
    private final PositionTable data = new PositionTable();

    private int txnStart; // offset of the open transaction in buf
    private long tid;
    private int recordStart = -1;
    private long recordOid;
    private Global recordClass;

    private long lastRecordPos;
    private long transactions;
    private long records;
    private long firstRecords;

    FileStorageWriter(Path path, Dialect dialect, RefTracker tracker) throws IOException {
        this.out = new ChunkWriter(path);
        this.buf = out.take();
        this.tracker = tracker;
        this.pickle = new PickleWriter(dialect, buf, tracker);
        buf.bytes(dialect.magic.getBytes(StandardCharsets.US_ASCII));
    }

    PickleWriter pickle() {
        return pickle;
    }

    // ------------------------------------------------------------------ transactions

    void beginTxn(long tid, byte[] user, byte[] description, byte[] extension) {
        this.tid = tid;
        txnStart = buf.length();
        buf.u64be(tid);
        buf.u64be(0); // tlen, patched by endTxn
        buf.u8(' ');
        buf.u16be(user.length);
        buf.u16be(description.length);
        buf.u16be(extension.length);
        buf.bytes(user);
        buf.bytes(description);
        buf.bytes(extension);
    }

    /** Ends the transaction: its length in the header and again after the records. */
    void endTxn() throws IOException {
        long tlen = buf.length() - txnStart;
        buf.patchU64be(txnStart + 8, tlen);
        buf.u64be(tlen);
        transactions++;
        if (buf.length() >= ChunkWriter.CHUNK) {
            base += buf.length(); // before the hand-over: the writer resets the chunk once written
            out.write(buf);
            buf = out.take();
            pickle.target(buf);
        }
    }

    private long tpos() {
        return base + txnStart;
    }

    /** The extension dict {@code {key: value}} pickled as this ZODB would (FORMAT.md §1.4). */
    byte[] extension(Name key, byte[] value) {
        ByteSink s = new ByteSink(256);
        PickleWriter p = new PickleWriter(pickle.dialect(), s, oid -> { });
        p.startRecord();
        p.startPickle();
        p.emptyDict();
        p.name(key);
        p.str(value);
        p.setItemsEnd(1);
        p.stop();
        return Arrays.copyOf(s.array(), s.length());
    }

    // ------------------------------------------------------------------ data records

    /**
     * Starts a data record: header, the class pickle ({@code GLOBAL} form, FORMAT.md §3.2) and the
     * start of the state pickle. The caller writes the state, then calls {@link #endData()}.
     */
    PickleWriter beginData(long oid, Global klass) {
        recordStart = buf.length();
        recordOid = oid;
        recordClass = klass;
        header(oid, 0);
        pickle.startRecord();
        pickle.startPickle();
        pickle.global(klass);
        pickle.stop();
        pickle.startPickle();
        return pickle;
    }

    /** Ends the state pickle and the record; returns the record's position. */
    long endData() {
        pickle.stop();
        int plen = buf.length() - recordStart - DATA_HEADER_LENGTH;
        buf.patchU64be(recordStart + 34, plen);
        long pos = base + recordStart;
        remember(recordOid, pos, pos);
        tracker.commit(recordOid, recordClass);
        recordStart = -1;
        return pos;
    }

    /** A record without data pointing at the record at {@code back} (undo, FORMAT.md §1.8); 0 = deleted. */
    long backpointer(long oid, long back) {
        int start = buf.length();
        header(oid, 0);
        buf.u64be(back);
        long pos = base + start;
        remember(oid, pos, back);
        return pos;
    }

    /** deleteObject: plen 0 and back 0 (FORMAT.md §1.6); the oid then refers to nothing. */
    long delete(long oid) {
        tracker.commitNoData(oid);
        return backpointer(oid, 0);
    }

    private void header(long oid, long plen) {
        buf.u64be(oid);
        buf.u64be(tid);
        buf.u64be(last.get(oid));
        buf.u64be(tpos());
        buf.u16be(0);
        buf.u64be(plen);
    }

    private void remember(long oid, long pos, long dataPos) {
        if (last.get(oid) == 0) {
            firstRecords++;
        }
        last.set(oid, pos);
        data.set(oid, dataPos);
        lastRecordPos = pos;
        records++;
    }

    // ------------------------------------------------------------------ state

    /** Position of the last record written. */
    long lastRecordPos() {
        return lastRecordPos;
    }

    /** Where the current data of {@code oid} is (0: none). */
    long dataPos(long oid) {
        return data.get(oid);
    }

    /** Bytes written so far, including the open transaction. */
    long size() {
        return base + buf.length();
    }

    long transactions() {
        return transactions;
    }

    long records() {
        return records;
    }

    /** oids with at least one record. */
    long writtenOids() {
        return firstRecords;
    }

    @Override
    public void close() throws IOException {
        ByteSink last = buf;
        base += last.length();
        buf = new ByteSink(0); // size() stays right after close
        try {
            out.write(last);
        } finally {
            out.close();
        }
    }
}
