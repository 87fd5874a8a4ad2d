package org.zodbcheck.config;

import java.nio.file.Path;

/**
 * One database of a configuration.
 *
 * @param name the database name cross-database references use ({@code database-name}, else the
 *     section name, else {@code ""})
 * @param path its Data.fs
 * @param blobDir its blob directory, or {@code null}
 * @param implicitCrossReferences {@code allow-implicit-cross-references} (default true)
 * @param zlib wrapped in {@code <zlibstorage>} (records may be compressed; they are read either way)
 * @param origin {@code file:line} of the section, for messages
 * @param blobDirRequired whether blob records without a {@code blobDir} are a finding: false for a
 *     database given by {@code -f NAME=PATH} whose configuration names no blob directory (a ZEO
 *     client's): as for a Data.fs given by path, there is nothing to check its blobs against
 */
public record DatabaseConfig(String name, Path path, Path blobDir, boolean implicitCrossReferences, boolean zlib,
                             String origin, boolean blobDirRequired) {
}
