package org.zodbcheck.inspect;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.zodbcheck.filestorage.DataHeader;
import org.zodbcheck.filestorage.FileStorageException;
import org.zodbcheck.filestorage.FileStorageReader;
import org.zodbcheck.filestorage.StorageFile;
import org.zodbcheck.filestorage.TxnHeader;

/** Single data records and their transactions, as {@code show} prints them. */
public final class Records {
    /** Backpointer chains longer than this are reported as broken (ZODB would loop too). */
    private static final int MAX_CHAIN = 10_000;

    private Records() {
    }

    /**
     * A data record with its transaction.
     *
     * @param plen length of the record's own data (0 for a backpointer record)
     * @param back the backpointer (0: no data), or -1 when the record has data
     */
    public record Revision(long pos, long oid, long tid, long prev, long tpos, byte status, byte[] user,
                           byte[] description, long plen, long back, int vlen) {
    }

    /** The data record at {@code pos} and its transaction (header fields, user and description). */
    public static Revision at(StorageFile file, long pos, long goodEnd) throws FileStorageException, IOException {
        DataHeader h = file.readDataHeader(pos, goodEnd);
        TxnHeader t = file.readTxnHeader(h.tloc());
        return revision(file, h, t);
    }

    private static Revision revision(StorageFile file, DataHeader h, TxnHeader t) throws IOException {
        long textEnd = t.tpos() + TxnHeader.LENGTH + t.ulen() + (long) t.dlen();
        boolean fits = textEnd <= file.size();
        byte[] user = fits ? file.read(t.tpos() + TxnHeader.LENGTH, t.ulen()) : new byte[0];
        byte[] desc = fits ? file.read(t.tpos() + TxnHeader.LENGTH + t.ulen(), t.dlen()) : new byte[0];
        return new Revision(h.pos(), h.oid(), h.tid(), h.prev(), t.tpos(), t.status(), user, desc, h.plen(), h.back(),
                h.vlen());
    }

    /**
     * Every record of {@code oid} in the part of the file ZODB reads, oldest first, found by
     * reading every header (not by following prev pointers, which a pack resets and damage
     * can break).
     */
    public static List<Revision> history(StorageFile file, long oid) throws IOException {
        FileStorageReader r = new FileStorageReader(file, p -> { });
        List<Revision> out = new ArrayList<>();
        while (r.nextTransaction() != null) {
            while (r.nextRecord()) {
                if (r.oid() == oid) {
                    out.add(revision(file, r.dataHeader(), r.transaction()));
                }
            }
        }
        return out;
    }

    /**
     * The positions a backpointer record leads through, ending at the record that holds the
     * data (or at a zero backpointer: no data). A chain that leaves the data, changes oid or
     * loops ends with a {@code -1}.
     */
    public static List<Long> backpointers(StorageFile file, long pos, long goodEnd) throws IOException {
        List<Long> chain = new ArrayList<>();
        Set<Long> seen = new HashSet<>();
        long oid = -1;
        long at = pos;
        while (chain.size() < MAX_CHAIN) {
            DataHeader h;
            try {
                h = file.readDataHeader(at, goodEnd);
            } catch (FileStorageException e) {
                chain.add(-1L);
                return chain;
            }
            if (!seen.add(at) || (oid != -1 && h.oid() != oid)) {
                chain.add(-1L);
                return chain;
            }
            oid = h.oid();
            if (h.hasData()) {
                return chain;
            }
            long next = h.back();
            chain.add(next);
            if (next == 0) {
                return chain;
            }
            at = next;
        }
        chain.add(-1L);
        return chain;
    }
}
