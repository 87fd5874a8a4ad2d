package org.zodbcheck.check;

import java.io.IOException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.slf4j.LoggerFactory;
import org.zodbcheck.filestorage.BlobLayout;
import org.zodbcheck.filestorage.DataHeader;
import org.zodbcheck.filestorage.FileStorageException;
import org.zodbcheck.filestorage.Oid;
import org.zodbcheck.filestorage.Tid;

/**
 * Blob files (FORMAT.md §4): every current blob record must have its file, named from the oid
 * and the tid of the current record, in the blob directory; files no record accounts for are
 * orphans. A blob directory that is missing (or none configured) gives one finding, not one per
 * blob.
 */
final class BlobCheck {
    /** Receives a finding and the position to sort it by. */
    interface Out {
        void add(BlobFinding f, long sortPos);
    }

    private final StorageIndex index;
    private final Database db;
    private final java.util.function.IntPredicate reachable;
    private final Out out;

    private final long flagged;

    /** @param flagged how many objects the reference pass flagged as blobs (none: no search for them) */
    BlobCheck(StorageIndex index, long flagged, java.util.function.IntPredicate reachable, Out out) {
        this.index = index;
        this.flagged = flagged;
        this.db = index.db;
        this.reachable = reachable;
        this.out = out;
    }

    /** Checks the database's blob files; returns the number of blob objects with data. */
    long run() throws IOException {
        Map<Integer, Long> blobs = new HashMap<>(); // idx -> tid of the current record
        for (int idx = 0; flagged > 0 && idx < index.size(); idx++) {
            if (index.hasData(idx) && index.is(idx, StorageIndex.BLOB)) {
                blobs.put(idx, header(index.currentPos.get(idx)).tid());
            }
        }
        Path dir = db.blobDir();
        if (dir == null) {
            if (db.blobDirRequired() && !blobs.isEmpty()) {
                whole(null, "database '" + db.name() + "' has " + blobs.size() + " blob records but no blob-dir is"
                        + " configured: none of their files can be found");
            }
            return blobs.size();
        }
        if (!Files.isDirectory(dir)) {
            if (!blobs.isEmpty()) {
                whole(dir, "the blob directory " + dir + (Files.exists(dir) ? " is not a directory" : " does not exist")
                        + ": the files of " + blobs.size() + " blob records are missing");
            }
            return blobs.size();
        }
        BlobLayout layout;
        try {
            layout = BlobLayout.of(dir);
        } catch (FileSystemException e) {
            if (!blobs.isEmpty()) {
                whole(dir, "the blob directory " + dir + " cannot be read (" + reason(e) + "): the files of "
                        + blobs.size() + " blob records cannot be found");
            }
            return blobs.size();
        }
        if (layout == null || layout == BlobLayout.ZEOCACHE) {
            whole(dir, layout == null ? "the blob directory " + dir + " has an unknown layout in its .layout file: '"
                    + BlobLayout.marker(dir) + "' (zodbcheck reads bushy and lawn)"
                    : "the blob directory " + dir + " is a ZEO client's blob cache (layout zeocache), not a"
                    + " storage's blob directory: point blob-dir at the server's blob directory");
            return blobs.size();
        }
        current(blobs, dir, layout);
        orphans(blobs, dir, layout);
        return blobs.size();
    }

    private void current(Map<Integer, Long> blobs, Path dir, BlobLayout layout) throws IOException {
        for (Map.Entry<Integer, Long> e : blobs.entrySet()) {
            int idx = e.getKey();
            long oid = index.oids.oid(idx);
            long tid = e.getValue();
            Path file = dir.resolve(layout.relativePath(oid, tid));
            long pos = index.currentPos.get(idx);
            boolean live = reachable.test(idx);
            String missing = null;
            try {
                BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class);
                if (!a.isRegularFile()) {
                    missing = "not a regular file";
                } else if (a.size() == 0) {
                    out.add(new BlobFinding(Kind.EMPTY_BLOB, db.name(), oid, tid, pos, file.toString(), live,
                            "the blob file of " + Oid.repr(oid) + " is empty", null), pos);
                }
            } catch (NoSuchFileException ex) {
                missing = "";
            } catch (FileSystemException ex) {
                // a damaged directory: a file where a directory of the path should be (Not a
                // directory), or one that cannot be searched; ZODB cannot load this blob either
                missing = reason(ex);
            }
            if (missing != null) {
                out.add(new BlobFinding(Kind.MISSING_BLOB, db.name(), oid, tid, pos, file.toString(), live,
                        "no blob file at " + file + " for blob " + Oid.repr(oid) + " (revision " + Tid.repr(tid) + ")"
                        + (missing.isEmpty() ? "" : ": " + missing), null), pos);
            }
        }
    }

    private void orphans(Map<Integer, Long> blobs, Path dir, BlobLayout layout) throws IOException {
        layout.forEachFile(dir, f -> {
            int idx = index.oids.find(f.oid());
            if (idx >= 0 && idx < index.size() && blobs.containsKey(idx) && accounted(idx, f.tid(), blobs.get(idx))) {
                return;
            }
            out.add(new BlobFinding(Kind.ORPHAN_BLOB, db.name(), f.oid(), f.tid(), null, f.path().toString(),
                    false, "no record of " + Oid.repr(f.oid()) + " has the tid " + Tid.repr(f.tid())
                    + " of this blob file", null), Long.MAX_VALUE);
        }, e -> LoggerFactory.getLogger(BlobCheck.class).warn("{}: cannot read {}: {}; orphan blob files in it are"
                + " not reported", db.name(), e instanceof FileSystemException fse ? fse.getFile() : dir, reason(e)));
    }

    /** Why a file could not be read, in the words of the system ("Not a directory", "permission denied"). */
    private static String reason(IOException e) {
        if (e instanceof FileSystemException f && f.getReason() != null) {
            return f.getReason();
        }
        return e instanceof java.nio.file.AccessDeniedException ? "permission denied"
                : e instanceof FileSystemException ? e.getClass().getSimpleName() : e.getMessage();
    }

    /**
     * Whether the current record of blob object {@code idx} or an older one (following prev
     * pointers) has {@code tid}: older revisions keep their files until a pack removes them.
     */
    private boolean accounted(int idx, long tid, Long currentTid) throws IOException {
        if (currentTid != null && currentTid == tid) {
            return true;
        }
        long oid = index.oids.oid(idx);
        long pos = index.currentPos.get(idx);
        DataHeader h = header(pos);
        while (true) {
            if (h.tid() == tid) {
                return true;
            }
            long prev = h.prev();
            if (prev <= 0 || prev >= pos) {
                return false;
            }
            try {
                h = index.file.readDataHeader(prev, index.goodEnd);
            } catch (FileStorageException e) {
                return false; // a broken prev chain: verify reports it; here the file is unaccounted
            }
            if (h.oid() != oid) {
                return false;
            }
            pos = prev;
        }
    }

    private void whole(Path dir, String message) {
        out.add(new BlobFinding(Kind.MISSING_BLOB, db.name(), null, null, null, dir == null ? null : dir.toString(),
                true, message, null), 0);
    }

    private DataHeader header(long pos) throws IOException {
        try {
            return index.file.readDataHeader(pos, index.goodEnd);
        } catch (FileStorageException e) {
            throw new IOException(e.describe(), e);
        }
    }
}
