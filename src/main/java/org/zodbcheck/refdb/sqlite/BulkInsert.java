package org.zodbcheck.refdb.sqlite;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Inserts rows made of a few values shared by many rows (the database name, the class, the
 * reference form) and a few integers that change with every row, {@value #ROWS} rows per
 * statement. Binding each value through JDBC costs more than SQLite's own work; binding the
 * shared values once per {@value #ROWS} rows makes writing the reference database about three
 * times faster (docs/PERFORMANCE.md).
 */
final class BulkInsert implements AutoCloseable {
    static final int ROWS = 128;

    /** The rows waiting for one combination of shared values. */
    private static final class Group {
        final List<Object> shared;
        final long[] values;
        int rows;

        Group(List<Object> shared, int width) {
            this.shared = shared;
            this.values = new long[ROWS * width];
        }
    }

    private final int sharedCount;
    private final int width;
    private final PreparedStatement full;
    private final PreparedStatement single;
    private final Map<List<Object>, Group> groups = new HashMap<>();

    /**
     * @param sharedColumns the columns whose value is shared by a group of rows
     * @param columns the integer columns that change with every row
     */
    BulkInsert(Connection conn, String table, List<String> sharedColumns, List<String> columns) throws SQLException {
        this.sharedCount = sharedColumns.size();
        this.width = columns.size();
        String head = "INSERT INTO " + table + " (" + String.join(", ", sharedColumns) + ", "
                + String.join(", ", columns) + ") VALUES ";
        this.full = conn.prepareStatement(head + values(ROWS));
        this.single = conn.prepareStatement(head + values(1));
    }

    /** {@code (?1, ?2, ?3, ?4), (?1, ?2, ?5, ?6), ...}: the shared values are numbered once. */
    private String values(int rows) {
        StringBuilder sb = new StringBuilder();
        int next = sharedCount + 1;
        for (int r = 0; r < rows; r++) {
            sb.append(r == 0 ? "(" : ", (");
            for (int s = 1; s <= sharedCount; s++) {
                sb.append('?').append(s).append(", ");
            }
            for (int c = 0; c < width; c++) {
                sb.append(c == 0 ? "?" : ", ?").append(next++);
            }
            sb.append(')');
        }
        return sb.toString();
    }

    /** Adds a row; {@code shared} must not change afterwards (it is the group's key). */
    void add(List<Object> shared, long... row) throws SQLException {
        Group g = groups.get(shared);
        if (g == null) {
            g = new Group(shared, width);
            groups.put(shared, g);
        }
        System.arraycopy(row, 0, g.values, g.rows * width, width);
        if (++g.rows == ROWS) {
            bindShared(full, g.shared);
            for (int i = 0; i < ROWS * width; i++) {
                full.setLong(sharedCount + 1 + i, g.values[i]);
            }
            full.executeUpdate();
            g.rows = 0;
        }
    }

    private void bindShared(PreparedStatement ps, List<Object> shared) throws SQLException {
        for (int s = 0; s < sharedCount; s++) {
            ps.setObject(s + 1, shared.get(s));
        }
    }

    /** Writes the rows still waiting, one statement each. */
    void flush() throws SQLException {
        for (Group g : groups.values()) {
            bindShared(single, g.shared);
            for (int r = 0; r < g.rows; r++) {
                long[] row = Arrays.copyOfRange(g.values, r * width, (r + 1) * width);
                for (int c = 0; c < width; c++) {
                    single.setLong(sharedCount + 1 + c, row[c]);
                }
                single.executeUpdate();
            }
            g.rows = 0;
        }
    }

    @Override
    public void close() throws SQLException {
        full.close();
        single.close();
    }
}
