package org.zodbcheck.check;

import java.nio.file.Path;

/**
 * A database to check.
 *
 * @param name what cross-database references call it
 * @param path its Data.fs
 * @param blobDir its blob directory, or {@code null} when blob files are not to be checked
 * @param implicitCrossReferences false when its configuration says
 *     {@code allow-implicit-cross-references false} (its references into other databases are then
 *     {@code bad-xref} warnings)
 * @param blobDirRequired when {@code blobDir} is null: true if blob records must then be
 *     reported (a configuration that names no blob directory), false if blob files are simply
 *     not checked (a bare Data.fs without {@code --blob-dir})
 */
public record Database(String name, Path path, Path blobDir, boolean implicitCrossReferences,
                       boolean blobDirRequired) {
    /** A bare Data.fs: no blob files checked, cross-database references allowed. */
    public Database(String name, Path path) {
        this(name, path, null, true, false);
    }
}
