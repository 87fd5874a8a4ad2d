package org.zodbcheck.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes a {@code Data.fs} into a byte array, with the layout of FORMAT.md §1 (magic,
 * transaction header {@code >8sQcHHH}, data record header {@code >8s8sQQHQ}, trailing redundant
 * length), so that tests can build exactly the file they need and then damage it.
 *
 * <pre>{@code
 * FileStorageBuilder b = new FileStorageBuilder()
 *     .txn(tid).user("u").description("d").extension(ext)   // status ' ' unless .status('p')
 *         .data(0, FileStorageBuilder.pickle("persistent.mapping", "PersistentMapping", 1))
 *         .data(1, pickle)
 *     .end()
 *     .txn(tid2).backpointer(0, b.recordPositions().get(0)).deleted(1).end();
 * byte[] fs = b.bytes();
 * }</pre>
 *
 * <p>Records get {@code tid} = the transaction's tid, {@code tloc} = the transaction's position
 * and, unless given, {@code prev} = the oid's record in the last committed non-{@code 'u'}
 * transaction (what ZODB's {@code store} writes). Positions of everything written are kept
 * ({@link #lastTxnPos()}, {@link #lastRecordPos()}, {@link #txnPositions()},
 * {@link #recordPositions()}) so that tests can write backpointers and assert offsets.
 *
 * <p>For damage: {@link #raw(byte[])} writes arbitrary bytes (inside a transaction they count in
 * its length), {@link #record} writes a record header with every field chosen,
 * {@link #endWithLengths} writes chosen lengths, and the finished bytes can be patched
 * ({@link #patchU64}, {@link #patchU16}, {@link #patchByte}, {@link #patch}), cut
 * ({@link #truncate}) or extended ({@link #append}).
 */
public final class FileStorageBuilder {
    /** A tid to start from when {@link #txn()} picks one: 2024-01-04 00:00:06.000000. */
    public static final long FIRST_TID = 0x03f59ee019999999L;
    public static final int TXN_HEADER_LENGTH = 23;
    public static final int DATA_HEADER_LENGTH = 42;

    private byte[] buf = new byte[1024];
    private int len;

    private final List<Long> txnPositions = new ArrayList<>();
    private final List<Long> recordPositions = new ArrayList<>();
    /** oid → record position in committed (ended, non-'u') transactions: the automatic prev. */
    private final Map<Long, Long> committed = new HashMap<>();
    /** oid → the last record position written, whatever the transaction. */
    private final Map<Long, Long> latest = new HashMap<>();
    private final Map<Long, Long> pending = new HashMap<>();

    private long lastTid;
    private long lastTxnEnd = -1;
    private long lastRecordPos = -1;

    // the open transaction
    private boolean open;
    private boolean headerWritten;
    private int tpos;
    private long tid;
    private byte status;
    private byte[] user;
    private byte[] description;
    private byte[] extension;

    /** A new file starting with the {@code FS30} magic (Python 3). */
    public FileStorageBuilder() {
        this("FS30");
    }

    /** A new file starting with the given 4-byte magic ({@code "FS21"}, {@code "FS30"}, or anything for tests). */
    public FileStorageBuilder(String magic) {
        byte[] m = magic.getBytes(StandardCharsets.ISO_8859_1);
        if (m.length != 4) {
            throw new IllegalArgumentException("a magic has 4 bytes: " + magic);
        }
        put(m);
    }

    /** A new file starting with {@code FS21} (Python 2). */
    public static FileStorageBuilder fs21() {
        return new FileStorageBuilder("FS21");
    }

    // ------------------------------------------------------------------ transactions

    /** Starts a transaction with the next tid (the previous tid + 1, or {@link #FIRST_TID}). */
    public FileStorageBuilder txn() {
        return txn(lastTid == 0 ? FIRST_TID : lastTid + 1);
    }

    /** Starts a transaction at the current end of the file; status {@code ' '}, no metadata. */
    public FileStorageBuilder txn(long tid) {
        requireClosed("txn");
        open = true;
        headerWritten = false;
        tpos = len;
        this.tid = tid;
        status = ' ';
        user = new byte[0];
        description = new byte[0];
        extension = new byte[0];
        pending.clear();
        txnPositions.add((long) tpos);
        lastTid = tid;
        return this;
    }

    /** The status byte: {@code ' '}, {@code 'p'}, {@code 'u'}, {@code 'c'} or anything else. */
    public FileStorageBuilder status(char status) {
        requireMetadataOpen("status");
        this.status = (byte) status;
        return this;
    }

    public FileStorageBuilder user(String user) {
        return user(user.getBytes(StandardCharsets.UTF_8));
    }

    public FileStorageBuilder user(byte[] user) {
        requireMetadataOpen("user");
        this.user = checkU16(user, "user");
        return this;
    }

    public FileStorageBuilder description(String description) {
        return description(description.getBytes(StandardCharsets.UTF_8));
    }

    public FileStorageBuilder description(byte[] description) {
        requireMetadataOpen("description");
        this.description = checkU16(description, "description");
        return this;
    }

    /** The extension bytes (normally a pickled dict, see {@link #extensionPickle}). */
    public FileStorageBuilder extension(byte[] extension) {
        requireMetadataOpen("extension");
        this.extension = checkU16(extension, "extension");
        return this;
    }

    /** Ends the transaction: writes its length into the header and the redundant length after it. */
    public FileStorageBuilder end() {
        requireOpen("end");
        writeHeader();
        long tlen = len - tpos;
        return endWithLengths(tlen, tlen);
    }

    /**
     * Ends the transaction writing {@code headerTlen} into the header and {@code redundantTlen}
     * after the records (for damage; {@link #end()} writes the true length twice).
     */
    public FileStorageBuilder endWithLengths(long headerTlen, long redundantTlen) {
        requireOpen("end");
        writeHeader();
        lastTxnEnd = len;
        putU64At(tpos + 8, headerTlen);
        putU64(redundantTlen);
        open = false;
        if (status != 'u') {
            committed.putAll(pending); // like read_index: 'u' transactions are not indexed
        }
        pending.clear();
        return this;
    }

    // ------------------------------------------------------------------ data records

    /** A data record with a pickle; prev is the oid's last committed record (0 if none). */
    public FileStorageBuilder data(long oid, byte[] pickle) {
        return data(oid, committedPos(oid), pickle);
    }

    /** A data record with a pickle and an explicit prev. */
    public FileStorageBuilder data(long oid, long prev, byte[] pickle) {
        if (pickle.length == 0) {
            throw new IllegalArgumentException("plen 0 means a backpointer; use backpointer() or record()");
        }
        return record(oid, tid, prev, tpos, pickle.length, pickle);
    }

    /** A record without data pointing at the record at {@code back} (plen 0, then the 8-byte back). */
    public FileStorageBuilder backpointer(long oid, long back) {
        return backpointer(oid, committedPos(oid), back);
    }

    public FileStorageBuilder backpointer(long oid, long prev, long back) {
        return record(oid, tid, prev, tpos, 0, u64(back));
    }

    /** A deletion / undone creation: plen 0 and back 0. */
    public FileStorageBuilder deleted(long oid) {
        return backpointer(oid, 0);
    }

    /**
     * A version record (vlen > 0, ZODB ≤ 3.8): header, {@code pnv}, {@code vprev} = 0, the
     * version name, then the pickle.
     */
    public FileStorageBuilder version(long oid, String version, long pnv, byte[] pickle) {
        return version(oid, version, pnv, 0, pickle);
    }

    /** A version record with an explicit {@code vprev}; an empty pickle writes plen 0 and back 0. */
    public FileStorageBuilder version(long oid, String version, long pnv, long vprev, byte[] pickle) {
        byte[] body = pickle.length > 0 ? pickle : u64(0);
        return versionRecord(oid, version, pnv, vprev, pickle.length, body);
    }

    /** A version record without data: plen 0 and the backpointer after the version fields. */
    public FileStorageBuilder versionBackpointer(long oid, String version, long pnv, long back) {
        return versionRecord(oid, version, pnv, 0, 0, u64(back));
    }

    private FileStorageBuilder versionRecord(long oid, String version, long pnv, long vprev, long plen, byte[] body) {
        requireOpen("version");
        writeHeader();
        byte[] v = checkU16(version.getBytes(StandardCharsets.UTF_8), "version");
        if (v.length == 0) {
            throw new IllegalArgumentException("a version record has a non-empty version name");
        }
        startRecord(oid);
        putU64(oid);
        putU64(tid);
        putU64(committedPos(oid));
        putU64(tpos);
        putU16(v.length);
        putU64(plen);
        putU64(pnv);
        putU64(vprev);
        put(v);
        put(body);
        return this;
    }

    /**
     * A data record with every header field chosen (vlen 0): the 42-byte header followed by
     * {@code body} as is, whatever {@code plen} says (for damage).
     */
    public FileStorageBuilder record(long oid, long tid, long prev, long tloc, long plen, byte[] body) {
        requireOpen("record");
        writeHeader();
        startRecord(oid);
        putU64(oid);
        putU64(tid);
        putU64(prev);
        putU64(tloc);
        putU16(0);
        putU64(plen);
        put(body);
        return this;
    }

    /**
     * Arbitrary bytes: inside a transaction after its header (they count in its length), outside
     * one at the end of the file.
     */
    public FileStorageBuilder raw(byte[] bytes) {
        if (open) {
            writeHeader();
        }
        put(bytes);
        return this;
    }

    private void startRecord(long oid) {
        lastRecordPos = len;
        recordPositions.add((long) len);
        pending.put(oid, (long) len);
        latest.put(oid, (long) len);
    }

    private void writeHeader() {
        if (headerWritten) {
            return;
        }
        headerWritten = true;
        putU64(tid);
        putU64(0); // tlen, written by end()
        put(new byte[] {status});
        putU16(user.length);
        putU16(description.length);
        putU16(extension.length);
        put(user);
        put(description);
        put(extension);
    }

    // ------------------------------------------------------------------ positions

    /** Current length of the file. */
    public long position() {
        return len;
    }

    /** Position of the last transaction started. */
    public long lastTxnPos() {
        if (txnPositions.isEmpty()) {
            throw new IllegalStateException("no transaction written");
        }
        return txnPositions.get(txnPositions.size() - 1);
    }

    /** {@code tpos + tlen} of the last ended transaction: where its redundant length is. */
    public long lastTxnEnd() {
        return lastTxnEnd;
    }

    /** Position of the last data record written, -1 if none. */
    public long lastRecordPos() {
        return lastRecordPos;
    }

    /** Positions of all transactions, in file order. */
    public List<Long> txnPositions() {
        return Collections.unmodifiableList(txnPositions);
    }

    /** Positions of all data records, in file order. */
    public List<Long> recordPositions() {
        return Collections.unmodifiableList(recordPositions);
    }

    /** The last record written for {@code oid} in any transaction, or 0. */
    public long lastPos(long oid) {
        return latest.getOrDefault(oid, 0L);
    }

    /** The oid's record in the last committed non-'u' transaction: the automatic prev, or 0. */
    public long committedPos(long oid) {
        return committed.getOrDefault(oid, 0L);
    }

    /** The tid of the last transaction started. */
    public long lastTid() {
        return lastTid;
    }

    // ------------------------------------------------------------------ the finished file

    /** A copy of the file; all transactions must be ended. */
    public byte[] bytes() {
        requireClosed("bytes");
        return Arrays.copyOf(buf, len);
    }

    /** Writes {@link #bytes()} to {@code path} and returns it. */
    public Path write(Path path) {
        try {
            Files.write(path, bytes());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return path;
    }

    public FileStorageBuilder patchU64(long pos, long value) {
        check(pos, 8);
        putU64At((int) pos, value);
        return this;
    }

    public FileStorageBuilder patchU16(long pos, int value) {
        check(pos, 2);
        buf[(int) pos] = (byte) (value >>> 8);
        buf[(int) pos + 1] = (byte) value;
        return this;
    }

    public FileStorageBuilder patchByte(long pos, int b) {
        check(pos, 1);
        buf[(int) pos] = (byte) b;
        return this;
    }

    public FileStorageBuilder patch(long pos, byte[] bytes) {
        check(pos, bytes.length);
        System.arraycopy(bytes, 0, buf, (int) pos, bytes.length);
        return this;
    }

    /** Cuts the file to {@code n} bytes. */
    public FileStorageBuilder truncate(long n) {
        requireClosed("truncate");
        if (n < 0 || n > len) {
            throw new IllegalArgumentException("cannot truncate " + len + " bytes to " + n);
        }
        len = (int) n;
        return this;
    }

    /** Appends bytes after the last transaction. */
    public FileStorageBuilder append(byte[] bytes) {
        requireClosed("append");
        put(bytes);
        return this;
    }

    // ------------------------------------------------------------------ pickles and numbers

    /** 8 big-endian bytes. */
    public static byte[] u64(long v) {
        byte[] b = new byte[8];
        for (int i = 0; i < 8; i++) {
            b[i] = (byte) (v >>> (56 - 8 * i));
        }
        return b;
    }

    /**
     * A minimal ZODB record in protocol 3, the way ZODB on Python 3 pickles it: the class pickle
     * {@code \x80\x03c<module>\n<name>\nq\x00.} and the state pickle
     * {@code \x80\x03}q\x01(X\x04\x00\x00\x00refs]q\x02(...eu.}, a dict whose {@code refs} list
     * holds one persistent reference {@code (oid, klass)} per oid: {@code C\x08<oid>h\x00\x86Q}
     * (the class is fetched from memo 0, which the two pickles share as in ZODB).
     */
    public static byte[] pickle(String module, String name, long... refOids) {
        Out o = new Out();
        o.bytes(0x80, 0x03, 'c');
        o.ascii(module + "\n" + name + "\n");
        o.bytes('q', 0x00, '.');
        o.bytes(0x80, 0x03, '}', 'q', 0x01, '(');
        o.shortUnicode("refs");
        o.bytes(']', 'q', 0x02, '(');
        for (long oid : refOids) {
            o.bytes('C', 0x08);
            o.raw(u64(oid));
            o.bytes('h', 0x00, 0x86, 'Q');
        }
        o.bytes('e', 'u', '.');
        return o.toByteArray();
    }

    /** An extension as ZODB on Python 3 writes it: {@code \x80\x03}q\x00X..k..q\x01X..v..q\x02s.}. */
    public static byte[] extensionPickle(String key, String value) {
        Out o = new Out();
        o.bytes(0x80, 0x03, '}', 'q', 0x00);
        o.shortUnicode(key);
        o.bytes('q', 0x01);
        o.shortUnicode(value);
        o.bytes('q', 0x02, 's', '.');
        return o.toByteArray();
    }

    /** A little growable byte array for the pickles. */
    private static final class Out {
        private byte[] b = new byte[64];
        private int n;

        void bytes(int... values) {
            for (int v : values) {
                grow(1);
                b[n++] = (byte) v;
            }
        }

        void raw(byte[] bytes) {
            grow(bytes.length);
            System.arraycopy(bytes, 0, b, n, bytes.length);
            n += bytes.length;
        }

        void ascii(String s) {
            raw(s.getBytes(StandardCharsets.UTF_8));
        }

        /** BINUNICODE: {@code X}, 4-byte little-endian length, UTF-8. */
        void shortUnicode(String s) {
            byte[] u = s.getBytes(StandardCharsets.UTF_8);
            bytes('X', u.length, u.length >>> 8, u.length >>> 16, u.length >>> 24);
            raw(u);
        }

        private void grow(int k) {
            if (n + k > b.length) {
                b = Arrays.copyOf(b, Math.max(b.length * 2, n + k));
            }
        }

        byte[] toByteArray() {
            return Arrays.copyOf(b, n);
        }
    }

    // ------------------------------------------------------------------ internals

    private void put(byte[] bytes) {
        ensure(bytes.length);
        System.arraycopy(bytes, 0, buf, len, bytes.length);
        len += bytes.length;
    }

    private void putU64(long v) {
        ensure(8);
        len += 8;
        putU64At(len - 8, v);
    }

    private void putU16(int v) {
        put(new byte[] {(byte) (v >>> 8), (byte) v});
    }

    private void putU64At(int pos, long v) {
        for (int i = 0; i < 8; i++) {
            buf[pos + i] = (byte) (v >>> (56 - 8 * i));
        }
    }

    private void ensure(int n) {
        if ((long) len + n > Integer.MAX_VALUE - 16) {
            throw new IllegalStateException("the builder keeps files below 2 GiB");
        }
        if (len + n > buf.length) {
            buf = Arrays.copyOf(buf, Math.max(buf.length * 2, len + n));
        }
    }

    private void check(long pos, int n) {
        if (pos < 0 || pos + n > len) {
            throw new IllegalArgumentException("patch of " + n + " bytes at " + pos + " is outside the file (" + len + " bytes)");
        }
    }

    private static byte[] checkU16(byte[] b, String what) {
        if (b.length > 0xffff) {
            throw new IllegalArgumentException(what + " is limited to 65535 bytes, not " + b.length);
        }
        return b;
    }

    private void requireOpen(String what) {
        if (!open) {
            throw new IllegalStateException(what + "() needs an open transaction: call txn() first");
        }
    }

    private void requireClosed(String what) {
        if (open) {
            throw new IllegalStateException(what + "() while the transaction at " + tpos + " is open: call end() first");
        }
    }

    private void requireMetadataOpen(String what) {
        requireOpen(what);
        if (headerWritten) {
            throw new IllegalStateException(what + "() after the first record of the transaction at " + tpos);
        }
    }
}
