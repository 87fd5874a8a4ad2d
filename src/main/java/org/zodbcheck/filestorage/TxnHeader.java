package org.zodbcheck.filestorage;

/**
 * A transaction header (FORMAT.md §1.2), struct {@code >8sQcHHH} at {@code tpos}:
 *
 * <pre>
 * 0  tid     8   transaction id (a TimeStamp)
 * 8  tlen    8   length without the trailing 8-byte copy of tlen
 * 16 status  1   ' ' committed, 'p' packed, 'u' undone (legacy), 'c' checkpoint (unfinished)
 * 17 ulen    2   user length
 * 19 dlen    2   description length
 * 21 elen    2   extension length
 * 23 user, description, extension, then the data records up to tpos + tlen
 * </pre>
 */
public record TxnHeader(long tpos, long tid, long tlen, byte status, int ulen, int dlen, int elen) {
    /** {@code TRANS_HDR_LEN}. */
    public static final int LENGTH = 23;

    /** Reads the fixed part at {@code off} of {@code b}; {@code tpos} is its file position. */
    public static TxnHeader parse(byte[] b, int off, long tpos) {
        return new TxnHeader(tpos, Bytes.u64(b, off), Bytes.u64(b, off + 8), b[off + 16],
                Bytes.u16(b, off + 17), Bytes.u16(b, off + 19), Bytes.u16(b, off + 21));
    }

    /** Header length including user, description and extension. */
    public int headerLength() {
        return LENGTH + ulen + dlen + elen;
    }

    /** Position just after the last data record, where the redundant tlen sits. */
    public long tend() {
        return tpos + tlen;
    }

    /** Position of the next transaction. */
    public long next() {
        return tpos + tlen + 8;
    }

    public long firstRecord() {
        return tpos + headerLength();
    }

    /** The status byte as fstest and the docs show it: {@code ' '}, {@code 'p'}, or a hex escape. */
    public String statusText() {
        return statusText(status);
    }

    static String statusText(byte status) {
        if (status >= 0x20 && status < 0x7f) {
            return "'" + (char) status + "'";
        }
        return String.format("'\\x%02x'", status & 0xff);
    }
}
