package org.zodbcheck.filestorage;

import java.io.IOException;
import java.util.Arrays;

/**
 * Cuts a range of transactions that {@link FileStorageReader} already checked into chunks of
 * whole data records, so that the records of one chunk can be worked on by another thread
 * while the next chunk is read. Reads are sequential and large.
 *
 * <p>The structure was checked by the first pass; this reader still checks every length against
 * the chunk and the range before using it and fails with an {@link IOException} naming the offset
 * if the bytes changed. Records of {@code 'u'} transactions are skipped (ZODB ignores them).
 */
public final class ChunkReader {
    /** A run of whole data records in one buffer. Reused from one {@link #next} call to the next. */
    public static final class Chunk {
        private byte[] buf;
        private long filePos;
        private int count;
        private int[] offsets = new int[1024];
        private boolean oversized;

        /** The bytes; record {@code i} starts at {@link #offset(int)}. */
        public byte[] buffer() {
            return buf;
        }

        /** File position of {@code buffer()[0]}. */
        public long filePos() {
            return filePos;
        }

        /** Number of data records. */
        public int count() {
            return count;
        }

        /** Offset of record {@code i} in the buffer. */
        public int offset(int i) {
            return offsets[i];
        }

        /** File position of record {@code i}. */
        public long pos(int i) {
            return filePos + offsets[i];
        }

        public long oid(int i) {
            return Bytes.u64(buf, offsets[i]);
        }

        public long tid(int i) {
            return Bytes.u64(buf, offsets[i] + 8);
        }

        public long plen(int i) {
            return Bytes.u64(buf, offsets[i] + 34);
        }

        /** Offset in the buffer of record {@code i}'s pickle data. */
        public int dataOffset(int i) {
            int vlen = Bytes.u16(buf, offsets[i] + 32);
            return offsets[i] + DataHeader.LENGTH + (vlen > 0 ? 16 + vlen : 0);
        }

        /**
         * True when this chunk is a single record too large to load; its buffer holds only the
         * header ({@link DataHeader#LENGTH} bytes).
         */
        public boolean oversized() {
            return oversized;
        }

        private void add(int off) {
            if (count == offsets.length) {
                offsets = Arrays.copyOf(offsets, count * 2);
            }
            offsets[count++] = off;
        }
    }

    private final StorageFile file;
    private final long end;
    private final long stop;
    private final int chunkSize;
    private final long maxRecord;

    private long p;
    private boolean inTxn;
    private long tend;

    /**
     * @param start position of the first transaction (4)
     * @param end end of the checked range (the good prefix)
     * @param chunkSize bytes per chunk; at least 1 MiB so that any transaction header fits
     * @param maxRecord records longer than this are not loaded (see {@link Chunk#oversized()})
     */
    public ChunkReader(StorageFile file, long start, long end, int chunkSize, long maxRecord) {
        this(file, Boundary.of(start), end, end, chunkSize, maxRecord);
    }

    /**
     * A reader for the part of the checked range {@code [4, limit)} that begins at {@code from}
     * (a transaction header, or a data record inside the transaction ending at
     * {@code from.tend()}) and stops at {@code stop}, which must also be such a boundary: parts
     * can then be read by different threads.
     */
    public ChunkReader(StorageFile file, Boundary from, long stop, long limit, int chunkSize, long maxRecord) {
        this.file = file;
        this.p = from.pos();
        this.inTxn = from.inTransaction();
        this.tend = from.tend();
        this.stop = stop;
        this.end = limit;
        this.chunkSize = Math.max(chunkSize, 1 << 20);
        this.maxRecord = Math.min(maxRecord, Integer.MAX_VALUE - 64);
    }

    /**
     * A place where reading can start: a transaction header ({@code inTransaction} false), or
     * a data record of the transaction whose records end at {@code tend}.
     */
    public record Boundary(long pos, boolean inTransaction, long tend) {
        /** The start of the transaction at {@code tpos}. */
        public static Boundary of(long tpos) {
            return new Boundary(tpos, false, 0);
        }
    }

    /** Fills {@code chunk} (or a new one if null) with the next records; null at the end. */
    public Chunk next(Chunk chunk) throws IOException {
        Chunk c = chunk != null ? chunk : new Chunk();
        while (p < stop) {
            if (fill(c)) {
                return c;
            }
        }
        return null;
    }

    /** Reads from {@code p} and walks as far as whole items fit; true if records were found. */
    private boolean fill(Chunk c) throws IOException {
        c.count = 0;
        c.oversized = false;
        if (c.buf == null || c.buf.length < chunkSize || c.buf.length > 4 * chunkSize) {
            c.buf = new byte[chunkSize]; // (re)sized: a huge single record does not stay in the pool
        }
        int len = (int) Math.min(chunkSize, stop - p);
        file.read(p, c.buf, 0, len);
        c.filePos = p;
        long ce = p + len;
        while (p < stop) {
            int o = (int) (p - c.filePos);
            if (!inTxn) {
                if (ce - p < TxnHeader.LENGTH) {
                    break;
                }
                TxnHeader h = TxnHeader.parse(c.buf, o, p);
                if (h.tlen() < h.headerLength() || h.tlen() > end - p - 8) {
                    throw inconsistent(p, "transaction header");
                }
                if (ce - p < h.headerLength()) {
                    break;
                }
                tend = p + h.tlen();
                inTxn = true;
                p = h.status() == 'u' ? tend : p + h.headerLength();
            } else if (p < tend) {
                if (ce - p < DataHeader.LENGTH) {
                    if (c.count == 0 && o == 0) {
                        throw inconsistent(p, "data record");
                    }
                    break;
                }
                long reclen = recordLength(c.buf, o, p);
                if (reclen > ce - p || reclen > maxRecord) {
                    if (c.count == 0 && o == 0) {
                        loadSingle(c, reclen);
                        return true;
                    }
                    break;
                }
                c.add(o);
                p += reclen;
            } else {
                if (ce - p < 8) {
                    break;
                }
                p += 8;
                inTxn = false;
            }
        }
        return c.count > 0;
    }

    private long recordLength(byte[] b, int o, long pos) throws IOException {
        int vlen = Bytes.u16(b, o + 32);
        long plen = Bytes.u64(b, o + 34);
        long vextra = vlen > 0 ? 16L + vlen : 0L;
        long body = plen == 0 ? 8 : plen;
        if (plen < 0 || body > tend - pos - DataHeader.LENGTH - vextra) {
            throw inconsistent(pos, "data record");
        }
        return DataHeader.LENGTH + vextra + body;
    }

    /** A record larger than a chunk: load it alone, or only its header if it is too large. */
    private void loadSingle(Chunk c, long reclen) throws IOException {
        c.filePos = p;
        if (reclen > maxRecord) {
            c.oversized = true;
        } else {
            if (c.buf.length < reclen) {
                c.buf = new byte[(int) reclen];
            }
            file.read(p, c.buf, 0, (int) reclen);
        }
        c.add(0);
        p += reclen;
    }

    private IOException inconsistent(long pos, String what) {
        return new IOException(file.path() + ":" + pos + ": " + what
                + " differs from the first reading (was the file changed while it was checked?)");
    }
}
