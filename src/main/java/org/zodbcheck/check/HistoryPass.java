package org.zodbcheck.check;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BiFunction;
import org.zodbcheck.filestorage.FileStorageReader;
import org.zodbcheck.filestorage.TxnHeader;
import org.zodbcheck.pickle.PickleScanner;
import org.zodbcheck.pickle.RefForm;

/**
 * {@code check-refs --history}: the strong references of every older revision (records with
 * data that are no object's current data) to objects that cannot be loaded now. Undoing back to
 * such a revision, or restoring it, would bring a POSKeyError back: {@code history-dangling}
 * (info), one per referrer and target, naming the newest revision that holds the reference.
 * References the current revision still holds are left out (check-refs reports those).
 */
final class HistoryPass {
    /** Why {@code (db, oid)} cannot be loaded, or {@code null} when it can (or the database is not checked). */
    interface Loadability extends BiFunction<String, Long, Cause> {
    }

    /** What the current revisions refer to, per referrer: to leave those references out. */
    interface CurrentTargets {
        Set<String> of(int idx);
    }

    /** A reference of an old revision to an object that cannot be loaded. */
    record Old(int idx, long oid, long tid, long pos, String targetDb, long target, RefForm form, String klass,
               Cause cause) {
    }

    private final StorageIndex index;
    private final long maxRecord;
    private final Loadability loadable;
    private final CurrentTargets current;

    HistoryPass(StorageIndex index, long maxRecord, Loadability loadable, CurrentTargets current) {
        this.index = index;
        this.maxRecord = maxRecord;
        this.loadable = loadable;
        this.current = current;
    }

    /** The references, newest revision per (referrer, target), in file order of that revision. */
    List<Old> run() throws IOException {
        Map<String, Old> newest = new LinkedHashMap<>();
        FileStorageReader reader = new FileStorageReader(index.file, p -> { });
        PickleScanner scanner = new PickleScanner();
        RecordData data = new RecordData(maxRecord);
        String db = index.db.name();
        TxnHeader txn;
        while ((txn = reader.nextTransaction()) != null) {
            if (txn.status() == 'u') {
                continue;
            }
            while (reader.nextRecord()) {
                int idx = index.oids.find(reader.oid());
                if (reader.plen() <= 0 || reader.plen() > maxRecord || idx < 0 || index.dataPos.get(idx) == reader.pos()) {
                    continue;
                }
                byte[] raw = index.file.read(reader.dataHeader().dataPos(), (int) reader.plen());
                if (!data.load(raw, 0, raw.length)) {
                    continue;
                }
                long oid = reader.oid();
                long tid = reader.tid();
                long pos = reader.pos();
                List<Old> found = new ArrayList<>();
                scanner.scan(data.data(), data.off(), data.len(), pid -> {
                    if (pid.form() == RefForm.MALFORMED || !pid.form().strong()) {
                        return;
                    }
                    String tdb = pid.database() != null ? pid.database() : db;
                    Cause cause = loadable.apply(tdb, pid.oid());
                    if (cause != null) {
                        found.add(new Old(idx, oid, tid, pos, tdb, pid.oid(), pid.form(), pid.klass(), cause));
                    }
                });
                Set<String> now = found.isEmpty() ? Set.of() : current.of(idx);
                Set<String> seen = new HashSet<>();
                for (Old o : found) {
                    String target = o.targetDb() + ":" + o.target();
                    if (!now.contains(target) && seen.add(target)) {
                        String key = oid + " " + target;
                        newest.remove(key);
                        newest.put(key, o);
                    }
                }
            }
        }
        data.close();
        return new ArrayList<>(newest.values());
    }
}
