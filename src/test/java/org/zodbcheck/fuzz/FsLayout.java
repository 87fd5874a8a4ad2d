package org.zodbcheck.fuzz;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * Where everything is in a <em>well-formed</em> Data.fs (FORMAT.md §1.2, §1.5): transactions,
 * data records, their length and position fields and their pickles. Written independently of
 * the production reader, for the mutation suite to aim its damage; it throws on anything it does
 * not expect, so it is only used on the pristine fixtures.
 */
final class FsLayout {
    static final int TXN_HEADER = 23;
    static final int DATA_HEADER = 42;

    /** A transaction at {@code pos}: header fields and its records. */
    record Txn(long pos, long tid, long tlen, int status, int ulen, int dlen, int elen, List<Rec> records) {
        long hlen() {
            return TXN_HEADER + ulen + dlen + elen;
        }

        /** Position of the redundant length (the u64 after the records). */
        long end() {
            return pos + tlen;
        }

        /** Position of the next transaction. */
        long next() {
            return pos + tlen + 8;
        }
    }

    /**
     * A data record: header fields, where its data is ({@code dataPos}, {@code plen}; for a
     * backpointer record {@code back} is read at {@code dataPos}) and its total length.
     */
    record Rec(long pos, long txnPos, long oid, long tid, long prev, long tloc, int vlen, long plen, long dataPos,
               long back, long length) {
        boolean hasData() {
            return plen > 0;
        }
    }

    final byte[] bytes;
    final String magic;
    final List<Txn> txns;
    final List<Rec> records;

    private FsLayout(byte[] bytes, String magic, List<Txn> txns, List<Rec> records) {
        this.bytes = bytes;
        this.magic = magic;
        this.txns = Collections.unmodifiableList(txns);
        this.records = Collections.unmodifiableList(records);
    }

    static FsLayout parse(byte[] b) {
        if (b.length < 4) {
            throw new IllegalArgumentException("not a Data.fs");
        }
        String magic = new String(b, 0, 4, StandardCharsets.ISO_8859_1);
        if (!magic.equals("FS21") && !magic.equals("FS30")) {
            throw new IllegalArgumentException("magic " + magic);
        }
        List<Txn> txns = new ArrayList<>();
        List<Rec> all = new ArrayList<>();
        long pos = 4;
        while (pos < b.length) {
            if (b.length - pos < TXN_HEADER) {
                throw new IllegalArgumentException("short transaction header at " + pos);
            }
            long tid = u64(b, pos);
            long tlen = u64(b, pos + 8);
            int status = b[(int) pos + 16] & 0xff;
            int ulen = u16(b, pos + 17);
            int dlen = u16(b, pos + 19);
            int elen = u16(b, pos + 21);
            if (tlen < TXN_HEADER || pos + tlen + 8 > b.length || u64(b, pos + tlen) != tlen) {
                throw new IllegalArgumentException("bad transaction at " + pos);
            }
            List<Rec> recs = new ArrayList<>();
            long rp = pos + TXN_HEADER + ulen + dlen + elen;
            while (rp < pos + tlen) {
                long oid = u64(b, rp);
                long rtid = u64(b, rp + 8);
                long prev = u64(b, rp + 16);
                long tloc = u64(b, rp + 24);
                int vlen = u16(b, rp + 32);
                long plen = u64(b, rp + 34);
                long dataPos = rp + DATA_HEADER + (vlen > 0 ? 16 + vlen : 0);
                long back = plen == 0 ? u64(b, dataPos) : 0;
                long length = dataPos - rp + (plen > 0 ? plen : 8);
                if (tloc != pos || rp + length > pos + tlen) {
                    throw new IllegalArgumentException("bad record at " + rp);
                }
                Rec r = new Rec(rp, pos, oid, rtid, prev, tloc, vlen, plen, dataPos, back, length);
                recs.add(r);
                all.add(r);
                rp += length;
            }
            txns.add(new Txn(pos, tid, tlen, status, ulen, dlen, elen, Collections.unmodifiableList(recs)));
            pos += tlen + 8;
        }
        return new FsLayout(b, magic, txns, all);
    }

    /** Records with data (a pickle), for aiming at pickles. */
    List<Rec> dataRecords() {
        return records.stream().filter(Rec::hasData).toList();
    }

    /** Records without data (backpointers, deletions). */
    List<Rec> backpointerRecords() {
        return records.stream().filter(r -> !r.hasData()).toList();
    }

    static long u64(byte[] b, long at) {
        long v = 0;
        for (int i = 0; i < 8; i++) {
            v = (v << 8) | (b[(int) at + i] & 0xffL);
        }
        return v;
    }

    static int u16(byte[] b, long at) {
        return (b[(int) at] & 0xff) << 8 | (b[(int) at + 1] & 0xff);
    }

    static void putU64(byte[] b, long at, long v) {
        for (int i = 0; i < 8; i++) {
            b[(int) at + i] = (byte) (v >>> (56 - 8 * i));
        }
    }

    static void putU16(byte[] b, long at, int v) {
        b[(int) at] = (byte) (v >>> 8);
        b[(int) at + 1] = (byte) v;
    }
}
