package org.zodbcheck.filestorage;

/**
 * The four bytes at the start of a {@code Data.fs} (FORMAT.md §1.1).
 *
 * <p>The magic says which Python wrote the file header, not how the records are pickled:
 * FS21 files written by ZODB 5.4+ hold protocol-3 pickles and converted FS30 files may still
 * hold Python 2 pickles. It is reported, never used to pick a decoder.
 */
public enum Magic {
    /** Written by ZODB on Python 2. */
    FS21,
    /** Written by ZODB on Python 3 (or converted by zodbupdate). */
    FS30;

    /** The magic for the four given bytes, or {@code null} if they are not a FileStorage magic. */
    static Magic of(byte[] b) {
        if (b.length < 4 || b[0] != 'F' || b[1] != 'S') {
            return null;
        }
        if (b[2] == '2' && b[3] == '1') {
            return FS21;
        }
        if (b[2] == '3' && b[3] == '0') {
            return FS30;
        }
        return null;
    }
}
