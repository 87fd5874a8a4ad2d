package org.zodbcheck.refdb.sqlite;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Properties;
import org.zodbcheck.pickle.RefForm;
import org.zodbcheck.refdb.RefDbException;
import org.zodbcheck.refdb.ReferenceDatabase;

/**
 * The {@link ReferenceDatabase} in one SQLite file with every current object and every reference of the
 * checked databases, written by {@code check-refs -r} and read by {@code referrers} and
 * {@code path}, or by anyone with a {@code sqlite3} client. Schema (docs/refdb.md):
 *
 * <pre>
 * zodbcheck_meta(key TEXT PRIMARY KEY, value TEXT)   format = zodbcheck-refdb, version = 1, ...
 * objects(db, oid, class, tid, pos, size, reachable, state)     primary key (db, oid)
 * refs(referrer_db, referrer_oid, n, target_db, target_oid, form, strong)
 *                          primary key (target_db, target_oid, referrer_db, referrer_oid, n)
 * objects_hex, referrers: views with oids and tids as ZODB prints them (0x92)
 * </pre>
 *
 * Oids and tids are stored as signed 64-bit integers, as zc.zodbdgc prints them; SQLite reads
 * hex literals, so {@code WHERE target_oid = 0x92} works.
 */
public final class SqliteRefDb implements ReferenceDatabase {
    static final String FORMAT = ReferenceDatabase.FORMAT;
    static final int VERSION = ReferenceDatabase.VERSION;
    private static final byte[] SQLITE_HEADER = "SQLite format 3\0".getBytes(StandardCharsets.ISO_8859_1);

    /** ZODB's {@code oid_repr} in SQL: {@code 0x} and the hex digits, padded to an even count. */
    private static final String REPR = "'0x' || substr('0', 1, length(printf('%x', X)) % 2) || printf('%x', X)";

    // Tables are filled first and indexed afterwards, which is much faster than keeping indexes
    // up to date row by row; the hex forms are computed by views, not stored.
    private static final String META_TABLE = "CREATE TABLE zodbcheck_meta (key TEXT PRIMARY KEY, value TEXT)";
    // Both tables are clustered on their key and filled in key order, so that SQLite appends
    // and no index has to be sorted afterwards: objects on (db, oid), references on their
    // target, the question the reference database answers.
    private static final String OBJECTS_TABLE = "CREATE TABLE objects (db TEXT NOT NULL, oid INTEGER NOT NULL,"
            + " class TEXT, tid INTEGER, pos INTEGER, size INTEGER, reachable INTEGER NOT NULL, state TEXT NOT NULL,"
            + " PRIMARY KEY (db, oid)) WITHOUT ROWID";
    private static final String REFS_TABLE = "CREATE TABLE refs (referrer_db TEXT NOT NULL,"
            + " referrer_oid INTEGER NOT NULL, n INTEGER NOT NULL, target_db TEXT NOT NULL, target_oid INTEGER NOT NULL,"
            + " form TEXT NOT NULL, strong INTEGER NOT NULL,"
            + " PRIMARY KEY (target_db, target_oid, referrer_db, referrer_oid, n)) WITHOUT ROWID";
    private static final String[] SCHEMA = {META_TABLE, OBJECTS_TABLE, REFS_TABLE};
    private static final String[] INDEXES = {
        "CREATE VIEW objects_hex AS SELECT db, " + REPR.replace("X", "oid") + " AS oid, class, "
            + REPR.replace("X", "tid") + " AS tid, pos, size, reachable, state FROM objects",
        "CREATE VIEW referrers AS SELECT r.target_db, " + REPR.replace("X", "r.target_oid") + " AS target_oid,"
            + " r.referrer_db, " + REPR.replace("X", "r.referrer_oid") + " AS referrer_oid, o.class AS referrer_class,"
            + " o.reachable AS referrer_reachable, r.form, r.strong, r.target_oid AS target_oid_int,"
            + " r.referrer_oid AS referrer_oid_int"
            + " FROM refs r LEFT JOIN objects o ON o.db = r.referrer_db AND o.oid = r.referrer_oid",
    };

    /** Format of the part file that holds the references while both tables are written. */
    static final String PART_FORMAT = "zodbcheck-refdb-part";

    private final Path path;
    private final Connection conn;
    /**
     * The references are written to a second file beside the database ({@code NAME-refs}) by the
     * thread that passes them, while the objects go to the database itself: SQLite has one
     * writer per file, and the two tables then take the time of the larger instead of the sum.
     * {@link #finish} copies the part in (SQLite copies the records as they are) and removes it.
     */
    private final Path partPath;
    private Connection partConn;
    private BulkInsert objects;
    private BulkInsert refs;
    private final List<String> databases = new ArrayList<>();
    /** Set while this run writes the file: removes it if the run ends before {@link #finish}. */
    private Thread cleanup;
    private volatile boolean finished;

    private SqliteRefDb(Path path, Connection conn) {
        this.path = path;
        this.conn = conn;
        this.partPath = partOf(path);
    }

    static Path partOf(Path path) {
        return path.resolveSibling(path.getFileName() + "-refs");
    }

    /**
     * Creates the reference database at {@code path}, replacing an earlier one. Refuses to
     * replace anything else, and refuses the {@code protectedFiles} (the checked storages and
     * their {@code .index} files) whatever they hold.
     */
    public static SqliteRefDb create(Path path, List<Path> protectedFiles, String source) throws RefDbException {
        Path part = partOf(path);
        for (Path p : protectedFiles) {
            if (same(path, p)) {
                throw new RefDbException(path, "is a checked storage (or its index): refusing to write over it");
            }
            if (same(part, p)) {
                throw new RefDbException(path, "the file beside it for the references while they are written, "
                        + part + ", is a checked storage (or its index): refusing to write over it");
            }
        }
        if (Files.exists(part, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            // left by a run that was killed: ours to replace; anything else is not
            if (!isRefDb(part, PART_FORMAT)) {
                throw new RefDbException(path, "the references are written to " + part + " first, which exists and is"
                        + " not a part of a zodbcheck reference database: refusing to write over it");
            }
            try {
                Files.delete(part);
            } catch (IOException e) {
                throw new RefDbException(path, "cannot replace " + part + ": " + e.getMessage());
            }
        }
        if (Files.exists(path)) {
            if (!isRefDb(path)) {
                throw new RefDbException(path, "exists and is not a zodbcheck reference database: refusing to"
                        + " write over it");
            }
            try {
                Files.delete(path);
                Files.deleteIfExists(path.resolveSibling(path.getFileName() + "-journal"));
            } catch (IOException e) {
                throw new RefDbException(path, "cannot replace it: " + e.getMessage());
            }
        }
        Path dir = path.toAbsolutePath().getParent();
        if (dir != null && !Files.isDirectory(dir)) {
            throw new RefDbException(path, "cannot create it: no directory " + dir);
        }
        SqliteRefDb db = null;
        try {
            db = new SqliteRefDb(path, connect(path, false));
            db.partConn = connect(part, false);
            // A run that fails or is interrupted leaves no half-written file behind (it would
            // answer wrongly, and the next -r would have to refuse it as not a reference database).
            db.cleanup = new Thread(db::deleteUnfinished, "zodbcheck-refdb-cleanup");
            Runtime.getRuntime().addShutdownHook(db.cleanup);
            db.createSchema(source);
            return db;
        } catch (SQLException e) {
            if (db != null) {
                try {
                    db.close();
                } catch (IOException ignored) {
                    // the file is removed by close either way
                }
            }
            throw new RefDbException(path, "cannot create it: " + e.getMessage());
        }
    }

    private void deleteUnfinished() {
        try {
            Files.deleteIfExists(partPath);
            if (!finished) {
                Files.deleteIfExists(path);
                Files.deleteIfExists(path.resolveSibling(path.getFileName() + "-journal"));
            }
        } catch (IOException ignored) {
            // nothing more to do on the way out
        }
    }

    /** Opens an existing reference database for reading. */
    public static SqliteRefDb open(Path path) throws RefDbException {
        if (!Files.isRegularFile(path)) {
            throw new RefDbException(path, "no such reference database");
        }
        if (!isRefDb(path)) {
            throw new RefDbException(path, "is not a zodbcheck reference database (written by check-refs -r)");
        }
        SqliteRefDb db;
        try {
            db = new SqliteRefDb(path, connect(path, true));
        } catch (SQLException e) {
            throw new RefDbException(path, "cannot open it: " + e.getMessage());
        }
        try {
            String version = db.meta("version");
            String problem = !Integer.toString(VERSION).equals(version)
                    ? "is a reference database of version " + version + "; this zodbcheck reads version " + VERSION
                    : db.meta("databases") == null ? "is incomplete (the check-refs -r that wrote it did not finish)"
                    : null;
            if (problem != null) {
                db.close();
                throw new RefDbException(path, problem + ": write it again with check-refs -r");
            }
        } catch (IOException e) {
            throw new RefDbException(path, "cannot read it: " + e.getMessage());
        }
        return db;
    }

    /** A SQLite file whose zodbcheck_meta table says it is ours. */
    static boolean isRefDb(Path path) {
        return isRefDb(path, FORMAT);
    }

    private static boolean isRefDb(Path path, String format) {
        byte[] head = new byte[SQLITE_HEADER.length];
        try (InputStream in = Files.newInputStream(path)) {
            if (in.readNBytes(head, 0, head.length) != head.length || !Arrays.equals(head, SQLITE_HEADER)) {
                return false;
            }
        } catch (IOException e) {
            return false;
        }
        try (Connection c = connect(path, true); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT value FROM zodbcheck_meta WHERE key = 'format'")) {
            return rs.next() && format.equals(rs.getString(1));
        } catch (SQLException e) {
            return false;
        }
    }

    private static Connection connect(Path path, boolean readOnly) throws SQLException {
        Properties props = new Properties();
        if (readOnly) {
            props.setProperty("open_mode", "1"); // SQLITE_OPEN_READONLY
        }
        // The driver class directly: no DriverManager scan of the class path at start-up.
        Connection c = new org.sqlite.JDBC().connect("jdbc:sqlite:" + path, props);
        if (c == null) {
            throw new SQLException("the SQLite driver refused " + path);
        }
        return c;
    }

    private static boolean same(Path a, Path b) {
        try {
            if (Files.exists(a) && Files.exists(b)) {
                return Files.isSameFile(a, b);
            }
        } catch (IOException e) {
            // fall through to comparing the names
        }
        return landing(a).equals(landing(b));
    }

    /**
     * Where a file created at {@code p} would land: symbolic links followed even when their
     * target does not exist yet (a dangling {@code refs.db -> Data.fs.index} must not create the
     * storage's index), the directory resolved to its real path.
     */
    private static Path landing(Path p) {
        Path q = p.toAbsolutePath().normalize();
        for (int i = 0; i < 40 && Files.isSymbolicLink(q); i++) {
            try {
                q = q.resolveSibling(Files.readSymbolicLink(q)).toAbsolutePath().normalize();
            } catch (IOException e) {
                break;
            }
        }
        Path dir = q.getParent();
        if (dir != null && q.getFileName() != null) {
            try {
                return dir.toRealPath().resolve(q.getFileName());
            } catch (IOException e) {
                // a directory that does not exist: creating the file fails anyway
            }
        }
        return q;
    }

    private void createSchema(String source) throws SQLException {
        try (Statement st = conn.createStatement(); Statement part = partConn.createStatement()) {
            pragmas(st);
            pragmas(part);
            for (String sql : SCHEMA) {
                st.execute(sql);
            }
            part.execute(META_TABLE);
            part.execute(REFS_TABLE); // the same table, so that finish copies its records as they are
            part.execute("INSERT INTO zodbcheck_meta VALUES ('format', '" + PART_FORMAT + "')");
        }
        conn.setAutoCommit(false);
        partConn.setAutoCommit(false);
        try (PreparedStatement meta = conn.prepareStatement("INSERT INTO zodbcheck_meta VALUES (?, ?)")) {
            for (String[] kv : new String[][] {{"format", FORMAT}, {"version", Integer.toString(VERSION)},
                {"created", Instant.now().toString()}, {"source", source}}) {
                meta.setString(1, kv[0]);
                meta.setString(2, kv[1]);
                meta.executeUpdate();
            }
        }
        objects = new BulkInsert(conn, "objects", List.of("db", "class", "reachable", "state"),
                List.of("oid", "tid", "pos", "size"));
        refs = new BulkInsert(partConn, "refs", List.of("referrer_db", "target_db", "form", "strong"),
                List.of("referrer_oid", "n", "target_oid"));
    }

    private static void pragmas(Statement st) throws SQLException {
        // Written once, from scratch: no journal, no syncing, one transaction. Pages of 16 KB
        // (before the first table): fewer page splits while filling, a faster copy of the part.
        st.execute("PRAGMA page_size = 16384");
        st.execute("PRAGMA journal_mode = OFF");
        st.execute("PRAGMA synchronous = OFF");
        st.execute("PRAGMA locking_mode = EXCLUSIVE");
        st.execute("PRAGMA temp_store = MEMORY");
        st.execute("PRAGMA cache_size = -65536");
    }

    @Override
    public void object(String db, long oid, String className, long tid, long pos, long size, boolean reachable,
                       String state) throws IOException {
        try {
            if (databases.isEmpty() || !databases.get(databases.size() - 1).equals(db)) {
                databases.add(db);
            }
            objects.add(Arrays.asList(db, className, reachable ? 1 : 0, state), oid, tid, pos, size);
        } catch (SQLException e) {
            throw io(e);
        }
    }

    @Override
    public void reference(String referrerDb, long referrerOid, int n, String targetDb, long targetOid, RefForm form)
            throws IOException {
        try {
            refs.add(Arrays.asList(referrerDb, targetDb, form.label(), form.strong() ? 1 : 0), referrerOid, n,
                    targetOid);
        } catch (SQLException e) {
            throw io(e);
        }
    }

    @Override
    public void finish() throws IOException {
        try {
            objects.flush();
            refs.flush();
            copyPart();
            try (PreparedStatement meta = conn.prepareStatement("INSERT INTO zodbcheck_meta VALUES (?, ?)")) {
                meta.setString(1, "databases");
                meta.setString(2, String.join(" ", databases));
                meta.executeUpdate();
            }
            try (Statement st = conn.createStatement()) {
                for (String sql : INDEXES) {
                    st.execute(sql);
                }
            }
            conn.commit();
            finished = true;
        } catch (SQLException e) {
            throw io(e);
        }
    }

    /**
     * Copies the references from the part file into the database and removes the part. The
     * tables are alike and the target empty, so SQLite moves the records without decoding them
     * (its transfer optimisation), in key order. ATTACH needs no open transaction.
     */
    private void copyPart() throws SQLException, IOException {
        refs.close();
        partConn.commit();
        partConn.close();
        partConn = null;
        conn.commit();
        conn.setAutoCommit(true);
        try (PreparedStatement attach = conn.prepareStatement("ATTACH DATABASE ? AS part")) {
            attach.setString(1, partPath.toString());
            attach.execute();
        }
        try (Statement st = conn.createStatement()) {
            conn.setAutoCommit(false);
            st.execute("INSERT INTO main.refs SELECT * FROM part.refs");
            conn.commit();
            conn.setAutoCommit(true);
            st.execute("DETACH DATABASE part");
        }
        conn.setAutoCommit(false);
        Files.delete(partPath);
    }

    @Override
    public List<Referrer> referrers(String db, long oid) throws IOException {
        String sql = "SELECT r.referrer_db, r.referrer_oid, o.class, o.reachable, r.form, r.strong FROM refs r"
                + " LEFT JOIN objects o ON o.db = r.referrer_db AND o.oid = r.referrer_oid"
                + " WHERE r.target_db = ? AND r.target_oid = ? ORDER BY r.referrer_db, r.referrer_oid";
        List<Referrer> out = new ArrayList<>();
        try (PreparedStatement ps = conn.prepareStatement(sql)) {
            ps.setString(1, db);
            ps.setLong(2, oid);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(new Referrer(rs.getString(1), rs.getLong(2), rs.getString(3), rs.getInt(4) == 1,
                            rs.getString(5), rs.getInt(6) == 1));
                }
            }
        } catch (SQLException e) {
            throw io(e);
        }
        return out;
    }

    @Override
    public ObjectRow object(String db, long oid) throws IOException {
        String sql = "SELECT class, tid, pos, size, reachable, state FROM objects WHERE db = ? AND oid = ?";
        try (PreparedStatement ps = conn.prepareStatement(sql)) {
            ps.setString(1, db);
            ps.setLong(2, oid);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? new ObjectRow(db, oid, rs.getString(1), rs.getLong(2), rs.getLong(3), rs.getLong(4),
                        rs.getInt(5) == 1, rs.getString(6)) : null;
            }
        } catch (SQLException e) {
            throw io(e);
        }
    }

    @Override
    public List<String> databases() throws IOException {
        String names = meta("databases");
        return names != null && !names.isEmpty() ? List.of(names.split(" ")) : List.of();
    }

    @Override
    public String meta(String key) throws IOException {
        try (PreparedStatement st = conn.prepareStatement("SELECT value FROM zodbcheck_meta WHERE key = ?")) {
            st.setString(1, key);
            try (ResultSet rs = st.executeQuery()) {
                return rs.next() ? rs.getString(1) : null;
            }
        } catch (SQLException e) {
            throw io(e);
        }
    }

    private IOException io(SQLException e) {
        return new IOException(path + ": " + e.getMessage(), e);
    }

    @Override
    public Path path() {
        return path;
    }

    @Override
    public void close() throws IOException {
        try {
            if (objects != null) {
                objects.close();
                refs.close();
            }
            if (partConn != null) {
                partConn.close();
            }
            conn.close();
        } catch (SQLException e) {
            throw io(e);
        } finally {
            if (cleanup != null) {
                deleteUnfinished();
                try {
                    Runtime.getRuntime().removeShutdownHook(cleanup);
                } catch (IllegalStateException shuttingDown) {
                    // the hook runs anyway
                }
                cleanup = null;
            }
        }
    }

}
