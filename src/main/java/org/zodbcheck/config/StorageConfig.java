package org.zodbcheck.config;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Finds the databases in ZODB, Zope and ZEO configuration files (FORMAT.md §5.2): {@code <zodb
 * NAME>} and Zope's {@code <zodb_db NAME>} sections with a {@code <filestorage>}, possibly inside
 * {@code <blobstorage>} and {@code <zlibstorage>}; a ZEO server's top-level {@code <filestorage>}.
 * Storages zodbcheck cannot read (a ZEO client, RelStorage, memory storages) are an error unless
 * {@code -f NAME=PATH} says where their Data.fs is.
 *
 * <p>Relative paths stay relative: they resolve against the current directory, as ZConfig and
 * zc.zodbdgc resolve them.
 */
public final class StorageConfig {
    /** What the configuration files say, and what was ignored on the way. */
    public record Result(List<DatabaseConfig> databases, List<String> notices) {
    }

    private static final Set<String> DATABASE_SECTIONS = Set.of("zodb", "zodb_db");
    private static final Set<String> DATABASE_KEYS = Set.of("database-name", "allow-implicit-cross-references",
            "cache-size", "cache-size-bytes", "large-record-size", "pool-size", "pool-timeout",
            "historical-pool-size", "historical-cache-size", "historical-cache-size-bytes", "historical-timeout",
            // zope.conf <zodb_db>
            "mount-point", "container-class", "connection-class", "class-factory");
    private static final Set<String> FILESTORAGE_KEYS = Set.of("path", "blob-dir", "read-only", "create", "quota",
            "packer", "pack-gc", "pack-keep-old", "pack-blob-keep-old");
    private static final Set<String> BLOBSTORAGE_KEYS = Set.of("blob-dir");
    private static final Set<String> ZLIB_KEYS = Set.of("compress");
    /** Storages that keep nothing on disk: nothing to check. */
    private static final Set<String> MEMORY_ONLY = Set.of("temporarystorage");
    /** Storages zodbcheck cannot read; -f NAME=PATH can point it at the Data.fs they serve. */
    private static final Set<String> NOT_A_FILE = Set.of("zeoclient", "relstorage", "mappingstorage",
            "demostorage", "beforestorage", "zrs", "zeoclientstorage");

    private final Map<String, Path> overrides;
    private final Map<String, DatabaseConfig> databases = new LinkedHashMap<>();
    private final List<String> notices = new ArrayList<>();
    private final Set<String> usedOverrides = new java.util.HashSet<>();

    private StorageConfig(Map<String, Path> overrides) {
        this.overrides = overrides;
    }

    /**
     * Reads the databases of {@code files}, together (names must be unique across them).
     *
     * @param overrides database name to Data.fs path ({@code -f NAME=PATH}), replacing what the
     *     configuration says about that database's storage
     */
    public static Result read(List<Path> files, Map<String, Path> overrides) throws ConfigException {
        StorageConfig c = new StorageConfig(overrides);
        for (Path f : files) {
            c.file(f);
        }
        for (String name : overrides.keySet()) {
            if (!c.usedOverrides.contains(name)) {
                throw new ConfigException(files.get(0).toString(), 0, "-f " + name + "=...: no database named '"
                        + name + "' in the configuration (it has: " + String.join(", ", c.databases.keySet()) + ")");
            }
        }
        if (c.databases.isEmpty()) {
            throw new ConfigException(files.get(0).toString(), 0, "no database found: expected <zodb NAME> (or"
                    + " <zodb_db NAME>) sections with a <filestorage>, or a top-level <filestorage>");
        }
        return new Result(List.copyOf(c.databases.values()), List.copyOf(c.notices));
    }

    private void file(Path f) throws ConfigException {
        Section root = ZConfigParser.parse(f);
        List<Section> topStorages = new ArrayList<>();
        for (Section s : root.children()) {
            if (DATABASE_SECTIONS.contains(s.type())) {
                database(s);
            } else if (isStorage(s.type())) {
                topStorages.add(s);
            } else {
                notices.add(where(s) + ": section " + s.header() + " ignored (not a database)");
            }
        }
        // A ZEO server's zeo.conf: storages at the top level. One is the database 'main'.
        for (Section s : topStorages) {
            String name = topStorages.size() == 1 ? "main" : s.name() != null ? s.name() : "";
            addDatabase(name, s, true, null);
        }
    }

    private void database(Section db) throws ConfigException {
        String name = db.get("database-name");
        if (name == null) {
            name = db.name() != null ? db.name() : "";
        }
        for (Section.Entry e : db.entries()) {
            if (!DATABASE_KEYS.contains(e.key())) {
                notices.add(db.file() + ":" + e.line() + ": unknown key '" + e.key() + "' in " + db.header() + " ignored");
            }
        }
        boolean xrefs = bool(db, "allow-implicit-cross-references", true);
        List<Section> storages = db.children().stream().filter(s -> isStorage(s.type())).toList();
        for (Section s : db.children()) {
            if (!isStorage(s.type())) {
                throw new ConfigException(s.file(), s.line(), "unknown section " + s.header() + " in " + db.header());
            }
        }
        if (storages.size() != 1) {
            throw new ConfigException(db.file(), db.line(), db.header() + " needs exactly one storage section, it has "
                    + storages.size());
        }
        addDatabase(name, storages.get(0), xrefs, db);
    }

    private void addDatabase(String name, Section storage, boolean xrefs, Section db) throws ConfigException {
        Section at = db != null ? db : storage;
        if (databases.containsKey(name)) {
            throw new ConfigException(at.file(), at.line(), "database name '" + name + "' is used twice");
        }
        Path override = overrides.get(name);
        if (override != null) {
            usedOverrides.add(name);
        }
        if (override == null && MEMORY_ONLY.contains(storage.type())) {
            notices.add(where(storage) + ": database '" + name + "' is a " + storage.header()
                    + " (kept in memory only): nothing to check");
            return;
        }
        Storage s = storage(storage, override != null);
        Path path = override != null ? override : s.path();
        boolean blobDirRequired = override == null || s.blobDir() != null;
        if (!blobDirRequired) {
            notices.add(where(at) + ": database '" + name + "' is given by -f " + name + "=" + override
                    + " and its configuration names no blob directory: its blob files are not checked");
        }
        databases.put(name, new DatabaseConfig(name, path, s.blobDir(), xrefs, s.zlib(), where(at), blobDirRequired));
    }

    /** What a storage section leads to. */
    private record Storage(Path path, Path blobDir, boolean zlib) {
    }

    private Storage storage(Section s, boolean overridden) throws ConfigException {
        switch (s.type()) {
            case "filestorage" -> {
                keys(s, FILESTORAGE_KEYS);
                Path path = pathValue(s, "path");
                if (path == null && !overridden) {
                    throw new ConfigException(s.file(), s.line(), s.header() + " needs a 'path'");
                }
                return new Storage(path, pathValue(s, "blob-dir"), false);
            }
            case "blobstorage" -> {
                keys(s, BLOBSTORAGE_KEYS);
                Path blobDir = pathValue(s, "blob-dir");
                if (blobDir == null) {
                    throw new ConfigException(s.file(), s.line(), s.header() + " needs a 'blob-dir'");
                }
                Storage inner = inner(s, overridden);
                return new Storage(inner.path(), blobDir, inner.zlib());
            }
            case "zlibstorage" -> {
                keys(s, ZLIB_KEYS);
                Storage inner = inner(s, overridden);
                return new Storage(inner.path(), inner.blobDir(), true);
            }
            default -> {
                if (overridden) {
                    return new Storage(null, null, false);
                }
                throw new ConfigException(s.file(), s.line(), s.header() + " is not a file zodbcheck can read;"
                        + " point zodbcheck at the Data.fs it serves (on the ZEO server) with -f NAME=PATH");
            }
        }
    }

    private Storage inner(Section s, boolean overridden) throws ConfigException {
        List<Section> inner = s.children();
        if (inner.size() != 1 || !isStorage(inner.get(0).type())) {
            throw new ConfigException(s.file(), s.line(), s.header() + " must wrap exactly one storage section");
        }
        return storage(inner.get(0), overridden);
    }

    private void keys(Section s, Set<String> known) {
        for (Section.Entry e : s.entries()) {
            if (!known.contains(e.key())) {
                notices.add(s.file() + ":" + e.line() + ": unknown key '" + e.key() + "' in " + s.header() + " ignored");
            }
        }
    }

    private static boolean isStorage(String type) {
        return type.equals("filestorage") || type.equals("blobstorage") || type.equals("zlibstorage")
                || MEMORY_ONLY.contains(type) || NOT_A_FILE.contains(type) || type.endsWith("storage");
    }

    private static boolean bool(Section s, String key, boolean dflt) throws ConfigException {
        String v = s.get(key);
        if (v == null) {
            return dflt;
        }
        switch (v.toLowerCase(Locale.ROOT)) {
            case "true", "yes", "on" -> {
                return true;
            }
            case "false", "no", "off" -> {
                return false;
            }
            default -> throw new ConfigException(s.file(), s.lineOf(key), "'" + key + "' must be true or false, not '"
                    + v + "'");
        }
    }

    /** A path as ZConfig reads it: {@code ~} expanded, relative to the current directory. */
    static Path path(String value) {
        if (value.equals("~") || value.startsWith("~/")) {
            return Path.of(System.getProperty("user.home") + value.substring(1));
        }
        return Path.of(value);
    }

    /**
     * The path {@code key} names, or {@code null} without the key. A key without a value is an
     * error, as in ZConfig: read as a path it would be the current directory.
     */
    private static Path pathValue(Section s, String key) throws ConfigException {
        String value = s.get(key);
        if (value != null && value.isBlank()) {
            throw new ConfigException(s.file(), s.lineOf(key), "'" + key + "' in " + s.header() + " has no value");
        }
        return value == null ? null : path(value);
    }

    private static String where(Section s) {
        return s.file() + ":" + s.line();
    }
}
