package org.zodbcheck.refdb;

import java.nio.file.Path;
import java.util.List;
import org.zodbcheck.refdb.sqlite.SqliteRefDb;

/** Creates and opens reference databases (SQLite files, see {@link SqliteRefDb}). */
public final class ReferenceDatabases {
    private ReferenceDatabases() {
    }

    /**
     * Creates the reference database at {@code path}, replacing an earlier one; refuses to
     * replace anything else or any of {@code protectedFiles} (the storages and their indexes).
     *
     * @param source what was checked, for the metadata table
     */
    public static ReferenceDatabase create(Path path, List<Path> protectedFiles, String source)
            throws RefDbException {
        return SqliteRefDb.create(path, protectedFiles, source);
    }

    /** Opens an existing reference database for reading. */
    public static ReferenceDatabase open(Path path) throws RefDbException {
        return SqliteRefDb.open(path);
    }
}
