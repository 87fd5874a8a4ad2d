package org.zodbcheck.refdb;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.zodbcheck.check.GraphListener;

/**
 * The reference database written by {@code check-refs -r}: every current object and every
 * reference of the checked databases, in one SQLite file (docs/refdb.md). Made by
 * {@link ReferenceDatabases}.
 */
public interface ReferenceDatabase extends GraphListener, AutoCloseable {
    String FORMAT = "zodbcheck-refdb";
    int VERSION = 1;

    /** An object that refers to a given one. */
    record Referrer(String db, long oid, String className, boolean reachable, String form, boolean strong) {
    }

    /** A row of the objects table. */
    record ObjectRow(String db, long oid, String className, long tid, long pos, long size, boolean reachable,
                     String state) {
    }

    /** Writes what is pending, builds the indexes and commits (after writing). */
    void finish() throws IOException;

    /** Every reference to {@code (db, oid)}, one per occurrence, in referrer order. */
    List<Referrer> referrers(String db, long oid) throws IOException;

    /** The object row of {@code (db, oid)}, or {@code null}. */
    ObjectRow object(String db, long oid) throws IOException;

    /** The database names in the objects table, in the order they were checked. */
    List<String> databases() throws IOException;

    /** A value of the {@code zodbcheck_meta} table ({@code source}, {@code created}, ...), or {@code null}. */
    String meta(String key) throws IOException;

    Path path();

    @Override
    void close() throws IOException;
}
