package org.zodbcheck.check;

import java.io.IOException;
import org.zodbcheck.pickle.RefForm;

/**
 * Receives every current object and every reference of the checked databases once the walk is
 * done (what the reference database stores): the objects by oid, the references by target.
 * The two come from two threads at the same time when the check runs on several (never two
 * calls of {@link #object} at once, nor two of {@link #reference}).
 */
public interface GraphListener {
    /**
     * @param className the class from the class pickle, or {@code null}
     * @param tid tid of the current record
     * @param pos file position of the current record
     * @param size length of the current data (after backpointers), 0 for none
     * @param state {@code data}, {@code no-data} (deleted or creation undone), {@code unloadable}
     *     (broken backpointer) or {@code unreadable} (data that cannot be parsed)
     */
    void object(String db, long oid, String className, long tid, long pos, long size, boolean reachable,
                String state) throws IOException;

    /**
     * One persistent reference of a current record; listed as often as it occurs.
     *
     * @param n the reference's number among the referrer's references (0, 1, ...: those into the
     *     referrer's own database in pickle order, then those into other databases)
     */
    void reference(String referrerDb, long referrerOid, int n, String targetDb, long targetOid, RefForm form)
            throws IOException;
}
