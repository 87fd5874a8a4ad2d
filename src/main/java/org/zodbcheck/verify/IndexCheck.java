package org.zodbcheck.verify;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.zodbcheck.check.Finding;
import org.zodbcheck.check.Kind;
import org.zodbcheck.check.Severity;
import org.zodbcheck.check.StructureFinding;
import org.zodbcheck.filestorage.Bytes;
import org.zodbcheck.filestorage.DataHeader;
import org.zodbcheck.filestorage.Oid;
import org.zodbcheck.filestorage.StorageFile;

/**
 * Compares {@code Data.fs.index} with the file, the way ZODB decides whether to use it
 * (FORMAT.md §2.1): an index ZODB ignores (unreadable, position below 100 or past the end,
 * failing the check of the last records before its position) is a {@code bad-index} warning;
 * one that passes that check but disagrees with the file elsewhere misleads ZODB and is an
 * error; one whose position is behind the end of the data is {@code stale-index} (info: ZODB
 * reads the rest itself). The index is streamed, never held in memory.
 */
public final class IndexCheck implements Verifier.BoundaryListener {
    private static final int SANITY_RECORDS = 5;

    private final StorageFile file;
    private final Path index;
    private final String db;
    private final Consumer<Finding> out;
    /** The position of an index ZODB would use, or -1. */
    private long usable = -1;
    private boolean compared;

    public IndexCheck(StorageFile file, String db, Consumer<Finding> out) {
        this.file = file;
        this.index = file.path().resolveSibling(file.path().getFileName() + ".index");
        this.db = db;
        this.out = out;
    }

    /** Reads the index's head and decides whether ZODB would use it. Call before verifying. */
    public void before() throws IOException {
        if (!Files.isRegularFile(index)) {
            return;
        }
        IndexFile.Head head;
        try {
            head = IndexFile.head(index);
        } catch (IndexFile.Unreadable e) {
            report(Severity.WARNING, Kind.BAD_INDEX, 0, e.offset(), "ZODB ignores it and rebuilds its index: "
                    + e.getMessage());
            return;
        } catch (IOException e) {
            // the index, not the storage: no permission, gone meanwhile
            report(Severity.WARNING, Kind.BAD_INDEX, 0, 0, "it cannot be read (" + reason(e) + "): not compared;"
                    + " ZODB running as this user would ignore it and rebuild its index");
            return;
        }
        if (head instanceof IndexFile.Legacy) {
            report(Severity.INFO, Kind.STALE_INDEX, 0, 0, "an index in the format of ZODB before 3.10 (one pickled"
                    + " dict): ZODB converts it; not compared");
            return;
        }
        long pos = ((IndexFile.Position) head).pos();
        if (pos < 100 || pos > file.size()) {
            report(Severity.WARNING, Kind.BAD_INDEX, pos, 0, "ZODB ignores it: its position " + pos + (pos < 100
                    ? " is below 100" : " is past the end of the data file (" + file.size() + " bytes): the file was"
                    + " truncated or replaced after the index was written"));
            return;
        }
        String insane = sanity(pos);
        if (insane != null) {
            report(Severity.WARNING, Kind.BAD_INDEX, pos, 0, "ZODB ignores it: " + insane);
            return;
        }
        usable = pos;
    }

    /**
     * ZODB's {@code _check_sanity}: walking back from the index position over the last
     * transactions that are not undone, the first five data records must be where the index
     * says. Returns why the index fails, or {@code null}.
     */
    private String sanity(long pos) throws IOException {
        Map<Long, Long> wanted = new HashMap<>();
        long at = pos;
        int checked = 0;
        while (checked < SANITY_RECORDS) {
            if (at - 8 < 4) {
                return "fewer than " + SANITY_RECORDS + " data records before its position " + pos;
            }
            long tl = file.readU64(at - 8);
            long tpos = at - tl - 8;
            if (tl < 0 || tpos < 4 || tpos > file.size() - 23) {
                return "no transaction ends at " + at;
            }
            byte[] h = file.read(tpos, 23);
            long hl = 23L + Bytes.u16(h, 17) + Bytes.u16(h, 19) + Bytes.u16(h, 21);
            if (Bytes.u64(h, 8) != tl || (h[16] != 'u' && h[16] != ' ' && h[16] != 'p') || tl < hl) {
                return "no transaction ends at " + at;
            }
            at = tpos;
            if (h[16] == 'u') {
                continue;
            }
            long tend = tpos + tl;
            for (long r = tpos + hl; r < tend && checked < SANITY_RECORDS; checked++) {
                if (tend - r < DataHeader.LENGTH) {
                    return "the transaction at " + tpos + " does not hold whole data records";
                }
                byte[] d = file.read(r, DataHeader.LENGTH);
                long plen = Bytes.u64(d, 34);
                int vlen = Bytes.u16(d, 32);
                long len = DataHeader.LENGTH + (vlen > 0 ? 16L + vlen : 0) + (plen == 0 ? 8 : plen);
                if (plen < 0 || len > tend - r || Bytes.u64(d, 24) != tpos) {
                    return "the transaction at " + tpos + " does not hold whole data records";
                }
                wanted.putIfAbsent(Bytes.u64(d, 0), r);
                r += len;
            }
        }
        Map<Long, Long> found = new HashMap<>();
        try {
            IndexFile.entries(index, (oid, p) -> {
                if (wanted.containsKey(oid)) {
                    found.put(oid, p);
                }
            });
        } catch (IndexFile.Unreadable e) {
            return e.getMessage() + " (at byte " + e.offset() + " of the index)";
        } catch (IOException e) {
            return "it cannot be read (" + reason(e) + ")";
        }
        for (Map.Entry<Long, Long> e : wanted.entrySet()) {
            Long p = found.get(e.getKey());
            if (p == null || p.longValue() != e.getValue()) {
                return "oid " + Oid.repr(e.getKey()) + " has its last record at " + e.getValue() + ", the index says "
                        + (p == null ? "nothing" : p);
            }
        }
        return null;
    }

    private static String reason(IOException e) {
        if (e instanceof java.nio.file.AccessDeniedException) {
            return "permission denied";
        }
        if (e instanceof java.nio.file.NoSuchFileException) {
            return "no such file";
        }
        return e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
    }

    /** At the index's position, every entry must be the file's last record of that oid. */
    @Override
    public void at(long pos, Verifier.Positions positions) throws IOException {
        if (pos != usable || compared) {
            return;
        }
        compared = true;
        List<String> wrong = new ArrayList<>();
        long[] counts = new long[3]; // entries, right, wrong for an oid the file has
        try {
            IndexFile.entries(index, (oid, p) -> {
                counts[0]++;
                long actual = positions.get(oid);
                if (actual == p) {
                    counts[1]++;
                    return;
                }
                counts[2] += actual != 0 ? 1 : 0;
                if (wrong.size() < 3) {
                    wrong.add(Oid.repr(oid) + " at " + p + (actual == 0 ? " (the file has no record of it)"
                            : " (the file: " + actual + ")"));
                }
            });
        } catch (IndexFile.Unreadable e) {
            report(Severity.ERROR, Kind.BAD_INDEX, usable, e.offset(), "ZODB uses it (it passes ZODB's check), but it"
                    + " cannot be read to the end: " + e.getMessage());
            return;
        } catch (IOException e) {
            report(Severity.WARNING, Kind.BAD_INDEX, usable, 0, "it could not be read a second time (" + reason(e)
                    + "): not compared");
            return;
        }
        long missing = positions.size() - counts[1] - counts[2];
        if (!wrong.isEmpty() || missing > 0) {
            report(Severity.ERROR, Kind.BAD_INDEX, usable, 0, "ZODB uses it (it passes ZODB's check of the last "
                    + "records), but it disagrees with the file: " + (counts[0] - counts[1]) + " of its " + counts[0]
                    + " entries are wrong" + (wrong.isEmpty() ? "" : " (" + String.join(", ", wrong) + ")") + ", "
                    + missing + " oid(s) of the file are missing from it:"
                    + " loads would read the wrong records");
        }
    }

    /** After verifying: an index position behind the end of the data, or one no transaction ends at. */
    public void after(long end) {
        if (usable < 0) {
            return;
        }
        if (!compared) {
            report(Severity.ERROR, Kind.BAD_INDEX, usable, 0, "ZODB uses it, but its position " + usable
                    + " is not where a readable transaction ends");
        } else if (usable < end) {
            report(Severity.INFO, Kind.STALE_INDEX, usable, 0, "it covers the data up to " + usable + " of " + end
                    + ": ZODB reads the last " + (end - usable) + " bytes itself when it opens the storage (normal after"
                    + " a crash or a kill)");
        }
    }

    private void report(Severity severity, Kind kind, long pos, long offset, String message) {
        out.accept(new StructureFinding(kind, severity, db, index.toString(), pos, offset, null, message));
    }
}
