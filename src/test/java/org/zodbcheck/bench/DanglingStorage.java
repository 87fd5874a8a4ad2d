package org.zodbcheck.bench;

import java.nio.file.Path;
import org.zodbcheck.testing.FileStorageBuilder;

/**
 * Writes the storage bench/findings.sh measures: a root (oid 0) that refers to FOLDERS folders
 * (oids 1..FOLDERS), each of which refers to REFS objects that were never written (oids from
 * 2^32 on, each missing once). That is FOLDERS x REFS POSKeyErrors, the shape of a site after a
 * pack with a wrong reference database or a lost mounted database.
 *
 * <pre>java -cp target/test-classes:target/classes org.zodbcheck.bench.DanglingStorage FOLDERS REFS OUT</pre>
 */
public final class DanglingStorage {
    private DanglingStorage() {
    }

    public static void main(String[] args) {
        if (args.length != 3) {
            System.err.println("usage: DanglingStorage FOLDERS REFS OUT/Data.fs");
            System.exit(2);
        }
        int folders = Integer.parseInt(args[0]);
        int refs = Integer.parseInt(args[1]);
        FileStorageBuilder b = new FileStorageBuilder();
        long[] kids = new long[folders];
        for (int i = 0; i < folders; i++) {
            kids[i] = i + 1;
        }
        b.txn().data(0, FileStorageBuilder.pickle("persistent.mapping", "PersistentMapping", kids)).end();
        long missing = 1L << 32;
        for (int i = 0; i < folders; i++) {
            long[] targets = new long[refs];
            for (int j = 0; j < refs; j++) {
                targets[j] = missing++;
            }
            b.txn().data(i + 1, FileStorageBuilder.pickle("OFS.Folder", "Folder", targets)).end();
        }
        b.write(Path.of(args[2]));
    }
}
