package org.zodbcheck.filestorage;

/**
 * A data record header (FORMAT.md §1.5), struct {@code >8s8sQQHQ} at {@code pos}:
 *
 * <pre>
 * 0  oid   8
 * 8  tid   8   should equal the transaction's tid
 * 16 prev  8   position of the previous record of this oid, 0 if none
 * 24 tloc  8   position of the transaction header (must be tpos)
 * 32 vlen  2   version name length (0 since ZODB 3.9)
 * 34 plen  8   pickle length; 0 means an 8-byte backpointer follows
 * 42 [vlen > 0: pnv 8, vprev 8, version name vlen]
 *    plen > 0: the two pickles; plen == 0: back 8 (0 = no data: deleted or creation undone)
 * </pre>
 *
 * @param pnv for version records, the position of the non-version data ({@code -1} otherwise)
 * @param back the backpointer when {@code plen == 0} ({@code -1} otherwise)
 */
public record DataHeader(long pos, long oid, long tid, long prev, long tloc, int vlen, long plen,
                         long pnv, long back) {
    /** {@code DATA_HDR_LEN}. */
    public static final int LENGTH = 42;

    /** Bytes between the fixed header and the pickle (version fields). */
    public long versionLength() {
        return vlen > 0 ? 16L + vlen : 0L;
    }

    /** File position of the pickle data (or of the backpointer). */
    public long dataPos() {
        return pos + LENGTH + versionLength();
    }

    /** The whole record length: {@code 42 + (plen > 0 ? plen : 8) + (vlen > 0 ? 16 + vlen : 0)}. */
    public long recordLength() {
        return LENGTH + versionLength() + (plen > 0 ? plen : 8);
    }

    public boolean hasData() {
        return plen > 0;
    }

    /** A backpointer record: plen == 0 (with {@code back == 0} meaning "no data"). */
    public boolean isBackpointer() {
        return plen == 0;
    }
}
